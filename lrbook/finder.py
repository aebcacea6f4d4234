"""The learning-rate range test ("LR finder"): train while the rate grows, record the loss.

``lr_find(model, x, y)`` trains ``model`` for ``num_steps`` mini-batches, raising the learning rate
after every one from ``min_lr`` to ``max_lr``, records each batch's loss, then puts the model back
exactly as it was and returns an :class:`LRFinderResult` (the curve, its suggestions, its plot).
:class:`LRFinder` is the sweep itself, as a callback: ``lr_find`` checks its arguments, feeds
``model.fit`` exactly ``num_steps`` batches (repeating the data as needed) with an ``LRFinder``,
and undoes everything in a ``finally`` block. Readers who call ``fit`` themselves use the
callback directly.

How the sweep works, and why this way:

* **The rate is a function of the step, inside the compiled train step.** For the sweep, the
  optimizer's rate object (``_learning_rate``: its rate variable, or its schedule) is swapped for
  a :class:`SweepSchedule`, a ``LearningRateSchedule`` that maps the optimizer's step counter to
  ``lr_i``. Keras evaluates it inside the compiled train step, so every step gets its own rate
  with ``steps_per_execution > 1`` too, no Python runs per batch, and it works whether the
  optimizer's own rate is a float or a schedule (whose rate Python cannot assign).
* **The recorded loss is that batch's loss.** Keras' batch logs hold the running mean since the
  epoch began, and with ``steps_per_execution=N`` callbacks see one log per N steps. The sweep
  wraps ``model.compute_loss`` (which Keras' train step calls for each batch, before the update)
  with a few ops that also write the loss of each training batch into a buffer variable, one
  slot per step. The callback reads the new slots after each execution.
* **Nothing changes in the user's model.** Before the first step, the sweep copies the value of
  every variable a step can change: the model's weights and non-trainable state (batch-norm
  statistics, dropout seed states), its metric variables, and the optimizer's variables
  (iterations, momenta, moments, rate variable). Afterwards it assigns the copies back, so they
  are bit-identical, and it puts back the optimizer's rate object, ``compute_loss`` and
  ``train_function`` (the sweep traces a train function of its own), and ``lr_find`` also what
  ``fit`` sets (``history``, ``stop_training``). The model, its optimizer, loss and metrics stay
  the same objects. All in memory: no files. If the model or its optimizer had never been
  built, the sweep builds them, as ``fit`` would before its first step, and leaves the new
  variables at their initial values.

Why not sweep on a clone? ``clone_model`` needs a config (subclassed models often have none),
doubles the memory, and would sweep a copy of the optimizer rebuilt from its config rather than
the optimizer itself; swapping two attributes for the length of one ``fit`` call and restoring
values works for any compiled model and keeps every object the user holds.

Limits: written for, and tested with, the TensorFlow backend. Optimizers with
``gradient_accumulation_steps`` are refused (their step counter counts micro-batches). A custom
``train_step`` must compute its loss with ``self.compute_loss`` for the sweep to see it. The
sweep traces its own train function, a fixed cost of a fraction of a second per call.
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
import warnings
from typing import Any

import keras
import numpy as np
from keras import ops
from matplotlib.axes import Axes

from lrbook import suggest
from lrbook.checks import check_above, check_choice, check_int, check_real
from lrbook.plots import new_axes

MODES = ("exponential", "linear")


# --------------------------------------------------------------------------------------------
# Checking the arguments
# --------------------------------------------------------------------------------------------


OWNER = "range test"


def check_sweep_args(
    min_lr: float,
    max_lr: float,
    num_steps: int,
    mode: str,
    beta: float,
    diverge_threshold: float,
) -> None:
    """Raise ``ValueError`` naming the first argument of the sweep that is out of range."""
    _check_rates(min_lr, max_lr, num_steps, mode)
    check_real(OWNER, "beta", beta, ge=0, lt=1)
    check_real(OWNER, "diverge_threshold", diverge_threshold, finite=False, gt=1)


def _check_rates(min_lr: float, max_lr: float, num_steps: int, mode: str) -> None:
    check_real(OWNER, "min_lr", min_lr, gt=0)
    check_real(OWNER, "max_lr", max_lr, gt=0)
    check_above(OWNER, "max_lr", max_lr, "min_lr", min_lr)
    check_int(OWNER, "num_steps", num_steps, minimum=2)
    check_choice(OWNER, "mode", mode, MODES)


def _check_model(model) -> None:
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(
            f"model must be compiled with an optimizer and a loss before the sweep; "
            f"got model {model.name!r} with compiled={getattr(model, 'compiled', False)}. "
            "Call model.compile(optimizer=..., loss=...) first."
        )
    accumulation = _rate_owner(model.optimizer).gradient_accumulation_steps
    if accumulation:
        raise ValueError(
            "model.optimizer.gradient_accumulation_steps must be None for the sweep, got "
            f"{accumulation!r}: its step counter counts micro-batches, not updates."
        )


# --------------------------------------------------------------------------------------------
# The sweep's rate: a pure function of the optimizer step
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lrbook")
class SweepSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The range test's rate: from ``min_lr`` to ``max_lr`` (both included) in ``num_steps``.

    With ``i = step - start_step`` clipped to ``[0, num_steps - 1]`` and ``n = num_steps``::

        exponential: lr_i = min_lr * (max_lr / min_lr) ** (i / (n - 1))
        linear:      lr_i = min_lr + (max_lr - min_lr) * i / (n - 1)

    ``start_step`` is the optimizer's step counter when the sweep begins, so the sweep also
    works on an optimizer that has trained before. :meth:`rates` gives the same values in
    float64 for plotting and recording.
    """

    def __init__(
        self,
        min_lr: float,
        max_lr: float,
        num_steps: int,
        mode: str = "exponential",
        start_step: int = 0,
    ):
        _check_rates(min_lr, max_lr, num_steps, mode)
        self.min_lr = float(min_lr)
        self.max_lr = float(max_lr)
        self.num_steps = int(num_steps)
        self.mode = mode
        self.start_step = int(start_step)

    def __call__(self, step):
        i = ops.cast(step, "float32") - float(self.start_step)
        progress = ops.clip(i / float(self.num_steps - 1), 0.0, 1.0)
        if self.mode == "exponential":
            return self.min_lr * ops.power(self.max_lr / self.min_lr, progress)
        return self.min_lr + (self.max_lr - self.min_lr) * progress

    def rates(self) -> np.ndarray:
        """``lr_i`` for ``i = 0 .. num_steps - 1`` as a float64 array."""
        progress = np.arange(self.num_steps) / (self.num_steps - 1)
        if self.mode == "exponential":
            return self.min_lr * (self.max_lr / self.min_lr) ** progress
        return self.min_lr + (self.max_lr - self.min_lr) * progress

    def get_config(self) -> dict:
        return {
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "num_steps": self.num_steps,
            "mode": self.mode,
            "start_step": self.start_step,
        }


