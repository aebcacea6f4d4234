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


def test_local_line_fits_each_window_whatever_the_order_of_the_points():
    # Increasing x takes a fast path (running sums); any other order the direct fit.
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-7, 1, 120))
    y = 2.0 + np.sin(x) + rng.normal(0, 0.1, x.size)
    values, slopes = local_line(x, y, half_width=0.4)
    order = rng.permutation(x.size)
    shuffled_values, shuffled_slopes = local_line(x[order], y[order], half_width=0.4)
    np.testing.assert_allclose(shuffled_values, values[order], atol=1e-10)
    np.testing.assert_allclose(shuffled_slopes, slopes[order], atol=1e-9)
    near = np.abs(x - x[60]) <= 0.4
    slope, intercept = np.polyfit(x[near] - x[60], y[near], 1)
    assert values[60] == pytest.approx(intercept) and slopes[60] == pytest.approx(slope)


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
    with pytest.raises(
        ValueError, match=r"suggest: `method` must be one of .*; got method='fastest'\."
    ):
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


# ------------------------------------------------------------------------ linear sweeps


def linear_sweep(num_steps=100, min_lr=1e-3, max_lr=0.2):
    return min_lr + (max_lr - min_lr) * np.arange(num_steps) / (num_steps - 1)


def linear_curve(lrs, centre=0.06, width=0.01, diverge_at=np.inf, noise=0.02, seed=0):
    """Flat at 2.3, a logistic descent to 0.5 whose steepest point (against the rate itself)
    is at ``centre``, then a quadratic rise past ``diverge_at`` (rates, not decades)."""
    loss = 0.5 + 1.8 / (1 + np.exp((lrs - centre) / width))
    loss = loss + np.where(lrs > diverge_at, 400.0 * (lrs - diverge_at) ** 2, 0.0)
    return loss + np.random.default_rng(seed).normal(0.0, noise, lrs.size)


def test_the_spacing_is_read_from_the_rates():
    assert suggest.sweep_spacing(sweep()) == "exponential"
    assert suggest.sweep_spacing(linear_sweep()) == "linear"
    assert suggest.sweep_spacing(sweep(2)) == "exponential"
    assert Curve(linear_sweep(), linear_curve(linear_sweep())).spacing == "linear"
    with pytest.raises(ValueError, match=r"spacing must be one of .* got 'log'"):
        suggest.steepest(sweep(), curve(sweep()), spacing="log")


def test_a_plainly_descending_linear_sweep_is_read_in_its_own_spacing():
    lrs = linear_sweep()
    losses = linear_curve(lrs)
    found = Curve(lrs, losses)
    assert found.half_width == suggest.LINEAR_HALF_WIDTH
    np.testing.assert_allclose(found.x, (lrs - lrs[0]) / (lrs[-1] - lrs[0]))
    assert abs(lrs[found.steepest] - 0.06) <= 0.01  # where it falls fastest, in rate
    assert found.still_falling is False  # flat at the end, the lowest point long before
    picks = {method: suggest.suggest(lrs, losses, method) for method in suggest.METHODS}
    assert all(lrs[0] <= rate <= lrs[-1] for rate in picks.values())
    assert picks["valley"] == pytest.approx((lrs[found.start] + lrs[found.bottom]) / 2)
    assert picks["steepest"] == pytest.approx(lrs[: found.steepest].sum() / 10)
    assert picks == {m: suggest.suggest(lrs, losses, m, spacing="linear") for m in picks}


def test_a_narrow_linear_sweep_read_in_decades_was_refused():
    # One decade swept linearly: read in decades (as every sweep was before the rules worked
    # in the sweep's own spacing), the first window of 0.8 decades holds most of the sweep,
    # descent included, and the curve is refused; read in its own spacing, it is not.
    lrs = linear_sweep(min_lr=0.01, max_lr=0.1)
    losses = linear_curve(lrs, centre=0.04, width=0.005)
    with pytest.raises(ValueError, match="already falling fast"):
        suggest.steepest(lrs, losses, spacing="exponential")
    found = Curve(lrs, losses)
    assert abs(lrs[found.steepest] - 0.04) <= 0.003
    assert not found.still_falling
    for method in suggest.METHODS:
        assert 0.01 <= suggest.suggest(lrs, losses, method) <= 0.1


def test_lag_free_follows_a_straight_line_in_a_linear_sweep_exactly():
    lrs = linear_sweep(50)
    np.testing.assert_allclose(lag_free(lrs, 3.0 - 5.0 * lrs), 3.0 - 5.0 * lrs, atol=1e-12)


