"""WtE/Incinerator-v0: API contract, checkers, determinism, episode ends, reward, benchmark script."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import sim
from sim.envs import to_action, to_commands
from sim.envs.incinerator import OBSERVATION_NAMES, IncineratorEnv
from sim.envs.reward import TERMS, RewardWeights
from sim.units import ACTUATORS, MEASUREMENTS

ENV_ID = "WtE/Incinerator-v0"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


def design_action(env) -> np.ndarray:
    lower, upper = env.unwrapped.plant.actuator_bounds
    return to_action(env.unwrapped.plant.design_actuators, lower, upper)


def rollout(env, seed: int, actions: np.ndarray):
    obs, _ = env.reset(seed=seed)
    out_obs, out_rew = [obs], []
    for a in actions:
        obs, reward, terminated, truncated, _ = env.step(a)
        out_obs.append(obs)
        out_rew.append(reward)
        if terminated or truncated:
            break
    return np.array(out_obs), np.array(out_rew)


# ------------------------------------------------------------------ registration & checkers ---
def test_registered_under_wte_namespace():
    assert ENV_ID in gym.registry
    assert gym.registry[ENV_ID].entry_point == "sim.envs.incinerator:IncineratorEnv"
    assert ENV_ID in gym.registry  # importing sim again does not re-register (no warning, no error)
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.reload(sim.envs)


def test_gymnasium_check_env_without_warnings():
    from gymnasium.utils.env_checker import check_env

    e = gym.make(ENV_ID)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(e.unwrapped)


def test_sb3_check_env_without_warnings():
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    e = gym.make(ENV_ID)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_checker.check_env(e)


def test_spaces_and_observation_layout(env):
    assert env.action_space.shape == (len(ACTUATORS),) and env.action_space.dtype == np.float32
    assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
    assert env.observation_space.shape == (len(MEASUREMENTS) + 3 + len(ACTUATORS),) == (len(OBSERVATION_NAMES),)
    assert env.observation_space.dtype == np.float32
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space
    # at the design point the normalised process channels are ~0, the furnace reads above 850 degC
    i = MEASUREMENTS.index
    assert abs(obs[i("steam_flow_t_h")]) < 1e-3 and abs(obs[i("net_power_mw")]) < 1e-3
    assert obs[i("furnace_temp_degc")] > 0 and obs[i("co_mg_nm3")] < 0
    np.testing.assert_allclose(obs[-len(ACTUATORS):], design_action(env), atol=1e-6)
    for key in ("measurements", "actuators", "truth", "reward_terms", "violations", "time_s"):
        assert key in info
    assert info["violations"] == {"furnace_below_850": False, "emissions_over_limit": [], "trip": None}


def test_observations_stay_in_space_under_random_actions(env):
    env.reset(seed=3)
    env.action_space.seed(3)
    for _ in range(150):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample() * 3.0)  # also out of range
        assert obs in env.observation_space
        assert np.isfinite(reward)
        if terminated or truncated:
            env.reset()


# ------------------------------------------------------------------ actions ---
def test_to_action_and_to_commands_round_trip():
    plant = sim.Plant.from_config()
    lower, upper = plant.actuator_bounds
    cmds = plant.design_actuators
    a = to_action(cmds, lower, upper)
    assert a.dtype == np.float32 and a.shape == (9,)
    back = to_commands(a, lower, upper)
    np.testing.assert_allclose(back, [cmds[k] for k in ACTUATORS], rtol=0, atol=1e-6 * np.max(upper - lower))
    np.testing.assert_array_equal(to_commands(np.full(9, -1.0), lower, upper), lower)
    np.testing.assert_array_equal(to_commands(np.full(9, 1.0), lower, upper), upper)
    np.testing.assert_array_equal(to_commands(np.full(9, 5.0), lower, upper), upper)  # clipped
    out = np.empty(9)
    assert to_commands(a, lower, upper, out=out) is out
    np.testing.assert_array_equal(out, back)
    with pytest.raises(ValueError, match="missing.*feed_rate_t_h"):
        to_action({k: v for k, v in cmds.items() if k != "feed_rate_t_h"}, lower, upper)


def test_step_applies_mapped_commands(env):
    env.reset(seed=0)
    a = np.linspace(-1, 1, 9).astype(np.float32)
    _, _, _, _, info = env.step(a)
    lower, upper = env.unwrapped.plant.actuator_bounds
    np.testing.assert_allclose([info["actuators"][k] for k in ACTUATORS], to_commands(a, lower, upper))


@pytest.mark.parametrize("bad", [np.zeros(8), np.zeros((1, 9)), np.zeros(10), 0.0])
def test_wrong_action_shape_raises_value_error(env, bad):
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"expected shape \(9,\).*got shape"):
        env.step(bad)


def test_nan_action_raises_value_error(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="finite"):
        env.step(np.full(9, np.nan, dtype=np.float32))


# ------------------------------------------------------------------ construction errors ---
def test_unknown_kwarg_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="control_intervall_s"):
        gym.make(ENV_ID, control_intervall_s=5.0)


def test_bad_reward_weight_name_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="steam_trakcing"):
        gym.make(ENV_ID, reward_weights={"steam_trakcing": 1.0})
    with pytest.raises(ValueError, match="movement=-1"):
        gym.make(ENV_ID, reward_weights={"movement": -1.0})


@pytest.mark.parametrize("kwargs, pattern", [
    ({"control_interval_s": 0.0}, "control_interval_s=0.0"),
    ({"control_interval_s": float("nan")}, "control_interval_s=nan"),
    ({"episode_hours": -1}, "episode_hours=-1"),
    ({"observation_noise": -0.1}, "observation_noise=-0.1"),
    ({"render_mode": "human"}, "render_mode='human'"),
    ({"scenario": "no_such_scenario"}, "no_such_scenario"),
])
def test_bad_values_are_value_errors_naming_field_and_value(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        IncineratorEnv(**kwargs)


# ------------------------------------------------------------------ determinism & pickling ---
def test_same_seed_same_actions_identical_and_other_seed_differs():
    e1, e2 = gym.make(ENV_ID), gym.make(ENV_ID)
    actions = np.random.default_rng(7).uniform(-0.3, 0.3, size=(60, 9)).astype(np.float32)
    actions += design_action(e1)
    o1, r1 = rollout(e1, 11, actions)
    o2, r2 = rollout(e2, 11, actions)
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(r1, r2)
    o3, _ = rollout(e2, 12, actions)
    n = min(len(o1), len(o3))
    assert not np.array_equal(o1[:n], o3[:n])


def test_reset_without_seed_is_reproducible_from_the_first_seed():
    e1, e2 = gym.make(ENV_ID), gym.make(ENV_ID)
    e1.reset(seed=5), e2.reset(seed=5)
    a = design_action(e1)
    for e in (e1, e2):
        for _ in range(5):
            e.step(a)
    o1, _ = e1.reset()
    o2, _ = e2.reset()
    np.testing.assert_array_equal(o1, o2)
    assert e1.unwrapped.plant.seed == e2.unwrapped.plant.seed != 5


def test_observation_noise_draws_from_the_plant_rng_deterministically():
    e1 = gym.make(ENV_ID, observation_noise=0.05)
    e2 = gym.make(ENV_ID, observation_noise=0.05)
    clean = gym.make(ENV_ID)
    a = np.tile(design_action(clean), (5, 1))
    o1, _ = rollout(e1, 4, a)
    o2, _ = rollout(e2, 4, a)
    o0, _ = rollout(clean, 4, a)
    np.testing.assert_array_equal(o1, o2)
    assert not np.array_equal(o1[:, :17], o0[:, :17])
    np.testing.assert_array_equal(o1[:, 17:], o0[:, 17:])


def test_pickle_round_trip_continues_identically():
    e = gym.make(ENV_ID, observation_noise=0.01)
    e.reset(seed=2)
    rng = np.random.default_rng(0)
    base = design_action(e)
    for _ in range(20):
        e.step(base + rng.uniform(-0.1, 0.1, 9).astype(np.float32))
    clone = pickle.loads(pickle.dumps(e))
    actions = base + rng.uniform(-0.1, 0.1, (30, 9)).astype(np.float32)
    for a in actions:
        s1, s2 = e.step(a), clone.step(a)
        np.testing.assert_array_equal(s1[0], s2[0])
        assert s1[1:4] == s2[1:4]
        assert s1[4]["measurements"] == s2[4]["measurements"]


# ------------------------------------------------------------------ reward ---
def test_reward_terms_sum_to_reward_and_design_step_is_order_one(env):
    env.reset(seed=0)
    a = design_action(env)
    _, reward, _, _, info = env.step(a)
    terms = info["reward_terms"]
    assert tuple(terms) == TERMS
    assert sum(terms.values()) == reward
    assert 0.5 < reward < 1.5
    assert terms["net_power"] == pytest.approx(1.0, abs=0.02)
    assert terms["movement"] == 0.0 and terms["trip"] == 0.0 and terms["furnace_850"] == 0.0
    assert -0.1 < terms["cost"] < 0
    # moving actuators and burning aux fuel cost reward
    b = a.copy()
    b[ACTUATORS.index("aux_burner_mw")] = 1.0
    _, _, _, _, info = env.step(b)
    assert info["reward_terms"]["movement"] == pytest.approx(-0.05 * (1.0 - a[-1]), rel=1e-6)
    # Full burner (20 MW of natural gas at the plant's LHV) priced against the design revenue.
    w = env.unwrapped.reward_weights
    from sim.subsystems.waste import AUX_FUEL_LHV_J_KG
    burner_cny_h = 20.0 * 3.6e9 / AUX_FUEL_LHV_J_KG * w.aux_fuel_cny_per_kg
    revenue_cny_h = env.unwrapped._design_net_power_mw * 1000.0 * w.electricity_cny_per_kwh
    assert info["reward_terms"]["cost"] == pytest.approx(terms["cost"] - burner_cny_h / revenue_cny_h, abs=0.02)


def test_reward_weights_override_and_are_frozen():
    e = gym.make(ENV_ID, reward_weights={"net_power": 0.0, "cost": 0.0})
    e.reset(seed=0)
    _, reward, _, _, info = e.step(design_action(e))
    assert info["reward_terms"]["net_power"] == 0.0 and info["reward_terms"]["cost"] == 0.0
    assert sum(info["reward_terms"].values()) == reward
    w = RewardWeights()
    with pytest.raises(Exception):
        w.cost = 2.0  # frozen


# ------------------------------------------------------------------ episode ends ---
def test_truncates_at_episode_hours():
    e = gym.make(ENV_ID, episode_hours=0.05)  # 180 s = 18 steps of 10 s
    e.reset(seed=0)
    a = design_action(e)
    for k in range(1, 100):
        _, _, terminated, truncated, info = e.step(a)
        if truncated or terminated:
            break
    assert truncated and not terminated
    assert k == 18 and info["time_s"] == pytest.approx(180.0)


def test_terminates_on_drum_level_low_low_trip():
    e = gym.make(ENV_ID)
    e.reset(seed=0)
    a = design_action(e)
    a[ACTUATORS.index("feedwater_t_h")] = -1.0  # feedwater to its minimum
    total_trip_terms = []
    for _ in range(200):
        _, reward, terminated, truncated, info = e.step(a)
        total_trip_terms.append(info["reward_terms"]["trip"])
        if terminated or truncated:
            break
    assert terminated and not truncated
    assert "low-low" in info["violations"]["trip"]
    assert info["reward_terms"]["trip"] == -RewardWeights().trip
    assert sum(t != 0 for t in total_trip_terms) == 1
    assert info["measurements"]["drum_level_mm"] < 0


# ------------------------------------------------------------------ vector envs ---
def test_make_vec_sync():
    venv = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", episode_hours=0.05)
    obs, info = venv.reset(seed=[0, 1])
    assert obs.shape == (2, 29) and obs.dtype == np.float32
    for _ in range(3):
        obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample() * 0.0)
    assert reward.shape == (2,)
    assert "reward_terms" in info and info["reward_terms"]["net_power"].shape == (2,)
    venv.close()


def test_sb3_dummy_vec_env():
    vec_env = pytest.importorskip("stable_baselines3.common.vec_env")
    venv = vec_env.DummyVecEnv([lambda: gym.make(ENV_ID, episode_hours=0.01)] * 2)
    venv.seed(0)
    obs = venv.reset()
    assert obs.shape == (2, 29)
    for _ in range(5):  # 0.01 h = 36 s: an episode end and auto-reset happen on the 4th step
        obs, reward, done, infos = venv.step(np.zeros((2, 9), dtype=np.float32))
    assert obs.shape == (2, 29) and reward.shape == (2,)
    venv.close()


def test_ansi_render():
    e = gym.make(ENV_ID, render_mode="ansi")
    e.reset(seed=0)
    text = e.render()
    assert "steam" in text and "furnace" in text


# ------------------------------------------------------------------ benchmark script ---
def test_bench_speed_script_writes_json(tmp_path):
    out = tmp_path / "speed" / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_speed.py"), "--steps", "30",
                           "--repeats", "1", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "CartPole-v1" in proc.stdout and "ratio" in proc.stdout
    data = json.loads(out.read_text())
    assert set(data["env"][ENV_ID]) >= {"us_per_step", "ratio_to_cartpole"}
    assert data["cartpole_us_per_step"] > 0
    assert data["plant_advance"]["sim_seconds_per_wall_second"] > 0
    assert isinstance(data["machine"], dict) and data["date"]
    assert [p.name for p in out.parent.iterdir()] == ["bench.json"]  # no temp file left behind
