"""The controller benchmark: every controller on every scenario and seed, one results folder.

``scripts/benchmark.py`` is its command line; ``scripts/evaluate.py`` (:mod:`agents.evaluation`)
runs it in-process. :func:`plan` checks the inputs (a bad one raises before anything runs) and
:func:`run` runs the matrix and writes the folder::

    matrix = plan(["manual", "rule_based"], "all", "test", hours=None, plant="reference_750tpd")
    run(matrix, Path("out"), workers=2, backend="process")

What it writes (each file atomically):

- ``DIR/results.json``: ``meta`` (plant, controllers, scenarios, seeds per scenario, hours) and
  ``results[controller][scenario][seed]`` = ``{"trip", "hours_run", "gb18485": {...},
  "eu_ied": {...}}`` with every KPI of :func:`sim.kpis.compute` for both standards. It depends only
  on the inputs: the same matrix gives the same file, with any ``workers`` and ``backend``.
- ``DIR/summary.md``: headline KPIs per scenario and controller as the ratio of the seed means to
  the reference controller's (``rule_based`` = 1.00; arrows say which way is better), compliance in
  absolute counts summed over the seeds (GB 18485 and EU IED block means over the limits, 5-min
  furnace means below 850 degC, trips), the reference's absolute values, and the geometric mean of
  the ratios over all scenarios.
- ``DIR/kpi_bars.png`` (headline ratios and compliance counts per scenario) and
  ``DIR/worst_case.png`` (every controller's trajectory on the worst scenario and seed: most
  compliance events plus trips summed over the controllers, ties broken by steam IAE).

Each run is ``WtE/Incinerator-v0`` at its 10-s control interval under :func:`agents.run_episode`;
controllers are specs of ``agents.make_controller(spec, env)`` (classic names or
``sb3:PATH.zip``). Runs go through :func:`sim.parallel.run_jobs` (backends ``serial``,
``process``, ``ray``). The folder is built in ``DIR.partial/`` and renamed onto ``DIR`` when
complete; each finished run is written to ``DIR.partial/jobs/`` as it ends, so the same matrix
after an interruption runs only the missing ones; the jobs are removed once ``results.json`` is
written.
"""
from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import sim  # noqa: F401  (registers the environments)
from sim import kpis, scenarios
from sim.parallel import run_jobs
from sim.results import plot_trajectories, publish_folder, save_figure, stage_folder, write_json, write_text
from sim.units import ACTUATORS

from . import make_controller, run_episode
from .acceptance import run_record

REFERENCE = "rule_based"
DEFAULT_CONTROLLERS = "manual,rule_based"
DEFAULT_WORKERS = 2
#: Headline KPIs shown as ratios to the reference: (label, standard, key, +1 if higher is better).
HEADLINE: tuple[tuple[str, str, str, int], ...] = (
    ("net kWh/t", "gb18485", "net_kwh_per_t", +1),
    ("steam std", "gb18485", "steam_flow_std_t_h", -1),
    ("steam IAE", "gb18485", "steam_flow_iae_t", -1),
    ("O2 std", "gb18485", "o2_std_vol_pct", -1),
    ("furnace T std", "gb18485", "furnace_temp_std_degc", -1),
    ("NOx g/t", "gb18485", "emissions_g_per_t.nox", -1),
    ("CO g/t", "gb18485", "emissions_g_per_t.co", -1),
    ("lime kg/t", "gb18485", "lime_kg_per_t", -1),
    ("urea kg/t", "gb18485", "urea_kg_per_t", -1),
    ("travel %/h", "gb18485", "actuator_travel_pct_per_h", -1),
)
#: Compliance columns, absolute counts summed over seeds: label -> function of one run's record.
COMPLIANCE = {
    "GB exceed.": lambda r: _sum_counts(r["gb18485"]["exceedances"]),
    "EU exceed.": lambda r: _sum_counts(r["eu_ied"]["exceedances"]),
    "<850 5-min": lambda r: r["gb18485"]["furnace_below_850_5min_count"] or 0,
    "aux MWh": lambda r: r["gb18485"]["aux_fuel_mwh"] or 0.0,
    "trips": lambda r: int(r["trip"] is not None),
}


