"""The named plant state: what a running line holds, with a batch axis.

One :class:`PlantState` holds N plants of one config (``sim.Plant`` holds N = 1, ``sim.batch.PlantBatch``
any N); every compiled kernel (:mod:`sim.core`, :mod:`sim.events`, :mod:`sim.readout`) takes it
and a row index. Its fields:

``plant`` (N,) records of :data:`PLANT_DTYPE`
    the scalar continuous states (actuator positions, drum, furnace, analysers, sorbent lags,
    hopper bookkeeping, clock, trip) and the discrete state of the event processes (pending
    times, scenario progress, CEMS bookkeeping). Each field's unit is in its name or below.
``balance`` (N,) records of :data:`BALANCE_DTYPE`
    cumulative mass [kg] and energy [J] counters since t = 0 (``Plant.balance_report``).
``out`` (N,) records of :data:`OUTPUT_DTYPE`
    algebraic quantities of the last integration step, from which measurements are formed.
``u`` (N, 9)
    actuator commands in ``sim.units.ACTUATORS`` order and units.
``bed`` (N, 5, n_cells)
    grate cells: water, volatiles, char, ash [kg] and sensible heat above 25 degC [J]
    (rows ``sim.subsystems.grate.WATER`` ... ``SENSIBLE``).
``hopper`` (N, HOPPER_SLOTS, 3)
    ring buffer of crane grabs: mass [kg], moisture [-], ash [-]; ``plant.hopper_head`` is the
    bottom grab, ``plant.hopper_count`` the number of grabs in it.
``moisture_est_pct`` (N, HOPPER_SLOTS)
    crane imaging's moisture estimate of each grab [wt %] (NaN: not imaged).
``cems_line``, ``cems_filtered``, ``cems_reading``
    the CEMS sample line (N, n_delay, 6), its lagged value and its reading (N, 6), in
    ``sim.subsystems.cems.CHANNELS`` order [mg/Nm3 dry, 11 % O2].
``stack`` (N, S_SIZE), ``power`` (N, P_SIZE)
    true stack values (``sim.subsystems.stack`` ``S_*``) and power (``sim.subsystems.turbine``
    ``P_*``) of the current state; ``plant.outputs_fresh`` says whether they are up to date.
``normals`` (N, K)
    the next standard normals of each plant's own ``numpy.random.Generator``, consumed in order
    from ``plant.normal_pos`` (:meth:`PlantState.ensure_normals` refills them from the same
    generator, so the sequence is that of single draws).
``scratch`` (N, SCRATCH_SIZE)
    work space of the integrator.
"""
from __future__ import annotations

import copy
import math
from collections import namedtuple

import numpy as np

from .subsystems import stack, turbine
from .subsystems.cems import CHANNELS as CEMS_CHANNELS
from .units import ACTUATORS

N_ACT = len(ACTUATORS)
N_CEMS = len(CEMS_CHANNELS)
#: Slots of the hopper's ring buffer of grabs (a full 8-m hopper holds about 20 grabs of 10 t).
HOPPER_SLOTS = 64
#: Work space of the integrator [float64 elements].
SCRATCH_SIZE = 64

#: The discrete processes, in the order the SimPy plant starts them (= creation order of their
#: first timeouts, which breaks ties between events due at the same time).
PROCESSES = ("crane", "mixing", "cems", "scenario", "soot")
P_CRANE, P_MIXING, P_CEMS, P_SCENARIO, P_SOOT = range(len(PROCESSES))
N_PROC = len(PROCESSES)

TRIP_NONE, TRIP_LEVEL_LOW, TRIP_LEVEL_HIGH, TRIP_FLAME_FAILURE = 0, 1, 2, 3
TRIP_REASONS = {TRIP_LEVEL_LOW: "drum level low-low", TRIP_LEVEL_HIGH: "drum level high-high",
                TRIP_FLAME_FAILURE: "flame failure (combustion stopped, burners not holding a flame)"}

