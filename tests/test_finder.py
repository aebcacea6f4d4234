"""The range test on small real models: what it records, what it leaves behind, what it refuses.

The file runs under every Keras backend (`make unit` runs it under TensorFlow, JAX and PyTorch).
TensorFlow and PyTorch are imported for their input types (``tf.data``, ``DataLoader``), which
Keras' ``fit`` takes on every backend.
"""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
import torch

from lrbook import LRFinder, LRFinderResult, lr_find, sweep
from lrbook.book import data, models
from lrbook.book.determinism import make_deterministic
from lrbook.suggest import METHODS, ema, lag_free
from lrbook.sweep import SweepSchedule

BATCH = 16
LOSS = "sparse_categorical_crossentropy"
BACKEND = keras.backend.backend()
multi_step = pytest.mark.skipif(
    BACKEND == "torch",
    reason="Keras' PyTorch backend runs one step per call: steps_per_execution > 1 is refused "
    "(test_steps_per_execution_above_1_is_refused_on_torch)",
)


def steps(n):
    """``steps_per_execution=n`` as a test parameter: skipped on PyTorch when above 1."""
    return pytest.param(n, marks=multi_step) if n > 1 else n


def case(*values):
    """A parameter tuple whose last value is steps_per_execution, skipped on PyTorch above 1."""
    return pytest.param(*values, marks=multi_step) if values[-1] > 1 else values


@pytest.fixture(scope="module", autouse=True)
def deterministic():
    make_deterministic(0)


@pytest.fixture(scope="module")
def mnist():
    (x, y), _ = data.load_mnist1d()
    return x[:320], y[:320]


def small_model(seed=0, optimizer=None, steps_per_execution=1, metrics=None, built=True):
    model = models.make_mlp(seed, hidden=(16,))
    if not built:
        model = keras.Sequential(model.layers, name="unbuilt_mlp")
    model.compile(
        optimizer=optimizer if optimizer is not None else keras.optimizers.SGD(0.01),
        loss=LOSS,
        metrics=metrics,
        steps_per_execution=steps_per_execution,
    )
    return model


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(1e-3),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.01, momentum=0.9),
    "sgd_schedule": lambda: keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5),
        momentum=0.9,
    ),
    "loss_scale_adam": lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3)),
}


