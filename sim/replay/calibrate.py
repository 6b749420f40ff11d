"""Calibration: fit chosen plant parameters (:mod:`~sim.replay.params`) to a log.

The objective is the open-loop replay's error (:func:`~sim.replay.openloop.replay`) on the key
channels present in the log (steam flow, O2, furnace temperature; each normalised by its logged
standard deviation, every grid point one residual), minimised by ``scipy.optimize.least_squares``
(trust-region reflective, bounds from :data:`~sim.replay.params.PARAMETERS`, finite-difference
Jacobian). A parameter is dropped, with a note, when the log has none of the measurements that
carry information about it (e.g. the thermocouple lag without a furnace temperature).

``max_evaluations`` is a hard budget: every simulation counts (the finite-difference Jacobian's
too, and the two holdout runs); when it is spent the fit stops and keeps the best parameters seen.
A ``holdout`` log (another window of the same plant) is replayed before and after: its fit %
and trips say whether the calibration generalises.

The result holds the values before (the config's) and after, the per-channel NRMSE and fit %
before and after with their ratio (the improvement factor), the trips, and the calibrated plant
config (a valid
``configs/plants`` YAML), the calibrated scenario (mean waste moisture) and, in the notes, the
command corrections (air leakage, fitted command gains: multiply the tag map's ``scale`` of those
tags by them). Fixed parameters enter the simulations and the written configs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import yaml
from scipy.optimize import least_squares
from tqdm import tqdm

from sim.config import load_plant, load_scenario

from .log import PlantLog
from .openloop import (EXPECTED_WASTE, KEY_CHANNELS, SEGMENT_WARMUP_S, OpenLoopResult, build_plant, command_matrix,
                       not_judged, replay)
from .params import PARAMETERS, check_names, lhv_bias_mj_kg, overrides

DEFAULT_PARAMETERS = ("moisture_bias_pct", "wall_emissivity", "thermocouple_tau_s", "air_leak_frac")
#: Finite-difference step, in units of each parameter's ``scale`` [-].
DIFF_STEP = 0.05
#: Residual given to grid points lost after a trip of the simulated plant [std units].
TRIP_RESIDUAL = 10.0


class _BudgetSpent(Exception):
    """The simulation budget is used up."""


@dataclass
class CalibrationResult:
    before: dict[str, float]
    after: dict[str, float]
    metrics_before: dict[str, dict[str, float]]
    metrics_after: dict[str, dict[str, float]]
    plant_yaml: str
    scenario_yaml: str
    evaluations: int
    notes: list[str] = field(default_factory=list)
    replay_before: OpenLoopResult | None = None
    replay_after: OpenLoopResult | None = None
    holdout: dict | None = None

    @property
    def improvement(self) -> dict[str, float]:
        """NRMSE before / after per compared channel (> 1: the calibration helped)."""
        return {c: self.metrics_before[c]["nrmse"] / self.metrics_after[c]["nrmse"]
                for c in self.metrics_after if self.metrics_after[c]["nrmse"] > 0}

    def summary(self) -> dict:
        return {"parameters_before": self.before, "parameters_after": self.after,
                "nrmse_before": {c: m["nrmse"] for c, m in self.metrics_before.items()},
                "nrmse_after": {c: m["nrmse"] for c, m in self.metrics_after.items()},
                "fit_pct_before": {c: m["fit_pct"] for c, m in self.metrics_before.items()},
                "fit_pct_after": {c: m["fit_pct"] for c, m in self.metrics_after.items()},
                "trips_before": _trips(self.replay_before), "trips_after": _trips(self.replay_after),
                "holdout": self.holdout,
                "improvement_factor": self.improvement, "evaluations": self.evaluations, "notes": self.notes}


def _trips(r: OpenLoopResult | None) -> list:
    return [] if r is None else [s["trip"] for s in r.segments if s["trip"]]


def not_judged_here(log: PlantLog) -> dict[str, str]:
    """The log's measurements the open-loop replay cannot score (so calibration does not fit them)."""
    held: dict[str, dict] = {}
    p, _ = build_plant()
    command_matrix(log, p, {}, [], held)
    return not_judged(log, held, level_loop=True)


def usable(log: PlantLog, names) -> tuple[list[str], list[str]]:
    """The parameters the log can inform, and notes on the ones it cannot."""
    keep, notes = [], []
    for n in check_names(names):
        if any(c in log.data for c in PARAMETERS[n].needs):
            keep.append(n)
        else:
            notes.append(f"cannot calibrate {n}: the log has none of {list(PARAMETERS[n].needs)}")
    return keep, notes


