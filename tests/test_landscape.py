"""The loss-landscape slices of lrbook.book.landscape, on losses known in closed form."""

import keras
import numpy as np
import pytest

from lrbook.book.landscape import (
    filter_normalized_direction,
    line_slice,
    loss_at,
    plane_slice,
)


def numpy(variable, dtype=None):
    return np.asarray(keras.ops.convert_to_numpy(variable.value), dtype=dtype)


def linear_model(seed=0, inputs=3, outputs=2):
    """y = x W + b: its mean squared error is a quadratic in (W, b), known in closed form."""
    model = keras.Sequential(
        [keras.Input((inputs,)), keras.layers.Dense(outputs, bias_initializer="ones")]
    )
    model.compile(loss="mse")
    rng = np.random.default_rng(seed)
    model.layers[0].kernel.assign(rng.standard_normal((inputs, outputs)).astype("float32"))
    return model


def mse(x, y, kernel, bias):
    return np.mean((x @ kernel + bias - y) ** 2)


@pytest.fixture
def problem():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 3)).astype("float32")
    y = rng.standard_normal((50, 2)).astype("float32")
    return linear_model(), x, y


def test_direction_is_filter_normalised_and_skips_biases():
    model = linear_model()
    kernel, bias = (numpy(v) for v in model.trainable_variables)
    direction = filter_normalized_direction(model, seed=3)
    assert [d.shape for d in direction] == [kernel.shape, bias.shape]
    np.testing.assert_allclose(
        np.linalg.norm(direction[0], axis=0), np.linalg.norm(kernel, axis=0), rtol=1e-6
    )
    assert not np.any(direction[1])
    again = filter_normalized_direction(model, seed=3)
    np.testing.assert_array_equal(direction[0], again[0])
    other = filter_normalized_direction(model, seed=4)
    assert not np.allclose(direction[0], other[0])


def test_conv_filters_are_the_last_axis():
    model = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(4, 3)])
    kernel = numpy(model.trainable_variables[0])
    direction = filter_normalized_direction(model, seed=0)
    np.testing.assert_allclose(
        np.linalg.norm(direction[0], axis=(0, 1)), np.linalg.norm(kernel, axis=(0, 1)), rtol=1e-6
    )


def test_line_slice_is_the_closed_form_quadratic(problem):
    model, x, y = problem
    kernel, bias = (numpy(v, "float64") for v in model.trainable_variables)
    direction = filter_normalized_direction(model, seed=0)
    alphas = np.linspace(-2, 2, 41)
    losses = line_slice(model, x, y, direction, alphas, chunk_size=7)
    expected = [mse(x, y, kernel + a * direction[0], bias) for a in alphas]
    np.testing.assert_allclose(losses, expected, rtol=1e-5)
    # a quadratic in alpha: its third differences vanish
    assert np.max(np.abs(np.diff(losses, 3))) < 1e-3 * np.max(losses)


def test_plane_slice_grid_layout_and_values(problem):
    model, x, y = problem
    kernel, bias = (numpy(v, "float64") for v in model.trainable_variables)
    d1 = filter_normalized_direction(model, seed=0)
    d2 = filter_normalized_direction(model, seed=1)
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 3)
    losses = plane_slice(model, x, y, (d1, d2), alphas, betas)
    assert losses.shape == (3, 5)
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            expected = mse(x, y, kernel + a * d1[0] + b * d2[0], bias)
            np.testing.assert_allclose(losses[i, j], expected, rtol=1e-5)
    center = np.asarray(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(losses[1, 2], center, rtol=1e-5)


def test_weights_are_left_unchanged(problem):
    model, x, y = problem
    before = [numpy(v) for v in model.variables]
    line_slice(model, x, y, filter_normalized_direction(model, 0), np.linspace(-5, 5, 9))
    for old, variable in zip(before, model.variables, strict=True):
        np.testing.assert_array_equal(old, numpy(variable))


def test_bad_input_is_refused(problem):
    model, x, y = problem
    direction = filter_normalized_direction(model, 0)
    with pytest.raises(ValueError, match=r"loss_at: `coordinates` must be an array of shape"):
        loss_at(model, x, y, [direction], np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"loss_at: `directions` must be one array per"):
        loss_at(model, x, y, [direction[:1]], np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"loss_at: `chunk_size` must be"):
        loss_at(model, x, y, [direction], np.zeros((4, 1)), chunk_size=0)
    uncompiled = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"loss_at: `loss` must be a Keras loss"):
        line_slice(uncompiled, x, y, filter_normalized_direction(uncompiled, 0), [0.0])
    with pytest.raises(ValueError, match=r"filter_normalized_direction: `seed`"):
        filter_normalized_direction(model, -1)
