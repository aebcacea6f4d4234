"""Tests of the figure helpers and the explorer of the chapter "Snapshot ensembles"."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook import SGDR
from lrbook.book.plots import (
    ensemble_accuracies,
    plot_disagreement,
    plot_ensemble_accuracy,
    plot_prediction_map,
    plot_snapshot_explorer,
    plot_snapshot_schedule,
    prediction_map,
)
from lrbook.book.widgets import snapshot_explorer


def random_probabilities(shape, seed=0):
    scores = np.random.default_rng(seed).normal(size=shape)
    scores = np.exp(scores)
    return scores / scores.sum(axis=-1, keepdims=True)


def test_ensemble_accuracies_scores_the_last_m_of_the_first_k():
    probabilities = random_probabilities((5, 2, 30, 4))  # snapshots, seeds, examples, classes
    labels = np.random.default_rng(1).integers(0, 4, 30)
    table = ensemble_accuracies(probabilities, labels)
    assert table.shape == (5, 5, 2)
    for k in range(1, 6):
        for m in range(1, 6):
            if m > k:
                assert np.all(np.isnan(table[k - 1, m - 1]))
                continue
            mean = probabilities[k - m : k].mean(axis=0)
            expected = np.mean(np.argmax(mean, axis=-1) == labels, axis=-1)
            np.testing.assert_array_equal(table[k - 1, m - 1], expected)


def test_prediction_map_is_the_first_two_principal_components():
    rng = np.random.default_rng(0)
    direction = rng.normal(size=20)
    along = np.linspace(-3, 3, 7)
    vectors = along[:, None] * direction + 0.01 * rng.normal(size=(7, 20))
    coordinates, shares = prediction_map(vectors.reshape(7, 5, 4))
    assert coordinates.shape == (7, 2)
    assert shares[0] > 0.99 and shares[0] + shares[1] <= 1.0
    # the first coordinate orders the models as their position along the direction
    correlation = np.corrcoef(coordinates[:, 0], along)[0, 1]
    assert abs(correlation) > 0.999


def test_plot_snapshot_schedule_marks_every_cycle_end():
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=50)
    ax = plot_snapshot_schedule(schedule, 200, averaged=2, steps_per_epoch=25)
    ends = schedule.cycle_ends(200)
    dots = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
    assert [float(line.get_xdata()[0]) for line in dots] == ends
    assert [float(line.get_ydata()[0]) for line in dots] == [0.0] * 4
    filled = [line.get_markerfacecolor() != "white" for line in dots]
    assert filled == [False, False, True, True]  # the last two are averaged
    assert [text.get_text() for text in ax.texts] == ["1", "2", "3", "4"]


def test_plot_ensemble_accuracy_draws_every_seed_and_the_mean():
    accuracy = np.array([[0.90, 0.92, 0.93], [0.88, 0.91, 0.92]])
    ax = plot_ensemble_accuracy(accuracy, single=np.array([0.9, 0.91]), independent=0.94)
    seeds, mean = ax.lines[:2], ax.lines[2]
    for line, row in zip(seeds, accuracy, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), row)
    np.testing.assert_allclose(mean.get_ydata(), accuracy.mean(axis=0))
    np.testing.assert_array_equal(mean.get_xdata(), [1, 2, 3])
    assert len(ax.get_legend().get_texts()) == 3


def test_plot_disagreement_writes_each_share_in_percent():
    matrix = np.array([[0.0, 0.25], [0.25, 0.0]])
    ax = plot_disagreement(matrix)
    assert [text.get_text() for text in ax.texts] == ["0", "25", "25", "0"]


def test_plot_prediction_map_joins_each_group_in_order():
    coordinates = np.arange(12, dtype=float).reshape(6, 2)
    ax = plot_prediction_map(coordinates, {"seed 0": [0, 1], "seed 1": [2, 3]}, single=[4, 5])
    first, second, stars = ax.lines
    np.testing.assert_array_equal(first.get_xdata(), [0, 2])
    np.testing.assert_array_equal(second.get_ydata(), [5, 7])
    assert stars.get_marker() == "*" and len(stars.get_xdata()) == 2


def test_explorer_draws_the_default_figure_and_has_two_sliders():
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=50)
    table = ensemble_accuracies(random_probabilities((4, 3, 20, 5)), np.arange(20) % 5)
    figure = plot_snapshot_explorer(table, schedule, 200, cycles=3, averaged=2)
    left, right = figure.axes[:2]
    assert "after 3 of 4 cycles, last 2 averaged" in right.get_title()
    plt.close(figure)
    explorer = snapshot_explorer(table, schedule, 200, averaged=2)
    sliders = [child for child in explorer.children if isinstance(child, widgets.IntSlider)]
    assert [(s.description, s.value, s.max) for s in sliders] == [
        ("cycles", 4, 4),
        ("averaged", 2, 4),
    ]


@pytest.mark.parametrize("cycles, averaged", [(1, 1), (4, 4), (2, 3)])
def test_explorer_figure_for_every_slider_position(cycles, averaged):
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=50)
    table = ensemble_accuracies(random_probabilities((4, 3, 20, 5)), np.arange(20) % 5)
    figure = plot_snapshot_explorer(table, schedule, 200, cycles=cycles, averaged=averaged)
    right = figure.axes[1]
    assert f"last {min(averaged, cycles)} averaged" in right.get_title()
