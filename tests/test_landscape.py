"""The loss-landscape slices of lrbook.book.landscape, on losses known in closed form."""

import keras
import numpy as np
import pytest

from lrbook.book.landscape import (
    filter_normalized_direction,
    gaussian_direction,
    line_slice,
    loss_at,
    nonconvex_share,
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


def test_gaussian_direction_is_the_same_draw_before_normalising():
    model = linear_model()
    kernel = numpy(model.trainable_variables[0], "float64")
    raw = gaussian_direction(model, seed=5)
    normalised = filter_normalized_direction(model, seed=5)
    assert not np.any(raw[1]) and raw[0].shape == kernel.shape
    scale = np.linalg.norm(kernel, axis=0) / np.linalg.norm(raw[0], axis=0)
    np.testing.assert_allclose(normalised[0], raw[0] * scale, rtol=1e-6)
    draw = np.random.default_rng(5).standard_normal((3, 2))
    np.testing.assert_array_equal(raw[0], draw.astype("float32"))


def test_filter_normalised_slices_are_scale_invariant_and_raw_ones_are_not():
    """relu(c z) = c relu(z): scaling one layer by c and the next by 1/c keeps the function."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = rng.integers(0, 3, 64)

    def relu_net():
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(5, activation="relu", kernel_initializer="he_normal"),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(loss="sparse_categorical_crossentropy")
        return model

    model, scaled = relu_net(), relu_net()
    kernel1, bias1, kernel2, bias2 = model.get_weights()
    scaled.set_weights([10 * kernel1, 10 * bias1, kernel2 / 10, bias2])
    alphas = np.linspace(-1, 1, 9)
    slices = [
        line_slice(net, x, y, make(net, seed=2), alphas)
        for make in (filter_normalized_direction, gaussian_direction)
        for net in (model, scaled)
    ]
    np.testing.assert_allclose(slices[0], slices[1], rtol=1e-4)
    assert np.max(np.abs(slices[2] - slices[3])) > 0.1


def test_nonconvex_share_of_closed_forms():
    a, b = np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-2, 2, 21))
    assert nonconvex_share(a**2 + 3 * b**2 + a * b) == 0.0  # a bowl
    assert nonconvex_share(a**2 - b**2) == 1.0  # a saddle
    assert nonconvex_share(-(a**2) - b**2) == 1.0  # a dome
    assert nonconvex_share(10 + a + 2 * b) == 0.0  # a plane: rounding does not count
    # a bowl along alpha, a bump along beta only where |beta| < 1: about half the rows
    share = nonconvex_share(a**2 + np.cos(np.pi * b / 2) * (np.abs(b) < 1))
    assert 0.3 < share < 0.7
    with pytest.raises(ValueError, match=r"nonconvex_share: `losses` must be a 2-D grid"):
        nonconvex_share(np.zeros((2, 5)))


def test_slices_follow_new_weights_and_directions_of_the_same_model(problem):
    """The evaluator is built once per model, so it must read the weights at every call."""
    model, x, y = problem
    direction = filter_normalized_direction(model, 0)
    first = line_slice(model, x, y, direction, [0.0, 1.0])
    kernel, bias = model.get_weights()
    model.set_weights([2 * kernel, bias])
    again = line_slice(model, x, y, direction, [0.0, 1.0])
    expected = [mse(x, y, 2 * kernel + a * direction[0], bias) for a in (0.0, 1.0)]
    np.testing.assert_allclose(again, expected, rtol=1e-5)
    assert not np.allclose(first, again)
    many = line_slice(model, x, y, direction, np.linspace(-1, 1, 150), chunk_size=64)
    assert many.shape == (150,)  # padded to whole chunks, then cut back
