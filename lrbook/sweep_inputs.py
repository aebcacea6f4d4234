"""Feeding a range test exactly ``num_steps`` batches of the user's data, repeated as needed.

:func:`sweep_inputs` turns what ``lr_find`` was given into keyword arguments for ``fit`` that
yield ``num_steps`` batches, in order, starting again from the beginning of the data as often as
needed. It takes every kind of input ``fit`` takes: arrays (NumPy or any backend's tensors, or
a list or dict of them), a ``tf.data.Dataset``, a ``keras.utils.PyDataset``, a torch
``DataLoader`` (a new pass over it each time it runs out, reshuffled if it shuffles) and a
Python generator or iterator of batches. A generator cannot start again: the sweep takes at most
``num_steps`` batches from it, and ends short if it runs out first. TensorFlow and PyTorch are
never imported here: an input can only be one of their types if its library is loaded already.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator

import keras
import numpy as np

from lrbook.checks import require


class CyclingPyDataset(keras.utils.PyDataset):
    """``num_batches`` batches of ``dataset``, starting again from its first when it runs out."""

    def __init__(self, dataset: keras.utils.PyDataset, num_batches: int):
        super().__init__(
            workers=dataset.workers,
            use_multiprocessing=dataset.use_multiprocessing,
            max_queue_size=dataset.max_queue_size,
        )
        self.dataset = dataset
        self.length = dataset.num_batches
        self.sweep_batches = num_batches

    def __len__(self) -> int:
        return self.sweep_batches

    def __getitem__(self, index: int):
        return self.dataset[index if self.length is None else index % self.length]


class FitInputs(dict):
    """Keyword arguments for ``fit``; ``first`` is the first batch when it had to be taken
    already (from a generator), else ``None``; ``runs_out`` says why the sweep may get fewer
    than ``num_steps`` batches (a generator cannot start again), else ``None``."""

    first = None
    runs_out: str | None = None


def is_tf_dataset(x) -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(x, tf.data.Dataset)


def is_torch_dataloader(x) -> bool:
    if "torch" not in sys.modules:
        return False
    from torch.utils.data import DataLoader

    return isinstance(x, DataLoader)


def sweep_inputs(owner: str, x, y, batch_size: int, num_steps: int) -> FitInputs:
    """Keyword arguments for ``fit`` that give exactly ``num_steps`` batches, repeating ``x``
    (a generator: at most ``num_steps``, fewer if it runs out)."""
    if is_torch_dataloader(x):
        _check_no_y(owner, x, y)
        return _generator_inputs(owner, x, _passes(x), num_steps, "an empty DataLoader")
    if isinstance(x, Iterator):
        _check_no_y(owner, x, y)
        inputs = _generator_inputs(owner, x, x, num_steps, f"an exhausted {type(x).__name__}")
        inputs.runs_out = (
            f"x, a {type(x).__name__}, ran out of batches first (a generator cannot start "
            f"again). Give it at least num_steps={num_steps} batches."
        )
        return inputs
    if isinstance(x, keras.utils.PyDataset):
        _check_no_y(owner, x, y)
        require(
            owner,
            "x",
            x,
            x.num_batches != 0,
            "non-empty (at least one batch)",
            got="an empty PyDataset",
        )
        return FitInputs(x=CyclingPyDataset(x, num_steps))
    if is_tf_dataset(x):
        _check_no_y(owner, x, y)
        empty = int(x.cardinality()) == 0
        require(
            owner,
            "x",
            x,
            not empty,
            "non-empty (at least one batch)",
            got="an empty tf.data.Dataset",
        )
        return FitInputs(x=x.repeat().take(num_steps))
    return _array_inputs(owner, x, y, batch_size, num_steps)


def first_batch(inputs: FitInputs):
    """The first batch ``fit`` will see, to build a model that has not been built yet."""
    if inputs.first is not None:
        return inputs.first
    x = inputs["x"]
    if isinstance(x, CyclingPyDataset):
        return x[0]
    if is_tf_dataset(x):
        return next(iter(x.take(1)))
    batch = (x,) if inputs["y"] is None else (x, inputs["y"])
    return keras.tree.map_structure(lambda a: a[: inputs["batch_size"]], batch)


def _check_no_y(owner: str, x, y) -> None:
    require(
        owner,
        "y",
        y,
        y is None,
        f"None when x is a {type(x).__name__}",
        got=f"a {type(y).__name__}",
    )


def _array_inputs(owner: str, x, y, batch_size: int, num_steps: int) -> dict:
    arrays = keras.tree.flatten(x) + ([] if y is None else keras.tree.flatten(y))
    require(
        owner,
        "x",
        x,
        bool(arrays) and all(hasattr(a, "shape") and len(a.shape) > 0 for a in arrays),
        "arrays (NumPy or tensors, or a list/dict of them), a tf.data.Dataset, a "
        "keras.utils.PyDataset, a Python generator or a torch DataLoader",
        got=f"a {type(x).__name__}",
    )
    sizes = sorted({int(a.shape[0]) for a in arrays})
    require(owner, "y", y, len(sizes) == 1, "as long as x", got=f"samples of sizes {sizes}")
    require(owner, "x", x, sizes[0] > 0, "non-empty (at least one sample)", got="0 samples")
    rows = np.arange(num_steps * batch_size) % sizes[0]

    def take(array):
        return np.asarray(array)[rows]

    targets = None if y is None else keras.tree.map_structure(take, y)
    return FitInputs(x=keras.tree.map_structure(take, x), y=targets, batch_size=batch_size)


def _passes(loader) -> Iterator:
    """The batches of a torch ``DataLoader``, pass after pass (each a new, reshuffled, pass).

    On TensorFlow and JAX the tensors become NumPy arrays, which Keras feeds to those backends
    (it refuses a generator of torch tensors there). A pass without a batch ends it."""
    to_numpy = keras.backend.backend() != "torch"
    while True:
        empty = True
        for batch in loader:
            empty = False
            if to_numpy:
                batch = keras.tree.map_structure(lambda t: t.detach().cpu().numpy(), batch)
            yield batch
        if empty:
            return


def _generator_inputs(owner: str, x, batches: Iterator, num_steps: int, empty: str) -> FitInputs:
    """At most ``num_steps`` of ``batches``, as the generator ``fit`` takes, the first one taken
    now (to refuse an empty input, and to build the model from it)."""
    first = next(batches, None)
    require(owner, "x", x, first is not None, "non-empty (at least one batch)", got=empty)
    inputs = FitInputs(x=_take(itertools.chain([first], batches), num_steps))
    inputs.first = _as_tuple(first)
    return inputs


def _take(batches: Iterator, count: int):
    """A generator of the first ``count`` of ``batches`` (no more is taken from it), each a
    tuple, as ``fit`` requires of a generator's batches (a DataLoader's are lists)."""
    for batch in itertools.islice(batches, count):
        yield _as_tuple(batch)


def _as_tuple(batch):
    return tuple(batch) if isinstance(batch, list) else batch
