"""Figures of the chapter "Annealing and step decay": step decay on a bowl whose gradient is
noisy, against the constant initial rate, with the noise floors of the first and last rates."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import new_axes
from lrbook.book.toy import mean_noisy_loss, noise_floor


def plot_noisy_step_decay(
    bowl,
    start,
    initial_lr: float,
    drop: float,
    steps_drop: int,
    num_steps: int = 300,
    noise: float = 0.5,
    num_runs: int = 1000,
    seed: int = 0,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """The mean loss of ``num_runs`` noisy descents on ``bowl`` (a :class:`~lrbook.book.toy.Bowl`)
    from ``start``, under step decay (:class:`lrbook.StepDecay`),
    ``lr_t = initial_lr * drop ** floor(t / steps_drop)``,
    and at the constant rate ``initial_lr``, with the same noise
    (:func:`~lrbook.book.toy.mean_noisy_loss`). Dotted lines mark the noise floors
    (:func:`~lrbook.book.toy.noise_floor`) of the initial and the final rate, and the legend
    title says where each run ends as a multiple of its own rate's floor.

    The lines are drawn in that order: step decay, constant rate, then the floors (one line if
    the rate never drops).
    """
    steps = np.arange(num_steps)
    decayed = initial_lr * drop ** (steps // steps_drop)  # lrbook.StepDecay in float64
    rates = np.stack([decayed, np.full(num_steps, initial_lr)])
    losses = mean_noisy_loss(bowl, start, rates, noise, num_runs, seed)
    final_lr = float(decayed[-1])
    floors = {lr: noise_floor(bowl, lr, noise) for lr in (initial_lr, final_lr)}

    ax = new_axes(ax)
    ax.plot(losses[0], label=f"step decay, × {drop:.2g} every {steps_drop} steps")
    ax.plot(losses[1], label=f"constant {initial_lr:.3g}")
    for (lr, floor), which, color in zip(
        floors.items(), ("initial", "final"), ("C1", "C0"), strict=False
    ):
        ax.axhline(floor, color=color, ls=":", lw=1.2, label=f"floor of the {which} rate, {lr:.2g}")
    ratios = [losses[0, -1] / floors[final_lr], losses[1, -1] / floors[initial_lr]]
    ax.set_title(
        f"after {num_steps} steps: step decay at {ratios[0]:.2g} × its final rate's floor,\n"
        f"the constant rate at {ratios[1]:.2g} × its floor "
        f"({losses[1, -1] / losses[0, -1]:.2g} × step decay's loss)"
    )
    ax.set_yscale("log")
    top = max(float(bowl(np.asarray(start, dtype="float64"))), float(losses.max()))
    ax.set_ylim(min(floors.values()) / 3, top * 1.5)
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss, mean of {num_runs:,} runs")
    ax.legend(loc="upper right", fontsize="small")
    return ax
