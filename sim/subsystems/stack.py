"""Flue-gas treatment and stack: raw pollutants -> SNCR -> semi-dry lime, carbon, bag filter.

Evaluated at each CEMS sample from the core's algebraic outputs (plain Python; it runs once per
sample, not per integration step). Concentrations are returned dry at the actual O2 and
normalised to 11 % O2 (the CEMS reports the normalised values, domain.md §7).

- Fuel-N, S and Cl leave with the volatiles; S and Cl are partly retained in the ash.
- NOx from fuel-N (``furnace.nox_fuel_conversion``), reduced by SNCR (``furnace.sncr``).
- HCl and SO2 removal by lime: ``1 - exp(-k SR)`` (domain §6) with SR from the lime that has
  reached the reactor and filter cake (two lags in the core: mixing and cake memory).
- Dust: fly ash plus spent sorbents through the bag filter (fixed penetration).
- Dioxin proxy [ng TEQ/Nm3]: formation rising with CO and below 850 degC, plus de novo
  synthesis when the boiler exit sits in the 250-450 degC window, removed by activated carbon
  ``1 - exp(-k dose)``. A proxy for comparing controllers, not a prediction.
"""
from __future__ import annotations

import math

from ..units import NM3_PER_KMOL, to_reference_o2
from . import furnace

#: Molar masses [kg/kmol] (IUPAC); lime is Ca(OH)2.
M_NO2, M_SO2, M_HCL, M_NH3, M_LIME = 46.006, 64.06, 36.46, 17.031, 74.09
#: Shape of the dioxin proxy (a project convention for ranking controllers, not fitted data):
#: formation grows with sqrt(CO / CO_ref) and by +100 % per 50 K below 850 degC, and de novo
#: synthesis peaks at a boiler exit of 350 degC with an 80 K Gaussian half-width (the
#: 250-450 degC window of domain.md §6).
DIOXIN_COLD_K, DE_NOVO_PEAK_DEGC, DE_NOVO_WIDTH_K = 50.0, 350.0, 80.0


def stack_values(*, gas_kmol_s, t_furnace_degc, t_exit_degc, volatiles_kg_s, burn_frac,
                 secondary_frac, feed_kg_s, feed_ash, urea_kg_h, lime_kg_h, carbon_kg_h, fuel, plant):
    """Stack concentrations [mg/Nm3 dry, 11 % O2] and the dry O2 [vol %]."""
    fz, fg = plant.furnace, plant.fgt
    n2, o2, co2, h2o = gas_kmol_s
    dry_kmol_s = max(n2 + o2 + co2, 1e-9)
    o2_dry = 100.0 * o2 / dry_kmol_s
    dry_nm3_s = dry_kmol_s * NM3_PER_KMOL

    n_kmol = volatiles_kg_s * fuel.vol_n_frac / 14.007
    nox_raw = furnace.nox_fuel_conversion(o2_dry, t_furnace_degc, fz) * n_kmol
    nox, nh3 = furnace.sncr(nox_raw, urea_kg_h, t_furnace_degc, fz)
    hcl_raw = volatiles_kg_s * fuel.vol_cl_frac * (1 - fg.chlorine_ash_retention) / 35.45
    so2_raw = volatiles_kg_s * fuel.vol_s_frac * (1 - fg.sulphur_ash_retention) / 32.06
    demand = 0.5 * hcl_raw + so2_raw
    sr = lime_kg_h / 3600.0 / M_LIME / demand if demand > 0 else 10.0
    hcl = hcl_raw * math.exp(-fg.lime_k_hcl * sr)
    so2 = so2_raw * math.exp(-fg.lime_k_so2 * sr)
    solids_kg_s = fg.fly_ash_frac * feed_ash * feed_kg_s + (lime_kg_h + carbon_kg_h) / 3600.0
    co = furnace.co_mg_nm3(o2_dry, t_furnace_degc, secondary_frac, burn_frac, fz)

    dose_mg_nm3 = carbon_kg_h / 3.6 / max(dry_nm3_s, 1e-9)  # kg/h -> mg/s over Nm3/s
    cold = max(0.0, 850.0 - t_furnace_degc) / DIOXIN_COLD_K
    de_novo = math.exp(-((t_exit_degc - DE_NOVO_PEAK_DEGC) / DE_NOVO_WIDTH_K) ** 2)
    dioxin_raw = fg.dioxin_base_ng_nm3 * math.sqrt(max(co, 0.0) / fz.co_base_mg_nm3) * (1.0 + cold) \
        + fg.dioxin_de_novo_ng_nm3 * de_novo
    dioxin = dioxin_raw * math.exp(-fg.carbon_k_nm3_per_mg * dose_mg_nm3)

    def mg_nm3(kmol_s, molar_mass):
        return float(to_reference_o2(kmol_s * molar_mass * 1e6 / dry_nm3_s, o2_dry))

    return {
        "co_mg_nm3": co,
        "nox_mg_nm3": mg_nm3(nox, M_NO2),
        "so2_mg_nm3": mg_nm3(so2, M_SO2),
        "hcl_mg_nm3": mg_nm3(hcl, M_HCL),
        "dust_mg_nm3": float(to_reference_o2(solids_kg_s * fg.bag_filter_penetration * 1e6 / dry_nm3_s, o2_dry)),
        "nh3_mg_nm3": mg_nm3(nh3, M_NH3),
        "dioxin_ng_teq_nm3": float(to_reference_o2(dioxin, o2_dry)),
        "o2_dry_vol_pct": o2_dry,
    }
