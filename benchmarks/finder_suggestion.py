"""Does the finder's suggestion train well? Each rule against a grid search, on 16 small tasks.

A task is a dataset (MNIST-1D; scikit-learn's digits, read as sequences of 64 pixels), a model
(``make_mlp`` or ``make_cnn``), an optimizer (SGD with momentum 0.9, or Adam) and a batch size
(32 or 128). For each task:

* the best fixed rate: short trainings (5 epochs on MNIST-1D, 10 on digits) at every rate of a
  quarter-decade grid, from the same initial weights, for two seeds; the best rate has the
  lowest validation loss after the last epoch, averaged over the seeds;
* the finder: ``lr_find`` with its defaults (1e-7 to 10 in 100 steps) on a fresh model, for
  three seeds (weights and data order), and each rule's suggestion;
* the error of each rule in decades, ``log10(suggested / best)``; 0.3 decades is a factor of 2.
  For comparison, ``ema-steepest`` is the uncorrected rule most finders use: the steepest
  point of the EMA-smoothed curve (first 10 and last 5 points left out).

It prints a row per task (the first seed's picks), then for each rule the mean, largest and
mean signed error over all tasks and seeds, and the share within a factor of 2. Takes about
10 minutes on two CPU cores. Run: ``python benchmarks/finder_suggestion.py``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lrbook import data, lr_find, models  # noqa: E402
from lrbook.determinism import make_deterministic  # noqa: E402
from lrbook.suggest import METHODS  # noqa: E402

DATASETS = {"mnist1d": 5, "digits": 10}  # name -> epochs of each grid training
MODELS = {"mlp": models.make_mlp, "cnn": models.make_cnn}
OPTIMIZERS = {
    "sgdm": (lambda: keras.optimizers.SGD(0.01, momentum=0.9), (-2.5, 0.0)),
    "adam": (lambda: keras.optimizers.Adam(1e-3), (-3.5, -1.0)),
}  # name -> (optimizer, grid exponents: first and last, in decades)
BATCH_SIZES = (32, 128)


def load(name: str):
    """Train and validation splits, as (n, length, 1) sequences."""
    loader = data.load_mnist1d if name == "mnist1d" else data.load_digits
    (x, y), (x_val, y_val) = loader()
    return x.reshape(len(x), -1, 1), y, x_val.reshape(len(x_val), -1, 1), y_val


def build(model_name: str, optimizer_name: str, x, seed: int, steps_per_execution: int = 1):
    model = MODELS[model_name](seed, input_shape=x.shape[1:])
    model.compile(
        optimizer=OPTIMIZERS[optimizer_name][0](),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=steps_per_execution,
    )
    return model


def grid_rates(optimizer_name: str) -> np.ndarray:
    first, last = OPTIMIZERS[optimizer_name][1]
    return 10.0 ** np.arange(first, last + 1e-9, 0.25)


def final_val_losses(task, rates, seed: int) -> np.ndarray:
    """Validation loss after the last epoch of a training at each rate, same initial state."""
    dataset, model_name, optimizer_name, batch_size = task
    x, y, x_val, y_val = load(dataset)
    model = build(model_name, optimizer_name, x, seed, steps_per_execution=8)
    model.optimizer.build(model.trainable_variables)
    state = model.variables + model.optimizer.variables
    initial = [np.array(v.numpy(), copy=True) for v in state]
    losses = []
    for rate in rates:
        for variable, value in zip(state, initial, strict=True):
            variable.assign(value)
        model.optimizer.learning_rate = float(rate)
        keras.utils.set_random_seed(seed)
        history = model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=DATASETS[dataset],
            validation_data=(x_val, y_val),
            verbose=0,
        )
        loss = history.history["val_loss"][-1]
        losses.append(loss if np.isfinite(loss) else np.inf)
    return np.array(losses)


def best_rate(task, seeds) -> tuple[float, bool]:
    """The grid rate with the lowest mean final validation loss, and whether it is interior."""
    rates = grid_rates(task[2])
    mean_loss = np.mean([final_val_losses(task, rates, seed) for seed in seeds], axis=0)
    best = int(np.argmin(mean_loss))
    return float(rates[best]), 0 < best < rates.size - 1


def ema_steepest(result, skip_start: int = 10, skip_end: int = 5) -> float:
    """The uncorrected rule, for comparison, as torch-lr-finder reads it: the steepest descent
    of the EMA against log10(lr), leaving out the first 10 and the last 5 points."""
    kept = slice(skip_start, max(skip_start + 2, result.lrs.size - skip_end))
    slopes = np.gradient(result.smoothed[kept], np.log10(result.lrs[kept]))
    return float(result.lrs[kept][int(np.argmin(slopes))])


RULES = {method: (lambda result, method=method: result.suggestion(method)) for method in METHODS}
RULES["ema-steepest"] = ema_steepest


def rule_errors(task, best: float, seed: int) -> dict[str, tuple[float, float]]:
    """Each rule's pick on a fresh model's sweep and its error in decades (NaN if it refused)."""
    dataset, model_name, optimizer_name, batch_size = task
    x, y, _, _ = load(dataset)
    order = np.random.default_rng(seed).permutation(len(x))
    model = build(model_name, optimizer_name, x, seed)
    result = lr_find(model, x[order], y[order], batch_size=batch_size)
    picks = {}
    for name, rule in RULES.items():
        try:
            rate = rule(result)
            picks[name] = (rate, float(np.log10(rate / best)))
        except ValueError:
            picks[name] = (float("nan"), float("nan"))
    return picks


def summarize(errors: dict[str, list[float]]) -> None:
    print("\nrule          mean|err|  max|err|  bias   within x2  (decades; all tasks and seeds)")
    for name, values in errors.items():
        e = np.array(values)
        refused = int(np.isnan(e).sum())
        e = e[~np.isnan(e)]
        print(
            f"{name:13s} {np.abs(e).mean():8.2f} {np.abs(e).max():9.2f} {e.mean():+6.2f}"
            f" {np.mean(np.abs(e) <= np.log10(2)):9.0%}"
            + (f"  ({refused} refused)" if refused else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-seeds", type=int, default=2)
    parser.add_argument("--sweep-seeds", type=int, default=3)
    args = parser.parse_args()
    make_deterministic(0)
    start = time.perf_counter()
    tasks = list(itertools.product(DATASETS, MODELS, OPTIMIZERS, BATCH_SIZES))
    errors: dict[str, list[float]] = {name: [] for name in RULES}
    header = "".join(f" {name:>16s}" for name in RULES)
    print(f"{'task':26s} {'best':>8s}{header}   (pick, error in decades; first sweep seed)")
    for task in tasks:
        best, interior = best_rate(task, range(args.grid_seeds))
        runs = [rule_errors(task, best, seed) for seed in range(args.sweep_seeds)]
        for name in RULES:
            errors[name] += [run[name][1] for run in runs]
        cells = "".join(f" {runs[0][name][0]:9.2g} {runs[0][name][1]:+5.2f}" for name in RULES)
        edge = "" if interior else "  (best at the grid's edge)"
        print(f"{'/'.join(map(str, task)):26s} {best:8.2g}{cells}{edge}", flush=True)
    summarize(errors)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
