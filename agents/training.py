"""Train an SB3 policy from a :class:`agents.train_config.TrainConfig` into a run folder.

:func:`train` is what ``scripts/train.py`` calls. A run folder holds::

    config.yaml            the exact config used (defaults filled in; reload it to repeat the run)
    versions.json          Python, platform, package versions and the git commit of the code
    model.zip/.json        the final policy (SB3 model + policy card with the normalisation stats)
    best_model.zip/.json   the best evaluated policy (:func:`selection_key`: the lowest steam-flow
                           std among evaluations that add no trip or breach and lose no kWh/t
                           against rule_based, else the best mean reward; the final policy is
                           always evaluated too)
    checkpoints/step_N.zip/.json (+ step_N.replay.npz for SAC/TQC)   every checkpoint_every_steps
    evaluations.csv        per evaluation: mean/std episode reward, mean steam-flow std, net kWh/t,
                           emission exceedances, 5-min means below 850 degC and trips of the
                           policy, and the same of rule_based on the same episodes
    logs/                  SB3 logger output: progress.csv and TensorBoard event files
                           (``tensorboard --logdir runs/``) when tensorboard is installed
    training_curve.png     episode reward (training) and evaluation figures against timesteps
    throughput.json        env steps per second of training and the env's share of that time

Evaluation and checkpointing are two SB3 callbacks, :class:`PeriodicEvaluation` (evaluations.csv,
best_model, training curve) and :class:`PeriodicCheckpoint` (checkpoints/), combined with SB3's
``CallbackList``; the time they take is left out of the throughput figures.

Environments (``vec_env.kind``):

* ``batched`` (default): the ``vec_env.n_envs`` slots are plants of the batched env
  (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``, one compiled batch per
  scenario) behind SB3's VecEnv interface (:class:`agents.vec_env.BatchedVecEnv`), under
  ``VecMonitor``; how the scenario mix maps onto the batches is :class:`ScenarioBatches` (each
  slot keeps one scenario; ``n_envs`` >= the number of scenarios). No residual layer and no
  random starts (both are per env: use ``dummy``).
* ``dummy`` / ``subproc``: each of the ``vec_env.n_envs`` copies is a :class:`ScenarioMix` (under
  SB3's ``Monitor``, which reports episode rewards and lengths to the logger) that draws, at every
  reset, one of ``env.scenarios``, then one of its training seeds (its own generator, seeded
  ``seed + index`` by SB3) and, with ``env.random_start``, a start time in the scenario; wrapped
  by :class:`agents.residual.ResidualWrapper` when ``env.residual`` is set. ``DummyVecEnv`` steps
  them in this process, ``SubprocVecEnv`` in one process each.

``VecNormalize`` normalises observations and rewards.

Determinism: on CPU, with any ``vec_env.kind``, the same config and seed give the same model
parameters bit for bit (tests/test_train.py checks batched and dummy); ``torch_threads`` is fixed by
the config because a different thread count may change the order of float sums. A resumed run
continues the step counter, the optimiser state and (off-policy) the replay buffer, but not the
environments' episodes in progress nor VecNormalize's running return, so a run resumed at step N
is not bit-identical to an uninterrupted one.
"""
from __future__ import annotations

import csv
import platform
import re
import subprocess
import sys
import time
from functools import partial
from importlib import metadata
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import configure
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.utils import set_random_seed
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnvWrapper, VecMonitor, VecNormalize

from .acceptance import breaches, mean_kpi, run_record
from .residual import ResidualWrapper
from .runner import run_episode
from sim.config import load_scenario
from sim.results import save_figure, write_json, write_text

from .vec_env import BatchedVecEnv
from .sb3 import (ObsNormaliser, Policy, algorithm_class, box_to_json, load_model, policy_kwargs_from_json, read_card,
                  restore_normalisation, save_policy, write_binary)
from .train_config import ConfigError, EnvConfig, TrainConfig, dump

