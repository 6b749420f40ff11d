"""WtE/IncineratorSupervisory-v0: the ACC base layer underneath, setpoints as actions."""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import agents
import sim  # noqa: F401
from sim.envs.base_layer import SETPOINTS
from sim.envs.incinerator import OBSERVATION_NAMES
from sim.envs.supervisory import SUPERVISORY_OBSERVATION_NAMES, IncineratorSupervisoryEnv
from sim.units import ACTUATORS

SUP_ID = "WtE/IncineratorSupervisory-v0"
ACTION_INDEX = {s: i for i, s in enumerate(SETPOINTS)}


def run(env, actions, seed):
    """Observations, rewards and infos of a fixed action sequence (stops at an episode end)."""
    obs, info = env.reset(seed=seed)
    out = [(obs, 0.0, info)]
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(a)
        out.append((obs, reward, info))
        if terminated or truncated:
            break
    return out


def test_registered_with_documented_spaces():
    assert gym.registry[SUP_ID].entry_point == "sim.envs.supervisory:IncineratorSupervisoryEnv"
    env = gym.make(SUP_ID)
    assert env.action_space.shape == (len(SETPOINTS),) == (7,) and env.action_space.dtype == np.float32
    assert env.observation_space.shape == (len(SUPERVISORY_OBSERVATION_NAMES),) == (36,)
    assert SUPERVISORY_OBSERVATION_NAMES[:len(OBSERVATION_NAMES)] == OBSERVATION_NAMES
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space
    np.testing.assert_array_equal(obs[-7:], 0.0)
    assert set(info) >= {"measurements", "actuators", "truth", "reward_terms", "violations", "time_s", "setpoints"}
    assert tuple(info["setpoints"]) == SETPOINTS
    assert info["setpoints"]["nox_setpoint_mg_nm3"] == 150.0 and info["setpoints"]["hcl_setpoint_mg_nm3"] == 7.0
    assert info["setpoints"]["o2_setpoint_wet_vol_pct"] == pytest.approx(info["measurements"]["o2_wet_vol_pct"])


def test_unknown_keyword_and_bad_action_are_named():
    with pytest.raises(TypeError, match="IncineratorSupervisoryEnv.*episode_hour"):
        gym.make(SUP_ID, episode_hour=1)
    env = gym.make(SUP_ID)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"expected shape \(7,\).*steam_setpoint_offset_t_h.*got shape \(9,\)"):
        env.step(np.zeros(9, dtype=np.float32))
    with pytest.raises(ValueError, match="finite"):
        env.step(np.full(7, np.nan, dtype=np.float32))


def test_action_zero_reproduces_rule_based_bit_for_bit():
    """Same seed: the supervisory env at action 0 and rule_based on Incinerator-v0 give the same
    plant trajectory, actuator commands and rewards, bit for bit."""
    direct = gym.make("WtE/Incinerator-v0", episode_hours=0.5)
    acc = agents.make_controller("rule_based", direct)
    ref = agents.run_episode(direct, acc, seed=4, progress=False)
    sup = gym.make(SUP_ID, episode_hours=0.5)
    zero = np.zeros(7, dtype=np.float32)
    rows = run(sup, [zero] * (len(ref) - 1), seed=4)
    assert len(rows) == len(ref) == 181
    for k, (obs, reward, info) in enumerate(rows):
        assert [info["measurements"][c] for c in ("steam_flow_t_h", "drum_level_mm", "nox_mg_nm3")] == \
            ref.loc[k, ["steam_flow_t_h", "drum_level_mm", "nox_mg_nm3"]].tolist()
        assert [info["actuators"][a] for a in ACTUATORS] == ref.loc[k, list(ACTUATORS)].tolist()
        assert reward == ref.loc[k, "reward"]
    # rule_based on the supervisory env is the action 0, hence the same trajectory again
    again = agents.run_episode(sup, agents.make_controller("rule_based", sup), seed=4, progress=False)
    np.testing.assert_array_equal(again.to_numpy(), ref.to_numpy())
    # the classic controllers that command all nine actuators refuse the supervisory env
    with pytest.raises(ValueError, match="manual.*shape \\(7,\\)"):
        agents.make_controller("manual", sup)


