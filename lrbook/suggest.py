"""Reading a learning rate off a range-test curve: pure functions of ``(lrs, losses)``.

Every rule takes the rates and the *raw* per-batch losses of a sweep, in order, and returns a
rate; none needs a model. Two lags stand between the curve and a good rate, and the rules
correct both.

**The EMA's lag.** The sweep's bias-corrected EMA (:func:`ema`) averages the last
~1/(1 - beta) steps, so its curve lies to the right of the raw one (with beta = 0.98 and the
default sweep, by one to three decades near the end), and a steepest point or a minimum read on
it is pulled to higher rates. The rules read the raw losses through a *lag-free* smoother
instead: a straight line fitted, in log10 of the rate, to the losses within ``HALF_WIDTH``
decades on either side of each point (a local linear regression, or first-order
Savitzky-Golay filter). Its value is the smoothed loss there, its slope ``d loss / d log10(lr)``;
the window is centred, so a descent shows where it happens.

**The sweep's own lag.** The loss at step t shows the effect of every update before it, and in
a sweep those updates grow geometrically: by step t the weights have moved as far as
``sum(lrs[:t])`` worth of steps, about ``lr_t / (q - 1)`` for a growth ``q`` per step (five
steps at ``lr_t`` in the default sweep, sixteen with 300 steps). So the loss falls fastest at a
*cumulative* rate, and the rate where that happens depends on the sweep's speed: it is a
quarter to half a decade above the best rate to train with at the default speed, and lower for
slower sweeps. The ``steepest`` rule therefore reports the rate that, held for
``STEEPEST_STEPS`` = 10 steps, covers what the sweep had covered when the loss fell fastest:
``sum(lrs[:t*]) / 10``. The 10 is measured, not derived: over 16 tasks (two datasets, an MLP
and a CNN, SGD with momentum and Adam, batch sizes 32 and 128) it put the suggestion at the
best rate of a grid of short trainings with no overall bias (mean error 0.33 decades, 60% of
the sweeps within a factor of 2; ``benchmarks/finder_suggestion.py``), and, in the design
measurements, equally for sweeps of 200 and 300 steps, where the steepest point itself sits
half a decade lower.

Rules (``METHODS``):

* ``steepest`` (the default): find ``t*``, where the lag-free loss falls fastest against log10
  of the rate, then return ``sum(lrs[:t*]) / STEEPEST_STEPS``.
* ``valley``: the middle, in log rate, of the descending stretch (from the last point at the
  starting level down to the lowest point), like fastai's ``valley``.
* ``minimum``: the rate at the lowest lag-free loss, divided by 10.

When the curve cannot carry a suggestion (too few points, no descending part, a divergence from
the first steps), the rules raise ``ValueError`` with a hint on how to change the sweep.
"""

from __future__ import annotations

import numpy as np

METHODS = ("steepest", "valley", "minimum")
HALF_WIDTH = 0.4  # decades on either side of a point for the lag-free fit
STEEPEST_STEPS = 10  # steps in which the steepest suggestion covers the sweep's distance
MIN_POINTS = 8  # finite points a curve needs before any rule reads it
SIGNIFICANCE = 4.0  # standard errors by which a descent or a rise must clear the noise


class EMA:
    """Bias-corrected exponential moving average, one value at a time.

    ``s_t = beta * s_{t-1} + (1 - beta) * L_t`` with ``s_0 = 0``, and :meth:`update` returns
    ``smoothed_t = s_t / (1 - beta**t)`` (the division removes the pull towards ``s_0 = 0``).
    """

    def __init__(self, beta: float):
        self.beta = beta
        self.average = 0.0
        self.count = 0

    def update(self, loss: float) -> float:
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * loss
        return self.average / (1 - self.beta**self.count)


def ema(losses, beta: float = 0.98) -> np.ndarray:
    """The bias-corrected EMA of ``losses`` (see :class:`EMA`), as an array."""
    smoother = EMA(beta)
    return np.array([smoother.update(float(loss)) for loss in losses], dtype="float64")


# ------------------------------------------------------------------------- the lag-free curve


