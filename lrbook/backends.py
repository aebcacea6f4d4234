"""What differs between Keras' backends (TensorFlow, JAX, PyTorch), for the library's callbacks.

The finder and the snapshot ensemble add a little state to the compiled train step (a loss
buffer, the sweep's range, a copy of the weights) and read it from a callback. On TensorFlow and
PyTorch a variable is a mutable buffer: the step writes it and a callback reads it. JAX differs
in two ways, which this module handles:

* **The train step is a pure function of the state.** ``fit`` passes the step four lists of
  arrays (the trainable, non-trainable, optimizer and metric variables, in that order) and
  gets the new ones back; inside the step, writing a variable that is not in those lists is
  lost, and reading one bakes its current value into the compiled step as a constant. A
  variable of ours therefore joins one of the lists for as long as it is needed: the model's
  metric variables (:func:`attach_to_metrics`, through a :class:`StateCarrier` that is not a
  real metric: it logs nothing and ``reset_metrics`` leaves it alone), which ``compute_loss``
  can write, or the optimizer's variables (:func:`attach_to_optimizer`), which the learning
  rate can read. Both are detached afterwards, so the model and its optimizer hold the same
  variables as before.
* **During ``fit`` the variables are emptied.** JAX's ``fit`` keeps the state outside the model
  from the first step to the end of the epoch (``model._jax_state``); the variables meanwhile
  read as placeholders. :func:`current_values` reads the state where it is, and
  :func:`assign_during_fit` writes a variable so that the next step sees the new value (by
  handing the state back to the variables first, as Keras lets callbacks do).

:func:`stateless_step` runs a function that reads and assigns variables inside JAX's train step,
on the state the step was given, for a tool that wraps the step itself.

PyTorch has no compiled multi-step loop: Keras refuses ``steps_per_execution > 1`` there, and
:func:`check_multi_step` refuses it first, naming the tool and the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

from lrbook.checks import require

# The four lists of JAX's train state, in the order of the state tuple, and where each comes from.
_STATE_LISTS = (
    ("trainable_variables", lambda model: model.trainable_variables),
    ("non_trainable_variables", lambda model: model.non_trainable_variables),
    ("optimizer_variables", lambda model: model.optimizer.variables),
    ("metrics_variables", lambda model: model.metrics_variables),
)


def is_jax() -> bool:
    return keras.backend.backend() == "jax"


def check_multi_step(owner: str, model: keras.Model) -> None:
    """Refuse ``steps_per_execution > 1`` on PyTorch, where Keras cannot run it."""
    steps = int(getattr(model, "steps_per_execution", 1) or 1)
    require(
        owner,
        "model.steps_per_execution",
        steps,
        steps == 1 or keras.backend.backend() != "torch",
        "1 on the PyTorch backend (Keras runs one step per call there and refuses more)",
    )


class StateCarrier(keras.metrics.Metric):
    """Not a metric: it carries variables of ours through JAX's stateless train step.

    Attached to a model's metrics, its variables join the metric variables that ``fit`` passes
    to every step and takes back. It logs nothing (``result()`` is an empty dict) and
    ``reset_state`` does nothing, so the resets between epochs leave its variables alone.
    """

    def __init__(self, variables: Sequence, name: str = "lrbook_state"):
        super().__init__(name=name)
        self._variables.extend(variables)

    def update_state(self, *args, **kwargs) -> None:
        pass

    def result(self) -> dict:
        return {}

    def reset_state(self) -> None:
        pass


def attach_to_metrics(model: keras.Model, variables: Sequence) -> StateCarrier:
    """Add ``variables`` to ``model.metrics_variables`` (after all the others) until
    :func:`detach_from_metrics`."""
    carrier = StateCarrier(variables)
    model._metrics.append(carrier)
    return carrier


def detach_from_metrics(model: keras.Model, carrier: StateCarrier) -> None:
    model._metrics[:] = [metric for metric in model._metrics if metric is not carrier]


def attach_to_optimizer(optimizer, variables: Sequence) -> None:
    """Add ``variables`` to ``optimizer.variables`` (after all the others) until
    :func:`detach_from_optimizer`: they are then part of the state the optimizer's update sees,
    its learning rate included."""
    optimizer._variables.extend(variables)


def detach_from_optimizer(optimizer, variables: Sequence) -> None:
    ours = {id(variable) for variable in variables}
    optimizer._variables[:] = [v for v in optimizer._variables if id(v) not in ours]


def _held_state(model: keras.Model) -> dict | None:
    """JAX's train state while ``fit`` holds it outside the variables, else ``None``."""
    if not is_jax() or getattr(model, "_jax_state_synced", True):
        return None
    return getattr(model, "_jax_state", None)


def current_values(model: keras.Model, variables: Sequence) -> list[np.ndarray]:
    """The values of ``variables`` (of ``model``, its optimizer or its metrics) now, as NumPy
    copies: during a JAX ``fit``, from the state ``fit`` holds."""
    state = _held_state(model)
    found = {}
    if state is not None:
        for key, references in _STATE_LISTS:
            if state.get(key):
                pairs = zip(references(model), state[key], strict=True)
                found.update({id(ref): value for ref, value in pairs})
    return [
        np.array(keras.ops.convert_to_numpy(found[id(v)] if id(v) in found else v), copy=True)
        for v in variables
    ]


def assign_during_fit(model: keras.Model, variable, value) -> None:
    """``variable.assign(value)``, seen by the next train step also during a JAX ``fit`` (whose
    state is handed back to the variables first, and taken up again at the next step)."""
    if _held_state(model) is not None:
        model.jax_state_sync()
    variable.assign(value)


def stateless_step(model: keras.Model, state: tuple, function: Callable[[], None]) -> tuple:
    """Run ``function`` (which reads and assigns the model's variables) inside JAX's train step
    on ``state``, the step's four lists of values; return the new state."""
    lists = [references(model) for _, references in _STATE_LISTS]
    pairs = zip(lists, state, strict=True)
    mapping = [pair for refs, values in pairs for pair in zip(refs, values, strict=True)]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        function()
    return tuple(
        [_current(scope, ref, value) for ref, value in zip(refs, values, strict=True)]
        for refs, values in zip(lists, state, strict=True)
    )


def _current(scope, reference, value):
    new = scope.get_current_value(reference)
    return value if new is None else new
