"""Training from scripts: run folder, resume, determinism, config errors, safe policy loading."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import agents
import sim  # noqa: F401  (registers the environments)
from agents import learned
from agents.residual import ResidualWrapper
from agents.sb3 import load_model, read_card
from agents.acceptance import acceptance
from agents.train_config import ConfigError, load_config
from agents import evaluation, shipping
from agents.training import ScenarioMix, _make_mix, make_env, run_policy_episode, selection_key, train
from sim.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent
#: A tiny but complete run: 2 envs x 128 steps per PPO rollout, evaluation and checkpoint every
#: 256 steps on one 6-min held-out episode.
TINY = ["total_timesteps=512", "vec_env.n_envs=2", "env.episode_hours=0.25", "eval.every_steps=256",
        "eval.max_episodes=1", "eval.episode_hours=0.1", "checkpoint_every_steps=256", "progress_bar=false"]
PPO_TINY = ["algo.n_steps=128", "algo.batch_size=64", "algo.n_epochs=2"]


def _train(out: Path, config: str = "ppo_residual", extra: tuple[str, ...] = ()) -> Path:
    """A TINY run of ``configs/agents/CONFIG.yaml`` into ``out`` (what scripts/train.py runs)."""
    overrides = [*TINY, *(PPO_TINY if config.startswith("ppo") else ()), *extra]
    return train(load_config(ROOT / "configs" / "agents" / f"{config}.yaml", overrides), out)


def _parameters(zip_path: Path) -> dict[str, torch.Tensor]:
    return load_model(zip_path, read_card(zip_path)).policy.state_dict()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return _train(tmp_path_factory.mktemp("train") / "run")


def test_run_folder_holds_config_versions_model_and_normalisation(run):
    for name in ("config.yaml", "versions.json", "model.zip", "model.json", "best_model.zip", "best_model.json",
                 "evaluations.csv", "training_curve.png", "throughput.json", "logs/progress.csv",
                 "checkpoints/step_256.zip", "checkpoints/step_512.json"):
        assert (run / name).is_file(), name
    cfg = load_config(run / "config.yaml")  # the exact config, reloadable, overrides included
    assert cfg.total_timesteps == 512 and cfg.vec_env.n_envs == 2 and cfg.env.residual.scale == 0.1
    versions = json.loads((run / "versions.json").read_text())
    assert versions["packages"]["stable-baselines3"] and versions["packages"]["torch"]
    card = read_card(run / "model.zip")
    assert card["num_timesteps"] == 512 and card["env"]["residual"]["base"] == "rule_based"
    norm = card["normalisation"]
    # 28 + 1 observation elements of the env, 9 of the base action; statistics were learned
    assert len(norm["obs_mean"]) == len(card["observation_space"]["low"]) == 29 + 9
    assert norm["obs_count"] > 512 and np.all(np.asarray(norm["obs_var"]) > 0)
    evals = (run / "evaluations.csv").read_text().splitlines()
    assert evals[0].startswith("timesteps,mean_reward") and len(evals) == 3  # at 256 and 512 steps
    tp = json.loads((run / "throughput.json").read_text())
    assert tp["env_steps"] == 512 and 0 < tp["env_share_of_training"] < 1


def test_same_seed_same_config_same_parameters_bit_for_bit(run, tmp_path):
    again = _train(tmp_path / "again")
    a, b = _parameters(run / "model.zip"), _parameters(again / "model.zip")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    other = _train(tmp_path / "other", extra=("seed=1",))
    c = _parameters(other / "model.zip")
    assert not all(torch.equal(a[k], c[k]) for k in a)


def _resume(run: Path, *overrides: str) -> Path:
    return train(load_config(run / "config.yaml", list(overrides)), run, resume=True)


def test_resume_continues_the_step_counter(run, tmp_path):
    copy = tmp_path / "resumed"
    shutil.copytree(run, copy)
    _resume(copy, "total_timesteps=768", "progress_bar=false")
    assert read_card(copy / "model.zip")["num_timesteps"] == 768
    assert (copy / "checkpoints" / "step_768.zip").is_file()
    assert len((copy / "evaluations.csv").read_text().splitlines()) == 4  # one more evaluation, at 768
    with pytest.raises(ConfigError, match=re.escape("['seed'] differ")):
        _resume(copy, "total_timesteps=1024", "seed=5")


def test_init_from_starts_a_new_run_from_an_earlier_policy(run, tmp_path):
    source = run / "model.zip"
    # learning rate 0: the weights stay those copied in, so they must equal the source's
    tuned = _train(tmp_path / "tuned", extra=(f"init_from={source}", "total_timesteps=128", "algo.learning_rate=0.0"))
    a, b = _parameters(source), _parameters(tuned / "model.zip")
    assert all(torch.equal(a[k], b[k]) for k in a)
    fresh = _parameters(_train(tmp_path / "fresh", extra=("total_timesteps=128", "algo.learning_rate=0.0")) / "model.zip")
    assert not all(torch.equal(a[k], fresh[k]) for k in a)
    # the observation statistics continue from the source's, plus this run's samples: PPO collects
    # a whole rollout (2 envs x 128 steps) and each env's reset observation
    before, after = (read_card(p)["normalisation"]["obs_count"] for p in (source, tuned / "model.zip"))
    assert after == pytest.approx(before + 2 * (128 + 1), abs=1e-9)
    # a source that does not fit is refused (the reason named) before the run folder is made
    with pytest.raises(ConfigError, match=r"init_from=.*policy_kwargs is .*net_arch"):
        _train(tmp_path / "wider", extra=(f"init_from={source}", "algo.policy_kwargs.net_arch=[8]"))
    with pytest.raises(ConfigError, match=r"init_from=.*nope\.zip does not exist"):
        _train(tmp_path / "missing", extra=(f"init_from={tmp_path / 'nope.zip'}",))
    with pytest.raises(ConfigError, match=r"its observation_space is a box of 38 elements; this config's has \d+"):
        _train(tmp_path / "other_env", "ppo_supervisory", extra=(f"init_from={source}",))
    assert not any((tmp_path / name).exists() for name in ("wider", "missing", "other_env"))


def test_config_errors_name_the_field(tmp_path):
    path = ROOT / "configs" / "agents" / "ppo_residual.yaml"
    with pytest.raises(ConfigError, match=r"algo:.*'learning_rat' is not a hyperparameter of PPO"):
        load_config(path, ["algo.learning_rat=1e-4"])
    with pytest.raises(ConfigError, match=r"vec_env\.kinds: unknown key"):
        load_config(path, ["vec_env.kinds=subproc"])
    with pytest.raises(ConfigError, match=r"env\.residual\.scale: .*less than or equal to 1"):
        load_config(path, ["env.residual.scale=3"])
    with pytest.raises(ConfigError, match=r"env\.id: .*'WtE/Nope-v0' is not a registered environment"):
        load_config(path, ["env.id=WtE/Nope-v0"])
    with pytest.raises(ConfigError, match=r"expected KEY.PATH=VALUE"):
        load_config(path, ["learning_rate"])
    with pytest.raises(ConfigError, match=r"random_start: true needs an env whose zero action is the ACC"):
        load_config(path, ["env.residual=null", "env.random_start=true"])
    assert load_config(path, ["algo.learning_rate=1e-4"]).algo.hyperparameters["learning_rate"] == 1e-4
    # the script reports the error and exits 2 without training
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--config", str(path), "--out",
                           str(tmp_path / "x"), "total_timesteps=0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "total_timesteps" in proc.stderr and not (tmp_path / "x").exists()


def test_sb3_controller_reproduces_the_policy_actions(run):
    """``sb3:PATH`` (safe loader, card statistics, residual layer on plain Incinerator-v0) acts
    exactly like the SB3 model loaded the usual way behind the residual wrapper."""
    from stable_baselines3 import PPO

    card = read_card(run / "model.zip")
    norm = card["normalisation"]
    model = PPO.load(run / "model.zip", device="cpu")  # the ordinary (unpickling) path, on our own file
    wrapped = make_env(load_config(run / "config.yaml").env, "steady_design", episode_hours=0.1)
    obs, info = wrapped.reset(seed=1000)
    expected = []
    for _ in range(20):
        x = np.clip((obs - np.asarray(norm["obs_mean"])) / np.sqrt(np.asarray(norm["obs_var"]) + norm["epsilon"]),
                    -norm["clip_obs"], norm["clip_obs"]).astype(np.float32)
        a, _ = model.predict(x, deterministic=True)
        obs, *_ = wrapped.step(a)
        expected.append(wrapped.unwrapped.plant.actuators["feed_rate_t_h"])
    env = gym.make("WtE/Incinerator-v0", scenario="steady_design", episode_hours=0.1)
    ctl = agents.make_controller(f"sb3:{run / 'model.zip'}", env)
    obs, info = env.reset(seed=1000)
    ctl.reset(1000)
    got = []
    for _ in range(20):
        obs, _, _, _, info = env.step(ctl.act(obs, info))
        got.append(info["actuators"]["feed_rate_t_h"])
    assert got == expected


def test_supervisory_policy_drives_incinerator_like_its_own_env(tmp_path):
    run = _train(tmp_path / "sup", "ppo_supervisory", ("total_timesteps=256", "env.scenarios=[steady_design]",
                                                        "env.kwargs.setpoint_authority=0.5",
                                                        "env.kwargs.fallback_below_degc=972.3"))
    sup = gym.make("WtE/IncineratorSupervisory-v0", scenario="wet_slug", episode_hours=0.2, setpoint_authority=0.5,
                   fallback_below_degc=972.3)  # the run's env kwargs (SB3Controller reads them from the card); the
    # threshold sits in this episode's furnace temperatures (about 972 degC), so both the fallback and the policy act
    ctl_sup = agents.make_controller(f"sb3:{run / 'model.zip'}", sup)
    ctl_sup.reset(7)
    a = run_policy_episode(sup, ctl_sup.act, seed=7)
    inc = gym.make("WtE/Incinerator-v0", scenario="wet_slug", episode_hours=0.2)
    ctl_inc = agents.make_controller(f"sb3:{run / 'model.zip'}", inc)
    ctl_inc.reset(7)
    b = run_policy_episode(inc, ctl_inc.act, seed=7)
    assert a == b


def test_loading_refuses_pickled_attributes_it_cannot_replace(run, tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(run / "model.zip") as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "data":
                d = json.loads(data)
                d["payload"] = {":type:": "<class 'object'>", ":serialized:": "gAROLg=="}  # pickle of None
                data = json.dumps(d).encode()
            dst.writestr(item, data)
    shutil.copy(run / "model.json", bad.with_suffix(".json"))
    with pytest.raises(ValueError, match="'payload' is stored pickled .* refusing to unpickle"):
        load_model(bad, read_card(bad))


def test_sb3_controller_rejects_a_mismatched_env_and_missing_card(run, tmp_path):
    with pytest.raises(ValueError, match="residual layer; it cannot drive 'WtE/IncineratorSupervisory-v0'"):
        agents.make_controller(f"sb3:{run / 'model.zip'}", gym.make("WtE/IncineratorSupervisory-v0"))
    lone = tmp_path / "lone.zip"
    shutil.copy(run / "model.zip", lone)
    with pytest.raises(FileNotFoundError, match="policy card .*lone.json"):
        agents.make_controller(f"sb3:{lone}", gym.make("WtE/Incinerator-v0"))


def test_learned_loads_the_shipped_policy_or_says_it_is_missing(monkeypatch, run, tmp_path):
    monkeypatch.setattr(learned, "MODEL_PATH", tmp_path / "model.zip")
    with pytest.raises(FileNotFoundError, match="controller 'learned': no shipped policy file"):
        agents.make_controller("learned", gym.make("WtE/Incinerator-v0"))
    monkeypatch.setattr(learned, "MODEL_PATH", run / "model.zip")  # stands in for agents/policies/learned/
    env = gym.make("WtE/Incinerator-v0", episode_hours=0.05)
    ctl = agents.make_controller("learned", env)
    assert ctl.name == "learned" and ctl.card["num_timesteps"] == 512
    assert agents.run_episode(env, ctl, seed=1000, progress=False).attrs["controller"] == "learned"


def test_residual_zero_correction_is_rule_based_and_corrections_are_bounded():
    def feed(env, act, n=30):
        obs, info = env.reset(seed=3)
        out = []
        for _ in range(n):
            obs, _, _, _, info = env.step(act(obs, info))
            out.append(info["actuators"]["feed_rate_t_h"])
        return np.array(out)

    plain = gym.make("WtE/Incinerator-v0", episode_hours=0.2)
    acc = agents.make_controller("rule_based", plain)
    acc.reset(3)
    reference = feed(plain, acc.act)
    wrapped = ResidualWrapper(gym.make("WtE/Incinerator-v0", episode_hours=0.2), scale=0.1)
    assert wrapped.action_space.shape == (4,) and wrapped.observation_space.shape == (29 + 9,)
    assert np.array_equal(feed(wrapped, lambda o, i: np.zeros(4, dtype=np.float32)), reference)
    # full positive correction on the feed: +0.1 of the half range (45 t/h / 2) on the ACC's first command
    first = feed(wrapped, lambda o, i: np.array([1, 0, 0, 0], dtype=np.float32), n=1)[0]
    assert first == pytest.approx(reference[0] + 0.1 * 22.5, abs=1e-4)


def test_scenario_mix_draws_training_seeds_of_its_scenarios():
    cfg = load_config(ROOT / "configs" / "agents" / "ppo_supervisory.yaml")
    seeds = {n: pair[0] for n, pair in cfg.seeds().items()}
    test = {n: set(load_scenario(n).test_seeds) for n in seeds}
    assert all(not (set(s) & test[n]) for n, s in seeds.items())
    mix = ScenarioMix({n: make_env(cfg.env, n, episode_hours=0.01) for n in seeds}, seeds)

    def draw(n=40):
        first = [mix.reset(seed=0)[1]]
        return first + [mix.reset()[1] for _ in range(n - 1)]

    drawn = draw()
    assert {d["scenario"] for d in drawn} == set(seeds)
    assert all(d["plant_seed"] in seeds[d["scenario"]] for d in drawn)
    assert [(d["scenario"], d["plant_seed"]) for d in draw()] == [(d["scenario"], d["plant_seed"]) for d in drawn]


def test_random_start_runs_the_acc_up_to_the_start_then_truncates_the_episode():
    cfg = load_config(ROOT / "configs" / "agents" / "ppo_supervisory_fenced.yaml")
    envs = {"lhv_drift": make_env(cfg.env, "lhv_drift", episode_hours=0.2)}  # 72 steps of 10 s
    mix = ScenarioMix(envs, {"lhv_drift": (5,)}, latest_start={"lhv_drift": 48}, episode_steps=24)
    starts = []
    for i in range(6):
        obs, info = mix.reset(seed=3) if i == 0 else mix.reset()
        start = info["start_step"]
        starts.append(start)
        assert 0 <= start <= 48 and envs["lhv_drift"].unwrapped.plant.time_s == 10.0 * start
        steps, done = 0, False
        while not done:
            obs, _, terminated, truncated, _ = mix.step(np.zeros(7, dtype=np.float32))
            steps, done = steps + 1, terminated or truncated
        assert steps == 24 and not terminated  # the mix's own truncation, before the env's (72 steps)
    assert len(set(starts)) > 1
    # the run-up is the supervisory env with its zero action (the ACC), bit for bit
    plain = make_env(cfg.env, "lhv_drift", episode_hours=0.2)
    expected, _ = plain.reset(seed=5)
    for _ in range(starts[-1]):
        expected = plain.step(np.zeros(7, dtype=np.float32))[0]
    obs, info = mix.reset(seed=3)
    assert info["start_step"] == starts[0]
    for _ in range(5):
        obs, info = mix.reset()
    assert info["start_step"] == starts[-1] and np.array_equal(obs, expected)
    # from a config: each scenario's env runs to its end; the latest start leaves one episode
    long = _make_mix(load_config(ROOT / "configs" / "agents" / "ppo_supervisory_fenced.yaml",
                                 ["env.random_start=true", "env.scenarios=[lhv_drift,load_change]"]).env,
                     {"lhv_drift": (5,), "load_change": (5,)}).env
    assert long.latest_start == {"lhv_drift": (72 - 24) * 360, "load_change": 0} and long.episode_steps == 24 * 360
    assert long.envs["lhv_drift"].unwrapped.episode_hours == 72 and long.envs["load_change"].unwrapped.episode_hours == 24


def _record(steam_std: float, net: float, nox_1h: int = 0, below_850: int = 0, trip=None, iae_t: float = 12.0) -> dict:
    gb = {"steam_flow_std_t_h": steam_std, "net_kwh_per_t": net, "steam_flow_iae_t": iae_t, "duration_h": 24.0, "exceedances": {"nox": {"1h": nox_1h, "24h": 0}},
          "furnace_below_850_5min_count": below_850, "lime_kg_per_t": 10.0, "urea_kg_per_t": 2.0,
          "carbon_kg_per_t": 0.4, "emissions_g_per_t": {"co": 50.0, "nox": 900.0}, "o2_std_vol_pct": 0.5}
    return {"trip": trip, "gb18485": gb, "eu_ied": {"exceedances": {"nox": {"30min": 0}}}}


def test_acceptance_applies_the_issue_bar():
    def accept(results):
        return acceptance(list(results["policy"]["a"].values()), list(results["rule_based"]["a"].values()))

    ref = {"a": {"1": _record(4.0, 400.0), "2": _record(2.0, 420.0)}}
    good = {"a": {"1": _record(3.0, 401.0), "2": _record(1.8, 420.0)}}  # std 4.8 vs 6.0: -20 %
    acc = accept({"policy": good, "rule_based": ref})
    assert acc["steam_std_ratio"] == pytest.approx(0.8) and acc["passed"]
    assert acc["measured"]["NOx g/t"] == {"policy": 900.0, "rule_based": 900.0}
    ref["a"]["2"]["gb18485"]["steam_flow_iae_t"] = 36.0  # 1.5 t/h over 24 h
    assert accept({"policy": good, "rule_based": ref})["measured"]["steam |flow - setpoint| t/h"] == \
        {"policy": 0.5, "rule_based": 1.0}
    for bad, failed in [({"1": _record(3.2, 401.0), "2": _record(1.8, 420.0)}, "steam_std_ratio<=0.80"),
                        ({"1": _record(3.0, 399.0), "2": _record(1.8, 420.0)}, "net_kwh_per_t_ratio>=1"),
                        ({"1": _record(3.0, 401.0, nox_1h=1), "2": _record(1.8, 420.0)}, "emission_exceedances_not_more"),
                        ({"1": _record(3.0, 401.0, below_850=2), "2": _record(1.8, 420.0)}, "furnace_below_850_5min_not_more"),
                        ({"1": _record(3.0, 401.0, trip="flame loss"), "2": _record(1.8, 420.0)}, "trips_not_more")]:
        acc = accept({"policy": {"a": bad}, "rule_based": ref})
        assert not acc["passed"] and [k for k, ok in acc["checks"].items() if not ok] == [failed]


def test_best_model_is_chosen_on_the_acceptance_figures():
    ref = {"rule_based_trips": 1, "rule_based_emission_exceedances": 5, "rule_based_furnace_below_850_5min": 3,
           "rule_based_net_kwh_per_t": 410.0}
    row = {"mean_reward": 100.0, "steam_std_t_h": 2.0, "trips": 1, "emission_exceedances": 5,
           "furnace_below_850_5min": 3, "net_kwh_per_t": 410.0, **ref}
    steadier = {**row, "steam_std_t_h": 1.5, "mean_reward": 50.0}
    richer_but_breaching = {**row, "steam_std_t_h": 1.0, "mean_reward": 500.0, "emission_exceedances": 6}
    assert selection_key(steadier) > selection_key(row) > selection_key(richer_but_breaching)
    for key, worse in [("trips", 2), ("furnace_below_850_5min", 4), ("net_kwh_per_t", 409.9)]:
        assert selection_key({**row, key: worse}) == (0, 100.0)  # not eligible: ranked by reward
    csv_row = {k: str(v) for k, v in row.items()}  # as read back from evaluations.csv on resume
    assert selection_key(csv_row) == selection_key(row)
    assert selection_key({"mean_reward": "7.5", "trips": "0"}) == (0, 7.5)  # a run from before the columns


@pytest.mark.slow
def test_evaluate_then_ship_as_learned(run, tmp_path, monkeypatch):
    out = run / "evaluation"
    evaluation.run(evaluation.plan(run, scenarios="run", hours=0.2, controllers=["rule_based"]), out, workers=1,
                   progress=False)
    acc = json.loads((out / "acceptance.json").read_text())
    assert acc["runs"] == 3 and set(acc["checks"]) >= {"steam_std_ratio<=0.80", "trips_not_more"}
    assert (out / "acceptance.md").read_text().count("| ") > 10 and (out / "results.json").is_file()
    dest = tmp_path / "learned"
    dest.mkdir()
    (dest / "model.zip").write_text("the policy shipped before")
    assert shipping.ship(run, dest) == dest
    assert (dest / "model.zip").read_bytes() == (run / "best_model.zip").read_bytes()
    assert json.loads((dest / "acceptance.json").read_text()) == acc
    verdict = "it passed" if acc["passed"] else "it did **not** pass"
    assert verdict in (dest / "README.md").read_text() and (dest / "config.yaml").is_file()
    monkeypatch.setattr(learned, "MODEL_PATH", dest / "model.zip")
    env = gym.make("WtE/Incinerator-v0", episode_hours=0.05)
    assert agents.run_episode(env, agents.make_controller("learned", env), seed=1000, progress=False).attrs["controller"] == "learned"


def test_evaluate_holds_out_the_runs_evaluation_seeds():
    assert evaluation.holdout_seeds(load_config(ROOT / "configs" / "agents" / "ppo_supervisory_fenced.yaml")) == "18,19"
    with pytest.raises(ValueError, match="held no train seeds out"):
        evaluation.holdout_seeds(load_config(ROOT / "configs" / "agents" / "ppo_supervisory_fenced.yaml",
                                            ["eval.seeds=test"]))


def test_ship_policy_refuses_an_unevaluated_or_foreign_model(tmp_path):
    run = tmp_path / "run"
    (run / "evaluation").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="run python scripts/evaluate.py"):
        shipping.ship(run, tmp_path / "learned")
    acc = {"model": str(tmp_path / "other" / "best_model.zip"), "seeds": "holdout"}
    (run / "evaluation" / "acceptance.json").write_text(json.dumps(acc))
    with pytest.raises(ValueError, match="not a test-seed evaluation"):
        shipping.ship(run, tmp_path / "learned")
    (run / "evaluation" / "acceptance.json").write_text(json.dumps({**acc, "seeds": "test"}))
    with pytest.raises(ValueError, match="not a model of"):
        shipping.ship(run, tmp_path / "learned")
    assert not (tmp_path / "learned").exists()


@pytest.mark.parametrize("config, extra", [
    ("sac_supervisory", ("algo.learning_starts=64", "algo.buffer_size=1000")),
    ("tqc_residual", ("algo.learning_starts=64", "algo.buffer_size=1000")),
    ("recurrent_ppo_supervisory", ("algo.n_steps=64", "algo.batch_size=64")),
])
def test_every_algorithm_trains_resumes_and_loads_safely(tmp_path, config, extra):
    from agents.sb3 import ALGORITHMS, algorithm_class

    run = _train(tmp_path / config, config, ("total_timesteps=256", "env.scenarios=[steady_design]", *extra))
    _resume(run, "total_timesteps=384", "progress_bar=false")
    card = read_card(run / "model.zip")
    assert card["num_timesteps"] >= 384
    if card["algo"]["name"] in ("sac", "tqc"):
        assert (run / "checkpoints" / "step_256.replay.npz").is_file()
    env = gym.make(card["env"]["id"], scenario="steady_design", episode_hours=0.05)
    ctl = agents.make_controller(f"sb3:{run / 'model.zip'}", env)
    obs, info = env.reset(seed=1000)
    ctl.reset(1000)
    trusted = algorithm_class(card["algo"]["name"]).load(run / "model.zip", device="cpu")  # our own file
    expected, _ = trusted.predict(ctl.policy.normalise(ctl.layer.observe(obs, info) if ctl.layer else obs)[None],
                                  episode_start=np.ones(1, dtype=bool), deterministic=True)
    ctl.reset(1000)
    assert np.array_equal(ctl.policy.act(ctl.layer.observe(obs, info) if ctl.layer else obs), expected[0])
    assert card["algo"]["name"] in ALGORITHMS


def test_a_scenario_mix_with_two_observation_layouts_is_refused():
    cfg = load_config(ROOT / "configs" / "agents" / "ppo_supervisory.yaml")
    envs = {n: make_env(cfg.env, n, episode_hours=0.01) for n in ("steady_design", "feed_quality_forecast")}
    with pytest.raises(ValueError, match="'feed_quality_forecast' has observation space \\(37,\\)"):
        ScenarioMix(envs, {n: (0,) for n in envs})


def test_a_policy_trained_without_forecast_ignores_the_forecast_element(run):
    from sim.envs.incinerator import FORECAST_CHANNEL

    env = gym.make("WtE/Incinerator-v0", scenario="feed_quality_forecast", episode_hours=0.05)
    plain = gym.make("WtE/Incinerator-v0", episode_hours=0.05)
    ctl, ref = (agents.make_controller(f"sb3:{run / 'model.zip'}", e) for e in (env, plain))
    k = env.get_wrapper_attr("observation_names").index(FORECAST_CHANNEL)
    obs, info = env.reset(seed=3)
    ctl.reset(3), ref.reset(3)
    for _ in range(5):
        a = ctl.act(obs, info)
        np.testing.assert_array_equal(a, ref.act(np.delete(obs, k), info))
        obs, _, _, _, info = env.step(a)


def test_checkpoints_are_a_callback_of_their_own(tmp_path):
    """PeriodicCheckpoint alone (no evaluation) under SB3's CallbackList: step_N files at every
    multiple of checkpoint_every_steps, each a policy that loads."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList

    from agents.training import PeriodicCheckpoint, make_vec_env

    cfg = load_config(ROOT / "configs" / "agents" / "ppo_residual.yaml",
                      [*TINY, *PPO_TINY, "vec_env.n_envs=1", "checkpoint_every_steps=128"])
    venv = make_vec_env(cfg)
    model = PPO("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=1, seed=0, device="cpu")
    checkpoints = PeriodicCheckpoint(cfg, tmp_path)
    model.learn(total_timesteps=256, callback=CallbackList([checkpoints]))
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("*.zip")) == ["step_128.zip", "step_256.zip"]
    assert read_card(tmp_path / "checkpoints" / "step_128.zip")["num_timesteps"] == 128
    assert not (tmp_path / "evaluations.csv").exists()


