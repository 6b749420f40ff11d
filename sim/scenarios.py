"""Named scenarios: the benchmark library in ``configs/scenarios/``.

A scenario (:class:`sim.config.ScenarioConfig`) is the waste the crane brings, the disturbances,
faults and steam demand of one episode, its default duration and two disjoint seed sets:
``train`` seeds for fitting or training controllers and ``test`` seeds that a benchmark judges
them on (a learned controller must never have seen a test seed). Each file's ``description``
says what the scenario is for and where its magnitudes come from (docs/physics.md §11 and the sections it cites).

The library (one YAML file each): ``steady_design``, ``seasonal_wet``, ``seasonal_dry``,
``lhv_drift``, ``wet_slug``, ``bulky_slug``, ``hopper_bridging``, ``fouling_week``,
``load_change``, ``cems_outage``, ``thermocouple_drift``, ``feed_quality_forecast``.

>>> from sim import scenarios
>>> scenarios.list_scenarios()[:2]
['bulky_slug', 'cems_outage']
>>> scenarios.seeds("wet_slug", "test")
(1000, 1001, 1002)
"""
from __future__ import annotations

from pathlib import Path

from .config import CONFIG_ROOT, ScenarioConfig, load_scenario

__all__ = ["SCENARIO_DIR", "SEED_SETS", "list_scenarios", "load", "seeds"]

#: Folder of the scenario library.
SCENARIO_DIR = CONFIG_ROOT / "scenarios"
#: Names of the seed sets of every scenario.
SEED_SETS: tuple[str, ...] = ("train", "test")


def list_scenarios() -> list[str]:
    """Names of the scenarios in the library, sorted (``configs/scenarios/NAME.yaml``)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load(name_or_path: str | Path | dict | ScenarioConfig, overrides: dict | None = None) -> ScenarioConfig:
    """A validated scenario by library name, YAML path or dict (see :func:`sim.config.load_scenario`).

    Raises :class:`sim.config.ConfigError` naming the scenario and the known names, or the bad
    field, its value and the rule.
    """
    return load_scenario(name_or_path, overrides)


def seeds(scenario: str | Path | dict | ScenarioConfig, which: str) -> tuple[int, ...]:
    """The ``"train"`` or ``"test"`` seeds of a scenario (ValueError for another set name)."""
    if which not in SEED_SETS:
        raise ValueError(f"seed set {which!r} is unknown: expected one of {list(SEED_SETS)}")
    cfg = load(scenario)
    return cfg.train_seeds if which == "train" else cfg.test_seeds
