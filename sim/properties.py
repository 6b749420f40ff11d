"""Physical property tables, built once at start-up from field libraries (docs/physics.md §0.5).

- Water and steam: IAPWS-IF97 through the ``iapws`` package. The drum model needs saturation
  properties and their pressure derivatives; the superheater and turbine need h(p, T) and the
  isentropic expansion to the condenser. All are tabulated on fixed grids and interpolated
  linearly in the hot path (``numpy.interp`` works inside numba).
- Flue-gas species (N2, O2, CO2, H2O): ideal-gas heat capacities from the TRC correlations shipped
  with the ``chemicals`` package (TRC Thermodynamic Tables), integrated to molar sensible
  enthalpies ``h(T) - h(298.15 K)`` [J/kmol] on a 10 K grid.

Tables are module-level constants computed lazily and cached (``tables()``), so importing the
package stays cheap and every plant in a process shares one copy.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

#: Reference temperature of all sensible enthalpies and of the LHV [K] (25 degC, ISO 1928 basis).
T_REF_K = 298.15
#: Species order of every gas-composition vector in the simulator.
GAS_SPECIES = ("N2", "O2", "CO2", "H2O")
_GAS_CAS = {"N2": "7727-37-9", "O2": "7782-44-7", "CO2": "124-38-9", "H2O": "7732-18-5"}

#: Saturation table range [MPa]: covers start-up pressure to above the 6.4 MPa lines (docs/physics.md §0.5).
P_SAT_MIN_MPA, P_SAT_MAX_MPA, P_SAT_STEP_MPA = 0.5, 8.0, 0.02
#: Gas enthalpy table range [K].
T_GAS_MIN_K, T_GAS_MAX_K, T_GAS_STEP_K = 250.0, 2500.0, 10.0
#: Superheated steam table: pressure [MPa] and temperature [degC] grids.
P_SH_GRID_MPA = np.arange(1.0, 8.01, 0.25)
T_SH_GRID_DEGC = np.arange(200.0, 601.0, 5.0)
#: Condenser pressure for the turbine's isentropic expansion [MPa] (~10 kPa, docs/physics.md §0.5).
CONDENSER_P_MPA = 0.01


@dataclass(frozen=True)
class PropertyTables:
    """Arrays the hot path interpolates. Units: MPa, K, kg/m3, J/kg, J/kmol.

    ``sat`` columns: 0 p [MPa], 1 T_sat [K], 2 rho_w, 3 rho_s [kg/m3], 4 h_w, 5 h_s [J/kg],
    6 drho_w/dp, 7 drho_s/dp [kg/m3/MPa], 8 dh_w/dp, 9 dh_s/dp [J/kg/MPa], 10 dT_sat/dp [K/MPa].
    ``gas_h`` rows: species in GAS_SPECIES order, sensible molar enthalpy above 298.15 K on
    ``gas_t_k``; ``gas_cp`` the matching molar heat capacities [J/kmol/K].
    ``sh_h`` [J/kg]: h(p, T) of steam on P_SH_GRID_MPA x T_SH_GRID_DEGC (NaN below saturation);
    ``sh_dh_isentropic`` [J/kg]: isentropic enthalpy drop to CONDENSER_P_MPA on the same grid.
    ``sh_first``: per pressure row, the index of the first superheated (non-NaN) temperature.
    """

    sat: np.ndarray
    gas_t_k: np.ndarray
    gas_h: np.ndarray
    gas_cp: np.ndarray
    sh_h: np.ndarray
    sh_dh_isentropic: np.ndarray
    sh_first: np.ndarray


def _saturation_table() -> np.ndarray:
    from iapws import IAPWS97

    p = np.arange(P_SAT_MIN_MPA, P_SAT_MAX_MPA + 1e-9, P_SAT_STEP_MPA)
    rows = []
    for pi in p:
        w, s = IAPWS97(P=pi, x=0.0), IAPWS97(P=pi, x=1.0)
        rows.append((pi, w.T, w.rho, s.rho, w.h * 1e3, s.h * 1e3))
    base = np.array(rows)
    deriv = np.gradient(base[:, 2:6], p, axis=0)
    dtdp = np.gradient(base[:, 1], p)
    return np.column_stack([base, deriv, dtdp])


def _gas_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from chemicals.heat_capacity import TRC_gas_data, TRCCp

    t = np.arange(T_GAS_MIN_K, T_GAS_MAX_K + 1e-9, T_GAS_STEP_K)
    cp = np.empty((len(GAS_SPECIES), t.size))
    for i, name in enumerate(GAS_SPECIES):
        coeffs = TRC_gas_data.loc[_GAS_CAS[name], ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"]]
        cp[i] = [TRCCp(ti, *coeffs.to_numpy(dtype=float)) * 1e3 for ti in t]  # J/mol/K -> J/kmol/K
    h = np.empty_like(cp)
    for i in range(len(GAS_SPECIES)):
        cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (cp[i, 1:] + cp[i, :-1]) * np.diff(t))])
        h[i] = cumulative - np.interp(T_REF_K, t, cumulative)
    return t, h, cp


def _superheat_tables() -> tuple[np.ndarray, np.ndarray]:
    from iapws import IAPWS97

    h = np.full((P_SH_GRID_MPA.size, T_SH_GRID_DEGC.size), np.nan)
    dh = np.full_like(h, np.nan)
    for i, p in enumerate(P_SH_GRID_MPA):
        t_sat = IAPWS97(P=p, x=1.0).T - 273.15
        for j, t in enumerate(T_SH_GRID_DEGC):
            if t <= t_sat:
                continue
            s = IAPWS97(P=p, T=t + 273.15)
            out = IAPWS97(P=CONDENSER_P_MPA, s=s.s)
            h[i, j] = s.h * 1e3
            dh[i, j] = (s.h - out.h) * 1e3
    return h, dh


@lru_cache(maxsize=1)
def tables() -> PropertyTables:
    """Build (once per process) and return the property tables."""
    t, gh, gcp = _gas_tables()
    sh_h, sh_dh = _superheat_tables()
    first = np.argmax(~np.isnan(sh_h), axis=1).astype(np.int64)
    return PropertyTables(sat=_saturation_table(), gas_t_k=t, gas_h=gh, gas_cp=gcp,
                          sh_h=sh_h, sh_dh_isentropic=sh_dh, sh_first=first)


@njit(cache=True)
def _bracket(p_mpa, p_grid):
    """Index i of the pressure rows i, i+1 that bracket p_mpa (clamped to the grid)."""
    return min(max(np.searchsorted(p_grid, p_mpa) - 1, 0), p_grid.size - 2)


@njit(cache=True)
def _fraction(p_mpa, p_grid, i):
    """Position of p_mpa between rows i and i+1 [-], clamped to [0, 1]."""
    return min(max((p_mpa - p_grid[i]) / (p_grid[i + 1] - p_grid[i]), 0.0), 1.0)


@njit(cache=True)
def steam_t_degc(p_mpa, h_j_kg, sh_h, sh_first, t_grid, p_grid):
    """Temperature of superheated steam [degC] from pressure [MPa] and enthalpy [J/kg]: the
    inverse of ``sh_h`` on each bracketing pressure row (valid entries from ``sh_first``), then
    linear in pressure. Clamped at the grid's edges."""
    i = _bracket(p_mpa, p_grid)
    t0 = np.interp(h_j_kg, sh_h[i, sh_first[i]:], t_grid[sh_first[i]:])
    t1 = np.interp(h_j_kg, sh_h[i + 1, sh_first[i + 1]:], t_grid[sh_first[i + 1]:])
    return t0 + (t1 - t0) * _fraction(p_mpa, p_grid, i)


@njit(cache=True)
def isentropic_drop_j_kg(p_mpa, t_degc, sh_dh, sh_first, t_grid, p_grid):
    """Isentropic enthalpy drop [J/kg] from (p [MPa], T [degC]) to the condenser pressure,
    bilinear on the table (valid entries from ``sh_first``). Clamped at the grid's edges."""
    i = _bracket(p_mpa, p_grid)
    d0 = np.interp(t_degc, t_grid[sh_first[i]:], sh_dh[i, sh_first[i]:])
    d1 = np.interp(t_degc, t_grid[sh_first[i + 1]:], sh_dh[i + 1, sh_first[i + 1]:])
    return d0 + (d1 - d0) * _fraction(p_mpa, p_grid, i)
