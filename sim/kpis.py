"""Key performance indicators of a run: pure functions of a trajectory.

A *trajectory* (docs/physics.md §0.4) is a :class:`pandas.DataFrame` with a ``time_s`` column
(seconds, strictly increasing, any sampling interval, regular or not) and one column per canonical
channel of :mod:`sim.units` (``MEASUREMENTS``, ``ACTUATORS``, ``TRUTH``). The public entry point is
:func:`compute`; everything else here is a private helper.

Rules used throughout (the project's documented conventions)
------------------------------------------------------------
* **Zero-order hold.** Each sample holds its value from its own time stamp until the next one. The
  last sample holds for the median sample spacing. These hold durations are the time weights of
  every mean, standard deviation and integral, so irregular sampling is weighted correctly.
* **NaN is not data.** A NaN sample is left out of a channel's means and integrals and does not
  count toward a block's coverage.
* **Invalid CEMS data are not data.** If the trajectory has a ``cems_valid`` column (the episode
  runner records :attr:`sim.Plant.cems_valid`), the CEMS channels (``co_mg_nm3`` ...
  ``nh3_mg_nm3``) are treated as NaN wherever it is 0: during an outage the DCS holds the last
  reading, and the standards exclude such periods from the averages (HJ 75-2017 for GB 18485,
  IED Annex VI Part 8) rather than fill them. The masses per tonne are then rates over the valid
  time (see *Per-tonne figures*). A channel that is missing from the frame,
  or entirely NaN, gives ``None`` for the KPIs that need it; in the per-channel dicts
  (``exceedances``, ``valid_blocks``, ``emissions_g_per_t``, ``actuator_travel_per_h``) its entry
  is omitted. Missing channels never raise.
* **Per-tonne figures** (``*_kwh_per_t``, ``*_kg_per_t``, ``emissions_g_per_t``) divide the
  integral of the quantity by the waste fed *over the samples where both are known*; without NaN
  this is exactly ``<quantity integral> / waste_t``.
* **Block averages** (compliance and the 850 degC rule) are non-overlapping clock blocks counted
  from the trajectory's first time stamp ``t0``: block ``k`` covers ``[t0 + k*W, t0 + (k+1)*W)``.
  A sample whose hold interval straddles a block edge is split between the two blocks. A block is
  evaluated only if at least 75 % of its duration (:data:`MIN_BLOCK_COVERAGE`) is covered by
  non-NaN data: HJ 75-2017 (the CEMS rules behind GB 18485) requires 45 valid minutes for an hourly
  mean, and the project applies the same 75 % to the EU half-hour and 10-min means and the 5-min
  furnace means. A trailing partial block (the run ends inside it) is evaluated only if it meets
  the same rule, so a short tail is not evaluated. A block *exceeds* when its mean is strictly
  greater than the limit.
* **Daily means** (window ``"24h"``) are the mean of the day's valid shorter means, as the
  standards define them (:data:`DAILY_RULE`): for GB 18485 the valid hourly means, at least 20 of
  them (HJ 75-2017); for the EU IED the valid half-hourly means, at most 5 of 48 discarded, i.e. at
  least 43 (Annex VI Part 8 (c)). Days are clock blocks of 86,400 s from ``t0``; a run shorter than
  the required valid hours has no valid day. The IED's subtraction of the 95 % confidence interval
  before comparison (Annex VI Part 6 1.3, Part 8 (a)) is *not* applied: the simulated CEMS has no
  calibration uncertainty to subtract, so the counts are the stricter ones.
* **CEMS concentrations** (``co_mg_nm3`` ... ``nh3_mg_nm3``) are already dry and normalised to
  11 % O2, as plants report them; they are compared with the limits as they are.

Result keys (a flat dict of plain ``float``/``int``/``None``/``dict``, ``json.dumps``-able)
-----------------------------------------------------------------------------------------
efficiency
    ``duration_h`` (sum of hold durations), ``waste_t`` (integral of truth ``feed_actual_t_h``, or
    of the actuator ``feed_rate_t_h`` if the truth column is absent or all NaN), ``gross_mwh``,
    ``net_mwh`` (integrals of ``gross_power_mw``/``net_power_mw``), ``gross_kwh_per_t``,
    ``net_kwh_per_t``, ``boiler_efficiency`` (time mean of the truth column, fraction),
    ``aux_fuel_mwh`` (integral of ``aux_burner_mw``).
stability
    ``steam_flow_mean_t_h``, ``steam_flow_std_t_h`` (time-weighted population std),
    ``steam_flow_iae_t`` (integral of ``|steam_flow_t_h - steam_flow_setpoint_t_h|`` dt, in t),
    ``o2_std_vol_pct`` (of ``o2_wet_vol_pct``), ``furnace_temp_mean_degc``,
    ``furnace_temp_std_degc``, ``net_power_mean_mw``, ``net_power_std_mw``.
compliance
    ``standard``; ``exceedances[pollutant][window]`` (int count of block means over the limit) and
    ``valid_blocks[pollutant][window]`` (int count of blocks evaluated) for ``dust, nox, so2, hcl,
    co`` on the windows of :data:`EMISSION_LIMITS_MG_NM3`; ``furnace_below_850_min`` (minutes with
    ``furnace_temp_degc`` < 850), ``furnace_below_850_5min_count`` (5-min block means < 850 degC,
    China's rule) and ``furnace_5min_valid_blocks``; ``loi_pct_mean`` (truth ``loi_pct``);
    ``dioxin_proxy_ng_teq_nm3_mean`` (truth ``dioxin_ng_teq_nm3``, at 11 % O2 dry).
emissions
    ``emissions_g_per_t[p]`` for ``nox, so2, hcl, co, dust, nh3``: mass emitted per tonne of waste.
    The reported concentration is taken back to the actual dry gas,
    ``C_dry = C_ref * (21 - O2_dry) / (21 - 11)`` (inverse of :func:`sim.units.to_reference_o2`),
    and multiplied by the dry flue-gas flow ``Q_dry = Q_wet * r`` with the dry/wet ratio
    ``r = O2_wet / O2_dry`` (the O2 amount is the same wet or dry). ``O2_wet`` is the analyser
    reading, which lags the true ``O2_dry`` by tens of seconds, so ``r`` is only used where
    ``O2_dry >= 1 vol %`` and clipped to [0.6, 1] (flue-gas water 0-40 vol %; design ≈ 19 %, docs/physics.md
    §2.3); elsewhere (O2 collapsing in an overload or a flame loss) ``r`` is the median of the run's
    valid ratios, since the water content moves slowly. Needs ``flue_gas_flow_nm3_h``,
    ``o2_wet_vol_pct`` and truth ``o2_dry_vol_pct``.
    ``dioxin_proxy_ng_teq_per_t``: the same for the dioxin proxy (truth ``dioxin_ng_teq_nm3``), in
    ng TEQ per tonne of waste.
cost
    ``lime_kg_per_t``, ``urea_kg_per_t``, ``carbon_kg_per_t`` (integrals of the ``*_kg_h``
    actuators over waste fed); ``actuator_travel_per_h[name]``: sum of ``|delta command|``
    between consecutive non-NaN samples per hour of run (the actuator's unit per hour; with noisy
    commands it grows with the sampling rate, so compare runs at the same interval);
    ``actuator_travel_pct_per_h``: the sum over the actuators of their travel per hour as a
    percentage of their range, if ``actuator_ranges`` is given to :func:`compute` (else ``None``).
not_judged
    ``not_judged[name]``: why a KPI group could not be judged on this trajectory (a plant log
    carries only some channels), e.g. ``{"nox": "no nox_mg_nm3 column"}`` or ``{"so2": "so2_mg_nm3
    has no valid sample"}`` (all NaN, or invalid CEMS throughout); a group needing several channels names each one missing (``"emissions_g_per_t":
    "no flue_gas_flow_nm3_h column; no o2_dry_vol_pct column"``). Names
    (:data:`JUDGED_FROM`): the pollutants ``dust, nox, so2, hcl, co, nh3``, ``furnace_temp``,
    ``steam_flow``, ``steam_flow_iae``, ``o2``, ``gross_power``, ``net_power``, ``waste_t``,
    ``boiler_efficiency``, ``loi``, ``dioxin_proxy``, ``emissions_g_per_t``. Empty when the
    trajectory carries everything.

Errors: a missing, non-numeric, NaN-containing or not strictly increasing ``time_s``, fewer than
two samples, or an unknown ``standard`` raise :class:`ValueError` naming the field, the offending
value and what was expected; a ``trajectory`` that is not a DataFrame raises :class:`TypeError`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .subsystems.cems import CHANNELS
from .units import ACTUATORS, FURNACE_MIN_TEMP_DEGC, REFERENCE_O2_DRY_PCT, to_reference_o2

__all__ = [
    "compute",
    "EMISSION_LIMITS_MG_NM3",
    "WINDOW_S",
    "MIN_BLOCK_COVERAGE",
    "FURNACE_MIN_TEMP_DEGC",
    "STANDARDS",
    "DAILY_RULE",
    "CEMS_CHANNELS",
    "JUDGED_FROM",
]

#: Emission limits [mg/Nm3, dry, 11 % O2] per standard -> averaging window -> pollutant.
#: Source (docs/physics.md §9): China GB 18485-2014 Table 4 (1-h and 24-h means) and
#: EU IED 2010/75/EU Annex VI Part 3 (half-hourly A column, daily means, CO 10-min: 150).
EMISSION_LIMITS_MG_NM3: Mapping[str, Mapping[str, Mapping[str, float]]] = {
    "gb18485": {
        "1h": {"dust": 30.0, "nox": 300.0, "so2": 100.0, "hcl": 60.0, "co": 100.0},
        "24h": {"dust": 20.0, "nox": 250.0, "so2": 80.0, "hcl": 50.0, "co": 80.0},
    },
    "eu_ied": {
        "30min": {"dust": 30.0, "nox": 400.0, "so2": 200.0, "hcl": 60.0, "co": 100.0},
        "24h": {"dust": 10.0, "nox": 200.0, "so2": 50.0, "hcl": 10.0, "co": 50.0},
        "10min": {"co": 150.0},
    },
}
#: Names accepted for ``standard``.
STANDARDS: tuple[str, ...] = tuple(EMISSION_LIMITS_MG_NM3)
#: Length of each averaging window [s].
WINDOW_S: Mapping[str, float] = {
    "5min": 300.0, "10min": 600.0, "30min": 1800.0, "1h": 3600.0, "24h": 86400.0,
}
#: Minimum fraction of a block's duration that must hold non-NaN data for the block to be
#: evaluated (project rule mirroring EN 14181 / GB 18485 validity of averaged CEMS data).
MIN_BLOCK_COVERAGE = 0.75
#: Daily means per standard: (window of the shorter means they are built from, minimum number of
#: valid shorter means in a day). GB 18485-2014 via HJ 75-2017: >= 20 valid hourly means; EU IED
#: 2010/75/EU Annex VI Part 8 (c): no more than 5 half-hourly means discarded, i.e. >= 43 of 48.
DAILY_RULE: Mapping[str, tuple[str, int]] = {"gb18485": ("1h", 20), "eu_ied": ("30min", 43)}
#: Channels written by the stack CEMS, masked where ``cems_valid`` is 0.
#: (the CEMS's own channels, :data:`sim.subsystems.cems.CHANNELS`)
CEMS_CHANNELS: tuple[str, ...] = CHANNELS
#: What each ``not_judged`` name needs: KPI group -> the channels it is computed from (all needed;
#: ``waste_t`` takes the truth feed or the command, so either one is enough).
JUDGED_FROM: Mapping[str, tuple[str, ...]] = {
    **{p: (f"{p}_mg_nm3",) for p in ("dust", "nox", "so2", "hcl", "co", "nh3")},
    "furnace_temp": ("furnace_temp_degc",), "steam_flow": ("steam_flow_t_h",),
    "steam_flow_iae": ("steam_flow_t_h", "steam_flow_setpoint_t_h"), "o2": ("o2_wet_vol_pct",),
    "gross_power": ("gross_power_mw",), "net_power": ("net_power_mw",),
    "waste_t": ("feed_actual_t_h|feed_rate_t_h",), "boiler_efficiency": ("boiler_efficiency",),
    "loi": ("loi_pct",), "dioxin_proxy": ("dioxin_ng_teq_nm3",),
    "emissions_g_per_t": ("flue_gas_flow_nm3_h", "o2_wet_vol_pct", "o2_dry_vol_pct", "feed_actual_t_h|feed_rate_t_h"),
}
#: Averaging window of China's furnace-temperature rule (docs/physics.md §9; MEE Order No. 10, 2019).
FURNACE_WINDOW = "5min"

#: Pollutants judged against the limits (CEMS column = f"{name}_mg_nm3").
_COMPLIANCE_POLLUTANTS: tuple[str, ...] = ("dust", "nox", "so2", "hcl", "co")
#: Pollutants whose mass per tonne of waste is reported.
_MASS_POLLUTANTS: tuple[str, ...] = ("nox", "so2", "hcl", "co", "dust", "nh3")
#: Reagent actuators reported per tonne: KPI name -> actuator column [kg/h].
_REAGENTS: Mapping[str, str] = {
    "lime_kg_per_t": "lime_kg_h", "urea_kg_per_t": "urea_kg_h", "carbon_kg_per_t": "carbon_kg_h",
}
_S_PER_H = 3600.0
_KWH_PER_MWH = 1000.0
_G_PER_MG = 1e-3
#: Range of the dry/wet flue-gas ratio [-]: flue-gas water 0-40 vol % (design ≈ 19 %, docs/physics.md §2.3),
#: and the O2_dry [vol %] below which O2_wet / O2_dry is not a usable estimate of it.
_DRY_WET_RATIO_RANGE = (0.6, 1.0)
_MIN_O2_FOR_RATIO_PCT = 1.0
#: Absolute tolerance on times [s] for block edges and coverage comparisons.
_TIME_TOL_S = 1e-6


def compute(trajectory: pd.DataFrame, standard: str = "gb18485", *,
            actuator_ranges: Mapping[str, float] | None = None) -> dict:
    """KPIs of one trajectory, judged against ``standard`` (``"gb18485"`` or ``"eu_ied"``).

    ``actuator_ranges`` (optional): actuator name -> span of its range (max - min, in its unit),
    e.g. from :attr:`sim.Plant.actuator_bounds`; it gives ``actuator_travel_pct_per_h``.
    See the module docstring for the meaning and unit of every key and the rules (zero-order
    hold, NaN and invalid-CEMS handling, 75 % block coverage, daily means). The input is not
    modified.
    """
    if standard not in EMISSION_LIMITS_MG_NM3:
        raise ValueError(f"standard={standard!r} is unknown; expected one of {list(STANDARDS)}")
    time_s = _validated_time(trajectory)
    weights_s = _time_weights(time_s)
    cems_invalid = _column(trajectory, "cems_valid")
    cems_invalid = None if cems_invalid is None else cems_invalid == 0.0

    def col(name: str) -> np.ndarray | None:
        values = _column(trajectory, name)
        if values is not None and cems_invalid is not None and name in CEMS_CHANNELS:
            values = np.where(cems_invalid, np.nan, values)
        return values

    result: dict = {"standard": standard}
    result.update(_efficiency(col, weights_s))
    result.update(_stability(col, weights_s))
    result.update(_compliance(col, time_s, weights_s, standard))
    result.update(_emissions(col, weights_s))
    result.update(_cost(col, weights_s, actuator_ranges))
    result["not_judged"] = _not_judged(col)
    return result


def _not_judged(col) -> dict[str, str]:
    """Why each group of :data:`JUDGED_FROM` cannot be judged (absent, or all NaN/invalid)."""
    def lack(alternatives: str) -> str | None:
        reasons = []
        for name in alternatives.split("|"):
            values = col(name)
            if values is not None and np.isfinite(values).any():
                return None
            reasons.append(f"no {name} column" if values is None else f"{name} has no valid sample")
        return " and ".join(reasons)

    out = {}
    for group, needs in JUDGED_FROM.items():
        reasons = [r for r in (lack(n) for n in needs) if r]
        if reasons:
            out[group] = "; ".join(reasons)
    return out


# --------------------------------------------------------------------------- input edge


def _validated_time(trajectory: pd.DataFrame) -> np.ndarray:
    """The ``time_s`` column as float seconds, checked to be finite and strictly increasing."""
    if not isinstance(trajectory, pd.DataFrame):
        raise TypeError(f"trajectory must be a pandas.DataFrame, got {type(trajectory).__name__}")
    if "time_s" not in trajectory.columns:
        raise ValueError(
            "trajectory has no 'time_s' column; expected a column of sample times in seconds "
            f"(columns present: {list(trajectory.columns)[:10]})"
        )
    try:
        time_s = trajectory["time_s"].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"time_s must be numeric seconds, got dtype {trajectory['time_s'].dtype}"
        ) from exc
    if time_s.size < 2:
        raise ValueError(
            f"time_s has {time_s.size} sample(s); expected at least 2 to define the sampling interval"
        )
    bad = np.flatnonzero(~np.isfinite(time_s))
    if bad.size:
        raise ValueError(
            f"time_s must be finite; row {int(bad[0])} holds {float(time_s[bad[0]])!r}"
        )
    steps = np.diff(time_s)
    bad = np.flatnonzero(steps <= 0.0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            "time_s must be strictly increasing; "
            f"row {i + 1} holds {float(time_s[i + 1])!r} after {float(time_s[i])!r} at row {i}"
        )
    return time_s


def _column(trajectory: pd.DataFrame, name: str) -> np.ndarray | None:
    """A channel as a float array, or ``None`` if the column is missing."""
    if name not in trajectory.columns:
        return None
    return trajectory[name].to_numpy(dtype=float)


# --------------------------------------------------------------------------- weighting helpers


def _time_weights(time_s: np.ndarray) -> np.ndarray:
    """Hold duration of each sample [s]: the spacing to the next sample, median spacing for the last."""
    steps = np.diff(time_s)
    return np.append(steps, np.median(steps))


def _mean(values: np.ndarray | None, weights_s: np.ndarray) -> float | None:
    """Time-weighted mean over the non-NaN samples; ``None`` if there are none."""
    if values is None:
        return None
    ok = np.isfinite(values)
    total_s = weights_s[ok].sum()
    if total_s <= 0.0:
        return None
    return float(np.dot(weights_s[ok], values[ok]) / total_s)


def _std(values: np.ndarray | None, weights_s: np.ndarray) -> float | None:
    """Time-weighted population standard deviation over the non-NaN samples."""
    mean = _mean(values, weights_s)
    if mean is None:
        return None
    ok = np.isfinite(values)
    var = np.dot(weights_s[ok], (values[ok] - mean) ** 2) / weights_s[ok].sum()
    return float(math.sqrt(max(var, 0.0)))


def _integral_h(values: np.ndarray | None, weights_s: np.ndarray) -> float | None:
    """Integral over time in hours (rate per hour x h), NaN samples contributing nothing."""
    if values is None or not np.isfinite(values).any():
        return None
    ok = np.isfinite(values)
    return float(np.dot(weights_s[ok], values[ok]) / _S_PER_H)


def _per_tonne(values: np.ndarray | None, feed_t_h: np.ndarray | None,
               weights_s: np.ndarray) -> float | None:
    """Integral of ``values`` [unit*h] per tonne fed, over the samples where both are known."""
    if values is None or feed_t_h is None:
        return None
    ok = np.isfinite(values) & np.isfinite(feed_t_h)
    waste_t = np.dot(weights_s[ok], feed_t_h[ok]) / _S_PER_H
    if not ok.any() or waste_t <= 0.0:
        return None
    return float(np.dot(weights_s[ok], values[ok]) / _S_PER_H / waste_t)


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else float(value * factor)


def _block_means(time_s: np.ndarray, weights_s: np.ndarray, values: np.ndarray,
                 window_s: float) -> np.ndarray:
    """Mean of every clock block of length ``window_s``; NaN for a block under 75 % coverage.

    Blocks start at ``time_s[0]``. Every sample holds over ``[t_i, t_i + w_i)``; the union of sample
    times and block edges cuts the run into pieces that lie in one block and one sample each, so a
    hold interval that straddles a block edge is split exactly. NaN pieces add no coverage.
    """
    t0 = time_s[0]
    t_end = time_s[-1] + weights_s[-1]
    n_blocks = max(int(math.ceil((t_end - t0 - _TIME_TOL_S) / window_s)), 1)
    edges = t0 + window_s * np.arange(1, n_blocks)
    cuts = np.unique(np.concatenate((time_s, edges, [t_end])))
    start, stop = cuts[:-1], cuts[1:]
    mid = 0.5 * (start + stop)
    sample = np.searchsorted(time_s, mid, side="right") - 1
    block = np.minimum(np.floor((mid - t0) / window_s).astype(np.int64), n_blocks - 1)
    piece_s = stop - start
    piece_val = values[sample]
    ok = np.isfinite(piece_val)
    covered_s = np.bincount(block[ok], weights=piece_s[ok], minlength=n_blocks)
    summed = np.bincount(block[ok], weights=piece_s[ok] * piece_val[ok], minlength=n_blocks)
    evaluated = covered_s >= MIN_BLOCK_COVERAGE * window_s - _TIME_TOL_S
    return np.where(evaluated, summed / np.where(evaluated, covered_s, 1.0), np.nan)


def _daily_means(hourly_or_half_hourly: np.ndarray, window_s: float, min_valid: int) -> np.ndarray:
    """Daily means from the shorter block means (NaN = not valid), one per clock day that has at
    least ``min_valid`` valid shorter means; days with fewer are left out."""
    per_day = int(round(WINDOW_S["24h"] / window_s))
    n_days = -(-hourly_or_half_hourly.size // per_day)
    padded = np.full(n_days * per_day, np.nan)
    padded[:hourly_or_half_hourly.size] = hourly_or_half_hourly
    days = padded.reshape(n_days, per_day)
    valid = np.isfinite(days)
    count = valid.sum(axis=1)
    sums = np.where(valid, days, 0.0).sum(axis=1)
    ok = count >= min_valid
    return sums[ok] / count[ok]


def _window_means(time_s: np.ndarray, weights_s: np.ndarray, values: np.ndarray, window: str,
                  standard: str) -> np.ndarray:
    """The evaluated means of ``window`` for ``standard`` (daily means by :data:`DAILY_RULE`)."""
    if window == "24h":
        base, min_valid = DAILY_RULE[standard]
        base_means = _block_means(time_s, weights_s, values, WINDOW_S[base])
        return _daily_means(base_means, WINDOW_S[base], min_valid)
    means = _block_means(time_s, weights_s, values, WINDOW_S[window])
    return means[np.isfinite(means)]


# --------------------------------------------------------------------------- KPI groups


def _feed_t_h(col) -> np.ndarray | None:
    """Waste feed actually delivered [t/h]: truth ``feed_actual_t_h``, else the command."""
    actual = col("feed_actual_t_h")
    if actual is not None and np.isfinite(actual).any():
        return actual
    return col("feed_rate_t_h")


def _efficiency(col, weights_s: np.ndarray) -> dict:
    feed = _feed_t_h(col)
    gross, net = col("gross_power_mw"), col("net_power_mw")
    return {
        "duration_h": float(weights_s.sum() / _S_PER_H),
        "waste_t": _integral_h(feed, weights_s),
        "gross_mwh": _integral_h(gross, weights_s),
        "net_mwh": _integral_h(net, weights_s),
        "gross_kwh_per_t": _scaled(_per_tonne(gross, feed, weights_s), _KWH_PER_MWH),
        "net_kwh_per_t": _scaled(_per_tonne(net, feed, weights_s), _KWH_PER_MWH),
        "boiler_efficiency": _mean(col("boiler_efficiency"), weights_s),
        "aux_fuel_mwh": _integral_h(col("aux_burner_mw"), weights_s),
    }


def _stability(col, weights_s: np.ndarray) -> dict:
    steam, setpoint = col("steam_flow_t_h"), col("steam_flow_setpoint_t_h")
    error = None if steam is None or setpoint is None else np.abs(steam - setpoint)
    furnace, net = col("furnace_temp_degc"), col("net_power_mw")
    return {
        "steam_flow_mean_t_h": _mean(steam, weights_s),
        "steam_flow_std_t_h": _std(steam, weights_s),
        "steam_flow_iae_t": _integral_h(error, weights_s),
        "o2_std_vol_pct": _std(col("o2_wet_vol_pct"), weights_s),
        "furnace_temp_mean_degc": _mean(furnace, weights_s),
        "furnace_temp_std_degc": _std(furnace, weights_s),
        "net_power_mean_mw": _mean(net, weights_s),
        "net_power_std_mw": _std(net, weights_s),
    }


def _compliance(col, time_s: np.ndarray, weights_s: np.ndarray, standard: str) -> dict:
    limits = EMISSION_LIMITS_MG_NM3[standard]
    exceedances: dict[str, dict[str, int]] = {}
    valid_blocks: dict[str, dict[str, int]] = {}
    for pollutant in _COMPLIANCE_POLLUTANTS:
        conc = col(f"{pollutant}_mg_nm3")
        if conc is None:
            continue
        exceedances[pollutant], valid_blocks[pollutant] = {}, {}
        for window, table in limits.items():
            if pollutant not in table:
                continue
            means = _window_means(time_s, weights_s, conc, window, standard)
            exceedances[pollutant][window] = int(np.count_nonzero(means > table[pollutant]))
            valid_blocks[pollutant][window] = int(means.size)

    furnace = col("furnace_temp_degc")
    below_min = below_blocks = furnace_blocks = None
    if furnace is not None:
        below = np.isfinite(furnace) & (furnace < FURNACE_MIN_TEMP_DEGC)
        below_min = float(weights_s[below].sum() / 60.0)
        means = _block_means(time_s, weights_s, furnace, WINDOW_S[FURNACE_WINDOW])
        means = means[np.isfinite(means)]
        below_blocks = int(np.count_nonzero(means < FURNACE_MIN_TEMP_DEGC))
        furnace_blocks = int(means.size)
    return {
        "exceedances": exceedances,
        "valid_blocks": valid_blocks,
        "furnace_below_850_min": below_min,
        "furnace_below_850_5min_count": below_blocks,
        "furnace_5min_valid_blocks": furnace_blocks,
        "loi_pct_mean": _mean(col("loi_pct"), weights_s),
        "dioxin_proxy_ng_teq_nm3_mean": _mean(col("dioxin_ng_teq_nm3"), weights_s),
    }


def _dry_flue_gas_nm3_h(col) -> np.ndarray | None:
    """Dry flue-gas flow [Nm3/h] = wet flow * dry/wet ratio (see the module docstring)."""
    wet, o2_wet, o2_dry = col("flue_gas_flow_nm3_h"), col("o2_wet_vol_pct"), col("o2_dry_vol_pct")
    if wet is None or o2_wet is None or o2_dry is None:
        return None
    usable = np.isfinite(o2_wet) & (o2_dry >= _MIN_O2_FOR_RATIO_PCT)
    if not usable.any():
        return None
    ratio = np.clip(o2_wet[usable] / o2_dry[usable], *_DRY_WET_RATIO_RANGE)
    full = np.full(wet.shape, np.median(ratio))
    full[usable] = ratio
    return wet * full


def _emissions(col, weights_s: np.ndarray) -> dict:
    feed = _feed_t_h(col)
    dry_nm3_h = _dry_flue_gas_nm3_h(col)
    per_tonne: dict[str, float] = {}
    dioxin = None
    if dry_nm3_h is not None and feed is not None:
        # Reported C_ref -> actual dry C: divide by the normalisation factor of units.to_reference_o2.
        ref_factor = to_reference_o2(1.0, col("o2_dry_vol_pct"), REFERENCE_O2_DRY_PCT)

        def per_t(conc_ref: np.ndarray | None) -> float | None:
            """Mass per tonne, in the concentration's mass unit (mg/Nm3 -> mg/t)."""
            return None if conc_ref is None else _per_tonne(conc_ref / ref_factor * dry_nm3_h, feed, weights_s)

        for pollutant in _MASS_POLLUTANTS:
            value = per_t(col(f"{pollutant}_mg_nm3"))
            if value is not None:
                per_tonne[pollutant] = value * _G_PER_MG
        dioxin = per_t(col("dioxin_ng_teq_nm3"))
    return {"emissions_g_per_t": per_tonne, "dioxin_proxy_ng_teq_per_t": dioxin}


