"""The continuous plant core: compiled stages that integrate all continuous parts of one plant.

State is a :class:`sim.state.PlantState` (its compiled view ``s``, a :class:`sim.state.StateArrays`)
and a row ``i``; the parameters are one :class:`Physics` tuple per plant config
(:func:`sim.design_point.build`). Each fixed step ``dt_s`` (plant config ``integration.dt_s``)
runs these stages, each a pure function of its inputs that writes its own part of the state:

1. :func:`actuators_stage` -- actuators move towards their commands at their rate limits;
2. :func:`feeder_stage` -- the feeder takes waste from the bottom of the hopper (none while
   bridged or empty), with the hopper-mixing noise on its moisture;
3. bed -- :func:`sim.subsystems.grate.step` advances the grate (drying, devolatilisation, char
   burnout, transport) under the radiation of the flame and the refractory arches over it;
4. :func:`furnace_stage` -- the flame over the bed (primary combustion zone, below the secondary
   air) and the furnace gas are solved algebraically; thermocouple, refractory and O2 analyser lag;
5. :func:`boiler_stage` -- the gas crosses the boiler passes; the superheater and spray give the
   turbine steam; the steam-air preheater takes drum steam; the drum balances give the derivatives;
6. :func:`balance_stage` -- the cumulative mass and energy counters take this step's flows;
7. :func:`drum_stage` -- the drum state advances (explicit Euler; its fastest time constant is
   minutes) with the flash steam under the level (swell/shrink);
8. :func:`fgt_stage` -- sorbent lags (dosing -> reactor -> filter cake) and fouling advance;
9. :func:`output_stage` and :func:`trip_stage` -- the step's algebraic outputs, then the trips
   (drum level; flame failure on the waste's own heat release, not a gas temperature).

Nothing here allocates or knows SimPy; the plant calls :func:`sync` between events.
"""
from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from .state import N_ACT, TRIP_FLAME_FAILURE, TRIP_LEVEL_HIGH, TRIP_LEVEL_LOW, TRIP_NONE
from .subsystems import boiler, furnace, grate, stack, turbine
from .subsystems.thermo import air_enthalpy_j_kmol, gas_enthalpy_w, saturation
from .subsystems.chemistry import M_AIR
from .subsystems.waste import lhv_j_kg

#: Feed moisture after the hopper-mixing noise is held in this range [mass fraction] (the noise
#: is Gaussian; waste outside it does not reach a grate), and moisture + ash below FEED_WET_ASH_MAX.
FEED_MOISTURE_MIN, FEED_MOISTURE_MAX, FEED_WET_ASH_MAX = 0.05, 0.75, 0.95

CoreParams = namedtuple("CoreParams", [
    "n_cells", "residence_s", "pa_temp_k", "sa_temp_k", "ambient_k", "fouling_rate_1_s",
    "fouling_max", "thermocouple_tau_s", "o2_tau_s", "lime_tau_s", "cake_tau_s",
    "wall_over_sat_k", "trip_level_low_m", "trip_level_high_m", "flame_failure_w",
    "flame_failure_s", "burner_holding_w",
    "nm3_h_per_kmol_s", "push_share", "design_feed_kg_s", "refractory_tau_s",
    "hhv_daf_j_kg", "h_daf", "dt_s",
])

#: What the compiled core needs of one plant config (built once by :func:`sim.design_point.build`):
#: actuator rate limits [unit/s], the parameter tuples of the core and each subsystem, the property
#: tables, and the design flows that normalise the fan and pump loads.
Physics = namedtuple("Physics", [
    "rates_per_s", "cp", "gp", "fp", "bp", "gas_h", "gas_cp", "sat", "zone_split", "p_grid", "h_target_grid",
    "sp", "tp", "power_tables", "design_gas_kmol_s", "design_pa_nm3_h", "design_sa_nm3_h", "design_feedwater_t_h",
])

#: Water-wall surface above saturation seen by the flame [K] (tube metal + scale; typical 20-50 K,
#: docs/physics.md §4).
WALL_OVER_SATURATION_K = 30.0
# Scratch layout of the integrator (``s.scratch[i]``).
_SAT, _FLOWS, _BED_OUT, _GAS, _F_OUT, _B_OUT = 0, 11, 15, 30, 34, 44


