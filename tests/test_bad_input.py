"""A battery of hostile inputs across every entry point: bad input never runs, never prints a
traceback, and leaves nothing half-written.

Every script case asserts the exit code 2, one line ``NAME: error: ...`` naming the file or
field, the value and what was expected, no traceback, and that neither the output folder nor a
staging folder is left behind. Each script runs at least once as a real subprocess
(``sys.executable``); the other cases call its ``main`` in this process through
:func:`sim.cli.run_cli`, the same wrapper its ``__main__`` uses. Env-API cases call the env.
The last tests: the wrapper keeps the traceback of a genuine bug and of ``--debug``, and a
benchmark interrupted by SIGINT leaves no result folder, then resumes to a complete one.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded

import sim
from sim.cli import DEBUG_ENV, EXIT_INTERRUPTED, run_cli
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PLANT = (ROOT / "configs" / "plants" / "reference_750tpd.yaml").read_text(encoding="utf-8")
SCENARIO = (ROOT / "configs" / "scenarios" / "wet_slug.yaml").read_text(encoding="utf-8")
DRIFT = (ROOT / "configs" / "scenarios" / "thermocouple_drift.yaml").read_text(encoding="utf-8")
TAGS = (ROOT / "configs" / "tags" / "synthetic_dcs.yaml").read_text(encoding="utf-8")
TRAIN = (ROOT / "configs" / "agents" / "ppo_supervisory.yaml").read_text(encoding="utf-8")


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old  # the fixture must hit exactly one line
    return text.replace(old, new)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Every hostile input file, by name."""
    d = tmp_path_factory.mktemp("hostile")
    text = {
        "plant_inf.yaml": _edit(PLANT, "feed_rate_t_h: {min: 0, max: 45,", "feed_rate_t_h: {min: 0, max: .inf,"),
        "plant_huge.yaml": _edit(PLANT, "feed_rate_t_h: {min: 0, max: 45,", "feed_rate_t_h: {min: 0, max: 1.0e9,"),
        "plant_nan.yaml": _edit(PLANT, "  area_m2: 90 ", "  area_m2: .nan "),
        "plant_zero.yaml": _edit(PLANT, "  area_m2: 90 ", "  area_m2: 0 "),
        "plant_negative.yaml": _edit(PLANT, "wall_loss_mw: 0.6 ", "wall_loss_mw: -1 "),
        "plant_wrong_type.yaml": _edit(PLANT, "  area_m2: 90 ", "  area_m2: ninety "),
        "plant_unknown_key.yaml": _edit(PLANT, "  dt_s: 1.0", "  dt_s: 1.0\n  dt_max_s: 3"),
        "plant_split_nan.yaml": _edit(PLANT, "zone_air_split: [0.05,", "zone_air_split: [.nan,"),
        "plant_missing_section.yaml": PLANT.split("integration:")[0],
        "plant_malformed.yaml": "name: x\nwaste: [1, 2\ndesign: }\n",
        "plant_empty.yaml": "",
        "scenario_inf.yaml": _edit(SCENARIO, "{at_h: 2.0, grabs: 3", "{at_h: .inf, grabs: 3"),
        "scenario_drift.yaml": _edit(DRIFT, "rate_per_h: -2.5}", "rate_per_h: -1.0e6}"),
        "tags_inf.yaml": _edit(TAGS, "unit: t/h, scale: 0.45}", "unit: t/h, scale: .inf}"),
        "train_nan.yaml": TRAIN + "\n",
        "empty.csv": "",
        "notazip.json": json.dumps({"format": "wte-sim-policy/1"}),
    }
    for name, content in text.items():
        (d / name).write_text(content, encoding="utf-8")
    binary = bytes(range(256)) * 4
    for name in ("plant_binary.yaml", "scenario_binary.yaml", "tags_binary.yaml", "train_binary.yaml", "log_binary.csv",
                 "log_garbage.parquet", "notazip.zip"):
        (d / name).write_bytes(binary[1:] if name.endswith(".parquet") else binary)  # the Parquet one: no NUL
    (d / "plant_latin1.yaml").write_bytes("name: Müllverbrennung\n".encode("latin-1"))
    (d / "log_latin1.csv").write_bytes("时间,CEMS_CO\n2026-03-14 00:00:00,5\n".encode("gb18030"))
    (d / "plant_folder.yaml").mkdir()
    (d / "a_file").write_text("not a folder\n", encoding="utf-8")
    run = d / "run_binary_config"
    run.mkdir()
    (run / "config.yaml").write_bytes(binary)
    run = d / "run_garbage_model"
    run.mkdir()
    (run / "config.yaml").write_text(TRAIN, encoding="utf-8")
    (run / "model.zip").write_bytes(binary)
    (run / "model.json").write_text(json.dumps({"format": "wte-sim-policy/1"}), encoding="utf-8")
    return {p.name: p for p in d.iterdir()} | {"dir": d}


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"_bad_input_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_MODULES: dict[str, object] = {}