#: Scalar state of one plant (float64 fields; counts and flags as whole numbers).
PLANT_DTYPE = np.dtype([
    # continuous
    ("actuator", np.float64, (N_ACT,)),   # positions after the rate limits [ACTUATORS units]
    ("drum_water_volume_m3", np.float64),  # total water volume of drum, risers, downcomers
    ("drum_pressure_mpa", np.float64),
    ("steam_under_level_m3", np.float64),  # steam bubbles below the drum level
    ("furnace_gas_k", np.float64),         # furnace gas after the secondary air (2-s zone)
    ("thermocouple_k", np.float64),        # furnace thermocouple (lagged gas temperature)
    ("o2_analyser_wet_pct", np.float64),   # O2 analyser reading (lagged) [vol % wet]
    ("fouling", np.float64),               # boiler fouling factor [-] (0 clean)
    ("lime_reactor_kg_h", np.float64),     # lime acting in the reactor (first lag of the dosing)
    ("lime_cake_kg_h", np.float64),        # ... and in the filter cake (second lag)
    ("carbon_reactor_kg_h", np.float64),
    ("carbon_cake_kg_h", np.float64),
    ("mixing_noise", np.float64),          # hopper-mixing moisture deviation [mass fraction]
    ("bridged", np.float64),               # 1 while the hopper bridges (feeder takes nothing)
    ("turbine_valve_pct", np.float64),
    ("hopper_head", np.float64),           # ring-buffer slot of the bottom grab
    ("hopper_count", np.float64),          # grabs in the hopper
    ("hopper_mass_kg", np.float64),
    ("time_s", np.float64),                # time the continuous core has reached
    ("trip", np.float64),                  # TRIP_* code
    ("fouling_rate_scale", np.float64),    # scenario's multiplier of the fouling rate [-]
    ("refractory_k", np.float64),          # radiating surface of the refractory arches
    ("flame_k", np.float64),               # flame over the bed (primary combustion zone)
    ("flame_out_s", np.float64),           # time combustion has been stopped (flame-failure detection) [s]
    # discrete (event processes)
    ("now_s", np.float64),                 # the clock of the event processes [s]
    ("next_event_id", np.float64),         # creation counter of pending timeouts (SimPy's tie order)
    ("next_s", np.float64, (N_PROC,)),     # each process's pending timeout [s] (inf: none)
    ("next_id", np.float64, (N_PROC,)),    # ... and its creation number
    ("event_index", np.float64),           # next scenario event
    ("slug", np.float64),                  # slug being dropped (row of the slug table; -1 none)
    ("slug_left", np.float64),             # grabs of it still to drop
    ("cems_outage", np.float64),           # 1 during a CEMS outage
    ("tc_drift_start_s", np.float64),      # thermocouple drift start (NaN: no drift)
    ("tc_drift_rate_k_h", np.float64),
    ("crane_in_kg", np.float64),           # waste the crane has dropped since t = 0
    ("steam_setpoint_t_h", np.float64),
    ("cems_head", np.float64),             # slot of the CEMS sample line written next
    ("cems_valid", np.float64),            # 0 while the CEMS is in an outage
    ("normal_pos", np.float64),            # next unused element of the plant's ``normals``
    ("outputs_fresh", np.float64),         # 1 while ``stack``/``power`` belong to the state
])

#: Column of each scalar field of PLANT_DTYPE in ``PlantState.plant_values``.
PLANT_COLUMN = {name: PLANT_DTYPE.fields[name][1] // 8 for name in PLANT_DTYPE.names
                if PLANT_DTYPE.fields[name][0].shape == ()}