def _cost(col, weights_s: np.ndarray, actuator_ranges: Mapping[str, float] | None) -> dict:
    feed = _feed_t_h(col)
    out: dict = {name: _per_tonne(col(channel), feed, weights_s) for name, channel in _REAGENTS.items()}
    duration_h = weights_s.sum() / _S_PER_H
    travel: dict[str, float] = {}
    for name in ACTUATORS:
        command = col(name)
        if command is None:
            continue
        command = command[np.isfinite(command)]
        if command.size:
            travel[name] = float(np.abs(np.diff(command)).sum() / duration_h)
    out["actuator_travel_per_h"] = travel
    out["actuator_travel_pct_per_h"] = None
    if actuator_ranges is not None:
        out["actuator_travel_pct_per_h"] = float(sum(
            100.0 * value / _positive_span(name, actuator_ranges) for name, value in travel.items()))
    return out


def _positive_span(name: str, actuator_ranges: Mapping[str, float]) -> float:
    """The range span of actuator ``name``, checked (ValueError if missing or not positive)."""
    span = actuator_ranges.get(name)
    if span is None or not float(span) > 0.0:
        raise ValueError(f"actuator_ranges[{name!r}] = {span!r}: expected the positive span (max - min) "
                         "of every actuator in the trajectory")
    return float(span)
