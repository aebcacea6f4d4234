import keras
import numpy as np
import pytest

from lrbook.book import data


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty on-disk cache and an empty in-process cache."""
    monkeypatch.setenv("LRBOOK_CACHE", str(tmp_path))
    data._mnist1d_arrays.cache_clear()
    yield tmp_path
    data._mnist1d_arrays.cache_clear()


def test_mnist1d_shapes_and_types(fresh_cache):
    (x_train, y_train), (x_test, y_test) = data.load_mnist1d()
    assert x_train.shape == (4000, 40, 1) and x_test.shape == (1000, 40, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int32
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert set(np.unique(y_train)) == set(range(10))
    assert np.bincount(y_train).min() > 300  # roughly balanced


def test_mnist1d_is_deterministic_and_cached(fresh_cache, monkeypatch):
    (first, _), _ = data.load_mnist1d()
    assert list(fresh_cache.glob("mnist1d-*.npz")), "the generated data were not cached"

    data._mnist1d_arrays.cache_clear()

    def must_not_generate(args):
        raise AssertionError("regenerated although the cache file exists")

    monkeypatch.setattr(data, "_generate_mnist1d", must_not_generate)
    (second, _), _ = data.load_mnist1d()
    np.testing.assert_array_equal(first, second)


def test_mnist1d_returns_copies(fresh_cache):
    (x_train, _), _ = data.load_mnist1d()
    x_train[:] = 0.0
    (again, _), _ = data.load_mnist1d()
    assert np.abs(again).sum() > 0, "changing a returned array changed the cache"


def test_mnist1d_seed_changes_the_data(fresh_cache):
    (a, _), _ = data.load_mnist1d(seed=1)
    (b, _), _ = data.load_mnist1d(seed=2)
    assert not np.array_equal(a, b)


def test_digits_offline_split():
    (x_train, y_train), (x_test, y_test) = data.load_digits()
    assert x_train.shape[1:] == (8, 8, 1) and x_train.dtype == np.float32
    assert len(x_train) + len(x_test) == 1797
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert set(np.unique(y_test)) == set(range(10))


def test_digits_rejects_bad_test_size():
    with pytest.raises(ValueError, match="test_size"):
        data.load_digits(test_size=1.5)


@pytest.mark.parametrize(
    "loader, module",
    [(data.load_fashion_mnist, "fashion_mnist"), (data.load_cifar10, "cifar10")],
)
def test_downloads_fail_with_offline_alternatives(monkeypatch, loader, module):
    def offline():
        raise OSError("Network is unreachable")

    monkeypatch.setattr(getattr(keras.datasets, module), "load_data", offline)
    with pytest.raises(RuntimeError, match="load_mnist1d") as error:
        loader()
    assert "Network is unreachable" in str(error.value)


def test_downloaded_images_are_scaled(monkeypatch):
    images = np.full((3, 28, 28), 255, dtype="uint8")
    labels = np.arange(3, dtype="uint8")
    monkeypatch.setattr(
        keras.datasets.fashion_mnist, "load_data", lambda: ((images, labels), (images, labels))
    )
    (x_train, y_train), _ = data.load_fashion_mnist()
    assert x_train.shape == (3, 28, 28, 1) and x_train.max() == 1.0
    assert y_train.dtype == np.int32


def test_the_benchmark_record_ships_with_the_book_and_names_its_machine():
    from lrbook.book.records import available, load_record

    assert "schedules" in available()
    record = load_record("schedules")
    assert {"machine", "runs", "settings"} <= set(record)
    assert record["machine"]["cores"] >= 1
    with pytest.raises(ValueError, match="no record named 'nope'.*schedules"):
        load_record("nope")
