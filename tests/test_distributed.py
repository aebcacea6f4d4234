"""Data-parallel training: the range test, the schedules and snapshot ensembles on two devices.

TensorFlow: ``tf.distribute.MirroredStrategy`` over two logical CPU devices. JAX:
``keras.distribution.DataParallel`` over two host devices. The devices must be set up before the
backend starts, so this module configures them when it is imported, and it runs in a process of
its own, once per backend (``make distributed``):

    KERAS_BACKEND=tensorflow .venv/bin/python -m pytest tests/test_distributed.py
    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \\
        .venv/bin/python -m pytest tests/test_distributed.py

Collected with other test modules (``pytest tests``), it is skipped: they may have started the
backend on one device already, and two logical devices would change the process they share.

The reference is the same model, with the same weights, trained on one device: the loss of a
global batch and the update it makes do not depend on how the batch is split.
"""

import os
import sys

import pytest

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
DEVICES = 2

# pytest imports each test module under its bare name (tests/ is not a package)
_others = [name for name in sys.modules if name.startswith("test_") and name != __name__]
if _others:
    pytest.skip(
        "runs in a process of its own (make distributed): other test modules were imported "
        f"into this one ({', '.join(sorted(_others)[:3])}{', ...' * (len(_others) > 3)})",
        allow_module_level=True,
    )
if BACKEND not in ("tensorflow", "jax"):
    pytest.skip(
        f"data-parallel training is tested on TensorFlow and JAX, not {BACKEND}",
        allow_module_level=True,
    )

if BACKEND == "tensorflow":
    import tensorflow as tf

    _cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            _cpu, [tf.config.LogicalDeviceConfiguration()] * DEVICES
        )
    except RuntimeError as error:  # TensorFlow had started already
        pytest.skip(f"cannot split the CPU into two devices: {error}", allow_module_level=True)
else:
    _flag = f"--xla_force_host_platform_device_count={DEVICES}"
    if _flag not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_flag}".strip()

import contextlib  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrbook import SGDR, CyclicalLR, LRFinder, OneCycle, SnapshotEnsemble, StepDecay, lr_find  # noqa: E402
from lrbook.snapshots import MANIFEST  # noqa: E402

if BACKEND == "tensorflow":
    _names = [device.name for device in tf.config.list_logical_devices("CPU")[:DEVICES]]
    STRATEGY = tf.distribute.MirroredStrategy(_names)
    REPLICAS = STRATEGY.num_replicas_in_sync

    def parallel():
        """Where a model is built for data-parallel training."""
        return STRATEGY.scope()

    def training():
        """Where it trains: anywhere (Keras' guide calls fit outside the scope)."""
        return contextlib.nullcontext()

    def device_values(variable) -> list[np.ndarray]:
        """The value of each device's copy of ``variable``."""
        copies = STRATEGY.experimental_local_results(variable.value)
        return [np.array(copy.numpy(), copy=True) for copy in copies]

else:
    import jax

    DISTRIBUTION = keras.distribution.DataParallel(devices=jax.devices()[:DEVICES])
    REPLICAS = len(jax.devices()[:DEVICES])

    def parallel():
        """Where a model is built for data-parallel training."""
        return DISTRIBUTION.scope()

    def training():
        """Where it trains: under the distribution, which shards each batch."""
        return DISTRIBUTION.scope()

    def device_values(variable) -> list[np.ndarray]:
        """The value of each device's copy of ``variable``."""
        return [np.array(shard.data, copy=True) for shard in variable.value.addressable_shards]


if REPLICAS != DEVICES:
    pytest.skip(f"{REPLICAS} devices, not {DEVICES}", allow_module_level=True)

# Keras' TensorFlow trainer cannot run several steps per execution under MirroredStrategy
# (keras-team/keras#19246): lrbook refuses it there, and tests it on JAX.
MULTI_STEP = [4] if BACKEND == "jax" else []
FEATURES, CLASSES, BATCH = 8, 3, 32  # BATCH: the global batch, 16 rows per device
SAMPLES = 20 * BATCH
LOSS = "sparse_categorical_crossentropy"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(FEATURES, CLASSES)), axis=1)  # learnable
    return x, y


def make_network(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def make_model(optimizer=None, steps_per_execution=1, metrics=("accuracy",), seed=0):
    model = make_network(seed)
    model.compile(
        optimizer=optimizer if optimizer is not None else keras.optimizers.SGD(0.01, momentum=0.9),
        loss=LOSS,
        metrics=list(metrics),
        steps_per_execution=steps_per_execution,
    )
    return model


def parallel_and_single(make):
    """The same compiled model twice: on the two devices, and on one, with the same weights."""
    with parallel():
        model = make()
    single = make()
    single.set_weights(model.get_weights())
    return model, single


def state_variables(model) -> list:
    return model.variables + model.metrics_variables + model.optimizer.variables


def every_copy(model) -> list[list[np.ndarray]]:
    return [device_values(variable) for variable in state_variables(model)]


def batch_loss(model, x, y) -> float:
    scores = model.predict_on_batch(x)
    return float(
        np.mean(keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(y, scores)))
    )


