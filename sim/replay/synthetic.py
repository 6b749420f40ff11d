"""A historian export made by the simulator, with the defects real exports have.

No public plant log ships with the project, so :func:`generate` makes one: the plant with some
parameters perturbed from the config (:data:`TRUE_PARAMETERS`, so calibration has a truth to
recover), run by a noisy manual operator, logged under vendor tag names (KKS codes and Chinese
descriptors, configs/tags/synthetic_dcs.yaml) at different sample rates with sensor noise, and
then damaged the way exports are damaged:

=======================  ==================================================================
defect                   where (fraction of the log, or local time)
=======================  ==================================================================
unit change              steam flow logged in kg/s from 07:30 (declared in the tag map)
historian outage         every tag silent for 5 min from 55 %
analyser gap             O2 silent for 4 min from 30 %
stuck sensor             boiler-exit thermocouple frozen for 20 min from 70 %
clock set back           the samples at 40 % carry a time 40 s too early
out of range             three furnace readings of 1999.9 degC (open thermocouple) at 20 %
bad quality              CO flagged BAD for 10 min from 80 % (CEMS calibration)
=======================  ==================================================================

Commands are logged as the DCS shows them: the feeder in % of ram travel (100 % = 45 t/h),
air flows in kNm3/h as the fan meters read them (``1 / (1 + air_leak_frac)`` of the air that
enters). ``generate`` also writes ``truth.parquet`` (every channel and the hidden truth at 1 s)
and ``truth.json`` (the true parameters), which a real log would not have.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd

from sim.config import load_plant, load_scenario
from sim.envs.incinerator import to_action, to_commands
from sim.units import ACTUATORS, MEASUREMENTS, TRUTH

from sim.results import atomic_write, write_json
from .params import PARAMETERS, overrides

#: Parameters of the "real" plant behind the synthetic log (nominal in brackets): waste 2.5 points
#: wetter than the scenario says, furnace walls taking 20 % more heat (0.12), a thermocouple in a
#: thicker well (30 s), 6 % unmetered air (0).
TRUE_PARAMETERS = {"moisture_bias_pct": 2.5, "wall_emissivity": 0.144, "thermocouple_tau_s": 60.0,
                   "air_leak_frac": 0.06}
#: The day's waste: the design scenario with a well-mixed bunker (grab spread 0.3 instead of 4
#: points, mixing noise 0.2 instead of 1.5): calibration against the expected waste then pins the
#: parameters down from 2 h (with the full spread the unmodelled waste noise biases the lags
#: upwards; use the estimated waste, ``scenario=from_log:DIR``, for such logs).
SYNTHETIC_WASTE = {"waste": {"moisture_grab_std_pct": 0.3, "ash_grab_std_pct": 0.2, "mixing_noise_std_pct": 0.2,
                             "moisture_wave_amplitude_pct": 0.0}}
#: Local start of the log and the moment the DCS switched steam flow to kg/s.
START_LOCAL = pd.Timestamp("2026-03-14 06:00:00")
STEAM_UNIT_CHANGE_LOCAL = pd.Timestamp("2026-03-14 07:30:00")
TIMEZONE = "Asia/Shanghai"
#: Feeder: 100 % of ram travel speed = 45 t/h (the plant's feed bound).
FEED_T_H_PER_PCT = 0.45


@dataclass(frozen=True)
class TagDef:
    """How the synthetic DCS logs one channel: tag, period [s], noise std [channel unit],
    and raw = channel value * to_raw."""

    tag: str
    period_s: float
    noise: float = 0.0
    to_raw: float = 1.0


TAGS: dict[str, TagDef] = {
    "steam_flow_t_h": TagDef("主蒸汽流量", 1, 0.4),
    "drum_pressure_mpa": TagDef("10HAD10CP001", 1, 0.005),
    "drum_level_mm": TagDef("10HAD10CL001", 1, 3.0),
    "steam_temp_degc": TagDef("主蒸汽温度", 5, 1.0),
    "furnace_temp_degc": TagDef("10HBK10CT001", 5, 3.0),
    "o2_wet_vol_pct": TagDef("烟气含氧量", 2, 0.08),
    "co_mg_nm3": TagDef("CEMS_CO", 10, 0.5),
    "nox_mg_nm3": TagDef("CEMS_NOX", 10, 2.0),
    "hcl_mg_nm3": TagDef("CEMS_HCL", 10, 0.3),
    "flue_gas_flow_nm3_h": TagDef("10HNA20CF001", 5, 800.0),
    "boiler_exit_temp_degc": TagDef("10HNA10CT001", 10, 0.8),
    "hopper_level_m": TagDef("料斗料位", 30, 0.05),
    "gross_power_mw": TagDef("10MKA01CE001", 1, 0.05, 1000.0),          # kW
    "feed_rate_t_h": TagDef("10HHC10AF001_SPD", 1, 0.0, 1.0 / FEED_T_H_PER_PCT),  # % travel
    "grate_speed_pct": TagDef("炉排速度", 5),
    "primary_air_nm3_h": TagDef("一次风量", 1, 0.0, 1e-3),              # kNm3/h as metered
    "secondary_air_nm3_h": TagDef("二次风量", 1, 0.0, 1e-3),
    "feedwater_t_h": TagDef("给水流量", 1),
    "urea_kg_h": TagDef("SNCR_UREA_FLOW", 10),
    "lime_kg_h": TagDef("LIME_FEED", 10),
}
MODE_TAG = "ACC_AUTO"


class Nudged:
    """Wraps an operator with the unplanned moves people make: every 8-20 min (seeded) the load
    (feed, grate, primary air) and the secondary air are nudged by a few percent (std 4 % and
    6 %) and held. Works on any controller of the protocol (``reset(seed)``, ``act(obs, info)``)."""

    LOAD_NUDGE_STD, AIR_NUDGE_STD, NUDGE_MIN_S, NUDGE_MAX_S = 0.04, 0.06, 480.0, 1200.0
    _LOAD = [ACTUATORS.index(a) for a in ("feed_rate_t_h", "grate_speed_pct", "primary_air_nm3_h")]
    _AIR = ACTUATORS.index("secondary_air_nm3_h")

    def __init__(self, inner, env):
        self.inner, self.name = inner, f"{inner.name}+nudges"
        self.lower, self.upper = env.unwrapped.plant.actuator_bounds
        self.dt_s = env.unwrapped.control_interval_s

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed)
        self.rng = np.random.default_rng(None if seed is None else seed + 1)
        self.load = self.air = 0.0
        self.wait_s = self.NUDGE_MIN_S

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray:
        self.wait_s -= self.dt_s
        if self.wait_s <= 0:
            self.load = self.LOAD_NUDGE_STD * self.rng.standard_normal()
            self.air = self.AIR_NUDGE_STD * self.rng.standard_normal()
            self.wait_s = self.rng.uniform(self.NUDGE_MIN_S, self.NUDGE_MAX_S)
        cmd = to_commands(self.inner.act(observation, info), self.lower, self.upper)
        cmd[self._LOAD] *= 1.0 + self.load
        cmd[self._AIR] *= 1.0 + self.air
        return to_action(dict(zip(ACTUATORS, cmd)), self.lower, self.upper)


def simulate_truth(make_operator, hours: float, seed: int, true_parameters: dict | None = None) -> pd.DataFrame:
    """The 'real' plant run at 1 s by ``Nudged(make_operator(env))``: every measurement, command
    and hidden-truth channel (``time_s`` first). A trip ends the run early (``attrs["trip"]``)."""
    true_parameters = dict(TRUE_PARAMETERS if true_parameters is None else true_parameters)
    scenario = load_scenario("steady_design", SYNTHETIC_WASTE)
    plant_over, scen_over, gains = overrides(true_parameters, scenario)
    plant = load_plant("reference_750tpd", plant_over)
    scenario = load_scenario(scenario.model_dump(mode="json"), scen_over)
    env = gym.make("WtE/Incinerator-v0", plant=plant, scenario=scenario, control_interval_s=1.0,
                   episode_hours=hours)
    operator = Nudged(make_operator(env), env)
    obs, info = env.reset(seed=seed)
    operator.reset(seed)
    rows = [info]
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(operator.act(obs, info))
        rows.append(info)
        done = terminated or truncated
    df = pd.DataFrame({"time_s": [r["time_s"] for r in rows],
                       **{c: [r["measurements"][c] for r in rows] for c in MEASUREMENTS},
                       **{c: [r["actuators"][c] for r in rows] for c in ACTUATORS},
                       **{c: [r["truth"][c] for r in rows] for c in TRUTH}})
    df.attrs.update(gains=gains, trip=info["violations"]["trip"], operator=operator.name)
    return df


def _samples(truth: pd.DataFrame, rng: np.random.Generator, gains: dict[str, float]) -> pd.DataFrame:
    """Long table (time_s, tag, value, quality) before damage; a command is logged as what the
    plant received divided by its gain (the DCS does not see the leak or the wrong scale)."""
    t = truth["time_s"].to_numpy()
    parts = []
    for channel, d in TAGS.items():
        keep = np.flatnonzero(np.mod(np.round(t), d.period_s) == 0)
        v = truth[channel].to_numpy()[keep].copy()
        v /= gains.get(channel, 1.0)
        v = (v + d.noise * rng.standard_normal(len(v))) * d.to_raw
        parts.append(pd.DataFrame({"time_s": t[keep], "tag": d.tag, "value": v, "quality": "GOOD"}))
    mode_t = t[np.mod(np.round(t), 60) == 0]
    parts.append(pd.DataFrame({"time_s": mode_t, "tag": MODE_TAG, "value": 0.0, "quality": "GOOD"}))
    return pd.concat(parts, ignore_index=True).sort_values(["time_s"], kind="stable", ignore_index=True)


def _damage(s: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Apply the defects of the module docstring (long table, times in s from the start)."""
    t, tag = s["time_s"].to_numpy(), s["tag"].to_numpy()
    at = lambda frac: round(frac * duration_s)  # noqa: E731
    steam = tag == TAGS["steam_flow_t_h"].tag
    change_s = (STEAM_UNIT_CHANGE_LOCAL - START_LOCAL).total_seconds()
    s.loc[steam & (t >= change_s), "value"] /= 3.6  # t/h -> kg/s
    stuck = (tag == TAGS["boiler_exit_temp_degc"].tag) & (t >= at(0.7)) & (t < at(0.7) + 1200)
    if stuck.any():
        s.loc[stuck, "value"] = s.loc[stuck, "value"].iloc[0]
    spikes = np.flatnonzero(tag == TAGS["furnace_temp_degc"].tag)
    spikes = spikes[np.searchsorted(t[spikes], at(0.2)):][:3]
    s.loc[spikes, "value"] = 1999.9
    bad = (tag == TAGS["co_mg_nm3"].tag) & (t >= at(0.8)) & (t < at(0.8) + 600)
    s.loc[bad, "quality"] = "BAD"
    drop = ((t >= at(0.55)) & (t < at(0.55) + 300)) | (
        (tag == TAGS["o2_wet_vol_pct"].tag) & (t >= at(0.3)) & (t < at(0.3) + 240))
    s = s[~drop].reset_index(drop=True)
    s["logged_s"] = s["time_s"] - np.where(s["time_s"] == at(0.4), 40.0, 0.0)  # clock set back for one scan
    return s


