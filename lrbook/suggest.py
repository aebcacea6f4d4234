"""Reading a learning rate off a range-test curve: pure functions of ``(lrs, losses)``.

Every rule takes the rates and the *raw* per-batch losses of a sweep, in order, and returns a
rate; none needs a model. Two lags stand between the curve and a good rate, and the rules
correct both.

**The sweep's spacing.** A sweep raises the rate by a constant factor per step (exponential,
``lr_find``'s default) or by a constant amount (``mode="linear"``). The rules work in the
sweep's own spacing: their coordinate ``x`` is ``log10(lr)`` for an exponential sweep, and for a
linear one the rate as a fraction of the swept span, ``(lr - lrs[0]) / (lrs[-1] - lrs[0])``.
Every window below is measured in ``x``: ``HALF_WIDTH`` = 0.4 decades on an exponential sweep,
``LINEAR_HALF_WIDTH`` = 0.05 of the span on a linear one (either way a tenth of the default
sweep per window). Each function takes ``spacing="exponential"`` or ``"linear"`` (the
``mode`` of ``lr_find``), or detects it from ``lrs`` when it is ``None`` (the default): the
spacing whose steps are more nearly equal (see :func:`sweep_spacing`).

**The EMA's lag.** The sweep's bias-corrected EMA (:func:`ema`) averages the last
~1/(1 - beta) steps, so its curve lies to the right of the raw one (with beta = 0.98 and the
default sweep, by one to three decades near the end), and a steepest point or a minimum read on
it is pulled to higher rates. The rules read the raw losses through a *lag-free* smoother
instead: a straight line fitted, in ``x``, to the losses within one half-width on either side
of each point (a local linear regression, or first-order Savitzky-Golay filter). Its value is
the smoothed loss there, its slope ``d loss / d x``; the window is centred, so a descent shows
where it happens.

**The sweep's own lag.** The loss at step t shows the effect of every update before it, and in
a sweep those updates grow: by step t the weights have moved as far as ``sum(lrs[:t])`` worth
of steps, about ``lr_t / (q - 1)`` for a growth ``q`` per step (five steps at ``lr_t`` in the
default sweep, 32 in a sweep of 300 steps over four decades). So the loss falls fastest at a
*cumulative* rate, and the rate where that happens depends on the sweep's speed. The
``steepest`` rule therefore reports the rate that, held for ``STEEPEST_STEPS`` = 10 steps,
covers what the sweep had covered when the loss fell fastest: ``sum(lrs[:t*]) / 10``. The 10
was measured on an earlier set of 16 tasks, where it centred the suggestions on the best rates
of short trainings. Refitted on either half of the current benchmark's tasks it moves (to 11.8
on one half, 7.3 on the other) and does no better on the other half than 10 does, so it stays.

Rules (``METHODS``):

* ``steepest`` (the default): find ``t*``, where the lag-free loss falls fastest against ``x``,
  then return ``sum(lrs[:t*]) / STEEPEST_STEPS``.
* ``valley``: the middle, in ``x``, of the descending stretch (from the last point at the
  starting level down to the lowest point), like fastai's ``valley``.
* ``minimum``: the rate at the lowest lag-free loss, divided by 10.

**How well they do.** ``benchmarks/finder_suggestion.py`` compares each rule with the best
rate of a quarter-decade grid of short trainings on 36 tasks (three offline datasets, MLPs and
CNNs of two widths, SGD with momentum, Adam and AdamW, batch sizes 16 to 256). No constant of
these rules was fitted on those tasks, so its figures are out of sample: over 108 sweeps,
``steepest`` misses the best rate by 0.44 decades on average and 1.32 at worst, lands within a
factor of 2 on 38% of the sweeps and refuses 13 of them; ``minimum`` 0.41, 1.01 and 38%;
``valley`` 0.48, 1.67 and 32%; fastai's "minimum / 10", on the same sweeps, 0.42, 1.19 and
45%. ``steepest`` stays the default because no rule met the benchmark's goal (0.2 decades on
average on tasks its constant was not fitted on), not because it is the best: the minimum of
the EMA divided by about 20, and the lag-free minimum divided by about 5 (each divisor fitted on
one half of the tasks), did better on the other half, and still missed by 0.27 to 0.43 decades
on average, within a factor of 2 on at most 56% of the sweeps (``steepest``: 0.36 and 0.51,
46% and 30%, on the same halves). The misses follow the batch size: the best rate of a few
epochs grows with it, a sweep's curve hardly does. Treat any suggestion as a first guess, to
be checked with a few short trainings around it.

Every suggestion lies inside the swept range, ``[lrs[0], the last finite rate]``: a rule whose
formula lands outside returns the nearer end. When the loss is still falling where the sweep
ended, ``Curve.still_falling`` says so, and :func:`lr_range` refuses to name an upper
bound. When the curve cannot carry a suggestion (too few points, no descending part, a
divergence from the first steps), the rules raise ``ValueError`` with a hint on how to change
the sweep.
"""

