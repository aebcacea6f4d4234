"""The range-test figure: one function draws it, for ``LRFinderResult.plot()`` and the book.

matplotlib is imported when a figure is drawn, never by ``import lrbook``: the library runs in
training scripts that have no plotting stack.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from lrbook import suggest

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FIGSIZE = (7.0, 3.6)  # inches; the book uses the same width for every figure
PHASE_COLORS = {"too low": "0.75", "about right": "C2", "too high": "C3"}
MARKERS = {"steepest": "o", "valley": "s", "minimum": "^"}


class RangeTestPhases(NamedTuple):
    """The three phases of a range-test curve, as intervals of the rate (see
    :func:`range_test_phases`), and the rate from which the loss is above its start."""

    too_low: tuple[float, float]
    about_right: tuple[float, float]
    too_high: tuple[float, float]
    above_start: float | None


def range_test_phases(lrs, losses, spacing: str | None = None) -> RangeTestPhases:
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
    curve = suggest.Curve(lrs, losses, spacing=spacing)
    rates = curve.lrs
    above = float(rates[curve.end]) if curve.end < rates.size else None
    return RangeTestPhases(
        too_low=(float(rates[0]), float(rates[curve.start])),
        about_right=(float(rates[curve.start]), float(rates[curve.bottom])),
        too_high=(float(rates[curve.bottom]), float(rates[-1])),
        above_start=above,
    )


def value_at(lrs, values, rate: float) -> float:
    """``values`` (a curve over the rates ``lrs``) at ``rate``, interpolated in log rate."""
    lrs, values = np.asarray(lrs, dtype="float64"), np.asarray(values, dtype="float64")
    usable = np.isfinite(values)
    return float(np.interp(np.log(rate), np.log(lrs[usable]), values[usable]))


def loss_limits(losses) -> tuple[float, float]:
    """y-limits for a range test: from the lowest loss to 1.5 times the starting loss (the
    median of the first tenth of the points), so a divergence is cut off, with a 5% margin."""
    losses = np.asarray(losses, dtype="float64")
    finite = losses[np.isfinite(losses)]
    if finite.size == 0:
        return 0.0, 1.0
    low = float(finite.min())
    start = float(np.median(finite[: max(1, finite.size // 10)]))
    high = max(min(float(finite.max()), 1.5 * start), low)
    margin = 0.05 * max(high - low, 1e-12)
    return low - margin, high + margin


def plot_range_test(
    result,
    *,
    methods: str | Sequence[str] | None = suggest.METHODS,
    beta: float | None = None,
    phases: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Draw a range test (an :class:`lrbook.LRFinderResult`) against the rate.

    Drawn, in this order: the raw loss of each batch; its lag-free smoothing
    (:func:`lrbook.suggest.lag_free`, a line fitted within ``HALF_WIDTH`` decades on either
    side of each point); with ``beta``, the bias-corrected EMA
    ``s_t = beta * s_{t-1} + (1 - beta) * L_t``, ``smoothed_t = s_t / (1 - beta**t)``; with
    ``phases``, the three phases of :func:`range_test_phases`, shaded, and a dotted line where
    the loss rises above its start; the rate each rule in ``methods`` suggests, as a marker on
    the lag-free curve (for ``steepest`` also the point of fastest fall, an open circle); and
    where the sweep stopped early. When the curve cannot carry a suggestion, or is still
    falling where the sweep ended, the reason is written on the axes.

    Draws on ``ax``, or on a new figure of ``FIGSIZE`` with a white background.
    """
    ax = _new_axes(ax)
    lrs, losses = np.asarray(result.lrs), np.asarray(result.losses)
    ax.plot(lrs, losses, color="0.6", lw=0.8, label="loss of each batch")
    lag_free = suggest.lag_free(lrs, losses, spacing=result.mode)
    ax.plot(lrs, lag_free, color="C1", lw=2, label="lag-free smoothing")
    if beta is not None:
        ax.plot(lrs, suggest.ema(losses, beta), color="C0", lw=1.5, ls="--", label=f"EMA, β={beta}")
    methods = (methods,) if isinstance(methods, str) else tuple(methods or ())
    try:
        curve = suggest.Curve(lrs, losses, spacing=result.mode)  # ValueError: cannot be read
        picks = {method: result.suggestion(method) for method in methods}
        if phases:
            _shade_phases(ax, range_test_phases(lrs, losses, spacing=result.mode))
    except ValueError as error:
        _write(ax, str(error))
    else:
        _mark_suggestions(ax, lrs, lag_free, curve, picks)
        if result.problem is not None:
            _write(ax, result.problem)
    if result.stopped_early:
        ax.axvline(result.stop_lr, color="C3", ls=":", lw=1.2, label=f"stop: {result.stop_reason}")
    ax.set_xscale("log" if result.mode == "exponential" else "linear")
    ax.set_xlim(result.min_lr, result.max_lr)
    ax.set_ylim(*loss_limits(losses))
    ax.set_xlabel("learning rate" + (" (log scale)" if result.mode == "exponential" else ""))
    ax.set_ylabel("training loss")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "Plotting a range test needs matplotlib: pip install matplotlib "
            '(or pip install "lrbook[plot]").'
        ) from error

    figure, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    figure.set_facecolor("white")
    ax.set_facecolor("white")
    return ax


def _write(ax: Axes, message: str) -> None:
    ax.text(
        0.02, 0.5, textwrap.fill(message, width=90), transform=ax.transAxes, fontsize=8,
        color="C3", va="center",
    )  # fmt: skip


def _mark_suggestions(ax: Axes, lrs, lag_free, curve, picks: dict[str, float]) -> None:
    if "steepest" in picks:
        fastest = curve.steepest
        ax.plot(lrs[fastest], lag_free[fastest], "o", mfc="none", mec="k", ms=10,
                label="fastest fall")  # fmt: skip
    for index, (method, rate) in enumerate(picks.items()):
        level = value_at(lrs, lag_free, rate)
        ax.plot(rate, level, MARKERS.get(method, "D"), color=f"C{index + 2}", mec="k", ms=7,
                zorder=5, label=f"{method}: {rate:.2g}")  # fmt: skip


def _shade_phases(ax: Axes, phases: RangeTestPhases) -> None:
    intervals = {"too low": phases.too_low, "about right": phases.about_right}
    intervals["too high"] = phases.too_high
    for name, (low, high) in intervals.items():
        ax.axvspan(low, high, color=PHASE_COLORS[name], alpha=0.15, lw=0)
        middle = np.sqrt(low * high)
        ax.text(middle, 0.97, name, transform=ax.get_xaxis_transform(), ha="center", va="top")
    if phases.above_start is not None:
        ax.axvline(phases.above_start, color="C3", ls=":", lw=1.2, label="loss above its start")
