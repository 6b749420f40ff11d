"""A plant log after import: canonical channels on one grid, with its data-quality report.

``load_log(path, tagmap)`` reads the export (:mod:`~sim.replay.reader`), checks and cleans each
tag (:mod:`~sim.replay.clean`), converts units and resamples (:mod:`~sim.replay.resample`), then
computes the tag map's ``derived`` channels (:mod:`~sim.replay.expr`) and applies the log-wide
checks:

- ``fallback`` (info): which share of a derived channel came from which expression of its list;
- ``cems_calibration``: where the analyser's ``cems_calibration_flag`` is set, every CEMS
  channel is marked invalid (NaN);
- ``command_ends_early``: a command, setpoint or mode flag whose last value is more than
  ``max_gap_s`` before the end of the log (the replay would hold it: say so);
- ``low_coverage``: a command with values on less than :data:`MIN_COVERAGE` of the grid;
- ``flow_imbalance``: the mean feedwater differs from the mean steam flow by more than
  :data:`FLOW_IMBALANCE_SHARE` of the steam (blowdown and the steam air preheater account for a
  few %); with a level that does not run away, a meter offset is the likely cause (declare it as
  the tag's ``meter_offset``).

The result is a :class:`PlantLog`: ``data`` is a DataFrame indexed by ``time_s`` (seconds since
the first grid point) with one column per channel present (input-only tags are not columns);
``start_utc`` and ``timezone`` keep the absolute time explicit (``local_index`` gives local
wall-clock times). :meth:`PlantLog.window` cuts a window (``--start/--end``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.units import ACTUATORS, MEASUREMENTS

from .clean import clean_tag, local_time
from .quality import DataQualityReport, Issue, LogError
from .reader import read_export
from .resample import grid, hold, mean, moving_average
from .tagmap import CEMS_CHANNELS, TagMap, load_tagmap, role_of
from .units import LOG_CHANNELS, PHYSICAL_RANGES, channel_unit, conversion

#: A command with values on less of the grid than this is reported (``low_coverage``) [-].
MIN_COVERAGE = 0.5
#: Mean |feedwater - steam| above this share of the mean steam flow is reported [-].
FLOW_IMBALANCE_SHARE = 0.15


@dataclass
class PlantLog:
    """Canonical channels of a plant log on a common grid."""

    data: pd.DataFrame
    start_utc: pd.Timestamp
    timezone: str
    step_s: float
    report: DataQualityReport
    tagmap: TagMap
    source: str = ""

    @property
    def measurements(self) -> list[str]:
        return [c for c in MEASUREMENTS if c in self.data]

    @property
    def commands(self) -> list[str]:
        return [c for c in ACTUATORS if c in self.data]

    @property
    def modes(self) -> list[str]:
        return [c for c in self.data if c.startswith("mode_")]

    @property
    def log_channels(self) -> list[str]:
        """Setpoints, positions, extra instruments and flags (:data:`~sim.replay.units.LOG_CHANNELS`)."""
        return [c for c in LOG_CHANNELS if c in self.data]

    @property
    def missing(self) -> dict[str, list[str]]:
        """Canonical channels the log does not carry (what the uses below must do without)."""
        return {"measurements": [c for c in MEASUREMENTS if c not in self.data],
                "commands": [c for c in ACTUATORS if c not in self.data]}

    @property
    def local_index(self) -> pd.DatetimeIndex:
        """Grid times as local wall-clock times with their zone."""
        return (self.start_utc + pd.to_timedelta(self.data.index, unit="s")).tz_convert(self.timezone)

    @property
    def duration_s(self) -> float:
        return float(self.data.index[-1] - self.data.index[0]) if len(self.data) else 0.0

    def time_of(self, text: str | float | None, option: str = "start") -> float | None:
        """Seconds since the log's start for ``text``: a number (hours since the start) or a local
        wall-clock time in the log's zone (``2026-03-14 08:00``). LogError naming ``option``."""
        if text is None or text == "":
            return None
        try:
            return float(text) * 3600.0
        except (TypeError, ValueError):
            pass
        try:
            t = pd.Timestamp(text)
        except ValueError:
            raise LogError(f"--{option} {text!r}: expected hours since the start of the log or a local time "
                           f"such as '2026-03-14 08:00' ({self.timezone})") from None
        t = t.tz_localize(self.timezone) if t.tz is None else t
        return float((t - self.start_utc).total_seconds())

    def window(self, start: str | float | None = None, end: str | float | None = None) -> "PlantLog":
        """The log between ``start`` and ``end`` (see :meth:`time_of`; None: the log's ends),
        its time re-counted from the window's first grid point. LogError if it is empty."""
        a, b = self.time_of(start, "start"), self.time_of(end, "end")
        if a is None and b is None:
            return self
        idx = self.data.index.to_numpy(float)
        sel = (idx >= (a if a is not None else -np.inf)) & (idx <= (b if b is not None else np.inf))
        if sel.sum() < 2:
            raise LogError(f"--start {start!r} --end {end!r}: the window holds {int(sel.sum())} grid points; the log "
                           f"runs from {self.local_index[0]} to {self.local_index[-1]}")
        data = self.data[sel]
        first = float(data.index[0])
        data = data.set_axis(pd.Index(data.index.to_numpy(float) - first, name="time_s"))
        return PlantLog(data=data, start_utc=self.start_utc + pd.Timedelta(seconds=first), timezone=self.timezone,
                        step_s=self.step_s, report=self.report, tagmap=self.tagmap, source=self.source)