from __future__ import annotations

import numpy as np

from lrbook.checks import check_choice

METHODS = ("steepest", "valley", "minimum")
SPACINGS = ("exponential", "linear")
HALF_WIDTH = 0.4  # decades on either side of a point for the lag-free fit (exponential sweeps)
LINEAR_HALF_WIDTH = 0.05  # fraction of the swept span on either side (linear sweeps)
STEEPEST_STEPS = 10  # steps in which the steepest suggestion covers the sweep's distance
MIN_POINTS = 8  # finite points a curve needs before any rule reads it
SIGNIFICANCE = 4.0  # standard errors by which a descent or a rise must clear the noise


class EMA:
    """Bias-corrected exponential moving average, one value at a time.

    ``s_t = beta * s_{t-1} + (1 - beta) * L_t`` with ``s_0 = 0``, and :meth:`EMA.update` returns
    ``smoothed_t = s_t / (1 - beta**t)`` (the division removes the pull towards ``s_0 = 0``).
    """

    def __init__(self, beta: float):
        self.beta = beta
        self.average = 0.0
        self.count = 0

    def update(self, loss: float) -> float:
        """Add the loss ``L_t`` of the next step; return ``smoothed_t``."""
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * loss
        return self.average / (1 - self.beta**self.count)


def ema(losses, beta: float = 0.98) -> np.ndarray:
    """The bias-corrected EMA of ``losses`` (see :class:`EMA`), as an array."""
    smoother = EMA(beta)
    return np.array([smoother.update(float(loss)) for loss in losses], dtype="float64")


# ---------------------------------------------------------------------------- the spacing


def sweep_spacing(lrs) -> str:
    """``"linear"`` when the rates grow by more nearly equal steps than equal factors, else
    ``"exponential"``.

    The spread of the steps, ``(max - min) / mean``, is compared for ``diff(lrs)`` and
    ``diff(log(lrs))``; a sweep from ``lr_find`` has one of them equal to zero up to rounding.
    Fewer than three rates count as exponential.
    """
    lrs = np.asarray(lrs, dtype="float64")
    if lrs.size < 3:
        return "exponential"
    steps, factors = np.diff(lrs), np.diff(np.log(lrs))
    if np.ptp(steps) / np.mean(steps) < np.ptp(factors) / np.mean(factors):
        return "linear"
    return "exponential"


def _spacing(lrs: np.ndarray, spacing: str | None) -> str:
    if spacing is None:
        return sweep_spacing(lrs)
    if spacing not in SPACINGS:
        raise ValueError(f"spacing must be one of {SPACINGS} or None, got {spacing!r}")
    return spacing


def _coordinates(lrs: np.ndarray, spacing: str) -> np.ndarray:
    """``x``: log10 of the rates, or for a linear sweep the rates as a fraction of its span."""
    if spacing == "exponential":
        return np.log10(lrs)
    return (lrs - lrs[0]) / (lrs[-1] - lrs[0])


