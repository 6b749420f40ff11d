"""Stack CEMS as an instrument: sampled, delayed, lagged and noisy (domain.md §4).

Every ``period_s`` the analyser takes the true stack values; a reading shows the sample taken
``delay_s`` earlier, through a first-order lag ``tau_s`` and with relative Gaussian noise drawn
from the plant's generator. During an outage the last valid reading is held and ``valid`` is
False (the KPI code then treats the period as missing data).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..config import Cems

CHANNELS = ("co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3")


class CemsState:
    """Plain-data state of the instrument (deep-copyable for snapshots)."""

    def __init__(self, cfg: Cems, initial: dict[str, float]):
        n_delay = max(int(round(cfg.delay_s / cfg.period_s)), 0) + 1
        first = np.array([initial[c] for c in CHANNELS])
        self.line = deque([first.copy() for _ in range(n_delay)], maxlen=n_delay)
        self.filtered = first.copy()
        self.reading = first.copy()
        self.valid = True


def sample(state: CemsState, truth: dict[str, float], cfg: Cems, rng: np.random.Generator, outage: bool) -> None:
    """Take one sample and update the reading."""
    state.line.append(np.array([truth[c] for c in CHANNELS]))
    delayed = state.line[0]
    state.filtered += (delayed - state.filtered) * (1.0 - math.exp(-cfg.period_s / cfg.tau_s))
    noise = rng.standard_normal(len(CHANNELS))
    if outage:
        state.valid = False
        return
    state.valid = True
    state.reading = np.maximum(state.filtered * (1.0 + cfg.noise_rel * noise), 0.0)
