"""A plant config and scenario made runnable: the compiled model, start states and kernel entries.

:class:`PlantModel` joins the built plant config (:func:`sim.design_point.build`: parameters and
the design steady state) with the scenario's event tables into one :class:`sim.events.Model`
tuple, puts plants in their start state (:meth:`PlantModel.start`) and resolves the machine-code
entries of the compiled kernels once (:meth:`PlantModel.kernels`). ``sim.Plant`` (N = 1, events
scheduled by SimPy) and ``sim.batch.PlantBatch`` (N plants, the compiled scheduler) are both
built on it, so they start from, and run, the same code.
"""
from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import core, events, readout
from .config import PlantConfig, ScenarioConfig
from .design_point import Built, build
from .state import PROCESSES, PlantState, first_timeouts
from .subsystems.boiler import drum_energy_j, drum_mass_kg
from .subsystems.grate import ASH, CHAR, VOLATILES, WATER, stored_energy_j
from .subsystems.thermo import saturation
from .units import ACTUATORS

#: The compiled kernels a plant calls from Python (machine-code entries, see :func:`compiled`).
Kernels = namedtuple("Kernels", ["fire", "sync", "sync_and_refresh", "refresh_outputs", "advance_rows", "measure", "truth",
                                 "upcoming_mean", "drop_grab"])


def compiled(dispatcher, *example_args):
    """The compiled machine-code entry of a numba function for the types of ``example_args``.

    Calling a numba dispatcher resolves the argument types on every call, which costs tens of
    microseconds for the model's nested parameter tuples (more than 10 s of plant time takes to
    integrate). A plant resolves them once and calls the entry directly; later calls must pass
    arguments of exactly these types (the plant's own arrays and model tuple, ints, floats).
    """
    return dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in example_args))


def stored_in(built: Built, state: PlantState, i: int) -> dict[str, float]:
    """Mass [kg] and energy [J] stored in the bed and the drum of plant ``i`` of ``state``."""
    r, bed, bp = state.plant[i], state.bed[i], built.physics.bp
    sat = np.zeros(11)
    saturation(float(r["drum_pressure_mpa"]), built.physics.sat, sat)
    return {
        "bed_kg": float(bed[WATER].sum() + bed[VOLATILES].sum() + bed[CHAR].sum() + bed[ASH].sum()),
        "bed_j": float(stored_energy_j(bed, built.physics.gp)),
        "drum_kg": float(drum_mass_kg(float(r["drum_water_volume_m3"]), sat, bp)),
        "drum_j": float(drum_energy_j(float(r["drum_water_volume_m3"]), float(r["drum_pressure_mpa"]), sat, bp)),
    }


