"""Tag-map language and readers on hand-made logs: safe expressions, derived channels, fallback
lists, characteristic curves, text states, meter offsets, .csv.gz/.zip/.xlsx, analyser-aware
checks (CEMS calibration, near-zero negatives, zero crossings), commands lost before the end,
windows and the lag search limit. No simulation."""
from __future__ import annotations

import importlib.util
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from sim.config import ConfigError
from sim.replay import DataQualityWarning, LogError, load_log, load_tagmap
from sim.replay.analyser import calibration_windows
from sim.replay.expr import ExpressionError, interpolate, parse
from sim.replay.metrics import compare

ZONE = "Asia/Shanghai"


def stamps(n: int, step_s: float = 1.0, start: str = "2026-03-14 06:00:00") -> list[str]:
    return list((pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * step_s, unit="s")).strftime("%Y-%m-%d %H:%M:%S"))


def base_map(tags: dict, **extra) -> dict:
    return {"name": "t", "timezone": ZONE, "layout": "wide", "timestamp_column": "Time", "step_s": 10,
            "max_gap_s": 60, "stuck_s": 600, "tags": tags, **extra}


def quiet(path, tags, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load_log(path, tags, **kw)


# ------------------------------------------------------------------------ expressions ---
def test_expressions_compute_element_wise_with_nan_propagating():
    s = {"RUN": np.array([1.0, 0.0, np.nan, 1.0]), "10HHC.SPD": np.array([50.0, 50.0, 50.0, 0.0]),
         "A": np.array([2.0, 0.0, 5.0, 1.0])}
    e = parse("RUN * `10HHC.SPD` * 0.45")
    assert e.names == {"RUN", "10HHC.SPD"}
    np.testing.assert_allclose(e(s), [22.5, 0.0, np.nan, 0.0])
    np.testing.assert_allclose(parse("where(A > 1, min(A, 3), -A)")(s), [2.0, -0.0, 3.0, -1.0])
    np.testing.assert_allclose(parse("A / (RUN - 1)")(s), [np.nan, -0.0, np.nan, np.nan])  # /0 -> NaN
    np.testing.assert_allclose(parse("clip(A, 1, 4) + abs(-A) + max(A, 1, 0.5)")(s), [6.0, 2.0, 14.0, 3.0])
    np.testing.assert_allclose(parse("1 < A <= 2")(s), [1.0, 0.0, 0.0, 0.0])
    curve = {"pa": [[0, 0], [50, 40], [100, 60]]}
    np.testing.assert_allclose(parse('curve("pa", `10HHC.SPD` * 2)')(s, curve), [60.0, 60.0, 60.0, 0.0])


@pytest.mark.parametrize("text, named", [
    ('__import__("os").system("ls")', "call of Attribute"),
    ("open('x')", "function open()"),
    ("A ** 2", "operator Pow"),
    ("A and B", "operator And"),
    ("[1, 2]", "List"),
    ("lambda: 1", "Lambda"),
    ("A if B else C", "IfExp"),
    ("'text'", "constant 'text'"),
    ("A.real", "Attribute"),
    ("min(A)", "min() with 1 arguments"),
    ("curve(A, B)", 'curve() without ("name", x)'),
    ("A +", "not valid syntax"),
    ("`A", "unbalanced backtick"),
])
def test_expressions_outside_the_language_are_refused_by_name(text, named):
    with pytest.raises(ExpressionError, match=f"expression .*{named.replace('(', '[(]').replace(')', '[)]')}"):
        parse(text)


def test_characteristic_curves_pass_their_points_and_stay_within_them():
    rng = np.random.default_rng(1)    # 200 random curves (hypothesis is not a project dependency)
    for _ in range(200):
        k = int(rng.integers(2, 7))
        xs = np.sort(rng.choice(np.arange(-100, 101), size=k, replace=False)).astype(float)
        ys = rng.uniform(-1e3, 1e3, k)
        points = np.column_stack([xs, ys])
        x = rng.uniform(-200, 200, 50)
        y = interpolate(points, x)
        assert np.all((y >= ys.min() - 1e-9) & (y <= ys.max() + 1e-9))
        np.testing.assert_allclose(interpolate(points, xs), ys)
        inside = (x > xs[0]) & (x < xs[-1])
        seg = np.searchsorted(xs, x[inside]) - 1
        lo, hi = np.minimum(ys[seg], ys[seg + 1]), np.maximum(ys[seg], ys[seg + 1])
        assert np.all((y[inside] >= lo - 1e-9) & (y[inside] <= hi + 1e-9))   # between its neighbours


@pytest.mark.parametrize("change, message", [
    ({"derived": {"feed_rate_t_h": {"expr": "RUN * NOPE"}}}, r"derived.feed_rate_t_h: .*reads \['NOPE'\]"),
    ({"derived": {"feed_rate_t_h": {"expr": "RUN ** 2"}}}, "operator Pow"),
    ({"derived": {"feed_rate_t_h": {"expr": 'curve("x", RUN)'}}}, r"uses curve \['x'\]"),
    ({"derived": {"steam_flow_t_h": {"expr": "RUN"}}}, "also fed by tag 'S'"),
    ({"derived": {"feed_speed": {"expr": "RUN"}}}, "unknown channel 'feed_speed'"),
    ({"derived": {"feed_rate_t_h": {"expr": "RUN", "unit": "degC"}}}, "cannot be converted"),
    ({"curves": {"c": [[0, 0], [0, 1]]}}, "x strictly increasing"),
    ({"curves": {"c": [[0, 0]]}}, "at least two"),
    ({"tags": {"S": {"channel": "steam_flow_t_h", "unit": "t/h", "role": "command"}}}, "a channel's role is fixed"),
    ({"tags": {"S": {"channel": "steam_flow_t_h", "unit": "t/h", "meter_offset": "x"}}}, "meter_offset"),
])
def test_bad_tag_map_language_names_the_field(change, message):
    tags = {"S": {"channel": "steam_flow_t_h", "unit": "t/h"}, "RUN": {"unit": "-"}}
    data = base_map(tags)
    data.update({k: v for k, v in change.items() if k != "tags"})
    if "tags" in change:
        data["tags"] = {**tags, **change["tags"]}
    with pytest.raises(ConfigError, match=message):
        load_tagmap(data)


def ram_export(tmp_path, n: int = 1800, flow_hours=(0.0, 0.25)):
    """1 Hz: steam, a ram run flag (on 20 of every 30 s) and speed command, a damper with a flow
    tag logged only within ``flow_hours``, an auto/manual flag as text, a feedwater 15 t/h high."""
    t = np.arange(n, dtype=float)
    cmd = np.where(t < n / 2, 60.0, 80.0)
    damper = 40.0 + 10.0 * (t > n / 3)
    flow = np.interp(damper, [0, 50, 100], [0, 60, 90]) + 1e-6 * (t % 7)   # a meter that is not stuck
    flow_logged = np.where((t >= flow_hours[0] * 3600) & (t < flow_hours[1] * 3600), flow, np.nan)
    df = pd.DataFrame({"Time": stamps(n), "S": 66.0 + 0.01 * t % 1, "RUN": (t % 30 < 20).astype(float),
                       "CMD": cmd, "DAMP": damper, "FLOW": flow_logged, "FW": 81.0,
                       "MODE": np.where(t < n / 2, "MAN", "AUTO")})
    tags = {"S": {"channel": "steam_flow_t_h", "unit": "t/h"}, "RUN": {"unit": "-", "filter_s": 60},
            "CMD": {"unit": "%", "role": "command"}, "DAMP": {"channel": "primary_air_damper_pct", "unit": "%"},
            "FLOW": {"unit": "kNm3/h"}, "FW": {"channel": "feedwater_t_h", "unit": "t/h", "meter_offset": 15.0},
            "MODE": {"channel": "mode_feed_auto", "unit": "-", "states": {"AUTO": 1, "MAN": 0}}}
    tm = base_map(tags, curves={"pa": [[0, 0], [50, 60], [100, 90]]},
                  derived={"feed_rate_t_h": {"expr": "RUN * CMD * 0.45", "unit": "t/h"},
                           "primary_air_nm3_h": {"expr": ["FLOW", 'curve("pa", DAMP)'], "unit": "kNm3/h"}})
    return df, tm, cmd, flow


def test_derived_feed_fallback_air_states_and_meter_offset(tmp_path):
    df, tm, cmd, flow = ram_export(tmp_path)
    path = tmp_path / "export.csv.gz"
    df.to_csv(path, index=False, compression="gzip")
    log = quiet(path, tm)
    d = log.data.iloc[7:]                                    # after the run flag's 60-s average filled
    expected_feed = (20 / 30) * 0.45 * np.where(d.index < 900, 60.0, 80.0)
    edge = np.abs(d.index.to_numpy() - 900) <= 60             # the filter's minute across the step
    np.testing.assert_allclose(d["feed_rate_t_h"].to_numpy()[~edge], expected_feed[~edge], rtol=1e-9)
    step = np.abs(log.data.index.to_numpy() - 600) <= 10        # the damper's step, averaged in the flow tag
    np.testing.assert_allclose(log.data["primary_air_nm3_h"][~step],
                               np.interp(40.0 + 10.0 * (log.data.index[~step] > 600), [0, 50, 100], [0, 60e3, 90e3]),
                               atol=0.01)
    np.testing.assert_allclose(log.data["feedwater_t_h"], 66.0)
    assert log.data["mode_feed_auto"].iloc[0] == 0.0 and log.data["mode_feed_auto"].iloc[-1] == 1.0
    assert "RUN" not in log.data and "CMD" not in log.data   # inputs only feed expressions
    fallback = log.report.by_check("fallback")[0]
    assert fallback.channel == "primary_air_nm3_h" and "50.6 % from 'FLOW'" in fallback.message   # 91 of 180 points
    assert log.report.by_check("meter_offset")[0].severity == "info"


def test_csv_gz_zip_and_xlsx_read_alike(tmp_path):
    df, tm, _, _ = ram_export(tmp_path, n=600)
    df.to_csv(tmp_path / "e.csv", index=False)
    df.to_csv(tmp_path / "e.csv.gz", index=False, compression="gzip")
    ref = quiet(tmp_path / "e.csv", tm).data
    pd.testing.assert_frame_equal(quiet(tmp_path / "e.csv.gz", tm).data, ref)
    folder = {**tm, "layout": "folder", "timestamp_column": "Time", "value_column": "value"}
    with zipfile.ZipFile(tmp_path / "tags.zip", "w") as z:
        for tag in tm["tags"]:
            z.writestr(f"export/{tag}.csv", df[["Time", tag]].rename(columns={tag: "value"}).dropna().to_csv(index=False))
    pd.testing.assert_frame_equal(quiet(tmp_path / "tags.zip", folder).data, ref)
    with pytest.raises(LogError, match="expected a directory or a .zip"):
        quiet(tmp_path / "e.csv", folder)
    with pytest.raises(LogError, match=r"unsupported file type '.txt'"):
        (tmp_path / "e.txt").write_text("x")
        quiet(tmp_path / "e.txt", tm)
    if importlib.util.find_spec("openpyxl") is None:
        pytest.skip("openpyxl not installed: .xlsx not checked")
    df.to_excel(tmp_path / "e.xlsx", index=False)
    pd.testing.assert_frame_equal(quiet(tmp_path / "e.xlsx", tm).data, ref)


# ----------------------------------------------------------------- analyser-aware checks ---
def cems(n_s: int = 7200, cal_at_s: float | None = 3600.0, base: float = 20.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, n_s, 10.0)
    v = base + 3.0 * np.sin(t / 600.0) + rng.normal(0, 1.0, len(t))
    if cal_at_s is not None:
        zero = (t >= cal_at_s) & (t < cal_at_s + 180)
        span = (t >= cal_at_s + 180) & (t < cal_at_s + 360)
        v[zero] = rng.normal(0, 0.1, zero.sum())
        v[span] = 400.0 + rng.normal(0, 0.1, span.sum())
    return t, v


def test_a_zero_span_calibration_is_found_and_a_low_steady_reading_is_not():
    t, v = cems()
    (a, b), = calibration_windows((t * 1e9).astype(np.int64), v)
    assert a / 1e9 == pytest.approx(3600 - 60, abs=10) and b / 1e9 == pytest.approx(3600 + 350 + 120, abs=10)
    t, v = cems(cal_at_s=None, base=0.5)     # CO near zero in good combustion, no span gas
    assert calibration_windows((t * 1e9).astype(np.int64), np.abs(v)) == []
    t, v = cems(cal_at_s=None)
    v[300:320] = 400.0                        # a CO peak: high but no zero gas beside it
    assert calibration_windows((t * 1e9).astype(np.int64), v) == []


def test_calibration_and_near_zero_negatives_in_a_log(tmp_path):
    t, v = cems()
    v = v - 19.0                              # analyser zero drifted: low readings below zero
    v[(t >= 3600) & (t < 3960)] += 19.0       # (the calibration reads the gases as they are)
    tm = base_map({"CO": {"channel": "co_mg_nm3", "unit": "mg/Nm3"}})
    df = pd.DataFrame({"Time": stamps(len(t), 10.0), "CO": v})
    df.to_csv(tmp_path / "co.csv", index=False)
    with pytest.warns(DataQualityWarning) as caught:
        log = load_log(tmp_path / "co.csv", tm)
    assert sorted(str(w.message).split("]")[0][1:] for w in caught) == ["cems_calibration", "negative_clipped"]
    cal = log.report.by_check("cems_calibration")[0]
    # the drifted readings sit near zero like the zero gas: MAX_STEP_S (5 min) either side of the span go
    assert cal.time.startswith("2026-03-14T06:57") and 36 < cal.count <= (3960 + 300 + 120 - (3780 - 300 - 60)) // 10 + 1
    neg = log.report.by_check("negative_clipped")[0]
    window = (t >= 3780 - 300 - 60) & (t <= 3960 + 300 + 120)
    assert ((v < 0) & ~window).sum() <= neg.count < (v < 0).sum() and neg.action == "clipped to 0 and kept"
    kept = log.data["co_mg_nm3"].dropna()
    assert kept.min() == 0.0 and (kept == 0.0).sum() == neg.count            # clipped, not deleted
    assert log.data["co_mg_nm3"].loc[3600:3960].isna().all()                 # calibration invalid
    assert log.data["co_mg_nm3"].loc[:3410].notna().all() and log.data["co_mg_nm3"].loc[4390:].notna().all()


def test_a_level_crossing_zero_is_no_unit_change_but_a_real_one_is(tmp_path):
    n = 400
    level = np.where(np.arange(n) < 200, -0.38, -0.04)   # mm: x0.105 ~ mm -> cm, but near zero
    steam = np.where(np.arange(n) < 200, 66.0, 66.0 / 3.6)   # t/h -> kg/s
    df = pd.DataFrame({"Time": stamps(n, 10.0), "L": level + 1e-5 * (np.arange(n) % 3), "S": steam})
    tm = base_map({"L": {"channel": "drum_level_mm", "unit": "mm"}, "S": {"channel": "steam_flow_t_h", "unit": "t/h"}},
                  stuck_s=1e6)
    df.to_csv(tmp_path / "l.csv", index=False)
    log = quiet(tmp_path / "l.csv", tm)
    assert [i.channel for i in log.report.by_check("suspected_unit_change")] == ["steam_flow_t_h"]


def test_a_command_lost_before_the_end_and_a_sparse_one_are_reported(tmp_path):
    n = 3600
    t = np.arange(n)
    df = pd.DataFrame({"Time": stamps(n), "S": 66.0 + np.sin(t / 60.0), "LIME": np.where(t < n - 1800, 250.0, np.nan),
                       "UREA": np.where(t < 100, 20.0, np.nan)})
    tm = base_map({"S": {"channel": "steam_flow_t_h", "unit": "t/h"}, "LIME": {"channel": "lime_kg_h", "unit": "kg/h"},
                   "UREA": {"channel": "urea_kg_h", "unit": "kg/h"}})
    df.to_csv(tmp_path / "c.csv", index=False)
    log = quiet(tmp_path / "c.csv", tm)
    ends = {i.channel: i for i in log.report.by_check("command_ends_early")}
    assert set(ends) == {"lime_kg_h", "urea_kg_h"} and "30 min before the end" in ends["lime_kg_h"].message
    assert [i.channel for i in log.report.by_check("low_coverage")] == ["urea_kg_h"]
    assert log.data["lime_kg_h"].iloc[-1:].isna().all()   # not held to the end


def test_window_by_hours_or_local_time(tmp_path):
    n = 7200
    df = pd.DataFrame({"Time": stamps(n), "S": np.linspace(60, 70, n)})
    df.to_csv(tmp_path / "w.csv", index=False)
    log = quiet(tmp_path / "w.csv", base_map({"S": {"channel": "steam_flow_t_h", "unit": "t/h"}}))
    a = log.window("0.5", "2026-03-14 07:30")
    assert str(a.local_index[0]) == "2026-03-14 06:30:00+08:00" and str(a.local_index[-1]) == "2026-03-14 07:30:00+08:00"
    assert a.data.index[0] == 0.0 and a.duration_s == 3600.0
    assert a.data["steam_flow_t_h"].iloc[0] == pytest.approx(log.data["steam_flow_t_h"].loc[1800.0])
    with pytest.raises(LogError, match="--end 'tomorrow'"):
        log.window(None, "tomorrow")
    with pytest.raises(LogError, match="holds 0 grid points"):
        log.window("5", None)


def test_a_lag_at_the_search_limit_is_not_found():
    t = np.arange(2000.0)
    y = np.sin(t / 50.0) + 0.002 * t
    r = compare(y, np.roll(y, 60), 10.0, max_lag_s=300.0)   # 600 s late: beyond the 300-s search
    assert np.isnan(r["lag_s"]) and r["lag_found"] is False
    late = compare(y, np.roll(y, 6), 10.0, max_lag_s=300.0)
    assert late["lag_s"] == pytest.approx(60.0) and late["lag_found"] is True
