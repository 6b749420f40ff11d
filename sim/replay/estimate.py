"""Disturbance estimation: a soft sensor for the waste LHV and moisture, and a replayable scenario.

Two balances, each used when the log carries its inputs (``result.notes`` says which ran):

- **Energy balance** (steam flow, feed rate; auxiliary burner if logged): the steam follows the
  heat fired, ``S / S0 = (F' LHV / 3.6 + Q_aux) / (F0 LHV0 / 3.6)``, with ``S0, F0, LHV0`` the
  plant's design steam, feed and waste (from its config, so a calibrated plant gives a calibrated
  sensor) and ``F'`` the feed as it burns: the logged feed through the plant's feed -> steam
  dynamics (dead time 120 s, first-order 780 s: the load-step model of :mod:`sim.envs.base_layer`,
  tests/test_plant.py). Boiler efficiency is taken as at design. Gives LHV; moisture follows from
  the fuel's LHV(moisture) at the scenario's mean ash.
- **O2 balance** (wet O2, primary + secondary air, feed): complete combustion of ``F'`` kg/s of
  waste with moisture ``m`` in the logged air gives the wet O2
  ``(0.21 a - c d) / (a + c g + m / M_H2O)`` per kg waste (``a`` air kmol/kg, ``c = 1 - m - ash``,
  ``d``/``g`` the daf fuel's O2 demand / net gas, :mod:`sim.subsystems.waste`), which is linear in
  ``m`` and solved in closed form.

**Observability.** The energy balance gives ``LHV x feed``: with the feed only as the feeder's
command (``feed_rate_t_h``: % of ram travel times a scale the tag map guesses), the LHV it
returns is the one implied by that scale, not a measurement. :func:`observability` says so, and
``estimate`` warns (:class:`ObservabilityWarning`, and a note) or, with ``require_observable``,
refuses (:class:`~sim.replay.quality.LogError`). The throughput is observable with a weighed
throughput channel ``waste_throughput_t_h`` (crane weighing per grab, a belt scale), which is
then used instead of the command, or with the scale calibrated against one (``calibrate
--params gain_feed_rate_t_h`` on a stretch with a known LHV).

Where both ran, the energy balance gives the moisture (it rests on the steam meter; the O2
balance on the air meters, often biased by leakage) and the O2 balance fills its gaps.
Estimates are smoothed over ``smooth_s`` (default 10 min) and refer to the waste burning at that
time. :func:`write_scenario` turns them into a
scenario (``scenario=from_log:DIR``): crane grabs scheduled so that the estimated waste reaches
the grate when it did in the log (shifted back by the hopper's residence and the feed dynamics).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.config import PlantConfig, load_plant, load_scenario
from sim.plant import Plant
from sim.results import write_text
from sim.subsystems.waste import AIR_O2_FRAC, M_H2O, make_fuel
from sim.units import NM3_PER_KMOL

from .log import PlantLog
from .openloop import EXPECTED_WASTE
from .quality import LogError

#: Feed -> steam dynamics of the reference plant (tests/test_plant.py step test) [s].
FEED_DEAD_TIME_S, FEED_TAU_S = 120.0, 780.0
#: Slugs (grab schedule) of a scenario from a log: one per this period [s].
SCHEDULE_PERIOD_S = 900.0
#: Bounds of a scenario's slug moisture (sim.config.Slug) [wt %].
SLUG_MOISTURE_RANGE_PCT = (10.0, 70.0)


class ObservabilityWarning(UserWarning):
    """The waste's heating value is not observable from this log (see :func:`observability`)."""


def observability(log: PlantLog) -> str | None:
    """None if the log observes the throughput, else why not and what would make it observable."""
    if "waste_throughput_t_h" in log.data and log.data["waste_throughput_t_h"].notna().mean() > 0.5:
        return None
    source = log.tagmap.tag_for("feed_rate_t_h")
    how = (f"tag {source!r} x its scale {log.tagmap.tags[source].scale:g}" if source
           else f"the derived {log.tagmap.derived['feed_rate_t_h'].expr!r}" if "feed_rate_t_h" in log.tagmap.derived
           else "no feed channel")
    return (f"throughput not observable: the feed is the feeder's command ({how}), so the energy balance gives "
            "LHV x feed scale and the LHV returned is the one the assumed scale implies; it becomes observable "
            "with a weighed throughput (map a crane-weighing or belt-scale tag to waste_throughput_t_h) or a "
            "feed scale calibrated on a stretch of known LHV")


