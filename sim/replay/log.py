"""A plant log after import: canonical channels on one grid, with its data-quality report.

``load_log(path, tagmap)`` reads the export (:mod:`~sim.replay.reader`), checks and cleans each
tag (:mod:`~sim.replay.clean`), converts units and resamples (:mod:`~sim.replay.resample`). The
result is a :class:`PlantLog`: ``data`` is a DataFrame indexed by ``time_s`` (seconds since the
first grid point) with one column per canonical channel present; ``start_utc`` and ``timezone``
keep the absolute time explicit (``local_index`` gives local wall-clock times).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.units import ACTUATORS, MEASUREMENTS

from .clean import clean_tag
from .quality import DataQualityReport, Issue, LogError
from .reader import read_export
from .resample import grid, hold, mean, moving_average
from .tagmap import TagMap, load_tagmap


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
        report.samples[spec.channel] = {"raw": int(len(r.values)), "kept": int(len(v))}
        if len(t):
            cleaned[tag] = (t, v)
    if not cleaned:
        raise LogError(f"log {path}: no usable sample left after cleaning:\n{report.to_text()}")
    g = grid(min(t[0] for t, _ in cleaned.values()), max(t[-1] for t, _ in cleaned.values()), step)
    columns = {}
    for tag, (t, v) in cleaned.items():
        spec = tagmap.tags[tag]
        x = hold(t, v, g, tagmap.max_gap_s) if spec.kind != "measurement" else mean(t, v, g, step, tagmap.max_gap_s)
        if spec.filter_s:
            x = moving_average(x, int(round(spec.filter_s / step)))
        columns[spec.channel] = x
    order = [c for c in (*MEASUREMENTS, *ACTUATORS) if c in columns] + sorted(c for c in columns if c.startswith("mode_"))
    data = pd.DataFrame({c: columns[c] for c in order}, index=pd.Index((g - g[0]) / 1e9, name="time_s"))
    return PlantLog(data=data, start_utc=pd.Timestamp(int(g[0]), tz="UTC"), timezone=tagmap.timezone,
                    step_s=step, report=report, tagmap=tagmap, source=str(path))
