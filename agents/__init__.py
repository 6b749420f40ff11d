"""Controllers behind one protocol (``name``, ``reset(seed)``, ``act(observation, info)``).

``make_controller(name, env)`` builds one of the classic controllers for an environment:
``fixed`` (design commands, level loop only), ``manual`` (an operator), ``rule_based``
(automatic combustion control), ``learned`` (the shipped SB3 policy, :mod:`agents.learned`);
``make_controller("sb3:PATH.zip", env)`` loads any saved SB3 policy (:mod:`agents.sb3`).
``fixed`` and ``manual`` command the nine actuators of ``WtE/Incinerator-v0``; ``rule_based``
also runs on ``WtE/IncineratorSupervisory-v0``, where it is the supervisory action 0.
"""
from __future__ import annotations

from sim.errors import InputError

from .base import Controller, PlantController
from .fixed import FixedController
from .learned import LearnedController
from .manual import ManualOperator
from .rule_based import RuleBasedACC
from .runner import run_episode

CONTROLLERS = {c.name: c for c in (FixedController, ManualOperator, RuleBasedACC, LearnedController)}


def make_controller(name: str, env) -> Controller:
    """A controller by name for ``env`` (:class:`sim.errors.InputError`, a ValueError, naming the
    known ones otherwise)."""
    if name.startswith("sb3:"):
        from .sb3 import SB3Controller

        return SB3Controller(env, name[len("sb3:"):])
    try:
        cls = CONTROLLERS[name]
    except KeyError:
        raise InputError(f"unknown controller {name!r}: expected one of {sorted(CONTROLLERS)} "
                         "or 'sb3:PATH.zip'") from None
    return cls(env)


__all__ = ["Controller", "PlantController", "CONTROLLERS", "make_controller", "run_episode"]
