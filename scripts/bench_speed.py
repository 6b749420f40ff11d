"""Speed of the simulator: env steps against CartPole-v1, plant time per wall second, batched
plants and the env's share of PPO training, measured in one run.

    python scripts/bench_speed.py [--steps N] [--repeats R] [--num-envs N] [--batched-steps S]
                                  [--ppo-steps P] [--ppo-envs E] [--json PATH]

Prints a table of the figures :mod:`agents.speed` measures (what each is and how: its
docstring). With ``--json PATH`` the figures are written there atomically
(temp file, then ``os.replace``). Timing never fails: the figures are reported, not judged.
The default run takes about a minute on two cores. JSON shape: ``{"env": {id: {"us_per_step",
"ratio_to_cartpole", "control_interval_s", "steps", "resets"}, ...}, "cartpole_us_per_step",
"plant_advance": {"sim_seconds_per_wall_second", "us_per_advance_10s"}, "batched": {"num_envs",
"plant_seconds_per_s", "plant_seconds_per_cpu_s", "us_per_plant_step", "steps", "trips",
"core_plant_seconds_per_s"},
"ppo": {"steps", "steps_per_s", "env_share", "env_s", "total_s", "torch_threads", "env_id", "batched": {"num_envs",
"steps", "steps_per_s", "env_share", "env_s", "total_s", "speedup"}}, "machine",
"date", "steps", "repeats"}``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

import sim
from agents import speed
from sim.results import write_text


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="timed steps per run (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts (default 3)")
    parser.add_argument("--num-envs", type=int, default=256, help="plants in the batched run (default 256)")
    parser.add_argument("--batched-steps", type=int, default=30, help="timed steps of the batch per run (default 30)")
    parser.add_argument("--ppo-steps", type=int, default=2048, help="PPO training steps (default 2048)")
    parser.add_argument("--ppo-envs", type=int, default=16, help="batched plants of the second PPO run (default 16)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    for name in ("steps", "repeats", "num_envs", "batched_steps", "ppo_steps", "ppo_envs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")

    wte = {env_id: speed.time_env(env_id, args.steps, args.repeats, control_interval_s=speed.CONTROL_INTERVAL_S)
           for env_id in sim.envs.ENV_IDS}
    cart = speed.time_env(speed.CARTPOLE_ID, args.steps, args.repeats)
    adv = speed.time_plant_advance(args.steps, args.repeats)
    batched = speed.time_batched(args.num_envs, args.batched_steps, args.repeats)
    ppo = speed.time_ppo(args.ppo_steps, args.ppo_envs)
    for figures in wte.values():
        figures["ratio_to_cartpole"] = figures["us_per_step"] / cart["us_per_step"]

    rows = [("CartPole-v1 step", f"{cart['us_per_step']:10.1f} us", f"{cart['resets']} resets")]
    for env_id, f in wte.items():
        rows.append((f"{env_id} step (10 s)", f"{f['us_per_step']:10.1f} us",
                     f"ratio to CartPole {f['ratio_to_cartpole']:.1f} x, {f['resets']} resets"))
    rows.append(("Plant.advance(10 s)", f"{adv['us_per_advance_10s']:10.1f} us",
                 f"{adv['sim_seconds_per_wall_second']:,.0f} sim s / wall s"))
    rows.append((f"batched, {batched['num_envs']} plants (one core)", f"{batched['us_per_plant_step']:10.1f} us",
                 f"per plant step of 10 s: {batched['plant_seconds_per_s']:,.0f} plant s / wall s "
                 f"({batched['plant_seconds_per_cpu_s']:,.0f} / CPU s); core alone "
                 f"{batched['core_plant_seconds_per_s']:,.0f}; {batched['trips']} trips"))
    rows.append((f"PPO training, {ppo['steps']} steps, one env", f"{ppo['steps_per_s']:10.0f} /s",
                 f"env share of training time {100 * ppo['env_share']:.1f} %"))
    pb = ppo["batched"]
    rows.append((f"PPO training, {pb['steps']} steps, {pb['num_envs']} batched", f"{pb['steps_per_s']:10.0f} /s",
                 f"env share of training time {100 * pb['env_share']:.1f} %, {pb['speedup']:.2f} x one env"))
    print(f"bench_speed: {args.steps} steps, best of {args.repeats}")
    for name, value, note in rows:
        print(f"  {name:<44} {value:>14}   {note}")

    result = {
        "env": {env_id: {"us_per_step": f["us_per_step"], "ratio_to_cartpole": f["ratio_to_cartpole"],
                         "control_interval_s": speed.CONTROL_INTERVAL_S, "steps": args.steps, "resets": f["resets"]}
                for env_id, f in wte.items()},
        "cartpole_us_per_step": cart["us_per_step"],
        "plant_advance": adv,
        "batched": batched,
        "ppo": ppo,
        "machine": speed.machine(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "steps": args.steps, "repeats": args.repeats,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.json, json.dumps(result, indent=2) + "\n")
        print(f"  written {args.json}")
    return result


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
