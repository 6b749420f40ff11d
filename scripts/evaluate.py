"""Compare a trained policy with the classic controllers on the scenarios' test seeds.

    python scripts/evaluate.py runs/NAME [--model best|final|PATH.zip] [--controllers manual,rule_based]
        [--scenarios all|run|a,b] [--seeds test|holdout] [--hours H] [--workers N] [--out DIR]

Runs the benchmark (:mod:`agents.benchmark`, in this process) with the classic controllers and
``sb3:<model>`` (the policy as ``agents.make_controller`` loads it, on ``WtE/Incinerator-v0``) on
the test seeds of every chosen scenario (default: the whole scenario library; ``run``: the
scenarios the policy trained on), into ``DIR`` (default ``runs/NAME/evaluation``): the
benchmark's ``results.json``, ``summary.md``, ``kpi_bars.png``, ``worst_case.png``, and
``acceptance.json``/``acceptance.md``: the policy against ``rule_based`` on the bar a learned
controller must clear (issue "A learned controller worth shipping"; the checks are listed in
:mod:`agents.evaluation`). ``--model best`` (default when it exists) is
``runs/NAME/best_model.zip``, chosen on held-out *train* seeds, so the test seeds here are unseen
by training and by model selection (unless the run's config said ``eval.seeds: test``; then the
report says so).

``--seeds holdout`` runs the same comparison on the run's held-out *train* seeds instead
(``eval.holdout`` per scenario, the seeds training evaluated on, but at each scenario's full
length), into ``runs/NAME/evaluation_holdout`` by default: for choosing among checkpoints
(``--model runs/NAME/checkpoints/step_N.zip``) without looking at the test seeds.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.config import ConfigError


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
    if args.workers < 1:
        ap.error(f"--workers {args.workers}: expected an integer >= 1")

    from agents import evaluation

    classic = [c.strip() for c in args.controllers.split(",") if c.strip()]
    try:
        ev = evaluation.plan(args.run, args.model, classic, args.scenarios, args.seeds, args.hours)
    except (ConfigError, ValueError, OSError) as err:
        ap.error(str(err))
    out = args.out or evaluation.default_out(ev)
    evaluation.run(ev, out, args.workers, not args.no_progress)
    print((out / "acceptance.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
