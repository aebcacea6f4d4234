"""Learning-rate schedules: step decay, cyclical rates (CLR), SGDR and one-cycle.

Each schedule is a ``keras.optimizers.schedules.LearningRateSchedule`` whose ``__call__`` is a
pure function of the optimizer step written with ``keras.ops``. The same object therefore

- draws its own figure: ``schedule(np.arange(n))`` gives the rate of every step at once;
- drives training: passed as ``learning_rate`` to an optimizer, it is evaluated inside the
  compiled train step at every step, also with ``steps_per_execution > 1``;
- is saved with the model (``get_config``, registered as ``"lrbook>Name"``) and, since its only
  state is ``optimizer.iterations``, resumes exactly where it stopped after ``load_model``.

Steps are whole numbers >= 0 (the optimizer's ``iterations``; a Python int, a NumPy array or a
tensor): a negative or fractional Python or NumPy step is refused, and inside the compiled step,
where it cannot be checked, a negative step counts as step 0. Rates are computed in float64 and
int64 and returned as float32. On JAX without ``jax_enable_x64``, which has no 64-bit types,
they are computed in float32 and int32: every rate is then within a few float32 ulps of the
formula, and steps must be below 2**31 (as the optimizer's own step counter is there). The
formulas keep the ends of every phase (restarts, cycle ends, the peak) exact in either precision.

Exponential decay is Keras' own ``keras.optimizers.schedules.ExponentialDecay``, not rewritten
here: ``ExponentialDecay(lr, decay_steps=k, decay_rate=d, staircase=True)`` is
``StepDecay(lr, drop=d, step_size=k)``.
"""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from lrbook.checks import check_above, check_choice, check_int, check_real, require

__all__ = ["SGDR", "CyclicalLR", "OneCycle", "StepDecay", "step_decay"]

Tensor = Any  # a backend tensor (a tf.Tensor under TensorFlow)

CLR_MODES = ("triangular", "triangular2", "exp_range")
SCALE_MODES = ("cycle", "iterations")
SGDR_MAX_STEP = 2**31  # t_mul > 1: cycle starts are tabulated for every step below this
SGDR_MAX_CYCLES = 20_000  # the most cycles that table may hold


# --- shared helpers ---------------------------------------------------------------------------


def _wide_dtypes() -> tuple[str, str]:
    """The integer and float dtypes the schedules compute in: int64 and float64, except on JAX
    without ``jax_enable_x64``, which has no 64-bit types: int32 and float32 there."""
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return "int32", "float32"
    return "int64", "float64"


def _as_step(step: ArrayLike, owner: str) -> Tensor:
    """The step(s) as a tensor of the wide integer dtype (int64, or int32 on JAX).

    Steps count optimizer updates, so they are whole numbers >= 0. Python and NumPy steps that
    are not are refused (``ValueError`` naming ``owner``); a tensor cannot be checked inside
    the compiled step, so a negative one counts as step 0 and a fractional one is truncated.
    """
    if isinstance(step, (numbers.Number, np.ndarray, list, tuple)):
        values = np.asarray(step)
        whole = values.dtype.kind in "iu" or (
            values.dtype.kind == "f" and bool(np.all(np.isfinite(values) & (values % 1 == 0)))
        )
        require(owner, "step", step, whole and bool(np.all(values >= 0)),
                "whole numbers >= 0 (optimizer steps)")  # fmt: skip
    step = ops.cast(step, _wide_dtypes()[0])
    return ops.where(step > 0, step, 0)


def _minimum(a: Tensor, b: Tensor | int) -> Tensor:
    """The smaller of two integers, keeping int64. Keras' ``ops.minimum``, ``ops.maximum`` and
    ``ops.floor_divide`` return int32 for int64 tensors on PyTorch, so integer steps are combined
    here with ``where`` and Python's operators (``//``, ``%``), which keep the dtype."""
    return ops.where(a < b, a, b)


def _as_float(value: ArrayLike) -> Tensor:
    """``value`` as a tensor of the wide float dtype; a Python number is converted exactly (a
    cast would round it to float32 first on some backends)."""
    if isinstance(value, (int, float)):
        return ops.convert_to_tensor(value, dtype=_wide_dtypes()[1])
    return ops.cast(value, _wide_dtypes()[1])


