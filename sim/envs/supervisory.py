"""``WtE/IncineratorSupervisory-v0``: the line under its ACC base layer; the agent moves setpoints.

Three pieces, one arithmetic:

* :class:`SupervisoryLayer` -- one plant's supervisory action -> base-layer setpoints -> the
  nine-actuator action of ``WtE/Incinerator-v0``, and the observation the agent sees;
* :class:`IncineratorSupervisoryEnv` -- a :class:`gymnasium.Wrapper` over ``WtE/Incinerator-v0``
  running that layer (the registered env; its docstring is the manual);
* :class:`SupervisoryVectorEnv` -- a :class:`gymnasium.vector.VectorWrapper` over the batched
  ``WtE/Incinerator-v0`` (:class:`sim.envs.vector.IncineratorVectorEnv`) running one layer per
  plant: ``gymnasium.make_vec("WtE/IncineratorSupervisory-v0", num_envs=N,
  vectorization_mode="vector_entry_point", ...)`` equals N single supervisory envs under
  ``SyncVectorEnv`` bit for bit (both autoreset modes).

``agents.sb3.SB3Controller`` drives a plain ``WtE/Incinerator-v0`` with a supervisory policy
through the same :class:`SupervisoryLayer`.
"""
from __future__ import annotations

import inspect
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorWrapper
from gymnasium.vector.utils import batch_space

from ..units import MEASUREMENTS
from .base_layer import SETPOINTS, BaseLayer
from .incinerator import OBSERVATION_NAMES, IncineratorEnv, clip_action

__all__ = ["IncineratorSupervisoryEnv", "SupervisoryLayer", "SupervisoryVectorEnv", "make_supervisory_vector",
           "supervisory_wrapper", "SUPERVISORY_OBSERVATION_NAMES"]

_N_SP = len(SETPOINTS)
_SETPOINT_ACTION_NAMES = tuple(f"last_setpoint_action_{s}" for s in SETPOINTS)
#: Names of the observation elements of ``WtE/IncineratorSupervisory-v0``, in order (scenarios
#: without a forecast; ``env.observation_names`` is always the env's own layout).
SUPERVISORY_OBSERVATION_NAMES: tuple[str, ...] = OBSERVATION_NAMES + _SETPOINT_ACTION_NAMES
#: Keyword arguments of ``WtE/Incinerator-v0`` (what the supervisory env passes on).
_DIRECT_KEYWORDS = tuple(name for name, p in inspect.signature(IncineratorEnv).parameters.items()
                         if p.kind is p.KEYWORD_ONLY)
_SETPOINT_STEAM = "steam_flow_setpoint_t_h"  # info["truth"] key of the plant's steam-flow setpoint


