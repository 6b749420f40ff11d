"""KPIs on hand-made trajectories with answers worked out by hand (sim/kpis.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import kpis


def frame(duration_s: float, dt_s: float, **columns) -> pd.DataFrame:
    """Regular trajectory from 0 to duration_s (exclusive); a column is a scalar, an array or f(t)."""
    t = np.arange(0.0, duration_s, dt_s)
    data = {"time_s": t}
    for name, spec in columns.items():
        data[name] = spec(t) if callable(spec) else np.broadcast_to(np.asarray(spec, float), t.shape).copy()
    return pd.DataFrame(data)


def plain(obj) -> bool:
    """Only JSON-native Python types, no numpy scalars, no NaN."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and plain(v) for k, v in obj.items())
    if obj is None or type(obj) in (int, str, bool):
        return True
    return type(obj) is float and np.isfinite(obj)


# ----------------------------------------------------------------------------- compliance


def test_gb_hourly_nox_one_clock_hour_over_limit():
    # 2 h at 60 s: 250 in hour 0, 350 in hour 1 -> hourly means 250, 350; limit 300.
    df = frame(7200, 60, nox_mg_nm3=lambda t: np.where(t < 3600, 250.0, 350.0))
    r = kpis.compute(df, "gb18485")
    assert r["exceedances"]["nox"]["1h"] == 1
    assert r["valid_blocks"]["nox"]["1h"] == 2
    # 2 h of a 24-h block is far below 75 % coverage: not evaluated.
    assert r["valid_blocks"]["nox"]["24h"] == 0
    assert r["exceedances"]["nox"]["24h"] == 0
    assert set(r["exceedances"]["nox"]) == {"1h", "24h"}


def test_clock_blocks_not_rolling_and_strictly_over():
    # The same hour at 350, but from 0:30 to 1:30: each clock hour averages exactly 300 = limit.
    df = frame(7200, 60, nox_mg_nm3=lambda t: np.where((t >= 1800) & (t < 5400), 350.0, 250.0))
    r = kpis.compute(df, "gb18485")
    assert r["exceedances"]["nox"]["1h"] == 0
    assert r["valid_blocks"]["nox"]["1h"] == 2


@pytest.mark.parametrize("base, expected_30min", [(50.0, 0), (60.0, 1)])
def test_eu_co_ten_minute_block(base, expected_30min):
    # 1 h at 60 s; CO = 200 in the block [600, 1200) s, `base` elsewhere.
    # 10-min means: one block at 200 > 150 -> 1.
    # 30-min block 0 mean = (20 min * base + 10 min * 200) / 30 min: base 50 -> 100 (= limit, not
    # over); base 60 -> 106.7 > 100.
    df = frame(3600, 60, co_mg_nm3=lambda t: np.where((t >= 600) & (t < 1200), 200.0, base))
    r = kpis.compute(df, "eu_ied")
    assert r["exceedances"]["co"]["10min"] == 1
    assert r["valid_blocks"]["co"]["10min"] == 6
    assert r["exceedances"]["co"]["30min"] == expected_30min
    assert r["valid_blocks"]["co"]["30min"] == 2
    assert set(r["exceedances"]["co"]) == {"10min", "30min", "24h"}


def test_eu_windows_only_co_has_ten_minutes():
    df = frame(3600, 60, nox_mg_nm3=150.0, co_mg_nm3=10.0)
    r = kpis.compute(df, "eu_ied")
    assert set(r["exceedances"]["nox"]) == {"30min", "24h"}


def test_daily_means_differ_between_standards():
    # One full day at 600 s: dust 12 -> EU daily limit 10 exceeded, GB daily limit 20 not.
    df = frame(86400, 600, dust_mg_nm3=12.0)
    eu, gb = kpis.compute(df, "eu_ied"), kpis.compute(df, "gb18485")
    assert (eu["exceedances"]["dust"]["24h"], eu["valid_blocks"]["dust"]["24h"]) == (1, 1)
    assert (gb["exceedances"]["dust"]["24h"], gb["valid_blocks"]["dust"]["24h"]) == (0, 1)
    assert eu["valid_blocks"]["dust"]["30min"] == 48


