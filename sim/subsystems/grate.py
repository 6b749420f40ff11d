"""Grate bed: cells that move with the grate (docs/physics.md §3).

State ``bed`` has shape (5, n_cells); rows are water, volatiles, char, ash [kg] and the bed's
sensible heat above 25 degC [J]. The bed temperature is derived: ``T = 25 degC + S / (M cp)``.

Per cell and step (exact-exponential where a rate is first order):
- primary air of the cell (its share of the zone split) enters at the preheat temperature and
  leaves the bed at the bed temperature, with the O2 the char consumed;
- radiation ``sigma eps A (T_rad^4 - T_bed^4)``: the drying and main combustion zones (the first
  ``flame_cells``) see the flame over the bed and the refractory arches (lagged flame
  temperature), the burnout grate sees the furnace gas;
- drying is heat-transfer limited: the wet part of a cell takes heat from the rest at
  ``G_dry (T - T_dry)`` and evaporates water (latent heat at 25 degC, LHV basis, so the bed's
  chemical energy stays consistent with the waste LHV); a drying cell sits some tens of K above
  100 degC, and a hot cell that receives wet waste dries it over minutes instead of quenching;
- devolatilisation: Arrhenius ``k = A exp(-E/RT)`` (docs/physics.md §3.3: A ~ 5e3 1/s, E ~ 70 kJ/mol),
  capped by the advance of the ignition front, which the primary air feeds: at most
  ``devol_equivalence_ratio`` times the volatiles the cell's air O2 could burn;
- a share of the volatiles burns in the bed with the O2 the char leaves (flaming combustion
  at the ignition front), its heat kept in the cell;
- char burnout: Arrhenius kinetics, capped by the O2 the cell's primary air brings
  (12/32 kg C per kg O2, to CO2);
- stoking: heat exchange between neighbouring cells by the grate's mixing action;
- transport: the grate bars convey every cell at the grate speed; on the first cells (feeder
  table, drying and main combustion grate) the ram pushes the bed too, and the bed there moves
  at the faster of the two (a ram can push a bed but never pulls it back; the bars carry it on
  when the ram is slow or stopped). Each cell passes a fraction ``1 - exp(-k dt)`` in [0, 1) of
  its content to the next, with ``k >= 0`` for any command, so no mass ever goes negative; the
  last cell discharges bottom ash (with its unburnt char, LOI).

Energy bookkeeping is exact by construction: what leaves the bed (gas enthalpy, chemical energy
of the volatiles, the discharge) plus the change of the stored energy equals what came in (feed
LHV, air enthalpy, radiation); the tests check it.
"""
from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .chemistry import AIR_N2_FRAC, AIR_O2_FRAC
from .thermo import SIGMA_W_M2K4, air_enthalpy_j_kmol, gas_enthalpy_w, gas_heat_capacity_w_k

#: Universal gas constant [J/mol/K].
R_J_MOL_K = 8.314462618
T_REF_K = 298.15

GrateParams = namedtuple("GrateParams", [
    "cell_area_m2", "cp_j_kg_k", "emissivity", "t_dry_k", "devol_prefactor_1_s",
    "devol_activation_j_mol", "char_prefactor_1_s", "char_activation_j_mol", "min_cell_mass_kg",
    "fixed_carbon_daf", "vol_heat_j_kg", "char_heat_j_kg", "latent_heat_j_kg", "m_c_kg_kmol",
    "m_h2o_kg_kmol", "stoking_conductance_w_k", "push_cells", "flame_cells",
    "drying_conductance_w_k", "volatile_bed_burn_frac", "devol_equivalence_ratio", "vol_o2_demand", "vol_n2", "vol_co2", "vol_h2o",
])

