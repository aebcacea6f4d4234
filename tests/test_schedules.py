"""Tests of lrbook.schedules.

Every schedule is checked against a reference written here that walks the schedule step by step
(cycle by cycle, phase by phase) in plain Python, rather than evaluating the closed form, then in
training: the rate each update used, resuming after save/load, and steps_per_execution.
"""

import decimal
import math
from decimal import Decimal

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from keras import ops

from lrbook import SGDR, CyclicalLR, OneCycle, StepDecay, step_decay
from lrbook.book.data import load_mnist1d
from lrbook.book.models import make_mlp
from lrbook.book.plots import plot_schedule
from lrbook.schedules import _wide_dtypes

BATCH = 32
# The largest step the schedules compute with: JAX without jax_enable_x64 has no int64, and its
# optimizer step counter is int32 too.
MAX_STEP = np.iinfo(_wide_dtypes()[0]).max


# --- references: plain Python walks -----------------------------------------------------------


def reference_step_decay(initial_lr, drop, step_size, num_steps):
    rates, lr = [], initial_lr
    for step in range(num_steps):
        if step > 0 and step % step_size == 0:
            lr *= drop
        rates.append(lr)
    return rates


def reference_clr(base_lr, max_lr, step_size, num_steps, scale):
    """Walk whole cycles: up ``step_size`` steps, down ``step_size`` steps. ``scale(cycle, n)``."""
    rates, cycle = [], 1
    while len(rates) < num_steps:
        for k in range(2 * step_size):
            height = k / step_size if k <= step_size else (2 * step_size - k) / step_size
            n = len(rates)
            rates.append(base_lr + (max_lr - base_lr) * height * scale(cycle, n))
        cycle += 1
    return rates[:num_steps]


CLR_SCALES = {
    "triangular": lambda cycle, n: 1.0,
    "triangular2": lambda cycle, n: 0.5 ** (cycle - 1),
    "exp_range": lambda cycle, n: 0.99**n,
}


def reference_cycle_length(first_length, t_mul, i):
    """round(T_0 * t_mul**i), halves up, in 300-digit decimal arithmetic (Decimal(float) is
    exact, so this is exact for every length the tests reach)."""
    with decimal.localcontext() as context:
        context.prec = 300
        value = Decimal(first_length) * Decimal(t_mul) ** i + Decimal("0.5")
        return int(value.to_integral_value(rounding=decimal.ROUND_FLOOR))


def reference_cycles(first_length, t_mul, warmup_steps, until):
    """(i, first step, length) of every cycle that starts before ``until``."""
    cycles, start, i = [], warmup_steps, 0
    while start < until:
        length = reference_cycle_length(first_length, t_mul, i)
        cycles.append((i, start, length))
        start, i = start + length, i + 1
    return cycles


def reference_sgdr(min_lr, max_lr, cycle_length, t_mul, m_mul, warmup_steps, num_steps):
    rates = [min_lr + (max_lr - min_lr) * step / warmup_steps for step in range(warmup_steps)]
    for i, _, length in reference_cycles(cycle_length, t_mul, warmup_steps, num_steps):
        eta_max, eta_min = max_lr * m_mul**i, min_lr * m_mul**i
        for t_cur in range(length):
            cosine = math.cos(math.pi * t_cur / (length - 1))
            rates.append(eta_min + 0.5 * (eta_max - eta_min) * (1 + cosine))
    return rates[:num_steps]


def reference_one_cycle(max_lr, total_steps, peak, div_factor, final_div_factor, num_steps):
    """Phase by phase; ``peak`` is given by the test (worked out by hand)."""
    eta_0, eta_final = max_lr / div_factor, max_lr / div_factor / final_div_factor

    def half_cosine(start, end, fraction):
        return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2

    rates = [half_cosine(eta_0, max_lr, k / peak) for k in range(peak + 1)]
    fall_steps = total_steps - 1 - peak
    rates += [half_cosine(max_lr, eta_final, k / fall_steps) for k in range(1, fall_steps + 1)]
    rates += [eta_final] * (num_steps - total_steps)
    return rates


