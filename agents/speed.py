"""Speed of the simulator, measured in one run (``scripts/bench_speed.py`` prints and writes it).

The figures:

* microseconds per step of every registered ``WtE/*`` environment (``sim.envs.ENV_IDS``; 10 s
  control interval, created with ``gymnasium.make``, uniform random actions, reset when an
  episode ends) and of ``CartPole-v1`` timed by the same loop, and each WtE figure's ratio to
  CartPole (actions are drawn before the clock starts, so the figures are step and reset time);
* simulated plant seconds per wall second of ``Plant.advance(10)`` at the design commands;
* batched plants: ``gymnasium.make_vec("WtE/Incinerator-v0", num_envs=N,
  vectorization_mode="vector_entry_point")`` (default N = 256) stepped ``--batched-steps`` times
  in one process (one core: the batch runs on one thread), as simulated plant seconds per wall
  second (and per second of the process's CPU time, which a busy shared machine does not
  inflate). The actions are the design commands with a proportional feedwater-on-level trim, so the
  plants keep running (open loop the drum trips within the hour and a tripped plant costs almost
  nothing); trips are reported. Next to it the continuous core alone (``sim.core.integrate`` at
  its 1-s step, one plant), the floor of the batch's cost per plant second;
* PPO training through :func:`agents.training.train` (what ``scripts/train.py`` runs; config
  :func:`ppo_config`: ``MlpPolicy`` 64x64, about 1,024 steps per update, batch 256, 10 epochs,
  one torch thread) on ``WtE/IncineratorSupervisory-v0``, once on today's single-env path
  (``vec_env.kind: dummy``, one env) and once on ``num_envs`` batched plants (``vec_env.kind:
  batched``): environment steps per second of training, the share of the training time spent
  inside the env's step and reset (throughput.json's figures), and the batched/single ratio.

Each env and plant figure is the best of ``repeats`` timed runs after a warm-up (the first plant
in a process compiles numba code). Timing never fails: the figures are reported, not judged.
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import sim


CARTPOLE_ID = "CartPole-v1"
WTE_ID = "WtE/Incinerator-v0"
CONTROL_INTERVAL_S = 10.0
WARMUP_STEPS = 200


def time_env(env_id: str, steps: int, repeats: int, seed: int = 0, **kwargs) -> dict:
    """Best-of-``repeats`` microseconds per ``env.step`` (resets included when episodes end)."""
    env = gym.make(env_id, **kwargs)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=seed)
    for a in actions[:WARMUP_STEPS]:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    best, resets = float("inf"), 0
    for _ in range(repeats):
        env.reset()
        n_resets = 0
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
                n_resets += 1
        elapsed = time.perf_counter() - t0
        if elapsed < best:
            best, resets = elapsed, n_resets
    env.close()
    return {"us_per_step": best / steps * 1e6, "steps": steps, "resets": resets}


def time_plant_advance(advances: int, repeats: int) -> dict:
    """Simulated seconds per wall second of ``plant.advance(10)`` at the design commands.

    Open loop the drum level trips the plant within about an hour, after which a plant stands
    still; chunks that end tripped are discarded and the plant is rebuilt (untimed).
    """
    chunk = 10
    seed = 0
    plant = sim.Plant.from_config(seed=seed)
    plant.advance(CONTROL_INTERVAL_S)  # warm-up
    best = 0.0
    for _ in range(repeats):
        sim_s, wall_s = 0.0, 0.0
        while sim_s < advances * CONTROL_INTERVAL_S:
            if plant.trip is not None:
                seed += 1
                plant = sim.Plant.from_config(seed=seed)
            t0 = time.perf_counter()
            for _ in range(chunk):
                plant.advance(CONTROL_INTERVAL_S)
            elapsed = time.perf_counter() - t0
            if plant.trip is None:
                sim_s += chunk * CONTROL_INTERVAL_S
                wall_s += elapsed
        best = max(best, sim_s / wall_s)
    return {"sim_seconds_per_wall_second": best, "us_per_advance_10s": CONTROL_INTERVAL_S / best * 1e6}


def _design_action(env) -> np.ndarray:
    """The design commands of the env's plant as a normalised action (float32)."""
    from sim.envs.incinerator import to_action

    plant = env.unwrapped.design_plant if hasattr(env.unwrapped, "design_plant") else env.unwrapped.plant
    return to_action(plant.design_actuators, *plant.actuator_bounds)


def level_trim(obs: np.ndarray, design: np.ndarray) -> np.ndarray:
    """Design actions with a feedwater trim on the drum level and steam flow (observation elements
    2 and 0, normalised): feedwater [t/h] = design + 6.8 obs[0] - 30 obs[2], i.e. follow the
    steam (10 % of design = 6.8 t/h per unit) and take 0.3 t/h per mm of level (100 mm per unit)
    off, in action units of the feedwater's half range (55 t/h)."""
    a = np.broadcast_to(design, obs.shape[:-1] + design.shape).copy()
    fw = sim.units.ACTUATORS.index("feedwater_t_h")
    a[..., fw] += (6.8 * obs[..., 0] - 30.0 * obs[..., 2]) / 55.0
    return np.clip(a, -1.0, 1.0).astype(np.float32)


