"""Explorers: sliders that redraw a chapter's figure.

Sliders need a running Python kernel (Colab, or a local Jupyter). A web page of the book has
none, so every explorer is an :class:`Explorer`: besides the widget it offers the figure for its
default values as a PNG. A notebook front end shows the widget, the HTML book the figure (it
does not show widgets: see ``nb_mime_priority_overrides`` in ``_config.yml``). Only core widgets
are used, so ipywidgets 7 (Colab) and 8 both work.
"""

from __future__ import annotations

import base64
import io
import math
from unittest import mock

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from lrbook.book.plots import plot_descent_1d
from lrbook.book.toy import gradient_descent
from lrbook.checks import require

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Explorer(widgets.interactive):
    """``ipywidgets.interactive`` (controls, then the figure ``draw`` makes from their values)
    whose display carries two views: the live widget, and a PNG of the figure for the default
    values, for wherever widgets cannot run (the HTML book, a notebook viewer).
    """

    def default_figure_png(self) -> bytes | None:
        """The figure ``draw`` makes for the controls' current values, as PNG bytes (None if it
        draws nothing, e.g. for a message about bad values)."""
        # Read the controls themselves: ipywidgets 7 fills self.kwargs only after the display.
        values = {control._kwarg: control.get_interact_value() for control in self.kwargs_widgets}
        before = set(plt.get_fignums())
        with mock.patch.object(plt, "show", lambda *args, **kwargs: None):
            self.f(**values)
        drawn = [number for number in plt.get_fignums() if number not in before]
        if not drawn:
            return None
        buffer = io.BytesIO()
        plt.figure(drawn[-1]).savefig(buffer, format="png", bbox_inches="tight")
        for number in drawn:
            plt.close(number)
        return buffer.getvalue()

    def mimebundle(self) -> dict:
        """What a display of this explorer sends: the widget view, the PNG, a text fallback."""
        bundle = {
            "text/plain": "An explorer: its sliders need a running kernel (Colab or Jupyter).",
            WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.model_id},
        }
        png = self.default_figure_png()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle

    def _ipython_display_(self, **kwargs):  # ipywidgets 7 and 8 both defer to this if present
        display(self.mimebundle(), raw=True)
        handle_displayed = getattr(self, "_handle_displayed", None)  # ipywidgets 7's callbacks
        if handle_displayed is not None:
            handle_displayed(**kwargs)


def _log_slider(
    value: float,
    low: float,
    high: float,
    description: str,
    step: float = 0.05,
    readout_format: str = ".2g",
) -> widgets.FloatLogSlider:
    """A base-10 logarithmic slider from ``low`` to ``high`` that redraws on release."""
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(low),
        max=math.log10(high),
        step=step,
        description=description,
        readout_format=readout_format,
        continuous_update=False,
    )


def _slider(value, low, high, step, description, kind=widgets.FloatSlider, **options):
    """A linear slider (``kind`` = FloatSlider or IntSlider) that redraws on release."""
    return kind(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=False,
        **options,
    )


def descent_explorer(
    loss, start, lr: float = 0.1, num_steps: int = 20, lr_range: tuple[float, float] = (1e-3, 2.0)
):
    """Sliders for the learning rate (log scale) and the number of steps of gradient descent
    on a one-parameter ``loss``, redrawing :func:`lrbook.book.plots.plot_descent_1d`."""
    low, high = lr_range
    require("descent_explorer", "lr_range", lr_range, 0 < low < high, "(low, high), 0 < low < high")

    def draw(lr: float, num_steps: int):
        path = gradient_descent(loss, start, lr, num_steps)
        plot_descent_1d(loss, path, title=f"learning rate {lr:.3g}, {num_steps} steps")
        plt.show()

    return Explorer(
        draw,
        lr=_log_slider(lr, low, high, "rate", readout_format=".3g"),
        num_steps=_slider(num_steps, 1, 100, 1, "steps", kind=widgets.IntSlider),
    )


