"""Compare a trained policy with the classic controllers on the scenarios' test seeds.

    python scripts/evaluate.py runs/NAME [--model best|final|PATH.zip] [--controllers manual,rule_based]
        [--scenarios all|run|a,b] [--seeds test|holdout] [--hours H] [--workers N] [--out DIR]

Runs ``scripts/benchmark.py`` with the classic controllers and ``sb3:<model>`` (the policy as
``agents.make_controller`` loads it, on ``WtE/Incinerator-v0``) on the test seeds of every chosen
scenario (default: the whole scenario library; ``run``: the scenarios the policy trained on),
into ``DIR`` (default ``runs/NAME/evaluation``): the benchmark's ``results.json``,
``summary.md``, ``kpi_bars.png``, ``worst_case.png``, and ``acceptance.json``/``acceptance.md``:
the policy against ``rule_based`` on the bar a learned controller must clear (issue "A learned
controller worth shipping"):

* steam-flow std at least 20 % lower (ratio of the means over all scenario/seed runs <= 0.80);
* net kWh/t not lower;
* no more emission block exceedances (GB 18485 and EU IED, all windows) and no more 5-min
  furnace means below 850 degC than rule_based, and no more trips;

and, as measured, reagents (lime, urea, activated carbon kg/t), CO and NOx (g/t). ``--model best``
(default when it exists) is ``runs/NAME/best_model.zip``, chosen on held-out *train* seeds, so the
test seeds here are unseen by training and by model selection (unless the run's config said
``eval.seeds: test``; then the report says so).

``--seeds holdout`` runs the same comparison on the run's held-out *train* seeds instead
(``eval.holdout`` per scenario, the seeds training evaluated on, but at each scenario's full
length), into ``runs/NAME/evaluation_holdout`` by default: for choosing among checkpoints
(``--model runs/NAME/checkpoints/step_N.zip``) without looking at the test seeds.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from agents.acceptance import STEAM_STD_MAX_RATIO, acceptance

ROOT = Path(__file__).resolve().parent.parent
POLICY = "policy"
REFERENCE = "rule_based"


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


def _model_path(run: Path, choice: str) -> Path:
    if choice in ("best", "final"):
        path = run / ("best_model.zip" if choice == "best" else "model.zip")
    else:
        path = Path(choice)
    if not path.is_file():
        raise FileNotFoundError(f"--model {choice}: {path} does not exist")
    return path


def _holdout_seeds(cfg) -> str:
    """The run's held-out train seeds as ``--seeds`` for the benchmark, one list for every scenario
    (a scenario the run did not train on had none of its seeds seen)."""
    if cfg.eval.seeds != "holdout":
        raise ValueError("--seeds holdout: the run held no train seeds out (eval.seeds: test)")
    held = {evaluation for _, evaluation in cfg.seeds().values()}
    if len(held) != 1:
        raise ValueError(f"--seeds holdout: the scenarios hold out different seeds {sorted(held)}; evaluate them one by one")
    return ",".join(map(str, held.pop()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("run", type=Path, help="run folder written by scripts/train.py")
    ap.add_argument("--model", default=None, help="best (default if present), final, or a path to a .zip")
    ap.add_argument("--controllers", default="manual,rule_based", help="classic controllers to compare (rule_based is always included)")
    ap.add_argument("--scenarios", default="all", help="'all', 'run' (the run's training scenarios) or names a,b")
    ap.add_argument("--seeds", choices=("test", "holdout"), default="test",
                    help="the scenarios' test seeds (default) or the run's held-out train seeds, for model choice")
    ap.add_argument("--hours", type=float, default=None, help="episode length (default: each scenario's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="default: RUN/evaluation (--seeds holdout: RUN/evaluation_holdout)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    from agents.train_config import load_config

    try:
        cfg = load_config(args.run / "config.yaml")
        model = _model_path(args.run, args.model or ("best" if (args.run / "best_model.zip").is_file() else "final"))
        seeds = "test" if args.seeds == "test" else _holdout_seeds(cfg)
    except (ValueError, FileNotFoundError) as err:
        ap.error(str(err))
    classic = [c.strip() for c in args.controllers.split(",") if c.strip()]
    controllers = list(dict.fromkeys(classic + [REFERENCE, f"sb3:{model}"]))
    scenarios = ",".join(cfg.env.scenarios) if args.scenarios == "run" else args.scenarios
    out = args.out or args.run / ("evaluation" if args.seeds == "test" else "evaluation_holdout")
    cmd = [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--controllers", ",".join(controllers),
           "--scenarios", scenarios, "--seeds", seeds, "--workers", str(args.workers), "--out", str(out)]
    cmd += (["--hours", str(args.hours)] if args.hours else []) + (["--no-progress"] if args.no_progress else [])
    subprocess.run(cmd, check=True)

    from sim.results import write_text

    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"]
    results[POLICY] = results.pop(f"sb3:{model}")
    acc = acceptance(_runs(results, POLICY), _runs(results, REFERENCE))
    note = ("Held-out train seeds (for choosing among models; not the test seeds)." if args.seeds == "holdout" else
            "Model chosen on held-out train seeds; the test seeds were not seen in training or model selection."
            if cfg.eval.seeds == "holdout" else
            "Caution: the run evaluated on the test seeds during training (eval.seeds: test), so the best-model "
            "choice has seen them and these figures are optimistic.")
    write_text(out / "acceptance.json", json.dumps({"model": str(model), "seeds": args.seeds, **acc}, indent=1))
    text = acceptance_markdown(acc, model, note)
    write_text(out / "acceptance.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