class SupervisoryLayer:
    """One plant's supervisory layer: the agent's action sets the seven setpoints of the ACC base
    layer (:class:`sim.envs.base_layer.BaseLayer`), which computes the actuator action of
    ``WtE/Incinerator-v0`` from the DCS measurements.

    Built from a plant at its design point (only its design values and bounds are read).
    Per control step call :meth:`observe` with the direct env's observation and info (after
    ``reset`` and after every ``step``), then :meth:`action` with the agent's action;
    :meth:`reset` at every episode start, before :meth:`observe`.
    """

    #: Elements the layer appends to the direct env's observation (the last supervisory action).
    extra_observations = _N_SP

    def __init__(self, plant, control_interval_s: float, setpoint_authority=1.0,
                 fallback_below_degc: float | None = None):
        self.base_layer = BaseLayer(plant, control_interval_s, setpoint_authority, fallback_below_degc)
        #: The clipped supervisory action of the last step (0 after a reset), SETPOINTS order.
        self.setpoint_action = np.zeros(_N_SP)
        #: The setpoints of the last step in physical units (the defaults after a reset).
        self.setpoints = self.base_layer.default_setpoints.copy()
        self._m: dict[str, float] = {}
        self._steam_setpoint_t_h = 0.0

    def reset(self, seed: int | None = None) -> None:
        """Integrals empty, last action 0, setpoints at their defaults. ``seed`` is not used (the
        layer draws nothing); it is taken as by :class:`agents.residual.ResidualLayer`."""
        self.base_layer.reset()
        self.setpoint_action[:] = 0.0
        self.setpoints[:] = self.base_layer.default_setpoints

    def observe(self, obs: np.ndarray, info: dict) -> np.ndarray:
        """The agent's observation (float32): ``obs`` followed by the last supervisory action.
        ``info`` is the direct env's: its ``measurements`` and ``truth["steam_flow_setpoint_t_h"]``
        are what the base layer acts on at the next :meth:`action`."""
        self._m, self._steam_setpoint_t_h = info["measurements"], info["truth"][_SETPOINT_STEAM]
        return np.concatenate([np.asarray(obs, dtype=np.float32), self.setpoint_action.astype(np.float32)])

    def action(self, action) -> np.ndarray:
        """The agent's action (shape (7,), clipped to [-1, 1]; ValueError for another shape or
        NaN) -> the actuator action of ``WtE/Incinerator-v0`` (float32, 9 elements)."""
        clipped = clip_action(action, self.setpoint_action, SETPOINTS)
        sp = self.base_layer.setpoints(clipped, self.setpoints, self._m)
        return self.base_layer.action(self._m, self._steam_setpoint_t_h, sp.tolist())

    def setpoint_info(self) -> dict[str, float]:
        """``info["setpoints"]``: the setpoints of the last step by SETPOINTS name."""
        return dict(zip(SETPOINTS, self.setpoints.tolist()))

    def spaces(self, observation_space: spaces.Box) -> tuple[spaces.Box, spaces.Box]:
        """(observation, action) spaces of the agent over a direct env's ``observation_space``."""
        low = np.concatenate([observation_space.low, -np.ones(_N_SP, dtype=np.float32)])
        return spaces.Box(low, -low, dtype=np.float32), spaces.Box(-1.0, 1.0, shape=(_N_SP,), dtype=np.float32)


