"""Tests of the figure helpers and the explorer of the chapter "SGDR: warm restarts"."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook import SGDR
from lrbook.book.plots import plot_formula_stage, plot_sgdr
from lrbook.book.widgets import sgdr_explorer


def test_plot_formula_stage_draws_the_values_between_dashed_bounds():
    T_cur = np.arange(10)
    values = np.cos(np.pi * T_cur / 9)
    ax = plot_formula_stage(T_cur, values, bounds=(-1.0, 1.0), ylabel="cos")
    *bounds, curve = ax.lines
    np.testing.assert_array_equal(curve.get_xdata(), T_cur)
    np.testing.assert_array_equal(curve.get_ydata(), values)
    assert [line.get_ydata()[0] for line in bounds] == [-1.0, 1.0]
    assert all(line.get_linestyle() == "--" for line in bounds)
    assert ax.get_ylabel() == "cos" and "T_{cur}" in ax.get_xlabel()


@pytest.mark.parametrize("t_mul, m_mul", [(1.0, 1.0), (2.0, 0.5), (1.5, 0.8)])
def test_plot_sgdr_draws_the_schedule_and_dots_its_cycle_ends(t_mul, m_mul):
    schedule = SGDR(min_lr=0.01, max_lr=0.1, cycle_length=10, t_mul=t_mul, m_mul=m_mul)
    ax = plot_sgdr(schedule, 100, label="sgdr")
    curve, dots = ax.lines
    np.testing.assert_allclose(curve.get_ydata(), np.asarray(schedule(np.arange(100))))
    ends = schedule.cycle_ends(100)
    np.testing.assert_array_equal(dots.get_xdata(), ends)
    # Each dot sits on its cycle's eta_min = min_lr * m_mul ** i.
    expected = 0.01 * m_mul ** np.arange(len(ends))
    np.testing.assert_allclose(dots.get_ydata(), expected, rtol=1e-6)
    assert dots.get_color() == curve.get_color()
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["sgdr", "sgdr: end of a cycle"]


def test_plot_sgdr_can_leave_the_legend_out():
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="other")
    ax.legend()
    plot_sgdr(SGDR(0.0, 0.1, cycle_length=10), 50, ax=ax, legend=False)
    assert ax.get_legend() is None
    assert len(ax.lines[-1].get_xdata()) == 5


def test_plot_sgdr_without_a_whole_cycle_draws_no_dots():
    ax = plot_sgdr(SGDR(0.0, 0.1, cycle_length=50), 20)
    assert len(ax.lines[1].get_xdata()) == 0


def test_sgdr_explorer_has_five_sliders_at_their_defaults_and_draws():
    explorer = sgdr_explorer(min_lr=0.002, max_lr=0.2, cycle_length=15, t_mul=1.5, m_mul=0.7)
    sliders = {child.description: child for child in explorer.children[:-1]}
    assert {name: slider.value for name, slider in sliders.items()} == {
        "min_lr": 0.002,
        "max_lr": 0.2,
        "cycle_length": 15,
        "t_mul": 1.5,
        "m_mul": 0.7,
    }
    assert isinstance(sliders["cycle_length"], widgets.IntSlider)
    plt.close("all")
    explorer.update()
    assert plt.get_fignums(), "the explorer drew no figure"


def test_sgdr_explorer_explains_bounds_in_the_wrong_order(capsys):
    explorer = sgdr_explorer(min_lr=0.05, max_lr=0.05)
    plt.close("all")
    explorer.update()
    assert "must be below" in capsys.readouterr().out
    assert not plt.get_fignums()
