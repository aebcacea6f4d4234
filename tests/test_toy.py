import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook.book.plots import plot_descent_1d, plot_descent_2d, plot_schedule
from lrbook.book.toy import Bowl, gradient_descent
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