def test_setpoint_mapping_and_info():
    env = gym.make(SUP_ID)
    env.reset(seed=0)
    base = env.get_wrapper_attr("base_layer")
    a = np.array([1.0, -1.0, 0.5, -0.5, 1.0, -1.0, 2.0], dtype=np.float32)  # last one clipped to 1
    _, reward, _, _, info = env.step(a)
    sp = info["setpoints"]
    design_steam = env.unwrapped.plant.design_steam_t_h
    assert sp["steam_setpoint_offset_t_h"] == pytest.approx(0.1 * design_steam)
    assert sp["feed_bias"] == pytest.approx(-0.2) and sp["grate_bias"] == pytest.approx(0.1)
    assert sp["primary_air_shift"] == pytest.approx(-0.05)
    assert sp["o2_setpoint_wet_vol_pct"] == pytest.approx(base.default_setpoints[4] + 1.5)
    assert sp["nox_setpoint_mg_nm3"] == pytest.approx(50.0) and sp["hcl_setpoint_mg_nm3"] == pytest.approx(12.0)
    assert sum(info["reward_terms"].values()) == reward


def test_setpoint_authority_scales_the_bands():
    env = gym.make(SUP_ID, setpoint_authority=0.5)
    env.reset(seed=0)
    base = env.get_wrapper_attr("base_layer")
    _, _, _, _, info = env.step(np.ones(7, dtype=np.float32))
    expected = base.default_setpoints + 0.5 * IncineratorSupervisoryEnv().base_layer.setpoint_half_range
    np.testing.assert_allclose([info["setpoints"][s] for s in SETPOINTS], expected, rtol=1e-12)
    per_setpoint = gym.make(SUP_ID, setpoint_authority=[0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0])
    per_setpoint.reset(seed=0)
    _, _, _, _, info = per_setpoint.step(np.ones(7, dtype=np.float32))
    np.testing.assert_allclose([info["setpoints"][s] for s in SETPOINTS], [*expected[:5], 150.0, 7.0], rtol=1e-12)
    one_sided = gym.make(SUP_ID, setpoint_authority=[0.5] * 4 + [[0.0, 0.5], [0.5, 0.0], [0.5, 0.0]])
    one_sided.reset(seed=0)
    for a, tightened in ((1.0, [expected[4], 150.0, 7.0]), (-1.0, [base.default_setpoints[4], 100.0, 4.5])):
        _, _, _, _, info = one_sided.step(np.full(7, a, dtype=np.float32))
        np.testing.assert_allclose([info["setpoints"][s] for s in SETPOINTS[4:]], tightened, rtol=1e-12)
    for bad in (0.0, 1.5, True, "half", [0.5] * 6, [0.0] * 7, [0.5] * 6 + [1.2], [0.5] * 6 + [[0.5]],
                [0.5] * 6 + [[0.5, -0.1]], [[0.0, 0.0]] * 7):
        with pytest.raises(ValueError, match="setpoint_authority"):
            gym.make(SUP_ID, setpoint_authority=bad)
    with pytest.raises(ValueError, match="fallback_below_degc"):
        gym.make(SUP_ID, fallback_below_degc=float("nan"))


def test_fallback_hands_a_cold_furnace_to_the_acc():
    """Below fallback_below_degc the action is ignored: with the threshold above any furnace
    temperature a wild action gives the ACC's trajectory bit for bit; with a normal threshold the
    same action acts on a hot furnace."""
    wild = np.array([1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0], dtype=np.float32)
    acc = run(gym.make(SUP_ID, episode_hours=0.3), [np.zeros(7, dtype=np.float32)] * 108, seed=3)
    always = run(gym.make(SUP_ID, episode_hours=0.3, fallback_below_degc=5000.0), [wild] * 108, seed=3)
    assert len(acc) == len(always) == 109
    for (o1, r1, i1), (o2, r2, i2) in zip(acc, always):
        assert i1["measurements"] == i2["measurements"] and i1["actuators"] == i2["actuators"]
        assert i2["setpoints"] == i1["setpoints"]
    hot = run(gym.make(SUP_ID, episode_hours=0.3, fallback_below_degc=880.0), [wild] * 108, seed=3)
    assert hot[-1][2]["setpoints"]["feed_bias"] == pytest.approx(0.2)
    assert hot[-1][2]["actuators"] != acc[-1][2]["actuators"]


