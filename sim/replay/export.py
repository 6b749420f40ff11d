"""Offline-RL datasets from logged or simulated episodes.

Every export writes, into the folder given:

- ``dataset.npz``: D4RL-style arrays (``numpy.load(path, allow_pickle=False)``; plain arrays, no
  code): ``observations`` (N x 29, the ``WtE/Incinerator-v0`` observation), ``actions`` (N x 9,
  normalised to [-1, 1] as the environment takes them), ``rewards`` (N, the environment's reward
  terms summed), ``next_observations``, ``terminals`` (a trip ended the episode), ``timeouts``
  (the episode was cut by its length or the end of the log), ``episode_ids``;
- ``dataset.json``: observation and action names, actuator bounds, step, source, per-episode
  lengths and the notes (what stood in for missing channels);
- with Minari installed (``pip install "minari[arrow]"``), a Minari dataset ``wte/<name>-v0``
  under ``minari/`` (load it with ``MINARI_DATASETS_PATH=DIR/minari`` and
  ``minari.load_dataset("wte/<name>-v0")``); it records ``WtE/Incinerator-v0`` as its env.

A logged step's reward is computed from the logged measurements and commands with the
environment's reward terms (:func:`sim.envs.reward.reward_terms`), so logged and simulated
episodes score alike.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np

from sim.envs.incinerator import OBSERVATION_NAMES
from sim.envs.reward import RewardWeights, reward_terms
from sim.plant import Plant
from sim.results import atomic_write, write_json
from sim.units import ACTUATORS, MEASUREMENTS

from .log import PlantLog
from .observe import logged_view
from .openloop import build_plant


@dataclass
class Episode:
    """One episode: observations has one row more than actions (the state after the last step)."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: bool
    source: str
    notes: list[str] = field(default_factory=list)


def episode_from_log(log: PlantLog, plant="reference_750tpd", steam_setpoint_t_h: float | None = None) -> Episode:
    """The log as one episode (the end of the log is a timeout)."""
    p, _ = build_plant(plant)
    notes: list[str] = []
    view = logged_view(log, p, notes, steam_setpoint_t_h)
    weights = RewardWeights.from_overrides(None)
    design_net = p.measurements["net_power_mw"]
    meas, cmds = view.measurements.to_numpy(), view.commands.to_numpy()
    rewards = np.array([sum(reward_terms(weights, dict(zip(MEASUREMENTS, meas[k + 1])), cmds[k], view.actions[k],
                                         view.actions[max(k - 1, 0)], steam_setpoint_t_h=view.steam_setpoint_t_h,
                                         design_net_power_mw=design_net, tripped=False).values())
                        for k in range(len(meas) - 1)])
    return Episode(view.observations, view.actions[:-1], rewards, False, f"log {log.source}", notes)


def episode_from_env(env: gym.Env, controller, seed: int) -> Episode:
    """Run ``controller`` in ``env`` (a ``WtE/Incinerator-v0``) for one episode."""
    obs, info = env.reset(seed=seed)
    controller.reset(seed)
    observations, actions, rewards = [obs], [], []
    done = terminated = False
    while not done:
        action = np.asarray(controller.act(obs, info), dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
        done = terminated or truncated
    return Episode(np.array(observations), np.array(actions), np.array(rewards), bool(terminated),
                   f"simulated {controller.name} seed {seed}")


@contextmanager
def _minari_home(path: Path):
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH")
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def write_dataset(episodes: list[Episode], out_dir: str | Path, name: str, step_s: float,
                  plant="reference_750tpd", minari_format: bool = True) -> dict:
    """Write the episodes (see the module docstring); returns the metadata written to dataset.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {
        "observations": np.concatenate([e.observations[:-1] for e in episodes]).astype(np.float32),
        "next_observations": np.concatenate([e.observations[1:] for e in episodes]).astype(np.float32),
        "actions": np.concatenate([e.actions for e in episodes]).astype(np.float32),
        "rewards": np.concatenate([e.rewards for e in episodes]).astype(np.float32),
        "terminals": np.concatenate([_last(len(e.actions), e.terminated) for e in episodes]),
        "timeouts": np.concatenate([_last(len(e.actions), not e.terminated) for e in episodes]),
        "episode_ids": np.concatenate([np.full(len(e.actions), i, dtype=np.int32) for i, e in enumerate(episodes)]),
    }
    def save(tmp: str) -> None:
        with open(tmp, "wb") as fh:  # a file object: savez would append ".npz" to a name
            np.savez_compressed(fh, **arrays)

    atomic_write(out / "dataset.npz", save)
    lower, upper = Plant.from_config(plant).actuator_bounds
    meta = {"name": name, "format": "D4RL-style npz (observations, actions, rewards, next_observations, "
                                     "terminals, timeouts, episode_ids)",
            "env": "WtE/Incinerator-v0", "step_s": step_s, "observation_names": list(OBSERVATION_NAMES),
            "action_names": list(ACTUATORS), "action_lower": lower.tolist(), "action_upper": upper.tolist(),
            "episodes": [{"source": e.source, "steps": len(e.actions), "terminated": e.terminated,
                          "return": float(e.rewards.sum()), "notes": e.notes} for e in episodes],
            "minari": None}
    if minari_format:
        meta["minari"] = _write_minari(episodes, out / "minari", name, step_s, plant)
    write_json(out / "dataset.json", meta)
    return meta


def _last(n: int, flag: bool) -> np.ndarray:
    a = np.zeros(n, dtype=bool)
    a[-1] = flag
    return a


def _write_minari(episodes: list[Episode], home: Path, name: str, step_s: float, plant) -> str | None:
    """A Minari dataset ``wte/<name>-v0`` under ``home``; None (and nothing written) without Minari."""
    try:
        import minari
        from minari.data_collector.episode_buffer import EpisodeBuffer
    except ImportError:
        return None
    dataset_id = f"wte/{name}-v0"
    home.mkdir(parents=True, exist_ok=True)
    env = gym.make("WtE/Incinerator-v0", plant=plant, control_interval_s=step_s)
    buffers = [EpisodeBuffer(id=i, observations=e.observations, actions=e.actions, rewards=e.rewards,
                             terminations=_last(len(e.actions), e.terminated),
                             truncations=_last(len(e.actions), not e.terminated)) for i, e in enumerate(episodes)]
    with _minari_home(home):
        if dataset_id in minari.list_local_datasets():
            minari.delete_dataset(dataset_id)
        minari.create_dataset_from_buffers(dataset_id=dataset_id, buffer=buffers, env=env, algorithm_name=name,
                                           data_format="arrow", description=episodes[0].source)
    return dataset_id