@njit(cache=True, inline="always")
def feed_composition(r, o):
    """(moisture, ash) [mass fractions] of the waste the feeder delivers now: the feed's own plus
    the hopper-mixing noise, moisture held in [FEED_MOISTURE_MIN, FEED_MOISTURE_MAX] and below
    ``FEED_WET_ASH_MAX - ash``."""
    moisture = min(max(o.feed_moisture + r.mixing_noise, FEED_MOISTURE_MIN), FEED_MOISTURE_MAX)
    ash = o.feed_ash
    if moisture + ash > FEED_WET_ASH_MAX:
        moisture = FEED_WET_ASH_MAX - ash
    return moisture, ash


@njit(cache=True, inline="always")
def actuators_stage(act, u, rates, dt_s):
    """Move every actuator position ``act`` towards its command ``u`` at its rate limit [unit/s]."""
    for a in range(N_ACT):
        d = u[a] - act[a]
        lim = rates[a] * dt_s
        if d > lim:
            d = lim
        elif d < -lim:
            d = -lim
        act[a] += d


@njit(cache=True, inline="always")
def take_feed(r, o, hopper, request_kg):
    """Remove up to ``request_kg`` from the bottom of the hopper (grab by grab); sets the feed's
    moisture and ash in ``o`` (kept from the last feed when nothing is taken). Returns kg taken."""
    taken = 0.0
    moist = 0.0
    ash = 0.0
    while taken < request_kg and r.hopper_count > 0.5:
        h = int(r.hopper_head)
        part = min(hopper[h, 0], request_kg - taken)
        moist += part * hopper[h, 1]
        ash += part * hopper[h, 2]
        taken += part
        hopper[h, 0] -= part
        if hopper[h, 0] <= 1e-9:
            r.hopper_head = (h + 1) % hopper.shape[0]
            r.hopper_count -= 1.0
    r.hopper_mass_kg -= taken
    if taken > 0.0:
        o.feed_moisture = moist / taken
        o.feed_ash = ash / taken
    return taken


@njit(cache=True, inline="always")
def feeder_stage(r, o, hopper, feed_t_h, dt_s):
    """Feed rate [kg/s] the feeder delivers this step at its position ``feed_t_h`` (none while the
    hopper bridges)."""
    if r.bridged < 0.5:
        return take_feed(r, o, hopper, feed_t_h / 3.6 * dt_s) / dt_s
    return 0.0


@njit(cache=True, inline="always")
def transport_rates(grate_speed_pct, feed_kg_s, cp):
    """Transport rates [1/s] of the bed: (grate bars, feeder ram), both >= 0.

    The bars convey every cell at ``n_cells / residence`` times the grate speed (100 % = design
    residence). The ram pushes the first cells at a rate proportional to the waste it actually
    delivers (``feed_kg_s``, none while the hopper bridges or is empty), ``push_share`` times
    the design conveyance at design feed: at the design point ram and bars are matched, as a
    line is set up, so the design bed is that of the bars alone (docs/physics.md §3.2)."""
    k_design = cp.n_cells / cp.residence_s
    grate_rate = k_design * max(grate_speed_pct, 0.0) / 100.0
    ram_rate = k_design * cp.push_share * max(feed_kg_s, 0.0) / cp.design_feed_kg_s
    return grate_rate, ram_rate


@njit(cache=True, inline="always")
def furnace_stage(r, bed_out, sa, aux_w, t_sat, cp, fp, gas_h, gas_cp, gas, f_out, k_tc, k_ref, k_o2):
    """Flame over the bed, furnace gas after the secondary air (into ``gas``, ``f_out``) and the lags
    of thermocouple, refractory and O2 analyser (factors ``k_*`` = 1 - exp(-dt/tau))."""
    r.flame_k = furnace.flame_temperature(bed_out, aux_w, cp.ambient_k, r.flame_k, fp, gas_h, gas_cp, gas)
    furnace.solve(bed_out, sa, cp.sa_temp_k, aux_w, cp.ambient_k, t_sat + cp.wall_over_sat_k,
                  r.furnace_gas_k, fp, gas_h, gas_cp, gas, f_out)
    t_furnace = f_out[furnace.F_TEMP_K]
    r.furnace_gas_k = t_furnace
    n_gas = gas[0] + gas[1] + gas[2] + gas[3]
    o2_wet = 100.0 * gas[1] / n_gas
    r.thermocouple_k += (t_furnace - r.thermocouple_k) * k_tc
    r.refractory_k += (r.flame_k - r.refractory_k) * k_ref
    r.o2_analyser_wet_pct += (o2_wet - r.o2_analyser_wet_pct) * k_o2
    return t_furnace


