"""How much longer the range test takes than plain training for the same number of steps.

Prints, for a few models and settings, the wall time of ``lr_find`` (the sweep, saving and
restoring the model's state, and tracing its own train function included) divided by the wall
time of ``model.fit`` over the same number of steps on an identical model:

* cold: each on a freshly compiled model, as a reader runs them (each traces a train function;
  the optimizer is built beforehand for both, so that ``fit`` does not trace twice to create
  the optimizer's variables, which would flatter the finder);
* warm: each called again on the same model (``fit`` reuses its traced function, and the
  finder the sweep's, which it keeps with the model: the range, length and start of a sweep
  are variables, so a second sweep assigns them instead of tracing again);
* per step: the extra time of ``3 * steps`` over ``steps`` steps, warm, divided by ``2 * steps``
  (the cost of recording each batch's loss and rate, without the fixed costs).

Medians of interleaved repeats. Goal: a ratio of at most 1.2.

Run: ``python benchmarks/finder.py [--repeats 5] [--steps 100]``, with ``KERAS_BACKEND`` set to
the backend to measure (TensorFlow by default).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrbook import lr_find  # noqa: E402
from lrbook.book import data, models  # noqa: E402
from lrbook.book.determinism import make_deterministic  # noqa: E402

BATCH = 32
SETUPS = [
    # (name, model builder, optimizer, steps_per_execution)
    ("cnn, SGD+momentum", models.make_cnn, lambda: keras.optimizers.SGD(0.01, momentum=0.9), 1),
    ("cnn, Adam", models.make_cnn, lambda: keras.optimizers.Adam(1e-3), 1),
    ("cnn, Adam, steps_per_execution=4", models.make_cnn, lambda: keras.optimizers.Adam(1e-3), 4),
    ("mlp, Adam", models.make_mlp, lambda: keras.optimizers.Adam(1e-3), 1),
]


def compiled(builder, optimizer, steps_per_execution) -> keras.Model:
    model = builder(0)
    model.compile(
        optimizer=optimizer(),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=steps_per_execution,
    )
    model.optimizer.build(model.trainable_variables)
    return model


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def runners(x, y, steps: int) -> dict:
    """``kind -> function(model, steps)`` for the two things compared."""

    def find(model, n):
        # A range that trains without diverging, so that every sweep runs all its n steps.
        result = lr_find(model, x, y, batch_size=BATCH, num_steps=n, min_lr=1e-5, max_lr=1e-2)
        assert result.losses.size == n, "the sweep stopped early: the timing would be unfair"
        return result

    def fit(model, n):
        return model.fit(x[: n * BATCH], y[: n * BATCH], batch_size=BATCH, shuffle=False, verbose=0)

    return {"find": find, "fit": fit}


def measure(setup, x, y, steps: int, repeats: int) -> dict[str, float]:
    _, builder, optimizer, steps_per_execution = setup
    times: dict[str, list[float]] = {}
    for _ in range(repeats):
        for kind, run in runners(x, y, steps).items():
            model = compiled(builder, optimizer, steps_per_execution)
            cold = timed(lambda run=run, model=model: run(model, steps))
            warm = timed(lambda run=run, model=model: run(model, steps))
            long = timed(lambda run=run, model=model: run(model, 3 * steps))
            times.setdefault(f"{kind} cold", []).append(cold)
            times.setdefault(f"{kind} warm", []).append(warm)
            times.setdefault(f"{kind} step", []).append((long - warm) / (2 * steps))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    make_deterministic(0)
    (x, y), _ = data.load_mnist1d()
    rows = np.arange(3 * args.steps * BATCH) % len(x)  # enough batches for fit, in order
    x, y = x[rows], y[rows]
    print(f"lr_find / fit, {args.steps} steps of batch {BATCH}, median of {args.repeats} repeats")
    print(f"{'setup':36s} {'cold':>19s} {'warm':>19s} {'per step (ms)':>21s}")
    print(f"backend: {keras.backend.backend()}")
    for setup in SETUPS:
        if setup[3] > 1 and keras.backend.backend() == "torch":
            print(f"{setup[0]:36s} (Keras runs one step per call on torch)")
            continue
        t = measure(setup, x, y, args.steps, args.repeats)
        cells = [
            f"{t['find ' + kind] * scale:6.2f}/{t['fit ' + kind] * scale:<6.2f}"
            f"{t['find ' + kind] / t['fit ' + kind]:5.2f}"
            for kind, scale in (("cold", 1), ("warm", 1), ("step", 1000))
        ]
        print(f"{setup[0]:36s} " + "  ".join(cells))


if __name__ == "__main__":
    main()