#: Cumulative balance counters since t = 0: masses [kg], energies [J].
BALANCE_DTYPE = np.dtype([(name, np.float64) for name in (
    "waste_kg", "air_kg", "aux_fuel_kg", "flue_kg", "ash_kg", "feedwater_kg", "drum_steam_kg", "spray_kg",
    "fuel_j", "air_j", "aux_j", "stack_j", "unburnt_j", "ash_j", "wall_loss_j", "q_drum_j", "q_sh_j",
    "feedwater_j", "drum_steam_j", "turbine_steam_j", "spray_j", "turbine_steam_kg", "preheat_steam_kg",
    "preheat_steam_j", "preheat_j", "condensate_j")])

#: Algebraic quantities of the last integration step.
OUTPUT_DTYPE = np.dtype([
    ("gas_kmol_s", np.float64, (4,)),      # furnace gas N2, O2, CO2, H2O
    ("furnace_k", np.float64),
    ("radiant_exit_k", np.float64),
    ("superheater_exit_k", np.float64),
    ("boiler_exit_k", np.float64),
    ("q_drum_w", np.float64),              # heat to the evaporator (walls + convective pass)
    ("q_superheater_w", np.float64),
    ("q_wall_w", np.float64),
    ("steam_drum_kg_s", np.float64),       # steam leaving the drum (turbine valve + preheater)
    ("steam_turbine_kg_s", np.float64),    # live steam to the turbine (after the spray)
    ("h_steam_j_kg", np.float64),
    ("p_turbine_mpa", np.float64),
    ("spray_kg_s", np.float64),
    ("heat_release_w", np.float64),
    ("burn_frac", np.float64),             # share of the released volatiles that burnt [-]
    ("volatiles_kg_s", np.float64),
    ("feed_kg_s", np.float64),             # waste the feeder actually took
    ("feed_moisture", np.float64),         # its moisture and ash [mass fraction]
    ("feed_ash", np.float64),
    ("pa_kmol_s", np.float64),
    ("sa_kmol_s", np.float64),
    ("level_m", np.float64),               # drum level from normal water level
    ("discharge_char_kg_s", np.float64),
    ("discharge_ash_kg_s", np.float64),
    ("flue_kg_s", np.float64),
    ("char_burnt_kg_s", np.float64),
    ("t_sat_k", np.float64),
    ("water_evap_kg_s", np.float64),
    ("preheat_steam_kg_s", np.float64),
])

#: The arrays of a :class:`PlantState`, in the order of the compiled kernels' ``s`` tuple.
FIELDS = ("plant", "balance", "out", "u", "bed", "hopper", "moisture_est_pct", "cems_line", "cems_filtered",
          "cems_reading", "stack", "power", "normals", "scratch")
#: What the compiled kernels take: the arrays of a PlantState (a namedtuple, so numba sees names).
StateArrays = namedtuple("StateArrays", FIELDS)