def trained_model(x, y, optimizer_name, steps_per_execution=1, seed=0):
    """A model that has trained a little, so that its optimizer state is not zero."""
    model = small_model(seed, OPTIMIZERS[optimizer_name](), steps_per_execution, ["accuracy"])
    model.fit(x[:96], y[:96], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model


def state_values(model) -> list[np.ndarray]:
    variables = model.variables + model.metrics_variables + model.optimizer.variables
    return [np.array(v.numpy(), copy=True) for v in variables]


def compiled_objects(model) -> dict:
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    return {
        "optimizer": model.optimizer,
        "rate": optimizer._learning_rate,
        "loss": model.loss,
        "compile_loss": model._compile_loss,
        "metrics": list(model.metrics),
        "train_function": model.train_function,
        "history": getattr(model, "history", None),
    }


def assert_unchanged(model, values_before, objects_before, steps_per_execution=1):
    after = state_values(model)
    assert len(after) == len(values_before)
    for before, now in zip(values_before, after, strict=True):
        assert before.dtype == now.dtype
        np.testing.assert_array_equal(now, before)
    objects_after = compiled_objects(model)
    for name, obj in objects_before.items():
        if name == "metrics":
            assert all(a is b for a, b in zip(objects_after[name], obj, strict=True))
        else:
            assert objects_after[name] is obj, name
    assert model.steps_per_execution == steps_per_execution
    assert "compute_loss" not in vars(model)
    assert model.stop_training is False


def assert_trains_like_twin(model, twin, x, y):
    """Training after the sweep is bit-identical to training a twin that never swept."""
    for m in (model, twin):
        m.fit(x[:64], y[:64], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(state_values(model), state_values(twin), strict=True):
        np.testing.assert_array_equal(a, b)


def optimizer_copy(model, trainable_variables):
    """A float-rate optimizer of the same kind as the model's, with a copy of its state."""
    kind = type(model.optimizer)  # on PyTorch, a subclass of Keras' own
    sgd = isinstance(model.optimizer, keras.optimizers.SGD)
    optimizer = kind(momentum=0.9) if sgd else kind()
    optimizer.build(trainable_variables)

    def state(variables):
        return [v for v in variables if "learning_rate" not in v.path]

    for target, source in zip(
        state(optimizer.variables), state(model.optimizer.variables), strict=True
    ):
        target.assign(np.array(source))  # a copy: JAX donates the arrays a step takes
    return optimizer


def replay_losses(model, x, y, lrs):
    """Each step's loss computed independently: a clone with the model's weights and optimizer
    state, the same batches, the same rates, the loss taken before each update (made by
    ``train_on_batch``, on any backend)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    optimizer = optimizer_copy(model, clone.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    clone.compile(optimizer=optimizer, loss=loss_fn)
    losses = []
    for step, rate in enumerate(lrs):
        xb, yb = x[step * BATCH : (step + 1) * BATCH], y[step * BATCH : (step + 1) * BATCH]
        losses.append(float(loss_fn(yb, clone(xb, training=True))))
        optimizer.learning_rate = float(rate)
        clone.train_on_batch(xb, yb)
    return np.array(losses)


# ----------------------------------------------------------------------------- the sweep's rates


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_sweep_rates_run_from_min_to_max_inclusive(mode):
    schedule = SweepSchedule(1e-4, 1.0, 9, mode=mode, start_step=5)
    rates = schedule.rates()
    assert rates[0] == pytest.approx(1e-4) and rates[-1] == pytest.approx(1.0)
    steps = np.diff(np.log(rates)) if mode == "exponential" else np.diff(rates)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
    in_graph = keras.ops.convert_to_numpy(schedule(np.arange(5, 14)))
    np.testing.assert_allclose(in_graph, rates, rtol=1e-5)
    assert float(schedule(0)) == pytest.approx(1e-4) and float(schedule(99)) == pytest.approx(1.0)


def test_result_records_each_step_rate_and_settings(mnist):
    x, y = mnist
    result = lr_find(small_model(), x, y, batch_size=BATCH, min_lr=1e-5, max_lr=1.0, num_steps=12)
    assert isinstance(result, LRFinderResult)
    np.testing.assert_allclose(result.lrs, 1e-5 * 1e5 ** (np.arange(12) / 11))
    assert result.losses.shape == result.smoothed.shape == (12,)
    assert (result.min_lr, result.max_lr, result.num_steps) == (1e-5, 1.0, 12)
    assert not result.stopped_early and result.stop_step is None and result.stop_lr is None


# ------------------------------------------------------------------------- the recorded losses


@pytest.mark.parametrize(
    "optimizer_name, steps_per_execution",
    [case("sgd_momentum", 1), case("adam", 1), case("adam", 4), case("sgd_schedule", 4)],
)
def test_recorded_loss_is_each_batch_loss(mnist, optimizer_name, steps_per_execution):
    x, y = mnist
    model = trained_model(x, y, optimizer_name, steps_per_execution)
    rates = SweepSchedule(1e-3, 1.0, 16).rates()
    expected = replay_losses(model, x, y, rates)  # before the sweep, from the same state
    result = lr_find(model, x, y, batch_size=BATCH, min_lr=1e-3, max_lr=1.0, num_steps=16)
    np.testing.assert_array_equal(result.lrs, rates)
    np.testing.assert_allclose(result.losses, expected, rtol=2e-5, atol=1e-6)
    running_mean = np.cumsum(expected) / np.arange(1, expected.size + 1)
    assert np.max(np.abs(result.losses - running_mean)) > 1e-2  # the test can tell them apart


def test_smoothed_is_the_bias_corrected_ema_of_the_losses(mnist):
    x, y = mnist
    result = lr_find(small_model(), x, y, batch_size=BATCH, num_steps=15, beta=0.9)
    np.testing.assert_allclose(result.smoothed, ema(result.losses, 0.9), rtol=1e-12)
    s, expected = 0.0, []
    for t, loss in enumerate(result.losses, start=1):
        s = 0.9 * s + 0.1 * loss
        expected.append(s / (1 - 0.9**t))
    np.testing.assert_allclose(result.smoothed, expected, rtol=1e-12)


@multi_step
def test_steps_per_execution_gives_every_step_its_own_rate_and_loss(mnist):
    x, y = mnist
    one = lr_find(small_model(), x, y, batch_size=BATCH, num_steps=18, min_lr=1e-3, max_lr=3.0)
    four = lr_find(
        small_model(steps_per_execution=4),
        x,
        y,
        batch_size=BATCH,
        num_steps=18,
        min_lr=1e-3,
        max_lr=3.0,
    )
    assert four.losses.size == 18 and np.unique(four.lrs).size == 18
    np.testing.assert_allclose(four.losses, one.losses, rtol=1e-5)
    assert np.unique(np.round(four.losses, 6)).size > 12  # not one value held for 4 steps


# ---------------------------------------------------------------- nothing changes in the model


@pytest.mark.parametrize(
    "optimizer_name, steps_per_execution",
    [
        case("adam", 1),
        case("sgd_momentum", 1),
        case("sgd_schedule", 1),
        case("adam", 4),
        case("loss_scale_adam", 1),
    ],
)
def test_model_is_bit_identical_after_the_sweep(mnist, optimizer_name, steps_per_execution):
    x, y = mnist
    model = trained_model(x, y, optimizer_name, steps_per_execution)
    twin = trained_model(x, y, optimizer_name, steps_per_execution)
    values, objects = state_values(model), compiled_objects(model)
    result = lr_find(model, x, y, batch_size=BATCH, num_steps=20, min_lr=1e-3, max_lr=10.0)
    assert result.losses.size >= 2
    assert_unchanged(model, values, objects, steps_per_execution)
    assert_trains_like_twin(model, twin, x, y)


def test_model_is_restored_after_divergence(mnist):
    x, y = mnist
    model, twin = trained_model(x, y, "sgd_momentum"), trained_model(x, y, "sgd_momentum")
    values, objects = state_values(model), compiled_objects(model)
    result = lr_find(model, x, y, batch_size=BATCH, min_lr=0.1, max_lr=1e4, num_steps=40)
    assert result.stopped_early and result.losses.size < 40
    assert result.stop_step == result.losses.size - 1
    assert result.stop_lr == result.lrs[-1]
    assert_unchanged(model, values, objects)
    assert_trains_like_twin(model, twin, x, y)


def test_divergence_stops_at_the_first_step_over_the_threshold(mnist):
    x, y = mnist
    result = lr_find(small_model(), x, y, batch_size=BATCH, min_lr=0.1, max_lr=1e4, num_steps=40)
    assert result.stop_reason in ("diverged", "non-finite loss")
    smoothed = result.smoothed
    for step in range(result.stop_step):
        assert np.isfinite(result.losses[step])
        assert smoothed[step] <= 4.0 * smoothed[: step + 1].min()
    last = result.stop_step
    if result.stop_reason == "diverged":
        assert smoothed[last] > 4.0 * smoothed[: last + 1].min()
    else:
        assert not np.isfinite(result.losses[last])


def test_non_finite_loss_stops_the_sweep_where_it_happens(mnist):
    x, _ = mnist
    x = x.copy()
    x[7 * BATCH + 3] = 1e30  # the eighth batch's squared error overflows to inf
    targets = x.mean(axis=(1, 2))
    model = keras.Sequential(
        [
            keras.Input((40, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(1, kernel_initializer="ones"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    model.fit(x[200:], targets[200:], batch_size=BATCH, verbose=0)
    values, objects = state_values(model), compiled_objects(model)
    result = lr_find(model, x, targets, batch_size=BATCH, num_steps=20)
    assert result.stopped_early and result.stop_reason == "non-finite loss"
    assert result.stop_step == 7 and result.stop_lr == result.lrs[7] and result.losses.size == 8
    assert np.all(np.isfinite(result.losses[:7])) and not np.isfinite(result.losses[7])
    assert_unchanged(model, values, objects)


class Batches(keras.utils.PyDataset):
    """``x, y`` in batches of ``BATCH``, the last one possibly smaller."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return int(np.ceil(len(self.x) / BATCH))

    def __getitem__(self, index):
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]


class FailingBatches(Batches):
    """Batches that raise ``error`` when batch ``fail_at`` is requested."""

    def __init__(self, x, y, fail_at, error):
        super().__init__(x, y)
        self.fail_at, self.error = fail_at, error

    def __getitem__(self, index):
        if index == self.fail_at:
            raise self.error
        return super().__getitem__(index)


def test_model_is_restored_after_an_exception_from_the_data(mnist):
    x, y = mnist
    model, twin = trained_model(x, y, "adam"), trained_model(x, y, "adam")
    values, objects = state_values(model), compiled_objects(model)
    with pytest.raises(Exception, match="broken batch"):
        lr_find(model, FailingBatches(x, y, 9, RuntimeError("broken batch")), num_steps=30)
    assert_unchanged(model, values, objects)
    assert_trains_like_twin(model, twin, x, y)


def test_model_is_restored_after_keyboard_interrupt(mnist, monkeypatch):
    x, y = mnist
    model, twin = trained_model(x, y, "sgd_schedule"), trained_model(x, y, "sgd_schedule")
    values, objects = state_values(model), compiled_objects(model)
    record = LRFinder.on_train_batch_end
    steps_seen = []

    def interrupted(self, batch, logs=None):
        record(self, batch, logs)
        steps_seen.append(batch)
        if batch == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(LRFinder, "on_train_batch_end", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lr_find(model, x, y, batch_size=BATCH, num_steps=30)
    assert steps_seen[-1] == 5  # the sweep was under way
    assert_unchanged(model, values, objects)
    assert_trains_like_twin(model, twin, x, y)


def test_unbuilt_model_and_optimizer_are_built_and_left_at_their_initial_values(mnist):
    x, y = mnist
    model = small_model(optimizer=keras.optimizers.Adam(), built=False)
    reference = small_model(optimizer=keras.optimizers.Adam(), built=False)
    reference.build((None, 40, 1))
    reference.optimizer.build(reference.trainable_variables)
    assert not model.built and not model.optimizer.built
    lr_find(model, x, y, batch_size=BATCH, num_steps=10)
    assert model.built and model.optimizer.built
    for a, b in zip(state_values(model), state_values(reference), strict=True):
        np.testing.assert_array_equal(a, b)
    assert_trains_like_twin(model, reference, x, y)


# ------------------------------------------------------------------------------ inputs


def test_arrays_dataset_and_pydataset_give_the_same_curve_repeating_small_data(mnist):
    x, y = mnist
    x, y = x[: 3 * BATCH], y[: 3 * BATCH]  # three batches, a sweep of eight steps
    settings = {"num_steps": 8, "min_lr": 1e-3, "max_lr": 1.0}
    from_arrays = lr_find(small_model(), x, y, batch_size=BATCH, **settings)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    from_dataset = lr_find(small_model(), dataset, **settings)
    from_pydataset = lr_find(small_model(), Batches(x, y), **settings)
    assert from_arrays.losses.size == 8
    np.testing.assert_allclose(from_dataset.losses, from_arrays.losses, rtol=1e-6)
    np.testing.assert_allclose(from_pydataset.losses, from_arrays.losses, rtol=1e-6)
    tiled = np.arange(8 * BATCH) % len(x)
    long = lr_find(small_model(), x[tiled], y[tiled], batch_size=BATCH, **settings)
    np.testing.assert_array_equal(long.losses, from_arrays.losses)


def batches_of(x, y):
    """A Python generator of (x, y) batches of BATCH rows."""
    for start in range(0, len(x), BATCH):
        yield x[start : start + BATCH], y[start : start + BATCH]


def loader_of(x, y, **kwargs):
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return torch.utils.data.DataLoader(dataset, batch_size=BATCH, **kwargs)


def test_a_generator_and_a_dataloader_give_the_same_curve_as_arrays(mnist):
    x, y = mnist
    settings = {"num_steps": 8, "min_lr": 1e-3, "max_lr": 1.0}
    from_arrays = lr_find(small_model(), x, y, batch_size=BATCH, **settings)
    generator = batches_of(x, y)  # 20 batches
    from_generator = lr_find(small_model(), generator, **settings)
    np.testing.assert_allclose(from_generator.losses, from_arrays.losses, rtol=1e-6)
    np.testing.assert_array_equal(next(generator)[0], x[8 * BATCH : 9 * BATCH])  # 8 taken
    from_iterator = lr_find(small_model(), iter(list(batches_of(x, y))), **settings)
    np.testing.assert_allclose(from_iterator.losses, from_arrays.losses, rtol=1e-6)
    few = slice(0, 3 * BATCH)  # three batches: the loader is run through again and again
    from_loader = lr_find(small_model(), loader_of(x[few], y[few]), **settings)
    repeated = lr_find(small_model(), x[few], y[few], batch_size=BATCH, **settings)
    np.testing.assert_allclose(from_loader.losses, repeated.losses, rtol=1e-6)


def test_a_shuffling_dataloader_and_an_unbuilt_model(mnist):
    x, y = mnist
    model = small_model(built=False)
    reference = small_model(built=False)
    reference.build((None, 40, 1))
    result = lr_find(model, loader_of(x[:64], y[:64], shuffle=True), num_steps=10)
    assert result.losses.size == 10 and np.all(np.isfinite(result.losses))
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_generator_that_runs_out_ends_the_sweep_short_with_a_warning(mnist):
    x, y = mnist
    model, twin = trained_model(x, y, "adam"), trained_model(x, y, "adam")
    values, objects = state_values(model), compiled_objects(model)
    few = batches_of(x[: 5 * BATCH], y[: 5 * BATCH])
    with pytest.warns(UserWarning, match=r"ran 5 of num_steps=12 steps: x, a generator, ran out"):
        result = lr_find(model, few, num_steps=12, min_lr=1e-3, max_lr=1.0)
    assert result.losses.size == 5 and not result.stopped_early
    assert_unchanged(model, values, objects)
    assert_trains_like_twin(model, twin, x, y)


def test_same_inputs_and_seed_give_the_same_curve(mnist):
    x, y = mnist
    first = lr_find(small_model(optimizer=keras.optimizers.Adam()), x, y, batch_size=BATCH)
    second = lr_find(small_model(optimizer=keras.optimizers.Adam()), x, y, batch_size=BATCH)
    np.testing.assert_array_equal(first.lrs, second.lrs)
    np.testing.assert_array_equal(first.losses, second.losses)
    np.testing.assert_array_equal(first.smoothed, second.smoothed)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"min_lr": 0.0}, "min_lr"),
        ({"min_lr": -1e-3}, "min_lr"),
        ({"min_lr": float("nan")}, "min_lr"),
        ({"max_lr": 0.0}, "max_lr"),
        ({"min_lr": 1.0, "max_lr": 1.0}, "min_lr"),
        ({"min_lr": 2.0, "max_lr": 1.0}, "min_lr"),
        ({"num_steps": 1}, "num_steps"),
        ({"num_steps": 10.5}, "num_steps"),
        ({"mode": "cosine"}, "mode"),
        ({"beta": 1.0}, "beta"),
        ({"beta": -0.1}, "beta"),
        ({"diverge_threshold": 1.0}, "diverge_threshold"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_arguments_raise_before_any_training(mnist, kwargs, name):
    x, y = mnist
    model = small_model()
    values = state_values(model)
    with pytest.raises(ValueError, match=name) as error:
        lr_find(model, x, y, **kwargs)
    value = kwargs.get(name, kwargs.get("min_lr"))
    assert repr(value) in str(error.value)
    assert not model.optimizer.built and model.train_function is None
    for before, now in zip(values, state_values(model), strict=True):
        np.testing.assert_array_equal(before, now)


def test_bad_data_and_models_are_refused(mnist):
    x, y = mnist
    uncompiled = models.make_mlp(0, hidden=(16,))
    with pytest.raises(
        ValueError, match=r"lr_find: `model` must be compiled with an optimizer and a loss"
    ):
        lr_find(uncompiled, x, y)
    model = small_model()
    with pytest.raises(
        ValueError, match=r"lr_find: `x` must be non-empty \(at least one sample\); got 0 samples\."
    ):
        lr_find(model, x[:0], y[:0])
    with pytest.raises(
        ValueError, match=r"lr_find: `y` must be as long as x; got samples of sizes \[10, 320\]\."
    ):
        lr_find(model, x, y[:10])
    with pytest.raises(
        ValueError,
        match=r"lr_find: `x` must be non-empty \(at least one batch\); got an empty PyDataset\.",
    ):
        lr_find(model, Batches(x[:0], y[:0]))
    with pytest.raises(
        ValueError, match=r"lr_find: `y` must be None when x is a Batches; got a ndarray\."
    ):
        lr_find(model, Batches(x, y), y)
    with pytest.raises(
        ValueError,
        match=r"`x` must be non-empty \(at least one batch\); got an empty tf.data.Dataset\.",
    ):
        lr_find(model, tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH).take(0))
    with pytest.raises(ValueError, match=r"lr_find: `x` must be arrays .*; got a str\."):
        lr_find(model, "images.npy", y)
    empty = r"lr_find: `x` must be non-empty \(at least one batch\); got an "
    with pytest.raises(ValueError, match=empty + r"exhausted generator\."):
        lr_find(model, batches_of(x[:0], y[:0]))
    with pytest.raises(ValueError, match=empty + r"empty DataLoader\."):
        lr_find(model, loader_of(x[:0], y[:0]))
    with pytest.raises(ValueError, match=r"lr_find: `y` must be None when x is a generator"):
        lr_find(model, batches_of(x, y), y)
    assert not model.optimizer.built and model.train_function is None
    accumulating = small_model(optimizer=keras.optimizers.SGD(gradient_accumulation_steps=2))
    with pytest.raises(
        ValueError,
        match=r"lr_find: `model.optimizer.gradient_accumulation_steps` must be None.*got .*=2\.",
    ):
        lr_find(accumulating, x, y)