def load_log(path: str | Path, tags: str | Path | dict | TagMap, step_s: float | None = None) -> PlantLog:
    """Import, check, clean, convert and resample a historian export (see the module docstring).

    ``step_s`` overrides the tag map's grid step. Raises :class:`LogError` if no mapped tag is in
    the export; every other defect is reported (:class:`DataQualityWarning` and ``log.report``).
    """
    tagmap = load_tagmap(tags)
    step = float(step_s or tagmap.step_s)
    raw = read_export(path, tagmap)
    report = DataQualityReport()
    if not raw:
        raise LogError(f"log {path}: none of the tag map's tags {list(tagmap.tags)[:10]} is in the export")
    for tag, spec in tagmap.tags.items():
        if tag not in raw:
            report.add(Issue(check="missing_tag", tag=tag, channel=spec.channel,
                             message="mapped tag not in the export", action="channel absent from the log"))
    cleaned = {}
    for tag, r in raw.items():
        spec = tagmap.tags[tag]
        t, v, issues = clean_tag(tag, r, spec, tagmap)
        for i in issues:
            report.add(i)
        report.samples[tagmap.channel_of(tag)] = {"raw": int(len(r.values)), "kept": int(len(v))}
        if len(t):
            cleaned[tag] = (t, v)
    if not cleaned:
        raise LogError(f"log {path}: no usable sample left after cleaning:\n{report.to_text()}")
    g = grid(min(t[0] for t, _ in cleaned.values()), max(t[-1] for t, _ in cleaned.values()), step)
    signals = {}
    for tag, (t, v) in cleaned.items():
        spec = tagmap.tags[tag]
        x = hold(t, v, g, tagmap.max_gap_s) if spec.kind != "measurement" else mean(t, v, g, step, tagmap.max_gap_s)
        if spec.filter_s:
            x = moving_average(x, int(round(spec.filter_s / step)))
        signals[tag] = x
    columns = {spec.channel: signals[tag] for tag, spec in tagmap.tags.items() if spec.channel and tag in signals}
    columns.update(_derive(tagmap, signals, len(g), report))
    _apply_calibration_flag(tagmap, columns, report)
    last_ns = {spec.channel: cleaned[tag][0][-1] for tag, spec in tagmap.tags.items() if spec.channel and tag in cleaned}
    _coverage(tagmap, columns, g, last_ns, report)
    _flow_balance(tagmap, columns, report)
    order = [c for c in (*MEASUREMENTS, *ACTUATORS, *LOG_CHANNELS) if c in columns] + sorted(
        c for c in columns if c.startswith("mode_"))
    data = pd.DataFrame({c: columns[c] for c in order}, index=pd.Index((g - g[0]) / 1e9, name="time_s"))
    return PlantLog(data=data, start_utc=pd.Timestamp(int(g[0]), tz="UTC"), timezone=tagmap.timezone,
                    step_s=step, report=report, tagmap=tagmap, source=str(path))