class IncineratorSupervisoryEnv(gym.Wrapper):
    """
    ## Description

    ``WtE/Incinerator-v0`` wrapped (:class:`gymnasium.Wrapper`) with the base PID layer of the
    automatic combustion control running underneath (:class:`sim.envs.base_layer.BaseLayer`:
    steam-flow master with its load curve, O2 trim on secondary air, furnace-temperature overrides and auxiliary burner,
    three-element drum level, SNCR urea and lime dosing on CEMS feedback with flue-gas
    feed-forward, activated carbon on feed-forward). The agent is a supervisory system: every
    ``control_interval_s`` it sets the setpoints and biases of that layer, which then computes the
    nine actuator commands from the DCS measurements. This is how plant AI systems are deployed:
    the DCS keeps the fast loops, the AI trims them.

    With the action 0 the setpoints are the classic ACC's and the trajectory is exactly (bit for
    bit) that of ``agents.rule_based`` on ``WtE/Incinerator-v0`` for the same seed: both call the
    same :meth:`BaseLayer.action`, and the commands reach the plant through the same normalised
    actuator action.

    ## Action Space

    ``Box(-1, 1, shape=(7,), float32)`` in :data:`sim.envs.base_layer.SETPOINTS` order, each mapped
    linearly as ``setpoint = default + a * half_range`` (clipped to [-1, 1] first; a wrong shape or
    NaN raises ValueError). Defaults and half-ranges (reasons in :mod:`sim.envs.base_layer`):

    | Num | Setpoint                   | Unit   | a = -1          | a = 0 (rule_based)   | a = +1          |
    |-----|----------------------------|--------|-----------------|----------------------|-----------------|
    | 0   | steam_setpoint_offset_t_h  | t/h    | -10 % design    | 0                    | +10 % design    |
    | 1   | feed_bias                  | -      | -0.2            | 0                    | +0.2            |
    | 2   | grate_bias                 | -      | -0.2            | 0                    | +0.2            |
    | 3   | primary_air_shift          | -      | -0.1            | 0                    | +0.1            |
    | 4   | o2_setpoint_wet_vol_pct    | vol %  | design - 1.5    | design (≈ 7.63)      | design + 1.5    |
    | 5   | nox_setpoint_mg_nm3        | mg/Nm3 | 50              | 150                  | 250             |
    | 6   | hcl_setpoint_mg_nm3        | mg/Nm3 | 2               | 7                    | 12              |

    The steam offset is added to the plant's steam-flow setpoint in the steam master; the feed and
    grate biases multiply the feed rate and grate speed the steam master sets by ``1 + bias``; the
    primary-air shift moves that share of the total air demand (primary + secondary, following the
    heat demand) from secondary to primary air; the O2 setpoint is the O2 trim's; the NOx and HCl setpoints are the urea and lime
    loops' (lime also takes out SO2). "design" is the plant's design point (for the steam offset,
    ±6.8 t/h on ``reference_750tpd``).

    ## Observation Space

    ``Box(float32, shape=(36,))`` (names in ``env.observation_names``; without forecast also
    :data:`SUPERVISORY_OBSERVATION_NAMES`). Elements 0-28 are those of ``WtE/Incinerator-v0``
    (see :class:`sim.envs.incinerator.IncineratorEnv`; the normalisation table is there), elements
    20-28 being the actuator action the base layer held during the last step; elements 29-35 are
    the last supervisory action. With a scenario that has a feed-moisture forecast the shape is
    ``(37,)``: the forecast is element 18 (as on ``WtE/Incinerator-v0``) and the rest move up by one.

    | Num   | Element                    | Unit   | normalisation                                     |
    |-------|----------------------------|--------|---------------------------------------------------|
    | 0-16  | DCS measurements           | (name) | (value - reference) / scale, clipped to [-10, 10]  |
    | 17    | steam_flow_setpoint_t_h    | t/h    | as the steam flow (element 0)                     |
    | (18)  | feed_moisture_forecast_pct | wt %   | (value - 48) / 5, only with a forecast            |
    | 18-19 | time_of_day_sin / _cos     | -      | sin / cos(2 pi t / 86400 s)                       |
    | 20-28 | base-layer actuator action | -      | normalised commands in [-1, 1] (reset: design)    |
    | 29-35 | last supervisory action    | -      | the clipped action in [-1, 1] (reset: 0)          |

    ``observation_noise`` adds noise to what the agent sees (elements 0-16) only; the base layer,
    like a DCS, reads the measurements themselves (CEMS noise, delay and lag included).

    ## Rewards

    Those of ``WtE/Incinerator-v0`` (:mod:`sim.envs.reward`), computed on the plant and the
    actuator commands the base layer issued; ``movement`` is the movement of the actuator action
    (elements 20-28), so actuator wear counts whether the agent or the base layer causes it.

    ## Starting State, Episode End

    As ``WtE/Incinerator-v0``; the base layer starts with empty integrals at design load on every
    reset.

    ## Info

    As ``WtE/Incinerator-v0`` (``measurements``, ``actuators``, ``truth``, ``reward_terms``,
    ``violations``, ``time_s``) plus ``setpoints``: the supervisory setpoints of the step in physical
    units (SETPOINTS names; at reset the defaults).

    ## Arguments

    As ``WtE/Incinerator-v0``: ``gymnasium.make("WtE/IncineratorSupervisory-v0",
    plant="reference_750tpd", scenario="steady_design", control_interval_s=10.0,
    episode_hours=None, reward_weights=None, observation_noise=0.0, render_mode=None,
    setpoint_authority=1.0, fallback_below_degc=None)``. ``setpoint_authority`` in (0, 1] scales the
    half-ranges of the action table (0.5: the agent moves each setpoint within half its band), or
    gives one share per setpoint in [0, 1] (0: that setpoint stays at its default) or a pair
    ``[down, up]`` of shares below and above the default (``[0.5, 0]`` on the NOx setpoint: the
    agent may tighten it, never loosen it);
    with ``fallback_below_degc`` set, a step whose last measured furnace temperature is below it
    runs the base layer at the default setpoints whatever the action (the AI hands a cold furnace
    back to the ACC; ``info["setpoints"]`` shows the defaults then). An unknown keyword raises
    TypeError, a bad value ValueError. The base layer's PI loops are tuned for a
    10-s interval (SIMC, :mod:`sim.envs.base_layer`); other intervals work but are not what the
    tuning assumed. Seeded determinism and pickling as ``WtE/Incinerator-v0``.
    ``IncineratorSupervisoryEnv(env, setpoint_authority=..., fallback_below_degc=...)`` wraps a
    ``WtE/Incinerator-v0`` that has not been stepped yet instead of building one; the batched form
    is :class:`SupervisoryVectorEnv`.

    ## Version History

    * v0: initial version.
    """
    #: The keyword arguments it takes when it builds its env (those of ``WtE/Incinerator-v0`` too).
    KEYWORDS = ("setpoint_authority", "fallback_below_degc", *_DIRECT_KEYWORDS)

    def __init__(self, env: gym.Env | None = None, setpoint_authority=1.0, fallback_below_degc: float | None = None,
                 **kwargs: Any):
        if env is None:
            unknown = sorted(set(kwargs) - set(_DIRECT_KEYWORDS))
            if unknown:
                raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s) {unknown}; expected some "
                                f"of {['setpoint_authority', 'fallback_below_degc', *_DIRECT_KEYWORDS]}")
            env = IncineratorEnv(**kwargs)
        elif kwargs:
            raise TypeError(f"{type(self).__name__}(env, ...): got keyword argument(s) {sorted(kwargs)} for an env "
                            "that is already built; expected only setpoint_authority and fallback_below_degc")
        super().__init__(env)
        direct = env.unwrapped
        self.layer = SupervisoryLayer(direct.plant, direct.control_interval_s, setpoint_authority, fallback_below_degc)
        #: The ACC base layer under the agent (:class:`sim.envs.base_layer.BaseLayer`).
        self.base_layer = self.layer.base_layer
        self.observation_space, self.action_space = self.layer.spaces(env.observation_space)
        #: Names of this env's observation elements, in order.
        self.observation_names = tuple(direct.observation_names) + _SETPOINT_ACTION_NAMES

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self.layer.reset()
        return self._observe(obs, info)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(self.layer.action(action))
        obs, info = self._observe(obs, info)
        return obs, reward, terminated, truncated, info

    def _observe(self, obs: np.ndarray, info: dict) -> tuple[np.ndarray, dict]:
        obs = self.layer.observe(obs, info)
        info["setpoints"] = self.layer.setpoint_info()
        return obs, info


