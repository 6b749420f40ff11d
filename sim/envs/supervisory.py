"""``WtE/IncineratorSupervisory-v0``: the line under its ACC base layer; the agent moves setpoints."""
from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .base_layer import SETPOINTS, BaseLayer
from .incinerator import OBSERVATION_NAMES, IncineratorEnv, clip_action

__all__ = ["IncineratorSupervisoryEnv", "SUPERVISORY_OBSERVATION_NAMES"]

_N_SP = len(SETPOINTS)
_SETPOINT_ACTION_NAMES = tuple(f"last_setpoint_action_{s}" for s in SETPOINTS)
#: Names of the observation elements of ``WtE/IncineratorSupervisory-v0``, in order (scenarios
#: without a forecast; ``env.observation_names`` is always the env's own layout).
SUPERVISORY_OBSERVATION_NAMES: tuple[str, ...] = OBSERVATION_NAMES + _SETPOINT_ACTION_NAMES


class IncineratorSupervisoryEnv(IncineratorEnv):
    """
    ## Description

    The plant of ``WtE/Incinerator-v0`` with the base PID layer of the automatic combustion control
    running underneath (:class:`sim.envs.base_layer.BaseLayer`: steam-flow master with its load
    curve, O2 trim on secondary air, furnace-temperature overrides and auxiliary burner,
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

    ## Version History

    * v0: initial version.
    """

    def __init__(self, setpoint_authority=1.0, fallback_below_degc: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.base_layer = BaseLayer(self.plant, self.control_interval_s, setpoint_authority, fallback_below_degc)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(_N_SP,), dtype=np.float32)
        self.observation_space = self._observation_box(_N_SP)
        self.observation_names = self.observation_names + _SETPOINT_ACTION_NAMES
        self._setpoint_action = np.zeros(_N_SP)  # clipped supervisory action of the last step
        self._setpoints = self.base_layer.default_setpoints.copy()  # ... in physical units

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.base_layer.reset()
        self._setpoint_action[:] = 0.0
        self._setpoints[:] = self.base_layer.default_setpoints
        return super().reset(seed=seed, options=options)

    def step(self, action):
        sp = self.base_layer.setpoints(clip_action(action, self._setpoint_action, SETPOINTS), self._setpoints, self._m)
        self._action[:] = self.base_layer.action(self._m, self.plant.steam_setpoint_t_h, sp.tolist())
        return self._step_actuators(self._action)

    def _observation(self, obs: np.ndarray) -> np.ndarray:
        obs[-_N_SP:] = self._setpoint_action
        return obs

    def _make_info(self) -> dict[str, Any]:
        info = super()._make_info()
        info["setpoints"] = dict(zip(SETPOINTS, self._setpoints.tolist()))
        return info
