"""Replay a plant's historian log against the simulator.

    python scripts/replay.py validate  --log PATH --tags configs/tags/NAME.yaml --out DIR
    python scripts/replay.py open-loop --log PATH --tags ... --out DIR [--scenario from_log:DIR] [--calibration DIR]
    python scripts/replay.py estimate  --log PATH --tags ... --out DIR
    python scripts/replay.py shadow    --log PATH --tags ... --out DIR --controller rule_based
    python scripts/replay.py calibrate --log PATH --tags ... --out DIR [--params a,b] [--max-evals N]
    python scripts/replay.py export    --log PATH --tags ... --out DIR [--simulate N --controller NAME --hours H]
    python scripts/replay.py fingerprint --log PATH --tags ... --out DIR [--scenario ...]
    python scripts/replay.py identify  --log PATH --tags ... --out DIR [--mode mode_acc_auto]
    python scripts/replay.py synthetic --out DIR [--hours 2 --seed 0 --layout wide]   # a test log
    python scripts/replay.py synthetic --out DIR --style line [--hours 40 --formats csv.gz,xlsx --clean]

Every command loads and checks the log first and writes ``DIR/data_quality.json`` (every issue
with tag, row, value and what was done) and ``DIR/data_availability.png``; ``--start``/``--end``
(hours since the log's start, or local times such as "2026-03-14 08:00") cut the window every
command works on (validate reports on the whole export, plots the window); then its own
``DIR/<command>.json`` (the figures) and ``DIR/<command>.png``, and:
open-loop ``simulated.parquet``; fingerprint ``fingerprint.txt`` (the table: log beside the
open-loop simulation of it) and ``fingerprint.png`` (spectra); identify ``identify.png`` (the feed -> steam and secondary air -> O2 step
responses of the manual stretches, with 95 % bands, beside the simulator's); estimate ``waste_estimate.csv`` and ``scenario.yaml`` (use it as
``scenario=from_log:DIR``); shadow ``proposed.parquet``; calibrate ``calibrated_plant.yaml`` and
``calibrated_scenario.yaml`` (also as ``scenario.yaml``: ``--scenario from_log:DIR``); export ``dataset.npz``, ``dataset.json`` (and ``minari/``). All
files are written to a temporary name and renamed. ``--plant`` takes a config name or YAML (e.g.
a ``calibrated_plant.yaml``).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import pandas as pd

import agents
import sim  # noqa: F401  (registers the environments)
from sim.config import ConfigError
from sim.replay import DataQualityWarning, load_log, synthetic, synthetic_line
from sim.replay.quality import LogError
from sim.replay.calibrate import DEFAULT_PARAMETERS, calibrate
from sim.replay.estimate import ObservabilityWarning, estimate, write_scenario
from sim.replay.fingerprint import CHANNELS as FINGERPRINT_CHANNELS
from sim.replay.fingerprint import fingerprint, table
from sim.replay.identify import identify
from sim.replay.export import episode_from_env, episode_from_log, write_dataset
from sim.replay.openloop import KEY_CHANNELS, replay
from sim.replay.plots import plot_availability, plot_panels, plot_spectra
from sim.replay.shadow import shadow
from sim.results import atomic_write, write_json, write_parquet, write_text

COMMANDS = ("validate", "open-loop", "fingerprint", "identify", "estimate", "shadow", "calibrate", "export", "synthetic")


def jsonable(obj):
    """Plain JSON data: NaN/inf -> None, numpy scalars -> floats."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "item"):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def compare_panels(log, other: pd.DataFrame, channels, label: str, extra: dict | None = None):
    return [(c, {"log": log.data[c], label: other[c], **({k: v[c] for k, v in (extra or {}).items()})})
            for c in channels]