def call(script: str, argv: list[str], capture) -> tuple[int, str]:
    """``script``'s main through run_cli in this process: (exit code, stderr)."""
    module = _MODULES.get(script) or _MODULES.setdefault(script, _load_script(script))
    try:
        code = run_cli(lambda: module.main(argv), [f"{script}.py", *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    return code, capture.readouterr().err


def spawn(script: str, argv: list[str], **env) -> tuple[int, str]:
    """``script`` as a subprocess of this Python: (exit code, stderr)."""
    proc = subprocess.run([sys.executable, str(SCRIPTS / f"{script}.py"), *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, **env})
    return proc.returncode, proc.stderr


# Cases: (id, script, argv with {name} for a hostile file and {out} for the output path,
#         substrings the error line must hold, run as a subprocess).
RUN = ["--hours", "0.05", "--no-progress"]
BENCH = ["--controllers", "manual,rule_based", "--scenarios", "steady_design", "--seeds", "1000", "--hours", "0.05",
         "--workers", "1", "--no-progress"]
TAGMAP = str(ROOT / "configs" / "tags" / "synthetic_dcs.yaml")
CASES = [
    # run_scenario: plant configs
    ("plant-inf", "run_scenario", [*RUN, "--plant", "{plant_inf.yaml}"],
     ["plant_inf.yaml", "actuators.feed_rate_t_h.max", "finite number", "got inf"], True),
    ("plant-huge", "run_scenario", [*RUN, "--plant", "{plant_huge.yaml}"],
     ["actuators.feed_rate_t_h.max=1000000000.0", "expected at most 93.75"], False),
    ("plant-nan", "run_scenario", [*RUN, "--plant", "{plant_nan.yaml}"], ["grate.area_m2", "finite number", "got nan"], False),
    ("plant-zero", "run_scenario", [*RUN, "--plant", "{plant_zero.yaml}"],
     ["grate.area_m2", "greater than or equal to 10", "got 0"], False),
    ("plant-negative", "run_scenario", [*RUN, "--plant", "{plant_negative.yaml}"],
     ["boiler.wall_loss_mw", "greater than or equal to 0", "got -1"], False),
    ("plant-wrong-type", "run_scenario", [*RUN, "--plant", "{plant_wrong_type.yaml}"],
     ["grate.area_m2", "valid number", "got 'ninety'"], False),
    ("plant-unknown-key", "run_scenario", [*RUN, "--plant", "{plant_unknown_key.yaml}"],
     ["integration.dt_max_s", "unknown key", "value 3"], False),
    ("plant-split-nan", "run_scenario", [*RUN, "--plant", "{plant_split_nan.yaml}"],
     ["grate.zone_air_split.0", "finite number"], False),
    ("plant-missing-section", "run_scenario", [*RUN, "--plant", "{plant_missing_section.yaml}"],
     ["integration: missing"], False),
    ("plant-malformed", "run_scenario", [*RUN, "--plant", "{plant_malformed.yaml}"],
     ["plant_malformed.yaml is not valid YAML at line 3"], False),
    ("plant-empty", "run_scenario", [*RUN, "--plant", "{plant_empty.yaml}"],
     ["plant_empty.yaml", "expected a mapping at the top level"], False),
    ("plant-binary", "run_scenario", [*RUN, "--plant", "{plant_binary.yaml}"],
     ["plant_binary.yaml is a binary file", "NUL byte at offset 0", "expected a UTF-8 YAML text file"], False),
    ("plant-latin1", "run_scenario", [*RUN, "--plant", "{plant_latin1.yaml}"],
     ["plant_latin1.yaml is not UTF-8 text", "byte 0xfc", "expected a UTF-8 YAML text file"], False),
    ("plant-folder", "run_scenario", [*RUN, "--plant", "{plant_folder.yaml}"],
     ["plant_folder.yaml is not a regular file"], False),
    ("plant-missing-file", "run_scenario", [*RUN, "--plant", "/no/such/plant.yaml"],
     ["unknown plant '/no/such/plant.yaml'", "expected a YAML path or one of ['reference_750tpd']"], False),
    # run_scenario: scenarios, options, controllers, output
    ("scenario-inf", "run_scenario", [*RUN, "--scenario", "{scenario_inf.yaml}"], ["slugs.0.at_h", "finite number"], False),
    ("scenario-drift-huge", "run_scenario", [*RUN, "--scenario", "{scenario_drift.yaml}"],
     ["thermocouple_drift.rate_per_h", "greater than or equal to -100", "got '-1.0e6'"], False),
    ("scenario-binary", "run_scenario", [*RUN, "--scenario", "{scenario_binary.yaml}"], ["is a binary file"], False),
    ("scenario-unknown", "run_scenario", [*RUN, "--scenario", "stedy_design"], ["unknown scenario 'stedy_design'"], False),
    ("hours-negative", "run_scenario", [*RUN, "--hours", "-1"], ["episode_hours=-1.0", "positive finite"], False),
    ("hours-nan", "run_scenario", [*RUN, "--hours", "nan"], ["episode_hours=nan", "positive finite"], False),
    ("controller-unknown", "run_scenario", [*RUN, "--controller", "rule-based"],
     ["unknown controller 'rule-based'", "expected one of"], False),
    ("controller-missing-model", "run_scenario", [*RUN, "--controller", "sb3:/no/such/model.zip"],
     ["policy file /no/such/model.zip does not exist"], False),
    ("controller-not-a-zip", "run_scenario", [*RUN, "--controller", "sb3:{notazip.zip}"],
     ["notazip.zip is not a zip archive"], False),
    # benchmark
    ("bench-hours-nan", "benchmark", [*BENCH, "--hours", "nan"], ["--hours nan", "expected a positive number"], True),
    ("bench-scenario-unknown", "benchmark", [*BENCH, "--scenarios", "steady_design,nope"], ["unknown scenario 'nope'"], False),
    ("bench-plant-inf", "benchmark", [*BENCH, "--plant", "{plant_inf.yaml}"], ["actuators.feed_rate_t_h.max", "got inf"], False),
    ("bench-seeds", "benchmark", [*BENCH, "--seeds", "1000,x"], ["--seeds '1000,x'", "comma-separated integers"], False),
    ("bench-model-not-a-zip", "benchmark", [*BENCH, "--controllers", "rule_based,sb3:{notazip.zip}"],
     ["is not a zip archive"], False),
    ("run-out-is-a-file", "run_scenario", ["--hours", "10", "--out", "{a_file}"],
     ["a_file: is a file", "expected a results folder"], False),
    ("bench-out-is-a-file", "benchmark", [*BENCH, "--out", "{a_file}"], ["a_file is a file", "expected a results folder"], False),
    # train
    ("train-binary", "train", ["--config", "{train_binary.yaml}", "--out", "{out}"],
     ["training config", "train_binary.yaml is a binary file"], True),
    ("train-missing", "train", ["--config", "/no/such/train.yaml", "--out", "{out}"],
     ["training config /no/such/train.yaml does not exist"], False),
    ("train-lr-nan", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "algo.learning_rate=.nan"],
     ["algo", "learning_rate=nan: expected a finite number"], False),
    ("train-override-yaml", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "algo.n_steps=[1,"],
     ["override 'algo.n_steps=[1,'", "not valid YAML"], False),
    ("train-unknown-key", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "algo.lerning_rate=1e-4"],
     ["'lerning_rate' is not a hyperparameter of PPO"], False),
    ("train-clip-inf", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "normalize.clip_obs=.inf"],
     ["normalize.clip_obs", "finite number"], False),
    ("train-scenario-unknown", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "env.scenarios=[nope]"],
     ["unknown scenario 'nope'"], False),
    ("train-env-kwarg-unknown", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "env.kwargs.obs_noise=0.1"],
     ["env: kwargs: ['obs_noise'] are not keywords of 'WtE/IncineratorSupervisory-v0'"], False),
    ("train-env-kwarg-nan", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "--no-progress",
                                      "env.kwargs.observation_noise=.nan", "total_timesteps=64", "algo.n_steps=32",
                                      "algo.batch_size=32"],
     ["observation_noise=nan: expected a finite number >= 0"], False),  # refused when the env is made: no run folder
    ("train-reward-weight", "train", ["--config", "{train_nan.yaml}", "--out", "{out}", "--no-progress",
                                      "env.kwargs.reward_weights={steam_trakcing: 1}"],
     ["reward_weights: unknown field(s) ['steam_trakcing']"], False),
    # evaluate
    ("eval-missing-run", "evaluate", ["/no/such/run", "--out", "{out}"],
     ["training config /no/such/run/config.yaml does not exist"], True),
    ("eval-binary-config", "evaluate", ["{run_binary_config}", "--out", "{out}"], ["config.yaml is a binary file"], False),
    ("eval-missing-model", "evaluate", ["{run_garbage_model}", "--model", "/no/such/model.zip", "--out", "{out}"],
     ["--model /no/such/model.zip", "does not exist"], False),
    ("eval-garbage-model", "evaluate", ["{run_garbage_model}", "--model", "final", "--scenarios", "steady_design",
                                        "--hours", "0.05", "--workers", "1", "--no-progress", "--out", "{out}"],
     ["model.zip is not a zip archive", "expected a Stable-Baselines3 .zip"], False),
    # replay
    ("replay-log-binary", "replay", ["validate", "--log", "{log_binary.csv}", "--tags", TAGMAP, "--out", "{out}"],
     ["log_binary.csv is a binary file", "expected UTF-8 CSV text"], True),
    ("replay-log-gb18030", "replay", ["validate", "--log", "{log_latin1.csv}", "--tags", TAGMAP, "--out", "{out}"],
     ["log_latin1.csv is not UTF-8 text", "expected UTF-8 CSV text"], False),
    ("replay-log-empty", "replay", ["validate", "--log", "{empty.csv}", "--tags", TAGMAP, "--out", "{out}"],
     ["empty.csv is not a readable CSV table"], False),
    ("replay-log-parquet", "replay", ["validate", "--log", "{log_garbage.parquet}", "--tags", TAGMAP, "--out", "{out}"],
     ["log_garbage.parquet is not a readable Parquet file"], False),
    ("replay-log-missing", "replay", ["validate", "--log", "/no/such/log.csv", "--tags", TAGMAP, "--out", "{out}"],
     ["log /no/such/log.csv does not exist"], False),
    ("replay-tags-binary", "replay", ["validate", "--log", "{empty.csv}", "--tags", "{tags_binary.yaml}", "--out", "{out}"],
     ["tag map", "tags_binary.yaml is a binary file"], False),
    ("replay-tags-inf", "replay", ["validate", "--log", "{empty.csv}", "--tags", "{tags_inf.yaml}", "--out", "{out}"],
     ["invalid tag map", "tags.10HHC10AF001_SPD.scale", "finite number"], False),
    ("replay-tags-unknown", "replay", ["validate", "--log", "{empty.csv}", "--tags", "no_such_map", "--out", "{out}"],
     ["unknown tag map 'no_such_map'"], False),
]