def test_incomplete_window_70_pct_skipped_80_pct_evaluated():
    # NOx 400 everywhere (over 300); hour 0 loses 18 min (70 % covered), hour 1 loses 12 min (80 %).
    def nox(t):
        out = np.full_like(t, 400.0)
        out[(t >= 600) & (t < 600 + 18 * 60)] = np.nan
        out[(t >= 4200) & (t < 4200 + 12 * 60)] = np.nan
        return out

    r = kpis.compute(frame(7200, 60, nox_mg_nm3=nox), "gb18485")
    assert r["valid_blocks"]["nox"]["1h"] == 1
    assert r["exceedances"]["nox"]["1h"] == 1


def test_exactly_75_pct_coverage_is_evaluated():
    nox = lambda t: np.where(t < 2700, 400.0, np.nan)  # 45 of 60 min
    r = kpis.compute(frame(3600, 60, nox_mg_nm3=nox), "gb18485")
    assert r["valid_blocks"]["nox"]["1h"] == 1


@pytest.mark.parametrize("duration_min, valid", [(100, 1), (110, 2)])
def test_trailing_partial_block(duration_min, valid):
    # The run ends 40 min (67 %, skipped) or 50 min (83 %, evaluated) into the second hour.
    r = kpis.compute(frame(duration_min * 60, 60, nox_mg_nm3=400.0), "gb18485")
    assert r["valid_blocks"]["nox"]["1h"] == valid
    assert r["exceedances"]["nox"]["1h"] == valid


def test_nan_gap_is_not_data():
    # Hour 0: 50 min at 280 then a 10-min CEMS outage. The block mean is 280 (NaN neither dilutes
    # it nor is bridged by the last value); the outage's samples hold no value.
    nox = lambda t: np.where(t < 3000, 280.0, np.nan)
    # a spike at 900 just before the outage must not be held over the outage
    def nox_spike(t):
        out = nox(t)
        out[t == 2940] = 900.0
        return out

    r = kpis.compute(frame(3600, 60, nox_mg_nm3=nox, steam_flow_t_h=nox), "gb18485")
    assert r["exceedances"]["nox"]["1h"] == 0
    assert r["steam_flow_mean_t_h"] == pytest.approx(280.0)
    assert r["steam_flow_std_t_h"] == pytest.approx(0.0)
    # mean with the spike = (49 * 280 + 900) / 50 = 292.4 <= 300; were the spike held for the
    # 10-min outage it would be (49 * 280 + 11 * 900) / 60 = 393.7.
    r = kpis.compute(frame(3600, 60, nox_mg_nm3=nox_spike), "gb18485")
    assert r["exceedances"]["nox"]["1h"] == 0
    assert r["valid_blocks"]["nox"]["1h"] == 1


def test_all_nan_channel_gives_none_and_no_valid_blocks():
    df = frame(3600, 60, steam_flow_t_h=np.nan, co_mg_nm3=np.nan)
    r = kpis.compute(df, "eu_ied")
    assert r["steam_flow_mean_t_h"] is None and r["steam_flow_std_t_h"] is None
    assert r["valid_blocks"]["co"] == {"10min": 0, "30min": 0, "24h": 0}
    json.dumps(r, allow_nan=False)


# ----------------------------------------------------------------------------- CEMS validity, daily means


