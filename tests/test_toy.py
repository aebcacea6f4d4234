import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook.book.plots import plot_descent_1d, plot_descent_2d, plot_schedule
from lrbook.book.toy import (
    Bowl,
    NoisyGradient,
    Saddle,
    SharpAndFlat,
    gradient_descent,
    mean_noisy_loss,
    noise_floor,
)
from lrbook.book.widgets import descent_explorer


@pytest.mark.parametrize("lr", [0.1, 0.9, 1.5, 2.5])
def test_descent_on_a_parabola_follows_the_closed_form(lr):
    h = 2.0
    path = gradient_descent(Bowl((h,)), [0.7], lr, num_steps=15)
    expected = 0.7 * (1 - lr * h) ** np.arange(16)
    np.testing.assert_allclose(path[:, 0], expected, rtol=1e-12)


def test_rate_may_be_a_function_of_the_step():
    rates = [0.1, 0.5, 0.2]
    path = gradient_descent(Bowl((1.0,)), [1.0], lambda step: rates[step], num_steps=3)
    np.testing.assert_allclose(path[:, 0], [1.0, 0.9, 0.45, 0.36])


def test_bowl_rates_follow_the_curvatures():
    bowl = Bowl((1.0, 10.0))
    assert bowl.largest_stable_rate == pytest.approx(0.2)
    assert bowl.best_rate == pytest.approx(2 / 11)
    stable = gradient_descent(bowl, [1.0, 1.0], 0.199, 500)[-1]
    unstable = gradient_descent(bowl, [1.0, 1.0], 0.201, 500)[-1]
    assert bowl(stable) < 1e-3 < bowl(unstable)


def test_bowl_and_descent_reject_bad_input():
    with pytest.raises(ValueError, match="curvatures"):
        Bowl((1.0, -2.0))
    with pytest.raises(ValueError, match="num_steps"):
        gradient_descent(Bowl((1.0,)), [1.0], 0.1, -1)


def test_divergence_overflows_quietly():
    path = gradient_descent(Bowl((1.0,)), [1.0], 1e3, num_steps=200)
    assert not np.isfinite(path[-1]).all()


def test_descent_plots_draw_every_finite_step():
    bowl = Bowl((1.0,))
    path = gradient_descent(bowl, [1.0], 0.5, 5)
    ax = plot_descent_1d(bowl, path, title="t")
    assert len(ax.collections[0].get_offsets()) == len(path)
    ax2 = plot_descent_2d(Bowl((1.0, 10.0)), gradient_descent(Bowl((1.0, 10.0)), [-1, 0.5], 0.1, 8))
    assert ax2.get_title() == "" and ax2.lines
    plt.close("all")


