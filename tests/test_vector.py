"""The batched ``WtE/Incinerator-v0`` (sim.envs.vector, sim.batch) equals N single envs bit for bit.

Every comparison is exact (``np.array_equal``, same dtypes): observations, rewards, terminations,
truncations and the whole info tree, against ``gymnasium.make_vec(..., vectorization_mode="sync")``
with the same seeds and actions, through autoresets (truncation and trips), scenario events
at odd times, crane imaging, observation noise and seeds drawn by ``reset(seed=None)``.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import sim  # noqa: F401  (registers the ids)
from sim import scenarios
from sim.batch import PlantBatch
from sim.state import FIELDS
from sim.config import load_plant, load_scenario
from sim.envs.incinerator import to_action
from sim.envs.vector import IncineratorVectorEnv

ENV_ID = "WtE/Incinerator-v0"
#: Every kind of scenario event within the first minutes, at times off the 1-s grid and some
#: coinciding with other processes (60 s: mixing, CEMS and the crane's idle check).
EVENTFUL = load_scenario("feed_quality_forecast", {
    "slugs": [{"at_h": 60 / 3600, "grabs": 3, "moisture_pct": 64.0, "ash_pct": 20.0}],
    "bridging": [{"at_h": 0.0512, "duration_min": 2.3}],
    "cems_outages": [{"at_h": 0.0123, "duration_min": 1.7}],
    "thermocouple_drift": {"at_h": 0.02, "rate_per_h": 30.0},
    "valve_steps": [{"at_h": 0.07, "valve_pct": 80.0}],
    "steam_setpoint_steps": [{"at_h": 120 / 3600, "steam_t_h": 60.0}, {"at_h": 120 / 3600, "steam_t_h": 62.0}],
    "waste": {"moisture_drift_pct_per_day": 5.0, "moisture_wave_amplitude_pct": 3.0, "moisture_wave_period_h": 2.0},
})


def assert_same(a, b, path="") -> None:
    """Exact equality of nested dicts of arrays (dtype included; object arrays element by element)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{path}: keys differ: {set(a) ^ set(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}/{k}")
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
    if a.dtype == object:  # lists, None, strings or (final_obs) arrays, element by element
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        for k, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
            if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                assert_same(x, y, f"{path}[{k}]")
            else:
                assert x == y, f"{path}[{k}]: {x!r} != {y!r}"
    else:
        bad = ~((a == b) | ((a != a) & (b != b)))
        assert not bad.any(), f"{path}: differs at {np.argwhere(bad)[:3].tolist()}: {a[bad][:3]} vs {b[bad][:3]}"


def run_both(num_envs: int, steps: int, seed, action_scale: float,
             autoreset_mode: gym.vector.AutoresetMode = gym.vector.AutoresetMode.NEXT_STEP, **kwargs) -> dict:
    """Step the batched and the sync vector env with the same random actions; returns counts."""
    batched = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point",
                           autoreset_mode=autoreset_mode, **kwargs)
    sync = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": autoreset_mode}, **kwargs)
    rng = np.random.default_rng(7)
    out_b, out_s = batched.reset(seed=seed), sync.reset(seed=seed)
    assert_same(out_b[0], out_s[0], "reset obs")
    assert_same(out_b[1], out_s[1], "reset info")
    counts = {"terminated": 0, "truncated": 0}
    for t in range(steps):
        actions = (action_scale * rng.uniform(-1, 1, (num_envs, 9))).astype(np.float32)
        res_b, res_s = batched.step(actions), sync.step(actions)
        for name, x, y in zip(("obs", "reward", "terminated", "truncated", "info"), res_b, res_s):
            assert_same(x, y, f"step {t} {name}")
        counts["terminated"] += int(res_b[2].sum())
        counts["truncated"] += int(res_b[3].sum())
    batched.close()
    sync.close()
    return counts


def test_make_vec_reaches_the_batched_env():
    envs = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode="vector_entry_point")
    assert isinstance(envs.unwrapped, IncineratorVectorEnv)
    assert envs.action_space.shape == (3, 9) and envs.observation_space.shape == (3, 29)
    assert envs.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP


