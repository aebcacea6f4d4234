"""Tests of the figure helpers and the explorer of the chapter "The learning-rate range test".

They run on synthetic range-test curves (no training): a flat start, a logistic descent, then a
rise, with a little noise, wrapped in an ``LRFinderResult``.
"""

import dataclasses

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook import suggest
from lrbook.book.plots import (
    PHASE_COLORS,
    RangeTestPhases,
    plot_range_test,
    plot_range_test_comparison,
    range_test_phases,
)
from lrbook.book.widgets import range_test_explorer
from lrbook.finder import LRFinderResult


def synthetic_result(min_lr=1e-5, max_lr=10.0, num_steps=200, centre=-2.0, seed=0):
    """A range test whose loss falls fastest at ``10**centre`` and climbs again past 0.3."""
    lrs = min_lr * (max_lr / min_lr) ** (np.arange(num_steps) / (num_steps - 1))
    x = np.log10(lrs)
    losses = 0.5 + 1.8 / (1 + np.exp((x - centre) / 0.3))
    losses = losses + np.where(x > -0.5, 3.0 * (x + 0.5) ** 2, 0.0)
    losses = losses + np.random.default_rng(seed).normal(0.0, 0.02, num_steps)
    return LRFinderResult(
        lrs=lrs,
        losses=losses,
        smoothed=suggest.ema(losses, 0.98),
        stopped_early=False,
        stop_step=None,
        stop_lr=None,
        stop_reason=None,
        min_lr=min_lr,
        max_lr=max_lr,
        num_steps=num_steps,
        mode="exponential",
        beta=0.98,
        diverge_threshold=4.0,
    )


def flat_result():
    """A range test whose loss never falls: no phases, no suggestion."""
    result = synthetic_result()
    losses = 2.3 + np.random.default_rng(1).normal(0.0, 0.02, result.num_steps)
    return LRFinderResult(**{**vars(result), "losses": losses, "smoothed": suggest.ema(losses)})


def test_range_test_phases_are_read_off_the_curve():
    result = synthetic_result()
    phases = range_test_phases(result.lrs, result.losses)
    curve = suggest.Curve(result.lrs, result.losses)
    assert isinstance(phases, RangeTestPhases)
    assert phases.too_low == (result.lrs[0], result.lrs[curve.start])
    assert phases.about_right == (result.lrs[curve.start], result.lrs[curve.bottom])
    assert phases.too_high == (result.lrs[curve.bottom], result.lrs[-1])
    assert phases.above_start == result.lrs[curve.end]
    # The descent is centred on 1e-2 and the rise starts past 10**-0.5.
    assert phases.too_low[1] < 1e-2 < phases.about_right[1]
    assert 10**-0.5 < phases.above_start < result.max_lr


def test_range_test_phases_move_with_the_curve():
    early = range_test_phases(*_arrays(synthetic_result(centre=-3.0)))
    late = range_test_phases(*_arrays(synthetic_result(centre=-2.0)))
    ratio = late.about_right[0] / early.about_right[0]
    assert 5 < ratio < 20  # one decade later, within noise


def test_range_test_phases_without_a_rise_have_no_above_start():
    result = synthetic_result(max_lr=0.1)
    assert range_test_phases(result.lrs, result.losses).above_start is None


def test_range_test_phases_refuse_a_flat_curve():
    result = flat_result()
    with pytest.raises(ValueError, match="no descending part"):
        range_test_phases(result.lrs, result.losses)


def _arrays(result):
    return result.lrs, result.losses


def test_plot_range_test_draws_the_curves_phases_and_suggestion():
    result = synthetic_result()
    ax = plot_range_test(result, beta=0.9, methods="valley", phases=True)
    by_label = {line.get_label(): line for line in ax.lines}
    np.testing.assert_array_equal(by_label["loss of each batch"].get_ydata(), result.losses)
    np.testing.assert_allclose(
        by_label["lag-free smoothing"].get_ydata(), suggest.lag_free(result.lrs, result.losses)
    )
    np.testing.assert_allclose(by_label["EMA, β=0.9"].get_ydata(), suggest.ema(result.losses, 0.9))
    pick = result.suggestion("valley")
    (dot,) = [line for label, line in by_label.items() if label.startswith("valley:")]
    assert dot.get_xdata()[0] == pick
    phases = range_test_phases(result.lrs, result.losses)
    assert by_label["loss above its start"].get_xdata()[0] == phases.above_start
    spans = [patch.get_x() for patch in ax.patches]
    assert len(ax.patches) == 3 and spans[0] == result.lrs[0]
    names = [text.get_text() for text in ax.texts]
    assert names == list(PHASE_COLORS)
    assert ax.get_xscale() == "log" and ax.get_xlim() == (result.min_lr, result.max_lr)
    assert ax.get_xlabel() and ax.get_ylabel()


def test_plot_range_test_without_ema_or_suggestion():
    ax = plot_range_test(synthetic_result(), methods=None, phases=True)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["loss of each batch", "lag-free smoothing", "loss above its start"]


