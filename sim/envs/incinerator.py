"""``WtE/Incinerator-v0``: the whole line under direct control of all nine actuators."""
from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gymnasium.error import ResetNeeded

from ..config import ConfigError, PlantConfig, ScenarioConfig, load_plant, load_scenario
from ..kpis import FURNACE_MIN_TEMP_DEGC
from ..model import compiled
from ..plant import Plant
from ..readout import N_TRUTH
from ..units import ACTUATORS, MEASUREMENTS, TRUTH
from .readout import OBS_CLIP, EnvConstants, env_readout
from .reward import EMISSION_LIMITS_1H_MG_NM3, LIMITS_1H_MG_NM3, POLLUTANT_INDEX, POLLUTANTS, TERMS, RewardWeights

__all__ = ["IncineratorEnv", "to_action", "to_commands", "commands_to_action", "observation_normalisation",
           "normalised_channels", "OBSERVATION_NAMES", "FORECAST_CHANNEL"]

#: NH3 slip reference [mg/Nm3]: upper end of the BAT-AEL 2-10 mg/Nm3 (EU BREF WI 2019, BAT 29);
#: GB 18485-2014 sets no NH3 limit.
NH3_REFERENCE_MG_NM3 = 10.0
#: Channels normalised by :func:`observation_normalisation`: the measurements, then the
#: plant's steam-flow setpoint (known to the DCS, so not hidden truth).
NORMALISED_CHANNELS: tuple[str, ...] = MEASUREMENTS + ("steam_flow_setpoint_t_h",)
#: The crane-imaging moisture forecast (``Plant.moisture_forecast_pct``), a further normalised
#: channel after the setpoint when the scenario has a ``forecast``.
FORECAST_CHANNEL = "feed_moisture_forecast_pct"
#: Scale of the forecast channel [wt % points]: 5 points of moisture are about 1.3 MJ/kg, 18 % of
#: the design LHV (≈ 0.26 MJ/kg per point, configs/scenarios/feed_quality_forecast.yaml), about
#: the grab-to-grab spread of municipal waste (docs/physics.md §11).
FORECAST_SCALE_PCT = 5.0
_TIME_AND_ACTION = ("time_of_day_sin", "time_of_day_cos") + tuple(f"last_action_{a}" for a in ACTUATORS)
#: Names of the observation elements of ``WtE/Incinerator-v0``, in order (scenarios without a
#: forecast; ``env.observation_names`` is always the env's own layout).
OBSERVATION_NAMES: tuple[str, ...] = NORMALISED_CHANNELS + _TIME_AND_ACTION
_N_MEAS, _N_ACT, _N_NORM = len(MEASUREMENTS), len(ACTUATORS), len(NORMALISED_CHANNELS)
_OVER_LIMIT = tuple(zip(POLLUTANTS, POLLUTANT_INDEX.tolist(), LIMITS_1H_MG_NM3.tolist()))
_I_FURNACE = MEASUREMENTS.index("furnace_temp_degc")