# ------------------------------------------------------------------------ the callback


def test_callback_records_the_same_sweep_as_lr_find(mnist):
    x, y = mnist
    x, y = x[: 8 * BATCH], y[: 8 * BATCH]  # eight batches an epoch: the sweep spans two
    settings = {"min_lr": 1e-4, "max_lr": 3.0, "num_steps": 12}
    expected = lr_find(small_model(), x, y, batch_size=BATCH, **settings)
    model = small_model()
    values, objects = state_values(model), compiled_objects(model)
    finder = LRFinder(**settings)
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=5,
        shuffle=False,
        verbose=0,
        validation_data=(mnist[0][-64:], mnist[1][-64:]),  # evaluated between the epochs
        callbacks=[finder],
    )
    assert len(history.epoch) == 2  # fit stopped once the sweep was over
    np.testing.assert_allclose(finder.result.losses, expected.losses, rtol=1e-6)
    np.testing.assert_array_equal(finder.result.lrs, expected.lrs)
    for before, now in zip(values, state_values(model), strict=True):
        np.testing.assert_array_equal(before, now)
    assert model.optimizer._learning_rate is objects["rate"]
    assert "compute_loss" not in vars(model)


@pytest.mark.parametrize(
    "steps_per_execution, iterations",
    [(1, 10), pytest.param(4, 12, marks=multi_step)],  # 4: three executions of four steps
)
def test_callback_without_restore_keeps_the_sweep_training(mnist, steps_per_execution, iterations):
    x, y = mnist
    model = small_model(steps_per_execution=steps_per_execution)
    twin = small_model(steps_per_execution=steps_per_execution)
    rate_variable = model.optimizer._learning_rate
    finder = LRFinder(min_lr=1e-3, max_lr=1.0, num_steps=10, restore=False)
    model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0, callbacks=[finder])
    assert finder.result.losses.size == 10
    assert int(model.optimizer.iterations) == iterations
    assert not any(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), twin.get_weights(), strict=True)
    )  # the model kept the sweep's updates
    assert model.optimizer._learning_rate is rate_variable
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert "compute_loss" not in vars(model)


