"""``rule_based``: the classic automatic combustion control (ACC) of a grate line (docs/physics.md §12).

The ACC is the plant's base PID layer with its setpoints fixed at their classic values: steam-flow
master with the load curve, O2 trim, furnace-temperature overrides and auxiliary burner,
three-element drum level, urea/lime/carbon dosing. The loops, their models and their SIMC tuning
are documented in :mod:`sim.envs.base_layer`, the one implementation that this controller and
``WtE/IncineratorSupervisory-v0`` share (it lives in :mod:`sim` because the supervisory env is
built from it; :mod:`sim` never imports :mod:`agents`).

- On ``WtE/Incinerator-v0`` the controller runs the layer itself every step, with the default
  setpoints (steam offset 0, no feed/grate bias, no air shift, design O2, NOx 150 and HCl
  7 mg/Nm3), and sends its commands as the normalised actuator action.
- On ``WtE/IncineratorSupervisory-v0`` the env already runs the layer; the classic ACC is then the
  supervisory action 0 (all setpoints at their defaults), and the trajectory is bit for bit the one
  on ``WtE/Incinerator-v0``.
"""
from __future__ import annotations

import numpy as np

from sim.envs.base_layer import SETPOINTS, BaseLayer
from sim.envs.supervisory import supervisory_wrapper


class RuleBasedACC:
    """The classic ACC as a controller (protocol of :mod:`agents.base`)."""

    name = "rule_based"

    def __init__(self, env):
        base = env.unwrapped
        self.supervisory = supervisory_wrapper(env) is not None
        self.layer = None if self.supervisory else BaseLayer(base.plant, base.control_interval_s)
        self.setpoints = None if self.supervisory else self.layer.default_setpoints.tolist()

    def reset(self, seed: int | None = None) -> None:
        if self.layer is not None:
            self.layer.reset()

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray:
        if self.supervisory:
            return np.zeros(len(SETPOINTS), dtype=np.float32)
        return self.layer.action(info["measurements"], info["truth"]["steam_flow_setpoint_t_h"], self.setpoints)