def values(schedule, steps):
    return np.asarray(schedule(np.asarray(steps, dtype="int64")))


def assert_same_rates(in_training, outside):
    """The rates evaluated inside the compiled train step are the schedule's own: the same
    float32 values, or, where the schedules compute in float32 (JAX without x64), within two
    ulps: XLA fuses the jitted step's operations differently from one-by-one evaluation."""
    if _wide_dtypes()[1] == "float64":
        np.testing.assert_array_equal(in_training, outside)
    else:
        np.testing.assert_array_max_ulp(np.float32(in_training), np.float32(outside), maxulp=2)


# --- formulas ---------------------------------------------------------------------------------


def test_step_decay_matches_reference():
    rates = values(StepDecay(0.1, 0.7, 37), np.arange(1000))
    np.testing.assert_allclose(rates, reference_step_decay(0.1, 0.7, 37, 1000), rtol=1e-6)


def test_step_decay_is_keras_exponential_decay_with_staircase():
    steps = np.arange(1000)  # 27 drops (Keras' float32 power drifts after many more)
    keras_schedule = keras.optimizers.schedules.ExponentialDecay(
        0.1, decay_steps=37, decay_rate=0.7, staircase=True
    )
    ours = values(StepDecay(0.1, drop=0.7, step_size=37), steps)
    np.testing.assert_allclose(ours, np.asarray(keras_schedule(steps)), rtol=1e-6)


def test_step_decay_drops_exactly_beyond_float32_integers():
    step_size, drops = 3_000_001, np.arange(100, 120)
    before, at = drops * step_size - 1, drops * step_size  # around 3e8 > 2**24 steps
    schedule = StepDecay(0.1, drop=0.9, step_size=step_size)
    np.testing.assert_allclose(values(schedule, before), 0.1 * 0.9 ** (drops - 1), rtol=1e-6)
    np.testing.assert_allclose(values(schedule, at), 0.1 * 0.9**drops, rtol=1e-6)
    keras_schedule = keras.optimizers.schedules.ExponentialDecay(0.1, step_size, 0.9, True)
    assert not np.allclose(np.asarray(keras_schedule(before)), values(schedule, before))


def test_step_decay_function_returns_python_floats():
    rate = step_decay(0.1, 0.5, epochs_drop=2)
    reference = reference_step_decay(0.1, 0.5, 2, 7)
    for epoch in range(7):
        for value in (rate(epoch), rate(epoch, 0.123), rate(np.int64(epoch), np.float32(0.1))):
            assert type(value) is float
            assert value == pytest.approx(reference[epoch], rel=1e-6)


def test_step_decay_function_drives_learning_rate_scheduler():
    (x, y), _ = load_mnist1d()
    model = make_mlp(seed=0)
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    callback = keras.callbacks.LearningRateScheduler(step_decay(0.1, 0.5, epochs_drop=2))
    history = model.fit(x[:64], y[:64], batch_size=BATCH, epochs=5, callbacks=[callback], verbose=0)
    expected = np.float32(reference_step_decay(0.1, 0.5, 2, 5))
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-7)
    steps_per_epoch = 64 // BATCH  # the schedule object gives the same rate at each epoch start
    same = StepDecay(0.1, 0.5, step_size=2 * steps_per_epoch)
    np.testing.assert_array_equal(values(same, np.arange(5) * steps_per_epoch), expected)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclical_lr_matches_reference(mode):
    schedule = CyclicalLR(0.01, 0.1, step_size=7, mode=mode, gamma=0.99)
    expected = reference_clr(0.01, 0.1, 7, 300, CLR_SCALES[mode])
    np.testing.assert_allclose(values(schedule, np.arange(300)), expected, rtol=1e-6)


