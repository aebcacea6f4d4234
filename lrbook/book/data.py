"""Datasets the chapters train on.

Everything offline is generated or bundled locally: MNIST-1D (Greydanus, 2020) is *generated*
by the ``mnist1d`` package from a fixed seed, and scikit-learn's digits ship with scikit-learn.
Fashion-MNIST and CIFAR-10 are downloaded by ``keras.datasets`` and are only for readers who
ask for them (for example on Colab).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from lrbook.checks import check_real

Split = tuple[np.ndarray, np.ndarray]

MNIST1D_SEED = 42
OFFLINE_ALTERNATIVES = "lrbook.book.data.load_mnist1d() or lrbook.book.data.load_digits()"


def cache_dir() -> Path:
    """Folder for generated datasets: ``$LRBOOK_CACHE`` or ``~/.cache/lrbook``."""
    return Path(os.environ.get("LRBOOK_CACHE", Path.home() / ".cache" / "lrbook"))


def load_mnist1d(seed: int = MNIST1D_SEED) -> tuple[Split, Split]:
    """MNIST-1D: 4,000 training and 1,000 test sequences of length 40, ten classes.

    Returns ``(x_train, y_train), (x_test, y_test)`` with ``x`` float32 of shape ``(n, 40, 1)``
    (channels last, ready for ``Conv1D``) and ``y`` int32 class labels. The data are generated
    locally and deterministically from ``seed``; nothing is downloaded. The first call stores
    them in :func:`cache_dir`, later calls (in any process) read that file, and calls within a
    process return copies of one in-memory array set.
    """
    arrays = _mnist1d_arrays(seed)
    return (
        (arrays["x_train"].copy(), arrays["y_train"].copy()),
        (arrays["x_test"].copy(), arrays["y_test"].copy()),
    )


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(seed: int) -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args

    args = get_dataset_args()
    args.seed = seed
    settings = {k: v for k, v in vars(args).items() if k != "url"}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"mnist1d-{key}.npz"
    if path.exists():
        with np.load(path) as stored:
            return {name: stored[name] for name in stored.files}
    arrays = _generate_mnist1d(args)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(temporary, **arrays)
    temporary.replace(path)  # atomic: parallel readers never see half a file
    return arrays


def _generate_mnist1d(args) -> dict[str, np.ndarray]:
    from mnist1d.data import make_dataset

    raw = make_dataset(args)
    return {
        "x_train": raw["x"].astype("float32")[..., None],
        "y_train": raw["y"].astype("int32"),
        "x_test": raw["x_test"].astype("float32")[..., None],
        "y_test": raw["y_test"].astype("int32"),
    }


def load_digits(test_size: float = 0.25, seed: int = 0) -> tuple[Split, Split]:
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled to [0, 1], split with ``seed``.

    Returns ``(x_train, y_train), (x_test, y_test)`` with ``x`` float32 of shape ``(n, 8, 8, 1)``.
    """
    check_real("load_digits", "test_size", test_size, gt=0, lt=1)
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y
    )
    return (x_train, y_train), (x_test, y_test)


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST through ``keras.datasets`` (downloads once), scaled to [0, 1], 28x28x1."""
    import keras

    (x_train, y_train), (x_test, y_test) = _download("Fashion-MNIST", keras.datasets.fashion_mnist)
    return _scaled_images(x_train, y_train, x_test, y_test)


def load_cifar10() -> tuple[Split, Split]:
    """CIFAR-10 through ``keras.datasets`` (downloads about 170 MB once), scaled to [0, 1]."""
    import keras

    (x_train, y_train), (x_test, y_test) = _download("CIFAR-10", keras.datasets.cifar10)
    return _scaled_images(x_train, y_train.ravel(), x_test, y_test.ravel())


def _download(name: str, module) -> tuple[Split, Split]:
    try:
        return module.load_data()
    except Exception as error:  # urllib, socket and SSL errors all arrive here
        raise RuntimeError(
            f"Could not download {name} ({type(error).__name__}: {error}). It needs an internet "
            f"connection; offline, use {OFFLINE_ALTERNATIVES}, which need none."
        ) from error


def _scaled_images(x_train, y_train, x_test, y_test) -> tuple[Split, Split]:
    def scale(x):
        x = x.astype("float32") / 255.0
        return x[..., None] if x.ndim == 3 else x

    return (
        (scale(x_train), y_train.astype("int32")),
        (scale(x_test), y_test.astype("int32")),
    )