#: Packages whose versions are written into the run folder.
PACKAGES = ("wte-sim", "numpy", "scipy", "simpy", "gymnasium", "numba", "torch", "stable-baselines3",
            "sb3-contrib", "pydantic", "pandas", "tensorboard")
_CHECKPOINT = re.compile(r"^step_(\d+)\.zip$")
_BUFFER_ARRAYS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


# ------------------------------------------------------------------ environments ---
class ScenarioMix(gym.Env):
    """Several scenarios of one env id behind one env: each reset draws a scenario (uniformly)
    and one of its ``seeds`` from this env's generator (seeded by ``reset(seed=...)``), and
    resets that scenario's env with it. ``info`` gains ``scenario``, ``plant_seed`` and
    ``start_step``.

    Random starts (``latest_start``: scenario -> the latest start in control steps, and
    ``episode_steps``): the reset then also draws a start step uniformly in
    ``0..latest_start[name]`` and runs the plant that many steps with the zero action (the ACC
    alone: the supervisory env's setpoints unmoved, or no residual correction), so a 24-h
    training episode can see hour 50 of a 72-h scenario. The episode then lasts at most
    ``episode_steps`` steps (truncated, unless the plant ends it first); the scenario's env must
    run to its scenario's end. A plant that trips during the run-up is reset with the same seed
    and the episode starts at step 0 (``start_step`` 0)."""

    def __init__(self, envs: dict[str, gym.Env], seeds: dict[str, tuple[int, ...]],
                 latest_start: dict[str, int] | None = None, episode_steps: int | None = None):
        if (latest_start is None) != (episode_steps is None):
            raise ValueError("ScenarioMix: random starts need both latest_start and episode_steps")
        self.envs, self.seeds = envs, seeds
        self.latest_start, self.episode_steps = latest_start, episode_steps
        self._names = list(envs)
        self._active = envs[self._names[0]]
        self._steps = 0
        self.observation_space, self.action_space = self._active.observation_space, self._active.action_space
        self._zero_action = np.zeros(self.action_space.shape, dtype=self.action_space.dtype)
        for name, env in envs.items():
            if env.observation_space != self.observation_space or env.action_space != self.action_space:
                raise ValueError(f"env.scenarios: {name!r} has observation space {env.observation_space.shape} and "
                                 f"action space {env.action_space.shape}, {self._names[0]!r} has "
                                 f"{self.observation_space.shape} and {self.action_space.shape}; one policy needs one "
                                 "layout (a scenario with a moisture forecast adds an observation element)")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        name = self._names[int(self.np_random.integers(len(self._names)))]
        plant_seed = int(self.np_random.choice(self.seeds[name]))
        self._active = self.envs[name]
        self._steps = 0
        obs, info = self._active.reset(seed=plant_seed, options=options)
        start = int(self.np_random.integers(self.latest_start[name] + 1)) if self.latest_start else 0
        for _ in range(start):
            obs, _, terminated, truncated, info = self._active.step(self._zero_action)
            if terminated or truncated:  # tripped under the ACC alone: start this seed at 0
                obs, info = self._active.reset(seed=plant_seed, options=options)
                start = 0
                break
        return obs, {**info, "scenario": name, "plant_seed": plant_seed, "start_step": start}

    def step(self, action):
        obs, reward, terminated, truncated, info = self._active.step(action)
        self._steps += 1
        if self.episode_steps is not None and self._steps >= self.episode_steps:
            truncated = True
        return obs, reward, terminated, truncated, info


def make_env(env_cfg: EnvConfig, scenario: str, episode_hours: float | None = None) -> gym.Env:
    """One env of ``env_cfg`` for ``scenario`` (with the residual wrapper when configured)."""
    import sim  # noqa: F401  (registers the environments; needed in SubprocVecEnv workers)

    env = gym.make(env_cfg.id, plant=env_cfg.plant, scenario=scenario,
                   episode_hours=episode_hours or env_cfg.episode_hours, **env_cfg.kwargs)
    if env_cfg.residual is not None:
        env = ResidualWrapper(env, **env_cfg.residual.model_dump())
    return env


