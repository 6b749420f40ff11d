"""What a controller would have seen at each moment of a log (shared by shadow mode and the
offline-dataset export).

:func:`logged_view` gives, on the log's grid: every measurement (logged, gaps held, a channel the
log lacks at the plant's design value), every command (likewise), and the observation vector of
``WtE/Incinerator-v0`` built as the environment builds it (normalised channels incl. the
steam-flow setpoint, local time of day, the previous step's command as the last action). Each
substitution is listed in ``notes``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.envs.incinerator import OBS_CLIP, observation_normalisation, to_action
from sim.plant import Plant
from sim.units import ACTUATORS, MEASUREMENTS

from .log import PlantLog

_DAY_S = 86400.0


@dataclass
class LoggedView:
    measurements: pd.DataFrame
    commands: pd.DataFrame
    actions: np.ndarray        # normalised logged commands, float32 (grid x ACTUATORS)
    observations: np.ndarray   # float32 (grid x observation size)
    steam_setpoint_t_h: float


def _filled(log: PlantLog, names, design: dict[str, float], kind: str, notes: list[str]) -> pd.DataFrame:
    out = {}
    for c in names:
        if c in log.data:
            out[c] = log.data[c].ffill().fillna(design[c])
        else:
            out[c] = pd.Series(design[c], index=log.data.index)
            notes.append(f"{kind} {c} not in the log: the design value {design[c]:.4g} stands in")
    return pd.DataFrame(out, index=log.data.index)


def logged_view(log: PlantLog, plant: Plant, notes: list[str], steam_setpoint_t_h: float | None = None) -> LoggedView:
    """The log as a controller sees it (see the module docstring); ``plant`` gives design values,
    bounds and the observation normalisation."""
    lower, upper = plant.actuator_bounds
    meas = _filled(log, MEASUREMENTS, plant.measurements, "measurement", notes)
    cmds = _filled(log, ACTUATORS, plant.design_actuators, "command", notes)
    setpoint = float(steam_setpoint_t_h or plant.steam_setpoint_t_h)
    actions = np.stack([to_action(dict(zip(ACTUATORS, row)), lower, upper) for row in cmds.to_numpy()])
    ref, scale = observation_normalisation(plant)
    norm = (np.column_stack([meas.to_numpy(), np.full(len(meas), setpoint)]) - ref) / scale
    local = log.local_index
    phase = 2.0 * math.pi * (local - local.normalize()).total_seconds().to_numpy() / _DAY_S
    previous = np.vstack([actions[:1], actions[:-1]])
    obs = np.column_stack([np.clip(norm, -OBS_CLIP, OBS_CLIP), np.sin(phase), np.cos(phase), previous])
    return LoggedView(meas, cmds, actions, obs.astype(np.float32), setpoint)