def restart_explorer(
    loss,
    start,
    max_lr: float = 0.2,
    cycle_length: int = 20,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    num_steps: int = 140,
    extent=((-2.0, 2.0), (-1.2, 1.2)),
    marks=None,
):
    """Sliders for ``lrbook.SGDR``'s peak ``max_lr`` (log scale), ``cycle_length``, ``t_mul``
    and ``m_mul`` (``min_lr`` is 0), redrawing :func:`lrbook.book.plots.plot_restarts`:
    gradient descent from ``start`` on a :class:`~lrbook.book.toy.SharpAndFlat` ``loss`` for
    ``num_steps`` steps, titled with the basin the weights are in at each cycle end."""
    from lrbook.book.plots.restarts import plot_restarts

    def draw(max_lr: float, cycle_length: int, t_mul: float, m_mul: float):
        if cycle_length < 2:
            print(f"cycle_length={cycle_length} must be at least 2 steps: move it up.")
            return
        plot_restarts(loss, start, max_lr, cycle_length, t_mul, num_steps, extent, marks, m_mul)
        plt.show()

    return Explorer(
        draw,
        max_lr=_log_slider(max_lr, 0.01, 0.6, "max_lr", step=0.02, readout_format=".3g"),
        cycle_length=_slider(cycle_length, 2, num_steps, 1, "cycle_length", kind=widgets.IntSlider),
        t_mul=_slider(t_mul, 1.0, 3.0, 0.1, "t_mul"),
        m_mul=_slider(m_mul, 0.1, 1.0, 0.05, "m_mul"),
    )


def range_test_explorer(result, rerun=None, beta: float = 0.98, method: str = "steepest"):
    """Sliders for the EMA's ``beta`` and the suggestion rule (and, with ``rerun``, the range)
    of a learning-rate range test, redrawing :func:`lrbook.book.plots.plot_range_test`.

    ``result`` is a recorded :class:`lrbook.finder.LRFinderResult`: changing ``beta`` (the EMA
    ``s_t = beta * s_{t-1} + (1 - beta) * L_t``, bias-corrected) or the rule only re-reads its
    losses, without training. ``rerun``, if given, is a function ``rerun(min_lr, max_lr)`` that
    runs a new range test and returns its result; the range sliders then appear, and each new
    range is swept once (results are kept by range). At the recorded range, ``result`` is used.
    """
    from lrbook.book.plots import plot_range_test
    from lrbook.suggest import METHODS

    results = {(result.min_lr, result.max_lr): result}

    def recorded(min_lr: float, max_lr: float):
        for (low, high), known in results.items():
            if math.isclose(low, min_lr, rel_tol=1e-6) and math.isclose(high, max_lr, rel_tol=1e-6):
                return known
        results[(min_lr, max_lr)] = rerun(min_lr, max_lr)
        return results[(min_lr, max_lr)]

    def draw(beta: float, method: str, min_lr: float, max_lr: float):
        if min_lr >= max_lr:
            print(f"min_lr={min_lr:.3g} must be below max_lr={max_lr:.3g}: move one of them.")
            return
        plot_range_test(recorded(min_lr, max_lr), beta=beta, methods=method, phases=True)
        plt.show()

    controls = {
        "beta": _slider(beta, 0.0, 0.995, 0.005, "beta", readout_format=".3f"),
        "method": widgets.Dropdown(options=list(METHODS), value=method, description="rule"),
    }
    if rerun is None:
        controls["min_lr"] = widgets.fixed(result.min_lr)
        controls["max_lr"] = widgets.fixed(result.max_lr)
    else:
        low, high = result.min_lr, result.max_lr
        coarse = {"step": 0.25, "readout_format": ".1e"}
        controls["min_lr"] = _log_slider(low, min(low, 1e-7), max(low, 1e-1), "min_lr", **coarse)
        controls["max_lr"] = _log_slider(high, min(high, 1e-1), max(high, 1e2), "max_lr", **coarse)
    return Explorer(draw, **controls)


def snapshot_explorer(
    table,
    schedule,
    num_steps: int,
    cycles: int | None = None,
    averaged: int = 1,
    single=None,
    steps_per_epoch: int | None = None,
):
    """Sliders for the number of cycles trained and the number of snapshots averaged,
    redrawing :func:`lrbook.book.plots.plot_snapshot_explorer` from the precomputed ``table``
    (:func:`lrbook.book.plots.ensemble_accuracies`; nothing is trained again)."""
    from lrbook.book.plots import plot_snapshot_explorer

    count = table.shape[0]

    def draw(cycles: int, averaged: int):
        plot_snapshot_explorer(
            table, schedule, num_steps, cycles, averaged, single, steps_per_epoch
        )
        plt.show()

    return Explorer(
        draw,
        cycles=_slider(cycles or count, 1, count, 1, "cycles", kind=widgets.IntSlider),
        averaged=_slider(averaged, 1, count, 1, "averaged", kind=widgets.IntSlider),
    )


