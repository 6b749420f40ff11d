"""Open-loop replay: drive the plant with the logged commands and compare its measurements.

At every grid step the plant receives the logged commands (held over the step, as the DCS held
them) and advances one step; its measurements are then compared with the logged ones
(:mod:`~sim.replay.metrics`). What the log lacks is said in ``result.notes``:

- a command the log does not carry stays at the plant's design value;
- a command missing inside the log (gap) holds its last value;
- commands outside the plant's actuator bounds are clipped (counted);
- the **feedwater** is by default *not* replayed: the drum level integrates any small
  steam/feedwater imbalance, so a replayed feedwater drifts the level into a trip within an hour.
  A three-element level loop (:class:`sim.envs.base_layer.DrumLevelLoop`) makes the simulated level follow
  the logged one instead (``level_loop=False`` replays the logged feedwater);
- the waste the plant burns comes from ``scenario``: by default the design scenario with its
  random variation switched off (the expected waste); ``scenario="from_log:DIR"`` burns the waste
  estimated from the log (:mod:`~sim.replay.estimate`).

The simulation starts from the plant's design steady state (``warmup_s`` first runs the log's
first commands for that long, for logs that start far from design).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.envs.base_layer import DrumLevelLoop
from sim.config import load_plant, load_scenario
from sim.plant import Plant
from sim.units import ACTUATORS, MEASUREMENTS

from .log import PlantLog
from .metrics import compare
from .params import overrides

#: The expected waste: the design scenario without random variation.
EXPECTED_WASTE = {"waste": {"moisture_grab_std_pct": 0.0, "ash_grab_std_pct": 0.0, "mixing_noise_std_pct": 0.0,
                            "moisture_wave_amplitude_pct": 0.0}}
#: Channels the calibration and the headline comparison look at.
KEY_CHANNELS = ("steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc")


@dataclass
class OpenLoopResult:
    """Simulated measurements on the log's grid, their agreement, and what could not be done."""

    simulated: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    notes: list[str] = field(default_factory=list)
    trip: str | None = None

    def summary(self) -> dict:
        return {"metrics": self.metrics, "notes": self.notes, "trip": self.trip}


def build_plant(plant="reference_750tpd", scenario=None, parameters: dict | None = None, seed: int = 0):
    """A plant for replay with calibration ``parameters`` applied; returns (plant, command gains)."""
    base_scenario = load_scenario("steady_design", EXPECTED_WASTE) if scenario is None else load_scenario(scenario)
    plant_over, scen_over, gains = overrides(parameters or {}, base_scenario)
    cfg = load_plant(plant)
    if plant_over:  # overrides apply to data, not to a built config object
        cfg = load_plant(cfg.model_dump(mode="json"), plant_over)
    scen = load_scenario(base_scenario.model_dump(mode="json"), scen_over) if scen_over else base_scenario
    return Plant(cfg, scen, seed), gains


def command_matrix(log: PlantLog, plant: Plant, gains: dict[str, float], notes: list[str]) -> np.ndarray:
    """Logged commands x their gains as an array (grid x ACTUATORS), gaps held, absent ones at
    design, clipped to the actuator bounds."""
    lower, upper = plant.actuator_bounds
    u = np.empty((len(log.data), len(ACTUATORS)))
    for i, a in enumerate(ACTUATORS):
        if a not in log.data:
            u[:, i] = plant.design_actuators[a]
            notes.append(f"command {a} not in the log: held at the design value {plant.design_actuators[a]:.4g}")
            continue
        col = log.data[a].ffill().fillna(plant.design_actuators[a]).to_numpy(float)
        n_gap = int(log.data[a].isna().sum())
        if n_gap:
            notes.append(f"command {a}: {n_gap} empty grid points held at the last logged value")
        col = col * gains.get(a, 1.0)
        clipped = int(((col < lower[i]) | (col > upper[i])).sum())
        if clipped:
            notes.append(f"command {a}: {clipped} values outside [{lower[i]:g}, {upper[i]:g}] clipped")
        u[:, i] = np.clip(col, lower[i], upper[i])
    return u


def replay(log: PlantLog, plant="reference_750tpd", scenario=None, parameters: dict | None = None, seed: int = 0,
           level_loop: bool = True, warmup_s: float = 0.0, progress: bool = False) -> OpenLoopResult:
    """Open-loop replay of ``log`` (see the module docstring)."""
    p, gains = build_plant(plant, scenario, parameters, seed)
    notes: list[str] = []
    u = command_matrix(log, p, gains, notes)
    fw = ACTUATORS.index("feedwater_t_h")
    level = None
    if level_loop:
        level = DrumLevelLoop(p.design_actuators["feedwater_t_h"] - p.design_steam_t_h, p.actuator_bounds[1][fw])
        notes.append("feedwater by the three-element level loop on the logged level (drum level not scored)")
    logged_level = log.data["drum_level_mm"].ffill().fillna(0.0).to_numpy() if "drum_level_mm" in log.data else None
    if level_loop and logged_level is None:
        logged_level = np.zeros(len(log.data))
        notes.append("drum level not in the log: the level loop holds the normal level")
    step = log.step_s
    if warmup_s > 0:
        p.set_actuator_array(u[0])
        p.advance(warmup_s)
    sim = np.full((len(log.data), len(MEASUREMENTS)), np.nan)
    m = p.measurements
    sim[0] = [m[c] for c in MEASUREMENTS]
    for k in tqdm(range(len(log.data) - 1), desc="open-loop", unit="step", disable=not progress, leave=False):
        if level is not None:
            u[k, fw] = level.feedwater_t_h({"drum_level_mm": m["drum_level_mm"] - logged_level[k],
                                            "steam_flow_t_h": m["steam_flow_t_h"]}, step)
        p.set_actuator_array(u[k])
        p.advance(step)
        if p.trip is not None:
            notes.append(f"the simulated plant tripped at {p.time_s:.0f} s ({p.trip}); comparison ends there")
            break
        m = p.measurements
        sim[k + 1] = [m[c] for c in MEASUREMENTS]
    simulated = pd.DataFrame(sim, columns=list(MEASUREMENTS), index=log.data.index)
    metrics = {}
    for c in log.measurements:
        if level_loop and c == "drum_level_mm":
            continue
        metrics[c] = compare(log.data[c].to_numpy(), simulated[c].to_numpy(), step)
    absent = [c for c in MEASUREMENTS if c not in log.data]
    if absent:
        notes.append(f"not in the log, not compared: {', '.join(absent)}")
    return OpenLoopResult(simulated=simulated, metrics=metrics, notes=notes, trip=p.trip)
