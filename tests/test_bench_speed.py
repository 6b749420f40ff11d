"""agents.speed and scripts/bench_speed.py: one short run writes every section of the JSON the issue asks for."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from agents import speed

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_speed.py"


@pytest.mark.slow  # ~10 s: a subprocess with two short PPO trainings through agents.training.train
def test_one_short_run_writes_all_sections(tmp_path):
    """scripts/bench_speed.py end to end: every section, and figures that agree with each other."""
    out = tmp_path / "speed" / "speed.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--steps", "30", "--repeats", "1", "--num-envs", "4",
                           "--batched-steps", "3", "--ppo-steps", "64", "--ppo-envs", "4", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "CartPole-v1" in proc.stdout and "x one env" in proc.stdout
    assert [p.name for p in out.parent.iterdir()] == ["speed.json"]  # no temp file left behind
    data = json.loads(out.read_text())
    assert set(data["env"]) == set(sim.envs.ENV_IDS)
    for figures in data["env"].values():
        assert figures["ratio_to_cartpole"] == pytest.approx(figures["us_per_step"] / data["cartpole_us_per_step"])
        assert figures["resets"] == 0  # 30 steps are 5 min of a 24-h episode
    adv = data["plant_advance"]
    assert adv["us_per_advance_10s"] == pytest.approx(10.0 / adv["sim_seconds_per_wall_second"] * 1e6)
    b = data["batched"]
    assert b["num_envs"] == 4 and b["trips"] == 0
    assert b["plant_seconds_per_s"] == pytest.approx(10.0 / b["us_per_plant_step"] * 1e6)
    p, pb = data["ppo"], data["ppo"]["batched"]
    for figures in (p, pb):
        assert figures["steps"] == 64  # 64 steps over 1 env and over 4 batched ones (16 steps per update)
        assert figures["steps_per_s"] == pytest.approx(figures["steps"] / figures["total_s"])
        assert figures["env_share"] == pytest.approx(figures["env_s"] / figures["total_s"])
        assert 0 < figures["env_share"] < 1
    assert pb["num_envs"] == 4 and pb["speedup"] == pytest.approx(pb["steps_per_s"] / p["steps_per_s"])
    assert data["machine"]["cpu_count"] >= 1


def test_timings_count_what_they_ran():
    """The figures the benchmark reports come with counts that can be wrong: CartPole under random
    actions ends episodes within tens of steps, the plant under random actions runs 5 min without
    an episode end, and the batched plants under the level trim do not trip; the derived figures
    agree with the measured ones."""
    cart = speed.time_env(speed.CARTPOLE_ID, 200, 1)
    assert cart["resets"] >= 3 and cart["steps"] == 200
    wte = speed.time_env("WtE/Incinerator-v0", 30, 1, control_interval_s=10.0)
    assert wte["resets"] == 0 and wte["us_per_step"] > cart["us_per_step"]
    b = speed.time_batched(4, 3, 1)
    assert b["trips"] == 0 and b["steps"] == 3
    assert b["plant_seconds_per_s"] == pytest.approx(10.0 / b["us_per_plant_step"] * 1e6)


def test_ppo_configs_differ_only_in_the_vec_env():
    """Single and batched PPO runs train the same config but for the vec_env (about 1,024 steps per update)."""
    from agents.train_config import validate

    single, batched = (validate(speed.ppo_config(kind, n, 2048)) for kind, n in (("dummy", 1), ("batched", 16)))
    assert single.vec_env.kind == "dummy" and batched.vec_env.kind == "batched" and batched.vec_env.n_envs == 16
    assert single.algo.hyperparameters["n_steps"] == 1024 == 16 * batched.algo.hyperparameters["n_steps"]
    assert single.env == batched.env and single.eval.every_steps > single.total_timesteps


def test_level_trim_follows_level_and_steam():
    design = np.zeros(9, dtype=np.float32)
    obs = np.zeros((2, 29), dtype=np.float32)
    obs[0, 2] = 1.0   # level 100 mm high: less feedwater
    obs[1, 0] = 1.0   # steam 10 % above design: more feedwater
    a = speed.level_trim(obs, design)
    fw = sim.units.ACTUATORS.index("feedwater_t_h")
    assert a[0, fw] < 0 < a[1, fw]
    assert np.all(np.delete(a, fw, axis=1) == 0)
