"""Each compiled kernel on its own, against values computed by hand.

The stages of the continuous core (:mod:`sim.core`), the discrete process bodies
(:mod:`sim.events`), the CEMS instrument (:mod:`sim.subsystems.cems`) and the readout
(:mod:`sim.readout`) are pure functions of a :class:`sim.state.PlantState` row and parameters;
here each gets a small state set by hand and its result is checked number by number.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim import core, events, readout
from sim.state import (PLANT_COLUMN, PLANT_DTYPE, TRIP_FLAME_FAILURE, TRIP_LEVEL_HIGH, TRIP_LEVEL_LOW, TRIP_NONE,
                       PlantState)
from sim.subsystems import cems, stack, turbine
from sim.subsystems.grate import CHAR
from sim.units import MEASUREMENTS, TRUTH


@pytest.fixture(scope="module")
def plant():
    return sim.Plant.from_config("reference_750tpd", "steady_design", seed=3)


def empty_state(n_cells: int = 12) -> PlantState:
    return PlantState(1, n_cells, 13, n_normals=16)


# ------------------------------------------------------------------ core stages ---
def test_actuators_move_at_their_rate_limits():
    act9, u9, r9 = np.zeros(9), np.zeros(9), np.ones(9)
    act9[:3], u9[:3], r9[:3] = (10.0, 100.0, 0.0), (20.0, 90.0, 0.5), (0.5, 2.0, 1.0)  # rates per second
    core.actuators_stage(act9, u9, r9, 2.0)
    # +0.5/s x 2 s = +1 (limited), -2/s x 2 s = -4 (limited), +0.5 (reached)
    assert act9[:3].tolist() == [11.0, 96.0, 0.5]


def test_the_feeder_takes_grabs_from_the_bottom_of_the_hopper():
    st = empty_state()
    r, o, hopper = st.plant[0], st.out[0], st.hopper[0]
    hopper[5] = (1000.0, 0.50, 0.10)   # bottom grab
    hopper[6] = (2000.0, 0.40, 0.20)
    r["hopper_head"], r["hopper_count"], r["hopper_mass_kg"] = 5.0, 2.0, 3000.0
    taken = core.take_feed(r, o, hopper, 1500.0)
    assert taken == 1500.0
    assert r["hopper_head"] == 6.0 and r["hopper_count"] == 1.0 and r["hopper_mass_kg"] == 1500.0
    assert hopper[5, 0] == 0.0 and hopper[6, 0] == 1500.0
    assert o["feed_moisture"] == pytest.approx((1000 * 0.5 + 500 * 0.4) / 1500)
    assert o["feed_ash"] == pytest.approx((1000 * 0.1 + 500 * 0.2) / 1500)
    # An empty hopper gives nothing and keeps the last feed's composition; a bridge stops the feeder.
    assert core.take_feed(r, o, hopper, 5000.0) == 1500.0 and core.take_feed(r, o, hopper, 10.0) == 0.0
    assert o["feed_ash"] == pytest.approx(0.2)
    r["hopper_count"], hopper[7] = 1.0, (100.0, 0.5, 0.1)
    r["hopper_head"], r["bridged"] = 7.0, 1.0
    assert core.feeder_stage(r, o, hopper, 36.0, 1.0) == 0.0 and hopper[7, 0] == 100.0


@pytest.mark.parametrize("moisture, noise, ash, expected", [
    (0.48, 0.01, 0.16, 0.49), (0.74, 0.05, 0.10, core.FEED_MOISTURE_MAX), (0.02, -0.01, 0.1, core.FEED_MOISTURE_MIN),
    (0.70, 0.0, 0.30, core.FEED_WET_ASH_MAX - 0.30)])
def test_feed_moisture_is_the_feed_plus_mixing_noise_within_its_range(moisture, noise, ash, expected):
    st = empty_state()
    st.out[0]["feed_moisture"], st.out[0]["feed_ash"], st.plant[0]["mixing_noise"] = moisture, ash, noise
    m, a = core.feed_composition(st.plant[0], st.out[0])
    assert m == pytest.approx(expected) and a == ash


def test_sorbent_lags_and_fouling_advance_one_step(plant):
    st = empty_state()
    r = st.plant[0]
    r["lime_reactor_kg_h"], r["lime_cake_kg_h"], r["fouling"], r["fouling_rate_scale"] = 100.0, 50.0, 0.1, 2.0
    cp = plant.model.model.ph.cp
    core.fgt_stage(r, 300.0, 0.0, cp, 0.25, 0.1, 10.0)
    assert r["lime_reactor_kg_h"] == 100.0 + (300.0 - 100.0) * 0.25
    assert r["lime_cake_kg_h"] == 50.0 + (150.0 - 50.0) * 0.1
    assert r["fouling"] == pytest.approx(min(0.1 + cp.fouling_rate_1_s * 2.0 * 10.0, cp.fouling_max))


def test_trips_on_drum_level(plant):
    cp = plant.model.model.ph.cp
    for level, code in ((0.0, TRIP_NONE), (cp.trip_level_low_m - 1e-3, TRIP_LEVEL_LOW),
                        (cp.trip_level_high_m + 1e-3, TRIP_LEVEL_HIGH)):
        st = empty_state()
        core.trip_stage(st.plant[0], level, 60e6, 0.0, cp, 1.0)
        assert st.plant[0]["trip"] == code


def test_flame_failure_trips_after_the_detection_time_of_stopped_combustion_without_burners(plant):
    """Heat release under the threshold counts up the detection time; a burning bed or burners at
    their holding fire reset it; the trip comes when it reaches ``flame_failure_s``."""
    cp = plant.model.model.ph.cp
    st = empty_state()
    r, dead, steps = st.plant[0], 0.5 * cp.flame_failure_w, int(cp.flame_failure_s / 10.0)
    for _ in range(steps - 1):
        core.trip_stage(r, 0.0, dead, 0.0, cp, 10.0)
    assert r["trip"] == TRIP_NONE and r["flame_out_s"] == (steps - 1) * 10.0
    core.trip_stage(r, 0.0, dead, cp.burner_holding_w, cp, 10.0)  # burners hold the flame: reset
    assert r["trip"] == TRIP_NONE and r["flame_out_s"] == 0.0
    for _ in range(steps - 1):
        core.trip_stage(r, 0.0, dead, 0.0, cp, 10.0)
    core.trip_stage(r, 0.0, 2.0 * cp.flame_failure_w, 0.0, cp, 10.0)  # the bed burns again: reset
    assert r["trip"] == TRIP_NONE and r["flame_out_s"] == 0.0
    for _ in range(steps):
        core.trip_stage(r, 0.0, dead, 0.5 * cp.burner_holding_w, cp, 10.0)
    assert r["trip"] == TRIP_FLAME_FAILURE


# ------------------------------------------------------------------ process bodies ---
def model_state(plant) -> tuple[PlantState, tuple]:
    st = plant.model.new_state(1, n_normals=16)
    plant.model.start(st, 0, 11)
    return st, plant.model.model


def test_hopper_mixing_is_ar1_on_the_plants_own_normals(plant):
    st, m = model_state(plant)
    r = st.plant[0]
    r["mixing_noise"], pos = 0.02, int(r["normal_pos"])
    z = st.normals[0, pos]
    assert events.mixing_body(st.arrays, 0, 120.0, m.ep) == 120.0 + events.MIXING_PERIOD_S
    assert r["mixing_noise"] == m.ep.mixing_phi * 0.02 + m.ep.mixing_gain * z
    assert r["normal_pos"] == pos + 1


def test_soot_blowing_removes_its_share_of_the_fouling(plant):
    st, m = model_state(plant)
    st.plant[0]["fouling"] = 0.2
    assert events.soot_body(st.arrays, 0, 10.0, m.ep) == 10.0 + m.ep.soot_interval_s
    assert st.plant[0]["fouling"] == pytest.approx(0.2 * (1 - plant.config.boiler.soot_blow_recovery))


def test_the_crane_drops_a_grab_when_the_level_is_low_else_waits(plant):
    st, m = model_state(plant)
    r, ep = st.plant[0], m.ep
    r["hopper_mass_kg"] = (ep.crane_start_level_m - 0.5) * ep.area_density_kg_m
    count, mass = r["hopper_count"], r["hopper_mass_kg"]
    assert events.crane_body(st.arrays, 0, 100.0, ep, m.slugs) == 100.0 + ep.crane_cycle_s
    assert r["hopper_count"] == count + 1 and r["hopper_mass_kg"] == mass + ep.grab_kg
    r["hopper_mass_kg"] = (ep.crane_start_level_m + 0.5) * ep.area_density_kg_m
    assert events.crane_body(st.arrays, 0, 100.0, ep, m.slugs) == 100.0 + events.CRANE_IDLE_CHECK_S
    assert r["hopper_count"] == count + 1


def test_scenario_events_act_in_order():
    p = sim.Plant.from_config(scenario="steady_design", scenario_overrides={
        "bridging": [{"at_h": 0.5, "duration_min": 6.0}], "valve_steps": [{"at_h": 0.2, "valve_pct": 70.0}],
        "steam_setpoint_steps": [{"at_h": 0.3, "steam_t_h": 60.0}]})
    st, m = p.state, p.model.model
    assert m.events[:, 0].tolist() == [720.0, 1080.0, 1800.0, 2160.0]
    r = st.plant[0]
    nxt = events.scenario_body(st.arrays, 0, 720.0, m.events)
    assert (r["turbine_valve_pct"], nxt) == (70.0, 1080.0)
    events.scenario_body(st.arrays, 0, 1080.0, m.events)
    assert r["steam_setpoint_t_h"] == 60.0
    events.scenario_body(st.arrays, 0, 1800.0, m.events)
    assert r["bridged"] == 1.0
    assert events.scenario_body(st.arrays, 0, 2160.0, m.events) == math.inf and r["bridged"] == 0.0


# ------------------------------------------------------------------ CEMS ---
def test_cems_shows_a_step_after_its_dead_time_through_its_lag():
    # 120 s delay at 10-s samples: a line of 13; tau 60 s: lag factor 1 - exp(-10/60).
    n_delay, lag = 13, 1.0 - math.exp(-10.0 / 60.0)
    line, filtered, reading = np.zeros((n_delay, 1)), np.zeros(1), np.zeros(1)
    head, shown = 0, []
    for k in range(20):
        head = cems.update(line, head, filtered, reading, np.array([100.0]), np.zeros(1), lag, 0.0, False)
        shown.append(reading[0])
    # The sample taken at k is passed on at k + 12 (12 periods = 120 s after it was taken).
    assert shown[:12] == [0.0] * 12
    assert shown[12] == pytest.approx(100.0 * lag)
    assert shown[13] == pytest.approx(100.0 * (1 - (1 - lag) ** 2))
    # During an outage the reading is held.
    cems.update(line, head, filtered, reading, np.array([0.0]), np.zeros(1), lag, 0.0, True)
    assert reading[0] == shown[-1]


def test_plant_cems_reading_lags_the_stack_by_dead_time_plus_one_period():
    # A plant's reading after advance(t) holds the samples up to t - period (an event due at the
    # end of an advance fires at the start of the next): a step of the true CO shows first in the
    # reading of the advance ending delay + period after the sample that saw it.
    quiet = {"waste": {"moisture_grab_std_pct": 0.0, "ash_grab_std_pct": 0.0, "mixing_noise_std_pct": 0.0}}
    p = sim.Plant.from_config(plant_overrides={"cems": {"noise_rel": 0.0}}, scenario_overrides=quiet)
    period, delay = p.config.cems.period_s, p.config.cems.delay_s
    i_co = cems.CHANNELS.index("co_mg_nm3")
    p.advance(period)
    before = p.state.cems_reading[0, i_co]
    p.set_actuators({"secondary_air_nm3_h": p.actuator_bounds[0][3]})  # starve the burnout: CO rises
    seen = []
    for _ in range(40):
        p.advance(period)
        seen.append(abs(p.state.cems_reading[0, i_co] - before) > 1e-6 * before)
    first = seen.index(True) + 1  # advances after the change
    # the first sample that sees it (one period later) + the sample line's delay + one period (the
    # sample due at an advance's end fires in the next advance)
    assert first * period == period + delay + period


# ------------------------------------------------------------------ readout ---
def test_measurements_are_in_their_named_order(plant):
    p = plant
    p.advance(60.0)
    m, st, rp = np.zeros(len(MEASUREMENTS)), p.state, p.model.model.rp
    readout.measure(st.arrays, 0, rp, m)
    r, o, pw = st.plant[0], st.out[0], st.power[0]
    g = o["gas_kmol_s"]
    expected = {
        "steam_flow_t_h": o["steam_turbine_kg_s"] * 3.6, "drum_pressure_mpa": r["drum_pressure_mpa"],
        "drum_level_mm": o["level_m"] * 1000.0, "steam_temp_degc": pw[turbine.P_STEAM_T_DEGC],
        "furnace_temp_degc": r["thermocouple_k"] - 273.15, "o2_wet_vol_pct": r["o2_analyser_wet_pct"],
        **{c: st.cems_reading[0, k] for k, c in enumerate(cems.CHANNELS)},
        "flue_gas_flow_nm3_h": g.sum() * sim.units.NM3_PER_KMOL * 3600.0,
        "boiler_exit_temp_degc": o["boiler_exit_k"] - 273.15,
        "hopper_level_m": r["hopper_mass_kg"] / (p.config.hopper.area_m2 * p.config.waste.bulk_density_kg_m3),
        "gross_power_mw": pw[turbine.P_GROSS_MW], "net_power_mw": pw[turbine.P_NET_MW]}
    assert list(expected) == list(MEASUREMENTS)
    assert dict(zip(MEASUREMENTS, m.tolist())) == pytest.approx(expected, rel=1e-12)
    assert p.measurements == dict(zip(MEASUREMENTS, m.tolist()))


def test_truth_is_in_its_named_order(plant):
    p = plant
    t, st, rp = np.zeros(len(TRUTH)), p.state, p.model.model.rp
    readout.truth(st.arrays, 0, rp, t)
    r, o = st.plant[0], st.out[0]
    moisture, ash = core.feed_composition(r, o)
    expected = {
        "waste_lhv_mj_kg": p.model.built.fuel.lhv_j_kg(moisture, ash) / 1e6, "waste_moisture_pct": moisture * 100,
        "bed_carbon_kg": st.bed[0, CHAR].sum(),
        "loi_pct": 100 * o["discharge_char_kg_s"] / (o["discharge_char_kg_s"] + o["discharge_ash_kg_s"]),
        "furnace_gas_temp_degc": o["furnace_k"] - 273.15, "o2_dry_vol_pct": st.stack[0, stack.S_O2_DRY],
        "fouling_factor": r["fouling"], "heat_release_mw": o["heat_release_w"] / 1e6,
        "dioxin_ng_teq_nm3": st.stack[0, stack.S_DIOXIN], "steam_flow_setpoint_t_h": r["steam_setpoint_t_h"],
        "feed_actual_t_h": o["feed_kg_s"] * 3.6, "waste_fed_t": st.balance[0]["waste_kg"] / 1000,
        "aux_fuel_mwh": st.balance[0]["aux_j"] / 3.6e9, "boiler_efficiency": t[TRUTH.index("boiler_efficiency")],
        "turbine_valve_pct": r["turbine_valve_pct"], "flame_temp_degc": r["flame_k"] - 273.15}
    assert list(expected) == list(TRUTH)
    assert dict(zip(TRUTH, t.tolist())) == pytest.approx(expected, rel=1e-12)
    assert 0.7 < expected["boiler_efficiency"] < 0.9


def test_state_columns_name_every_scalar_field():
    st = empty_state()
    st.plant[0]["drum_pressure_mpa"] = 4.2
    assert st.plant_values[0, PLANT_COLUMN["drum_pressure_mpa"]] == 4.2
    assert set(PLANT_COLUMN) == {n for n in PLANT_DTYPE.names if PLANT_DTYPE.fields[n][0].shape == ()}
