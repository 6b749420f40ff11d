"""Compare controllers on the scenario library and write one results folder.

    python scripts/benchmark.py [--controllers manual,rule_based,...] [--scenarios all|a,b]
        [--seeds test|train|1,2,3] [--hours H] [--workers N] [--backend serial|process|ray]
        [--address RAY_ADDRESS] [--plant NAME] --out DIR

Runs every controller on every scenario and seed (``WtE/Incinerator-v0``, 10-s control interval)
and writes ``DIR/results.json``, ``DIR/summary.md``, ``DIR/kpi_bars.png`` and
``DIR/worst_case.png`` (contents: :mod:`agents.benchmark`, which does the work). The same
command gives the same results.json, with any ``--workers`` and ``--backend``.

Controllers are specs passed to ``agents.make_controller(spec, env)``: the classic names
(``manual``, ``rule_based``, ``fixed``) or ``sb3:PATH.zip`` for a saved Stable-Baselines3 policy
(loaded by :func:`agents.sb3.load_model`, which rebuilds the zip's pickled attributes from the
policy card instead of unpickling them; plain ``PPO.load`` on an untrusted file would run its
code). Specs are separated by commas, so a path must not contain one.

Defaults: controllers ``manual,rule_based``; every scenario; each scenario's 3 test seeds; each
scenario's own duration (24 h for most, 72 h lhv_drift, 168 h fouling_week; 2,448 plant hours in
all); 2 worker processes. That is about 3 CPU-minutes (the plant runs ~50,000x real time on one
core): 3 min of wall time on 2 cores, more when the cores are shared. ``--hours`` shortens every
run for a quick look.

Backends (:func:`sim.parallel.run_jobs`): ``serial`` (default with ``--workers 1``), ``process``
(default otherwise; ``--workers`` local processes) or ``ray`` (``pip install -e .[ray]``; a local
Ray on ``--workers`` cores (default all), or the cluster at ``--address``, e.g. ``auto`` or
``ray://head:10001``, whose nodes have this project installed). Each finished run is written to
``DIR/jobs/`` as it ends; rerunning the same command after an interruption runs only the missing
ones (a controller is identified by its spec: after retraining a model at the same path, start in
a new folder). ``DIR/jobs/`` is removed once ``results.json`` is written.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import agents
from agents import benchmark
from sim import scenarios
from sim.config import ConfigError
from sim.parallel import BACKENDS

DEFAULT_CONTROLLERS = "manual,rule_based"
DEFAULT_WORKERS = 2


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

    if args.workers is not None and args.workers < 1:
        ap.error(f"--workers {args.workers}: expected an integer >= 1")
    backend = args.backend or ("serial" if args.workers == 1 else "process")
    workers = args.workers or (None if backend == "ray" else DEFAULT_WORKERS)
    if args.address is not None and backend != "ray":
        ap.error(f"--address {args.address}: needs --backend ray")
    controllers = [c.strip() for c in args.controllers.split(",") if c.strip()]
    names = "all" if args.scenarios == "all" else [s.strip() for s in args.scenarios.split(",")]
    try:
        matrix = benchmark.plan(controllers, names, args.seeds, args.hours, args.plant)
    except (ConfigError, ValueError, OSError) as err:
        ap.error(str(err))
    start = time.perf_counter()
    command = "python scripts/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    benchmark.run(matrix, args.out, workers, backend, args.address, not args.no_progress, command)
    print(f"{len(matrix.cases)} runs in {time.perf_counter() - start:.0f} s; results in {args.out}/ "
          "(results.json, summary.md, kpi_bars.png, worst_case.png)")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
