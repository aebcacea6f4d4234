"""Slices of a network's loss landscape, along filter-normalised random directions.

A network's loss is a function of all its weights at once, a surface over a space of thousands
or millions of dimensions. Li et al. (2018) look at it through a line or a plane through the
trained weights ``w*``::

    L(alpha)        = loss(w* + alpha * d)                  (a 1-D slice)
    L(alpha, beta)  = loss(w* + alpha * d1 + beta * d2)     (a 2-D slice)

with random directions ``d``, ``d1``, ``d2`` drawn from a Gaussian and then *filter-normalised*:
each filter of ``d`` (one output unit of a dense layer, one output channel of a convolution)
is rescaled to the norm of the same filter in ``w*``,

    d_{i,j} <- d_{i,j} / ||d_{i,j}|| * ||w*_{i,j}||       (layer i, filter j),

and the biases' directions are 0. A step of ``alpha = 1`` then moves every filter by as much as
its own size, so slices of different networks, whose weights have different scales, can be
compared on the same axes.

:func:`loss_at` evaluates the loss at many points of such a slice in one vectorised call (no
Python loop over points); :func:`line_slice` and :func:`plane_slice` lay the points on a grid.
:func:`gaussian_direction` is the same draw without the rescaling, and
:func:`nonconvex_share` measures how much of a plane slice is not convex.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import keras
import numpy as np

from lrbook.checks import check_int, require

Direction = list[np.ndarray]  # one array per trainable variable of the model, same shapes


def filter_normalized_direction(model: keras.Model, seed: int) -> Direction:
    """A random direction in ``model``'s weight space, filter-normalised (Li et al. 2018).

    For every trainable kernel (2 axes or more; its last axis counts the filters), a standard
    Gaussian draw whose every filter has the norm of the same filter of the model's weights.
    Variables with fewer than 2 axes (biases, normalisation scales) get a direction of 0.
    The same ``seed`` and model give the same direction: :func:`gaussian_direction`'s draw,
    rescaled filter by filter.
    """
    seed = check_int("filter_normalized_direction", "seed", seed, minimum=0)
    direction = []
    for variable, draw in zip(model.trainable_variables, _draws(model, seed), strict=True):
        if draw.ndim < 2:
            direction.append(draw.astype("float32"))
            continue
        weights = np.asarray(keras.ops.convert_to_numpy(variable.value), dtype="float64")
        axes = tuple(range(weights.ndim - 1))  # every axis but the filters'
        scale = np.linalg.norm(weights, axis=axes) / np.linalg.norm(draw, axis=axes)
        direction.append((draw * scale).astype("float32"))
    return direction


def gaussian_direction(model: keras.Model, seed: int) -> Direction:
    """The raw random direction behind :func:`filter_normalized_direction`: a standard Gaussian
    entry for every weight of every trainable kernel, and 0 for the biases, not rescaled.

    Its size ignores the weights': a step ``alpha`` moves a filter with weights of norm 0.01
    as far as one of norm 10, which is why slices along it depend on how the weights happen to
    be scaled (see the chapter "The loss landscape").
    """
    seed = check_int("gaussian_direction", "seed", seed, minimum=0)
    return [draw.astype("float32") for draw in _draws(model, seed)]


def _draws(model: keras.Model, seed: int) -> list[np.ndarray]:
    """One standard Gaussian draw per trainable kernel (zeros for variables of < 2 axes)."""
    rng = np.random.default_rng(seed)
    draws = []
    for variable in model.trainable_variables:
        shape = tuple(variable.shape)
        draws.append(rng.standard_normal(shape) if len(shape) >= 2 else np.zeros(shape))
    return draws


def nonconvex_share(losses, tolerance: float = 1e-5) -> float:
    """The share of a plane slice's interior grid points where the slice is not convex.

    ``losses`` is a :func:`plane_slice` (rows ``beta``, columns ``alpha``, equal spacing along
    each axis). At every interior point the slice's 2x2 Hessian is estimated by central finite
    differences; the point counts as non-convex when that Hessian has a negative eigenvalue
    (the surface bends down along some line through the point). The grid spacings only scale
    the Hessian's rows and columns, which leaves the signs of its eigenvalues alone, so they
    are not needed. An eigenvalue counts as negative below ``-tolerance`` times the loss at
    the point, so that rounding on a flat or straight stretch does not count. 0 for a bowl
    or a plane, 1 for a saddle or a dome.
    """
    f = np.asarray(losses, dtype="float64")
    require(
        "nonconvex_share",
        "losses",
        f.shape,
        f.ndim == 2 and min(f.shape) >= 3,
        "a 2-D grid of at least 3 x 3 losses",
        got=f"shape {f.shape}",
    )
    f_aa = f[1:-1, 2:] - 2 * f[1:-1, 1:-1] + f[1:-1, :-2]
    f_bb = f[2:, 1:-1] - 2 * f[1:-1, 1:-1] + f[:-2, 1:-1]
    f_ab = (f[2:, 2:] - f[2:, :-2] - f[:-2, 2:] + f[:-2, :-2]) / 4
    smallest = (f_aa + f_bb) / 2 - np.sqrt(((f_aa - f_bb) / 2) ** 2 + f_ab**2)
    return float(np.mean(smallest < -tolerance * np.abs(f[1:-1, 1:-1])))


def loss_at(
    model: keras.Model,
    x,
    y,
    directions: Sequence[Direction],
    coordinates,
    loss: str | keras.losses.Loss | None = None,
    chunk_size: int = 64,
) -> np.ndarray:
    """The loss on ``(x, y)`` at the points ``w* + sum_k coordinates[:, k] * directions[k]``.

    ``w*`` are the model's current weights (left unchanged); ``coordinates`` has shape
    ``(num_points, len(directions))``. The points are evaluated ``chunk_size`` at a time, each
    chunk in one vectorised forward pass of the whole ``(x, y)``. ``loss`` defaults to the
    loss the model was compiled with. Returns a float64 array of shape ``(num_points,)``.
    """
    directions = [list(direction) for direction in directions]
    coordinates = np.asarray(coordinates, dtype="float32")
    require(
        "loss_at",
        "coordinates",
        coordinates.shape,
        coordinates.ndim == 2 and coordinates.shape[1] == len(directions) >= 1,
        f"an array of shape (num_points, {len(directions)}), one column per direction",
        got=f"shape {coordinates.shape}",
    )
    chunk_size = check_int("loss_at", "chunk_size", chunk_size, minimum=1)
    _check_directions(model, directions)
    evaluate = _evaluator(model, _loss_function(model, loss))
    ops = keras.ops
    weights = [variable.value for variable in model.trainable_variables]
    frozen = [variable.value for variable in model.non_trainable_variables]
    steps = [[ops.convert_to_tensor(part) for part in direction] for direction in directions]
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    count = len(coordinates)
    padded = np.zeros((-(-count // chunk_size) * chunk_size, len(directions)), "float32")
    padded[:count] = coordinates  # whole chunks only: one shape, traced once
    losses = []
    for start in range(0, len(padded), chunk_size):
        chunk = ops.convert_to_tensor(padded[start : start + chunk_size])
        losses.append(ops.convert_to_numpy(evaluate(chunk, steps, weights, frozen, x, y)))
    return np.concatenate(losses)[:count].astype("float64")


def line_slice(model, x, y, direction: Direction, alphas, **options) -> np.ndarray:
    """``L(alpha) = loss(w* + alpha * d)`` for every ``alpha`` in ``alphas``."""
    alphas = np.asarray(alphas, dtype="float32").reshape(-1, 1)
    return loss_at(model, x, y, [direction], alphas, **options)


def plane_slice(
    model, x, y, directions: tuple[Direction, Direction], alphas, betas, **options
) -> np.ndarray:
    """``L(alpha, beta) = loss(w* + alpha * d1 + beta * d2)`` on the grid ``alphas x betas``.

    Returns an array of shape ``(len(betas), len(alphas))``: row ``i`` is ``beta = betas[i]``,
    ready for ``plt.contour(alphas, betas, losses)``.
    """
    require("plane_slice", "directions", directions, len(directions) == 2, "two directions")
    grid_a, grid_b = np.meshgrid(np.asarray(alphas), np.asarray(betas))
    points = np.stack([grid_a.ravel(), grid_b.ravel()], axis=1)
    return loss_at(model, x, y, directions, points, **options).reshape(grid_a.shape)


def _check_directions(model: keras.Model, directions: list[Direction]) -> None:
    shapes = [tuple(variable.shape) for variable in model.trainable_variables]
    for direction in directions:
        require(
            "loss_at",
            "directions",
            [np.shape(part) for part in direction],
            [tuple(np.shape(part)) for part in direction] == shapes,
            "one array per trainable variable of the model, with its shape "
            "(as filter_normalized_direction gives)",
        )


def _loss_function(model: keras.Model, loss) -> keras.losses.Loss:
    loss = loss if loss is not None else getattr(model, "loss", None)
    require(
        "loss_at",
        "loss",
        loss,
        loss is not None,
        "a Keras loss, or a model compiled with one",
    )
    return keras.losses.get(loss) if isinstance(loss, str) else loss


def _evaluator(model: keras.Model, loss_function):
    """A function ``(chunk, steps, weights, frozen, x, y) -> losses`` for ``model``, vectorised
    over the ``n`` points of ``chunk`` (shape ``(n, k)``). Everything but the model's structure
    is an argument, so the function is built (and, on TensorFlow, traced) once per model, loss
    and input shape, and reused for new weights, directions and points."""
    cache = _EVALUATORS.setdefault(model, {})
    if loss_function not in cache:
        cache[loss_function] = _build_evaluator(weakref.ref(model), loss_function)
    return cache[loss_function]


_EVALUATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _build_evaluator(model_ref, loss_function):
    ops = keras.ops

    def evaluate(chunk, steps, weights, frozen, x, y):
        def loss_at_point(point):
            moved = [
                weight + sum(point[k] * steps[k][index] for k in range(len(steps)))
                for index, weight in enumerate(weights)
            ]
            outputs, _ = model_ref().stateless_call(moved, frozen, x, training=False)
            return ops.mean(loss_function(y, outputs))  # a string's loss is per sample

        return ops.vectorized_map(loss_at_point, chunk)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(evaluate, reduce_retracing=True)
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()(evaluate)
    return evaluate