@njit(cache=True, inline="always")
def boiler_stage(r, gas, t_furnace, t_sat, f_out, pa, h_pa, h_ambient, q_fw, sat, bp, gas_h, gas_cp, p_grid,
                 h_grid, b_out):
    """Boiler passes, superheater and spray, steam-air preheater and the drum's derivatives.

    ``q_fw``: feedwater [kg/s]. Returns (q_drum [W], q_sh [W], drum steam [kg/s], preheater steam
    [kg/s], turbine inlet pressure [MPa], turbine steam [kg/s], its enthalpy [J/kg], spray [kg/s],
    dV_wt/dt [m3/s], dp/dt [MPa/s])."""
    boiler.gas_passes(gas, t_furnace, t_sat, r.fouling, bp, gas_h, gas_cp, b_out)
    q_drum = f_out[furnace.F_WALL_W] + b_out[3]
    q_sh = b_out[4]
    q_valve = boiler.steam_flow_kg_s(r.drum_pressure_mpa, r.turbine_valve_pct, bp)
    # The steam-air preheater condenses drum steam to heat the primary air (its condensate
    # returns to the feedwater tank at feedwater enthalpy).
    q_preheat_w = pa * (h_pa - h_ambient)
    q_pre = max(q_preheat_w, 0.0) / (sat[boiler.S_H_S] - bp.feedwater_h_j_kg)
    q_steam = q_valve + q_pre
    p_turb, q_turb, h_steam, spray = boiler.superheater(q_valve, q_sh, r.drum_pressure_mpa, sat[boiler.S_H_S],
                                                       bp, p_grid, h_grid)
    dv, dp = boiler.drum_derivatives(r.drum_water_volume_m3, r.drum_pressure_mpa, q_drum, q_fw, q_steam, sat, bp)
    return q_drum, q_sh, q_steam, q_pre, p_turb, q_turb, h_steam, spray, dv, dp


@njit(cache=True, inline="always")
def drum_stage(r, dv, dp, q_drum, sat, bp, k_bubble, dt_s):
    """Advance drum water volume and pressure; the flash steam of a pressure change moves the
    bubbles under the level (swell on a falling pressure, shrink on a rising one). Returns the
    evaporation [W] that drives the level's void fraction."""
    r.drum_water_volume_m3 += dv * dt_s
    r.drum_pressure_mpa += dp * dt_s
    q_evap = q_drum - boiler.flash_heat_j_per_mpa(r.drum_water_volume_m3, sat, bp) * dp
    v_sd_target = bp.steam_under_level_m3 * max(q_evap, 0.0) / bp.design_drum_heat_w
    r.steam_under_level_m3 += (v_sd_target - r.steam_under_level_m3) * k_bubble
    return q_evap


@njit(cache=True, inline="always")
def fgt_stage(r, lime_kg_h, carbon_kg_h, cp, k1, k2, dt_s):
    """Sorbent lags (dosing -> reactor -> filter cake) and boiler fouling."""
    r.lime_reactor_kg_h += (lime_kg_h - r.lime_reactor_kg_h) * k1
    r.lime_cake_kg_h += (r.lime_reactor_kg_h - r.lime_cake_kg_h) * k2
    r.carbon_reactor_kg_h += (carbon_kg_h - r.carbon_reactor_kg_h) * k1
    r.carbon_cake_kg_h += (r.carbon_reactor_kg_h - r.carbon_cake_kg_h) * k2
    r.fouling = min(r.fouling + cp.fouling_rate_1_s * r.fouling_rate_scale * dt_s, cp.fouling_max)