# --------------------------------------------------------------------------------------------
# Recording: each step's loss, inside the compiled step
# --------------------------------------------------------------------------------------------


class _StepLosses:
    """A buffer variable that the train step fills with one loss per step.

    :meth:`wrap` returns a ``compute_loss`` that calls the model's own and, for training
    batches, also writes the loss into slot ``count`` of the buffer (steps past ``capacity``
    share one spare slot).
    :meth:`read_new` returns the losses written since the previous call.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.buffer = keras.Variable(
            np.zeros(capacity + 1, "float32"), trainable=False, name="lrbook_sweep_losses"
        )
        self.count = keras.Variable(0, dtype="int32", trainable=False, name="lrbook_sweep_count")
        self._read = 0

    def wrap(self, compute_loss):
        def recording_compute_loss(*args, **kwargs):
            loss = compute_loss(*args, **kwargs)
            if kwargs.get("training", True) is not False:  # not a validation batch
                self._write(loss)
            return loss

        return recording_compute_loss

    def _write(self, loss) -> None:
        slot = ops.minimum(self.count.value, self.capacity)
        value = ops.reshape(ops.cast(loss, "float32"), (1,))
        self.buffer.assign(ops.slice_update(self.buffer.value, ops.reshape(slot, (1,)), value))
        self.count.assign_add(1)

    def read_new(self) -> np.ndarray:
        written = min(int(self.count.numpy()), self.capacity)
        new = np.array(self.buffer.numpy()[self._read : written], dtype="float64")
        self._read = written
        return new


class _SweepLog:
    """The recorded curve, and the rule that stops the sweep.

    ``add(loss)`` appends a step's loss and its smoothed value (the bias-corrected EMA of
    :class:`lrbook.suggest.EMA`) and returns ``True`` once the sweep must stop: when the loss is
    not finite, or the smoothed loss exceeds ``diverge_threshold`` times its minimum so far.
    """

    def __init__(self, rates: np.ndarray, beta: float, diverge_threshold: float):
        self.rates = rates
        self.diverge_threshold = diverge_threshold
        self.ema = suggest.EMA(beta)
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.lowest = math.inf
        self.stop_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None or len(self.losses) >= len(self.rates)

    def add(self, loss: float) -> bool:
        if self.finished:
            return True
        smoothed = self.ema.update(loss)
        self.losses.append(loss)
        self.smoothed.append(smoothed)
        self.lowest = min(self.lowest, smoothed)
        if not math.isfinite(loss):
            self.stop_reason = "non-finite loss"
        elif smoothed > self.diverge_threshold * self.lowest:
            self.stop_reason = "diverged"
        return self.finished

    def result(self, settings: dict) -> LRFinderResult:
        steps = len(self.losses)
        stopped = self.stop_reason is not None
        return LRFinderResult(
            lrs=self.rates[:steps].copy(),
            losses=np.array(self.losses, dtype="float64"),
            smoothed=np.array(self.smoothed, dtype="float64"),
            stopped_early=stopped,
            stop_step=steps - 1 if stopped else None,
            stop_lr=float(self.rates[steps - 1]) if stopped else None,
            stop_reason=self.stop_reason,
            **settings,
        )


# --------------------------------------------------------------------------------------------
# Saving and restoring the model's state
# --------------------------------------------------------------------------------------------


def _rate_owner(optimizer):
    """The optimizer whose rate is used (the inner one of a ``LossScaleOptimizer``)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def _unique(variables) -> list:
    seen, unique = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            unique.append(variable)
    return unique


