"""Run one scenario with one controller and write its results folder.

    python scripts/run_scenario.py --scenario steady_design --controller rule_based \
        [--seed N] [--hours H] [--plant NAME] --out DIR

Writes DIR/trajectory.parquet (time_s and every canonical channel), DIR/kpis.json
(sim.kpis.compute on the GB 18485 and EU IED windows) and DIR/trajectory.png (steam,
furnace temperature, O2, CO and NOx with their limits). Files are written to a temporary name
and renamed, so a folder never holds a half-written result.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gymnasium as gym

import agents
import sim  # noqa: F401  (registers the environments)
from sim import kpis
from sim.results import plot_trajectories, write_json, write_parquet


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="steady_design")
    ap.add_argument("--controller", default="rule_based", help=f"one of {sorted(agents.CONTROLLERS)}")
    ap.add_argument("--plant", default="reference_750tpd")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hours", type=float, default=None, help="episode length (default: the scenario's)")
    ap.add_argument("--out", required=True, type=Path, help="results folder (created)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        ap.error(f"--out {args.out}: is a file; expected a results folder (created if missing)")

    env = gym.make("WtE/Incinerator-v0", plant=args.plant, scenario=args.scenario, episode_hours=args.hours)
    controller = agents.make_controller(args.controller, env)
    df = agents.run_episode(env, controller, seed=args.seed, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    write_parquet(args.out / "trajectory.parquet", df)
    result = {"scenario": args.scenario, "controller": args.controller, "seed": args.seed,
              "plant": args.plant, "trip": df.attrs["trip"],
              "gb18485": kpis.compute(df, standard="gb18485"), "eu_ied": kpis.compute(df, standard="eu_ied")}
    write_json(args.out / "kpis.json", result)
    plot_trajectories({args.controller: df}, args.out / "trajectory.png",
                      f"{args.scenario} / {args.controller} / seed {args.seed}")
    g = result["gb18485"]
    print(f"{args.controller} on {args.scenario} (seed {args.seed}, {g['duration_h']:.1f} h): "
          f"steam {g['steam_flow_mean_t_h']:.1f} ± {g['steam_flow_std_t_h']:.2f} t/h, "
          f"net {g['net_kwh_per_t']:.0f} kWh/t, 5-min averages below 850 degC: {g['furnace_below_850_5min_count']}, "
          f"GB 1-h exceedances: {sum(v.get('1h', 0) for v in g['exceedances'].values())}, trip: {df.attrs['trip']}")
    print(f"results in {args.out}/ (trajectory.parquet, kpis.json, trajectory.png)")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
