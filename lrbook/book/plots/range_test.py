"""Range-test figures: the curve of one sweep (drawn by the library's one function,
:func:`lrbook.plotting.plot_range_test`) and several sweeps compared on one axis."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook import suggest
from lrbook.book.plots.style import new_axes
from lrbook.plotting import (
    PHASE_COLORS,
    RangeTestPhases,
    loss_limits,
    plot_range_test,
    range_test_phases,
    value_at,
)

__all__ = [
    "PHASE_COLORS",
    "RangeTestPhases",
    "plot_range_test",
    "plot_range_test_comparison",
    "range_test_phases",
]


def plot_range_test_comparison(results: dict, ax: plt.Axes | None = None) -> plt.Axes:
    """Several range tests on one axis: ``results`` maps a label to an ``LRFinderResult``, or
    to a list of them (one set-up swept from several seeds).

    For each, in its own colour: the raw loss of each batch (faint), its lag-free smoothing
    (:func:`lrbook.suggest.lag_free`, thick, labelled with the suggestion) and a dot on it at
    the rate the default rule suggests (:meth:`~lrbook.LRFinderResult.suggestion`; left out if
    the curve cannot carry one). The curves of a list share their colour and one label, which
    gives the range of their suggestions.
    """
    ax = new_axes(ax)
    all_losses = []
    for index, (label, group) in enumerate(results.items()):
        color = f"C{index}"
        group = list(group) if isinstance(group, (list, tuple)) else [group]
        picks = [_default_suggestion(result) for result in group]
        name = _comparison_label(label, picks)
        for result, pick in zip(group, picks, strict=True):
            lrs, losses = np.asarray(result.lrs), np.asarray(result.losses)
            all_losses.append(losses)
            ax.plot(lrs, losses, color=color, lw=0.6, alpha=0.35)
            lag_free = suggest.lag_free(lrs, losses)
            width = 2 if len(group) == 1 else 1.3
            ax.plot(lrs, lag_free, color=color, lw=width, label=name)
            name = "_nolegend_"  # one legend entry per set-up
            if pick is not None:
                ax.plot(
                    pick, value_at(lrs, lag_free, pick), "o", color=color, mec="k", ms=8, zorder=5
                )
    ax.set_xscale("log")
    ax.set_ylim(*loss_limits(np.concatenate(all_losses)))
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def _default_suggestion(result) -> float | None:
    try:
        return result.suggestion()
    except ValueError:
        return None


def _comparison_label(label: str, picks: list) -> str:
    """``label`` with its suggestion, or the range of its seeds' suggestions."""
    found = [pick for pick in picks if pick is not None]
    if not found:
        return label
    if len(picks) == 1:
        return f"{label} (suggestion {found[0]:.2g})"
    return f"{label} (suggestions {min(found):.2g} to {max(found):.2g})"
