"""The SimPy plant model: one line, its continuous core and its discrete processes.

Only this module knows SimPy. Time is in seconds. The plant's state is a one-plant
:class:`sim.state.PlantState` (public: :attr:`Plant.state`); its parameters and compiled kernels
come from a :class:`sim.model.PlantModel`. The discrete processes are SimPy processes, each a
generator that waits for its next time and then runs its compiled body (:func:`sim.events.fire`:
the core is integrated up to the process's time, then the body acts):

- crane: drops a grab when the hopper level is below the crane's start level;
- hopper mixing: AR(1) noise on the moisture of the waste leaving the hopper (every minute);
- CEMS: samples the stack every period (see :mod:`sim.subsystems.cems`);
- scenario: bridging, CEMS outages, thermocouple drift, turbine valve steps, steam-setpoint steps;
- soot blowing (when the scenario has it): removes most of the fouling at its interval.

Between events the core is integrated only when something needs it ("lazy sync": before an event
acts and at the end of every :meth:`Plant.advance`), which is exactly the trajectory of a process
ticking every ``dt_s``. An event due exactly at the end of an advance fires at the start of the
next one (SimPy's ``run(until=end)``), so the CEMS reading after ``advance`` to ``t`` holds the
samples up to ``t - period``: the analyser's effective dead time is ``delay_s`` plus up to one
sampling period (``tests/test_plant.py`` measures it).

Crane imaging (scenarios with ``forecast``): each grab's moisture is estimated when it is
dropped, with the scenario's Gaussian error; :attr:`Plant.moisture_forecast_pct` is the
mass-weighted estimate over the waste fed in the next ``horizon_min`` and
:attr:`Plant.upcoming_moisture_pct` the same average of the true grab moistures.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import simpy

from . import events
from .config import PlantConfig, ScenarioConfig, load_plant, load_scenario
from .model import PlantModel, stored_in
from .readout import N_MEAS, N_TRUTH
from .state import N_PROC, PLANT_COLUMN

_NOW, _NORMAL_POS = PLANT_COLUMN["now_s"], PLANT_COLUMN["normal_pos"]
from .units import ACTUATORS, MEASUREMENTS, TRUTH

_ACT_INDEX = {name: i for i, name in enumerate(ACTUATORS)}


class Plant:
    """One grate-fired line with its scenario. Construct with :meth:`from_config`.

    Public state: ``time_s``, ``state`` (the :class:`sim.state.PlantState`, N = 1), ``model``
    (the :class:`sim.model.PlantModel`), ``measurements``, ``truth``, ``actuators`` (commands),
    ``design_actuators``, ``trip`` (None or the reason), ``balance_report()``,
    ``snapshot()``/``restore()``, ``reset(seed)``.
    """

    def __init__(self, plant: PlantConfig, scenario: ScenarioConfig, seed: int = 0):
        self.config = plant
        self.scenario = scenario
        self.model = PlantModel(plant, scenario)
        self.state = self.model.new_state(1)
        self.kernels = self.model.kernels(self.state)
        b = self.model.built
        self.design_actuators = dict(b.design_actuators)
        self.design_steam_t_h = b.design_steam_t_h
        self._m = np.zeros(N_MEAS)
        self._t = np.zeros(N_TRUTH)
        self._row = np.zeros(1, dtype=np.int64)
        self._values = self.state.plant_values[0]  # scalar fields by column (sim.state.PLANT_COLUMN)
        self._normals_per_advance: dict[float, int] = {}
        self._s, self._ph, self._finish = self.state.arrays, self.model.model.ph, self.kernels.sync_and_refresh
        self.reset(seed)

    # ------------------------------------------------------------------ construction ---
    @classmethod
    def from_config(cls, plant: str | Path | dict | PlantConfig = "reference_750tpd",
                    scenario: str | Path | dict | ScenarioConfig = "steady_design", seed: int = 0,
                    plant_overrides: dict | None = None, scenario_overrides: dict | None = None) -> "Plant":
        """Build a plant at its design steady state from config names, paths or dicts."""
        return cls(load_plant(plant, plant_overrides), load_scenario(scenario, scenario_overrides), seed)

    def reset(self, seed: int) -> None:
        """Return to the start state with ``seed`` (what a new ``Plant(config, scenario, seed)`` is)."""
        self.seed = int(seed)
        self.model.start(self.state, 0, self.seed)
        self._hopper_start_kg = float(self.state.plant[0]["hopper_mass_kg"])
        self._start_stored = {**self.model.design_stored, "hopper_kg": self._hopper_start_kg}
        self._start_env(0.0)

    @property
    def rng(self) -> np.random.Generator:
        """The plant's one generator (it feeds ``state.normals``; draw through :meth:`normals`)."""
        return self.state.rngs[0]

    def normals(self, count: int) -> np.ndarray:
        """The next ``count`` standard normals of the plant's random sequence (e.g. observation noise)."""
        return self.state.take_normals(0, count)

    def _start_env(self, t0: float) -> None:
        self._env = simpy.Environment(initial_time=t0)
        rec = self.state.plant[0]
        for p in range(N_PROC):
            if rec["next_s"][p] != math.inf:
                self._env.process(self._process(p, float(rec["next_s"][p])))

    # ------------------------------------------------------------------ processes ---
    def _process(self, p: int, first_s: float):
        """The SimPy process of ``sim.state.PROCESSES[p]``: wait, run its compiled body, repeat
        while the body has a next time."""
        env, fire, s, m = self._env, self.kernels.fire, self.state.arrays, self.model.model
        delay = max(first_s - env.now, 0.0)
        while True:
            yield env.timeout(delay)
            nxt = fire(s, 0, p, float(env.now), m)
            if nxt == math.inf:
                return
            delay = max(nxt - env.now, 0.0)

    def advance(self, seconds: float) -> None:
        """Run the plant for ``seconds`` of simulated time.

        SimPy processes every event due before the end time (what ``env.run(until=end)`` does, an
        event at exactly the end time is processed by the next call), each syncing the core to
        its own time; then the core is integrated to the end. Stepping the event queue directly
        saves ``run``'s stop event and exception; the plant's clock (:attr:`time_s`) is the end
        time, the SimPy clock stays at the last event processed.
        """
        if not seconds > 0 or not math.isfinite(seconds):
            raise ValueError(f"advance(seconds): expected a positive finite duration, got {seconds!r}")
        v = self._values
        end = v[_NOW] + seconds
        needed = self._normals_per_advance.get(seconds)
        if needed is None:
            needed = self._normals_per_advance[seconds] = events.max_normals_per_advance(self.model.ep, seconds)
        if v[_NORMAL_POS] > self.state.normals.shape[1] - needed:
            self.state.ensure_normals(self._row, needed)
        env = self._env
        while env.peek() < end:
            env.step()
        v[_NOW] = end
        self._finish(self._s, 0, end, self._ph)

    # ------------------------------------------------------------------ actuators ---
    def set_actuators(self, commands: dict[str, float]) -> None:
        """Set actuator commands in physical units (any subset of ``sim.units.ACTUATORS``).

        Raises ValueError naming the actuator for an unknown name, a non-finite value or a value
        outside the plant's bounds. Actuators then move at their configured rate limits.
        """
        lower, upper = self.model.built.lower, self.model.built.upper
        for name, value in commands.items():
            i = _ACT_INDEX.get(name)
            if i is None:
                raise ValueError(f"unknown actuator {name!r}: expected one of {list(ACTUATORS)}")
            v = float(value)
            if not math.isfinite(v):
                raise ValueError(f"actuator {name}: value {value!r} is not finite")
            if not lower[i] <= v <= upper[i]:
                raise ValueError(f"actuator {name}: value {v} outside its range [{lower[i]}, {upper[i]}]")
        for name, value in commands.items():
            self.state.u[0, _ACT_INDEX[name]] = float(value)

    def set_actuator_array(self, commands: np.ndarray) -> None:
        """Fast path for environments: a float array in ACTUATORS order, clipped to the bounds."""
        u = self.state.u[0]
        np.maximum(commands, self.model.built.lower, out=u)  # np.clip's result, without its overhead
        np.minimum(u, self.model.built.upper, out=u)

    @property
    def actuators(self) -> dict[str, float]:
        """Current commands [physical units]."""
        return dict(zip(ACTUATORS, self.state.u[0].tolist()))

    @property
    def actuator_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) arrays in ACTUATORS order."""
        return self.model.built.lower.copy(), self.model.built.upper.copy()

    # ------------------------------------------------------------------ outputs ---
    @property
    def time_s(self) -> float:
        """Simulated time [s] since the start."""
        return float(self._values[_NOW])

    @property
    def trip(self) -> str | None:
        """None while running; the trip reason once the plant has tripped."""
        return self.state.trip_reason(0)

    @property
    def measurements(self) -> dict[str, float]:
        """What the DCS shows (MEASUREMENTS names; CEMS dry at 11 % O2, as read by the CEMS)."""
        s, m = self.state.arrays, self.model.model
        self.kernels.refresh_outputs(s, 0, m.ph)
        self.kernels.measure(s, 0, m.rp, self._m)
        return dict(zip(MEASUREMENTS, self._m.tolist()))

    @property
    def truth(self) -> dict[str, float]:
        """Hidden truth (TRUTH names): for info and KPIs, never for observations."""
        s, m = self.state.arrays, self.model.model
        self.kernels.refresh_outputs(s, 0, m.ph)
        self.kernels.truth(s, 0, m.rp, self._t)
        return dict(zip(TRUTH, self._t.tolist()))

    @property
    def steam_setpoint_t_h(self) -> float:
        """Steam-flow setpoint [t/h]: the scenario's (or design steam), moved by its setpoint steps."""
        return float(self.state.plant[0]["steam_setpoint_t_h"])

    @steam_setpoint_t_h.setter
    def steam_setpoint_t_h(self, value: float) -> None:
        self.state.plant[0]["steam_setpoint_t_h"] = float(value)

    def _upcoming_mean(self, per_slot: np.ndarray) -> float:
        horizon_min = self.scenario.forecast.horizon_min if self.scenario.forecast is not None else 0.0
        return float(self.kernels.upcoming_mean(self.state.arrays, 0, np.ascontiguousarray(per_slot, dtype=float),
                                                float(horizon_min)))

    @property
    def upcoming_moisture_pct(self) -> float:
        """Truth [wt %]: mass-weighted moisture of the grabs the feeder takes next (the scenario's
        forecast horizon at the current feed rate, at least the grab at the bottom of the hopper;
        without a forecast, that grab only). Hopper-mixing noise is not included. NaN if empty."""
        return self._upcoming_mean(self.state.hopper[0, :, 1] * 100.0)

    @property
    def moisture_forecast_pct(self) -> float:
        """Measurement [wt %]: crane imaging's estimate of :attr:`upcoming_moisture_pct` (each
        grab estimated once with the scenario's ``forecast.noise_std_pct`` error). NaN when the
        scenario has no ``forecast``."""
        if self.scenario.forecast is None:
            return math.nan
        return self._upcoming_mean(self.state.moisture_est_pct[0])

    @property
    def cems_valid(self) -> bool:
        """False while the CEMS is in an outage (readings are held)."""
        return bool(self.state.plant[0]["cems_valid"])

    # ------------------------------------------------------------------ balances ---
    def balance_report(self) -> dict:
        """Cumulative mass [kg] and energy [J] in/out/stored since t=0, with relative closure.

        Sections: ``gas_side`` (waste, air, auxiliary fuel -> flue gas, bottom ash, heat to the
        water side; storage: the grate bed), ``water_side`` (feedwater, spray and heat -> steam;
        storage: drum, risers, metal), ``hopper`` (crane -> feeder) and ``plant`` (all together).
        Closure = (in - out - stored change) / in.
        """
        a = {k: float(self.state.balance[0][k]) for k in self.state.balance.dtype.names}
        now = {**stored_in(self.model.built, self.state, 0), "hopper_kg": float(self.state.plant[0]["hopper_mass_kg"])}
        s0 = self._start_stored
        sections = {
            "gas_side_mass": (a["waste_kg"] + a["air_kg"] + a["aux_fuel_kg"], a["flue_kg"] + a["ash_kg"],
                              now["bed_kg"] - s0["bed_kg"]),
            "water_side_mass": (a["feedwater_kg"] + a["spray_kg"], a["turbine_steam_kg"] + a["preheat_steam_kg"],
                                now["drum_kg"] - s0["drum_kg"]),
            "hopper_mass": (float(self.state.plant[0]["crane_in_kg"]), a["waste_kg"],
                            now["hopper_kg"] - self._hopper_start_kg),
            "gas_side_energy": (a["fuel_j"] + a["air_j"] + a["aux_j"],
                                a["stack_j"] + a["unburnt_j"] + a["ash_j"] + a["wall_loss_j"] + a["q_drum_j"]
                                + a["q_sh_j"], now["bed_j"] - s0["bed_j"]),
            "water_side_energy": (a["q_drum_j"] + a["q_sh_j"] + a["feedwater_j"] + a["spray_j"],
                                  a["turbine_steam_j"] + a["preheat_steam_j"], now["drum_j"] - s0["drum_j"]),
        }
        ge, we = sections["gas_side_energy"], sections["water_side_energy"]
        # Plant boundary: the heat to the water side and the preheater duty are internal; the
        # preheater's condensate leaves back to the feedwater tank.
        internal_in = a["q_drum_j"] + a["q_sh_j"] + a["preheat_j"]
        internal_out = a["q_drum_j"] + a["q_sh_j"] + a["preheat_steam_j"] - a["condensate_j"]
        sections["plant_energy"] = (ge[0] + we[0] - internal_in, ge[1] + we[1] - internal_out, ge[2] + we[2])
        return {name: {"in": i, "out": o, "stored_change": s, "closure": (i - o - s) / i if i else 0.0}
                for name, (i, o, s) in sections.items()}

    # ------------------------------------------------------------------ snapshots ---
    def snapshot(self) -> dict:
        """A deep copy of the complete plant state (arrays and the generator's state)."""
        return {**self.state.snapshot(), "hopper_start_kg": self._hopper_start_kg,
                "start_stored": dict(self._start_stored)}

    def restore(self, snap: dict) -> None:
        """Return to a snapshot; the continuation is identical to the original's."""
        self.state.restore(snap)
        self._hopper_start_kg, self._start_stored = snap["hopper_start_kg"], dict(snap["start_stored"])
        self._start_env(self.time_s)

    def __getstate__(self):
        return {"plant": self.config.model_dump(mode="json"), "scenario": self.scenario.model_dump(mode="json"),
                "seed": self.seed, "snapshot": self.snapshot()}

    def __setstate__(self, state):
        self.__init__(PlantConfig.model_validate(state["plant"]), ScenarioConfig.model_validate(state["scenario"]),
                      state["seed"])
        self.restore(state["snapshot"])