@pytest.mark.parametrize("script, argv, expected, subprocess_run", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capfd, script, argv, expected, subprocess_run):
    out = tmp_path / "out"
    paths = {k: str(v) for k, v in files.items()} | {"out": str(out)}
    argv = [re.sub(r"\{([^{}]+)\}", lambda m: paths.get(m.group(1), m.group(0)), a) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(out)]
    before = {p: p.read_bytes() for p in files["dir"].rglob("*") if p.is_file()}
    code, err = spawn(script, argv) if subprocess_run else call(script, argv, capfd)
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    assert len(lines) == 1, err  # argparse usage aside
    for text in expected:
        assert text in lines[-1], err
    if len(lines) == 2:  # evaluate's benchmark child said what was wrong
        assert lines[0].startswith("benchmark.py: error: policy file") and "is not a zip archive" in lines[0], err
    assert not out.exists() and not out.with_name("out.partial").exists()  # nothing written, not even a folder
    assert {p: p.read_bytes() for p in files["dir"].rglob("*") if p.is_file()} == before  # inputs untouched
    assert not any(p.name.endswith(".partial") for p in files["dir"].iterdir())


def test_non_finite_log_values_are_removed_and_reported(tmp_path):
    from sim.replay import DataQualityWarning, load_log

    log_path = tmp_path / "log.csv"
    rows = ["66.0", "inf", "-inf", "1e308", "nan", "66.0", "66.1"]
    log_path.write_text("时间,主蒸汽流量\n" + "".join(f"2026-03-14 00:00:{10 * i:02d},{v}\n" for i, v in enumerate(rows)),
                        encoding="utf-8")
    with pytest.warns(DataQualityWarning):
        log = load_log(log_path, TAGMAP)
    steam = log.data["steam_flow_t_h"].dropna()
    assert np.isfinite(steam).all() and set(steam.round(1)) <= {66.0, 66.1}
    (issue,) = log.report.by_check("out_of_range")
    assert issue.row == 2 and issue.count == 3 and issue.action == "removed"