# ------------------------------------------------------------------------------ running ---
def simulate(controller: str, scenario: str, seed: int, hours: float | None, plant: str):
    """One episode; returns (trajectory DataFrame, actuator spans)."""
    env = gym.make("WtE/Incinerator-v0", plant=plant, scenario=scenario, episode_hours=hours)
    ctl = make_controller(controller, env)
    df = run_episode(env, ctl, seed=seed, progress=False)
    lower, upper = env.unwrapped.plant.actuator_bounds
    spans = dict(zip(ACTUATORS, (upper - lower).tolist()))
    env.close()
    return df, spans


def run_case(case: tuple) -> tuple[tuple, dict]:
    """Run one (controller, scenario, seed, hours, plant) case; its record for results.json."""
    df, spans = simulate(*case)
    return case, run_record(df, spans)


def case_record(case: tuple) -> dict:
    """The results.json record of one case (the job of :func:`run_matrix`)."""
    return run_case(tuple(case))[1]


def run_matrix(cases: list[tuple], workers: int, progress: bool, planned_h: dict, backend: str = "serial",
               address: str | None = None, jobs_dir: Path | None = None) -> dict:
    """Records by case (:func:`sim.parallel.run_jobs`, streamed to ``jobs_dir``); the progress bar
    counts plant hours."""
    bar = tqdm(total=sum(planned_h.values()), unit="h", desc="benchmark (plant hours)", disable=not progress,
               bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} h [{elapsed}<{remaining}]")
    records = run_jobs(case_record, cases, backend=backend, workers=workers, address=address, out=jobs_dir,
                       on_result=lambda case, _: bar.update(planned_h[case]))
    bar.close()
    return dict(zip(cases, records))


# ------------------------------------------------------------------------------ summary ---
def _sum_counts(nested: dict) -> int:
    return int(sum(sum(windows.values()) for windows in nested.values()))


def _kpi(record: dict, standard: str, key: str) -> float | None:
    value = record[standard]
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _seed_mean(runs: dict, standard: str, key: str) -> float | None:
    values = [v for r in runs.values() if (v := _kpi(r, standard, key)) is not None]
    return float(np.mean(values)) if values else None


def _ratio(value: float | None, ref: float | None) -> float | None:
    if value is None or ref is None or ref == 0.0:
        return None
    return value / ref


def ratios(results: dict, controller: str, scenario: str, reference: str) -> dict[str, float | None]:
    """Headline label -> seed-mean KPI of ``controller`` / that of ``reference`` on ``scenario``."""
    runs, ref = results[controller][scenario], results[reference][scenario]
    return {label: _ratio(_seed_mean(runs, std, key), _seed_mean(ref, std, key)) for label, std, key, _ in HEADLINE}