def test_rates_must_be_an_increasing_sweep():
    with pytest.raises(ValueError, match="lrs must be positive, finite and increasing"):
        suggest.steepest([1e-3, 1e-4, 1e-2], [2.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="lrs must be positive, finite and increasing"):
        suggest.steepest([0.0, 1e-4, 1e-2], [2.0, 1.0, 0.5])


# ---------------------------------------------------------- still falling where it ends


def test_a_curve_still_falling_at_the_end_says_so_and_stays_in_range():
    lrs = sweep(300, min_lr=1e-4, max_lr=1.0)  # slow: 32 steps' worth of lr_t by step t
    losses = curve(lrs, centre=-0.15, width=0.15, diverge_at=np.inf)  # steepest near max_lr
    found = Curve(lrs, losses)
    assert found.still_falling is True
    assert found.bottom >= lrs.size - 6 and found.steepest > found.start
    unclipped = lrs[: found.steepest].sum() / suggest.STEEPEST_STEPS
    assert unclipped > lrs[-1]  # the formula lands above the sweep ...
    assert suggest.steepest(lrs, losses) == lrs[-1]  # ... and the rule stops at its end
    for method in suggest.METHODS:
        assert lrs[0] <= suggest.suggest(lrs, losses, method) <= lrs[-1]
    with pytest.raises(ValueError, match=r"still falling where the sweep ends.*raise max_lr"):
        lr_range(lrs, losses)


def test_a_curve_that_turns_up_or_blows_up_is_not_still_falling():
    lrs = sweep()
    turning = curve(lrs, centre=-2.0, diverge_at=-0.5)
    assert Curve(lrs, turning).still_falling is False
    blown = curve(lrs, centre=0.85, width=0.15, diverge_at=np.inf)
    blown[-3:] = [np.nan, np.nan, np.nan]  # falling until the loss is no longer finite
    found = Curve(lrs, blown)
    assert found.still_falling is False
    assert lr_range(lrs, blown)[1] == lrs[found.bottom] <= lrs[-4]


def test_a_curve_that_never_falls_still_raises():
    lrs = sweep()
    flat = 2.3 + np.random.default_rng(3).normal(0, 0.05, lrs.size)
    with pytest.raises(ValueError, match="never falls clearly"):
        lr_range(lrs, flat)


# ---------------------------------------------------------------------------------- fuzz


def random_sweep(rng):
    """A random sweep and curve: either spacing, 12 to 300 steps, a descent anywhere (also
    outside the range), any width and noise, a rise or none, non-finite tails, spikes."""
    num_steps = int(rng.integers(12, 301))
    if rng.random() < 0.7:
        low = 10 ** rng.uniform(-8, -2)
        lrs = low * (10 ** rng.uniform(1, 9)) ** (np.arange(num_steps) / (num_steps - 1))
        x = (np.log10(lrs) - np.log10(lrs[0])) / np.ptp(np.log10(lrs))
    else:
        low = 10 ** rng.uniform(-5, -1)
        lrs = low + low * rng.uniform(2, 1000) * np.arange(num_steps) / (num_steps - 1)
        x = (lrs - lrs[0]) / np.ptp(lrs)
    high, drop = rng.uniform(0.5, 5), rng.uniform(0.01, 1)
    loss = high - high * drop / (1 + np.exp(-(x - rng.uniform(-0.3, 1.3)) / rng.uniform(0.01, 0.4)))
    rise_at = rng.uniform(0.2, 1.5)
    loss = loss + np.where(x > rise_at, rng.uniform(0, 50) * (x - rise_at) ** 2, 0.0)
    loss = loss + rng.normal(0, high * drop * rng.choice([0.0, 0.01, 0.1, 0.5]), num_steps)
    if rng.random() < 0.1:
        loss[rng.integers(0, num_steps, 3)] *= rng.uniform(3, 30)
    if rng.random() < 0.2:
        loss[rng.integers(num_steps // 4, num_steps) :] = rng.choice([np.nan, np.inf])
    return lrs, loss


def test_every_suggestion_of_thousands_of_random_curves_is_inside_the_swept_range():
    rng = np.random.default_rng(2024)
    read, still_falling, beyond = 0, 0, 0
    for _ in range(3000):
        lrs, losses = random_sweep(rng)
        try:
            found = Curve(lrs, losses)
        except ValueError:
            for method in suggest.METHODS:
                with pytest.raises(ValueError):
                    suggest.suggest(lrs, losses, method)
            continue
        read += 1
        last = found.lrs[-1]  # the last finite rate
        for method in suggest.METHODS:
            assert lrs[0] <= suggest.suggest(lrs, losses, method) <= last, (lrs, losses, method)
        beyond += lrs[: found.steepest].sum() / suggest.STEEPEST_STEPS > last
        if found.still_falling:
            still_falling += 1
            with pytest.raises(ValueError, match="raise max_lr"):
                lr_range(lrs, losses)
        else:
            assert lrs[0] < lr_range(lrs, losses)[1] <= last
    # The fuzz reaches every case: readable curves, still-falling ones, and formulas that
    # would land above the sweep without the clip.
    assert read > 800 and still_falling > 50 and beyond > 50, (read, still_falling, beyond)