def test_held_cems_values_in_an_outage_are_excluded():
    # 2 h at 60 s. Hour 0: NOx 280 valid. Hour 1: 30 min valid at 280, then a 30-min outage in
    # which the DCS holds a (spurious) 900. Excluded: hour 1 has 50 % coverage -> not evaluated.
    # Were the held value used: hour 1 = (30 * 280 + 30 * 900) / 60 = 590 > 300.
    outage = lambda t: t >= 5400
    df = frame(7200, 60, nox_mg_nm3=lambda t: np.where(outage(t), 900.0, 280.0),
               cems_valid=lambda t: np.where(outage(t), 0.0, 1.0), o2_dry_vol_pct=11.0,
               o2_wet_vol_pct=11.0, flue_gas_flow_nm3_h=100_000.0, feed_actual_t_h=25.0,
               furnace_temp_degc=lambda t: np.where(outage(t), 800.0, 900.0))
    r = kpis.compute(df, "gb18485")
    assert (r["exceedances"]["nox"]["1h"], r["valid_blocks"]["nox"]["1h"]) == (0, 1)
    # mass per tonne over the valid 90 min: 280 mg/Nm3 * 100,000 Nm3/h / 25 t/h = 1120 g/t
    assert r["emissions_g_per_t"]["nox"] == pytest.approx(1120.0)
    # only CEMS channels are masked: the furnace thermocouple is still data
    assert r["furnace_below_850_min"] == pytest.approx(30.0)
    held = kpis.compute(df.drop(columns="cems_valid"), "gb18485")
    assert (held["exceedances"]["nox"]["1h"], held["valid_blocks"]["nox"]["1h"]) == (1, 2)


@pytest.mark.parametrize("outage_h, valid_days", [(4, 1), (5, 0)])
def test_gb_day_needs_20_valid_hours(outage_h, valid_days):
    # One day at 600 s, NOx 260 (> GB daily 250, < hourly 300), CEMS out for `outage_h` hours.
    df = frame(86400, 600, nox_mg_nm3=260.0,
               cems_valid=lambda t: np.where(t < outage_h * 3600, 0.0, 1.0))
    r = kpis.compute(df, "gb18485")
    assert r["valid_blocks"]["nox"]["1h"] == 24 - outage_h
    assert (r["exceedances"]["nox"]["24h"], r["valid_blocks"]["nox"]["24h"]) == (valid_days, valid_days)


@pytest.mark.parametrize("outage_min, valid_days", [(150, 1), (180, 0)])
def test_eu_day_allows_five_discarded_half_hours(outage_min, valid_days):
    # Dust 12 (> EU daily 10); 150 min out = 5 half-hours discarded (day valid), 180 min = 6 (not).
    df = frame(86400, 600, dust_mg_nm3=12.0,
               cems_valid=lambda t: np.where(t < outage_min * 60, 0.0, 1.0))
    r = kpis.compute(df, "eu_ied")
    assert r["valid_blocks"]["dust"]["30min"] == 48 - outage_min // 30
    assert (r["exceedances"]["dust"]["24h"], r["valid_blocks"]["dust"]["24h"]) == (valid_days, valid_days)


def test_daily_mean_is_the_mean_of_the_hourly_means():
    # Hour 0 holds 45 valid min at 390 (its hourly mean: 390), the other 23 hours 245.
    # Mean of hourly means = (390 + 23 * 245) / 24 = 250.2 > 250 -> exceeds.
    # (Time-weighting the raw samples would give (45*390 + 1380*245) / 1425 = 249.6, not over.)
    nox = lambda t: np.where(t < 2700, 390.0, np.where(t < 3600, np.nan, 245.0))
    r = kpis.compute(frame(86400, 60, nox_mg_nm3=nox), "gb18485")
    assert (r["exceedances"]["nox"]["24h"], r["valid_blocks"]["nox"]["24h"]) == (1, 1)


def test_short_runs_and_the_daily_rules():
    # SO2 90 is over both daily limits (GB 80, EU 50). A 22-h run has 22 valid hours (>= 20: a GB
    # day) and 44 valid half-hours (4 missing <= 5: an EU day); a 21-h run only 42 (< 43: none).
    r22 = kpis.compute(frame(22 * 3600, 600, so2_mg_nm3=90.0), "gb18485")
    assert (r22["exceedances"]["so2"]["24h"], r22["valid_blocks"]["so2"]["24h"]) == (1, 1)
    eu21 = kpis.compute(frame(21 * 3600, 600, so2_mg_nm3=90.0), "eu_ied")
    eu22 = kpis.compute(frame(22 * 3600, 600, so2_mg_nm3=90.0), "eu_ied")
    assert eu21["valid_blocks"]["so2"]["24h"] == 0 and eu22["valid_blocks"]["so2"]["24h"] == 1


# ----------------------------------------------------------------------------- time weighting


