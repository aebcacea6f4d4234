"""Training curves: a metric of several set-ups, each from several seeds, against epochs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import new_axes


def plot_seed_runs(
    runs: dict[str, list[dict]],
    metric: str,
    ax: plt.Axes | None = None,
    ylabel: str | None = None,
    x: str | None = None,
) -> plt.Axes:
    """A ``metric`` of several training set-ups, each run from several seeds, against epochs.

    ``runs`` maps a label to a list of ``History.history``-like dicts, one per seed. Each
    seed's curve is a thin, faint line; the mean over the ``S`` seeds, point by point,
    ``mean[i] = (1 / S) * sum_s history_s[metric][i]``, is a thick line in the same colour.
    The x values are ``history[x]`` (the same in every history, e.g. the fractional epochs of
    :class:`lrbook.book.diagnostics.BlockLosses`), or epochs counted from 1 if ``x`` is None; then
    the mean's points are marked.
    """
    ax = new_axes(ax)
    for index, (label, histories) in enumerate(runs.items()):
        curves = np.array([history[metric] for history in histories], dtype=float)
        if x is None:
            positions, style = np.arange(1, curves.shape[1] + 1), "o-"
        else:
            positions, style = np.asarray(histories[0][x], dtype=float), "-"
        color = f"C{index}"
        for curve in curves:
            ax.plot(positions, curve, color=color, lw=0.8, alpha=0.35)
        mean_label = f"{label} (mean of {len(curves)} seeds)"
        ax.plot(positions, curves.mean(axis=0), style, color=color, lw=2, ms=4, label=mean_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    ax.legend()
    return ax