def test_cyclical_lr_bounds_fall_on_their_steps():
    schedule = CyclicalLR(0.001, 0.006, step_size=2000)
    steps = np.arange(50) * 2000  # even multiples: cycle ends at base_lr; odd ones: the peak
    expected = np.where(np.arange(50) % 2 == 0, np.float32(0.001), np.float32(0.006))
    np.testing.assert_allclose(values(schedule, steps), expected, rtol=1e-7)


@keras.saving.register_keras_serializable(package="lrbook_tests")
def halve_each_cycle(cycle):
    return 1.0 / ops.power(2.0, cycle - 1.0)


@keras.saving.register_keras_serializable(package="lrbook_tests")
class PowerScale:
    """A serializable scale object: ``base ** u``."""

    def __init__(self, base):
        self.base = base

    def __call__(self, u):
        # not ops.power(self.base, u): Keras rounds a Python float argument to float32 first
        # on some backends (PyTorch), an error that the power multiplies by u
        return ops.exp(u * math.log(self.base))

    def get_config(self):
        return {"base": self.base}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@pytest.mark.parametrize(
    "scale_fn, scale_mode, mode",
    [(halve_each_cycle, "cycle", "triangular2"), (PowerScale(0.99), "iterations", "exp_range")],
)
def test_cyclical_lr_custom_scale_fn_saves_and_loads(scale_fn, scale_mode, mode):
    schedule = CyclicalLR(0.01, 0.1, 7, scale_fn=scale_fn, scale_mode=scale_mode)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(restored.scale_fn) is type(scale_fn)
    expected = reference_clr(0.01, 0.1, 7, 200, CLR_SCALES[mode])
    for candidate in (schedule, restored):
        np.testing.assert_allclose(values(candidate, np.arange(200)), expected, rtol=1e-6)


def unregistered_scale(cycle):
    return 1.0 / cycle


