"""Variability fingerprint: the statistics that say whether a simulation varies like the plant.

:func:`fingerprint` takes a trajectory on a regular grid (``PlantLog.data``, or a simulated
frame indexed by ``time_s`` [s]) and returns, per mode (``all``, and ``auto``/``manual`` of a
``mode_*`` flag if given) and per channel of :data:`CHANNELS` present:

- ``hourly_cv_pct``: the median over clock hours (from the first sample; hours with at least
  half their samples, and a mean larger than their std: a level around 0 mm has no CV) of
  ``100 * std / |mean|`` (population std) within the hour [%];
- ``acf``: autocorrelation of the 1-min means at 5, 10, 20 and 30 min (:data:`ACF_LAGS_MIN`),
  the standard estimator ``sum (x_t - m)(x_t+k - m) / sum (x_t - m)^2`` over the finite
  samples (pairs with a gap left out) [-];
- ``band_share``: share of the variance of the 1-min means by period band 2-10, 10-30, 30-120
  and > 120 min (:data:`BANDS_MIN`; one-sided periodogram of the mean-removed series, gaps
  linearly interpolated, the mean excluded; shares sum to 1) [-];
- ``std``: the standard deviation (the drum level's is the headline for the level loop).

For the CEMS channels also ``median``, ``p95``, ``p99`` and ``share_over_limit`` (share of the
grid samples above the GB 18485-2014 hourly limit, :data:`sim.kpis.EMISSION_LIMITS_MG_NM3`);
for the feed command ``moves_per_h`` (changes larger than :data:`MOVE_SHARE` of its mean, per
hour) and ``travel_per_h`` (sum of |change| per hour [t/h per h]).

:func:`spectrum` gives the periodogram a plot draws; :func:`table` a text table, log beside
simulation. Needs a regular grid (any step up to 60 s); NaN is no data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.kpis import EMISSION_LIMITS_MG_NM3

CHANNELS = ("steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc", "drum_level_mm", "drum_pressure_mpa",
            "co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3", "feed_rate_t_h")
ACF_LAGS_MIN = (5, 10, 20, 30)
BANDS_MIN = ((2.0, 10.0), (10.0, 30.0), (30.0, 120.0), (120.0, np.inf))
#: A feed-command change larger than this share of its mean is a move [-].
MOVE_SHARE = 0.005
_LIMITS = {f"{p}_mg_nm3": v for p, v in EMISSION_LIMITS_MG_NM3["gb18485"]["1h"].items()}


def minute_means(x: pd.Series) -> pd.Series:
    """1-min means of a series indexed by time_s [s] (minutes counted from its first sample)."""
    t = np.asarray(x.index, float)
    minute = np.floor((t - t[0]) / 60.0).astype(int)
    return pd.Series(x.to_numpy(float), index=minute).groupby(level=0).mean()


def autocorrelation(m: np.ndarray, lag: int) -> float:
    """Autocorrelation at ``lag`` samples, pairs with both values finite (NaN if < 10 pairs)."""
    a, b = m[:-lag], m[lag:]
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 10:
        return float("nan")
    mu = np.nanmean(m)
    ss = np.nansum((m - mu) ** 2)
    return float(np.sum((a[ok] - mu) * (b[ok] - mu)) / ss) if ss > 0 else float("nan")


def _minutes(x: pd.Series) -> np.ndarray:
    """1-min means on every minute of the series' span (NaN where a minute has no data)."""
    m = minute_means(x)
    return m.reindex(range(int(m.index.max()) + 1)).to_numpy(float)


