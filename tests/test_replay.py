"""Uses of a plant log, on a synthetic historian export made by the simulator (2 h, perturbed
plant, noisy manual operator, every defect of sim/replay/synthetic.py): the defects are found,
open-loop replay, disturbance estimation with scenario=from_log, shadow mode, calibration that
recovers the perturbed parameters, offline datasets, and the script end to end."""
from __future__ import annotations

import json
import re
import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import yaml

import agents
import sim
from sim.replay import DataQualityWarning, load_log, load_tagmap, synthetic
from sim.replay.calibrate import calibrate
from sim.replay.estimate import Estimate, ObservabilityWarning, estimate, write_scenario
from sim.replay.quality import LogError
from sim.replay.export import episode_from_log, write_dataset
from sim.replay.openloop import replay
from sim.replay.shadow import shadow

HOURS = 2.0
TAGS = "synthetic_dcs"


def load_quiet(path, **kw):
    """The synthetic export again (its defects' warnings are checked once, in the fixture's tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_log(path, TAGS, **kw)


def manual(env):
    return agents.make_controller("manual", env)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    path = synthetic.generate(out, manual, hours=HOURS, seed=0)
    truth = pd.read_parquet(out / "truth.parquet").set_index("time_s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load_log(path, TAGS)
    return path, log, truth




def test_synthetic_export_is_deterministic(tmp_path):
    a = synthetic.generate(tmp_path / "a", manual, hours=0.1, seed=3, layout="long")
    b = synthetic.generate(tmp_path / "b", manual, hours=0.1, seed=3, layout="long")
    assert a.read_bytes() == b.read_bytes()


def test_every_synthetic_defect_is_found(generated):
    path, log, truth = generated
    checks = {(i.check, i.channel): i for i in log.report.issues}
    assert checks[("unit_change", "steam_flow_t_h")].severity == "info"
    assert checks[("out_of_range", "furnace_temp_degc")].value == 1999.9
    assert checks[("out_of_range", "furnace_temp_degc")].count == 3
    assert checks[("stuck", "boiler_exit_temp_degc")].count >= 100        # 20 min of 10-s samples
    assert checks[("bad_quality", "co_mg_nm3")].count == 60               # 10 min of 10-s samples
    assert ("non_monotonic_time", "steam_flow_t_h") in checks and ("duplicate_time", "steam_flow_t_h") in checks
    assert any(i.check == "gap" and "longest 30" in i.message for i in log.report.issues)   # 5-min outage
    assert str(log.local_index[0]) == "2026-03-14 06:00:00+08:00"
    # the unit change is undone: the cleaned steam flow follows the plant within its noise
    steam = log.data["steam_flow_t_h"].dropna()
    err = steam - truth["steam_flow_t_h"].rolling(11, center=True).mean().reindex(steam.index)
    assert err.abs().quantile(0.95) < 1.0


def test_without_the_declared_unit_change_the_jump_is_flagged(generated):
    path = generated[0]
    tm = load_tagmap(TAGS).model_dump(by_alias=True)
    steam = synthetic.TAGS["steam_flow_t_h"].tag
    tm["tags"][steam]["unit_changes"] = []
    with pytest.warns(DataQualityWarning) as caught:
        load_log(path, tm)
    assert any(re.search(f"'{steam}'.*from t/h to kg/s", str(w.message)) for w in caught)


def test_open_loop_with_the_true_parameters_fits_better_than_the_config(generated):
    _, log, _ = generated
    nominal = replay(log)
    true = replay(log, parameters=synthetic.TRUE_PARAMETERS)
    for c in ("steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc"):
        assert true.metrics[c]["nrmse"] < 0.5 * nominal.metrics[c]["nrmse"], c
        assert abs(true.metrics[c]["lag_s"]) <= 120.0, c
    assert any("carbon_kg_h not in the log" in n for n in nominal.notes)
    assert any("so2_mg_nm3" in n and "not compared" in n for n in nominal.notes)


def test_estimated_waste_recovers_the_moisture_and_replays_as_a_scenario(generated, tmp_path):
    _, log, truth = generated
    with pytest.warns(ObservabilityWarning, match="throughput not observable: the feed is the feeder's command"):
        est = estimate(log)
    assert any("not observable" in n for n in est.notes)
    with pytest.raises(LogError, match="weighed throughput"):
        estimate(log, require_observable=True)
    late = est.data.index > 1800  # after the first feed-to-steam transient
    true_m = truth["waste_moisture_pct"].reindex(est.data.index)[late].mean()
    design_m = sim.load_scenario("steady_design").waste.moisture_mean_pct
    assert abs(est.data["waste_moisture_pct"][late].mean() - true_m) < 1.0 < abs(true_m - design_m)
    write_scenario(est, tmp_path, source="synthetic")
    scen = sim.load_scenario(f"from_log:{tmp_path}")
    assert scen.name.startswith("from_log") and abs(scen.waste.moisture_mean_pct - true_m) < 1.0
    env = gym.make("WtE/Incinerator-v0", scenario=f"from_log:{tmp_path}", episode_hours=0.1)
    env.reset(seed=0)
    with_estimate = replay(log, scenario=f"from_log:{tmp_path}")
    expected = replay(log)
    assert with_estimate.metrics["steam_flow_t_h"]["nrmse"] < 0.5 * expected.metrics["steam_flow_t_h"]["nrmse"]
    with pytest.raises(FileNotFoundError, match="scripts/replay.py estimate"):
        sim.load_scenario(f"from_log:{tmp_path / 'nothing'}")


def test_open_loop_replay_is_deterministic(generated):
    _, log, _ = generated
    a, b = replay(log), replay(log)
    pd.testing.assert_frame_equal(a.simulated, b.simulated)


def test_scenario_from_an_estimate_brings_the_waste_to_the_grate_when_it_burnt(tmp_path):
    """A 6-h estimate: design waste, then 56 % moisture from 4 h on. The scenario drops the wet
    grabs one hopper residence earlier, so the plant burns them from about 4 h."""
    t = np.arange(0.0, 6 * 3600 + 1, 60.0)
    moisture = np.where(t < 4 * 3600, 48.0, 56.0)
    est = Estimate(pd.DataFrame({"waste_moisture_pct": moisture}, index=pd.Index(t, name="time_s")))
    write_scenario(est, tmp_path, source="hand-made")
    scen = sim.load_scenario(f"from_log:{tmp_path}")
    assert scen.waste.moisture_mean_pct == pytest.approx(48.0) and scen.slugs
    assert all(sl.moisture_pct == 48.0 for sl in scen.slugs if sl.at_h < 0.9)
    env = gym.make("WtE/Incinerator-v0", scenario=f"from_log:{tmp_path}", episode_hours=6.0)
    df = agents.run_episode(env, agents.make_controller("fixed", env), seed=0, progress=False).set_index("time_s")
    burnt = df["waste_moisture_pct"]
    assert burnt.loc[2 * 3600:3.5 * 3600].mean() == pytest.approx(48.0, abs=1.0)
    assert burnt.loc[4.5 * 3600:6 * 3600].mean() == pytest.approx(56.0, abs=1.5)


def test_estimate_works_on_a_partial_log_and_says_what_it_lacks(generated):
    _, log, _ = generated
    partial = type(log)(**{**log.__dict__, "data": log.data.drop(columns=["o2_wet_vol_pct"])})
    with pytest.warns(ObservabilityWarning):
        est = estimate(partial)
    assert any("no O2 balance" in n for n in est.notes)
    assert "moisture_o2_pct" not in est.data and est.data["waste_moisture_pct"].notna().mean() > 0.9
    with pytest.raises(ValueError, match="feed rate"):
        estimate(type(log)(**{**log.__dict__, "data": log.data.drop(columns=["feed_rate_t_h"])}))


def test_a_weighed_throughput_makes_the_lhv_observable(generated):
    _, log, truth = generated
    data = log.data.copy()
    data["waste_throughput_t_h"] = truth["feed_rate_t_h"].reindex(data.index).to_numpy()   # a belt scale
    data["feed_rate_t_h"] *= 1.2                                                          # a wrong ram scale
    weighed = type(log)(**{**log.__dict__, "data": data})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ObservabilityWarning)
        est = estimate(weighed, require_observable=True)
    late = est.data.index > 1800
    true_m = truth["waste_moisture_pct"].reindex(est.data.index)[late].mean()
    assert abs(est.data["waste_moisture_pct"][late].mean() - true_m) < 1.0       # the wrong scale does not enter
    assert "throughput from the weighed waste_throughput_t_h" in est.notes


def test_shadow_manual_operator_agrees_with_the_logged_operator(generated):
    _, log, _ = generated
    r = shadow(log, manual)
    # the log's operator is the same manual operator plus random nudges of +-4 % load
    assert r.metrics["feed_rate_t_h"]["agreement_pct"] > 80.0
    # the log is all manual (ACC_AUTO = 0; empty during the historian outage)
    assert r.metrics["feed_rate_t_h"]["agreement_pct_mode_acc_auto_manual"] == pytest.approx(
        r.metrics["feed_rate_t_h"]["agreement_pct"], abs=1.0)
    assert np.isnan(r.metrics["feed_rate_t_h"]["agreement_pct_mode_acc_auto_auto"])
    assert r.metrics["feedwater_t_h"]["fit_pct"] > 50.0            # the same three-element level loop
    assert set(r.metrics) == {a for a in sim.units.ACTUATORS if a in log.data}
    assert any("aux_burner_mw not in the log" in n for n in r.notes)
    assert r.proposed.shape == (len(log.data), len(sim.units.ACTUATORS))


def check_recovery(r, tolerances: dict, min_improvement: float) -> None:
    """Fitted values within the stated tolerance of the truth behind the log (``("abs", x)`` or
    ``("rel", x)``), and NRMSE of steam, O2 and furnace temperature down by the factor."""
    true = synthetic.TRUE_PARAMETERS
    for name, (kind, tol) in tolerances.items():
        expected = pytest.approx(true[name], abs=tol) if kind == "abs" else pytest.approx(true[name], rel=tol)
        assert r.after[name] == expected, (name, r.after[name], true[name])
    assert set(r.improvement) == {"steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc"}
    for c, factor in r.improvement.items():
        assert factor > min_improvement, (c, factor)


def test_calibration_recovers_the_perturbed_parameters(generated):
    # the 30-s grid keeps the default run short; the slow test below fits all four on 10 s
    log = load_quiet(generated[0], step_s=30)
    r = calibrate(log, ["moisture_bias_pct", "wall_emissivity", "air_leak_frac"], max_evaluations=40)
    check_recovery(r, {"moisture_bias_pct": ("abs", 0.5), "wall_emissivity": ("rel", 0.07),
                       "air_leak_frac": ("abs", 0.015)}, min_improvement=3.0)
    cal = sim.load_plant(yaml.safe_load(r.plant_yaml))
    assert cal.furnace.wall_effective_emissivity == pytest.approx(r.after["wall_emissivity"])
    scen = sim.load_scenario(yaml.safe_load(r.scenario_yaml))
    assert scen.waste.moisture_mean_pct == pytest.approx(48.0 + r.after["moisture_bias_pct"])


@pytest.mark.slow
def test_calibration_recovers_all_four_parameters_including_a_lag(generated):
    r = calibrate(generated[1])
    check_recovery(r, {"moisture_bias_pct": ("abs", 0.5), "wall_emissivity": ("rel", 0.07),
                       "air_leak_frac": ("abs", 0.015), "thermocouple_tau_s": ("rel", 0.5)}, min_improvement=3.0)


def test_calibration_drops_what_the_log_cannot_inform(generated):
    _, log, _ = generated
    partial = type(log)(**{**log.__dict__, "data": log.data.drop(columns=["furnace_temp_degc"])})
    r = calibrate(partial, ["moisture_bias_pct", "thermocouple_tau_s"], max_evaluations=3)
    assert "thermocouple_tau_s" not in r.after
    assert any("cannot calibrate thermocouple_tau_s" in n for n in r.notes)
    with pytest.raises(ValueError, match="expected some of"):
        calibrate(log, ["grate_magic"])


@pytest.mark.filterwarnings("ignore::UserWarning:minari.utils")   # its advice on dataset metadata
def test_offline_dataset_from_the_log(generated, tmp_path):
    _, log, _ = generated
    ep = episode_from_log(log)
    meta = write_dataset([ep], tmp_path, "synthetic_day", log.step_s)
    d = np.load(tmp_path / "dataset.npz", allow_pickle=False)
    n = len(log.data) - 1
    assert d["observations"].shape == (n, 29) and d["actions"].shape == (n, 9)
    assert np.all(np.abs(d["actions"]) <= 1.0) and np.isfinite(d["rewards"]).all()
    assert d["timeouts"][-1] and not d["terminals"].any()
    np.testing.assert_array_equal(d["observations"][1:], d["next_observations"][:-1])
    assert json.loads((tmp_path / "dataset.json").read_text())["action_names"] == list(sim.units.ACTUATORS)
    if meta["minari"]:
        import os

        import minari
        os.environ["MINARI_DATASETS_PATH"] = str(tmp_path / "minari")
        try:
            ds = minari.load_dataset(meta["minari"])
            assert ds.total_steps == n and ds.total_episodes == 1
        finally:
            os.environ.pop("MINARI_DATASETS_PATH")


def test_script_end_to_end(generated, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("replay_script", "scripts/replay.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = str(generated[0])
    common = ["--log", path, "--tags", "configs/tags/synthetic_dcs.yaml", "--step", "30"]
    for command, extra in [("validate", []), ("open-loop", []), ("estimate", []), ("shadow", ["--controller", "rule_based"]),
                           ("calibrate", ["--params", "moisture_bias_pct", "--max-evals", "5"]),
                           ("export", ["--no-minari", "--name", "day", "--simulate", "1", "--hours", "0.2"])]:
        out = tmp_path / command
        assert script.main([command, *common, "--out", str(out), *extra]) == 0
        name = command.replace("-", "_")
        figures = json.loads((out / f"{name}.json").read_text())
        assert figures["start"] == "2026-03-14 06:00:00+08:00"
        assert (out / f"{name}.png").stat().st_size > 10_000 and (out / "data_quality.json").exists()
        assert not list(out.glob(".*.tmp"))
    assert json.loads((tmp_path / "calibrate" / "calibrate.json").read_text())["parameters_after"]["moisture_bias_pct"] > 1.0
    assert sim.load_plant(str(tmp_path / "calibrate" / "calibrated_plant.yaml")).name == "reference_750tpd"
    assert sim.load_scenario(f"from_log:{tmp_path / 'estimate'}").duration_h == pytest.approx(HOURS, abs=0.01)
    episodes = json.loads((tmp_path / "export" / "dataset.json").read_text())["episodes"]
    assert [e["steps"] for e in episodes] == [HOURS * 120, 0.2 * 120]    # 30-s steps: the log, one simulated


def test_a_command_logged_with_a_wrong_scale_gets_a_fitted_gain(generated):
    _, log, _ = generated
    log30 = load_quiet(generated[0], step_s=30)
    wrong = log30.data.copy()
    wrong["feed_rate_t_h"] *= 0.9            # the feeder's % of travel mapped with a scale 10 % low
    skewed = type(log)(**{**log30.__dict__, "data": wrong})
    r = calibrate(skewed, ["gain_feed_rate_t_h"], fixed=synthetic.TRUE_PARAMETERS, max_evaluations=20)
    assert r.after["gain_feed_rate_t_h"] == pytest.approx(1 / 0.9, abs=0.02)
    assert any("feed_rate_t_h received = logged x 1.1" in n for n in r.notes)
    with pytest.raises(ValueError, match="both fitted and fixed"):
        calibrate(skewed, ["air_leak_frac"], fixed={"air_leak_frac": 0.0})
