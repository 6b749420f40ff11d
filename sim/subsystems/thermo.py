"""Hot-path property look-ups (numba): gas-mixture enthalpy and saturation properties.

The tables come from :mod:`sim.properties` (TRC ideal-gas data, IAPWS-IF97). Grids are uniform,
so a look-up is an index computation and one linear interpolation. Outside the grid the end
segments are extrapolated linearly (gas) or clamped (saturation), which only happens far from
normal operation (the plant trips long before).
"""
from __future__ import annotations

from numba import njit

from .chemistry import AIR_N2_FRAC, AIR_O2_FRAC
from ..properties import P_SAT_MIN_MPA, P_SAT_STEP_MPA, T_GAS_MIN_K, T_GAS_STEP_K

#: Stefan-Boltzmann constant [W/m2/K4] (CODATA 2018).
SIGMA_W_M2K4 = 5.670374419e-8


@njit(cache=True)
def _gas_index(t_k, n_points):
    f = (t_k - T_GAS_MIN_K) / T_GAS_STEP_K
    i = int(f)
    if i < 0:
        i = 0
    elif i > n_points - 2:
        i = n_points - 2
    return i, f - i


@njit(cache=True)
def _mixture(flows_kmol_s, t_k, table):
    i, w = _gas_index(t_k, table.shape[1])
    total = 0.0
    for s in range(4):
        total += flows_kmol_s[s] * (table[s, i] + w * (table[s, i + 1] - table[s, i]))
    return total


@njit(cache=True)
def gas_enthalpy_w(flows_kmol_s, t_k, gas_h):
    """Sensible enthalpy flow above 298.15 K [W] of a gas stream (species N2, O2, CO2, H2O)."""
    return _mixture(flows_kmol_s, t_k, gas_h)


@njit(cache=True)
def gas_heat_capacity_w_k(flows_kmol_s, t_k, gas_cp):
    """Heat-capacity flow [W/K] of a gas stream at t_k."""
    return _mixture(flows_kmol_s, t_k, gas_cp)


@njit(cache=True)
def air_enthalpy_j_kmol(t_k, gas_h):
    """Sensible molar enthalpy of dry air above 298.15 K [J/kmol] (20.95 % O2, rest N2)."""
    i, w = _gas_index(t_k, gas_h.shape[1])
    n2 = gas_h[0, i] + w * (gas_h[0, i + 1] - gas_h[0, i])
    o2 = gas_h[1, i] + w * (gas_h[1, i + 1] - gas_h[1, i])
    return AIR_N2_FRAC * n2 + AIR_O2_FRAC * o2


@njit(cache=True)
def saturation(p_mpa, sat, out):
    """Fill ``out[0:11]`` with the saturation row at p_mpa (columns as PropertyTables.sat)."""
    f = (p_mpa - P_SAT_MIN_MPA) / P_SAT_STEP_MPA
    i = int(f)
    n = sat.shape[0]
    if i < 0:
        i, f = 0, 0.0
    elif i > n - 2:
        i, f = n - 2, float(n - 1)
    w = f - i
    for c in range(11):
        out[c] = sat[i, c] + w * (sat[i + 1, c] - sat[i, c])