def _as_rate(lr: Tensor) -> Tensor:
    return ops.cast(lr, "float32")


def _power(base: float, exponent: Tensor) -> Tensor:
    """``base ** exponent`` for a Python ``base > 0``, as ``exp(exponent * log(base))`` with
    ``log(base)`` taken in Python: in float32 this stays within a few ulps where rounding
    ``base`` to float32 first would multiply its error by the exponent."""
    return ops.exp(_as_float(exponent) * math.log(base))


def _cosine_anneal(eta_from: Tensor, eta_to: Tensor, done: Tensor, length: Tensor) -> Tensor:
    """Half a cosine from ``eta_from`` (``done = 0``) to ``eta_to`` (``done = length``).

    ``eta_to + 0.5 * (eta_from - eta_to) * (1 + cos(pi * p))`` with ``p = done / length``,
    computed as the weighted mean ``cos^2(pi p / 2) * eta_from + sin^2(pi p / 2) * eta_to``,
    each weight a ``sin^2`` of an exact integer ratio (``done`` and ``length`` are integers).
    Both ends are exact, and every rate is within a few ulps of the formula in float32 too (the
    ``1 + cos`` form loses most of its digits near the end of the anneal).
    """
    done, length = _as_float(done), _as_float(length)
    weight_to = ops.square(ops.sin((math.pi / 2) * (done / length)))
    weight_from = ops.square(ops.sin((math.pi / 2) * ((length - done) / length)))
    return weight_from * eta_from + weight_to * eta_to


# --- step decay -------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook")
class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    r"""Step decay: multiply the rate by ``drop`` every ``step_size`` optimizer steps.

    .. math::

        \eta_t = \eta_0 \, d^{\lfloor t/s \rfloor}

    with :math:`\eta_0` = ``initial_lr``, :math:`d` = ``drop``, :math:`s` = ``step_size`` and
    :math:`t` the optimizer step, counted from 0.

    Smooth exponential decay is Keras' own schedule: ``keras.optimizers.schedules.
    ExponentialDecay(initial_lr, decay_steps=step_size, decay_rate=drop)`` gives
    ``initial_lr * drop ** (step / step_size)``, and with ``staircase=True`` it is this schedule.
    ``StepDecay`` divides integers, so every drop lands on its step at any step count (Keras
    divides in float32, which is exact only below 2**24 steps). For the per-epoch form used with
    ``keras.callbacks.LearningRateScheduler``, see :func:`step_decay`.

    Example, halving the rate every 10 steps:

    >>> schedule = lrbook.StepDecay(initial_lr=0.1, drop=0.5, step_size=10)
    >>> [round(float(schedule(t)), 4) for t in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]

    In training, halving the rate every 10 epochs::

        steps_per_epoch = math.ceil(len(x_train) / 32)
        schedule = lrbook.StepDecay(initial_lr=0.1, drop=0.5, step_size=10 * steps_per_epoch)
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, batch_size=32, epochs=30)

    Args:
        initial_lr: the rate of the first ``step_size`` steps, > 0.
        drop: the factor applied at each drop, in (0, 1].
        step_size: steps between drops, an integer >= 1.
    """

    def __init__(self, initial_lr: float, drop: float, step_size: int):
        super().__init__()
        self.initial_lr = check_real("StepDecay", "initial_lr", initial_lr, gt=0)
        self.drop = check_real("StepDecay", "drop", drop, gt=0, le=1)
        self.step_size = check_int("StepDecay", "step_size", step_size, minimum=1)

    def __call__(self, step: ArrayLike) -> Tensor:
        """The rate of ``step``, :math:`\\eta_t`: a step or an array of steps, float32.

        >>> schedule = lrbook.StepDecay(initial_lr=0.1, drop=0.5, step_size=10)
        >>> np.asarray(schedule(np.arange(0, 40, 10)))
        array([0.1   , 0.05  , 0.025 , 0.0125], dtype=float32)
        """
        drops = _as_step(step, "StepDecay") // self.step_size
        return _as_rate(self.initial_lr * _power(self.drop, drops))

    def get_config(self) -> dict:
        return {"initial_lr": self.initial_lr, "drop": self.drop, "step_size": self.step_size}


