"""Physical property tables, built once at start-up from field libraries (domain.md §9).

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

#: Reference temperature of all sensible enthalpies and of the LHV [K] (25 degC, ISO 1928 basis).
T_REF_K = 298.15
#: Species order of every gas-composition vector in the simulator.
GAS_SPECIES = ("N2", "O2", "CO2", "H2O")
_GAS_CAS = {"N2": "7727-37-9", "O2": "7782-44-7", "CO2": "124-38-9", "H2O": "7732-18-5"}

#: Saturation table range [MPa]: covers start-up pressure to above the 6.4 MPa lines (domain §2).
P_SAT_MIN_MPA, P_SAT_MAX_MPA, P_SAT_STEP_MPA = 0.5, 8.0, 0.02
#: Gas enthalpy table range [K].
T_GAS_MIN_K, T_GAS_MAX_K, T_GAS_STEP_K = 250.0, 2500.0, 10.0
#: Superheated steam table: pressure [MPa] and temperature [degC] grids.
P_SH_GRID_MPA = np.arange(1.0, 8.01, 0.25)
T_SH_GRID_DEGC = np.arange(200.0, 601.0, 5.0)
#: Condenser pressure for the turbine's isentropic expansion [MPa] (~10 kPa, domain §9).
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
    """

    sat: np.ndarray
    gas_t_k: np.ndarray
    gas_h: np.ndarray
    gas_cp: np.ndarray
    sh_h: np.ndarray
    sh_dh_isentropic: np.ndarray


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
    return PropertyTables(sat=_saturation_table(), gas_t_k=t, gas_h=gh, gas_cp=gcp,
                          sh_h=sh_h, sh_dh_isentropic=sh_dh)


def steam_h_j_kg(p_mpa: float, t_degc: float) -> float:
    """Specific enthalpy of superheated steam [J/kg] by bilinear interpolation of the table."""
    tb = tables()
    row = np.array([np.interp(t_degc, T_SH_GRID_DEGC, tb.sh_h[i]) for i in _bracket(p_mpa)])
    return float(np.interp(p_mpa, P_SH_GRID_MPA[list(_bracket(p_mpa))], row))


def steam_t_degc(p_mpa: float, h_j_kg: float) -> float:
    """Temperature of steam [degC] from pressure and enthalpy (inverse of the table)."""
    tb = tables()
    temps = []
    idx = _bracket(p_mpa)
    for i in idx:
        ok = ~np.isnan(tb.sh_h[i])
        temps.append(np.interp(h_j_kg, tb.sh_h[i][ok], T_SH_GRID_DEGC[ok]))
    return float(np.interp(p_mpa, P_SH_GRID_MPA[list(idx)], temps))


def isentropic_drop_j_kg(p_mpa: float, t_degc: float) -> float:
    """Isentropic enthalpy drop from (p, T) to the condenser pressure [J/kg]."""
    tb = tables()
    idx = _bracket(p_mpa)
    row = [np.interp(t_degc, T_SH_GRID_DEGC[~np.isnan(tb.sh_dh_isentropic[i])],
                     tb.sh_dh_isentropic[i][~np.isnan(tb.sh_dh_isentropic[i])]) for i in idx]
    return float(np.interp(p_mpa, P_SH_GRID_MPA[list(idx)], row))


def _bracket(p_mpa: float) -> tuple[int, int]:
    i = int(np.clip(np.searchsorted(P_SH_GRID_MPA, p_mpa) - 1, 0, P_SH_GRID_MPA.size - 2))
    return i, i + 1
