"""The machinery of a range test: the rising rate, the per-step loss recorder, the patch.

* :class:`SweepSchedule`: the sweep's rate, a pure function of the optimizer step evaluated
  inside the compiled train step (so every step gets its own rate with
  ``steps_per_execution > 1`` too, and it works whether the optimizer's own rate is a float or
  a schedule).
* :class:`StepLosses`: Keras' batch logs hold the running mean since the epoch began, and with
  ``steps_per_execution=N`` callbacks see one log per N steps. The sweep wraps
  ``model.compute_loss`` (which the train step calls for each batch, before the update) with a
  few ops that also write that batch's loss into a buffer variable, one slot per step.
* :class:`SweepPatch`: swaps the optimizer's rate object and ``compute_loss`` for the length of
  the sweep, with a train function traced for them, and puts the originals back. The traced
  function is kept with the model and reused by the next sweep of the same compiled model: the
  range, start step and recorder are variables, so a new sweep assigns them instead of tracing
  again.

On JAX the train step is a pure function of the state ``fit`` passes it, so for the length of
the sweep the recorder's variables join the model's metric variables (``compute_loss`` writes
them there) and the range's join the optimizer's (the rate reads them there), and the callback
reads the buffer from the state ``fit`` holds (:mod:`lrbook.backends`). The state's structure is
the same from one sweep to the next, so JAX does not compile the step again either.
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
from keras import ops

from lrbook.backends import (
    attach_to_metrics,
    attach_to_optimizer,
    current_values,
    detach_from_metrics,
    detach_from_optimizer,
    is_jax,
)
from lrbook.checks import check_above, check_choice, check_int, check_real
from lrbook.distribute import global_loss, variable_scope
from lrbook.model_state import rate_owner

MODES = ("exponential", "linear")
MIN_CAPACITY = 1024  # slots of the loss buffer: a longer sweep than any before traces again


def check_sweep_range(owner: str, min_lr: float, max_lr: float, num_steps: int, mode: str) -> None:
    """Raise ``ValueError`` naming ``owner`` and the first of the sweep's settings out of range."""
    check_real(owner, "min_lr", min_lr, gt=0)
    check_real(owner, "max_lr", max_lr, gt=0)
    check_above(owner, "max_lr", max_lr, "min_lr", min_lr)
    check_int(owner, "num_steps", num_steps, minimum=2)
    check_choice(owner, "mode", mode, MODES)


def sweep_rate(xp, step, start_step, num_steps: int, min_lr, max_lr, mode: str):
    """``lr_i`` for ``i = step - start_step`` clipped to ``[0, num_steps - 1]``, ``n = num_steps``::

        exponential: lr_i = min_lr * (max_lr / min_lr) ** (i / (n - 1))
        linear:      lr_i = min_lr + (max_lr - min_lr) * i / (n - 1)

    ``xp`` is ``numpy`` (float64, for plotting and recording) or ``keras.ops`` (in the step).
    """
    progress = xp.clip((step - start_step) / (num_steps - 1), 0.0, 1.0)
    if mode == "exponential":
        return min_lr * xp.power(max_lr / min_lr, progress)
    return min_lr + (max_lr - min_lr) * progress


