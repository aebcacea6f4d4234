"""Figures of learning-rate schedules: a schedule over the steps, and the stages of its formula
(step decay, CLR, SGDR)."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import STRIP_FIGSIZE, new_axes


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


def plot_step_decay(
    initial_lr: float,
    drop: float,
    epochs_drop: int,
    num_epochs: int,
    steps_per_epoch: int,
    ax: plt.Axes | None = None,
    log_scale: bool = False,
) -> plt.Axes:
    """Step decay and the exponential decay that meets it at every drop, step by step.

    With ``s = epochs_drop * steps_per_epoch`` steps between drops, the two lines are
    ``lrbook.StepDecay(initial_lr, drop, step_size=s)`` and Keras'
    ``ExponentialDecay(initial_lr, decay_steps=s, decay_rate=drop)``:

    ```python
    step decay:         lr = initial_lr * drop ** floor(step / s)
    exponential decay:  lr = initial_lr * drop ** (step / s)
    ```

    Both are drawn with :func:`plot_schedule` over ``num_epochs * steps_per_epoch`` steps; a
    second axis on top counts epochs. ``log_scale`` puts the rate on a logarithmic axis, where
    every drop is a step of the same height.
    """
    import keras

    from lrbook.schedules import StepDecay

    s = epochs_drop * steps_per_epoch
    num_steps = num_epochs * steps_per_epoch
    step = StepDecay(initial_lr, drop, step_size=s)
    exponential = keras.optimizers.schedules.ExponentialDecay(
        initial_lr, decay_steps=s, decay_rate=drop
    )
    ax = plot_schedule(step, num_steps, ax=ax, label=f"step decay: ×{drop:g} every {s} steps")
    plot_schedule(exponential, num_steps, ax=ax, label="exponential decay", ls="--")
    top = ax.secondary_xaxis(
        "top", functions=(lambda x: x / steps_per_epoch, lambda x: x * steps_per_epoch)
    )
    top.set_xlabel("epoch")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(
        f"initial rate {initial_lr:.3g}, ×{drop:g} every {epochs_drop} epochs",
        fontsize="medium",
    )
    return ax


def plot_clr_stage(
    iterations: np.ndarray,
    values: np.ndarray,
    bounds: tuple[float, float],
    ylabel: str,
    step_size: int,
    ax: plt.Axes | None = None,
    title: str = "",
) -> plt.Axes:
    """One stage of the triangular CLR formula against the iteration, in a short strip.

    The line, and a dashed horizontal line at each of the two ``bounds`` of the stage, are
    :func:`plot_formula_stage`'s; dotted vertical lines mark where a new cycle starts, at
    every ``iterations = 2 * k * step_size`` (k >= 1), where
    ``cycle = floor(1 + iterations / (2 * step_size))`` goes up by one, and the x ticks are
    one ``step_size`` (half a cycle) apart. The stages:

    ```python
    iterations / step_size                                  # [0, number of half-cycles]
    iterations / step_size - 2 * cycle                      # [-2, 0)
    iterations / step_size - 2 * cycle + 1                  # [-1, 1)
    x = abs(iterations / step_size - 2 * cycle + 1)         # [0, 1]
    1 - x                                                   # [0, 1]
    base_lr + (max_lr - base_lr) * (1 - x)                  # [base_lr, max_lr]
    ```
    """
    iterations = np.asarray(iterations)
    ax = new_axes(ax, STRIP_FIGSIZE)
    plot_formula_stage(iterations, values, bounds, ylabel, ax=ax, xlabel="iterations")
    ax.lines[-1].set_marker("")
    last = int(iterations.max())
    for start in range(2 * step_size, last + 1, 2 * step_size):
        ax.axvline(start, color="0.6", ls=":", lw=1)
    ax.set_xticks(range(0, last + 1, step_size))
    ax.set_title(title, fontsize="medium")
    return ax


def plot_clr(
    base_lr: float,
    max_lr: float,
    step_size: int,
    num_steps: int,
    mode: str = "triangular",
    gamma: float = 1.0,
    steps_per_epoch: int | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """A cyclical learning rate over ``num_steps`` steps, between its two bounds (dotted).

    The line is :func:`plot_schedule` of ``lrbook.CyclicalLR(base_lr, max_lr, step_size,
    mode, gamma)``:

    ```python
    cycle = floor(1 + step / (2 * step_size))
    x = abs(step / step_size - 2 * cycle + 1)
    lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale
    # scale = 1 (triangular), 1 / 2 ** (cycle - 1) (triangular2), gamma ** step (exp_range)
    ```

    The legend names the mode and the step size (and ``gamma``, for ``exp_range``). With
    ``steps_per_epoch``, a second axis on top counts epochs.
    """
    from lrbook.schedules import CyclicalLR

    schedule = CyclicalLR(base_lr, max_lr, step_size, mode=mode, gamma=gamma)
    ax = new_axes(ax)
    for bound, name in ((max_lr, "max_lr"), (base_lr, "base_lr")):
        ax.axhline(bound, color="0.5", ls=":", lw=1, label=f"{name} = {bound:.3g}")
    details = f", gamma {gamma:g}" if mode == "exp_range" else ""
    label = f"{mode}, step_size {step_size}{details}"
    plot_schedule(schedule, num_steps, ax=ax, label=label, color="C0")
    if steps_per_epoch:
        top = ax.secondary_xaxis(
            "top", functions=(lambda x: x / steps_per_epoch, lambda x: x * steps_per_epoch)
        )
        top.set_xlabel("epoch")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_formula_stage(
    x: np.ndarray,
    values: np.ndarray,
    bounds: tuple[float, float],
    ylabel: str,
    ax: plt.Axes | None = None,
    xlabel: str = "step within the cycle, $T_{cur}$",
) -> plt.Axes:
    """One stage of a formula built up piece by piece: ``values`` against ``x``, with a dashed
    line at each of the two ``bounds`` of the interval this stage spans.

    For the SGDR cosine, with ``progress = T_cur / (T_i - 1)``, the stages and their bounds are:

    ```python
    progress                                          # [0, 1]
    cos(pi * progress)                                # [-1, 1]
    1 + cos(pi * progress)                            # [0, 2]
    0.5 * (1 + cos(pi * progress))                    # [0, 1]
    eta_min + (eta_max - eta_min) * 0.5 * (1 + cos(pi * progress))  # [eta_min, eta_max]
    ```
    """
    ax = new_axes(ax)
    for bound in bounds:
        ax.axhline(bound, color="0.5", ls="--", lw=1)
    ax.plot(x, values, "o-", ms=3)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_sgdr(
    schedule,
    num_steps: int,
    ax: plt.Axes | None = None,
    label: str | None = None,
    legend: bool = True,
) -> plt.Axes:
    """An SGDR schedule over ``num_steps`` steps, with a dot on the last step of every cycle.

    The line is :func:`plot_schedule` of ``schedule`` (an ``lrbook.SGDR``):
    ``eta_min + 0.5 * (eta_max - eta_min) * (1 + cos(pi * T_cur / (T_i - 1)))`` in cycle ``i``.
    The dots are at ``schedule.cycle_ends(num_steps)``, where the rate is that cycle's
    ``eta_min = min_lr * m_mul ** i``. ``legend=False`` leaves the legend out (for small panels
    where it would cover the curve).
    """
    ax = plot_schedule(schedule, num_steps, ax=ax, label=label)
    ends = np.array(schedule.cycle_ends(num_steps), dtype=int)
    ax.plot(
        ends,
        schedule_values(schedule, ends),
        "o",
        color=ax.lines[-1].get_color(),
        ms=5,
        label=f"{label}: end of a cycle" if label else "end of a cycle",
    )
    if legend:
        ax.legend()
    elif ax.get_legend() is not None:
        ax.get_legend().remove()
    return ax
