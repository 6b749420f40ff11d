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

#: Panels per column of a figure: more channels add columns (a grid), none is left out.
ROWS_PER_COLUMN = 8


def plot_panels(panels: list[tuple[str, dict[str, pd.Series]]], path: str | Path, title: str,
                shade: dict[str, list[tuple[float, float, str]]] | None = None) -> list[str]:
    """One panel per (y label, {legend label: series indexed by time_s}); time axis in hours.

    Every panel is drawn: beyond :data:`ROWS_PER_COLUMN` panels the figure becomes a grid of
    columns. ``shade`` maps a panel label to spans ``(start_s, end_s, label)`` drawn in grey
    (inputs held or invented there, stretches not compared). Returns the labels drawn.
    """
    n = max(len(panels), 1)
    cols = -(-n // ROWS_PER_COLUMN)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10 * min(cols, 2) if cols < 3 else 6 * cols, 1.9 * rows + 1.0),
                             sharex=True, squeeze=False)
    flat = axes.T.ravel()  # fill column by column
    for ax, (label, lines) in zip(flat, panels):
        for name, s in lines.items():
            ax.plot(np.asarray(s.index, float) / 3600.0, s.to_numpy(float), lw=0.9, label=name)
        for k, (a, b, what) in enumerate((shade or {}).get(label, [])):
            ax.axvspan(a / 3600.0, b / 3600.0, color="0.6", alpha=0.25, lw=0, label=what if k == 0 else None)
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
    _finish(fig, axes, len(panels), "time since the start of the log [h]", title, path)
    return [ax.get_ylabel() for ax in flat if ax.get_visible()]


def _finish(fig, axes: np.ndarray, used: int, xlabel: str, title: str, path: str | Path) -> None:
    """Hide the unused panels of a grid (filled column by column), label the bottom row, save."""
    for ax in axes.T.ravel()[used:]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def spans(mask: np.ndarray, times_s: np.ndarray) -> list[tuple[float, float]]:
    """The (start, end) times [s] of the runs where ``mask`` is true."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(times_s[a]), float(times_s[b])) for a, b in zip(starts, ends)]


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


def plot_spectra(series: dict[str, dict[str, pd.Series]], path: str | Path, title: str) -> None:
    """Periodograms of 1-min means (:func:`sim.replay.fingerprint.spectrum`), one panel per
    channel, one line per source (log, simulated), log-log against the period in minutes, with
    the fingerprint's band edges."""
    from .fingerprint import BANDS_MIN, spectrum

    n = max(len(series), 1)
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.6 * rows + 1.0), squeeze=False)
    flat = axes.T.ravel()
    for ax, (channel, lines) in zip(flat, series.items()):
        for name, s in lines.items():
            periods, power = spectrum(s)
            if len(periods):
                ax.loglog(periods, power / power.sum(), lw=0.9, label=name)
        for lo, _ in BANDS_MIN[1:]:
            ax.axvline(lo, color="0.5", lw=0.6, ls=":")
        ax.set_title(channel, fontsize=8)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    _finish(fig, axes, len(series), "period [min]", title, path)