@keras.saving.register_keras_serializable(package="lrbook")
class SweepSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The range test's rate: from ``min_lr`` to ``max_lr`` (both included) in ``num_steps``.

    ``lr_i`` as in :func:`sweep_rate`, with ``i = step - start_step``. ``start_step`` is the
    optimizer's step counter when the sweep begins, so the sweep also works on an optimizer that
    has trained before. :meth:`rates` gives the same values in float64. Steps before
    ``start_step`` get ``min_lr`` and steps past the end ``max_lr`` (the progress is clipped).
    """

    def __init__(
        self,
        min_lr: float,
        max_lr: float,
        num_steps: int,
        mode: str = "exponential",
        start_step: int = 0,
    ):
        check_sweep_range("SweepSchedule", min_lr, max_lr, num_steps, mode)
        self.min_lr = float(min_lr)
        self.max_lr = float(max_lr)
        self.num_steps = int(num_steps)
        self.mode = mode
        self.start_step = check_int("SweepSchedule", "start_step", start_step, minimum=0)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        return sweep_rate(
            ops, step, float(self.start_step), self.num_steps, self.min_lr, self.max_lr, self.mode
        )

    def rates(self) -> np.ndarray:
        """``lr_i`` for ``i = 0 .. num_steps - 1`` as a float64 array."""
        steps = np.arange(self.num_steps, dtype="float64")
        return sweep_rate(np, steps, 0.0, self.num_steps, self.min_lr, self.max_lr, self.mode)

    def get_config(self) -> dict:
        return {
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "num_steps": self.num_steps,
            "mode": self.mode,
            "start_step": self.start_step,
        }


class _VariableSweep(keras.optimizers.schedules.LearningRateSchedule):
    """:class:`SweepSchedule`'s rate with its range, length and start held in variables, so
    that one traced train function serves every sweep of the same mode."""

    def __init__(self, mode: str):
        self.mode = mode
        self.num_steps = keras.Variable(2.0, dtype="float32", trainable=False, name="sweep_steps")
        self.min_lr = keras.Variable(1.0, dtype="float32", trainable=False, name="sweep_min_lr")
        self.max_lr = keras.Variable(1.0, dtype="float32", trainable=False, name="sweep_max_lr")
        self.start_step = keras.Variable(0.0, dtype="float32", trainable=False, name="sweep_start")

    @property
    def variables(self) -> list:
        return [self.num_steps, self.min_lr, self.max_lr, self.start_step]

    def set(self, schedule: SweepSchedule) -> None:
        self.min_lr.assign(schedule.min_lr)
        self.max_lr.assign(schedule.max_lr)
        self.start_step.assign(float(schedule.start_step))
        self.num_steps.assign(float(schedule.num_steps))

    def __call__(self, step):
        return sweep_rate(
            ops,
            ops.cast(step, "float32"),
            self.start_step.value,
            self.num_steps.value,
            self.min_lr.value,
            self.max_lr.value,
            self.mode,
        )

    def get_config(self) -> dict:  # pragma: no cover - never saved: it lives for one sweep
        raise NotImplementedError("the sweep's internal rate is not saved")


class StepLosses:
    """A buffer variable that the train step fills with one loss per step.

    :meth:`wrap` returns a ``compute_loss`` that calls the model's own and, for training
    batches, also writes the loss into slot ``count`` of the buffer (steps past ``capacity``
    share one spare slot). :meth:`start` empties it for a sweep of ``length`` steps;
    :meth:`read_new` returns the losses written since the previous call (also during a JAX
    ``fit``, which holds the buffer's value outside the variable: :mod:`lrbook.backends`).
    """

    def __init__(self, capacity: int, model: keras.Model):
        self.capacity = capacity
        self.model = model
        self.buffer = keras.Variable(
            np.zeros(capacity + 1, "float32"), trainable=False, name="lrbook_sweep_losses"
        )
        self.count = keras.Variable(0, dtype="int32", trainable=False, name="lrbook_sweep_count")
        self.length = capacity
        self._read = 0

    @property
    def variables(self) -> list:
        return [self.buffer, self.count]

    def start(self, length: int) -> None:
        self.count.assign(0)
        self.length, self._read = length, 0

    def wrap(self, compute_loss):
        def recording_compute_loss(*args, **kwargs):
            loss = compute_loss(*args, **kwargs)
            if kwargs.get("training", True) is not False:  # not a validation batch
                self._write(loss)
            return loss

        return recording_compute_loss

    def _write(self, loss) -> None:
        slot = ops.minimum(self.count.value, self.capacity)
        value = ops.reshape(global_loss(ops.cast(loss, "float32")), (1,))  # all the replicas'
        self.buffer.assign(ops.slice_update(self.buffer.value, ops.reshape(slot, (1,)), value))
        # + 1, computed from the loss: in a TensorFlow graph an op that does not depend on the
        # batch can run although fetching the batch failed (a generator that ran out), which
        # would count a step that never ran
        finite = ops.isfinite(value[0])
        one = ops.cast(finite, "int32") + ops.cast(ops.logical_not(finite), "int32")
        self.count.assign_add(one)

    def read_new(self) -> np.ndarray:
        values, count = current_values(self.model, self.variables)
        written = min(int(count), self.length)
        new = np.array(values[self._read : written], dtype="float64")
        self._read = written
        return new


class _TracedSweep:
    """A sweep's rate, recorder and traced train function, kept with the model for reuse."""

    def __init__(self, model: keras.Model, num_steps: int, mode: str):
        self.key = _trace_key(model, mode)
        with variable_scope(model):  # mirrored, like the model's, under tf.distribute
            self.rate = _VariableSweep(mode)
            self.recorder = StepLosses(max(num_steps, MIN_CAPACITY), model)
        self.compute_loss = self.recorder.wrap(model.compute_loss)
        self.train_function = None

    def fits(self, model: keras.Model, num_steps: int, mode: str) -> bool:
        return self.key == _trace_key(model, mode) and num_steps <= self.recorder.capacity


def _trace_key(model: keras.Model, mode: str) -> tuple:
    """What a traced sweep depends on: the optimizer, loss and step of the compiled model."""
    compute_loss = model.compute_loss
    return (
        mode,
        id(model.optimizer),
        id(getattr(compute_loss, "__func__", compute_loss)),
        id(getattr(model, "_compile_loss", None)),
        id(getattr(model, "_compile_metrics", None)),
        getattr(model, "steps_per_execution", 1),
        getattr(model, "jit_compile", None),
    )


_TRACED: weakref.WeakKeyDictionary[keras.Model, _TracedSweep] = weakref.WeakKeyDictionary()


class SweepPatch:
    """The sweep's temporary changes to a model: its rate, ``compute_loss``, train function.

    :meth:`apply` swaps them in (tracing a train function on the first sweep of this compiled
    model, reusing it afterwards); :meth:`undo` puts the originals back. ``schedule`` is the
    sweep's :class:`SweepSchedule`, starting at the optimizer's current step; ``recorder`` its
    :class:`StepLosses`.
    """

    def __init__(self, model: keras.Model, min_lr: float, max_lr: float, num_steps: int, mode: str):
        self.model = model
        self.optimizer = rate_owner(model.optimizer)
        start = int(keras.ops.convert_to_numpy(self.optimizer.iterations))
        self.schedule = SweepSchedule(min_lr, max_lr, num_steps, mode, start_step=start)
        self.saved_rate = self.optimizer._learning_rate
        self.saved_train_function = model.train_function
        self.had_own_compute_loss = "compute_loss" in vars(model)
        self.saved_compute_loss = model.compute_loss
        self.traced = self._traced(num_steps, mode)
        self.recorder = self.traced.recorder
        self.carrier = None
        self.applied = False

    def _traced(self, num_steps: int, mode: str) -> _TracedSweep:
        traced = _TRACED.get(self.model)
        if traced is None or not traced.fits(self.model, num_steps, mode):
            traced = _TRACED[self.model] = _TracedSweep(self.model, num_steps, mode)
        return traced

    def apply(self) -> None:
        self.applied = True
        self.traced.rate.set(self.schedule)
        self.recorder.start(self.schedule.num_steps)
        self.optimizer._learning_rate = self.traced.rate
        self.model.compute_loss = self.traced.compute_loss
        if is_jax():  # the step's state: the rate reads the range, compute_loss writes the buffer
            attach_to_optimizer(self.optimizer, self.traced.rate.variables)
            self.carrier = attach_to_metrics(self.model, self.recorder.variables)
        if self.traced.train_function is None:
            self.model.make_train_function(force=True)
            self.traced.train_function = self.model.train_function
        else:
            self.model.train_function = self.traced.train_function

    def undo(self) -> None:
        if not self.applied:
            return
        self.applied = False
        if self.carrier is not None:
            detach_from_optimizer(self.optimizer, self.traced.rate.variables)
            detach_from_metrics(self.model, self.carrier)
            self.carrier = None
        self.optimizer._learning_rate = self.saved_rate
        if self.had_own_compute_loss:
            self.model.compute_loss = self.saved_compute_loss
        else:
            del self.model.compute_loss
        self.model.train_function = self.saved_train_function
