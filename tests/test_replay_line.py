"""The real-style DCS export (sim/replay/synthetic_line.py) through the replay: every defect gets
its named finding and a clean export none; the whole log is compared in segments; what cannot
be judged is listed; a trip of the simulated plant re-initialises it; .xlsx reads as .csv.gz."""
from __future__ import annotations

import importlib.util
import json
import warnings

import pandas as pd
import pytest

import agents
from sim.replay import DataQualityWarning, load_log, load_tagmap, synthetic_line
from sim.replay.openloop import replay

HOURS = 2.5


def manual(env):
    return agents.make_controller("manual", env)


def load(path, tags):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        log = load_log(path, tags)
    return log, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    out = tmp_path_factory.mktemp("line")
    path = synthetic_line.generate_line(out, manual, hours=HOURS, seed=0)["csv.gz"]
    return path, out, load(path, "synthetic_line")[0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("line_clean")
    path = synthetic_line.generate_line(out, manual, hours=HOURS, seed=1, defects=False)["csv.gz"]
    return path, out


def warned(log) -> set[tuple[str, str]]:
    return {(i.check, i.channel) for i in log.report.issues if i.severity == "warning"}


def test_the_shipped_tag_map_is_the_generators():
    assert load_tagmap("synthetic_line") == load_tagmap(synthetic_line.tagmap(True))


def test_each_defect_gets_its_named_finding(defective):
    path, out, log = defective
    assert warned(log) == {
        ("negative_clipped", "co_mg_nm3"), ("negative_clipped", "so2_mg_nm3"),
        *{("cems_calibration", c) for c in ("co_mg_nm3", "nox_mg_nm3", "so2_mg_nm3", "hcl_mg_nm3")},
        ("command_ends_early", "lime_kg_h"), ("command_ends_early", "urea_kg_h"), ("low_coverage", "urea_kg_h")}
    by = {(i.check, i.channel, i.tag): i for i in log.report.issues}
    # the calibration at 08:00 is found in the readings (tag CEMS_NOX) and by the analyser flag
    assert by[("cems_calibration", "nox_mg_nm3", "CEMS_NOX")].time.startswith("2026-03-14T07:59")
    assert "1 windows" in by[("cems_calibration", "nox_mg_nm3", "CEMS_CAL")].message
    assert log.data["nox_mg_nm3"].loc[7200:7560].isna().all()
    assert by[("command_ends_early", "lime_kg_h", "LIME_FEED")].time.startswith("2026-03-14T08:00")
    fallback = by[("fallback", "primary_air_nm3_h", "derived")]
    assert fallback.message.startswith("40.1 % from '`10HLA10CF001`'; 59.9 % from 'curve")   # 1 h of 2.5, +1 edge point
    assert by[("meter_offset", "feedwater_t_h", "10LAB10CF001")].severity == "info"
    # the derived feed (run share x command x 0.45) is the fed rate / the true ram map (8 % more)
    truth = pd.read_parquet(out / "truth.parquet").set_index("time_s")
    fed = truth["feed_rate_t_h"].rolling(60).mean().reindex(log.data.index)
    ratio = (log.data["feed_rate_t_h"] / fed).iloc[30:].median()
    assert ratio == pytest.approx(synthetic_line.MAP_RAM_T_H_PER_PCT / synthetic_line.TRUE_RAM_T_H_PER_PCT, rel=0.005)


def test_without_the_declared_meter_offset_the_imbalance_is_flagged(defective):
    path, out, _ = defective
    tm = synthetic_line.tagmap(True)
    del tm["tags"]["10LAB10CF001"]["meter_offset"]
    del tm["tags"][synthetic_line.CAL_FLAG]          # no analyser flag: the readings alone
    log, _ = load(path, tm)
    imbalance = log.report.by_check("flow_imbalance")[0]
    assert imbalance.value == pytest.approx(15.0 + 4.3, abs=1.0)        # the offset + blowdown/preheater
    assert {i.tag for i in log.report.by_check("cems_calibration")} == {"CEMS_CO", "CEMS_NOX", "CEMS_SO2", "CEMS_HCL"}


def test_a_clean_export_gets_no_warning(clean):
    path, out = clean
    log, messages = load(path, out / "tags.yaml")
    assert messages == [] and warned(log) == set()
    assert [i.check for i in log.report.issues] == ["fallback"]          # info: the flow tag all along
    assert "100.0 % from" in log.report.issues[0].message


def test_the_whole_export_is_compared_in_segments(defective):
    _, _, log = defective
    r = replay(log)
    assert r.share_compared_pct >= 95.0 and r.trip is None
    assert [s["reason"] for s in r.segments] == ["start of the log", "mode change"]
    assert r.segments[1]["start_local"] == "2026-03-14 07:15:00+08:00"
    assert r.not_judged["nox_mg_nm3"].startswith("needs urea_kg_h (missing on 96 % of the log")
    assert "nox_mg_nm3" not in r.metrics and "so2_mg_nm3" in r.metrics
    assert r.held["lime_kg_h"]["how"] == "held" and r.held["lime_kg_h"]["spans_local"][0][0].startswith("2026-03-14T08:0")
    assert r.held["urea_kg_h"]["how"] == "design"
    assert r.metrics["steam_flow_t_h"]["lag_found"] and abs(r.metrics["steam_flow_t_h"]["lag_s"]) <= 120


def test_a_trip_re_initialises_the_plant_and_replay_goes_on(defective):
    _, _, log = defective
    data = log.data.copy()
    data.loc[3000:4200, "feedwater_t_h"] = 0.0      # a feedwater meter drop-out, replayed as commands
    broken = type(log)(**{**log.__dict__, "data": data})
    r = replay(broken, level_loop=False)
    assert r.trip is not None and any(s["reason"] == "after a trip" for s in r.segments)
    after = [s for s in r.segments if s["reason"] == "after a trip"]
    assert after[0]["start_s"] > 3000 and r.segments[-1]["end_s"] == log.data.index[-1] or r.segments[-1]["trip"]
    assert r.share_compared_pct > 50.0 and r.summary()["trips"]


def test_xlsx_reads_like_csv_gz(tmp_path):
    if importlib.util.find_spec("openpyxl") is None:
        pytest.skip("openpyxl not installed: the .xlsx export is not written")
    paths = synthetic_line.generate_line(tmp_path, manual, hours=0.2, seed=2, formats=("csv.gz", "xlsx"))
    a, _ = load(paths["csv.gz"], tmp_path / "tags.yaml")
    b, _ = load(paths["xlsx"], tmp_path / "tags.yaml")
    pd.testing.assert_frame_equal(a.data, b.data)


def test_script_windows_and_reports(defective, tmp_path):
    spec = importlib.util.spec_from_file_location("replay_script", "scripts/replay.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = str(defective[0])
    common = ["--log", path, "--tags", "configs/tags/synthetic_line.yaml"]
    assert script.main(["validate", *common, "--out", str(tmp_path / "v")]) == 0
    v = json.loads((tmp_path / "v" / "validate.json").read_text())
    assert len(v["plotted"]) == len(defective[2].data.columns) > 8      # every channel drawn
    assert script.main(["open-loop", *common, "--start", "0.5", "--end", "2026-03-14 08:00", "--step", "30",
                        "--out", str(tmp_path / "o")]) == 0
    o = json.loads((tmp_path / "o" / "open_loop.json").read_text())
    assert o["start"] == "2026-03-14 06:30:00+08:00" and o["end"] == "2026-03-14 08:00:00+08:00"
    assert o["share_compared_pct"] >= 95.0 and "nox_mg_nm3" in o["not_judged"]
    assert (tmp_path / "o" / "open_loop.png").stat().st_size > 10_000
    assert script.main(["fingerprint", *common, "--step", "30", "--out", str(tmp_path / "f")]) == 0
    f = json.loads((tmp_path / "f" / "fingerprint.json").read_text())
    assert f["mode"] == "mode_air_auto" and set(f["fingerprint"]) == {"log", "simulated"}
    assert "steam_flow_t_h hourly_cv_pct" in (tmp_path / "f" / "fingerprint.txt").read_text()
    assert (tmp_path / "f" / "fingerprint.png").stat().st_size > 10_000
    assert script.main(["validate", *common, "--start", "nonsense", "--out", str(tmp_path / "bad")]) == 2


def test_calibration_keeps_a_hard_budget_and_reports_a_holdout(defective, monkeypatch):
    import sim.replay.calibrate as cal

    _, _, log = defective
    runs = []
    real = cal.replay
    monkeypatch.setattr(cal, "replay", lambda *a, **k: runs.append(1) or real(*a, **k))
    first, second = log.window(None, HOURS / 2), log.window(HOURS / 2, None)
    r = cal.calibrate(first, ["gain_feed_rate_t_h", "moisture_bias_pct"], max_evaluations=6, holdout=second)
    assert len(runs) == r.evaluations <= 6                      # the Jacobian's runs counted too
    assert any("budget of 6 runs spent" in n for n in r.notes)
    h = r.summary()["holdout"]
    assert h["start"] == "2026-03-14 07:15:00+08:00" and h["trips_after"] == []
    assert set(h["fit_pct_after"]) == {"steam_flow_t_h"}      # no furnace temperature, no O2 in this export
    with pytest.raises(ValueError, match="max_evaluations=2: expected at least 3"):
        cal.calibrate(first, ["moisture_bias_pct"], max_evaluations=2, holdout=second)


def _calibrate_on_the_first_half(defective) -> dict:
    """The ram's t/h per % is 8 % above the tag map's; the waste's LHV (moisture bias) is taken as
    known (without a weighed throughput the two are one product, see estimate.observability)."""
    from sim.replay import synthetic
    from sim.replay.calibrate import calibrate

    _, _, log = defective
    first, second = log.window(None, HOURS / 2), log.window(HOURS / 2, None)
    r = calibrate(first, ["gain_feed_rate_t_h"], fixed=dict(synthetic.TRUE_PARAMETERS), max_evaluations=12,
                  holdout=second)
    true_gain = synthetic_line.TRUE_RAM_T_H_PER_PCT / synthetic_line.MAP_RAM_T_H_PER_PCT
    assert r.after["gain_feed_rate_t_h"] == pytest.approx(true_gain, abs=0.015)
    h = r.holdout
    assert h["fit_pct_after"]["steam_flow_t_h"] > h["fit_pct_before"]["steam_flow_t_h"]
    assert h["trips_after"] == [] and r.summary()["trips_after"] == [] and r.evaluations <= 12
    return h


def test_calibration_on_the_first_half_generalises_to_the_second(defective):
    _calibrate_on_the_first_half(defective)


@pytest.mark.xfail(strict=True, reason="since the bed transport of issue 17 (ram push proportional to the feed) "
                   "the holdout steam fit is 41.6 %, below the issue's 50 %; strict: passes again -> remove the mark")
def test_the_calibrated_fit_on_the_second_half_is_above_50_pct(defective):
    h = _calibrate_on_the_first_half(defective)
    assert h["fit_pct_after"]["steam_flow_t_h"] > 50.0
