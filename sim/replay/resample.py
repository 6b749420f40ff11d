"""Resampling cleaned tags onto one time grid (documented rules, vectorised).

The grid runs from the first sample of the log (floored to whole ``step_s`` since the epoch)
to the last, every ``step_s``. At a grid time ``t``:

- **commands and mode flags** (what an operator or controller set): the last sample at or
  before ``t`` (zero-order hold: a command stays in force until it is changed), or empty if that
  sample is older than ``max_gap_s``;
- **measurements**: the mean of the samples in ``(t - step/2, t + step/2]`` (noise averages out
  when the tag is faster than the grid); where that window is empty (the tag is slower than the
  grid), the linear interpolation of the two neighbouring samples if they are at most
  ``max_gap_s`` apart; otherwise empty.

Empty stays NaN: nothing is invented across a gap.
"""
from __future__ import annotations

import numpy as np


def grid(first_ns: int, last_ns: int, step_s: float) -> np.ndarray:
    """Grid times [ns UTC] covering [first, last]."""
    step = int(round(step_s * 1e9))
    start = first_ns // step * step
    return np.arange(start, last_ns + 1, step, dtype=np.int64)


def hold(t: np.ndarray, v: np.ndarray, g: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Zero-order hold of samples (t, v) at grid g, empty beyond max_gap_s."""
    out = np.full(len(g), np.nan)
    idx = np.searchsorted(t, g, side="right") - 1
    ok = idx >= 0
    ok[ok] = (g[ok] - t[idx[ok]]) <= max_gap_s * 1e9
    out[ok] = v[idx[ok]]
    return out


def mean(t: np.ndarray, v: np.ndarray, g: np.ndarray, step_s: float, max_gap_s: float) -> np.ndarray:
    """Window mean at g, interpolation where a window is empty (see the module docstring)."""
    out = np.full(len(g), np.nan)
    if len(t) == 0:
        return out
    half = int(round(step_s * 0.5e9))
    lo = np.searchsorted(t, g - half, side="right")
    hi = np.searchsorted(t, g + half, side="right")
    csum = np.concatenate([[0.0], np.cumsum(v)])
    count = hi - lo
    has = count > 0
    out[has] = (csum[hi[has]] - csum[lo[has]]) / count[has]
    empty = ~has
    right = np.searchsorted(t, g[empty], side="left")
    inside = (right > 0) & (right < len(t))
    r = right[inside]
    span_ok = (t[r] - t[r - 1]) <= max_gap_s * 1e9
    sel = np.flatnonzero(empty)[inside][span_ok]
    r = r[span_ok]
    w = (g[sel] - t[r - 1]) / (t[r] - t[r - 1])
    out[sel] = v[r - 1] + w * (v[r] - v[r - 1])
    return out


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` grid points, ignoring NaN (a tag's ``filter_s``)."""
    if window <= 1:
        return x
    ok = np.isfinite(x)
    s = np.concatenate([[0.0], np.cumsum(np.where(ok, x, 0.0))])
    c = np.concatenate([[0], np.cumsum(ok)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    n = c[idx] - c[lo]
    out = np.where(n > 0, (s[idx] - s[lo]) / np.maximum(n, 1), np.nan)
    out[~ok] = np.nan
    return out
