"""Compare controllers on the scenario library and write one results folder.

    python scripts/benchmark.py [--controllers manual,rule_based,...] [--scenarios all|a,b]
        [--seeds test|train|1,2,3] [--hours H] [--workers N] [--backend serial|process|ray]
        [--address RAY_ADDRESS] [--plant NAME] --out DIR

Runs every controller on every scenario and seed (``WtE/Incinerator-v0``, 10-s control interval,
:func:`agents.run_episode`) and writes, each file atomically:

- ``DIR/results.json``: ``meta`` (plant, controllers, scenarios, seeds per scenario, hours) and
  ``results[controller][scenario][seed]`` = ``{"trip", "hours_run", "gb18485": {...},
  "eu_ied": {...}}`` with every KPI of :func:`sim.kpis.compute` for both standards. It depends only
  on the inputs: the same command gives the same file, with any ``--workers`` and ``--backend``.
- ``DIR/summary.md``: headline KPIs per scenario and controller as the ratio of the seed means to
  the reference controller's (``rule_based`` = 1.00; arrows say which way is better), compliance in
  absolute counts summed over the seeds (GB 18485 and EU IED block means over the limits, 5-min
  furnace means below 850 degC, trips), the reference's absolute values, and the geometric mean of
  the ratios over all scenarios.
- ``DIR/kpi_bars.png`` (headline ratios and compliance counts per scenario) and
  ``DIR/worst_case.png`` (every controller's trajectory on the worst scenario and seed: most
  compliance events plus trips summed over the controllers, ties broken by steam IAE).

Controllers are specs passed to ``agents.make_controller(spec, env)``: the classic names
(``manual``, ``rule_based``, ``fixed``) or ``sb3:PATH.zip`` for a saved Stable-Baselines3 policy
(loaded by :func:`agents.sb3.load_model`, which rebuilds the zip's pickled attributes from the
policy card instead of unpickling them; plain ``PPO.load`` on an untrusted file would run its
code). Specs are separated by
commas, so a path must not contain one.

Defaults: controllers ``manual,rule_based``; every scenario; each scenario's 3 test seeds; each
scenario's own duration (24 h for most, 72 h lhv_drift, 168 h fouling_week; 2,448 plant hours in
all); 2 worker processes. That is about 3 CPU-minutes (the plant runs ~50,000x real time on one
core): 3 min of wall time on 2 cores, more when the cores are shared. ``--hours`` shortens every
run for a quick look.

Backends (:func:`sim.parallel.run_jobs`): ``serial`` (default with ``--workers 1``), ``process``
(default otherwise; ``--workers`` local processes) or ``ray`` (``pip install -e .[ray]``; a local
Ray on ``--workers`` cores (default all), or the cluster at ``--address``, e.g. ``auto`` or
``ray://head:10001``, whose nodes have this project installed). The folder is built in
``DIR.partial/`` next to ``DIR`` and renamed onto ``DIR`` once every file is written, so ``DIR``
is either absent or complete (into an existing ``DIR``, each file replaces its namesake). Each
finished run is written to ``DIR.partial/jobs/`` as it ends; rerunning the same command after an
interruption (Ctrl-C) runs only the missing ones (a controller is identified by its spec: after
retraining a model at the same path, start in a new folder).
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import agents
from agents.acceptance import run_record
import sim  # noqa: F401  (registers the environments)
from sim import kpis, scenarios
from sim.config import ConfigError
from sim.parallel import BACKENDS, run_jobs
from sim.results import plot_trajectories, publish_folder, save_figure, stage_folder, write_json, write_text
from sim.units import ACTUATORS

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
    ctl = agents.make_controller(controller, env)
    df = agents.run_episode(env, ctl, seed=seed, progress=False)
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


# ------------------------------------------------------------------------------ CLI ---
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
        agents.make_controller(spec, env)
    env.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--controllers", default=DEFAULT_CONTROLLERS,
                    help=f"comma-separated controller specs (classic: {sorted(agents.CONTROLLERS)}; sb3:PATH.zip)")
    ap.add_argument("--scenarios", default="all", help=f"'all' or comma-separated names of {scenarios.list_scenarios()}")
    ap.add_argument("--seeds", default="test", help="'test', 'train' (each scenario's set) or comma-separated integers")
    ap.add_argument("--hours", type=float, default=None, help="episode length of every run (default: each scenario's)")
    ap.add_argument("--workers", type=int, default=None,
                    help=f"parallel processes (1 = in this process; default {DEFAULT_WORKERS}, with --backend ray all cores)")
    ap.add_argument("--backend", choices=BACKENDS, default=None,
                    help="where the runs go (default: serial with --workers 1, else process)")
    ap.add_argument("--address", default=None, help="Ray cluster address for --backend ray (default: a local Ray)")
    ap.add_argument("--plant", default="reference_750tpd")
    ap.add_argument("--out", required=True, type=Path, help="results folder (created)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    controllers = [c.strip() for c in args.controllers.split(",") if c.strip()]
    names = scenarios.list_scenarios() if args.scenarios == "all" else [s.strip() for s in args.scenarios.split(",")]
    if len(set(controllers)) != len(controllers) or not controllers:
        ap.error(f"--controllers {args.controllers!r}: expected distinct, non-empty specs")
    if args.workers is not None and args.workers < 1:
        ap.error(f"--workers {args.workers}: expected an integer >= 1")
    backend = args.backend or ("serial" if args.workers == 1 else "process")
    workers = args.workers or (None if backend == "ray" else DEFAULT_WORKERS)
    if args.address is not None and backend != "ray":
        ap.error(f"--address {args.address}: needs --backend ray")
    if args.hours is not None and not (math.isfinite(args.hours) and args.hours > 0):
        ap.error(f"--hours {args.hours}: expected a positive number of hours")
    try:
        configs = {n: scenarios.load(n) for n in names}
        seeds = _parse_seeds(args.seeds, names)
        _check_controllers(controllers, args.plant)
    except (ConfigError, ValueError, OSError) as err:
        ap.error(str(err))

    cases, planned_h = [], {}
    for controller in controllers:
        for name in names:
            for seed in seeds[name]:
                case = (controller, name, seed, args.hours, args.plant)
                cases.append(case)
                planned_h[case] = args.hours or configs[name].duration_h
    stage = stage_folder(args.out)  # DIR.partial/, published onto DIR when complete
    start = time.perf_counter()
    records = run_matrix(cases, workers, not args.no_progress, planned_h, backend, args.address,
                         stage / "jobs")
    results = {c: {n: {str(s): records[(c, n, s, args.hours, args.plant)] for s in seeds[n]} for n in names}
               for c in controllers}
    meta = {"plant": args.plant, "controllers": controllers, "scenarios": names, "seed_set": args.seeds,
            "seeds": seeds, "hours": args.hours, "reference": REFERENCE, "n_runs": len(cases),
            "plant_hours": float(sum(planned_h.values())), "standards": list(kpis.STANDARDS)}
    scenario, seed = worst_case(results, controllers, names)
    meta["worst_case"] = {"scenario": scenario, "seed": seed}
    write_json(stage / "results.json", {"meta": meta, "results": results})
    shutil.rmtree(stage / "jobs")

    runs = {c: simulate(c, scenario, seed, args.hours, args.plant)[0] for c in controllers}
    plot_trajectories(runs, stage / "worst_case.png", f"worst case: {scenario}, seed {seed}")
    plot_kpi_bars(results, meta, REFERENCE, stage / "kpi_bars.png")
    command = "python scripts/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_text(stage / "summary.md",
               summary_markdown(results, meta, REFERENCE, command, time.perf_counter() - start))
    publish_folder(stage, args.out)
    print(f"{len(cases)} runs in {time.perf_counter() - start:.0f} s; results in {args.out}/ "
          "(results.json, summary.md, kpi_bars.png, worst_case.png)")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