def _default_half_width(spacing: str) -> float:
    return HALF_WIDTH if spacing == "exponential" else LINEAR_HALF_WIDTH


# ------------------------------------------------------------------------- the lag-free curve


def local_line(x, losses, half_width: float = HALF_WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """Value and slope at each point of a line fitted to the points within ``half_width``.

    For point i, ordinary least squares over ``{j : |x_j - x_i| <= half_width}`` of
    ``losses_j ~ value_i + slope_i * (x_j - x_i)`` (slope 0 for a window of one point). ``x`` is
    the sweep's coordinate (``log10`` of the rates for an exponential sweep).
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(losses, dtype="float64")
    reach = half_width * (1 + 1e-9)
    if x.size < 2 or np.any(np.diff(x) <= 0):
        return _local_line_loop(x, y, reach)
    # Increasing x: each window is a contiguous run, and running sums give every fit at once.
    low = np.searchsorted(x, x - reach, side="left")
    high = np.searchsorted(x, x + reach, side="right")
    dx, dy = x - x.mean(), y - y.mean()

    def window_sum(values):
        running = np.concatenate([[0.0], np.cumsum(values)])
        return running[high] - running[low]

    count = (high - low).astype("float64")
    mean_x, mean_y = window_sum(dx) / count, window_sum(dy) / count
    spread = window_sum(dx * dx) - count * mean_x**2
    covariance = window_sum(dx * dy) - count * mean_x * mean_y
    slopes = np.where(count > 1, covariance / np.where(count > 1, spread, 1.0), 0.0)
    values = y.mean() + mean_y + slopes * (dx - mean_x)
    return values, slopes


def _local_line_loop(x: np.ndarray, y: np.ndarray, reach: float):
    values = np.empty(y.size)
    slopes = np.empty(y.size)
    for i, centre in enumerate(x):
        near = np.abs(x - centre) <= reach
        dx = x[near] - centre
        spread = np.sum((dx - dx.mean()) ** 2)
        yn = y[near]
        slopes[i] = np.sum((dx - dx.mean()) * (yn - yn.mean())) / spread if spread > 0 else 0.0
        values[i] = yn.mean() - slopes[i] * dx.mean()
    return values, slopes


def lag_free(lrs, losses, half_width: float | None = None, spacing: str | None = None):
    """The lag-free smoothed loss at each rate (NaN from the first non-finite loss on).

    ``half_width`` is in the sweep's coordinate (decades, or a fraction of a linear sweep's
    span); by default ``HALF_WIDTH`` or ``LINEAR_HALF_WIDTH``.
    """
    lrs, losses = _as_arrays(lrs, losses)
    spacing = _spacing(lrs, spacing)
    if half_width is None:
        half_width = _default_half_width(spacing)
    end = _finite_length(losses)
    curve = np.full(losses.size, np.nan)
    if end:
        curve[:end], _ = local_line(_coordinates(lrs, spacing)[:end], losses[:end], half_width)
    return curve


def _as_arrays(lrs, losses) -> tuple[np.ndarray, np.ndarray]:
    lrs = np.asarray(lrs, dtype="float64")
    losses = np.asarray(losses, dtype="float64")
    if lrs.shape != losses.shape or lrs.ndim != 1:
        raise ValueError(
            f"lrs and losses must be 1-D and of the same length, got shapes {lrs.shape} and "
            f"{losses.shape}"
        )
    if lrs.size and not (np.all(np.isfinite(lrs)) and lrs[0] > 0 and np.all(np.diff(lrs) > 0)):
        raise ValueError(
            "lrs must be positive, finite and increasing (the rates of a sweep, in order), got "
            f"rates from {lrs[0]:.3g} to {lrs[-1]:.3g}"
        )
    return lrs, losses


def _finite_length(losses: np.ndarray) -> int:
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) if bad.size else losses.size


# ------------------------------------------------------------------------ reading the curve


class Curve:
    """A sweep's curve, read: the finite points, their lag-free fit, and its descent.

    * ``spacing``: ``"exponential"`` or ``"linear"``; ``x``: the finite points' coordinate in
      that spacing, and ``half_width`` the fit's window in ``x`` (``log_lrs`` is always
      ``log10(lrs)``);
    * ``values``, ``slopes``: the lag-free loss and its slope ``d loss / d x`` at each point;
    * ``level``: the starting loss, the median of the raw losses over the first window;
    * ``margin``: ``SIGNIFICANCE`` standard errors of (lag-free value - level);
    * ``end``: where the readable part stops: the first point, past the first window, where the
      lag-free loss is more than ``margin`` above ``level`` (the sweep has diverged there);
    * ``bottom``: the lowest lag-free point before ``end``;
    * ``start``: the last point before ``bottom`` still within ``margin`` of ``level``;
    * ``steepest``: the point of ``start .. bottom`` where the lag-free slope is lowest;
    * ``still_falling``: the loss was still going down where the sweep ended, so the sweep
      shows no rate at which it stops falling. Exactly: every recorded loss is finite (no
      blow-up ended the sweep); ``bottom`` lies in the last window, the points within one
      ``half_width`` (in ``x``) of the last rate; over that window the lag-free loss falls by
      more than ``margin`` down to ``bottom`` (a curve that has levelled off does not count);
      and after ``bottom`` it rises by no more than ``margin``.

    Raises ``ValueError`` with a hint when there are fewer than ``MIN_POINTS`` finite points,
    when the loss never falls more than ``margin`` below ``level`` past the first window, or
    when it already falls at half its steepest pace over the first window.
    """

    def __init__(self, lrs, losses, half_width: float | None = None, spacing: str | None = None):
        lrs, losses = _as_arrays(lrs, losses)
        finite = _finite_length(losses)
        if finite < MIN_POINTS:
            raise ValueError(_too_few_points_message(finite, losses.size, lrs))
        self.spacing = _spacing(lrs, spacing)
        self.half_width = _default_half_width(self.spacing) if half_width is None else half_width
        self.x = _coordinates(lrs, self.spacing)[:finite]
        self._span = (float(lrs[0]), float(lrs[-1]))  # all recorded rates: linear x's units
        self.lrs, self.losses = lrs[:finite], losses[:finite]
        self.log_lrs = np.log10(self.lrs)
        self.values, self.slopes = local_line(self.x, self.losses, self.half_width)
        self.first_window = max(int(np.sum(self.x <= self.x[0] + 2 * self.half_width)), 4)
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
            raise ValueError(_falling_at_start_message(self))
        self.still_falling = self._still_falling(finite == losses.size)

    def _still_falling(self, all_finite: bool) -> bool:
        last_window = np.flatnonzero(self.x >= self.x[-1] - self.half_width * (1 + 1e-9))[0]
        lowest = self.values[self.bottom]
        return bool(
            all_finite
            and self.bottom >= last_window
            and self.values[last_window] - lowest > self.margin
            and self.values[-1] - lowest <= self.margin
        )

    def clip(self, rate: float) -> float:
        """``rate`` moved into the swept range ``[lrs[0], lrs[-1]]`` (finite points only)."""
        return float(min(max(rate, self.lrs[0]), self.lrs[-1]))

    def rate_at(self, x: float) -> float:
        """The rate at coordinate ``x`` of the sweep's spacing."""
        if self.spacing == "exponential":
            return float(10.0**x)
        first, last = self._span
        return float(first + x * (last - first))

    def _noise(self) -> float:
        """Standard error of ``values - level``, from the raw losses' scatter about the fit.

        The scatter is estimated robustly (1.4826 times the median absolute deviation); a
        window of k points averages it down by sqrt(k), the level's median of m points by
        about sqrt(m) / 1.25.
        """
        residuals = self.losses - self.values
        scatter = 1.4826 * np.median(np.abs(residuals - np.median(residuals)))
        span = max(float(self.x[-1] - self.x[0]), 2 * self.half_width)
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


