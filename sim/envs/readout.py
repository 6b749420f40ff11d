"""What an environment returns after a control step, formed in one compiled call per plant.

:func:`readout` takes one plant's arrays and writes its measurements, hidden truth, reward terms
and observation, and returns (reward, terminated, truncated). ``WtE/Incinerator-v0`` (and the
supervisory env) call it once per step; the batched env (:mod:`sim.envs.vector`) calls it for
every plant of its batch, so single and batched envs agree by construction. The operations are
those of the readable Python definitions, in their order (numpy's pairwise summation included),
so the values are bit for bit theirs: :attr:`sim.Plant.measurements`, :attr:`sim.Plant.truth`,
:func:`sim.envs.reward.reward_terms` and the observation table of
:class:`sim.envs.incinerator.IncineratorEnv` (``tests/test_envs.py`` checks the equality).

Array layouts: ``m`` in :data:`sim.units.MEASUREMENTS` order, ``t`` in :data:`sim.units.TRUTH`
order, ``r`` in :data:`sim.envs.reward.TERMS` order; ``w`` holds the reward weights and prices in
:data:`WEIGHT_FIELDS` order; ``consts`` is :func:`readout_constants`.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import core
from ..subsystems import stack, turbine
from ..subsystems.grate import CHAR
from ..subsystems.waste import AUX_FUEL_LHV_J_KG, LATENT_HEAT_25C_J_KG
from ..units import ACTUATORS, MEASUREMENTS, NM3_PER_KMOL, TRUTH
from .reward import EMISSION_LIMITS_1H_MG_NM3, FURNACE_MIN_TEMP_DEGC, TERMS

__all__ = ["readout", "readout_entry", "readout_constants", "OBS_CLIP", "DAY_S", "WEIGHT_FIELDS"]

#: Normalised observation channels are clipped to [-OBS_CLIP, OBS_CLIP].
OBS_CLIP = 10.0
#: Length of the day of the time-of-day observation [s].
DAY_S = 86400.0
#: RewardWeights fields in the order of the ``w`` array.
WEIGHT_FIELDS = TERMS + ("urea_cny_per_kg", "lime_cny_per_kg", "carbon_cny_per_kg", "aux_fuel_cny_per_kg",
                         "electricity_cny_per_kwh")
N_MEAS, N_ACT, N_TERMS, N_TRUTH = len(MEASUREMENTS), len(ACTUATORS), len(TERMS), len(TRUTH)
#: Pollutants judged against their GB 18485 1-h limits (reward and info), their MEASUREMENTS
#: indices and limits [mg/Nm3, dry, 11 % O2].
POLLUTANTS = tuple(EMISSION_LIMITS_1H_MG_NM3)
POLLUTANT_INDEX = np.array([MEASUREMENTS.index(f"{p}_mg_nm3") for p in POLLUTANTS])
LIMITS_1H_MG_NM3 = np.array([EMISSION_LIMITS_1H_MG_NM3[p] for p in POLLUTANTS])
_INV_LIMITS = 1.0 / LIMITS_1H_MG_NM3
_I_UREA, _I_LIME, _I_CARBON, _I_AUX = (ACTUATORS.index(a) for a in ("urea_kg_h", "lime_kg_h", "carbon_kg_h",
                                                                     "aux_burner_mw"))


def readout_constants(plant, design_net_power_mw: float, episode_s: float, observation_noise: float) -> tuple:
    """The ``consts`` tuple of :func:`readout` for a plant (any plant of the same config and scenario)."""
    fuel, bp, fc = plant._b.fuel, plant._b.boiler_params, plant.scenario.forecast
    return (float(plant._hopper_area_density), float(fuel.hhv_daf_j_kg), float(fuel.h_daf),
            float(bp.feedwater_h_j_kg), float(design_net_power_mw), float(episode_s), float(observation_noise),
            float(fc.horizon_min) if fc is not None else 0.0, fc is not None)


@njit(cache=True)
def pairwise_sum(a):
    """``a.sum()`` of a 1-D float64 array of at most 128 elements, in numpy's order (pairwise
    with eight accumulators), so sums match numpy bit for bit."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r = a[:8].copy()
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += a[i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[i]
        i += 1
    return res


@njit(cache=True)
def upcoming_mean(x, hopper, per_slot, horizon_min):
    """``Plant._upcoming_mean``."""
    left_kg = x[core.A_FEED] / 3.6 * horizon_min * 60.0
    head, count = int(x[core.X_HOP_HEAD]), int(x[core.X_HOP_COUNT])
    total_kg = 0.0
    weighted = 0.0
    for i in range(count):
        slot = (head + i) % core.HOPPER_SLOTS
        part = min(hopper[slot, 0], left_kg) if i else hopper[slot, 0]
        if i and part <= 0.0:
            break
        total_kg += part
        weighted += part * per_slot[slot]
        left_kg -= part
    return weighted / total_kg if total_kg > 0.0 else math.nan


@njit(cache=True)
def readout(stepped, x, y, now, tc_start, tc_rate, setpoint, bed, hopper, est, st, pw, rd, cmd, act, last,
            trip_before, normals, consts, w, ref, inv_scale, m, t, r, obs, diff):
    """Fill ``m``, ``t``, ``r`` and ``obs[:n_norm + 2 + N_ACT]`` of one plant; return
    (reward, terminated, truncated).

    ``stepped``: after a control step (reward terms from ``cmd``, the physical commands held,
    ``act`` and ``last``, this and the previous normalised action; ``last`` then becomes ``act``)
    or after a reset (terms and reward 0, not terminated nor truncated). ``x, y, bed, hopper``:
    the core state (:mod:`sim.core`); ``now``: plant time [s]; ``tc_start``/``tc_rate``:
    thermocouple drift start [s] (NaN: none) and rate [K/h]; ``setpoint``: steam-flow setpoint
    [t/h]; ``est``: crane-imaging moisture per hopper slot; ``st``/``pw``: stack and power
    outputs (``Plant._outputs``); ``rd``: CEMS reading; ``trip_before``: the plant had tripped
    before the step; ``normals``: the observation-noise draws (``N_MEAS`` of them, read only
    when the observation noise is > 0); ``diff``: scratch of length ``N_ACT``.
    """
    (area_density, lhv_hhv_daf, lhv_h_daf, fw_h, design_net, episode_s, noise_std, forecast_h_min,
     has_forecast) = consts
    # Plant.measurements
    drift = 0.0
    if tc_start == tc_start:
        drift = tc_rate * (now - tc_start) / 3600.0
    gas = y[core.Y_N2] + y[core.Y_O2] + y[core.Y_CO2] + y[core.Y_H2O]
    m[0] = y[core.Y_STEAM_TURBINE_KG_S] * 3.6
    m[1] = x[core.X_P]
    m[2] = y[core.Y_LEVEL_M] * 1000.0
    m[3] = pw[turbine.P_STEAM_T_DEGC]
    m[4] = x[core.X_TC] - 273.15 + drift
    m[5] = x[core.X_O2A]
    for k in range(6):
        m[6 + k] = rd[k]
    m[12] = gas * NM3_PER_KMOL * 3600.0
    m[13] = y[core.Y_T_EXIT_K] - 273.15
    m[14] = x[core.X_HOP_MASS] / area_density
    m[15] = pw[turbine.P_GROSS_MW]
    m[16] = pw[turbine.P_NET_MW]
    # reward_terms (sim.envs.reward)
    reward, terminated, truncated = 0.0, False, False
    if stepped:
        excess = 0.0
        for k in range(POLLUTANT_INDEX.shape[0]):
            e = m[POLLUTANT_INDEX[k]] * _INV_LIMITS[k] - 1.0
            if e > 0.0:
                excess += e
        revenue = design_net * 1000.0 * w[11]
        aux_kg_h = cmd[_I_AUX] * 3.6e9 / AUX_FUEL_LHV_J_KG
        cost = cmd[_I_UREA] * w[7] + cmd[_I_LIME] * w[8] + cmd[_I_CARBON] * w[9] + aux_kg_h * w[10]
        for k in range(N_ACT):
            diff[k] = abs(act[k] - last[k])
        tripped = x[core.X_TRIP] != core.TRIP_NONE
        r[0] = -w[0] * abs(m[0] - setpoint) / setpoint
        r[1] = w[1] * m[16] / design_net
        r[2] = -w[2] * excess
        r[3] = -w[3] if m[4] < FURNACE_MIN_TEMP_DEGC else 0.0
        r[4] = -w[4] * cost / revenue
        r[5] = -w[5] * pairwise_sum(diff)
        r[6] = -w[6] if (tripped and not trip_before) else 0.0
        for k in range(N_TERMS):
            reward += r[k]
        for k in range(N_ACT):
            last[k] = act[k]
        terminated = tripped
        truncated = now >= episode_s - 1e-6
    else:
        r[:] = 0.0
    # IncineratorEnv observation: normalised channels, time of day, last action
    n_norm = ref.shape[0]
    v = np.empty(n_norm)
    for k in range(N_MEAS):
        v[k] = m[k]
    v[N_MEAS] = setpoint
    if has_forecast:
        f = upcoming_mean(x, hopper, est, forecast_h_min)
        v[N_MEAS + 1] = f if f == f else ref[N_MEAS + 1]
    for k in range(n_norm):
        v[k] = (v[k] - ref[k]) * inv_scale[k]
    if noise_std > 0.0:
        for k in range(N_MEAS):
            v[k] += noise_std * normals[k]
    for k in range(n_norm):
        obs[k] = max(min(v[k], OBS_CLIP), -OBS_CLIP)
    phase = 2.0 * math.pi * now / DAY_S
    obs[n_norm] = math.sin(phase)
    obs[n_norm + 1] = math.cos(phase)
    for k in range(N_ACT):
        obs[n_norm + 2 + k] = last[k]
    # Plant.truth
    moisture = min(max(y[core.Y_FEED_MOISTURE] + x[core.X_MIXNOISE], 0.05), 0.75)
    ash = y[core.Y_FEED_ASH]
    dc, da = y[core.Y_DISCHARGE_CHAR_KG_S], y[core.Y_DISCHARGE_ASH_KG_S]
    fired_w = y[core.Y_HEAT_RELEASE_W] - y[core.Y_WATER_EVAP_KG_S] * LATENT_HEAT_25C_J_KG
    steam_w = (y[core.Y_STEAM_TURBINE_KG_S] * y[core.Y_H_STEAM_J_KG]
               - (y[core.Y_STEAM_DRUM_KG_S] - y[core.Y_PREHEAT_STEAM_KG_S] + y[core.Y_SPRAY_KG_S]) * fw_h)
    c = 1.0 - moisture - ash  # Fuel.lhv_j_kg
    t[0] = (c * lhv_hhv_daf - LATENT_HEAT_25C_J_KG * (9.0 * lhv_h_daf * c + moisture)) / 1e6
    t[1] = moisture * 100.0
    t[2] = pairwise_sum(bed[CHAR])
    t[3] = 100.0 * dc / (dc + da) if dc + da > 0 else 0.0
    t[4] = y[core.Y_T_FURNACE_K] - 273.15
    t[5] = st[stack.S_O2_DRY]
    t[6] = x[core.X_FOUL]
    t[7] = y[core.Y_HEAT_RELEASE_W] / 1e6
    t[8] = st[stack.S_DIOXIN]
    t[9] = setpoint
    t[10] = y[core.Y_FEED_KG_S] * 3.6
    t[11] = x[core.ACC_WASTE_KG] / 1000.0
    t[12] = x[core.ACC_AUX_J] / 3.6e9
    t[13] = steam_w / fired_w if fired_w > 0 else 0.0
    t[14] = x[core.X_VALVE]
    t[15] = x[core.X_TFLAME] - 273.15
    return reward, terminated, truncated


_ENTRY: list = []


def readout_entry(*example_args):
    """The machine-code entry of :func:`readout` for the argument types of a single env
    (:func:`sim.core.entry_point`), resolved once per process: every single env passes the same
    types (its own float64 arrays, a float32 observation, Python floats and bools)."""
    if not _ENTRY:
        _ENTRY.append(core.entry_point(readout, *example_args))
    return _ENTRY[0]
