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
"""

from __future__ import annotations

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
    The same ``seed`` and model give the same direction.
    """
    seed = check_int("filter_normalized_direction", "seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    direction = []
    for variable in model.trainable_variables:
        weights = np.asarray(keras.ops.convert_to_numpy(variable.value), dtype="float64")
        if weights.ndim < 2:
            direction.append(np.zeros(weights.shape, dtype="float32"))
            continue
        draw = rng.standard_normal(weights.shape)
        axes = tuple(range(weights.ndim - 1))  # every axis but the filters'
        scale = np.linalg.norm(weights, axis=axes) / np.linalg.norm(draw, axis=axes)
        direction.append((draw * scale).astype("float32"))
    return direction


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
    evaluate = _chunk_evaluator(model, x, y, directions, _loss_function(model, loss))
    losses = [
        evaluate(coordinates[start : start + chunk_size])
        for start in range(0, len(coordinates), chunk_size)
    ]
    return np.concatenate(losses).astype("float64")


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


def _chunk_evaluator(model, x, y, directions, loss_function):
    """A function from a chunk of coordinates ``(n, k)`` to the ``n`` losses, vectorised."""
    ops = keras.ops
    weights = [variable.value for variable in model.trainable_variables]
    frozen = [variable.value for variable in model.non_trainable_variables]
    steps = [[ops.convert_to_tensor(part) for part in direction] for direction in directions]
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)

    def loss_at_point(point):
        moved = [
            weight + sum(point[k] * steps[k][index] for k in range(len(steps)))
            for index, weight in enumerate(weights)
        ]
        outputs, _ = model.stateless_call(moved, frozen, x, training=False)
        return ops.mean(loss_function(y, outputs))  # a string's loss is per sample

    def evaluate(chunk):
        return ops.vectorized_map(loss_at_point, ops.convert_to_tensor(chunk))

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        evaluate = tf.function(evaluate, reduce_retracing=True)
    if keras.backend.backend() == "torch":
        import torch

        evaluate = torch.no_grad()(evaluate)
    return lambda chunk: np.asarray(ops.convert_to_numpy(evaluate(chunk)))
