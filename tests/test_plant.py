"""Plant model: design point, balances, step responses, determinism, snapshots, bad input."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import sim
from sim.config import ConfigError, load_plant
from sim.subsystems.waste import make_fuel

from conftest import QUIET, LevelHold, run


# ----------------------------------------------------------------------------- fuel ---
def test_fuel_from_composition_matches_domain_figures():
    """docs/physics.md §2.3: LHV 6.9-7.2 MJ/kg, ~2.1 Nm3 air/kg, ~4.7 Nm3 gas/kg, 9-10 % O2 dry at lambda 1.8."""
    w = load_plant().waste
    fuel = make_fuel(w)
    lhv = fuel.lhv_j_kg(0.48, 0.161) / 1e6
    assert 6.9 <= lhv <= 7.3
    assert 2.0 <= fuel.stoich_air_nm3_kg(0.48, 0.161) <= 2.2
    gas = fuel.flue_gas(0.48, 0.161, 1.8)
    assert 4.5 <= gas["volume_nm3_kg"] <= 4.9
    assert 9.0 <= gas["o2_dry_pct"] <= 10.0


def test_lhv_falls_with_moisture_by_the_heating_value_of_the_dry_matter():
    """At a fixed dry composition, one point of moisture replaces 1 % of dry matter and costs its
    evaporation: dLHV/dw = (LHV_dry + 2.442 MJ/kg) / 100. For the design waste that is
    0.186 MJ/kg per point, a little below the 0.2-0.3 of docs/physics.md §2.4, whose Chinese seasonal data
    also change the dry composition (drier seasons bring more plastics)."""
    fuel = make_fuel(load_plant().waste)
    ash_per_dry = 0.161 / 0.52
    lhv = {m: fuel.lhv_j_kg(m, ash_per_dry * (1 - m)) / 1e6 for m in (0.43, 0.48, 0.56)}
    assert lhv[0.56] < lhv[0.48] < lhv[0.43]
    slope = (lhv[0.43] - lhv[0.56]) / 13.0
    lhv_dry = fuel.lhv_j_kg(0.0, ash_per_dry) / 1e6
    assert slope == pytest.approx((lhv_dry + 2.442) / 100, rel=1e-9)
    assert 0.15 <= slope <= 0.3


# ----------------------------------------------------------------------------- design ---
def test_design_point_matches_reference_line():
    plant = sim.Plant.from_config(seed=0)
    m, t = plant.measurements, plant.truth
    assert 63 <= m["steam_flow_t_h"] <= 70            # ~66 t/h (docs/physics.md §1.2)
    assert 399 <= m["steam_temp_degc"] <= 401          # 400 degC by attemperation
    assert 950 <= m["furnace_temp_degc"] <= 1050       # 2-s zone
    assert 6.0 <= m["o2_wet_vol_pct"] <= 8.0           # O2 target 6-8 % wet (docs/physics.md §12.1)
    assert 190 <= m["boiler_exit_temp_degc"] <= 240
    assert 0.78 <= t["boiler_efficiency"] <= 0.83      # 0.80-0.82 (docs/physics.md §1.2)
    kwh_per_t = m["net_power_mw"] * 1000 / plant.design_actuators["feed_rate_t_h"]
    assert 380 <= kwh_per_t <= 450                     # 400-420 kWh/t (docs/physics.md §6)
    own_use = 1 - m["net_power_mw"] / m["gross_power_mw"]
    assert 0.12 <= own_use <= 0.20
    for limit, ch in ((50, "co_mg_nm3"), (200, "nox_mg_nm3"), (50, "so2_mg_nm3"), (50, "hcl_mg_nm3"),
                      (10, "dust_mg_nm3")):
        assert m[ch] < limit, ch


def test_holds_design_for_24h_without_drift_or_nan(quiet_plant):
    plant = quiet_plant
    start = plant.measurements
    out = run(plant, 24 * 3600, LevelHold(plant), every_s=60,
              channels=("steam_flow_t_h", "furnace_temp_degc", "drum_pressure_mpa", "o2_wet_vol_pct"))
    assert plant.trip is None
    for ch, arr in out.items():
        assert np.isfinite(arr).all(), ch
    # Fouling between soot blows moves the steam by well under 2 %; no trend beyond that.
    last_hour = out["steam_flow_t_h"][-60:].mean()
    assert abs(last_hour / start["steam_flow_t_h"] - 1) < 0.02
    assert abs(out["furnace_temp_degc"][-60:].mean() - start["furnace_temp_degc"]) < 15


# ----------------------------------------------------------------------------- balances ---
def test_mass_and_energy_balances_close_over_24h():
    plant = sim.Plant.from_config(seed=3)
    run(plant, 24 * 3600, LevelHold(plant), every_s=60)
    report = plant.balance_report()
    for name, sec in report.items():
        limit = 0.005 if name.endswith("mass") else 0.01
        assert abs(sec["closure"]) < limit, (name, sec)
        assert sec["in"] > 0
    # And the flows are real: 24 h of waste at ~31 t/h went through.
    assert 700e3 < report["hopper_mass"]["out"] < 800e3


# ----------------------------------------------------------------------------- steps ---
def _step_response(plant, change, minutes, channel, every_s=10):
    hold = LevelHold(plant)
    run(plant, 300, hold, every_s=every_s)
    base = plant.measurements[channel]
    change(plant)
    out = run(plant, minutes * 60, hold, every_s=every_s, channels=(channel,))
    return out["time_s"] - out["time_s"][0] + every_s, out[channel] - base


def _feed_step(plant):
    feed = plant.design_actuators["feed_rate_t_h"]
    t, d = _step_response(plant, lambda p: p.set_actuators({"feed_rate_t_h": 1.1 * feed}), 90, "steam_flow_t_h")
    return t / 60, d, d[-60:].mean()


def test_feed_step_raises_steam_with_the_domain_overall_response_time(quiet_plant):
    """docs/physics.md §10: feed -> steam, dead time 1-3 min plus time constant 5-15 min: 63 % of the
    rise within 6-18 min of the step, and the right sign and size (+10 % feed, about +10 % steam)."""
    t_min, d, final = _feed_step(quiet_plant)
    assert 0.07 * quiet_plant.design_steam_t_h < final < 0.14 * quiet_plant.design_steam_t_h
    t63 = t_min[np.argmax(d > 0.63 * final)]
    assert 6.0 <= t63 <= 18.0, t63


def test_feed_step_dead_time_within_domain(quiet_plant):
    """docs/physics.md §10: feed -> steam dead time 1-3 min (the ram pushes the bed into the fire)."""
    t_min, d, final = _feed_step(quiet_plant)
    dead = t_min[np.argmax(d > 0.05 * final)]
    assert 1.0 <= dead <= 3.0, dead


def test_secondary_air_step_raises_o2_within_a_minute_and_cools_furnace(quiet_plant):
    """docs/physics.md §10: air -> O2 dead time of seconds, time constant 20-60 s."""
    sa = quiet_plant.design_actuators["secondary_air_nm3_h"]
    co0 = quiet_plant.measurements["co_mg_nm3"]
    t, d = _step_response(quiet_plant, lambda p: p.set_actuators({"secondary_air_nm3_h": 1.15 * sa}), 10,
                          "o2_wet_vol_pct", every_s=5)
    assert d[-1] > 0.3
    t63 = t[np.argmax(d > 0.63 * d[-1])]
    assert 10 <= t63 <= 60, t63
    m = quiet_plant.measurements
    assert m["furnace_temp_degc"] < quiet_plant.truth["furnace_gas_temp_degc"] + 5  # cooled, lagging thermocouple
    assert m["co_mg_nm3"] < co0


def test_wetter_waste_lowers_steam_and_furnace_temperature():
    """Wet grabs reach the grate after the hopper's residence; then steam and temperature fall."""
    plant = sim.Plant.from_config(seed=0, scenario_overrides={
        **QUIET, "slugs": [{"at_h": 0.0, "grabs": 30, "moisture_pct": 54.0, "ash_pct": 16.1}]})
    base = plant.measurements
    out = run(plant, 5 * 3600, LevelHold(plant), every_s=60,
              channels=("steam_flow_t_h", "furnace_temp_degc", "waste_moisture_pct"))
    wet_arrives = np.argmax(out["waste_moisture_pct"] > 52)
    assert wet_arrives > 30                                   # the hopper holds older waste first
    assert abs(out["steam_flow_t_h"][wet_arrives - 1] / base["steam_flow_t_h"] - 1) < 0.01
    assert out["steam_flow_t_h"][-30:].mean() < 0.93 * base["steam_flow_t_h"]
    assert out["furnace_temp_degc"][-30:].mean() < base["furnace_temp_degc"] - 20


