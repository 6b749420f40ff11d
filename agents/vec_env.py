"""Batched gymnasium envs behind Stable-Baselines3's ``VecEnv`` interface.

:class:`BatchedVecEnv` presents one or more gymnasium vector envs built with
``gymnasium.make_vec(id, num_envs=n, vectorization_mode="vector_entry_point",
autoreset_mode=gymnasium.vector.AutoresetMode.SAME_STEP)`` (the batched ``WtE/Incinerator-v0`` or
``WtE/IncineratorSupervisory-v0``) as one SB3 VecEnv: its slots are the batches' envs in order
(batch 0's first). ``SAME_STEP`` is the autoreset SB3 expects: the step that ends an episode
returns the next episode's first observation, the last one in
``infos[i]["terminal_observation"]``. Per-env infos carry only what SB3 reads there
(``terminal_observation``, ``TimeLimit.truncated``); wrap it in ``VecMonitor`` for episode
statistics.

Seeds: ``seed(s)`` (what SB3's ``set_random_seed`` calls) gives slot i the seed ``s + i`` for the
next reset, as ``DummyVecEnv`` does; :meth:`BatchedVecEnv.plant_seeds` maps those to the seeds the
batches are reset with (identity here; :class:`agents.training.ScenarioBatches` draws training
seeds). Later episodes of a slot are seeded by the batch's own autoreset (the slot's generator,
as ``SyncVectorEnv`` does), so the same seeds and actions give the same rollouts bit for bit.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv


class BatchedVecEnv(VecEnv):
    """SB3 VecEnv over gymnasium vector ``batches`` with ``SAME_STEP`` autoreset and equal single
    spaces (see the module docstring); ValueError naming the batch otherwise."""

    def __init__(self, batches: Sequence):
        if not batches:
            raise ValueError("BatchedVecEnv: expected at least one batch")
        first = batches[0]
        for k, b in enumerate(batches):
            if b.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
                raise ValueError(f"batch {k}: autoreset_mode={b.metadata.get('autoreset_mode')!r}; expected "
                                 "AutoresetMode.SAME_STEP (SB3 resets in the step that ends an episode)")
            if (b.single_observation_space, b.single_action_space) != (first.single_observation_space,
                                                                       first.single_action_space):
                raise ValueError(f"batch {k}: spaces {b.single_observation_space.shape}, {b.single_action_space.shape}"
                                 f" differ from batch 0's {first.single_observation_space.shape}, "
                                 f"{first.single_action_space.shape}")
        self.batches = list(batches)
        self._bounds = np.cumsum([0] + [b.num_envs for b in self.batches])
        super().__init__(int(self._bounds[-1]), first.single_observation_space, first.single_action_space)
        self._actions: np.ndarray | None = None

    def plant_seeds(self, seeds: list[int | None]) -> list[int | None]:
        """The seeds the slots are reset with, from SB3's per-slot ``seeds`` (None: unseeded)."""
        return seeds

    def reset(self) -> np.ndarray:
        seeds = self.plant_seeds(list(self._seeds))
        parts = []
        for k, b in enumerate(self.batches):
            own = seeds[self._bounds[k]:self._bounds[k + 1]]
            obs, _ = b.reset(seed=None if all(s is None for s in own) else own)
            parts.append(obs)
        self._reset_seeds()
        return np.concatenate(parts)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        obs, rewards, dones, infos = [], [], [], []
        for k, b in enumerate(self.batches):
            o, r, terminated, truncated, info = b.step(self._actions[self._bounds[k]:self._bounds[k + 1]])
            done = terminated | truncated
            slot_infos = [{} for _ in range(b.num_envs)]
            for i in np.flatnonzero(done):
                slot_infos[i] = {"terminal_observation": info["final_obs"][i],
                                 "TimeLimit.truncated": bool(truncated[i] and not terminated[i])}
            obs.append(o)
            rewards.append(r)
            dones.append(done)
            infos += slot_infos
        return np.concatenate(obs), np.concatenate(rewards).astype(np.float32), np.concatenate(dones), infos

    def close(self) -> None:
        for b in self.batches:
            b.close()

    def get_attr(self, attr_name: str, indices=None) -> list:
        """The attribute of the batch (outermost wrapper first) of each indexed slot."""
        return [getattr(self._batch(i), attr_name) for i in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value, indices=None) -> None:
        raise AttributeError(f"set_attr({attr_name!r}): the slots of a batch share one env object")

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list:
        raise AttributeError(f"env_method({method_name!r}): the slots of a batch share one env object")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))

    def _batch(self, slot: int):
        return self.batches[int(np.searchsorted(self._bounds, slot, side="right")) - 1]