@pytest.mark.parametrize("scale_fn", [lambda cycle: 1.0 / cycle, unregistered_scale])
def test_cyclical_lr_refuses_to_save_an_unregistered_scale_fn(scale_fn, tmp_path):
    schedule = CyclicalLR(0.01, 0.1, 5, scale_fn=scale_fn)
    half_scale = reference_clr(0.01, 0.1, 5, 30, lambda cycle, n: 1.0 / cycle)
    np.testing.assert_allclose(values(schedule, np.arange(30)), half_scale, rtol=1e-6)
    with pytest.raises(ValueError, match="scale_fn.*register_keras_serializable"):
        schedule.get_config()
    model = make_mlp(seed=0)
    model.compile(keras.optimizers.SGD(schedule), "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="register_keras_serializable"):
        model.save(tmp_path / "model.keras")


@pytest.mark.parametrize(
    "min_lr, max_lr, cycle_length, t_mul, m_mul, warmup_steps",
    [
        (0.0, 0.1, 10, 1.0, 1.0, 0),
        (0.001, 0.1, 4, 2.0, 0.5, 0),
        (0.001, 0.1, 2, 1.5, 0.8, 7),
        (0.0, 0.05, 3, 1.3, 1.0, 1),
    ],
)
def test_sgdr_matches_reference(min_lr, max_lr, cycle_length, t_mul, m_mul, warmup_steps):
    schedule = SGDR(min_lr, max_lr, cycle_length, t_mul, m_mul, warmup_steps)
    expected = reference_sgdr(min_lr, max_lr, cycle_length, t_mul, m_mul, warmup_steps, 2000)
    np.testing.assert_allclose(values(schedule, np.arange(2000)), expected, rtol=1e-6, atol=1e-12)


def test_sgdr_thousands_of_equal_cycles_end_exactly_at_the_minimum():
    num_steps = 3 * 5000
    schedule = SGDR(0.001, 0.1, cycle_length=3)
    rates = values(schedule, np.arange(num_steps))
    expected = reference_sgdr(0.001, 0.1, 3, 1.0, 1.0, 0, num_steps)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    np.testing.assert_array_equal(rates[0::3], np.float32(0.1))  # every restart: eta_max
    np.testing.assert_array_equal(rates[2::3], np.float32(0.001))  # every last step: eta_min


@pytest.mark.parametrize("t_mul", [2.0, 1.5, 3.0, 10.0, 1.01])
def test_sgdr_every_restart_up_to_2_to_the_31_is_exact(t_mul):
    """All cycles that start below 2**31: dozens for t_mul=2, over 1,600 for t_mul=1.01.

    A float log misplaces some of these boundaries (t_mul=3 at 121 * T_0, t_mul=10 at
    111 * T_0): the rate there would be eta_min instead of eta_max."""
    min_lr, max_lr, first = 0.001, 0.1, 2
    cycles = reference_cycles(first, t_mul, 0, 2**31)
    starts = np.array([start for _, start, _ in cycles])
    lasts = starts + np.array([length for _, _, length in cycles]) - 1
    schedule = SGDR(min_lr, max_lr, first, t_mul=t_mul)
    np.testing.assert_array_equal(values(schedule, starts), np.float32(max_lr))
    reachable = lasts[lasts <= MAX_STEP]  # int32 steps (JAX) end inside the last cycle
    np.testing.assert_array_equal(values(schedule, reachable), np.float32(min_lr))
    for offset in (1, 2):  # and the shape within each cycle
        inside = np.minimum(np.minimum(starts + offset, lasts), MAX_STEP)
        progress = (inside - starts) / (lasts - starts)
        expected = min_lr + 0.5 * (max_lr - min_lr) * (1 + np.cos(np.pi * progress))
        np.testing.assert_allclose(values(schedule, inside), expected, rtol=1e-6)


def test_sgdr_decayed_bounds_at_every_boundary():
    schedule = SGDR(0.001, 0.1, 5, t_mul=1.5, m_mul=0.9, warmup_steps=3)
    cycles = reference_cycles(5, 1.5, 3, 100_000)
    starts = [start for _, start, _ in cycles]
    lasts = [start + length - 1 for _, start, length in cycles]
    decay = 0.9 ** np.array([i for i, _, _ in cycles])
    np.testing.assert_allclose(values(schedule, starts), 0.1 * decay, rtol=1e-6)
    np.testing.assert_allclose(values(schedule, lasts), 0.001 * decay, rtol=1e-6)


def test_sgdr_cycle_lengths_for_a_non_integer_t_mul():
    # 2 * 1.5**i = 2, 3, 4.5, 6.75, 10.125, 15.19, 22.78, 34.17 -> 2, 3, 5, 7, 10, 15, 23, 34
    assert SGDR(0.0, 1.0, 2, t_mul=1.5).cycle_ends(100) == [1, 4, 9, 16, 26, 41, 64, 98]


def test_sgdr_cycle_ends_are_the_minima_before_each_restart():
    schedule = SGDR(0.001, 0.1, 4, t_mul=1.7, warmup_steps=6)
    num_steps = 400
    cycles = reference_cycles(4, 1.7, 6, num_steps)
    expected = [start + length - 1 for _, start, length in cycles if start + length <= num_steps]
    ends = schedule.cycle_ends(num_steps)
    assert ends == expected and len(ends) >= 5
    rates = values(schedule, np.arange(num_steps + 1))
    np.testing.assert_array_equal(rates[ends], np.float32(0.001))
    np.testing.assert_array_equal(rates[np.array(ends) + 1], np.float32(0.1))
    assert schedule.cycle_ends(ends[2] + 1)[-1] == ends[2]  # a cycle ending on the last step
    assert schedule.cycle_ends(ends[2]) == ends[:2]  # one step short: not a whole cycle
    assert schedule.cycle_ends(6) == []  # warmup only


def test_sgdr_ends_where_keras_cosine_decay_restarts_does_not():
    keras_schedule = keras.optimizers.schedules.CosineDecayRestarts(1.0, 4, t_mul=1.0)
    ours = SGDR(0.0, 1.0, 4)
    assert float(keras_schedule(3)) > 0.14  # the last step of Keras' 4-step cycle
    assert float(ours(3)) == 0.0
    assert float(ours(4)) == float(keras_schedule(4)) == 1.0


@pytest.mark.parametrize(
    "total_steps, pct_start, peak",  # peak = round(pct_start * (total_steps - 1)), halves up
    [(101, 0.3, 30), (11, 0.25, 3), (50, 0.5, 25), (1000, 0.1, 100)],
)
def test_one_cycle_matches_reference(total_steps, pct_start, peak):
    schedule = OneCycle(0.1, total_steps, pct_start=pct_start, div_factor=20, final_div_factor=1e3)
    num_steps = total_steps + 20
    rates = values(schedule, np.arange(num_steps))
    expected = reference_one_cycle(0.1, total_steps, peak, 20, 1e3, num_steps)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    assert int(np.argmax(rates)) == peak and rates[peak] == np.float32(0.1)
    np.testing.assert_allclose(rates[0], 0.1 / 20, rtol=1e-6)
    np.testing.assert_array_equal(rates[total_steps - 1 :], np.float32(0.1 / 20 / 1e3))


# --- calling conventions ----------------------------------------------------------------------

SCHEDULES = {
    "step_decay": StepDecay(0.1, 0.5, 5),
    "clr": CyclicalLR(0.01, 0.1, 3, mode="triangular2"),
    "clr_scale_fn": CyclicalLR(0.01, 0.1, 4, scale_fn=halve_each_cycle),
    "sgdr": SGDR(0.001, 0.1, 3, t_mul=1.5, m_mul=0.8, warmup_steps=2),
    "one_cycle": OneCycle(0.1, total_steps=20),
}


@pytest.fixture(params=list(SCHEDULES))
def schedule(request):
    return SCHEDULES[request.param]


def test_every_step_type_gives_the_same_float32_rate(schedule):
    expected = np.asarray(schedule(np.arange(24)))
    assert expected.dtype == np.float32 and len(np.unique(expected)) > 3
    tensors = (ops.convert_to_tensor(7, dtype="int32"), ops.convert_to_tensor(7, dtype="int64"))
    for step in (7, np.int64(7), np.int32(7), *tensors):  # the backend's own tensors too
        rate = schedule(step)
        assert (
            keras.backend.standardize_dtype(rate.dtype) == "float32"
            and np.asarray(rate) == expected[7]
        )
    grid = np.arange(24, dtype="int32").reshape(4, 6)
    np.testing.assert_array_equal(np.asarray(schedule(grid)), expected.reshape(4, 6))
    variable = keras.Variable(7, dtype="int64", trainable=False)  # like optimizer.iterations
    assert np.asarray(schedule(variable)) == expected[7]


def test_calls_are_pure(schedule):
    first = np.asarray(schedule(11))
    schedule(np.arange(1000))
    schedule(3)
    assert np.asarray(schedule(11)) == first


def test_config_round_trip_through_keras_registry(schedule):
    config = keras.saving.serialize_keras_object(schedule)
    assert config["registered_name"] == f"lrbook>{type(schedule).__name__}"
    assert keras.saving.get_registered_object(config["registered_name"]) is type(schedule)
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
    steps = np.arange(50)
    np.testing.assert_array_equal(values(restored, steps), values(schedule, steps))


def test_plot_schedule_draws_the_schedule(schedule):
    ax = plot_schedule(schedule, 40)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), values(schedule, np.arange(40)))
    plt.close(ax.figure)