# ------------------------------------------------------------------ env API ---
@pytest.fixture(scope="module")
def env():
    e = gym.make("WtE/Incinerator-v0", episode_hours=1)
    yield e
    e.close()


@pytest.mark.parametrize("action, message", [
    (np.full(9, np.nan), "expected finite values"),
    (np.full(9, np.inf), "expected finite values"),
    (np.r_[np.zeros(8), -np.inf], "expected finite values"),
    (np.zeros(8), r"expected shape \(9,\) in the order \['feed_rate_t_h'"),
    (np.zeros((1, 9)), r"expected shape \(9,\).*got shape \(1, 9\)"),
    ("full", "could not convert string to float"),
], ids=["nan", "inf", "minus-inf-one-element", "too-short", "extra-axis", "text"])
def test_hostile_action_is_refused_and_the_plant_does_not_move(env, action, message):
    env.reset(seed=0)
    plant = env.unwrapped.plant
    t, u = plant.time_s, plant.measurements
    with pytest.raises(ValueError, match=message):
        env.step(action)
    assert plant.time_s == t and plant.measurements == u


def test_supervisory_env_refuses_inf_setpoint_actions():
    e = gym.make("WtE/IncineratorSupervisory-v0", episode_hours=1)
    e.reset(seed=0)
    with pytest.raises(ValueError, match="expected finite values"):
        e.step(np.full(e.action_space.shape, np.inf))


