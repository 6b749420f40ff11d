"""Many plants of one config and scenario, advanced together in compiled code, bit for bit as :class:`sim.Plant`.

:class:`PlantBatch` holds N plants as stacked arrays (the same ``x``, ``bed``, ``hopper``, ``y``,
``u`` arrays a :class:`sim.Plant` owns, one row per plant) and advances any subset of them in one
compiled call (:func:`advance_batch`). Inside that call each plant runs exactly what the SimPy
model runs (:mod:`sim.plant`), without SimPy and without Python per plant:

* **Event order.** SimPy fires the pending timeouts in order of (time, creation order), and
  :meth:`sim.Plant.advance` fires those due before its end time (one due exactly then fires in
  the next advance). Each plant keeps, per process (crane, hopper mixing, CEMS, scenario events, soot
  blowing, in the order :meth:`sim.Plant._start_env` starts them), the time of its pending
  timeout (computed as SimPy does: ``now + max(next - now, 0)``) and its creation number; the
  kernel fires the smallest (time, number) below the stop time, so events at the same time fire
  in SimPy's order.
* **Process bodies** are line-for-line copies of :mod:`sim.plant`'s generators, with the same
  floating-point operations in the same order; the CEMS sample is the plant's own compiled
  :func:`sim.subsystems.cems.update` and the outputs its :func:`sim.core.outputs`;
  the continuous core is the same compiled :func:`sim.core.integrate`, synced to the event times
  exactly as ``Plant._sync`` does (whole steps, then the remainder).
* **Randomness.** A plant draws only standard normals from its one generator, one at a time or
  as a vector (NumPy's vector draw is the same sequence as single draws). Each plant therefore
  keeps a buffer of the next normals of its own ``numpy.random.Generator``, consumed in order;
  :meth:`PlantBatch.ensure_normals` refills it (from the same generator) before a step could run
  out, and the kernel raises ``RuntimeError`` if it ever would.

A plant enters the batch only in its start state (:meth:`PlantBatch.load_start`, which uses
``Plant._reset_state`` of one factory plant, so the start state is the plant's own). Equality
with :class:`sim.Plant` is tested in ``tests/test_vector.py``.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from . import core
from .config import PlantConfig, ScenarioConfig
from .plant import CRANE_IDLE_CHECK_S, MIXING_PERIOD_S, Plant
from .subsystems import cems, stack, turbine

__all__ = ["PlantBatch", "advance_batch", "EventParams"]

#: Processes, in the order ``Plant._start_env`` starts them (= creation order of their first timeouts).
P_CRANE, P_MIXING, P_CEMS, P_SCENARIO, P_SOOT = range(5)
N_PROC = 5
#: Columns of the per-plant discrete state ``d`` (``Plant._d`` and the SimPy clock as numbers;
#: ``D_TC_START`` is NaN for "no drift").
(D_NOW, D_EID, D_EVENT_INDEX, D_SLUG, D_SLUG_LEFT, D_CEMS_OUTAGE, D_TC_START, D_TC_RATE, D_CRANE_IN_KG,
 D_SETPOINT_T_H, D_CEMS_HEAD, D_CEMS_VALID, D_NORMAL_POS, D_OUTPUTS_FRESH) = range(14)
ND = 14
#: Kinds of scenario events (``Plant._scenario_events``).
EVENT_KINDS = ("slug", "bridge", "cems_outage", "tc_drift", "valve", "setpoint")
EV_SLUG, EV_BRIDGE, EV_CEMS_OUTAGE, EV_TC_DRIFT, EV_VALVE, EV_SETPOINT = range(len(EVENT_KINDS))
N_CEMS = len(cems.CHANNELS)

#: Constants of the discrete processes, precomputed with the same operations as ``sim.plant``.
EventParams = namedtuple("EventParams", [
    "dt_s", "area_density_kg_m", "hopper_height_m", "crane_start_level_m", "grab_room_m", "grab_kg",
    "crane_cycle_s", "crane_idle_s", "mixing_period_s", "mixing_phi", "mixing_gain", "moisture_mean_pct",
    "moisture_drift_pct_per_day", "moisture_wave_amplitude_pct", "moisture_wave_period_h",
    "moisture_grab_std_pct", "ash_mean_pct", "ash_grab_std_pct", "has_forecast", "forecast_noise_std_pct",
    "cems_period_s", "cems_lag", "cems_noise_rel", "soot_interval_s", "soot_keep", "design_gas_kmol_s",
    "design_pa_nm3_h", "design_sa_nm3_h", "design_feedwater_t_h"])


def event_params(plant: Plant) -> EventParams:
    """The :class:`EventParams` of a plant (its config and scenario)."""
    cfg, w, hop, b = plant.config, plant.scenario.waste, plant.config.hopper, plant._b
    area_density = plant._hopper_area_density
    phi = math.exp(-MIXING_PERIOD_S / w.mixing_noise_tau_s)
    fc = plant.scenario.forecast
    return EventParams(
        float(cfg.integration.dt_s), float(area_density), float(hop.height_m), float(hop.crane_start_level_m),
        hop.grab_t * 1000.0 / area_density, hop.grab_t * 1000.0, float(hop.crane_cycle_s), float(CRANE_IDLE_CHECK_S),
        float(MIXING_PERIOD_S), phi, w.mixing_noise_std_pct / 100.0 * math.sqrt(1.0 - phi * phi),
        float(w.moisture_mean_pct), float(w.moisture_drift_pct_per_day), float(w.moisture_wave_amplitude_pct),
        float(w.moisture_wave_period_h), float(w.moisture_grab_std_pct), float(w.ash_mean_pct),
        float(w.ash_grab_std_pct), fc is not None, float(fc.noise_std_pct) if fc is not None else 0.0,
        float(cfg.cems.period_s), plant._cems.lag, float(cfg.cems.noise_rel),
        cfg.boiler.soot_blow_interval_h * 3600.0, 1.0 - cfg.boiler.soot_blow_recovery,
        float(b.design_gas_kmol_s), float(b.design_pa_nm3_h), float(b.design_sa_nm3_h),
        float(b.design_actuators["feedwater_t_h"]))


def max_normals_per_advance(ep: EventParams, seconds: float) -> int:
    """Upper bound of the normals one plant draws in ``advance(seconds)``: every process fires at
    most ``seconds / period + 2`` times (a CEMS sample draws 6, a grab up to 3, mixing 1)."""
    def fires(period_s: float) -> int:
        return int(seconds / period_s) + 2
    return (N_CEMS * fires(ep.cems_period_s) + fires(ep.mixing_period_s)
            + 3 * fires(min(ep.crane_cycle_s, ep.crane_idle_s)))


# ------------------------------------------------------------------ compiled kernel ---
@njit(cache=True)
def _normal(d, normals):
    pos = int(d[D_NORMAL_POS])
    if pos >= normals.shape[0]:
        raise RuntimeError("PlantBatch: normal buffer exhausted (ensure_normals was not called)")
    d[D_NORMAL_POS] = pos + 1
    return normals[pos]


@njit(cache=True)
def _sync(x, bed, hopper, u, y, scratch, d, now, ep, c):
    """``Plant._sync``: integrate up to ``now`` (whole steps, then the rest); a trip freezes time."""
    rates, cp, gp, fp, bp, gas_h, gas_cp, sat, zone_split, p_grid, h_grid = c
    dt = ep.dt_s
    remaining = now - x[core.X_TIME]
    n = int(remaining / dt + 1e-9)
    if n > 0:
        d[D_OUTPUTS_FRESH] = 0.0
        core.integrate(x, bed, hopper, u, rates, n, dt, cp, gp, fp, bp, gas_h, gas_cp, sat, zone_split, p_grid,
                       h_grid, y, scratch)
        if x[core.X_TRIP] != core.TRIP_NONE:
            x[core.X_TIME] = now
    rest = now - x[core.X_TIME]
    if rest > 1e-9:
        d[D_OUTPUTS_FRESH] = 0.0
        core.integrate(x, bed, hopper, u, rates, 1, rest, cp, gp, fp, bp, gas_h, gas_cp, sat, zone_split, p_grid,
                       h_grid, y, scratch)
        if x[core.X_TRIP] != core.TRIP_NONE:
            x[core.X_TIME] = now


@njit(cache=True)
def outputs(x, y, d, stack_out, power_out, ep, sp, tp, tables):
    """``Plant._outputs``: stack values and power of the current state (computed once per state:
    ``_sync`` marks them stale when it integrates)."""
    if d[D_OUTPUTS_FRESH] != 0.0:
        return
    d[D_OUTPUTS_FRESH] = 1.0
    core.outputs(x, y, ep.design_gas_kmol_s, ep.design_pa_nm3_h, ep.design_sa_nm3_h, ep.design_feedwater_t_h, sp, tp,
                 tables, stack_out, power_out)


@njit(cache=True)
def _drop_grab(x, hopper, est, d, normals, ep, slug_table):
    """``Plant._drop_grab``."""
    t = x[core.X_TIME]
    if d[D_SLUG_LEFT] > 0:
        s = int(d[D_SLUG])
        moisture, ash = slug_table[s, 1], slug_table[s, 2]
        d[D_SLUG_LEFT] -= 1.0
    else:
        mean = (ep.moisture_mean_pct + ep.moisture_drift_pct_per_day * t / 86400.0
                + ep.moisture_wave_amplitude_pct * math.sin(2 * math.pi * t / (ep.moisture_wave_period_h * 3600)))
        moisture = min(max(mean + ep.moisture_grab_std_pct * _normal(d, normals), 20.0), 65.0)
        ash = min(max(ep.ash_mean_pct + ep.ash_grab_std_pct * _normal(d, normals), 3.0), 40.0)
    slot = int(x[core.X_HOP_HEAD] + x[core.X_HOP_COUNT]) % core.HOPPER_SLOTS
    mass = ep.grab_kg
    hopper[slot, 0] = mass
    hopper[slot, 1] = moisture / 100.0
    hopper[slot, 2] = ash / 100.0
    if ep.has_forecast:
        est[slot] = moisture + ep.forecast_noise_std_pct * _normal(d, normals)
    x[core.X_HOP_COUNT] += 1
    x[core.X_HOP_MASS] += mass
    d[D_CRANE_IN_KG] += mass


@njit(cache=True)
def _cems_sample(x, y, d, line, filtered, reading, stack_out, power_out, normals, ep, sp, tp, tables, noise):
    """``Plant._cems_sampler`` body: ``cems.sample`` of the true stack values."""
    outputs(x, y, d, stack_out, power_out, ep, sp, tp, tables)
    for k in range(N_CEMS):
        noise[k] = _normal(d, normals)
    d[D_CEMS_HEAD] = cems.update(line, int(d[D_CEMS_HEAD]), filtered, reading, stack_out, noise, ep.cems_lag,
                                 ep.cems_noise_rel, d[D_CEMS_OUTAGE] != 0.0)
    d[D_CEMS_VALID] = 0.0 if d[D_CEMS_OUTAGE] != 0.0 else 1.0


@njit(cache=True)
def _scenario_event(x, d, now, events):
    """``Plant._scenario_process`` body for the event at ``d[D_EVENT_INDEX]``."""
    e = int(d[D_EVENT_INDEX])
    kind, value = int(events[e, 1]), events[e, 2]
    if kind == EV_SLUG:
        d[D_SLUG], d[D_SLUG_LEFT] = value, events[e, 3]
    elif kind == EV_BRIDGE:
        x[core.X_BRIDGE] = value
    elif kind == EV_CEMS_OUTAGE:
        d[D_CEMS_OUTAGE] = value
    elif kind == EV_TC_DRIFT:
        d[D_TC_START], d[D_TC_RATE] = now, value
    elif kind == EV_VALVE:
        x[core.X_VALVE] = value
    elif kind == EV_SETPOINT:
        d[D_SETPOINT_T_H] = value
    d[D_EVENT_INDEX] = e + 1


@njit(cache=True)
def _advance_one(seconds, x, bed, hopper, u, y, scratch, d, pt, pe, est, line, filtered, reading, stack_out,
                 power_out, normals, noise, ep, c, sp, tp, tables, events, slug_table):
    now = d[D_NOW]
    stop = now + seconds  # Plant.advance's end time
    n_events = events.shape[0]
    while True:
        k = -1
        tk = math.inf
        ek = math.inf
        for p in range(N_PROC):
            if pt[p] < tk or (pt[p] == tk and pe[p] < ek):
                k, tk, ek = p, pt[p], pe[p]
        if k < 0 or tk >= stop:  # a timeout due at the end time fires in the next advance
            break
        now = tk
        d[D_NOW] = now
        _sync(x, bed, hopper, u, y, scratch, d, now, ep, c)
        if k == P_CRANE:
            level = x[core.X_HOP_MASS] / ep.area_density_kg_m
            room = ep.hopper_height_m - level > ep.grab_room_m
            if level < ep.crane_start_level_m and room and x[core.X_HOP_COUNT] < core.HOPPER_SLOTS - 1:
                _drop_grab(x, hopper, est, d, normals, ep, slug_table)
                nxt = now + ep.crane_cycle_s
            else:
                nxt = now + ep.crane_idle_s
        elif k == P_MIXING:
            x[core.X_MIXNOISE] = ep.mixing_phi * x[core.X_MIXNOISE] + ep.mixing_gain * _normal(d, normals)
            nxt = now + ep.mixing_period_s
        elif k == P_CEMS:
            _cems_sample(x, y, d, line, filtered, reading, stack_out, power_out, normals, ep, sp, tp, tables, noise)
            nxt = now + ep.cems_period_s
        elif k == P_SOOT:
            x[core.X_FOUL] *= ep.soot_keep
            nxt = now + ep.soot_interval_s
        else:
            _scenario_event(x, d, now, events)
            e = int(d[D_EVENT_INDEX])
            nxt = events[e, 0] if e < n_events else math.inf
        if nxt == math.inf:
            pt[k] = math.inf
        else:
            pt[k] = now + max(nxt - now, 0.0)
            pe[k] = d[D_EID]
            d[D_EID] += 1.0
    d[D_NOW] = stop
    _sync(x, bed, hopper, u, y, scratch, d, stop, ep, c)
    outputs(x, y, d, stack_out, power_out, ep, sp, tp, tables)


@njit(cache=True)
def advance_batch(seconds, run, X, BED, HOP, U, Y, SCRATCH, D, PT, PE, EST, LINE, FILT, READ, STACK, POWER,
                  NORMALS, ep, c, sp, tp, tables, events, slug_table):
    """``Plant.advance(seconds)`` for every plant ``i`` with ``run[i]``; afterwards ``STACK[i]``
    and ``POWER[i]`` hold the plant's stack values and power (``Plant._outputs``)."""
    noise = np.empty(N_CEMS)
    for i in range(X.shape[0]):
        if run[i]:
            _advance_one(seconds, X[i], BED[i], HOP[i], U[i], Y[i], SCRATCH[i], D[i], PT[i], PE[i], EST[i],
                         LINE[i], FILT[i], READ[i], STACK[i], POWER[i], NORMALS[i], noise, ep, c, sp, tp, tables,
                         events, slug_table)