# --- invalid parameters -----------------------------------------------------------------------

VALID = {
    StepDecay: dict(initial_lr=0.1, drop=0.5, step_size=10),
    step_decay: dict(initial_lr=0.1, drop=0.5, epochs_drop=10),
    CyclicalLR: dict(base_lr=0.01, max_lr=0.1, step_size=10),
    SGDR: dict(min_lr=0.0, max_lr=0.1, cycle_length=10),
    OneCycle: dict(max_lr=0.1, total_steps=100),
}

INVALID = [
    (StepDecay, "initial_lr", 0.0),
    (StepDecay, "initial_lr", float("nan")),
    (StepDecay, "drop", 0.0),
    (StepDecay, "drop", 1.5),
    (StepDecay, "step_size", 0),
    (StepDecay, "step_size", 2.5),
    (step_decay, "epochs_drop", 0),
    (step_decay, "drop", -0.5),
    (CyclicalLR, "base_lr", -0.01),
    (CyclicalLR, "max_lr", 0.01),  # equal to base_lr
    (CyclicalLR, "max_lr", 0.001),  # below base_lr
    (CyclicalLR, "step_size", 0),
    (CyclicalLR, "mode", "sine"),
    (CyclicalLR, "gamma", 0.0),
    (CyclicalLR, "gamma", 1.01),
    (CyclicalLR, "scale_mode", "epoch"),
    (CyclicalLR, "scale_fn", "half"),
    (SGDR, "min_lr", -0.001),
    (SGDR, "max_lr", 0.0),
    (SGDR, "cycle_length", 1),
    (SGDR, "cycle_length", True),
    (SGDR, "t_mul", 0.0),
    (SGDR, "t_mul", 0.5),
    (SGDR, "t_mul", 1.0001),  # cycles too many to tabulate
    (SGDR, "m_mul", 0.0),
    (SGDR, "m_mul", -1.0),
    (SGDR, "warmup_steps", -1),
    (OneCycle, "max_lr", 0.0),
    (OneCycle, "total_steps", 2),
    (OneCycle, "pct_start", 0.0),
    (OneCycle, "pct_start", 1.0),
    (OneCycle, "pct_start", 0.001),  # rounds to no rising step at 100 steps
    (OneCycle, "div_factor", 1.0),
    (OneCycle, "final_div_factor", 0.5),
]