def _make_mix(env_cfg: EnvConfig, seeds: dict[str, tuple[int, ...]]) -> gym.Env:
    """A training env (:class:`ScenarioMix` under SB3's ``Monitor``, which reports episode stats);
    with ``env_cfg.random_start`` each scenario's env runs to the end of its scenario."""
    if not env_cfg.random_start:
        return Monitor(ScenarioMix({name: make_env(env_cfg, name) for name in seeds}, seeds))
    envs, latest = {}, {}
    for name in seeds:
        hours = max(load_scenario(name).duration_h, env_cfg.episode_hours)
        envs[name] = make_env(env_cfg, name, hours)
        interval_s = envs[name].unwrapped.control_interval_s
        latest[name] = round((hours - env_cfg.episode_hours) * 3600.0 / interval_s)
    episode_steps = round(env_cfg.episode_hours * 3600.0 / interval_s)
    return Monitor(ScenarioMix(envs, seeds, latest, episode_steps))


def env_setup(env_cfg: EnvConfig) -> dict:
    """The env description stored in policy cards (what :class:`agents.sb3.SB3Controller` needs)."""
    return env_cfg.model_dump(mode="json")


def algo_setup(cfg: TrainConfig) -> dict:
    """The algorithm description stored in policy cards (policy name resolved)."""
    return {**cfg.algo.model_dump(mode="json"), "policy": cfg.algo.policy_name}


class TimedVecEnv(VecEnvWrapper):
    """Counts the wall time spent stepping and resetting the wrapped envs (``env_time_s``)."""

    def __init__(self, venv):
        super().__init__(venv)
        self.env_time_s = 0.0

    def reset(self):
        t0 = time.perf_counter()
        obs = self.venv.reset()
        self.env_time_s += time.perf_counter() - t0
        return obs

    def step_wait(self):
        t0 = time.perf_counter()
        out = self.venv.step_wait()
        self.env_time_s += time.perf_counter() - t0
        return out


class ScenarioBatches(BatchedVecEnv):
    """The scenario mix on the batched plant: one batch per scenario
    (``gymnasium.make_vec(env.id, num_envs=k, vectorization_mode="vector_entry_point")``, a
    :class:`sim.batch.PlantBatch` holding one plant config and one scenario), and every one of
    the ``n_envs`` slots of the VecEnv assigned to one scenario for the whole run.

    The assignment is the seeded mix: the scenarios in an order drawn from
    ``numpy.random.default_rng(seed)``, dealt round robin to the slots, so each scenario holds
    ``n_envs // len(scenarios)`` or one more slots (``n_envs`` must be at least the number of
    scenarios) and the slots of one scenario are adjacent. A slot's first episode takes one of its
    scenario's training seeds, drawn by the slot's generator (seeded ``seed + slot`` by SB3, as
    :class:`ScenarioMix` draws); later episodes are seeded by the batch's autoreset from the
    slot's generator (``SyncVectorEnv``'s rule), so after the first episode the plant seeds are
    not limited to the scenario's training seeds (they are 31-bit draws; meeting a held-out or
    test seed has a chance of about 1e-9 per episode). Where :class:`ScenarioMix` draws a
    scenario per episode, here the share of each scenario is fixed by the slot counts.
    """

    def __init__(self, env_cfg: EnvConfig, seeds: dict[str, tuple[int, ...]], n_envs: int, seed: int):
        import sim  # noqa: F401  (registers the environments)

        names = list(seeds)
        order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
        counts = {name: len(range(k, n_envs, len(order))) for k, name in enumerate(order)}
        #: Scenario of every slot, in slot order.
        self.slot_scenarios = [name for name in names for _ in range(counts[name])]
        self.train_seeds = seeds
        batches = [gym.make_vec(env_cfg.id, num_envs=counts[name], vectorization_mode="vector_entry_point",
                                autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, plant=env_cfg.plant,
                                scenario=name, episode_hours=env_cfg.episode_hours, **env_cfg.kwargs)
                   for name in names]
        try:
            super().__init__(batches)
        except ValueError as err:
            raise ValueError(f"env.scenarios {names}: {err}; one policy needs one layout (a scenario with a moisture "
                             "forecast adds an observation element)") from None

    def plant_seeds(self, seeds: list[int | None]) -> list[int | None]:
        """Each seeded slot's first plant seed: one of its scenario's training seeds."""
        return [None if s is None else int(np.random.default_rng(s).choice(self.train_seeds[name]))
                for s, name in zip(seeds, self.slot_scenarios)]


