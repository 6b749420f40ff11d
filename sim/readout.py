"""What a plant shows: its measurements and hidden truth, formed by one compiled kernel each.

:func:`measure` fills the :data:`sim.units.MEASUREMENTS` of plant ``i`` of a
:class:`sim.state.PlantState` (what the DCS shows; CEMS values dry at 11 % O2, as the CEMS reads
them), :func:`truth` its :data:`sim.units.TRUTH` (for info and KPIs, never for observations).
``sim.Plant.measurements``/``truth`` and both environments (single and batched) read the plant
through these kernels, so there is one definition of every channel.
"""
from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from . import core
from .subsystems import stack, turbine
from .subsystems.grate import CHAR
from .subsystems.waste import LATENT_HEAT_25C_J_KG, lhv_j_kg
from .units import MEASUREMENTS, NM3_PER_KMOL, TRUTH

N_MEAS, N_TRUTH = len(MEASUREMENTS), len(TRUTH)
#: Constants of the readout of one plant config and scenario: hopper area x bulk density
#: [kg/m], the waste's daf HHV [J/kg] and hydrogen fraction [-], feedwater enthalpy [J/kg], the
#: crane-imaging forecast horizon [min] and whether the scenario has a forecast.
ReadoutParams = namedtuple("ReadoutParams", ["area_density_kg_m", "hhv_daf_j_kg", "h_daf", "feedwater_h_j_kg",
                                             "forecast_horizon_min", "has_forecast"])


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
def thermocouple_drift_k(r):
    """Drift of the furnace thermocouple reading [K] (scenario ``thermocouple_drift``)."""
    if r.tc_drift_start_s == r.tc_drift_start_s:  # not NaN: a drift has started
        return r.tc_drift_rate_k_h * (r.now_s - r.tc_drift_start_s) / 3600.0
    return 0.0


@njit(cache=True)
def measure(s, i, rp, m):
    """Fill ``m`` (MEASUREMENTS order) with plant ``i``'s measurements (outputs must be fresh:
    :func:`sim.core.refresh_outputs`)."""
    r, o, pw = s.plant[i], s.out[i], s.power[i]
    g = o.gas_kmol_s
    gas = g[0] + g[1] + g[2] + g[3]
    m[0] = o.steam_turbine_kg_s * 3.6
    m[1] = r.drum_pressure_mpa
    m[2] = o.level_m * 1000.0
    m[3] = pw[turbine.P_STEAM_T_DEGC]
    m[4] = r.thermocouple_k - 273.15 + thermocouple_drift_k(r)
    m[5] = r.o2_analyser_wet_pct
    for k in range(6):  # sim.subsystems.cems.CHANNELS
        m[6 + k] = s.cems_reading[i, k]
    m[12] = gas * NM3_PER_KMOL * 3600.0
    m[13] = o.boiler_exit_k - 273.15
    m[14] = r.hopper_mass_kg / rp.area_density_kg_m
    m[15] = pw[turbine.P_GROSS_MW]
    m[16] = pw[turbine.P_NET_MW]


@njit(cache=True)
def truth(s, i, rp, t):
    """Fill ``t`` (TRUTH order) with plant ``i``'s hidden truth (outputs must be fresh)."""
    r, o, st, bal = s.plant[i], s.out[i], s.stack[i], s.balance[i]
    moisture, ash = core.feed_composition(r, o)
    dc, da = o.discharge_char_kg_s, o.discharge_ash_kg_s
    # Boiler efficiency on the heat released now (LHV basis: combustion minus drying latent).
    fired_w = o.heat_release_w - o.water_evap_kg_s * LATENT_HEAT_25C_J_KG
    steam_w = (o.steam_turbine_kg_s * o.h_steam_j_kg
               - (o.steam_drum_kg_s - o.preheat_steam_kg_s + o.spray_kg_s) * rp.feedwater_h_j_kg)
    t[0] = lhv_j_kg(moisture, ash, rp.hhv_daf_j_kg, rp.h_daf) / 1e6
    t[1] = moisture * 100.0
    t[2] = pairwise_sum(s.bed[i, CHAR])
    t[3] = 100.0 * dc / (dc + da) if dc + da > 0 else 0.0
    t[4] = o.furnace_k - 273.15
    t[5] = st[stack.S_O2_DRY]
    t[6] = r.fouling
    t[7] = o.heat_release_w / 1e6
    t[8] = st[stack.S_DIOXIN]
    t[9] = r.steam_setpoint_t_h
    t[10] = o.feed_kg_s * 3.6
    t[11] = bal.waste_kg / 1000.0
    t[12] = bal.aux_j / 3.6e9
    t[13] = steam_w / fired_w if fired_w > 0 else 0.0
    t[14] = r.turbine_valve_pct
    t[15] = r.flame_k - 273.15


@njit(cache=True)
def upcoming_mean(s, i, per_slot, horizon_min):
    """Mass-weighted mean of ``per_slot`` (one value per hopper slot) over the waste the feeder
    takes in the next ``horizon_min`` at its current rate, from the bottom of the hopper (at
    least the bottom grab). NaN while the hopper is empty."""
    r, hopper = s.plant[i], s.hopper[i]
    left_kg = r.actuator[0] / 3.6 * horizon_min * 60.0
    head, count = int(r.hopper_head), int(r.hopper_count)
    total_kg = 0.0
    weighted = 0.0
    for k in range(count):
        slot = (head + k) % hopper.shape[0]
        part = min(hopper[slot, 0], left_kg) if k else hopper[slot, 0]
        if k and part <= 0.0:
            break
        total_kg += part
        weighted += part * per_slot[slot]
        left_kg -= part
    return weighted / total_kg if total_kg > 0.0 else math.nan
