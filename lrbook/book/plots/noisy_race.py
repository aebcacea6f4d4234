"""A schedule against fixed rates on a toy loss with a noisy gradient.

:func:`~lrbook.book.plots.fixed_rate_search` runs the search a practitioner would run (one
noisy descent per fixed rate); :func:`~lrbook.book.plots.plot_against_fixed_rates` draws a
schedule's rates and mean loss next to the best fixed rate's, and every fixed rate's final
loss with the schedule's as a line across them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import WIDE_FIGSIZE
from lrbook.book.toy import mean_noisy_loss

FIXED_COLOR, SCHEDULE_COLOR = "C0", "C3"


def fixed_rate_search(
    loss, start, fixed_rates, num_steps: int, noise: float, num_runs: int, seed: int
) -> np.ndarray:
    """The mean loss of :func:`~lrbook.book.toy.mean_noisy_loss` at each of ``fixed_rates``,
    held for ``num_steps`` steps: shape ``(len(fixed_rates), num_steps + 1)``. Every rate sees
    the same noise, and so does a schedule run with the same ``seed`` and ``num_runs``."""
    rates = np.repeat(np.asarray(fixed_rates, dtype="float64")[:, None], num_steps, axis=1)
    return mean_noisy_loss(loss, start, rates, noise, num_runs, seed)


def plot_against_fixed_rates(
    name: str,
    rates: np.ndarray,
    losses: np.ndarray,
    fixed_rates: np.ndarray,
    fixed_losses: np.ndarray,
    band: tuple[float, float] | None = None,
    title: str = "",
):
    """Left, the rate (top) and the mean loss (bottom, log scale) at every step of the schedule
    ``name`` and of the fixed rate whose final loss is lowest; right, the final loss of every
    fixed rate (the search), the schedule's final loss as a horizontal line, and ``band``
    (the schedule's bounds) shaded. ``rates`` has one value per step, ``losses`` one more
    (step 0 too), as :func:`fixed_rate_search` gives. Returns the three axes."""
    fixed_rates = np.asarray(fixed_rates, dtype="float64")
    finals = np.asarray(fixed_losses)[:, -1]
    best = int(np.nanargmin(finals))
    steps = np.arange(len(rates))
    fig = plt.figure(figsize=WIDE_FIGSIZE)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.3, 1.0])
    ax_rate = fig.add_subplot(grid[0, 0])
    ax_loss = fig.add_subplot(grid[1, 0], sharex=ax_rate)
    ax_search = fig.add_subplot(grid[:, 1])
    fixed_label = f"best fixed rate, {fixed_rates[best]:.3g}"
    ax_rate.plot(steps, np.full(len(steps), fixed_rates[best]), color=FIXED_COLOR)
    ax_rate.plot(steps, rates, color=SCHEDULE_COLOR)
    ax_rate.set(ylabel="learning rate")
    ax_rate.tick_params(labelbottom=False)
    ax_loss.plot(np.arange(len(losses)), fixed_losses[best], color=FIXED_COLOR, label=fixed_label)
    ax_loss.plot(np.arange(len(losses)), losses, color=SCHEDULE_COLOR, label=name)
    ax_loss.set(yscale="log", xlabel="step", ylabel="mean loss")
    ax_loss.legend(loc="upper right", fontsize=8)
    ax_search.plot(fixed_rates, finals, "o-", color=FIXED_COLOR, ms=3, label="fixed rates")
    ax_search.plot(fixed_rates[best], finals[best], "o", color=FIXED_COLOR, ms=8, mfc="white")
    ax_search.axhline(losses[-1], color=SCHEDULE_COLOR, lw=1.5, label=name)
    if band is not None:
        ax_search.axvspan(*band, color="C2", alpha=0.15, lw=0, label=f"{name}'s bounds")
    ax_search.set(
        xscale="log",
        yscale="log",
        xlabel="fixed learning rate",
        ylabel=f"mean loss after {len(rates)} steps",
    )
    ax_search.legend(loc="upper center", fontsize=8)
    if title:
        fig.suptitle(title)
    return ax_rate, ax_loss, ax_search
