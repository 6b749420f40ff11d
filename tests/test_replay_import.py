"""Historian import: units, tag maps, the three layouts, every data defect with its finding, time
zones, resampling rules and load speed. Hand-made logs, no simulation."""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from sim.config import ConfigError
from sim.replay import DataQualityWarning, LogError, load_log, load_tagmap
from sim.replay.units import LOG_CHANNELS, PHYSICAL_RANGES, channel_unit, conversion, normalise_unit
from sim.units import ACTUATORS, MEASUREMENTS

STEAM = "主蒸汽流量"
BASE_MAP = {"name": "t", "timezone": "Asia/Shanghai", "layout": "wide", "timestamp_column": "时间", "step_s": 10,
            "max_gap_s": 60, "stuck_s": 120,
            "tags": {STEAM: {"channel": "steam_flow_t_h", "unit": "t/h"},
                     "FEED": {"channel": "feed_rate_t_h", "unit": "t/h", "scale": 0.45}}}


def tagmap(**changes) -> dict:
    return {**BASE_MAP, **changes}


def stamps(start: str, seconds) -> list[str]:
    return [(pd.Timestamp(start) + pd.Timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S") for s in seconds]


def load_quiet(path, tags, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_log(path, tags, **kw)


# ------------------------------------------------------------------ units and tag maps ---
def test_unit_conversions_are_exact():
    assert conversion("kg/s", "t/h") == pytest.approx((3.6, 0.0))
    assert conversion("℃", "K") == pytest.approx((1.0, 273.15))
    assert conversion("degF", "degC")[0] * 212 + conversion("degF", "degC")[1] == pytest.approx(100.0)
    assert conversion("bar", "MPa") == pytest.approx((0.1, 0.0))
    assert conversion("kNm3/h", "Nm³/h") == pytest.approx((1000.0, 0.0))
    assert channel_unit("secondary_air_nm3_h") == "Nm3/h" and channel_unit("co_mg_nm3") == "mg/Nm3"
    with pytest.raises(ValueError, match="unknown unit 'furlong/h'"):
        normalise_unit("furlong/h")
    with pytest.raises(ValueError, match="'kg/s' .* cannot be converted to 'degC'"):
        conversion("kg/s", "degC")


def test_every_channel_has_a_physical_range():
    assert set(PHYSICAL_RANGES) == set(MEASUREMENTS) | set(ACTUATORS) | set(LOG_CHANNELS)


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "colour: unknown key"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"tags": {"X": {"channel": "steam_flow_t_h", "unit": "furlong"}}}, "unknown unit 'furlong'"),
    ({"tags": {"X": {"channel": "steam_flux", "unit": "t/h"}}}, "unknown channel 'steam_flux'"),
    ({"tags": {"X": {"channel": "steam_flow_t_h", "unit": "degC"}}}, "cannot be converted"),
    ({"tags": {"X": {"channel": "steam_flow_t_h", "unit": "t/h", "gain": 2}}}, "tags.X.gain: unknown key"),
    ({"tags": {"A": {"channel": "steam_flow_t_h", "unit": "t/h"}, "B": {"channel": "steam_flow_t_h", "unit": "kg/s"}}},
     "both map to 'steam_flow_t_h'"),
])
def test_bad_tag_maps_name_the_field(change, message):
    with pytest.raises(ConfigError, match=message):
        load_tagmap(tagmap(**change))


def test_shipped_tag_map_matches_the_synthetic_export():
    from sim.replay import synthetic

    tm = load_tagmap("synthetic_dcs")
    steam = tm.tags[synthetic.TAGS["steam_flow_t_h"].tag]
    assert pd.Timestamp(steam.unit_changes[0].from_) == synthetic.STEAM_UNIT_CHANGE_LOCAL
    assert {d.tag for d in synthetic.TAGS.values()} | {synthetic.MODE_TAG} == set(tm.tags)
    assert tm.timezone == synthetic.TIMEZONE


