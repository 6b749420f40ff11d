"""The controller protocol and what the classic controllers share.

Every controller has a ``name``, ``reset(seed)`` and ``act(observation, info) -> action``, the
action being the environment's normalised action (``WtE/Incinerator-v0``: 9 values in [-1, 1]).
The classic controllers work in plant units: they read ``info["measurements"]`` (what a DCS
shows) and produce physical commands, which :class:`PlantController` maps to the action. The
three-element drum level loop they all keep in automatic is
:class:`sim.envs.base_layer.DrumLevelLoop`, part of the plant's base control layer.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from sim.envs.base_layer import DrumLevelLoop
from sim.envs.incinerator import to_action
from sim.units import ACTUATORS


@runtime_checkable
class Controller(Protocol):
    name: str

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray: ...


class PlantController:
    """Base of the classic controllers: knows the plant's bounds, design commands and the
    control interval; subclasses implement :meth:`commands` in physical units."""

    name = "base"

    def __init__(self, env):
        if env.action_space.shape != (len(ACTUATORS),):
            raise ValueError(f"controller {self.name!r} commands all {len(ACTUATORS)} actuators (WtE/Incinerator-v0); "
                             f"this env's action space has shape {env.action_space.shape}")
        plant = env.unwrapped.plant
        self.lower, self.upper = plant.actuator_bounds
        self.design = dict(plant.design_actuators)
        self.design_steam_t_h = plant.design_steam_t_h
        self.dt_s = env.unwrapped.control_interval_s
        self.level = DrumLevelLoop(self.design["feedwater_t_h"] - self.design_steam_t_h, self.upper[4])

    def reset(self, seed: int | None = None) -> None:
        self.level.reset()

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray:
        return to_action(self.commands(info["measurements"], info["truth"]["steam_flow_setpoint_t_h"]),
                         self.lower, self.upper)

    def commands(self, m: dict, steam_setpoint_t_h: float) -> dict[str, float]:
        raise NotImplementedError
