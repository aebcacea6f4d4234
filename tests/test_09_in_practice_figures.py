"""Tests of the figure helpers of the chapter "In practice with Keras"."""

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots import overhead_table, plot_overhead, plot_rates_used

VARIANTS = ["StepDecay", "Python callback", "constant again"]


def record():
    runs = []
    for k, (batch, per_call) in enumerate([(32, 1), (32, 32)]):
        ratios = {"constant": 0.5, "StepDecay": 1.0 + k / 100, "Python callback": 1.2 - k / 10}
        ratios["constant again"] = 1.0
        runs.append({"batch_size": batch, "steps_per_execution": per_call, "wall-clock": ratios})
    return {
        "runs": runs,
        "callback": "Python callback",
        "control": "constant again",
        "measured": "2025-01-01T00:00:00+00:00",
        "machine": {"cores": 2, "cpu": "a CPU", "keras": "3.0"},
    }


def test_overhead_table_leaves_out_the_constant_rate():
    setups, variants, ratios = overhead_table(record())
    assert variants == VARIANTS
    assert setups == ["batch 32\n1 step per call", "batch 32\n32 steps per call"]
    np.testing.assert_allclose(ratios, [[1.0, 1.2, 1.0], [1.01, 1.1, 1.0]])


def test_plot_overhead_draws_one_bar_per_setup_and_variant():
    ax = plot_overhead(record())
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [1.0, 1.01, 1.2, 1.1, 1.0, 1.0])
    colors = {
        text.get_text(): handle.get_facecolor()
        for text, handle in zip(
            ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True
        )
    }
    assert colors["Python callback"][:3] == plt.matplotlib.colors.to_rgb("C3")
    assert "2 cores of a CPU" in ax.get_title()
    assert ax.get_ylim()[0] < 1.0 < 1.2 < ax.get_ylim()[1]
    plt.close(ax.figure)


def test_plot_rates_used_draws_the_schedule_and_each_way():
    schedule = np.linspace(0.1, 0.0, 8)
    held = np.repeat(schedule[::4], 4)
    ax = plot_rates_used(schedule, {"schedule object": schedule, "callback": held})
    line, first, second = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), schedule)
    np.testing.assert_array_equal(second.get_ydata(), held)
    assert first.get_drawstyle() == "steps-post"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "the schedule",
        "schedule object",
        "callback",
    ]
    plt.close(ax.figure)
