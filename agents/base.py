"""The controller protocol and what the classic controllers share.

Every controller has a ``name``, ``reset(seed)`` and ``act(observation, info) -> action``, the
action being the environment's normalised action (``WtE/Incinerator-v0``: 9 values in [-1, 1]).
The classic controllers work in plant units: they read ``info["measurements"]`` (what a DCS
shows) and produce physical commands, which :class:`PlantController` maps to the action.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from sim.envs.incinerator import to_action

from .pid import PI, simc_integrating


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


class DrumLevelLoop:
    """Three-element drum level control (domain.md §3): feedwater = measured steam flow
    (feed-forward) + PI on the level. The level is an integrating process:
    1 t/h of imbalance moves it 1000/3600 / (rho_w A) = 0.032 mm/s in the reference drum
    (rho_w 780 kg/m3, A 11 m2); dead time ~10 s; SIMC with tau_c = 120 s. The PI's integral
    also carries the steam the air preheater takes, which no flow meter shows."""

    SLOPE_MM_PER_S_PER_T_H = 0.032
    DEAD_TIME_S, TAU_C_S = 10.0, 120.0

    def __init__(self, bias_t_h: float, max_t_h: float):
        kc, ti = simc_integrating(self.SLOPE_MM_PER_S_PER_T_H, self.DEAD_TIME_S, self.TAU_C_S)
        self.pi = PI(kc=kc, ti_s=ti, lo=0.0, hi=max_t_h, bias=bias_t_h)
        self._bias0 = bias_t_h

    def reset(self) -> None:
        self.pi.reset(self._bias0)

    def feedwater_t_h(self, m: dict, dt_s: float) -> float:
        return self.pi.update(-m["drum_level_mm"], dt_s, feedforward=m["steam_flow_t_h"])