def test_irregular_sampling_time_weights():
    # Spacings 10 s and 50 s; the last sample holds for the median spacing, 30 s.
    # Weights 10, 50, 30 -> mean = (10*10 + 50*20 + 30*40) / 90 = 25.556 (unweighted: 23.33).
    df = pd.DataFrame({"time_s": [0.0, 10.0, 60.0], "steam_flow_t_h": [10.0, 20.0, 40.0]})
    r = kpis.compute(df)
    assert r["steam_flow_mean_t_h"] == pytest.approx(2300.0 / 90.0)
    assert r["duration_h"] == pytest.approx(90.0 / 3600.0)
    var = (10 * (10 - 2300 / 90) ** 2 + 50 * (20 - 2300 / 90) ** 2 + 30 * (40 - 2300 / 90) ** 2) / 90
    assert r["steam_flow_std_t_h"] == pytest.approx(np.sqrt(var))


def test_sample_straddling_a_block_edge_is_split():
    # Samples at 0, 500, 700, 1000 s (last holds 300 s, to 1300 s); CO 100, 430, 100, 100.
    # The 430 sample holds [500, 700): 100 s in each 10-min block.
    # Block 0 = (500*100 + 100*430) / 600 = 155 > 150; block 1 = (100*430 + 500*100) / 600 = 155;
    # block 2 holds 100 s of data (17 %): not evaluated.
    df = pd.DataFrame({"time_s": [0.0, 500.0, 700.0, 1000.0], "co_mg_nm3": [100.0, 430.0, 100.0, 100.0]})
    r = kpis.compute(df, "eu_ied")
    assert r["valid_blocks"]["co"]["10min"] == 2
    assert r["exceedances"]["co"]["10min"] == 2


def test_blocks_count_from_first_time_stamp():
    # Same NOx step as the GB hourly test, but the clock starts at t0 = 1e6 s.
    df = frame(7200, 60, nox_mg_nm3=lambda t: np.where(t < 3600, 250.0, 350.0))
    df["time_s"] += 1.0e6
    r = kpis.compute(df, "gb18485")
    assert (r["exceedances"]["nox"]["1h"], r["valid_blocks"]["nox"]["1h"]) == (1, 2)


# ----------------------------------------------------------------------------- efficiency & cost


def test_energy_per_tonne_for_constants():
    # 2 h, 12.5 MW net, 15 MW gross, 31.25 t/h actually fed -> 25 MWh, 62.5 t, 400 / 480 kWh/t.
    # The actuator command (30 t/h) is ignored while the truth feed is present.
    df = frame(7200, 10, net_power_mw=12.5, gross_power_mw=15.0, feed_actual_t_h=31.25,
               feed_rate_t_h=30.0, boiler_efficiency=0.81,
               aux_burner_mw=lambda t: np.where(t < 1800, 2.0, 0.0))
    r = kpis.compute(df)
    assert r["duration_h"] == pytest.approx(2.0)
    assert r["waste_t"] == pytest.approx(62.5)
    assert r["net_mwh"] == pytest.approx(25.0)
    assert r["gross_mwh"] == pytest.approx(30.0)
    assert r["net_kwh_per_t"] == pytest.approx(12.5 * 2 * 1000 / 62.5)  # 400
    assert r["gross_kwh_per_t"] == pytest.approx(480.0)
    assert r["boiler_efficiency"] == pytest.approx(0.81)
    assert r["aux_fuel_mwh"] == pytest.approx(1.0)  # 2 MW for 0.5 h


def test_feed_falls_back_to_the_actuator():
    df = frame(3600, 60, net_power_mw=12.0, feed_rate_t_h=30.0)
    r = kpis.compute(df)
    assert r["waste_t"] == pytest.approx(30.0)
    assert r["net_kwh_per_t"] == pytest.approx(400.0)


