"""The scenario library (configs/scenarios, sim.scenarios) and the plant's scenario events."""
from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import agents
import sim
from sim import kpis, scenarios
from sim.units import ACTUATORS, MEASUREMENTS

LIBRARY = ["steady_design", "seasonal_wet", "seasonal_dry", "lhv_drift", "wet_slug", "bulky_slug",
           "hopper_bridging", "fouling_week", "load_change", "cems_outage", "thermocouple_drift",
           "feed_quality_forecast"]
CLASSIC = ("fixed", "manual", "rule_based")
#: Plant time of the smoke episodes [h] (every scenario x every classic controller).
SMOKE_H = 0.1


# ----------------------------------------------------------------------------- library


def test_library_has_every_scenario_of_the_issue():
    assert sorted(LIBRARY) == scenarios.list_scenarios()


@pytest.mark.parametrize("name", LIBRARY)
def test_scenario_file_is_valid_and_documented(name):
    cfg = scenarios.load(name)
    assert cfg.name == name
    assert len(cfg.description) > 150 and "docs/physics.md" in cfg.description  # purpose and source
    assert cfg.duration_h > 0
    assert cfg.train_seeds and cfg.test_seeds
    assert not set(cfg.train_seeds) & set(cfg.test_seeds)
    assert scenarios.seeds(name, "test") == cfg.test_seeds
    assert scenarios.seeds(name, "train") == cfg.train_seeds


def test_seasonal_lhv_matches_the_domain_ranges():
    # seasonal_wet ~4.5 MJ/kg, seasonal_dry ~8.4 MJ/kg (docs/physics.md §2.4), from the plant's fuel model.
    for name, lhv in (("seasonal_wet", 4.5), ("seasonal_dry", 8.4), ("steady_design", 7.2)):
        w = scenarios.load(name).waste
        plant = sim.Plant.from_config(scenario=name)
        assert plant.model.built.fuel.lhv_j_kg(w.moisture_mean_pct / 100, w.ash_mean_pct / 100) / 1e6 == \
            pytest.approx(lhv, abs=0.1), name


def test_load_by_path_and_unknown_names_raise():
    path = scenarios.SCENARIO_DIR / "wet_slug.yaml"
    assert scenarios.load(path) == scenarios.load("wet_slug")
    with pytest.raises(sim.ConfigError, match=r"unknown scenario 'nope'.*steady_design"):
        scenarios.load("nope")
    with pytest.raises(ValueError, match=r"seed set 'validation' is unknown.*'train', 'test'"):
        scenarios.seeds("wet_slug", "validation")


def test_overlapping_seeds_are_rejected():
    with pytest.raises(sim.ConfigError, match="overlap in \\[3\\]"):
        scenarios.load("steady_design", {"train_seeds": [1, 2, 3], "test_seeds": [3, 4]})


# ----------------------------------------------------------------------------- every scenario runs


@pytest.mark.parametrize("name", LIBRARY)
def test_every_scenario_runs_with_every_classic_controller(name):
    env = gym.make("WtE/Incinerator-v0", scenario=name, episode_hours=SMOKE_H)
    lower, upper = env.unwrapped.plant.actuator_bounds
    for controller in CLASSIC:
        df = agents.run_episode(env, agents.make_controller(controller, env), seed=scenarios.seeds(name, "test")[0],
                                progress=False)
        assert df["time_s"].iloc[-1] == pytest.approx(SMOKE_H * 3600.0), (name, controller, df.attrs["trip"])
        assert np.isfinite(df[list(MEASUREMENTS)].to_numpy()).all()
        commands = df[list(ACTUATORS)].to_numpy()
        assert (commands >= lower - 1e-9).all() and (commands <= upper + 1e-9).all()
        assert df["steam_flow_t_h"].between(0.5 * df["steam_flow_setpoint_t_h"], 1.5 * df["steam_flow_setpoint_t_h"]).all()


# ----------------------------------------------------------------------------- scenario events


def test_steam_setpoint_steps_and_snapshot_continuation():
    steps = {"steam_setpoint_steps": [{"at_h": 0.05, "steam_t_h": 58.0}, {"at_h": 0.1, "steam_t_h": 71.0}]}
    plant = sim.Plant.from_config(scenario="load_change", seed=2, scenario_overrides=steps)
    design = plant.design_steam_t_h
    seen = []
    for _ in range(8):  # 8 x 60 s around the steps at 180 s and 360 s
        plant.advance(60.0)
        seen.append(plant.truth["steam_flow_setpoint_t_h"])
    # SimPy's run(until=t) leaves the events due at t for the next advance: a step at 180 s shows
    # from the sample after 180 s on.
    assert seen == [design, design, design, 58.0, 58.0, 58.0, 71.0, 71.0]
    # a snapshot taken before a step continues identically, the step included
    fresh = sim.Plant.from_config(scenario="load_change", seed=2, scenario_overrides=steps)
    fresh.advance(300.0)
    snap = fresh.snapshot()
    fresh.advance(120.0)
    first = (fresh.steam_setpoint_t_h, fresh.measurements)
    fresh.restore(snap)
    fresh.advance(120.0)
    assert (fresh.steam_setpoint_t_h, fresh.measurements) == first == (71.0, first[1])


def test_moisture_forecast_channel():
    exact = sim.Plant.from_config(scenario="feed_quality_forecast", seed=5,
                                  scenario_overrides={"forecast": {"noise_std_pct": 0.0, "horizon_min": 30}})
    noisy = sim.Plant.from_config(scenario="feed_quality_forecast", seed=5)
    again = sim.Plant.from_config(scenario="feed_quality_forecast", seed=5)
    for plant in (exact, noisy, again):
        plant.advance(600.0)
    # without imaging error the forecast is the truth; with it, an error of a few points
    assert exact.moisture_forecast_pct == exact.upcoming_moisture_pct
    assert 0.0 < abs(noisy.moisture_forecast_pct - noisy.upcoming_moisture_pct) < 4 * 2.0
    assert noisy.moisture_forecast_pct == again.moisture_forecast_pct  # seeded
    # the truth channel is what the feeder takes next: the moisture of the hopper's bottom grab(s)
    assert 20.0 <= noisy.upcoming_moisture_pct <= 65.0
    plain = sim.Plant.from_config(scenario="steady_design", seed=5)
    assert math.isnan(plain.moisture_forecast_pct) and math.isfinite(plain.upcoming_moisture_pct)


def test_cems_outage_holds_readings_and_kpis_exclude_them():
    outage = {"cems_outages": [{"at_h": 0.1, "duration_min": 6}]}
    env = gym.make("WtE/Incinerator-v0", scenario=scenarios.load("cems_outage", outage), episode_hours=0.25)
    df = agents.run_episode(env, agents.make_controller("rule_based", env), seed=1000, progress=False)
    invalid = df["cems_valid"] == 0.0
    # 6 min at 10 s: 36 samples invalid, the readings held at one value
    assert invalid.sum() == 36
    assert df.loc[invalid, "nox_mg_nm3"].nunique() == 1
    assert df.loc[~invalid, "nox_mg_nm3"].nunique() > 36
    # the KPIs use the valid samples only: the same as blanking the held readings by hand
    blanked = df.drop(columns="cems_valid")
    blanked.loc[invalid, list(kpis.CEMS_CHANNELS)] = np.nan
    assert kpis.compute(df)["emissions_g_per_t"] == kpis.compute(blanked)["emissions_g_per_t"]
    assert kpis.compute(df)["emissions_g_per_t"] != kpis.compute(df.drop(columns="cems_valid"))["emissions_g_per_t"]