@dataclass
class Estimate:
    """Estimated waste on the log's grid (``time_s`` index) and what could not be estimated."""

    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def feed_as_burning(feed_t_h: np.ndarray, step_s: float) -> np.ndarray:
    """Logged feed delayed by the dead time and lagged first-order (gaps held) [t/h]."""
    f = pd.Series(feed_t_h).ffill().bfill().to_numpy()
    shift = int(round(FEED_DEAD_TIME_S / step_s))
    f = np.concatenate([np.full(shift, f[0]), f[:len(f) - shift]]) if shift else f
    alpha = 1.0 - np.exp(-step_s / FEED_TAU_S)
    out = np.empty_like(f)
    acc = f[0]
    for i, v in enumerate(f):
        acc += alpha * (v - acc)
        out[i] = acc
    return out


def estimate(log: PlantLog, plant: str | PlantConfig = "reference_750tpd", scenario=None,
             smooth_s: float = 600.0, require_observable: bool = False) -> Estimate:
    """Waste LHV [MJ/kg] and moisture [wt %] from the log (see the module docstring); warns
    (or with ``require_observable`` raises LogError) when the throughput is not observable."""
    why = observability(log)
    if why and require_observable:
        raise LogError(why)
    cfg = load_plant(plant)
    scen = load_scenario("steady_design", EXPECTED_WASTE) if scenario is None else load_scenario(scenario)
    fuel = make_fuel(cfg.waste)
    ash = scen.waste.ash_mean_pct / 100.0
    design = Plant(cfg, scen, 0)
    d = log.data
    notes: list[str] = []
    if "feed_rate_t_h" not in d:
        raise ValueError("disturbance estimation needs the feed rate (feed_rate_t_h) in the log; it has "
                         f"{list(d.columns)}")
    weighed = "waste_throughput_t_h" in d and why is None
    feed = feed_as_burning(d["waste_throughput_t_h" if weighed else "feed_rate_t_h"].to_numpy(float), log.step_s)
    if why:
        warnings.warn(ObservabilityWarning(why), stacklevel=2)
        notes.append(why)
    else:
        notes.append("throughput from the weighed waste_throughput_t_h")
    out = pd.DataFrame(index=d.index)
    moist = []
    if "steam_flow_t_h" in d:
        aux = d["aux_burner_mw"].fillna(0.0).to_numpy() if "aux_burner_mw" in d else 0.0
        if "aux_burner_mw" not in d:
            notes.append("aux_burner_mw not in the log: auxiliary firing taken as zero")
        f0 = design.design_actuators["feed_rate_t_h"]
        lhv0 = fuel.lhv_j_kg(cfg.waste.moisture_pct / 100.0, cfg.waste.ash_pct / 100.0) / 1e6
        fired0_mw = f0 * lhv0 / 3.6
        lhv = (d["steam_flow_t_h"].to_numpy() / design.design_steam_t_h * fired0_mw - aux) * 3.6 / feed
        out["lhv_energy_mj_kg"] = lhv
        out["moisture_energy_pct"] = 100.0 * _moisture_from_lhv(fuel, lhv, ash)
        moist.append(out["moisture_energy_pct"])
    else:
        notes.append("no steam flow in the log: no energy balance")
    air = [c for c in ("primary_air_nm3_h", "secondary_air_nm3_h") if c in d]
    if "o2_wet_vol_pct" in d and len(air) == 2:
        out["moisture_o2_pct"] = 100.0 * _moisture_from_o2(fuel, d["o2_wet_vol_pct"].to_numpy() / 100.0,
                                                          (d[air[0]] + d[air[1]]).to_numpy(), feed, ash)
        moist.append(out["moisture_o2_pct"])
    else:
        notes.append("no O2 balance: needs o2_wet_vol_pct, primary_air_nm3_h and secondary_air_nm3_h")
    if not moist:
        raise ValueError("disturbance estimation needs steam flow, or O2 with both air flows, besides the feed")
    # The energy balance rests on the steam meter, the best-kept instrument of a plant; the O2
    # balance on the air meters, often biased by leakage. Energy where it exists, O2 to fill in.
    m = moist[0] if len(moist) == 1 else moist[0].fillna(moist[1])
    window = max(int(round(smooth_s / log.step_s)), 1)
    m = m.rolling(window, min_periods=1, center=True).mean()
    out["waste_moisture_pct"] = m
    out["waste_lhv_mj_kg"] = np.array([fuel.lhv_j_kg(v / 100.0, ash) / 1e6 if np.isfinite(v) else np.nan
                                       for v in m.to_numpy()])
    return Estimate(out, notes)