def local_line(
    log_lrs: np.ndarray, losses: np.ndarray, half_width: float = HALF_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """Value and slope at each point of a line fitted to the points within ``half_width``.

    For point i, ordinary least squares over ``{j : |x_j - x_i| <= half_width}`` of
    ``losses_j ~ value_i + slope_i * (x_j - x_i)``, with ``x = log_lrs``.
    """
    values = np.empty(losses.size)
    slopes = np.empty(losses.size)
    for i, centre in enumerate(log_lrs):
        near = np.abs(log_lrs - centre) <= half_width * (1 + 1e-9)
        dx = log_lrs[near] - centre
        y = losses[near]
        spread = np.sum((dx - dx.mean()) ** 2)
        slopes[i] = np.sum((dx - dx.mean()) * (y - y.mean())) / spread if spread > 0 else 0.0
        values[i] = y.mean() - slopes[i] * dx.mean()
    return values, slopes


def lag_free(lrs, losses, half_width: float = HALF_WIDTH) -> np.ndarray:
    """The lag-free smoothed loss at each rate (NaN from the first non-finite loss on)."""
    lrs, losses = _as_arrays(lrs, losses)
    end = _finite_length(losses)
    curve = np.full(losses.size, np.nan)
    curve[:end], _ = local_line(np.log10(lrs[:end]), losses[:end], half_width)
    return curve


def _as_arrays(lrs, losses) -> tuple[np.ndarray, np.ndarray]:
    lrs = np.asarray(lrs, dtype="float64")
    losses = np.asarray(losses, dtype="float64")
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(
            f"lrs and losses must be 1-D and of the same length, got shapes {lrs.shape} and "
            f"{losses.shape}"
        )
    return lrs, losses


def _finite_length(losses: np.ndarray) -> int:
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) if bad.size else losses.size


# ------------------------------------------------------------------------ reading the curve


class Curve:
    """A sweep's curve, read: the finite points, their lag-free fit, and its descent.

    * ``level``: the starting loss, the median of the raw losses over the first window;
    * ``margin``: ``SIGNIFICANCE`` standard errors of (lag-free value - level);
    * ``end``: where the readable part stops: the first point, past the first window, where the
      lag-free loss is more than ``margin`` above ``level`` (the sweep has diverged there);
    * ``bottom``: the lowest lag-free point before ``end``;
    * ``start``: the last point before ``bottom`` still within ``margin`` of ``level``;
    * ``steepest``: the point of ``start .. bottom`` where the lag-free slope is lowest.

    Raises ``ValueError`` with a hint when there are fewer than ``MIN_POINTS`` finite points,
    when the loss never falls more than ``margin`` below ``level`` past the first window, or
    when it already falls at half its steepest pace over the first window.
    """

    def __init__(self, lrs, losses, half_width: float = HALF_WIDTH):
        lrs, losses = _as_arrays(lrs, losses)
        finite = _finite_length(losses)
        if finite < MIN_POINTS:
            raise ValueError(_too_few_points_message(finite, losses.size, lrs))
        self.lrs, self.losses = lrs[:finite], losses[:finite]
        self.log_lrs = np.log10(self.lrs)
        self.half_width = half_width
        self.values, self.slopes = local_line(self.log_lrs, self.losses, half_width)
        self.first_window = max(int(np.sum(self.log_lrs <= self.log_lrs[0] + 2 * half_width)), 4)
        self.level = float(np.median(self.losses[: self.first_window]))
        self.margin = SIGNIFICANCE * self._noise()
        self.end = self._divergence_start()
        self.bottom = int(np.argmin(self.values[: self.end]))
        if self.bottom < self.first_window or self.level - self.values[self.bottom] <= self.margin:
            raise ValueError(_no_descent_message(self))
        at_level = np.flatnonzero(self.values[: self.bottom] >= self.level - self.margin)
        self.start = int(at_level[-1]) if at_level.size else 0
        self.steepest = self.start + int(np.argmin(self.slopes[self.start : self.bottom + 1]))
        if np.mean(self.slopes[: self.first_window]) < 0.5 * self.slopes[self.steepest]:
            raise ValueError(
                f"The loss is already falling fast at the first rates ({self.lrs[0]:.3g} and "
                "up): the sweep starts inside the descent. Hint: lower min_lr."
            )

    def _noise(self) -> float:
        """Standard error of ``values - level``, from the raw losses' scatter about the fit.

        The scatter is estimated robustly (1.4826 times the median absolute deviation); a
        window of k points averages it down by sqrt(k), the level's median of m points by
        about sqrt(m) / 1.25.
        """
        residuals = self.losses - self.values
        scatter = 1.4826 * np.median(np.abs(residuals - np.median(residuals)))
        span = max(float(self.log_lrs[-1] - self.log_lrs[0]), 2 * self.half_width)
        per_window = max(1.0, self.losses.size * 2 * self.half_width / span)
        return float(scatter * np.sqrt(1 / per_window + 1.25**2 / self.first_window))

    def _divergence_start(self) -> int:
        later = self.values[self.first_window :]
        above = np.flatnonzero(later > self.level + self.margin)
        return self.first_window + int(above[0]) if above.size else self.values.size


