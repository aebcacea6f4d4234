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

Backends: TensorFlow, JAX and PyTorch, each tested. On JAX the train step is a pure function of
the state ``fit`` passes it (weights, optimizer and metric variables), so a variable outside
that state can neither be written nor read anew inside the step: for the length of the sweep,
its loss buffer joins the model's metric variables and its range the optimizer's variables, and
both are taken off afterwards (:mod:`lrbook.backends`). On PyTorch Keras runs one step per call,
so ``steps_per_execution`` must be 1 there (refused up front), and nothing is traced.

Limits: optimizers with ``gradient_accumulation_steps`` are refused (their step counter counts
micro-batches). A custom ``train_step`` must compute its loss with ``self.compute_loss`` for the
sweep to see it. The first sweep of a compiled model traces a train function of its own, a
fixed cost of a fraction of a second (more on JAX, which compiles it with XLA); the next sweeps
of the same compiled model reuse it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from lrbook import suggest
from lrbook.backends import check_multi_step
from lrbook.checks import check_int, check_real, require
from lrbook.distribute import check_batch_size, check_mirrored_steps, variable_scope
from lrbook.model_state import FitAttributes, ModelState, build_optimizer, rate_owner
from lrbook.sweep import SweepPatch, check_sweep_range
from lrbook.sweep_inputs import first_batch, sweep_inputs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# The sweep's default settings, shared by LRFinder and lr_find.
MIN_LR = 1e-7
MAX_LR = 10.0
NUM_STEPS = 100
MODE = "exponential"
BETA = 0.98
DIVERGE_THRESHOLD = 4.0


def check_sweep_args(
    owner: str,
    min_lr: float,
    max_lr: float,
    num_steps: int,
    mode: str,
    beta: float,
    diverge_threshold: float,
) -> None:
    """Raise ``ValueError`` naming ``owner`` and the first argument of the sweep out of range."""
    check_sweep_range(owner, min_lr, max_lr, num_steps, mode)
    check_real(owner, "beta", beta, ge=0, lt=1)
    check_real(owner, "diverge_threshold", diverge_threshold, finite=False, gt=1)


def check_model(owner: str, model) -> None:
    """Raise ``ValueError`` unless ``model`` is a compiled Keras model the sweep can train."""
    require(owner, "model", model, isinstance(model, keras.Model), "a keras.Model",
            got=f"a {type(model).__name__}")  # fmt: skip
    compiled = getattr(model, "compiled", False) and model.optimizer is not None
    require(
        owner, "model", model, compiled,
        "compiled with an optimizer and a loss (call model.compile(optimizer=..., loss=...) "
        "first)", got=f"model {model.name!r} with compiled={getattr(model, 'compiled', False)}",
    )  # fmt: skip
    accumulation = rate_owner(model.optimizer).gradient_accumulation_steps
    require(
        owner, "model.optimizer.gradient_accumulation_steps", accumulation, not accumulation,
        "None for the sweep (its step counter counts micro-batches, not updates)",
    )  # fmt: skip
    check_mirrored_steps(owner, model)
    check_multi_step(owner, model)


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