def time_batched(num_envs: int, steps: int, repeats: int) -> dict:
    """Simulated plant seconds per wall second of the batched env (best of ``repeats``)."""
    envs = gym.make_vec(WTE_ID, num_envs=num_envs, vectorization_mode="vector_entry_point",
                        control_interval_s=CONTROL_INTERVAL_S)
    design = _design_action(envs)
    obs, _ = envs.reset(seed=0)
    obs, *_ = envs.step(level_trim(obs, design))  # warm-up: compiles the kernels
    best, best_cpu, trips = float("inf"), float("inf"), 0
    for _ in range(repeats):
        elapsed = cpu = 0.0
        for _ in range(steps):
            actions = level_trim(obs, design)
            t0, c0 = time.perf_counter(), time.process_time()
            obs, _, terminated, _, _ = envs.step(actions)
            elapsed += time.perf_counter() - t0
            cpu += time.process_time() - c0
            trips += int(terminated.sum())
        best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
    envs.close()
    plant_s = num_envs * steps * CONTROL_INTERVAL_S
    return {"num_envs": num_envs, "plant_seconds_per_s": plant_s / best,
            "plant_seconds_per_cpu_s": plant_s / best_cpu if best_cpu > 0 else float("nan"),
            "us_per_plant_step": best / (num_envs * steps) * 1e6, "steps": steps, "trips": trips,
            "core_plant_seconds_per_s": time_core(steps * 10)}


def time_core(seconds: int) -> float:
    """Plant seconds per wall second of the continuous core alone (one plant, 1-s steps)."""
    plant = sim.Plant.from_config(seed=0)
    plant.advance(CONTROL_INTERVAL_S)  # warm-up
    sync, s, ph = plant.kernels.sync, plant.state.arrays, plant.model.model.ph
    end = plant.time_s + float(seconds)
    t0 = time.perf_counter()
    sync(s, 0, end, ph)  # the core alone, at its config step, no discrete events
    elapsed = time.perf_counter() - t0
    if plant.trip is not None:  # a tripped core returns at once: not a timing
        return float("nan")
    return seconds / elapsed


#: PPO environment of the training benchmark (what the configs in configs/agents/ train on).
PPO_ENV_ID = "WtE/IncineratorSupervisory-v0"


def ppo_config(kind: str, num_envs: int, steps: int, env_id: str = PPO_ENV_ID) -> dict:
    """The training config (plain data) of :func:`time_ppo`: PPO, ``MlpPolicy`` 64x64, about
    1,024 steps per update over all envs (``n_steps = 1024 // num_envs``), batch 256, 10 epochs
    (as ``configs/agents/ppo_residual.yaml``), one torch thread, ``steady_design`` in 6-h
    episodes, ``vec_env`` ``{kind, n_envs: num_envs}``; evaluation once at the end (one 3-min
    episode), no checkpoint before."""
    n_steps = max(1, min(1024, steps) // num_envs)
    return {"algo": {"name": "ppo", "policy_kwargs": {"net_arch": [64, 64]}, "n_steps": n_steps,
                     "batch_size": min(256, n_steps * num_envs), "n_epochs": 10},
            "env": {"id": env_id, "scenarios": ["steady_design"], "episode_hours": 6},
            "vec_env": {"kind": kind, "n_envs": num_envs},
            "eval": {"every_steps": 10 * steps, "max_episodes": 1, "episode_hours": 0.05},
            "checkpoint_every_steps": 10 * steps, "total_timesteps": steps, "seed": 0, "torch_threads": 1,
            "progress_bar": False}


def time_ppo(steps: int, num_envs: int, env_id: str = PPO_ENV_ID) -> dict:
    """PPO through :func:`agents.training.train` (what ``scripts/train.py`` runs) for ``steps`` on
    one env on today's single-env path (``vec_env.kind: dummy``, one env) and on ``num_envs``
    batched plants (``vec_env.kind: batched``), configs :func:`ppo_config`: environment steps per
    second of training and the env's share of the training time, as the run's throughput.json
    reports them (evaluation and checkpoints left out). Each path's env is built and stepped once
    before (untimed): the first plant of a process loads its compiled kernels."""
    import tempfile

    from .train_config import validate
    from .training import make_vec_env, train

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, n in (("dummy", 1), ("batched", num_envs)):
            cfg = validate(ppo_config(kind, n, steps, env_id))
            warm = make_vec_env(cfg)
            warm.reset()
            warm.step(np.zeros((n, *warm.action_space.shape), dtype=np.float32))
            warm.close()
            out = train(cfg, Path(tmp) / kind)
            t = json.loads((out / "throughput.json").read_text(encoding="utf-8"))
            figures[kind] = {"num_envs": n, "steps": t["env_steps"], "steps_per_s": t["env_steps_per_s"],
                             "env_share": t["env_share_of_training"], "env_s": t["env_step_wall_s"],
                             "total_s": t["training_wall_s"]}
    single, batched = figures["dummy"], figures["batched"]
    return {**{k: v for k, v in single.items() if k != "num_envs"}, "torch_threads": 1, "env_id": env_id,
            "batched": {**batched, "speedup": batched["steps_per_s"] / single["steps_per_s"]}}


def machine() -> dict:
    return {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "numpy": np.__version__, "gymnasium": gym.__version__, "cpu_model": cpu_model(),
    }


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