def test_a_furnace_below_600_degc_with_a_burning_bed_runs_on_and_trips_only_when_the_fire_is_out():
    """docs/physics.md §4.5: after a 20-min feed stop with the grate at 20 %, the fresh waste fed
    again cools the furnace gas below 600 degC (the old gas-temperature trip) while the bed still
    releases tens of MW throughout: the line runs on (breaching 850 degC). Without feed for 40 min and no burners the bed burns out, and the
    flame-failure trip comes one detection time after the heat release fell below its threshold."""
    plant = sim.Plant.from_config(seed=0, scenario_overrides=QUIET)
    hold, cp = LevelHold(plant), plant.model.model.ph.cp
    plant.set_actuators({"feed_rate_t_h": 0.0, "grate_speed_pct": 20.0})
    stop = run(plant, 20 * 60, hold, channels=("furnace_gas_temp_degc", "heat_release_mw"))
    plant.set_actuators({"feed_rate_t_h": plant.design_actuators["feed_rate_t_h"], "grate_speed_pct": 100.0})
    after = run(plant, 20 * 60, hold, channels=("furnace_gas_temp_degc", "heat_release_mw"))
    assert after["furnace_gas_temp_degc"].min() < 600.0  # measured 580 degC (729 degC during the stop)
    assert min(stop["heat_release_mw"].min(), after["heat_release_mw"].min()) > 20.0  # measured 25 MW
    assert plant.trip is None
    dead = sim.Plant.from_config(seed=0, scenario_overrides=QUIET)
    hold = LevelHold(dead)
    dead.set_actuators({"feed_rate_t_h": 0.0, "grate_speed_pct": 20.0})
    fire_out_s = None  # when the heat release last fell below the threshold
    while dead.trip is None and dead.time_s < 40 * 60:
        hold(10.0)
        dead.advance(10.0)
        burning = dead.truth["heat_release_mw"] >= cp.flame_failure_w / 1e6
        fire_out_s = None if burning else (fire_out_s or dead.time_s)
    assert dead.trip == sim.state.TRIP_REASONS[sim.state.TRIP_FLAME_FAILURE]
    assert dead.time_s - fire_out_s == pytest.approx(cp.flame_failure_s, abs=10.0)


