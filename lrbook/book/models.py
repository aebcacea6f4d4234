"""The small networks the chapters train.

Each builder takes a ``seed`` and gives every layer its own seeded initializer, so the same seed
gives the same starting weights whatever else the program has drawn from the global generator.
The networks end in a softmax: they output class probabilities, to be trained with
``"sparse_categorical_crossentropy"``.
"""

from __future__ import annotations

import itertools

import keras

MNIST1D_SHAPE = (40, 1)


def _initializers(seed: int):
    """An endless supply of distinct, seeded Glorot-uniform initializers."""
    for offset in itertools.count():
        yield keras.initializers.GlorotUniform(seed=seed * 1000 + offset)


def make_cnn(
    seed: int = 0,
    input_shape: tuple[int, ...] = MNIST1D_SHAPE,
    num_classes: int = 10,
    filters: int = 32,
) -> keras.Model:
    """A 1-D CNN for MNIST-1D: three ``Conv1D`` layers (the last two with stride 2), then a
    dense softmax layer. About 10,000 parameters; above 90% test accuracy after a few seconds of
    training on a laptop CPU at a good learning rate."""
    init = _initializers(seed)
    layers = [keras.Input(shape=input_shape)]
    for kernel_size, strides in [(5, 1), (3, 2), (3, 2)]:
        layers.append(
            keras.layers.Conv1D(
                filters,
                kernel_size,
                strides=strides,
                padding="same",
                activation="relu",
                kernel_initializer=next(init),
            )
        )
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=next(init)),
    ]
    return keras.Sequential(layers, name="cnn")


def make_mlp(
    seed: int = 0,
    input_shape: tuple[int, ...] = MNIST1D_SHAPE,
    num_classes: int = 10,
    hidden: tuple[int, ...] = (100, 100),
) -> keras.Model:
    """A multilayer perceptron: flatten, ``len(hidden)`` ReLU layers, then a dense softmax."""
    init = _initializers(seed)
    layers = [keras.Input(shape=input_shape), keras.layers.Flatten()]
    for units in hidden:
        layers.append(keras.layers.Dense(units, activation="relu", kernel_initializer=next(init)))
    layers.append(
        keras.layers.Dense(num_classes, activation="softmax", kernel_initializer=next(init))
    )
    return keras.Sequential(layers, name="mlp")