def test_callback_warns_when_fit_is_shorter_than_the_sweep(mnist):
    x, y = mnist
    finder = LRFinder(num_steps=50)
    with pytest.warns(UserWarning, match="ran 5 of num_steps=50"):
        small_model().fit(
            x[: 5 * BATCH], y[: 5 * BATCH], batch_size=BATCH, verbose=0, callbacks=[finder]
        )
    assert finder.result.losses.size == 5


def test_callback_close_restores_the_model_after_fit_raised(mnist):
    x, y = mnist
    model = trained_model(x, y, "adam")
    values, objects = state_values(model), compiled_objects(model)
    finder = LRFinder(num_steps=30)
    with pytest.raises(Exception, match="broken batch"):
        model.fit(
            FailingBatches(x, y, 8, RuntimeError("broken batch")), callbacks=[finder], verbose=0
        )
    assert "compute_loss" in vars(model)  # Keras skipped on_train_end: the sweep is still in place
    finder.close()
    assert "compute_loss" not in vars(model)
    objects["train_function"] = model.train_function  # fit made these two of its own
    objects["history"] = model.history
    assert_unchanged(model, values, objects)
    assert finder.result.losses.size >= 1


def manual_loss(y, y_pred):
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, y_pred))


class ManualLoss(keras.Sequential):
    """A model whose train_step computes its loss by hand, without compute_loss: each backend
    writes its own train step (Keras' guide to customizing ``fit``)."""

    if BACKEND == "tensorflow":

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = manual_loss(y, self(x, training=True))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    elif BACKEND == "torch":

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            loss = manual_loss(y, self(x, training=True))
            loss.backward()
            grads = [v.value.grad for v in self.trainable_variables]
            with torch.no_grad():
                self.optimizer.apply(grads, self.trainable_variables)
            return {"loss": loss}

    else:

        def train_step(self, state, data):
            import jax

            trainable, non_trainable, optimizer_variables, metrics_variables = state
            x, y = data

            def loss_of(trainable):
                y_pred, new_non_trainable = self.stateless_call(
                    trainable, non_trainable, x, training=True
                )
                return manual_loss(y, y_pred), new_non_trainable

            (loss, non_trainable), grads = jax.value_and_grad(loss_of, has_aux=True)(trainable)
            trainable, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable
            )
            state = (trainable, non_trainable, optimizer_variables, metrics_variables)
            return {"loss": loss}, state