DIRECTION_KINDS = ["filter-normalised", "raw Gaussian"]


def landscape_explorer(
    slicer,
    networks,
    network=None,
    directions: str = "filter-normalised",
    radius: float = 1.0,
    vmax: float = 30.0,
    known: dict | None = None,
):
    """A choice of network and of random directions, and a slider for the radius of a plane
    slice, redrawing :func:`lrbook.book.plots.plot_landscape_contours` for one network.

    ``slicer(network, directions, radius)`` computes the slice and returns ``(alphas, betas,
    losses)``; ``networks`` are the names it accepts, ``directions`` is ``"filter-normalised"``
    or ``"raw Gaussian"``. Each slice is computed once and kept; ``known`` may hold slices
    computed already, by ``(network, directions, radius)``.
    """
    from lrbook.book.plots import plot_landscape_contours

    kept = {(n, d, round(r, 6)): value for (n, d, r), value in (known or {}).items()}
    require(
        "landscape_explorer",
        "directions",
        directions,
        directions in DIRECTION_KINDS,
        f"one of {DIRECTION_KINDS}",
    )

    def draw(network: str, directions: str, radius: float):
        key = (network, directions, round(radius, 6))
        if key not in kept:
            kept[key] = slicer(network, directions, radius)
        alphas, betas, losses = kept[key]
        plot_landscape_contours(
            alphas, betas, {f"{network}, {directions} directions": losses}, vmax=vmax
        )
        plt.show()

    return Explorer(
        draw,
        network=widgets.Dropdown(
            options=list(networks), value=network or list(networks)[0], description="network"
        ),
        directions=widgets.Dropdown(
            options=DIRECTION_KINDS, value=directions, description="directions"
        ),
        radius=_log_slider(radius, 0.01, 2.0, "radius", step=0.1, readout_format=".2g"),
    )


def escape_explorer(
    loss,
    start,
    base_lr: float = 0.01,
    max_lr: float = 0.3,
    step_size: int = 25,
    num_steps: int = 150,
    extent=((-1.6, 2.0), (-1.2, 1.2)),
    marks=None,
):
    """Sliders for the bounds (log scale) and the half-cycle of a cyclical rate on a toy
    surface, redrawing :func:`lrbook.book.plots.plot_escape`: gradient descent from
    ``start`` at the fixed rate ``base_lr`` and with ``CyclicalLR(base_lr, max_lr, step_size)``,
    titled with where each run ends (which basin, or when it leaves a saddle's plateau)."""
    from lrbook.book.plots.minima import plot_escape

    def draw(base_lr: float, max_lr: float, step_size: int):
        if base_lr >= max_lr:
            print(f"base_lr={base_lr:.3g} must be below max_lr={max_lr:.3g}: move one of them.")
            return
        plot_escape(loss, start, base_lr, max_lr, step_size, num_steps, extent, marks)
        plt.show()

    return Explorer(
        draw,
        base_lr=_log_slider(base_lr, 1e-3, 1.0, "base_lr", readout_format=".3g"),
        max_lr=_log_slider(max_lr, 1e-3, 1.0, "max_lr", step=0.02, readout_format=".3g"),
        step_size=_slider(step_size, 1, num_steps, 1, "step_size", kind=widgets.IntSlider),
    )