def step_decay(initial_lr: float, drop: float, epochs_drop: int) -> Callable[..., float]:
    r"""Step decay per epoch, as a function for ``keras.callbacks.LearningRateScheduler``.

    .. math::

        \eta_e = \eta_0 \, d^{\lfloor e/s \rfloor}

    with :math:`\eta_0` = ``initial_lr``, :math:`d` = ``drop``, :math:`s` = ``epochs_drop`` and
    :math:`e` the epoch, counted from 0.

    The returned function takes ``(epoch, lr=None)``: ``LearningRateScheduler`` calls it with
    both, a plot with the epoch alone, and it returns a Python float either way. It evaluates
    :class:`StepDecay` with ``step_size=epochs_drop``, so both forms give the same rates.

    >>> rate = lrbook.step_decay(0.1, drop=0.5, epochs_drop=10)
    >>> [round(rate(epoch), 4) for epoch in (0, 9, 10, 25)]
    [0.1, 0.1, 0.05, 0.025]

    In training::

        callback = keras.callbacks.LearningRateScheduler(lrbook.step_decay(0.1, 0.5, 10))
        model.fit(x_train, y_train, epochs=30, callbacks=[callback])
    """
    epochs_drop = check_int("step_decay", "epochs_drop", epochs_drop, minimum=1)
    schedule = StepDecay(initial_lr, drop, step_size=epochs_drop)

    def rate(epoch: int, lr: float | None = None) -> float:
        """The rate of ``epoch`` (0-based); ``lr``, the current rate, is not needed."""
        return float(schedule(epoch))

    return rate


