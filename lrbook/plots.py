"""Figure helpers shared by the chapters: one style, fixed sizes, white backgrounds."""

from __future__ import annotations

from typing import NamedTuple

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


# --- SGDR ("SGDR: warm restarts") -------------------------------------------------------------


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


# --- Annealing and step decay ("Annealing and step decay") ------------------------------------


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


# --- Cyclical learning rates ("Cyclical learning rates") --------------------------------------

STRIP_FIGSIZE = (7.0, 2.2)  # a short strip: one stage of a formula, several in a row


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
    :class:`lrbook.callbacks.BlockLosses`), or epochs counted from 1 if ``x`` is None; then
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


# --- The learning-rate range test ("The learning-rate range test") -----------------------------


class RangeTestPhases(NamedTuple):
    """The three phases of a range-test curve, as intervals of the rate (see
    :func:`range_test_phases`), and the rate from which the loss is above its start."""

    too_low: tuple[float, float]
    about_right: tuple[float, float]
    too_high: tuple[float, float]
    above_start: float | None


def range_test_phases(lrs, losses) -> RangeTestPhases:
    """Split a range-test curve into its three phases, read off the curve by
    :class:`lrbook.suggest.Curve` (the lag-free fit of the raw ``losses``), never typed in.

    With ``start`` the last point still at the starting level, ``bottom`` the lowest point of
    the lag-free loss before it diverges, and ``last`` the last finite point::

        too low:      [lrs[0],      lrs[start]]    the loss barely moves
        about right:  [lrs[start],  lrs[bottom]]   the loss falls
        too high:     [lrs[bottom], lrs[last]]     the loss bounces, then climbs

    ``above_start`` is ``lrs[end]``, the first rate past the first window at which the lag-free
    loss is clearly (by the curve's noise margin) above its starting level, or ``None``.
    Raises ``ValueError`` (from ``Curve``) when the curve has no descending part.
    """
    from lrbook.suggest import Curve

    curve = Curve(lrs, losses)
    rates = curve.lrs
    above = float(rates[curve.end]) if curve.end < rates.size else None
    return RangeTestPhases(
        too_low=(float(rates[0]), float(rates[curve.start])),
        about_right=(float(rates[curve.start]), float(rates[curve.bottom])),
        too_high=(float(rates[curve.bottom]), float(rates[-1])),
        above_start=above,
    )


PHASE_COLORS = {"too low": "0.75", "about right": "C2", "too high": "C3"}


