"""Warm restarts on a toy surface: where each SGDR cycle ends.

:func:`~lrbook.book.plots.sgdr_descent` runs gradient descent with an SGDR schedule;
:func:`~lrbook.book.plots.plot_restarts` draws the path and the rates with
:func:`~lrbook.book.plots.plot_toy_runs`, then the loss at every step with a dot at each cycle
end, coloured by the basin the weights are in there, and lists those basins in its title.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.minima import plot_toy_runs
from lrbook.book.toy import gradient_descent

BASIN_COLORS = {"sharp": "C3", "flat": "C2", None: "0.5"}


def sgdr_descent(
    loss,
    start,
    max_lr: float,
    cycle_length: int,
    t_mul: float,
    num_steps: int,
    m_mul: float = 1.0,
    min_lr: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Gradient descent from ``start`` with ``lrbook.SGDR(min_lr, max_lr, cycle_length,
    t_mul, m_mul)`` evaluated on the steps.

    Returns ``(path, rates, ends)``: the path (``num_steps + 1`` points), the rate of every
    step, and the number of steps taken at the end of each whole cycle, so that the weights
    at the end of cycle ``i`` are ``path[ends[i]]``.
    """
    from lrbook.schedules import SGDR

    schedule = SGDR(min_lr, max_lr, cycle_length, t_mul=t_mul, m_mul=m_mul)
    rates = np.asarray(schedule(np.arange(num_steps)), "float64")
    path = gradient_descent(loss, start, lambda step: rates[step], num_steps)
    return path, rates, [end + 1 for end in schedule.cycle_ends(num_steps)]


def cycle_end_basins(loss, path: np.ndarray, ends: list[int]) -> list[str | None]:
    """The basin (``loss.basin``: ``"sharp"``, ``"flat"`` or None) of ``path`` at each end."""
    return [loss.basin(path[end]) for end in ends]


def plot_restarts(
    loss,
    start,
    max_lr: float,
    cycle_length: int,
    t_mul: float,
    num_steps: int,
    extent: tuple[tuple[float, float], tuple[float, float]],
    marks: dict[str, np.ndarray] | None = None,
    m_mul: float = 1.0,
):
    """Run :func:`sgdr_descent` on a :class:`~lrbook.book.toy.SharpAndFlat` ``loss`` and
    draw it: left the path over the contours, right the rate (top) and the loss (bottom), with
    a dot at every cycle end coloured by its basin (red sharp, green flat, grey neither), on
    the map and on the loss, and the sharp minimum's stability limit ``2/h`` dashed on the rate
    panel. The title lists the basins. Returns the axes: map, rate, loss."""
    path, rates, ends = sgdr_descent(loss, start, max_lr, cycle_length, t_mul, num_steps, m_mul)
    ax_map, ax_rate, ax_loss = plot_toy_runs(loss, {"SGDR": path}, {"SGDR": rates}, extent, marks)
    ax_loss.cla()  # plot_toy_runs draws the gradient norm here; this figure shows the loss
    ax_loss.plot(np.arange(len(path)), loss(path), lw=1)
    basins = cycle_end_basins(loss, path, ends)
    for end, basin in zip(ends, basins, strict=True):
        color = BASIN_COLORS[basin]
        ax_loss.plot(end, loss(path[end]), "o", color=color, ms=7, zorder=3)
        ax_map.plot(*path[end], "o", color=color, ms=7, zorder=3)
        ax_rate.axvline(end, color="0.6", ls=":", lw=1)
    ax_rate.axhline(2 / loss.curvature("sharp"), color="C3", ls="--", lw=1, label="2/h, sharp")
    ax_rate.legend(loc="upper right", fontsize=8)
    ax_loss.set(xlabel="step (dots: end of a cycle)", ylabel="loss")
    names = ", ".join(basin or "neither" for basin in basins) or "no whole cycle"
    plt.gcf().suptitle(f"max_lr {max_lr:.3g}; basin at each cycle end: {names}")
    return ax_map, ax_rate, ax_loss