def test_reagents_per_tonne_and_actuator_travel():
    df = pd.DataFrame({
        "time_s": [0.0, 60.0, 120.0, 180.0],
        "feed_rate_t_h": [30.0] * 4,
        "lime_kg_h": [300.0] * 4,          # 300 kg/h / 30 t/h = 10 kg/t
        "urea_kg_h": [60.0] * 4,           # 2 kg/t
        "carbon_kg_h": [12.0] * 4,         # 0.4 kg/t
        "grate_speed_pct": [50.0, 55.0, 50.0, np.nan],  # |5| + |5| over 3 samples
    })
    r = kpis.compute(df)
    assert r["lime_kg_per_t"] == pytest.approx(10.0)
    assert r["urea_kg_per_t"] == pytest.approx(2.0)
    assert r["carbon_kg_per_t"] == pytest.approx(0.4)
    # 4 samples holding 60 s each = 4 min: 10 %-points of grate travel -> 150 %-points per hour.
    assert r["actuator_travel_per_h"]["grate_speed_pct"] == pytest.approx(150.0)
    assert r["actuator_travel_per_h"]["lime_kg_h"] == 0.0
    assert "secondary_air_nm3_h" not in r["actuator_travel_per_h"]
    assert r["actuator_travel_pct_per_h"] is None
    # Grate range 20-160 % (span 140): 150 / 140 = 107 % of the range per hour; the rest stand still.
    spans = {"feed_rate_t_h": 45.0, "lime_kg_h": 800.0, "urea_kg_h": 150.0, "carbon_kg_h": 40.0,
             "grate_speed_pct": 140.0}
    r = kpis.compute(df, actuator_ranges=spans)
    assert r["actuator_travel_pct_per_h"] == pytest.approx(100.0 * 150.0 / 140.0)
    with pytest.raises(ValueError, match=r"actuator_ranges\['grate_speed_pct'\] = None"):
        kpis.compute(df, actuator_ranges={k: v for k, v in spans.items() if k != "grate_speed_pct"})


# ----------------------------------------------------------------------------- stability


def test_steam_iae_and_spread():
    # Setpoint 66 t/h; steam 66 in hour 0, 60 in hour 1 -> IAE = 6 t/h * 1 h = 6 t; mean 63, std 3.
    df = frame(7200, 60, steam_flow_setpoint_t_h=66.0,
               steam_flow_t_h=lambda t: np.where(t < 3600, 66.0, 60.0),
               o2_wet_vol_pct=lambda t: np.where(t < 3600, 6.0, 8.0),
               net_power_mw=12.0, furnace_temp_degc=950.0)
    r = kpis.compute(df)
    assert r["steam_flow_iae_t"] == pytest.approx(6.0)
    assert r["steam_flow_mean_t_h"] == pytest.approx(63.0)
    assert r["steam_flow_std_t_h"] == pytest.approx(3.0)
    assert r["o2_std_vol_pct"] == pytest.approx(1.0)
    assert r["net_power_std_mw"] == pytest.approx(0.0)
    assert r["furnace_temp_mean_degc"] == pytest.approx(950.0)


# ----------------------------------------------------------------------------- furnace rule


@pytest.mark.parametrize("low_degc, count", [(840.0, 0), (820.0, 1)])
def test_furnace_below_850_minutes_and_5min_blocks(low_degc, count):
    # 1 h at 60 s, 900 degC except minutes 7..13 (7 min) at low_degc.
    # 5-min blocks [5,10) and [10,15): (2*900 + 3*low)/5 and (4*low + 900)/5:
    #   low 840 -> 864, 852 (none below 850); low 820 -> 852, 836 (one below).
    minute = lambda t: t // 60
    df = frame(3600, 60, furnace_temp_degc=lambda t: np.where((minute(t) >= 7) & (minute(t) <= 13), low_degc, 900.0))
    r = kpis.compute(df)
    assert r["furnace_below_850_min"] == pytest.approx(7.0)
    assert r["furnace_below_850_5min_count"] == count
    assert r["furnace_5min_valid_blocks"] == 12


# ----------------------------------------------------------------------------- emissions