def fit(model, x, y, callbacks=(), epochs=1):
    with training():
        model.fit(
            x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks
        )


# ---------------------------------------------------------------------------------- the set-up


def test_the_model_lives_on_both_devices():
    with parallel():
        model = make_model()
    for variable in state_variables(model):
        assert len(device_values(variable)) == DEVICES, variable.path


# ------------------------------------------------------------------------------- the range test


@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
def test_finder_records_each_steps_global_batch_loss(data, steps_per_execution):
    x, y = data
    model, single = parallel_and_single(lambda: make_model(steps_per_execution=steps_per_execution))
    first = batch_loss(single, x[:BATCH], y[:BATCH])
    half = BATCH // DEVICES
    shares = [
        batch_loss(single, x[i * half : (i + 1) * half], y[i * half : (i + 1) * half])
        for i in range(DEVICES)
    ]
    sweep = {"batch_size": BATCH, "min_lr": 1e-3, "max_lr": 3.0, "num_steps": 16}
    with training():
        result = lr_find(model, x, y, **sweep)
    reference = lr_find(single, x, y, **sweep)
    assert result.losses.size == 16 and not result.stopped_early
    np.testing.assert_allclose(result.losses[0], first, rtol=1e-6)
    # the test can tell the global batch's loss from one device's share, or its share / 2
    assert min(abs(share - first) for share in shares + [first / DEVICES]) > 1e-3
    np.testing.assert_allclose(result.losses, reference.losses, rtol=1e-5)
    np.testing.assert_array_equal(result.lrs, reference.lrs)


@pytest.mark.filterwarnings("ignore:The loss")  # a diverging sweep's curve carries no suggestion
@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
def test_finder_restores_every_variable_on_every_device(data, steps_per_execution):
    x, y = data

    def make():
        return make_model(keras.optimizers.Adam(1e-3), steps_per_execution)

    with parallel():
        model, twin = make(), make()
    for m in (model, twin):  # optimizer state and metric totals that are not zero
        fit(m, x[: 4 * BATCH], y[: 4 * BATCH])
    before = every_copy(model)
    train_function = model.train_function
    with training():
        result = lr_find(model, x, y, batch_size=BATCH, min_lr=1e-2, max_lr=1e4, num_steps=40)
    assert result.stopped_early  # the sweep diverged: the weights it leaves are far off
    after = every_copy(model)
    assert len(after) == len(before)
    for copies_before, copies_after in zip(before, after, strict=True):
        for value_before, value_after in zip(copies_before, copies_after, strict=True):
            assert value_after.dtype == value_before.dtype
            np.testing.assert_array_equal(value_after, value_before)
    assert model.train_function is train_function
    assert "compute_loss" not in vars(model)
    # and it trains on exactly as a twin that never swept
    for m in (model, twin):
        fit(m, x[: 4 * BATCH], y[: 4 * BATCH])
    for mine, theirs in zip(every_copy(model), every_copy(twin), strict=True):
        for a, b in zip(mine, theirs, strict=True):
            np.testing.assert_array_equal(a, b)


def test_finder_callback_in_fit(data):
    x, y = data
    model, single = parallel_and_single(make_model)
    weights = model.get_weights()
    finder = LRFinder(min_lr=1e-3, max_lr=1.0, num_steps=12)
    with parallel(), training():  # fit inside the scope works too
        model.fit(
            x[: 8 * BATCH],
            y[: 8 * BATCH],
            batch_size=BATCH,
            epochs=2,
            shuffle=False,
            verbose=0,
            callbacks=[finder],
        )
    reference = lr_find(
        single,
        x[: 8 * BATCH],
        y[: 8 * BATCH],
        batch_size=BATCH,
        min_lr=1e-3,
        max_lr=1.0,
        num_steps=12,
    )
    assert finder.result.losses.size == 12
    np.testing.assert_allclose(finder.result.losses, reference.losses, rtol=1e-5)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="a limit of Keras' TensorFlow trainer")
def test_several_steps_per_execution_are_refused_under_mirrored_strategy(data, tmp_path):
    x, y = data
    with parallel():
        model = make_model(keras.optimizers.SGD(SGDR(0.0, 0.1, cycle_length=8)), 4)
    before = [device_values(v) for v in model.variables + model.optimizer.variables]
    message = r"`model.steps_per_execution` must be 1 under tf.distribute.MirroredStrategy"
    with pytest.raises(ValueError, match="lr_find: " + message):
        lr_find(model, x, y, batch_size=BATCH, num_steps=8)
    snapshots = SnapshotEnsemble(model.optimizer._learning_rate, directory=tmp_path)
    with pytest.raises(ValueError, match="SnapshotEnsemble: " + message):
        fit(model, x, y, callbacks=[snapshots])
    assert len(snapshots) == 0 and not any(tmp_path.iterdir())
    after = [device_values(v) for v in model.variables + model.optimizer.variables]
    for copies_before, copies_after in zip(before, after, strict=True):
        for value_before, value_after in zip(copies_before, copies_after, strict=True):
            np.testing.assert_array_equal(value_after, value_before)


