"""sim.parallel: serial, process and Ray runs of the same jobs give equal results; sweeps resume."""
from __future__ import annotations

import json
import sys

import gymnasium as gym
import pytest

import agents
import sim
from sim.parallel import job_key, run_jobs

#: Tiny benchmark cases: (controller, scenario, seed), 3 min of plant time each.
JOBS = [["rule_based", "steady_design", 0], ["manual", "wet_slug", 1], ["rule_based", "cems_outage", 2]]


def episode_kpis(job) -> dict:
    """One short episode of a controller; its GB 18485 KPIs and the final measurements."""
    controller, scenario, seed = job
    env = gym.make("WtE/Incinerator-v0", scenario=scenario, episode_hours=0.05)
    df = agents.run_episode(env, agents.make_controller(controller, env), seed=seed, progress=False)
    env.close()
    return {"kpis": sim.kpis.compute(df, "gb18485"), "last": df.iloc[-1].to_dict(), "rows": len(df)}


def fail_on_third(job) -> dict:
    if job == JOBS[2]:
        raise RuntimeError("interrupted")
    return episode_kpis(job)


@pytest.fixture(scope="module")
def serial():
    return run_jobs(episode_kpis, JOBS, backend="serial")


def test_serial_results_are_per_job_and_json(serial):
    assert [r["rows"] for r in serial] == [19, 19, 19]
    assert serial[0]["last"] != serial[1]["last"]  # different controllers, scenarios and seeds
    assert serial == json.loads(json.dumps(serial))


def test_process_backend_equals_serial(serial):
    assert run_jobs(episode_kpis, JOBS, backend="process", workers=2) == serial


@pytest.mark.slow  # ~20 s: starting Ray and its workers
def test_ray_backend_equals_serial(serial):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e .[ray])")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import the tests
    try:
        seen = []
        got = run_jobs(episode_kpis, JOBS, backend="ray", workers=2, on_result=lambda job, r: seen.append(job))
    finally:
        ray.shutdown()
    assert got == serial
    assert sorted(seen) == sorted(JOBS)


def test_interrupted_sweep_resumes_where_it_stopped(tmp_path, serial):
    with pytest.raises(RuntimeError, match="interrupted"):
        run_jobs(fail_on_third, JOBS, out=tmp_path)
    files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert files == sorted(f"{job_key(j)}.json" for j in JOBS[:2])
    ran = []

    def only_new(job):
        ran.append(job)
        return episode_kpis(job)

    assert run_jobs(only_new, JOBS, out=tmp_path) == serial
    assert ran == [JOBS[2]]
    stored = json.loads((tmp_path / f"{job_key(JOBS[0])}.json").read_text())
    assert stored == {"job": JOBS[0], "result": serial[0]}


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="backend='dask'"):
        run_jobs(episode_kpis, JOBS, backend="dask")
    with pytest.raises(ValueError, match="address='auto'"):
        run_jobs(episode_kpis, JOBS, backend="process", address="auto")
    with pytest.raises(ValueError, match="repeat"):
        run_jobs(episode_kpis, [JOBS[0], JOBS[0]])
    with pytest.raises(ValueError, match="workers=0"):
        run_jobs(episode_kpis, JOBS, workers=0)
    (tmp_path / f"{job_key(JOBS[0])}.json").write_text(json.dumps({"job": JOBS[1], "result": 1}))
    with pytest.raises(ValueError, match="holds the job"):
        run_jobs(episode_kpis, JOBS, out=tmp_path)


# ------------------------------------------------------------------ agents.tuning (scripts/tune.py) ---
def test_tune_parameter_specs_parse_and_name_errors():
    from agents import tuning
    assert tuning.parse_param("algo.gamma=choice:0.99,0.995") == ("algo.gamma", "choice", [0.99, 0.995])
    assert tuning.parse_param("algo.learning_rate=loguniform:1e-5:1e-3") == (
        "algo.learning_rate", "loguniform", [1e-5, 1e-3])
    assert tuning.parse_param("algo.n_epochs=randint:2:11") == ("algo.n_epochs", "randint", [2, 11])
    for bad, message in [("algo.gamma", "KEY=KIND:ARGS"), ("algo.gamma=normal:0:1", "KIND one of"),
                         ("x=uniform:2:1", "LO < HI"), ("x=loguniform:0:1", "LO > 0"), ("x=uniform:a:b", "LO:HI")]:
        with pytest.raises(ValueError, match=message):
            tuning.parse_param(bad)
    assert tuning.trial_overrides({"b": 0.5, "a": "tanh"}) == ["a='tanh'", "b=0.5"]


@pytest.mark.slow  # ~40 s: Ray plus two tiny PPO trainings
def test_tune_runs_trials_and_resumes(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed (pip install -e .[ray])")
    from pathlib import Path

    from agents import tuning

    config = Path(__file__).resolve().parents[1] / "configs" / "agents" / "ppo_residual.yaml"
    tiny = ["total_timesteps=256", "env.episode_hours=0.25", "eval.every_steps=128", "eval.max_episodes=1",
            "eval.episode_hours=0.05", "checkpoint_every_steps=256", "algo.n_steps=128", "algo.batch_size=64",
            "algo.n_epochs=1"]
    params = [tuning.parse_param("algo.learning_rate=loguniform:1e-5:1e-3")]
    fixed = [*tiny, "progress_bar=false"]
    import ray

    try:
        assert tuning.search(config, tmp_path, params, fixed, samples=2, workers=2)["trials"] == 2
        first = (tmp_path / "trials.csv").read_text()
        # the finished search is restored, nothing runs again
        assert tuning.search(config, tmp_path, params, fixed, samples=2, workers=2)["trials"] == 2
    finally:
        ray.shutdown()
    assert (tmp_path / "trials.csv").read_text() == first
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["trials"] == 2 and any(o.startswith("algo.learning_rate=") for o in best["overrides"])
    assert len(list((tmp_path / "trials").iterdir())) == 2


def test_process_backend_does_not_fork_once_torch_is_loaded():
    """Forking after torch has started its thread pools can deadlock the workers (sb3: specs)."""
    import torch  # noqa: F401

    from sim import parallel
    assert parallel._start_method() == "spawn"