def _stamp(time_s: pd.Series) -> pd.Series:
    return (START_LOCAL + pd.to_timedelta(time_s, unit="s")).dt.strftime("%Y-%m-%d %H:%M:%S")


def write_export(samples: pd.DataFrame, out: Path, layout: str) -> Path:
    """Write the damaged sample table as a wide CSV, a long CSV or a folder of per-tag CSVs.

    Rows stay in scan order (``time_s``); the timestamp written is the logged one (``logged_s``).
    """
    out.mkdir(parents=True, exist_ok=True)
    s = samples.assign(timestamp=_stamp(samples["logged_s"]))
    if layout == "long":
        path = out / "historian_long.csv"
        atomic_write(path, lambda tmp: s[["timestamp", "tag", "value", "quality"]].to_csv(tmp, index=False))
        return path
    if layout == "folder":
        path = out / "historian_tags"
        path.mkdir(exist_ok=True)
        for tag, part in s.groupby("tag", sort=False):
            atomic_write(path / f"{tag}.csv",
                         lambda tmp, p=part: p[["timestamp", "value", "quality"]].to_csv(tmp, index=False))
        return path
    # wide: one row per scan, CO with its quality column
    scan = s.pivot(index="time_s", columns="tag", values="value")
    order = [d.tag for d in TAGS.values()] + [MODE_TAG]
    wide = scan[[c for c in order if c in scan]].copy()
    co = TAGS["co_mg_nm3"].tag
    wide.insert(wide.columns.get_loc(co) + 1, co + ".Q",
                s[s["tag"] == co].set_index("time_s")["quality"].reindex(wide.index))
    wide.insert(0, "时间", s.groupby("time_s")["timestamp"].first().reindex(wide.index))
    wide = wide.reset_index(drop=True)
    path = out / "historian_wide.csv"
    atomic_write(path, lambda tmp: wide.to_csv(tmp, index=False, encoding="utf-8"))
    return path