class PlantState:
    """The state of N plants of one config: the arrays listed in the module docstring, plus each
    plant's ``numpy.random.Generator`` (``rngs``) that feeds its ``normals``."""

    def __init__(self, n: int, n_cells: int, n_cems_delay: int, n_normals: int = 2048):
        self.n = int(n)
        self.arrays = StateArrays(
            plant=np.zeros(n, PLANT_DTYPE), balance=np.zeros(n, BALANCE_DTYPE), out=np.zeros(n, OUTPUT_DTYPE),
            u=np.zeros((n, N_ACT)), bed=np.zeros((n, 5, n_cells)), hopper=np.zeros((n, HOPPER_SLOTS, 3)),
            moisture_est_pct=np.full((n, HOPPER_SLOTS), np.nan), cems_line=np.zeros((n, n_cems_delay, N_CEMS)),
            cems_filtered=np.zeros((n, N_CEMS)), cems_reading=np.zeros((n, N_CEMS)),
            stack=np.zeros((n, stack.S_SIZE)), power=np.zeros((n, turbine.P_SIZE)),
            normals=np.zeros((n, max(int(n_normals), 1))), scratch=np.zeros((n, SCRATCH_SIZE)))
        for name, array in zip(FIELDS, self.arrays):  # state.plant, state.bed, ... (the same arrays)
            setattr(self, name, array)
        #: ``plant`` as a float64 array of shape (n, PLANT_WIDTH): scalar fields by their column
        #: (:data:`PLANT_COLUMN`), cheaper to read from Python than a record.
        self.plant_values = self.plant.view(np.float64).reshape(self.n, -1)
        self.rngs: list[np.random.Generator | None] = [None] * self.n

    def copy_row(self, i: int, other: "PlantState", j: int = 0) -> None:
        """Make row ``i`` a copy of row ``j`` of ``other`` (same shapes); the generator is shared,
        not copied (the row continues that plant's random sequence)."""
        for mine, theirs in zip(self.arrays, other.arrays):
            mine[i] = theirs[j]
        self.rngs[i] = other.rngs[j]

    def seed(self, i: int, seed: int) -> None:
        """Give row ``i`` a new generator seeded with ``seed`` and fill its normal buffer."""
        self.rngs[i] = np.random.default_rng(seed)
        self.normals[i] = self.rngs[i].standard_normal(self.normals.shape[1])
        self.plant[i]["normal_pos"] = 0.0

    def ensure_normals(self, rows: np.ndarray, needed: int) -> None:
        """Refill the normal buffers of ``rows`` with fewer than ``needed`` left, continuing each
        plant's own generator (the sequence of values is unchanged)."""
        width = self.normals.shape[1]
        if needed > width:
            raise ValueError(f"ensure_normals: needed={needed} exceeds the buffer width {width}")
        pos = self.plant["normal_pos"]
        for i in rows[pos[rows] > width - needed]:
            p = int(pos[i])
            left = width - p
            self.normals[i, :left] = self.normals[i, p:]
            self.normals[i, left:] = self.rngs[i].standard_normal(width - left)
            self.plant[i]["normal_pos"] = 0.0

    def take_normals(self, i: int, count: int) -> np.ndarray:
        """The next ``count`` normals of plant ``i`` (what ``rng.standard_normal(count)`` gives)."""
        self.ensure_normals(np.array([i]), count)
        p = int(self.plant[i]["normal_pos"])
        self.plant[i]["normal_pos"] = p + count
        return self.normals[i, p:p + count].copy()

    def trip_reason(self, i: int) -> str | None:
        """None while plant ``i`` runs, else the reason of its trip."""
        code = int(self.plant_values[i, _TRIP])
        return None if code == TRIP_NONE else TRIP_REASONS[code]

    def snapshot(self) -> dict:
        """A deep copy of every array and generator state (plain data)."""
        return {"arrays": {k: v.copy() for k, v in zip(FIELDS, self.arrays)},
                "rngs": [None if r is None else copy.deepcopy(r.bit_generator.state) for r in self.rngs]}

    def restore(self, snap: dict) -> None:
        """Return to a :meth:`snapshot` (arrays copied in place, generators rebuilt)."""
        for k, v in zip(FIELDS, self.arrays):
            v[...] = snap["arrays"][k]
        self.rngs = []
        for st in snap["rngs"]:
            if st is None:
                self.rngs.append(None)
                continue
            rng = np.random.default_rng()
            rng.bit_generator.state = copy.deepcopy(st)
            self.rngs.append(rng)


_TRIP = PLANT_COLUMN["trip"]


def first_timeouts(rec, next_times: list[float]) -> None:
    """Schedule each process's first timeout at ``next_times`` (PROCESSES order; inf: never) as
    SimPy does when the processes start at ``rec.now_s``: ``now + max(next - now, 0)``, numbered
    in process order."""
    now = float(rec["now_s"])
    for p, nxt in enumerate(next_times):
        rec["next_s"][p] = now + max(nxt - now, 0.0) if nxt != math.inf else math.inf
        rec["next_id"][p] = rec["next_event_id"]
        rec["next_event_id"] += 1.0
