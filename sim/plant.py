"""The SimPy plant model: wires the subsystems and runs continuous core and discrete events.

Only this module knows SimPy. Time is in seconds. The continuous core (:mod:`sim.core`) is
integrated with its fixed step up to the current SimPy time whenever a discrete event is about
to act on the plant and at the end of every :meth:`Plant.advance` ("lazy sync"). This is exactly
the trajectory a process ticking every ``dt_s`` would give, without one SimPy event per tick.

Discrete processes, each a generator that reads like the process it models:
- crane: when the hopper level falls below the start level it drops a grab (moisture and ash
  drawn from the scenario's distributions, or a scheduled slug) every crane cycle;
- hopper mixing: AR(1) noise on the moisture of the waste leaving the hopper (every minute);
- soot blowing: removes most of the fouling at its interval;
- CEMS: samples the stack every period (see :mod:`sim.subsystems.cems`);
- scenario events: bridging, CEMS outages, thermocouple drift, turbine valve steps, steam-flow
  setpoint (steam demand) steps.

Crane imaging (scenarios with ``forecast``): each grab's moisture is estimated when it is
dropped, with the scenario's Gaussian error; :attr:`Plant.moisture_forecast_pct` is the
mass-weighted estimate over the waste fed in the next ``horizon_min`` and
:attr:`Plant.upcoming_moisture_pct` the same average of the true grab moistures.

Every process keeps its next time in plain state, so a snapshot (arrays, dicts and the RNG
state) can rebuild the SimPy environment and continue identically.
"""
from __future__ import annotations

import copy
import math
from collections import namedtuple
from pathlib import Path

import numpy as np
import simpy

from . import core
from .config import PlantConfig, ScenarioConfig, load_plant, load_scenario
from .design_point import build
from .subsystems import cems, stack, turbine
from .subsystems.grate import ASH, CHAR, VOLATILES, WATER, stored_energy_j
from .subsystems.boiler import drum_energy_j, drum_mass_kg
from .subsystems.thermo import saturation
from .subsystems.waste import LATENT_HEAT_25C_J_KG
from .units import ACTUATORS, NM3_PER_KMOL

#: Period of the hopper-mixing noise update [s] (the noise's correlation time is minutes).
MIXING_PERIOD_S = 60.0
#: Period at which an idle crane checks the hopper level [s].
CRANE_IDLE_CHECK_S = 60.0
_ACT_INDEX = {name: i for i, name in enumerate(ACTUATORS)}


#: What every plant of a built config shares: id(built) -> (built, _Shared). Resolving the
#: compiled entry points costs about 1.4 ms (most of a plant's construction) and gives the same
#: machine code for every plant of a config; the last _SHARED_SIZE configs are kept.
_SHARED: dict[int, tuple] = {}
_SHARED_SIZE = 8
_Shared = namedtuple("_Shared", ["outputs", "integrate", "design_stored"])


def _shared(b) -> _Shared:
    """The (outputs, integrate) entries for a plant of the built config ``b`` (its parameter
    tuples and a plant's float64 arrays; see :func:`sim.core.entry_point`) and the energy and
    mass stored in the design bed and drum (every plant starts there), once per built config."""
    hit = _SHARED.get(id(b))
    if hit is not None and hit[0] is b:
        return hit[1]
    x, bed, hopper, y = core.new_state(b.design_bed.shape[1])
    u, scratch = np.zeros(core.N_ACT), np.zeros(core.SCRATCH_SIZE)
    shared = _Shared(
        core.entry_point(core.outputs, x, y, *[0.0] * 4, b.stack_params, b.turbine_params, b.power_tables,
                         np.zeros(stack.S_SIZE), np.zeros(turbine.P_SIZE)),
        core.entry_point(core.integrate, x, bed, hopper, u, b.rates_per_s, 0, 0.0, b.core_params, b.grate_params,
                         b.furnace_params, b.boiler_params, b.gas_h, b.gas_cp, b.sat, b.zone_split, b.p_grid,
                         b.h_target_grid, y, scratch),
        _stored_in(b, b.design_x, b.design_bed))
    if len(_SHARED) >= _SHARED_SIZE:
        del _SHARED[next(iter(_SHARED))]
    _SHARED[id(b)] = (b, shared)
    return shared


