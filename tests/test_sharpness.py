"""Tests of lrbook.book.sharpness: the mean rise of the loss under random perturbations."""

import keras
import numpy as np
import pytest

from lrbook.book.landscape import filter_normalized_direction, gaussian_direction, loss_at
from lrbook.book.sharpness import perturbed_losses, rescale_layers, sharpness


def linear_model(seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer=init)])


def relu_net(seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6, activation="relu", kernel_initializer=init),
            keras.layers.Dense(5, activation="relu", kernel_initializer=init),
            keras.layers.Dense(3, activation="softmax", kernel_initializer=init),
        ]
    )


def data(n=64, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32"), rng.integers(0, classes, size=n)


def test_on_a_quadratic_loss_sharpness_is_half_the_curvature_along_the_directions():
    """With the mean squared error of a linear model, L is quadratic in the kernel w, with
    Hessian H = 2 X^T X / n, and (L(w + r d) + L(w - r d)) / 2 - L(w) = r**2 / 2 * d^T H d."""
    model = linear_model()
    x, _ = data(n=50, features=3)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype("float32")  # shape (50, 1)
    hessian = 2 * x.T.astype("float64") @ x / len(x)
    radius = 0.1
    curvatures = []
    for k in range(4):
        d = filter_normalized_direction(model, k)[0].astype("float64")
        curvatures.append(radius**2 / 2 * (d.T @ hessian @ d).item())
    measured = sharpness(model, x, y, radius=radius, num_directions=4, loss="mse")
    assert measured == pytest.approx(np.mean(curvatures), rel=1e-4)


def test_perturbed_losses_are_the_losses_that_loss_at_gives():
    model = relu_net()
    x, y = data()
    model.compile(loss="sparse_categorical_crossentropy")
    at_minimum, perturbed = perturbed_losses([model], x, y, radius=0.2, num_directions=3, seed=5)
    assert at_minimum.shape == (1,) and perturbed.shape == (1, 3, 2)
    directions = [filter_normalized_direction(model, 5 + k) for k in range(3)]
    points = 0.2 * np.vstack([np.zeros((1, 3)), np.eye(3), -np.eye(3)])
    expected = loss_at(model, x, y, directions, points)
    np.testing.assert_allclose(at_minimum, expected[:1], rtol=1e-5)
    np.testing.assert_allclose(perturbed[0, :, 0], expected[1:4], rtol=1e-5)
    np.testing.assert_allclose(perturbed[0, :, 1], expected[4:], rtol=1e-5)


def test_sharpness_of_a_list_is_the_sharpness_of_each_model():
    models = [relu_net(seed) for seed in (0, 1)]
    x, y = data()
    together = sharpness(models, x, y, radius=0.1, num_directions=2)
    assert together.shape == (2,)
    for model, value in zip(models, together, strict=True):
        assert sharpness(model, x, y, radius=0.1, num_directions=2) == pytest.approx(value)


def test_raw_directions_ignore_the_weights_and_spare_the_biases():
    a, b = relu_net(0), relu_net(1)
    for part_a, part_b, variable in zip(
        gaussian_direction(a, 3), gaussian_direction(b, 3), a.trainable_variables, strict=True
    ):
        np.testing.assert_array_equal(part_a, part_b)
        assert part_a.shape == tuple(variable.shape)
        if len(variable.shape) < 2:
            assert not part_a.any()


def test_rescaling_keeps_the_function_and_the_filter_normalised_sharpness():
    """Dinh et al. (2017): alpha * (W1, b1) and W2 / alpha compute the same function; by a
    power of 2 the rescaling is exact in floating point."""
    model = relu_net()
    x, y = data()
    copies = [rescale_layers(model, 0, 1, alpha) for alpha in (1.0, 4.0, 16.0)]
    outputs = [keras.ops.convert_to_numpy(copy(x)) for copy in copies]
    for output in outputs[1:]:
        np.testing.assert_array_equal(output, outputs[0])
    normalised = sharpness(copies, x, y, radius=0.3, num_directions=3)
    np.testing.assert_allclose(normalised, normalised[0], rtol=1e-5)
    raw = sharpness(copies, x, y, radius=0.3, num_directions=3, normalise=False)
    assert np.all(np.diff(raw) > 0)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], copies[0].layers[0].kernel)


def test_bad_arguments_are_named():
    model = relu_net()
    x, y = data()
    with pytest.raises(ValueError, match="radius"):
        sharpness(model, x, y, radius=0.0)
    with pytest.raises(ValueError, match="num_directions"):
        sharpness(model, x, y, num_directions=0)
    with pytest.raises(ValueError, match="models"):
        sharpness([], x, y)
    with pytest.raises(ValueError, match="models of one architecture"):
        sharpness([model, linear_model()], x, y)
    with pytest.raises(ValueError, match="second"):
        rescale_layers(model, 1, 1, 2.0)
    with pytest.raises(ValueError, match="alpha"):
        rescale_layers(model, 0, 1, -1.0)
    flat = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten(), keras.layers.Dense(3)])
    layers = [keras.layers.Dense(3), keras.layers.ReLU(), keras.layers.Dense(2)]
    activated = keras.Sequential([keras.Input((4,)), *layers])
    with pytest.raises(ValueError, match=r"rescale_layers: `first` must be the index of a layer"):
        rescale_layers(flat, 0, 1, 2.0)
    with pytest.raises(ValueError, match=r"rescale_layers: `second` must be the index of a layer"):
        rescale_layers(activated, 0, 1, 2.0)
