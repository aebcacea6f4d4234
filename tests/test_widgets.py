"""The explorers' display: the live widget, and its figure for pages that have no kernel."""

import base64

import matplotlib.pyplot as plt
import pytest

from lrbook.book import widgets
from lrbook.book.toy import Bowl
from lrbook.book.widgets import WIDGET_VIEW, clr_vs_fixed_explorer, noisy_step_decay_explorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_explorer(**options):
    """A quick explorer to test the display with: step decay on a small noisy bowl."""
    options = {"steps_drop": 5, "num_steps": 20, "num_runs": 10, **options}
    return noisy_step_decay_explorer(Bowl((1.0, 10.0)), [-1.0, 0.5], **options)


def test_an_explorer_offers_the_widget_and_its_default_figure():
    explorer = small_explorer()
    bundle = explorer.mimebundle()
    assert bundle[WIDGET_VIEW]["model_id"] == explorer.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_SIGNATURE)
    assert png == explorer.default_figure_png()  # the same figure each time it is drawn
    assert "kernel" in bundle["text/plain"]


def test_the_figure_follows_the_controls_and_leaves_no_figure_open():
    explorer = small_explorer()
    plt.close("all")  # the widget's own first drawing, outside a notebook
    default = explorer.default_figure_png()
    drop = next(child for child in explorer.children if child.description == "drop")
    drop.value = 0.2
    moved = explorer.default_figure_png()
    drop.value = 0.5
    assert moved != default
    assert explorer.default_figure_png() == default
    plt.close("all")
    explorer.mimebundle()
    assert plt.get_fignums() == []


def test_values_that_draw_nothing_give_no_figure():
    explorer = clr_vs_fixed_explorer(  # bounds in the wrong order: refused with a message
        Bowl((1.0, 10.0)), [-1.0, 0.5], base_lr=0.1, max_lr=0.01, num_steps=20, num_runs=10
    )
    bundle = explorer.mimebundle()
    assert "image/png" not in bundle
    assert WIDGET_VIEW in bundle


def test_displaying_an_explorer_sends_the_whole_bundle(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "display", lambda data, raw: shown.append((data, raw)))
    explorer = small_explorer()
    explorer._ipython_display_()
    [(data, raw)] = shown
    assert raw is True
    assert set(data) == {"text/plain", "image/png", WIDGET_VIEW}


def test_the_figure_comes_from_the_controls_before_any_update():
    """ipywidgets 7 (Colab's) runs the first update only once displayed, so at display time its
    ``kwargs`` is still empty: the figure must be drawn from the controls themselves."""
    explorer = small_explorer()
    default = explorer.default_figure_png()
    explorer.kwargs = {}  # as ipywidgets 7 leaves it before the first display
    assert explorer.default_figure_png() == default


def test_noisy_step_decay_explorer_draws_the_loss_under_step_decay_and_the_floors():
    explorer = small_explorer(steps_drop=40, num_steps=100, num_runs=200)
    assert explorer.default_figure_png().startswith(PNG_SIGNATURE)
    controls = {child.description: child for child in explorer.children[:-1]}
    assert set(controls) == {"initial rate", "drop", "steps/drop", "noise"}
    plt.close("all")
    controls["drop"].value = 0.1  # a rate ten times lower after step 40: a lower loss
    decayed, constant, *floors = plt.gcf().axes[0].lines
    assert decayed.get_ydata()[-1] < 0.5 * constant.get_ydata()[-1]
    assert len(floors) == 2 and floors[1].get_ydata()[0] < floors[0].get_ydata()[0]
    plt.close("all")


def test_noisy_step_decay_explorer_refuses_an_unstable_rate_with_a_message(capsys):
    explorer = small_explorer(initial_lr=0.25)  # above 2 / h_max = 0.2
    assert "image/png" not in explorer.mimebundle()
    assert "stability limit" in capsys.readouterr().out


def _restart_explorer():
    from lrbook.book.toy import SharpAndFlat

    return widgets.restart_explorer(SharpAndFlat(), [-1.6, 0.4], num_steps=140)


def test_restart_explorer_draws_its_default_and_has_four_sliders():
    explorer = _restart_explorer()
    sliders = {child.description: child for child in explorer.children[:-1]}
    assert {name: slider.value for name, slider in sliders.items()} == pytest.approx(
        {"max_lr": 0.2, "cycle_length": 20, "t_mul": 2.0, "m_mul": 1.0}
    )
    assert explorer.default_figure_png().startswith(PNG_SIGNATURE)
    plt.close("all")


def test_restart_explorer_a_smaller_peak_keeps_the_weights_in_the_sharp_basin(monkeypatch):
    from lrbook.book.plots import restarts

    titles = []
    real = restarts.plot_restarts

    def spy(*args, **kwargs):
        axes = real(*args, **kwargs)
        titles.append(axes[0].figure._suptitle.get_text())
        return axes

    monkeypatch.setattr(restarts, "plot_restarts", spy)
    explorer = _restart_explorer()
    explorer.default_figure_png()
    max_lr = next(child for child in explorer.children if child.description == "max_lr")
    max_lr.value = 0.15
    explorer.default_figure_png()
    assert titles[0].endswith("sharp, flat, flat")
    assert titles[-1].endswith("sharp, sharp, sharp")
    plt.close("all")


def test_restart_explorer_explains_a_cycle_too_short(capsys):
    explorer = _restart_explorer()
    cycle = next(child for child in explorer.children if child.description == "cycle_length")
    cycle.min = 1
    cycle.value = 1
    plt.close("all")
    assert explorer.default_figure_png() is None
    assert "must be at least 2" in capsys.readouterr().out
