"""The bar a learned controller must clear against ``rule_based``, on run records.

A *run record* is what the benchmark stores per (controller, scenario, seed) in ``results.json``:
``{"trip", "hours_run", "gb18485": kpis, "eu_ied": kpis}`` (:func:`run_record`). The bar (issue
"A learned controller worth shipping"), judged on a set of runs of the policy and the same runs
of ``rule_based``:

* steam-flow std at least 20 % lower (ratio of the means over the runs <= :data:`STEAM_STD_MAX_RATIO`);
* net kWh/t not lower (ratio of the means >= 1);
* no more emission block exceedances (GB 18485 and EU IED, all windows), no more 5-min furnace
  means below 850 degC and no more trips, counted over all runs.

``scripts/evaluate.py`` applies it on the test seeds; training (:mod:`agents.training`) applies
it on the held-out train seeds to choose its best model.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim import kpis

__all__ = ["STEAM_STD_MAX_RATIO", "run_record", "breaches", "acceptance", "MEASURED", "mean_steam_error_t_h"]

#: Required improvement of the steam-flow std over rule_based (issue: "at least 20 %").
STEAM_STD_MAX_RATIO = 0.80
#: (label, kpi key in the gb18485 dict, sub-key or None) reported as measured.
MEASURED = (("lime kg/t", "lime_kg_per_t", None), ("urea kg/t", "urea_kg_per_t", None),
            ("carbon kg/t", "carbon_kg_per_t", None), ("CO g/t", "emissions_g_per_t", "co"),
            ("NOx g/t", "emissions_g_per_t", "nox"), ("O2 std %", "o2_std_vol_pct", None))
#: Label of :func:`mean_steam_error_t_h` among the measured figures.
STEAM_ERROR_LABEL = "steam |flow - setpoint| t/h"


def run_record(trajectory: pd.DataFrame, actuator_ranges: Mapping[str, float] | None = None) -> dict:
    """The record of one episode (``agents.run_episode`` output): trip, hours run and the KPIs
    under every standard of :data:`sim.kpis.STANDARDS`."""
    record = {"trip": trajectory.attrs["trip"], "hours_run": float(trajectory["time_s"].iloc[-1] / 3600.0)}
    for standard in kpis.STANDARDS:
        record[standard] = kpis.compute(trajectory, standard, actuator_ranges=actuator_ranges)
    return record


def mean_kpi(runs: Sequence[dict], key: str, sub: str | None = None) -> float:
    """Mean over ``runs`` of a GB 18485 KPI (``sub``: key inside a dict KPI); NaN if none has it."""
    values = []
    for run in runs:
        v = run["gb18485"].get(key)
        v = v.get(sub) if sub is not None and isinstance(v, dict) else v
        if v is not None:
            values.append(float(v))
    return float(np.mean(values)) if values else float("nan")


def mean_steam_error_t_h(runs: Sequence[dict]) -> float:
    """Mean over ``runs`` of the mean absolute deviation of steam flow from its setpoint [t/h]
    (``steam_flow_iae_t / duration_h``): steam steadiness without the setpoint's own moves, which
    the std counts (load_change), reported beside the bar."""
    return float(np.mean([run["gb18485"]["steam_flow_iae_t"] / run["gb18485"]["duration_h"] for run in runs]))


def breaches(runs: Sequence[dict]) -> dict[str, int]:
    """Emission block exceedances (both standards, all windows), 5-min furnace means below
    850 degC and trips, summed over ``runs``."""
    emissions = sum(n for run in runs for std in ("gb18485", "eu_ied")
                    for windows in run[std]["exceedances"].values() for n in windows.values())
    return {"emission_exceedances": int(emissions),
            "furnace_below_850_5min": int(sum(run["gb18485"]["furnace_below_850_5min_count"] or 0 for run in runs)),
            "trips": int(sum(run["trip"] is not None for run in runs))}


def acceptance(policy_runs: Sequence[dict], reference_runs: Sequence[dict]) -> dict:
    """The policy's runs against the reference's (the same episodes) on the bar (module docstring)."""
    p, r = list(policy_runs), list(reference_runs)
    steam = mean_kpi(p, "steam_flow_std_t_h") / mean_kpi(r, "steam_flow_std_t_h")
    net = mean_kpi(p, "net_kwh_per_t") / mean_kpi(r, "net_kwh_per_t")
    bp, br = breaches(p), breaches(r)
    checks = {f"steam_std_ratio<={STEAM_STD_MAX_RATIO:.2f}": steam <= STEAM_STD_MAX_RATIO,
              "net_kwh_per_t_ratio>=1": net >= 1.0, **{f"{k}_not_more": bp[k] <= br[k] for k in bp}}
    measured = {label: {"policy": mean_kpi(p, key, sub), "rule_based": mean_kpi(r, key, sub)}
                for label, key, sub in MEASURED}
    measured[STEAM_ERROR_LABEL] = {"policy": mean_steam_error_t_h(p), "rule_based": mean_steam_error_t_h(r)}
    return {"steam_std_ratio": steam, "net_kwh_per_t_ratio": net, "breaches": {"policy": bp, "rule_based": br},
            "measured": measured, "checks": checks, "passed": all(checks.values()), "runs": len(p)}