def test_flame_over_the_bed_is_hotter_than_the_diluted_furnace_gas():
    """The bed sees the flame of the primary zone (docs/physics.md §4.2), before the secondary air dilutes
    it: measured flame temperatures over waste grates are ~1,100-1,400 degC; the model's adiabatic
    primary zone is an upper estimate of that range."""
    plant = sim.Plant.from_config(seed=0, scenario_overrides=QUIET)
    flame, gas = plant.truth["flame_temp_degc"], plant.truth["furnace_gas_temp_degc"]
    assert 1100.0 < flame < 1450.0
    assert flame > gas + 200.0


def test_waste_seven_points_wetter_keeps_its_flame_at_design_commands():
    """55 % moisture (LHV ~5.4 MJ/kg, inside the seasonal range of docs/physics.md §2.4) at the design feed and
    air: the fire weakens (much more excess air, furnace below 850 degC) but the flame over the
    bed keeps drying and igniting the waste, so the plant settles instead of tripping."""
    plant = sim.Plant.from_config(seed=0, scenario_overrides={"waste": {**QUIET["waste"], "moisture_mean_pct": 55.0}})
    out = run(plant, 3 * 3600, LevelHold(plant), every_s=60, channels=("furnace_temp_degc", "steam_flow_t_h"))
    assert plant.trip is None
    assert 700.0 < out["furnace_temp_degc"][-30:].mean() < 850.0
    assert np.ptp(out["steam_flow_t_h"][-30:]) < 0.01 * plant.design_steam_t_h    # settled


def test_fouling_raises_exit_temperature_and_soot_blowing_restores_it():
    plant = sim.Plant.from_config(seed=0, scenario_overrides={**QUIET, "fouling_rate_scale": 10.0})
    hold = LevelHold(plant)
    before = run(plant, 8 * 3600 - 120, hold, every_s=60, channels=("boiler_exit_temp_degc", "steam_flow_t_h"))
    assert before["boiler_exit_temp_degc"][-1] > before["boiler_exit_temp_degc"][0] + 30
    assert before["steam_flow_t_h"][-1] < before["steam_flow_t_h"][0]
    after = run(plant, 1800, hold, every_s=60, channels=("boiler_exit_temp_degc", "steam_flow_t_h"))
    assert after["boiler_exit_temp_degc"][-1] < before["boiler_exit_temp_degc"][-1] - 30
    assert after["steam_flow_t_h"][-1] > before["steam_flow_t_h"][-1]


