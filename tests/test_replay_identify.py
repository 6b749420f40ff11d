"""Step responses identified from logs (sim.replay.identify) against known systems and the plant."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.replay.identify import fir_step_response, response_figures, simulated_step
from sim.replay.quality import LogError


def first_order_log(n: int, gain: float, dead: int, tau: float, noise: float, seed: int = 0,
                    auto_from: int | None = None) -> pd.DataFrame:
    """y follows u through gain, a dead time of ``dead`` samples and a first-order lag of ``tau``
    samples, with measurement noise; u is a random binary sequence held 10-40 samples; with
    ``auto_from`` the loop is in automatic (mode 1) from that sample on and y there is unrelated."""
    rng = np.random.default_rng(seed)
    u = np.repeat(rng.choice([-1.0, 1.0], n // 10 + 1), rng.integers(10, 40, n // 10 + 1))[:n]
    x, y = 0.0, np.zeros(n)
    a = math.exp(-1.0 / tau)
    for t in range(n):
        x = a * x + (1 - a) * gain * (u[t - dead] if t >= dead else 0.0)
        y[t] = x
    y += noise * rng.standard_normal(n)
    mode = np.zeros(n)
    if auto_from is not None:
        mode[auto_from:] = 1.0
        y[auto_from:] = rng.standard_normal(n - auto_from) * 5.0
    return pd.DataFrame({"u": u, "y": y, "mode": mode}, index=10.0 * np.arange(n))


def test_fir_recovers_gain_dead_time_and_t63_of_a_known_system():
    data = first_order_log(6000, gain=2.0, dead=3, tau=5.0, noise=0.02, auto_from=4000)
    r = fir_step_response(data, "u", "y", horizon_s=300.0, step_s=10.0, mode="mode")
    f = r.figures()
    assert f["gain"] == pytest.approx(2.0, rel=0.05)
    assert f["dead_time_s"] == 30.0                       # 3 samples of 10 s
    # first order: 63 % one tau after the dead time (the discrete lag reaches it at 3 + 5 samples)
    assert 70.0 <= f["t63_s"] <= 90.0
    assert f["initial_dip"] == 0.0
    assert r.samples < 4000  # the automatic stretch is not used
    assert np.all(r.band > 0) and r.band[-1] < 0.2


def test_an_inverse_response_is_reported_as_a_dip():
    lag = np.arange(30) * 10.0
    step = np.where(lag < 50, -0.3 * np.sin(np.pi * lag / 50), 1.0 - np.exp(-(lag - 50) / 60))
    f = response_figures(lag, step, np.full(30, 0.05))
    assert f["initial_dip"] < -0.2 and f["gain"] > 0.8


def test_too_little_manual_data_is_named():
    data = first_order_log(600, 2.0, 3, 5.0, 0.02, auto_from=20)
    with pytest.raises(LogError, match="usable samples with mode = 0"):
        fir_step_response(data, "u", "y", 300.0, 10.0, mode="mode")
    with pytest.raises(LogError, match="no 'steam_flow_t_h' channel"):
        fir_step_response(data, "u", "steam_flow_t_h", 300.0, 10.0)


def test_the_simulators_feed_to_steam_step_is_within_the_plant_ranges():
    # docs/physics.md §10: feed -> steam dead time 1-3 min, time constant 5-15 min (t63 5-25 min
    # with the dead time and the bed's burnout tail).
    lag = 10.0 * np.arange(240)
    f = response_figures(lag, simulated_step("feed_rate_t_h", "steam_flow_t_h", 2400.0, 10.0))
    assert f["gain"] > 0
    assert 60.0 <= f["dead_time_s"] <= 180.0
    assert 300.0 <= f["t63_s"] <= 1500.0
