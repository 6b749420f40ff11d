"""Run independent jobs (benchmark cases, training runs) serially, in local processes or on Ray,
with the same results, streamed to a folder so that an interrupted sweep resumes where it stopped.

    from sim.parallel import run_jobs
    results = run_jobs(run_case, cases, backend="ray", out="results/bench/jobs")   # list, in job order

* ``fn`` is a module-level function (picklable) of one job returning a JSON-serialisable value;
  each job must carry everything that makes it deterministic (its seeds): then every backend
  gives the same results, since each job runs alone in a fresh plant.
* ``backend``: ``"serial"`` (this process), ``"process"`` (``ProcessPoolExecutor`` with
  ``workers`` processes, default ``os.cpu_count()``; forked where the platform can, so workers
  inherit the compiled code and tables of the parent; spawned once torch is loaded, see
  :func:`_start_method`) or ``"ray"`` (``pip install -e .[ray]``):
  ``ray.init(address=address)`` joins a running cluster (``"auto"`` or ``"ray://host:10001"``;
  the nodes need this project installed, same version), without ``address`` a local Ray with
  ``workers`` CPUs (default all). An existing Ray connection is reused.
* ``out``: a folder that receives one JSON file per finished job (``<key>.json`` holding the job
  and its result; the key is a hash of the job's JSON form), written atomically as each job ends.
  A job whose file already exists (and names the same job) is not run again. Results are returned
  after a JSON round trip in every case (tuples become lists), so a resumed, serial, process and
  Ray run return equal values.
* ``on_result(job, result)`` is called in the parent as each job finishes (or is found done), in
  completion order, e.g. to move a progress bar.

A job that raises stops the sweep with its exception (the finished jobs stay in ``out``).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from .results import write_text

__all__ = ["BACKENDS", "run_jobs", "job_key"]

BACKENDS: tuple[str, ...] = ("serial", "process", "ray")


def job_key(job: Any) -> str:
    """Stable file key of a job: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    return hashlib.sha256(_canonical(job).encode("utf-8")).hexdigest()[:16]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _round_trip(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _load_done(out: Path, job: Any) -> tuple[bool, Any]:
    path = out / f"{job_key(job)}.json"
    if not path.exists():
        return False, None
    stored = json.loads(path.read_text(encoding="utf-8"))
    if _canonical(stored.get("job")) != _canonical(_round_trip(job)):
        raise ValueError(f"{path}: holds the job {stored.get('job')!r}, not {job!r} (key collision or edited file)")
    return True, stored["result"]


def run_jobs(fn: Callable[[Any], Any], jobs: Sequence[Any], *, backend: str = "serial", workers: int | None = None,
             address: str | None = None, out: str | Path | None = None,
             on_result: Callable[[Any, Any], None] | None = None) -> list[Any]:
    """Results of ``fn(job)`` for every job, in the order of ``jobs`` (see the module docstring).

    Raises ValueError for an unknown backend, ``workers`` < 1, an ``address`` without the Ray
    backend, or jobs that are not JSON-serialisable or repeat; ImportError naming the extra when
    Ray is asked for and not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: expected one of {list(BACKENDS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers={workers!r}: expected an integer >= 1 or None (all cores)")
    if address is not None and backend != "ray":
        raise ValueError(f"address={address!r}: a cluster address needs backend='ray', got {backend!r}")
    jobs = list(jobs)
    try:
        keys = [_canonical(j) for j in jobs]
    except TypeError as err:
        raise ValueError(f"jobs must be JSON-serialisable (they name the result files): {err}") from None
    if len(set(keys)) != len(keys):
        raise ValueError("jobs repeat: every job must differ (identical jobs give identical results)")
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    results: list[Any] = [None] * len(jobs)
    todo = []
    for i, job in enumerate(jobs):
        done, result = _load_done(out_dir, job) if out_dir is not None else (False, None)
        if done:
            results[i] = result
            if on_result is not None:
                on_result(job, result)
        else:
            todo.append(i)

    def finish(i: int, result: Any) -> None:
        result = _round_trip(result)
        if out_dir is not None:
            write_text(out_dir / f"{job_key(jobs[i])}.json",
                       json.dumps({"job": jobs[i], "result": result}, indent=1) + "\n")
        results[i] = result
        if on_result is not None:
            on_result(jobs[i], result)

    if backend == "serial" or not todo:
        for i in todo:
            finish(i, fn(jobs[i]))
    elif backend == "process":
        context = get_context(_start_method())
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=context) as pool:
            futures = {pool.submit(fn, jobs[i]): i for i in todo}
            for future in as_completed(futures):
                finish(futures[future], future.result())
    else:
        _run_ray(fn, jobs, todo, workers, address, finish)
    return results


def _start_method() -> str:
    """``fork`` where the platform has it (workers inherit the compiled plant, no start-up), but
    ``spawn`` once torch is loaded: forking after torch has started its thread pools can deadlock
    the children (PyTorch's multiprocessing notes), which happens with ``sb3:`` controllers."""
    return "fork" if "fork" in get_all_start_methods() and "torch" not in sys.modules else "spawn"


def _run_ray(fn, jobs, todo, workers, address, finish) -> None:
    try:
        import ray
    except ImportError as err:
        raise ImportError("backend='ray' needs Ray: pip install -e .[ray]") from err
    if not ray.is_initialized():
        if address is not None:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(fn)
    pending = {remote.remote(jobs[i]): i for i in todo}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            finish(pending.pop(ref), ray.get(ref))
