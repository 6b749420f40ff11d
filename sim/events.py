"""The plant's discrete processes, each one compiled body, and the batched plant's scheduler.

Each process body acts on plant ``i`` of a :class:`sim.state.PlantState` at time ``now`` after
the continuous core has been synced to ``now``, and returns the time it wants to run next:

- :func:`crane_body`: when the hopper level falls below the start level (and a grab fits) the
  crane drops a grab (moisture and ash drawn from the scenario's distributions, or a scheduled
  slug) and is back after its cycle; otherwise it looks again after ``CRANE_IDLE_CHECK_S``;
- :func:`mixing_body`: AR(1) noise on the moisture of the waste leaving the hopper;
- :func:`cems_body`: the CEMS samples the stack (:mod:`sim.subsystems.cems`);
- :func:`soot_body`: soot blowing removes most of the fouling;
- :func:`scenario_body`: the next scenario event (slug, bridging, CEMS outage, thermocouple
  drift, turbine valve step, steam-setpoint step).

:func:`fire` is one process step (sync, body, next time): the SimPy plant (:mod:`sim.plant`) runs
it from its processes, the batched plant (:mod:`sim.batch`) from :func:`advance_rows`, a small
compiled scheduler that fires the pending timeouts in SimPy's order (time, then creation order),
so both run the same code in the same order. Randomness comes from each plant's buffer of
standard normals (``s.normals``; :meth:`sim.state.PlantState.ensure_normals`).
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from . import core
from .state import N_CEMS, N_PROC, P_CEMS, P_CRANE, P_MIXING, P_SOOT
from .subsystems import cems

#: Period of the hopper-mixing noise update [s] (the noise's correlation time is minutes).
MIXING_PERIOD_S = 60.0
#: Period at which an idle crane checks the hopper level [s].
CRANE_IDLE_CHECK_S = 60.0
#: Where a CEMS sample keeps its noise draws in the plant's scratch space (after the integrator's).
CEMS_NOISE_SCRATCH = 56
#: Kinds of scenario events (columns of the event table: time [s], kind, value, extra).
EVENT_KINDS = ("slug", "bridge", "cems_outage", "tc_drift", "valve", "setpoint")
EV_SLUG, EV_BRIDGE, EV_CEMS_OUTAGE, EV_TC_DRIFT, EV_VALVE, EV_SETPOINT = range(len(EVENT_KINDS))
#: Grab moisture and ash drawn from the scenario's distributions are held in these ranges [wt %]
#: (the extremes of municipal waste; the Gaussian tails beyond them do not occur).
GRAB_MOISTURE_RANGE_PCT, GRAB_ASH_RANGE_PCT = (20.0, 65.0), (3.0, 40.0)

#: Constants of the discrete processes of one plant config and scenario (:func:`event_params`).
EventParams = namedtuple("EventParams", [
    "area_density_kg_m", "hopper_height_m", "crane_start_level_m", "grab_room_m", "grab_kg",
    "crane_cycle_s", "mixing_phi", "mixing_gain", "moisture_mean_pct",
    "moisture_drift_pct_per_day", "moisture_wave_amplitude_pct", "moisture_wave_period_h",
    "moisture_grab_std_pct", "ash_mean_pct", "ash_grab_std_pct", "has_forecast", "forecast_noise_std_pct",
    "cems_period_s", "cems_lag", "cems_noise_rel", "soot_interval_s", "soot_keep"])
#: Everything the compiled kernels need of one plant config and scenario: the core's
#: :class:`sim.core.Physics`, the :class:`EventParams`, the scenario's event table (rows: time
#: [s], kind, value, extra) and slug table (rows: grabs, moisture [wt %], ash [wt %]), and the
#: :class:`sim.readout.ReadoutParams`.
Model = namedtuple("Model", ["ph", "ep", "events", "slugs", "rp"])


def cems_n_delay(cfg) -> int:
    """Length of the CEMS sample line for the plant config's ``cems`` section."""
    return max(int(round(cfg.delay_s / cfg.period_s)), 0) + 1


def event_params(plant_cfg, scenario) -> EventParams:
    """The :class:`EventParams` of a plant config and scenario."""
    w, hop, c, b = scenario.waste, plant_cfg.hopper, plant_cfg.cems, plant_cfg.boiler
    area_density = hop.area_m2 * plant_cfg.waste.bulk_density_kg_m3
    phi = math.exp(-MIXING_PERIOD_S / w.mixing_noise_tau_s)
    fc = scenario.forecast
    return EventParams(
        float(area_density), float(hop.height_m), float(hop.crane_start_level_m), hop.grab_t * 1000.0 / area_density,
        hop.grab_t * 1000.0, float(hop.crane_cycle_s), phi,
        w.mixing_noise_std_pct / 100.0 * math.sqrt(1.0 - phi * phi), float(w.moisture_mean_pct),
        float(w.moisture_drift_pct_per_day), float(w.moisture_wave_amplitude_pct), float(w.moisture_wave_period_h),
        float(w.moisture_grab_std_pct), float(w.ash_mean_pct), float(w.ash_grab_std_pct), fc is not None,
        float(fc.noise_std_pct) if fc is not None else 0.0, float(c.period_s), 1.0 - math.exp(-c.period_s / c.tau_s),
        float(c.noise_rel), b.soot_blow_interval_h * 3600.0, 1.0 - b.soot_blow_recovery)