def supervisory_wrapper(env: gym.Env) -> IncineratorSupervisoryEnv | None:
    """The :class:`IncineratorSupervisoryEnv` in ``env``'s wrapper chain, or None (a direct env)."""
    while isinstance(env, gym.Wrapper):
        if isinstance(env, IncineratorSupervisoryEnv):
            return env
        env = env.env
    return None


class SupervisoryVectorEnv(VectorWrapper):
    """The batched ``WtE/Incinerator-v0`` (:class:`sim.envs.vector.IncineratorVectorEnv`, either
    autoreset mode) with one :class:`SupervisoryLayer` per plant: spaces, observations, rewards,
    terminations, truncations and infos (``setpoints`` included, in the SyncVectorEnv layout) are
    bit for bit those of ``num_envs`` :class:`IncineratorSupervisoryEnv` under ``SyncVectorEnv``
    with the same seeds and actions. ``actions``: shape ``(num_envs, 7)``; the action of a plant
    that the batch resets on this step (``NEXT_STEP`` autoreset) is ignored, unchecked.

    Build it with ``gymnasium.make_vec("WtE/IncineratorSupervisory-v0", num_envs=N,
    vectorization_mode="vector_entry_point", **kwargs)`` (:func:`make_supervisory_vector`), or
    wrap a batched env that has not been stepped yet: ``SupervisoryVectorEnv(envs,
    setpoint_authority=..., fallback_below_degc=...)``.
    """

    def __init__(self, env, setpoint_authority=1.0, fallback_below_degc: float | None = None):
        super().__init__(env)
        design = env.unwrapped.design_plant  # a plant of the batch's config (design values and bounds)
        n = self.num_envs
        self.layers = [SupervisoryLayer(design, env.unwrapped.control_interval_s, setpoint_authority,
                                        fallback_below_degc) for _ in range(n)]
        self.single_observation_space, self.single_action_space = self.layers[0].spaces(env.single_observation_space)
        self.observation_space = batch_space(self.single_observation_space, n)
        self.action_space = batch_space(self.single_action_space, n)
        self.observation_names = tuple(env.unwrapped.observation_names) + _SETPOINT_ACTION_NAMES
        self._same_step = env.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
        self._resetting = np.zeros(n, dtype=bool)  # NEXT_STEP: plants the batch resets on the next step
        self._actions = np.zeros((n,) + env.single_action_space.shape, dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        obs, infos = self.env.reset(seed=seed, options=options)
        for layer in self.layers:
            layer.reset()
        self._resetting[:] = False
        return self._observe(obs, infos)

    def step(self, actions):
        a = np.asarray(actions)
        if a.shape != self.action_space.shape:
            raise ValueError(f"actions: expected shape {self.action_space.shape} (num_envs, {list(SETPOINTS)}), "
                             f"got {a.shape}")
        for i, layer in enumerate(self.layers):
            if not self._resetting[i]:
                self._actions[i] = layer.action(a[i])
        obs, rewards, terminated, truncated, infos = self.env.step(self._actions)
        done = terminated | truncated
        if self._same_step and done.any():
            final_obs = infos["final_obs"]
            for i in np.flatnonzero(done):
                final_obs[i] = np.concatenate([final_obs[i], self.layers[i].setpoint_action.astype(np.float32)])
            infos["final_info"].update(self._setpoint_group(done))
            reset = done
        else:
            reset = self._resetting
            self._resetting = done
        for i in np.flatnonzero(reset):
            self.layers[i].reset()
        obs, infos = self._observe(obs, infos)
        return obs, rewards, terminated, truncated, infos

    def _observe(self, obs: np.ndarray, infos: dict) -> tuple[np.ndarray, dict]:
        m = np.column_stack([infos["measurements"][name] for name in MEASUREMENTS]).tolist()
        steam_sp = infos["truth"][_SETPOINT_STEAM].tolist()
        out = np.stack([layer.observe(obs[i], {"measurements": dict(zip(MEASUREMENTS, m[i])),
                                               "truth": {_SETPOINT_STEAM: steam_sp[i]}})
                        for i, layer in enumerate(self.layers)])
        infos.update(self._setpoint_group(np.ones(self.num_envs, dtype=bool)))
        return out, infos

    def _setpoint_group(self, rows: np.ndarray) -> dict[str, Any]:
        """``setpoints`` in the SyncVectorEnv info layout for the plants ``rows`` (others 0)."""
        values = np.array([layer.setpoints for layer in self.layers]) * rows[:, None]
        group: dict[str, Any] = {}
        for k, name in enumerate(SETPOINTS):
            group[name], group[f"_{name}"] = values[:, k], rows.copy()
        return {"setpoints": group, "_setpoints": rows.copy()}


def make_supervisory_vector(num_envs: int, setpoint_authority=1.0, fallback_below_degc: float | None = None,
                            **kwargs: Any) -> SupervisoryVectorEnv:
    """Vector entry point of ``WtE/IncineratorSupervisory-v0``: ``kwargs`` as
    :class:`sim.envs.vector.IncineratorVectorEnv` (plus ``autoreset_mode``)."""
    from .vector import IncineratorVectorEnv

    return SupervisoryVectorEnv(IncineratorVectorEnv(num_envs, **kwargs), setpoint_authority, fallback_below_degc)
