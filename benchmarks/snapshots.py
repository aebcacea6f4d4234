"""What ``SnapshotEnsemble`` costs in training.

The callback reads ``optimizer.iterations`` after every execution of the train step, copies the
weights at each cycle end (to memory, or to a weight file), and with ``steps_per_execution > 1``
also runs a conditional copy inside every compiled step. This prints, for
``steps_per_execution`` 1 and 32, the epoch time of ``fit`` with the callback divided by the
epoch time of the same ``fit`` without it (the goal: at most 1.02 in memory).

Timing: each variant is a model of its own (the book's CNN on MNIST-1D, SGDR with one cycle
per epoch, so one snapshot per epoch), compiled and trained one warm-up epoch that is not timed.
For ``--repeats`` rounds the variants then take turns, in a shuffled order, each timed epoch
between two epochs of the callback-free model; a variant's ratio in a round is its epoch time
over the mean of its two neighbours. The table shows the median over the rounds.

Run: ``python benchmarks/snapshots.py`` (about 2 minutes on two idle CPU cores).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import keras  # noqa: E402

from lrbook import SGDR, SnapshotEnsemble  # noqa: E402
from lrbook.book.data import load_mnist1d  # noqa: E402
from lrbook.book.models import make_cnn  # noqa: E402

BATCH = 32
BASELINE = "no callback"


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def make_variant(x, steps_per_execution: int, callback_factory):
    steps_per_epoch = len(x) // BATCH
    schedule = SGDR(min_lr=0.0, max_lr=0.05, cycle_length=steps_per_epoch)
    model = make_cnn(seed=0)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=steps_per_execution,
    )
    timer = EpochTimer()
    callbacks = [timer] + ([callback_factory(schedule)] if callback_factory else [])
    return model, timer, callbacks


def run_epoch(variant, x, y) -> float:
    model, timer, callbacks = variant
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
    return timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    (x, y), _ = load_mnist1d()
    x, y = x[: len(x) // BATCH * BATCH], y[: len(y) // BATCH * BATCH]
    directory = tempfile.mkdtemp(prefix="lrbook-snapshots-")
    factories = {
        "in memory": lambda schedule: SnapshotEnsemble(schedule, keep=3),
        "to disk": lambda schedule: SnapshotEnsemble(schedule, directory=directory, keep=3),
    }
    print(f"{'steps_per_execution':>20} {'variant':>12} {'epoch ratio':>12}")
    for steps_per_execution in (1, 32):
        variants = {BASELINE: make_variant(x, steps_per_execution, None)}
        for name, factory in factories.items():
            variants[name] = make_variant(x, steps_per_execution, factory)
        for variant in variants.values():
            run_epoch(variant, x, y)  # warm-up: tracing
        ratios = {name: [] for name in factories}
        for _ in range(args.repeats):
            order = list(factories)
            random.shuffle(order)
            for name in order:
                before = run_epoch(variants[BASELINE], x, y)
                seconds = run_epoch(variants[name], x, y)
                after = run_epoch(variants[BASELINE], x, y)
                ratios[name].append(seconds / ((before + after) / 2))
        for name, values in ratios.items():
            print(f"{steps_per_execution:>20} {name:>12} {statistics.median(values):>12.3f}")


if __name__ == "__main__":
    main()
