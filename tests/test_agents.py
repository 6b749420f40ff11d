"""Classic controllers and the scenario script: behaviour, not just that they run."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import agents
import sim  # noqa: F401
from sim.envs.pid import PI, simc_first_order, simc_integrating

ROOT = Path(__file__).resolve().parent.parent


def test_simc_rules():
    kc, ti = simc_first_order(gain=2.0, tau_s=100.0, dead_time_s=10.0, tau_c_s=10.0)
    assert kc == pytest.approx(100 / (2 * 20)) and ti == 80.0
    kc, ti = simc_integrating(slope=0.5, dead_time_s=5.0, tau_c_s=15.0)
    assert kc == pytest.approx(0.1) and ti == 80.0


def test_pi_stops_integrating_at_its_limit():
    pi = PI(kc=1.0, ti_s=10.0, lo=0.0, hi=1.0)
    for _ in range(100):
        u = pi.update(5.0, 1.0)
    assert u == 1.0
    assert pi.update(-0.5, 1.0) < 1.0  # leaves the limit at once: no wound-up integral


def test_unknown_controller_is_named():
    env = gym.make("WtE/Incinerator-v0", episode_hours=0.1)
    with pytest.raises(ValueError, match="unknown controller 'pid9'.*rule_based"):
        agents.make_controller("pid9", env)


@pytest.fixture(scope="module")
def six_hours():
    out = {}
    for name in ("rule_based", "manual"):
        env = gym.make("WtE/Incinerator-v0", scenario="steady_design", episode_hours=6)
        out[name] = agents.run_episode(env, agents.make_controller(name, env), seed=3, progress=False)
    return out


def test_rule_based_holds_steam_within_a_few_percent(six_hours):
    """Issue 4: steam within a few percent of its setpoint (standard deviation under 6 % over 6 h
    of steady_design's grab-to-grab waste), furnace never below 850 degC, stack below the EU
    daily limits once the dosing loops have settled."""
    df = six_hours["rule_based"]
    assert df.attrs["trip"] is None
    setpoint = df["steam_flow_setpoint_t_h"].iloc[0]
    assert abs(df["steam_flow_t_h"].mean() / setpoint - 1) < 0.02
    assert df["steam_flow_t_h"].std() / setpoint < 0.06
    assert (df["furnace_temp_degc"] > 850).all()
    assert df["hcl_mg_nm3"].iloc[360:].mean() < 10 and df["nox_mg_nm3"].iloc[360:].mean() < 200


def test_manual_operator_scatters_steam_clearly_more(six_hours):
    """Real plants report ~40 % less steam scatter with automatic combustion control."""
    assert six_hours["manual"]["steam_flow_t_h"].std() > 1.6 * six_hours["rule_based"]["steam_flow_t_h"].std()


def test_run_scenario_writes_trajectory_kpis_and_plot(tmp_path):
    out = tmp_path / "run"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "run_scenario.py"), "--scenario", "steady_design",
                    "--controller", "rule_based", "--hours", "0.5", "--seed", "2", "--out", str(out),
                    "--no-progress"], check=True, cwd=ROOT)
    k = json.loads((out / "kpis.json").read_text())
    assert k["controller"] == "rule_based" and k["trip"] is None
    assert 300 < k["gb18485"]["net_kwh_per_t"] < 600
    assert set(k["eu_ied"]["exceedances"]["co"]) == {"30min", "24h", "10min"}
    import pandas as pd
    df = pd.read_parquet(out / "trajectory.parquet")
    assert len(df) == 181 and np.isfinite(df["steam_flow_t_h"]).all()
    assert (out / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".*.tmp"))


def test_rule_based_follows_a_steam_setpoint_step():
    """load_change with its first step moved to 1 min (67.3 -> 58 t/h): the steam master reads the
    plant's setpoint (info["truth"]) and takes the steam there within minutes."""
    scenario = sim.load_scenario("load_change", {"steam_setpoint_steps": [{"at_h": 60 / 3600, "steam_t_h": 58.0}]})
    env = gym.make("WtE/Incinerator-v0", scenario=scenario, episode_hours=1.0)
    df = agents.run_episode(env, agents.make_controller("rule_based", env), seed=2, progress=False)
    assert df.attrs["trip"] is None
    assert (df["steam_flow_setpoint_t_h"].iloc[7:] == 58.0).all()
    late = df["steam_flow_t_h"].iloc[240:]  # the last 20 minutes
    assert abs(late.mean() / 58.0 - 1) < 0.05
    assert df["feed_rate_t_h"].iloc[240:].mean() < 0.95 * df["feed_rate_t_h"].iloc[0]


@pytest.fixture(scope="module")
def bridging_run():
    """rule_based on hopper_bridging (seed 1000): the feeder stops for 8, 15 and 25 min at 2, 4.5, 7 h."""
    env = gym.make("WtE/Incinerator-v0", scenario="hopper_bridging", episode_hours=8.5)
    df = agents.run_episode(env, agents.make_controller("rule_based", env), seed=1000, progress=False)
    return df, df["time_s"] / 3600, df["steam_flow_setpoint_t_h"].iloc[0]


def test_rule_based_keeps_the_fire_through_feed_stops_with_burner_support(bridging_run):
    """The grate's burning fuel carries the fire through the short stops: the line is back at its
    steam setpoint after the 15-min stop. The grate holds about 13 min of fuel at design and its
    bars carry the bed on while the feeder stands (docs/physics.md §3.2), so in the 25-min stop the
    bed burns out, steam falls, the burners light and hold the flame, and the line does not trip."""
    df, hours, setpoint = bridging_run
    assert df.attrs["trip"] is None
    assert df.loc[(hours > 5.5) & (hours < 6.5), "steam_flow_t_h"].mean() > 0.9 * setpoint
    stop = (hours > 7.0) & (hours < 7.0 + 25 / 60)
    assert df.loc[stop, "steam_flow_t_h"].min() < 0.8 * setpoint
    assert df.loc[stop, "aux_burner_mw"].max() > 1.0


@pytest.mark.xfail(strict=True, reason="issue 17 item 3: rule_based does not detect a feed stop (its grate runs on "
                   "at ~100 %, so a 25-min stop burns the bed out) and then feeds into the cold furnace")
def test_rule_based_relights_the_line_after_a_25_min_feed_stop(bridging_run):
    df, hours, setpoint = bridging_run
    assert df.loc[hours > 8.0, "steam_flow_t_h"].mean() > 0.9 * setpoint