# ------------------------------------------------------------------ defects ---
def wide_with_defects(tmp_path):
    """60 s of 1 Hz steam and feed (row r = second r-1), with one defect each at known rows."""
    t = np.arange(600.0)
    steam = 60.0 + 0.01 * t + np.sin(t / 7.0)
    feed_pct = np.full(600, 70.0)
    df = pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: steam.round(4).astype(object),
                       "FEED": feed_pct})
    df.loc[99, STEAM] = "Bad Input"               # row 100: unparsable
    df.loc[199, STEAM] = 999.0                     # row 200: out of range (> 300 t/h)
    df.loc[300:459, STEAM] = 61.5                  # rows 301-460: stuck for 160 s
    df.loc[249, "时间"] = df.loc[239, "时间"]      # row 250: stamped 10 s back (duplicate of row 240)
    df = df.drop(index=range(520, 600 - 10))       # silence of 71 s before the last rows
    path = tmp_path / "wide.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def test_each_defect_gets_its_finding_naming_tag_row_and_value(tmp_path):
    path = wide_with_defects(tmp_path)
    with pytest.warns(DataQualityWarning) as record:
        log = load_log(path, tagmap())
    found = {i.check: i for i in log.report.issues if i.tag == STEAM}
    assert found["unparsable_value"].row == 100 and found["unparsable_value"].count == 1
    assert found["out_of_range"].row == 200 and found["out_of_range"].value == 999.0
    assert found["non_monotonic_time"].row == 250
    assert found["duplicate_time"].count == 1 and found["duplicate_time"].row in (240, 250)
    assert found["stuck"].row == 302 and found["stuck"].count == 159 and found["stuck"].value == 61.5
    assert found["gap"].row == 521 and "71 s" in found["gap"].message
    assert "stuck" not in {i.check for i in log.report.issues if i.tag == "FEED"}  # commands may stay put
    texts = [str(w.message) for w in record]
    assert any(STEAM in s and "row 200" in s and "outside" in s for s in texts)
    kept = log.report.samples["steam_flow_t_h"]
    assert kept["raw"] - kept["kept"] == 1 + 1 + 1 + 159  # unparsable, range, duplicate, stuck repeats


def test_quality_flags_and_missing_tags(tmp_path):
    t = np.arange(0, 300, 5.0)
    df = pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: 60.0 + t / 100, STEAM + ".Q": "GOOD",
                       "FEED": 70.0})
    df.loc[10:14, STEAM + ".Q"] = "BAD"
    path = tmp_path / "q.csv"
    df.to_csv(path, index=False)
    tm = tagmap(quality_suffix=".Q", tags={**BASE_MAP["tags"], "O2_PROBE": {"channel": "o2_wet_vol_pct", "unit": "%"}})
    with pytest.warns(DataQualityWarning) as record:
        log = load_log(path, tm)
    assert any("'O2_PROBE'" in str(w.message) and "not in the export" in str(w.message) for w in record)
    bad = log.report.by_check("bad_quality")[0]
    assert (bad.row, bad.count, bad.rows) == (11, 5, (11, 12, 13, 14, 15))
    assert log.missing["measurements"].count("o2_wet_vol_pct") == 1
    with pytest.raises(LogError, match="none of the tag map's tags"):
        load_log(path, tagmap(tags={"NOPE": {"channel": "steam_flow_t_h", "unit": "t/h"}}))


def test_unit_change_declared_is_converted_undeclared_is_flagged(tmp_path):
    t = np.arange(0, 1200, 1.0)
    steam_t_h = 66.0 + 0.5 * np.sin(t / 60.0)
    logged = np.where(t >= 600, steam_t_h / 3.6, steam_t_h)   # DCS switched to kg/s at 08:10
    path = tmp_path / "u.csv"
    pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: logged, "FEED": 70.0}).to_csv(path, index=False)
    with pytest.warns(DataQualityWarning, match="x0.277778 .* from t/h to kg/s"):
        flagged = load_log(path, tagmap())
    assert flagged.report.by_check("suspected_unit_change")[0].row == 601
    declared = tagmap(tags={**BASE_MAP["tags"], STEAM: {"channel": "steam_flow_t_h", "unit": "t/h", "unit_changes": [
        {"from": "2026-03-14 08:10:00", "unit": "kg/s"}]}})
    log = load_quiet(path, declared)
    assert not log.report.by_check("suspected_unit_change")
    expected = pd.Series(steam_t_h, index=t).rolling(10, center=True, min_periods=1).mean()
    np.testing.assert_allclose(log.data["steam_flow_t_h"].iloc[1:-1], expected.reindex(log.data.index).iloc[1:-1], atol=0.01)


