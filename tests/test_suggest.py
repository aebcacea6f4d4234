"""The suggestion rules as pure functions, on synthetic range-test curves with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from lrbook import suggest
from lrbook.suggest import EMA, Curve, ema, lag_free, local_line, lr_range


def sweep(num_steps=100, min_lr=1e-7, max_lr=10.0):
    return min_lr * (max_lr / min_lr) ** (np.arange(num_steps) / (num_steps - 1))


def curve(
    lrs, centre=-2.0, width=0.3, diverge_at=0.0, noise=0.03, seed=0, low=0.5, high=2.3
) -> np.ndarray:
    """A range-test curve: flat at ``high``, a logistic descent to ``low`` whose steepest point
    (against log10 of the rate) is at ``10**centre``, then a quadratic rise past ``diverge_at``."""
    x = np.log10(lrs)
    loss = low + (high - low) / (1 + np.exp((x - centre) / width))
    loss = loss + np.where(x > diverge_at, 4.0 * (x - diverge_at) ** 2, 0.0)
    return loss + np.random.default_rng(seed).normal(0.0, noise, x.size)


def steepest_index(lrs, centre):
    return int(np.argmin(np.abs(np.log10(lrs) - centre)))


# ------------------------------------------------------------------------------------ EMA


def test_ema_is_bias_corrected():
    losses = [4.0, 2.0, 3.0]
    s1 = 0.1 * 4.0
    s2 = 0.9 * s1 + 0.1 * 2.0
    s3 = 0.9 * s2 + 0.1 * 3.0
    expected = [s1 / (1 - 0.9), s2 / (1 - 0.9**2), s3 / (1 - 0.9**3)]
    np.testing.assert_allclose(ema(losses, 0.9), expected, rtol=1e-12)
    np.testing.assert_allclose(ema(np.full(50, 2.5), 0.98), 2.5, rtol=1e-12)  # no pull to 0
    np.testing.assert_array_equal(ema(losses, 0.0), losses)
    smoother = EMA(0.9)
    assert [smoother.update(v) for v in losses] == pytest.approx(expected, rel=1e-12)


def test_ema_lags_behind_a_descent_and_the_lag_free_curve_does_not():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0, noise=0.0, diverge_at=np.inf)
    true_step = steepest_index(lrs, -2.0)
    ema_step = int(np.argmin(np.gradient(ema(losses), np.log10(lrs))))
    _, slopes = local_line(np.log10(lrs), losses)
    assert ema_step - true_step >= 6  # about half a decade late
    assert abs(int(np.argmin(slopes)) - true_step) <= 1


# ------------------------------------------------------------------------- lag-free curve


def test_local_line_recovers_a_straight_line_exactly():
    x = np.linspace(-5, 0, 40)
    values, slopes = local_line(x, 3.0 - 0.7 * x, half_width=0.5)
    np.testing.assert_allclose(values, 3.0 - 0.7 * x, atol=1e-12)
    np.testing.assert_allclose(slopes, -0.7, atol=1e-12)


def test_lag_free_ends_at_the_first_non_finite_loss():
    lrs = sweep(30)
    losses = curve(lrs)
    losses[20] = np.nan
    smoothed = lag_free(lrs, losses)
    assert np.all(np.isfinite(smoothed[:20])) and np.all(np.isnan(smoothed[20:]))


# ---------------------------------------------------------------------------------- rules


@pytest.mark.parametrize("centre", [-3.0, -2.0, -1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steepest_finds_the_steepest_point_then_adds_up_the_sweep(centre, seed):
    lrs = sweep()
    losses = curve(lrs, centre=centre, seed=seed)
    found = Curve(lrs, losses)
    assert abs(found.log_lrs[found.steepest] - centre) <= 0.2
    expected = lrs[: found.steepest].sum() / suggest.STEEPEST_STEPS
    assert suggest.steepest(lrs, losses) == pytest.approx(expected)
    assert 0.3 < suggest.steepest(lrs, losses) / 10**centre < 0.8  # about 5/10 of lr at t*


def test_steepest_is_scale_free_and_steady_across_sweep_lengths():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0)
    base = suggest.steepest(lrs, losses)
    assert suggest.steepest(lrs, 100 * losses + 7) == pytest.approx(base)
    long = sweep(300)
    rate_long = suggest.steepest(long, curve(long, centre=-2.0 + np.log10(1 / 3.2)))
    assert abs(np.log10(rate_long / base)) < 0.15  # a slower sweep falls earlier: same pick


def test_minimum_is_the_lowest_lag_free_point_over_ten():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0, diverge_at=-0.5)
    smoothed = lag_free(lrs, losses)
    bottom = int(np.argmin(smoothed[: np.searchsorted(np.log10(lrs), 0.0)]))
    assert suggest.minimum(lrs, losses) == pytest.approx(lrs[bottom] / 10)
    assert -1.5 < np.log10(lrs[bottom]) < -0.3  # between the descent and the rise


def test_valley_is_the_middle_of_the_descent():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0, diverge_at=-0.5)
    found = Curve(lrs, losses)
    assert found.start < found.steepest < found.bottom
    expected = np.sqrt(lrs[found.start] * lrs[found.bottom])
    assert suggest.valley(lrs, losses) == pytest.approx(expected)
    assert -3.0 < np.log10(expected) < -1.0


def test_a_spike_after_the_divergence_is_not_taken_for_the_bottom():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0, diverge_at=-0.5)
    losses[-6:] = [50.0, 0.01, 0.01, 0.01, 80.0, 0.01]  # garbage after the blow-up
    found = Curve(lrs, losses)
    assert found.log_lrs[found.bottom] < 0.0
    assert found.end < lrs.size - 6


def test_lr_range_runs_from_a_quarter_of_the_bottom_to_the_bottom():
    lrs = sweep()
    losses = curve(lrs, centre=-2.0, diverge_at=-0.5)
    low, high = lr_range(lrs, losses)
    assert high == pytest.approx(lrs[Curve(lrs, losses).bottom])
    assert low == pytest.approx(high / 4)
    assert suggest.steepest(lrs, losses) < high


def test_suggest_dispatches_and_refuses_unknown_methods():
    lrs = sweep()
    losses = curve(lrs)
    for method in suggest.METHODS:
        assert suggest.suggest(lrs, losses, method) == suggest.RULES[method](lrs, losses)
    with pytest.raises(ValueError, match=r"method must be one of .* got 'fastest'"):
        suggest.suggest(lrs, losses, "fastest")


# ------------------------------------------------------------------- curves with no answer


@pytest.mark.parametrize("method", suggest.METHODS)
def test_too_few_points_say_so(method):
    lrs = sweep(5)
    with pytest.raises(ValueError, match="fewer than 8.*lower min_lr"):
        suggest.suggest(lrs, curve(lrs), method)


@pytest.mark.parametrize("method", suggest.METHODS)
def test_a_flat_curve_says_so(method):
    lrs = sweep()
    flat = 2.3 + np.random.default_rng(3).normal(0, 0.05, lrs.size)
    with pytest.raises(ValueError, match="never falls.*widen or shift the range"):
        suggest.suggest(lrs, flat, method)


@pytest.mark.parametrize("method", suggest.METHODS)
def test_a_curve_rising_from_the_start_says_so(method):
    lrs = sweep(60, min_lr=1.0, max_lr=1e3)
    rising = 2.3 + 0.5 * np.log10(lrs) ** 2 + np.random.default_rng(4).normal(0, 0.02, lrs.size)
    with pytest.raises(ValueError, match="rises from the first steps.*lower min_lr"):
        suggest.suggest(lrs, rising, method)


@pytest.mark.parametrize("method", suggest.METHODS)
def test_a_curve_already_falling_at_the_first_rate_says_so(method):
    lrs = sweep(80, min_lr=1e-2, max_lr=10.0)
    losses = curve(lrs, centre=-1.7, width=0.5, diverge_at=0.5, noise=0.005)
    with pytest.raises(ValueError, match="starts inside the descent.*lower min_lr"):
        suggest.suggest(lrs, losses, method)


def test_mismatched_arrays_are_refused():
    with pytest.raises(ValueError, match=r"same length, got shapes \(3,\) and \(2,\)"):
        suggest.steepest([1e-3, 1e-2, 1e-1], [2.0, 1.0])
