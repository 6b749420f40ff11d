"""Checks and cleaning of one tag's raw samples (vectorised; a 1 Hz day is ~0.1 s).

Order and rules (each finding becomes an :class:`~sim.replay.quality.Issue`):

1. ``unparsable_value`` / ``bad_timestamp`` / ``bad_quality``: the sample is removed.
2. Unit: ``raw * scale + offset`` in the tag's unit (or a declared ``unit_changes`` unit from its
   time on, reported as ``unit_change``), then converted to the channel's unit.
3. ``non_monotonic_time``: a sample earlier than one before it in the file; the samples are
   sorted by time (stable), nothing removed.
4. ``duplicate_time``: several samples at one time; the last one in the file is kept.
5. ``out_of_range``: outside the tag's plausible range; removed (a reading slightly below a
   range starting at 0, within the tag's ``zero_band``, is not out of range: see 6b).
5b. ``cems_calibration`` (analyser tags, :mod:`~sim.replay.analyser`): zero/span calibration
   windows found in the readings; their samples are removed (marked invalid).
6. ``stuck`` (measurements only; commands legitimately stay put): a value repeated exactly for
   at least ``stuck_s`` seconds; the repeats after the first sample are removed.
6b. ``negative_clipped``: the remaining readings slightly below zero (an analyser's noise around
   a true zero) are set to 0 and kept, so the low end is not biased by deleting them (after the
   flat-line test: clipped zeros are no flat line).
7. ``gap``: consecutive timestamps further apart than ``max_gap_s``; reported, and the resampler
   leaves that stretch empty.
8. ``suspected_unit_change``: a lasting jump by the factor between the tag's unit and another
   unit of its dimension (3.6 for t/h <-> kg/s, 10 for MPa <-> bar, ...); reported only (declare
   it with ``unit_changes`` and it is converted). Readings near zero (medians below
   :data:`UNIT_CHANGE_FLOOR` of the plausible span) are not judged: a level crossing zero
   (-0.38 -> -0.04 mm) jumps by any ratio.

A ``meter_offset`` is subtracted after the unit conversion (``meter_offset`` finding, info).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .analyser import calibration_windows, in_windows
from .quality import Issue
from .reader import RawTag, to_utc_ns
from .tagmap import TagMap, TagSpec
from .units import conversion, unit_ratios

_NAT = np.iinfo(np.int64).min
#: Samples either side of a jump whose medians must confirm a suspected unit change.
UNIT_CHANGE_WINDOW = 10
#: Relative tolerance of a jump ratio against a unit factor [-].
UNIT_CHANGE_RTOL = 0.03
#: Medians below this share of the plausible span are too close to zero to judge a ratio [-].
UNIT_CHANGE_FLOOR = 0.01


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
        self.issues.append(Issue(check=check, tag=self.tag, channel=self.spec.channel or self.tag, message=message,
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
    near_zero = (v < 0.0) & (v >= -spec.zero_tolerance) & (lo == 0.0)
    out = ((v < lo) | (v > hi)) & ~near_zero
    f.add("out_of_range", np.flatnonzero(out), rows, v, t,
          f"{out.sum()} values outside the plausible [{lo}, {hi}] {spec.target_unit}", "removed")
    t_all, rows_all = t, rows  # gaps are judged on the sample times the historian wrote
    t, v, rows, near_zero = t[~out], v[~out], rows[~out], near_zero[~out]

    if spec.check_calibration and len(t):
        windows = calibration_windows(t, v)
        cal = in_windows(t, windows)
        if cal.any():
            when = ", ".join(f"{local_time(a, f.zone)[:16]}-{local_time(b, f.zone)[11:16]}" for a, b in windows[:6])
            f.add("cems_calibration", np.flatnonzero(cal), rows, v, t,
                  f"{len(windows)} zero/span calibration windows in the readings ({when}"
                  f"{', ...' if len(windows) > 6 else ''})", "marked invalid (removed)")
            t, v, rows, near_zero = t[~cal], v[~cal], rows[~cal], near_zero[~cal]

    if spec.kind == "measurement":
        stuck = _stuck(t, v, (spec.stuck_s or tagmap.stuck_s) * 1e9)
        if stuck.any():
            first = np.flatnonzero(stuck)
            f.add("stuck", first, rows, v, t,
                  f"flat-lined: {stuck.sum()} repeats of one value for >= {spec.stuck_s or tagmap.stuck_s:g} s",
                  "repeats removed")
            t, v, rows, near_zero = t[~stuck], v[~stuck], rows[~stuck], near_zero[~stuck]

    if near_zero.any():
        f.add("negative_clipped", np.flatnonzero(near_zero), rows, v, t,
              f"{near_zero.sum()} readings slightly below zero (down to {v[near_zero].min():.3g}, within the zero band "
              f"{spec.zero_tolerance:g} {spec.target_unit}; {100.0 * near_zero.mean():.1f} % of the samples)",
              "clipped to 0 and kept")
        v = np.where(near_zero, 0.0, v)

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
    target = spec.target_unit
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
    if spec.meter_offset and len(out):
        f.add("meter_offset", np.arange(len(out)), rows, out, t,
              f"the meter reads {spec.meter_offset:+g} {target} high (tag map meter_offset)",
              f"{-spec.meter_offset:+g} {target} applied", severity="info")
        out = out - spec.meter_offset
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
    lo, hi = f.spec.plausible
    floor = UNIT_CHANGE_FLOOR * (hi - lo) if np.isfinite(hi - lo) else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = v[1:] / v[:-1]
    unit = f.spec.target_unit
    for other, k in unit_ratios(unit).items():
        candidates = np.flatnonzero((np.abs(ratio / k - 1.0) < UNIT_CHANGE_RTOL)
                                    & (np.minimum(np.abs(v[1:]), np.abs(v[:-1])) > floor)) + 1
        for i in candidates[:5]:
            if i < w or i + w > len(v):
                continue
            before, after = np.median(v[i - w:i]), np.median(v[i:i + w])
            if min(abs(before), abs(after)) > floor and abs(after / before / k - 1.0) < UNIT_CHANGE_RTOL:
                f.add("suspected_unit_change", np.array([i]), rows, v, t,
                      f"level jumps by x{k:g} (median {before:.4g} -> {after:.4g}): looks like the DCS switched "
                      f"from {unit} to {other}",
                      "not corrected: declare unit_changes in the tag map")
                return
