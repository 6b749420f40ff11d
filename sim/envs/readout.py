"""What an environment returns after a control step, formed in one compiled call per plant.

:func:`env_readout` takes plant ``i`` of a :class:`sim.state.PlantState` and writes its
measurements and hidden truth (:func:`sim.readout.measure`, :func:`sim.readout.truth`: the same
kernels ``sim.Plant`` reads), the reward terms (:func:`sim.envs.reward.reward_kernel`) and the
observation, and returns (reward, terminated, truncated). ``WtE/Incinerator-v0`` calls it once per
step, the batched env (:mod:`sim.envs.vector`) for every plant of its batch, so single and batched
envs agree by construction.

Array layouts: ``mv`` in :data:`sim.units.MEASUREMENTS` order, ``tv`` in :data:`sim.units.TRUTH`
order, ``rv`` in :data:`sim.envs.reward.TERMS` order; ``w`` holds the reward weights and prices in
:data:`sim.envs.reward.WEIGHT_FIELDS` order; ``ec`` is an :class:`EnvConstants`.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .. import readout
from ..state import TRIP_NONE
from ..units import ACTUATORS, MEASUREMENTS
from .reward import reward_kernel

__all__ = ["env_readout", "EnvConstants", "OBS_CLIP", "DAY_S"]

#: Normalised observation channels are clipped to [-OBS_CLIP, OBS_CLIP].
OBS_CLIP = 10.0
#: Length of the day of the time-of-day observation [s].
DAY_S = 86400.0
N_MEAS, N_ACT = len(MEASUREMENTS), len(ACTUATORS)
#: Constants of an environment: the design net power [MW] (normalises the reward), the episode
#: length [s], the observation noise [channel scales], and the normalisation of the observed
#: channels (``(value - ref) * inv_scale``).
EnvConstants = namedtuple("EnvConstants", ["design_net_power_mw", "episode_s", "noise_std", "ref", "inv_scale"])


@njit(cache=True)
def env_readout(stepped, s, i, rp, ec, cmd, act, last, normals, w, mv, tv, rv, obs, diff):
    """Fill ``mv``, ``tv``, ``rv`` and ``obs[:n_norm + 2 + N_ACT]`` of plant ``i``; return
    (reward, terminated, truncated).

    ``stepped``: after a control step (reward terms from ``cmd``, the physical commands held,
    ``act`` and ``last``, this and the previous normalised action; ``last`` then becomes ``act``)
    or after a reset (terms and reward 0, not terminated nor truncated); the plant's outputs are
    fresh then (``Plant.advance`` and the start state refresh them). ``rp``: the model's
    :class:`sim.readout.ReadoutParams` (a step never starts tripped: the envs refuse it, so a
    trip in the step is the episode's one trip); ``normals``: the observation-noise draws (``N_MEAS`` of them, read only when the noise is
    > 0); ``diff``: scratch of length ``N_ACT``.
    """
    r = s.plant[i]
    now = r.now_s
    readout.measure(s, i, rp, mv)
    readout.truth(s, i, rp, tv)
    setpoint = r.steam_setpoint_t_h
    reward, terminated, truncated = 0.0, False, False
    if stepped:
        tripped = r.trip != TRIP_NONE
        reward = reward_kernel(mv, cmd, act, last, setpoint, ec.design_net_power_mw, tripped, w, rv, diff)
        for k in range(N_ACT):
            last[k] = act[k]
        terminated = tripped
        truncated = now >= ec.episode_s - 1e-6
    else:
        rv[:] = 0.0
    # Observation: normalised channels, time of day, last action.
    ref, inv_scale = ec.ref, ec.inv_scale
    n_norm = ref.shape[0]
    v = np.empty(n_norm)
    for k in range(N_MEAS):
        v[k] = mv[k]
    v[N_MEAS] = setpoint
    if rp.has_forecast:
        f = readout.upcoming_mean(s, i, s.moisture_est_pct[i], rp.forecast_horizon_min)
        v[N_MEAS + 1] = f if f == f else ref[N_MEAS + 1]
    for k in range(n_norm):
        v[k] = (v[k] - ref[k]) * inv_scale[k]
    if ec.noise_std > 0.0:
        for k in range(N_MEAS):
            v[k] += ec.noise_std * normals[k]
    for k in range(n_norm):
        obs[k] = max(min(v[k], OBS_CLIP), -OBS_CLIP)
    phase = 2.0 * math.pi * now / DAY_S
    obs[n_norm] = math.sin(phase)
    obs[n_norm + 1] = math.cos(phase)
    for k in range(N_ACT):
        obs[n_norm + 2 + k] = last[k]
    return reward, terminated, truncated