# ------------------------------------------------------------------ time and resampling ---
def test_local_time_zone_is_explicit_and_dst_ambiguity_reported(tmp_path):
    path = tmp_path / "z.csv"
    pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", [0, 10, 20]), STEAM: 60.0, "FEED": 70.0}).to_csv(path, index=False)
    log = load_quiet(path, tagmap())
    assert log.start_utc == pd.Timestamp("2026-03-14 00:00:00", tz="UTC")
    assert str(log.local_index[0]) == "2026-03-14 08:00:00+08:00"
    # 02:30 on 25 Oct 2026 happens twice in Berlin: reported, not guessed
    berlin = tmp_path / "b.csv"
    pd.DataFrame({"时间": ["2026-10-25 01:59:50", "2026-10-25 02:30:00", "2026-10-25 03:10:00"], STEAM: 60.0,
                  "FEED": 70.0}).to_csv(berlin, index=False)
    log = load_quiet(berlin, tagmap(timezone="Europe/Berlin", max_gap_s=7200))
    bad = log.report.by_check("bad_timestamp")
    assert bad and bad[0].row == 2 and "Europe/Berlin" in bad[0].message
    # timestamps carrying their own offset are taken as they are
    aware = tmp_path / "a.csv"
    pd.DataFrame({"时间": ["2026-03-14T00:00:00+00:00", "2026-03-14T00:00:10+00:00"], STEAM: 60.0,
                  "FEED": 70.0}).to_csv(aware, index=False)
    assert load_quiet(aware, tagmap()).start_utc == pd.Timestamp("2026-03-14 00:00:00", tz="UTC")


def test_resampling_holds_commands_and_averages_measurements(tmp_path):
    # steam every 2 s ramps 0..; feed changes once at 15 s (70 % -> 80 % of travel)
    t = np.arange(0, 60, 2.0)
    df = pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: t})
    feed = pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", [0, 15, 59]), "FEED": [70.0, 80.0, 80.0]})
    path = tmp_path / "r.csv"
    pd.concat([df, feed]).sort_values("时间", kind="stable").to_csv(path, index=False)
    log = load_quiet(path, tagmap())
    # measurement at 10 s: mean of samples in (5, 15] = 6, 8, 10, 12, 14
    assert log.data.loc[10.0, "steam_flow_t_h"] == pytest.approx(10.0)
    # command: held; % of travel x 0.45 t/h per %
    assert log.data.loc[10.0, "feed_rate_t_h"] == pytest.approx(70 * 0.45)
    assert log.data.loc[20.0, "feed_rate_t_h"] == pytest.approx(80 * 0.45)


@pytest.mark.parametrize("layout", ["long", "folder"])
def test_long_and_folder_layouts_read_like_wide(tmp_path, layout):
    t = np.arange(0, 120, 1.0)
    wide = pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: 60 + np.sin(t / 9), "FEED": 70.0})
    wide.to_csv(tmp_path / "w.csv", index=False)
    long = wide.melt(id_vars="时间", var_name="tag", value_name="value").rename(columns={"时间": "ts"})
    if layout == "long":
        long.to_parquet(tmp_path / "l.parquet")
        path, tm = tmp_path / "l.parquet", tagmap(layout="long", long_columns={"timestamp": "ts"})
    else:
        path = tmp_path / "tags"
        path.mkdir()
        for tag, part in long.groupby("tag"):
            part[["ts", "value"]].to_csv(path / f"{tag}.csv", index=False)
        tm = tagmap(layout="folder", timestamp_column="ts")
    pd.testing.assert_frame_equal(load_quiet(path, tm).data, load_quiet(tmp_path / "w.csv", tagmap()).data)


