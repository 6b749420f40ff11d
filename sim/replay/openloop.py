"""Open-loop replay: drive the plant with the logged commands and compare its measurements.

At every grid step the plant receives the logged commands (held over the step, as the DCS held
them) and advances one step; its measurements are then compared with the logged ones
(:mod:`~sim.replay.metrics`).

**Segments.** The log is replayed in segments. A new segment starts at a change of any
auto/manual flag (``mode_*``), after a stretch where a driving command or every key measurement
is empty for longer than ``max_gap_s`` (not compared), and after a trip of the simulated plant.
The first segment and those after a gap or a trip are *re-initialised*: started from the plant's
design state and warmed up with the segment's first commands *and the level loop on the logged
level*, so each starts at the log's operating point (the bed on the grate takes about a
residence time to settle): the first segment for ``warmup_s`` (default 0: a log taken to start
at the design steady state; give about an hour for a window cut from a longer log), later ones
for ``rewarm_s`` (default :data:`SEGMENT_WARMUP_S`). What a warm-up cannot set is the waste
already in the hopper (about two hours of feed): it is the scenario's. A
segment after a mode change continues from the simulated state, which is the best estimate of the
plant's there; it is scored on its own (``fit_pct`` per segment). A segment that trips within
:data:`MIN_SEGMENT_S` skips :data:`RESTART_SKIP_S` before the next start. ``share_compared_pct`` is the share of the log's grid points with a key measurement that
were compared; ``segments`` lists every segment with its reason and trip. A scenario's schedule
(slugs of a ``from_log`` scenario) runs on the plant's clock, which restarts with each segment.

**What the log lacks** is said in ``result.notes`` and ``result.held``:

- a command the log does not carry, or carries on less than
  :data:`~sim.replay.log.MIN_COVERAGE` of the grid, stays at the plant's design value (*invented*);
  every measurement that depends on it (:data:`DRIVEN_BY`) is **not judged** and listed in
  ``not_judged`` with the reason (``"needs urea_kg_h (not in the log: held at design)"``);
- a command missing inside the log holds its last value (*held*); ``held`` gives the share and
  the local time spans, and the plot shades them;
- commands outside the plant's actuator bounds are clipped (counted);
- the **feedwater** is by default *not* replayed: the drum level integrates any small
  steam/feedwater imbalance, so a replayed feedwater drifts the level into a trip within an hour.
  A three-element level loop (:class:`sim.envs.base_layer.DrumLevelLoop`) makes the simulated level follow
  the logged one instead (``level_loop=False`` replays the logged feedwater);
- the waste the plant burns comes from ``scenario``: by default the design scenario with its
  random variation switched off (the expected waste); ``scenario="from_log:DIR"`` burns the waste
  estimated from the log (:mod:`~sim.replay.estimate`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.envs.base_layer import DrumLevelLoop
from sim.config import load_plant, load_scenario
from sim.plant import Plant
from sim.units import ACTUATORS, MEASUREMENTS

from .clean import local_time
from .log import MIN_COVERAGE, PlantLog
from .metrics import compare
from .params import overrides
from .plots import spans

#: The expected waste: the design scenario without random variation.
EXPECTED_WASTE = {"waste": {"moisture_grab_std_pct": 0.0, "ash_grab_std_pct": 0.0, "mixing_noise_std_pct": 0.0,
                            "moisture_wave_amplitude_pct": 0.0}}
#: Channels the calibration and the headline comparison look at.
KEY_CHANNELS = ("steam_flow_t_h", "o2_wet_vol_pct", "furnace_temp_degc")
#: Commands a measurement cannot be judged without (beyond the feed, which drives everything).
_AIR = ("primary_air_nm3_h", "secondary_air_nm3_h")
DRIVEN_BY: dict[str, tuple[str, ...]] = {
    **{m: ("feed_rate_t_h",) for m in MEASUREMENTS},
    **{m: ("feed_rate_t_h", *_AIR) for m in ("o2_wet_vol_pct", "furnace_temp_degc", "co_mg_nm3", "flue_gas_flow_nm3_h",
                                             "boiler_exit_temp_degc", "dust_mg_nm3")},
    "nox_mg_nm3": ("feed_rate_t_h", *_AIR, "urea_kg_h"), "nh3_mg_nm3": ("feed_rate_t_h", *_AIR, "urea_kg_h"),
    "so2_mg_nm3": ("feed_rate_t_h", *_AIR, "lime_kg_h"), "hcl_mg_nm3": ("feed_rate_t_h", *_AIR, "lime_kg_h"),
}
#: Default warm-up of a re-initialised segment, at its first commands with the level loop: about
#: one residence of the waste on the grate (design 60 min), so that the bed has settled [s].
SEGMENT_WARMUP_S = 3600.0
#: Shortest segment compared; a segment tripping sooner skips RESTART_SKIP_S [s].
MIN_SEGMENT_S, RESTART_SKIP_S = 300.0, 600.0


@dataclass
class OpenLoopResult:
    """Simulated measurements on the log's grid, their agreement, and what could not be done.

    ``trip``: the first trip of the simulated plant (None without); ``segments``: one dict per
    segment (``start_s``, ``end_s``, ``start_local``, ``reason``, ``trip``); ``held``: per command
    held or invented, its share of the log and local time spans; ``not_judged``: measurement ->
    reason."""

    simulated: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    notes: list[str] = field(default_factory=list)
    trip: str | None = None
    segments: list[dict] = field(default_factory=list)
    share_compared_pct: float = float("nan")
    held: dict[str, dict] = field(default_factory=dict)
    not_judged: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        return {"metrics": self.metrics, "notes": self.notes, "trip": self.trip, "segments": self.segments,
                "share_compared_pct": self.share_compared_pct, "held": self.held, "not_judged": self.not_judged,
                "trips": [sg["trip"] for sg in self.segments if sg["trip"]]}

    def held_spans(self) -> list[tuple[float, float, str]]:
        """(start_s, end_s, label) spans where some command was held or invented (for plots)."""
        return [(a, b, "inputs held") for h in self.held.values() for a, b in h["spans_s"]]


def build_plant(plant="reference_750tpd", scenario=None, parameters: dict | None = None, seed: int = 0):
    """A plant for replay with calibration ``parameters`` applied; returns (plant, command gains)."""
    base_scenario = load_scenario("steady_design", EXPECTED_WASTE) if scenario is None else load_scenario(scenario)
    plant_over, scen_over, gains = overrides(parameters or {}, base_scenario)
    cfg = load_plant(plant)
    if plant_over:  # overrides apply to data, not to a built config object
        cfg = load_plant(cfg.model_dump(mode="json"), plant_over)
    scen = load_scenario(base_scenario.model_dump(mode="json"), scen_over) if scen_over else base_scenario
    return Plant(cfg, scen, seed), gains


def command_matrix(log: PlantLog, plant: Plant, gains: dict[str, float], notes: list[str],
                   held: dict[str, dict] | None = None) -> np.ndarray:
    """Logged commands x their gains as an array (grid x ACTUATORS), gaps held, absent ones at
    design, clipped to the actuator bounds. ``held`` (if given) receives, per command held or
    invented: ``how`` (``design``: not in the log; ``held``: gaps held), ``share_pct``,
    ``spans_s`` and ``spans_local`` (up to 20)."""
    lower, upper = plant.actuator_bounds
    u = np.empty((len(log.data), len(ACTUATORS)))
    times = log.data.index.to_numpy(float)
    held = {} if held is None else held
    for i, a in enumerate(ACTUATORS):
        if a not in log.data:
            u[:, i] = plant.design_actuators[a]
            notes.append(f"command {a} not in the log: held at the design value {plant.design_actuators[a]:.4g}")
            held[a] = _held("design", np.ones(len(times), bool), times, log)
            continue
        empty = log.data[a].isna().to_numpy()
        col = log.data[a].ffill().fillna(plant.design_actuators[a]).to_numpy(float)
        n_gap = int(empty.sum())
        if n_gap:
            held[a] = _held("held" if empty.mean() < 1.0 - MIN_COVERAGE else "design", empty, times, log)
            first = spans(empty, times)[0]
            notes.append(f"command {a}: {n_gap} empty grid points ({100.0 * empty.mean():.1f} % of the log, first from "
                         f"{local_time(log.start_utc.value + int(first[0] * 1e9), log.timezone)[:19]}) held at the "
                         "last logged value")
        col = col * gains.get(a, 1.0)
        clipped = int(((col < lower[i]) | (col > upper[i])).sum())
        if clipped:
            notes.append(f"command {a}: {clipped} values outside [{lower[i]:g}, {upper[i]:g}] clipped")
        u[:, i] = np.clip(col, lower[i], upper[i])
    return u


def _held(how: str, mask: np.ndarray, times: np.ndarray, log: PlantLog) -> dict:
    sp = spans(mask, times)
    start = log.start_utc.value
    return {"how": how, "share_pct": float(100.0 * mask.mean()), "spans_s": sp[:20],
            "spans_local": [(local_time(start + int(a * 1e9), log.timezone)[:19],
                             local_time(start + int(b * 1e9), log.timezone)[:19]) for a, b in sp[:20]]}


def segment_starts(log: PlantLog, max_gap_s: float | None = None) -> tuple[list[tuple[int, int, str]], np.ndarray]:
    """Planned segments [(first index, last index, reason)] and the mask of grid points left out
    (gaps longer than ``max_gap_s`` in a driving command or in every key measurement)."""
    n = len(log.data)
    gap_s = log.tagmap.max_gap_s if max_gap_s is None else max_gap_s
    drivers = [a for a in ("feed_rate_t_h", *_AIR) if a in log.data]
    keys = [c for c in KEY_CHANNELS if c in log.data] or log.measurements
    empty = np.zeros(n, bool)
    for a in drivers:
        empty |= log.data[a].isna().to_numpy()
    if keys:
        empty |= log.data[keys].isna().all(axis=1).to_numpy()
    k_gap = max(int(round(gap_s / log.step_s)), 1)
    out = np.zeros(n, bool)
    for a, b in spans(empty, np.arange(n)):
        if b - a + 1 > k_gap:
            out[int(a):int(b) + 1] = True
    change = np.zeros(n, bool)
    for mode in log.modes:
        flag = log.data[mode].ffill().to_numpy(float)
        change[1:] |= np.isfinite(flag[1:]) & np.isfinite(flag[:-1]) & (flag[1:] != flag[:-1])
    plan, start, reason = [], None, "start of the log"
    for k in range(n):
        if out[k]:
            if start is not None:
                plan.append((start, k - 1, reason))
                start = None
            reason = "after a gap"
            continue
        if start is None:
            start = k
        elif change[k]:
            plan.append((start, k - 1, reason))
            start, reason = k, "mode change"
    if start is not None:
        plan.append((start, n - 1, reason))
    return plan, out


def not_judged(log: PlantLog, held: dict[str, dict], level_loop: bool) -> dict[str, str]:
    """Measurements of the log that cannot be scored, with the reason (see the module docstring)."""
    out = {}
    for c in log.measurements:
        if level_loop and c == "drum_level_mm":
            out[c] = "the level loop makes it follow the log (feedwater not replayed)"
            continue
        lacking = [a for a in DRIVEN_BY.get(c, ()) if held.get(a, {}).get("how") == "design"]
        if lacking:
            out[c] = "needs " + ", ".join(
                f"{a} ({'not in the log' if a not in log.data else 'missing on ' + format(held[a]['share_pct'], '.0f') + ' % of the log'}:"
                " held at design)" for a in lacking)
    return out


def replay(log: PlantLog, plant="reference_750tpd", scenario=None, parameters: dict | None = None, seed: int = 0,
           level_loop: bool = True, warmup_s: float = 0.0, progress: bool = False,
           rewarm_s: float = SEGMENT_WARMUP_S) -> OpenLoopResult:
    """Open-loop replay of ``log`` in segments (see the module docstring)."""
    p, gains = build_plant(plant, scenario, parameters, seed)
    design = p.snapshot()
    notes: list[str] = []
    held: dict[str, dict] = {}
    u = command_matrix(log, p, gains, notes, held)
    fw = ACTUATORS.index("feedwater_t_h")
    if level_loop:
        notes.append("feedwater by the three-element level loop on the logged level (drum level not scored)")
    logged_level = log.data["drum_level_mm"].ffill().bfill().fillna(0.0).to_numpy() if "drum_level_mm" in log.data else None
    if logged_level is None:
        logged_level = np.zeros(len(log.data))
        notes.append("drum level not in the log: the level loop holds the normal level")
    step = log.step_s
    plan, left_out = segment_starts(log)
    sim = np.full((len(log.data), len(MEASUREMENTS)), np.nan)
    segments: list[dict] = []
    bar = tqdm(total=len(log.data), desc="open-loop", unit="step", disable=not progress, leave=False)
    queue = list(plan)
    loop = None
    while queue:
        k0, k1, reason = queue.pop(0)
        if reason != "mode change" or p.trip is not None:
            p.restore(design)
            loop = DrumLevelLoop(p.design_actuators["feedwater_t_h"] - p.design_steam_t_h, p.actuator_bounds[1][fw])
            _warm_up(p, u[k0], loop if level_loop else None, logged_level[k0], rewarm_s if segments else warmup_s, step)
        k_trip = _run(p, u, k0, k1, loop if level_loop else None, logged_level, sim, step, bar)
        k_end = k_trip if k_trip is not None else k1
        fits = {c: compare(log.data[c].to_numpy()[k0:k_end + 1], sim[k0:k_end + 1, MEASUREMENTS.index(c)], step)["fit_pct"]
                for c in KEY_CHANNELS if c in log.data}
        segments.append({"start_s": float(log.data.index[k0]), "end_s": float(log.data.index[k_end]),
                         "start_local": str(log.local_index[k0]), "reason": reason, "trip": p.trip,
                         "reinitialised": reason != "mode change", "fit_pct": fits})
        if k_trip is not None:
            t_trip = float(log.data.index[k_trip])
            notes.append(f"the simulated plant tripped at {t_trip:.0f} s of the log ({p.trip}); re-initialised")
            k_next = k_trip + 1
            if t_trip - float(log.data.index[k0]) < MIN_SEGMENT_S:
                k_next = k_trip + max(int(round(RESTART_SKIP_S / step)), 1)
            if k_next <= k1:
                queue.insert(0, (k_next, k1, "after a trip"))
    bar.close()
    simulated = pd.DataFrame(sim, columns=list(MEASUREMENTS), index=log.data.index)
    judged_out = not_judged(log, held, level_loop)
    metrics = {c: compare(log.data[c].to_numpy(), simulated[c].to_numpy(), step)
               for c in log.measurements if c not in judged_out}
    for c, why in judged_out.items():
        notes.append(f"{c} not judged: {why}")
    absent = [c for c in MEASUREMENTS if c not in log.data]
    if absent:
        notes.append(f"not in the log, not compared: {', '.join(absent)}")
    keys = [c for c in KEY_CHANNELS if c in log.data] or log.measurements
    has_key = log.data[keys].notna().any(axis=1).to_numpy() if keys else np.zeros(len(log.data), bool)
    compared = has_key & np.isfinite(sim[:, MEASUREMENTS.index(keys[0])]) if keys else has_key
    share = float(100.0 * compared.sum() / max(has_key.sum(), 1))
    if left_out.any():
        notes.append(f"{int(left_out.sum())} grid points in long gaps not replayed")
    first_trip = next((sg["trip"] for sg in segments if sg["trip"]), None)
    return OpenLoopResult(simulated=simulated, metrics=metrics, notes=notes, trip=first_trip, segments=segments,
                          share_compared_pct=share, held=held, not_judged=judged_out)


def _warm_up(p: Plant, u0: np.ndarray, loop, level_mm: float, seconds: float, step: float) -> None:
    """Hold the commands ``u0`` for ``seconds`` (feedwater by ``loop`` on the level ``level_mm``)."""
    u0 = u0.copy()
    fw = ACTUATORS.index("feedwater_t_h")
    for _ in range(int(round(seconds / step))):
        if loop is not None:
            m = p.measurements
            u0[fw] = loop.feedwater_t_h({"drum_level_mm": m["drum_level_mm"] - level_mm,
                                         "steam_flow_t_h": m["steam_flow_t_h"]}, step)
        p.set_actuator_array(u0)
        p.advance(step)
        if p.trip is not None:
            return


def _run(p: Plant, u: np.ndarray, k0: int, k1: int, loop, logged_level: np.ndarray, sim: np.ndarray,
         step: float, bar) -> int | None:
    """Replay grid points k0..k1 into ``sim``; the index at which the plant tripped, or None."""
    fw = ACTUATORS.index("feedwater_t_h")
    if p.trip is not None:
        return k0
    m = p.measurements
    sim[k0] = [m[c] for c in MEASUREMENTS]
    for k in range(k0, k1):
        uk = u[k].copy()
        if loop is not None:
            uk[fw] = loop.feedwater_t_h({"drum_level_mm": m["drum_level_mm"] - logged_level[k],
                                         "steam_flow_t_h": m["steam_flow_t_h"]}, step)
        p.set_actuator_array(uk)
        p.advance(step)
        bar.update()
        if p.trip is not None:
            return k + 1
        m = p.measurements
        sim[k + 1] = [m[c] for c in MEASUREMENTS]
    return None