def make_vec_env(cfg: TrainConfig):
    """The training VecEnv: ``VecNormalize(TimedVecEnv(...))`` over
    ``VecMonitor(ScenarioBatches)`` (``vec_env.kind: batched``) or
    ``Dummy|SubprocVecEnv(Monitor(ScenarioMix) ...)``."""
    train_seeds = {name: pair[0] for name, pair in cfg.seeds().items()}
    if cfg.vec_env.kind == "batched":
        venv = VecMonitor(ScenarioBatches(cfg.env, train_seeds, cfg.vec_env.n_envs, cfg.seed))
    else:
        fns = [partial(_make_mix, cfg.env, train_seeds) for _ in range(cfg.vec_env.n_envs)]
        venv = SubprocVecEnv(fns) if cfg.vec_env.kind == "subproc" else DummyVecEnv(fns)
    n = cfg.normalize
    gamma = cfg.algo.hyperparameters.get("gamma", 0.99)
    return VecNormalize(TimedVecEnv(venv), norm_obs=n.observations, norm_reward=n.rewards,
                        clip_obs=n.clip_obs, clip_reward=n.clip_reward, gamma=gamma)


# ------------------------------------------------------------------ evaluation ---
class _Act:
    """``act(obs, info) -> action`` as a :class:`agents.base.Controller` for ``run_episode``."""

    name = "policy"

    def __init__(self, act):
        self.act = act

    def reset(self, seed: int | None = None) -> None:
        pass


def run_policy_episode(env: gym.Env, act, seed: int) -> dict:
    """One episode with ``act(obs, info) -> action``: its run record
    (:func:`agents.acceptance.run_record`) plus the total ``reward``."""
    df = run_episode(env, _Act(act), seed, progress=False)
    return {**run_record(df), "reward": float(df["reward"].sum())}


def summarise(records: list[dict]) -> dict:
    """Mean and std of the episode rewards, mean steam-flow std [t/h], mean net kWh/t and the
    breach counts (:func:`agents.acceptance.breaches`: emission exceedances, 5-min means below
    850 degC, trips) of episode records."""
    rewards = [r["reward"] for r in records]
    return {"mean_reward": float(np.mean(rewards)), "std_reward": float(np.std(rewards)),
            "steam_std_t_h": mean_kpi(records, "steam_flow_std_t_h"),
            "net_kwh_per_t": mean_kpi(records, "net_kwh_per_t"), **breaches(records)}


def selection_key(row: dict) -> tuple[int, float]:
    """How evaluations rank for the best model (higher is better): an evaluation that adds no
    trip, emission exceedance or 5-min mean below 850 degC and loses no net kWh/t against
    rule_based on the same episodes (the acceptance bar without its steam figure) ranks by the
    lowest steam-flow std; any other ranks below all of those, by mean reward."""
    r = {k: float(v) for k, v in row.items() if v not in ("", None)}
    if "rule_based_trips" not in r:  # evaluations.csv of an older run: reward only
        return 0, r["mean_reward"]
    eligible = (all(r[k] <= r[f"rule_based_{k}"] for k in ("trips", "emission_exceedances", "furnace_below_850_5min"))
                and r["net_kwh_per_t"] >= r["rule_based_net_kwh_per_t"])
    return (1, -r["steam_std_t_h"]) if eligible else (0, r["mean_reward"])


