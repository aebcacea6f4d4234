"""Tests of the figure helpers of the chapter "Annealing and step decay" (the explorer's figure,
``plot_noisy_step_decay``, is tested in tests/test_toy.py)."""

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots import plot_step_decay


def test_plot_step_decay_draws_both_formulas_at_every_step():
    ax = plot_step_decay(0.1, 0.5, epochs_drop=2, num_epochs=6, steps_per_epoch=10)
    step_line, exponential_line = ax.lines
    steps = np.arange(60)
    np.testing.assert_array_equal(step_line.get_xdata(), steps)
    np.testing.assert_allclose(step_line.get_ydata(), 0.1 * 0.5 ** (steps // 20), rtol=1e-6)
    np.testing.assert_allclose(exponential_line.get_ydata(), 0.1 * 0.5 ** (steps / 20), rtol=1e-5)
    assert ax.get_legend() is not None
    assert ax.get_yscale() == "linear"


def test_plot_step_decay_lines_meet_at_every_drop_and_exponential_is_never_above():
    ax = plot_step_decay(0.2, 0.1, epochs_drop=3, num_epochs=9, steps_per_epoch=7)
    step_rates, exponential_rates = (line.get_ydata() for line in ax.lines)
    drops = np.arange(0, 63, 21)
    np.testing.assert_allclose(step_rates[drops], exponential_rates[drops], rtol=1e-5)
    assert np.all(exponential_rates <= step_rates * (1 + 1e-6))


def test_plot_step_decay_counts_epochs_on_a_second_axis_and_can_use_a_log_scale():
    ax = plot_step_decay(0.1, 0.5, 2, 6, 10, log_scale=True)
    assert ax.get_yscale() == "log"
    top_axes = [child for child in ax.get_children() if hasattr(child, "get_xlabel")]
    assert any(child.get_xlabel() == "epoch" for child in top_axes)


def test_plot_step_decay_draws_on_given_axes():
    _, ax = plt.subplots()
    assert plot_step_decay(0.1, 0.5, 1, 3, 4, ax=ax) is ax
