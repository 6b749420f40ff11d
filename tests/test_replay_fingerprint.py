"""The variability fingerprint on a simulated trajectory, against figures computed here
independently (pandas resampling and groupby, scipy's periodogram, numpy's correlate)."""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from scipy.signal import periodogram

import agents
from sim.replay.fingerprint import BANDS_MIN, fingerprint, table


@pytest.fixture(scope="module")
def trajectory():
    env = gym.make("WtE/Incinerator-v0", scenario="steady_design", control_interval_s=10.0, episode_hours=3.0)
    df = agents.run_episode(env, agents.make_controller("manual", env), seed=3, progress=False)
    df = df.set_index("time_s")
    df["mode_acc_auto"] = (df.index >= 3600.0).astype(float)
    return df


def minutes(x: pd.Series) -> pd.Series:
    s = pd.Series(x.to_numpy(), index=pd.to_timedelta(x.index - x.index[0], unit="s"))
    return s.resample("1min").mean()


def test_fingerprint_reproduces_independent_figures(trajectory):
    fp = fingerprint(trajectory, "mode_acc_auto")
    assert set(fp) == {"all", "auto"}          # 1 h of manual is too short for its own statistics
    steam = trajectory["steam_flow_t_h"]
    # hourly CV: clock hours from the first sample, population std
    hours = steam.groupby((steam.index // 3600).astype(int))
    full_hours = hours.count() >= 180                       # at least half an hour of 10-s samples
    cv = (100.0 * hours.std(ddof=0) / hours.mean().abs())[full_hours].median()
    assert full_hours.sum() == 3
    got = fp["all"]["steam_flow_t_h"]
    assert got["hourly_cv_pct"] == pytest.approx(cv, rel=1e-9)
    # autocorrelation of the 1-min means (standard estimator)
    m = minutes(steam).to_numpy()
    d = m - m.mean()
    full = np.correlate(d, d, mode="full")[len(d) - 1:] / np.dot(d, d)
    for k in (5, 10, 20, 30):
        assert got["acf"][f"{k}_min"] == pytest.approx(full[k], abs=1e-9)
    # variance share by period band: scipy's one-sided periodogram
    f, p = periodogram(m, fs=1.0, detrend="constant", scaling="spectrum")
    period = 1.0 / f[1:]
    p = p[1:]
    for lo, hi in BANDS_MIN:
        key = f"{lo:g}-{hi:g}_min" if np.isfinite(hi) else f">{lo:g}_min"
        assert got["band_share"][key] == pytest.approx(p[(period >= lo) & (period < hi)].sum() / p.sum(), abs=1e-9)
    assert sum(got["band_share"].values()) == pytest.approx(1.0)
    # drum level spread, emission distribution, feed activity
    assert fp["all"]["drum_level_mm"]["std"] == pytest.approx(trajectory["drum_level_mm"].std(ddof=0))
    nox = trajectory["nox_mg_nm3"]
    e = fp["all"]["nox_mg_nm3"]
    assert (e["median"], e["p95"], e["p99"]) == pytest.approx((nox.median(), nox.quantile(0.95), nox.quantile(0.99)))
    assert e["share_over_limit"] == pytest.approx((nox > 300.0).mean())
    feed = trajectory["feed_rate_t_h"]
    moves = (feed.diff().abs() > 0.005 * feed.mean()).sum()
    assert fp["all"]["feed_rate_t_h"]["moves_per_h"] == pytest.approx(moves / (len(feed) * 10.0 / 3600.0))
    # per mode: the auto part is the trajectory from 1 h on
    auto = fingerprint(trajectory.loc[3600.0:])["all"]["steam_flow_t_h"]
    assert fp["auto"]["steam_flow_t_h"]["std"] == pytest.approx(auto["std"])
    assert "steam_flow_t_h acf.10_min" in table({"log": fp, "simulated": fp})


def test_fingerprint_refuses_what_it_cannot_use(trajectory):
    with pytest.raises(ValueError, match="mode 'mode_feed_auto': not a column"):
        fingerprint(trajectory, "mode_feed_auto")
    with pytest.raises(ValueError, match="at least 3 samples"):
        fingerprint(trajectory.iloc[:2])
