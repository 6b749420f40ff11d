"""Step responses identified from a plant log (and from the simulator, measured the same way).

A finite-impulse-response model of the increments, ``dy_t = sum_{k<K} h_k du_{t-k} + e_t``, is
fitted by least squares on the stretches where the loop in question is in manual (a mode flag of
0; the whole log if there is no flag), each stretch on its own so no lag crosses a gap. The step
response is ``s_n = sum_{k<=n} h_k``, with a 95 % band from the parameter covariance
(``sigma^2 (X'X)^-1``, summed along the triangle). From it (:func:`response_figures`):

- gain: the mean of the last quarter of the response [y unit per u unit];
- dead time: the first lag whose band excludes zero on the side of the gain (without a band: the
  first lag past :data:`NOISE_FREE_THRESHOLD` of the gain);
- t63: the first lag at which the response reaches 63 % of the gain;
- initial dip: the largest excursion against the gain's sign before t63 whose band excludes zero
  (an inverse response, e.g. fresh waste covering the burning layer), else 0.

On closed-loop data (no manual stretch: the controller moves ``u`` in answer to ``y``) the FIR is
biased towards an immediate response; use a mode flag of the loop whose input is identified.
Increments take out the slow level of the signals (seasonal LHV, fouling), which is what lets
an FIR on closed-loop-free stretches work with a few hours of data; the band widens honestly
when the input moved too little. :func:`simulated_step` gives the simulator's response to a step
of the same input at the design point, through the same figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .quality import LogError

#: Two-sided 95 % normal quantile.
Z95 = 1.959964
#: Without a band (a simulated, noise-free response) the dead time is the first lag at which the
#: response passes this share of its gain (a response a DCS trend would show) [-].
NOISE_FREE_THRESHOLD = 0.05
#: Fewest samples of a usable manual stretch, in multiples of the model's lags.
MIN_STRETCH_LAGS = 2


@dataclass
class StepResponse:
    """A step response [y unit per u unit] at lags ``lag_s`` with its 95 % band."""

    u: str
    y: str
    lag_s: np.ndarray
    step: np.ndarray
    band: np.ndarray
    samples: int

    def figures(self) -> dict:
        """:func:`response_figures`, plus ``resolved``: whether the gain's band excludes zero (else
        the figures are shown but say little) and ``gain_band`` (its 95 % half-width)."""
        tail = slice(-max(len(self.step) // 4, 1), None)
        half = float(np.mean(self.band[tail]))
        f = response_figures(self.lag_s, self.step, self.band)
        return {**f, "gain_band": half, "resolved": bool(abs(f["gain"]) > half)}


def response_figures(lag_s: np.ndarray, step: np.ndarray, band: np.ndarray | None = None) -> dict:
    """Gain, dead time [s], t63 [s] (dead time included) and initial dip of a step response (see
    the module docstring); ``band`` None for a noise-free (simulated) response. NaN where a figure
    is not found (no significant response)."""
    band = np.zeros_like(step) if band is None else band
    gain = float(np.mean(step[-max(len(step) // 4, 1):]))
    if not math.isfinite(gain) or gain == 0.0:
        return {"gain": gain, "dead_time_s": math.nan, "t63_s": math.nan, "initial_dip": 0.0}
    sign = math.copysign(1.0, gain)
    significant = np.flatnonzero(sign * step - band > 0.0 if band.any()
                                 else sign * step > NOISE_FREE_THRESHOLD * abs(gain))
    dead = float(lag_s[significant[0]]) if significant.size else math.nan
    reached = np.flatnonzero(sign * step >= 0.63 * abs(gain))
    t63 = float(lag_s[reached[0]]) if reached.size else math.nan
    before = slice(0, reached[0] if reached.size else len(step))
    against = -sign * step[before] - band[before]
    dip = float(-sign * np.max(-sign * step[before][against > 0])) if (against > 0).any() else 0.0
    return {"gain": gain, "dead_time_s": dead, "t63_s": t63, "initial_dip": dip}


def _stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def fir_step_response(data: pd.DataFrame, u: str, y: str, horizon_s: float, step_s: float,
                      mode: str | None = None) -> StepResponse:
    """The step response of ``y`` to ``u`` over ``horizon_s`` from the rows of ``data`` (a grid of
    ``step_s``) where ``mode`` is 0 (manual) and both signals are present. LogError naming what is
    missing when the columns or enough manual data are not there."""
    for c in (u, y) + ((mode,) if mode else ()):
        if c not in data:
            raise LogError(f"identify: the log has no {c!r} channel: expected {u!r} and {y!r}"
                           + (f" and the mode flag {mode!r}" if mode else ""))
    n_lags = max(int(round(horizon_s / step_s)), 2)
    ok = data[u].notna().to_numpy() & data[y].notna().to_numpy()
    if mode:
        ok &= (data[mode] == 0).to_numpy()
    rows_x, rows_y = [], []
    for a, b in _stretches(ok):
        if b - a < MIN_STRETCH_LAGS * n_lags:
            continue
        du = np.diff(data[u].to_numpy(float)[a:b])
        dy = np.diff(data[y].to_numpy(float)[a:b])
        for t in range(n_lags - 1, len(du)):
            rows_x.append(du[t - n_lags + 1:t + 1][::-1])
            rows_y.append(dy[t])
    if len(rows_y) < 3 * n_lags:
        where = f"with {mode} = 0 (manual)" if mode else "with both channels present"
        raise LogError(f"identify {u} -> {y}: {len(rows_y)} usable samples {where}: expected at least {3 * n_lags} "
                       f"(stretches of {MIN_STRETCH_LAGS * n_lags * step_s / 60:.0f} min or more)")
    x, yy = np.array(rows_x), np.array(rows_y)
    h, *_ = np.linalg.lstsq(x, yy, rcond=None)
    resid = yy - x @ h
    sigma2 = float(resid @ resid) / max(len(yy) - n_lags, 1)
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    tri = np.tril(np.ones((n_lags, n_lags)))
    step = tri @ h
    band = Z95 * np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", tri, cov, tri), 0.0))
    return StepResponse(u, y, np.arange(n_lags) * step_s, step, band, len(yy))


def simulated_step(u: str, y: str, horizon_s: float, step_s: float, plant="reference_750tpd",
                   size_share: float = 0.1, settle_s: float = 600.0) -> np.ndarray:
    """The simulator's step response of ``y`` to a step of ``u`` by ``size_share`` of its design
    value at the design point (quiet waste, drum level held by the three-element loop), per unit
    of ``u``, at lags ``0, step_s, ...`` below ``horizon_s``."""
    from sim import Plant
    from sim.envs.base_layer import DrumLevelLoop

    quiet = {"waste": {"moisture_grab_std_pct": 0.0, "ash_grab_std_pct": 0.0, "mixing_noise_std_pct": 0.0}}
    p = Plant.from_config(plant, "steady_design", seed=0, scenario_overrides=quiet)
    loop = DrumLevelLoop(p.design_actuators["feedwater_t_h"] - p.design_steam_t_h, p.actuator_bounds[1][4])
    du = size_share * p.design_actuators[u]

    def advance(seconds: float) -> None:
        for _ in range(int(round(seconds / step_s))):
            p.set_actuators({"feedwater_t_h": loop.feedwater_t_h(p.measurements, step_s)})
            p.advance(step_s)

    advance(settle_s)
    y0 = p.measurements[y]
    p.set_actuators({u: p.design_actuators[u] + du})
    out = []
    for _ in range(max(int(round(horizon_s / step_s)), 2)):
        out.append((p.measurements[y] - y0) / du)
        advance(step_s)
    return np.array(out)


#: Pairs a plant log can identify (input, output, horizon [s]): the feed and air paths of the ACC.
PAIRS = (("feed_rate_t_h", "steam_flow_t_h", 2400.0), ("secondary_air_nm3_h", "o2_wet_vol_pct", 300.0))


def identify(data: pd.DataFrame, step_s: float, mode: str | None = None, plant="reference_750tpd") -> dict:
    """For each of :data:`PAIRS` the log has, the identified response's figures beside the
    simulator's (``{"u -> y": {"log": {...}, "simulated": {...}, "samples": N}}``), and the
    responses themselves (``responses``: name -> (lag_s, step, band, simulated)). A pair the log
    cannot inform is listed with the reason."""
    out, responses = {}, {}
    for u, y, horizon in PAIRS:
        name = f"{u} -> {y}"
        try:
            r = fir_step_response(data, u, y, horizon, step_s, mode)
        except LogError as err:
            out[name] = {"not_identified": str(err)}
            continue
        sim_step = simulated_step(u, y, horizon, step_s, plant)
        out[name] = {"log": r.figures(), "simulated": response_figures(r.lag_s, sim_step), "samples": r.samples}
        responses[name] = (r.lag_s, r.step, r.band, sim_step)
    return {"pairs": out, "responses": responses}