def test_vector_env_refuses_an_inf_action_naming_the_env():
    from sim.envs.vector import IncineratorVectorEnv

    venv = IncineratorVectorEnv(2, episode_hours=1)
    venv.reset(seed=[0, 1])
    actions = np.zeros((2, 9))
    actions[1, 3] = -np.inf
    with pytest.raises(ValueError, match=r"actions\[1\]: expected finite values"):
        venv.step(actions)


def test_reset_options_are_refused_naming_them(env):
    with pytest.raises(ValueError, match=r"reset\(options=\{'scenario': 'nope'\}\): this environment takes no options"):
        env.reset(options={"scenario": "nope"})


def test_step_after_termination_needs_a_reset(env):
    env.reset(seed=0)
    for _ in range(60):  # all actuators at their minimum: feedwater 0, the drum runs dry within minutes
        *_, terminated, truncated, info = env.step(-np.ones(9, dtype=np.float32))
        if terminated:
            break
    assert terminated and info["violations"]["trip"] == "drum level low-low"
    with pytest.raises(ResetNeeded, match="after the episode terminated.*drum level low-low.*reset"):
        env.step(np.zeros(9, dtype=np.float32))
    env.reset(seed=0)
    assert env.step(np.zeros(9, dtype=np.float32))[2] is False  # a reset plant runs again


def test_step_before_reset_needs_a_reset():
    with pytest.raises(ResetNeeded):
        gym.make("WtE/Incinerator-v0", episode_hours=1).step(np.zeros(9, dtype=np.float32))


@pytest.mark.parametrize("kwargs, message", [
    ({"episode_hours": float("nan")}, "episode_hours=nan"),
    ({"control_interval_s": 0}, "control_interval_s=0"),
    ({"observation_noise": float("inf")}, "observation_noise=inf"),
    ({"scenario": "nope"}, "unknown scenario 'nope'"),
    ({"plant": {"name": "x"}}, "waste: missing"),
    ({"reward_weights": {"emissions": float("nan")}}, "reward weight emissions=nan: expected a finite value >= 0"),
])
def test_bad_env_arguments_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        gym.make("WtE/Incinerator-v0", **kwargs)


