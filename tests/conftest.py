"""Shared fixtures: a quiet scenario and a drum-level hold for open-loop plant tests."""
from __future__ import annotations

import numpy as np
import pytest

import sim

#: Waste with no variation, for step responses that must not be masked by disturbances.
QUIET = {"waste": {"moisture_grab_std_pct": 0.0, "ash_grab_std_pct": 0.0, "mixing_noise_std_pct": 0.0,
                   "moisture_wave_amplitude_pct": 0.0}}


class LevelHold:
    """Feedwater PI on drum level with steam-flow feed-forward (a minimal three-element loop),
    so that open-loop combustion tests do not trip on the drum level."""

    def __init__(self, plant: sim.Plant, kp_t_h_per_mm: float = 0.05, ti_s: float = 300.0):
        self.plant, self.kp, self.ti, self.integral = plant, kp_t_h_per_mm, ti_s, 0.0
        self.bias = plant.design_actuators["feedwater_t_h"] - plant.measurements["steam_flow_t_h"]

    def __call__(self, dt_s: float) -> None:
        m = self.plant.measurements
        err = -m["drum_level_mm"]
        self.integral += err * dt_s / self.ti
        fw = m["steam_flow_t_h"] + self.bias + self.kp * (err + self.integral)
        self.plant.set_actuators({"feedwater_t_h": float(np.clip(fw, 0.0, 110.0))})


def run(plant: sim.Plant, seconds: float, hold: LevelHold | None = None, every_s: float = 10.0,
        channels=("steam_flow_t_h",)) -> dict[str, np.ndarray]:
    """Advance in steps of every_s, holding the level; return time and the channels sampled."""
    n = int(round(seconds / every_s))
    out = {c: np.empty(n) for c in channels}
    out["time_s"] = np.empty(n)
    for k in range(n):
        if hold is not None:
            hold(every_s)
        plant.advance(every_s)
        m = plant.measurements
        t = plant.truth
        for c in channels:
            out[c][k] = m[c] if c in m else t[c]
        out["time_s"][k] = plant.time_s
    return out


@pytest.fixture
def quiet_plant():
    return sim.Plant.from_config(seed=0, scenario_overrides=QUIET)
