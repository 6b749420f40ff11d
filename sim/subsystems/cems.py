"""Stack CEMS as an instrument: sampled, delayed, lagged and noisy (domain.md §4).

Every ``period_s`` the analyser takes the true stack values; a reading shows the sample taken
``delay_s`` earlier, through a first-order lag ``tau_s`` and with relative Gaussian noise drawn
from the plant's generator. During an outage the last valid reading is held and ``valid`` is
False (the KPI code then treats the period as missing data).
"""
from __future__ import annotations

import math
import numpy as np

from ..config import Cems

CHANNELS = ("co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3")


class CemsState:
    """Plain-data state of the instrument (deep-copyable for snapshots)."""

    def __init__(self, cfg: Cems, initial: np.ndarray):
        n_delay = max(int(round(cfg.delay_s / cfg.period_s)), 0) + 1
        first = np.array(initial, dtype=float)
        self.line = np.tile(first, (n_delay, 1))  # ring buffer of the samples in the sample line
        self.head = 0                             # where the next sample goes (= the oldest one)
        self.filtered = first.copy()
        self.reading = first.copy()
        self.valid = True
        self.lag = 1.0 - math.exp(-cfg.period_s / cfg.tau_s)


def sample(state: CemsState, truth: np.ndarray, cfg: Cems, rng: np.random.Generator, outage: bool) -> None:
    """Take one sample of the true stack values (CHANNELS order) and update the reading."""
    n = state.line.shape[0]
    state.line[state.head] = truth
    state.head = (state.head + 1) % n
    delayed = state.line[state.head]      # the sample taken delay_s ago
    state.filtered += (delayed - state.filtered) * state.lag
    noise = rng.standard_normal(len(CHANNELS))
    if outage:
        state.valid = False
        return
    state.valid = True
    np.maximum(state.filtered * (1.0 + cfg.noise_rel * noise), 0.0, out=state.reading)