def clr_vs_fixed_explorer(
    loss,
    start,
    base_lr: float = 0.04,
    max_lr: float = 0.16,
    step_size: int = 50,
    mode: str = "triangular",
    gamma: float = 0.99,
    num_steps: int = 200,
    noise: float = 0.5,
    num_runs: int = 1000,
    seed: int = 0,
    fixed_rates=None,
    fixed_losses=None,
):
    """Sliders for the bounds (log scale), the half-cycle, the mode and ``gamma`` of
    ``lrbook.CyclicalLR`` driving gradient descent with a noisy gradient on a toy ``loss``
    (:func:`lrbook.book.toy.mean_noisy_loss`), redrawing
    :func:`lrbook.book.plots.plot_against_fixed_rates`: the cyclical run's mean loss against
    the best of ``fixed_rates`` (30 rates from 0.005 to 0.19 by default), titled with where
    each run ends. The fixed rates are searched once, with the same noise as every
    cyclical run (or ``fixed_losses`` is that search, from
    :func:`lrbook.book.plots.fixed_rate_search` with the same settings); a redraw runs the
    cyclical schedule only.
    """
    from lrbook.book.plots.noisy_race import fixed_rate_search, plot_against_fixed_rates
    from lrbook.book.toy import mean_noisy_loss
    from lrbook.schedules import CLR_MODES, CyclicalLR

    fixed_rates = np.geomspace(0.005, 0.19, 30) if fixed_rates is None else fixed_rates
    fixed_rates = np.asarray(fixed_rates, dtype="float64")
    search = fixed_losses
    if search is None:
        search = fixed_rate_search(loss, start, fixed_rates, num_steps, noise, num_runs, seed)
    require(
        "clr_vs_fixed_explorer",
        "fixed_losses",
        np.shape(search),
        np.shape(search) == (len(fixed_rates), num_steps + 1),
        "one row of num_steps + 1 losses per fixed rate",
    )
    best = int(np.nanargmin(search[:, -1]))

    def draw(base_lr: float, max_lr: float, step_size: int, mode: str, gamma: float):
        if base_lr >= max_lr:
            print(f"base_lr={base_lr:.3g} must be below max_lr={max_lr:.3g}: move one of them.")
            return
        schedule = CyclicalLR(base_lr, max_lr, step_size, mode=mode, gamma=gamma)
        rates = np.asarray(schedule(np.arange(num_steps)), dtype="float64")
        losses = mean_noisy_loss(loss, start, rates, noise, num_runs, seed)
        cycles, into = divmod(num_steps, 2 * step_size)
        where = (
            f"the end of cycle {cycles}"
            if into == 0
            else f"{into / (2 * step_size):.0%} into cycle {cycles + 1}"
        )
        final, fixed = losses[-1], search[best, -1]
        ends = f"mean loss {final:.3g}" if np.isfinite(final) else "diverged"
        ratio = f", {final / fixed:.2g} × the best fixed rate's" if np.isfinite(final) else ""
        title = (
            f"CLR, {num_steps} steps ({where}): {ends}{ratio}\n"
            f"best of {len(fixed_rates)} fixed rates: {fixed_rates[best]:.3g}, "
            f"mean loss {fixed:.3g}"
        )
        plot_against_fixed_rates(
            "CLR", rates, losses, fixed_rates, search, band=(base_lr, max_lr), title=title
        )
        plt.show()

    return Explorer(
        draw,
        base_lr=_log_slider(base_lr, 1e-3, 0.5, "base_lr", readout_format=".3g"),
        max_lr=_log_slider(max_lr, 1e-3, 0.5, "max_lr", readout_format=".3g"),
        step_size=_slider(step_size, 1, num_steps, 1, "step_size", kind=widgets.IntSlider),
        mode=widgets.Dropdown(options=list(CLR_MODES), value=mode, description="mode"),
        gamma=_slider(gamma, 0.95, 1.0, 0.001, "gamma", readout_format=".3f"),
    )


def noisy_step_decay_explorer(
    bowl,
    start,
    initial_lr: float = 0.15,
    drop: float = 0.5,
    steps_drop: int = 50,
    noise: float = 0.5,
    num_steps: int = 300,
    num_runs: int = 1000,
    seed: int = 0,
):
    """Sliders for the initial rate (log scale), the drop factor and the steps between drops of
    step decay, ``lr_t = initial_lr * drop ** floor(t / steps_drop)``, and for the gradient
    noise, redrawing :func:`lrbook.book.plots.plot_noisy_step_decay`: the mean loss of
    ``num_runs`` noisy descents on ``bowl`` under step decay and at the constant initial rate,
    against the noise floors of the initial and final rates."""
    from lrbook.book.plots.annealing import plot_noisy_step_decay

    def draw(initial_lr: float, drop: float, steps_drop: int, noise: float):
        limit = bowl.largest_stable_rate
        if initial_lr >= limit:
            print(
                f"initial_lr={initial_lr:.3g} is at or above this bowl's stability limit "
                f"2/h_max = {limit:.3g}: the descent diverges. Move it below."
            )
            return
        plot_noisy_step_decay(
            bowl, start, initial_lr, drop, steps_drop, num_steps, noise, num_runs, seed
        )
        plt.show()

    return Explorer(
        draw,
        initial_lr=_log_slider(initial_lr, 0.005, 0.3, "initial rate", readout_format=".3g"),
        drop=_slider(drop, 0.05, 1.0, 0.05, "drop"),
        steps_drop=_slider(steps_drop, 5, num_steps, 5, "steps/drop", kind=widgets.IntSlider),
        noise=_slider(noise, 0.05, 1.0, 0.05, "noise"),
    )
