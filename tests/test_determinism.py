"""make_deterministic: the seed comes from the caller or from LRBOOK_SEED, and fixes the run."""

import keras
import numpy as np
import pytest

from lrbook.book import make_deterministic, models


def test_seed_defaults_to_zero(monkeypatch):
    monkeypatch.delenv("LRBOOK_SEED", raising=False)
    assert make_deterministic() == 0


def test_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LRBOOK_SEED", "7")
    assert make_deterministic() == 7
    assert make_deterministic(3) == 3  # an explicit seed wins


def test_environment_seed_sets_the_global_generators(monkeypatch):
    monkeypatch.setenv("LRBOOK_SEED", "5")
    make_deterministic()
    from_environment = np.random.rand(3), keras.random.uniform((3,))
    make_deterministic(5)
    explicit = np.random.rand(3), keras.random.uniform((3,))
    np.testing.assert_array_equal(from_environment[0], explicit[0])
    np.testing.assert_array_equal(from_environment[1], explicit[1])


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", ""])
def test_bad_environment_seed_is_refused_by_name(monkeypatch, text):
    monkeypatch.setenv("LRBOOK_SEED", text)
    with pytest.raises(ValueError, match="LRBOOK_SEED must be an integer >= 0"):
        make_deterministic()


@pytest.mark.parametrize("seed", [-1, 1.0, "0", True])
def test_bad_explicit_seed_is_refused_by_name(seed):
    with pytest.raises(ValueError, match="make_deterministic: `seed` must be an integer >= 0"):
        make_deterministic(seed)


def test_same_seed_same_training_run():
    (x, y), _ = _data()

    def train():
        make_deterministic(4)
        model = models.make_mlp(seed=0, input_shape=(8,), hidden=(16,))
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)  # shuffled by the global seed
        return model.get_weights()

    for a, b in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(a, b)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    return (x, y), None
