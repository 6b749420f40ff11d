"""Speed of the simulator, measured in one run (``scripts/bench_speed.py`` prints and writes it).

    python scripts/bench_speed.py [--steps N] [--repeats R] [--num-envs N] [--batched-steps S]
                                  [--ppo-steps P] [--ppo-envs E] [--json PATH]

Prints a table of:

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
* PPO training (Stable-Baselines3, ``MlpPolicy`` 64x64, 1,024 steps per update, batch 256, 10
  epochs as ``configs/agents/ppo_residual.yaml``, ``--ppo-steps`` steps, one torch thread) on one
  ``WtE/Incinerator-v0`` and on ``--ppo-envs`` batched plants (:class:`agents.vec_env.BatchedVecEnv`):
  environment steps per second of training and the share of the training time spent inside the
  env's step and reset.

Each env and plant figure is the best of ``repeats`` timed runs after a warm-up (the first plant
in a process compiles numba code). Timing never fails: the figures are reported, not judged.
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import sim

from .vec_env import BatchedVecEnv

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

    plant = env.unwrapped.batch.factory if hasattr(env.unwrapped, "batch") else env.unwrapped.plant
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
    t0 = time.perf_counter()
    plant._integrate(int(seconds), 1.0)
    elapsed = time.perf_counter() - t0
    if plant.trip is not None:  # a tripped core returns at once: not a timing
        return float("nan")
    return seconds / elapsed


class _StepTimer(gym.Wrapper):
    """Accumulates the wall time spent in ``step`` and ``reset`` of the wrapped env."""

    def __init__(self, env):
        super().__init__(env)
        self.seconds = 0.0

    def step(self, action):
        t0 = time.perf_counter()
        out = self.env.step(action)
        self.seconds += time.perf_counter() - t0
        return out

    def reset(self, **kwargs):
        t0 = time.perf_counter()
        out = self.env.reset(**kwargs)
        self.seconds += time.perf_counter() - t0
        return out


class _TimedBatches(BatchedVecEnv):
    """:class:`agents.vec_env.BatchedVecEnv` accumulating the wall time of its reset and steps."""

    def __init__(self, batch):
        super().__init__([batch])
        self.seconds = 0.0

    def reset(self):
        t0 = time.perf_counter()
        out = super().reset()
        self.seconds += time.perf_counter() - t0
        return out

    def step_wait(self):
        t0 = time.perf_counter()
        out = super().step_wait()
        self.seconds += time.perf_counter() - t0
        return out


def _ppo(env, steps: int, num_envs: int) -> tuple[int, float]:
    """Train SB3 PPO (the project's PPO hyperparameters, 1,024 steps per update over all envs)
    for ``steps``; (steps done, wall s)."""
    from stable_baselines3 import PPO

    n_steps = max(1, min(1024, steps) // num_envs)
    model = PPO("MlpPolicy", env, n_steps=n_steps, batch_size=min(256, n_steps * num_envs), n_epochs=10, seed=0,
                device="cpu", verbose=0)
    t0 = time.perf_counter()
    model.learn(total_timesteps=steps)
    return int(model.num_timesteps), time.perf_counter() - t0


def time_ppo(steps: int, num_envs: int) -> dict:
    """Short SB3 PPO runs on ``WtE/Incinerator-v0``: one env (``gym.make``), and ``num_envs``
    batched plants (:class:`agents.vec_env.BatchedVecEnv`); steps/s and the env's share of the
    training time. Both collect 1,024 steps per update."""
    import torch
    from stable_baselines3.common.vec_env import VecMonitor

    torch.set_num_threads(1)
    env = _StepTimer(gym.make(WTE_ID, control_interval_s=CONTROL_INTERVAL_S, episode_hours=6))
    done, total = _ppo(env, steps, 1)
    env.close()
    result = {"steps": done, "steps_per_s": done / total, "env_share": env.seconds / total, "env_s": env.seconds,
              "total_s": total, "torch_threads": torch.get_num_threads()}
    timer = _TimedBatches(gym.make_vec(WTE_ID, num_envs=num_envs, vectorization_mode="vector_entry_point",
                                       autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
                                       control_interval_s=CONTROL_INTERVAL_S, episode_hours=6))
    venv = VecMonitor(timer)
    done, total = _ppo(venv, steps, num_envs)
    venv.close()
    result["batched"] = {"num_envs": num_envs, "steps": done, "steps_per_s": done / total,
                         "env_share": timer.seconds / total, "env_s": timer.seconds, "total_s": total}
    return result


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