#: A tiny batched run of the supervisory config on two scenarios (3 slots: one scenario gets 2).
BATCHED = ("vec_env.kind=batched", "vec_env.n_envs=3", "env.scenarios=[steady_design,wet_slug]",
           "total_timesteps=192", "algo.n_steps=64")


def test_batched_training_same_seed_same_parameters_bit_for_bit(tmp_path):
    a = _train(tmp_path / "a", "ppo_supervisory", BATCHED)
    b = _train(tmp_path / "b", "ppo_supervisory", BATCHED)
    pa, pb = _parameters(a / "model.zip"), _parameters(b / "model.zip")
    assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert json.loads((a / "throughput.json").read_text())["vec_env"] == {"kind": "batched", "n_envs": 3}
    c = _parameters(_train(tmp_path / "c", "ppo_supervisory", (*BATCHED, "seed=1")) / "model.zip")
    assert not all(torch.equal(pa[k], c[k]) for k in pa)


def test_scenario_batches_deal_the_slots_by_the_seeded_mix():
    """Balanced slot counts, adjacent per scenario, order drawn from the seed; each slot's first
    episode is the single supervisory env of its scenario on one of that scenario's train seeds."""
    from agents.training import ScenarioBatches

    cfg = load_config(ROOT / "configs" / "agents" / "ppo_supervisory.yaml",
                      ["vec_env.kind=batched", "vec_env.n_envs=7", "env.episode_hours=0.05"])
    seeds = {name: pair[0] for name, pair in cfg.seeds().items()}
    venv = ScenarioBatches(cfg.env, seeds, 7, seed=0)
    counts = {n: venv.slot_scenarios.count(n) for n in cfg.env.scenarios}
    assert sorted(counts.values()) == [1, 1, 1, 2, 2] and venv.slot_scenarios == sorted(
        venv.slot_scenarios, key=list(cfg.env.scenarios).index)
    assert [ScenarioBatches(cfg.env, seeds, 7, seed=s).slot_scenarios for s in (0, 1)] != [venv.slot_scenarios] * 2
    venv.seed(3)
    plant_seeds = venv.plant_seeds([3 + i for i in range(7)])
    venv.seed(3)
    obs = venv.reset()
    for i, (name, s) in enumerate(zip(venv.slot_scenarios, plant_seeds)):
        assert s in seeds[name]
        single, _ = make_env(cfg.env, name).reset(seed=s)
        np.testing.assert_array_equal(obs[i], single)
    venv.close()


