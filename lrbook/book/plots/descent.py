"""Gradient descent on toy losses: a path over a one-parameter curve, or over contours in two."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import new_axes


def plot_descent_1d(loss, path: np.ndarray, ax: plt.Axes | None = None, title: str = ""):
    """A one-parameter loss curve with a gradient-descent path drawn on it, step by step."""
    ax = new_axes(ax)
    w = path[:, 0]
    finite = np.isfinite(w)
    reach = max(np.abs(w[finite]).max(initial=1.0) * 1.15, 1.0)
    grid = np.linspace(-reach, reach, 400)
    ax.plot(grid, loss(grid[:, None]), color="0.6", lw=1.5, zorder=1)
    ax.plot(w[finite], loss(path[finite]), "-", color="C3", lw=0.8, alpha=0.6, zorder=2)
    ax.scatter(
        w[finite], loss(path[finite]), c=np.arange(len(w))[finite], cmap="viridis", s=18, zorder=3
    )
    ax.set_xlabel("parameter $w$")
    ax.set_ylabel("loss $L(w)$")
    ax.set_title(title)
    return ax


def plot_descent_2d(
    loss, path: np.ndarray, ax: plt.Axes | None = None, title: str = "", extent: float = 1.2
):
    """Contours of a two-parameter loss with a gradient-descent path over them."""
    ax = new_axes(ax)
    grid = np.linspace(-extent, extent, 200)
    w1, w2 = np.meshgrid(grid, grid)
    values = loss(np.stack([w1, w2], axis=-1))
    ax.contour(
        w1,
        w2,
        values,
        levels=np.geomspace(values.max() / 400, values.max(), 12),
        colors="0.6",
        linewidths=0.8,
    )
    visible = np.all(np.abs(path) <= extent * 1.5, axis=1)
    shown = path[: np.argmin(visible) if not visible.all() else len(path)]
    ax.plot(shown[:, 0], shown[:, 1], "-o", color="C3", ms=3, lw=1)
    ax.plot([0], [0], marker="*", color="k", ms=10, ls="none")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(title)
    return ax
