"""Plots of the replay uses (PNG, matplotlib Agg, written atomically through sim.results)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.results import save_figure  # noqa: E402

from .log import PlantLog  # noqa: E402

#: Most panels in one figure (more channels are left out of the plot, not of the JSON).
MAX_PANELS = 8


def plot_panels(panels: list[tuple[str, dict[str, pd.Series]]], path: str | Path, title: str) -> None:
    """One panel per (y label, {legend label: series indexed by time_s}); time axis in hours."""
    panels = panels[:MAX_PANELS]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.9 * len(panels) + 1.0), sharex=True, squeeze=False)
    for ax, (label, lines) in zip(axes[:, 0], panels):
        for name, s in lines.items():
            ax.plot(np.asarray(s.index, float) / 3600.0, s.to_numpy(float), lw=0.9, label=name)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("time since the start of the log [h]")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def plot_availability(log: PlantLog, path: str | Path) -> None:
    """Which channel has data when (after cleaning), with the issue count per channel."""
    cols = list(log.data.columns)
    counts = {c: 0 for c in cols}
    for i in log.report.issues:
        if i.channel in counts and i.severity == "warning":
            counts[i.channel] += 1
    ok = np.isfinite(log.data.to_numpy(float)).T
    fig, ax = plt.subplots(figsize=(10, 0.3 * len(cols) + 1.5))
    hours = log.data.index.to_numpy(float) / 3600.0
    ax.imshow(ok, aspect="auto", interpolation="nearest", cmap="Greens", vmin=0, vmax=1.2,
              extent=(hours[0], hours[-1] if len(hours) > 1 else 1.0, len(cols) - 0.5, -0.5))
    ax.set_yticks(range(len(cols)), [f"{c} ({counts[c]} issues)" for c in cols], fontsize=7)
    ax.set_xlabel(f"time since {log.local_index[0]} [h] (white: no usable data)")
    ax.set_title(f"Data availability after cleaning: {Path(log.source).name}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
