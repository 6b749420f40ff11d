"""``scenario="from_log:PATH"``: the scenario estimated from a plant log
(:func:`sim.config.load_scenario` resolves such names through this module)."""
from __future__ import annotations

from pathlib import Path

#: Scenario names with this prefix name a folder written by ``scripts/replay.py estimate``.
PREFIX = "from_log:"


def scenario_path(name: str) -> Path:
    """The scenario YAML behind ``from_log:PATH``: PATH is a folder written by
    :func:`sim.replay.estimate.write_scenario` (``scripts/replay.py estimate --out DIR``) or
    its ``scenario.yaml``. FileNotFoundError naming PATH otherwise."""
    spec = name[len(PREFIX):]
    path = Path(spec)
    if path.is_dir():
        path = path / "scenario.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"scenario {name!r}: expected a folder written by 'scripts/replay.py estimate' "
                                f"(holding scenario.yaml) or that YAML file; {spec!r} is neither")
    return path