def test_a_train_step_without_compute_loss_is_refused_and_restored(mnist):
    x, y = mnist
    model = ManualLoss(small_model().layers)
    model.compile(optimizer=keras.optimizers.Adam(), loss=LOSS)
    model.build((None, 40, 1))
    model.optimizer.build(model.trainable_variables)
    values = state_values(model)
    with pytest.raises(ValueError, match="without calling compute_loss"):
        lr_find(model, x, y, batch_size=BATCH, num_steps=10)
    for before, now in zip(values, state_values(model), strict=True):
        np.testing.assert_array_equal(before, now)
    assert "compute_loss" not in vars(model)


def test_callback_on_an_unbuilt_model(mnist):
    """JAX's and PyTorch's ``fit`` build the model before the first callback; TensorFlow's
    builds it inside the first step, too late to save its state: the finder refuses it there."""
    x, y = mnist
    model = small_model(built=False)
    finder = LRFinder(num_steps=5)
    if BACKEND == "tensorflow":
        with pytest.raises(
            ValueError,
            match=r"LRFinder: `model` must be built .*; got model '\w+' with built=False\.",
        ):
            model.fit(x, y, batch_size=BATCH, verbose=0, callbacks=[finder])
        return
    reference = small_model(built=False)
    reference.build((None, 40, 1))
    model.fit(x, y, batch_size=BATCH, verbose=0, callbacks=[finder])
    assert finder.result.losses.size == 5
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the new weights restored to their initial values