# --- cyclical learning rates ------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook")
class CyclicalLR(keras.optimizers.schedules.LearningRateSchedule):
    r"""Cyclical learning rate (Smith, 2017): a triangle between two bounds, cycle after cycle.

    A cycle is ``2 * step_size`` steps: up from ``base_lr`` to the peak in ``step_size`` steps,
    then back down. With :math:`\eta_{\min}` = ``base_lr``, :math:`\eta_{\max}` = ``max_lr``,
    *stepsize* = ``step_size`` and *iterations* the optimizer step:

    .. math::

        \eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min}) \, \max(0, 1 - x) \cdot
        \mathit{scale},

        x = \left| \frac{\mathit{iterations}}{\mathit{stepsize}} - 2 \cdot \mathit{cycle}
        + 1 \right|,

        \mathit{cycle} = \left\lfloor 1 + \frac{\mathit{iterations}}{2 \cdot \mathit{stepsize}}
        \right\rfloor

    where *scale* is 1 for ``mode="triangular"``, :math:`1/2^{\mathit{cycle} - 1}` for
    ``"triangular2"`` (the peak halves every cycle), :math:`\gamma^{\mathit{iterations}}` for
    ``"exp_range"`` (the peak decays every step), or ``scale_fn(cycle)`` or
    ``scale_fn(iterations)``, by ``scale_mode``, if ``scale_fn`` is given.

    *iterations* counts from the start of training (it is not reset at each cycle), as in
    Smith's code. The rate is ``base_lr`` at step 0 and at every cycle end, and the (scaled)
    peak at steps ``step_size, 3 * step_size, ...``.

    >>> schedule = lrbook.CyclicalLR(base_lr=0.001, max_lr=0.006, step_size=100)
    >>> [round(float(schedule(t)), 4) for t in (0, 50, 100, 150, 200, 300)]
    [0.001, 0.0035, 0.006, 0.0035, 0.001, 0.006]
    >>> halving = lrbook.CyclicalLR(0.001, 0.006, step_size=100, mode="triangular2")
    >>> [round(float(halving(t)), 4) for t in (100, 300, 500)]
    [0.006, 0.0035, 0.0022]

    In training, with ``step_size`` a few epochs long (the paper suggests 2 to 10)::

        steps_per_epoch = math.ceil(len(x_train) / 32)
        schedule = lrbook.CyclicalLR(
            base_lr=0.001, max_lr=0.006, step_size=4 * steps_per_epoch, mode="triangular2"
        )
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, batch_size=32, epochs=24)  # three whole cycles

    Args:
        base_lr: the lower bound, >= 0.
        max_lr: the upper bound, > ``base_lr``.
        step_size: steps in half a cycle, an integer >= 1.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; the default when
            ``scale_fn`` is given, which then replaces the mode's scale.
        gamma: the per-step decay of ``"exp_range"``, in (0, 1].
        scale_fn: a custom scale: a function of a float64 tensor (the cycle number or the step;
            float32 on JAX without x64) written with ``keras.ops``, returning values in [0, 1]
            (``ops.power(0.99, u)`` rounds 0.99 to float32 on PyTorch: prefer
            ``ops.exp(u * math.log(0.99))``). To save the model it must be
            registered with ``@keras.saving.register_keras_serializable(...)`` (a named function
            or a serializable object, never a lambda): ``get_config`` refuses any other.
        scale_mode: what ``scale_fn`` receives: ``"cycle"`` or ``"iterations"`` (the step).
            The built-in modes fix their own.
    """

    def __init__(
        self,
        base_lr: float,
        max_lr: float,
        step_size: int,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[Tensor], Tensor] | None = None,
        scale_mode: str = "cycle",
    ):
        super().__init__()
        self.base_lr = check_real("CyclicalLR", "base_lr", base_lr, ge=0)
        self.max_lr = check_real("CyclicalLR", "max_lr", max_lr, gt=0)
        check_above("CyclicalLR", "max_lr", self.max_lr, "base_lr", self.base_lr)
        self.step_size = check_int("CyclicalLR", "step_size", step_size, minimum=1)
        self.mode = check_choice("CyclicalLR", "mode", mode, CLR_MODES)
        self.gamma = check_real("CyclicalLR", "gamma", gamma, gt=0, le=1)
        require(
            "CyclicalLR",
            "scale_fn",
            scale_fn,
            scale_fn is None or callable(scale_fn),
            "None or a callable",
        )
        require(
            "CyclicalLR",
            "mode",
            mode,
            scale_fn is None or mode == "triangular",
            "left at 'triangular' when scale_fn is given (scale_fn replaces it)",
        )
        self.scale_fn = scale_fn
        self.scale_mode = check_choice("CyclicalLR", "scale_mode", scale_mode, SCALE_MODES)

    def __call__(self, step: ArrayLike) -> Tensor:
        """The rate of ``step``, :math:`\\eta_t`: a step or an array of steps, float32.

        >>> schedule = lrbook.CyclicalLR(base_lr=0.001, max_lr=0.006, step_size=100)
        >>> np.asarray(schedule(np.arange(0, 250, 50)))
        array([0.001 , 0.0035, 0.006 , 0.0035, 0.001 ], dtype=float32)
        """
        n = _as_step(step, "CyclicalLR")
        cycle = 1 + n // (2 * self.step_size)
        # 1 - x of the formula, from the step within the cycle: an exact integer ratio (the
        # closed form subtracts nearly equal numbers and keeps few digits in float32)
        within = n % (2 * self.step_size)
        height = _as_float(self.step_size - ops.abs(within - self.step_size)) / self.step_size
        amplitude = (self.max_lr - self.base_lr) * height
        return _as_rate(self.base_lr + amplitude * self._scale(_as_float(cycle), n))

    def _scale(self, cycle: Tensor, n: Tensor) -> Tensor | float:
        if self.scale_fn is not None:
            return _as_float(self.scale_fn(cycle if self.scale_mode == "cycle" else _as_float(n)))
        if self.mode == "triangular2":
            return 1.0 / ops.power(_as_float(2.0), cycle - 1.0)
        if self.mode == "exp_range":
            return _power(self.gamma, n)
        return 1.0

    def get_config(self) -> dict:
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "scale_fn": None if self.scale_fn is None else _serialize_scale_fn(self.scale_fn),
            "scale_mode": self.scale_mode,
        }

    def cycle_ends(self, num_steps: int) -> list[int]:
        """The steps, below ``num_steps``, at the bottom of a triangle: ``2 * step_size * k``.

        The rate there is ``base_lr``, the lowest of the cycle; the update of that step
        completes cycle ``k = 1, 2, ...`` (``optimizer.iterations == end + 1`` after it).

        >>> lrbook.CyclicalLR(base_lr=0.001, max_lr=0.006, step_size=100).cycle_ends(601)
        [200, 400, 600]
        """
        num_steps = check_int("CyclicalLR.cycle_ends", "num_steps", num_steps, minimum=0)
        return list(range(2 * self.step_size, num_steps, 2 * self.step_size))

    @classmethod
    def from_config(cls, config: dict) -> CyclicalLR:
        config = dict(config)
        if config.get("scale_fn") is not None:
            config["scale_fn"] = keras.saving.deserialize_keras_object(config["scale_fn"])
        return cls(**config)