@njit(cache=True, inline="always")
def trip_stage(r, level_m, waste_heat_w, aux_w, cp, dt_s):
    """Set the trip code: drum level low-low / high-high, flame failure.

    Flame failure is detected on the combustion itself, not on a gas temperature (a furnace runs
    on, and breaches 850 degC, while its bed burns): ``r.flame_out_s`` counts the time the waste
    heat release ``waste_heat_w`` [W] (bed and flame, burners excluded) has been below
    ``cp.flame_failure_w`` while the burners fire ``aux_w`` [W] below their holding fire
    ``cp.burner_holding_w``; it resets as soon as either holds a flame, and the trip comes once it
    reaches ``cp.flame_failure_s`` (the detection time; docs/physics.md §4.5)."""
    if waste_heat_w < cp.flame_failure_w and aux_w < cp.burner_holding_w:
        r.flame_out_s += dt_s
    else:
        r.flame_out_s = 0.0
    if level_m < cp.trip_level_low_m:
        r.trip = TRIP_LEVEL_LOW
    elif level_m > cp.trip_level_high_m:
        r.trip = TRIP_LEVEL_HIGH
    elif r.flame_out_s >= cp.flame_failure_s:
        r.trip = TRIP_FLAME_FAILURE


@njit(cache=True)
def integrate(s, i, n_steps, dt_s, ph):
    """Advance the core of plant ``i`` by ``n_steps`` of ``dt_s``. Stops early (returning the
    steps done) on a trip."""
    r, o, bal = s.plant[i], s.out[i], s.balance[i]
    bed, hopper, u, scratch = s.bed[i], s.hopper[i], s.u[i], s.scratch[i]
    act = r.actuator
    cp, gp, fp, bp, gas_h, gas_cp = ph.cp, ph.gp, ph.fp, ph.bp, ph.gas_h, ph.gas_cp
    sat = scratch[_SAT:_SAT + 11]
    flows = scratch[_FLOWS:_FLOWS + 4]
    bed_out = scratch[_BED_OUT:_BED_OUT + grate.OUT_SIZE]
    gas = scratch[_GAS:_GAS + 4]
    f_out = scratch[_F_OUT:_F_OUT + furnace.F_SIZE]
    b_out = scratch[_B_OUT:_B_OUT + 5]
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
        if r.trip != TRIP_NONE:
            return step
        actuators_stage(act, u, ph.rates_per_s, dt_s)
        feed_kg_s = feeder_stage(r, o, hopper, act[0], dt_s)
        moisture, ash = feed_composition(r, o)
        lhv = lhv_j_kg(moisture, ash, cp.hhv_daf_j_kg, cp.h_daf)
        pa = act[2] / cp.nm3_h_per_kmol_s
        sa = act[3] / cp.nm3_h_per_kmol_s
        grate_rate, ram_rate = transport_rates(act[1], feed_kg_s, cp)
        grate.step(bed, feed_kg_s, moisture, ash, grate_rate, ram_rate, pa, cp.pa_temp_k, r.refractory_k,
                   r.furnace_gas_k, dt_s, gp, gas_h, gas_cp, ph.zone_split, flows, bed_out)
        saturation(r.drum_pressure_mpa, ph.sat, sat)
        t_sat = sat[boiler.S_T]
        aux_w = act[8] * 1e6
        q_fw = act[4] / 3.6
        t_furnace = furnace_stage(r, bed_out, sa, aux_w, t_sat, cp, fp, gas_h, gas_cp, gas, f_out, k_tc, k_ref, k_o2)
        (q_drum, q_sh, q_steam, q_pre, p_turb, q_turb, h_steam, spray,
         dv, dp) = boiler_stage(r, gas, t_furnace, t_sat, f_out, pa, h_pa, h_ambient, q_fw, sat, bp, gas_h, gas_cp,
                                ph.p_grid, ph.h_target_grid, b_out)
        t_exit = b_out[2]
        flue_kg_s = balance_stage(bal, bed_out, f_out, gas, pa, sa, h_pa, h_sa, h_ambient, feed_kg_s, lhv, aux_w,
                                  t_furnace, t_exit, q_drum, q_sh, q_fw, q_steam, q_turb, h_steam, spray, q_pre, sat,
                                  gp, bp, gas_h, dt_s)
        q_evap = drum_stage(r, dv, dp, q_drum, sat, bp, k_bubble, dt_s)
        fgt_stage(r, act[6], act[7], cp, k1, k2, dt_s)
        r.time_s += dt_s
        output_stage(o, gas, t_furnace, b_out, q_drum, q_sh, f_out, q_steam, q_turb, h_steam, p_turb, spray,
                     bed_out, gp, feed_kg_s, pa, sa, flue_kg_s, t_sat, q_pre)
        saturation(r.drum_pressure_mpa, ph.sat, sat)
        level = boiler.level_m(r.drum_water_volume_m3, r.steam_under_level_m3, q_evap, sat, bp)
        o.level_m = level
        trip_stage(r, level, o.heat_release_w - aux_w, aux_w, cp, dt_s)
    return n_steps