def still_falling_message(curve: Curve) -> str:
    """Why a ``still_falling`` :class:`Curve` shows no upper bound, with the hint."""
    return (
        f"The loss is still falling where the sweep ends (its lowest point, at "
        f"{curve.lrs[curve.bottom]:.3g}, is within the last window before "
        f"{curve.lrs[-1]:.3g}): the sweep shows no upper bound, and the best rate may lie "
        "above it. Hint: raise max_lr."
    )


def _falling_at_start_message(curve: Curve) -> str:
    hint = "lower min_lr"
    if curve.spacing == "linear":
        hint += (
            "; a linear sweep must also leave the first tenth of its span before the descent: "
            "lower max_lr, or sweep with mode='exponential'"
        )
    return (
        f"The loss is already falling fast at the first rates ({curve.lrs[0]:.3g} and up): "
        f"the sweep starts inside the descent. Hint: {hint}."
    )


# ----------------------------------------------------------------------------------- rules


def steepest(lrs, losses, spacing: str | None = None) -> float:
    """``sum(lrs[:t*]) / STEEPEST_STEPS``, where ``t*`` is the steepest point of the descent.

    ``t*`` is the argmin of the lag-free ``d loss / d x`` between the start of the descent and
    its lowest point; the sum is the distance the sweep had covered when its loss fell fastest
    (see the module docstring). Kept inside the swept range.
    """
    curve = Curve(lrs, losses, spacing=spacing)
    return curve.clip(np.sum(curve.lrs[: curve.steepest]) / STEEPEST_STEPS)


