"""Residual learning: a policy adds bounded corrections to a classic controller.

This is how AI combustion control is usually introduced at plants: the proven automatic control
keeps running and the learned layer only trims some of its outputs, within narrow limits, so that a
zero (or poor) correction still leaves a working plant.

On ``WtE/Incinerator-v0`` (9 normalised actuator commands in [-1, 1], :data:`sim.units.ACTUATORS`
order) at every control step:

* the base controller (default ``rule_based``) computes its action ``b`` from the observation and
  ``info`` as usual;
* the policy sees the env's observation followed by ``b`` (9 more elements in [-1, 1]), so it
  knows what the base layer is about to do;
* the policy's action ``r`` has one element per corrected actuator, in [-1, 1]; the env receives
  ``b`` with ``b[i] + scale * r[j]`` on the corrected actuators ``i``, clipped to [-1, 1].
  ``scale`` is the largest correction as a share of the actuator's half range: with 0.1 the feed
  rate (0-45 t/h) moves by at most ±2.25 t/h around the ACC's command.

:class:`ResidualLayer` holds that arithmetic; :class:`ResidualWrapper` makes it a Gymnasium env
for training, and :class:`agents.sb3.SB3Controller` uses the same layer when a residual policy
controls a plain ``WtE/Incinerator-v0``.
"""
from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sim.units import ACTUATORS

#: Actuators corrected by default: the feed and air loops (the water loop and the flue-gas
#: treatment stay with the base controller).
DEFAULT_ACTUATORS: tuple[str, ...] = ("feed_rate_t_h", "grate_speed_pct", "primary_air_nm3_h", "secondary_air_nm3_h")


class ResidualLayer:
    """Base controller plus bounded corrections on ``actuators`` (see the module docstring).

    ``observe(obs, info)`` must be called once per control step, before ``action(r)``: it runs
    the base controller (whose integrators advance with each call) and returns the policy's
    observation.
    """

    def __init__(self, env, base: str = "rule_based", actuators: Sequence[str] = DEFAULT_ACTUATORS,
                 scale: float = 0.1):
        from . import make_controller  # the registry imports this module's users lazily

        unknown = [a for a in actuators if a not in ACTUATORS]
        if unknown or not actuators or len(set(actuators)) != len(actuators):
            raise ValueError(f"residual actuators={list(actuators)!r}: expected distinct names from {list(ACTUATORS)}")
        if not 0.0 < scale <= 1.0:
            raise ValueError(f"residual scale={scale!r}: expected a share of the half range in (0, 1]")
        self.base = make_controller(base, env)
        self.extra_observations = len(ACTUATORS)
        self.index = np.array([ACTUATORS.index(a) for a in actuators])
        self.scale = float(scale)
        self._base_action = np.zeros(len(ACTUATORS), dtype=np.float32)

    def reset(self, seed: int | None = None) -> None:
        self.base.reset(seed)

    def observe(self, obs: np.ndarray, info: dict) -> np.ndarray:
        """The policy's observation: ``obs`` followed by the base controller's action (float32)."""
        self._base_action = np.asarray(self.base.act(obs, info), dtype=np.float32)
        return np.concatenate([np.asarray(obs, dtype=np.float32), self._base_action])

    def action(self, correction: np.ndarray) -> np.ndarray:
        """The env action: the last base action with ``scale * correction`` added, clipped."""
        a = self._base_action.copy()
        a[self.index] += self.scale * np.clip(np.asarray(correction, dtype=np.float32), -1.0, 1.0)
        return np.clip(a, -1.0, 1.0)

    def spaces(self, observation_space: spaces.Box) -> tuple[spaces.Box, spaces.Box]:
        """(observation, action) spaces of the policy for an env with ``observation_space``."""
        n = len(ACTUATORS)
        low = np.concatenate([observation_space.low, -np.ones(n)]).astype(np.float32)
        high = np.concatenate([observation_space.high, np.ones(n)]).astype(np.float32)
        act = spaces.Box(-1.0, 1.0, shape=(len(self.index),), dtype=np.float32)
        return spaces.Box(low, high, dtype=np.float32), act


class ResidualWrapper(gym.Wrapper):
    """``WtE/Incinerator-v0`` seen by a residual policy (spaces and arithmetic: module docstring).

    Rewards, termination and ``info`` are the wrapped env's.
    """

    def __init__(self, env: gym.Env, base: str = "rule_based", actuators: Sequence[str] = DEFAULT_ACTUATORS,
                 scale: float = 0.1):
        super().__init__(env)
        self.layer = ResidualLayer(env, base, actuators, scale)
        self.observation_space, self.action_space = self.layer.spaces(env.observation_space)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self.layer.reset(seed)
        return self.layer.observe(obs, info), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(self.layer.action(action))
        return self.layer.observe(obs, info), reward, terminated, truncated, info
