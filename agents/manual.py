"""``manual``: an operator at the DCS, for comparison with automatic control.

Every few minutes (5 min, with a seeded jitter of up to ±1 min: people are not clocks) the
operator looks at steam flow, furnace temperature and CO and, outside dead bands, moves the
load (feed, grate, primary air together along the load curve) and the secondary air by fixed
steps. Reagents stay at their design dosing. The drum level, as everywhere, is automatic.
"""
from __future__ import annotations

import numpy as np

from .base import PlantController

CHECK_PERIOD_S, JITTER_S = 300.0, 60.0
STEAM_DEADBAND_T_H, LOAD_STEP = 3.0, 0.03
T_LOW_DEGC, CO_HIGH_MG_NM3, AIR_STEP = 880.0, 60.0, 0.05


class ManualOperator(PlantController):
    name = "manual"

    def __init__(self, env):
        super().__init__(env)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.rng = np.random.default_rng(seed)
        self.load, self.air = 1.0, 1.0
        self.wait_s = CHECK_PERIOD_S

    def commands(self, m: dict, steam_setpoint_t_h: float) -> dict[str, float]:
        self.wait_s -= self.dt_s
        if self.wait_s <= 0:
            self.wait_s = CHECK_PERIOD_S + JITTER_S * (2 * self.rng.random() - 1)
            error = steam_setpoint_t_h - m["steam_flow_t_h"]
            if abs(error) > STEAM_DEADBAND_T_H:
                self.load = float(np.clip(self.load + np.sign(error) * LOAD_STEP, 0.6, 1.3))
            if m["furnace_temp_degc"] < T_LOW_DEGC:
                self.air = max(self.air - AIR_STEP, 0.6)
            elif m["co_mg_nm3"] > CO_HIGH_MG_NM3:
                self.air = min(self.air + AIR_STEP, 1.4)
        d = self.design
        cmd = dict(d)
        cmd.update({
            "feed_rate_t_h": d["feed_rate_t_h"] * self.load,
            "grate_speed_pct": d["grate_speed_pct"] * self.load,
            "primary_air_nm3_h": d["primary_air_nm3_h"] * self.load,
            "secondary_air_nm3_h": d["secondary_air_nm3_h"] * self.load * self.air,
            "feedwater_t_h": self.level.feedwater_t_h(m, self.dt_s),
        })
        return {k: min(max(v, self.lower[i]), self.upper[i]) for i, (k, v) in enumerate(cmd.items())}