def valley(lrs, losses, spacing: str | None = None) -> float:
    """The middle, in the sweep's coordinate ``x``, of the descending stretch from the last
    point at the starting level to the lowest lag-free point: ``sqrt(lrs[start] * lrs[bottom])``
    for an exponential sweep, ``(lrs[start] + lrs[bottom]) / 2`` for a linear one."""
    curve = Curve(lrs, losses, spacing=spacing)
    return curve.clip(curve.rate_at((curve.x[curve.start] + curve.x[curve.bottom]) / 2))


def minimum(lrs, losses, spacing: str | None = None) -> float:
    """``lrs[bottom] / 10``: the rate at the lowest lag-free loss, divided by 10 (at least
    ``lrs[0]``)."""
    curve = Curve(lrs, losses, spacing=spacing)
    return curve.clip(curve.lrs[curve.bottom] / 10)


RULES = {"steepest": steepest, "valley": valley, "minimum": minimum}


def suggest(lrs, losses, method: str = "steepest", spacing: str | None = None) -> float:
    """The rate that rule ``method`` (one of ``METHODS``) reads off the curve."""
    check_choice("suggest", "method", method, METHODS)
    return RULES[method](lrs, losses, spacing=spacing)


def lr_range(lrs, losses, spacing: str | None = None) -> tuple[float, float]:
    """``(low, high)`` bounds for a cyclical schedule, by Smith's recipe.

    ``high = lrs[bottom]``, where the lag-free loss stops falling (past it, training turns
    unstable: Smith's "where the loss stops decreasing"), and ``low = high / 4`` (Smith, 2017,
    sets the base rate to a third or a quarter of the maximum). Raises ``ValueError`` when the
    :class:`Curve` is ``still_falling`` (the sweep never reached the rate where the loss
    stops falling), as well as when it has no descent.
    """
    curve = Curve(lrs, losses, spacing=spacing)
    if curve.still_falling:
        raise ValueError(still_falling_message(curve))
    high = float(curve.lrs[curve.bottom])
    return high / 4, high
