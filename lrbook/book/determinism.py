"""One call that makes a chapter give the same numbers on every run of the same machine."""

from __future__ import annotations

import os

from lrbook.checks import check_int

SEED_VARIABLE = "LRBOOK_SEED"


def make_deterministic(seed: int | None = None) -> int:
    """Seed Python, NumPy and the backend, turn on TensorFlow's op determinism, return the seed.

    Without ``seed``, the seed comes from the environment variable ``LRBOOK_SEED`` (0 when it
    is not set), so a chapter can be run under another seed without editing it::

        LRBOOK_SEED=3 jupyter execute chapters/05_cyclical.ipynb

    After this call, the same code on the same machine gives bit-identical training runs.
    Another machine, another TensorFlow or oneDNN switched on or off can give other numbers,
    which is why the book states training results as ranges over several seeds.
    """
    if seed is None:
        seed = _seed_from_environment()
    seed = check_int("make_deterministic", "seed", seed, minimum=0)

    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed


def _seed_from_environment() -> int:
    text = os.environ.get(SEED_VARIABLE, "0").strip()
    if not text.isdigit():
        raise ValueError(
            f"make_deterministic: the environment variable {SEED_VARIABLE} must be an integer "
            f">= 0; got {SEED_VARIABLE}={text!r}."
        )
    return int(text)