class LRFinder(keras.callbacks.Callback):
    r"""The range test as a callback: ``fit(..., callbacks=[finder])``, then ``finder.result``.

    From the first step of ``fit``, the rate grows after every mini-batch from ``min_lr`` to
    ``max_lr``, as in :func:`lr_find`; each step's rate :math:`\eta_i` and loss :math:`L_t` are
    recorded, with the bias-corrected EMA

    .. math::

        s_t = \beta \, s_{t-1} + (1 - \beta) \, L_t, \quad s_0 = 0,
        \qquad
        \hat{s}_t = \frac{s_t}{1 - \beta^t} .

    Training stops after ``num_steps`` steps, or earlier when a loss is not finite or
    :math:`\hat{s}_t` exceeds ``diverge_threshold`` times its minimum so far.

    >>> keras.utils.set_random_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    >>> y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    >>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> model.compile(optimizer="sgd", loss=loss)
    >>> finder = lrbook.LRFinder(min_lr=1e-3, max_lr=1.0, num_steps=20)
    >>> history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[finder])
    >>> finder.result.lrs.size  # fit stopped after 20 of its 32 steps
    20

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
        min_lr: float = MIN_LR,
        max_lr: float = MAX_LR,
        num_steps: int = NUM_STEPS,
        mode: str = MODE,
        beta: float = BETA,
        diverge_threshold: float = DIVERGE_THRESHOLD,
        restore: bool = True,
        *,
        _owner: str = "LRFinder",
    ):
        super().__init__()
        check_sweep_args(_owner, min_lr, max_lr, num_steps, mode, beta, diverge_threshold)
        self._owner = _owner
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
        self._short_hint = "fit ended first. Give fit more epochs or steps."
        self._state: ModelState | None = None
        self._patch: SweepPatch | None = None
        self._log: _SweepLog | None = None

    def set_model(self, model):
        super().set_model(model)
        # fit calls this before it builds its train function, where Keras' PyTorch backend
        # refuses steps_per_execution > 1 with a message that does not name the finder
        check_multi_step(self._owner, model)

    def on_train_begin(self, logs=None):
        self.close()  # a sweep left open by an interrupted fit
        check_model(self._owner, self.model)
        require(
            self._owner, "model", self.model, self.model.built,
            "built (give it a keras.Input or call model.build(input_shape) first, or use "
            "lr_find, which builds it from the data)",
            got=f"model {self.model.name!r} with built=False",
        )  # fmt: skip
        build_optimizer(self.model)
        self.result = None
        self._state = ModelState(self.model) if self.restore else None
        self._patch = SweepPatch(self.model, **self.schedule_args)
        self._log = _SweepLog(self._patch.schedule.rates(), self.beta, self.diverge_threshold)
        self._patch.apply()

    def on_train_batch_end(self, batch, logs=None):
        if self._log is None:
            return
        losses = self._patch.recorder.read_new()
        require(
            self._owner, "model", self.model, losses.size > 0 or bool(self._log.losses),
            "a model whose train step calls compute_loss, so the sweep sees its loss (a custom "
            "train_step must use self.compute_loss(x, y, y_pred, sample_weight, training=True))",
            got=f"model {self.model.name!r}, which trained a step without calling compute_loss",
        )  # fmt: skip
        if self._record(losses):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.close()
        if self._owner == "LRFinder":  # lr_find warns at its caller's line instead
            self._warn(stacklevel=3)

    def close(self) -> None:
        """Record what is left, undo the sweep's changes to the model, set ``result``.

        Safe to call more than once; ``on_train_end`` calls it. Call it yourself when ``fit``
        was interrupted (Keras then skips ``on_train_end``).

        >>> finder.close()  # nothing left to undo after a whole fit
        >>> finder.result.lrs.size
        20
        """
        if self._log is None:
            return
        try:
            self._record(self._patch.recorder.read_new())
        finally:
            self._patch.undo()
            if self._state is not None:
                self._state.restore()
            self.result = self._log.result(self._settings())
            self._state = self._patch = self._log = None

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

    def _warn(self, stacklevel: int) -> None:
        """Warn when the sweep ended short, and when its curve's suggestions are doubtful."""
        steps = len(self.result.losses)
        if not self.result.stopped_early and steps < self.result.num_steps:
            warnings.warn(
                f"The sweep ran {steps} of num_steps={self.result.num_steps} steps: "
                f"{self._short_hint}",
                stacklevel=stacklevel,
            )
        if self.result.problem is not None:
            warnings.warn(self.result.problem, stacklevel=stacklevel)


# --------------------------------------------------------------------------------------------
# lr_find: the sweep on the user's data, with the model put back afterwards
# --------------------------------------------------------------------------------------------