def _state_variables(model: keras.Model) -> list:
    """Every variable a training step can change: model, metrics, optimizer (and inner one)."""
    optimizer = model.optimizer
    return _unique(
        list(model.variables)
        + list(model.metrics_variables)
        + list(optimizer.variables)
        + list(_rate_owner(optimizer).variables)
    )


class _Snapshot:
    """Copies of the values of every variable a training step can change, to assign back.

    Metrics that the sweep itself builds (their variables did not exist yet) are reset on
    restore, to the state they would have had before their first use.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.variables = _state_variables(model)
        self.values = [np.array(variable.numpy(), copy=True) for variable in self.variables]

    def restore(self) -> None:
        for variable, value in zip(self.variables, self.values, strict=True):
            variable.assign(value)
        known = {id(variable) for variable in self.variables}
        for metric in self.model.metrics:
            if any(id(variable) not in known for variable in metric.variables):
                metric.reset_state()


def _build_optimizer(model: keras.Model) -> None:
    """Create the optimizer's variables now, as its first update would, so they can be saved."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


class _Patch:
    """The sweep's temporary changes to a model: its rate, ``compute_loss``, train function.

    ``apply`` swaps them in and traces a new train function; ``undo`` puts the originals back.
    """

    def __init__(self, model: keras.Model, schedule_args: dict, recorder: _StepLosses):
        self.model = model
        self.optimizer = _rate_owner(model.optimizer)
        start = int(self.optimizer.iterations.numpy())
        self.schedule = SweepSchedule(**schedule_args, start_step=start)
        self.recorder = recorder
        self.saved_rate = self.optimizer._learning_rate
        self.saved_train_function = model.train_function
        self.had_own_compute_loss = "compute_loss" in vars(model)
        self.saved_compute_loss = model.compute_loss
        self.applied = False

    def apply(self) -> None:
        self.applied = True
        self.optimizer._learning_rate = self.schedule
        self.model.compute_loss = self.recorder.wrap(self.saved_compute_loss)
        self.model.make_train_function(force=True)

    def undo(self) -> None:
        if not self.applied:
            return
        self.applied = False
        self.optimizer._learning_rate = self.saved_rate
        if self.had_own_compute_loss:
            self.model.compute_loss = self.saved_compute_loss
        else:
            del self.model.compute_loss
        self.model.train_function = self.saved_train_function


