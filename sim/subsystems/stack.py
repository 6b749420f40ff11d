"""Flue-gas treatment and stack: raw pollutants -> SNCR -> semi-dry lime, carbon, bag filter.

Evaluated (compiled) from the core's algebraic outputs when the plant is read or the CEMS samples,
not per integration step. Concentrations are returned dry at the actual O2 and
normalised to 11 % O2 (the CEMS reports the normalised values, docs/physics.md §8.2).

- Fuel-N, S and Cl leave with the volatiles; S and Cl are partly retained in the ash.
- NOx from fuel-N (``furnace.nox_fuel_conversion``), reduced by SNCR (``furnace.sncr``).
- HCl and SO2 removal by lime: ``1 - exp(-k SR)`` (docs/physics.md §7) with SR from the lime that has
  reached the reactor and filter cake (two lags in the core: mixing and cake memory).
- Dust: fly ash plus spent sorbents through the bag filter (fixed penetration).
- Dioxin proxy [ng TEQ/Nm3]: formation rising with CO and below 850 degC, plus de novo
  synthesis when the boiler exit sits in the 250-450 degC window, removed by activated carbon
  ``1 - exp(-k dose)``. A proxy for comparing controllers, not a prediction.
"""
from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from ..units import FURNACE_MIN_TEMP_DEGC, NM3_PER_KMOL, O2_CLIP_PCT, REFERENCE_O2_DRY_PCT
from .chemistry import M_HCL, M_LIME, M_NH3, M_NO2, M_SO2
from . import furnace

#: Shape of the dioxin proxy (a project convention for ranking controllers, not fitted data):
#: formation grows with sqrt(CO / CO_ref) and by +100 % per 50 K below 850 degC, and de novo
#: synthesis peaks at a boiler exit of 350 degC with an 80 K Gaussian half-width (the
#: 250-450 degC window of de novo synthesis, Stieglitz & Vogg 1987; docs/physics.md §7).
DIOXIN_COLD_K, DE_NOVO_PEAK_DEGC, DE_NOVO_WIDTH_K = 50.0, 350.0, 80.0

#: Fuel, furnace-pollutant and flue-gas-treatment parameters (built once by
#: :func:`stack_params`; field names as in the plant config and :class:`sim.subsystems.waste.Fuel`).
_FURNACE_FIELDS = (
    "co_base_mg_nm3", "co_ref_o2_dry_pct", "co_o2_scale_pct", "co_ref_temp_degc", "co_temp_scale_k",
    "co_ref_secondary_frac", "co_mixing_exponent", "nox_fuel_n_conversion", "nox_ref_temp_degc",
    "nox_temp_scale_k", "nox_ref_o2_dry_pct", "nox_o2_exponent", "sncr_max_efficiency",
    "sncr_opt_temp_degc", "sncr_window_k", "sncr_nsr_k", "nh3_oxidation_temp_degc", "nh3_capture_frac")
_FGT_FIELDS = (
    "sulphur_ash_retention", "chlorine_ash_retention", "fly_ash_frac", "bag_filter_penetration",
    "lime_k_hcl", "lime_k_so2", "dioxin_base_ng_nm3", "dioxin_de_novo_ng_nm3", "carbon_k_nm3_per_mg")
StackParams = namedtuple("StackParams", ("vol_n_frac", "vol_s_frac", "vol_cl_frac") + _FURNACE_FIELDS + _FGT_FIELDS)

#: Entries of the stack output vector: concentrations [mg/Nm3 dry, 11 % O2], dioxin proxy
#: [ng TEQ/Nm3, 11 % O2] and the dry O2 [vol %].
(S_CO, S_NOX, S_SO2, S_HCL, S_DUST, S_NH3, S_DIOXIN, S_O2_DRY, S_SIZE) = range(9)


def stack_params(fuel, plant) -> StackParams:
    """Collect the parameters the stack needs from the fuel and the plant config."""
    return StackParams(fuel.vol_n_frac, fuel.vol_s_frac, fuel.vol_cl_frac,
                       *(float(getattr(plant.furnace, f)) for f in _FURNACE_FIELDS),
                       *(float(getattr(plant.fgt, f)) for f in _FGT_FIELDS))


