"""Figure helpers shared by the chapters: one style, fixed sizes, white backgrounds."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

FIGSIZE = (7.0, 3.6)  # one figure width for the whole book, in inches
WIDE_FIGSIZE = (10.0, 3.6)  # side-by-side panels

BOOK_STYLE = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book's figure style (size, white background, light grid) to matplotlib."""
    mpl.rcParams.update(BOOK_STYLE)


def new_axes(ax: plt.Axes | None = None, figsize: tuple[float, float] = FIGSIZE) -> plt.Axes:
    """Return ``ax`` if given, else the axes of a new figure of the book's size."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_schedule(
    schedule,
    num_steps: int,
    ax: plt.Axes | None = None,
    label: str | None = None,
    **line_kwargs,
) -> plt.Axes:
    """Draw ``schedule(step)`` for ``step = 0 .. num_steps - 1`` (the rate each step trains with).

    ``schedule`` is any callable of the step: a ``LearningRateSchedule`` (called once on the
    whole array of steps) or a plain function of an integer.
    """
    steps = np.arange(num_steps)
    ax = new_axes(ax)
    ax.plot(steps, schedule_values(schedule, steps), label=label, **line_kwargs)
    ax.set_xlabel("optimizer step (mini-batch)")
    ax.set_ylabel("learning rate")
    if label is not None:
        ax.legend()
    return ax


def schedule_values(schedule, steps: np.ndarray) -> np.ndarray:
    """The schedule's rate at each of ``steps`` as a float64 NumPy array."""
    try:
        values = np.asarray(schedule(steps), dtype="float64")
        if values.shape == steps.shape:
            return values
    except (TypeError, ValueError):
        pass
    return np.array([float(schedule(int(step))) for step in steps])


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