def _rule_based_reference(cfg: TrainConfig, episodes: list[tuple[str, int]], hours: float) -> dict:
    """:func:`summarise` of ``rule_based`` on ``episodes`` on plain ``WtE/Incinerator-v0``."""
    from . import make_controller

    kwargs = cfg.env.kwargs if cfg.env.id == "WtE/Incinerator-v0" else {}  # other ids: other keywords
    results = []
    for scenario, seed in episodes:
        env = gym.make("WtE/Incinerator-v0", plant=cfg.env.plant, scenario=scenario, episode_hours=hours, **kwargs)
        acc = make_controller("rule_based", env)
        acc.reset(seed)
        results.append(run_policy_episode(env, acc.act, seed))
    return summarise(results)


class PeriodicEvaluation(BaseCallback):
    """Evaluation every ``eval.every_steps`` on fixed (scenario, seed) episodes: a row of
    evaluations.csv, the eval/ logger keys, the training curve, and ``best_model.zip`` when the
    row ranks best (:func:`selection_key`). ``seconds``: the wall time it took."""

    def __init__(self, cfg: TrainConfig, out: Path):
        super().__init__()
        self.cfg, self.out = cfg, out
        self.setup = (algo_setup(cfg), env_setup(cfg.env))
        evals = {name: ev for name, (_, ev) in cfg.seeds().items()}
        # round robin over the scenarios, so that max_episodes keeps every scenario in
        pairs = [(name, ev[k]) for k in range(max(map(len, evals.values()))) for name, ev in evals.items() if k < len(ev)]
        self.episodes = pairs[:cfg.eval.max_episodes] if cfg.eval.max_episodes else pairs
        self.hours = cfg.eval.episode_hours or cfg.env.episode_hours
        self.envs: dict[str, gym.Env] = {}
        self.best: tuple = (-1, -np.inf)
        self.reference: dict = {}
        self.seconds = 0.0
        self.last_eval_step = None
        self.next_eval = 0

    def _on_training_start(self) -> None:
        # every env is built now, so a long run does not read config files edited while it runs
        for scenario in dict(self.episodes):
            self.envs[scenario] = make_env(self.cfg.env, scenario, self.hours)
        self.reference = _rule_based_reference(self.cfg, self.episodes, self.hours)
        self.next_eval = _next_multiple(self.model.num_timesteps, self.cfg.eval.every_steps)
        rows = _read_evaluations(self.out / "evaluations.csv")
        if rows:
            self.best = max(map(selection_key, rows))

    def _on_step(self) -> bool:
        if self.model.num_timesteps >= self.next_eval:
            self.next_eval += self.cfg.eval.every_steps
            self.evaluate()
        return True

    def evaluate(self) -> None:
        t0 = time.perf_counter()
        self.last_eval_step = self.model.num_timesteps
        policy = Policy(self.model, ObsNormaliser.from_vecnormalize(self.model.get_env()))
        results = []
        for scenario, seed in self.episodes:
            policy.reset()
            results.append(run_policy_episode(self.envs[scenario], lambda o, _i: policy.act(o), seed))
        row = {"timesteps": self.model.num_timesteps, **summarise(results),
               **{f"rule_based_{k}": v for k, v in self.reference.items()}}
        _append_evaluation(self.out / "evaluations.csv", row)
        for key in ("mean_reward", "steam_std_t_h", "trips", "emission_exceedances", "furnace_below_850_5min"):
            self.logger.record(f"eval/{key}", row[key])
        self.logger.record("eval/steam_std_vs_rule_based", row["steam_std_t_h"] / row["rule_based_steam_std_t_h"])
        if selection_key(row) > self.best:
            self.best = selection_key(row)
            save_policy(self.model, self.model.get_env(), self.out / "best_model.zip", *self.setup)
        plot_training_curve(self.out)
        self.seconds += time.perf_counter() - t0


