"""CEMS calibration windows: zero and span checks found in an analyser's own readings.

A stack analyser is checked automatically, typically once a day: zero gas, then one or more
span gases, each held for a few minutes. The readings then step through fixed values that are no
emission, and must be marked invalid (HJ 75-2017 excludes calibration periods from the averages,
as does EN 14181 / IED Annex VI Part 8). Where the DCS logs the analyser's calibration flag, map it
to the channel ``cems_calibration_flag`` (:mod:`~sim.replay.log` applies it); this module finds
calibrations from the readings alone:

1. *Noise*: the analyser's short-term noise sigma, from the first differences
   (``1.4826 * median |dv| / sqrt 2``).
2. *Plateaus*: stretches of at least :data:`PLATEAU_S` seconds in which the readings stay
   within ``FLAT_SIGMAS * sigma + FLAT_SHARE * |level|`` of each other (a span gas reading only
   carries the analyser's noise; process readings move).
3. A plateau is a *span* if its level is above ``SPAN_FACTOR`` times the 90th percentile of the
   readings and above ``SPAN_MEDIANS`` times their median plus ``SPAN_SIGMAS`` sigma (a span gas
   is set near the top of the analyser's range, far above normal readings; percentiles, not the
   maximum, so that the calibrations themselves, up to a tenth of a short log, do not raise the
   bar); a *zero* if its level is within ``max(FLAT_SIGMAS * sigma, ZERO_SHARE * |median|)`` of 0.
4. A *calibration* is a span plateau with a zero plateau ending at most :data:`STEP_GAP_S`
   before it starts or starting at most that long after it ends. Its window runs from
   :data:`PRE_MARGIN_S` before the zero to :data:`PURGE_S` after the later of the two (the
   reading falling to zero gas and the purge back to flue gas are not emissions either), a zero
   step counted for at most :data:`MAX_STEP_S` (zero gas is applied for a few minutes; a longer
   zero-like plateau is a low process reading next to it); overlapping windows (several span
   gases) merge.

A low, steady process reading (CO near zero in good combustion) is a zero-like plateau but has no
span next to it, so it is not taken for a calibration; next to a span, only
:data:`MAX_STEP_S` of it count.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PLATEAU_S = 60.0
FLAT_SIGMAS, FLAT_SHARE = 4.0, 0.005
SPAN_FACTOR, SPAN_MEDIANS, SPAN_SIGMAS = 1.5, 3.0, 10.0
ZERO_SHARE = 0.2
STEP_GAP_S, MAX_STEP_S = 300.0, 300.0
PRE_MARGIN_S, PURGE_S = 60.0, 120.0


def noise_sigma(v: np.ndarray) -> float:
    """Robust short-term noise of a series [its unit] (0 for fewer than three samples)."""
    if len(v) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(np.diff(v))) / np.sqrt(2.0))


def plateaus(t_ns: np.ndarray, v: np.ndarray, sigma: float) -> list[tuple[int, int, float]]:
    """Flat stretches as (first index, last index, median level), each lasting >= PLATEAU_S."""
    if len(v) < 3:
        return []
    dt = float(np.median(np.diff(t_ns))) / 1e9
    k = max(int(round(PLATEAU_S / max(dt, 1e-9))) + 1, 3)
    s = pd.Series(v)
    hi, lo = s.rolling(k).max().to_numpy(), s.rolling(k).min().to_numpy()
    band = FLAT_SIGMAS * sigma + FLAT_SHARE * np.maximum(np.abs(hi), np.abs(lo))
    flat_end = np.flatnonzero((hi - lo) <= band)        # windows [end - k + 1, end] that are flat
    if not len(flat_end):
        return []
    breaks = np.flatnonzero(np.diff(flat_end) > 1)      # a run of consecutive flat windows: one plateau
    out = []
    for first, last in zip(np.concatenate([[0], breaks + 1]), np.concatenate([breaks, [len(flat_end) - 1]])):
        a, b = int(flat_end[first] - k + 1), int(flat_end[last])
        out.append((a, b, float(np.median(v[a:b + 1]))))
    return out


def calibration_windows(t_ns: np.ndarray, v: np.ndarray) -> list[tuple[int, int]]:
    """Calibration windows of one analyser tag as (start, end) times [ns], sorted (see the
    module docstring). ``t_ns`` sorted, ``v`` without NaN."""
    sigma = noise_sigma(v)
    runs = plateaus(t_ns, v, sigma)
    if not runs:
        return []
    median = abs(float(np.median(v)))
    span_level = max(SPAN_FACTOR * float(np.percentile(v, 90)), SPAN_MEDIANS * median + SPAN_SIGMAS * sigma)
    zero_level = max(FLAT_SIGMAS * sigma, ZERO_SHARE * median)
    zeros = [(t_ns[a], t_ns[b]) for a, b, lv in runs if abs(lv) <= zero_level]
    windows = []
    for a, b, lv in runs:
        if lv < span_level:
            continue
        s0, s1 = t_ns[a], t_ns[b]
        near = [(z0, z1) for z0, z1 in zeros
                if -STEP_GAP_S * 1e9 <= s0 - z1 <= (STEP_GAP_S + MAX_STEP_S) * 1e9 and z0 < s0
                or 0 <= z0 - s1 <= STEP_GAP_S * 1e9]
        if near:
            start = max(min(z0 for z0, _ in near), s0 - MAX_STEP_S * 1e9)
            end = max(s1, *(min(z1, s1 + MAX_STEP_S * 1e9) for _, z1 in near))
            windows.append([int(start - PRE_MARGIN_S * 1e9), int(end + PURGE_S * 1e9)])
    merged: list[list[int]] = []
    for w in sorted(windows):
        if merged and w[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], w[1])
        else:
            merged.append(w)
    return [(a, b) for a, b in merged]


def in_windows(t_ns: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """Mask of the times inside any of the (start, end) windows."""
    mask = np.zeros(len(t_ns), bool)
    for a, b in windows:
        mask |= (t_ns >= a) & (t_ns <= b)
    return mask
