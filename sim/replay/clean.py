"""Checks and cleaning of one tag's raw samples (vectorised; a 1 Hz day is ~0.1 s).

Order and rules (each finding becomes an :class:`~sim.replay.quality.Issue`):

1. ``unparsable_value`` / ``bad_timestamp`` / ``bad_quality``: the sample is removed.
2. Unit: ``raw * scale + offset`` in the tag's unit (or a declared ``unit_changes`` unit from its
   time on, reported as ``unit_change``), then converted to the channel's unit.
3. ``non_monotonic_time``: a sample earlier than one before it in the file; the samples are
   sorted by time (stable), nothing removed.
4. ``duplicate_time``: several samples at one time; the last one in the file is kept.
5. ``out_of_range``: outside the tag's plausible range; removed.
6. ``stuck`` (measurements only; commands legitimately stay put): a value repeated exactly for
   at least ``stuck_s`` seconds; the repeats after the first sample are removed.
7. ``gap``: consecutive timestamps further apart than ``max_gap_s``; reported, and the resampler
   leaves that stretch empty.
8. ``suspected_unit_change``: a lasting jump by the factor between the tag's unit and another
   unit of its dimension (3.6 for t/h <-> kg/s, 10 for MPa <-> bar, ...); reported only (declare
   it with ``unit_changes`` and it is converted).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .quality import Issue
from .reader import RawTag, to_utc_ns
from .tagmap import TagMap, TagSpec
from .units import channel_unit, conversion, unit_ratios

_NAT = np.iinfo(np.int64).min
#: Samples either side of a jump whose medians must confirm a suspected unit change.
UNIT_CHANGE_WINDOW = 10
#: Relative tolerance of a jump ratio against a unit factor [-].
UNIT_CHANGE_RTOL = 0.03


def local_time(t_ns: int, zone: str) -> str:
    """An int64 ns UTC time as local ISO text with its offset."""
    return pd.Timestamp(int(t_ns), tz="UTC").tz_convert(zone).isoformat()


class _Finder:
    """Collects issues for one tag."""

    def __init__(self, tag: str, spec: TagSpec, zone: str):
        self.tag, self.spec, self.zone, self.issues = tag, spec, zone, []

    def add(self, check: str, mask_idx: np.ndarray, rows, values, times, message: str, action: str,
            severity: str = "warning") -> None:
        if len(mask_idx) == 0:
            return
        i = mask_idx[0]
        t = local_time(times[i], self.zone) if times is not None and times[i] != _NAT else None
        v = values[i]
        self.issues.append(Issue(check=check, tag=self.tag, channel=self.spec.channel, message=message,
                                 action=action, severity=severity, row=int(rows[i]),
                                 value=float(v) if np.isfinite(v) else str(v), time=t, count=len(mask_idx),
                                 rows=tuple(int(r) for r in rows[mask_idx[:20]])))


def clean_tag(tag: str, raw: RawTag, spec: TagSpec, tagmap: TagMap) -> tuple[np.ndarray, np.ndarray, list[Issue]]:
    """Check and clean one tag. Returns (times_ns sorted, values in the channel unit, issues)."""
    f = _Finder(tag, spec, tagmap.timezone)
    t, v, rows = raw.times_ns, raw.values, raw.rows
    f.add("unparsable_value", np.flatnonzero(raw.unparsable), rows, v, t,
          f"{raw.unparsable.sum()} values are not numbers", "removed")
    bad_t = t == _NAT
    f.add("bad_timestamp", np.flatnonzero(bad_t), rows, v, None,
          f"{bad_t.sum()} timestamps unreadable, or ambiguous/non-existent in {tagmap.timezone}", "removed")
    bad_q = ~raw.good & ~raw.unparsable & ~bad_t
    f.add("bad_quality", np.flatnonzero(bad_q), rows, v, t, f"{bad_q.sum()} samples flagged bad quality", "removed")
    keep = ~raw.unparsable & ~bad_t & raw.good
    t, v, rows = t[keep], v[keep], rows[keep]

    v = _convert(f, t, v, rows, tagmap)

    back = t < np.maximum.accumulate(t) if len(t) else np.zeros(0, bool)
    f.add("non_monotonic_time", np.flatnonzero(back), rows, v, t,
          f"{back.sum()} samples earlier than a sample before them (clock set back?)", "sorted by time")
    order = np.argsort(t, kind="stable")
    t, v, rows = t[order], v[order], rows[order]
    dup = np.zeros(len(t), bool)
    dup[:-1] = t[1:] == t[:-1]
    f.add("duplicate_time", np.flatnonzero(dup), rows, v, t,
          f"{dup.sum()} samples share a timestamp with a later one", "kept the last of each")
    t, v, rows = t[~dup], v[~dup], rows[~dup]

    lo, hi = spec.plausible
    out = (v < lo) | (v > hi)
    f.add("out_of_range", np.flatnonzero(out), rows, v, t,
          f"{out.sum()} values outside the plausible [{lo}, {hi}] {channel_unit(spec.channel)}", "removed")
    t_all, rows_all = t, rows  # gaps are judged on the sample times the historian wrote
    t, v, rows = t[~out], v[~out], rows[~out]

    if spec.kind == "measurement":
        stuck = _stuck(t, v, (spec.stuck_s or tagmap.stuck_s) * 1e9)
        if stuck.any():
            first = np.flatnonzero(stuck)
            f.add("stuck", first, rows, v, t,
                  f"flat-lined: {stuck.sum()} repeats of one value for >= {spec.stuck_s or tagmap.stuck_s:g} s",
                  "repeats removed")
            t, v, rows = t[~stuck], v[~stuck], rows[~stuck]

    if len(t_all) > 1:
        dt = np.diff(t_all)
        gaps = np.flatnonzero(dt > tagmap.max_gap_s * 1e9)
        if len(gaps):
            silence_s = np.concatenate([[0.0], dt / 1e9])  # value of a gap finding: its length [s]
            f.add("gap", gaps + 1, rows_all, silence_s, t_all,
                  f"{len(gaps)} silences longer than {tagmap.max_gap_s:g} s (longest {dt[gaps].max() / 1e9:.0f} s)",
                  "left empty after resampling")
    _suspect_unit_change(f, t, v, rows)
    return t, v, f.issues


def _convert(f: _Finder, t: np.ndarray, v: np.ndarray, rows: np.ndarray, tagmap: TagMap) -> np.ndarray:
    spec = f.spec
    target = channel_unit(spec.channel)
    unit = np.zeros(len(t), dtype=int)  # index into (spec.unit, *changes)
    units = [spec.unit]
    for k, ch in enumerate(sorted(spec.unit_changes, key=lambda c: pd.Timestamp(c.from_)), start=1):
        start = to_utc_ns(pd.Series([ch.from_]), tagmap.timezone)[0]
        after = t >= start
        unit[after] = k
        units.append(ch.unit)
        f.add("unit_change", np.flatnonzero(after), rows, v, t,
              f"logged in {ch.unit} from {ch.from_} (declared in the tag map)", f"converted from {ch.unit}",
              severity="info")
    out = v * spec.scale + spec.offset
    for k, u in enumerate(units):
        gain, bias = conversion(u, target)
        sel = unit == k
        out[sel] = out[sel] * gain + bias
    return out


def _stuck(t: np.ndarray, v: np.ndarray, limit_ns: float) -> np.ndarray:
    """Mask of the repeats (all but the first sample) of runs of one value lasting >= limit."""
    mask = np.zeros(len(v), bool)
    if len(v) < 2:
        return mask
    same = np.concatenate([[False], v[1:] == v[:-1]])
    edges = np.diff(np.concatenate([[0], same.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # repeats [start, end)
    for s, e in zip(starts, ends):
        if t[e - 1] - t[s - 1] >= limit_ns:
            mask[s:e] = True
    return mask


def _suspect_unit_change(f: _Finder, t: np.ndarray, v: np.ndarray, rows: np.ndarray) -> None:
    w = UNIT_CHANGE_WINDOW
    if len(v) < 2 * w + 2:
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = v[1:] / v[:-1]
    for other, k in unit_ratios(channel_unit(f.spec.channel)).items():
        for i in np.flatnonzero(np.abs(ratio / k - 1.0) < UNIT_CHANGE_RTOL)[:5] + 1:
            if i < w or i + w > len(v):
                continue
            before, after = np.median(v[i - w:i]), np.median(v[i:i + w])
            if before != 0 and abs(after / before / k - 1.0) < UNIT_CHANGE_RTOL:
                f.add("suspected_unit_change", np.array([i]), rows, v, t,
                      f"level jumps by x{k:g} (median {before:.4g} -> {after:.4g}): looks like the DCS switched "
                      f"from {channel_unit(f.spec.channel)} to {other}",
                      "not corrected: declare unit_changes in the tag map")
                return