@njit(cache=True, inline="always")
def balance_stage(bal, bed_out, f_out, gas, pa, sa, h_pa, h_sa, h_ambient, feed_kg_s, lhv, aux_w, t_furnace, t_exit,
                  q_drum, q_sh, q_fw, q_steam, q_turb, h_steam, spray, q_pre, sat, gp, bp, gas_h, dt_s):
    """Add this step's flows (before the drum state moves) to the balance counters; returns the
    flue-gas mass flow [kg/s]."""
    air_kmol = pa + sa + f_out[furnace.F_AUX_AIR_KMOL_S]
    flue_kg_s = (air_kmol * M_AIR + f_out[furnace.F_AUX_KG_S] + bed_out[grate.OUT_VOLATILES_KG_S]
                 + bed_out[grate.OUT_BED_VOLATILES_KG_S]
                 + bed_out[grate.OUT_CHAR_BURNT_KG_S] + bed_out[grate.OUT_WATER_KG_S])
    h_s = sat[boiler.S_H_S]
    bal.waste_kg += feed_kg_s * dt_s
    bal.air_kg += air_kmol * M_AIR * dt_s
    bal.aux_fuel_kg += f_out[furnace.F_AUX_KG_S] * dt_s
    bal.flue_kg += flue_kg_s * dt_s
    bal.ash_kg += bed_out[grate.OUT_DISCHARGE_KG_S] * dt_s
    bal.feedwater_kg += q_fw * dt_s
    bal.drum_steam_kg += q_steam * dt_s
    bal.spray_kg += spray * dt_s
    bal.turbine_steam_kg += q_turb * dt_s
    bal.fuel_j += feed_kg_s * lhv * dt_s
    bal.air_j += (pa * h_pa + sa * h_sa + f_out[furnace.F_AUX_AIR_KMOL_S] * h_ambient) * dt_s
    bal.aux_j += aux_w * dt_s
    # Unburnt volatiles are not cooled by the passes (no exchange modelled for them).
    bal.stack_j += (gas_enthalpy_w(gas, t_exit, gas_h) + f_out[furnace.F_UNBURNT_KG_S]
                    * gp.cp_j_kg_k * (t_furnace - 298.15)) * dt_s
    bal.unburnt_j += f_out[furnace.F_UNBURNT_W] * dt_s
    bal.ash_j += bed_out[grate.OUT_DISCHARGE_ENERGY_W] * dt_s
    bal.wall_loss_j += bp.wall_loss_w * dt_s
    bal.q_drum_j += q_drum * dt_s
    bal.q_sh_j += q_sh * dt_s
    bal.feedwater_j += q_fw * bp.feedwater_h_j_kg * dt_s
    bal.drum_steam_j += q_steam * h_s * dt_s
    bal.turbine_steam_j += q_turb * h_steam * dt_s
    bal.spray_j += spray * bp.feedwater_h_j_kg * dt_s
    bal.preheat_steam_kg += q_pre * dt_s
    bal.preheat_steam_j += q_pre * h_s * dt_s
    bal.preheat_j += q_pre * (h_s - bp.feedwater_h_j_kg) * dt_s
    bal.condensate_j += q_pre * bp.feedwater_h_j_kg * dt_s
    return flue_kg_s


