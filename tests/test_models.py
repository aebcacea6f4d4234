import keras
import numpy as np
import pytest

from lrbook.book import models


@pytest.mark.parametrize("build", [models.make_cnn, models.make_mlp])
def test_same_seed_same_weights_whatever_the_global_state(build):
    keras.utils.set_random_seed(1)
    first = build(seed=3)
    keras.utils.set_random_seed(2)
    np.random.rand(10)
    second = build(seed=3)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("build", [models.make_cnn, models.make_mlp])
def test_different_seeds_differ(build):
    a, b = build(seed=0), build(seed=1)
    assert not np.array_equal(a.get_weights()[0], b.get_weights()[0])


@pytest.mark.parametrize("build", [models.make_cnn, models.make_mlp])
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
