"""One call that makes a chapter give the same numbers on every run."""

from __future__ import annotations


def make_deterministic(seed: int = 0) -> None:
    """Seed Python, NumPy and the backend, and turn on TensorFlow's op determinism.

    After this, the same code on the same machine produces bit-identical training runs.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