def run(args) -> dict:
    out = args.out
    if args.command == "synthetic":
        out.mkdir(parents=True, exist_ok=True)
        operator = lambda env: agents.make_controller(args.controller or "manual", env)  # noqa: E731
        if args.style == "line":
            paths = synthetic_line.generate_line(out, operator, hours=args.hours, seed=args.seed,
                                                 defects=not args.clean, formats=tuple(args.formats.split(",")))
            result = {"log": {k: str(v) for k, v in paths.items()}, "tags": str(out / "tags.yaml"),
                      "truth": str(out / "truth.json")}
        else:
            path = synthetic.generate(out, operator, hours=args.hours, seed=args.seed, layout=args.layout)
            result = {"log": str(path), "tags": "configs/tags/synthetic_dcs.yaml", "truth": str(out / "truth.json")}
        write_json(out / "synthetic.json", result)
        return result
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        log = load_log(args.log, args.tags, step_s=args.step)
    out.mkdir(parents=True, exist_ok=True)  # only once the log has loaded: a bad log leaves no folder
    print(f"{args.log}: {len(log.data)} grid points of {log.step_s:g} s, {len(log.report.issues)} data-quality "
          f"findings ({len(caught)} warnings), channels {len(log.data.columns)}", file=sys.stderr)
    write_text(out / "data_quality.json", log.report.to_json() + "\n")
    plot_availability(log, out / "data_availability.png")
    full, log = log, log.window(args.start, args.end)
    name = args.command.replace("-", "_")
    result = {"log": str(args.log), "tags": str(args.tags), "start": str(log.local_index[0]),
              "end": str(log.local_index[-1]), "timezone": log.timezone, "step_s": log.step_s,
              "duration_h": log.duration_s / 3600.0, "missing": log.missing}
    if args.command == "validate":
        result.update(log.report.to_dict())
        result.pop("issues")
        result["issues"] = [str(i) for i in log.report.issues]
        panels = [(c, {"log": log.data[c]}) for c in log.data.columns]
        result["plotted"] = plot_panels(panels, out / f"{name}.png", f"Cleaned log {Path(args.log).name}")
    elif args.command == "open-loop":
        parameters = None
        if args.calibration:
            done = json.loads((args.calibration / "calibrate.json").read_text())
            parameters = {**done.get("parameters_fixed", {}), **done["parameters_after"]}
            result["calibration"] = parameters
        r = replay(log, args.plant, args.scenario, parameters, level_loop=not args.replay_feedwater,
                   warmup_s=args.warmup_s, progress=True)
        write_parquet(out / "simulated.parquet", r.simulated.reset_index())
        result.update(r.summary())
        chans = [c for c in KEY_CHANNELS if c in r.metrics] + [c for c in r.metrics if c not in KEY_CHANNELS]
        held_cmds = [a for a in r.held if a in log.data]
        panels = compare_panels(log, r.simulated, chans, "simulated") + [(a, {"log": log.data[a]}) for a in held_cmds]
        gaps = [(a["end_s"], b["start_s"], "not compared") for a, b in zip(r.segments, r.segments[1:])
                if b["start_s"] - a["end_s"] > log.step_s]
        plot_panels(panels, out / f"{name}.png",
                    f"Open-loop replay of {Path(args.log).name}: {r.share_compared_pct:.0f} % compared in "
                    f"{len(r.segments)} segments; not judged: {', '.join(r.not_judged) or 'none'}",
                    shade={label: r.held_spans() + gaps for label, _ in panels})
    elif args.command == "fingerprint":
        r = replay(log, args.plant, args.scenario, level_loop=not args.replay_feedwater, progress=True)
        mode = log.modes[0] if log.modes else None
        simulated = r.simulated.join(log.data[[c for c in (*log.commands, *log.modes) if c not in r.simulated]])
        prints = {"log": fingerprint(log.data, mode), "simulated": fingerprint(simulated, mode)}
        result.update(mode=mode, fingerprint=prints, simulation_notes=r.notes)
        write_text(out / "fingerprint.txt", "\n\n".join(f"[{m}]\n" + table(prints, m) for m in prints["log"]) + "\n")
        plot_spectra({c: {"log": log.data[c], "simulated": simulated[c]} for c in FINGERPRINT_CHANNELS
                      if c in log.data and c in simulated and log.data[c].notna().sum() > 10},
                     out / f"{name}.png", f"Spectra of 1-min means: {Path(args.log).name} beside its open-loop simulation")
    elif args.command == "identify":
        mode = args.mode if args.mode is not None else (log.modes[0] if log.modes else None)
        found = identify(log.data, log.step_s, mode or None, args.plant)
        result.update(mode=mode, responses=found["pairs"])
        panels = []
        for pair, (lag, step, band, simulated) in found["responses"].items():
            index = pd.Index(lag, name="lag_s")
            panels.append((pair, {"log": pd.Series(step, index), "log - 95 %": pd.Series(step - band, index),
                                  "log + 95 %": pd.Series(step + band, index),
                                  "simulated": pd.Series(simulated, index)}))
        if panels:
            plot_panels(panels, out / f"{name}.png",
                        f"Step responses (x: lag) from {Path(args.log).name} "
                        f"({f'{mode} = 0' if mode else 'all samples, closed loop: biased'}) beside the simulator's")
    elif args.command == "estimate":
        with warnings.catch_warnings(record=True) as unobservable:
            warnings.simplefilter("always", ObservabilityWarning)
            e = estimate(log, args.plant)
        for w in unobservable:
            print(f"replay.py estimate: warning: {w.message}", file=sys.stderr)
        result["observable"] = not unobservable
        atomic_write(out / "waste_estimate.csv", lambda tmp: e.data.to_csv(tmp))
        scenario = write_scenario(e, out, args.plant, source=str(args.log))
        result.update(notes=e.notes, scenario=f"from_log:{out}", scenario_yaml=str(scenario),
                      mean_lhv_mj_kg=float(e.data["waste_lhv_mj_kg"].mean()),
                      mean_moisture_pct=float(e.data["waste_moisture_pct"].mean()))
        plot_panels([("LHV [MJ/kg]", {c: e.data[c] for c in e.data if "lhv" in c}),
                     ("moisture [wt %]", {c: e.data[c] for c in e.data if "moisture" in c})],
                    out / f"{name}.png", f"Waste estimated from {Path(args.log).name}")
    elif args.command == "shadow":
        controller = args.controller or "rule_based"
        r = shadow(log, lambda env: agents.make_controller(controller, env), args.plant, progress=True)
        write_parquet(out / "proposed.parquet", r.proposed.reset_index())
        result.update(r.summary())
        plot_panels(compare_panels(log, r.proposed, list(r.metrics), controller), out / f"{name}.png",
                    f"Shadow mode: {controller} on {Path(args.log).name}")
    elif args.command == "calibrate":
        names = args.params.split(",") if args.params else DEFAULT_PARAMETERS
        holdout = full.window(args.holdout_start, args.holdout_end) if args.holdout_start or args.holdout_end else None
        r = calibrate(log, names, args.plant, args.scenario, max_evaluations=args.max_evals, progress=True,
                      holdout=holdout, warmup_s=args.warmup_s, fixed=_fixed(args.fixed))
        write_text(out / "calibrated_plant.yaml", r.plant_yaml)
        write_text(out / "calibrated_scenario.yaml", r.scenario_yaml)
        write_text(out / "scenario.yaml", r.scenario_yaml)   # --scenario from_log:DIR
        result.update(r.summary(), parameters_fixed=_fixed(args.fixed))
        plot_panels(compare_panels(log, r.replay_before.simulated, list(r.metrics_after), "before",
                                   {"calibrated": r.replay_after.simulated}),
                    out / f"{name}.png", f"Calibration on {Path(args.log).name}")
    elif args.command == "export":
        episodes = [episode_from_log(log, args.plant)]
        if args.simulate:
            env = gym.make("WtE/Incinerator-v0", plant=args.plant, scenario=args.scenario or "steady_design",
                           control_interval_s=log.step_s, episode_hours=args.hours)
            controller = agents.make_controller(args.controller or "rule_based", env)
            episodes += [episode_from_env(env, controller, seed) for seed in range(args.seed, args.seed + args.simulate)]
        meta = write_dataset(episodes, out, args.name, log.step_s, args.plant, minari_format=not args.no_minari)
        result.update(dataset=meta)
        plot_panels([("reward per step", {e.source[:40]: pd.Series(e.rewards, index=log.step_s * pd.RangeIndex(len(e.rewards)))
                                          for e in episodes})], out / f"{name}.png", f"Dataset {args.name}")
    write_json(out / f"{name}.json", jsonable(result))
    return result