# ------------------------------------------------------------------ the batch ---
class PlantBatch:
    """N plants of one plant config and scenario as stacked arrays (one row each).

    ``load_start(i, seed)`` puts plant ``i`` in the start state of ``Plant(plant, scenario, seed)``;
    ``advance(seconds, run)`` advances the plants where the bool array ``run`` is True.
    Attributes (row i = plant i): ``x``, ``bed``, ``hopper``, ``u`` (commands), ``y`` as in
    :mod:`sim.core`; ``d`` (``D_*`` columns), ``stack`` (``sim.subsystems.stack`` ``S_*``), ``power``
    (``sim.subsystems.turbine`` ``P_*``), ``cems_reading`` (``cems.CHANNELS``), ``moisture_est_pct``
    (crane imaging per hopper slot), ``rngs`` (each plant's generator). ``factory`` is the
    :class:`sim.Plant` whose start states are copied (its config, scenario and bounds are the batch's).
    """

    def __init__(self, plant: PlantConfig, scenario: ScenarioConfig, num_plants: int, normals: int = 2048):
        if isinstance(num_plants, bool) or not isinstance(num_plants, (int, np.integer)) or num_plants < 1:
            raise ValueError(f"num_plants={num_plants!r}: expected an integer >= 1")
        f = self.factory = Plant(plant, scenario, 0)
        n = self.n = int(num_plants)
        self.ep = event_params(f)
        b = f._b
        self._c = (b.rates_per_s, b.core_params, b.grate_params, b.furnace_params, b.boiler_params, b.gas_h,
                   b.gas_cp, b.sat, b.zone_split, b.p_grid, b.h_target_grid)
        self._consts = (self.ep, self._c, b.stack_params, b.turbine_params, b.power_tables)
        ev = f._events
        slugs = [v for _, kind, v in ev if kind == "slug"]
        self.slug_table = np.array([[s.grabs, s.moisture_pct, s.ash_pct] for s in slugs], dtype=float).reshape(-1, 3)
        rows = []
        for t, kind, value in ev:
            if kind == "slug":
                rows.append((t, EV_SLUG, float(slugs.index(value)), float(value.grabs)))
            else:
                rows.append((t, EVENT_KINDS.index(kind), float(value), 0.0))
        self.events = np.array(rows, dtype=float).reshape(-1, 4)
        self.x = np.zeros((n, core.NX))
        self.bed = np.zeros((n,) + f._bed.shape)
        self.hopper = np.zeros((n, core.HOPPER_SLOTS, 3))
        self.u = np.zeros((n, core.N_ACT))
        self.y = np.zeros((n, core.NY))
        self.scratch = np.zeros((n, core.SCRATCH_SIZE))
        self.d = np.zeros((n, ND))
        self.pt = np.full((n, N_PROC), math.inf)
        self.pe = np.zeros((n, N_PROC))
        self.moisture_est_pct = np.full((n, core.HOPPER_SLOTS), np.nan)
        self.cems_line = np.zeros((n,) + f._cems.line.shape)
        self.cems_filtered = np.zeros((n, N_CEMS))
        self.cems_reading = np.zeros((n, N_CEMS))
        self.stack = np.zeros((n, stack.S_SIZE))
        self.power = np.zeros((n, turbine.P_SIZE))
        self.normals = np.zeros((n, max(int(normals), 1)))
        self.rngs: list[np.random.Generator | None] = [None] * n
        self._entry = None

    def load_start(self, i: int, seed: int) -> Plant:
        """Put plant ``i`` in the start state of ``Plant(plant, scenario, seed)``; returns the
        factory plant in that state (valid until the next call), whose generator the row now owns."""
        f = self.factory
        f.seed = int(seed)
        f._reset_state()
        f._outputs()
        self.x[i], self.bed[i], self.hopper[i], self.u[i], self.y[i] = f._x, f._bed, f._hopper, f._u, f._y
        self.stack[i], self.power[i] = f._stack, f._power
        self.moisture_est_pct[i] = f._hopper_moisture_est_pct
        c = f._cems
        self.cems_line[i], self.cems_filtered[i], self.cems_reading[i] = c.line, c.filtered, c.reading
        dd, d = f._d, self.d[i]
        d[:] = 0.0
        d[D_NOW] = f.time_s
        d[D_TC_START] = math.nan
        d[D_SETPOINT_T_H] = dd["steam_setpoint_t_h"]
        d[D_CEMS_HEAD], d[D_CEMS_VALID] = c.head, float(c.valid)
        d[D_SLUG] = -1.0
        # The first timeouts, created at t = 0 in process order (SimPy: now + max(next - now, 0)).
        now = f.time_s
        first = [dd["next_crane_s"], dd["next_mixing_s"], dd["next_cems_s"],
                 f._events[0][0] if f._events else math.inf,
                 dd["next_soot_s"] if f.scenario.soot_blowing else math.inf]
        for p, nxt in enumerate(first):
            self.pt[i, p] = now + max(nxt - now, 0.0) if nxt != math.inf else math.inf
            self.pe[i, p] = d[D_EID]
            d[D_EID] += 1.0
        self.rngs[i] = f.rng
        self.normals[i] = f.rng.standard_normal(self.normals.shape[1])
        d[D_NORMAL_POS] = 0.0
        d[D_OUTPUTS_FRESH] = 1.0  # stack and power copied from the factory plant above
        return f

    def ensure_normals(self, rows: np.ndarray, needed: int) -> None:
        """Refill the normal buffers of ``rows`` with fewer than ``needed`` left (continuing each
        plant's own generator, so the sequence of values is unchanged)."""
        width = self.normals.shape[1]
        if needed > width:
            raise ValueError(f"ensure_normals: needed={needed} exceeds the buffer width {width}")
        pos = self.d[rows, D_NORMAL_POS]
        for i in rows[pos > width - needed]:
            p = int(self.d[i, D_NORMAL_POS])
            left = width - p
            self.normals[i, :left] = self.normals[i, p:]
            self.normals[i, left:] = self.rngs[i].standard_normal(width - left)
            self.d[i, D_NORMAL_POS] = 0.0

    def normal(self, i: int, count: int) -> np.ndarray:
        """The next ``count`` normals of plant ``i`` (as ``rng.standard_normal(count)`` would give)."""
        self.ensure_normals(np.array([i]), count)
        p = int(self.d[i, D_NORMAL_POS])
        self.d[i, D_NORMAL_POS] = p + count
        return self.normals[i, p:p + count].copy()

    def advance(self, seconds: float, run: np.ndarray, extra_normals: int = 0) -> None:
        """``Plant.advance(seconds)`` for the plants where ``run`` (bool, shape (n,)) is True;
        afterwards each of them has at least ``extra_normals`` normals left in its buffer."""
        if not seconds > 0 or not math.isfinite(seconds):
            raise ValueError(f"advance(seconds): expected a positive finite duration, got {seconds!r}")
        self.ensure_normals(np.flatnonzero(run), max_normals_per_advance(self.ep, seconds) + extra_normals)
        args = (float(seconds), run, self.x, self.bed, self.hopper, self.u, self.y, self.scratch, self.d, self.pt,
                self.pe, self.moisture_est_pct, self.cems_line, self.cems_filtered, self.cems_reading, self.stack,
                self.power, self.normals) + self._consts + (self.events, self.slug_table)
        if self._entry is None:  # resolve numba's type dispatch once (see sim.core.entry_point)
            self._entry = core.entry_point(advance_batch, *args)
        self._entry(*args)

    def trip_reason(self, i: int) -> str | None:
        """None while plant ``i`` runs, else the reason (``Plant.trip``)."""
        code = int(self.x[i, core.X_TRIP])
        return None if code == core.TRIP_NONE else core.TRIP_REASONS[code]
