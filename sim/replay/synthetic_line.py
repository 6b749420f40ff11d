"""A real-style DCS export of a grate line, made by the simulator, with the defects of real ones.

Where :mod:`~sim.replay.synthetic` logs every canonical channel under its own tag, this export is
shaped like a real 1 Hz wide DCS export (``.csv.gz``, ``.xlsx``): no furnace temperature, no
measured O2, no throughput meter; the feed is a ram (a run flag and a speed command in %), the
primary air is a damper with a flow tag that exists for one hour only, loops have auto/manual flags
as text codes, and setpoints are logged. The plant behind it runs with :data:`~sim.replay.synthetic.
TRUE_PARAMETERS` and a ram throughput :data:`TRUE_RAM_T_H_PER_PCT` 8 % above the tag map's
0.45 t/h per %, so calibration has truth to recover.

With ``defects=True`` (default) the export has, each with the finding that must name it:

==============================================  ==============================================
defect                                          finding (check)
==============================================  ==============================================
primary-air flow tag only from 1 h to 2 h       ``fallback`` (damper characteristic the rest)
daily CEMS zero/span calibration at 08:00       ``cems_calibration`` (readings and flag)
CO and SO2 analysers' zero drifted low          ``negative_clipped``
lime dosing tag stops 30 min before the end     ``command_ends_early``
urea dosing tag logged for the first 3 % only   ``low_coverage`` (and NOx, NH3 not judged)
feedwater meter reads 15 t/h high               ``flow_imbalance`` (``meter_offset`` once the
                                                tag map declares it)
==============================================  ==============================================

Both exports carry an abrupt air-system change the plant rides through (secondary air down
40 % for 3 min at 60 % of the log) and a change of the air loop's mode flag from ``MAN`` to
``AUTO`` at half time (a label: the operator stays the same), which splits the open-loop replay.
A clean export (``defects=False``) must give no warning finding.

``generate_line`` writes the export(s), ``tags.yaml`` (the tag map that reads them; for the
defective export it equals configs/tags/synthetic_line.yaml), ``truth.parquet`` and
``truth.json``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.envs.incinerator import to_action, to_commands
from sim.results import atomic_write, write_json, write_text
from sim.units import ACTUATORS

from .synthetic import START_LOCAL, TIMEZONE, TRUE_PARAMETERS, simulate_truth

#: Ram: t/h per % of speed command in the tag map, and in the "real" plant [t/h per %].
MAP_RAM_T_H_PER_PCT = 0.45
TRUE_RAM_T_H_PER_PCT = 0.486
#: Ram stroke cycle [s] and the share of it the ram runs [-].
RAM_CYCLE_S, RAM_DUTY = 30.0, 0.8
#: Primary-air damper characteristic: damper % -> metered flow [kNm3/h] (fan + damper curve).
PA_DAMPER_CURVE = ((0.0, 0.0), (20.0, 30.0), (40.0, 65.0), (60.0, 92.0), (80.0, 110.0), (100.0, 120.0))
#: CEMS calibration: local time, zero then span gas, each this long [s], span values [mg/Nm3].
CAL_LOCAL_TIME, CAL_STEP_S = "08:00", 180.0
SPAN_MG_NM3 = {"co_mg_nm3": 400.0, "nox_mg_nm3": 800.0, "so2_mg_nm3": 400.0, "hcl_mg_nm3": 80.0}
FEEDWATER_METER_OFFSET_T_H = 15.0
#: The abrupt air-system change: at this share of the log, secondary air x factor for seconds.
AIR_CHANGE_AT, AIR_CHANGE_FACTOR, AIR_CHANGE_S = 0.6, 0.6, 180.0

#: channel -> (tag, period s, noise std in the channel unit, unit); raw = value in that unit.
MEASURED = {
    "steam_flow_t_h": ("10LBA10CF901", 1, 0.4, "t/h"),
    "drum_pressure_mpa": ("10HAD10CP901", 1, 0.005, "MPa"),
    "drum_level_mm": ("10HAD10CL901", 1, 3.0, "mm"),
    "steam_temp_degc": ("10LBA10CT901", 5, 1.0, "degC"),
    "co_mg_nm3": ("CEMS_CO", 10, 1.0, "mg/Nm3"),
    "nox_mg_nm3": ("CEMS_NOX", 10, 2.0, "mg/Nm3"),
    "so2_mg_nm3": ("CEMS_SO2", 10, 1.0, "mg/Nm3"),
    "hcl_mg_nm3": ("CEMS_HCL", 10, 0.3, "mg/Nm3"),
    "flue_gas_flow_nm3_h": ("10HNA20CF901", 5, 800.0, "Nm3/h"),
    "gross_power_mw": ("10MKA01CE901", 1, 0.05, "MW"),
}
COMMANDS = {"grate_speed_pct": "10HHC20AS001", "secondary_air_nm3_h": "10HLB20CF001",
            "feedwater_t_h": "10LAB10CF001", "urea_kg_h": "SNCR_UREA", "lime_kg_h": "LIME_FEED"}
RAM_RUN, RAM_CMD, PA_DAMPER, PA_FLOW = "RAM_RUN", "RAM_SPD_CMD", "10HLA10AA101_POS", "10HLA10CF001"
CAL_FLAG, AIR_MODE, STEAM_SP, LEVEL_SP = "CEMS_CAL", "O2_LOOP_MODE", "STEAM_SP", "LEVEL_SP"


class AirStep:
    """Wraps an operator: secondary air x ``factor`` for ``seconds`` from ``at_s`` (a fan or
    damper upset the operator rides through)."""

    _SA = ACTUATORS.index("secondary_air_nm3_h")

    def __init__(self, inner, env, at_s: float, factor: float, seconds: float):
        self.inner, self.name = inner, inner.name
        self.at_s, self.factor, self.seconds = at_s, factor, seconds
        self.lower, self.upper = env.unwrapped.plant.actuator_bounds

    def reset(self, seed: int | None = None) -> None:
        self.inner.reset(seed)

    def act(self, observation: np.ndarray, info: dict) -> np.ndarray:
        action = self.inner.act(observation, info)
        if self.at_s <= info.get("time_s", 0.0) < self.at_s + self.seconds:
            cmd = to_commands(action, self.lower, self.upper)
            cmd[self._SA] *= self.factor
            action = to_action(dict(zip(ACTUATORS, cmd)), self.lower, self.upper)
        return action


def tagmap(defects: bool = True) -> dict:
    """The tag map that reads the export (meter offset declared for the defective one)."""
    tags = {tag: {"channel": ch, "unit": unit} for ch, (tag, _, _, unit) in MEASURED.items()}
    tags.update({tag: {"channel": ch, "unit": "t/h" if ch.endswith("_t_h") else "%" if ch.endswith("_pct")
                       else "kNm3/h" if ch.endswith("nm3_h") else "kg/h"} for ch, tag in COMMANDS.items()})
    if defects:
        tags[COMMANDS["feedwater_t_h"]]["meter_offset"] = FEEDWATER_METER_OFFSET_T_H
    tags.update({
        RAM_RUN: {"role": "measurement", "unit": "-", "filter_s": 2 * RAM_CYCLE_S},  # share of time running
        RAM_CMD: {"role": "command", "unit": "%"},
        PA_DAMPER: {"channel": "primary_air_damper_pct", "unit": "%"},
        PA_FLOW: {"role": "measurement", "unit": "kNm3/h"},
        CAL_FLAG: {"channel": "cems_calibration_flag", "unit": "-"},
        AIR_MODE: {"channel": "mode_air_auto", "unit": "-", "states": {"AUTO": 1, "MAN": 0}},
        STEAM_SP: {"channel": "steam_flow_setpoint_t_h", "unit": "t/h"},
        LEVEL_SP: {"channel": "drum_level_setpoint_mm", "unit": "mm"},
    })
    return {"name": "synthetic_line", "timezone": TIMEZONE, "layout": "wide", "timestamp_column": "Time",
            "description": "Real-style 1 Hz DCS export of a 750 t/d grate line (sim/replay/synthetic_line.py)",
            "step_s": 10, "max_gap_s": 120, "stuck_s": 600, "tags": tags,
            "curves": {"pa_damper": [list(p) for p in PA_DAMPER_CURVE]},
            "derived": {"feed_rate_t_h": {"expr": f"{RAM_RUN} * {RAM_CMD} * {MAP_RAM_T_H_PER_PCT}", "unit": "t/h"},
                        "primary_air_nm3_h": {"expr": [f"`{PA_FLOW}`", f'curve("pa_damper", `{PA_DAMPER}`)'],
                                              "unit": "kNm3/h"}}}


def _wide(truth: pd.DataFrame, rng: np.random.Generator, gains: dict, defects: bool) -> pd.DataFrame:
    t = truth["time_s"].to_numpy()
    n, duration = len(t), float(t[-1])
    cols: dict[str, np.ndarray] = {}

    def every(period: float) -> np.ndarray:
        return np.mod(np.round(t), period) == 0

    for ch, (tag, period, noise, _) in MEASURED.items():
        v = truth[ch].to_numpy() + noise * rng.standard_normal(n)
        cols[tag] = np.where(every(period), v, np.nan)
    for ch, tag in COMMANDS.items():
        v = truth[ch].to_numpy() / gains.get(ch, 1.0)
        cols[tag] = v / 1000.0 if ch.endswith("nm3_h") else v
    # ram: strokes of RAM_DUTY of each cycle at the speed that gives the fed rate
    feed = truth["feed_rate_t_h"].to_numpy()
    cols[RAM_RUN] = (np.mod(t, RAM_CYCLE_S) < RAM_DUTY * RAM_CYCLE_S).astype(float)
    cols[RAM_CMD] = np.round(feed / TRUE_RAM_T_H_PER_PCT / RAM_DUTY, 2)
    metered_pa = truth["primary_air_nm3_h"].to_numpy() / gains.get("primary_air_nm3_h", 1.0) / 1000.0
    x, y = np.array(PA_DAMPER_CURVE).T
    cols[PA_DAMPER] = np.round(np.interp(metered_pa, y, x), 2)
    cols[PA_FLOW] = metered_pa + 0.3 * rng.standard_normal(n)
    cols[AIR_MODE] = np.where(t < duration / 2, "MAN", "AUTO").astype(object)
    cols[STEAM_SP] = np.full(n, float(truth["steam_flow_setpoint_t_h"].iloc[0]))
    cols[LEVEL_SP] = np.zeros(n)
    cal = np.zeros(n)
    if defects:
        hour_s = 3600.0
        cols[PA_FLOW] = np.where((t >= hour_s) & (t < 2 * hour_s), cols[PA_FLOW], np.nan)
        for day_start in _calibration_starts(duration):
            zero = (t >= day_start) & (t < day_start + CAL_STEP_S)
            span = (t >= day_start + CAL_STEP_S) & (t < day_start + 2 * CAL_STEP_S)
            cal[zero | span] = 1.0
            for ch, level in SPAN_MG_NM3.items():
                tag = MEASURED[ch][0]
                noise = 0.1 * rng.standard_normal(n)
                cols[tag] = np.where(zero & np.isfinite(cols[tag]), noise, cols[tag])
                cols[tag] = np.where(span & np.isfinite(cols[tag]), level + noise, cols[tag])
        for ch in ("co_mg_nm3", "so2_mg_nm3"):  # zero drift: ~10 % of readings below zero
            tag = MEASURED[ch][0]
            drift = np.nanpercentile(cols[tag][cal == 0], 10)
            cols[tag] = np.where(cal == 0, cols[tag] - drift, cols[tag])
        cols[COMMANDS["lime_kg_h"]] = np.where(t <= duration - 1800.0, cols[COMMANDS["lime_kg_h"]], np.nan)
        cols[COMMANDS["urea_kg_h"]] = np.where(t < 0.03 * duration, cols[COMMANDS["urea_kg_h"]], np.nan)
        cols[COMMANDS["feedwater_t_h"]] = cols[COMMANDS["feedwater_t_h"]] + FEEDWATER_METER_OFFSET_T_H
    cols[CAL_FLAG] = np.where(every(10), cal, np.nan)
    stamps = (START_LOCAL + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
    return pd.DataFrame({"Time": stamps, **cols})


def _to_excel(df: pd.DataFrame, tmp: str) -> None:
    with open(tmp, "wb") as fh:  # a file object: pandas picks the writer from a file name's suffix
        with pd.ExcelWriter(fh, engine="openpyxl") as writer:
            df.to_excel(writer, index=False)


def _calibration_starts(duration_s: float) -> list[float]:
    """Log times [s] of the daily calibrations at CAL_LOCAL_TIME within the log."""
    first = pd.Timestamp(f"{START_LOCAL.date()} {CAL_LOCAL_TIME}")
    if first < START_LOCAL:
        first += pd.Timedelta(days=1)
    out, at = [], (first - START_LOCAL).total_seconds()
    while at + 2 * CAL_STEP_S < duration_s:
        out.append(at)
        at += 86400.0
    return out


def generate_line(out: str | Path, make_operator, hours: float = 6.0, seed: int = 0, defects: bool = True,
                  formats: tuple[str, ...] = ("csv.gz",), true_parameters: dict | None = None) -> dict[str, Path]:
    """Simulate and write the export (see the module docstring) into ``out``; returns
    ``{format: path}`` for ``formats`` (``csv.gz``, ``xlsx``, ``csv``). Same seed, same data."""
    unknown = [f for f in formats if f not in ("csv.gz", "xlsx", "csv")]
    if unknown or not formats:
        raise ValueError(f"formats={formats!r}: expected some of ('csv.gz', 'xlsx', 'csv')")
    params = {**TRUE_PARAMETERS, **(true_parameters or {}),
              "gain_feed_rate_t_h": TRUE_RAM_T_H_PER_PCT / MAP_RAM_T_H_PER_PCT}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    duration_s = hours * 3600.0
    truth = simulate_truth(lambda env: AirStep(make_operator(env), env, AIR_CHANGE_AT * duration_s,
                                               AIR_CHANGE_FACTOR, AIR_CHANGE_S), hours, seed, params)
    wide = _wide(truth, np.random.default_rng(seed + 104729), truth.attrs["gains"], defects)
    paths = {}
    for fmt in formats:
        path = out / f"dcs_export.{fmt}"
        if fmt == "xlsx":
            atomic_write(path, lambda tmp: _to_excel(wide, tmp))
        else:
            atomic_write(path, lambda tmp, f=fmt: wide.to_csv(tmp, index=False, compression="gzip" if f == "csv.gz" else None))
        paths[fmt] = path
    write_text(out / "tags.yaml", yaml.safe_dump(tagmap(defects), allow_unicode=True, sort_keys=False))
    atomic_write(out / "truth.parquet", lambda tmp: truth.to_parquet(tmp, index=False))
    write_json(out / "truth.json", {"true_parameters": params, "seed": seed, "hours": hours, "defects": defects,
                                    "start_local": str(START_LOCAL), "timezone": TIMEZONE, "trip": truth.attrs["trip"],
                                    "calibrations_s": _calibration_starts(duration_s)})
    return paths