def lr_find(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = 32,
    min_lr: float = MIN_LR,
    max_lr: float = MAX_LR,
    num_steps: int = NUM_STEPS,
    mode: str = MODE,
    beta: float = BETA,
    diverge_threshold: float = DIVERGE_THRESHOLD,
) -> LRFinderResult:
    r"""Run the learning-rate range test on ``model`` and leave the model exactly as it was.

    The rate grows after every mini-batch over :math:`n` = ``num_steps`` optimizer steps, from
    :math:`\eta_{\min}` = ``min_lr`` to :math:`\eta_{\max}` = ``max_lr`` (both included):

    .. math::

        \eta_i = \eta_{\min} \left( \frac{\eta_{\max}}{\eta_{\min}} \right)^{i/(n-1)}
        \quad \text{(}\texttt{mode="exponential"}\text{)},

        \eta_i = \eta_{\min} + (\eta_{\max} - \eta_{\min}) \, \frac{i}{n - 1}
        \quad \text{(}\texttt{"linear"}\text{)}.

    Each step's loss :math:`L_t` is that batch's loss, computed before the update; the smoothed
    curve is the bias-corrected EMA :math:`\hat{s}_t = s_t / (1 - \beta^t)` with
    :math:`s_t = \beta s_{t-1} + (1 - \beta) L_t`, :math:`\beta` = ``beta``. The sweep stops
    early when :math:`\hat{s}_t` exceeds ``diverge_threshold`` times its minimum so far, or a
    loss is not finite.

    >>> keras.utils.set_random_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    >>> y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    >>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> model.compile(optimizer="sgd", loss=loss)
    >>> result = lrbook.lr_find(model, x, y, batch_size=16, min_lr=1e-3, max_lr=100.0,
    ...                         num_steps=40)
    >>> float(result.lrs[0]), round(float(result.lrs[1] / result.lrs[0]), 4)  # 1e5 ** (1/39)
    (0.001, 1.3434)
    >>> bool(result.lrs[0] <= result.suggestion() <= result.lrs[-1])
    True

    ``x`` (and ``y``) may be anything ``model.fit`` takes: arrays (NumPy or the backend's
    tensors, or a list or dict of them) with ``y``, or a ``tf.data.Dataset``, a
    ``keras.utils.PyDataset``, a torch ``DataLoader`` or a Python generator (or iterator) of
    ``(x, y)`` batches, which hold the targets and batch themselves (``y`` is None and
    ``batch_size`` does not apply). ``tf.data`` and ``DataLoader`` inputs work on every backend,
    as in ``fit``, when their library is installed. The sweep takes consecutive batches, in
    order, starting again from the beginning of the data as often as needed (a ``DataLoader``:
    a new pass, reshuffled if it shuffles): shuffle the data beforehand if its order is not
    random. Arrays: the sweep uses (copies of) the first ``num_steps * batch_size`` samples,
    repeated if there are fewer. A generator cannot start again: the sweep takes at most
    ``num_steps`` batches from it (and leaves it there), and if it runs out first, the sweep
    ends short, with a warning, and the result has fewer than ``num_steps`` points.

    It works on the TensorFlow, JAX and PyTorch backends; on PyTorch ``steps_per_execution``
    must be 1 (Keras runs one step per call there).

    The weights, the non-trainable and metric variables and the optimizer's variables are
    bit-identical afterwards, and so are the optimizer's rate (float or schedule), the compiled
    loss, metrics and train function, whatever happened during the sweep. Bad arguments raise
    ``ValueError`` before any training.

    >>> weights = model.get_weights()
    >>> result = lrbook.lr_find(model, x, y, batch_size=16, min_lr=1e-3, num_steps=20)
    >>> all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    True
    """
    settings = (min_lr, max_lr, num_steps, mode, beta, diverge_threshold)
    finder = LRFinder(*settings, restore=True, _owner="lr_find")
    check_int("lr_find", "batch_size", batch_size, minimum=1)
    check_model("lr_find", model)
    inputs = sweep_inputs("lr_find", x, y, batch_size, num_steps)
    if inputs.get("batch_size") is not None:  # arrays: the sweep's batches are batch_size rows
        check_batch_size("lr_find", batch_size)
    if not model.built:
        # The symbolic build Keras itself runs before fit on other backends: it creates the
        # variables (no computation), so that they exist to be saved before the first step;
        # in the model's tf.distribute scope, as fit builds it.
        with variable_scope(model):
            model._symbolic_build(data_batch=first_batch(inputs))
    if inputs.runs_out is not None:
        finder._short_hint = inputs.runs_out
    saved = FitAttributes(model)
    try:
        model.fit(**inputs, epochs=1, shuffle=False, verbose=0, callbacks=[finder])
    finally:
        finder.close()
        saved.restore()
    finder._warn(stacklevel=3)
    return finder.result


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class LRFinderResult:
    r"""One sweep's curve: the rates, raw and smoothed losses, where it stopped, and the settings.

    ``lrs[i]`` is the rate :math:`\eta_i` of step :math:`i` and ``losses[i]`` the loss
    :math:`L_i` of that step's batch, computed before its update; ``smoothed[i]`` is the
    bias-corrected EMA :math:`\hat{s}_i = s_i / (1 - \beta^{i+1})` of ``losses``, with
    :math:`s_i = \beta s_{i-1} + (1 - \beta) L_i` and :math:`s_{-1} = 0`. When the sweep stopped
    early, ``stop_step``/``stop_lr`` are the step and rate that triggered the stop (the last
    recorded point) and ``stop_reason`` says why. The other fields are the sweep's settings.
    :func:`lr_find` and :class:`LRFinder` return one; the examples of its methods continue this
    one:

    >>> keras.utils.set_random_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    >>> y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    >>> loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> model.compile(optimizer="sgd", loss=loss)
    >>> result = lrbook.lr_find(model, x, y, batch_size=16, min_lr=1e-3, max_lr=100.0,
    ...                         num_steps=40)
    >>> result.lrs.shape == result.losses.shape == result.smoothed.shape
    True
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
        r"""A learning rate read from the curve by rule ``method``: ``"steepest"`` (the
        default), ``"valley"`` or ``"minimum"`` (:mod:`lrbook.suggest` has every rule).

        ``"steepest"`` finds the step :math:`t^*` where the lag-free loss (a local straight-line
        fit to the raw losses, :func:`lrbook.suggest.lag_free`) falls fastest, and returns the
        rate that covers in 10 steps what the sweep had covered by then:

        .. math::

            \eta_{\text{steepest}} = \frac{1}{10} \sum_{i < t^*} \eta_i .

        ``"minimum"`` is the rate at the lowest lag-free loss divided by 10, ``"valley"`` the
        middle of the descent. The suggestion always lies inside the swept range. Raises
        ``ValueError`` with a hint (how to change the range) when the curve cannot carry a
        suggestion: too few points (a divergence straight away), no descending part, or a sweep
        that starts inside the descent.

        >>> rate = result.suggestion()
        >>> bool(result.lrs[0] <= rate <= result.lrs[-1])
        True
        """
        return suggest.suggest(self.lrs, self.losses, method, spacing=self.mode)

    @functools.cached_property
    def _curve(self) -> suggest.Curve | ValueError:
        """The curve read by :class:`lrbook.suggest.Curve`, or why it cannot be read."""
        try:
            return suggest.Curve(self.lrs, self.losses, spacing=self.mode)
        except ValueError as error:
            return error

    @property
    def problem(self) -> str | None:
        """Why the curve's suggestions are doubtful, or ``None`` when they are not.

        A message when the curve carries no suggestion (the ``ValueError`` the rules raise), or
        when the loss is still falling where the sweep ended (``still_falling``): then the best
        rate may lie above ``max_lr``. The sweep warns with it, and :meth:`plot` writes it on
        the figure.

        >>> print(result.problem)
        None
        """
        if isinstance(self._curve, ValueError):
            return str(self._curve)
        return suggest.still_falling_message(self._curve) if self.still_falling else None

    @property
    def still_falling(self) -> bool:
        """``True`` when the lag-free loss is still falling where the sweep ended (see
        ``still_falling`` in :class:`lrbook.suggest.Curve`): ``lr_range`` then has no upper
        bound.

        >>> result.still_falling
        False
        """
        return isinstance(self._curve, suggest.Curve) and self._curve.still_falling

    def suggestions(self) -> dict[str, float]:
        """Every rule's suggestion, by name: :meth:`suggestion` of each method.

        >>> sorted(result.suggestions())
        ['minimum', 'steepest', 'valley']
        """
        return {method: self.suggestion(method) for method in suggest.METHODS}

    def lr_range(self) -> tuple[float, float]:
        r"""``(low, high)`` bounds for a cyclical schedule, by :func:`lrbook.suggest.lr_range`.

        Smith's recipe: :math:`\eta_{\max}` is the rate at the bottom of the lag-free curve,
        where the loss stops falling, and :math:`\eta_{\min} = \eta_{\max} / 4`. Raises
        ``ValueError`` when the curve has no upper bound to offer (it is still falling where the
        sweep ended: raise ``max_lr``) or no descent at all.

        >>> low, high = result.lr_range()
        >>> high / low
        4.0
        >>> schedule = lrbook.CyclicalLR(base_lr=low, max_lr=high, step_size=100)
        """
        return suggest.lr_range(self.lrs, self.losses, spacing=self.mode)

    def plot(
        self,
        ax: Axes | None = None,
        *,
        methods: str | tuple[str, ...] | None = suggest.METHODS,
        beta: float | None = None,
        phases: bool = False,
    ) -> Axes:
        """Raw and lag-free loss against the rate, the suggestions, the stop; with ``beta`` the
        EMA, with ``phases`` the three phases (:func:`lrbook.plotting.plot_range_test`).

        Draws on ``ax``, or on a new figure with a white background; matplotlib is imported
        here, not by ``import lrbook``. When the curve cannot carry a suggestion, or is still
        falling where the sweep ended, the reason is written on the axes.

        >>> ax = result.plot(phases=True)
        >>> ax.get_xscale()
        'log'
        """
        from lrbook.plotting import plot_range_test

        return plot_range_test(self, methods=methods, beta=beta, phases=phases, ax=ax)