def _moisture_from_lhv(fuel, lhv_mj_kg: np.ndarray, ash: float) -> np.ndarray:
    """Invert the (linear) LHV(moisture) of :meth:`sim.subsystems.waste.Fuel.lhv_j_kg`."""
    a, b = fuel.lhv_j_kg(0.0, ash), fuel.lhv_j_kg(1.0 - ash, ash)  # LHV at m = 0 and m = 1 - ash
    return (a - lhv_mj_kg * 1e6) / (a - b) * (1.0 - ash)


def _moisture_from_o2(fuel, o2_wet: np.ndarray, air_nm3_h: np.ndarray, feed_t_h: np.ndarray, ash: float) -> np.ndarray:
    """Moisture [-] that makes complete combustion give the measured wet O2 fraction."""
    vol, fc = fuel.volatile_daf, fuel.fixed_carbon_daf
    o2_demand = vol * fuel.vol_o2_demand_kmol_kg + fc * fuel.char_o2_demand_kmol_kg  # kmol O2 / kg daf
    net_gas = vol * fuel.vol_gas_kmol_kg.sum() + fc * fuel.char_gas_kmol_kg.sum()   # kmol gas / kg daf
    a = air_nm3_h / NM3_PER_KMOL / (feed_t_h * 1000.0)                               # kmol air / kg waste
    c0 = 1.0 - ash
    num = AIR_O2_FRAC * a - o2_demand * c0 - o2_wet * (a + net_gas * c0)
    den = o2_wet / M_H2O - o2_wet * net_gas - o2_demand
    return num / den


def write_scenario(est: Estimate, out_dir: str | Path, plant: str | PlantConfig = "reference_750tpd",
                   source: str = "") -> Path:
    """Write ``scenario.yaml`` (a scenario of configs/scenarios form) replaying the estimated waste.

    The hopper is filled at start with waste at the mean estimate of what burns while that content
    is fed (from one feed lag after the start until the first scheduled grab arrives). Later
    estimates become crane-grab slugs every :data:`SCHEDULE_PERIOD_S`, dropped one hopper
    residence (hopper mass at start / design feed) plus the feed lag (dead time and time constant)
    before they burn. Returns the file's path.
    """
    cfg = load_plant(plant)
    base = load_scenario("steady_design", EXPECTED_WASTE)
    h = cfg.hopper
    residence_s = h.initial_level_m * h.area_m2 * cfg.waste.bulk_density_kg_m3 / (cfg.design.feed_rate_t_h * 1000 / 3600)
    lead_s = residence_s + FEED_DEAD_TIME_S + FEED_TAU_S
    m = est.data["waste_moisture_pct"].dropna()
    if m.empty:
        raise ValueError("the estimate has no moisture value: nothing to build a scenario from")
    t = m.index.to_numpy(float)
    lo, hi = SLUG_MOISTURE_RANGE_PCT
    # The hopper's content at start burns from one feed lag on until the first scheduled grab
    # arrives; before that the plant burns its initial bed (not the log's waste).
    lag_s = FEED_DEAD_TIME_S + FEED_TAU_S
    initial = (t >= t[0] + lag_s) & (t < t[0] + lead_s)
    first = float(np.clip(m[initial].mean() if initial.any() else m.mean(), 20.0, 65.0))
    slugs = []
    for start in np.arange(t[0], t[-1] + 1e-9, SCHEDULE_PERIOD_S):
        at_s = start - lead_s
        sel = (t >= start) & (t < start + SCHEDULE_PERIOD_S)
        if at_s < 0 or not sel.any():
            continue
        slugs.append({"at_h": round(float(at_s) / 3600.0, 6), "grabs": 50,
                      "moisture_pct": round(float(np.clip(m[sel].mean(), lo, hi)), 3),
                      "ash_pct": base.waste.ash_mean_pct})
    data = base.model_dump(mode="json")
    data.update(name=f"from_log:{Path(out_dir).name}",
                description=f"Waste estimated from the plant log {source} by sim.replay.estimate "
                            f"(energy and O2 balances); grabs scheduled {lead_s / 3600:.2f} h before they burn.",
                duration_h=max(round(float(t[-1]) / 3600.0, 4), 0.01), slugs=slugs)
    data["waste"]["moisture_mean_pct"] = round(first, 3)
    load_scenario(data)  # validate before writing
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    path = Path(out_dir) / "scenario.yaml"
    write_text(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path

