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


def make_deep_mlp(
    seed: int = 0,
    depth: int = 16,
    width: int = 32,
    residual: bool = False,
    input_shape: tuple[int, ...] = MNIST1D_SHAPE,
    num_classes: int = 10,
) -> keras.Model:
    """A deep, narrow MLP, with or without skip connections.

    The input is flattened and projected to ``width`` units (a dense layer); then come
    ``depth`` hidden dense layers of ``width`` units, a ReLU and a dense softmax layer. Without
    skip connections each hidden layer replaces its input, ``h <- dense(relu(h))``; with
    ``residual=True`` it adds to it, ``h <- h + dense(relu(h))``, as in a (pre-activation)
    ResNet's blocks. Both networks have the same ``depth + 2`` dense layers and the same number
    of weights; only the additions differ.

    The hidden layers start from He-normal weights (variance ``2 / width``), which keep the
    size of the signal from layer to layer in the plain network. In the residual network every
    layer's output is added to a signal that is already there, so there they start ``depth``
    times smaller in variance: each layer then adds about ``1 / depth`` of the signal's
    variance, and the signal reaching the classifier is about ``e`` times larger than the one
    entering the first hidden layer, whatever the depth. The classifier starts at zero, so both
    networks start by giving every class the same probability (a loss of ``ln(num_classes)``).
    The same ``seed`` gives both networks the same random draws.
    """
    inputs = keras.Input(shape=input_shape)
    hidden = keras.layers.Flatten()(inputs)
    hidden = keras.layers.Dense(width, kernel_initializer=_he_normal(seed, 0, 1.0))(hidden)
    scale = 2.0 / depth if residual else 2.0
    for layer in range(1, depth + 1):
        update = keras.layers.Dense(width, kernel_initializer=_he_normal(seed, layer, scale))(
            keras.layers.ReLU()(hidden)
        )
        hidden = keras.layers.Add()([hidden, update]) if residual else update
    outputs = keras.layers.Dense(
        num_classes,
        activation="softmax",
        kernel_initializer="zeros",
    )(keras.layers.ReLU()(hidden))
    return keras.Model(inputs, outputs, name="residual_mlp" if residual else "plain_mlp")


def _he_normal(seed: int, offset: int, scale: float) -> keras.initializers.Initializer:
    """A seeded truncated normal with variance ``scale / fan_in`` (He-normal for scale 2)."""
    return keras.initializers.VarianceScaling(
        scale, mode="fan_in", distribution="truncated_normal", seed=seed * 1000 + offset
    )