@njit(cache=True)
def _normalised(conc_dry, o2_dry):
    """:func:`sim.units.to_reference_o2` for scalars, compiled."""
    return conc_dry * (21.0 - REFERENCE_O2_DRY_PCT) / (21.0 - min(o2_dry, O2_CLIP_PCT))


@njit(cache=True)
def stack_values(n2, o2, co2, t_furnace_degc, t_exit_degc, volatiles_kg_s, burn_frac, secondary_frac,
                 feed_kg_s, feed_ash, urea_kg_h, lime_kg_h, carbon_kg_h, sp, out):
    """Fill ``out`` (S_* entries): stack values from the furnace gas [kmol/s of N2, O2, CO2],
    temperatures [degC], the volatiles released [kg/s] and their burnt share, the secondary-air
    share of the air, the feed [kg/s] and its ash share, and the dosing [kg/h] that has reached
    the reactor and filter cake."""
    dry_kmol_s = max(n2 + o2 + co2, 1e-9)
    o2_dry = 100.0 * o2 / dry_kmol_s
    dry_nm3_s = dry_kmol_s * NM3_PER_KMOL

    n_kmol = volatiles_kg_s * sp.vol_n_frac / 14.007
    nox_raw = furnace.nox_fuel_conversion(o2_dry, t_furnace_degc, sp) * n_kmol
    nox, nh3 = furnace.sncr(nox_raw, urea_kg_h, t_furnace_degc, sp)
    hcl_raw = volatiles_kg_s * sp.vol_cl_frac * (1 - sp.chlorine_ash_retention) / 35.45
    so2_raw = volatiles_kg_s * sp.vol_s_frac * (1 - sp.sulphur_ash_retention) / 32.06
    demand = 0.5 * hcl_raw + so2_raw
    sr = lime_kg_h / 3600.0 / M_LIME / demand if demand > 0 else 10.0
    hcl = hcl_raw * math.exp(-sp.lime_k_hcl * sr)
    so2 = so2_raw * math.exp(-sp.lime_k_so2 * sr)
    solids_kg_s = sp.fly_ash_frac * feed_ash * feed_kg_s + (lime_kg_h + carbon_kg_h) / 3600.0
    co = furnace.co_mg_nm3(o2_dry, t_furnace_degc, secondary_frac, burn_frac, sp)

    dose_mg_nm3 = carbon_kg_h / 3.6 / max(dry_nm3_s, 1e-9)  # kg/h -> mg/s over Nm3/s
    cold = max(0.0, FURNACE_MIN_TEMP_DEGC - t_furnace_degc) / DIOXIN_COLD_K
    de_novo = math.exp(-((t_exit_degc - DE_NOVO_PEAK_DEGC) / DE_NOVO_WIDTH_K) ** 2)
    dioxin_raw = (sp.dioxin_base_ng_nm3 * math.sqrt(max(co, 0.0) / sp.co_base_mg_nm3) * (1.0 + cold)
                  + sp.dioxin_de_novo_ng_nm3 * de_novo)
    dioxin = dioxin_raw * math.exp(-sp.carbon_k_nm3_per_mg * dose_mg_nm3)

    per_nm3 = 1e6 / dry_nm3_s  # kg/s -> mg/Nm3
    out[S_CO] = co
    out[S_NOX] = _normalised(nox * M_NO2 * per_nm3, o2_dry)
    out[S_SO2] = _normalised(so2 * M_SO2 * per_nm3, o2_dry)
    out[S_HCL] = _normalised(hcl * M_HCL * per_nm3, o2_dry)
    out[S_DUST] = _normalised(solids_kg_s * sp.bag_filter_penetration * per_nm3, o2_dry)
    out[S_NH3] = _normalised(nh3 * M_NH3 * per_nm3, o2_dry)
    out[S_DIOXIN] = _normalised(dioxin, o2_dry)
    out[S_O2_DRY] = o2_dry
