"""Agreement between a logged and a simulated (or proposed) series.

- ``nrmse``: root-mean-square error over the logged range, ``RMSE / (max - min)`` [-];
- ``fit_pct``: the system-identification fit, ``100 (1 - ||y - y_sim|| / ||y - mean(y)||)`` [%]
  (100 = perfect, 0 = no better than the mean, negative = worse; as MATLAB's ``compare``);
- ``lag_s``: the shift maximising the cross-correlation of the mean-removed series within
  ``max_lag_s``; positive when the simulation lags behind the log [s]. A maximum at the search
  limit is no result (the true lag may be anywhere beyond it): ``lag_s`` is then NaN and
  ``lag_found`` false.

Only instants where both series are finite count; ``n`` says how many. A logged series that
does not vary (a dosing left at one value) has no NRMSE or fit (NaN); RMSE and bias remain.
"""
from __future__ import annotations

import numpy as np

#: A series whose range is below this share of its level (+1) counts as constant [-].
CONSTANT_RTOL = 1e-6


def compare(logged: np.ndarray, simulated: np.ndarray, step_s: float, max_lag_s: float = 900.0) -> dict[str, float]:
    """NRMSE, fit %, lag and bias of ``simulated`` against ``logged`` (equal-length, one grid)."""
    y, s = np.asarray(logged, float), np.asarray(simulated, float)
    ok = np.isfinite(y) & np.isfinite(s)
    n = int(ok.sum())
    if n < 3:
        return {"n": n, "nrmse": float("nan"), "fit_pct": float("nan"), "lag_s": float("nan"), "lag_found": False,
                "bias": float("nan"), "rmse": float("nan")}
    e = s[ok] - y[ok]
    rmse = float(np.sqrt(np.mean(e * e)))
    span = float(np.ptp(y[ok]))
    dev = float(np.linalg.norm(y[ok] - y[ok].mean()))
    varies = span > CONSTANT_RTOL * (abs(float(y[ok].mean())) + 1.0)
    lag = lag_s(y, s, step_s, max_lag_s)
    return {"n": n, "rmse": rmse, "bias": float(e.mean()),
            "nrmse": rmse / span if varies else float("nan"),
            "fit_pct": 100.0 * (1.0 - float(np.linalg.norm(e)) / dev) if varies else float("nan"),
            "lag_s": lag, "lag_found": bool(np.isfinite(lag))}


def lag_s(logged: np.ndarray, simulated: np.ndarray, step_s: float, max_lag_s: float) -> float:
    """Cross-correlation lag [s] (positive: ``simulated`` is late); NaN when the maximum is at
    the search limit ``±max_lag_s`` (not found). Gaps are interpolated over."""
    y, s = _filled(logged), _filled(simulated)
    if y is None or s is None:
        return float("nan")
    y, s = y - y.mean(), s - s.mean()
    max_k = min(int(max_lag_s / step_s), len(y) // 2)
    best_k, best = 0, -np.inf
    for k in range(-max_k, max_k + 1):
        a, b = (y[:len(y) - k], s[k:]) if k >= 0 else (y[-k:], s[:len(s) + k])
        c = float(np.dot(a, b)) / len(a)
        if c > best:
            best_k, best = k, c
    if max_k > 0 and abs(best_k) == max_k:
        return float("nan")
    return best_k * step_s


def _filled(x: np.ndarray) -> np.ndarray | None:
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    if ok.sum() < 3:
        return None
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])