class PlantModel:
    """One plant config and scenario, ready to run (see the module docstring).

    Attributes: ``config``, ``scenario``, ``built`` (:class:`sim.design_point.Built`), ``model``
    (the :class:`sim.events.Model` tuple the kernels take), ``design_stored`` (mass and energy in
    the design bed and drum, where every plant starts).
    """

    def __init__(self, plant: PlantConfig, scenario: ScenarioConfig):
        self.config, self.scenario = plant, scenario
        self.built = b = build(plant)
        ev, slugs = events.event_tables(scenario)
        self.ep = ep = events.event_params(plant, scenario)
        fc = scenario.forecast
        rp = readout.ReadoutParams(ep.area_density_kg_m, b.fuel.hhv_daf_j_kg, b.fuel.h_daf,
                                   b.physics.bp.feedwater_h_j_kg, float(fc.horizon_min) if fc is not None else 0.0,
                                   fc is not None)
        self.model = events.Model(b.physics, ep, ev, slugs, rp)
        self.n_cems_delay = events.cems_n_delay(plant.cems)
        self.design_stored = stored_in(b, b.design, 0)
        self._kernels: Kernels | None = None

    @property
    def design_actuators(self) -> dict[str, float]:
        """The design commands [ACTUATORS units] (where every plant starts)."""
        return dict(self.built.design_actuators)

    @property
    def actuator_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) actuator bounds in ACTUATORS order."""
        return self.built.lower.copy(), self.built.upper.copy()

    def new_state(self, n: int, n_normals: int = 2048) -> PlantState:
        """A zeroed state of ``n`` plants of this model's shapes."""
        return PlantState(n, self.config.grate.n_cells, self.n_cems_delay, n_normals)

    def kernels(self, state: PlantState) -> Kernels:
        """The compiled kernels for this model and states of ``state``'s types (resolved once)."""
        if self._kernels is None:
            s, m = state.arrays, self.model
            m_out, t_out = np.zeros(readout.N_MEAS), np.zeros(readout.N_TRUTH)
            self._kernels = Kernels(
                fire=compiled(events.fire, s, 0, 0, 0.0, m),
                sync=compiled(core.sync, s, 0, 0.0, m.ph),
                sync_and_refresh=compiled(core.sync_and_refresh, s, 0, 0.0, m.ph),
                refresh_outputs=compiled(core.refresh_outputs, s, 0, m.ph),
                advance_rows=compiled(events.advance_rows, s, np.zeros(1, dtype=bool), 0.0, m),
                measure=compiled(readout.measure, s, 0, m.rp, m_out),
                truth=compiled(readout.truth, s, 0, m.rp, t_out),
                upcoming_mean=compiled(readout.upcoming_mean, s, 0, np.zeros(1), 0.0),
                drop_grab=compiled(events.drop_grab, s, 0, m.ep, m.slugs))
        return self._kernels

    def start(self, state: PlantState, i: int, seed: int) -> None:
        """Put plant ``i`` of ``state`` in its start state with ``seed``: the design steady state,
        the design commands, the hopper filled to its initial level with grabs drawn from the
        scenario (from the plant's own generator), the CEMS reading the design stack values, and
        each process's first timeout booked (crane and mixing at once and after a minute, the
        CEMS after one period, the scenario's first event, soot blowing after its interval)."""
        b, cfg, sc, k = self.built, self.config, self.scenario, self.kernels(state)
        d = b.design
        for name in ("plant", "out", "bed"):
            getattr(state, name)[i] = getattr(d, name)[0]
        state.balance[i] = np.zeros((), state.balance.dtype)
        state.hopper[i] = 0.0
        state.moisture_est_pct[i] = np.nan
        state.u[i] = [b.design_actuators[a] for a in ACTUATORS]
        state.seed(i, seed)
        r = state.plant[i]
        r["fouling_rate_scale"] = sc.fouling_rate_scale
        r["now_s"] = r["time_s"] = 0.0
        r["next_event_id"] = r["event_index"] = r["slug_left"] = r["cems_outage"] = r["crane_in_kg"] = 0.0
        r["slug"] = -1.0
        r["tc_drift_start_s"], r["tc_drift_rate_k_h"] = math.nan, 0.0
        r["steam_setpoint_t_h"] = sc.steam_setpoint_t_h or b.design_steam_t_h
        level_mass = cfg.hopper.initial_level_m * self.ep.area_density_kg_m
        s, m, row = state.arrays, self.model, np.array([i])
        while r["hopper_mass_kg"] < level_mass:
            state.ensure_normals(row, 3)  # a grab draws up to 3 normals
            k.drop_grab(s, int(i), m.ep, m.slugs)
        r["crane_in_kg"] = 0.0
        r["outputs_fresh"] = 0.0
        k.refresh_outputs(s, int(i), m.ph)
        first = state.stack[i, :state.cems_reading.shape[1]]
        state.cems_line[i] = first
        state.cems_filtered[i] = state.cems_reading[i] = first
        r["cems_head"], r["cems_valid"] = 0.0, 1.0
        n_events = m.events.shape[0]
        first_times = {"crane": 0.0, "mixing": events.MIXING_PERIOD_S, "cems": cfg.cems.period_s,
                       "scenario": float(m.events[0, 0]) if n_events else math.inf,
                       "soot": cfg.boiler.soot_blow_interval_h * 3600.0 if sc.soot_blowing else math.inf}
        first_timeouts(r, [first_times[p] for p in PROCESSES])