def _hold(setpoint: str, value: float, steps: int, seed: int = 1):
    env = gym.make(SUP_ID)
    a = np.zeros(7, dtype=np.float32)
    a[ACTION_INDEX[setpoint]] = value
    return [info for _, _, info in run(env, [a] * steps, seed)]


@pytest.fixture(scope="module")
def held_at_zero():
    return _hold("feed_bias", 0.0, 120)


def test_steam_offset_moves_the_steam_flow(held_at_zero):
    """+10 % steam setpoint offset: after 20 min the steam master has raised the steam flow (the
    air follows the higher heat demand at once, the feed follows the master upwards)."""
    up = _hold("steam_setpoint_offset_t_h", 1.0, 120)
    steam = lambda infos: np.mean([i["measurements"]["steam_flow_t_h"] for i in infos[-30:]])
    feed = lambda infos: np.mean([i["actuators"]["feed_rate_t_h"] for i in infos[-30:]])
    assert feed(up) > 1.02 * feed(held_at_zero)
    assert steam(up) > steam(held_at_zero) + 2.0


def test_air_shift_and_o2_setpoint_act_on_the_air(held_at_zero):
    shifted = _hold("primary_air_shift", 1.0, 1)
    d0, d1 = held_at_zero[1]["actuators"], shifted[1]["actuators"]
    total0 = d0["primary_air_nm3_h"] + d0["secondary_air_nm3_h"]
    # first step (same measurements, same air demand): 10 % of the total air demand moved to primary
    assert d1["primary_air_nm3_h"] - d0["primary_air_nm3_h"] == pytest.approx(0.1 * total0, rel=1e-6)
    assert d1["secondary_air_nm3_h"] - d0["secondary_air_nm3_h"] == pytest.approx(-0.1 * total0, rel=1e-6)
    richer = _hold("o2_setpoint_wet_vol_pct", 1.0, 60)
    o2 = lambda infos: infos[-1]["measurements"]["o2_wet_vol_pct"]
    assert o2(richer) > o2(held_at_zero) + 0.7


def test_lower_nox_setpoint_doses_more_urea(held_at_zero):
    low = _hold("nox_setpoint_mg_nm3", -1.0, 120)  # 50 mg/Nm3
    urea = lambda infos: np.mean([i["actuators"]["urea_kg_h"] for i in infos[-30:]])
    nox = lambda infos: np.mean([i["measurements"]["nox_mg_nm3"] for i in infos[-30:]])
    assert urea(low) > 1.3 * urea(held_at_zero)
    assert nox(low) < nox(held_at_zero) - 20.0


def test_direct_construction_equals_make():
    a = IncineratorSupervisoryEnv(episode_hours=0.1)
    b = gym.make(SUP_ID, episode_hours=0.1)
    np.testing.assert_array_equal(a.reset(seed=9)[0], b.reset(seed=9)[0])
    step = np.full(7, 0.3, dtype=np.float32)
    np.testing.assert_array_equal(a.step(step)[0], b.step(step)[0])


