"""Furnace gas: algebraic energy and species balance of the furnace and 2-s zone (docs/physics.md §4).

The gas is fast (residence seconds), so at each step it is solved algebraically: the enthalpy of
everything entering (gas from the bed, volatiles burning with the O2 available, secondary air,
the auxiliary burner) less the radiation the bed received and the radiation to the water walls
``sigma eps A (T^4 - T_wall^4)`` equals the enthalpy of the products at the furnace temperature.
Newton iterations (a fixed number, so results are bit-reproducible) solve for that temperature.
Species come from the elemental balance of what burnt. Volatiles that find no O2 leave unburnt
(their heat is lost; CO then rises steeply, see :func:`co_mg_nm3`).

Raw pollutant formation (dry, at the actual O2) is computed here too, as functions of the solved
furnace state; see each function for its source.
"""
from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .chemistry import AIR_N2_FRAC, AIR_O2_FRAC, M_CH4, M_UREA
from .thermo import air_enthalpy_j_kmol, gas_enthalpy_w, gas_heat_capacity_w_k
from .grate import (OUT_CO2, OUT_GAS_ENTHALPY_W, OUT_H2O, OUT_N2, OUT_O2, OUT_RADIATION_W,
                    OUT_VOLATILES_KG_S)

T_REF_K = 298.15
NEWTON_ITERATIONS = 4
#: Cap of the CO exponent (e^12 ~ 1.6e5 x the reference): keeps a cold, air-starved furnace finite.
CO_EXPONENT_CAP = 12.0
#: Upper bound of the fuel-N conversion [-] (conversions above ~0.5 are not reported for grates).
NOX_CONVERSION_CAP = 0.5
#: Width of the NH3 -> NO oxidation onset [K] (logistic around nh3_oxidation_temp_degc).
NH3_OXIDATION_WIDTH_K = 30.0

FurnaceParams = namedtuple("FurnaceParams", [
    "wall_sigma_eps_area", "vol_heat_j_kg", "vol_n2", "vol_o2", "vol_co2", "vol_h2o",
    "vol_o2_demand", "bed_cp_j_kg_k", "aux_lhv_j_kg", "aux_lambda",
])

# Entries of the furnace output vector.
(F_TEMP_K, F_WALL_W, F_BURN_FRAC, F_UNBURNT_W, F_HEAT_RELEASE_W, F_UNBURNT_KG_S, F_AUX_KG_S,
 F_AUX_AIR_KMOL_S, F_SIZE) = range(9)


@njit(cache=True)
def _mix_and_burn(bed_out, air_kmol_s, aux_w, p, gas):
    """Species of the bed gas plus ``air_kmol_s`` of air plus the auxiliary burner (CH4 with its
    own air), after the released volatiles burnt as far as the O2 allows. Fills ``gas`` and
    returns (volatiles burnt [kg/s], burnt share [-], CH4 [kg/s], burner air [kmol/s])."""
    aux_kg_s = aux_w / p.aux_lhv_j_kg
    n_ch4 = aux_kg_s / M_CH4
    aux_air = 2.0 * n_ch4 * p.aux_lambda / AIR_O2_FRAC
    gas[0] = bed_out[OUT_N2] + AIR_N2_FRAC * (air_kmol_s + aux_air)
    gas[1] = bed_out[OUT_O2] + AIR_O2_FRAC * (air_kmol_s + aux_air) - 2.0 * n_ch4
    gas[2] = bed_out[OUT_CO2] + n_ch4
    gas[3] = bed_out[OUT_H2O] + 2.0 * n_ch4
    r_v = bed_out[OUT_VOLATILES_KG_S]
    demand = r_v * p.vol_o2_demand
    burn = 1.0
    if demand > 0.0 and gas[1] < demand:
        burn = max(gas[1], 0.0) / demand
    burnt = burn * r_v
    gas[0] += burnt * p.vol_n2
    gas[1] += burnt * p.vol_o2
    gas[2] += burnt * p.vol_co2
    gas[3] += burnt * p.vol_h2o
    return burnt, burn, aux_kg_s, aux_air


@njit(cache=True)
def _gas_temperature(gas, unburnt_kg_s, h_in_w, sea, wall_temp_k, t_guess_k, p, gas_h, gas_cp):
    """Temperature at which the products (plus unburnt volatiles' sensible heat) and the radiation
    ``sea (T^4 - T_wall^4)`` carry ``h_in_w``; a fixed number of Newton iterations."""
    tw4 = wall_temp_k ** 4
    t = t_guess_k
    for _ in range(NEWTON_ITERATIONS):
        f = (gas_enthalpy_w(gas, t, gas_h) + unburnt_kg_s * p.bed_cp_j_kg_k * (t - T_REF_K)
             + sea * (t ** 4 - tw4) - h_in_w)
        df = gas_heat_capacity_w_k(gas, t, gas_cp) + unburnt_kg_s * p.bed_cp_j_kg_k + 4.0 * sea * t ** 3
        t -= f / df
    return t