def test_drum_level_swells_on_a_steam_demand_step():
    """Opening the turbine valve: pressure falls, flash steam swells the level although the drum
    is losing mass (Åström & Bell 2000); later the mass loss wins and the level falls."""
    plant = sim.Plant.from_config(seed=0, scenario_overrides={**QUIET, "valve_steps": [{"at_h": 0.1, "valve_pct": 88}]})
    run(plant, 300, LevelHold(plant))
    out = run(plant, 600, None, every_s=5, channels=("drum_level_mm", "steam_flow_t_h", "drum_pressure_mpa"))
    assert out["steam_flow_t_h"][15] > out["steam_flow_t_h"][0] + 3
    assert out["drum_pressure_mpa"][-1] < out["drum_pressure_mpa"][0]
    peak = out["drum_level_mm"][:24].max()
    assert peak > 15                       # swell
    assert out["drum_level_mm"][-1] < peak - 20  # then the level falls (feedwater unchanged)


# ----------------------------------------------------------------------------- determinism ---
def _trajectory(seed, hours=2.0):
    plant = sim.Plant.from_config(seed=seed)
    out = run(plant, hours * 3600, LevelHold(plant), every_s=60,
              channels=("steam_flow_t_h", "co_mg_nm3", "waste_moisture_pct", "drum_level_mm"))
    return np.column_stack([out[k] for k in sorted(out)])


def test_same_seed_same_trajectory_bit_for_bit_and_different_seed_differs():
    a, b, c = _trajectory(7), _trajectory(7), _trajectory(8)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_snapshot_restore_and_pickle_continue_identically():
    """Three continuations from one instant (original, restored, unpickled copy), each with the
    level loop in the state it had at the snapshot, are identical bit for bit."""
    import copy

    plant = sim.Plant.from_config(seed=5)
    hold = LevelHold(plant)
    run(plant, 3600, hold)
    snap, blob, loop_state = plant.snapshot(), pickle.dumps(plant), copy.deepcopy(hold.__dict__)

    def continuation(p):
        loop = LevelHold.__new__(LevelHold)
        loop.__dict__.update(copy.deepcopy(loop_state))
        loop.plant = p
        return run(p, 3600, loop, channels=("steam_flow_t_h", "co_mg_nm3", "hopper_level_m", "waste_moisture_pct"))

    first = continuation(plant)
    plant.restore(snap)
    second = continuation(plant)
    third = continuation(pickle.loads(blob))
    for k in first:
        assert np.array_equal(first[k], second[k]), k
        assert np.array_equal(first[k], third[k]), k
    assert np.ptp(first["waste_moisture_pct"]) > 0  # the continuation really exercised the RNG


# ----------------------------------------------------------------------------- bad input ---
def test_unknown_config_key_is_named():
    with pytest.raises(ConfigError, match=r"grate\.grate_width_m: unknown key"):
        load_plant(overrides={"grate": {"grate_width_m": 3}})


def test_out_of_range_config_value_names_field_and_bound():
    with pytest.raises(ConfigError, match=r"design\.excess_air_ratio.*2\.5.*got 7"):
        load_plant(overrides={"design": {"excess_air_ratio": 7}})


def test_unknown_plant_name_lists_known():
    with pytest.raises(ConfigError, match="reference_750tpd"):
        load_plant("no_such_plant")


@pytest.mark.parametrize("cmd, pattern", [
    ({"feed_rate_t_h": 99.0}, r"feed_rate_t_h.*99.*\[0\.0, 45\.0\]"),
    ({"feed_rate_t_h": float("nan")}, "feed_rate_t_h.*not finite"),
    ({"coal_t_h": 1.0}, "unknown actuator 'coal_t_h'"),
])
def test_bad_actuator_commands_raise_named_errors(cmd, pattern):
    plant = sim.Plant.from_config(seed=0)
    with pytest.raises(ValueError, match=pattern):
        plant.set_actuators(cmd)


def test_advance_rejects_nonpositive_duration():
    plant = sim.Plant.from_config(seed=0)
    with pytest.raises(ValueError, match="positive"):
        plant.advance(0)


def test_measurements_and_truth_carry_exactly_the_canonical_channels_in_order():
    from sim.units import MEASUREMENTS, TRUTH
    plant = sim.Plant.from_config(seed=0)
    plant.advance(60)
    assert tuple(plant.measurements) == MEASUREMENTS and tuple(plant.truth) == TRUTH
    assert all(type(v) is float for v in (*plant.measurements.values(), *plant.truth.values()))
