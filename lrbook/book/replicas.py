"""Train one network from several seeds at once, as a single Keras model.

One training run is an anecdote: another seed, another CPU or oneDNN switched on can move its
accuracy by a few points. The chapters therefore train every set-up from several seeds. Doing
that with one ``fit`` per seed pays Keras' fixed costs (building, tracing, the Python loop over
batches) once per seed; :func:`fit_replicas` pays them once.

It builds a model whose ``K`` outputs are ``K`` independent copies of the network, each
initialised from its own seed, all reading the same mini-batch, and trains it on the sum of
their losses,

```python
loss = loss_1 + loss_2 + ... + loss_K
```

The weights of copy ``k`` appear in ``loss_k`` only, so the gradient of the sum with respect
to them is the gradient of ``loss_k``: each copy gets exactly the update it would get on its own
from any optimizer that updates each weight from its own gradient (SGD with or without
momentum, Adam, RMSprop; not ``global_clipnorm``, which couples them). Copy ``k`` therefore
trains as ``make_model(seeds[k])`` would alone, on the same batches in the same order.

With SGD the copies can even train at different rates in the same run. Weighting the losses,

```python
loss = c_1 * loss_1 + c_2 * loss_2 + ... + c_K * loss_K
```

multiplies copy ``k``'s gradient by ``c_k``, and SGD's step, ``v <- mu * v - lr * g`` then
``w <- w + v``, is linear in the gradient: copy ``k`` moves exactly as it would at the rate
``c_k * lr`` (up to float rounding). Adaptive optimizers such as Adam divide the scale out
again, so they cannot do this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from lrbook.checks import check_int, check_real, require


@dataclass
class Replicas:
    """The result of :func:`fit_replicas`: the copies, and what each one logged.

    Attributes:
        seeds: the seed of each copy.
        rate_factors: each copy's learning rate as a multiple of the optimizer's (all 1 unless
            given to :func:`fit_replicas`).
        models: the trained copies (they share their weights with ``stacked``).
        histories: one ``History.history``-like dict per copy, with the usual keys
            (``"loss"``, ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``, ...).
        stacked: the one model that holds every copy, compiled and trained.
    """

    seeds: list[int]
    rate_factors: list[float]
    models: list[keras.Model]
    histories: list[dict[str, list[float]]]
    stacked: keras.Model

    def evaluate(self, x, y, batch_size: int = 1000) -> list[dict[str, float]]:
        """Loss and metrics of every copy on ``(x, y)``, in one pass: one dict per copy."""
        logs = self.stacked.evaluate(
            x, [y] * len(self.models), batch_size=batch_size, verbose=0, return_dict=True
        )
        return [_own_logs(logs, index, len(self.models)) for index in range(len(self.models))]

    def predict(self, x, batch_size: int = 1000) -> list[np.ndarray]:
        """The predictions of every copy on ``x``, one array per copy."""
        predictions = self.stacked.predict(x, batch_size=batch_size, verbose=0)
        # Keras returns a model of one output's predictions as one array, not a list of one.
        return [predictions] if len(self.models) == 1 else list(predictions)


def fit_replicas(
    make_model: Callable[[int], keras.Model],
    seeds: Sequence[int],
    optimizer: keras.optimizers.Optimizer,
    x,
    y,
    *,
    rate_factors: Sequence[float] | None = None,
    loss: str | keras.losses.Loss = "sparse_categorical_crossentropy",
    metrics: Sequence[str] = ("accuracy",),
    validation_data: tuple | None = None,
    steps_per_execution: int = 1,
    **fit_kwargs,
) -> Replicas:
    """Train ``make_model(seed)`` for every seed in ``seeds``, side by side, in one ``fit``.

    ``optimizer`` is a fresh optimizer (with a number or a schedule as its rate); each copy gets
    its own slots in it (momentum, moments), and they all share its step counter, which is
    what a schedule reads. ``rate_factors`` (SGD only, one per seed) lets copy ``k`` train at
    ``rate_factors[k]`` times the optimizer's rate, by weighting its loss (see the module's
    docstring); a seed may then appear more than once, once per rate.
    ``x``, ``y`` and ``validation_data`` are NumPy arrays, as for
    ``fit``; the other keyword arguments go to ``fit`` (``batch_size``, ``epochs``,
    ``callbacks``, ``verbose``, ...). Callbacks see the summed loss as ``logs["loss"]`` and
    each copy's own as ``logs["replica_<k>_loss"]``.

    Example, three seeds of the book's CNN::

        replicas = fit_replicas(book.models.make_cnn, [0, 1, 2],
                                keras.optimizers.SGD(0.05, momentum=0.9),
                                x_train, y_train, batch_size=32, epochs=4,
                                validation_data=(x_test, y_test), verbose=0)
        [h["val_accuracy"][-1] for h in replicas.histories]

    and three rates, each from the same three seeds, in one run::

        rates = [0.01, 0.1, 1.0]
        replicas = fit_replicas(book.models.make_cnn, [0, 1, 2] * 3,
                                keras.optimizers.SGD(1.0, momentum=0.9),
                                x_train, y_train, rate_factors=np.repeat(rates, 3),
                                batch_size=32, epochs=4, verbose=0)
    """
    seeds = [check_int("fit_replicas", "seeds", seed, minimum=0) for seed in seeds]
    require("fit_replicas", "seeds", seeds, len(seeds) >= 1, "a sequence of at least one seed")
    factors = _rate_factors(rate_factors, len(seeds), optimizer)
    models = [make_model(seed) for seed in seeds]
    for index, model in enumerate(models):
        model.name = _name(index)  # each copy's logs are named after it
    inputs = keras.Input(shape=models[0].inputs[0].shape[1:])
    stacked = keras.Model(inputs, [model(inputs) for model in models], name="replicas")
    stacked.compile(
        optimizer=optimizer,
        loss=[loss] * len(models),
        loss_weights=None if rate_factors is None else factors,
        metrics=[list(metrics)] * len(models),
        steps_per_execution=steps_per_execution,
    )
    if validation_data is not None:
        x_val, y_val = validation_data
        validation_data = (x_val, [y_val] * len(models))
    history = stacked.fit(x, [y] * len(models), validation_data=validation_data, **fit_kwargs)
    histories = [_own_logs(history.history, index, len(models)) for index in range(len(models))]
    return Replicas(seeds, factors, models, histories, stacked)


def _rate_factors(rate_factors, count: int, optimizer) -> list[float]:
    """The checked ``rate_factors``: one positive number per copy, with plain SGD only."""
    if rate_factors is None:
        return [1.0] * count
    factors = [check_real("fit_replicas", "rate_factors", factor, gt=0) for factor in rate_factors]
    require(
        "fit_replicas",
        "rate_factors",
        rate_factors,
        len(factors) == count,
        f"one factor per seed ({count})",
    )
    couplings = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
    plain_sgd = type(optimizer) is keras.optimizers.SGD and not any(
        getattr(optimizer, name, None) for name in couplings
    )
    require(
        "fit_replicas",
        "optimizer",
        optimizer,
        plain_sgd,
        "keras.optimizers.SGD without weight decay or clipping when rate_factors is given "
        "(only there is a weighted loss the same as a scaled rate)",
    )
    return factors


def _name(index: int) -> str:
    return f"replica_{index}"


def _own_logs(logs: dict, index: int, count: int) -> dict:
    """The entries of copy ``index`` of ``count`` in multi-output logs, under single-model names.
    (Keras names the logs of a model with one output without a prefix: they are all its own.)"""
    if count == 1:
        return dict(logs)
    own = {}
    for prefix in ("", "val_"):
        start = f"{prefix}{_name(index)}_"
        for key, value in logs.items():
            if key.startswith(start):
                own[prefix + key.removeprefix(start)] = value
    return own
