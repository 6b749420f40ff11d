"""Boiler: convective passes, superheater with spray attemperation, and the drum (docs/physics.md §5).

Gas side: three passes in series, each an exchanger with a sink of fixed temperature,
``T_out = T_sink + (T_in - T_sink) exp(-UA / (m cp))`` and heat = enthalpy difference of the gas:
radiant passes (sink: saturation temperature), superheater (sink: mean steam temperature),
evaporator bundle and economiser (sink: mean economiser water temperature). UA falls with fouling
(``UA (1 - f)``) and scales with gas flow as ``(m/m_design)^n``. The design UAs are derived from the
design gas-temperature profile in the plant config (see ``sim.core.build``).

Drum (Åström & Bell 2000, Automatica 36, "Drum-boiler dynamics"): global mass and energy balances
of water, steam and metal at saturation give the total water volume and the pressure,
``e11 dVwt/dt + e12 dp/dt = qf - qs``, ``e21 dVwt/dt + e22 dp/dt = Q + qf hf - qs hs``.
The level adds the steam under the surface: the mean riser void fraction (their eq. for the
riser quality with a constant circulation flow) plus a lagged volume of bubbles in the drum,
both driven by the evaporation including the flash steam of a pressure change; this gives
shrink and swell. Steam leaves through the turbine admission valve,
``qs = K valve p`` (sliding pressure, Stodola-type flow law).
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .thermo import gas_enthalpy_w, gas_heat_capacity_w_k

BoilerParams = namedtuple("BoilerParams", [
    "ua_radiant_w_k", "ua_superheater_w_k", "ua_economiser_w_k", "design_gas_kmol_s",
    "flow_exponent", "economiser_sink_k", "wall_loss_w", "feedwater_h_j_kg", "steam_temp_k",
    "dp_design_mpa", "design_steam_kg_s", "valve_k_kg_s_mpa",
    "total_volume_m3", "drum_volume_m3", "riser_volume_m3", "downcomer_volume_m3",
    "level_area_m2", "metal_heat_capacity_j_k", "circulation_kg_s", "bubble_tau_s",
    "steam_under_level_m3", "design_drum_heat_w", "level_offset_m",
])

# Saturation row columns (PropertyTables.sat).
S_P, S_T, S_RHO_W, S_RHO_S, S_H_W, S_H_S, S_DRHO_W, S_DRHO_S, S_DH_W, S_DH_S, S_DT = range(11)


@njit(cache=True)
def exchange(gas, t_in_k, t_sink_k, ua_w_k, gas_h, gas_cp):
    """One pass: returns (gas outlet temperature [K], heat to the water/steam side [W])."""
    if t_in_k <= t_sink_k:
        return t_in_k, 0.0
    mcp = gas_heat_capacity_w_k(gas, 0.5 * (t_in_k + t_sink_k), gas_cp)
    t_out = t_sink_k + (t_in_k - t_sink_k) * math.exp(-ua_w_k / mcp)
    return t_out, gas_enthalpy_w(gas, t_in_k, gas_h) - gas_enthalpy_w(gas, t_out, gas_h)


@njit(cache=True)
def gas_passes(gas, t_furnace_k, t_sat_k, fouling, p, gas_h, gas_cp, out):
    """Gas through the three passes. out: 0 radiant exit K, 1 superheater exit K, 2 boiler exit K,
    3 heat to evaporator/economiser (drum side) W, 4 heat to superheater W."""
    n = gas[0] + gas[1] + gas[2] + gas[3]
    scale = (n / p.design_gas_kmol_s) ** p.flow_exponent * (1.0 - fouling)
    t1, q1 = exchange(gas, t_furnace_k, t_sat_k, p.ua_radiant_w_k * scale, gas_h, gas_cp)
    t2, q2 = exchange(gas, t1, 0.5 * (t_sat_k + p.steam_temp_k), p.ua_superheater_w_k * scale, gas_h, gas_cp)
    t3, q3 = exchange(gas, t2, p.economiser_sink_k, p.ua_economiser_w_k * scale, gas_h, gas_cp)
    out[0] = t1
    out[1] = t2
    out[2] = t3
    out[3] = q1 + q3 - p.wall_loss_w
    out[4] = q2


@njit(cache=True)
def steam_flow_kg_s(p_mpa, valve_pct, p):
    """Steam leaving the drum through the admission valve [kg/s] (qs = K valve p)."""
    return p.valve_k_kg_s_mpa * valve_pct * max(p_mpa, 0.0)


@njit(cache=True)
def superheater(q_steam_kg_s, q_sh_w, p_drum_mpa, h_sat_steam, p, p_grid, h_target_grid):
    """Superheater and spray attemperator.

    Returns (turbine inlet pressure [MPa], steam to turbine [kg/s], its enthalpy [J/kg],
    spray water [kg/s]). The spray holds the configured steam temperature when the superheater
    has surplus heat; otherwise the steam comes out colder.
    """
    ratio = q_steam_kg_s / p.design_steam_kg_s
    p_turb = p_drum_mpa - p.dp_design_mpa * ratio * ratio
    if q_steam_kg_s <= 1e-6:
        return p_turb, 0.0, h_sat_steam, 0.0
    h_sh = h_sat_steam + q_sh_w / q_steam_kg_s
    h_target = np.interp(p_turb, p_grid, h_target_grid)
    if h_sh <= h_target:
        return p_turb, q_steam_kg_s, h_sh, 0.0
    spray = q_steam_kg_s * (h_sh - h_target) / (h_target - p.feedwater_h_j_kg)
    return p_turb, q_steam_kg_s + spray, h_target, spray


@njit(cache=True)
def void_fraction(q_w, sat, p):
    """Mean steam volume fraction in the risers (Åström & Bell 2000, eq. for alpha_v)."""
    rho_w, rho_s = sat[S_RHO_W], sat[S_RHO_S]
    h_c = sat[S_H_S] - sat[S_H_W]
    a_r = max(q_w, 0.0) / (p.circulation_kg_s * h_c)
    if a_r < 1e-9:
        return 0.0
    eta = a_r * (rho_w - rho_s) / rho_s
    return rho_w / (rho_w - rho_s) * (1.0 - math.log(1.0 + eta) / eta)


@njit(cache=True)
def drum_derivatives(v_wt, p_mpa, q_w, q_feed_kg_s, q_steam_kg_s, sat, p):
    """(dVwt/dt [m3/s], dp/dt [MPa/s]) of the Åström-Bell global balances (SI with p in MPa)."""
    rho_w, rho_s, h_w, h_s = sat[S_RHO_W], sat[S_RHO_S], sat[S_H_W], sat[S_H_S]
    v_st = p.total_volume_m3 - v_wt
    e11 = rho_w - rho_s
    e12 = v_st * sat[S_DRHO_S] + v_wt * sat[S_DRHO_W]
    e21 = rho_w * h_w - rho_s * h_s
    e22 = (v_st * (h_s * sat[S_DRHO_S] + rho_s * sat[S_DH_S])
           + v_wt * (h_w * sat[S_DRHO_W] + rho_w * sat[S_DH_W])
           - 1e6 * p.total_volume_m3 + p.metal_heat_capacity_j_k * sat[S_DT])
    r1 = q_feed_kg_s - q_steam_kg_s
    r2 = q_w + q_feed_kg_s * p.feedwater_h_j_kg - q_steam_kg_s * h_s
    det = e11 * e22 - e12 * e21
    return (e22 * r1 - e12 * r2) / det, (e11 * r2 - e21 * r1) / det


@njit(cache=True)
def flash_heat_j_per_mpa(v_wt, sat, p):
    """Heat released by water and metal per MPa of pressure fall [J/MPa]: the source of the
    flash steam behind swell (Åström & Bell 2000, section 5: "shrink and swell")."""
    return v_wt * sat[S_RHO_W] * sat[S_DH_W] + p.metal_heat_capacity_j_k * sat[S_DT]


@njit(cache=True)
def drum_energy_j(v_wt, p_mpa, sat, p):
    """Stored energy of water, steam and metal [J] (IAPWS reference state)."""
    v_st = p.total_volume_m3 - v_wt
    return (sat[S_RHO_S] * sat[S_H_S] * v_st + sat[S_RHO_W] * sat[S_H_W] * v_wt
            - 1e6 * p_mpa * p.total_volume_m3 + p.metal_heat_capacity_j_k * sat[S_T])


@njit(cache=True)
def drum_mass_kg(v_wt, sat, p):
    """Water and steam in the drum circuit [kg]."""
    return sat[S_RHO_S] * (p.total_volume_m3 - v_wt) + sat[S_RHO_W] * v_wt


@njit(cache=True)
def level_m(v_wt, v_sd, q_w, sat, p):
    """Drum level relative to normal [m]: water in the drum plus bubbles under the surface."""
    alpha = void_fraction(q_w, sat, p)
    v_wd = v_wt - p.downcomer_volume_m3 - (1.0 - alpha) * p.riser_volume_m3
    return (v_wd + v_sd - 0.5 * p.drum_volume_m3) / p.level_area_m2 - p.level_offset_m