@pytest.mark.skipif(BACKEND != "jax", reason="tf.distribute splits a batch of any size")
def test_a_batch_that_does_not_split_evenly_is_refused_on_jax(data):
    x, y = data
    with parallel():
        model = make_model()
    weights = model.get_weights()
    with (
        training(),
        pytest.raises(ValueError, match="lr_find: `batch_size` must be a multiple of 2"),
    ):
        lr_find(model, x, y, batch_size=BATCH + 1, num_steps=8)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------------- the schedules

SCHEDULES = {
    "StepDecay": lambda: StepDecay(0.1, drop=0.5, step_size=3),
    "CyclicalLR": lambda: CyclicalLR(0.01, 0.1, step_size=2, mode="triangular2"),
    "SGDR": lambda: SGDR(0.001, 0.1, cycle_length=3, t_mul=2.0),
    "OneCycle": lambda: OneCycle(0.1, total_steps=10),
}


class Rates(keras.callbacks.Callback):
    """The optimizer's step counter and rate after every batch."""

    def __init__(self):
        super().__init__()
        self.steps, self.rates = [], []

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.steps.append(int(keras.ops.convert_to_numpy(optimizer.iterations)))
        self.rates.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))


@pytest.mark.parametrize(
    "name, steps_per_execution",
    [(name, 1) for name in SCHEDULES] + [("SGDR", 3)] * bool(MULTI_STEP),
)
def test_a_schedule_advances_once_per_global_step(data, name, steps_per_execution):
    x, y = data
    steps = 10
    schedule = SCHEDULES[name]()

    def make():
        return make_model(keras.optimizers.SGD(schedule), steps_per_execution, metrics=())

    model, single = parallel_and_single(make)
    rates = Rates()
    fit(model, x[: steps * BATCH], y[: steps * BATCH], callbacks=[rates])
    single.fit(x[: steps * BATCH], y[: steps * BATCH], batch_size=BATCH, shuffle=False, verbose=0)
    expected = np.arange(steps_per_execution, steps + 1, steps_per_execution)
    if expected[-1] != steps:
        expected = np.append(expected, steps)
    assert rates.steps == list(expected)  # one step per global batch, whatever the devices
    np.testing.assert_allclose(
        rates.rates, keras.ops.convert_to_numpy(schedule(expected)), rtol=1e-6
    )
    for copy in device_values(model.optimizer.iterations):
        assert int(copy) == steps
    # every step used the rate of its own step: the same update as on one device
    for a, b in zip(model.get_weights(), single.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------ snapshots


@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
def test_snapshots_are_taken_once_per_cycle_end(data, tmp_path, steps_per_execution, monkeypatch):
    x, y = data
    schedule = SGDR(0.0, 0.05, cycle_length=5)  # 20 steps: cycle ends 4, 9, 14, 19

    def make():
        return make_model(keras.optimizers.SGD(schedule, momentum=0.9), steps_per_execution)

    model, single = parallel_and_single(make)
    written = []
    write = SnapshotEnsemble._write_weights

    def counting_write(self, weights, name):
        written.append(name)
        return write(self, weights, name)

    monkeypatch.setattr(SnapshotEnsemble, "_write_weights", counting_write)
    snapshots = SnapshotEnsemble(schedule, directory=tmp_path)
    reference = SnapshotEnsemble(schedule)
    fit(model, x, y, callbacks=[snapshots])
    single.fit(x, y, batch_size=BATCH, shuffle=False, verbose=0, callbacks=[reference])

    ends = [4, 9, 14, 19]
    assert [s.step for s in snapshots.snapshots] == ends
    names = [f"step-{end:010d}.weights.h5" for end in ends]
    assert written == names
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([MANIFEST, *names])
    for index in range(len(ends)):
        for a, b in zip(snapshots.get_weights(index), reference.get_weights(index), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(snapshots.get_weights(-1), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # training ended on a cycle end

    # the ensemble's prediction: the mean of the snapshots' probabilities
    x_test = x[:100]
    members = []
    for index in range(len(ends)):
        member = make_network()
        member.set_weights(snapshots.get_weights(index))
        members.append(member.predict_on_batch(x_test))
    np.testing.assert_allclose(
        snapshots.predict(x_test), np.mean(members, axis=0), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        snapshots.predict(x_test), reference.predict(x_test), rtol=1e-4, atol=1e-6
    )
    reloaded = SnapshotEnsemble.load(tmp_path, make_network())
    np.testing.assert_array_equal(reloaded.predict(x_test), snapshots.predict(x_test))