def calibrate(log: PlantLog, names=DEFAULT_PARAMETERS, plant="reference_750tpd", scenario=None,
              channels=KEY_CHANNELS, max_evaluations: int = 60, fixed: dict[str, float] | None = None,
              progress: bool = False, holdout: PlantLog | None = None, warmup_s: float = 0.0) -> CalibrationResult:
    """Fit ``names`` to ``log`` (see the module docstring); ``fixed`` holds known parameters at
    given values (names of :data:`~sim.replay.params.PARAMETERS`, not among ``names``);
    ``holdout``: a log to check the calibration on (not fitted; replayed after a warm-up of
    :data:`~sim.replay.openloop.SEGMENT_WARMUP_S`, as a window cut from a longer log);
    ``warmup_s``: the fitting runs' warm-up (:func:`~sim.replay.openloop.replay`)."""
    reserve = 2 if holdout is not None else 0
    if max_evaluations < 1 + reserve:
        raise ValueError(f"max_evaluations={max_evaluations}: expected at least {1 + reserve} (one fitting run"
                         + (" and the two holdout runs)" if reserve else ")"))
    names, notes = usable(log, names)
    fixed = dict(fixed or {})
    if fixed:
        check_names(fixed)
    if set(fixed) & set(names):
        raise ValueError(f"parameters {sorted(set(fixed) & set(names))} are both fitted and fixed")
    channels = [c for c in channels if c in log.data and c not in not_judged_here(log)]
    if not channels:
        raise ValueError(f"calibration needs at least one of {list(KEY_CHANNELS)} in the log; it has {log.measurements}")
    if not names:
        raise ValueError("no parameter can be calibrated from this log:\n" + "\n".join(notes))
    plant_cfg = load_plant(plant)
    scenario_cfg = load_scenario("steady_design", EXPECTED_WASTE) if scenario is None else load_scenario(scenario)
    params = [PARAMETERS[n] for n in names]
    x0 = np.array([p.nominal(plant_cfg) for p in params])
    scale = np.array([p.scale for p in params])
    lo, hi = np.array([p.lo for p in params]), np.array([p.hi for p in params])
    logged = {c: log.data[c].to_numpy(float) for c in channels}
    spread = {c: float(np.nanstd(v)) or 1.0 for c, v in logged.items()}
    spread_d = {c: float(np.nanstd(np.diff(v))) or 1.0 for c, v in logged.items()}
    bar = tqdm(total=max_evaluations, desc="calibrate", unit="run", disable=not progress, leave=False)
    count = [0]
    best: dict = {"cost": np.inf}

    def run(x: np.ndarray, on: PlantLog = log) -> OpenLoopResult:
        if count[0] >= max_evaluations - (reserve if on is log else 0):
            raise _BudgetSpent
        count[0] += 1
        bar.update()
        return replay(on, plant_cfg, scenario_cfg, {**fixed, **dict(zip(names, x))},
                      warmup_s=warmup_s if on is log else SEGMENT_WARMUP_S)

    def residuals(z: np.ndarray) -> np.ndarray:
        result = run(x0 + z * scale)
        sim = result.simulated
        parts = []
        for c in channels:
            s = sim[c].to_numpy()
            r = (s - logged[c]) / spread[c]
            r[np.isnan(s) & np.isfinite(logged[c])] = TRIP_RESIDUAL
            rd = (np.diff(s) - np.diff(logged[c])) / spread_d[c]
            parts += [np.nan_to_num(r, nan=0.0), np.nan_to_num(rd, nan=0.0)]
        res = np.concatenate(parts)
        cost = float(res @ res)
        if "before" not in best:
            best["before"] = result
        if cost < best["cost"]:
            best.update(cost=cost, z=np.array(z, float), result=result)
        return res

    try:
        fit = least_squares(residuals, np.zeros(len(x0)), bounds=((lo - x0) / scale, (hi - x0) / scale),
                            method="trf", diff_step=DIFF_STEP, max_nfev=max_evaluations, x_scale=1.0)
        if not fit.success:
            notes.append(f"optimiser stopped: {fit.message}")
    except _BudgetSpent:
        notes.append(f"simulation budget of {max_evaluations} runs spent: the best parameters seen are kept")
    bar.close()
    before, after = best["before"], best["result"]
    x = x0 + best["z"] * scale
    holdout_report = None
    if holdout is not None:
        h_before, h_after = run(x0, holdout), run(x, holdout)
        keep = [c for c in channels if c in h_before.metrics]
        holdout_report = {"start": str(holdout.local_index[0]), "end": str(holdout.local_index[-1]),
                          "fit_pct_before": {c: h_before.metrics[c]["fit_pct"] for c in keep},
                          "fit_pct_after": {c: h_after.metrics[c]["fit_pct"] for c in keep},
                          "nrmse_before": {c: h_before.metrics[c]["nrmse"] for c in keep},
                          "nrmse_after": {c: h_after.metrics[c]["nrmse"] for c in keep},
                          "trips_before": _trips(h_before), "trips_after": _trips(h_after),
                          "share_compared_pct_after": h_after.share_compared_pct}
    values = dict(zip(names, (float(v) for v in x)))
    plant_over, scen_over, gains = overrides({**fixed, **values}, scenario_cfg)
    cal_plant = load_plant(plant_cfg.model_dump(mode="json"), plant_over)
    cal_scen = load_scenario(scenario_cfg.model_dump(mode="json"), scen_over)
    if "moisture_bias_pct" in values:
        notes.append(f"waste LHV bias {lhv_bias_mj_kg(plant_cfg, scenario_cfg, values['moisture_bias_pct']):+.3f} MJ/kg "
                     "(as a moisture bias; in the calibrated scenario)")
    for a, g in gains.items():
        notes.append(f"{a} received = logged x {g:.4f}: multiply the tag's scale by it")
    return CalibrationResult(
        before=dict(zip(names, (float(v) for v in x0))), after=values,
        metrics_before={c: before.metrics[c] for c in channels}, metrics_after={c: after.metrics[c] for c in channels},
        plant_yaml=_yaml(cal_plant, f"calibrated from {log.source}"),
        scenario_yaml=_yaml(cal_scen, f"calibrated from {log.source}"),
        evaluations=count[0], notes=notes, replay_before=before, replay_after=after, holdout=holdout_report)


def _yaml(cfg, comment: str) -> str:
    return f"# {comment}\n" + yaml.safe_dump(cfg.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
