"""How sharp is a trained network's minimum: the loss it gains under small random perturbations.

Keskar et al. (2017) call a minimum *sharp* when the loss rises quickly around it. One simple
measure, used here, averages the rise over ``K`` random directions, each taken both ways::

    sharpness(w*) = 1/K * sum_k [ (L(w* + r * d_k) + L(w* - r * d_k)) / 2 - L(w*) ]

with ``L`` the loss on a data set, ``r`` the radius of the perturbation and ``d_k`` random
directions. Taking ``+d_k`` and ``-d_k`` cancels the first-order term ``r * grad L . d_k``
exactly, which matters after a short training, where the gradient is not yet zero: what is
left is about ``r**2 / 2`` times the mean curvature along the directions.

Which directions matters:

* :func:`sharpness` (the default) uses *filter-normalised* directions (Li et al. 2018, see
  :mod:`lrbook.book.landscape`): every filter of ``d_k`` has the norm of the same filter of
  ``w*``, so ``r = 0.05`` moves every filter by 5% of its own size, whatever the scale of the
  weights.
* ``normalise=False`` uses *raw* directions (:func:`~lrbook.book.landscape.gaussian_direction`):
  every weight (biases excepted) drawn from a standard Gaussian, the same draw whatever the
  weights are, so ``r`` is an absolute size.

Dinh et al. (2017) showed why the difference matters: in a ReLU network, multiplying one
layer's weights and biases by ``alpha`` and dividing the next layer's weights by ``alpha``
(:func:`rescale_layers`) computes exactly the same function, yet a raw-direction measure
of sharpness can be made as large as one likes by choosing ``alpha``. A filter-normalised
direction is rescaled with the filters, ``alpha * d`` and ``d / alpha``, so the perturbed
networks compute the same functions too, and the measure does not move.

The losses at the perturbed points are computed by :func:`lrbook.book.landscape.loss_at`, all
the points of a model in one vectorised pass.
"""

from __future__ import annotations

import keras
import numpy as np

from lrbook.book.landscape import filter_normalized_direction, gaussian_direction, loss_at
from lrbook.checks import check_int, check_real, require


def perturbed_losses(
    models,
    x,
    y,
    radius: float,
    num_directions: int = 10,
    seed: int = 0,
    normalise: bool = True,
    loss="sparse_categorical_crossentropy",
) -> tuple[np.ndarray, np.ndarray]:
    """The loss of every model at ``w*`` and at ``w* +- radius * d_k``, ``k = 1 .. K``.

    ``models`` is a list of Keras models of one architecture, ``loss`` a Keras loss (by
    default the cross-entropy of the book's softmax classifiers); ``K = num_directions``.
    Each model's directions are drawn from the seeds ``seed, seed + 1, ...``,
    filter-normalised to its own weights (``normalise=True``) or raw. Returns the losses at
    ``w*``, shape ``(M,)``, and the perturbed losses, shape ``(M, K, 2)``: ``[m, k, 0]`` at
    ``w* + radius * d_k`` and ``[m, k, 1]`` at ``w* - radius * d_k``.

    Each model's ``2K + 1`` points are one call of :func:`~lrbook.book.landscape.loss_at`, on
    one copy of the architecture into which every model's weights are loaded in turn, so the
    vectorised evaluation is traced once for all the models.
    """
    models = list(models)
    require("perturbed_losses", "models", models, len(models) >= 1, "at least one model")
    radius = check_real("perturbed_losses", "radius", radius, gt=0)
    count = check_int("perturbed_losses", "num_directions", num_directions, minimum=1)
    seed = check_int("perturbed_losses", "seed", seed, minimum=0)
    probe = _probe(models)
    draw = filter_normalized_direction if normalise else gaussian_direction
    points = radius * np.vstack([np.zeros((1, count)), np.eye(count), -np.eye(count)])
    at_minimum, perturbed = [], []
    for model in models:
        probe.set_weights(model.get_weights())
        directions = [draw(probe, seed + k) for k in range(count)]
        losses = loss_at(probe, x, y, directions, points, loss=loss, chunk_size=len(points))
        at_minimum.append(losses[0])
        perturbed.append(np.stack([losses[1 : count + 1], losses[count + 1 :]], axis=1))
    return np.array(at_minimum), np.array(perturbed)


def sharpness(
    models,
    x,
    y,
    radius: float = 0.05,
    num_directions: int = 10,
    seed: int = 0,
    normalise: bool = True,
    loss="sparse_categorical_crossentropy",
):
    """``1/K * sum_k [(L(w* + r d_k) + L(w* - r d_k)) / 2 - L(w*)]``: the mean rise of the loss
    on ``(x, y)`` over ``K = num_directions`` random directions ``d_k``, each taken both ways,
    at radius ``r = radius``.

    ``models`` is one model (the result is a float) or a list of models of one architecture
    (the result is an array, one sharpness per model); ``loss`` as in
    :func:`perturbed_losses`. The directions are filter-normalised by default;
    ``normalise=False`` draws raw ones (see the module's docstring). The same ``seed`` gives
    the same draws for every model.
    """
    single = isinstance(models, keras.Model)
    at_minimum, perturbed = perturbed_losses(
        [models] if single else models, x, y, radius, num_directions, seed, normalise, loss
    )
    rises = perturbed.mean(axis=(1, 2)) - at_minimum
    return float(rises[0]) if single else rises


def rescale_layers(model: keras.Model, first: int, second: int, alpha: float) -> keras.Model:
    """A copy of ``model`` whose layer ``first`` has its kernel and bias multiplied by
    ``alpha`` and whose layer ``second`` has its kernel divided by ``alpha`` (Dinh et al. 2017).

    When layer ``first`` ends in a ReLU and feeds layer ``second`` through layers that are
    linear and positively homogeneous (a flatten, another ReLU layer's input), the copy
    computes the same function as ``model``, since ``relu(alpha * z) = alpha * relu(z)``
    for ``alpha > 0``.
    """
    alpha = check_real("rescale_layers", "alpha", alpha, gt=0)
    count = len(model.layers)
    first = check_int("rescale_layers", "first", first, minimum=0)
    second = check_int("rescale_layers", "second", second, minimum=0)
    require(
        "rescale_layers",
        "second",
        second,
        first < second < count,
        f"a layer index above first={first} and below {count}",
    )
    for name, index, weights in (("first", first, 2), ("second", second, 1)):
        layer = model.layers[index]
        require(
            "rescale_layers",
            name,
            index,
            len(layer.get_weights()) >= weights,
            "the index of a layer with a kernel" + (" and a bias" if weights == 2 else ""),
            got=f"{name}={index}, layer {layer.name!r} with {len(layer.get_weights())} weights",
        )
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    kernel, bias = copy.layers[first].get_weights()
    copy.layers[first].set_weights([kernel * alpha, bias * alpha])
    kernel, *rest = copy.layers[second].get_weights()
    copy.layers[second].set_weights([kernel / alpha, *rest])
    return copy


def _probe(models: list[keras.Model]) -> keras.Model:
    """A copy of the first model's architecture, after checking that all the models share it."""
    shapes = [tuple(np.shape(w)) for w in models[0].get_weights()]
    for model in models[1:]:
        require(
            "perturbed_losses",
            "models",
            model.name,
            [tuple(np.shape(w)) for w in model.get_weights()] == shapes,
            "models of one architecture",
            got=f"a model {model.name!r} whose weights have other shapes",
        )
    return keras.models.clone_model(models[0])
