"""The explorers' display: the live widget, and its figure for pages that have no kernel."""

import base64

import matplotlib.pyplot as plt

from lrbook.book import widgets
from lrbook.book.widgets import WIDGET_VIEW, clr_explorer, step_decay_explorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_an_explorer_offers_the_widget_and_its_default_figure():
    explorer = step_decay_explorer(num_epochs=4, steps_per_epoch=5)
    bundle = explorer.mimebundle()
    assert bundle[WIDGET_VIEW]["model_id"] == explorer.model_id
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_SIGNATURE)
    assert png == explorer.default_figure_png()  # the same figure each time it is drawn
    assert "kernel" in bundle["text/plain"]


def test_the_figure_follows_the_controls_and_leaves_no_figure_open():
    explorer = step_decay_explorer(num_epochs=4, steps_per_epoch=5)
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
    explorer = clr_explorer(base_lr=0.1, max_lr=0.01)  # refused with a printed message
    bundle = explorer.mimebundle()
    assert "image/png" not in bundle
    assert WIDGET_VIEW in bundle


def test_displaying_an_explorer_sends_the_whole_bundle(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "display", lambda data, raw: shown.append((data, raw)))
    explorer = step_decay_explorer(num_epochs=4, steps_per_epoch=5)
    explorer._ipython_display_()
    [(data, raw)] = shown
    assert raw is True
    assert set(data) == {"text/plain", "image/png", WIDGET_VIEW}


def test_the_figure_comes_from_the_controls_before_any_update():
    """ipywidgets 7 (Colab's) runs the first update only once displayed, so at display time its
    ``kwargs`` is still empty: the figure must be drawn from the controls themselves."""
    explorer = step_decay_explorer(num_epochs=4, steps_per_epoch=5)
    default = explorer.default_figure_png()
    explorer.kwargs = {}  # as ipywidgets 7 leaves it before the first display
    assert explorer.default_figure_png() == default