# Rows of the bed array.
WATER, VOLATILES, CHAR, ASH, SENSIBLE = 0, 1, 2, 3, 4
# Entries of the output vector (flows from the bed to the furnace and out of the grate).
(OUT_N2, OUT_O2, OUT_CO2, OUT_H2O, OUT_VOLATILES_KG_S, OUT_GAS_ENTHALPY_W, OUT_RADIATION_W,
 OUT_CHAR_BURNT_KG_S, OUT_DISCHARGE_KG_S, OUT_DISCHARGE_ENERGY_W, OUT_DISCHARGE_CHAR_KG_S,
 OUT_DISCHARGE_ASH_KG_S, OUT_WATER_KG_S, OUT_BED_VOLATILES_KG_S, OUT_SIZE) = range(15)


@njit(cache=True)
def stored_energy_j(bed, p):
    """Chemical (LHV basis) plus sensible energy of the whole bed [J]."""
    total = 0.0
    for i in range(bed.shape[1]):
        total += (bed[VOLATILES, i] * p.vol_heat_j_kg + bed[CHAR, i] * p.char_heat_j_kg
                  - bed[WATER, i] * p.latent_heat_j_kg + bed[SENSIBLE, i])
    return total


@njit(cache=True, inline="always")
def transport_fractions(grate_rate_1_s, ram_rate_1_s, dt_s):
    """Shares of its content [-] a cell passes on in ``dt_s``: (grate cells, ram-pushed cells).

    The grate bars move the bed at ``grate_rate_1_s``; in the pushed cells it moves at the faster
    of the bars and the ram (``ram_rate_1_s``). Rates below 0 count as 0 (neither drive runs
    backwards), so both shares are ``1 - exp(-k dt)`` with ``k >= 0``: in [0, 1) for any rate and
    any ``dt_s >= 0``."""
    k_grate = max(grate_rate_1_s, 0.0)
    k_pushed = max(k_grate, ram_rate_1_s)
    return 1.0 - math.exp(-k_grate * dt_s), 1.0 - math.exp(-k_pushed * dt_s)