def test_plot_schedule_accepts_plain_functions():
    ax = plot_schedule(lambda step: 0.1 * 0.5 ** (step // 10), 30, label="halving")
    np.testing.assert_allclose(ax.lines[0].get_ydata()[[0, 10, 29]], [0.1, 0.05, 0.025])
    plt.close("all")


def test_explorer_has_rate_and_step_sliders():
    explorer = descent_explorer(Bowl((1.0,)), [1.0], lr=0.3, num_steps=7)
    values = {child.description: child.value for child in explorer.children[:-1]}
    assert values["rate"] == pytest.approx(0.3) and values["steps"] == 7
    with pytest.raises(ValueError, match="lr_range"):
        descent_explorer(Bowl((1.0,)), [1.0], lr_range=(1.0, 0.1))
    plt.close("all")


# --- SharpAndFlat and Saddle ------------------------------------------------------------------


def numerical_gradient(loss, w, eps=1e-6):
    w = np.asarray(w, dtype="float64")
    steps = np.eye(len(w)) * eps
    return np.array([(loss(w + e) - loss(w - e)) / (2 * eps) for e in steps])


@pytest.mark.parametrize("loss", [SharpAndFlat(), Saddle(up=3.0, down=0.5)])
@pytest.mark.parametrize("point", [[0.3, -0.2], [-0.9, 0.1], [1.2, 0.8]])
def test_toy_gradients_and_hessians_match_finite_differences(loss, point):
    np.testing.assert_allclose(loss.gradient(point), numerical_gradient(loss, point), atol=1e-7)
    hessian = np.stack(
        [numerical_gradient(lambda w, i=i: loss.gradient(w)[i], point) for i in range(2)]
    )
    np.testing.assert_allclose(loss.hessian(point), hessian, atol=1e-5)


def test_toy_losses_take_batches_of_points():
    points = np.random.default_rng(0).normal(size=(4, 3, 2))
    for loss in (SharpAndFlat(), Saddle()):
        assert loss(points).shape == (4, 3) and loss.gradient(points).shape == (4, 3, 2)
        np.testing.assert_allclose(loss(points)[1, 2], loss(points[1, 2]))


def test_sharp_and_flat_minima_have_the_curvatures_of_their_wells():
    surface = SharpAndFlat()
    for which, width in (("sharp", 0.15), ("flat", 0.6)):
        w = surface.minimum(which)
        assert np.linalg.norm(surface.gradient(w)) < 1e-12
        assert surface.basin(w) == which
        assert surface.curvature(which) == pytest.approx(1 / width**2 + 0.2, rel=0.02)
    assert surface(surface.minimum("sharp")) == pytest.approx(
        surface(surface.minimum("flat")), abs=0.003
    )
    assert surface.basin([0.0, 0.0]) is None


def test_a_fixed_rate_below_two_over_h_stays_in_the_sharp_minimum():
    surface = SharpAndFlat()
    sharp = surface.minimum("sharp")
    limit = 2 / surface.curvature("sharp")
    stays = gradient_descent(surface, sharp + [0.02, 0.0], 0.95 * limit, 500)[-1]
    assert np.linalg.norm(stays - sharp) < 1e-9
    bounces = gradient_descent(surface, sharp + [1e-6, 0.0], 1.05 * limit, 300)
    # the bottom is unstable above 2/h: the path bounces between the walls, and stays
    assert np.all(np.abs(bounces[-2:, 0] - sharp[0]) > 0.03)
    assert surface.basin(bounces[-1]) == "sharp"


def test_a_cyclical_rate_escapes_the_sharp_minimum_into_the_flat_one():
    from lrbook.book.plots.minima import fixed_and_cyclical

    surface = SharpAndFlat()
    paths, rates = fixed_and_cyclical(surface, [-0.75, 0.35], 0.01, 0.3, 25, 150)
    assert surface.basin(paths["fixed"][-1]) == "sharp"
    assert surface.basin(paths["cyclical"][-1]) == "flat"
    assert rates["fixed"].shape == rates["cyclical"].shape == (150,)
    assert rates["cyclical"][25] == pytest.approx(0.3) and rates["cyclical"][0] == pytest.approx(
        0.01
    )


def test_saddle_escape_follows_the_growth_along_negative_curvature():
    saddle = Saddle(up=1.0, down=2.0)
    np.testing.assert_array_equal(np.linalg.eigvalsh(saddle.hessian([0.0, 0.0])), [-2.0, 1.0])
    np.testing.assert_array_equal(np.diag(saddle.hessian([0.0, 1.0])), [1.0, 4.0])
    path = gradient_descent(saddle, [0.0, 1e-4], 0.05, 500)
    expected = int(np.ceil(np.log(0.5 / 1e-4) / np.log(1 + 0.05 * 2.0)))
    assert expected <= saddle.escape_step(path) <= expected + 3
    assert saddle.escape_step(path[:10]) is None
    assert saddle(path[-1]) == pytest.approx(0.0, abs=1e-12)


def test_toy_surfaces_reject_bad_parameters():
    with pytest.raises(ValueError, match="sharp_width"):
        SharpAndFlat(sharp_width=0.0)
    with pytest.raises(ValueError, match="flat_width"):
        SharpAndFlat(sharp_width=0.5, flat_width=0.4)
    with pytest.raises(ValueError, match="down"):
        Saddle(down=-1.0)
    with pytest.raises(ValueError, match="which"):
        SharpAndFlat().minimum("steep")


def test_noisy_gradient_adds_reproducible_noise_to_the_gradient():
    bowl = Bowl((1.0, 10.0))
    w = np.array([[0.3, -0.2]] * 4000)
    one, two = NoisyGradient(bowl, 0.5, seed=3), NoisyGradient(bowl, 0.5, seed=3)
    noise = one.gradient(w) - bowl.gradient(w)
    np.testing.assert_array_equal(noise, two.gradient(w) - bowl.gradient(w))
    assert abs(noise.std() - 0.5) < 0.02 and abs(noise.mean()) < 0.02
    assert one(w[0]) == bowl(w[0])
    with pytest.raises(ValueError, match="noise"):
        NoisyGradient(bowl, -1.0, seed=0)


def test_noise_floor_is_where_a_fixed_rate_settles():
    bowl = Bowl((1.0, 10.0))
    for lr in (0.02, 0.15):
        expected = sum(lr * 0.25 / (2 * (2 - lr * h)) for h in (1.0, 10.0))
        assert noise_floor(bowl, lr, 0.5) == pytest.approx(expected)
        path = gradient_descent(NoisyGradient(bowl, 0.5, seed=0), np.zeros((2000, 2)), lr, 800)
        assert bowl(path[400:]).mean() == pytest.approx(expected, rel=0.05)
    assert noise_floor(bowl, 0.2, 0.5) == np.inf  # the stability limit 2 / h_max
    with pytest.raises(ValueError, match="lr"):
        noise_floor(bowl, 0.0, 0.5)


def test_plot_noisy_step_decay_draws_both_runs_and_the_two_floors():
    from lrbook.book.plots.annealing import plot_noisy_step_decay

    bowl = Bowl((1.0, 10.0))
    ax = plot_noisy_step_decay(bowl, [-1.0, 0.5], 0.15, 0.1, 50, 150, num_runs=200, seed=1)
    decayed, constant, initial_floor, final_floor = ax.lines
    assert len(decayed.get_ydata()) == 151
    np.testing.assert_array_equal(decayed.get_ydata()[:51], constant.get_ydata()[:51])
    assert initial_floor.get_ydata()[0] == pytest.approx(noise_floor(bowl, 0.15, 0.5))
    assert final_floor.get_ydata()[0] == pytest.approx(noise_floor(bowl, 0.0015, 0.5))
    assert "× its final rate's floor" in ax.get_title()
    plt.close("all")


def test_mean_noisy_loss_is_the_mean_of_noisy_gradient_descents():
    """The two entry points to one noise model: many runs at once, or one descent of many rows."""
    bowl = Bowl(curvatures=(1.0, 10.0))
    rates = 0.15 * 0.1 ** (np.arange(60) >= 30)
    means = mean_noisy_loss(bowl, [-1.0, 0.5], rates, noise=0.5, num_runs=200, seed=4)
    starts = np.tile([-1.0, 0.5], (200, 1))
    path = gradient_descent(NoisyGradient(bowl, 0.5, seed=4), starts, lambda t: rates[t], 60)
    np.testing.assert_allclose(means, bowl(path).mean(axis=1), rtol=1e-12)
