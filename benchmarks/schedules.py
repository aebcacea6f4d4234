"""What a learning-rate schedule costs in training.

For batch sizes 32 and 256 and ``steps_per_execution`` 1 and 32, this prints the epoch time of
``fit`` with each lrbook schedule divided by the epoch time of the same ``fit`` with a constant
rate (the goal: at most 1.02), beside the same ratio for the per-batch Python callback of the
blog post, which sets the rate before every batch with
``model.optimizer.learning_rate.assign(...)``. A second constant-rate model is timed as a
control: its ratio shows the measurement noise.

Timing: every variant is a model of its own (the book's CNN on MNIST-1D, tiled so that every
epoch has the same number of steps), compiled once and trained one warm-up epoch, which is not
timed. An epoch is timed from ``on_epoch_begin`` to ``on_epoch_end``. Then, for ``--repeats``
rounds, the variants take turns in a shuffled order with a constant-rate epoch before and after
each one: a variant's ratio in a round is its epoch time over the mean of those two neighbours,
so a slow moment of a shared machine hits both sides of the ratio alike. The tables show the
median ratio over the rounds, by wall-clock time and by the CPU time of this process (which
other programs on a busy machine disturb far less).

A last table times the schedules alone: microseconds per evaluation inside a compiled loop,
beyond what the loop costs with a constant rate.

Run: ``python benchmarks/schedules.py`` (about 5 minutes on two idle CPU cores). With
``--json``, it also writes every number it printed to ``lrbook/book/records/schedules.json``
(or the path given), with the machine, the versions and the load of the machine before and
after; the chapter "In practice with Keras" draws its figure from that record, which is
installed with the book's helpers (``lrbook.book.records.load_record("schedules")``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # seven models: retracing notices

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrbook import SGDR, CyclicalLR, OneCycle, StepDecay  # noqa: E402
from lrbook.book.data import load_mnist1d  # noqa: E402
from lrbook.book.models import make_cnn  # noqa: E402

MAX_LR = 0.05
CONSTANT = "constant"
CALLBACK = "Python callback"
CONTROL = "constant again"
CLOCKS = {"wall-clock": time.perf_counter, "CPU": time.process_time}
JSON_PATH = (
    Path(__file__).resolve().parent.parent / "lrbook" / "book" / "records" / "schedules.json"
)


class PythonSGDR(keras.callbacks.Callback):
    """The blog post's way: SGDR computed in Python, assigned to the optimizer before each batch.

    It counts its own calls, so with ``steps_per_execution=N`` (one call per N steps) it holds
    every rate for N steps and runs N times slower through the cycles.
    """

    def __init__(self, min_lr: float, max_lr: float, cycle_length: int):
        super().__init__()
        self.min_lr, self.max_lr, self.cycle_length = min_lr, max_lr, cycle_length
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        progress = (self.step % self.cycle_length) / self.cycle_length
        rate = self.min_lr + 0.5 * (self.max_lr - self.min_lr) * (1 + math.cos(math.pi * progress))
        self.model.optimizer.learning_rate.assign(rate)
        self.step += 1


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch, on every clock, from its beginning to its end."""

    def __init__(self):
        super().__init__()
        self.seconds: list[dict[str, float]] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = {name: clock() for name, clock in CLOCKS.items()}

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append({name: clock() - self._start[name] for name, clock in CLOCKS.items()})


def learning_rates(total_steps: int) -> dict[str, object]:
    """The rate of each variant: a float, or a schedule with changes inside every epoch."""
    return {
        CONSTANT: MAX_LR,
        "StepDecay": StepDecay(MAX_LR, drop=0.5, step_size=50),
        "CyclicalLR": CyclicalLR(MAX_LR / 10, MAX_LR, step_size=20, mode="triangular2"),
        "SGDR": SGDR(0.0, MAX_LR, cycle_length=40, t_mul=1.5, m_mul=0.9),
        "OneCycle": OneCycle(MAX_LR, total_steps=total_steps),
        CALLBACK: MAX_LR,
        CONTROL: MAX_LR,
    }


class Variant:
    """One model, compiled with one way of setting the rate, and the epoch times it took."""

    def __init__(self, name, learning_rate, x, y, batch_size, steps_per_execution):
        self.name, self.x, self.y, self.batch_size = name, x, y, batch_size
        self.model = make_cnn(seed=0)
        self.model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            steps_per_execution=steps_per_execution,
        )
        self.timer = EpochTimer()
        self.callbacks = [self.timer]
        if name == CALLBACK:
            self.callbacks.insert(0, PythonSGDR(0.0, MAX_LR, cycle_length=40))

    def epoch(self) -> dict[str, float]:
        """Train one epoch; its seconds on every clock."""
        self.model.fit(
            self.x,
            self.y,
            batch_size=self.batch_size,
            epochs=1,
            shuffle=False,
            callbacks=self.callbacks,
            verbose=0,
        )
        return self.timer.seconds[-1]


