"""Writing results: atomic files (JSON, Parquet, text, PNG) and the trajectory plot.

Every writer goes through :func:`atomic_write`: the content is written to a temporary file in the
target folder and renamed onto the target, so a results folder never holds a half-written file.
A folder of several files that belong together (a benchmark) is built in a staging folder next to
it and published in one rename (:func:`stage_folder`, :func:`publish_folder`). Plots use matplotlib's Agg backend (no
display needed).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .kpis import EMISSION_LIMITS_MG_NM3, FURNACE_MIN_TEMP_DEGC  # noqa: E402

__all__ = ["atomic_write", "stage_folder", "publish_folder", "write_json", "write_text", "write_parquet", "save_figure", "plot_trajectories"]

_GB, _EU = EMISSION_LIMITS_MG_NM3["gb18485"], EMISSION_LIMITS_MG_NM3["eu_ied"]
#: Panels of the trajectory plot: (column, axis label, reference lines (label, value)).
TRAJECTORY_PANELS: tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...] = (
    ("steam_flow_t_h", "steam [t/h]", ()),
    ("furnace_temp_degc", "furnace [degC]", ((f"{FURNACE_MIN_TEMP_DEGC:.0f} degC", FURNACE_MIN_TEMP_DEGC),)),
    ("o2_wet_vol_pct", "O2 wet [vol %]", ()),
    ("co_mg_nm3", "CO [mg/Nm3]", ((f"GB 1-h {_GB['1h']['co']:.0f}", _GB["1h"]["co"]),)),
    ("nox_mg_nm3", "NOx [mg/Nm3]", ((f"GB 1-h {_GB['1h']['nox']:.0f}", _GB["1h"]["nox"]),
                                    (f"EU daily {_EU['24h']['nox']:.0f}", _EU["24h"]["nox"]))),
)


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` on a temporary file next to ``path``, then rename it onto ``path``.

    The temporary file is removed if ``write`` raises; ``path`` is then left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def stage_folder(path: str | Path) -> Path:
    """The staging folder ``NAME.partial`` next to the results folder ``path``, created (or kept
    from an interrupted run, with what it holds); build the results there and
    :func:`publish_folder` them. NotADirectoryError, before anything is made, when ``path`` is a
    file. Until published, ``path`` is untouched."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path} is a file: expected a results folder (new or an earlier run's)")
    stage = path.with_name(path.name + ".partial")
    stage.mkdir(parents=True, exist_ok=True)
    return stage


def publish_folder(stage: Path, path: str | Path) -> None:
    """Move the finished staging folder ``stage`` (:func:`stage_folder`) onto ``path``.

    When ``path`` does not exist or is an empty folder this is one atomic rename, so ``path`` is
    either absent or complete. An existing non-empty ``path`` (an earlier run's folder) is never
    deleted: each staged entry is renamed onto its namesake there (each atomically) and the
    emptied staging folder is removed.
    """
    path = Path(path)
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()
    if not path.exists():
        os.replace(stage, path)
        return
    for item in sorted(stage.iterdir()):
        os.replace(item, path / item.name)
    stage.rmdir()


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: str | Path, obj) -> None:
    """Write ``obj`` as indented JSON atomically (NaN/inf are refused: ValueError)."""
    write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def write_parquet(path: str | Path, df: pd.DataFrame) -> None:
    """Write a DataFrame to Parquet atomically (no index)."""
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def save_figure(fig, path: str | Path, dpi: int = 110) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
    plt.close(fig)


def plot_trajectories(runs: Mapping[str, pd.DataFrame], path: str | Path, title: str) -> None:
    """One PNG of steam (with its setpoint), furnace temperature, O2, CO and NOx over time, with
    the limits drawn, for one or several labelled trajectories (e.g. one per controller)."""
    fig, axes = plt.subplots(len(TRAJECTORY_PANELS), 1, figsize=(10, 11), sharex=True)
    for label, df in runs.items():
        hours = df["time_s"] / 3600.0
        for ax, (column, _, _) in zip(axes, TRAJECTORY_PANELS):
            ax.plot(hours, df[column], lw=0.8, label=label)
    first = next(iter(runs.values()))
    if "steam_flow_setpoint_t_h" in first:
        axes[0].plot(first["time_s"] / 3600.0, first["steam_flow_setpoint_t_h"], "k--", lw=0.8, label="setpoint")
    for ax, (_, axis_label, lines) in zip(axes, TRAJECTORY_PANELS):
        for (name, value), color in zip(lines, ("r", "m")):
            ax.axhline(value, color=color, ls="--", lw=0.8, label=name)
        ax.set_ylabel(axis_label)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("time [h]")
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