def event_tables(scenario) -> tuple[np.ndarray, np.ndarray]:
    """(events, slugs): the scenario's events sorted by time (rows: time [s], kind index, value,
    extra: the slug's grab count) and its slugs (rows: grabs, moisture [wt %], ash [wt %])."""
    s = scenario
    rows: list[tuple[float, int, float, float]] = []
    for k, slug in enumerate(s.slugs):
        rows.append((slug.at_h * 3600, EV_SLUG, float(k), float(slug.grabs)))
    for e in s.bridging:
        rows += [(e.at_h * 3600, EV_BRIDGE, 1.0, 0.0), ((e.at_h + e.duration_min / 60) * 3600, EV_BRIDGE, 0.0, 0.0)]
    for e in s.cems_outages:
        rows += [(e.at_h * 3600, EV_CEMS_OUTAGE, 1.0, 0.0),
                 ((e.at_h + e.duration_min / 60) * 3600, EV_CEMS_OUTAGE, 0.0, 0.0)]
    if s.thermocouple_drift is not None:
        rows.append((s.thermocouple_drift.at_h * 3600, EV_TC_DRIFT, float(s.thermocouple_drift.rate_per_h), 0.0))
    for st in s.valve_steps:
        rows.append((st.at_h * 3600, EV_VALVE, float(st.valve_pct), 0.0))
    for sp in s.steam_setpoint_steps:
        rows.append((sp.at_h * 3600, EV_SETPOINT, float(sp.steam_t_h), 0.0))
    rows.sort(key=lambda e: e[0])  # stable: events at the same time keep the order above
    slugs = np.array([[sl.grabs, sl.moisture_pct, sl.ash_pct] for sl in s.slugs], dtype=float).reshape(-1, 3)
    return np.array(rows, dtype=float).reshape(-1, 4), slugs


def max_normals_per_advance(ep: EventParams, seconds: float) -> int:
    """Upper bound of the normals one plant draws in ``seconds``: every process fires at most
    ``seconds / period + 2`` times (a CEMS sample draws 6, a grab up to 3, mixing 1)."""
    def fires(period_s: float) -> int:
        return int(seconds / period_s) + 2
    return (N_CEMS * fires(ep.cems_period_s) + fires(MIXING_PERIOD_S)
            + 3 * fires(min(ep.crane_cycle_s, CRANE_IDLE_CHECK_S)))


# ------------------------------------------------------------------ process bodies ---
@njit(cache=True, inline="always")
def next_normal(s, i):
    """The next standard normal of plant ``i``'s buffer."""
    r = s.plant[i]
    pos = int(r.normal_pos)
    if pos >= s.normals.shape[1]:
        raise RuntimeError("plant state: normal buffer exhausted (ensure_normals was not called)")
    r.normal_pos = pos + 1
    return s.normals[i, pos]


@njit(cache=True)
def drop_grab(s, i, ep, slugs):
    """Put one crane grab on top of the hopper (a new ring-buffer slot): the slug's waste while a
    slug is being dropped, else moisture (mean with drift and seasonal wave) and ash drawn from
    the scenario's Gaussian distributions; crane imaging estimates its moisture."""
    r = s.plant[i]
    t = r.time_s
    if r.slug_left > 0:
        k = int(r.slug)
        moisture, ash = slugs[k, 1], slugs[k, 2]
        r.slug_left -= 1.0
    else:
        mean = (ep.moisture_mean_pct + ep.moisture_drift_pct_per_day * t / 86400.0
                + ep.moisture_wave_amplitude_pct * math.sin(2 * math.pi * t / (ep.moisture_wave_period_h * 3600)))
        moisture = min(max(mean + ep.moisture_grab_std_pct * next_normal(s, i), GRAB_MOISTURE_RANGE_PCT[0]),
                       GRAB_MOISTURE_RANGE_PCT[1])
        ash = min(max(ep.ash_mean_pct + ep.ash_grab_std_pct * next_normal(s, i), GRAB_ASH_RANGE_PCT[0]),
                  GRAB_ASH_RANGE_PCT[1])
    hopper = s.hopper[i]
    slot = int(r.hopper_head + r.hopper_count) % hopper.shape[0]
    mass = ep.grab_kg
    hopper[slot, 0] = mass
    hopper[slot, 1] = moisture / 100.0
    hopper[slot, 2] = ash / 100.0
    if ep.has_forecast:
        s.moisture_est_pct[i, slot] = moisture + ep.forecast_noise_std_pct * next_normal(s, i)
    r.hopper_count += 1
    r.hopper_mass_kg += mass
    r.crane_in_kg += mass