def _fixed(text: str | None) -> dict[str, float]:
    """``--fixed name=value,...`` as a dict (LogError naming the item that is not name=number)."""
    out = {}
    for item in filter(None, (text or "").split(",")):
        name, _, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise LogError(f"--fixed {item!r}: expected name=number, e.g. moisture_bias_pct=2.5") from None
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=COMMANDS)
    p.add_argument("--log", type=Path, help="historian export: CSV/Parquet file or folder of one file per tag")
    p.add_argument("--tags", type=str, help="tag map: configs/tags/NAME.yaml or a name")
    p.add_argument("--out", type=Path, required=True, help="results folder")
    p.add_argument("--step", type=float, default=None, help="grid step [s] (default: the tag map's step_s)")
    p.add_argument("--start", default=None, help="window start: hours since the log's start or a local time")
    p.add_argument("--end", default=None, help="window end: hours since the log's start or a local time")
    p.add_argument("--plant", default="reference_750tpd", help="plant config name or YAML")
    p.add_argument("--scenario", default=None, help="scenario for the waste (e.g. from_log:DIR); default: expected waste")
    p.add_argument("--replay-feedwater", action="store_true", help="open-loop: replay the logged feedwater too")
    p.add_argument("--warmup-s", type=float, default=0.0,
                   help="open-loop/calibrate: warm the first segment up this long on its first commands, with the "
                        "level loop (later segments: an hour)")
    p.add_argument("--calibration", type=Path, default=None,
                   help="open-loop: apply the parameters of a calibrate --out DIR (plant, waste and air correction)")
    p.add_argument("--mode", default=None,
                   help="identify: mode flag whose manual stretches (0) are used (default: the log's first; '' for all)")
    p.add_argument("--controller", default=None, help="shadow/export/synthetic: controller name or sb3:PATH.zip")
    p.add_argument("--params", default=None, help=f"calibrate: comma-separated (default {','.join(DEFAULT_PARAMETERS)})")
    p.add_argument("--max-evals", type=int, default=60, help="calibrate: simulation budget (hard: every run counts)")
    p.add_argument("--fixed", default=None, help="calibrate: known parameters, name=value,... (e.g. moisture_bias_pct=2.5)")
    p.add_argument("--holdout-start", default=None, help="calibrate: start of a window to check the fit on")
    p.add_argument("--holdout-end", default=None, help="calibrate: end of that window")
    p.add_argument("--name", default="plant_log", help="export: dataset name")
    p.add_argument("--simulate", type=int, default=0, help="export: also N simulated episodes")
    p.add_argument("--hours", type=float, default=2.0, help="export/synthetic: episode length [h]")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layout", default="wide", choices=("wide", "long", "folder"), help="synthetic: export layout")
    p.add_argument("--style", default="dcs", choices=("dcs", "line"),
                   help="synthetic: dcs (every channel, sim/replay/synthetic.py) or line (real-style export)")
    p.add_argument("--formats", default="csv.gz", help="synthetic --style line: comma-separated csv.gz,xlsx,csv")
    p.add_argument("--clean", action="store_true", help="synthetic --style line: without the export defects")
    p.add_argument("--no-minari", action="store_true", help="export: npz only")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.command != "synthetic" and (args.log is None or args.tags is None):
        p.error(f"{args.command} needs --log PATH and --tags configs/tags/NAME.yaml")
    try:
        run(args)
    except (LogError, ConfigError) as err:  # bad input: the message names it, no traceback
        print(f"replay.py {args.command}: error: {err}", file=sys.stderr)
        return 2
    print(f"results in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