def test_callback_refuses_bad_arguments():
    with pytest.raises(
        ValueError, match=r"LRFinder: `max_lr` must be a finite number > 0; got max_lr=-1\."
    ):
        LRFinder(max_lr=-1)


# ------------------------------------------------------------------------------- results


@pytest.fixture(scope="module")
def full_sweep():
    make_deterministic(0)
    (x, y), _ = data.load_mnist1d()
    model = models.make_mlp(0)
    model.compile(optimizer=keras.optimizers.Adam(), loss=LOSS)
    return lr_find(model, x, y, batch_size=32, num_steps=120)


def test_suggestions_lie_in_the_descending_part_of_the_curve(full_sweep):
    picks = full_sweep.suggestions()
    assert set(picks) == set(METHODS)
    assert full_sweep.suggestion() == picks["steepest"]
    bottom = full_sweep.lrs[np.nanargmin(lag_free(full_sweep.lrs, full_sweep.losses))]
    for method, rate in picks.items():
        assert full_sweep.min_lr < rate < bottom, method
    low, high = full_sweep.lr_range()
    assert full_sweep.min_lr < low < high <= full_sweep.max_lr
    with pytest.raises(
        ValueError, match=r"suggest: `method` must be one of .*; got method='fastest'\."
    ):
        full_sweep.suggestion("fastest")


