"""Waste as a fuel: composition -> heating value, air demand and flue gas by elemental balance.

The design composition (docs/physics.md §2.1) fixes the elemental make-up of the dry ash-free (daf)
combustible matter. A crane grab is then described by two numbers, its moisture and ash, and
everything else follows linearly from the combustible share ``c = 1 - moisture - ash``:

- HHV of daf matter by Boie's formula (Boie 1953; as used in VDI 3460 / Chinese design practice):
  ``HHV = 35.17 C + 116.25 H - 11.10 O + 6.28 N + 10.47 S`` [MJ/kg, mass fractions];
- LHV of the wet waste = ``c * HHV_daf - 2.442 * (9 H_daf c + moisture)`` [MJ/kg], 2.442 MJ/kg
  being the enthalpy of vaporisation of water at 25 degC (ISO 1928);
- the combustible splits into fixed carbon (char, burns on the grate to CO2 with
  32.76 MJ/kg C = 393.5 kJ/mol / 12.011 g/mol) and volatiles (the rest; they burn above the bed).

Gas amounts are kmol per kg of the burning component, in the species order of
``sim.properties.GAS_SPECIES`` (N2, O2, CO2, H2O); O2 entries are negative (consumed).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numba import njit

from ..config import WasteDesign
from ..units import NM3_PER_KMOL
from .chemistry import AIR_N2_FRAC, AIR_O2_FRAC, M_C, M_CL, M_H, M_H2O, M_N2, M_O2, M_S

#: Enthalpy of vaporisation of water at 25 degC [J/kg] (ISO 1928 LHV basis).
LATENT_HEAT_25C_J_KG = 2.442e6
#: Heat of combustion of carbon to CO2 [J/kg C] (393.5 kJ/mol, NIST-JANAF).
CHAR_HEAT_J_KG = 393.5e6 / M_C
#: Natural gas of the auxiliary burner taken as methane: LHV [J/kg] (NIST) and burner lambda.
AUX_FUEL_LHV_J_KG = 50.0e6
AUX_BURNER_LAMBDA = 1.1


@njit(cache=True)
def lhv_j_kg(moisture, ash, hhv_daf_j_kg, h_daf):
    """Lower heating value of wet waste [J/kg] for moisture and ash mass fractions [-], from the
    HHV [J/kg] and hydrogen mass fraction of its dry ash-free matter (ISO 1928 LHV basis):
    ``c HHV_daf - L (9 H_daf c + moisture)`` with ``c = 1 - moisture - ash``."""
    c = 1.0 - moisture - ash
    return c * hhv_daf_j_kg - LATENT_HEAT_25C_J_KG * (9.0 * h_daf * c + moisture)


@dataclass(frozen=True)
class Fuel:
    """Per-kg properties of the daf combustible, its volatiles and char (derived, SI units).

    ``vol_*`` are per kg of volatiles, ``char_*`` per kg of char carbon.
    """

    c_daf: float
    h_daf: float
    o_daf: float
    n_daf: float
    s_daf: float
    cl_daf: float
    fixed_carbon_daf: float
    hhv_daf_j_kg: float
    vol_heat_j_kg: float
    vol_gas_kmol_kg: np.ndarray
    vol_o2_demand_kmol_kg: float
    vol_n_frac: float
    vol_s_frac: float
    vol_cl_frac: float
    char_gas_kmol_kg: np.ndarray
    char_o2_demand_kmol_kg: float

    @property
    def volatile_daf(self) -> float:
        """Volatile share of the daf matter [-]."""
        return 1.0 - self.fixed_carbon_daf

    def lhv_j_kg(self, moisture: float, ash: float) -> float:
        """Lower heating value of wet waste [J/kg] for moisture and ash mass fractions [-] (floats or
        arrays; :func:`lhv_j_kg`, run as Python)."""
        return lhv_j_kg.py_func(moisture, ash, self.hhv_daf_j_kg, self.h_daf)

    def stoich_air_nm3_kg(self, moisture: float, ash: float) -> float:
        """Stoichiometric air [Nm3 per kg wet waste]."""
        c = 1.0 - moisture - ash
        o2 = c * (self.volatile_daf * self.vol_o2_demand_kmol_kg
                  + self.fixed_carbon_daf * self.char_o2_demand_kmol_kg)
        return o2 / AIR_O2_FRAC * NM3_PER_KMOL

    def flue_gas(self, moisture: float, ash: float, excess_air: float) -> dict[str, float]:
        """Wet flue gas of complete combustion per kg waste: volume [Nm3/kg] and O2 wet/dry [vol %]."""
        c = 1.0 - moisture - ash
        gas = c * (self.volatile_daf * self.vol_gas_kmol_kg + self.fixed_carbon_daf * self.char_gas_kmol_kg)
        gas = gas + np.array([0.0, 0.0, 0.0, moisture / M_H2O])
        o2_air = excess_air * self.stoich_air_nm3_kg(moisture, ash) / NM3_PER_KMOL * AIR_O2_FRAC
        gas = gas + o2_air * np.array([AIR_N2_FRAC / AIR_O2_FRAC, 1.0, 0.0, 0.0])
        total = gas.sum()
        return {"volume_nm3_kg": total * NM3_PER_KMOL, "o2_wet_pct": 100 * gas[1] / total,
                "o2_dry_pct": 100 * gas[1] / (total - gas[3])}


def make_fuel(w: WasteDesign) -> Fuel:
    """Derive the daf fuel description from a design composition (wet wt %)."""
    comb = (w.carbon_pct + w.hydrogen_pct + w.oxygen_pct + w.nitrogen_pct + w.sulphur_pct + w.chlorine_pct)
    c, h, o, n, s, cl = (x / comb for x in (w.carbon_pct, w.hydrogen_pct, w.oxygen_pct,
                                            w.nitrogen_pct, w.sulphur_pct, w.chlorine_pct))
    fc = w.fixed_carbon_daf_frac
    hhv = (35.17 * c + 116.25 * h - 11.10 * o + 6.28 * n + 10.47 * s) * 1e6
    vol = 1.0 - fc
    # Volatiles: per kg of volatiles. Cl leaves as HCl (takes H), S as SO2, N as N2 (the NOx
    # formed is a trace handled by the furnace's emission model).
    cv, hv, ov, nv, sv, clv = (c - fc) / vol, h / vol, o / vol, n / vol, s / vol, cl / vol
    h2o = (hv - clv / M_CL * M_H) / (2 * M_H)
    co2 = cv / M_C
    o2_demand = co2 + 0.5 * h2o + sv / M_S - ov / M_O2
    vol_gas = np.array([nv / M_N2, -o2_demand, co2, h2o])
    # Heat of the volatiles on the LHV basis (water as vapour): total daf LHV minus char.
    lhv_daf = hhv - LATENT_HEAT_25C_J_KG * 9.0 * h
    vol_heat = (lhv_daf - fc * CHAR_HEAT_J_KG) / vol
    return Fuel(c_daf=c, h_daf=h, o_daf=o, n_daf=n, s_daf=s, cl_daf=cl, fixed_carbon_daf=fc,
                hhv_daf_j_kg=hhv, vol_heat_j_kg=vol_heat, vol_gas_kmol_kg=vol_gas,
                vol_o2_demand_kmol_kg=o2_demand, vol_n_frac=nv, vol_s_frac=sv, vol_cl_frac=clv,
                char_gas_kmol_kg=np.array([0.0, -1.0 / M_C, 1.0 / M_C, 0.0]),
                char_o2_demand_kmol_kg=1.0 / M_C)