class PeriodicCheckpoint(BaseCallback):
    """``checkpoints/step_N.zip`` (+ ``.replay.npz`` for off-policy algorithms) every
    ``checkpoint_every_steps``. ``seconds``: the wall time it took."""

    def __init__(self, cfg: TrainConfig, out: Path):
        super().__init__()
        self.every, self.out = cfg.checkpoint_every_steps, out
        self.setup = (algo_setup(cfg), env_setup(cfg.env))
        self.seconds = 0.0
        self.next_checkpoint = 0

    def _on_training_start(self) -> None:
        self.next_checkpoint = _next_multiple(self.model.num_timesteps, self.every)

    def _on_step(self) -> bool:
        if self.model.num_timesteps >= self.next_checkpoint:
            self.next_checkpoint += self.every
            self.checkpoint()
        return True

    def checkpoint(self) -> None:
        t0 = time.perf_counter()
        path = self.out / "checkpoints" / f"step_{self.model.num_timesteps}.zip"
        path.parent.mkdir(exist_ok=True)
        save_policy(self.model, self.model.get_env(), path, *self.setup)
        if hasattr(self.model, "replay_buffer") and self.model.replay_buffer is not None:
            save_replay_buffer(self.model.replay_buffer, path.with_suffix(".replay.npz"))
        self.seconds += time.perf_counter() - t0


def _next_multiple(n: int, every: int) -> int:
    """The first multiple of ``every`` above ``n`` (the next periodic step of a run at step n)."""
    return (n // every + 1) * every


def _append_evaluation(path: Path, row: dict) -> None:
    rows = _read_evaluations(path) + [row]
    lines = [",".join(row)] + [",".join(str(r.get(k, "")) for k in row) for r in rows]
    write_text(path, "\n".join(lines) + "\n")


def _read_evaluations(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def plot_training_curve(out: Path) -> None:
    """``out/training_curve.png``: training episode reward and evaluation figures vs timesteps."""
    import matplotlib.pyplot as plt  # Agg backend: set by sim.results

    progress = _read_evaluations(out / "logs" / "progress.csv")
    evals = _read_evaluations(out / "evaluations.csv")
    fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    train = [(float(r["time/total_timesteps"]), float(r["rollout/ep_rew_mean"])) for r in progress
             if r.get("rollout/ep_rew_mean") not in (None, "")]
    if train:
        ax1.plot(*zip(*train), lw=0.8, label="training episodes (mean reward)")
    if evals:
        steps = [float(r["timesteps"]) for r in evals]
        ax1.plot(steps, [float(r["mean_reward"]) for r in evals], "o-", label="evaluation (mean reward)")
        if evals[0].get("rule_based_mean_reward"):
            ax1.axhline(float(evals[0]["rule_based_mean_reward"]), color="r", ls="--", label="rule_based (evaluation)")
        ax2.plot(steps, [float(r["steam_std_t_h"]) for r in evals], "o-", label="policy")
        ax2.axhline(float(evals[0]["rule_based_steam_std_t_h"]), color="r", ls="--", label="rule_based")
        for key, style in (("trips", "o-"), ("emission_exceedances", "s-"), ("furnace_below_850_5min", "^-")):
            if evals[0].get(f"rule_based_{key}") not in (None, ""):
                line, = ax3.plot(steps, [float(r[key]) for r in evals], style, label=key)
                ax3.axhline(float(evals[0][f"rule_based_{key}"]), color=line.get_color(), ls="--")
    ax1.set_ylabel("episode reward")
    ax2.set_ylabel("steam-flow std [t/h]\n(evaluation episodes)")
    ax3.set_ylabel("count over the evaluation\n(dashed: rule_based)")
    ax3.set_xlabel("environment steps")
    for ax in (ax1, ax2, ax3):
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=8)
    fig.suptitle(out.name)
    fig.tight_layout()
    save_figure(fig, out / "training_curve.png", dpi=100)


# ------------------------------------------------------------------ replay buffers ---
def save_replay_buffer(buffer, path: Path) -> None:
    """The filled part of an SB3 replay buffer as plain arrays (``.npz``, no pickle)."""
    n = buffer.buffer_size if buffer.full else buffer.pos
    arrays = {k: getattr(buffer, k)[:n] for k in _BUFFER_ARRAYS if getattr(buffer, k, None) is not None}
    write_binary(path, lambda fh: np.savez(fh, pos=buffer.pos, full=buffer.full, **arrays))


def load_replay_buffer(buffer, path: Path) -> None:
    with np.load(path, allow_pickle=False) as z:
        for k in _BUFFER_ARRAYS:
            if k in z.files:
                target = getattr(buffer, k)
                if z[k].shape[1:] != target.shape[1:] or len(z[k]) > len(target):
                    raise ValueError(f"{path}: {k} of shape {z[k].shape} does not fit the buffer {target.shape}")
                target[:len(z[k])] = z[k]
        buffer.pos, buffer.full = int(z["pos"]), bool(z["full"])


# ------------------------------------------------------------------ run folder ---
def versions() -> dict:
    """Python, platform, package versions and the git commit of this checkout (if any)."""
    pkgs = {}
    for name in PACKAGES:
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": pkgs,
            "git_commit": commit, "git_dirty": dirty}


