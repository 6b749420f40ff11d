"""Gymnasium environments of the plant, registered under the namespace ``WtE``.

Importing :mod:`sim` (or :mod:`sim.envs`) registers

* ``WtE/Incinerator-v0`` -- all nine actuators, normalised Box actions in [-1, 1]
  (:class:`sim.envs.incinerator.IncineratorEnv`; its docstring is the manual);
* ``WtE/IncineratorSupervisory-v0`` -- the ACC's base PID layer runs underneath and the agent
  moves its seven setpoints and biases (:class:`sim.envs.supervisory.IncineratorSupervisoryEnv`, a
  wrapper over ``WtE/Incinerator-v0``).

Both have a batched form: ``gymnasium.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")``.

The base layer (:mod:`sim.envs.base_layer`) and the PI controller it is built from
(:mod:`sim.envs.pid`) live here because the supervisory environment is made of them;
``agents.rule_based`` uses the same layer. :mod:`sim` never imports :mod:`agents`.

Use ``gymnasium.make("WtE/Incinerator-v0", scenario=..., plant=...)``. The environment module is
imported only when an environment is made (or one of the names below is used), so ``import sim``
stays light.
"""
from __future__ import annotations

import gymnasium

__all__ = ["IncineratorEnv", "IncineratorSupervisoryEnv", "BaseLayer", "SETPOINTS", "RewardWeights",
           "reward_terms", "to_action", "to_commands", "ENV_IDS"]

#: Registered environment ids -> entry points.
ENV_IDS: dict[str, str] = {
    "WtE/Incinerator-v0": "sim.envs.incinerator:IncineratorEnv",
    "WtE/IncineratorSupervisory-v0": "sim.envs.supervisory:IncineratorSupervisoryEnv",
}

#: Batched implementations (``gymnasium.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")``).
VECTOR_ENTRY_POINTS: dict[str, str] = {"WtE/Incinerator-v0": "sim.envs.vector:IncineratorVectorEnv",
                                       "WtE/IncineratorSupervisory-v0": "sim.envs.supervisory:make_supervisory_vector"}

for _env_id, _entry_point in ENV_IDS.items():
    if _env_id not in gymnasium.registry:  # importing twice (reload, tests) must not re-register
        gymnasium.register(id=_env_id, entry_point=_entry_point, vector_entry_point=VECTOR_ENTRY_POINTS.get(_env_id))

_LAZY = {
    "IncineratorEnv": "incinerator", "to_action": "incinerator", "to_commands": "incinerator",
    "RewardWeights": "reward", "reward_terms": "reward",
    "IncineratorSupervisoryEnv": "supervisory", "BaseLayer": "base_layer", "SETPOINTS": "base_layer",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
