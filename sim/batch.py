"""Many plants of one config and scenario, advanced together in compiled code.

:class:`PlantBatch` holds N plants in one :class:`sim.state.PlantState` (the state type a
:class:`sim.Plant` holds with N = 1) and advances any subset of them in one compiled call
(:func:`sim.events.advance_rows`): a small scheduler that fires each plant's pending process
timeouts in SimPy's order (time, then creation order) and runs the same compiled process bodies
(:func:`sim.events.fire`) and core (:func:`sim.core.sync`) that the SimPy plant runs. Start states
come from the same :meth:`sim.model.PlantModel.start`. So a batched plant is a SimPy plant without
SimPy, bit for bit (``tests/test_vector.py``).
"""
from __future__ import annotations

import math

import numpy as np

from .config import PlantConfig, ScenarioConfig
from .events import max_normals_per_advance
from .model import PlantModel
from .state import PlantState

__all__ = ["PlantBatch"]


class PlantBatch:
    """N plants of one plant config and scenario (one row each of :attr:`state`).

    ``start(i, seed)`` puts plant ``i`` in the start state of ``Plant(plant, scenario, seed)``;
    ``advance(seconds, run)`` advances the plants where the bool array ``run`` is True.
    ``model`` is the :class:`sim.model.PlantModel` (config, scenario, bounds, design point).
    """

    def __init__(self, plant: PlantConfig, scenario: ScenarioConfig, num_plants: int, normals: int = 2048):
        if isinstance(num_plants, bool) or not isinstance(num_plants, (int, np.integer)) or num_plants < 1:
            raise ValueError(f"num_plants={num_plants!r}: expected an integer >= 1")
        self.n = int(num_plants)
        self.model = PlantModel(plant, scenario)
        self.state: PlantState = self.model.new_state(self.n, normals)
        self.kernels = self.model.kernels(self.state)

    def start(self, i: int, seed: int) -> None:
        """Put plant ``i`` in the start state of ``Plant(plant, scenario, seed)``."""
        self.model.start(self.state, i, int(seed))

    def advance(self, seconds: float, run: np.ndarray, extra_normals: int = 0) -> None:
        """``Plant.advance(seconds)`` for the plants where ``run`` (bool, shape (n,)) is True;
        afterwards each of them has at least ``extra_normals`` normals left in its buffer."""
        if not seconds > 0 or not math.isfinite(seconds):
            raise ValueError(f"advance(seconds): expected a positive finite duration, got {seconds!r}")
        self.state.ensure_normals(np.flatnonzero(run), max_normals_per_advance(self.model.ep, seconds) + extra_normals)
        self.kernels.advance_rows(self.state.arrays, run, float(seconds), self.model.model)

    def trip_reason(self, i: int) -> str | None:
        """None while plant ``i`` runs, else the reason (``Plant.trip``)."""
        return self.state.trip_reason(i)