def latest_checkpoint(run: Path) -> Path:
    """The checkpoint with the most steps in ``run/checkpoints`` (FileNotFoundError if none)."""
    found = [(int(m.group(1)), p) for p in (run / "checkpoints").glob("step_*.zip") if (m := _CHECKPOINT.match(p.name))]
    if not found:
        raise FileNotFoundError(f"no checkpoint (checkpoints/step_N.zip) in {run}")
    return max(found)[1]


#: Config parts a resumed run may change; the rest must equal the saved config.
RESUMABLE_CHANGES = ("total_timesteps", "progress_bar", "eval", "checkpoint_every_steps")


def _check_resumable(cfg: TrainConfig, out: Path) -> None:
    from .train_config import load_config

    saved = load_config(out / "config.yaml").model_dump(mode="json")
    new = cfg.model_dump(mode="json")
    changed = sorted(k for k in new if k not in RESUMABLE_CHANGES and new[k] != saved[k])
    if changed:
        raise ConfigError(f"resume {out}: {changed} differ from the run's config.yaml; a resumed run may only "
                          f"change {list(RESUMABLE_CHANGES)}")


def _start_from(model, venv, cfg: TrainConfig, zip_path: Path) -> None:
    """Copy the policy ``zip_path``'s network weights and normalisation statistics into the new
    ``model`` and ``venv`` (``init_from``, see :mod:`agents.train_config`)."""
    try:
        card = read_card(zip_path)
    except (FileNotFoundError, ValueError) as err:
        raise ConfigError(f"init_from={str(zip_path)!r}: {err}") from None
    mine = {"algorithm": cfg.algo.name, "policy": cfg.algo.policy_name, "policy_kwargs": cfg.algo.policy_kwargs,
            "observation_space": box_to_json(model.observation_space), "action_space": box_to_json(model.action_space)}
    theirs = {"algorithm": card["algo"]["name"], "policy": card["algo"]["policy"],
              "policy_kwargs": card["algo"].get("policy_kwargs", {}),
              "observation_space": card["observation_space"], "action_space": card["action_space"]}
    for key, value in mine.items():
        if theirs[key] != value:
            if key.endswith("_space"):  # told by size, not bound by bound
                n_theirs, n_mine = len(theirs[key]["low"]), len(value["low"])
                bounds = " (other bounds)" if n_theirs == n_mine else ""
                raise ConfigError(f"init_from={str(zip_path)!r}: its {key} is a box of {n_theirs} elements{bounds}; "
                                  f"this config's has {n_mine}")
            raise ConfigError(f"init_from={str(zip_path)!r}: its {key} is {theirs[key]!r}; this config's is {value!r}")
    model.policy.load_state_dict(load_model(zip_path, card).policy.state_dict())
    restore_normalisation(venv, card["normalisation"])


