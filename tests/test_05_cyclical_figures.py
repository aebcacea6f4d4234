"""Tests of what the chapter "Cyclical learning rates" added to lrbook: its figure helpers, the
noisy toy race and its explorer, and the BlockLosses callback."""

import ipywidgets as widgets
import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook import CyclicalLR
from lrbook.book.diagnostics import BlockLosses
from lrbook.book.plots import (
    STRIP_FIGSIZE,
    WIDE_FIGSIZE,
    fixed_rate_search,
    plot_against_fixed_rates,
    plot_clr,
    plot_clr_stage,
    plot_seed_runs,
)
from lrbook.book.toy import Bowl, mean_noisy_loss
from lrbook.book.widgets import clr_vs_fixed_explorer

# --- plot_clr_stage ---------------------------------------------------------------------------


def test_plot_clr_stage_draws_the_stage_its_bounds_and_the_cycle_starts():
    iterations = np.arange(601)
    values = iterations / 100
    ax = plot_clr_stage(iterations, values, (0, 6), "half_cycles", 100, title="n / s")
    assert tuple(ax.figure.get_size_inches()) == STRIP_FIGSIZE
    horizontal = [line for line in ax.lines if line.get_linestyle() == "--"]
    vertical = [line for line in ax.lines if line.get_linestyle() == ":"]
    (curve,) = [line for line in ax.lines if line.get_linestyle() == "-"]
    np.testing.assert_array_equal(curve.get_xdata(), iterations)
    np.testing.assert_array_equal(curve.get_ydata(), values)
    assert curve.get_marker() in ("", "None", None)
    assert sorted(line.get_ydata()[0] for line in horizontal) == [0, 6]
    assert [line.get_xdata()[0] for line in vertical] == [200, 400, 600]
    np.testing.assert_array_equal(ax.get_xticks(), np.arange(0, 601, 100))
    assert ax.get_ylabel() == "half_cycles" and ax.get_xlabel() == "iterations"
    assert ax.get_title() == "n / s"


def test_plot_clr_stage_draws_on_given_axes_and_marks_no_start_within_one_cycle():
    _, ax = plt.subplots()
    returned = plot_clr_stage(np.arange(150), np.zeros(150), (-1, 1), "y", 100, ax=ax)
    assert returned is ax
    assert not [line for line in ax.lines if line.get_linestyle() == ":"]


# --- plot_clr ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_plot_clr_draws_the_schedule_between_its_bounds(mode):
    ax = plot_clr(0.01, 0.1, step_size=20, num_steps=120, mode=mode, gamma=0.99)
    curve = ax.lines[-1]
    expected = np.asarray(CyclicalLR(0.01, 0.1, 20, mode=mode, gamma=0.99)(np.arange(120)))
    np.testing.assert_allclose(curve.get_ydata(), expected)
    bounds = [line.get_ydata()[0] for line in ax.lines[:-1]]
    assert bounds == [0.1, 0.01]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["max_lr = 0.1", "base_lr = 0.01"]
    assert labels[2].startswith(f"{mode}, step_size 20")
    assert ("gamma 0.99" in labels[2]) == (mode == "exp_range")


def test_plot_clr_adds_an_epoch_axis_only_when_asked():
    plain = plot_clr(0.01, 0.1, 20, 120)
    assert not plain.child_axes
    with_epochs = plot_clr(0.01, 0.1, 20, 120, steps_per_epoch=10)
    (top,) = with_epochs.child_axes
    assert top.get_xlabel() == "epoch"


# --- plot_seed_runs ---------------------------------------------------------------------------