def _too_few_points_message(finite: int, recorded: int, lrs: np.ndarray) -> str:
    where = f"the sweep stopped after {recorded} steps" if recorded else "the sweep is empty"
    first = f"{lrs[0]:.3g}" if lrs.size else "min_lr"
    return (
        f"The curve has {finite} finite points, fewer than {MIN_POINTS}: {where}. If the loss "
        f"diverged at once, the range starts too high: lower min_lr (it started at {first}). "
        "Otherwise, raise num_steps."
    )


def _no_descent_message(curve: Curve) -> str:
    rising = curve.bottom < curve.first_window and curve.end < curve.values.size
    shape = "rises from the first steps" if rising else "never falls clearly below its start"
    hint = (
        "the range starts too high: lower min_lr"
        if rising
        else "widen or shift the range (lower min_lr, raise max_lr), or raise num_steps; "
        "check that the targets match the inputs"
    )
    return (
        f"The loss {shape} between {curve.lrs[0]:.3g} and {curve.lrs[-1]:.3g}: there is no "
        f"descending part to read a rate from. Hint: {hint}."
    )


# ----------------------------------------------------------------------------------- rules


def steepest(lrs, losses) -> float:
    """``sum(lrs[:t*]) / STEEPEST_STEPS``, where ``t*`` is the steepest point of the descent.

    ``t*`` is the argmin of the lag-free ``d loss / d log10(lr)`` between the start of the
    descent and its lowest point; the sum is the distance the sweep had covered when its loss
    fell fastest (see the module docstring for why, and how 10 was measured).
    """
    curve = Curve(lrs, losses)
    return float(np.sum(curve.lrs[: curve.steepest]) / STEEPEST_STEPS)


def valley(lrs, losses) -> float:
    """``sqrt(lrs[start] * lrs[bottom])``: the middle, in log rate, of the descending stretch
    from the last point at the starting level to the lowest lag-free point."""
    curve = Curve(lrs, losses)
    return float(np.sqrt(curve.lrs[curve.start] * curve.lrs[curve.bottom]))


def minimum(lrs, losses) -> float:
    """``lrs[bottom] / 10``: the rate at the lowest lag-free loss, divided by 10."""
    curve = Curve(lrs, losses)
    return float(curve.lrs[curve.bottom] / 10)


RULES = {"steepest": steepest, "valley": valley, "minimum": minimum}


def suggest(lrs, losses, method: str = "steepest") -> float:
    """The rate that rule ``method`` (one of ``METHODS``) reads off the curve."""
    if method not in RULES:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return RULES[method](lrs, losses)


def lr_range(lrs, losses) -> tuple[float, float]:
    """``(low, high)`` bounds for a cyclical schedule, by Smith's recipe.

    ``high = lrs[bottom]``, where the lag-free loss stops falling (past it, training turns
    unstable: Smith's "where the loss stops decreasing"), and ``low = high / 4`` (Smith, 2017,
    sets the base rate to a third or a quarter of the maximum).
    """
    curve = Curve(lrs, losses)
    high = float(curve.lrs[curve.bottom])
    return high / 4, high