def _derive(tagmap: TagMap, signals: dict[str, np.ndarray], n: int, report: DataQualityReport) -> dict[str, np.ndarray]:
    """The derived channels (fallback lists resolved point by point, converted, range-checked)."""
    out = {}
    nan = np.full(n, np.nan)
    for channel, exprs in tagmap.derived_expressions().items():
        d = tagmap.derived[channel]
        value = nan.copy()
        shares = []
        for e in exprs:
            absent = sorted(e.names - set(signals))
            x = nan if absent else e({k: signals[k] for k in e.names}, tagmap.curves)
            x = np.broadcast_to(x, (n,))
            use = np.isnan(value) & np.isfinite(x)
            value[use] = x[use]
            shares.append(f"{100.0 * use.mean():.1f} % from {e.text!r}"
                          + (f" (tags {absent} not in the export)" if absent else ""))
        gain, bias = conversion(d.unit or channel_unit(channel), channel_unit(channel))
        value = value * gain + bias
        lo, hi = PHYSICAL_RANGES.get(channel, (-np.inf, np.inf))
        bad = (value < lo) | (value > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            report.add(Issue(check="out_of_range", tag="derived", channel=channel, value=float(value[i]),
                             count=int(bad.sum()), message=f"{bad.sum()} derived values outside [{lo}, {hi}]",
                             action="removed"))
            value[bad] = np.nan
        if len(exprs) > 1 or any("not in the export" in s for s in shares):
            report.add(Issue(check="fallback", tag="derived", channel=channel, severity="info",
                             message="; ".join(shares) + f"; {100.0 * np.isnan(value).mean():.1f} % empty",
                             action="first expression with a value used at each point"))
        out[channel] = value
    return out


def _apply_calibration_flag(tagmap: TagMap, columns: dict[str, np.ndarray], report: DataQualityReport) -> None:
    flag = columns.get("cems_calibration_flag")
    if flag is None:
        return
    on = np.nan_to_num(flag, nan=0.0) >= 0.5
    windows = int(np.count_nonzero(np.diff(np.concatenate([[0], on.astype(np.int8)])) == 1))
    for c in CEMS_CHANNELS:
        if c in columns and on.any():
            hit = on & np.isfinite(columns[c])
            report.add(Issue(check="cems_calibration", tag=tagmap.tag_for("cems_calibration_flag") or "derived",
                             channel=c, count=int(hit.sum()),
                             message=f"analyser calibration flag set on {int(on.sum())} grid points ({windows} windows)",
                             action="marked invalid (NaN)"))
            columns[c] = np.where(on, np.nan, columns[c])


def _flow_balance(tagmap: TagMap, columns: dict[str, np.ndarray], report: DataQualityReport) -> None:
    steam, water = columns.get("steam_flow_t_h"), columns.get("feedwater_t_h")
    if steam is None or water is None:
        return
    both = np.isfinite(steam) & np.isfinite(water)
    if both.sum() < 10:
        return
    s, w = float(steam[both].mean()), float(water[both].mean())
    if abs(w - s) > FLOW_IMBALANCE_SHARE * abs(s):
        report.add(Issue(check="flow_imbalance", tag=tagmap.tag_for("feedwater_t_h") or "derived",
                         channel="feedwater_t_h", value=w - s, count=int(both.sum()),
                         message=f"mean feedwater {w:.1f} t/h vs mean steam {s:.1f} t/h: {w - s:+.1f} t/h "
                                 f"({100.0 * (w - s) / s:+.0f} %), more than blowdown and preheater steam explain",
                         action="not corrected: a meter offset? declare the tag's meter_offset"))


def _coverage(tagmap: TagMap, columns: dict[str, np.ndarray], g: np.ndarray, last_ns: dict[str, int],
              report: DataQualityReport) -> None:
    """``command_ends_early`` and ``low_coverage`` of held channels (see the module docstring);
    ``last_ns``: time of each tag-fed channel's last sample (derived ones: their last grid value)."""
    for c, x in columns.items():
        if role_of(c) == "measurement":
            continue
        ok = np.flatnonzero(np.isfinite(x))
        tag = tagmap.tag_for(c) or "derived"
        if not len(ok):
            continue
        last = int(last_ns.get(c, g[ok[-1]]))
        lost_s = (g[-1] - last) / 1e9
        if lost_s > tagmap.max_gap_s:
            report.add(Issue(check="command_ends_early", tag=tag, channel=c, row=None, value=float(x[ok[-1]]),
                             time=local_time(last, tagmap.timezone), count=int(len(g) - 1 - ok[-1]),
                             message=f"last value {lost_s / 60.0:.0f} min before the end of the log",
                             action="not held: empty to the end"))
        share = len(ok) / len(g)
        if c in ACTUATORS and share < MIN_COVERAGE:
            report.add(Issue(check="low_coverage", tag=tag, channel=c, count=int(len(g) - len(ok)),
                             message=f"values on only {100.0 * share:.0f} % of the log",
                             action="uses of the log treat it as missing where empty"))
