"""Tests of the figure helpers of the chapter "SGDR: warm restarts"."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook import SGDR
from lrbook.book.plots import (
    cycle_end_basins,
    plot_formula_stage,
    plot_restarts,
    plot_sgdr,
    sgdr_descent,
)
from lrbook.book.toy import SharpAndFlat


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


def test_sgdr_descent_follows_the_schedule_and_reports_whole_cycles():
    surface = SharpAndFlat()
    path, rates, ends = sgdr_descent(surface, [-1.6, 0.4], 0.2, 20, 2.0, 100)
    schedule = SGDR(0.0, 0.2, cycle_length=20, t_mul=2.0)
    np.testing.assert_allclose(rates, np.asarray(schedule(np.arange(100))))
    assert path.shape == (101, 2) and ends == [20, 60]  # the third cycle is not whole
    step = path[0] - rates[0] * surface.gradient(path[0])
    np.testing.assert_allclose(path[1], step)
    assert cycle_end_basins(surface, path, ends) == ["sharp", "flat"]


def test_plot_restarts_marks_each_cycle_end_with_its_basin():
    surface = SharpAndFlat()
    ax_map, ax_rate, ax_loss = plot_restarts(
        surface, [-1.6, 0.4], 0.2, 20, 2.0, 140, ((-2.0, 2.0), (-1.2, 1.2))
    )
    title = ax_map.figure._suptitle.get_text()
    assert title.endswith("basin at each cycle end: sharp, flat, flat")
    assert ax_loss.get_ylabel() == "loss" and ax_loss.get_yscale() == "linear"
    dots = [line for line in ax_loss.lines if line.get_marker() == "o"]
    assert [line.get_xdata()[0] for line in dots] == [20, 60, 140]
    assert [line.get_color() for line in dots] == ["C3", "C2", "C2"]
    assert "2/h, sharp" in [t.get_text() for t in ax_rate.get_legend().get_texts()]
    plt.close("all")


def test_plot_restarts_says_so_when_no_cycle_is_whole():
    ax_map, *_ = plot_restarts(SharpAndFlat(), [-1.6, 0.4], 0.2, 50, 2.0, 30, ((-2, 2), (-1, 1)))
    assert ax_map.figure._suptitle.get_text().endswith("no whole cycle")
    plt.close("all")