# --------------------------------------------------------------------------------------------
# The callback: the sweep itself
# --------------------------------------------------------------------------------------------


class LRFinder(keras.callbacks.Callback):
    """The range test as a callback: ``model.fit(..., callbacks=[finder])``, then ``finder.result``.

    From the first step of ``fit``, the rate grows after every mini-batch from ``min_lr`` to
    ``max_lr`` (see :class:`SweepSchedule`); each step's rate and loss are recorded, with the
    bias-corrected EMA ``s_t = beta * s_{t-1} + (1 - beta) * L_t``, ``smoothed_t = s_t / (1 -
    beta**t)``. Training stops after ``num_steps`` steps, or earlier when the smoothed loss
    exceeds ``diverge_threshold`` times its minimum or a loss is not finite.

    Example::

        finder = LRFinder(num_steps=100)
        model.fit(x, y, batch_size=32, epochs=10, callbacks=[finder])  # stops after 100 steps
        finder.result.plot()

    Limits, honestly: give ``fit`` at least ``num_steps`` steps (epochs times batches), or the
    sweep ends short (it warns). With ``restore=True`` (the default) the weights, metrics and
    optimizer state are put back when ``fit`` ends, as :func:`lr_find` does; with
    ``restore=False`` the model keeps the sweep's training, as ``fit`` would. The rate object,
    ``compute_loss`` and ``train_function`` are always put back. Keras calls ``on_train_end``
    only when ``fit`` returns: after an exception or a KeyboardInterrupt in ``fit``, call
    :meth:`close` yourself, or use :func:`lr_find`, which does it for you. With
    ``steps_per_execution=N``, ``fit`` may run up to ``N - 1`` steps past the stop; they are not
    recorded.
    """

    def __init__(
        self,
        min_lr: float = 1e-7,
        max_lr: float = 10.0,
        num_steps: int = 100,
        mode: str = "exponential",
        beta: float = 0.98,
        diverge_threshold: float = 4.0,
        restore: bool = True,
    ):
        super().__init__()
        check_sweep_args(min_lr, max_lr, num_steps, mode, beta, diverge_threshold)
        self.schedule_args = {
            "min_lr": min_lr,
            "max_lr": max_lr,
            "num_steps": num_steps,
            "mode": mode,
        }
        self.beta = beta
        self.diverge_threshold = diverge_threshold
        self.restore = restore
        self.result: LRFinderResult | None = None
        self._snapshot: _Snapshot | None = None
        self._patch: _Patch | None = None
        self._recorder: _StepLosses | None = None
        self._log: _SweepLog | None = None

    def on_train_begin(self, logs=None):
        self.close()  # a sweep left open by an interrupted fit
        _check_model(self.model)
        if not self.model.built:
            raise ValueError(
                f"LRFinder needs a built model, got model {self.model.name!r} with built=False. "
                "Give it a keras.Input or call model.build(input_shape) first, or use lr_find, "
                "which builds it from the data."
            )
        _build_optimizer(self.model)
        self.result = None
        self._snapshot = _Snapshot(self.model) if self.restore else None
        self._recorder = _StepLosses(self.schedule_args["num_steps"])
        self._patch = _Patch(self.model, self.schedule_args, self._recorder)
        self._log = _SweepLog(self._patch.schedule.rates(), self.beta, self.diverge_threshold)
        self._patch.apply()

    def on_train_batch_end(self, batch, logs=None):
        if self._log is None:
            return
        losses = self._recorder.read_new()
        if losses.size == 0 and not self._log.losses:
            raise ValueError(
                f"model {self.model.name!r} trained a step without calling compute_loss, so the "
                "sweep cannot see its loss: a custom train_step must compute the loss with "
                "self.compute_loss(x, y, y_pred, sample_weight, training=True)."
            )
        if self._record(losses):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.close()
        self._warn_if_short()

    def close(self) -> None:
        """Record what is left, undo the sweep's changes to the model, set ``result``.

        Safe to call more than once; ``on_train_end`` calls it.
        """
        if self._log is None:
            return
        try:
            self._record(self._recorder.read_new())
        finally:
            self._patch.undo()
            if self._snapshot is not None:
                self._snapshot.restore()
            self.result = self._log.result(self._settings())
            self._snapshot = self._patch = self._recorder = self._log = None

    def _record(self, losses: np.ndarray) -> bool:
        """Add the new losses to the curve; ``True`` once the sweep must stop."""
        for loss in losses:
            if self._log.add(float(loss)):
                return True
        return self._log.finished

    def _settings(self) -> dict:
        return {
            **self.schedule_args,
            "beta": self.beta,
            "diverge_threshold": self.diverge_threshold,
        }

    def _warn_if_short(self) -> None:
        steps = len(self.result.losses)
        if not self.result.stopped_early and steps < self.result.num_steps:
            warnings.warn(
                f"The sweep ran {steps} of num_steps={self.result.num_steps} steps: fit ended "
                "first. Give fit more epochs or steps.",
                stacklevel=2,
            )


