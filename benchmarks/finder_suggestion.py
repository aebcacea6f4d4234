"""Does the finder's suggestion train well? Every rule against a grid search, held out.

**Tasks.** 36 small classification tasks: three offline datasets (MNIST-1D; scikit-learn's
digits, read as sequences of 64 pixels; ``synth``, a seeded ``make_classification`` problem of
32 features and 6 classes, read as a sequence of 32 values, generated here), three optimizers
(SGD with momentum 0.9, Adam, AdamW with weight decay 0.01), and per dataset and optimizer four
networks: an MLP of two hidden ReLU layers 32 or 128 units wide, and the 1-D CNN of
``lrbook.book.models.make_cnn`` (three convolutions, the last two of stride 2) with 8 or 16
filters. Batch sizes cycle through 16, 32, 64, 128, 256 along the task list. For each task:

* **the best fixed rate**: short trainings (4 epochs on MNIST-1D and synth, 8 on digits) at
  every rate of a quarter-decade grid (10^-3.25 to 10^0.75 for SGD, 10^-4.5 to 10^-0.5 for Adam
  and AdamW), from three seeds (initial weights and data order); the best rate has the lowest
  validation loss after the last epoch, averaged over the seeds. On every task it lies inside
  the grid;
* **the sweeps**: ``lr_find`` with its defaults (1e-7 to 10 in 100 steps) on a fresh network,
  from three other seeds; their raw losses are kept;
* each rule's **error** on each sweep, in decades, ``log10(suggested / best)`` (0.30 decades is
  a factor of 2), with the suggestion kept inside the swept range. lrbook's rules refuse some
  curves (no clear descent); a refused sweep is left out of the mean and max error and counts
  as a miss in the share within a factor of 2. fastai's rules never refuse.

**Held out.** The tasks are split into two halves of 18, fixed before measuring: within each
(dataset, optimizer) group of four networks, half A takes the narrow MLP and the wide CNN in
groups 0, 2, 4, ... and the wide MLP and the narrow CNN in the others; half B the rest. Each
half holds every dataset and optimizer six times, MLPs and CNNs nine times, and every batch
size three or four times. A rule's constant (the divisor of its rate) is fitted on one half, as the
median of its log ratio to the best rate there (what minimises the mean absolute error), and
scored on the other; the table gives both directions. Rules with a fixed constant (fastai's,
and lrbook's, whose constants were set before these tasks existed) are also scored on all
tasks. The candidate marked (*) was chosen by exploring half A only, before half B was scored.

**Fastai's baselines** are re-implemented from fastai's description (no fastai code): they read
the bias-corrected EMA (beta 0.98) of the losses without the first 10 and the last 5 points;
"minimum/10" is the rate at its lowest point over 10, "valley" the rate about halfway along the
longest decreasing run of it (see :func:`fastai_valley`).

**The trainings** run many copies of a network side by side as one Keras model: every layer
holds one set of weights per copy (an einsum over a leading copy axis; the convolution is
checked equal to ``keras.layers.Conv1D``), each copy is seeded on its own, and the optimizer
scales each copy's rate (and AdamW's decay) by its own factor inside its update, so one fit
trains a whole grid of rates, for SGD, Adam and AdamW alike, exactly as separate runs would (up
to float rounding). The copies share the batches; each seed is a separate fit with its own data
order. XLA compiles the trainings, so TensorFlow's op determinism stays off here.

**Findings** (the cached run): no rule comes near the goal of 0.2 decades held out; every rule
misses by 0.27 to 0.58 decades on average, and by 0.68 to 1.67 on its worst sweep. The misses
belong to the task more than to the sweep (the median of a task's three sweeps misses by as much
as one sweep), and they follow the batch size: with a fixed number of epochs, the best rate
grows with the batch size (about in proportion for SGD), while the suggestions do not, so
``steepest`` is 0.73 decades too high on average at batch size 16 and 0.41 too low at 256. A
rule that reads only the curve cannot see that. For scale, a single grid seed's best rate misses
the best of the other two seeds by 0.17 decades on average.

``--measure`` re-measures (18 minutes on two shared CPU cores) and rewrites the cache,
``benchmarks/finder_suggestion.json`` (one task per line); without it the script reads the cache
and prints the table in seconds; ``--tasks`` adds each task's errors. Run:
``python benchmarks/finder_suggestion.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from lrbook import suggest  # noqa: E402

CACHE = Path(__file__).with_name("finder_suggestion.json")

DATASETS = {"mnist1d": 4, "digits": 8, "synth": 4}  # name -> epochs of each grid training
OPTIMIZER_NAMES = ("sgdm", "adam", "adamw")
GRIDS = {"sgdm": (-3.25, 0.75), "adam": (-4.5, -0.5), "adamw": (-4.5, -0.5)}  # log10 rates
NETWORKS = (("mlp", 32), ("mlp", 128), ("cnn", 8), ("cnn", 16))
BATCH_SIZES = (16, 32, 64, 128, 256)
GRID_SEEDS = (0, 1, 2)
SWEEP_SEEDS = (10, 11, 12)
SWEEP = {"min_lr": 1e-7, "max_lr": 10.0, "num_steps": 100}  # lr_find's defaults
WEIGHT_DECAY = 0.01  # AdamW's


def tasks() -> list[dict]:
    """The 36 tasks, in a fixed order, each with its half ("A" or "B")."""
    out = []
    for group, (dataset, optimizer) in enumerate((d, o) for d in DATASETS for o in OPTIMIZER_NAMES):
        first = {NETWORKS[0], NETWORKS[3]} if group % 2 == 0 else {NETWORKS[1], NETWORKS[2]}
        for arch, width in NETWORKS:
            out.append(
                {
                    "dataset": dataset,
                    "optimizer": optimizer,
                    "arch": arch,
                    "width": width,
                    "batch_size": BATCH_SIZES[len(out) % len(BATCH_SIZES)],
                    "half": "A" if (arch, width) in first else "B",
                }
            )
    return out


def task_name(task: dict) -> str:
    return (
        f"{task['dataset']}/{task['arch']}{task['width']}/{task['optimizer']}/{task['batch_size']}"
    )


def grid_rates(optimizer: str) -> np.ndarray:
    first, last = GRIDS[optimizer]
    return 10.0 ** np.arange(first, last + 1e-9, 0.25)


def sweep_rates() -> np.ndarray:
    """The rates of ``lr_find``'s default exponential sweep."""
    n = SWEEP["num_steps"]
    return SWEEP["min_lr"] * (SWEEP["max_lr"] / SWEEP["min_lr"]) ** (np.arange(n) / (n - 1))


