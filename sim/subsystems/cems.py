"""Stack CEMS as an instrument: sampled, delayed, lagged and noisy (docs/physics.md §8.1).

Every ``period_s`` the analyser takes the true stack values; a reading shows the sample taken
``delay_s`` earlier, through a first-order lag ``tau_s`` and with relative Gaussian noise drawn
from the plant's generator. During an outage the last valid reading is held and ``valid`` is
False (the KPI code then treats the period as missing data).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..config import Cems

CHANNELS = ("co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3")


class CemsState:
    """Plain-data state of the instrument (deep-copyable for snapshots)."""

    def __init__(self, cfg: Cems, initial: np.ndarray):
        n_delay = max(int(round(cfg.delay_s / cfg.period_s)), 0) + 1
        first = np.array(initial, dtype=float)
        self.line = np.empty((n_delay, first.size))  # ring buffer of the samples in the sample line
        self.line[:] = first
        self.head = 0                             # where the next sample goes (= the oldest one)
        self.filtered = first.copy()
        self.reading = first.copy()
        self.valid = True
        self.lag = 1.0 - math.exp(-cfg.period_s / cfg.tau_s)


def sample(state: CemsState, truth: np.ndarray, cfg: Cems, rng: np.random.Generator, outage: bool) -> None:
    """Take one sample of the true stack values (CHANNELS order first) and update the reading."""
    noise = rng.standard_normal(len(CHANNELS))
    state.head = update(state.line, state.head, state.filtered, state.reading, truth, noise, state.lag, cfg.noise_rel,
                        outage)
    state.valid = not outage


@njit(cache=True)
def update(line, head, filtered, reading, truth, noise, lag, noise_rel, outage):
    """One sample: store ``truth[:n]`` (n = ``line``'s width) at ``head`` of the sample line, pass
    the sample taken ``delay_s`` ago through the lag and, unless in an outage, show it with the
    relative ``noise`` (standard normals) in ``reading`` (not below 0). Returns the new head."""
    n_delay, n = line.shape
    for k in range(n):
        line[head, k] = truth[k]
    head = (head + 1) % n_delay
    for k in range(n):  # line[head] is now the sample taken delay_s ago
        filtered[k] += (line[head, k] - filtered[k]) * lag
    if not outage:
        for k in range(n):
            r = filtered[k] * (1.0 + noise_rel * noise[k])
            reading[k] = r if (r >= 0.0 or r != r) else 0.0  # np.maximum(r, 0.0)
    return head