@pytest.mark.parametrize("factory, name, value", INVALID)
def test_invalid_parameter_raises_naming_it(factory, name, value):
    with pytest.raises(ValueError) as error:
        factory(**{**VALID[factory], name: value})
    message = str(error.value)
    assert f"{name}={value!r}" in message and "must be" in message


def test_mode_and_scale_fn_are_not_both_given():
    with pytest.raises(ValueError, match="mode='exp_range'"):
        CyclicalLR(0.01, 0.1, 10, mode="exp_range", scale_fn=halve_each_cycle)


def test_sgdr_allows_a_zero_minimum():
    assert float(SGDR(0.0, 0.1, 10)(9)) == 0.0


# --- in training ------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook_tests")
class RecordingSGD(keras.optimizers.SGD):
    """SGD that writes the learning rate each update uses into ``used_rates[iterations]``."""

    def __init__(self, num_steps=64, **kwargs):
        super().__init__(**kwargs)
        self.num_steps = num_steps

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.used_rates = self.add_variable((self.num_steps,), name="used_rates")

    def update_step(self, gradient, variable, learning_rate):
        now = ops.arange(self.num_steps, dtype="int64") == self.iterations.value
        rate = ops.cast(learning_rate, "float32")
        self.used_rates.assign(ops.where(now, rate, self.used_rates.value))
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "num_steps": self.num_steps}


class RateBeforeEachBatch(keras.callbacks.Callback):
    """Reads the optimizer's step and rate before every batch callback."""

    def __init__(self):
        super().__init__()
        self.steps, self.rates = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.steps.append(int(self.model.optimizer.iterations))
        self.rates.append(float(np.asarray(self.model.optimizer.learning_rate)))


class AssignEachBatch(keras.callbacks.Callback):
    """The per-batch Python way: set a float rate from the schedule before every batch."""

    def __init__(self, schedule):
        super().__init__()
        self.schedule, self.step = schedule, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(float(self.schedule(self.step)))
        self.step += 1


@pytest.fixture(scope="module")
def mnist1d():
    (x, y), _ = load_mnist1d()
    return x[:1024], y[:1024]


