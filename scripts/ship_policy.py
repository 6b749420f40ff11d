"""Ship a trained, evaluated policy as the controller ``learned``.

    python scripts/ship_policy.py runs/NAME [--to agents/policies/learned]

Copies the model that ``scripts/evaluate.py runs/NAME`` evaluated, its policy card, the run's
config, training curve, evaluations and acceptance figures and a README written from them into
the destination (what ``agents.learned`` loads); the contents and the guarantees (shipped
whether or not it passed, swapped in by renames) are in :mod:`agents.shipping`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agents.shipping import DEFAULT_DEST, ROOT, ship


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("run", type=Path, help="run folder written by scripts/train.py and evaluated by scripts/evaluate.py")
    ap.add_argument("--to", type=Path, default=DEFAULT_DEST, help=f"destination (default {DEFAULT_DEST.relative_to(ROOT)})")
    args = ap.parse_args(argv)
    try:
        dest = ship(args.run, args.to)
    except (FileNotFoundError, ValueError) as err:
        ap.error(str(err))
    print(f"shipped {args.run} to {dest}")
    return 0


if __name__ == "__main__":
    from sim.cli import run_cli
    sys.exit(run_cli(main))