def test_plot_range_test_explains_a_curve_without_a_descent():
    ax = plot_range_test(flat_result())
    assert not ax.patches
    assert any("no descending part" in text.get_text().replace("\n", " ") for text in ax.texts)


def test_plot_range_test_comparison_draws_each_result_and_its_suggestion():
    results = {"early": synthetic_result(centre=-3.0), "late": synthetic_result(centre=-2.0)}
    ax = plot_range_test_comparison(results)
    for index, (label, result) in enumerate(results.items()):
        raw, smooth, pick = ax.lines[3 * index : 3 * index + 3]
        np.testing.assert_array_equal(raw.get_ydata(), result.losses)
        assert smooth.get_label() == f"{label} (suggestion {result.suggestion():.2g})"
        assert pick.get_xdata()[0] == result.suggestion()
        assert raw.get_color() == smooth.get_color() == pick.get_color() == f"C{index}"
    assert ax.get_xscale() == "log"


def test_plot_range_test_comparison_skips_the_suggestion_it_cannot_read():
    ax = plot_range_test_comparison({"flat": flat_result(), "good": synthetic_result()})
    assert len(ax.lines) == 2 + 3
    assert ax.lines[1].get_label() == "flat"


def test_plot_range_test_comparison_draws_several_seeds_of_one_set_up_in_one_colour():
    seeds = [synthetic_result(seed=seed) for seed in (0, 1, 2)]
    ax = plot_range_test_comparison({"seeds": seeds, "late": synthetic_result(centre=-1.5)})
    assert len(ax.lines) == 3 * 3 + 3
    for index, result in enumerate(seeds):
        raw, smooth, pick = ax.lines[3 * index : 3 * index + 3]
        np.testing.assert_array_equal(raw.get_ydata(), result.losses)
        assert pick.get_xdata()[0] == result.suggestion()
        assert raw.get_color() == smooth.get_color() == pick.get_color() == "C0"
    picks = [result.suggestion() for result in seeds]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[0] == f"seeds (suggestions {min(picks):.2g} to {max(picks):.2g})"
    assert len(labels) == 2 and labels[1].startswith("late (suggestion ")


def test_range_test_explorer_rereads_the_recorded_sweep_without_training():
    result = synthetic_result()
    explorer = range_test_explorer(result, beta=0.9, method="minimum")
    controls = {child.description: child for child in explorer.children[:-1]}
    assert set(controls) == {"beta", "rule"}
    assert controls["beta"].value == 0.9 and controls["rule"].value == "minimum"
    plt.close("all")
    explorer.update()
    assert plt.get_fignums(), "the explorer drew no figure"


def test_range_test_explorer_sweeps_each_new_range_once():
    result = synthetic_result()
    calls = []

    def rerun(min_lr, max_lr):
        calls.append((min_lr, max_lr))
        return synthetic_result(min_lr=min_lr, max_lr=max_lr)

    explorer = range_test_explorer(result, rerun=rerun)
    controls = {child.description: child for child in explorer.children[:-1]}
    assert isinstance(controls["min_lr"], widgets.FloatLogSlider)
    assert controls["min_lr"].value == result.min_lr and controls["max_lr"].value == result.max_lr
    explorer.update()
    assert calls == []  # the recorded range is not swept again
    controls["max_lr"].value = 100.0
    explorer.update()
    controls["beta"].value = 0.5
    explorer.update()
    assert calls == [(result.min_lr, 100.0)]


def test_range_test_explorer_explains_bounds_in_the_wrong_order(capsys):
    result = synthetic_result(min_lr=1e-2, max_lr=1.0)
    explorer = range_test_explorer(result, rerun=lambda low, high: result)
    controls = {child.description: child for child in explorer.children[:-1]}
    controls["min_lr"].value = 0.1
    controls["max_lr"].value = 0.1
    plt.close("all")
    explorer.update()
    assert "must be below" in capsys.readouterr().out


def still_falling_result():
    """A range test stopped while its loss still falls: the descent runs to the last rate."""
    result = synthetic_result(max_lr=1e-2, centre=-2.3)
    return dataclasses.replace(result, losses=result.losses - 0.2 * np.log10(result.lrs / 1e-5))


def test_a_curve_still_falling_at_max_lr_is_flagged_and_the_plot_says_so():
    result = still_falling_result()
    assert result.still_falling and "raise max_lr" in result.problem
    assert result.lrs[0] <= result.suggestion() <= result.lrs[-1]
    with pytest.raises(ValueError, match="raise max_lr"):
        result.lr_range()
    ax = result.plot()
    assert any("raise max_lr" in text.get_text().replace("\n", " ") for text in ax.texts)


def test_a_curve_that_turns_up_is_not_flagged():
    result = synthetic_result()
    assert not result.still_falling and result.problem is None
    ax = result.plot()
    assert not ax.texts