def _stored_in(b, x: np.ndarray, bed: np.ndarray) -> dict[str, float]:
    """Mass [kg] and energy [J] stored in the bed and the drum of the state ``x, bed``."""
    sat = np.zeros(11)
    saturation(x[core.X_P], b.sat, sat)
    return {
        "bed_kg": float(bed[WATER].sum() + bed[VOLATILES].sum() + bed[CHAR].sum() + bed[ASH].sum()),
        "bed_j": float(stored_energy_j(bed, b.grate_params)),
        "drum_kg": float(drum_mass_kg(x[core.X_VWT], sat, b.boiler_params)),
        "drum_j": float(drum_energy_j(x[core.X_VWT], x[core.X_P], sat, b.boiler_params)),
    }


class Plant:
    """One grate-fired line with its scenario. Construct with :meth:`from_config`.

    Public state: ``time_s``, ``measurements``, ``truth``, ``actuators`` (commands),
    ``design_actuators``, ``trip`` (None or the reason), ``balance_report()``,
    ``snapshot()``/``restore()``.
    """

    def __init__(self, plant: PlantConfig, scenario: ScenarioConfig, seed: int = 0):
        self.config = plant
        self.scenario = scenario
        self.seed = int(seed)
        self._b = build(plant)
        self._dt = plant.integration.dt_s
        self._scratch = np.zeros(core.SCRATCH_SIZE)
        self._stack = np.zeros(stack.S_SIZE)
        self._power = np.zeros(turbine.P_SIZE)
        self._outputs_fresh = False
        self._hopper_area_density = plant.hopper.area_m2 * plant.waste.bulk_density_kg_m3
        self._events = self._scenario_events()
        self.design_actuators = dict(self._b.design_actuators)
        self.design_steam_t_h = float(self._b.design_y[core.Y_STEAM_TURBINE_KG_S] * 3.6)
        self._shared = _shared(self._b)
        self._outputs_entry, self._integrate_entry = self._shared.outputs, self._shared.integrate
        self._reset_state()

    # ------------------------------------------------------------------ construction ---
    @classmethod
    def from_config(cls, plant: str | Path | dict | PlantConfig = "reference_750tpd",
                    scenario: str | Path | dict | ScenarioConfig = "steady_design", seed: int = 0,
                    plant_overrides: dict | None = None, scenario_overrides: dict | None = None) -> "Plant":
        """Build a plant at its design steady state from config names, paths or dicts."""
        return cls(load_plant(plant, plant_overrides), load_scenario(scenario, scenario_overrides), seed)

    def _reset_state(self) -> None:
        b = self._b
        self.rng = np.random.default_rng(self.seed)
        self._x = b.design_x.copy()
        self._bed = b.design_bed.copy()
        self._hopper = np.zeros((core.HOPPER_SLOTS, 3))
        self._y = b.design_y.copy()
        self._u = np.array([b.design_actuators[a] for a in ACTUATORS], dtype=float)
        self._x[core.X_FOUL_SCALE] = self.scenario.fouling_rate_scale
        self._d = {  # discrete state: plain data only
            "next_crane_s": 0.0, "next_mixing_s": MIXING_PERIOD_S, "next_cems_s": self.config.cems.period_s,
            "next_soot_s": self.config.boiler.soot_blow_interval_h * 3600.0, "event_index": 0,
            "slug": None, "slug_left": 0, "cems_outage": False, "tc_drift_start_s": None,
            "tc_drift_rate_k_h": 0.0, "crane_in_kg": 0.0, "trip": None,
            "steam_setpoint_t_h": self.scenario.steam_setpoint_t_h or self.design_steam_t_h,
        }
        self._hopper_moisture_est_pct = np.full(core.HOPPER_SLOTS, np.nan)  # crane imaging, per slot
        level_mass = self.config.hopper.initial_level_m * self._hopper_area_density
        while self._x[core.X_HOP_MASS] < level_mass:
            self._drop_grab()
        self._d["crane_in_kg"] = 0.0
        self._hopper_start_kg = float(self._x[core.X_HOP_MASS])
        self._start_stored = {**self._shared.design_stored, "hopper_kg": float(self._x[core.X_HOP_MASS])}
        self._outputs_fresh = False
        self._outputs()
        self._cems = cems.CemsState(self.config.cems, self._stack[:len(cems.CHANNELS)])
        self._start_env(0.0)

    def _start_env(self, t0: float) -> None:
        self._t = t0  # the plant's clock [s]
        self._env = simpy.Environment(initial_time=t0)
        for proc in (self._crane, self._mixing, self._cems_sampler, self._scenario_process):
            self._env.process(proc())
        if self.scenario.soot_blowing:
            self._env.process(self._soot_blowing())

    def _scenario_events(self) -> list[tuple[float, str, object]]:
        s = self.scenario
        ev: list[tuple[float, str, object]] = []
        for slug in s.slugs:
            ev.append((slug.at_h * 3600, "slug", slug))
        for e in s.bridging:
            ev += [(e.at_h * 3600, "bridge", 1.0), ((e.at_h + e.duration_min / 60) * 3600, "bridge", 0.0)]
        for e in s.cems_outages:
            ev += [(e.at_h * 3600, "cems_outage", True), ((e.at_h + e.duration_min / 60) * 3600, "cems_outage", False)]
        if s.thermocouple_drift is not None:
            ev.append((s.thermocouple_drift.at_h * 3600, "tc_drift", s.thermocouple_drift.rate_per_h))
        for st in s.valve_steps:
            ev.append((st.at_h * 3600, "valve", st.valve_pct))
        for sp in s.steam_setpoint_steps:
            ev.append((sp.at_h * 3600, "setpoint", sp.steam_t_h))
        return sorted(ev, key=lambda e: e[0])

    # ------------------------------------------------------------------ processes ---
    def _crane(self):
        env, hop = self._env, self.config.hopper
        while True:
            yield env.timeout(max(self._d["next_crane_s"] - env.now, 0.0))
            self._sync()
            level = self._x[core.X_HOP_MASS] / self._hopper_area_density
            room = hop.height_m - level > hop.grab_t * 1000.0 / self._hopper_area_density
            if level < hop.crane_start_level_m and room and self._x[core.X_HOP_COUNT] < core.HOPPER_SLOTS - 1:
                self._drop_grab()
                self._d["next_crane_s"] = env.now + hop.crane_cycle_s
            else:
                self._d["next_crane_s"] = env.now + CRANE_IDLE_CHECK_S

    def _mixing(self):
        env, w = self._env, self.scenario.waste
        phi = math.exp(-MIXING_PERIOD_S / w.mixing_noise_tau_s)
        while True:
            yield env.timeout(max(self._d["next_mixing_s"] - env.now, 0.0))
            self._sync()
            innovation = w.mixing_noise_std_pct / 100.0 * math.sqrt(1.0 - phi * phi) * self.rng.standard_normal()
            self._x[core.X_MIXNOISE] = phi * self._x[core.X_MIXNOISE] + innovation
            self._d["next_mixing_s"] = env.now + MIXING_PERIOD_S

    def _soot_blowing(self):
        env, b = self._env, self.config.boiler
        while True:
            yield env.timeout(max(self._d["next_soot_s"] - env.now, 0.0))
            self._sync()
            self._x[core.X_FOUL] *= 1.0 - b.soot_blow_recovery
            self._d["next_soot_s"] = env.now + b.soot_blow_interval_h * 3600.0

    def _cems_sampler(self):
        env, c = self._env, self.config.cems
        while True:
            yield env.timeout(max(self._d["next_cems_s"] - env.now, 0.0))
            self._sync()
            self._outputs()
            cems.sample(self._cems, self._stack, c, self.rng, self._d["cems_outage"])
            self._d["next_cems_s"] = env.now + c.period_s

    def _scenario_process(self):
        env = self._env
        while self._d["event_index"] < len(self._events):
            t, kind, value = self._events[self._d["event_index"]]
            yield env.timeout(max(t - env.now, 0.0))
            self._sync()
            if kind == "slug":
                self._d["slug"], self._d["slug_left"] = value, value.grabs
            elif kind == "bridge":
                self._x[core.X_BRIDGE] = value
            elif kind == "cems_outage":
                self._d["cems_outage"] = value
            elif kind == "tc_drift":
                self._d["tc_drift_start_s"], self._d["tc_drift_rate_k_h"] = env.now, value
            elif kind == "valve":
                self._x[core.X_VALVE] = value
            elif kind == "setpoint":
                self._d["steam_setpoint_t_h"] = value
            self._d["event_index"] += 1

    def _drop_grab(self) -> None:
        """Put one crane grab on top of the hopper (a new ring-buffer slot)."""
        w, t = self.scenario.waste, self._x[core.X_TIME]
        if self._d["slug_left"] > 0:
            moisture, ash = self._d["slug"].moisture_pct, self._d["slug"].ash_pct
            self._d["slug_left"] -= 1
        else:
            mean = (w.moisture_mean_pct + w.moisture_drift_pct_per_day * t / 86400.0
                    + w.moisture_wave_amplitude_pct * math.sin(2 * math.pi * t / (w.moisture_wave_period_h * 3600)))
            moisture = min(max(mean + w.moisture_grab_std_pct * self.rng.standard_normal(), 20.0), 65.0)
            ash = min(max(w.ash_mean_pct + w.ash_grab_std_pct * self.rng.standard_normal(), 3.0), 40.0)
        slot = int(self._x[core.X_HOP_HEAD] + self._x[core.X_HOP_COUNT]) % core.HOPPER_SLOTS
        mass = self.config.hopper.grab_t * 1000.0
        self._hopper[slot] = (mass, moisture / 100.0, ash / 100.0)
        if self.scenario.forecast is not None:
            self._hopper_moisture_est_pct[slot] = moisture + self.scenario.forecast.noise_std_pct * self.rng.standard_normal()
        self._x[core.X_HOP_COUNT] += 1
        self._x[core.X_HOP_MASS] += mass
        self._d["crane_in_kg"] += mass

    # ------------------------------------------------------------------ integration ---
    def _sync(self, t: float | None = None) -> None:
        """Integrate the continuous core up to ``t`` [s] (default: the SimPy clock, for processes)."""
        if t is None:
            t = self._env.now
        remaining = t - self._x[core.X_TIME]
        n = int(remaining / self._dt + 1e-9)
        if n > 0:
            self._integrate(n, self._dt)
        rest = t - self._x[core.X_TIME]
        if rest > 1e-9:
            self._integrate(1, rest)
        if self._x[core.X_TRIP] != core.TRIP_NONE:
            self._x[core.X_TIME] = t  # a tripped plant stands still
            if self._d["trip"] is None:
                self._d["trip"] = core.TRIP_REASONS[int(self._x[core.X_TRIP])]

    def _integrate(self, n: int, dt: float) -> None:
        b = self._b
        self._integrate_entry(self._x, self._bed, self._hopper, self._u, b.rates_per_s, int(n), float(dt),
                              b.core_params, b.grate_params, b.furnace_params, b.boiler_params, b.gas_h,
                              b.gas_cp, b.sat, b.zone_split, b.p_grid, b.h_target_grid, self._y, self._scratch)
        self._outputs_fresh = False

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
        end = self._t + seconds
        env = self._env
        while env.peek() < end:
            env.step()
        self._t = end
        self._sync(end)

    # ------------------------------------------------------------------ actuators ---
    def set_actuators(self, commands: dict[str, float]) -> None:
        """Set actuator commands in physical units (any subset of ``sim.units.ACTUATORS``).

        Raises ValueError naming the actuator for an unknown name, a non-finite value or a value
        outside the plant's bounds. Actuators then move at their configured rate limits.
        """
        b = self._b
        for name, value in commands.items():
            i = _ACT_INDEX.get(name)
            if i is None:
                raise ValueError(f"unknown actuator {name!r}: expected one of {list(ACTUATORS)}")
            v = float(value)
            if not math.isfinite(v):
                raise ValueError(f"actuator {name}: value {value!r} is not finite")
            if not b.lower[i] <= v <= b.upper[i]:
                raise ValueError(f"actuator {name}: value {v} outside its range [{b.lower[i]}, {b.upper[i]}]")
        for name, value in commands.items():
            self._u[_ACT_INDEX[name]] = float(value)

    def set_actuator_array(self, commands: np.ndarray) -> None:
        """Fast path for environments: a float array in ACTUATORS order, clipped to the bounds."""
        np.maximum(commands, self._b.lower, out=self._u)  # np.clip's result, without its overhead
        np.minimum(self._u, self._b.upper, out=self._u)

    @property
    def actuators(self) -> dict[str, float]:
        """Current commands [physical units]."""
        return {a: float(self._u[i]) for i, a in enumerate(ACTUATORS)}

    @property
    def actuator_positions(self) -> dict[str, float]:
        """Where the actuators actually are (after rate limits)."""
        return {a: float(self._x[i]) for i, a in enumerate(ACTUATORS)}

    @property
    def actuator_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) arrays in ACTUATORS order."""
        return self._b.lower.copy(), self._b.upper.copy()

    # ------------------------------------------------------------------ outputs ---
    @property
    def time_s(self) -> float:
        """Simulated time [s] since the start."""
        return float(self._t)

    @property
    def trip(self) -> str | None:
        """None while running; the trip reason once the plant has tripped."""
        return self._d["trip"]

    def _outputs(self) -> None:
        """Stack values and power from the core state, computed (compiled) once per state: the
        env reads measurements and truth every step, the CEMS samples in between."""
        if self._outputs_fresh:
            return
        b = self._b
        self._outputs_entry(self._x, self._y, b.design_gas_kmol_s, b.design_pa_nm3_h, b.design_sa_nm3_h,
                            b.design_actuators["feedwater_t_h"], b.stack_params, b.turbine_params, b.power_tables,
                            self._stack, self._power)
        self._outputs_fresh = True

    @property
    def measurements(self) -> dict[str, float]:
        """What the DCS shows (MEASUREMENTS names; CEMS dry at 11 % O2, as read by the CEMS)."""
        x, y, d = self._x, self._y, self._d
        self._outputs()
        pw = self._power
        drift = 0.0
        if d["tc_drift_start_s"] is not None:
            drift = d["tc_drift_rate_k_h"] * (self.time_s - d["tc_drift_start_s"]) / 3600.0
        gas = y[core.Y_N2] + y[core.Y_O2] + y[core.Y_CO2] + y[core.Y_H2O]
        co, nox, so2, hcl, dust, nh3 = self._cems.reading.tolist()  # cems.CHANNELS order
        return {  # MEASUREMENTS order
            "steam_flow_t_h": float(y[core.Y_STEAM_TURBINE_KG_S] * 3.6),
            "drum_pressure_mpa": float(x[core.X_P]),
            "drum_level_mm": float(y[core.Y_LEVEL_M] * 1000.0),
            "steam_temp_degc": float(pw[turbine.P_STEAM_T_DEGC]),
            "furnace_temp_degc": float(x[core.X_TC] - 273.15 + drift),
            "o2_wet_vol_pct": float(x[core.X_O2A]),
            "co_mg_nm3": co, "nox_mg_nm3": nox, "so2_mg_nm3": so2, "hcl_mg_nm3": hcl,
            "dust_mg_nm3": dust, "nh3_mg_nm3": nh3,
            "flue_gas_flow_nm3_h": float(gas * NM3_PER_KMOL * 3600.0),
            "boiler_exit_temp_degc": float(y[core.Y_T_EXIT_K] - 273.15),
            "hopper_level_m": float(x[core.X_HOP_MASS] / self._hopper_area_density),
            "gross_power_mw": float(pw[turbine.P_GROSS_MW]),
            "net_power_mw": float(pw[turbine.P_NET_MW]),
        }

    @property
    def steam_setpoint_t_h(self) -> float:
        """Steam-flow setpoint [t/h]: the scenario's (or design steam), moved by its setpoint steps."""
        return self._d["steam_setpoint_t_h"]

    @steam_setpoint_t_h.setter
    def steam_setpoint_t_h(self, value: float) -> None:
        self._d["steam_setpoint_t_h"] = float(value)

    def _upcoming_mean(self, per_slot: np.ndarray) -> float:
        """Mass-weighted mean of ``per_slot`` over the waste the feeder takes in the next
        forecast horizon at its current rate, from the bottom of the hopper (at least the next grab)."""
        horizon_min = self.scenario.forecast.horizon_min if self.scenario.forecast is not None else 0.0
        left_kg = self._x[core.A_FEED] / 3.6 * horizon_min * 60.0
        head, count = int(self._x[core.X_HOP_HEAD]), int(self._x[core.X_HOP_COUNT])
        total_kg = weighted = 0.0
        for i in range(count):
            slot = (head + i) % core.HOPPER_SLOTS
            part = min(self._hopper[slot, 0], left_kg) if i else self._hopper[slot, 0]
            if i and part <= 0.0:
                break
            total_kg += part
            weighted += part * per_slot[slot]
            left_kg -= part
        return float(weighted / total_kg) if total_kg > 0.0 else math.nan

    @property
    def upcoming_moisture_pct(self) -> float:
        """Truth [wt %]: mass-weighted moisture of the grabs the feeder takes next (the scenario's
        forecast horizon at the current feed rate, at least the grab at the bottom of the hopper;
        without a forecast, that grab only). Hopper-mixing noise is not included. NaN if empty."""
        return self._upcoming_mean(self._hopper[:, 1] * 100.0)

    @property
    def moisture_forecast_pct(self) -> float:
        """Measurement [wt %]: crane imaging's estimate of :attr:`upcoming_moisture_pct` (each
        grab estimated once with the scenario's ``forecast.noise_std_pct`` error). NaN when the
        scenario has no ``forecast``."""
        if self.scenario.forecast is None:
            return math.nan
        return self._upcoming_mean(self._hopper_moisture_est_pct)

    @property
    def cems_valid(self) -> bool:
        """False while the CEMS is in an outage (readings are held)."""
        return self._cems.valid

    @property
    def truth(self) -> dict[str, float]:
        """Hidden truth (TRUTH names): for info and KPIs, never for observations."""
        x, y, b = self._x, self._y, self._b
        moisture = min(max(y[core.Y_FEED_MOISTURE] + x[core.X_MIXNOISE], 0.05), 0.75)
        ash = y[core.Y_FEED_ASH]
        disch_c, disch_a = y[core.Y_DISCHARGE_CHAR_KG_S], y[core.Y_DISCHARGE_ASH_KG_S]
        self._outputs()
        st = self._stack
        # Boiler efficiency on the heat released now (LHV basis: combustion minus drying latent).
        fired_w = y[core.Y_HEAT_RELEASE_W] - y[core.Y_WATER_EVAP_KG_S] * LATENT_HEAT_25C_J_KG
        steam_w = (y[core.Y_STEAM_TURBINE_KG_S] * y[core.Y_H_STEAM_J_KG]
                   - (y[core.Y_STEAM_DRUM_KG_S] - y[core.Y_PREHEAT_STEAM_KG_S] + y[core.Y_SPRAY_KG_S])
                   * b.boiler_params.feedwater_h_j_kg)
        return {  # TRUTH order
            "waste_lhv_mj_kg": float(b.fuel.lhv_j_kg(moisture, ash) / 1e6),
            "waste_moisture_pct": float(moisture * 100.0),
            "bed_carbon_kg": float(self._bed[CHAR].sum()),
            "loi_pct": float(100.0 * disch_c / (disch_c + disch_a) if disch_c + disch_a > 0 else 0.0),
            "furnace_gas_temp_degc": float(y[core.Y_T_FURNACE_K] - 273.15),
            "o2_dry_vol_pct": float(st[stack.S_O2_DRY]),
            "fouling_factor": float(x[core.X_FOUL]),
            "heat_release_mw": float(y[core.Y_HEAT_RELEASE_W] / 1e6),
            "dioxin_ng_teq_nm3": float(st[stack.S_DIOXIN]),
            "steam_flow_setpoint_t_h": float(self.steam_setpoint_t_h),
            "feed_actual_t_h": float(y[core.Y_FEED_KG_S] * 3.6),
            "waste_fed_t": float(x[core.ACC_WASTE_KG] / 1000.0),
            "aux_fuel_mwh": float(x[core.ACC_AUX_J] / 3.6e9),
            "boiler_efficiency": float(steam_w / fired_w if fired_w > 0 else 0.0),
            "turbine_valve_pct": float(x[core.X_VALVE]),
            "flame_temp_degc": float(x[core.X_TFLAME] - 273.15),
        }

    # ------------------------------------------------------------------ balances ---
    def _stored(self) -> dict[str, float]:
        return {**_stored_in(self._b, self._x, self._bed), "hopper_kg": float(self._x[core.X_HOP_MASS])}

    def balance_report(self) -> dict:
        """Cumulative mass [kg] and energy [J] in/out/stored since t=0, with relative closure.

        Sections: ``gas_side`` (waste, air, auxiliary fuel -> flue gas, bottom ash, heat to the
        water side; storage: the grate bed), ``water_side`` (feedwater, spray and heat -> steam;
        storage: drum, risers, metal), ``hopper`` (crane -> feeder) and ``plant`` (all together).
        Closure = (in - out - stored change) / in.
        """
        x, now = self._x, self._stored()
        s0 = self._start_stored
        g = lambda i: float(x[i])  # noqa: E731
        sections = {
            "gas_side_mass": (g(core.ACC_WASTE_KG) + g(core.ACC_AIR_KG) + g(core.ACC_AUX_FUEL_KG),
                              g(core.ACC_FLUE_KG) + g(core.ACC_ASH_KG), now["bed_kg"] - s0["bed_kg"]),
            "water_side_mass": (g(core.ACC_FW_KG) + g(core.ACC_SPRAY_KG),
                                g(core.ACC_TURBINE_STEAM_KG) + g(core.ACC_PREHEAT_STEAM_KG),
                                now["drum_kg"] - s0["drum_kg"]),
            "hopper_mass": (self._d["crane_in_kg"], g(core.ACC_WASTE_KG), now["hopper_kg"] - self._hopper_start_kg),
            "gas_side_energy": (g(core.ACC_FUEL_J) + g(core.ACC_AIR_J) + g(core.ACC_AUX_J),
                                g(core.ACC_STACK_J) + g(core.ACC_UNBURNT_J) + g(core.ACC_ASH_J)
                                + g(core.ACC_WALL_LOSS_J) + g(core.ACC_Q_DRUM_J) + g(core.ACC_Q_SH_J),
                                now["bed_j"] - s0["bed_j"]),
            "water_side_energy": (g(core.ACC_Q_DRUM_J) + g(core.ACC_Q_SH_J) + g(core.ACC_FW_J) + g(core.ACC_SPRAY_J),
                                  g(core.ACC_TURBINE_STEAM_J) + g(core.ACC_PREHEAT_STEAM_J),
                                  now["drum_j"] - s0["drum_j"]),
        }
        ge, we = sections["gas_side_energy"], sections["water_side_energy"]
        # Plant boundary: the heat to the water side and the preheater duty are internal; the
        # preheater's condensate leaves back to the feedwater tank.
        internal_in = g(core.ACC_Q_DRUM_J) + g(core.ACC_Q_SH_J) + g(core.ACC_PREHEAT_J)
        internal_out = g(core.ACC_Q_DRUM_J) + g(core.ACC_Q_SH_J) + g(core.ACC_PREHEAT_STEAM_J) - g(core.ACC_CONDENSATE_J)
        sections["plant_energy"] = (ge[0] + we[0] - internal_in, ge[1] + we[1] - internal_out, ge[2] + we[2])
        return {name: {"in": i, "out": o, "stored_change": s, "closure": (i - o - s) / i if i else 0.0}
                for name, (i, o, s) in sections.items()}

    # ------------------------------------------------------------------ snapshots ---
    def snapshot(self) -> dict:
        """A deep copy of the complete plant state (continuous, discrete, CEMS and RNG)."""
        return copy.deepcopy({
            "time_s": self.time_s, "x": self._x, "bed": self._bed, "hopper": self._hopper, "y": self._y,
            "u": self._u, "d": self._d, "cems": self._cems, "rng": self.rng.bit_generator.state,
            "hopper_moisture_est_pct": self._hopper_moisture_est_pct,
            "hopper_start_kg": self._hopper_start_kg, "start_stored": self._start_stored,
        })

    def restore(self, snap: dict) -> None:
        """Return to a snapshot; the continuation is identical to the original's."""
        s = copy.deepcopy(snap)
        self._x, self._bed, self._hopper, self._y, self._u = s["x"], s["bed"], s["hopper"], s["y"], s["u"]
        self._d, self._cems = s["d"], s["cems"]
        self._hopper_moisture_est_pct = s["hopper_moisture_est_pct"]
        self._hopper_start_kg, self._start_stored = s["hopper_start_kg"], s["start_stored"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = s["rng"]
        self._outputs_fresh = False
        self._start_env(s["time_s"])

    def __getstate__(self):
        return {"plant": self.config.model_dump(mode="json"), "scenario": self.scenario.model_dump(mode="json"),
                "seed": self.seed, "snapshot": self.snapshot()}

    def __setstate__(self, state):
        self.__init__(PlantConfig.model_validate(state["plant"]), ScenarioConfig.model_validate(state["scenario"]),
                      state["seed"])
        self.restore(state["snapshot"])