# ------------------------------------------------------------------ the wrapper ---
def test_a_genuine_bug_keeps_its_traceback():
    def buggy():
        raise ValueError("a plain ValueError is a bug, not bad input")

    with pytest.raises(ValueError, match="a plain ValueError"):
        run_cli(buggy, ["x.py"])
    with pytest.raises(KeyError):
        run_cli(lambda: {}["missing"], ["x.py"])


def test_debug_flag_and_variable_show_the_traceback(files, tmp_path, monkeypatch):
    bad = lambda: sim.load_plant(files["plant_inf.yaml"])  # noqa: E731
    argv = ["x.py", "--debug"]
    with pytest.raises(ConfigError, match="finite number"):
        run_cli(bad, argv)
    assert argv == ["x.py"]  # the flag is not left for main's parser
    monkeypatch.setenv(DEBUG_ENV, "1")
    with pytest.raises(ConfigError):
        run_cli(bad, ["x.py"])
    monkeypatch.delenv(DEBUG_ENV)
    code, err = spawn("run_scenario", [*RUN, "--plant", str(files["plant_inf.yaml"]), "--out", str(tmp_path / "o")],
                      **{DEBUG_ENV: "1"})
    assert code == 1 and "Traceback" in err and "ConfigError" in err and not (tmp_path / "o").exists()


def test_interrupt_and_child_failure_exit_codes(capsys):
    def interrupted():
        raise KeyboardInterrupt

    assert run_cli(interrupted, ["x.py"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "x.py: interrupted\n"

    def child_fails():
        subprocess.run([sys.executable, "-c", "raise SystemExit(2)"], check=True)

    assert run_cli(child_fails, ["x.py"]) == 2
    assert run_cli(lambda: None, ["x.py"]) == 0 and run_cli(lambda: 3, ["x.py"]) == 3


# ------------------------------------------------------------------ SIGINT ---
def test_benchmark_interrupted_leaves_no_folder_then_resumes_to_a_complete_one(tmp_path):
    out = tmp_path / "bench"
    stage = tmp_path / "bench.partial"
    argv = [sys.executable, str(SCRIPTS / "benchmark.py"), "--controllers", "manual,rule_based",
            "--scenarios", "steady_design", "--seeds", "1000,1001,1002", "--hours", "0.5", "--workers", "1",
            "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(argv, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((stage / "jobs").glob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the benchmark ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == EXIT_INTERRUPTED and "interrupted" in err and "Traceback" not in err
    assert not out.exists()  # nothing half-written where the results go
    done = sorted(p.name for p in (stage / "jobs").glob("*.json"))
    assert 1 <= len(done) < 6
    for p in (stage / "jobs").glob("*.json"):
        assert set(json.loads(p.read_text(encoding="utf-8"))) == {"job", "result"}  # each job file whole
    assert subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=300).returncode == 0  # resumes
    assert {p.name for p in out.iterdir()} == {"results.json", "summary.md", "kpi_bars.png", "worst_case.png"}
    assert not stage.exists()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["n_runs"] == 6 and set(results["results"]["manual"]["steady_design"]) == {"1000", "1001", "1002"}


# ------------------------------------------------------------------ every float field ---
def _float_leaves(data, path=()):
    """(dotted path, setter) of every float value in a nested dict/list of config data."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    out = []
    for key, value in items:
        if isinstance(value, float):
            out.append((".".join(map(str, (*path, key))), data, key))
        else:
            out += _float_leaves(value, (*path, key))
    return out


@pytest.mark.parametrize("kind", ["plant", "scenario"])
def test_every_float_field_refuses_nan_and_inf_naming_itself(kind):
    from sim.config import load_plant, load_scenario, to_dict

    load, names = (load_plant, ["reference_750tpd"]) if kind == "plant" else \
        (load_scenario, ["wet_slug", "cems_outage", "thermocouple_drift", "load_change", "feed_quality_forecast"])
    checked = set()
    for name in names:
        data = to_dict(load(name))
        for field, parent, key in _float_leaves(data):
            good = parent[key]
            for bad in (float("nan"), float("inf"), float("-inf")):
                parent[key] = bad
                with pytest.raises(ConfigError, match=re.escape(field) + ": Input should be a finite number"):
                    load(data)
            parent[key] = good
            checked.add(field)
        load(data)  # restored: valid again
    assert len(checked) >= (140 if kind == "plant" else 31), len(checked)  # every float leaf was reached