@pytest.mark.parametrize("autoreset_mode", [gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP])
def test_identical_through_truncation_and_trips(autoreset_mode):
    # Short episodes (24 steps) truncate twice; full-range random actions trip plants (flame loss,
    # drum level) within minutes, so terminations and both autoreset modes are exercised.
    counts = run_both(5, 60, seed=11, action_scale=1.0, autoreset_mode=autoreset_mode, episode_hours=240 / 3600,
                      observation_noise=0.2)
    assert counts["truncated"] >= 5 and counts["terminated"] >= 1, counts


def test_identical_with_every_scenario_event_and_odd_control_interval():
    counts = run_both(3, 70, seed=[4, 9, 4], action_scale=0.2, scenario=EVENTFUL, control_interval_s=7.3,
                      episode_hours=0.12)
    assert counts["truncated"] + counts["terminated"] >= 3, counts


def test_identical_with_seeds_drawn_by_reset_seed_none():
    # seed=None: each env draws its plant seeds from its own np_random; an int seed first fixes those.
    batched = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="vector_entry_point", episode_hours=0.01)
    sync = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", episode_hours=0.01)
    batched.reset(seed=5)
    sync.reset(seed=5)
    for _ in range(3):  # reset(seed=None) after seeding, then autoresets drawing seeds
        assert_same(batched.reset()[0], sync.reset()[0], "reset obs")
        actions = np.zeros((2, 9), dtype=np.float32)
        for t in range(5):
            for x, y in zip(batched.step(actions), sync.step(actions)):
                assert_same(x, y, f"step {t}")


def test_batch_advance_matches_plant_over_hours():
    # The plant layer alone: 3 h of the eventful scenario, the crane refilling the hopper, with a
    # crude level loop on the feedwater (from each plant's own state) so the drum does not trip.
    plant_cfg, scen, seeds = load_plant("reference_750tpd"), EVENTFUL, (21, 22)
    batch = PlantBatch(plant_cfg, scen, 2, normals=64)  # small buffer: refills happen
    plants = [sim.Plant(plant_cfg, scen, s) for s in seeds]
    for i, s in enumerate(seeds):
        batch.start(i, s)
    run = np.ones(2, dtype=bool)
    i_fw = sim.units.ACTUATORS.index("feedwater_t_h")
    for _ in range(1080):
        for i, p in enumerate(plants):
            out = p.state.out[0]
            fw = min(max(out["steam_turbine_kg_s"] * 3.6 - 300.0 * out["level_m"], 0.0), 110.0)
            p.set_actuators({"feedwater_t_h": fw})
            batch.state.u[i, i_fw] = fw
        batch.advance(10.0, run)
        for p in plants:
            p.advance(10.0)
    for i, p in enumerate(plants):
        for name in FIELDS:
            if name in ("normals", "scratch"):  # buffer widths differ; scratch is work space
                continue
            mine, theirs = getattr(batch.state, name)[i], getattr(p.state, name)[0]
            if name == "plant":  # the normal buffer's position depends on its width
                mine, theirs = mine.copy(), theirs.copy()
                mine["normal_pos"] = theirs["normal_pos"] = 0.0
            floats = [np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=np.float64) for a in (mine, theirs)]
            assert np.array_equal(*floats, equal_nan=True), name
        assert batch.trip_reason(i) == p.trip is None
        assert batch.state.plant[i]["crane_in_kg"] == p.state.plant[0]["crane_in_kg"] > 0  # the crane refilled


def test_bad_actions_and_arguments_are_named():
    envs = IncineratorVectorEnv(2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.zeros((2, 9)))
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"expected shape \(2, 9\)"):
        envs.step(np.zeros((3, 9)))
    bad = np.zeros((2, 9))
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"actions\[1\]"):
        envs.step(bad)
    with pytest.raises(ValueError, match="num_envs"):
        IncineratorVectorEnv(0)
    with pytest.raises(ValueError, match="render_mode"):
        IncineratorVectorEnv(2, render_mode="ansi")
    with pytest.raises(ValueError, match="got 3"):
        envs.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="autoreset_mode='Disabled'"):
        IncineratorVectorEnv(2, autoreset_mode="Disabled")


