"""Speed of the environment step, measured against CartPole-v1 in the same run.

    python scripts/bench_speed.py [--steps N] [--repeats R] [--json PATH]

Prints a table: microseconds per step of every registered ``WtE/*`` environment
(``sim.envs.ENV_IDS``: ``WtE/Incinerator-v0``, ``WtE/IncineratorSupervisory-v0``; 10 s control
interval, created with ``gymnasium.make``, uniform random actions, reset when an episode ends)
and of ``CartPole-v1`` timed by the same loop, each WtE figure's ratio to CartPole, and the
simulated plant seconds per wall second of ``Plant.advance(10)`` at the design commands. Each
figure is the best of ``--repeats`` timed runs after a warm-up (the first plant in a process
compiles numba code). Actions are drawn before the clock starts, so the figures are step (and
reset) time only. With ``--json PATH`` the figures are written there atomically (temp file, then
``os.replace``). Timing never fails: the figures are reported, not judged. JSON shape: ``{"env":
{id: {"us_per_step", "ratio_to_cartpole", "control_interval_s", "steps", "resets"}, ...},
"cartpole_us_per_step", "plant_advance", "machine", "date", "steps", "repeats"}``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import sim

CARTPOLE_ID = "CartPole-v1"
CONTROL_INTERVAL_S = 10.0
WARMUP_STEPS = 200


def time_env(env_id: str, steps: int, repeats: int, seed: int = 0, **kwargs) -> dict:
    """Best-of-``repeats`` microseconds per ``env.step`` (resets included when episodes end)."""
    env = gym.make(env_id, **kwargs)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    env.reset(seed=seed)
    for a in actions[:WARMUP_STEPS]:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    best, resets = float("inf"), 0
    for _ in range(repeats):
        env.reset()
        n_resets = 0
        t0 = time.perf_counter()
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
                n_resets += 1
        elapsed = time.perf_counter() - t0
        if elapsed < best:
            best, resets = elapsed, n_resets
    env.close()
    return {"us_per_step": best / steps * 1e6, "steps": steps, "resets": resets}


def time_plant_advance(advances: int, repeats: int) -> dict:
    """Simulated seconds per wall second of ``plant.advance(10)`` at the design commands.

    Open loop the drum level trips the plant within about an hour, after which a plant stands
    still; chunks that end tripped are discarded and the plant is rebuilt (untimed).
    """
    chunk = 10
    seed = 0
    plant = sim.Plant.from_config(seed=seed)
    plant.advance(CONTROL_INTERVAL_S)  # warm-up
    best = 0.0
    for _ in range(repeats):
        sim_s, wall_s = 0.0, 0.0
        while sim_s < advances * CONTROL_INTERVAL_S:
            if plant.trip is not None:
                seed += 1
                plant = sim.Plant.from_config(seed=seed)
            t0 = time.perf_counter()
            for _ in range(chunk):
                plant.advance(CONTROL_INTERVAL_S)
            elapsed = time.perf_counter() - t0
            if plant.trip is None:
                sim_s += chunk * CONTROL_INTERVAL_S
                wall_s += elapsed
        best = max(best, sim_s / wall_s)
    return {"sim_seconds_per_wall_second": best, "us_per_advance_10s": CONTROL_INTERVAL_S / best * 1e6}


def machine() -> dict:
    return {
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "numpy": np.__version__, "gymnasium": gym.__version__,
    }


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="timed steps per run (default 3000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts (default 3)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.repeats < 1:
        parser.error(f"--steps and --repeats must be >= 1, got {args.steps} and {args.repeats}")

    wte = {env_id: time_env(env_id, args.steps, args.repeats, control_interval_s=CONTROL_INTERVAL_S)
           for env_id in sim.envs.ENV_IDS}
    cart = time_env(CARTPOLE_ID, args.steps, args.repeats)
    adv = time_plant_advance(args.steps, args.repeats)
    for figures in wte.values():
        figures["ratio_to_cartpole"] = figures["us_per_step"] / cart["us_per_step"]

    rows = [("CartPole-v1 step", f"{cart['us_per_step']:10.1f} us", f"{cart['resets']} resets")]
    for env_id, f in wte.items():
        rows.append((f"{env_id} step (10 s)", f"{f['us_per_step']:10.1f} us",
                     f"ratio to CartPole {f['ratio_to_cartpole']:.1f} x, {f['resets']} resets"))
    rows.append(("Plant.advance(10 s)", f"{adv['us_per_advance_10s']:10.1f} us",
                 f"{adv['sim_seconds_per_wall_second']:,.0f} sim s / wall s"))
    print(f"bench_speed: {args.steps} steps, best of {args.repeats}")
    for name, value, note in rows:
        print(f"  {name:<44} {value:>14}   {note}")

    result = {
        "env": {env_id: {"us_per_step": f["us_per_step"], "ratio_to_cartpole": f["ratio_to_cartpole"],
                         "control_interval_s": CONTROL_INTERVAL_S, "steps": args.steps, "resets": f["resets"]}
                for env_id, f in wte.items()},
        "cartpole_us_per_step": cart["us_per_step"],
        "plant_advance": adv,
        "machine": machine(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "steps": args.steps, "repeats": args.repeats,
    }
    if args.json is not None:
        write_json_atomic(args.json, result)
        print(f"  written {args.json}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
