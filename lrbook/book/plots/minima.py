"""Sharp and flat minima, saddle points: a fixed and a cyclical rate on a toy surface.

:func:`~lrbook.book.plots.fixed_and_cyclical` runs gradient descent twice from one start, at a
fixed rate and with a cyclical one that starts from the same rate;
:func:`~lrbook.book.plots.plot_toy_runs` draws both paths over the contours, with the rate and
the gradient norm of each run along the way; :func:`~lrbook.book.plots.plot_escape` does both
and says in its title where each run ended.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import WIDE_FIGSIZE
from lrbook.book.toy import Saddle, SharpAndFlat, gradient_descent

RUN_COLORS = {"fixed": "C0", "cyclical": "C3"}


def fixed_and_cyclical(
    loss, start, base_lr: float, max_lr: float, step_size: int, num_steps: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Gradient descent from ``start`` at the fixed rate ``base_lr``, and with
    ``lrbook.CyclicalLR(base_lr, max_lr, step_size)`` evaluated on the steps.

    Returns ``(paths, rates)``: two dicts keyed ``"fixed"`` and ``"cyclical"``, with each
    run's path (``num_steps + 1`` points) and its rate at every step (``num_steps`` values).
    """
    from lrbook.schedules import CyclicalLR

    cyclical = np.asarray(CyclicalLR(base_lr, max_lr, step_size)(np.arange(num_steps)), "float64")
    rates = {"fixed": np.full(num_steps, float(base_lr)), "cyclical": cyclical}
    paths = {
        name: gradient_descent(loss, start, lambda step, r=r: r[step], num_steps)
        for name, r in rates.items()
    }
    return paths, rates


def plot_toy_runs(
    loss,
    paths: dict[str, np.ndarray],
    rates: dict[str, np.ndarray],
    extent: tuple[tuple[float, float], tuple[float, float]],
    marks: dict[str, np.ndarray] | None = None,
    title: str = "",
    levels: int = 25,
    floor: float = 1e-8,
    events: dict[str, int] | None = None,
):
    """Left, the contours of a two-parameter ``loss`` with each run's path; right, each run's
    rate (top) and gradient norm (bottom, log scale, cut at ``floor``) at every step.
    ``marks`` labels points (minima, saddles) with a star; ``events`` maps a run's name to a
    step marked by a dotted line on the right (where it left a basin or a plateau). Returns
    the three axes: paths, rates, gradient norms."""
    fig = plt.figure(figsize=WIDE_FIGSIZE)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.3])
    ax_map = fig.add_subplot(grid[:, 0])
    ax_rate = fig.add_subplot(grid[0, 1])
    ax_grad = fig.add_subplot(grid[1, 1], sharex=ax_rate)
    (x0, x1), (y0, y1) = extent
    w1, w2 = np.meshgrid(np.linspace(x0, x1, 240), np.linspace(y0, y1, 240))
    values = loss(np.stack([w1, w2], axis=-1))
    ax_map.contour(w1, w2, values, levels=levels, colors="0.7", linewidths=0.7, linestyles="solid")
    for index, (name, path) in enumerate(paths.items()):
        color = RUN_COLORS.get(name)
        width = 2.5 if index == 0 and len(paths) > 1 else 1.0  # the first run stays visible
        ax_map.plot(path[:, 0], path[:, 1], "-", color=color, lw=width, alpha=0.8, label=name)
        ax_map.plot(*path[-1], "o", color=color, ms=6, mfc="white", mew=1.5)
        steps = np.arange(len(rates[name]))
        ax_rate.plot(steps, rates[name], color=color, label=name)
        norms = np.linalg.norm(loss.gradient(path), axis=-1)
        ax_grad.plot(np.arange(len(path)), norms, color=color, lw=1)
        if events and events.get(name) is not None:
            for ax in (ax_rate, ax_grad):
                ax.axvline(events[name], color=color, ls=":", lw=1.2)
    first = next(iter(paths.values()))[0]
    ax_map.plot(*first, "s", color="k", ms=5, label="start")
    for text, point in (marks or {}).items():
        ax_map.plot(*point, "*", color="k", ms=10)
        ax_map.annotate(text, point, xytext=(0, 8), textcoords="offset points", ha="center")
    ax_map.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    ax_map.legend(loc="lower left", fontsize=8)
    ax_rate.set(ylabel="learning rate")
    ax_rate.legend(loc="upper right", fontsize=8)
    ax_rate.tick_params(labelbottom=False)
    top = max(np.nanmax(np.linalg.norm(loss.gradient(path), axis=-1)) for path in paths.values())
    ax_grad.set(yscale="log", ylim=(floor, 3 * top), xlabel="step", ylabel="gradient norm")
    if title:
        fig.suptitle(title)
    return ax_map, ax_rate, ax_grad


def outcome(loss, paths: dict[str, np.ndarray]) -> str:
    """A few words on where each run ended: the basin (:class:`~lrbook.book.toy.SharpAndFlat`)
    or the step at which it left the saddle's plateau (:class:`~lrbook.book.toy.Saddle`)."""
    parts = []
    for name, path in paths.items():
        if isinstance(loss, SharpAndFlat):
            basin = loss.basin(path[-1])
            parts.append(f"{name}: ends {f'in the {basin} basin' if basin else 'elsewhere'}")
        elif isinstance(loss, Saddle):
            step = loss.escape_step(path)
            parts.append(f"{name}: {'still on the plateau' if step is None else f'off at {step}'}")
    return "; ".join(parts)


def plot_escape(
    loss,
    start,
    base_lr: float,
    max_lr: float,
    step_size: int,
    num_steps: int,
    extent: tuple[tuple[float, float], tuple[float, float]],
    marks: dict[str, np.ndarray] | None = None,
):
    """Run :func:`fixed_and_cyclical` and draw it with :func:`plot_toy_runs`, titled with the
    :func:`outcome`. The explorer ``lrbook.book.widgets.escape_explorer`` redraws this."""
    paths, rates = fixed_and_cyclical(loss, start, base_lr, max_lr, step_size, num_steps)
    title = f"base_lr {base_lr:.3g}, max_lr {max_lr:.3g}, step_size {step_size}: "
    return plot_toy_runs(loss, paths, rates, extent, marks, title + outcome(loss, paths))
