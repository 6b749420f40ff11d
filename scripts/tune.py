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
Needs the ``ray`` and ``rl`` extras (``pip install -e .[rl,ray]``).
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
from pathlib import Path

from agents.train_config import ConfigError, load_config, parse_yaml
from sim.parallel import job_key
from sim.results import write_json, write_text

METRIC = "best_mean_reward"
_KINDS = ("choice", "uniform", "loguniform", "randint")


def parse_param(text: str) -> tuple[str, str, list]:
    """``KEY=KIND:ARGS`` -> (key, kind, arguments); ValueError naming the problem."""
    key, sep, spec = text.partition("=")
    kind, sep2, rest = spec.partition(":")
    if not sep or not key or not sep2 or kind not in _KINDS:
        raise ValueError(f"--param {text!r}: expected KEY=KIND:ARGS with KIND one of {list(_KINDS)}")
    if kind == "choice":
        values = [parse_yaml(v) for v in rest.split(",") if v != ""]
        if not values:
            raise ValueError(f"--param {text!r}: choice needs at least one value")
        return key, kind, values
    bounds = rest.split(":")
    try:
        lo, hi = (int(b) if kind == "randint" else float(b) for b in bounds)
    except ValueError:
        raise ValueError(f"--param {text!r}: {kind} needs LO:HI numbers") from None
    if not lo < hi or (kind == "loguniform" and lo <= 0):
        raise ValueError(f"--param {text!r}: expected LO < HI{' and LO > 0' if kind == 'loguniform' else ''}")
    return key, kind, [lo, hi]


def search_space(params: list[tuple[str, str, list]]) -> dict:
    """Ray Tune's sampling objects for the parsed ``--param`` entries."""
    from ray import tune

    make = {"choice": lambda a: tune.choice(a), "uniform": lambda a: tune.uniform(*a),
            "loguniform": lambda a: tune.loguniform(*a), "randint": lambda a: tune.randint(*a)}
    return {key: make[kind](args) for key, kind, args in params}


def trial_overrides(sampled: dict) -> list[str]:
    """``KEY=VALUE`` overrides of a trial's sampled values (numbers as YAML)."""
    return [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in sorted(sampled.items())]


def best_mean_reward(run: Path) -> float:
    """The best ``mean_reward`` of a run folder's evaluations.csv."""
    with open(run / "evaluations.csv", newline="", encoding="utf-8") as fh:
        return max(float(row["mean_reward"]) for row in csv.DictReader(fh))


def run_trial(config: dict) -> None:
    """One Ray Tune trial: train the config with the trial's overrides; reports the score."""
    from ray import tune

    from agents.training import train

    sampled = {k: v for k, v in config.items() if not k.startswith("_")}
    overrides = config["_fixed"] + trial_overrides(sampled)
    run = Path(config["_out"]) / "trials" / job_key(trial_overrides(sampled))
    if run.exists():  # an earlier, unfinished attempt of this trial
        shutil.rmtree(run)
    train(load_config(config["_config"], overrides), run)
    tune.report({METRIC: best_mean_reward(run), "run": str(run)})


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

    import ray
    from ray import tune
    from ray.tune.search import BasicVariantGenerator

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        if args.address is not None:
            ray.init(address=args.address, log_to_driver=False)
        else:
            ray.init(num_cpus=args.workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    space = {**search_space(params), "_config": str(args.config.resolve()), "_fixed": fixed, "_out": str(out)}
    trainable = tune.with_resources(run_trial, {"cpu": 1})
    state = out / "tune"
    if tune.Tuner.can_restore(str(state)):
        tuner = tune.Tuner.restore(str(state), trainable, resume_unfinished=True, restart_errored=True)
    else:
        tuner = tune.Tuner(trainable, param_space=space,
                           tune_config=tune.TuneConfig(metric=METRIC, mode="max", num_samples=args.samples,
                                                       search_alg=BasicVariantGenerator(random_state=args.seed)),
                           run_config=tune.RunConfig(storage_path=str(out), name="tune", verbose=1))
    grid = tuner.fit()
    rows = []
    for result in grid:
        if result.error is not None or METRIC not in result.metrics:
            continue
        sampled = {k: v for k, v in result.config.items() if not k.startswith("_")}
        rows.append({"key": job_key(trial_overrides(sampled)), **sampled, METRIC: result.metrics[METRIC],
                     "run": result.metrics["run"]})
    if not rows:
        print(f"no trial finished; Ray Tune's state and errors are in {state}", file=sys.stderr)
        return 1
    rows.sort(key=lambda r: -r[METRIC])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / "trials.csv", buf.getvalue())
    best = rows[0]
    sampled = {k: best[k] for k, _, _ in params}
    write_json(out / "best.json", {"config": str(args.config), "overrides": fixed + trial_overrides(sampled),
                                   METRIC: best[METRIC], "run": best["run"], "trials": len(rows)})
    print(f"{len(rows)} trials; best {METRIC} {best[METRIC]:.3f} with {trial_overrides(sampled)}; "
          f"{out}/trials.csv, best.json")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