def spectrum(x: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(periods [min], power) of the 1-min means' periodogram (mean removed, gaps interpolated)."""
    m = _minutes(x)
    ok = np.isfinite(m)
    if ok.sum() < 8:
        return np.array([]), np.array([])
    idx = np.arange(len(m))
    m = np.interp(idx, idx[ok], m[ok])
    power = np.abs(np.fft.rfft(m - m.mean())) ** 2
    power[1:len(m) // 2 + len(m) % 2] *= 2.0  # one-sided: every bin but 0 and an even length's Nyquist
    freq = np.fft.rfftfreq(len(m), d=1.0)  # per minute
    return 1.0 / freq[1:], power[1:]


def band_shares(x: pd.Series) -> dict[str, float]:
    periods, power = spectrum(x)
    total = power.sum()
    out = {}
    for lo, hi in BANDS_MIN:
        sel = (periods >= lo) & (periods < hi)
        out[f"{lo:g}-{hi:g}_min" if np.isfinite(hi) else f">{lo:g}_min"] = float(power[sel].sum() / total) if total > 0 else float("nan")
    return out


def hourly_cv_pct(x: pd.Series) -> float:
    t = np.asarray(x.index, float)
    hour = np.floor((t - t[0]) / 3600.0).astype(int)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    cvs = []
    for _, part in pd.Series(x.to_numpy(float), index=hour).groupby(level=0):
        v = part.to_numpy()
        v = v[np.isfinite(v)]
        if len(v) >= 0.5 * 3600.0 / step and abs(v.mean()) > v.std():
            cvs.append(100.0 * v.std() / abs(v.mean()))
    return float(np.median(cvs)) if cvs else float("nan")


def channel_stats(x: pd.Series, channel: str) -> dict:
    """The statistics of one channel (see the module docstring)."""
    v = x.to_numpy(float)
    m = _minutes(x)
    out = {"hourly_cv_pct": hourly_cv_pct(x), "std": float(np.nanstd(v)),
           "acf": {f"{k}_min": autocorrelation(m, k) for k in ACF_LAGS_MIN}, "band_share": band_shares(x)}
    if channel in _LIMITS:
        ok = v[np.isfinite(v)]
        out.update(median=float(np.median(ok)), p95=float(np.percentile(ok, 95)), p99=float(np.percentile(ok, 99)),
                   share_over_limit=float(np.mean(ok > _LIMITS[channel])), limit=_LIMITS[channel])
    if channel == "feed_rate_t_h":
        ok = v[np.isfinite(v)]
        d = np.abs(np.diff(ok))
        hours = len(v) * float(np.median(np.diff(np.asarray(x.index, float)))) / 3600.0
        out.update(moves_per_h=float(np.count_nonzero(d > MOVE_SHARE * abs(ok.mean())) / hours),
                   travel_per_h=float(d.sum() / hours))
    return out


def fingerprint(data: pd.DataFrame, mode: str | None = None) -> dict[str, dict[str, dict]]:
    """{mode: {channel: stats}} of a trajectory indexed by time_s (see the module docstring).
    ``mode`` names a ``mode_*`` column (1 = auto): ``auto`` and ``manual`` are added, each on the
    samples in that mode (others NaN), where it holds for at least two hours."""
    if len(data) < 3:
        raise ValueError(f"fingerprint needs a trajectory of at least 3 samples; got {len(data)}")
    masks = {"all": np.ones(len(data), bool)}
    if mode is not None:
        if mode not in data:
            raise ValueError(f"mode {mode!r}: not a column; expected one of {[c for c in data if c.startswith('mode_')]}")
        flag = data[mode].to_numpy(float)
        step = float(np.median(np.diff(np.asarray(data.index, float))))
        for name, sel in (("auto", flag >= 0.5), ("manual", flag < 0.5)):
            if sel.sum() * step >= 7200.0:
                masks[name] = sel
    return {name: {c: channel_stats(data[c].where(sel), c) for c in CHANNELS if c in data and data[c].notna().sum() > 10}
            for name, sel in masks.items()}


def table(prints: dict[str, dict], mode: str = "all") -> str:
    """A text table of fingerprints side by side (``{"log": fp, "simulated": fp}``)."""
    names = list(prints)
    rows = [f"{'channel / statistic':44s}" + "".join(f"{n:>14s}" for n in names)]
    channels = [c for c in CHANNELS if any(c in fp.get(mode, {}) for fp in prints.values())]
    for c in channels:
        keys = [("hourly_cv_pct",), ("std",)] + [("acf", f"{k}_min") for k in ACF_LAGS_MIN] + [
            ("band_share", b) for b in next(fp[mode][c] for fp in prints.values() if c in fp[mode])["band_share"]] + [
            (k,) for k in ("median", "p95", "p99", "share_over_limit", "moves_per_h", "travel_per_h")]
        for key in keys:
            vals = []
            for fp in prints.values():
                v = fp.get(mode, {}).get(c, {})
                for k in key:
                    v = v.get(k) if isinstance(v, dict) else None
                vals.append(v)
            if all(v is None for v in vals):
                continue
            rows.append(f"{c + ' ' + '.'.join(key):44s}" + "".join(f"{v:14.4g}" if v is not None else f"{'-':>14s}" for v in vals))
    return "\n".join(rows)