# ------------------------------------------------------------------ action mapping ---
def to_action(commands: Mapping[str, float], lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Physical actuator commands (a dict over all of ``sim.units.ACTUATORS``) -> normalised action.

    ``a_i = 2 (c_i - lower_i) / (upper_i - lower_i) - 1``, clipped to [-1, 1], as float32 (the
    action space's dtype; round trip through :func:`to_commands` is exact to ~1e-7 of each range).
    """
    missing = [a for a in ACTUATORS if a not in commands]
    unknown = [k for k in commands if k not in ACTUATORS]
    if missing or unknown:
        raise ValueError(f"to_action: commands missing {missing}, unknown {unknown}; expected exactly {list(ACTUATORS)}")
    return commands_to_action(np.array([float(commands[a]) for a in ACTUATORS]), lower, upper)


def commands_to_action(commands: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """:func:`to_action` for a float array of commands in ACTUATORS order (no name checks)."""
    a = np.subtract(commands, lower, dtype=float)  # a = 2 (c - lower) / (upper - lower) - 1, in place
    a *= 2.0
    a /= np.subtract(upper, lower, dtype=float)
    a -= 1.0
    np.minimum(a, 1.0, out=a)
    np.maximum(a, -1.0, out=a)
    return a.astype(np.float32)


def to_commands(action: np.ndarray, lower: np.ndarray, upper: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Normalised action in [-1, 1] (ACTUATORS order, clipped) -> physical commands (float64).

    ``c_i = lower_i + (a_i + 1) / 2 (upper_i - lower_i)``. ``out`` may be a preallocated array.
    """
    a = np.clip(np.asarray(action, dtype=float), -1.0, 1.0)
    if out is None:
        return lower + (a + 1.0) * 0.5 * (upper - lower)
    np.add(a, 1.0, out=out)
    out *= 0.5 * (upper - lower)
    out += lower
    return out


# ------------------------------------------------------------------ observation ---
def normalised_channels(scenario: ScenarioConfig) -> tuple[str, ...]:
    """The normalised channels of the observation: NORMALISED_CHANNELS, then FORECAST_CHANNEL if
    the scenario has a ``forecast``."""
    return NORMALISED_CHANNELS + ((FORECAST_CHANNEL,) if scenario.forecast is not None else ())


def observation_normalisation(plant: Plant) -> tuple[np.ndarray, np.ndarray]:
    """(reference, scale) arrays over :func:`normalised_channels` of the plant's scenario;
    normalised = (value - ref) / scale.

    "design" is the plant's own design steady state (its measurements at t = 0), so the table
    follows the plant config. See :class:`IncineratorEnv` for the table.
    """
    d = plant.measurements  # at construction the plant sits exactly at its design point
    hop = plant.config.hopper
    lim = EMISSION_LIMITS_1H_MG_NM3
    table = {
        "steam_flow_t_h": (d["steam_flow_t_h"], 0.1 * d["steam_flow_t_h"]),
        "drum_pressure_mpa": (d["drum_pressure_mpa"], 0.5),
        "drum_level_mm": (0.0, 100.0),
        "steam_temp_degc": (d["steam_temp_degc"], 20.0),
        "furnace_temp_degc": (FURNACE_MIN_TEMP_DEGC, 100.0),
        "o2_wet_vol_pct": (d["o2_wet_vol_pct"], 2.0),
        "co_mg_nm3": (lim["co"], lim["co"]),
        "nox_mg_nm3": (lim["nox"], lim["nox"]),
        "so2_mg_nm3": (lim["so2"], lim["so2"]),
        "hcl_mg_nm3": (lim["hcl"], lim["hcl"]),
        "dust_mg_nm3": (lim["dust"], lim["dust"]),
        "nh3_mg_nm3": (NH3_REFERENCE_MG_NM3, NH3_REFERENCE_MG_NM3),
        "flue_gas_flow_nm3_h": (d["flue_gas_flow_nm3_h"], 0.2 * d["flue_gas_flow_nm3_h"]),
        "boiler_exit_temp_degc": (d["boiler_exit_temp_degc"], 20.0),
        "hopper_level_m": (0.5 * hop.height_m, 0.5 * hop.height_m),
        "gross_power_mw": (d["gross_power_mw"], 0.2 * d["gross_power_mw"]),
        "net_power_mw": (d["net_power_mw"], 0.2 * d["net_power_mw"]),
    }
    table["steam_flow_setpoint_t_h"] = table["steam_flow_t_h"]  # obs[0] - obs[17] = normalised tracking error
    table[FORECAST_CHANNEL] = (plant.config.waste.moisture_pct, FORECAST_SCALE_PCT)  # design waste moisture
    channels = normalised_channels(plant.scenario)
    ref = np.array([table[k][0] for k in channels], dtype=float)
    scale = np.array([table[k][1] for k in channels], dtype=float)
    return ref, scale


def clip_action(action, out: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Validate a normalised action and clip it to [-1, 1] into ``out`` (float64, preallocated).

    ValueError for a shape other than ``out``'s (naming the element order ``names``), NaN or +-inf.
    """
    a = np.asarray(action, dtype=float)
    if a.shape != out.shape:
        raise ValueError(f"action: expected shape {out.shape} in the order {list(names)}, got shape {a.shape}")
    np.minimum(a, 1.0, out=out)  # clip to [-1, 1] (ufuncs: cheaper than np.clip)
    np.maximum(out, -1.0, out=out)
    if not np.isfinite(a).all():  # an inf is a diverged policy, not a command at the bound
        raise ValueError(f"action: expected finite values (no NaN or inf), got {a.tolist()}")
    return out


def _check_positive(name: str, value, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name}={value!r}: expected a positive finite number of seconds/hours"
                         + (" or None" if allow_none else ""))
    return float(value)


class IncineratorEnv(gym.Env[np.ndarray, np.ndarray]):
    """
    ## Description

    One grate-fired waste-to-energy line (SimPy plant :class:`sim.Plant`: waste feed and hopper,
    grate bed, furnace, drum boiler, turbine, flue-gas treatment, stack CEMS) under direct control
    of all nine actuators. Every step holds the commands for ``control_interval_s`` seconds of plant
    time (SimPy ``run(until=now + control_interval_s)``). The agent must track the steam-flow
    setpoint, make power, keep the furnace above 850 degC and the stack below the GB 18485-2014
    limits, at low reagent and auxiliary-fuel cost, and keep the plant from tripping (drum level
    low-low/high-high, flame failure). Open loop at the design commands the drum level drifts and trips
    within an hour (under random actions within minutes), so the feedwater must be controlled.

    ## Action Space

    ``Box(-1, 1, shape=(9,), float32)``, one element per actuator in :data:`sim.units.ACTUATORS`
    order, mapped linearly onto the plant config's ``[min, max]``:
    ``command = min + (a + 1) / 2 (max - min)`` (:func:`to_commands`; :func:`to_action` is the inverse).
    Values outside [-1, 1] are clipped; a wrong shape, NaN or +-inf raises ValueError. The actuators then move at
    their configured rate limits. Bounds of ``reference_750tpd``:

    | Num | Actuator              | Unit   | min    | max     |
    |-----|-----------------------|--------|--------|---------|
    | 0   | feed_rate_t_h         | t/h    | 0      | 45      |
    | 1   | grate_speed_pct       | %      | 20     | 160     |
    | 2   | primary_air_nm3_h     | Nm3/h  | 10,000 | 130,000 |
    | 3   | secondary_air_nm3_h   | Nm3/h  | 5,000  | 80,000  |
    | 4   | feedwater_t_h         | t/h    | 0      | 110     |
    | 5   | urea_kg_h             | kg/h   | 0      | 250     |
    | 6   | lime_kg_h             | kg/h   | 0      | 800     |
    | 7   | carbon_kg_h           | kg/h   | 0      | 50      |
    | 8   | aux_burner_mw         | MW     | 0      | 20      |

    ## Observation Space

    ``Box(float32, shape=(29,))``, or ``(30,)`` when the scenario has a feed-moisture forecast
    (names in ``env.observation_names``; without forecast also :data:`OBSERVATION_NAMES`). Elements
    0-16 are the DCS measurements (CEMS values dry at 11 % O2, as the CEMS reads them, with its
    delay and lag), each normalised as
    ``(value - reference) / scale`` and clipped to [-10, 10]. "design" is the plant's design
    steady state (its measurements at t = 0, computed when the env is built; the figures shown
    are ``reference_750tpd``'s, approximately);
    "limit" is the GB 18485-2014 1-h limit (docs/physics.md §9). Normal operation is O(1); the CEMS
    channels read -1 at zero and 0 at the limit.

    | Num | Measurement           | Unit   | reference                    | scale                |
    |-----|-----------------------|--------|------------------------------|----------------------|
    | 0   | steam_flow_t_h        | t/h    | design (≈ 67.8)              | 10 % design (≈ 6.8)  |
    | 1   | drum_pressure_mpa     | MPa    | design (≈ 4.37)              | 0.5                  |
    | 2   | drum_level_mm         | mm     | 0 (normal level)             | 100 (trip at ±250)   |
    | 3   | steam_temp_degc       | degC   | design (400)                 | 20                   |
    | 4   | furnace_temp_degc     | degC   | 850 (legal minimum)          | 100                  |
    | 5   | o2_wet_vol_pct        | vol %  | design (≈ 7.63)              | 2                    |
    | 6   | co_mg_nm3             | mg/Nm3 | limit 100                    | 100                  |
    | 7   | nox_mg_nm3            | mg/Nm3 | limit 300                    | 300                  |
    | 8   | so2_mg_nm3            | mg/Nm3 | limit 100                    | 100                  |
    | 9   | hcl_mg_nm3            | mg/Nm3 | limit 60                     | 60                   |
    | 10  | dust_mg_nm3           | mg/Nm3 | limit 30                     | 30                   |
    | 11  | nh3_mg_nm3            | mg/Nm3 | 10 (BREF WI BAT-AEL top)     | 10                   |
    | 12  | flue_gas_flow_nm3_h   | Nm3/h  | design (≈ 145,800, wet)      | 20 % design          |
    | 13  | boiler_exit_temp_degc | degC   | design (≈ 209)               | 20                   |
    | 14  | hopper_level_m        | m      | half the hopper height (4)   | half the height (4)  |
    | 15  | gross_power_mw        | MW     | design (≈ 15.6)              | 20 % design (≈ 3.1)  |
    | 16  | net_power_mw          | MW     | design (≈ 13.1)              | 20 % design (≈ 2.6)  |
    | 17  | steam_flow_setpoint_t_h | t/h  | as steam_flow_t_h            | as steam_flow_t_h    |
    | 18  | time_of_day_sin       | -      | sin(2 pi t / 86400 s), t = 0 at midnight            |
    | 19  | time_of_day_cos       | -      | cos(2 pi t / 86400 s)                               |
    | 20-28 | last action         | -      | the clipped action of the last step (at reset: the design commands) |

    Element 17 is the plant's steam-flow setpoint (``plant.steam_setpoint_t_h``; scenarios may
    change it over time), normalised like the steam flow, so ``obs[0] - obs[17]`` is the tracking
    error in units of 10 % of the design steam flow; it is clipped to [-10, 10] and never noisy.

    With a scenario that has a ``forecast`` (crane imaging, e.g. ``feed_quality_forecast``) one more
    normalised channel follows the setpoint, and time of day and last action move up by one:

    | Num | Channel                    | Unit | reference                         | scale        |
    |-----|----------------------------|------|-----------------------------------|--------------|
    | 18  | feed_moisture_forecast_pct | wt % | design waste moisture (48)        | 5 wt % points |

    It is ``Plant.moisture_forecast_pct``: the imaged moisture of the waste the feeder takes in the
    scenario's forecast horizon (30 min), with the imaging error; while the hopper is empty (no
    forecast) it reads 0 (the reference). Like the setpoint it is a known signal, not noisy.

    With ``observation_noise = s > 0`` each normalised measurement gets additive Gaussian noise of
    standard deviation ``s`` (i.e. ``s`` times the channel's scale), drawn from the plant's RNG
    (elements 0-16 only).
    Hidden truth (waste LHV and moisture, LOI, dioxin proxy, ...) is never observed; it is in
    ``info["truth"]``.

    ## Rewards

    The sum of the named terms of :mod:`sim.envs.reward` (weights in :class:`RewardWeights`,
    overridable with ``reward_weights={...}``): ``steam_tracking`` (-5 |steam - setpoint| /
    setpoint), ``net_power`` (+1 net / design net), ``emissions`` (-2 sum of the relative excess of
    co, nox, so2, hcl, dust over their 1-h limits), ``furnace_850`` (-2 while the furnace reads
    < 850 degC), ``cost`` (-1 reagent and aux-fuel cost in units of the design electricity revenue),
    ``movement`` (-0.05 sum |delta action|) and ``trip`` (-50 on the tripping step). A design-point
    step is worth about +0.96. ``info["reward_terms"]`` holds every term; they sum to the reward.

    ## Starting State

    The plant's design steady state with the hopper filled by crane grabs drawn from the
    scenario's waste distribution (seeded); time 0 s (midnight).

    ## Episode End

    1. Termination: the plant trips (``info["violations"]["trip"]`` names the reason: drum level
       low-low / high-high, flame failure).
    2. Truncation: plant time reaches ``episode_hours`` (default: the scenario's ``duration_h``,
       24 h for ``steady_design``, i.e. 8,640 steps of 10 s).

    ``step`` after termination raises ``gymnasium.error.ResetNeeded``: a tripped plant has no
    next state, so call ``reset()``. ``reset(options=...)`` takes no options (ValueError): the
    scenario is chosen when the env is made.

    ## Info

    From ``reset`` and every ``step``: ``measurements``, ``actuators`` (physical commands),
    ``truth`` (dicts of :mod:`sim.units` names), ``reward_terms``, ``violations``
    (``furnace_below_850``: bool, ``emissions_over_limit``: list of pollutants whose CEMS reading
    is above the 1-h limit, ``trip``: None or the reason) and ``time_s``.

    ## Arguments

    ``gymnasium.make("WtE/Incinerator-v0", plant="reference_750tpd", scenario="steady_design",
    control_interval_s=10.0, episode_hours=None, reward_weights=None, observation_noise=0.0,
    render_mode=None)``. ``plant``/``scenario``: a config name, a YAML path, a dict or a config
    object. An unknown keyword raises TypeError; a bad value raises ValueError (a
    :class:`sim.config.ConfigError`, naming the argument). ``reset(seed=s)``
    builds the plant with seed ``s`` (``seed=None`` draws one from the env's ``np_random``); all
    randomness of an episode (waste, CEMS noise, observation noise) comes from the plant's one
    generator, so the same seed and actions give the same trajectory bit for bit. The env pickles
    and continues identically. ``render_mode="ansi"`` returns a one-line text status; there is no
    image rendering, so SB3's ``make_vec_env`` (which asks for ``"rgb_array"`` by default) needs
    ``env_kwargs={"render_mode": None}``. In a fresh process (``SubprocVecEnv`` workers with
    ``forkserver``/``spawn``) make the env as ``gymnasium.make("sim:WtE/Incinerator-v0")`` so
    that gymnasium imports :mod:`sim`, which registers the ids, first.

    ## Version History

    * v0: initial version (element 17, the steam-flow setpoint, added before the first release).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, *, plant: str | Path | dict | PlantConfig = "reference_750tpd",
                 scenario: str | Path | dict | ScenarioConfig = "steady_design", control_interval_s: float = 10.0,
                 episode_hours: float | None = None, reward_weights: Mapping[str, float] | None = None,
                 observation_noise: float = 0.0, render_mode: str | None = None, **unknown: Any):
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s) {sorted(unknown)}; expected some of "
                            "['plant', 'scenario', 'control_interval_s', 'episode_hours', 'reward_weights', "
                            "'observation_noise', 'render_mode']")
        self.control_interval_s = _check_positive("control_interval_s", control_interval_s)
        episode_hours = _check_positive("episode_hours", episode_hours, allow_none=True)
        if isinstance(observation_noise, bool) or not isinstance(observation_noise, (int, float, np.integer, np.floating)) \
                or not math.isfinite(observation_noise) or observation_noise < 0:
            raise ConfigError(f"observation_noise={observation_noise!r}: expected a finite number >= 0 "
                             "(std of the noise in units of each channel's scale)")
        self.observation_noise = float(observation_noise)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode={render_mode!r}: expected None or one of {self.metadata['render_modes']} "
                             "(SB3's make_vec_env asks for 'rgb_array' unless given env_kwargs={'render_mode': None})")
        self.render_mode = render_mode
        self.reward_weights = RewardWeights.from_overrides(reward_weights)
        self._plant_cfg = load_plant(plant)
        self._scenario_cfg = load_scenario(scenario)
        self.episode_hours = self._scenario_cfg.duration_h if episode_hours is None else episode_hours
        self._episode_s = self.episode_hours * 3600.0

        self.plant = Plant(self._plant_cfg, self._scenario_cfg, 0)
        self._lower, self._upper = self.plant.actuator_bounds
        self._obs_ref, obs_scale = observation_normalisation(self.plant)
        self._obs_inv_scale = 1.0 / obs_scale
        self._design_net_power_mw = self.plant.measurements["net_power_mw"]
        if not self._design_net_power_mw > 0:
            raise ConfigError(f"plant {self._plant_cfg.name!r}: design net power {self._design_net_power_mw} MW "
                             "must be positive (it normalises the reward)")

        self.action_space = spaces.Box(-1.0, 1.0, shape=(_N_ACT,), dtype=np.float32)
        self._forecast = self._scenario_cfg.forecast is not None
        self._n_norm = len(self._obs_ref)
        #: Names of this env's observation elements, in order.
        self.observation_names = normalised_channels(self._scenario_cfg) + _TIME_AND_ACTION
        low = np.concatenate([np.full(self._n_norm, -OBS_CLIP), -np.ones(2 + _N_ACT)]).astype(np.float32)
        self.observation_space = spaces.Box(low, -low, dtype=np.float32)
        self._obs_shape = self.observation_space.shape

        # preallocated step buffers
        self._action = np.zeros(_N_ACT)          # clipped action of this step (float64)
        self._last_action = np.zeros(_N_ACT)     # ... of the previous step
        self._commands = np.zeros(_N_ACT)        # physical commands [ACTUATORS units]
        self._half_range = 0.5 * (self._upper - self._lower)
        self._mv = np.zeros(_N_MEAS)             # measurements, truth, reward terms (readout arrays)
        self._tv = np.zeros(N_TRUTH)
        self._rv = np.zeros(len(TERMS))
        self._diff = np.zeros(_N_ACT)
        self._no_normals = np.zeros(_N_MEAS)
        #: Constants of the step readout (:class:`sim.envs.readout.EnvConstants`).
        self.readout_constants = EnvConstants(float(self._design_net_power_mw), float(self._episode_s),
                                              self.observation_noise, self._obs_ref, self._obs_inv_scale)
        self._weights = self.reward_weights.as_array()
        self._bind_plant()
        self._m = self.plant.measurements        # the latest measurements (what info carries)

    # ------------------------------------------------------------------ gym API ---
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"reset(options={options!r}): this environment takes no options")
        plant_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        self.plant.reset(plant_seed)
        self._last_action[:] = commands_to_action(self.plant.state.u[0], self._lower, self._upper)
        obs, _, _, _ = self._readout(False)
        return obs, self._make_info()

    def step(self, action):
        """Hold the normalised actuator action for one control interval (see the class docstring)."""
        act = clip_action(action, self._action, ACTUATORS)
        cmd, plant = self._commands, self.plant
        if plant.trip is not None:
            raise ResetNeeded(f"step() after the episode terminated (plant trip: {plant.trip}): call reset() first")
        np.add(act, 1.0, out=cmd)
        cmd *= self._half_range
        cmd += self._lower
        plant.set_actuator_array(cmd)
        plant.advance(self.control_interval_s)
        obs, reward, terminated, truncated = self._readout(True)
        return obs, reward, terminated, truncated, self._make_info()

    def _readout(self, stepped: bool) -> tuple[np.ndarray, float, bool, bool]:
        """Measurements, truth, reward terms and a new observation of the plant now
        (:func:`sim.envs.readout.env_readout`, one compiled call); the reward terms of the step held
        ``self._action`` if ``stepped``, else zero. Returns (obs, reward, terminated, truncated)."""
        p = self.plant
        normals = p.normals(_N_MEAS) if self.observation_noise > 0.0 else self._no_normals
        obs = np.empty(self._obs_shape, dtype=np.float32)  # env_readout fills every element
        args = (stepped, self._state_arrays, 0, self._readout_params, self.readout_constants, self._commands, self._action,
                self._last_action, normals, self._weights, self._mv, self._tv, self._rv, obs,
                self._diff)
        if self._readout_entry is None:  # resolve numba's type dispatch once (sim.model.compiled)
            self._readout_entry = compiled(env_readout, *args)
        reward, terminated, truncated = self._readout_entry(*args)
        self._m = dict(zip(MEASUREMENTS, self._mv.tolist()))
        return obs, reward, terminated, truncated

    def _bind_plant(self) -> None:
        """Cache what every step reads of the plant (its state arrays are reset in place)."""
        self._readout_entry = None  # compiled machine code, resolved at the first readout
        self._state_arrays, self._readout_params = self.plant.state.arrays, self.plant.model.model.rp
        self._commands_held = self.plant.state.u[0]

    def __getstate__(self):
        state = dict(self.__dict__)
        for name in ("_readout_entry", "_state_arrays", "_readout_params", "_commands_held"):
            del state[name]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._bind_plant()

    def render(self):
        if self.render_mode != "ansi":
            return None
        m, p = self.plant.measurements, self.plant
        return (f"t={p.time_s:9.0f} s  steam {m['steam_flow_t_h']:6.2f} t/h (sp {p.steam_setpoint_t_h:.2f})  "
                f"furnace {m['furnace_temp_degc']:6.1f} degC  O2 {m['o2_wet_vol_pct']:5.2f} %  "
                f"drum level {m['drum_level_mm']:+6.1f} mm  CO {m['co_mg_nm3']:6.1f}  NOx {m['nox_mg_nm3']:6.1f} mg/Nm3  "
                f"net {m['net_power_mw']:5.2f} MW  trip {p.trip}")

    # ------------------------------------------------------------------ helpers ---
    def _make_info(self) -> dict[str, Any]:
        p, mv = self.plant, self._mv
        return {
            "measurements": self._m,
            "actuators": dict(zip(ACTUATORS, self._commands_held.tolist())),
            "truth": dict(zip(TRUTH, self._tv.tolist())),
            "reward_terms": dict(zip(TERMS, self._rv.tolist())),
            "violations": {"furnace_below_850": bool(mv[_I_FURNACE] < FURNACE_MIN_TEMP_DEGC),
                           "emissions_over_limit": [pol for pol, i, lim in _OVER_LIMIT if mv[i] > lim],
                           "trip": p.trip},
            "time_s": p.time_s,
        }