def test_plot_seed_runs_draws_each_seed_and_the_mean_per_epoch():
    runs = {
        "a": [{"acc": [0.1, 0.5, 0.7]}, {"acc": [0.3, 0.5, 0.9]}],
        "b": [{"acc": [0.2, 0.2, 0.2]}],
    }
    ax = plot_seed_runs(runs, "acc", ylabel="accuracy")
    assert len(ax.lines) == 2 + 1 + 1 + 1  # seeds and mean of a, seed and mean of b
    mean_a = ax.lines[2]
    np.testing.assert_array_equal(mean_a.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(mean_a.get_ydata(), [0.2, 0.5, 0.8])
    assert mean_a.get_marker() == "o"
    assert ax.lines[0].get_color() == mean_a.get_color() != ax.lines[-1].get_color()
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["a (mean of 2 seeds)", "b (mean of 1 seeds)"]
    assert ax.get_ylabel() == "accuracy" and ax.get_xlabel() == "epoch"


def test_plot_seed_runs_takes_its_x_values_from_the_histories():
    runs = {"a": [{"t": [0.5, 1.0], "loss": [2.0, 1.0]}, {"t": [0.5, 1.0], "loss": [4.0, 3.0]}]}
    ax = plot_seed_runs(runs, "loss", x="t")
    mean = ax.lines[-1]
    np.testing.assert_array_equal(mean.get_xdata(), [0.5, 1.0])
    np.testing.assert_allclose(mean.get_ydata(), [3.0, 2.0])
    assert mean.get_marker() in ("", "None", None)
    assert ax.get_ylabel() == "loss"


# --- mean_noisy_loss, fixed_rate_search ------------------------------------------------------


def test_mean_noisy_loss_is_the_mean_of_noisy_descents_drawn_step_by_step():
    bowl = Bowl((0.5, 4.0))
    rates = np.linspace(0.05, 0.2, 12)
    mean = mean_noisy_loss(bowl, [1.0, -0.5], rates, noise=0.3, num_runs=7, seed=3)
    rng = np.random.default_rng(3)
    w = np.tile([1.0, -0.5], (7, 1))
    expected = [bowl(w).mean()]
    for rate in rates:
        w = w - rate * (bowl.gradient(w) + 0.3 * rng.standard_normal((7, 2)))
        expected.append(bowl(w).mean())
    np.testing.assert_allclose(mean, expected, rtol=1e-12)


def test_mean_noisy_loss_gives_each_schedule_the_same_noise():
    bowl = Bowl((1.0, 10.0))
    rates = np.array([[0.01] * 20, [0.1] * 20, list(np.linspace(0.01, 0.1, 20))])
    together = mean_noisy_loss(bowl, [-1.0, 0.5], rates, noise=0.5, num_runs=50, seed=0)
    assert together.shape == (3, 21)
    for row, alone in zip(rates, together, strict=True):
        np.testing.assert_allclose(
            mean_noisy_loss(bowl, [-1.0, 0.5], row, 0.5, 50, seed=0), alone, rtol=1e-12
        )
    search = fixed_rate_search(bowl, [-1.0, 0.5], [0.01, 0.1], 20, 0.5, 50, seed=0)
    np.testing.assert_allclose(search, together[:2], rtol=1e-12)


def test_mean_noisy_loss_without_noise_follows_the_closed_form():
    bowl = Bowl((1.0, 10.0))
    mean = mean_noisy_loss(bowl, [-1.0, 0.5], np.full(15, 0.15), 0.0, num_runs=3, seed=1)
    w = np.array([-1.0, 0.5]) * (1 - 0.15 * bowl.h) ** np.arange(16)[:, None]
    np.testing.assert_allclose(mean, bowl(w), rtol=1e-12)


def test_mean_noisy_loss_names_a_bad_argument():
    bowl = Bowl((1.0,))
    with pytest.raises(ValueError, match="mean_noisy_loss: `noise`"):
        mean_noisy_loss(bowl, [1.0], [0.1], noise=-1.0, num_runs=2, seed=0)
    with pytest.raises(ValueError, match="mean_noisy_loss: `num_runs`"):
        mean_noisy_loss(bowl, [1.0], [0.1], noise=1.0, num_runs=0, seed=0)
    with pytest.raises(ValueError, match="mean_noisy_loss: `rates`"):
        mean_noisy_loss(bowl, [1.0], np.zeros((2, 2, 2)), noise=1.0, num_runs=2, seed=0)


# --- plot_against_fixed_rates -----------------------------------------------------------------


def test_plot_against_fixed_rates_draws_the_best_fixed_rate_and_the_search():
    fixed_rates = np.array([0.01, 0.03, 0.1])
    fixed_losses = np.array([[2.0, 1.0, 0.5], [2.0, 0.5, 0.2], [2.0, 0.8, 0.4]])
    rates, losses = np.array([0.02, 0.08]), np.array([2.0, 0.6, 0.1])
    ax_rate, ax_loss, ax_search = plot_against_fixed_rates(
        "CLR", rates, losses, fixed_rates, fixed_losses, band=(0.02, 0.08), title="t"
    )
    assert tuple(ax_rate.figure.get_size_inches()) == WIDE_FIGSIZE
    fixed_rate, schedule = ax_rate.lines
    np.testing.assert_array_equal(fixed_rate.get_ydata(), [0.03, 0.03])
    np.testing.assert_array_equal(schedule.get_ydata(), rates)
    fixed_loss, schedule_loss = ax_loss.lines
    np.testing.assert_array_equal(fixed_loss.get_ydata(), fixed_losses[1])
    np.testing.assert_array_equal(schedule_loss.get_ydata(), losses)
    assert fixed_loss.get_label() == "best fixed rate, 0.03"
    search, best, schedule_final = ax_search.lines
    np.testing.assert_array_equal(search.get_ydata(), [0.5, 0.2, 0.4])
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (0.03, 0.2)
    assert schedule_final.get_ydata()[0] == 0.1
    labels = [text.get_text() for text in ax_search.get_legend().get_texts()]
    assert labels == ["fixed rates", "CLR", "CLR's bounds"]
    assert ax_search.get_xscale() == "log" and ax_loss.get_yscale() == "log"
    assert ax_rate.figure._suptitle.get_text() == "t"
    plt.close("all")


# --- clr_vs_fixed_explorer --------------------------------------------------------------------


def small_race(**options):
    settings = dict(base_lr=0.04, max_lr=0.16, step_size=50, num_steps=200, num_runs=100)
    settings.update(options)
    return clr_vs_fixed_explorer(Bowl((0.2, 10.0)), (-2.0, 0.5), **settings)


def controls_of(explorer):
    return {child.description: child for child in explorer.children[:-1]}


def test_clr_vs_fixed_explorer_has_its_controls_at_their_defaults():
    explorer = small_race(mode="exp_range", gamma=0.98)
    controls = controls_of(explorer)
    values = {name: control.value for name, control in controls.items()}
    assert values == {
        "base_lr": 0.04,
        "max_lr": 0.16,
        "step_size": 50,
        "mode": "exp_range",
        "gamma": 0.98,
    }
    assert isinstance(controls["base_lr"], widgets.FloatLogSlider)
    assert isinstance(controls["max_lr"], widgets.FloatLogSlider)
    assert isinstance(controls["step_size"], widgets.IntSlider)
    assert list(controls["mode"].options) == ["triangular", "triangular2", "exp_range"]
    assert explorer.default_figure_png().startswith(b"\x89PNG")
    plt.close("all")


def test_clr_vs_fixed_explorer_runs_clr_with_the_noise_of_the_search():
    explorer = small_race()
    plt.close("all")
    explorer.update()
    (figure,) = [plt.figure(number) for number in plt.get_fignums()]
    ax_rate, ax_loss, ax_search = figure.axes
    rates = np.asarray(CyclicalLR(0.04, 0.16, 50)(np.arange(200)), "float64")
    np.testing.assert_allclose(ax_rate.lines[1].get_ydata(), rates)
    expected = mean_noisy_loss(Bowl((0.2, 10.0)), (-2.0, 0.5), rates, 0.5, 100, seed=0)
    np.testing.assert_allclose(ax_loss.lines[1].get_ydata(), expected)
    assert "the end of cycle 2" in figure._suptitle.get_text()
    assert "best of 30 fixed rates" in figure._suptitle.get_text()
    plt.close("all")


def test_clr_vs_fixed_explorer_changes_the_outcome_with_its_controls():
    explorer = small_race()
    plt.close("all")
    explorer.update()
    at_the_bottom = plt.gcf().axes[1].lines[1].get_ydata()[-1]
    plt.close("all")
    controls_of(explorer)["step_size"].value = 40  # 200 steps stop at a peak
    at_a_peak = plt.gcf().axes[1].lines[1].get_ydata()[-1]
    assert "50% into cycle 3" in plt.gcf()._suptitle.get_text()
    assert at_a_peak > 2 * at_the_bottom
    plt.close("all")
    controls_of(explorer)["max_lr"].value = 0.3  # past the stability limit 2 / 10
    assert np.nanmax(plt.gcf().axes[1].lines[1].get_ydata()) > 1e3
    plt.close("all")


def test_clr_vs_fixed_explorer_takes_a_search_made_already():
    fixed_rates = [0.01, 0.05, 0.1]
    search = fixed_rate_search(Bowl((0.2, 10.0)), (-2.0, 0.5), fixed_rates, 200, 0.5, 100, 0)
    explorer = small_race(fixed_rates=fixed_rates, fixed_losses=search)
    assert "best of 3 fixed rates: 0.05," in _title(explorer)
    with pytest.raises(ValueError, match="clr_vs_fixed_explorer: `fixed_losses`"):
        small_race(fixed_rates=fixed_rates, fixed_losses=search[:, :-1])


def _title(explorer):
    plt.close("all")
    explorer.update()
    title = plt.gcf()._suptitle.get_text()
    plt.close("all")
    return title


def test_clr_vs_fixed_explorer_explains_bounds_in_the_wrong_order(capsys):
    explorer = small_race(base_lr=0.1, max_lr=0.1)
    plt.close("all")
    explorer.update()
    assert "must be below" in capsys.readouterr().out
    assert not plt.get_fignums()
    assert "image/png" not in explorer.mimebundle()


# --- BlockLosses ------------------------------------------------------------------------------


def feed(callback, batch_losses, batch_sizes, every):
    """Call ``callback`` as ``fit`` would for one epoch, every ``every`` batches."""
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    total = seen = 0.0
    for batch, (loss, size) in enumerate(zip(batch_losses, batch_sizes, strict=True)):
        total += loss * size
        seen += size
        if (batch + 1) % every == 0 or batch == len(batch_losses) - 1:
            callback.on_train_batch_end(batch, {"loss": total / seen})


def test_block_losses_recovers_each_batch_from_the_running_means():
    losses = [2.0, 1.0, 4.0, 3.0, 0.5]
    callback = BlockLosses(batch_size=4, num_samples=18)  # the last batch holds 2 samples
    feed(callback, losses, [4, 4, 4, 4, 2], every=1)
    np.testing.assert_allclose(callback.losses, losses)
    np.testing.assert_allclose(callback.epochs, [4 / 18, 8 / 18, 12 / 18, 16 / 18, 1.0])


def test_block_losses_averages_the_batches_of_a_block_by_their_size():
    callback = BlockLosses(batch_size=4, num_samples=18)
    feed(callback, [2.0, 1.0, 4.0, 3.0, 0.5], [4, 4, 4, 4, 2], every=2)
    np.testing.assert_allclose(callback.losses, [1.5, 3.5, 0.5])
    np.testing.assert_allclose(callback.epochs, [8 / 18, 16 / 18, 1.0])


def test_block_losses_rejects_bad_sizes():
    with pytest.raises(ValueError, match="batch_size"):
        BlockLosses(batch_size=0, num_samples=10)
    with pytest.raises(ValueError, match="num_samples"):
        BlockLosses(batch_size=4, num_samples=2.5)


def tiny_model(learning_rate, steps_per_execution):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(
        keras.optimizers.SGD(learning_rate),
        "sparse_categorical_crossentropy",
        steps_per_execution=steps_per_execution,
    )
    return model


def test_block_losses_in_fit_are_the_losses_of_the_batches():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(22, 3)).astype("float32")
    y = rng.integers(0, 2, size=22)
    model = tiny_model(learning_rate=0.0, steps_per_execution=1)  # weights never change
    callback = BlockLosses(batch_size=5, num_samples=22)
    model.fit(x, y, batch_size=5, epochs=2, shuffle=False, callbacks=[callback], verbose=0)
    per_sample = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0))
    batches = [np.mean(np.asarray(per_sample)[i : i + 5]) for i in range(0, 22, 5)]
    np.testing.assert_allclose(callback.losses, batches * 2, rtol=1e-5)
    within_epoch = np.array([5, 10, 15, 20, 22]) / 22
    np.testing.assert_allclose(callback.epochs, [*within_epoch, *(1 + within_epoch)])


