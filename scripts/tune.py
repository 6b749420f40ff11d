"""Hyperparameter search on a training config with Ray Tune, locally or on a Ray cluster.

    python scripts/tune.py --config configs/agents/ppo_residual.yaml --out runs/tune1 \\
        --param algo.learning_rate=loguniform:1e-5:1e-3 --param algo.gamma=choice:0.99,0.995 \\
        --samples 8 [--workers N | --address RAY_ADDRESS] [--seed S] [KEY=VALUE ...]

Every trial is one :func:`agents.training.train` run of the config with the fixed overrides
``KEY=VALUE`` (as ``scripts/train.py`` takes them) plus the trial's sampled values, in its own run
folder ``OUT/trials/<key>/`` (the full training run folder: models, evaluations.csv, curve). Its
score is the best ``mean_reward`` of its evaluations.csv (the periodic evaluation on held-out
train seeds, never the test seeds), maximised.

``--param KEY=SPEC`` (repeatable): ``choice:A,B,...`` (YAML values), ``uniform:LO:HI``,
``loguniform:LO:HI`` or ``randint:LO:HI`` (HI excluded). Sampling is random search seeded by
``--seed``, so the same command draws the same trials.

Ray: without ``--address`` a local Ray with ``--workers`` CPUs (default all; one trial per CPU,
each trial trains with the config's ``torch_threads``); ``--address auto`` or
``ray://head:10001`` joins a cluster whose nodes have this project installed. Ray Tune keeps its
experiment state in ``OUT/tune/``: rerunning the same command after an interruption resumes it
(finished trials are kept; unfinished and failed ones are run again, their run folders replaced).

Results, written atomically when the search ends: ``OUT/trials.csv`` (one row per trial: key,
sampled values, best mean reward, run folder) and ``OUT/best.json`` (the best trial's overrides
and score, ready for ``scripts/train.py --config CONFIG ... KEY=VALUE``).
Needs the ``ray`` and ``rl`` extras (``pip install -e .[rl,ray]``). The work is done by
:mod:`agents.tuning`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agents.train_config import ConfigError, load_config
from agents.tuning import METRIC, parse_param, search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--config", type=Path, required=True, help="training config (YAML, see configs/agents/)")
    ap.add_argument("--out", type=Path, required=True, help="search folder (created; rerun to resume)")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=KIND:ARGS", help="a searched value")
    ap.add_argument("--samples", type=int, default=8, help="trials (default 8)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    ap.add_argument("--workers", type=int, default=None, help="CPUs of a local Ray (default all)")
    ap.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray)")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="fixed overrides of the config")
    args = ap.parse_args(argv)
    if args.samples < 1:
        ap.error(f"--samples {args.samples}: expected an integer >= 1")
    if args.workers is not None and args.workers < 1:
        ap.error(f"--workers {args.workers}: expected an integer >= 1")
    if args.workers is not None and args.address is not None:
        ap.error("--workers sizes a local Ray; a cluster (--address) has its own")
    try:
        params = [parse_param(p) for p in args.param]
        if not params:
            raise ValueError("give at least one --param KEY=KIND:ARGS to search")
        fixed = list(args.overrides) + ["progress_bar=false"]
        load_config(args.config, fixed)  # a bad config or override fails before Ray starts
    except (ConfigError, ValueError, OSError) as err:
        ap.error(str(err))

    try:
        best = search(args.config, args.out, params, fixed, args.samples, args.seed, args.workers, args.address)
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{best['trials']} trials; best {METRIC} {best[METRIC]:.3f} with {best['overrides']}; "
          f"{best['out']}/trials.csv, best.json")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