def _serialize_scale_fn(scale_fn: Callable) -> dict:
    """The Keras config of a registered ``scale_fn``; a clear error for anything else.

    A lambda or an unregistered function would be written to the ``.keras`` file as bytecode or
    as a bare name that ``load_model`` cannot find (the bug of tensorflow_addons' CLR).
    """
    target = scale_fn if inspect.isfunction(scale_fn) else type(scale_fn)
    name = keras.saving.get_registered_name(target)
    registered = keras.saving.get_registered_object(name) is target
    if not registered or target.__name__ == "<lambda>":
        raise ValueError(
            f"CyclicalLR: `scale_fn` must be registered with Keras to be saved; got "
            f"scale_fn={scale_fn!r}. A lambda or an unregistered function cannot be loaded back. "
            "Define a named function (or a class with get_config) and decorate it with "
            "@keras.saving.register_keras_serializable(package='...'), or use "
            "mode='triangular2' or mode='exp_range'."
        )
    return keras.saving.serialize_keras_object(scale_fn)


# --- SGDR -------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook")
class SGDR(keras.optimizers.schedules.LearningRateSchedule):
    r"""SGDR (Loshchilov & Hutter, 2017): cosine annealing from a maximum to a minimum, restarted.

    Cycle :math:`i = 0, 1, 2, \dots` lasts :math:`T_i` optimizer steps. Within it
    :math:`T_{cur}` counts :math:`0, \dots, T_i - 1` and the rate falls from
    :math:`\eta_{\max}^i` (first step) to :math:`\eta_{\min}^i` (last step):

    .. math::

        \eta_t = \eta_{\min}^i + \tfrac{1}{2}\left(\eta_{\max}^i - \eta_{\min}^i\right)
        \left(1 + \cos\left(\pi \, \frac{T_{cur}}{T_i - 1}\right)\right),

        T_i = \mathrm{round}\left(T_0 \, T_{mult}^{\,i}\right), \qquad
        \eta_{\max}^i = \text{max\_lr} \cdot \text{m\_mul}^i, \qquad
        \eta_{\min}^i = \text{min\_lr} \cdot \text{m\_mul}^i,

    with :math:`T_0` = ``cycle_length`` and :math:`T_{mult}` = ``t_mul`` (:math:`T_i` is an
    integer, halves rounded up).

    The paper writes ``T_cur / T_i`` with a fractional ``T_cur`` that reaches ``T_i`` at the
    restart. Counted in whole steps, ``T_cur`` stops at ``T_i - 1``; dividing by ``T_i - 1``
    puts the last step of every cycle exactly on ``eta_min`` (the step a snapshot ensemble saves
    the weights) and the next step, the restart, exactly on the next ``eta_max``. Keras'
    ``CosineDecayRestarts`` divides by ``T_i`` and ends a 4-step cycle at 15% of its peak.

    Restarts are exact at any step count. The cycle lengths are integers: ``T_0 * t_mul ** i``
    rounded to the nearest integer, halves up (for ``t_mul=1.5``, ``cycle_length=2``: 2, 3, 5,
    7, 10, 15, 23, ...), computed exactly (in integer arithmetic near a tie). With ``t_mul=1``
    the cycle of a step is ``step // cycle_length``. With ``t_mul > 1`` the restart steps, the
    exact integer cumulative sum of the lengths, are tabulated through the cycle that holds step
    2**31 - 1 (the int32 range; a step beyond that cycle stays at its ``eta_min``, and a
    ``t_mul`` so close to 1 that the table needs more than 20,000 cycles is refused) and the
    cycle of a step is found by an integer search in that table: no logarithm, no rounding.

    ``m_mul`` scales both bounds (the paper's option of decaying ``eta_max`` and ``eta_min``):
    every cycle is a scaled copy of the first and ``eta_max > eta_min`` always holds. With
    ``min_lr=0``, the usual choice, only the peak decays.

    ``warmup_steps`` adds a linear rise from ``min_lr`` (step 0) towards ``max_lr`` before the
    first cycle, which starts, at ``max_lr``, at step ``warmup_steps``:
    ``lr = min_lr + (max_lr - min_lr) * step / warmup_steps``.

    >>> schedule = lrbook.SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    >>> [round(float(schedule(t)), 4) for t in range(6)]
    [0.1, 0.0854, 0.05, 0.0146, 0.0, 0.1]
    >>> lrbook.SGDR(0.0, 0.1, cycle_length=5, t_mul=2.0).cycle_ends(40)
    [4, 14, 34]

    In training, cycles of 10, 20, 40 epochs (70 in all)::

        steps_per_epoch = math.ceil(len(x_train) / 128)
        schedule = lrbook.SGDR(
            min_lr=0.0, max_lr=0.05, cycle_length=10 * steps_per_epoch, t_mul=2.0
        )
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, batch_size=128, epochs=70)
        schedule.cycle_ends(70 * steps_per_epoch)  # the steps that end a cycle: snapshot there

    Args:
        min_lr: ``eta_min`` of the first cycle, >= 0 (the paper uses 0).
        max_lr: ``eta_max`` of the first cycle, > ``min_lr``.
        cycle_length: ``T_0``, the steps of the first cycle, an integer >= 2 (a cycle needs a
            first step at ``eta_max`` and a different last step at ``eta_min``).
        t_mul: ``T_mult``, the factor on the cycle length after each restart, >= 1.
        m_mul: the factor on both bounds after each restart, > 0.
        warmup_steps: steps of linear warmup before the first cycle, an integer >= 0.
    """

    def __init__(
        self,
        min_lr: float,
        max_lr: float,
        cycle_length: int,
        t_mul: float = 1.0,
        m_mul: float = 1.0,
        warmup_steps: int = 0,
    ):
        super().__init__()
        self.min_lr = check_real("SGDR", "min_lr", min_lr, ge=0)
        self.max_lr = check_real("SGDR", "max_lr", max_lr, gt=0)
        check_above("SGDR", "max_lr", self.max_lr, "min_lr", self.min_lr)
        self.cycle_length = check_int("SGDR", "cycle_length", cycle_length, minimum=2)
        self.t_mul = check_real("SGDR", "t_mul", t_mul, ge=1)
        self.m_mul = check_real("SGDR", "m_mul", m_mul, gt=0)
        self.warmup_steps = check_int("SGDR", "warmup_steps", warmup_steps, minimum=0)
        self._starts = None if self.t_mul == 1 else self._restart_table()

    def _restart_table(self) -> np.ndarray:
        starts = _cycle_starts(self.cycle_length, self.t_mul, SGDR_MAX_STEP, SGDR_MAX_CYCLES)
        require(
            "SGDR",
            "t_mul",
            self.t_mul,
            starts[-1] >= SGDR_MAX_STEP,
            f"1 or far enough from 1 that {SGDR_MAX_CYCLES} cycles reach step 2**31 "
            f"with cycle_length={self.cycle_length}",
        )
        return starts

    def __call__(self, step: ArrayLike) -> Tensor:
        """The rate of ``step``, :math:`\\eta_t`: a step or an array of steps, float32.

        >>> schedule = lrbook.SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
        >>> np.asarray(schedule(np.arange(0, 10, 2))).round(4)
        array([0.1   , 0.05  , 0.    , 0.0854, 0.0146], dtype=float32)
        """
        step = _as_step(step, "SGDR")
        since_warmup = step - self.warmup_steps
        i, T_cur, T_i = self._cycle_position(ops.where(since_warmup > 0, since_warmup, 0))
        decay = _power(self.m_mul, i)
        eta_max, eta_min = self.max_lr * decay, self.min_lr * decay
        lr = _cosine_anneal(eta_max, eta_min, T_cur, T_i - 1)
        if self.warmup_steps:
            warmup = self.min_lr + (self.max_lr - self.min_lr) * _as_float(step) / self.warmup_steps
            lr = ops.where(step < self.warmup_steps, warmup, lr)
        return _as_rate(lr)

    def _cycle_position(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Cycle index ``i``, ``T_cur`` and ``T_i`` of ``t`` steps after the first restart."""
        if self._starts is None:
            T_0 = self.cycle_length
            return t // T_0, t % T_0, T_0
        # the start and length of every cycle that starts below 2**31 (a length in int32
        # clipped to 2**31 - 1: only the last cycle's can be longer, and int32 steps end there)
        dtype = _wide_dtypes()[0]
        limit = np.iinfo(dtype).max
        starts = ops.convert_to_tensor(self._starts[:-1], dtype=dtype)
        lengths = ops.convert_to_tensor(np.minimum(np.diff(self._starts), limit), dtype=dtype)
        found = ops.searchsorted(starts, ops.reshape(t, (-1,)), side="right")
        i = ops.reshape(found, ops.shape(t)) - 1
        start, T_i = ops.take(starts, i), ops.take(lengths, i)
        return i, _minimum(t - start, T_i - 1), T_i

    def get_config(self) -> dict:
        return {
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "cycle_length": self.cycle_length,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "warmup_steps": self.warmup_steps,
        }

    def cycle_ends(self, num_steps: int) -> list[int]:
        """The steps, below ``num_steps``, that end a cycle: the rate there is ``eta_min``.

        Training for ``num_steps`` steps, these are the steps whose update completes a cycle;
        ``optimizer.iterations == end + 1`` after them. Only whole cycles are listed.

        >>> lrbook.SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5).cycle_ends(20)
        [4, 9, 14, 19]
        """
        num_steps = check_int("SGDR.cycle_ends", "num_steps", num_steps, minimum=0)
        starts = _cycle_starts(self.cycle_length, self.t_mul, num_steps - self.warmup_steps)
        ends = self.warmup_steps + starts[1:] - 1
        return [int(end) for end in ends if end < num_steps]


def _cycle_lengths(first_length: int, t_mul: float) -> Iterator[int]:
    """``T_i = floor(T_0 * t_mul**i + 1/2)`` for i = 0, 1, 2, ...: exactly, whatever ``i``.

    The float estimate decides unless it lies within a few rounding errors of a tie (x.5); there
    integer arithmetic decides: the float ``t_mul`` is exactly ``p / 2**k``.
    """
    p, q = t_mul.as_integer_ratio()
    k = q.bit_length() - 1
    for i in itertools.count():
        estimate = first_length * t_mul**i
        if abs(estimate % 1.0 - 0.5) > 4 * math.ulp(estimate):
            yield math.floor(estimate + 0.5)
        else:
            shift = k * i
            yield (first_length * p**i + (1 << shift >> 1)) >> shift


def _cycle_starts(
    first_length: int, t_mul: float, limit: int, max_cycles: float = math.inf
) -> np.ndarray:
    """Exact starts of cycles 0, 1, 2, ... (counted from the first restart): an integer sum of
    the cycle lengths, up to the first start >= ``limit`` or ``max_cycles`` cycles."""
    starts = [0]
    lengths = _cycle_lengths(first_length, t_mul)
    while starts[-1] < limit and len(starts) <= max_cycles:
        starts.append(starts[-1] + next(lengths))
    return np.array(starts, dtype=np.int64)


# --- one-cycle --------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    r"""One-cycle policy (Smith & Topin, 2019): one rise to ``max_lr``, then a long anneal.

    Over :math:`T` = ``total_steps`` steps the rate rises from :math:`\eta_0` to
    :math:`\eta_{\max}` during the first ``pct_start`` of the run, then falls to
    :math:`\eta_{final}`, far below :math:`\eta_0`, at the last step, and stays there if training
    goes on. Both phases are half cosines, the default of PyTorch's ``OneCycleLR`` and fastai's
    ``fit_one_cycle`` (Smith's paper draws straight lines):

    .. math::

        \eta_t = \begin{cases}
            a\left(\eta_0, \eta_{\max}, \, t / p\right) & t \le p, \\
            a\left(\eta_{\max}, \eta_{final}, \, (t - p) / (T - 1 - p)\right) & p < t < T - 1, \\
            \eta_{final} & t \ge T - 1,
        \end{cases}

        a(\eta_{from}, \eta_{to}, u) = \eta_{to}
        + \tfrac{1}{2}\left(\eta_{from} - \eta_{to}\right)\left(1 + \cos(\pi u)\right),

    with :math:`\eta_{\max}` = ``max_lr``, :math:`\eta_0 = \eta_{\max}` / ``div_factor``,
    :math:`\eta_{final} = \eta_0` / ``final_div_factor`` and the peak step
    :math:`p = \mathrm{round}(\text{pct\_start} \cdot (T - 1))`.

    >>> schedule = lrbook.OneCycle(max_lr=1.0, total_steps=11, div_factor=10, final_div_factor=100)
    >>> [round(float(schedule(t)), 4) for t in (0, 3, 10, 20)]
    [0.1, 1.0, 0.001, 0.001]

    In training, one cycle over the whole run::

        epochs, steps_per_epoch = 10, math.ceil(len(x_train) / 64)
        schedule = lrbook.OneCycle(max_lr=0.5, total_steps=epochs * steps_per_epoch)
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, batch_size=64, epochs=epochs)

    Args:
        max_lr: ``eta_max``, the peak rate, > 0.
        total_steps: steps of the cycle, an integer >= 3, usually epochs * steps per epoch.
        pct_start: the fraction of the steps spent rising, in (0, 1); it must leave at least
            one step of rise and one of fall.
        div_factor: ``eta_max / eta_0``, > 1.
        final_div_factor: ``eta_0 / eta_final``, >= 1.
    """

    def __init__(
        self,
        max_lr: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
    ):
        super().__init__()
        self.max_lr = check_real("OneCycle", "max_lr", max_lr, gt=0)
        self.total_steps = check_int("OneCycle", "total_steps", total_steps, minimum=3)
        self.pct_start = check_real("OneCycle", "pct_start", pct_start, gt=0, lt=1)
        self.div_factor = check_real("OneCycle", "div_factor", div_factor, gt=1)
        self.final_div_factor = check_real("OneCycle", "final_div_factor", final_div_factor, ge=1)
        self.peak = math.floor(self.pct_start * (self.total_steps - 1) + 0.5)
        require(
            "OneCycle",
            "pct_start",
            pct_start,
            1 <= self.peak <= self.total_steps - 2,
            f"such that round(pct_start * (total_steps - 1)) is between 1 and "
            f"total_steps - 2 with total_steps={self.total_steps} (the peak step is "
            f"{self.peak})",
        )

    def __call__(self, step: ArrayLike) -> Tensor:
        """The rate of ``step``, :math:`\\eta_t`: a step or an array of steps, float32.

        >>> schedule = lrbook.OneCycle(max_lr=1.0, total_steps=11, div_factor=10)
        >>> np.asarray(schedule(np.array([0, 3, 10]))).round(4)
        array([0.1, 1. , 0. ], dtype=float32)
        """
        step = _minimum(_as_step(step, "OneCycle"), self.total_steps - 1)
        eta_max = self.max_lr
        eta_0 = eta_max / self.div_factor
        eta_final = eta_0 / self.final_div_factor
        rising = step <= self.peak
        rise = _cosine_anneal(eta_0, eta_max, step, self.peak)
        fall_steps = self.total_steps - 1 - self.peak
        fall = _cosine_anneal(eta_max, eta_final, step - self.peak, fall_steps)
        return _as_rate(ops.where(rising, rise, fall))

    def get_config(self) -> dict:
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
        }
