"""wte-sim: a waste-to-energy grate incinerator simulator for control research.

``sim.Plant`` is the SimPy plant model; importing ``sim`` also registers the Gymnasium
environments under the ``WtE`` namespace (see :mod:`sim.envs`).
"""
from . import kpis
from .config import ConfigError, load_plant, load_scenario
from .plant import Plant

__all__ = ["Plant", "ConfigError", "kpis", "load_plant", "load_scenario"]
from . import envs  # noqa: E402,F401  (registers the WtE/* environments)