def test_plot_draws_the_curves_suggestions_and_stop(full_sweep):
    ax = full_sweep.plot()
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert ax.get_xscale() == "log"
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((7.0, 3.6))
    assert "loss of each batch" in labels and "lag-free smoothing" in labels
    assert not any(label.startswith("EMA") for label in labels)  # only when asked for
    for method in METHODS:
        assert any(label.startswith(method) for label in labels), method
    assert any(label.startswith("stop") for label in labels) == full_sweep.stopped_early
    plt.close(ax.figure)
    _, given = plt.subplots()
    assert full_sweep.plot(ax=given, beta=0.9) is given
    assert "EMA, β=0.9" in [line.get_label() for line in given.lines]
    plt.close(given.figure)


def test_a_sweep_that_diverges_at_once_says_so(mnist):
    x, y = mnist
    result = lr_find(small_model(), x, y, batch_size=BATCH, min_lr=50.0, max_lr=1e5, num_steps=30)
    assert result.stopped_early
    with pytest.raises(ValueError, match="min_lr"):
        result.suggestion()
    ax = result.plot()  # still draws the curve, with the reason instead of suggestions
    assert any("min_lr" in text.get_text() for text in ax.texts)
    plt.close(ax.figure)


# ------------------------------------------------------------------- a second sweep


