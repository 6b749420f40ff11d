"""The continuous plant core: one compiled function that integrates all continuous parts.

State lives in three float64 arrays owned by the plant (see :class:`CoreState`):
``x`` (scalar states and cumulative balance counters, indices ``X_*``/``ACC_*`` below), ``bed``
(grate cells, see :mod:`sim.subsystems.grate`) and ``hopper`` (a ring buffer of crane grabs:
mass [kg], moisture [-], ash [-]). ``y`` receives the algebraic quantities of the last step
(``Y_*``), from which measurements are formed.

Each fixed step ``dt_s`` (plant config ``integration.dt_s``):
1. actuators move towards their commands at their rate limits;
2. the feeder takes waste from the bottom of the hopper (none while bridged or empty);
3. the grate bed advances (drying, devolatilisation, char burnout, transport) under the
   radiation of the flame and the refractory arches over it, whose surface temperature follows
   the flame temperature with the lining's thermal lag (the lining's heat storage itself is not
   modelled: the bed's radiation is taken from the gas, so the energy balance stays exact);
4. the flame over the bed (primary combustion zone, below the secondary air) and the furnace
   gas are solved algebraically; thermocouple and O2 analyser lag behind the furnace gas;
5. the gas crosses the boiler passes; the superheater and spray give the turbine steam;
6. the steam-air preheater takes drum steam; the drum balances advance (explicit Euler; the fastest drum time constant is minutes);
7. sorbent lags, fouling and the balance counters advance; trips are checked.
Nothing here allocates or knows SimPy; the plant calls :func:`integrate` between events.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .subsystems import boiler, furnace, grate, stack, turbine
from .subsystems.thermo import air_enthalpy_j_kmol, gas_enthalpy_w, saturation

# ---- scalar state x -------------------------------------------------------------------------
N_ACT = 9  # actuator positions occupy x[0:9] in sim.units.ACTUATORS order
(A_FEED, A_GRATE, A_PA, A_SA, A_FW, A_UREA, A_LIME, A_CARBON, A_AUX) = range(N_ACT)
(X_VWT, X_P, X_VSD, X_TGAS, X_TC, X_O2A, X_FOUL, X_LIME1, X_LIME2, X_CARB1, X_CARB2,
 X_MIXNOISE, X_BRIDGE, X_VALVE, X_TC_DRIFT, X_HOP_HEAD, X_HOP_COUNT, X_HOP_MASS, X_TIME,
 X_TRIP, X_FOUL_SCALE, X_TREF, X_TFLAME) = range(N_ACT, N_ACT + 23)
ACC0 = 40
(ACC_WASTE_KG, ACC_AIR_KG, ACC_AUX_FUEL_KG, ACC_FLUE_KG, ACC_ASH_KG, ACC_FW_KG, ACC_DRUM_STEAM_KG,
 ACC_SPRAY_KG, ACC_FUEL_J, ACC_AIR_J, ACC_AUX_J, ACC_STACK_J, ACC_UNBURNT_J, ACC_ASH_J,
 ACC_WALL_LOSS_J, ACC_Q_DRUM_J, ACC_Q_SH_J, ACC_FW_J, ACC_DRUM_STEAM_J, ACC_TURBINE_STEAM_J,
 ACC_SPRAY_J, ACC_TURBINE_STEAM_KG, ACC_PREHEAT_STEAM_KG, ACC_PREHEAT_STEAM_J, ACC_PREHEAT_J,
 ACC_CONDENSATE_J) = range(ACC0, ACC0 + 26)
NX = ACC0 + 26

TRIP_NONE, TRIP_LEVEL_LOW, TRIP_LEVEL_HIGH, TRIP_FLAME_LOSS = 0, 1, 2, 3
TRIP_REASONS = {TRIP_LEVEL_LOW: "drum level low-low", TRIP_LEVEL_HIGH: "drum level high-high",
                TRIP_FLAME_LOSS: "flame loss (furnace temperature)"}

# ---- algebraic outputs y --------------------------------------------------------------------
(Y_N2, Y_O2, Y_CO2, Y_H2O, Y_T_FURNACE_K, Y_T_RADIANT_K, Y_T_SH_K, Y_T_EXIT_K, Y_Q_DRUM_W,
 Y_Q_SH_W, Y_Q_WALL_W, Y_STEAM_DRUM_KG_S, Y_STEAM_TURBINE_KG_S, Y_H_STEAM_J_KG, Y_P_TURBINE_MPA,
 Y_SPRAY_KG_S, Y_HEAT_RELEASE_W, Y_BURN_FRAC, Y_VOLATILES_KG_S, Y_FEED_KG_S, Y_FEED_MOISTURE,
 Y_FEED_ASH, Y_PA_KMOL_S, Y_SA_KMOL_S, Y_LEVEL_M, Y_DISCHARGE_CHAR_KG_S, Y_DISCHARGE_ASH_KG_S,
 Y_FLUE_KG_S, Y_CHAR_BURNT_KG_S, Y_T_SAT_K, Y_WATER_EVAP_KG_S, Y_PREHEAT_STEAM_KG_S) = range(32)
NY = 32

HOPPER_SLOTS = 64

CoreParams = namedtuple("CoreParams", [
    "n_cells", "residence_s", "pa_temp_k", "sa_temp_k", "ambient_k", "fouling_rate_1_s",
    "fouling_max", "thermocouple_tau_s", "o2_tau_s", "lime_tau_s", "cake_tau_s",
    "wall_over_sat_k", "trip_level_low_m", "trip_level_high_m", "flame_loss_k",
    "nm3_h_per_kmol_s", "push_share", "design_feed_kg_s", "refractory_tau_s",
])

#: Water-wall surface above saturation seen by the flame [K] (tube metal + scale; typical 20-50 K).
WALL_OVER_SATURATION_K = 30.0
#: Molar mass of dry air [kg/kmol] (ISO 2533).
M_AIR = 28.96


@njit(cache=True)
def _rate_limit(x, i, command, rate_per_s, dt_s):
    d = command - x[i]
    lim = rate_per_s * dt_s
    if d > lim:
        d = lim
    elif d < -lim:
        d = -lim
    x[i] += d


@njit(cache=True)
def _take_feed(x, hopper, request_kg, y):
    """Remove up to request_kg from the bottom of the hopper; sets feed composition in y."""
    taken = 0.0
    moist = 0.0
    ash = 0.0
    while taken < request_kg and x[X_HOP_COUNT] > 0.5:
        h = int(x[X_HOP_HEAD])
        part = min(hopper[h, 0], request_kg - taken)
        moist += part * hopper[h, 1]
        ash += part * hopper[h, 2]
        taken += part
        hopper[h, 0] -= part
        if hopper[h, 0] <= 1e-9:
            x[X_HOP_HEAD] = (h + 1) % HOPPER_SLOTS
            x[X_HOP_COUNT] -= 1.0
    x[X_HOP_MASS] -= taken
    if taken > 0.0:
        y[Y_FEED_MOISTURE] = moist / taken
        y[Y_FEED_ASH] = ash / taken
    return taken


@njit(cache=True)
def integrate(x, bed, hopper, u, rates, n_steps, dt_s, cp, gp, fp, bp, gas_h, gas_cp, sat_table,
              zone_split, p_grid, h_target_grid, y, scratch):
    """Advance the core n_steps of dt_s. Stops early (returning the steps done) on a trip."""
    sat = scratch[0:11]
    flows = scratch[11:15]
    bed_out = scratch[15:15 + grate.OUT_SIZE]
    gas = scratch[30:34]
    f_out = scratch[34:34 + furnace.F_SIZE]
    b_out = scratch[44:49]
    # Per-call constants (dt_s and the parameters are fixed within a call): the lag factors
    # 1 - exp(-dt/tau) and the air enthalpies at the fixed air temperatures.
    k_tc = 1.0 - math.exp(-dt_s / cp.thermocouple_tau_s)
    k_ref = 1.0 - math.exp(-dt_s / cp.refractory_tau_s)
    k_o2 = 1.0 - math.exp(-dt_s / cp.o2_tau_s)
    k_bubble = 1.0 - math.exp(-dt_s / bp.bubble_tau_s)
    k1 = 1.0 - math.exp(-dt_s / cp.lime_tau_s)
    k2 = 1.0 - math.exp(-dt_s / cp.cake_tau_s)
    h_pa = air_enthalpy_j_kmol(cp.pa_temp_k, gas_h)
    h_sa = air_enthalpy_j_kmol(cp.sa_temp_k, gas_h)
    h_ambient = air_enthalpy_j_kmol(cp.ambient_k, gas_h)
    for step in range(n_steps):
        if x[X_TRIP] != TRIP_NONE:
            return step
        for a in range(N_ACT):
            _rate_limit(x, a, u[a], rates[a], dt_s)
        # Feeder: stopped while the hopper bridges.
        feed_kg_s = 0.0
        if x[X_BRIDGE] < 0.5:
            feed_kg_s = _take_feed(x, hopper, x[A_FEED] / 3.6 * dt_s, y) / dt_s
        moisture = min(max(y[Y_FEED_MOISTURE] + x[X_MIXNOISE], 0.05), 0.75)
        ash = y[Y_FEED_ASH]
        if moisture + ash > 0.95:
            moisture = 0.95 - ash
        lhv = ((1.0 - moisture - ash) * ((1.0 - gp.fixed_carbon_daf) * gp.vol_heat_j_kg
                                         + gp.fixed_carbon_daf * gp.char_heat_j_kg)
               - moisture * gp.latent_heat_j_kg)
        pa = x[A_PA] / cp.nm3_h_per_kmol_s
        sa = x[A_SA] / cp.nm3_h_per_kmol_s
        move = cp.n_cells / cp.residence_s * x[A_GRATE] / 100.0
        push = cp.n_cells / cp.residence_s * cp.push_share * (feed_kg_s / cp.design_feed_kg_s - 1.0)
        grate.step(bed, feed_kg_s, moisture, ash, move, push, pa, cp.pa_temp_k, x[X_TREF], x[X_TGAS], dt_s, gp,
                   gas_h, gas_cp, zone_split, flows, bed_out)
        saturation(x[X_P], sat_table, sat)
        t_sat = sat[boiler.S_T]
        aux_w = x[A_AUX] * 1e6
        x[X_TFLAME] = furnace.flame_temperature(bed_out, aux_w, cp.ambient_k, x[X_TFLAME], fp, gas_h, gas_cp, gas)
        furnace.solve(bed_out, sa, cp.sa_temp_k, aux_w, cp.ambient_k, t_sat + cp.wall_over_sat_k,
                      x[X_TGAS], fp, gas_h, gas_cp, gas, f_out)
        t_furnace = f_out[furnace.F_TEMP_K]
        x[X_TGAS] = t_furnace
        n_gas = gas[0] + gas[1] + gas[2] + gas[3]
        o2_wet = 100.0 * gas[1] / n_gas
        x[X_TC] += (t_furnace - x[X_TC]) * k_tc
        x[X_TREF] += (x[X_TFLAME] - x[X_TREF]) * k_ref
        x[X_O2A] += (o2_wet - x[X_O2A]) * k_o2
        # Boiler passes, superheater and drum.
        boiler.gas_passes(gas, t_furnace, t_sat, x[X_FOUL], bp, gas_h, gas_cp, b_out)
        q_drum = f_out[furnace.F_WALL_W] + b_out[3]
        q_sh = b_out[4]
        q_valve = boiler.steam_flow_kg_s(x[X_P], x[X_VALVE], bp)
        # The steam-air preheater condenses drum steam to heat the primary air (its condensate
        # returns to the feedwater tank at feedwater enthalpy).
        q_preheat_w = pa * (h_pa - h_ambient)
        q_pre = max(q_preheat_w, 0.0) / (sat[boiler.S_H_S] - bp.feedwater_h_j_kg)
        q_steam = q_valve + q_pre
        q_fw = x[A_FW] / 3.6
        p_turb, q_turb, h_steam, spray = boiler.superheater(q_valve, q_sh, x[X_P], sat[boiler.S_H_S],
                                                           bp, p_grid, h_target_grid)
        dv, dp = boiler.drum_derivatives(x[X_VWT], x[X_P], q_drum, q_fw, q_steam, sat, bp)
        # Balance counters (flows of this step, before the drum state moves).
        t_exit = b_out[2]
        air_kmol = pa + sa + f_out[furnace.F_AUX_AIR_KMOL_S]
        flue_kg_s = (air_kmol * M_AIR + f_out[furnace.F_AUX_KG_S] + bed_out[grate.OUT_VOLATILES_KG_S]
                     + bed_out[grate.OUT_BED_VOLATILES_KG_S]
                     + bed_out[grate.OUT_CHAR_BURNT_KG_S] + bed_out[grate.OUT_WATER_KG_S])
        x[ACC_WASTE_KG] += feed_kg_s * dt_s
        x[ACC_AIR_KG] += air_kmol * M_AIR * dt_s
        x[ACC_AUX_FUEL_KG] += f_out[furnace.F_AUX_KG_S] * dt_s
        x[ACC_FLUE_KG] += flue_kg_s * dt_s
        x[ACC_ASH_KG] += bed_out[grate.OUT_DISCHARGE_KG_S] * dt_s
        x[ACC_FW_KG] += q_fw * dt_s
        x[ACC_DRUM_STEAM_KG] += q_steam * dt_s
        x[ACC_SPRAY_KG] += spray * dt_s
        x[ACC_TURBINE_STEAM_KG] += q_turb * dt_s
        x[ACC_FUEL_J] += feed_kg_s * lhv * dt_s
        x[ACC_AIR_J] += (pa * h_pa + sa * h_sa + f_out[furnace.F_AUX_AIR_KMOL_S] * h_ambient) * dt_s
        x[ACC_AUX_J] += aux_w * dt_s
        # Unburnt volatiles are not cooled by the passes (no exchange modelled for them).
        x[ACC_STACK_J] += (gas_enthalpy_w(gas, t_exit, gas_h) + f_out[furnace.F_UNBURNT_KG_S]
                           * gp.cp_j_kg_k * (t_furnace - 298.15)) * dt_s
        x[ACC_UNBURNT_J] += f_out[furnace.F_UNBURNT_W] * dt_s
        x[ACC_ASH_J] += bed_out[grate.OUT_DISCHARGE_ENERGY_W] * dt_s
        x[ACC_WALL_LOSS_J] += bp.wall_loss_w * dt_s
        x[ACC_Q_DRUM_J] += q_drum * dt_s
        x[ACC_Q_SH_J] += q_sh * dt_s
        x[ACC_FW_J] += q_fw * bp.feedwater_h_j_kg * dt_s
        x[ACC_DRUM_STEAM_J] += q_steam * sat[boiler.S_H_S] * dt_s
        x[ACC_TURBINE_STEAM_J] += q_turb * h_steam * dt_s
        x[ACC_SPRAY_J] += spray * bp.feedwater_h_j_kg * dt_s
        x[ACC_PREHEAT_STEAM_KG] += q_pre * dt_s
        x[ACC_PREHEAT_STEAM_J] += q_pre * sat[boiler.S_H_S] * dt_s
        x[ACC_PREHEAT_J] += q_pre * (sat[boiler.S_H_S] - bp.feedwater_h_j_kg) * dt_s
        x[ACC_CONDENSATE_J] += q_pre * bp.feedwater_h_j_kg * dt_s
        # Drum state.
        x[X_VWT] += dv * dt_s
        x[X_P] += dp * dt_s
        # Flashing: a falling pressure releases stored heat of water and metal as extra steam
        # below the level (swell), a rising one condenses bubbles (shrink).
        q_evap = q_drum - boiler.flash_heat_j_per_mpa(x[X_VWT], sat, bp) * dp
        v_sd_target = bp.steam_under_level_m3 * max(q_evap, 0.0) / bp.design_drum_heat_w
        x[X_VSD] += (v_sd_target - x[X_VSD]) * k_bubble
        # Sorbent lags (dosing -> reactor -> filter cake) and fouling.
        x[X_LIME1] += (x[A_LIME] - x[X_LIME1]) * k1
        x[X_LIME2] += (x[X_LIME1] - x[X_LIME2]) * k2
        x[X_CARB1] += (x[A_CARBON] - x[X_CARB1]) * k1
        x[X_CARB2] += (x[X_CARB1] - x[X_CARB2]) * k2
        x[X_FOUL] = min(x[X_FOUL] + cp.fouling_rate_1_s * x[X_FOUL_SCALE] * dt_s, cp.fouling_max)
        x[X_TIME] += dt_s
        # Outputs of this step.
        for s in range(4):
            y[Y_N2 + s] = gas[s]
        y[Y_T_FURNACE_K] = t_furnace
        y[Y_T_RADIANT_K] = b_out[0]
        y[Y_T_SH_K] = b_out[1]
        y[Y_T_EXIT_K] = t_exit
        y[Y_Q_DRUM_W] = q_drum
        y[Y_Q_SH_W] = q_sh
        y[Y_Q_WALL_W] = f_out[furnace.F_WALL_W]
        y[Y_STEAM_DRUM_KG_S] = q_steam
        y[Y_STEAM_TURBINE_KG_S] = q_turb
        y[Y_H_STEAM_J_KG] = h_steam
        y[Y_P_TURBINE_MPA] = p_turb
        y[Y_SPRAY_KG_S] = spray
        y[Y_HEAT_RELEASE_W] = (f_out[furnace.F_HEAT_RELEASE_W] + bed_out[grate.OUT_CHAR_BURNT_KG_S] * gp.char_heat_j_kg
                               + bed_out[grate.OUT_BED_VOLATILES_KG_S] * gp.vol_heat_j_kg)
        y[Y_BURN_FRAC] = f_out[furnace.F_BURN_FRAC]
        y[Y_VOLATILES_KG_S] = bed_out[grate.OUT_VOLATILES_KG_S] + bed_out[grate.OUT_BED_VOLATILES_KG_S]
        y[Y_FEED_KG_S] = feed_kg_s
        y[Y_PA_KMOL_S] = pa
        y[Y_SA_KMOL_S] = sa
        y[Y_DISCHARGE_CHAR_KG_S] = bed_out[grate.OUT_DISCHARGE_CHAR_KG_S]
        y[Y_DISCHARGE_ASH_KG_S] = bed_out[grate.OUT_DISCHARGE_ASH_KG_S]
        y[Y_FLUE_KG_S] = flue_kg_s
        y[Y_CHAR_BURNT_KG_S] = bed_out[grate.OUT_CHAR_BURNT_KG_S]
        y[Y_T_SAT_K] = t_sat
        y[Y_WATER_EVAP_KG_S] = bed_out[grate.OUT_WATER_KG_S]
        y[Y_PREHEAT_STEAM_KG_S] = q_pre
        saturation(x[X_P], sat_table, sat)
        level = boiler.level_m(x[X_VWT], x[X_VSD], q_evap, sat, bp)
        y[Y_LEVEL_M] = level
        if level < cp.trip_level_low_m:
            x[X_TRIP] = TRIP_LEVEL_LOW
        elif level > cp.trip_level_high_m:
            x[X_TRIP] = TRIP_LEVEL_HIGH
        elif t_furnace < cp.flame_loss_k:
            x[X_TRIP] = TRIP_FLAME_LOSS
    return n_steps


@njit(cache=True)
def outputs(x, y, design_gas_kmol_s, design_pa_nm3_h, design_sa_nm3_h, design_feedwater_t_h, sp, tp, tables,
            stack_out, power_out):
    """Stack values (:func:`sim.subsystems.stack.stack_values`, ``S_*``) and power
    (:func:`sim.subsystems.turbine.power`, ``P_*``) of the state ``x, y``; the design flows
    normalise the fan and pump loads."""
    pa, sa = y[Y_PA_KMOL_S], y[Y_SA_KMOL_S]
    stack.stack_values(y[Y_N2], y[Y_O2], y[Y_CO2], y[Y_T_FURNACE_K] - 273.15, y[Y_T_EXIT_K] - 273.15,
                       y[Y_VOLATILES_KG_S], y[Y_BURN_FRAC], sa / max(pa + sa, 1e-9), y[Y_FEED_KG_S], y[Y_FEED_ASH],
                       x[A_UREA], x[X_LIME2], x[X_CARB2], sp, stack_out)
    gas = (y[Y_N2] + y[Y_O2] + y[Y_CO2] + y[Y_H2O]) / design_gas_kmol_s
    turbine.power(y[Y_STEAM_TURBINE_KG_S], y[Y_P_TURBINE_MPA], y[Y_H_STEAM_J_KG], gas, x[A_PA] / design_pa_nm3_h,
                  x[A_SA] / design_sa_nm3_h, x[A_FW] / design_feedwater_t_h, tp, tables, power_out)


def new_state(n_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Zeroed (x, bed, hopper, y) arrays of the right shapes."""
    return (np.zeros(NX), np.zeros((5, n_cells)), np.zeros((HOPPER_SLOTS, 3)), np.zeros(NY))


SCRATCH_SIZE = 64


def entry_point(dispatcher, *example_args):
    """The compiled machine-code entry of a numba function for the types of ``example_args``.

    Calling a numba dispatcher resolves the argument types on every call, which costs ~20 us for
    the parameter namedtuples of :func:`integrate` (more than 10 s of plant time takes to
    integrate). The plant resolves them once and calls the entry directly; later calls must pass
    arguments of exactly these types (the plant's own arrays and parameter tuples).
    """
    return dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in example_args))