@njit(cache=True, inline="always")
def crane_body(s, i, now, ep, slugs):
    r = s.plant[i]
    level = r.hopper_mass_kg / ep.area_density_kg_m
    room = ep.hopper_height_m - level > ep.grab_room_m
    if level < ep.crane_start_level_m and room and r.hopper_count < s.hopper.shape[1] - 1:
        drop_grab(s, i, ep, slugs)
        return now + ep.crane_cycle_s
    return now + CRANE_IDLE_CHECK_S


@njit(cache=True, inline="always")
def mixing_body(s, i, now, ep):
    r = s.plant[i]
    r.mixing_noise = ep.mixing_phi * r.mixing_noise + ep.mixing_gain * next_normal(s, i)
    return now + MIXING_PERIOD_S


@njit(cache=True, inline="always")
def cems_body(s, i, now, m):
    """One CEMS sample of the true stack values (:func:`sim.subsystems.cems.update`)."""
    r = s.plant[i]
    core.refresh_outputs(s, i, m.ph)
    noise = s.scratch[i, CEMS_NOISE_SCRATCH:CEMS_NOISE_SCRATCH + N_CEMS]
    for k in range(N_CEMS):
        noise[k] = next_normal(s, i)
    r.cems_head = cems.update(s.cems_line[i], int(r.cems_head), s.cems_filtered[i], s.cems_reading[i], s.stack[i],
                              noise, m.ep.cems_lag, m.ep.cems_noise_rel, r.cems_outage != 0.0)
    r.cems_valid = 0.0 if r.cems_outage != 0.0 else 1.0
    return now + m.ep.cems_period_s


@njit(cache=True, inline="always")
def soot_body(s, i, now, ep):
    s.plant[i].fouling *= ep.soot_keep
    return now + ep.soot_interval_s


@njit(cache=True, inline="always")
def scenario_body(s, i, now, events):
    """Apply the scenario event at ``plant.event_index``; returns the next event's time (inf: none)."""
    r = s.plant[i]
    e = int(r.event_index)
    kind, value = int(events[e, 1]), events[e, 2]
    if kind == EV_SLUG:
        r.slug, r.slug_left = value, events[e, 3]
    elif kind == EV_BRIDGE:
        r.bridged = value
    elif kind == EV_CEMS_OUTAGE:
        r.cems_outage = value
    elif kind == EV_TC_DRIFT:
        r.tc_drift_start_s, r.tc_drift_rate_k_h = now, value
    elif kind == EV_VALVE:
        r.turbine_valve_pct = value
    elif kind == EV_SETPOINT:
        r.steam_setpoint_t_h = value
    r.event_index = e + 1
    return events[e + 1, 0] if e + 1 < events.shape[0] else math.inf


@njit(cache=True, inline="always")
def fire(s, i, p, now, m):
    """Process ``p`` (``sim.state.PROCESSES``) of plant ``i`` runs at ``now``: the core is synced to
    ``now``, the body acts, and the process's next timeout is booked as SimPy books it
    (``now + max(next - now, 0)``, numbered in creation order). Returns the body's next time."""
    r = s.plant[i]
    r.now_s = now
    core.sync(s, i, now, m.ph)
    if p == P_CRANE:
        nxt = crane_body(s, i, now, m.ep, m.slugs)
    elif p == P_MIXING:
        nxt = mixing_body(s, i, now, m.ep)
    elif p == P_CEMS:
        nxt = cems_body(s, i, now, m)
    elif p == P_SOOT:
        nxt = soot_body(s, i, now, m.ep)
    else:
        nxt = scenario_body(s, i, now, m.events)
    if nxt == math.inf:
        r.next_s[p] = math.inf
    else:
        r.next_s[p] = now + max(nxt - now, 0.0)
        r.next_id[p] = r.next_event_id
        r.next_event_id += 1.0
    return nxt


@njit(cache=True)
def advance_row(s, i, seconds, m):
    """``Plant.advance(seconds)`` for plant ``i``: fire every pending timeout due before the end
    time in (time, creation) order (one due exactly at the end fires in the next advance, as
    SimPy's ``run(until=end)``), then integrate to the end and refresh the outputs."""
    r = s.plant[i]
    stop = r.now_s + seconds
    while True:
        k = -1
        tk = math.inf
        ek = math.inf
        for p in range(N_PROC):
            if r.next_s[p] < tk or (r.next_s[p] == tk and r.next_id[p] < ek):
                k, tk, ek = p, r.next_s[p], r.next_id[p]
        if k < 0 or tk >= stop:
            break
        fire(s, i, k, tk, m)
    r.now_s = stop
    core.sync_and_refresh(s, i, stop, m.ph)


@njit(cache=True)
def advance_rows(s, run, seconds, m):
    """:func:`advance_row` for every plant ``i`` with ``run[i]``."""
    for i in range(run.shape[0]):
        if run[i]:
            advance_row(s, i, seconds, m)