@pytest.mark.parametrize("steps_per_execution", [1, steps(4)])
def test_a_second_sweep_reuses_the_traced_step_and_records_the_same_curve(
    mnist, steps_per_execution, monkeypatch
):
    x, y = mnist
    model = small_model(steps_per_execution=steps_per_execution)
    first = lr_find(model, x, y, batch_size=BATCH, min_lr=1e-4, max_lr=1.0, num_steps=20)
    traced = sweep._TRACED[model].train_function
    writes = []  # Python runs the recorder's code only while tracing (on PyTorch: every step)
    write = sweep.StepLosses._write
    monkeypatch.setattr(sweep.StepLosses, "_write", lambda *a: writes.append(1) or write(*a))
    again = lr_find(model, x, y, batch_size=BATCH, min_lr=1e-4, max_lr=1.0, num_steps=20)
    assert sweep._TRACED[model].train_function is traced
    assert len(writes) == (20 if BACKEND == "torch" else 0)  # not traced again
    np.testing.assert_array_equal(again.losses, first.losses)
    np.testing.assert_array_equal(again.lrs, first.lrs)


def test_a_second_sweep_with_other_settings_records_what_a_first_sweep_would(mnist):
    x, y = mnist
    reused = small_model()
    lr_find(reused, x, y, batch_size=BATCH, min_lr=1e-4, max_lr=1.0, num_steps=30)
    traced = sweep._TRACED[reused].train_function
    settings = {"batch_size": BATCH, "min_lr": 1e-3, "max_lr": 3.0, "num_steps": 20}
    second = lr_find(reused, x, y, **settings)
    assert sweep._TRACED[reused].train_function is traced  # shorter: the same trace serves
    fresh = lr_find(small_model(), x, y, **settings)
    np.testing.assert_array_equal(second.lrs, fresh.lrs)
    np.testing.assert_allclose(second.losses, fresh.losses, rtol=1e-6)


def test_a_recompiled_model_is_traced_again(mnist):
    x, y = mnist
    model = small_model()
    lr_find(model, x, y, batch_size=BATCH, num_steps=10)
    traced = sweep._TRACED[model].train_function
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=LOSS)
    result = lr_find(model, x, y, batch_size=BATCH, num_steps=10)
    assert sweep._TRACED[model].train_function is not traced
    assert np.all(np.isfinite(result.losses))


@pytest.mark.skipif(BACKEND != "torch", reason="only Keras' PyTorch backend refuses it")
def test_steps_per_execution_above_1_is_refused_on_torch(mnist):
    x, y = mnist
    model = small_model(steps_per_execution=4)
    message = r"`model.steps_per_execution` must be 1 on the PyTorch backend .*; got .*=4\."
    with pytest.raises(ValueError, match="lr_find: " + message):
        lr_find(model, x, y, batch_size=BATCH)
    with pytest.raises(ValueError, match="LRFinder: " + message):
        model.fit(x, y, batch_size=BATCH, verbose=0, callbacks=[LRFinder()])
    assert model.train_function is None


def test_a_sweep_whose_curve_cannot_be_read_warns_and_says_why(mnist):
    x, y = mnist
    with pytest.warns(UserWarning, match="never falls clearly below its start") as caught:
        result = lr_find(small_model(), x, y, batch_size=BATCH, min_lr=1e-9, max_lr=1e-8)
    assert result.problem in [str(warning.message) for warning in caught]
    with pytest.raises(ValueError, match="never falls clearly below its start"):
        result.suggestion()