# --------------------------------------------------------------------------------------------
# lr_find: the sweep on the user's data, with the model put back afterwards
# --------------------------------------------------------------------------------------------


class _CyclingPyDataset(keras.utils.PyDataset):
    """``num_batches`` batches of ``dataset``, starting again from its first when it runs out."""

    def __init__(self, dataset: keras.utils.PyDataset, num_batches: int):
        super().__init__(
            workers=dataset.workers,
            use_multiprocessing=dataset.use_multiprocessing,
            max_queue_size=dataset.max_queue_size,
        )
        self.dataset = dataset
        self.length = dataset.num_batches
        self.sweep_batches = num_batches

    def __len__(self) -> int:
        return self.sweep_batches

    def __getitem__(self, index: int):
        return self.dataset[index if self.length is None else index % self.length]


def _sweep_inputs(x, y, batch_size: int, num_steps: int) -> dict:
    """Keyword arguments for ``fit`` that give exactly ``num_steps`` batches, repeating ``x``."""
    if isinstance(x, keras.utils.PyDataset):
        _check_no_y(x, y)
        if x.num_batches == 0:
            raise ValueError("x must hold at least one batch, got a PyDataset of length 0")
        return {"x": _CyclingPyDataset(x, num_steps)}
    if _is_tf_dataset(x):
        _check_no_y(x, y)
        if int(x.cardinality()) == 0:
            raise ValueError("x must hold at least one batch, got an empty tf.data.Dataset")
        return {"x": x.repeat().take(num_steps)}
    return _array_inputs(x, y, batch_size, num_steps)


def _is_tf_dataset(x) -> bool:
    try:
        import tensorflow as tf
    except ImportError:
        return False
    return isinstance(x, tf.data.Dataset)


def _check_no_y(x, y) -> None:
    if y is not None:
        raise ValueError(
            f"y must be None when x is a {type(x).__name__} (it yields the targets), "
            f"got y of type {type(y).__name__}"
        )


def _array_inputs(x, y, batch_size: int, num_steps: int) -> dict:
    arrays = keras.tree.flatten(x) + ([] if y is None else keras.tree.flatten(y))
    if not arrays or not all(hasattr(a, "shape") and len(a.shape) > 0 for a in arrays):
        raise ValueError(
            "x must be arrays (NumPy or tensors, or a list/dict of them), a tf.data.Dataset or a "
            f"keras.utils.PyDataset, got {type(x).__name__}"
        )
    sizes = {int(a.shape[0]) for a in arrays}
    if len(sizes) != 1:
        raise ValueError(f"x and y must have the same number of samples, got sizes {sorted(sizes)}")
    size = sizes.pop()
    if size == 0:
        raise ValueError("x must hold at least one sample, got 0")
    rows = np.arange(num_steps * batch_size) % size

    def take(array):
        return np.asarray(array)[rows]

    targets = None if y is None else keras.tree.map_structure(take, y)
    return {"x": keras.tree.map_structure(take, x), "y": targets, "batch_size": batch_size}