def generate(out: str | Path, make_operator, hours: float = 2.0, seed: int = 0, layout: str = "wide",
             true_parameters: dict | None = None) -> Path:
    """Simulate, log, damage and write a historian export into ``out``; returns its path.

    ``make_operator(env)`` builds the operator (e.g. ``lambda env: agents.make_controller("manual",
    env)``; :mod:`sim` never imports :mod:`agents`), which :class:`Nudged` makes noisier. Also
    writes ``truth.parquet`` and ``truth.json``. Same seed, same bytes.
    """
    if layout not in ("wide", "long", "folder"):
        raise ValueError(f"layout={layout!r}: expected 'wide', 'long' or 'folder'")
    true_parameters = dict(TRUE_PARAMETERS if true_parameters is None else true_parameters)
    for name in true_parameters:
        if name not in PARAMETERS:
            raise ValueError(f"true parameter {name!r}: expected one of {list(PARAMETERS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truth = simulate_truth(make_operator, hours, seed, true_parameters)
    rng = np.random.default_rng(seed + 7919)
    samples = _damage(_samples(truth, rng, truth.attrs["gains"]), hours * 3600.0)
    path = write_export(samples, out, layout)
    atomic_write(out / "truth.parquet", lambda tmp: truth.to_parquet(tmp, index=False))
    meta = {"true_parameters": true_parameters, "seed": seed, "hours": hours, "layout": layout,
            "operator": truth.attrs["operator"], "start_local": str(START_LOCAL), "timezone": TIMEZONE,
            "trip": truth.attrs["trip"]}
    write_json(out / "truth.json", meta)
    return path
