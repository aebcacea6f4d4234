"""Tests of what the chapter "Why raising the rate helps" added to lrbook.book: its figures and
its explorer."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook.book.plots import WIDE_FIGSIZE, outcome, plot_escape, plot_toy_runs
from lrbook.book.toy import Saddle, SharpAndFlat, gradient_descent
from lrbook.book.widgets import escape_explorer

EXTENT = ((-1.6, 2.0), (-1.2, 1.2))


def test_plot_toy_runs_draws_paths_rates_and_gradient_norms():
    surface = SharpAndFlat()
    paths = {"fixed": gradient_descent(surface, [-0.8, 0.3], 0.01, 20)}
    rates = {"fixed": np.full(20, 0.01)}
    ax_map, ax_rate, ax_grad = plot_toy_runs(surface, paths, rates, EXTENT, marks={"m": [0, 0]})
    assert tuple(ax_map.figure.get_size_inches()) == WIDE_FIGSIZE
    np.testing.assert_array_equal(ax_map.lines[0].get_xydata(), paths["fixed"])
    np.testing.assert_array_equal(ax_rate.lines[0].get_ydata(), rates["fixed"])
    norms = np.linalg.norm(surface.gradient(paths["fixed"]), axis=-1)
    np.testing.assert_allclose(ax_grad.lines[0].get_ydata(), norms)
    assert ax_grad.get_yscale() == "log" and ax_grad.get_ylim()[0] == pytest.approx(1e-8)
    assert [t.get_text() for t in ax_map.texts] == ["m"]


def test_outcome_names_the_basin_or_the_escape_step():
    surface = SharpAndFlat()
    paths = {"a": np.array([surface.minimum("sharp")]), "b": np.array([surface.minimum("flat")])}
    assert outcome(surface, paths) == "a: ends in the sharp basin; b: ends in the flat basin"
    saddle = Saddle()
    assert outcome(saddle, {"c": np.array([[0, 0.1], [0, 0.6]])}) == "c: off at 1"
    assert outcome(saddle, {"c": np.array([[0, 0.1]])}) == "c: still on the plateau"


def test_plot_escape_titles_the_outcome():
    plot_escape(SharpAndFlat(), [-0.75, 0.35], 0.01, 0.3, 25, 150, EXTENT)
    title = plt.gcf()._suptitle.get_text()
    assert title.endswith("fixed: ends in the sharp basin; cyclical: ends in the flat basin")


def test_escape_explorer_has_its_controls_and_draws_the_outcome():
    explorer = escape_explorer(SharpAndFlat(), [-0.75, 0.35], max_lr=0.1, num_steps=150)
    values = {child.description: child.value for child in explorer.children[:-1]}
    assert values["base_lr"] == pytest.approx(0.01) and values["max_lr"] == pytest.approx(0.1)
    assert values["step_size"] == 25
    plt.close("all")
    explorer.update()
    (number,) = plt.get_fignums()
    assert "cyclical: ends in the sharp basin" in plt.figure(number)._suptitle.get_text()


def test_escape_explorer_explains_bounds_in_the_wrong_order(capsys):
    explorer = escape_explorer(Saddle(), [1.0, 1e-3], base_lr=0.2, max_lr=0.1)
    plt.close("all")
    explorer.update()
    assert "must be below" in capsys.readouterr().out
    assert not plt.get_fignums()