def compliance(results: dict, controller: str, scenario: str) -> dict[str, float]:
    """Compliance label -> sum over the scenario's seeds."""
    runs = results[controller][scenario].values()
    return {label: sum(f(r) for r in runs) for label, f in COMPLIANCE.items()}


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(results: dict, meta: dict, reference: str, command: str, wall_s: float) -> str:
    """The summary.md text (see the module docstring)."""
    controllers, scenario_names = meta["controllers"], meta["scenarios"]
    arrows = {label: ("↑" if better > 0 else "↓") for label, _, _, better in HEADLINE}
    out = ["# Controller benchmark", "",
           f"`{command}`", "",
           f"Plant `{meta['plant']}`; seeds: {meta['seed_set']}; hours: "
           f"{'each scenario’s duration' if meta['hours'] is None else meta['hours']}; "
           f"{meta['n_runs']} runs, {meta['plant_hours']:.0f} plant hours in {wall_s:.0f} s wall time.", ""]
    has_ref = reference in controllers
    if has_ref:
        out += [f"Headline KPIs: seed mean of the controller / seed mean of `{reference}` on the same scenario "
                "(1.00 = as good as the reference; ↑ higher is better, ↓ lower is better; — = not defined). "
                "Compliance columns are absolute counts summed over the seeds: block means over the limits "
                "(GB 18485 1 h + 24 h; EU IED 30 min + 10 min CO + 24 h), 5-min furnace means below 850 °C, "
                "auxiliary fuel in MWh, runs ended by a trip. A tripped run ends at the trip: its KPIs cover "
                "the time until then, so where trip counts differ the ratios compare different stretches "
                "of plant time.", ""]
    else:
        out += [f"`{reference}` is not among the controllers: headline KPIs are not normalised (—).", ""]
    header = ["scenario", "controller", *[f"{label} {arrows[label]}" for label, *_ in HEADLINE], *COMPLIANCE]
    rows, all_ratios = [], {c: [] for c in controllers}
    for scenario in scenario_names:
        for controller in controllers:
            r = ratios(results, controller, scenario, reference) if has_ref else dict.fromkeys(arrows)
            c = compliance(results, controller, scenario)
            rows.append([scenario, controller, *(_fmt(r[label]) for label, *_ in HEADLINE),
                         *(_fmt(c[label], 1) for label in COMPLIANCE)])
            all_ratios[controller].append(r)
    out += [_table(header, rows), ""]
    if has_ref:
        out += ["## All scenarios", "",
                "Geometric mean of the ratios over the scenarios; compliance summed over all runs.", ""]
        rows = []
        for controller in controllers:
            geo = []
            for label, *_ in HEADLINE:
                vals = [r[label] for r in all_ratios[controller] if r[label] is not None and r[label] > 0]
                geo.append(_fmt(math.exp(np.mean(np.log(vals))) if vals else None))
            total = {label: sum(compliance(results, controller, s)[label] for s in scenario_names)
                     for label in COMPLIANCE}
            rows.append([controller, *geo, *(_fmt(total[label], 1) for label in COMPLIANCE)])
        out += [_table(["controller", *header[2:]], rows), ""]
        out += [f"## `{reference}` in absolute terms (seed means)", ""]
        rows = [[scenario, *(_fmt(_seed_mean(results[reference][scenario], std, key)) for _, std, key, _ in HEADLINE)]
                for scenario in scenario_names]
        out += [_table(["scenario", *(label for label, *_ in HEADLINE)], rows), ""]
    out += ["Plots: `kpi_bars.png` (ratios and compliance per scenario), `worst_case.png` "
            f"(trajectories on the worst case: {meta['worst_case']['scenario']}, seed {meta['worst_case']['seed']}).", ""]
    return "\n".join(out)


def worst_case(results: dict, controllers: list[str], scenario_names: list[str]) -> tuple[str, int]:
    """The (scenario, seed) with the most compliance events and trips over all controllers; ties
    broken by the summed steam IAE per hour run."""
    def score(scenario: str, seed: str):
        events = iae = 0.0
        for c in controllers:
            r = results[c][scenario][seed]
            comp = {label: f(r) for label, f in COMPLIANCE.items()}
            events += comp["GB exceed."] + comp["<850 5-min"] + 100 * comp["trips"]
            iae += (r["gb18485"]["steam_flow_iae_t"] or 0.0) / max(r["hours_run"], 1e-9)
        return events, iae

    keys = [(s, seed) for s in scenario_names for seed in results[controllers[0]][s]]
    scenario, seed = max(keys, key=lambda k: score(*k))
    return scenario, int(seed)