def test_batched_runs_refuse_what_is_per_env():
    path = ROOT / "configs" / "agents" / "ppo_supervisory.yaml"
    with pytest.raises(ConfigError, match=r"5 scenarios and vec_env.n_envs is 4.*set vec_env.kind: dummy"):
        load_config(path, ["vec_env.kind=batched"])
    with pytest.raises(ConfigError, match=r"env.residual is set"):
        load_config(ROOT / "configs" / "agents" / "ppo_residual.yaml", ["vec_env.kind=batched"])
    with pytest.raises(ConfigError, match=r"n_envs=65: kind 'dummy'"):
        load_config(path, ["vec_env.n_envs=65"])
    from agents.train_config import VecEnvConfig

    assert VecEnvConfig().kind == "batched"  # the default: a config without vec_env.kind trains batched


@pytest.mark.parametrize("drop", ["normalisation", "algo.name"])
def test_a_card_without_a_section_is_named(run, tmp_path, drop):
    bad = tmp_path / "model.zip"
    shutil.copy(run / "model.zip", bad)
    card = json.loads((run / "model.json").read_text())
    section, _, key = drop.partition(".")
    if key:
        del card[section][key]
    else:
        del card[section]
    bad.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=rf"policy card without \['{drop}'"):
        read_card(bad)