def _first_batch(inputs: dict):
    x = inputs["x"]
    if isinstance(x, _CyclingPyDataset):
        return x[0]
    if _is_tf_dataset(x):
        return next(iter(x.take(1)))
    batch = (x,) if inputs["y"] is None else (x, inputs["y"])
    return keras.tree.map_structure(lambda a: a[: inputs["batch_size"]], batch)


def lr_find(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = 32,
    min_lr: float = 1e-7,
    max_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exponential",
    beta: float = 0.98,
    diverge_threshold: float = 4.0,
) -> LRFinderResult:
    """Run the learning-rate range test on ``model`` and leave the model exactly as it was.

    The rate grows after every mini-batch over ``num_steps`` optimizer steps, from ``min_lr`` to
    ``max_lr`` (both included): ``lr_i = min_lr * (max_lr / min_lr) ** (i / (n - 1))`` for
    ``mode="exponential"``, ``lr_i = min_lr + (max_lr - min_lr) * i / (n - 1)`` for
    ``"linear"``. Each step's loss is that batch's loss, computed before the update; the
    smoothed curve is the bias-corrected EMA ``s_t = beta * s_{t-1} + (1 - beta) * L_t``,
    ``smoothed_t = s_t / (1 - beta**t)``. The sweep stops early when ``smoothed_t`` exceeds
    ``diverge_threshold`` times its minimum so far, or a loss is not finite.

    ``x`` (and ``y``) may be arrays, a ``tf.data.Dataset`` or a ``keras.utils.PyDataset`` (then
    ``y`` is None and ``batch_size`` is the dataset's own). The sweep takes consecutive batches,
    in order, starting again from the beginning of the data as often as needed: shuffle the
    data beforehand if its order is not random. Arrays: the sweep uses (copies of) the first
    ``num_steps * batch_size`` samples, repeated if there are fewer.

    The weights, the non-trainable and metric variables and the optimizer's variables are
    bit-identical afterwards, and so are the optimizer's rate (float or schedule), the compiled
    loss, metrics and train function, whatever happened during the sweep. Bad arguments raise
    ``ValueError`` before any training.
    """
    finder = LRFinder(min_lr, max_lr, num_steps, mode, beta, diverge_threshold, restore=True)
    check_int("lr_find", "batch_size", batch_size, minimum=1)
    _check_model(model)
    inputs = _sweep_inputs(x, y, batch_size, num_steps)
    if not model.built:
        # The symbolic build Keras itself runs before fit on other backends: it creates the
        # variables (no computation), so that they exist to be saved before the first step.
        model._symbolic_build(data_batch=_first_batch(inputs))
    saved = _FitAttributes(model)
    try:
        model.fit(**inputs, epochs=1, shuffle=False, verbose=0, callbacks=[finder])
    finally:
        finder.close()
        saved.restore()
    return finder.result