def plot_range_test(
    result,
    beta: float | None = None,
    method: str | None = "steepest",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """A range-test curve against the rate (log axis), its three phases shaded.

    ``result`` is an :class:`lrbook.finder.LRFinderResult`. Drawn: the raw loss of each batch;
    its lag-free smoothing (:func:`lrbook.suggest.lag_free`, a line fitted within
    ``HALF_WIDTH`` decades on either side of each point); with ``beta``, the bias-corrected EMA
    ``s_t = beta * s_{t-1} + (1 - beta) * L_t``, ``smoothed_t = s_t / (1 - beta**t)``
    (:func:`lrbook.suggest.ema`); the phases of :func:`range_test_phases`, shaded, with a
    dotted line where the loss rises above its start; and, with ``method``, the rate that
    rule suggests (:func:`lrbook.suggest.suggest`), as a dot on the lag-free curve. A curve
    without a descending part is drawn without phases, with the rules' explanation.
    """
    from lrbook import suggest

    ax = new_axes(ax)
    lrs, losses = np.asarray(result.lrs), np.asarray(result.losses)
    ax.plot(lrs, losses, color="0.6", lw=0.8, label="loss of each batch")
    lag_free = suggest.lag_free(lrs, losses)
    ax.plot(lrs, lag_free, color="C1", lw=2, label="lag-free smoothing")
    if beta is not None:
        ax.plot(lrs, suggest.ema(losses, beta), color="C0", lw=1.5, ls="--", label=f"EMA, β={beta}")
    try:
        phases = range_test_phases(lrs, losses)
        pick = suggest.suggest(lrs, losses, method) if method else None
    except ValueError as error:
        ax.text(0.02, 0.04, _wrap(str(error)), transform=ax.transAxes, fontsize=8, color="C3")
    else:
        _shade_phases(ax, phases)
        if pick is not None:
            usable = np.isfinite(lag_free)
            level = np.interp(np.log(pick), np.log(lrs[usable]), lag_free[usable])
            ax.plot(pick, level, "o", color="k", ms=7, zorder=5, label=f"{method} rule: {pick:.2g}")
    ax.set_xscale("log")
    ax.set_xlim(result.min_lr, result.max_lr)
    ax.set_ylim(*_range_test_limits(losses))
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def _shade_phases(ax: plt.Axes, phases: RangeTestPhases) -> None:
    intervals = {"too low": phases.too_low, "about right": phases.about_right}
    intervals["too high"] = phases.too_high
    for name, (low, high) in intervals.items():
        ax.axvspan(low, high, color=PHASE_COLORS[name], alpha=0.15, lw=0)
        middle = np.sqrt(low * high)
        ax.text(middle, 0.97, name, transform=ax.get_xaxis_transform(), ha="center", va="top")
    if phases.above_start is not None:
        ax.axvline(phases.above_start, color="C3", ls=":", lw=1.2, label="loss above its start")


def _range_test_limits(losses: np.ndarray) -> tuple[float, float]:
    """From the lowest loss to 1.4 times the first loss (a divergence is cut off)."""
    finite = losses[np.isfinite(losses)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), min(float(finite.max()), 1.4 * float(finite[0]))
    margin = 0.05 * max(high - low, 1e-12)
    return low - margin, max(high, low) + margin


def _wrap(text: str, width: int = 90) -> str:
    import textwrap

    return textwrap.fill(text, width=width)


def plot_range_test_comparison(results: dict, ax: plt.Axes | None = None) -> plt.Axes:
    """Several range tests on one axis: ``results`` maps a label to an ``LRFinderResult``, or
    to a list of them (one set-up swept from several seeds).

    For each, in its own colour: the raw loss of each batch (faint), its lag-free smoothing
    (:func:`lrbook.suggest.lag_free`, thick, labelled with the suggestion) and a dot on it at
    the rate the default rule suggests (:meth:`LRFinderResult.suggestion`; left out if the
    curve cannot carry one). The curves of a list share their colour and one label, which
    gives the range of their suggestions.
    """
    from lrbook import suggest

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
                usable = np.isfinite(lag_free)
                level = np.interp(np.log(pick), np.log(lrs[usable]), lag_free[usable])
                ax.plot(pick, level, "o", color=color, mec="k", ms=8, zorder=5)
    ax.set_xscale("log")
    ax.set_ylim(*_range_test_limits(np.concatenate(all_losses)))
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


# --- Snapshot ensembles ("Snapshot ensembles") ------------------------------------------------


def ensemble_accuracies(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Accuracy of the ensemble of the last ``m`` of the first ``k`` snapshots, every k and m.

    ``probabilities`` has shape ``(M, ..., n, classes)``: the class probabilities of snapshots
    1..M (any axes between, e.g. one per seed). Entry ``[k - 1, m - 1]`` of the result (shape
    ``(M, M, ...)``, NaN where ``m > k``) scores the mean probabilities of snapshots
    ``k - m + 1 .. k``, the ensemble one has after ``k`` cycles when averaging the last ``m``:

    ```python
    p = (p_{k-m+1} + ... + p_k) / m;   accuracy = mean(argmax(p) == labels)
    ```
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    count = probabilities.shape[0]
    table = np.full((count, count) + probabilities.shape[1:-2], np.nan)
    for k in range(1, count + 1):
        running = np.zeros_like(probabilities[0])
        for m in range(1, k + 1):
            running += probabilities[k - m]
            table[k - 1, m - 1] = np.mean(np.argmax(running, axis=-1) == labels, axis=-1)
    return table


def plot_snapshot_schedule(
    schedule,
    num_steps: int,
    averaged: int | None = None,
    trained: int | None = None,
    steps_per_epoch: int | None = None,
    ax: plt.Axes | None = None,
    label: str | None = None,
) -> plt.Axes:
    """An SGDR schedule with a numbered dot at every snapshot, on the last step of each cycle.

    The line is :func:`lrbook.plots.plot_schedule` of ``schedule`` over ``num_steps`` steps;
    the snapshots are at ``schedule.cycle_ends(num_steps)``, where the rate is the cycle's
    minimum; ``label`` names the line in the legend. With ``trained = k``, only the first
    ``k`` cycles are drawn in full (the rest faded: training stopped there); with
    ``averaged = m``, the last ``m`` of the snapshots taken are filled (the ones the ensemble
    averages) and the others hollow. With ``steps_per_epoch``, a second axis on top counts
    epochs.
    """
    ax = new_axes(ax)
    ends = np.array(schedule.cycle_ends(num_steps), dtype=int)
    choosing = averaged is not None or trained is not None
    trained = len(ends) if trained is None else int(trained)
    averaged = trained if averaged is None else min(int(averaged), trained)
    stop = ends[trained - 1] + 1 if trained else 0
    if trained < len(ends):
        plot_schedule(schedule, num_steps, ax=ax, color="0.85")
    plot_schedule(schedule, stop, ax=ax, color="C0", label=label)
    rates = schedule_values(schedule, ends)
    for index, (end, rate) in enumerate(zip(ends, rates, strict=True)):
        taken = index < trained
        used = taken and index >= trained - averaged
        color = "C3" if taken else "0.7"
        ax.plot(end, rate, "o", ms=7, mec=color, mfc=color if used else "white", zorder=3)
        ax.annotate(
            str(index + 1),
            (end, rate),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
            color="black" if taken else "0.6",
        )
    if choosing:
        ax.plot([], [], "o", mec="C3", mfc="C3", label=f"snapshots averaged ({averaged})")
        if averaged < trained:
            ax.plot([], [], "o", mec="C3", mfc="white", label="snapshots left out")
    else:
        ax.plot([], [], "o", mec="C3", mfc="C3", label="snapshot (end of a cycle)")
    if steps_per_epoch:
        top = ax.secondary_xaxis(
            "top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch)
        )
        top.set_xlabel("epoch")
    peak = float(schedule_values(schedule, np.arange(num_steps)).max())
    ax.set_ylim(-0.06 * peak, 1.45 * peak)
    ax.legend(loc="upper center", ncol=3, fontsize="small")
    return ax


def plot_ensemble_accuracy(
    accuracy: np.ndarray,
    single: np.ndarray | None = None,
    independent: float | None = None,
    chosen: int | None = None,
    ax: plt.Axes | None = None,
    ylabel: str = "test accuracy",
) -> plt.Axes:
    """Accuracy of the ensemble of the last ``m`` snapshots against ``m``, one line per seed.

    ``accuracy`` has shape ``(seeds, M)``: entry ``[s, m - 1]`` scores seed ``s``'s mean of
    its last ``m`` snapshots' probabilities. Thin lines are the seeds, the thick line their
    mean. ``single`` (one value per seed) is a model trained with one cosine cycle over the
    same budget: drawn as a band from its lowest to its highest seed, with its mean dashed.
    ``independent`` is the ensemble of independently trained models (a dotted line);
    ``chosen`` marks the ``m`` the validation set chose.
    """
    ax = new_axes(ax)
    accuracy = np.atleast_2d(np.asarray(accuracy, dtype=float))
    m = np.arange(1, accuracy.shape[1] + 1)
    for row in accuracy:
        ax.plot(m, row, color="C0", lw=0.8, alpha=0.4)
    ax.plot(
        m,
        accuracy.mean(axis=0),
        "o-",
        color="C0",
        lw=2,
        ms=4,
        label=f"last m snapshots (mean of {len(accuracy)} seeds)",
    )
    if single is not None:
        single = np.asarray(single, dtype=float)
        ax.axhspan(single.min(), single.max(), color="C1", alpha=0.15, lw=0)
        ax.axhline(
            single.mean(),
            color="C1",
            ls="--",
            lw=1.5,
            label="one network, one cosine cycle (band: the seeds)",
        )
    if independent is not None:
        ax.axhline(independent, color="C2", ls=":", lw=2, label="the single networks averaged")
    if chosen is not None:
        ax.axvline(chosen, color="0.5", ls=":", lw=1)
        ax.annotate(
            "chosen on validation",
            (chosen, ax.get_ylim()[0]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
            color="0.4",
        )
    ax.set_xticks(m)
    ax.set_xlabel("snapshots averaged, m (the last m)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_disagreement(
    matrix: np.ndarray, names: list[str] | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """A matrix of pairwise disagreement: the share of test points on which two models'
    predicted classes (``argmax`` of their probabilities) differ, written in each cell (%)."""
    ax = new_axes(ax)
    matrix = np.asarray(matrix, dtype=float)
    count = len(matrix)
    names = names or [str(i + 1) for i in range(count)]
    image = ax.imshow(100 * matrix, cmap="Blues", vmin=0)
    for i in range(count):
        for j in range(count):
            value = 100 * matrix[i, j]
            dark = value > 0.6 * 100 * matrix.max()
            ax.text(
                j,
                i,
                f"{value:.0f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(count), names)
    ax.set_yticks(range(count), names)
    ax.grid(False)
    plt.colorbar(image, ax=ax, label="disagreement (% of test points)")
    return ax


def prediction_map(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two coordinates per model from its predicted probabilities: principal components.

    ``probabilities`` has shape ``(models, n, classes)``; each model becomes the vector of its
    ``n * classes`` probabilities, the vectors are centred on their mean and projected on the
    two directions along which they vary most (the first two right singular vectors). Returns
    the ``(models, 2)`` coordinates and the share of the variance each direction explains.
    """
    flat = np.asarray(probabilities, dtype="float64").reshape(len(probabilities), -1)
    centred = flat - flat.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :2] * s[:2], s[:2] ** 2 / np.sum(s**2)


def plot_prediction_map(
    coordinates: np.ndarray,
    groups: dict[str, list[int]],
    single: list[int] | None = None,
    shares: np.ndarray | None = None,
    ax: plt.Axes | None = None,
    first_number: int = 1,
) -> plt.Axes:
    """Models as points in the plane of :func:`prediction_map`.

    ``groups`` maps a label (one seed) to the row indices of its snapshots in training order:
    they are joined by a line and numbered from ``first_number``, in one colour. ``single``
    lists the rows of independently trained models (black stars).
    """
    ax = new_axes(ax)
    for index, (label, rows) in enumerate(groups.items()):
        points = coordinates[rows]
        ax.plot(points[:, 0], points[:, 1], "o-", color=f"C{index}", ms=4, lw=1, label=label)
        for number, (px, py) in enumerate(points, start=first_number):
            ax.annotate(
                str(number),
                (px, py),
                textcoords="offset points",
                xytext=(3, 3),
                fontsize=7,
                color=f"C{index}",
            )
    if single:
        points = coordinates[single]
        ax.plot(
            points[:, 0],
            points[:, 1],
            "*",
            color="k",
            ms=10,
            ls="none",
            label="one network each (one cosine cycle)",
        )
    xlabel, ylabel = "first direction", "second direction"
    if shares is not None:
        xlabel += f" ({100 * shares[0]:.0f}% of the variance)"
        ylabel += f" ({100 * shares[1]:.0f}%)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax


def plot_snapshot_explorer(
    table: np.ndarray,
    schedule,
    num_steps: int,
    cycles: int,
    averaged: int,
    single: np.ndarray | None = None,
    steps_per_epoch: int | None = None,
):
    """Stop after ``cycles`` cycles and average the last ``averaged`` snapshots.

    Left: the schedule, with the snapshots taken and those averaged
    (:func:`plot_snapshot_schedule`). Right: the test accuracy of the ensemble of the last
    ``m`` of those snapshots for every ``m`` up to ``cycles``, one thin line per seed
    (``table`` is :func:`ensemble_accuracies` of the snapshots, shape ``(M, M, seeds)``), the
    chosen ``m`` ringed, and ``single`` (one value per seed: one cosine cycle over the whole
    budget) as a band.
    """
    averaged = min(averaged, cycles)
    fig, (left, right) = plt.subplots(1, 2, figsize=WIDE_FIGSIZE)
    plot_snapshot_schedule(
        schedule,
        num_steps,
        averaged=averaged,
        trained=cycles,
        steps_per_epoch=steps_per_epoch,
        ax=left,
    )
    rows = table[cycles - 1, :cycles].T  # (seeds, m)
    plot_ensemble_accuracy(rows, single=single, ax=right)
    right.plot(averaged, rows[:, averaged - 1].mean(), "o", ms=12, mfc="none", mec="C3", mew=2)
    right.set_title(
        f"after {cycles} of {table.shape[0]} cycles, last {averaged} averaged", fontsize="medium"
    )
    return fig
