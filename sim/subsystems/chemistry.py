"""Molar masses and the composition of air: the chemistry constants every subsystem shares.

Molar masses [kg/kmol] from the IUPAC standard atomic weights (abridged, 2021); dry air's O2 and
N2 mole fractions with argon and the trace gases lumped into N2 (ISO 2533 standard atmosphere;
docs/physics.md §2).
"""
from __future__ import annotations

#: Elements [kg/kmol].
M_C, M_H, M_O, M_N, M_S, M_CL = 12.011, 1.008, 15.999, 14.007, 32.06, 35.45
#: Molecules [kg/kmol]: water, oxygen, nitrogen, carbon dioxide, NO2 (NOx is reported as NO2),
#: SO2, HCl, NH3, methane (the auxiliary burner's natural gas), urea CO(NH2)2 and hydrated lime Ca(OH)2.
M_H2O, M_O2, M_N2, M_CO2, M_NO2, M_SO2, M_HCL = 18.015, 31.998, 28.014, 44.009, 46.006, 64.06, 36.46
M_NH3, M_CH4, M_UREA, M_LIME = 17.031, 16.043, 60.06, 74.09
#: Dry air [kg/kmol] (ISO 2533).
M_AIR = 28.96
#: Mole fractions of O2 and N2 (+Ar) in dry air [-].
AIR_O2_FRAC, AIR_N2_FRAC = 0.2095, 0.7905