def test_block_losses_with_steps_per_execution_average_to_the_epoch_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = rng.integers(0, 2, size=40)
    model = tiny_model(learning_rate=0.5, steps_per_execution=3)
    callback = BlockLosses(batch_size=4, num_samples=40)
    history = model.fit(x, y, batch_size=4, epochs=2, callbacks=[callback], verbose=0)
    assert len(callback.losses) == 2 * 4  # ten batches an epoch, in blocks of 3, 3, 3, 1
    sizes = np.array([12, 12, 12, 4] * 2)
    for epoch in range(2):
        block = slice(4 * epoch, 4 * epoch + 4)
        mean = np.sum(np.array(callback.losses[block]) * sizes[block]) / 40
        np.testing.assert_allclose(mean, history.history["loss"][epoch], rtol=1e-5)


def test_block_losses_reads_the_loss_named_by_key():
    callback = BlockLosses(batch_size=4, num_samples=8, key="replica_1_loss")
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    callback.on_train_batch_end(0, {"loss": 9.0, "replica_1_loss": 2.0})
    callback.on_train_batch_end(1, {"loss": 9.0, "replica_1_loss": 1.5})
    np.testing.assert_allclose(callback.losses, [2.0, 1.0])


def test_block_losses_names_a_key_that_is_not_logged():
    callback = BlockLosses(batch_size=4, num_samples=8, key="replica_3_loss")
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    with pytest.raises(ValueError, match=r"BlockLosses: `key` must be one of the logged .*'loss'"):
        callback.on_train_batch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="BlockLosses: `key` must be the name of a logged loss"):
        BlockLosses(batch_size=4, num_samples=8, key=1)


