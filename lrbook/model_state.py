"""Saving and restoring what a training step changes in a model, so a tool can leave no trace.

The range test trains the user's own model (no clone: subclassed models often have no config,
and a clone would sweep a copy of the optimizer rebuilt from its config). :class:`ModelState`
copies the value of every variable a step can change before the first step and assigns the
copies back afterwards, so they are bit-identical; :class:`FitAttributes` does the same for the
attributes ``fit`` itself sets on the model. All in memory: no files.
"""

from __future__ import annotations

import keras
import numpy as np

from lrbook.distribute import local_copies, variable_scope


def rate_owner(optimizer):
    """The optimizer whose rate is used (the inner one of a ``LossScaleOptimizer``)."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def build_optimizer(model: keras.Model) -> None:
    """Create the optimizer's variables now, as its first update would, so they can be saved."""
    if not model.optimizer.built:
        with variable_scope(model):  # mirrored, like the weights, under tf.distribute
            model.optimizer.build(model.trainable_variables)


def _unique(variables) -> list:
    seen, unique = set(), []
    for variable in variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            unique.append(variable)
    return unique


def state_variables(model: keras.Model) -> list:
    """Every variable a training step can change: model, metrics, optimizer (and inner one)."""
    optimizer = model.optimizer
    return _unique(
        list(model.variables)
        + list(model.metrics_variables)
        + list(optimizer.variables)
        + list(rate_owner(optimizer).variables)
    )


class ModelState:
    """Copies of the values of every variable a training step can change, to assign back.

    Metrics that were built after the copy (their variables did not exist yet) are reset on
    :meth:`restore`, to the state they would have had before their first use.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.variables = state_variables(model)
        # every device's copy of a tf.distribute variable, each bit for bit
        self.copies = [copy for variable in self.variables for copy in local_copies(variable)]
        self.values = [np.array(copy.numpy(), copy=True) for copy in self.copies]

    def restore(self) -> None:
        for copy, value in zip(self.copies, self.values, strict=True):
            copy.assign(value)
        known = {id(variable) for variable in self.variables}
        for metric in self.model.metrics:
            if any(id(variable) not in known for variable in metric.variables):
                metric.reset_state()


class FitAttributes:
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
