"""Callbacks that record training more finely than Keras' own logs."""

from __future__ import annotations

import keras

from lrbook.checks import check_int, require


class BlockLosses(keras.callbacks.Callback):
    """The mean training loss of every block of steps between two batch callbacks, exactly.

    In a batch callback, Keras' ``logs["loss"]`` is not the loss of that batch: it is the mean
    over every sample seen since the epoch began, each batch weighted by its size. After the
    block of batches that ends at callback ``k`` of an epoch,

    ```python
    m_k = S_k / n_k        # logs["loss"]: S_k, the summed loss of the n_k samples seen so far
    n_k = min((batch + 1) * batch_size, num_samples)
    ```

    so the mean loss of the samples of that block alone is

    ```python
    block_k = (n_k * m_k - n_{k-1} * m_{k-1}) / (n_k - n_{k-1})      # n_0 = 0 each epoch
    ```

    With ``steps_per_execution=1`` a block is one batch, and ``losses`` are the batches' own
    losses; with ``steps_per_execution=N``, callbacks fire once per N steps and a block is N
    batches. Each loss is computed, as Keras computes ``logs["loss"]``, during the update: on
    weights that are changing within the block.

    The counting assumes what ``fit`` does with arrays: batches of ``batch_size`` samples,
    except a smaller last one, ``num_samples`` samples per epoch.

    ``key`` names the running mean to read: ``"loss"``, or any other loss Keras tracks the
    same way, such as one output's ``"<output>_loss"`` (with
    :func:`lrbook.book.replicas.fit_replicas`, copy ``k``'s own loss is ``"replica_<k>_loss"``,
    while ``"loss"`` is the sum over the copies). Keras weights every batch alike in an output's
    own loss, a smaller last batch too, so for such keys the blocks are exact only when
    ``batch_size`` divides ``num_samples``.

    Usage:

    ```python
    blocks = lrbook.book.diagnostics.BlockLosses(batch_size=64, num_samples=len(x_train))
    model.fit(x_train, y_train, batch_size=64, epochs=5, callbacks=[blocks])
    plt.plot(blocks.epochs, blocks.losses)
    ```

    Attributes:
        epochs: where each block ends, in epochs (fractional): ``epoch + n_k / num_samples``.
        losses: the mean training loss of each block.
    """

    def __init__(self, batch_size: int, num_samples: int, key: str = "loss"):
        super().__init__()
        self.batch_size = check_int("BlockLosses", "batch_size", batch_size, minimum=1)
        self.num_samples = check_int("BlockLosses", "num_samples", num_samples, minimum=1)
        require("BlockLosses", "key", key, isinstance(key, str), "the name of a logged loss")
        self.key = key
        self.epochs: list[float] = []
        self.losses: list[float] = []
        self._epoch = 0
        self._seen = 0
        self._total = 0.0

    def on_train_begin(self, logs=None):
        self.epochs, self.losses = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._seen, self._total = epoch, 0, 0.0

    def on_train_batch_end(self, batch, logs=None):
        seen = min((batch + 1) * self.batch_size, self.num_samples)
        require("BlockLosses", "key", self.key, self.key in logs,
                f"one of the logged values {sorted(logs)}")  # fmt: skip
        total = float(logs[self.key]) * seen
        self.losses.append((total - self._total) / (seen - self._seen))
        self.epochs.append(self._epoch + seen / self.num_samples)
        self._seen, self._total = seen, total