def train(cfg: TrainConfig, out: str | Path, resume: bool = False) -> Path:
    """Train ``cfg`` into the run folder ``out`` (see the module docstring); returns ``out``.

    ``resume=True`` continues from the latest checkpoint in ``out`` up to ``cfg.total_timesteps``.
    A new run refuses a folder that already holds a ``config.yaml`` (FileExistsError).
    """
    out = Path(out)
    if not resume and (out / "config.yaml").exists():
        raise FileExistsError(f"{out} already holds a run; use another --out or --resume {out}")
    if resume:
        _check_resumable(cfg, out)
    torch.set_num_threads(cfg.torch_threads)
    algo, policy = cfg.algo.name, cfg.algo.policy_name
    venv = make_vec_env(cfg)
    if resume:
        ckpt = latest_checkpoint(out)
        card = read_card(ckpt)
        model = load_model(ckpt, card, env=venv)
        restore_normalisation(venv, card["normalisation"])
        replay = ckpt.with_suffix(".replay.npz")
        if getattr(model, "replay_buffer", None) is not None and replay.is_file():
            load_replay_buffer(model.replay_buffer, replay)
        set_random_seed(cfg.seed + model.num_timesteps)
        if model.num_timesteps >= cfg.total_timesteps:
            raise ConfigError(f"total_timesteps={cfg.total_timesteps}: the run is already at "
                              f"{model.num_timesteps} steps; give a larger total_timesteps=... to continue")
    else:
        set_random_seed(cfg.seed)
        model = algorithm_class(algo)(policy, venv, seed=cfg.seed, device="cpu", verbose=0,
                                      policy_kwargs=policy_kwargs_from_json(cfg.algo.policy_kwargs), **cfg.algo.hyperparameters)
        if cfg.init_from is not None:
            _start_from(model, venv, cfg, Path(cfg.init_from))
    out.mkdir(parents=True, exist_ok=True)  # only now: a config that cannot start leaves no folder
    write_text(out / "config.yaml", dump(cfg))
    write_json(out / "versions.json", versions())
    formats = ["csv"]
    try:
        import tensorboard  # noqa: F401

        formats.append("tensorboard")
    except ImportError:
        pass
    model.set_logger(configure(str(out / "logs"), formats))
    evaluation, checkpoints = PeriodicEvaluation(cfg, out), PeriodicCheckpoint(cfg, out)
    steps0 = model.num_timesteps
    t0 = time.perf_counter()
    model.learn(total_timesteps=cfg.total_timesteps - steps0, reset_num_timesteps=not resume,
                callback=CallbackList([evaluation, checkpoints]), progress_bar=cfg.progress_bar)
    train_s = time.perf_counter() - t0 - evaluation.seconds - checkpoints.seconds  # those taken out
    env_s = venv.venv.env_time_s
    if evaluation.last_eval_step != model.num_timesteps:  # the final policy is always evaluated
        evaluation.evaluate()
    checkpoints.checkpoint()
    save_policy(model, venv, out / "model.zip", *evaluation.setup)
    steps = model.num_timesteps - steps0
    report = {"env_steps": steps, "training_wall_s": train_s, "env_steps_per_s": steps / train_s,
              "env_step_wall_s": env_s, "env_share_of_training": env_s / train_s,
              "evaluation_and_checkpoint_wall_s": evaluation.seconds + checkpoints.seconds,
              "vec_env": cfg.vec_env.model_dump(), "torch_threads": cfg.torch_threads, "algo": algo}
    write_json(out / "throughput.json", report)
    plot_training_curve(out)
    venv.close()
    return out