@pytest.mark.slow  # ~1-2 min: every library scenario for 5 h of plant time
@pytest.mark.parametrize("scenario", scenarios.list_scenarios())
def test_identical_on_every_library_scenario_for_hours(scenario):
    # A feedwater trim on level and steam keeps the drum from tripping (wet waste may still blow the
    # fire out: then the autoreset is compared too), small random moves on the other actuators; 5 h covers the first events of every scenario (slugs, bridging, outages,
    # drift and setpoint steps at 1.5-4.5 h), soot blowing excepted (every 8 h).
    kwargs = {"scenario": scenario, "episode_hours": 5.0, "observation_noise": 0.05}
    batched = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    sync = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="sync", **kwargs)
    plant = sync.envs[0].unwrapped.plant
    design = to_action(plant.design_actuators, *plant.actuator_bounds)
    fw = sim.units.ACTUATORS.index("feedwater_t_h")
    rng = np.random.default_rng(3)
    obs, info = batched.reset(seed=[1000, 1001])
    assert_same(obs, sync.reset(seed=[1000, 1001])[0], "reset obs")
    for t in range(1800):
        actions = np.clip(design + 0.02 * rng.standard_normal((2, 9)), -1, 1)
        actions[:, fw] = np.clip(design[fw] + (6.8 * obs[:, 0] - 30.0 * obs[:, 2]) / 55.0, -1, 1)
        actions = actions.astype(np.float32)
        res_b, res_s = batched.step(actions), sync.step(actions)
        for name, x, y in zip(("obs", "reward", "terminated", "truncated"), res_b[:4], res_s[:4]):
            assert_same(x, y, f"{scenario} step {t} {name}")
        if t % 100 == 99:
            assert_same(res_b[4], res_s[4], f"{scenario} step {t} info")
        obs = res_b[0]


def test_rule_based_kpis_identical_batched_and_serial():
    # The benchmark's KPIs from the batched env (one rule_based controller per plant, trajectories
    # recorded from the batched infos) equal those of agents.run_episode on single envs.
    import json

    import pandas as pd

    import agents
    from sim.units import ACTUATORS, MEASUREMENTS, TRUTH

    seeds, kwargs = [5, 6, 7], {"scenario": EVENTFUL, "episode_hours": 0.25}
    serial = []
    for seed in seeds:
        env = gym.make(ENV_ID, **kwargs)
        df = agents.run_episode(env, agents.make_controller("rule_based", env), seed=seed, progress=False)
        serial.append(sim.kpis.compute(df, "gb18485"))
    envs = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode="vector_entry_point", **kwargs)
    single = gym.make(ENV_ID, **kwargs)
    controllers = [agents.make_controller("rule_based", single) for _ in seeds]
    obs, info = envs.reset(seed=seeds)
    for c, s in zip(controllers, seeds):
        c.reset(s)
    batch = envs.unwrapped.batch

    def env_info(i):  # env i's info in the single env's form
        return {k: {n: info[k][n][i].item() for n in names} for k, names in
                (("measurements", MEASUREMENTS), ("actuators", ACTUATORS), ("truth", TRUTH))}

    rows = [[] for _ in seeds]

    def record(reward):
        for i in range(len(seeds)):
            inf = env_info(i)
            rows[i].append([info["time_s"][i], *inf["measurements"].values(), *inf["actuators"].values(),
                            *inf["truth"].values(), reward[i], bool(batch.state.plant[i]["cems_valid"])])

    record(np.zeros(3))
    done = np.zeros(3, dtype=bool)
    while not done.all():
        actions = np.stack([c.act(obs[i], env_info(i)) for i, c in enumerate(controllers)])
        obs, reward, terminated, truncated, info = envs.step(actions)
        record(reward)
        done = terminated | truncated
    columns = ["time_s", *MEASUREMENTS, *ACTUATORS, *TRUTH, "reward", "cems_valid"]
    for i, expected in enumerate(serial):
        df = pd.DataFrame(rows[i], columns=columns).astype(float)
        got = sim.kpis.compute(df, "gb18485")
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)