# --------------------------------------------------------------------------------------------
# Measuring (only with --measure: needs Keras, scikit-learn and mnist1d)
# --------------------------------------------------------------------------------------------


def load(name: str):
    """Train and validation splits as (n, length, 1) float32 sequences, and the class count."""
    from lrbook.book import data

    if name == "synth":
        from sklearn.datasets import make_classification

        x, y = make_classification(
            n_samples=5000,
            n_features=32,
            n_informative=12,
            n_redundant=8,
            n_classes=6,
            n_clusters_per_class=2,
            flip_y=0.03,
            random_state=0,
        )
        x = ((x - x[:4000].mean(0)) / x[:4000].std(0)).astype("float32")[..., None]
        y = y.astype("int32")
        return x[:4000], y[:4000], x[4000:], y[4000:], 6
    loader = data.load_mnist1d if name == "mnist1d" else data.load_digits
    (x, y), (x_val, y_val) = loader()
    return x.reshape(len(x), -1, 1), y, x_val.reshape(len(x_val), -1, 1), y_val, 10


def _keras_parts():
    """The Keras classes of the measurement, defined on first use (Keras imports slowly)."""
    import keras
    from keras import ops

    def glorot(seed: int, key: int, shape: tuple, fan_in: int, fan_out: int) -> np.ndarray:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return np.random.default_rng([seed, key]).uniform(-limit, limit, shape).astype("float32")

    class Copies(keras.layers.Layer):
        """A layer holding one kernel and bias per copy, stacked on a leading copy axis."""

        def __init__(self, seeds, units, key, shared_input, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.seeds = list(seeds)
            self.units = units
            self.key = key
            self.shared_input = shared_input
            self.activation = keras.activations.get(activation)

        def make_weights(self, rows: int, fan_in: int, fan_out: int) -> None:
            copies = len(self.seeds)
            self.fans = (rows, fan_in, fan_out)
            self.kernel = self.add_weight(shape=(copies, rows, self.units), initializer="zeros")
            self.bias = self.add_weight(shape=(copies, self.units), initializer="zeros")
            self.reset(self.seeds)

        def reset(self, seeds) -> None:
            """Fresh initial weights: copy k drawn from ``seeds[k]`` (the same for any K)."""
            rows, fan_in, fan_out = self.fans
            shape = (rows, self.units)
            self.kernel.assign(
                np.stack([glorot(s, self.key, shape, fan_in, fan_out) for s in seeds])
            )
            self.bias.assign(np.zeros(self.bias.shape, "float32"))

    class Dense(Copies):
        def build(self, input_shape):
            width = input_shape[-1]
            self.make_weights(width, width, self.units)

        def call(self, h):
            equation = "bi,kio->bko" if self.shared_input else "bki,kio->bko"
            return self.activation(ops.einsum(equation, h, self.kernel) + self.bias[None])

    class Conv1D(Copies):
        """``keras.layers.Conv1D(units, size, strides, padding="same")``, once per copy."""

        def __init__(self, seeds, units, key, shared_input, size, strides, **kwargs):
            super().__init__(seeds, units, key, shared_input, activation="relu", **kwargs)
            self.size = size
            self.strides = strides

        def build(self, input_shape):
            channels = input_shape[-1]
            self.make_weights(self.size * channels, self.size * channels, self.size * self.units)

        def call(self, h):
            length = h.shape[-2]
            out = -(-length // self.strides)
            total = max((out - 1) * self.strides + self.size - length, 0)
            pad = [[0, 0]] * (len(h.shape) - 2) + [[total // 2, total - total // 2], [0, 0]]
            h = ops.pad(h, pad)
            stop = (out - 1) * self.strides + 1
            patches = ops.concatenate(
                [h[..., j : j + stop : self.strides, :] for j in range(self.size)], axis=-1
            )
            equation = "blj,kjo->bklo" if self.shared_input else "bklj,kjo->bklo"
            bias = self.bias[None, :, None, :]
            return self.activation(ops.einsum(equation, patches, self.kernel) + bias)

    def rated(base):
        class Rated(base):
            """``base`` with copy k's rate (and weight decay) scaled by ``rate_factors[k]``."""

            def __init__(self, rate_factors, **kwargs):
                super().__init__(**kwargs)
                self.rate_factors = np.asarray(rate_factors, "float32")

            def _factor(self, variable):
                shape = (-1,) + (1,) * (len(variable.shape) - 1)
                return ops.reshape(ops.convert_to_tensor(self.rate_factors), shape)

            def update_step(self, gradient, variable, learning_rate):
                rate = ops.cast(learning_rate, variable.dtype) * self._factor(variable)
                return super().update_step(gradient, variable, rate)

            def _apply_weight_decay(self, variables):
                if self.weight_decay is None:
                    return
                for variable in variables:
                    if self._use_weight_decay(variable):
                        rate = ops.cast(self.learning_rate, variable.dtype)
                        decay = rate * self._factor(variable) * self.weight_decay
                        variable.assign(variable - variable * decay)

        return Rated

    return keras, ops, Dense, Conv1D, rated


def optimizer(name: str, rate: float = 1.0, rate_factors=None):
    """A fresh optimizer; with ``rate_factors``, one that trains copy k at ``rate * factor_k``."""
    keras = _keras_parts()[0]
    base, kwargs = {
        "sgdm": (keras.optimizers.SGD, {"momentum": 0.9}),
        "adam": (keras.optimizers.Adam, {}),
        "adamw": (keras.optimizers.AdamW, {"weight_decay": WEIGHT_DECAY}),
    }[name]
    if rate_factors is None:
        return base(learning_rate=rate, **kwargs)
    return _keras_parts()[4](base)(rate_factors, learning_rate=rate, **kwargs)


def build(arch: str, width: int, seeds, input_shape, classes: int):
    """``len(seeds)`` copies of the network side by side: logits of shape (batch, K, classes)."""
    keras, _, Dense, Conv1D, _ = _keras_parts()
    inputs = keras.Input(input_shape)
    if arch == "mlp":
        h = keras.layers.Flatten()(inputs)
        h = Dense(seeds, width, 0, True, "relu")(h)
        h = Dense(seeds, width, 1, False, "relu")(h)
    else:
        h = inputs
        for key, (size, strides) in enumerate([(5, 1), (3, 2), (3, 2)]):
            h = Conv1D(seeds, width, key, key == 0, size, strides)(h)
        h = keras.layers.Reshape((len(seeds), -1))(h)
    logits = Dense(seeds, classes, 9, False)(h)
    return keras.Model(inputs, logits)


def stacked_loss(y_true, logits):
    """The sum over copies of each copy's mean cross-entropy (its gradient is each copy's own)."""
    keras, ops = _keras_parts()[:2]
    copies = logits.shape[1]
    labels = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")
    labels = ops.broadcast_to(labels, (ops.shape(logits)[0], copies))
    losses = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return ops.sum(ops.mean(losses, axis=0))


def copy_losses(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each copy's mean cross-entropy; ``inf`` for a copy whose outputs are not finite."""
    logits = logits.astype("float64")
    top = logits.max(axis=-1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, y[:, None, None].astype(int), axis=-1)[..., 0]
    losses = -picked.mean(axis=0)
    return np.where(np.isfinite(losses), losses, np.inf)


def reset(model, seeds) -> None:
    for layer in model.layers:
        if hasattr(layer, "reset"):
            layer.reset(seeds)


def measure_task(task: dict) -> dict:
    """The grid's validation losses and the sweeps' raw losses of one task."""
    keras = _keras_parts()[0]
    from lrbook import lr_find

    x, y, x_val, y_val, classes = load(task["dataset"])
    rates = grid_rates(task["optimizer"])
    stacked = build(task["arch"], task["width"], [0] * rates.size, x.shape[1:], classes)
    stacked.compile(
        optimizer=optimizer(task["optimizer"], 1.0, rates),
        loss=stacked_loss,
        steps_per_execution=8,
        jit_compile=True,  # XLA: three times faster here
    )
    stacked.optimizer.build(stacked.trainable_variables)
    fresh = [np.array(v.numpy(), copy=True) for v in stacked.optimizer.variables]
    grid = []
    for seed in GRID_SEEDS:
        reset(stacked, [seed] * rates.size)
        for variable, value in zip(stacked.optimizer.variables, fresh, strict=True):
            variable.assign(value)
        keras.utils.set_random_seed(seed)
        stacked.fit(
            x, y, batch_size=task["batch_size"], epochs=DATASETS[task["dataset"]], verbose=0
        )
        logits = stacked.predict(x_val, batch_size=1000, verbose=0)
        grid.append(copy_losses(logits, y_val).tolist())
    single = build(task["arch"], task["width"], [0], x.shape[1:], classes)
    single.compile(optimizer=optimizer(task["optimizer"]), loss=stacked_loss)
    sweeps = []
    for seed in SWEEP_SEEDS:
        reset(single, [seed])
        keras.utils.set_random_seed(seed)
        order = np.random.default_rng(seed).permutation(len(x))
        result = lr_find(single, x[order], y[order], batch_size=task["batch_size"], **SWEEP)
        assert np.allclose(result.lrs, sweep_rates()[: result.lrs.size], rtol=1e-12)
        sweeps.append([float(f"{loss:.7g}") for loss in result.losses])
    return {
        **task,
        "rates": [float(f"{r:.6g}") for r in rates],
        "grid_losses": [[float(f"{v:.6g}") for v in row] for row in grid],
        "sweep_losses": sweeps,
    }


def measure(path: Path) -> None:
    # Seeds only: TensorFlow's op determinism would switch XLA off, and the trainings need it.
    warnings.filterwarnings("ignore", message="The loss")  # the finder's unreadable-curve note
    start = time.perf_counter()
    measured = []
    for index, task in enumerate(tasks()):
        began = time.perf_counter()
        measured.append({**measure_task(task), "seconds": round(time.perf_counter() - began, 1)})
        print(
            f"{index + 1:2d}/{len(tasks())} {task_name(task):28s} {measured[-1]['seconds']:5.1f} s"
        )
        _save(path, measured, time.perf_counter() - start, complete=index + 1 == len(tasks()))
    print(f"measured in {time.perf_counter() - start:.0f} s, saved to {path}")


def _save(path: Path, measured: list, seconds: float, complete: bool) -> None:
    """The cache as JSON, one task per line; a diverged training or a non-finite loss as null."""
    head = {
        "about": "benchmarks/finder_suggestion.py --measure: per task, the validation loss "
        "after each grid training (seeds x rates) and the raw losses of each lr_find sweep",
        "sweep": SWEEP,
        "grid_seeds": list(GRID_SEEDS),
        "sweep_seeds": list(SWEEP_SEEDS),
        "epochs": DATASETS,
        "seconds": round(seconds),
        "complete": complete,
    }
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    tasks = [f"    {json.dumps(_nulls(task), separators=(',', ':'))}" for task in measured]
    text = "{\n" + "\n".join(lines) + '\n  "tasks": [\n' + ",\n".join(tasks) + "\n  ]\n}\n"
    path.write_text(text)


def _nulls(value):
    if isinstance(value, dict):
        return {key: _nulls(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nulls(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_cache(path: Path) -> dict:
    """The cache, with null (a diverged training, a non-finite loss) read back as inf / NaN."""
    cache = json.loads(path.read_text())
    for task in cache["tasks"]:
        task["grid_losses"] = [
            [math.inf if v is None else v for v in r] for r in task["grid_losses"]
        ]
        task["sweep_losses"] = [
            [math.nan if v is None else v for v in r] for r in task["sweep_losses"]
        ]
    return cache


# --------------------------------------------------------------------------------------------
# The rules, on the cached curves
# --------------------------------------------------------------------------------------------


def fastai_curve(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The part of a sweep fastai's suggestions read: the bias-corrected EMA (beta 0.98) of the
    losses, without the first tenth of the planned steps and the last 5 recorded ones, and
    cut at the first non-finite value. Returns (lrs, smoothed)."""
    lrs = sweep_rates()[: losses.size]
    smoothed = suggest.ema(losses, 0.98)
    skip = SWEEP["num_steps"] // 10
    lrs, smoothed = lrs[skip : losses.size - 5], smoothed[skip : losses.size - 5]
    bad = np.flatnonzero(~np.isfinite(smoothed))
    end = int(bad[0]) if bad.size else smoothed.size
    return lrs[:end], smoothed[:end]


def fastai_minimum(losses: np.ndarray) -> float:
    """The rate at the lowest point of fastai's curve (:func:`fastai_curve`); fastai's
    "minimum" suggestion is this divided by 10."""
    lrs, smoothed = fastai_curve(losses)
    return float(lrs[int(np.argmin(smoothed))])


def fastai_valley(losses: np.ndarray) -> float:
    """fastai's "valley", re-implemented from its description: on fastai's curve, find for
    each point the longest strictly decreasing sequence of earlier points (not necessarily
    adjacent) ending there; take the first point where the longest of all ends, its start as
    that end minus the length, and return the rate a third plus a sixth (about half) of the
    way from start to end."""
    lrs, smoothed = fastai_curve(losses)
    longest = np.ones(smoothed.size, dtype=int)
    for i in range(1, smoothed.size):
        earlier = longest[:i][smoothed[:i] > smoothed[i]]
        if earlier.size:
            longest[i] = earlier.max() + 1
    end = int(np.argmax(longest))
    start = end - int(longest[end])
    third = (end - start) / 3
    return float(lrs[start + int(third) + int(third / 2)])


def features(losses: np.ndarray) -> dict[str, float]:
    """Each candidate rule's rate on one sweep, before its divisor; NaN where lrbook's curve
    reading refuses the sweep (fastai's rules never refuse)."""
    lrs = sweep_rates()[: losses.size]
    out = {"ema-minimum": fastai_minimum(losses), "fastai-valley": fastai_valley(losses)}
    try:
        curve = suggest.Curve(lrs, losses)
    except ValueError:
        return {**out, **dict.fromkeys(CURVE_FEATURES, math.nan)}
    out["steepest-sum"] = float(np.sum(curve.lrs[: curve.steepest]))
    out["lag-free-minimum"] = float(curve.lrs[curve.bottom])
    out["lag-free-valley"] = float(np.sqrt(curve.lrs[curve.start] * curve.lrs[curve.bottom]))
    out["steepest-x-minimum"] = float(np.sqrt(out["steepest-sum"] * out["lag-free-minimum"]))
    out["still-falling"] = float(curve.still_falling)
    return out


CURVE_FEATURES = (
    "steepest-sum",
    "lag-free-minimum",
    "lag-free-valley",
    "steepest-x-minimum",
    "still-falling",
)

# rule -> (feature, divisor); a divisor of None is fitted on the other half of the tasks.
# The suggestion is feature / divisor, kept inside the swept range.
RULES = {
    "fastai minimum/10": ("ema-minimum", 10.0),
    "fastai valley": ("fastai-valley", 1.0),
    "steepest (default)": ("steepest-sum", float(suggest.STEEPEST_STEPS)),
    "valley": ("lag-free-valley", 1.0),
    "minimum": ("lag-free-minimum", 10.0),
    "steepest, fitted": ("steepest-sum", None),
    "minimum, fitted (*)": ("lag-free-minimum", None),
    "valley, fitted": ("lag-free-valley", None),
    "steepest x minimum, fit": ("steepest-x-minimum", None),
    "fastai minimum, fitted": ("ema-minimum", None),
    "fastai valley, fitted": ("fastai-valley", None),
}


def best_rate(task: dict) -> tuple[float, bool]:
    """The grid rate with the lowest mean validation loss, and whether it is inside the grid."""
    mean = np.mean(task["grid_losses"], axis=0)
    best = int(np.argmin(mean))
    return float(task["rates"][best]), 0 < best < len(mean) - 1


def sweep_table(cache: dict) -> list[dict]:
    """One row per sweep: its task, half, best rate, swept range and every feature."""
    rows = []
    for task in cache["tasks"]:
        best, interior = best_rate(task)
        for seed, losses in zip(SWEEP_SEEDS, task["sweep_losses"], strict=True):
            losses = np.array(losses, dtype="float64")
            finite = int(np.sum(np.cumprod(np.isfinite(losses))))
            rows.append(
                {
                    "task": task_name(task),
                    "half": task["half"],
                    "seed": seed,
                    "best": best,
                    "interior": interior,
                    "low": float(sweep_rates()[0]),
                    "high": float(sweep_rates()[max(finite - 1, 0)]),
                    **features(losses),
                }
            )
    return rows


def errors(rows: list[dict], feature: str, divisor: float) -> np.ndarray:
    """log10(suggested / best) per sweep, the suggestion kept in the swept range; NaN where
    the rule refuses."""
    out = []
    for row in rows:
        rate = row[feature] / divisor
        if np.isfinite(rate):
            rate = min(max(rate, row["low"]), row["high"])
        out.append(math.log10(rate / row["best"]) if np.isfinite(rate) else math.nan)
    return np.array(out)


def fit_divisor(rows: list[dict], feature: str) -> float:
    """The divisor that centres the rule on the best rates of ``rows``: 10 ** the median of
    log10(feature / best) (the median minimises the mean absolute error)."""
    logs = [math.log10(r[feature] / r["best"]) for r in rows if np.isfinite(r[feature])]
    return float(10 ** np.median(logs))


def scores(e: np.ndarray) -> str:
    """Mean and max |error| over the suggestions made, the share of all sweeps within a factor
    of 2 (a refusal counts as a miss), the mean signed error, and the number of refusals."""
    made = e[np.isfinite(e)]
    within = np.sum(np.abs(made) <= math.log10(2)) / e.size
    refused = e.size - made.size
    return (
        f" {np.mean(np.abs(made)):5.2f} {np.max(np.abs(made)):5.2f} {within:4.0%}"
        f" {np.mean(made):+5.2f} {refused:3d} |"
    )


def report(cache: dict, show_tasks: bool = False) -> None:
    rows = sweep_table(cache)
    halves = {half: [r for r in rows if r["half"] == half] for half in ("A", "B")}
    counts = {half: len({r["task"] for r in halves[half]}) for half in halves}
    print(
        f"{len(cache['tasks'])} tasks ({counts['A']} in half A, {counts['B']} in B), "
        f"{len(SWEEP_SEEDS)} sweeps each; measured in {cache['seconds'] / 60:.0f} min.\n"
        "Errors in decades, log10(suggested / best), one per sweep: mean and max |error|, "
        "x2 = share of sweeps within\na factor of 2 (a refusal counts as a miss), bias = mean "
        "signed error, ref = sweeps the rule refused (left out of mean, max, bias)."
    )
    edge = [task_name(t) for t in cache["tasks"] if not best_rate(t)[1]]
    if edge:
        print(f"Best rate at the grid's edge: {', '.join(edge)}.")
    columns = f" {'mean':>5s} {'max':>5s} {'x2':>4s} {'bias':>5s} {'ref':>3s} |"
    print(
        f"\n{'rule':24s} {'divisor':>13s} |{'held out: B, fit on A':^30s}|"
        f"{'held out: A, fit on B':^30s}|{'all tasks (no fit)':^30s}"
    )
    print(f"{'':24s} {'A / B':>13s} |" + columns * 3)
    for name, (feature, divisor) in RULES.items():
        cells, divisors = [], []
        for fit, test in (("A", "B"), ("B", "A")):
            fitted = fit_divisor(halves[fit], feature) if divisor is None else divisor
            divisors.append(f"{fitted:.3g}")
            cells.append(scores(errors(halves[test], feature, fitted)))
        cells.append(scores(errors(rows, feature, divisor)) if divisor else "")
        shown = divisors[0] if divisor else " / ".join(divisors)
        print(f"{name:24s} {shown:>13s} |" + "".join(cells))
    floor = best_rate_spread(cache)
    print(
        "\n(*) chosen on half A, before half B was scored. Floor: the best rate of one grid "
        f"seed misses the best of the other two by {floor:.2f} decades on average."
    )
    if show_tasks:
        print_tasks(cache, rows)


def best_rate_spread(cache: dict) -> float:
    """Mean |log10| distance between one grid seed's best rate and the other seeds' best."""
    gaps = []
    for task in cache["tasks"]:
        losses, rates = np.array(task["grid_losses"]), np.log10(task["rates"])
        for seed in range(len(losses)):
            others = np.delete(losses, seed, axis=0).mean(axis=0)
            gaps.append(abs(rates[np.argmin(others)] - rates[np.argmin(losses[seed])]))
    return float(np.mean(gaps))


def print_tasks(cache: dict, rows: list[dict]) -> None:
    shown = ("steepest (default)", "fastai minimum/10", "minimum, fitted (*)")
    print(f"\n{'task':26s} half {'best':>7s}  " + "  ".join(f"{n:>20s}" for n in shown))
    print(f"{'':26s} {'':4s} {'':7s}  " + "  ".join(f"{'error of each sweep':>20s}" for _ in shown))
    for task in cache["tasks"]:
        mine = [r for r in rows if r["task"] == task_name(task)]
        cells = []
        for name in shown:
            feature, divisor = RULES[name]
            if divisor is None:
                other = "B" if task["half"] == "A" else "A"
                divisor = fit_divisor([r for r in rows if r["half"] == other], feature)
            picks = errors(mine, feature, divisor)
            cells.append(" ".join(f"{e:+6.2f}" if np.isfinite(e) else "    --" for e in picks))
        best = f"{mine[0]['best']:.2g}"
        print(f"{task_name(task):26s} {task['half']:4s} {best:>7s}  " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="re-measure (about 20 minutes)")
    parser.add_argument("--cache", type=Path, default=CACHE, help="the JSON file of results")
    parser.add_argument("--tasks", action="store_true", help="also print each task's errors")
    args = parser.parse_args()
    if args.measure:
        measure(args.cache)
    report(read_cache(args.cache), show_tasks=args.tasks)


if __name__ == "__main__":
    main()