def test_emissions_mass_per_tonne_by_hand():
    # NOx 200 mg/Nm3 at 11 % O2 dry; actual O2 9 % dry, 7.2 % wet; 150,000 Nm3/h wet; 30 t/h.
    #   C_dry = 200 * (21 - 9) / 10 = 240 mg/Nm3;   Q_dry = 150,000 * 7.2 / 9 = 120,000 Nm3/h
    #   mass = 240 * 120,000 = 28.8e6 mg/h = 28.8 kg/h -> / 30 t/h = 0.96 kg/t = 960 g/t.
    df = frame(3600, 60, nox_mg_nm3=200.0, co_mg_nm3=20.0, o2_dry_vol_pct=9.0, o2_wet_vol_pct=7.2,
               flue_gas_flow_nm3_h=150_000.0, feed_actual_t_h=30.0, dioxin_ng_teq_nm3=0.02,
               loi_pct=2.5)
    r = kpis.compute(df)
    assert r["emissions_g_per_t"]["nox"] == pytest.approx(960.0)
    assert r["emissions_g_per_t"]["co"] == pytest.approx(96.0)
    assert set(r["emissions_g_per_t"]) == {"nox", "co"}
    # Dioxin proxy 0.02 ng/Nm3 at 11 % O2 -> 0.024 dry actual * 120,000 Nm3/h / 30 t/h = 96 ng/t.
    assert r["dioxin_proxy_ng_teq_per_t"] == pytest.approx(96.0)
    assert r["dioxin_proxy_ng_teq_nm3_mean"] == pytest.approx(0.02)
    assert r["loi_pct_mean"] == pytest.approx(2.5)


def test_emissions_survive_an_o2_collapse():
    # 1 h at 60 s; 9 % O2 dry / 7.2 % wet (ratio 0.8) except 5 min where the true O2 collapses to
    # 1e-6 % while the lagging analyser still reads 3 %: the raw ratio would be 3e6. There the
    # run's median ratio 0.8 is used, so the mass is 200 * (21 - O2) / 10 * 150,000 * 0.8 per hour.
    low = lambda t: (t >= 1200) & (t < 1500)
    df = frame(3600, 60, nox_mg_nm3=200.0, o2_dry_vol_pct=lambda t: np.where(low(t), 1e-6, 9.0),
               o2_wet_vol_pct=lambda t: np.where(low(t), 3.0, 7.2), flue_gas_flow_nm3_h=150_000.0,
               feed_actual_t_h=30.0)
    normal, collapsed = 200 * 12 / 10 * 120_000, 200 * 21 / 10 * 120_000  # mg/h
    expected_g_per_t = (55 * normal + 5 * collapsed) / 60 / 30.0 * 1e-3
    assert kpis.compute(df)["emissions_g_per_t"]["nox"] == pytest.approx(expected_g_per_t)


def test_emissions_need_dry_o2_and_flow():
    df = frame(3600, 60, nox_mg_nm3=200.0, o2_wet_vol_pct=7.2, flue_gas_flow_nm3_h=1.5e5,
               feed_actual_t_h=30.0)
    assert kpis.compute(df)["emissions_g_per_t"] == {}


# ----------------------------------------------------------------------------- edges


def test_missing_columns_give_none_not_errors():
    df = frame(3600, 60, steam_flow_t_h=66.0)
    r = kpis.compute(df, "eu_ied")
    assert r["steam_flow_mean_t_h"] == pytest.approx(66.0)
    for key in ("net_kwh_per_t", "gross_kwh_per_t", "waste_t", "net_mwh", "boiler_efficiency",
                "aux_fuel_mwh", "steam_flow_iae_t", "o2_std_vol_pct", "furnace_below_850_min",
                "furnace_below_850_5min_count", "loi_pct_mean", "dioxin_proxy_ng_teq_nm3_mean",
                "lime_kg_per_t"):
        assert r[key] is None, key
    assert r["exceedances"] == {} and r["valid_blocks"] == {}
    assert r["emissions_g_per_t"] == {} and r["actuator_travel_per_h"] == {}
    json.dumps(r, allow_nan=False)
    assert r["not_judged"]["nox"] == "no nox_mg_nm3 column"
    assert r["not_judged"]["waste_t"] == "no feed_actual_t_h column and no feed_rate_t_h column"
    assert r["not_judged"]["steam_flow_iae"] == "no steam_flow_setpoint_t_h column"
    assert "steam_flow" not in r["not_judged"]
    assert set(r["not_judged"]) == set(kpis.JUDGED_FROM) - {"steam_flow"}


