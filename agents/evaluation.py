"""Evaluate a trained policy: the benchmark with the classic controllers and the policy, then
the acceptance bar against ``rule_based``. ``scripts/evaluate.py`` is its command line.

:func:`plan` checks a run folder and the choices (model, controllers, scenarios, seeds, hours)
and returns the benchmark matrix; :func:`run` runs it in this process
(:func:`agents.benchmark.run`) into ``out`` and writes ``acceptance.json`` and ``acceptance.md``
next to the benchmark's ``results.json``, ``summary.md``, ``kpi_bars.png`` and
``worst_case.png``. The bar (:func:`agents.acceptance.acceptance`):

* steam-flow std at least 20 % lower (ratio of the means over all scenario/seed runs <= 0.80);
* net kWh/t not lower;
* no more emission block exceedances (GB 18485 and EU IED, all windows) and no more 5-min
  furnace means below 850 degC than rule_based, and no more trips;

and, as measured, reagents (lime, urea, activated carbon kg/t), CO and NOx (g/t).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sim.results import write_text

from . import benchmark
from .acceptance import STEAM_STD_MAX_RATIO, acceptance
from .train_config import TrainConfig, load_config

POLICY = "policy"
REFERENCE = "rule_based"


@dataclass(frozen=True)
class Evaluation:
    """A checked evaluation (:func:`plan`)."""

    run: Path
    model: Path
    config: TrainConfig
    seeds: str            # "test" or "holdout"
    scenarios: str        # as the benchmark's --scenarios: "all" or comma-separated names
    matrix: benchmark.Matrix


def _runs(results: dict, controller: str) -> list[dict]:
    return [run for by_seed in results[controller].values() for run in by_seed.values()]


def acceptance_markdown(acc: dict, model: Path, selection_note: str) -> str:
    lines = [f"# {model}: acceptance against rule_based", "", selection_note, "",
             f"{acc['runs']} runs (scenarios x seeds).", "",
             "| check | value | passed |", "|---|---|---|",
             f"| steam-flow std ratio (<= {STEAM_STD_MAX_RATIO}) | {acc['steam_std_ratio']:.3f} | "
             f"{acc['checks'][f'steam_std_ratio<={STEAM_STD_MAX_RATIO:.2f}']} |",
             f"| net kWh/t ratio (>= 1) | {acc['net_kwh_per_t_ratio']:.4f} | {acc['checks']['net_kwh_per_t_ratio>=1']} |"]
    for k, v in acc["breaches"]["policy"].items():
        lines.append(f"| {k} (policy / rule_based) | {v} / {acc['breaches']['rule_based'][k]} | "
                     f"{acc['checks'][f'{k}_not_more']} |")
    lines += ["", "| measured (mean over runs) | policy | rule_based |", "|---|---|---|"]
    lines += [f"| {label} | {v['policy']:.3g} | {v['rule_based']:.3g} |" for label, v in acc["measured"].items()]
    lines += ["", f"**{'PASSED' if acc['passed'] else 'NOT PASSED'}**", ""]
    return "\n".join(lines)


def model_path(run: Path, choice: str | None = None) -> Path:
    """The model ``--model`` names: ``best`` (default when present), ``final`` or a path to a .zip."""
    choice = choice or ("best" if (run / "best_model.zip").is_file() else "final")
    if choice in ("best", "final"):
        path = run / ("best_model.zip" if choice == "best" else "model.zip")
    else:
        path = Path(choice)
    if not path.is_file():
        raise FileNotFoundError(f"--model {choice}: {path} does not exist")
    return path


def holdout_seeds(cfg) -> str:
    """The run's held-out train seeds as ``--seeds`` for the benchmark, one list for every scenario
    (a scenario the run did not train on had none of its seeds seen)."""
    if cfg.eval.seeds != "holdout":
        raise ValueError("--seeds holdout: the run held no train seeds out (eval.seeds: test)")
    held = {evaluation for _, evaluation in cfg.seeds().values()}
    if len(held) != 1:
        raise ValueError(f"--seeds holdout: the scenarios hold out different seeds {sorted(held)}; evaluate them one by one")
    return ",".join(map(str, held.pop()))


def plan(run: Path, model: str | None = None, controllers: tuple[str, ...] | list[str] = ("manual", "rule_based"),
         scenarios: str = "all", seeds: str = "test", hours: float | None = None) -> Evaluation:
    """Check the run folder and the choices; the benchmark matrix of the classic ``controllers``
    (``rule_based`` always included) and ``sb3:<model>`` on ``scenarios`` (``all``, ``run``: the
    run's training scenarios, or comma-separated names) and ``seeds`` (``test``: each scenario's
    test seeds; ``holdout``: the run's held-out train seeds), on the benchmark's default plant.
    ValueError / FileNotFoundError / :class:`sim.config.ConfigError` name what does not fit."""
    run = Path(run)
    cfg = load_config(run / "config.yaml")
    path = model_path(run, model)
    seed_set = "test" if seeds == "test" else holdout_seeds(cfg)
    specs = list(dict.fromkeys([*controllers, REFERENCE, f"sb3:{path}"]))
    names = ",".join(cfg.env.scenarios) if scenarios == "run" else scenarios
    matrix = benchmark.plan(specs, "all" if names == "all" else [s.strip() for s in names.split(",")], seed_set, hours)
    return Evaluation(run, path, cfg, seeds, names, matrix)


def default_out(ev: Evaluation) -> Path:
    """``RUN/evaluation`` (test seeds) or ``RUN/evaluation_holdout``."""
    return ev.run / ("evaluation" if ev.seeds == "test" else "evaluation_holdout")


def run(ev: Evaluation, out: Path, workers: int = 2, progress: bool = True) -> dict:
    """Run the evaluation into ``out`` (``workers`` processes; 1: in this process); returns the
    acceptance record (what acceptance.json holds)."""
    out = Path(out)
    m = ev.matrix
    command = (f"python scripts/benchmark.py --controllers {','.join(m.controllers)} --scenarios {ev.scenarios} "
               f"--seeds {m.seed_set} --workers {workers} --out {out}"
               + (f" --hours {m.hours}" if m.hours else "") + ("" if progress else " --no-progress"))
    results = benchmark.run(m, out, workers, "serial" if workers == 1 else "process", progress=progress,
                            command=command)["results"]
    results[POLICY] = results.pop(f"sb3:{ev.model}")
    acc = {"model": str(ev.model), "seeds": ev.seeds,
           **acceptance(_runs(results, POLICY), _runs(results, REFERENCE))}
    note = ("Held-out train seeds (for choosing among models; not the test seeds)." if ev.seeds == "holdout" else
            "Model chosen on held-out train seeds; the test seeds were not seen in training or model selection."
            if ev.config.eval.seeds == "holdout" else
            "Caution: the run evaluated on the test seeds during training (eval.seeds: test), so the best-model "
            "choice has seen them and these figures are optimistic.")
    write_text(out / "acceptance.json", json.dumps(acc, indent=1))
    write_text(out / "acceptance.md", acceptance_markdown(acc, ev.model, note))
    return acc
