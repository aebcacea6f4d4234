"""Tests of the figure helper and the explorer of the chapter "Annealing and step decay"."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook.book.plots import plot_step_decay
from lrbook.book.widgets import step_decay_explorer


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


def test_step_decay_explorer_has_the_three_parameters_and_a_scale_switch():
    explorer = step_decay_explorer(initial_lr=0.05, drop=0.2, epochs_drop=3, num_epochs=12)
    controls = {child.description: child for child in explorer.children[:-1]}
    assert set(controls) == {"initial rate", "drop", "epochs/drop", "log scale"}
    assert isinstance(controls["initial rate"], widgets.FloatLogSlider)
    assert controls["initial rate"].value == pytest.approx(0.05)
    assert controls["drop"].value == pytest.approx(0.2)
    assert controls["epochs/drop"].value == 3
    assert controls["epochs/drop"].max == 12
    assert controls["log scale"].value is False


def test_step_decay_explorer_redraws_when_a_slider_moves():
    explorer = step_decay_explorer(num_epochs=4, steps_per_epoch=5)
    controls = {child.description: child for child in explorer.children[:-1]}
    controls["drop"].value = 0.5
    controls["epochs/drop"].value = 1
    controls["log scale"].value = True
    ax = plt.gcf().axes[0]
    np.testing.assert_allclose(
        ax.lines[0].get_ydata(), 0.1 * 0.5 ** (np.arange(20) // 5), rtol=1e-6
    )
    assert ax.get_yscale() == "log"