def fit(model, data, num_samples, epochs, **fit_kwargs):
    x, y = data
    model.fit(
        x[:num_samples],
        y[:num_samples],
        batch_size=BATCH,
        epochs=epochs,
        shuffle=False,
        verbose=0,
        **fit_kwargs,
    )


def compiled(optimizer, steps_per_execution=1):
    model = make_mlp(seed=0)
    model.compile(
        optimizer, "sparse_categorical_crossentropy", steps_per_execution=steps_per_execution
    )
    return model


def test_rate_used_at_each_step_is_the_schedule(mnist1d):
    schedule = SGDR(0.001, 0.1, 3, t_mul=2.0, warmup_steps=2)
    model = compiled(RecordingSGD(num_steps=24, learning_rate=schedule, momentum=0.9))
    reader = RateBeforeEachBatch()
    fit(model, mnist1d, 8 * BATCH, epochs=3, callbacks=[reader])
    expected = values(schedule, np.arange(24))
    assert reader.steps == list(range(24))
    assert_same_rates(np.float32(reader.rates), expected)
    assert_same_rates(np.asarray(model.optimizer.used_rates), expected)


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="Keras' PyTorch backend has no compiled multi-step loop: steps_per_execution must be 1",
)
def test_steps_per_execution_32_still_changes_the_rate_every_step(mnist1d):
    schedule = CyclicalLR(0.01, 0.1, step_size=7, mode="triangular2")
    model = compiled(RecordingSGD(num_steps=64, learning_rate=schedule), steps_per_execution=32)
    reader = RateBeforeEachBatch()
    fit(model, mnist1d, 1024, epochs=2, callbacks=[reader])
    assert reader.steps == [0, 32]  # batch callbacks fire once per 32 steps...
    used = np.asarray(model.optimizer.used_rates)
    assert_same_rates(used, values(schedule, np.arange(64)))
    assert np.all(np.diff(used) != 0)  # ...yet every step had its own rate
    stepwise = compiled(keras.optimizers.SGD(learning_rate=1.0))
    fit(stepwise, mnist1d, 1024, epochs=2, callbacks=[AssignEachBatch(schedule)])
    for ours, reference in zip(model.get_weights(), stepwise.get_weights(), strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-7)


def test_save_load_resume_continues_the_schedule(schedule, mnist1d, tmp_path):
    def optimizer():
        return RecordingSGD(num_steps=24, learning_rate=schedule, momentum=0.9)

    interrupted = compiled(optimizer())
    fit(interrupted, mnist1d, 8 * BATCH, epochs=1)
    interrupted.save(tmp_path / "model.keras")
    resumed = keras.models.load_model(tmp_path / "model.keras")
    loaded_schedule = resumed.optimizer._learning_rate
    assert type(loaded_schedule) is type(schedule)
    assert loaded_schedule.get_config() == schedule.get_config()
    assert int(resumed.optimizer.iterations) == 8
    fit(resumed, mnist1d, 8 * BATCH, epochs=2)

    uninterrupted = compiled(optimizer())
    fit(uninterrupted, mnist1d, 8 * BATCH, epochs=3)

    used = np.asarray(resumed.optimizer.used_rates)
    assert_same_rates(used, values(schedule, np.arange(24)))
    np.testing.assert_array_equal(used, np.asarray(uninterrupted.optimizer.used_rates))
    for ours, reference in zip(resumed.get_weights(), uninterrupted.get_weights(), strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", [-1, 2.5, np.array([0, -3]), np.array([0.0, 1.5]), float("nan")])
def test_a_negative_or_fractional_step_is_refused(schedule, bad):
    name = type(schedule).__name__
    with pytest.raises(ValueError, match=rf"{name}: `step` must be whole numbers >= 0"):
        schedule(bad)


def test_a_whole_float_step_is_a_step_and_a_negative_tensor_counts_as_step_0(schedule):
    assert float(schedule(3.0)) == float(schedule(3))
    rates = keras.ops.convert_to_numpy(schedule(keras.ops.convert_to_tensor([-5, 0])))
    assert rates[0] == rates[1] == float(schedule(0))
