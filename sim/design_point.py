"""From a plant config to the numbers the core runs on, and the design steady state.

:func:`build` turns the config into the compiled core's parameter tuples, derives the boiler's
UA values from the design gas-temperature profile, and finds the design steady state by
simulation (bed first, then the whole core with an ideal level hold), so that
``Plant.from_config`` starts at design with no warm-up. Results are cached per config.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import core
from .config import PlantConfig
from .properties import P_SH_GRID_MPA, T_SH_GRID_DEGC, tables
from .state import PlantState, TRIP_NONE, TRIP_REASONS
from .subsystems import boiler, furnace, grate, stack, turbine
from .subsystems.thermo import SIGMA_W_M2K4, air_enthalpy_j_kmol, gas_heat_capacity_w_k, saturation
from .subsystems.chemistry import AIR_N2_FRAC, AIR_O2_FRAC, M_C, M_CL, M_H2O, M_LIME, M_N, M_S, M_UREA
from .subsystems.waste import AUX_BURNER_LAMBDA, AUX_FUEL_LHV_J_KG, CHAR_HEAT_J_KG, LATENT_HEAT_25C_J_KG, Fuel, make_fuel
from .units import ACTUATORS, NM3_PER_KMOL, degc_to_k

#: Warm-up used to find the steady state [s]: bed alone, then the full core (residence 1 h).
BED_WARMUP_S, CORE_WARMUP_S = 5 * 3600, 4 * 3600
#: Gain of the ideal level hold during the warm-up [t/h of feedwater per m of level error].
DESIGN_LEVEL_HOLD_T_H_PER_M = 40.0


@dataclass(frozen=True)
class Built:
    """Everything the plant needs to run the core for one config.

    ``physics`` is the compiled core's parameter tuple; ``design`` a one-plant
    :class:`sim.state.PlantState` at the design steady state (its ``plant``, ``out`` and ``bed``
    rows; the hopper empty, the clock and counters at zero).
    """

    fuel: Fuel
    physics: core.Physics
    lower: np.ndarray
    upper: np.ndarray
    design_actuators: dict
    design: PlantState
    design_gas_kmol_s: float
    design_steam_t_h: float
    design_pa_nm3_h: float
    design_sa_nm3_h: float


def _design_air(cfg: PlantConfig, fuel: Fuel) -> tuple[float, float]:
    w = cfg.waste
    stoich = fuel.stoich_air_nm3_kg(w.moisture_pct / 100, w.ash_pct / 100)
    total = stoich * cfg.design.excess_air_ratio * cfg.design.feed_rate_t_h * 1000.0
    return total * cfg.design.primary_air_fraction, total * (1 - cfg.design.primary_air_fraction)


def _ua_for(gas, t_in_k, t_out_k, t_sink_k, gas_cp) -> float:
    """UA that takes the gas from t_in to t_out against t_sink (the inverse of boiler.exchange)."""
    mcp = gas_heat_capacity_w_k(gas, 0.5 * (t_in_k + t_sink_k), gas_cp)
    return mcp * math.log((t_in_k - t_sink_k) / (t_out_k - t_sink_k))


def build_uncached(cfg: PlantConfig) -> Built:
    tb = tables()
    gas_h, gas_cp, sat_tab = (np.ascontiguousarray(a) for a in (tb.gas_h, tb.gas_cp, tb.sat))
    fuel = make_fuel(cfg.waste)
    w, d, g, fz, dr, b, t = cfg.waste, cfg.design, cfg.grate, cfg.furnace, cfg.drum, cfg.boiler, cfg.turbine
    moisture, ash = w.moisture_pct / 100, w.ash_pct / 100
    feed_kg_s = d.feed_rate_t_h / 3.6
    pa_nm3_h, sa_nm3_h = _design_air(cfg, fuel)
    nm3_h_per_kmol_s = NM3_PER_KMOL * 3600.0
    pa, sa = pa_nm3_h / nm3_h_per_kmol_s, sa_nm3_h / nm3_h_per_kmol_s

    gp = grate.GrateParams(
        cell_area_m2=g.area_m2 / g.n_cells, cp_j_kg_k=g.bed_cp_j_kg_k, emissivity=g.flame_to_bed_emissivity,
        t_dry_k=degc_to_k(g.drying_temp_degc), devol_prefactor_1_s=g.devol_prefactor_1_s,
        devol_activation_j_mol=g.devol_activation_j_mol, char_prefactor_1_s=g.char_prefactor_1_s,
        char_activation_j_mol=g.char_activation_j_mol, min_cell_mass_kg=g.min_cell_mass_kg,
        fixed_carbon_daf=fuel.fixed_carbon_daf, vol_heat_j_kg=fuel.vol_heat_j_kg,
        char_heat_j_kg=CHAR_HEAT_J_KG, latent_heat_j_kg=LATENT_HEAT_25C_J_KG, m_c_kg_kmol=M_C,
        m_h2o_kg_kmol=M_H2O, stoking_conductance_w_k=g.stoking_conductance_w_k,
        push_cells=float(g.feeder_push_cells), flame_cells=float(g.n_cells - g.burnout_cells), drying_conductance_w_k=g.drying_conductance_w_k,
        volatile_bed_burn_frac=g.volatile_bed_burn_frac, devol_equivalence_ratio=g.devol_equivalence_ratio, vol_o2_demand=fuel.vol_o2_demand_kmol_kg,
        vol_n2=fuel.vol_gas_kmol_kg[0], vol_co2=fuel.vol_gas_kmol_kg[2], vol_h2o=fuel.vol_gas_kmol_kg[3])
    vg = fuel.vol_gas_kmol_kg
    fp = furnace.FurnaceParams(
        wall_sigma_eps_area=SIGMA_W_M2K4 * fz.wall_effective_emissivity * fz.wall_area_m2,
        vol_heat_j_kg=fuel.vol_heat_j_kg, vol_n2=vg[0], vol_o2=vg[1], vol_co2=vg[2], vol_h2o=vg[3],
        vol_o2_demand=fuel.vol_o2_demand_kmol_kg, bed_cp_j_kg_k=g.bed_cp_j_kg_k,
        aux_lhv_j_kg=AUX_FUEL_LHV_J_KG, aux_lambda=AUX_BURNER_LAMBDA)

    # Design furnace state, algebraically: complete burnout on the grate, all volatiles above it.
    comb = (1 - moisture - ash) * feed_kg_s
    char = comb * fuel.fixed_carbon_daf
    vol = comb - char
    lhv = fuel.lhv_j_kg(moisture, ash)
    bed_out = np.zeros(grate.OUT_SIZE)
    bed_out[grate.OUT_N2] = AIR_N2_FRAC * pa
    bed_out[grate.OUT_O2] = AIR_O2_FRAC * pa - char / M_C
    bed_out[grate.OUT_CO2] = char / M_C
    bed_out[grate.OUT_H2O] = moisture * feed_kg_s / M_H2O
    bed_out[grate.OUT_VOLATILES_KG_S] = vol
    bed_out[grate.OUT_GAS_ENTHALPY_W] = feed_kg_s * lhv - vol * fuel.vol_heat_j_kg + pa * air_enthalpy_j_kmol(
        degc_to_k(d.primary_air_temp_degc), gas_h)
    sat = np.zeros(11)
    saturation(dr.design_pressure_mpa, sat_tab, sat)
    t_sat = sat[boiler.S_T]
    gas, f_out = np.zeros(4), np.zeros(furnace.F_SIZE)
    furnace.solve(bed_out, sa, degc_to_k(d.secondary_air_temp_degc), 0.0, degc_to_k(d.ambient_temp_degc),
                  t_sat + core.WALL_OVER_SATURATION_K, 1300.0, fp, gas_h, gas_cp, gas, f_out)
    t_f = f_out[furnace.F_TEMP_K]
    # Flame over the bed at design (before the bed's radiation is known): the start of the warm-up.
    t_flame = furnace.flame_temperature(bed_out, 0.0, degc_to_k(d.ambient_temp_degc), t_f, fp, gas_h, gas_cp,
                                        np.zeros(4))
    t1, t2, t3 = (degc_to_k(v) for v in (b.radiant_exit_temp_degc, b.superheater_exit_temp_degc, b.exit_temp_degc))
    t_steam = degc_to_k(b.steam_temp_degc)
    t_eco = degc_to_k(b.economiser_sink_temp_degc)
    if not t_f > t1 > t2 > t3:
        raise ValueError(f"design gas temperatures must fall along the boiler: furnace {t_f - 273.15:.0f} degC, "
                         f"passes {b.radiant_exit_temp_degc}, {b.superheater_exit_temp_degc}, {b.exit_temp_degc} degC")
    ua1 = _ua_for(gas, t_f, t1, t_sat, gas_cp)
    ua2 = _ua_for(gas, t1, t2, 0.5 * (t_sat + t_steam), gas_cp)
    ua3 = _ua_for(gas, t2, t3, t_eco, gas_cp)
    from iapws import IAPWS97
    h_fw = IAPWS97(P=dr.design_pressure_mpa + 0.5, T=degc_to_k(dr.feedwater_temp_degc)).h * 1e3
    n_gas = float(gas.sum())

    bp_partial = dict(
        ua_radiant_w_k=ua1, ua_superheater_w_k=ua2, ua_economiser_w_k=ua3, design_gas_kmol_s=n_gas,
        flow_exponent=b.convective_flow_exponent, economiser_sink_k=t_eco, wall_loss_w=b.wall_loss_mw * 1e6,
        feedwater_h_j_kg=h_fw, steam_temp_k=t_steam, dp_design_mpa=b.superheater_pressure_drop_mpa,
        total_volume_m3=dr.total_volume_m3, drum_volume_m3=dr.drum_volume_m3,
        riser_volume_m3=dr.riser_volume_m3, downcomer_volume_m3=dr.downcomer_volume_m3,
        level_area_m2=dr.level_area_m2, metal_heat_capacity_j_k=dr.metal_mass_kg * dr.metal_cp_j_kg_k,
        bubble_tau_s=dr.bubble_tau_s, steam_under_level_m3=dr.steam_under_level_m3, level_offset_m=0.0)
    # Design steam from the design heat (steady drum: feedwater = steam).
    b_out = np.zeros(5)
    provisional = boiler.BoilerParams(**bp_partial, design_steam_kg_s=1.0, valve_k_kg_s_mpa=0.0,
                                      circulation_kg_s=1.0, design_drum_heat_w=1.0)
    boiler.gas_passes(gas, t_f, t_sat, 0.0, provisional, gas_h, gas_cp, b_out)
    q_drum = f_out[furnace.F_WALL_W] + b_out[3]
    preheat_w = pa * (air_enthalpy_j_kmol(degc_to_k(d.primary_air_temp_degc), gas_h)
                      - air_enthalpy_j_kmol(degc_to_k(d.ambient_temp_degc), gas_h))
    steam = (q_drum - preheat_w) / (sat[boiler.S_H_S] - h_fw)  # steam to the superheater
    bp = boiler.BoilerParams(**bp_partial, design_steam_kg_s=steam,
                             valve_k_kg_s_mpa=steam / (t.design_valve_pct * dr.design_pressure_mpa),
                             circulation_kg_s=dr.circulation_ratio * steam, design_drum_heat_w=q_drum)
    alpha = boiler.void_fraction(q_drum, sat, bp)
    v_wt = (dr.downcomer_volume_m3 + (1 - alpha) * dr.riser_volume_m3 + 0.5 * dr.drum_volume_m3
            - dr.steam_under_level_m3)

    p_grid = P_SH_GRID_MPA.astype(float)
    h_target = np.array([np.interp(b.steam_temp_degc, T_SH_GRID_DEGC[~np.isnan(r)], r[~np.isnan(r)])
                         for r in tb.sh_h])
    cp = core.CoreParams(
        n_cells=float(g.n_cells), residence_s=g.residence_design_min * 60.0,
        pa_temp_k=degc_to_k(d.primary_air_temp_degc), sa_temp_k=degc_to_k(d.secondary_air_temp_degc),
        ambient_k=degc_to_k(d.ambient_temp_degc), fouling_rate_1_s=b.fouling_rate_per_h / 3600.0,
        fouling_max=b.fouling_max, thermocouple_tau_s=fz.thermocouple_tau_s, o2_tau_s=fz.o2_analyser_tau_s,
        lime_tau_s=cfg.fgt.lime_mixing_tau_s, cake_tau_s=cfg.fgt.filter_cake_tau_s,
        wall_over_sat_k=core.WALL_OVER_SATURATION_K, trip_level_low_m=dr.trip_level_low_low_mm / 1000,
        trip_level_high_m=dr.trip_level_high_high_mm / 1000, flame_failure_w=fz.flame_failure_heat_release_mw * 1e6,
        flame_failure_s=fz.flame_failure_detection_s, burner_holding_w=fz.burner_holding_fire_mw * 1e6,
        nm3_h_per_kmol_s=nm3_h_per_kmol_s, push_share=g.feeder_push_share,
        design_feed_kg_s=feed_kg_s, refractory_tau_s=fz.refractory_tau_s, hhv_daf_j_kg=fuel.hhv_daf_j_kg,
        h_daf=fuel.h_daf, dt_s=float(cfg.integration.dt_s))
    acts = cfg.actuators
    lower = np.array([acts[a].min for a in ACTUATORS])
    upper = np.array([acts[a].max for a in ACTUATORS])
    rates = np.array([acts[a].rate_per_min / 60.0 for a in ACTUATORS])
    zone = np.array(g.zone_air_split, dtype=float)

    design_cmd = {"feed_rate_t_h": d.feed_rate_t_h, "grate_speed_pct": 100.0, "primary_air_nm3_h": pa_nm3_h,
                  "secondary_air_nm3_h": sa_nm3_h, "feedwater_t_h": steam * 3.6,
                  "urea_kg_h": 0.0, "lime_kg_h": 0.0, "carbon_kg_h": 0.0, "aux_burner_mw": 0.0}
    design_cmd.update(_reagent_design(cfg, fuel, feed_kg_s, vol))
    ph = core.Physics(
        rates_per_s=rates, cp=cp, gp=gp, fp=fp, bp=bp, gas_h=gas_h, gas_cp=gas_cp, sat=sat_tab, zone_split=zone,
        p_grid=p_grid, h_target_grid=h_target, sp=stack.stack_params(fuel, cfg), tp=turbine.turbine_params(cfg.turbine),
        power_tables=(tb.sh_h, tb.sh_dh_isentropic, tb.sh_first, T_SH_GRID_DEGC, P_SH_GRID_MPA),
        design_gas_kmol_s=float(n_gas), design_pa_nm3_h=float(pa_nm3_h), design_sa_nm3_h=float(sa_nm3_h),
        design_feedwater_t_h=0.0)
    design = _steady_state(cfg, design_cmd, ph, v_wt, t_f, t_flame, moisture, ash, feed_kg_s)
    design_cmd["feedwater_t_h"] = float(design.plant[0]["actuator"][ACTUATORS.index("feedwater_t_h")])
    ph = ph._replace(design_feedwater_t_h=design_cmd["feedwater_t_h"])
    return Built(fuel=fuel, physics=ph, lower=lower, upper=upper, design_actuators=design_cmd, design=design,
                 design_gas_kmol_s=n_gas, design_steam_t_h=float(design.out[0]["steam_turbine_kg_s"] * 3.6),
                 design_pa_nm3_h=pa_nm3_h,
                 design_sa_nm3_h=sa_nm3_h)


def _reagent_design(cfg: PlantConfig, fuel: Fuel, feed_kg_s: float, vol_kg_s: float) -> dict:
    """Design reagent rates: urea at NSR 1.0 on the raw NOx, lime at SR 1.8 on the acid gases,
    activated carbon 0.45 kg per tonne of waste (docs/physics.md §7: 0.3-0.6 kg/t)."""
    fz, fg = cfg.furnace, cfg.fgt
    nox_kmol_s = fz.nox_fuel_n_conversion * vol_kg_s * fuel.vol_n_frac / M_N
    urea = 1.0 * nox_kmol_s / 2.0 * M_UREA * 3600.0
    hcl = vol_kg_s * fuel.vol_cl_frac * (1 - fg.chlorine_ash_retention) / M_CL
    so2 = vol_kg_s * fuel.vol_s_frac * (1 - fg.sulphur_ash_retention) / M_S
    lime = 1.8 * (0.5 * hcl + so2) * M_LIME * 3600.0
    return {"urea_kg_h": urea, "lime_kg_h": lime, "carbon_kg_h": 0.45 * feed_kg_s * 3.6}


def _steady_state(cfg, cmd, ph, v_wt, t_f, t_flame, moisture, ash, feed_kg_s) -> PlantState:
    """Run bed, then core, to the design steady state (feedwater holds the level at zero)."""
    cp, gp = ph.cp, ph.gp
    design = PlantState(1, cfg.grate.n_cells, 1, n_normals=1)
    r, o, bed, hopper, u = design.plant[0], design.out[0], design.bed[0], design.hopper[0], design.u[0]
    u[:] = [cmd[a] for a in ACTUATORS]
    r["actuator"] = u
    pa = cmd["primary_air_nm3_h"] / cp.nm3_h_per_kmol_s
    move = cp.n_cells / cp.residence_s
    flows, out = np.zeros(4), np.zeros(grate.OUT_SIZE)
    # Start from a bed of hot ash (as after a burner start-up) so that the fresh waste ignites.
    bed[grate.ASH, :] = 400.0
    bed[grate.SENSIBLE, :] = 400.0 * gp.cp_j_kg_k * 875.0
    for _ in range(int(BED_WARMUP_S / 10)):
        grate.step(bed, feed_kg_s, moisture, ash, move, 0.0, pa, cp.pa_temp_k, t_flame, t_f, 10.0, gp, ph.gas_h,
                   ph.gas_cp, ph.zone_split, flows, out)
    r["drum_water_volume_m3"] = v_wt
    r["drum_pressure_mpa"] = cfg.drum.design_pressure_mpa
    r["steam_under_level_m3"] = cfg.drum.steam_under_level_m3
    r["furnace_gas_k"] = r["thermocouple_k"] = t_f
    r["refractory_k"] = r["flame_k"] = t_flame
    r["turbine_valve_pct"] = cfg.turbine.design_valve_pct
    r["lime_reactor_kg_h"] = r["lime_cake_kg_h"] = cmd["lime_kg_h"]
    r["carbon_reactor_kg_h"] = r["carbon_cake_kg_h"] = cmd["carbon_kg_h"]
    r["fouling_rate_scale"] = 0.0
    o["feed_moisture"], o["feed_ash"] = moisture, ash
    step_s = 10.0
    n = int(step_s / cfg.integration.dt_s)
    s = design.arrays
    fw = ACTUATORS.index("feedwater_t_h")
    for _ in range(int(CORE_WARMUP_S / step_s)):
        # An inexhaustible hopper of design waste, and a level hold on the feedwater.
        hopper[0] = (1e9, moisture, ash)
        r["hopper_head"], r["hopper_count"], r["hopper_mass_kg"] = 0.0, 1.0, 1e9
        if o["steam_drum_kg_s"] > 0:
            u[fw] = o["steam_drum_kg_s"] * 3.6 - DESIGN_LEVEL_HOLD_T_H_PER_M * o["level_m"]
        core.integrate(s, 0, n, cfg.integration.dt_s, ph)
        if r["trip"] != TRIP_NONE:
            raise RuntimeError(f"design steady state not reached: trip {TRIP_REASONS[int(r['trip'])]}")
    r["actuator"][fw] = u[fw] = o["steam_drum_kg_s"] * 3.6
    g = o["gas_kmol_s"]
    r["o2_analyser_wet_pct"] = 100.0 * g[1] / (g[0] + g[1] + g[2] + g[3])
    r["thermocouple_k"] = r["furnace_gas_k"]
    r["fouling"] = 0.0
    design.balance[0] = 0.0
    r["time_s"] = 0.0
    r["hopper_head"] = r["hopper_count"] = r["hopper_mass_kg"] = 0.0
    hopper[:] = 0.0
    return design


@lru_cache(maxsize=8)
def _build_cached(key: str) -> Built:
    return build_uncached(PlantConfig.model_validate(json.loads(key)))


def build(cfg: PlantConfig) -> Built:
    """Cached :func:`build_uncached` (keyed by the config's content; the last 8 configs)."""
    return _build_cached(json.dumps(cfg.model_dump(mode="json"), sort_keys=True))