def test_wraps_the_direct_env_and_finds_itself_in_a_chain():
    """The registered env is a wrapper over a plain Incinerator-v0 (no copy of its step)."""
    from sim.envs.incinerator import IncineratorEnv
    from sim.envs.supervisory import supervisory_wrapper

    env = gym.make(SUP_ID, episode_hours=0.1)
    assert type(env.unwrapped) is IncineratorEnv and isinstance(supervisory_wrapper(env), IncineratorSupervisoryEnv)
    assert supervisory_wrapper(gym.make("WtE/Incinerator-v0")) is None
    wrapped = IncineratorSupervisoryEnv(IncineratorEnv(episode_hours=0.1), setpoint_authority=0.5)
    made = gym.make(SUP_ID, episode_hours=0.1, setpoint_authority=0.5)
    step = np.full(7, -0.4, dtype=np.float32)
    np.testing.assert_array_equal(wrapped.reset(seed=2)[0], made.reset(seed=2)[0])
    np.testing.assert_array_equal(wrapped.step(step)[0], made.step(step)[0])
    with pytest.raises(TypeError, match=r"\[.scenario.\] for an env that is already built"):
        IncineratorSupervisoryEnv(IncineratorEnv(), scenario="wet_slug")


def _assert_infos_equal(a: dict, b: dict, path: str = "infos") -> None:
    assert set(a) == set(b), path
    for key in a:
        if isinstance(a[key], dict):
            _assert_infos_equal(a[key], b[key], f"{path}[{key!r}]")
        elif a[key].dtype == object:
            assert a[key].tolist() == b[key].tolist(), f"{path}[{key!r}]"
        else:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{path}[{key!r}]")
            assert a[key].dtype == b[key].dtype, f"{path}[{key!r}]"


@pytest.mark.parametrize("mode", [gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP])
def test_batched_equals_single_supervisory_envs_bit_for_bit(mode):
    """make_vec(..., "vector_entry_point") (one base layer per batched plant) against N single
    supervisory envs under SyncVectorEnv: same observations, rewards, ends and infos through
    episode ends (12 steps) and the autoresets after them; the fallback threshold (965 degC) lies
    inside the furnace temperatures the random actions give, so some steps hand back to the ACC."""
    kwargs = dict(num_envs=3, episode_hours=1 / 30, setpoint_authority=0.5, fallback_below_degc=965.0,
                  autoreset_mode=mode, observation_noise=0.01)
    batched = gym.make_vec(SUP_ID, vectorization_mode="vector_entry_point", **kwargs)
    sync = gym.make_vec(SUP_ID, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode},
                        **{k: v for k, v in kwargs.items() if k != "autoreset_mode"})
    assert batched.single_observation_space == sync.single_observation_space
    assert batched.single_action_space == sync.single_action_space
    assert batched.observation_names == SUPERVISORY_OBSERVATION_NAMES
    (ob, ib), (os_, is_) = batched.reset(seed=7), sync.reset(seed=7)
    np.testing.assert_array_equal(ob, os_)
    _assert_infos_equal(ib, is_)
    actions = np.random.default_rng(0).uniform(-1.2, 1.2, size=(30, 3, 7)).astype(np.float32)
    ends = moved = fallback = 0
    for a in actions:
        sb, ss = batched.step(a), sync.step(a)
        for x, y in zip(sb[:4], ss[:4]):
            np.testing.assert_array_equal(x, y)
        if "final_obs" in ss[4]:
            for i in np.flatnonzero(ss[4]["_final_obs"]):
                np.testing.assert_array_equal(sb[4]["final_obs"][i], ss[4]["final_obs"][i])
            _assert_infos_equal({k: v for k, v in sb[4].items() if k != "final_obs"},
                                {k: v for k, v in ss[4].items() if k != "final_obs"})
        else:
            _assert_infos_equal(sb[4], ss[4])
        ends += int((sb[2] | sb[3]).sum())
        moved += int((sb[4]["setpoints"]["nox_setpoint_mg_nm3"] != 150.0).sum())
        fallback += int((sb[4]["setpoints"]["nox_setpoint_mg_nm3"] == 150.0).sum())
    assert ends >= 6  # every plant ended two episodes and went on
    assert moved > 30 and fallback > 10  # the actions moved the setpoints, and the fallback held them
    with pytest.raises(ValueError, match=r"expected shape \(3, 7\)"):
        batched.step(np.zeros((3, 9), dtype=np.float32))