@njit(cache=True)
def step(bed, feed_kg_s, moisture, ash, grate_rate_1_s, ram_rate_1_s, pa_kmol_s, pa_temp_k, t_flame_k,
         t_gas_k, dt_s, p, gas_h, gas_cp, zone_split, flows, out):
    """Advance the bed by dt_s. Writes the bed's flows into ``out`` (see OUT_*).

    feed_kg_s: waste pushed onto the first cell; moisture, ash: its mass fractions [-];
    grate_rate_1_s: cell-to-cell transport rate of the grate bars (:func:`transport_rates`);
    ram_rate_1_s: the rate at which the feeder ram pushes the ``p.push_cells`` first cells
    (negative rates count as 0); pa_kmol_s: total primary air; pa_temp_k: its
    temperature; t_flame_k: radiating temperature of the flame and arches over the first
    ``p.flame_cells``; t_gas_k: furnace gas temperature radiating on the burnout cells. ``flows`` is scratch
    space of length 4.
    """
    for k in range(OUT_SIZE):
        out[k] = 0.0
    n = bed.shape[1]
    h_air_in = air_enthalpy_j_kmol(pa_temp_k, gas_h)
    t_flame4, t_gas4 = t_flame_k ** 4, t_gas_k ** 4
    rad_coeff = SIGMA_W_M2K4 * p.emissivity * p.cell_area_m2
    for i in range(n):
        t_rad4 = t_flame4 if i < p.flame_cells else t_gas4
        m = bed[WATER, i] + bed[VOLATILES, i] + bed[CHAR, i] + bed[ASH, i]
        pa_i = pa_kmol_s * zone_split[i]
        o2_i = AIR_O2_FRAC * pa_i
        if m < p.min_cell_mass_kg:
            # Empty cell: air passes through unchanged.
            out[OUT_N2] += AIR_N2_FRAC * pa_i
            out[OUT_O2] += o2_i
            out[OUT_GAS_ENTHALPY_W] += pa_i * h_air_in
            continue
        t_k = T_REF_K + bed[SENSIBLE, i] / (m * p.cp_j_kg_k)
        # Devolatilisation (exact for first order at fixed T).
        k_v = p.devol_prefactor_1_s * math.exp(-p.devol_activation_j_mol / (R_J_MOL_K * t_k))
        r_v = bed[VOLATILES, i] * (1.0 - math.exp(-k_v * dt_s)) / dt_s
        # ... but no faster than the ignition front advances, which the cell's primary air feeds.
        r_v_air = p.devol_equivalence_ratio * o2_i / p.vol_o2_demand
        if r_v > r_v_air:
            r_v = r_v_air
        # Char: kinetics capped by the O2 of this cell's primary air.
        k_c = p.char_prefactor_1_s * math.exp(-p.char_activation_j_mol / (R_J_MOL_K * t_k))
        r_c = bed[CHAR, i] * (1.0 - math.exp(-k_c * dt_s)) / dt_s
        r_c_o2 = o2_i * p.m_c_kg_kmol
        if r_c > r_c_o2:
            r_c = r_c_o2
        n_c = r_c / p.m_c_kg_kmol
        # Part of the volatiles burns inside the bed with the O2 the char left (flaming
        # combustion at the ignition front); its heat stays in the cell. This is what keeps the
        # ignition front alight when colder waste arrives.
        r_vb = p.volatile_bed_burn_frac * r_v
        o2_left = o2_i - n_c
        if r_vb * p.vol_o2_demand > o2_left:
            r_vb = max(o2_left, 0.0) / p.vol_o2_demand
        # Gas leaving the cell at the bed temperature (air minus O2 burnt plus products).
        flows[0] = AIR_N2_FRAC * pa_i + r_vb * p.vol_n2
        flows[1] = o2_left - r_vb * p.vol_o2_demand
        flows[2] = n_c + r_vb * p.vol_co2
        flows[3] = r_vb * p.vol_h2o
        # Radiation and the gas leaving are taken at the end-of-step temperature of a linearised
        # implicit step, so that light cells (the front of fresh waste) stay stable; the flows
        # booked are the flows applied, so the energy balance stays exact.
        power = (pa_i * h_air_in + rad_coeff * (t_rad4 - t_k ** 4) + r_c * p.char_heat_j_kg
                 + r_vb * p.vol_heat_j_kg - gas_enthalpy_w(flows, t_k, gas_h) - r_v * p.cp_j_kg_k * (t_k - T_REF_K))
        wet = bed[WATER, i] > 0.0
        conductance = (4.0 * rad_coeff * t_k ** 3 + gas_heat_capacity_w_k(flows, t_k, gas_cp)
                       + r_v * p.cp_j_kg_k + (p.drying_conductance_w_k if wet else 0.0))
        power_dry = p.drying_conductance_w_k * (t_k - p.t_dry_k) if wet and t_k > p.t_dry_k else 0.0
        t_eval = t_k + dt_s * (power - power_dry) / (m * p.cp_j_kg_k + dt_s * conductance)
        q_rad = rad_coeff * (t_rad4 - t_eval ** 4)
        sens_mass = p.cp_j_kg_k * (t_eval - T_REF_K)
        h_gas = gas_enthalpy_w(flows, t_eval, gas_h) + r_v * sens_mass
        s_new = bed[SENSIBLE, i] + dt_s * (pa_i * h_air_in + q_rad + r_c * p.char_heat_j_kg
                                           + r_vb * p.vol_heat_j_kg - h_gas)
        # Drying: heat flows from the hot part of the cell into its wet part at a finite rate,
        # conductance x (T - T_dry), and evaporates water (latent heat at 25 degC, LHV basis).
        r_w = 0.0
        if wet and t_eval > p.t_dry_k:
            r_w = p.drying_conductance_w_k * (t_eval - p.t_dry_k) / (p.latent_heat_j_kg + sens_mass)
            if r_w * dt_s > bed[WATER, i]:
                r_w = bed[WATER, i] / dt_s
            s_new -= r_w * dt_s * (p.latent_heat_j_kg + sens_mass)
        h_gas += r_w * sens_mass
        # Each rate is at most the cell's content per step, which it then removes; (m / dt) * dt
        # can round an ulp past m, so the remainder is held at 0 rather than at -1e-30 kg.
        bed[WATER, i] = max(bed[WATER, i] - r_w * dt_s, 0.0)
        bed[VOLATILES, i] = max(bed[VOLATILES, i] - r_v * dt_s, 0.0)
        bed[CHAR, i] = max(bed[CHAR, i] - r_c * dt_s, 0.0)
        bed[SENSIBLE, i] = s_new
        out[OUT_N2] += flows[0]
        out[OUT_O2] += flows[1]
        out[OUT_CO2] += flows[2]
        out[OUT_H2O] += flows[3] + r_w / p.m_h2o_kg_kmol
        out[OUT_VOLATILES_KG_S] += r_v - r_vb
        out[OUT_BED_VOLATILES_KG_S] += r_vb
        out[OUT_GAS_ENTHALPY_W] += h_gas
        out[OUT_RADIATION_W] += q_rad
        out[OUT_CHAR_BURNT_KG_S] += r_c
        out[OUT_WATER_KG_S] += r_w
    # Stoking: the grate bars' motion mixes burning material with its neighbours, which carries
    # heat back into the fresh waste (how a grate bed ignites: by a lumped cell's uniform
    # temperature alone the wet front would never light). Pairwise exchange conserves energy.
    for i in range(n - 1):
        m_a = bed[WATER, i] + bed[VOLATILES, i] + bed[CHAR, i] + bed[ASH, i]
        m_b = bed[WATER, i + 1] + bed[VOLATILES, i + 1] + bed[CHAR, i + 1] + bed[ASH, i + 1]
        if m_a < p.min_cell_mass_kg or m_b < p.min_cell_mass_kg:
            continue
        t_a = bed[SENSIBLE, i] / (m_a * p.cp_j_kg_k)
        t_b = bed[SENSIBLE, i + 1] / (m_b * p.cp_j_kg_k)
        c_min = min(m_a, m_b) * p.cp_j_kg_k
        g_dt = min(p.stoking_conductance_w_k * dt_s, 0.25 * c_min)
        q = g_dt * (t_b - t_a)
        bed[SENSIBLE, i] += q
        bed[SENSIBLE, i + 1] -= q
    # Transport along the grate, last cell first; the last cell discharges bottom ash.
    frac_grate, frac_pushed = transport_fractions(grate_rate_1_s, ram_rate_1_s, dt_s)
    for i in range(n - 1, -1, -1):
        frac = frac_pushed if i < p.push_cells else frac_grate
        for row in range(5):
            moved = bed[row, i] * frac
            bed[row, i] -= moved
            if i == n - 1:
                if row == CHAR:
                    out[OUT_DISCHARGE_CHAR_KG_S] += moved / dt_s
                    out[OUT_DISCHARGE_ENERGY_W] += moved * p.char_heat_j_kg / dt_s
                elif row == VOLATILES:
                    out[OUT_DISCHARGE_ENERGY_W] += moved * p.vol_heat_j_kg / dt_s
                elif row == WATER:
                    out[OUT_DISCHARGE_ENERGY_W] -= moved * p.latent_heat_j_kg / dt_s
                elif row == ASH:
                    out[OUT_DISCHARGE_ASH_KG_S] += moved / dt_s
                if row == SENSIBLE:
                    out[OUT_DISCHARGE_ENERGY_W] += moved / dt_s
                else:
                    out[OUT_DISCHARGE_KG_S] += moved / dt_s
            else:
                bed[row, i + 1] += moved
    # Feed onto the first cell at 25 degC (no sensible heat).
    comb = (1.0 - moisture - ash) * feed_kg_s * dt_s
    bed[WATER, 0] += moisture * feed_kg_s * dt_s
    bed[ASH, 0] += ash * feed_kg_s * dt_s
    bed[CHAR, 0] += comb * p.fixed_carbon_daf
    bed[VOLATILES, 0] += comb * (1.0 - p.fixed_carbon_daf)
