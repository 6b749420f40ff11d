"""Controllers behind one protocol (``name``, ``reset(seed)``, ``act(observation, info)``).

``make_controller(name, env)`` builds one of the classic controllers for an environment:
``fixed`` (design commands, level loop only), ``manual`` (an operator), ``rule_based``
(automatic combustion control).
"""
from __future__ import annotations

from .base import Controller, PlantController
from .fixed import FixedController
from .manual import ManualOperator
from .rule_based import RuleBasedACC
from .runner import run_episode

CONTROLLERS = {c.name: c for c in (FixedController, ManualOperator, RuleBasedACC)}


def make_controller(name: str, env) -> Controller:
    """A controller by name for ``env`` (ValueError naming the known ones otherwise)."""
    try:
        cls = CONTROLLERS[name]
    except KeyError:
        raise ValueError(f"unknown controller {name!r}: expected one of {sorted(CONTROLLERS)}") from None
    return cls(env)


__all__ = ["Controller", "PlantController", "CONTROLLERS", "make_controller", "run_episode"]
