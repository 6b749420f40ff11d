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
import json
import os
import sys
import tempfile
from pathlib import Path

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import agents  # noqa: E402
import sim  # noqa: E402,F401  (registers the environments)
from sim import kpis  # noqa: E402


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def plot(df, out: Path, title: str) -> None:
    hours = df["time_s"] / 3600.0
    panels = [("steam_flow_t_h", "steam [t/h]", [("setpoint", df["steam_flow_setpoint_t_h"].iloc[0])]),
              ("furnace_temp_degc", "furnace [degC]", [("850 degC", 850.0)]),
              ("o2_wet_vol_pct", "O2 wet [vol %]", []),
              ("co_mg_nm3", "CO [mg/Nm3]", [("GB 1-h 100", 100.0)]),
              ("nox_mg_nm3", "NOx [mg/Nm3]", [("GB 1-h 300", 300.0), ("EU daily 200", 200.0)])]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 11), sharex=True)
    for ax, (col, label, lines) in zip(axes, panels):
        ax.plot(hours, df[col], lw=0.8)
        for name, value in lines:
            ax.axhline(value, color="r", ls="--", lw=0.8, label=name)
        if lines:
            ax.legend(loc="upper right", fontsize=7)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time [h]")
    fig.suptitle(title)
    fig.tight_layout()
    atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)


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

    env = gym.make("WtE/Incinerator-v0", plant=args.plant, scenario=args.scenario, episode_hours=args.hours)
    controller = agents.make_controller(args.controller, env)
    df = agents.run_episode(env, controller, seed=args.seed, progress=not args.no_progress)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out / "trajectory.parquet", lambda tmp: df.to_parquet(tmp, index=False))
    result = {"scenario": args.scenario, "controller": args.controller, "seed": args.seed,
              "plant": args.plant, "trip": df.attrs["trip"],
              "gb18485": kpis.compute(df, standard="gb18485"), "eu_ied": kpis.compute(df, standard="eu_ied")}
    atomic_write(args.out / "kpis.json", lambda tmp: Path(tmp).write_text(json.dumps(result, indent=2)))
    plot(df, args.out / "trajectory.png", f"{args.scenario} / {args.controller} / seed {args.seed}")
    g = result["gb18485"]
    print(f"{args.controller} on {args.scenario} (seed {args.seed}, {g['duration_h']:.1f} h): "
          f"steam {g['steam_flow_mean_t_h']:.1f} ± {g['steam_flow_std_t_h']:.2f} t/h, "
          f"net {g['net_kwh_per_t']:.0f} kWh/t, 5-min averages below 850 degC: {g['furnace_below_850_5min_count']}, "
          f"GB 1-h exceedances: {sum(v.get('1h', 0) for v in g['exceedances'].values())}, trip: {df.attrs['trip']}")
    print(f"results in {args.out}/ (trajectory.parquet, kpis.json, trajectory.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