def test_not_judged_names_all_nan_and_invalid_cems_channels():
    df = frame(3600, 60, steam_flow_t_h=66.0, nox_mg_nm3=np.nan, so2_mg_nm3=20.0, feed_rate_t_h=30.0)
    df["cems_valid"] = 0.0
    r = kpis.compute(df)
    assert r["not_judged"]["nox"] == "nox_mg_nm3 has no valid sample"
    assert r["not_judged"]["so2"] == "so2_mg_nm3 has no valid sample"     # CEMS invalid throughout
    assert "waste_t" not in r["not_judged"] and r["waste_t"] == pytest.approx(30.0)
    df["cems_valid"] = 1.0
    assert "so2" not in kpis.compute(df)["not_judged"]


def test_full_result_is_plain_json():
    df = frame(7200, 60, **{name: 1.0 for name in (
        "steam_flow_t_h", "o2_wet_vol_pct", "o2_dry_vol_pct", "furnace_temp_degc", "net_power_mw",
        "gross_power_mw", "flue_gas_flow_nm3_h", "feed_actual_t_h", "steam_flow_setpoint_t_h",
        "boiler_efficiency", "loi_pct", "dioxin_ng_teq_nm3", "co_mg_nm3", "nox_mg_nm3",
        "so2_mg_nm3", "hcl_mg_nm3", "dust_mg_nm3", "nh3_mg_nm3", "feed_rate_t_h", "urea_kg_h",
        "lime_kg_h", "carbon_kg_h", "aux_burner_mw", "grate_speed_pct")})
    before = df.copy()
    r = kpis.compute(df, "eu_ied")
    pd.testing.assert_frame_equal(df, before)  # pure: input untouched
    assert plain(r)
    assert json.loads(json.dumps(r, allow_nan=False)) == r
    assert set(r["exceedances"]) == {"dust", "nox", "so2", "hcl", "co"}
    assert r["not_judged"] == {}


def test_missing_time_column_raises():
    with pytest.raises(ValueError, match="time_s"):
        kpis.compute(pd.DataFrame({"t": [0.0, 60.0], "steam_flow_t_h": [1.0, 2.0]}))


@pytest.mark.parametrize("times, shown", [([0.0, 60.0, 30.0], "30.0"), ([0.0, 60.0, 60.0], "60.0")])
def test_non_monotonic_time_raises(times, shown):
    with pytest.raises(ValueError, match=r"time_s must be strictly increasing.*row 2 holds " + shown):
        kpis.compute(pd.DataFrame({"time_s": times}))


def test_nan_or_too_short_time_raises():
    with pytest.raises(ValueError, match=r"time_s must be finite; row 1"):
        kpis.compute(pd.DataFrame({"time_s": [0.0, np.nan, 120.0]}))
    with pytest.raises(ValueError, match=r"time_s has 1 sample"):
        kpis.compute(pd.DataFrame({"time_s": [0.0]}))


def test_unknown_standard_raises():
    df = frame(600, 60, co_mg_nm3=10.0)
    with pytest.raises(ValueError, match=r"standard='us_epa'.*'gb18485'.*'eu_ied'"):
        kpis.compute(df, "us_epa")


def test_not_a_dataframe_raises():
    with pytest.raises(TypeError, match="DataFrame"):
        kpis.compute({"time_s": [0.0, 60.0]})


def test_limit_table_matches_domain_brief():
    gb, eu = kpis.EMISSION_LIMITS_MG_NM3["gb18485"], kpis.EMISSION_LIMITS_MG_NM3["eu_ied"]
    assert [gb["1h"][p] for p in ("dust", "nox", "so2", "hcl", "co")] == [30, 300, 100, 60, 100]
    assert [gb["24h"][p] for p in ("dust", "nox", "so2", "hcl", "co")] == [20, 250, 80, 50, 80]
    assert [eu["30min"][p] for p in ("dust", "nox", "so2", "hcl", "co")] == [30, 400, 200, 60, 100]
    assert [eu["24h"][p] for p in ("dust", "nox", "so2", "hcl", "co")] == [10, 200, 50, 10, 50]
    assert eu["10min"] == {"co": 150}
