import functools

import keras
import numpy as np
import pytest

from lrbook.book import models

plain = functools.partial(models.make_deep_mlp, depth=4, width=8)
residual = functools.partial(models.make_deep_mlp, depth=4, width=8, residual=True)
BUILDERS = [models.make_cnn, models.make_mlp, plain, residual]


@pytest.mark.parametrize("build", BUILDERS)
def test_same_seed_same_weights_whatever_the_global_state(build):
    keras.utils.set_random_seed(1)
    first = build(seed=3)
    keras.utils.set_random_seed(2)
    np.random.rand(10)
    second = build(seed=3)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build", BUILDERS)
def test_different_seeds_differ(build):
    a, b = build(seed=0), build(seed=1)
    assert not np.array_equal(a.get_weights()[0], b.get_weights()[0])


@pytest.mark.parametrize("build", BUILDERS)
def test_outputs_are_probabilities(build):
    x = np.random.default_rng(0).normal(size=(5, 40, 1)).astype("float32")
    probabilities = build(seed=0).predict(x, verbose=0)
    assert probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_cnn_learns_mnist1d_at_a_good_rate():
    from lrbook.book.data import load_mnist1d

    keras.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = load_mnist1d()
    model = models.make_cnn(seed=0)
    model.compile(
        keras.optimizers.SGD(0.05, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.5, "the book's CNN should learn MNIST-1D well above chance (10%)"


def test_deep_mlps_differ_only_by_their_skip_connections():
    a, b = (
        models.make_deep_mlp(seed=2, depth=5, width=16),
        models.make_deep_mlp(seed=2, depth=5, width=16, residual=True),
    )
    assert [w.shape for w in a.get_weights()] == [w.shape for w in b.get_weights()]
    dense = [layer for layer in a.layers if isinstance(layer, keras.layers.Dense)]
    assert len(dense) == 5 + 2 and a.count_params() == b.count_params()
    assert not [layer for layer in a.layers if isinstance(layer, keras.layers.Add)]
    assert len([layer for layer in b.layers if isinstance(layer, keras.layers.Add)]) == 5
    # the same draws; the residual layers start depth times smaller in variance
    wa, wb = a.get_weights(), b.get_weights()
    np.testing.assert_array_equal(wa[0], wb[0])
    np.testing.assert_allclose(wb[2], wa[2] / np.sqrt(5), rtol=1e-5)
    assert not np.any(wa[-2]) and not np.any(wb[-2])  # the classifier starts at zero


def test_deep_mlps_start_at_chance_whatever_the_depth():
    x = np.random.default_rng(0).normal(size=(50, 40, 1)).astype("float32")
    for residual in (False, True):
        model = models.make_deep_mlp(seed=0, depth=12, residual=residual)
        np.testing.assert_allclose(model.predict(x, verbose=0), 0.1, rtol=1e-6)