@njit(cache=True)
def flame_temperature(bed_out, aux_w, ambient_k, t_guess_k, p, gas_h, gas_cp, gas):
    """Temperature of the flame over the bed [K]: the primary combustion zone below the
    secondary-air nozzles, where the volatiles burn with the O2 the primary air left and the
    auxiliary burners fire (they sit in the lower furnace walls to support ignition).

    Taken adiabatic apart from the radiation the bed receives (the lower furnace is lined with
    refractory, so its wall loss is small), hence an upper estimate of the mean flame temperature;
    measured flame temperatures over municipal-waste grates are ~1,100-1,400 degC (Yang, Sharifi
    & Swithenbank 2004, Fuel 83, 1553). This is what radiates on the bed (docs/physics.md §3.2:
    ``sigma eps (T_flame^4 - T_bed^4)``); the secondary air dilutes the gas only above it.
    ``gas`` is scratch space of length 4.
    """
    burnt, _, _, aux_air = _mix_and_burn(bed_out, 0.0, aux_w, p, gas)
    unburnt = bed_out[OUT_VOLATILES_KG_S] - burnt
    h_in = (bed_out[OUT_GAS_ENTHALPY_W] - bed_out[OUT_RADIATION_W] + burnt * p.vol_heat_j_kg
            + aux_air * air_enthalpy_j_kmol(ambient_k, gas_h) + aux_w)
    return _gas_temperature(gas, unburnt, h_in, 0.0, T_REF_K, t_guess_k, p, gas_h, gas_cp)


@njit(cache=True)
def solve(bed_out, sa_kmol_s, sa_temp_k, aux_w, ambient_k, wall_temp_k, t_guess_k, p,
          gas_h, gas_cp, gas, out):
    """Solve the furnace for one step. Fills ``gas`` (kmol/s of N2, O2, CO2, H2O) and ``out``."""
    burnt, burn, aux_kg_s, aux_air = _mix_and_burn(bed_out, sa_kmol_s, aux_w, p, gas)
    unburnt = bed_out[OUT_VOLATILES_KG_S] - burnt
    h_in = (bed_out[OUT_GAS_ENTHALPY_W] - bed_out[OUT_RADIATION_W] + burnt * p.vol_heat_j_kg
            + sa_kmol_s * air_enthalpy_j_kmol(sa_temp_k, gas_h)
            + aux_air * air_enthalpy_j_kmol(ambient_k, gas_h) + aux_w)
    sea = p.wall_sigma_eps_area
    t = _gas_temperature(gas, unburnt, h_in, sea, wall_temp_k, t_guess_k, p, gas_h, gas_cp)
    out[F_TEMP_K] = t
    out[F_WALL_W] = sea * (t ** 4 - wall_temp_k ** 4)
    out[F_BURN_FRAC] = burn
    out[F_UNBURNT_W] = unburnt * p.vol_heat_j_kg
    out[F_UNBURNT_KG_S] = unburnt
    out[F_AUX_KG_S] = aux_kg_s
    out[F_AUX_AIR_KMOL_S] = aux_air
    out[F_HEAT_RELEASE_W] = burnt * p.vol_heat_j_kg + aux_w


@njit(cache=True)
def co_mg_nm3(o2_dry_pct, temp_degc, secondary_frac, burn_frac, fp) -> float:
    """Raw CO [mg/Nm3 dry, 11 % O2] of the furnace exit.

    Empirical CO breakthrough (docs/physics.md §4.3: CO rises sharply at low O2, low temperature, poor
    secondary-air mixing): ``CO = CO0 exp(-(O2-O2ref)/s_O2) exp(-(T-Tref)/s_T) (f_ref/f)^m``,
    plus the CO of volatiles that found no O2 (``burn_frac < 1``: 10 g/Nm3 per 100 % unburnt,
    the order of CO in sub-stoichiometric flames).
    """
    mix = (fp.co_ref_secondary_frac / max(secondary_frac, 0.01)) ** fp.co_mixing_exponent
    x = (-(o2_dry_pct - fp.co_ref_o2_dry_pct) / fp.co_o2_scale_pct
         - (temp_degc - fp.co_ref_temp_degc) / fp.co_temp_scale_k)
    co = fp.co_base_mg_nm3 * math.exp(min(x, CO_EXPONENT_CAP)) * mix
    return co + 1.0e4 * (1.0 - burn_frac)


@njit(cache=True)
def nox_fuel_conversion(o2_dry_pct, temp_degc, fp) -> float:
    """Share of fuel-N leaving as NOx (docs/physics.md §4.3: 4-8 % of fuel-N, rising with T and O2)."""
    conv = (fp.nox_fuel_n_conversion * (max(o2_dry_pct, 0.1) / fp.nox_ref_o2_dry_pct) ** fp.nox_o2_exponent
            * math.exp((temp_degc - fp.nox_ref_temp_degc) / fp.nox_temp_scale_k))
    return min(conv, NOX_CONVERSION_CAP)


@njit(cache=True)
def sncr(nox_kmol_s, urea_kg_h, temp_degc, fp) -> tuple[float, float]:
    """SNCR with urea: returns (NOx left, NH3 slip) in kmol/s.

    Urea CO(NH2)2 (60.06 kg/kmol) gives 2 NH3; NSR = NH3/NOx. Removal
    ``eta = eta_max exp(-((T-T_opt)/w)^2) (1 - exp(-k NSR))`` (window ~850-1,050 degC, best near
    950-1,000 degC, docs/physics.md §4.4). NH3 that did not react: above the oxidation temperature it
    burns to NO; below, it slips (part is captured downstream).
    """
    nh3 = 2.0 * urea_kg_h / 3600.0 / M_UREA
    if nox_kmol_s <= 0.0:
        return 0.0, nh3 * (1 - fp.nh3_capture_frac)
    nsr = nh3 / nox_kmol_s
    window = math.exp(-((temp_degc - fp.sncr_opt_temp_degc) / fp.sncr_window_k) ** 2)
    removed = nox_kmol_s * fp.sncr_max_efficiency * window * (1.0 - math.exp(-fp.sncr_nsr_k * nsr))
    excess = max(nh3 - removed, 0.0)
    oxidised = excess / (1.0 + math.exp(-(temp_degc - fp.nh3_oxidation_temp_degc) / NH3_OXIDATION_WIDTH_K))
    slip = (excess - oxidised) * (1.0 - fp.nh3_capture_frac)
    return nox_kmol_s - removed + oxidised, slip
