"""Figures of loss-landscape slices (:mod:`lrbook.book.landscape`): contours, surfaces, lines.

Slices of several networks are drawn side by side on one colour scale and over the same range
of directions, so that what differs between the panels is the networks, not the axes. The
colours follow the logarithm of the loss, as in Li et al. (2018): a loss that grows from 1 to
1,000 spans three steps of the same size. Losses above ``vmax`` take the top colour, and the
surfaces are cut flat at ``vmax``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from lrbook.book.plots.style import FIGSIZE, WIDE_FIGSIZE

LANDSCAPE_CMAP = "viridis"
SURFACE_FIGSIZE = (10.0, 4.6)


def landscape_levels(slices: Mapping[str, np.ndarray], vmax: float, count: int = 15):
    """``count + 1`` contour levels, evenly spaced in log scale from the lowest loss of all the
    slices (rounded down a little) to ``vmax``."""
    lowest = min(float(np.min(losses)) for losses in slices.values())
    return np.geomspace(0.95 * min(lowest, vmax / 2), vmax, count + 1)


def plot_landscape_contours(
    alphas,
    betas,
    slices: Mapping[str, np.ndarray],
    vmax: float = 30.0,
    axes=None,
    xlabel: str = r"$\alpha$ (direction 1)",
    ylabel: str = r"$\beta$ (direction 2)",
):
    """Filled contours of plane slices (``{title: losses}``, each of shape
    ``(len(betas), len(alphas))``), side by side, on one log colour scale up to ``vmax``, with
    one colour bar. The centre of each slice, the trained weights, is marked with a cross.
    Returns the axes."""
    if axes is None:
        size = WIDE_FIGSIZE if len(slices) > 1 else FIGSIZE
        _, axes = plt.subplots(1, len(slices), figsize=size, squeeze=False)
        axes = list(axes[0])
    levels = landscape_levels(slices, vmax)
    norm = LogNorm(levels[0], levels[-1])
    for ax, (title, losses) in zip(axes, slices.items(), strict=True):
        clipped = np.clip(losses, levels[0], None)
        filled = ax.contourf(
            alphas, betas, clipped, levels=levels, norm=norm, cmap=LANDSCAPE_CMAP, extend="max"
        )
        ax.contour(alphas, betas, clipped, levels=levels, colors="white", linewidths=0.4)
        ax.plot([0], [0], "x", color="white", ms=8, mew=2)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    bar = axes[0].figure.colorbar(filled, ax=axes, shrink=0.9, label="training loss (log scale)")
    bar.ax.set_yscale("log")
    bar.ax.minorticks_off()
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100, 1000) if levels[0] <= t <= levels[-1]]
    bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
    return axes


def plot_landscape_surfaces(
    alphas, betas, slices: Mapping[str, np.ndarray], vmax: float = 30.0, elevation: float = 35
):
    """The plane slices as 3-D surfaces of the log of the loss, side by side, on the same axes
    and colour scale as :func:`plot_landscape_contours`, cut flat at ``vmax``. Returns the
    axes."""
    fig = plt.figure(figsize=SURFACE_FIGSIZE)
    levels = landscape_levels(slices, vmax)
    norm = LogNorm(levels[0], levels[-1])
    grid_a, grid_b = np.meshgrid(alphas, betas)
    axes = []
    for index, (title, losses) in enumerate(slices.items()):
        ax = fig.add_subplot(1, len(slices), index + 1, projection="3d")
        height = np.log10(np.clip(losses, levels[0], levels[-1]))
        colors = plt.get_cmap(LANDSCAPE_CMAP)(norm(np.clip(losses, levels[0], levels[-1])))
        ax.plot_surface(grid_a, grid_b, height, facecolors=colors, linewidth=0, shade=False)
        ax.set_zlim(np.log10(levels[0]), np.log10(levels[-1]))
        ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50) if levels[0] <= t <= levels[-1]]
        ax.set_zticks(np.log10(ticks), labels=[f"{t:g}" for t in ticks])
        ax.set_xticks([alphas[0], 0, alphas[-1]])
        ax.set_yticks([betas[0], 0, betas[-1]])
        ax.view_init(elev=elevation, azim=-60)
        ax.set_title(title)
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel(r"$\beta$")
        ax.set_zlabel("loss (log scale)")
        axes.append(ax)
    return axes


def plot_line_slices(
    alphas, curves: Mapping[str, np.ndarray], ax=None, title: str | None = None, logy=True
):
    """1-D slices, ``{label: losses}`` (each of shape ``(len(alphas),)``, or
    ``(directions, len(alphas))`` for several directions, drawn thin in one colour), against
    the step ``alpha`` along the direction. Returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=FIGSIZE)
    for index, (label, losses) in enumerate(curves.items()):
        losses = np.atleast_2d(losses)
        for row, line in enumerate(losses):
            ax.plot(
                alphas,
                line,
                color=f"C{index}",
                lw=1.5 if len(losses) == 1 else 1.0,
                alpha=1.0 if len(losses) == 1 else 0.7,
                label=label if row == 0 else None,
            )
    if logy:
        ax.set_yscale("log")
    ax.axvline(0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(r"step $\alpha$ along the direction")
    ax.set_ylabel("training loss" + (" (log scale)" if logy else ""))
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
