"""Stored reference trajectories: the physics must not change when the code is made faster.

Two runs cover every path of the plant: the rule-based ACC on ``steady_design`` (crane, hopper
mixing, CEMS, every control loop) and the same controller on a scenario with
every discrete event early (wet slug, bridging, CEMS outage, thermocouple drift, valve and
steam-setpoint steps, forecast, soot blowing each hour). Each is recorded every control interval
(10 s) for two hours: time, measurements, actuator commands and hidden truth.

The files live in ``tests/data/reference/`` (``.npz`` of float64 arrays, loaded without pickle).
``tests/test_reference.py`` replays the runs and compares; regenerate them only when the
physics is meant to change, and say so in the commit:

    .venv/bin/python tests/reference_runs.py
"""
from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np

import agents
import sim  # noqa: F401  (registers the envs)
from sim.config import load_scenario
from sim.units import ACTUATORS, MEASUREMENTS, TRUTH

DATA = Path(__file__).resolve().parent / "data" / "reference"
HOURS = 2.0
COLUMNS = ("time_s", *MEASUREMENTS, *ACTUATORS, *TRUTH)


def _events_scenario() -> dict:
    s = load_scenario("steady_design").model_dump()
    s.update(name="reference_events", description="every discrete event within the first two hours",
             slugs=[{"at_h": 0.1, "grabs": 3, "moisture_pct": 54.0, "ash_pct": 16.1}],
             bridging=[{"at_h": 0.4, "duration_min": 4.0}],
             cems_outages=[{"at_h": 0.6, "duration_min": 15.0}],
             thermocouple_drift={"at_h": 0.5, "rate_per_h": -20.0},
             valve_steps=[{"at_h": 1.2, "valve_pct": 70.0}],
             steam_setpoint_steps=[{"at_h": 1.0, "steam_t_h": 60.0}],
             forecast={"noise_std_pct": 2.0, "horizon_min": 30.0})
    return s


#: name -> (controller, scenario, plant overrides, seed)
RUNS = {
    "rule_based_steady_design": ("rule_based", "steady_design", None, 0),
    "rule_based_events": ("rule_based", _events_scenario(), {"boiler": {"soot_blow_interval_h": 1.0}}, 7),
}


def run(name: str) -> np.ndarray:
    """The trajectory of one reference run, shape (steps + 1, len(COLUMNS))."""
    controller, scenario, plant_overrides, seed = RUNS[name]
    plant = sim.config.load_plant("reference_750tpd", plant_overrides).model_dump()
    env = gym.make("WtE/Incinerator-v0", plant=plant, scenario=scenario, episode_hours=HOURS)
    df = agents.run_episode(env, agents.make_controller(controller, env), seed=seed, progress=False)
    return df[list(COLUMNS)].to_numpy(dtype=np.float64)


def path(name: str) -> Path:
    return DATA / f"{name}.npz"


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name in RUNS:
        np.savez_compressed(path(name), data=run(name), columns=np.array(COLUMNS))
        print("wrote", path(name))


if __name__ == "__main__":
    main()