def test_block_losses_takes_numpy_integers_and_refuses_what_is_no_count():
    callback = BlockLosses(batch_size=np.int64(4), num_samples=np.int32(8))
    assert (callback.batch_size, callback.num_samples) == (4, 8)
    for bad in ({"batch_size": 0}, {"num_samples": 2.5}, {"batch_size": True}):
        name = next(iter(bad))
        with pytest.raises(ValueError, match=rf"BlockLosses: `{name}` must be an integer >= 1"):
            BlockLosses(**{"batch_size": 4, "num_samples": 8, **bad})


def test_block_losses_of_each_replica_are_its_own_batch_losses():
    from lrbook.book.replicas import fit_replicas

    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 3)).astype("float32")  # four whole batches: see the docstring
    y = rng.integers(0, 2, size=20)

    def make_model(seed):
        init = keras.initializers.GlorotUniform(seed=seed)
        dense = keras.layers.Dense(2, activation="softmax", kernel_initializer=init)
        return keras.Sequential([keras.Input((3,)), dense])

    callbacks = [BlockLosses(5, 20, key=f"replica_{k}_loss") for k in range(2)]
    replicas = fit_replicas(
        make_model, [0, 1], keras.optimizers.SGD(0.0), x, y,
        batch_size=5, epochs=1, shuffle=False, callbacks=callbacks, verbose=0,
    )  # fmt: skip
    for callback, model in zip(callbacks, replicas.models, strict=True):
        per_sample = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0))
        batches = [np.mean(np.asarray(per_sample)[i : i + 5]) for i in range(0, 20, 5)]
        np.testing.assert_allclose(callback.losses, batches, rtol=1e-5)
    assert not np.allclose(callbacks[0].losses, callbacks[1].losses)
