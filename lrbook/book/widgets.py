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


def sgdr_explorer(
    min_lr: float = 0.0,
    max_lr: float = 0.1,
    cycle_length: int = 20,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    num_steps: int = 300,
):
    """Sliders for the five parameters of ``lrbook.SGDR``, redrawing
    :func:`lrbook.book.plots.plot_sgdr` over ``num_steps`` steps.

    In cycle ``i``, of ``T_i = round(cycle_length * t_mul ** i)`` steps, the rate is
    ``eta_min + 0.5 * (eta_max - eta_min) * (1 + cos(pi * T_cur / (T_i - 1)))`` with
    ``eta_max = max_lr * m_mul ** i`` and ``eta_min = min_lr * m_mul ** i``.
    """
    from lrbook.book.plots import plot_sgdr
    from lrbook.schedules import SGDR

    def draw(min_lr: float, max_lr: float, cycle_length: int, t_mul: float, m_mul: float):
        if min_lr >= max_lr:
            print(f"min_lr={min_lr} must be below max_lr={max_lr}: move one of them.")
            return
        schedule = SGDR(min_lr, max_lr, cycle_length, t_mul=t_mul, m_mul=m_mul)
        plot_sgdr(schedule, num_steps)
        plt.show()

    return Explorer(
        draw,
        min_lr=_slider(min_lr, 0.0, 0.05, 0.001, "min_lr", readout_format=".3f"),
        max_lr=_slider(max_lr, 0.01, 0.5, 0.01, "max_lr"),
        cycle_length=_slider(cycle_length, 2, 150, 1, "cycle_length", kind=widgets.IntSlider),
        t_mul=_slider(t_mul, 1.0, 3.0, 0.1, "t_mul"),
        m_mul=_slider(m_mul, 0.1, 1.0, 0.05, "m_mul"),
    )


def step_decay_explorer(
    initial_lr: float = 0.1,
    drop: float = 0.5,
    epochs_drop: int = 5,
    num_epochs: int = 30,
    steps_per_epoch: int = 63,
):
    """Sliders for the initial rate (log scale), the drop factor and the epochs between drops
    of step decay, redrawing :func:`lrbook.book.plots.plot_step_decay` (with its matching
    exponential decay) over ``num_epochs`` epochs:

    ``lr = initial_lr * drop ** floor(step / (epochs_drop * steps_per_epoch))``.
    """
    from lrbook.book.plots import plot_step_decay

    def draw(initial_lr: float, drop: float, epochs_drop: int, log_scale: bool):
        plot_step_decay(
            initial_lr, drop, epochs_drop, num_epochs, steps_per_epoch, log_scale=log_scale
        )
        plt.show()

    return Explorer(
        draw,
        initial_lr=_log_slider(initial_lr, 1e-3, 1.0, "initial rate", step=0.1),
        drop=_slider(drop, 0.05, 1.0, 0.05, "drop"),
        epochs_drop=_slider(epochs_drop, 1, num_epochs, 1, "epochs/drop", kind=widgets.IntSlider),
        log_scale=widgets.Checkbox(value=False, description="log scale"),
    )


def clr_explorer(
    base_lr: float = 0.001,
    max_lr: float = 0.006,
    step_size: int = 100,
    mode: str = "triangular",
    gamma: float = 0.997,
    num_steps: int = 600,
    steps_per_epoch: int | None = None,
):
    """Sliders for the bounds (log scale), the half-cycle length, the mode and ``gamma`` of
    ``lrbook.CyclicalLR``, redrawing :func:`lrbook.book.plots.plot_clr` over ``num_steps`` steps:

    ``lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale`` with
    ``x = abs(step / step_size - 2 * cycle + 1)``, ``cycle = floor(1 + step / (2 * step_size))``
    and ``scale`` 1 (triangular), ``1 / 2 ** (cycle - 1)`` (triangular2) or ``gamma ** step``
    (exp_range; ``gamma`` is used by that mode only).
    """
    from lrbook.book.plots import plot_clr
    from lrbook.schedules import CLR_MODES

    def draw(base_lr: float, max_lr: float, step_size: int, mode: str, gamma: float):
        if base_lr >= max_lr:
            print(f"base_lr={base_lr:.3g} must be below max_lr={max_lr:.3g}: move one of them.")
            return
        plot_clr(base_lr, max_lr, step_size, num_steps, mode, gamma, steps_per_epoch)
        plt.show()

    return Explorer(
        draw,
        base_lr=_log_slider(base_lr, 1e-5, 1.0, "base_lr"),
        max_lr=_log_slider(max_lr, 1e-5, 1.0, "max_lr"),
        step_size=_slider(
            step_size, 1, max(num_steps, step_size), 1, "step_size", kind=widgets.IntSlider
        ),
        mode=widgets.Dropdown(options=list(CLR_MODES), value=mode, description="mode"),
        gamma=_slider(gamma, 0.99, 1.0, 0.0005, "gamma", readout_format=".4f"),
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
