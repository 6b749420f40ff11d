"""``fixed``: the design commands held open loop, for reference.

Only the drum level stays in automatic (three-element loop): no drum boiler is run with the
feedwater valve fixed, and without it every run would end in a level trip within the hour.
"""
from __future__ import annotations

from .base import PlantController


class FixedController(PlantController):
    name = "fixed"

    def commands(self, m: dict, steam_setpoint_t_h: float) -> dict[str, float]:
        cmd = dict(self.design)
        cmd["feedwater_t_h"] = self.level.feedwater_t_h(m, self.dt_s)
        return cmd