def tiled_data(batch_size: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    (x, y), _ = load_mnist1d()
    repeats = math.ceil(batch_size * steps / len(x))
    n = batch_size * steps
    return np.concatenate([x] * repeats)[:n], np.concatenate([y] * repeats)[:n]


def measure(batch_size: int, steps_per_execution: int, steps: int, repeats: int) -> dict:
    """For every clock: the median constant-rate epoch, and each variant's median paired ratio."""
    x, y = tiled_data(batch_size, steps)
    rates = learning_rates(total_steps=(repeats + 1) * steps)
    constant, *others = [
        Variant(name, rate, x, y, batch_size, steps_per_execution) for name, rate in rates.items()
    ]
    for variant in [constant, *others]:
        variant.epoch()  # warm-up: tracing and first-epoch costs
    ratios = {clock: {variant.name: [] for variant in others} for clock in CLOCKS}
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        before = constant.epoch()
        for index in rng.permutation(len(others)):
            seconds = others[index].epoch()
            after = constant.epoch()
            for clock in CLOCKS:
                neighbours = (before[clock] + after[clock]) / 2
                ratios[clock][others[index].name].append(seconds[clock] / neighbours)
            before = after
    return {
        clock: {
            CONSTANT: statistics.median(epoch[clock] for epoch in constant.timer.seconds[1:]),
            **{name: statistics.median(values) for name, values in ratios[clock].items()},
        }
        for clock in CLOCKS
    }


def evaluation_microseconds(schedule, evaluations: int = 20_000, repeats: int = 5) -> float:
    """Median microseconds a compiled loop takes per iteration evaluating ``schedule`` (or,
    if it is a float, a constant) at an int64 step variable, as the optimizer does."""
    import tensorflow as tf

    step, total = tf.Variable(0, dtype=tf.int64), tf.Variable(0.0)

    def body(i):
        rate = tf.constant(schedule) if isinstance(schedule, float) else schedule(step)
        total.assign_add(tf.cast(rate, tf.float32))
        step.assign_add(1)
        return i + 1

    @tf.function
    def loop(n):
        tf.while_loop(lambda i: i < n, body, [tf.constant(0)])

    loop(tf.constant(10))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        loop(tf.constant(evaluations))
        times.append(time.perf_counter() - start)
    return statistics.median(times) / evaluations * 1e6


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(label), 6) for label in header]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def machine() -> dict:
    """What the numbers were measured on: CPU, cores, versions, oneDNN, the load average."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = ["keras", "tensorflow", "tensorflow-cpu", "numpy", "lrbook"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
        **{name: installed(name) for name in packages if installed(name)},
        "backend": keras.backend.backend(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80, help="steps per epoch")
    parser.add_argument("--repeats", type=int, default=11, help="rounds of timed epochs")
    parser.add_argument(
        "--json",
        nargs="?",
        const=JSON_PATH,
        type=Path,
        help="also write the results to this file (default: the book's record, "
        "lrbook/book/records/schedules.json)",
    )
    args = parser.parse_args()
    before = machine()
    started = time.perf_counter()
    rates = learning_rates(total_steps=10_000)
    others = [name for name in rates if name != CONSTANT]
    rows: dict[str, list[list[str]]] = {clock: [] for clock in CLOCKS}
    runs = []
    for batch_size in (32, 256):
        for steps_per_execution in (1, 32):
            result = measure(batch_size, steps_per_execution, args.steps, args.repeats)
            load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
            runs.append(
                {
                    "batch_size": batch_size,
                    "steps_per_execution": steps_per_execution,
                    "load_average_after": load,
                    **result,
                }
            )
            for clock, ratios in result.items():
                row = [str(batch_size), str(steps_per_execution), f"{ratios[CONSTANT]:.3f}"]
                rows[clock].append(row + [f"{ratios[name]:.3f}" for name in others])
    for clock in CLOCKS:
        print(f"\n{clock} time of an epoch / the same at a constant rate: median of {args.repeats}")
        print(f"paired ratios; epochs of {args.steps} steps (book CNN, MNIST-1D, SGD momentum)")
        print_table(["batch", "steps/exec", f"constant {clock} s", *others], rows[clock])
    print(
        f"\n'{CALLBACK}': the blog post's per-batch callback (SGDR in Python, assigned before each"
        " batch);\nwith steps_per_execution=32 it runs once per 32 steps and holds each rate for"
        f" 32 steps.\n'{CONTROL}': a second constant-rate model, the noise of the measurement."
    )
    base = evaluation_microseconds(MAX_LR)
    schedules = [name for name, rate in rates.items() if not isinstance(rate, float)]
    print(f"\nmicroseconds per evaluation in a compiled loop, beyond a constant ({base:.1f} us):")
    extra = {name: evaluation_microseconds(rates[name]) - base for name in schedules}
    print_table(schedules, [[f"{value:.1f}" for value in extra.values()]])
    if args.json is not None:
        record = {
            "what": (
                "epoch time of fit with each way of setting the rate / the same fit at a constant"
                " rate: median of paired ratios, by clock; 'constant' is the constant-rate epoch"
                " in seconds"
            ),
            "measured": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
            "machine": before,
            "load_average_after": machine()["load_average"],
            "settings": {"steps_per_epoch": args.steps, "repeats": args.repeats, "max_lr": MAX_LR},
            "callback": CALLBACK,
            "control": CONTROL,
            "runs": runs,
            "evaluation_microseconds": {"constant": base, "extra": extra},
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
