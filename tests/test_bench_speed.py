"""agents.speed and scripts/bench_speed.py: one short run writes every section of the JSON the issue asks for."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import sim
from agents import speed

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_speed.py"


def test_one_short_run_writes_all_sections(tmp_path):
    out = tmp_path / "speed.json"
    subprocess.run([sys.executable, str(SCRIPT), "--steps", "30", "--repeats", "1", "--num-envs", "4",
                    "--batched-steps", "3", "--ppo-steps", "64", "--ppo-envs", "4", "--json", str(out)],
                   check=True, capture_output=True, timeout=600)
    data = json.loads(out.read_text())
    assert set(data["env"]) == set(sim.envs.ENV_IDS)
    for figures in data["env"].values():
        assert figures["us_per_step"] > 0 and figures["ratio_to_cartpole"] > 0
    assert data["plant_advance"]["sim_seconds_per_wall_second"] > 0
    b = data["batched"]
    assert b["num_envs"] == 4 and b["plant_seconds_per_s"] > 0 and b["trips"] == 0
    p = data["ppo"]
    assert p["steps"] >= 64 and p["steps_per_s"] > 0 and 0 < p["env_share"] < 1
    assert p["env_s"] < p["total_s"]
    pb = p["batched"]
    assert pb["num_envs"] == 4 and pb["steps"] >= 64 and 0 < pb["env_share"] < 1
    assert data["machine"]["cpu_count"] >= 1


def test_level_trim_follows_level_and_steam():
    design = np.zeros(9, dtype=np.float32)
    obs = np.zeros((2, 29), dtype=np.float32)
    obs[0, 2] = 1.0   # level 100 mm high: less feedwater
    obs[1, 0] = 1.0   # steam 10 % above design: more feedwater
    a = speed.level_trim(obs, design)
    fw = sim.units.ACTUATORS.index("feedwater_t_h")
    assert a[0, fw] < 0 < a[1, fw]
    assert np.all(np.delete(a, fw, axis=1) == 0)
