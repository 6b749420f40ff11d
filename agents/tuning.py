"""Hyperparameter search on a training config with Ray Tune (``scripts/tune.py`` is its command line).

Every trial is one :func:`agents.training.train` run of the config with fixed overrides plus the
trial's sampled values, in its own run folder ``OUT/trials/<key>/``; its score is the best
``mean_reward`` of its evaluations.csv (held-out train seeds, never the test seeds), maximised.
Parameter specs (:func:`parse_param`): ``KEY=choice:A,B,...`` (YAML values), ``uniform:LO:HI``,
``loguniform:LO:HI`` or ``randint:LO:HI`` (HI excluded); random search seeded by ``seed``.
:func:`search` keeps Ray Tune's state in ``OUT/tune/`` (the same call after an interruption
resumes) and writes ``OUT/trials.csv`` and ``OUT/best.json`` atomically when the search ends.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

from sim.parallel import job_key
from sim.results import write_json, write_text

from .train_config import load_config, parse_yaml

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

    from .training import train

    sampled = {k: v for k, v in config.items() if not k.startswith("_")}
    overrides = config["_fixed"] + trial_overrides(sampled)
    run = Path(config["_out"]) / "trials" / job_key(trial_overrides(sampled))
    if run.exists():  # an earlier, unfinished attempt of this trial
        shutil.rmtree(run)
    train(load_config(config["_config"], overrides), run)
    tune.report({METRIC: best_mean_reward(run), "run": str(run)})


def search(config: Path, out: Path, params: list[tuple[str, str, list]], fixed: list[str], samples: int,
           seed: int = 0, workers: int | None = None, address: str | None = None) -> dict:
    """Run (or resume) the search of ``params`` (parsed specs) over ``config`` with the overrides
    ``fixed``; ``samples`` trials on a local Ray of ``workers`` CPUs (None: all) or the cluster at
    ``address``. Returns the number of finished trials, the best score, its sampled overrides and
    the folder; RuntimeError when no trial finished."""
    import ray
    from ray import tune
    from ray.tune.search import BasicVariantGenerator

    config = Path(config)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        if address is not None:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    space = {**search_space(params), "_config": str(config.resolve()), "_fixed": fixed, "_out": str(out)}
    trainable = tune.with_resources(run_trial, {"cpu": 1})
    state = out / "tune"
    if tune.Tuner.can_restore(str(state)):
        tuner = tune.Tuner.restore(str(state), trainable, resume_unfinished=True, restart_errored=True)
    else:
        tuner = tune.Tuner(trainable, param_space=space,
                           tune_config=tune.TuneConfig(metric=METRIC, mode="max", num_samples=samples,
                                                       search_alg=BasicVariantGenerator(random_state=seed)),
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
        raise RuntimeError(f"no trial finished; Ray Tune's state and errors are in {state}")
    rows.sort(key=lambda r: -r[METRIC])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text(out / "trials.csv", buf.getvalue())
    best = rows[0]
    sampled = {k: best[k] for k, _, _ in params}
    write_json(out / "best.json", {"config": str(config), "overrides": fixed + trial_overrides(sampled),
                                   METRIC: best[METRIC], "run": best["run"], "trials": len(rows)})
    return {"trials": len(rows), METRIC: best[METRIC], "overrides": trial_overrides(sampled), "out": out}