# ------------------------------------------------------------------ speed ---
def _big_log(tmp_path, hours: float = 40.0, n_tags: int = 20):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    n = int(hours * 3600)
    rng = np.random.default_rng(0)
    channels = list(MEASUREMENTS[:13]) + list(ACTUATORS[:7])
    ts = pd.date_range("2026-03-14", periods=n, freq="s").strftime("%Y-%m-%d %H:%M:%S")
    cols = {"时间": ts}
    for i in range(n_tags):
        lo, hi = PHYSICAL_RANGES[channels[i]]
        cols[f"10HAA{i:02d}CF001"] = lo + (hi - lo) * (0.4 + 0.01 * np.cumsum(rng.standard_normal(n)) / np.sqrt(n)
                                                       + 0.001 * rng.standard_normal(n))
    path = tmp_path / "big.csv"
    pcsv.write_csv(pa.table(cols), path)
    tm = tagmap(tags={f"10HAA{i:02d}CF001": {"channel": channels[i], "unit": channel_unit(channels[i])}
                      for i in range(n_tags)})
    return path, tm


def test_a_40_hour_20_tag_1_hz_log_loads_in_seconds(tmp_path):
    path, tm = _big_log(tmp_path)
    start = time.perf_counter()
    log = load_quiet(path, tm)
    elapsed = time.perf_counter() - start
    assert log.data.shape == (40 * 360, 20)
    assert elapsed < 20.0, f"load and validation took {elapsed:.1f} s"  # ~1.5 s on a 2-core machine


@pytest.mark.slow
def test_a_40_hour_long_parquet_log_loads_in_seconds(tmp_path):
    path, tm = _big_log(tmp_path)
    long = pd.read_csv(path).melt(id_vars="时间", var_name="tag", value_name="value")  # 2.9 million rows
    long.to_parquet(tmp_path / "long.parquet")
    start = time.perf_counter()
    log = load_quiet(tmp_path / "long.parquet", {**tm, "layout": "long", "long_columns": {"timestamp": "时间"}})
    elapsed = time.perf_counter() - start
    assert log.data.shape == (40 * 360, 20)
    assert elapsed < 30.0, f"load and validation took {elapsed:.1f} s"  # ~4 s on a 2-core machine


def test_tag_filter_and_range_override(tmp_path):
    t = np.arange(0, 300, 10.0)
    steam = np.where(np.arange(len(t)) % 2 == 0, 60.0, 70.0)       # alternating: a filter averages it out
    path = tmp_path / "f.csv"
    pd.DataFrame({"时间": stamps("2026-03-14 08:00:00", t), STEAM: steam, "FEED": 70.0}).to_csv(path, index=False)
    tags = {**BASE_MAP["tags"], STEAM: {"channel": "steam_flow_t_h", "unit": "t/h", "filter_s": 20, "range": [0, 65]}}
    log = load_quiet(path, tagmap(max_gap_s=30, tags=tags))
    assert log.report.by_check("out_of_range")[0].count == len(t) // 2       # the 70s, above the narrowed range
    tags[STEAM] = {"channel": "steam_flow_t_h", "unit": "t/h", "filter_s": 20}
    filtered = load_quiet(path, tagmap(tags=tags)).data["steam_flow_t_h"]
    np.testing.assert_allclose(filtered.iloc[1:], 65.0)                      # 2-point trailing mean


def test_replay_script_reports_a_log_without_its_time_column_by_name(tmp_path, capsys):
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("replay_script", root / "scripts" / "replay.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    log = tmp_path / "no_time.csv"
    log.write_text("主蒸汽流量\n66.0\n66.5\n", encoding="utf-8")
    rc = script.main(["validate", "--log", str(log), "--tags", str(root / "configs/tags/synthetic_dcs.yaml"),
                      "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "no column '时间'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # a rejected log leaves no results folder behind
