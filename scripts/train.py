"""Train a learned controller with Stable-Baselines3.

    python scripts/train.py --config configs/agents/ppo_supervisory.yaml --out runs/NAME [KEY=VALUE ...]
    python scripts/train.py --resume runs/NAME [total_timesteps=N ...]

Overrides ``KEY.PATH=VALUE`` (e.g. ``algo.learning_rate=1e-4 total_timesteps=500000
env.scenarios=[steady_design]``) are YAML values merged into the config before it is validated;
an unknown key is an error naming it. ``--resume`` continues the run in that folder from its
latest checkpoint with its saved ``config.yaml`` (plus the overrides, typically a larger
``total_timesteps``). The run folder's contents are listed in :mod:`agents.training`; watch a
run with ``tensorboard --logdir runs/`` or ``runs/NAME/evaluations.csv``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agents.train_config import ConfigError, load_config


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--config", type=Path, help="training config (YAML, see configs/agents/)")
    group.add_argument("--resume", type=Path, metavar="RUN", help="continue the run in this folder")
    ap.add_argument("--out", type=Path, help="run folder (new; required with --config)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = ap.parse_args(argv)
    if args.config is not None and args.out is None:
        ap.error("--out is required with --config")
    if args.resume is not None and args.out is not None:
        ap.error("--resume writes into the run folder it continues; drop --out")
    overrides = list(args.overrides) + (["progress_bar=false"] if args.no_progress else [])
    try:
        cfg = load_config(args.config or args.resume / "config.yaml", overrides)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    from agents.training import train  # heavy imports (torch) only after the config is valid

    try:
        out = train(cfg, args.resume or args.out, resume=args.resume is not None)
    except (ConfigError, FileExistsError) as err:  # the run folder, a resume or init_from does not fit
        print(err, file=sys.stderr)
        return 2
    print(json.dumps(json.loads((out / "throughput.json").read_text()), indent=1))
    print(f"run folder: {out}/ (model.zip, best_model.zip, evaluations.csv, training_curve.png, logs/)")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
