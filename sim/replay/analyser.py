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
3. A plateau is a *zero* if its level is within ``max(FLAT_SIGMAS * sigma, zero_band)`` of 0,
   a *span* if its level is above ``SPAN_FACTOR`` times the 99th percentile of the readings (a
   span gas is set near the top of the analyser's range, far above normal readings).
4. A *calibration* is a cluster of plateaus, consecutive ones at most :data:`CLUSTER_GAP_S`
   apart, with at least one zero and one span. Its window runs from :data:`PRE_MARGIN_S` before
   its first plateau to :data:`PURGE_S` after its last (the reading falling to zero gas and the
   purge back to flue gas are not emissions either).

A low, steady process reading (CO near zero in good combustion) is a zero-like plateau but has no
span next to it, so it is not taken for a calibration.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PLATEAU_S = 60.0
FLAT_SIGMAS, FLAT_SHARE = 4.0, 0.005
SPAN_FACTOR = 1.2
CLUSTER_GAP_S = 900.0
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


def calibration_windows(t_ns: np.ndarray, v: np.ndarray, zero_band: float = 0.0) -> list[tuple[int, int]]:
    """Calibration windows of one analyser tag as (start, end) times [ns], sorted (see the
    module docstring). ``t_ns`` sorted, ``v`` without NaN."""
    sigma = noise_sigma(v)
    runs = plateaus(t_ns, v, sigma)
    span_level = SPAN_FACTOR * float(np.percentile(v, 99))
    zero_level = max(FLAT_SIGMAS * sigma, zero_band)
    runs = [(a, b, "zero" if abs(lv) <= zero_level else "span") for a, b, lv in runs
            if abs(lv) <= zero_level or lv >= span_level]
    windows, cluster = [], []

    def close() -> None:
        if {"zero", "span"} <= {kind for _, _, kind in cluster}:
            windows.append((int(t_ns[cluster[0][0]] - PRE_MARGIN_S * 1e9), int(t_ns[cluster[-1][1]] + PURGE_S * 1e9)))

    for run in runs:
        if cluster and (t_ns[run[0]] - t_ns[cluster[-1][1]]) / 1e9 > CLUSTER_GAP_S:
            close()
            cluster = []
        cluster.append(run)
    close()
    return windows


def in_windows(t_ns: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
    """Mask of the times inside any of the (start, end) windows."""
    mask = np.zeros(len(t_ns), bool)
    for a, b in windows:
        mask |= (t_ns >= a) & (t_ns <= b)
    return mask