class _FitAttributes:
    """What ``fit`` itself sets on a model (``history``, ``stop_training``, ``train_function``)."""

    NAMES = ("history", "stop_training", "train_function")
    _MISSING = object()

    def __init__(self, model: keras.Model):
        self.model = model
        self.values = {name: getattr(model, name, self._MISSING) for name in self.NAMES}

    def restore(self) -> None:
        for name, value in self.values.items():
            if value is self._MISSING:
                if name in vars(self.model):
                    delattr(self.model, name)
            else:
                setattr(self.model, name, value)


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class LRFinderResult:
    """One sweep's curve: the rates, raw and smoothed losses, where it stopped, and the settings.

    ``lrs[i]`` is the rate of step ``i`` and ``losses[i]`` the loss of that step's batch,
    computed before its update; ``smoothed`` is the bias-corrected EMA of ``losses``. When the
    sweep stopped early, ``stop_step``/``stop_lr`` are the step and rate that triggered the
    stop (the last recorded point) and ``stop_reason`` says why.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stopped_early: bool
    stop_step: int | None
    stop_lr: float | None
    stop_reason: str | None
    min_lr: float
    max_lr: float
    num_steps: int
    mode: str
    beta: float
    diverge_threshold: float

    def suggestion(self, method: str = "steepest") -> float:
        """A learning rate read from the curve by rule ``method`` (see :mod:`lrbook.suggest`).

        All rules read the raw losses through a lag-free smoother (a centred local line in
        log10 of the rate), not through the EMA, whose lag pulls every rule to higher rates.

        * ``"steepest"`` (default): find step ``t*`` where the loss falls fastest against
          log10 of the rate, and return ``sum(lrs[:t*]) / 10``: the rate that covers in 10
          steps the distance the sweep had covered by then (this corrects the sweep's own lag;
          the 10 is measured, see ``benchmarks/finder_suggestion.py``).
        * ``"valley"``: ``sqrt(lrs[start] * lrs[bottom])``, the middle of the descending
          stretch, from where the loss leaves its starting level to its lowest point.
        * ``"minimum"``: ``lrs[bottom] / 10``, the rate at the lowest smoothed loss over 10.

        Raises ``ValueError`` with a hint (how to change the range) when the curve cannot carry
        a suggestion: too few points (a divergence straight away), no descending part, or a
        sweep that starts inside the descent.
        """
        return suggest.suggest(self.lrs, self.losses, method)

    def suggestions(self) -> dict[str, float]:
        """Every rule's suggestion, by name."""
        return {method: self.suggestion(method) for method in suggest.METHODS}

    def lr_range(self) -> tuple[float, float]:
        """``(low, high)`` bounds for a cyclical schedule, by :func:`lrbook.suggest.lr_range`."""
        return suggest.lr_range(self.lrs, self.losses)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Raw and smoothed loss against the rate (log axis), the suggestions and the stop.

        Draws on ``ax``, or on a new figure of the book's size with a white background. When
        the curve cannot carry a suggestion, the reason is written on the axes instead.
        """
        return _plot_result(self, ax)


def _plot_result(result: LRFinderResult, ax: Axes | None) -> Axes:
    if ax is None:
        ax = new_axes()
        ax.figure.set_facecolor("white")
        ax.figure.set_layout_engine("constrained")
    ax.set_facecolor("white")
    ax.plot(result.lrs, result.losses, color="0.65", lw=0.8, label="loss of each batch")
    ax.plot(result.lrs, result.smoothed, color="C0", lw=1.8, label=f"EMA, beta={result.beta}")
    _plot_suggestions(result, ax)
    if result.stopped_early:
        ax.axvline(result.stop_lr, color="C3", ls=":", lw=1.2, label=f"stop: {result.stop_reason}")
    ax.set_xscale("log")
    ax.set_xlim(result.min_lr, result.max_lr)
    ax.set_ylim(*_loss_limits(result))
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def _plot_suggestions(result: LRFinderResult, ax) -> None:
    try:
        picks = result.suggestions()
    except ValueError as error:
        message = textwrap.fill(str(error), width=90)
        ax.text(0.02, 0.04, message, transform=ax.transAxes, fontsize=8, color="C3")
        return
    curve = suggest.lag_free(result.lrs, result.losses)
    usable = np.isfinite(curve)
    ax.plot(result.lrs[usable], curve[usable], color="C1", lw=1.2, ls="--", label="lag-free")
    fastest = suggest.Curve(result.lrs, result.losses).steepest
    ax.plot(
        result.lrs[fastest], curve[fastest], "o", mfc="none", mec="C2", ms=9, label="fastest fall"
    )
    markers = {"steepest": "o", "valley": "s", "minimum": "^"}
    for index, (method, rate) in enumerate(picks.items()):
        level = np.interp(np.log(rate), np.log(result.lrs[usable]), curve[usable])
        label = f"{method}: {rate:.2g}"
        ax.plot(rate, level, markers.get(method, "D"), color=f"C{index + 2}", ms=7, label=label)


def _loss_limits(result: LRFinderResult) -> tuple[float, float]:
    """From the lowest loss to 1.5 times the highest early loss (a divergence is cut off),
    or to the highest loss for a curve too short to read."""
    finite = result.losses[np.isfinite(result.losses)]
    if finite.size == 0:
        return 0.0, 1.0
    low = float(finite.min())
    high = float(finite.max())
    if finite.size >= suggest.MIN_POINTS:
        high = min(high, 1.5 * float(finite[: max(1, finite.size // 10)].max()))
    margin = 0.05 * max(high - low, 1e-12)
    return low - margin, max(high, low) + margin