@njit(cache=True, inline="always")
def output_stage(o, gas, t_furnace, b_out, q_drum, q_sh, f_out, q_steam, q_turb, h_steam, p_turb, spray, bed_out, gp,
                 feed_kg_s, pa, sa, flue_kg_s, t_sat, q_pre):
    """The step's algebraic outputs (``s.out[i]``), apart from the drum level."""
    for k in range(4):
        o.gas_kmol_s[k] = gas[k]
    o.furnace_k = t_furnace
    o.radiant_exit_k = b_out[0]
    o.superheater_exit_k = b_out[1]
    o.boiler_exit_k = b_out[2]
    o.q_drum_w = q_drum
    o.q_superheater_w = q_sh
    o.q_wall_w = f_out[furnace.F_WALL_W]
    o.steam_drum_kg_s = q_steam
    o.steam_turbine_kg_s = q_turb
    o.h_steam_j_kg = h_steam
    o.p_turbine_mpa = p_turb
    o.spray_kg_s = spray
    o.heat_release_w = (f_out[furnace.F_HEAT_RELEASE_W] + bed_out[grate.OUT_CHAR_BURNT_KG_S] * gp.char_heat_j_kg
                        + bed_out[grate.OUT_BED_VOLATILES_KG_S] * gp.vol_heat_j_kg)
    o.burn_frac = f_out[furnace.F_BURN_FRAC]
    o.volatiles_kg_s = bed_out[grate.OUT_VOLATILES_KG_S] + bed_out[grate.OUT_BED_VOLATILES_KG_S]
    o.feed_kg_s = feed_kg_s
    o.pa_kmol_s = pa
    o.sa_kmol_s = sa
    o.discharge_char_kg_s = bed_out[grate.OUT_DISCHARGE_CHAR_KG_S]
    o.discharge_ash_kg_s = bed_out[grate.OUT_DISCHARGE_ASH_KG_S]
    o.flue_kg_s = flue_kg_s
    o.char_burnt_kg_s = bed_out[grate.OUT_CHAR_BURNT_KG_S]
    o.t_sat_k = t_sat
    o.water_evap_kg_s = bed_out[grate.OUT_WATER_KG_S]
    o.preheat_steam_kg_s = q_pre


@njit(cache=True)
def sync(s, i, now, ph):
    """Integrate plant ``i`` up to time ``now`` [s]: whole steps of ``integration.dt_s``, then the
    remainder as one shorter step. A tripped plant stands still (its clock jumps to ``now``).
    Marks the stack and power outputs stale."""
    r = s.plant[i]
    dt = ph.cp.dt_s
    remaining = now - r.time_s
    n = int(remaining / dt + 1e-9)
    if n > 0:
        r.outputs_fresh = 0.0
        integrate(s, i, n, dt, ph)
        if r.trip != TRIP_NONE:
            r.time_s = now
    rest = now - r.time_s
    if rest > 1e-9:
        r.outputs_fresh = 0.0
        integrate(s, i, 1, rest, ph)
        if r.trip != TRIP_NONE:
            r.time_s = now


@njit(cache=True)
def sync_and_refresh(s, i, now, ph):
    """:func:`sync` to ``now``, then :func:`refresh_outputs` (the end of an advance)."""
    sync(s, i, now, ph)
    refresh_outputs(s, i, ph)


@njit(cache=True)
def refresh_outputs(s, i, ph):
    """Stack values (:func:`sim.subsystems.stack.stack_values`) and power
    (:func:`sim.subsystems.turbine.power`) of plant ``i``'s state into ``s.stack[i]``,
    ``s.power[i]``; computed once per state (``plant.outputs_fresh``)."""
    r, o = s.plant[i], s.out[i]
    if r.outputs_fresh != 0.0:
        return
    r.outputs_fresh = 1.0
    g = o.gas_kmol_s
    pa, sa = o.pa_kmol_s, o.sa_kmol_s
    stack.stack_values(g[0], g[1], g[2], o.furnace_k - 273.15, o.boiler_exit_k - 273.15,
                       o.volatiles_kg_s, o.burn_frac, sa / max(pa + sa, 1e-9), o.feed_kg_s, o.feed_ash,
                       r.actuator[5], r.lime_cake_kg_h, r.carbon_cake_kg_h, ph.sp, s.stack[i])
    gas = (g[0] + g[1] + g[2] + g[3]) / ph.design_gas_kmol_s
    turbine.power(o.steam_turbine_kg_s, o.p_turbine_mpa, o.h_steam_j_kg, gas, r.actuator[2] / ph.design_pa_nm3_h,
                  r.actuator[3] / ph.design_sa_nm3_h, r.actuator[4] / ph.design_feedwater_t_h, ph.tp,
                  ph.power_tables, s.power[i])