def plot_kpi_bars(results: dict, meta: dict, reference: str, path: Path) -> None:
    import matplotlib.pyplot as plt

    controllers, names = meta["controllers"], meta["scenarios"]
    has_ref = reference in controllers
    panels = ([(label, "ratio") for label, *_ in HEADLINE] if has_ref else []) + \
             [(label, "count") for label in ("GB exceed.", "<850 5-min", "trips")]
    ncols = 2
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(14, 2.4 * nrows), sharex=True, squeeze=False)
    x = np.arange(len(names))
    width = 0.8 / len(controllers)
    for ax, (label, kind) in zip(axes.flat, panels):
        for i, controller in enumerate(controllers):
            if kind == "ratio":
                vals = [ratios(results, controller, s, reference)[label] for s in names]
            else:
                vals = [compliance(results, controller, s)[label] for s in names]
            vals = [np.nan if v is None else v for v in vals]
            ax.bar(x + (i - (len(controllers) - 1) / 2) * width, vals, width, label=controller)
        if kind == "ratio":
            ax.axhline(1.0, color="k", lw=0.8)
        ax.set_title(f"{label} ({'/ ' + reference if kind == 'ratio' else 'sum over seeds'})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


# ------------------------------------------------------------------------------ the matrix ---
def _parse_seeds(text: str, scenario_names: list[str]) -> dict[str, list[int]]:
    if text in scenarios.SEED_SETS:
        return {s: list(scenarios.seeds(s, text)) for s in scenario_names}
    try:
        seeds = [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"--seeds {text!r}: expected 'test', 'train' or comma-separated integers") from None
    return {s: seeds for s in scenario_names}


def _check_controllers(specs: list[str], plant: str) -> None:
    """Build every controller once so that a bad spec fails before the matrix runs."""
    env = gym.make("WtE/Incinerator-v0", plant=plant, scenario="steady_design", episode_hours=0.01)
    for spec in specs:
        make_controller(spec, env)
    env.close()



@dataclass(frozen=True)
class Matrix:
    """A checked benchmark matrix (:func:`plan`): the cases and what results.json's meta says."""

    controllers: tuple[str, ...]
    scenarios: tuple[str, ...]
    seed_set: str
    seeds: dict[str, list[int]]
    hours: float | None
    plant: str
    planned_h: dict[tuple, float]

    @property
    def cases(self) -> list[tuple]:
        """(controller, scenario, seed, hours, plant) of every run, in results order."""
        return list(self.planned_h)


def plan(controllers: list[str], scenario_names: str | list[str], seeds: str, hours: float | None = None,
         plant: str = "reference_750tpd") -> Matrix:
    """Check the inputs and list the runs. ``scenario_names``: ``"all"`` or names; ``seeds``:
    ``"test"``, ``"train"`` or comma-separated integers; ``hours``: None (each scenario's
    duration) or a positive episode length. Raises ValueError (bad controllers, seeds, hours),
    :class:`sim.config.ConfigError` (unknown scenario) or OSError (a model file) naming the input;
    every controller is built once, so a bad spec fails before the matrix runs."""
    if not controllers or len(set(controllers)) != len(controllers):
        raise ValueError(f"--controllers {','.join(controllers)!r}: expected distinct, non-empty specs")
    if hours is not None and not (math.isfinite(hours) and hours > 0):
        raise ValueError(f"--hours {hours}: expected a positive number of hours")
    names = scenarios.list_scenarios() if scenario_names == "all" else list(scenario_names)
    configs = {n: scenarios.load(n) for n in names}
    by_scenario = _parse_seeds(seeds, names)
    _check_controllers(controllers, plant)
    planned_h = {(c, n, s, hours, plant): hours or configs[n].duration_h
                 for c in controllers for n in names for s in by_scenario[n]}
    return Matrix(tuple(controllers), tuple(names), seeds, by_scenario, hours, plant, planned_h)


def run(matrix: Matrix, out: Path, workers: int | None = 1, backend: str = "serial", address: str | None = None,
        progress: bool = True, command: str = "") -> dict:
    """Run ``matrix`` into the folder ``out`` and return results.json's content. ``command`` is
    the command line summary.md shows. The folder is built in ``OUT.partial/`` and renamed onto
    ``out`` when complete, so an interrupted run leaves no half-written ``out`` (the same command
    then resumes from ``OUT.partial/jobs``)."""
    out = Path(out)
    controllers, names, seeds = list(matrix.controllers), list(matrix.scenarios), matrix.seeds
    stage = stage_folder(out)
    start = time.perf_counter()
    records = run_matrix(matrix.cases, workers, progress, matrix.planned_h, backend, address, stage / "jobs")
    results = {c: {n: {str(s): records[(c, n, s, matrix.hours, matrix.plant)] for s in seeds[n]} for n in names}
               for c in controllers}
    meta = {"plant": matrix.plant, "controllers": controllers, "scenarios": names, "seed_set": matrix.seed_set,
            "seeds": seeds, "hours": matrix.hours, "reference": REFERENCE, "n_runs": len(matrix.cases),
            "plant_hours": float(sum(matrix.planned_h.values())), "standards": list(kpis.STANDARDS)}
    scenario, seed = worst_case(results, controllers, names)
    meta["worst_case"] = {"scenario": scenario, "seed": seed}
    data = {"meta": meta, "results": results}
    write_json(stage / "results.json", data)
    shutil.rmtree(stage / "jobs")

    runs = {c: simulate(c, scenario, seed, matrix.hours, matrix.plant)[0] for c in controllers}
    plot_trajectories(runs, stage / "worst_case.png", f"worst case: {scenario}, seed {seed}")
    plot_kpi_bars(results, meta, REFERENCE, stage / "kpi_bars.png")
    write_text(stage / "summary.md", summary_markdown(results, meta, REFERENCE, command, time.perf_counter() - start))
    publish_folder(stage, out)
    return data
