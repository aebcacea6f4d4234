"""Toy losses small enough to see, and plain gradient descent on them.

The chapters use these to show what the learning rate does before training a real network:
every trajectory here is a few lines of NumPy that a reader can check by hand.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrbook.checks import check_choice, check_int, check_real, require

Rate = float | Callable[[int], float]


@dataclass(frozen=True)
class Bowl:
    """A quadratic bowl with curvature ``h_i`` along axis ``i``:

        L(w) = 1/2 * sum_i h_i * w_i**2,     dL/dw_i = h_i * w_i.

    One gradient-descent step multiplies ``w_i`` by ``(1 - lr * h_i)``, so the iterates shrink
    when ``0 < lr < 2 / h_i``, overshoot and oscillate when ``lr > 1 / h_i``, and grow without
    bound when ``lr > 2 / h_i``.
    """

    curvatures: tuple[float, ...]

    def __post_init__(self):
        positive = bool(self.curvatures) and all(
            isinstance(h, numbers.Real) and h > 0 for h in self.curvatures
        )
        require("Bowl", "curvatures", self.curvatures, positive, "numbers > 0, at least one")

    @property
    def h(self) -> np.ndarray:
        return np.asarray(self.curvatures, dtype="float64")

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """The loss at ``w`` (the last axis holds the coordinates)."""
        return 0.5 * np.sum(self.h * np.asarray(w) ** 2, axis=-1)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        return self.h * np.asarray(w)

    @property
    def best_rate(self) -> float:
        """The fixed rate that contracts the slowest direction fastest, 2 / (h_min + h_max)."""
        return 2.0 / (self.h.min() + self.h.max())

    @property
    def largest_stable_rate(self) -> float:
        """Above 2 / h_max the steepest direction diverges."""
        return 2.0 / self.h.max()


def gradient_descent(loss, start, lr: Rate, num_steps: int) -> np.ndarray:
    """Run ``w_{t+1} = w_t - lr_t * grad L(w_t)`` from ``start`` for ``num_steps`` steps.

    ``loss`` needs a ``gradient(w)`` method; ``lr`` is a constant or a function of the step
    ``t``. Returns the path, an array of shape ``(num_steps + 1, dim)`` whose row ``t`` is
    ``w_t``. A path that overflows is ``inf``/``nan`` from there on, as the arithmetic gives.
    """
    num_steps = check_int("gradient_descent", "num_steps", num_steps, minimum=0)
    rate = lr if callable(lr) else (lambda step: lr)
    path = [np.atleast_1d(np.asarray(start, dtype="float64"))]
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(num_steps):
            path.append(path[-1] - rate(step) * loss.gradient(path[-1]))
    return np.stack(path)


@dataclass(frozen=True)
class SharpAndFlat:
    """Two minima of about the same depth in the plane, one sharp and one flat::

        L(w) = bowl/2 * |w|**2 - depth * exp(-|w - m_s|**2 / (2 s_s**2))
                               - depth * exp(-|w - m_f|**2 / (2 s_f**2))

    with centres ``m_s = sharp_center``, ``m_f = flat_center`` and widths
    ``s_s = sharp_width`` < ``s_f = flat_width``. Near its centre a well of width ``s`` has a
    curvature of about ``depth / s**2`` in every direction, so the sharp minimum is
    ``(s_f / s_s)**2`` times as curved as the flat one: by chapter 1's rule, gradient descent
    stays in it only at rates below ``2 / h_sharp``, and in the flat one up to ``2 / h_flat``.
    The weak ``bowl`` keeps every path bounded.
    """

    sharp_center: tuple[float, float] = (-1.0, 0.0)
    sharp_width: float = 0.15
    flat_center: tuple[float, float] = (1.0, 0.0)
    flat_width: float = 0.6
    depth: float = 1.0
    bowl: float = 0.2

    def __post_init__(self):
        for name in ("sharp_width", "flat_width", "depth", "bowl"):
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and value > 0
            require("SharpAndFlat", name, value, ok, "a number > 0")
        require(
            "SharpAndFlat",
            "flat_width",
            self.flat_width,
            self.flat_width > self.sharp_width,
            f"> sharp_width={self.sharp_width!r}",
        )

    def _wells(self):
        return (
            (np.asarray(self.sharp_center, dtype="float64"), self.sharp_width),
            (np.asarray(self.flat_center, dtype="float64"), self.flat_width),
        )

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """The loss at ``w`` (the last axis holds the two coordinates)."""
        w = np.asarray(w, dtype="float64")
        value = 0.5 * self.bowl * np.sum(w**2, axis=-1)
        for center, width in self._wells():
            value = value - self.depth * np.exp(-np.sum((w - center) ** 2, -1) / (2 * width**2))
        return value

    def gradient(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype="float64")
        grad = self.bowl * w
        for center, width in self._wells():
            offset = w - center
            well = self.depth * np.exp(-np.sum(offset**2, -1) / (2 * width**2))
            grad = grad + well[..., None] * offset / width**2
        return grad

    def hessian(self, w: np.ndarray) -> np.ndarray:
        """The 2 x 2 matrix of second derivatives at one point ``w``."""
        w = np.asarray(w, dtype="float64")
        hess = self.bowl * np.eye(2)
        for center, width in self._wells():
            offset = w - center
            well = self.depth * np.exp(-offset @ offset / (2 * width**2))
            hess = hess + well * (np.eye(2) / width**2 - np.outer(offset, offset) / width**4)
        return hess

    @functools.cached_property
    def _minima(self) -> dict[str, np.ndarray]:
        """Both minima, found once by Newton's method from the centres of their wells."""
        minima = {}
        for which, (w, _) in zip(("sharp", "flat"), self._wells(), strict=True):
            for _ in range(50):
                w = w - np.linalg.solve(self.hessian(w), self.gradient(w))
            minima[which] = w
        return minima

    def minimum(self, which: str) -> np.ndarray:
        """The minimum near the ``"sharp"`` or the ``"flat"`` well's centre (Newton's method)."""
        check_choice("SharpAndFlat.minimum", "which", which, ("sharp", "flat"))
        return self._minima[which].copy()

    def curvature(self, which: str) -> float:
        """The largest eigenvalue of the Hessian at the ``"sharp"`` or ``"flat"`` minimum."""
        return float(np.linalg.eigvalsh(self.hessian(self.minimum(which))).max())

    def basin(self, w: np.ndarray) -> str | None:
        """``"sharp"`` or ``"flat"`` if ``w`` lies within one width of that minimum (where its
        well is convex), else ``None``."""
        w = np.asarray(w, dtype="float64")
        for which, width in (("sharp", self.sharp_width), ("flat", self.flat_width)):
            if np.linalg.norm(w - self._minima[which]) < width:
                return which
        return None


@dataclass(frozen=True)
class Saddle:
    """A saddle point at the origin between two minima at ``(0, -1)`` and ``(0, 1)``:

        L(w) = up/2 * w_1**2 + down/4 * (w_2**2 - 1)**2.

    At the origin the curvature is ``up`` along ``w_1`` and ``-down`` along ``w_2``; at the
    minima it is ``up`` and ``2 * down``. Near the saddle one gradient-descent step multiplies
    ``w_2`` by about ``1 + lr * down``, so a path that starts a distance ``w_2`` off the ridge
    needs about ``log(1/2 / w_2) / log(1 + lr * down)`` steps to get halfway to a minimum:
    the larger the rate, the sooner it leaves the plateau around the saddle.
    """

    up: float = 1.0
    down: float = 1.0

    def __post_init__(self):
        for name in ("up", "down"):
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and value > 0
            require("Saddle", name, value, ok, "a number > 0")

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """The loss at ``w`` (the last axis holds the two coordinates)."""
        w = np.asarray(w, dtype="float64")
        return 0.5 * self.up * w[..., 0] ** 2 + 0.25 * self.down * (w[..., 1] ** 2 - 1) ** 2

    def gradient(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype="float64")
        return np.stack(
            [self.up * w[..., 0], self.down * (w[..., 1] ** 2 - 1) * w[..., 1]], axis=-1
        )

    def hessian(self, w: np.ndarray) -> np.ndarray:
        """The 2 x 2 matrix of second derivatives at one point ``w``."""
        w = np.asarray(w, dtype="float64")
        return np.diag([self.up, self.down * (3 * w[1] ** 2 - 1)])

    def escape_step(self, path: np.ndarray, distance: float = 0.5) -> int | None:
        """The first step at which ``path`` is ``distance`` or more off the ridge ``w_2 = 0``
        (halfway to a minimum, by default), or ``None`` if it never gets there."""
        away = np.abs(np.asarray(path)[:, 1]) >= distance
        return int(np.argmax(away)) if away.any() else None


def mean_noisy_loss(loss, start, rates, noise: float, num_runs: int, seed: int) -> np.ndarray:
    """The loss averaged over ``num_runs`` runs of gradient descent with a noisy gradient,

        w_{t+1} = w_t - lr_t * (grad L(w_t) + noise * xi_t),    xi_t ~ N(0, I),

    all from ``start``, each run with its own noise. ``rates`` holds one rate per step, or one
    row of rates per schedule (shape ``(num_schedules, num_steps)``); every schedule sees the
    same noise, drawn from ``numpy.random.default_rng(seed)`` step by step, so schedules differ
    only by their rates. Returns the mean loss at steps ``0 .. num_steps``: shape
    ``(num_steps + 1,)``, or ``(num_schedules, num_steps + 1)``.
    """
    noise = check_real("mean_noisy_loss", "noise", noise, ge=0)
    num_runs = check_int("mean_noisy_loss", "num_runs", num_runs, minimum=1)
    rates = np.asarray(rates, dtype="float64")
    require("mean_noisy_loss", "rates", rates.shape, rates.ndim in (1, 2), "1-D or 2-D")
    start = np.atleast_1d(np.asarray(start, dtype="float64"))
    rng = np.random.default_rng(seed)
    w = np.broadcast_to(start, (*rates.shape[:-1], num_runs, start.size)).copy()
    means = [loss(w).mean(axis=-1)]
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(rates.shape[-1]):
            xi = rng.standard_normal((num_runs, start.size))
            w = w - rates[..., step, None, None] * (loss.gradient(w) + noise * xi)
            means.append(loss(w).mean(axis=-1))
    return np.stack(means, axis=-1)


class NoisyGradient:
    """A loss whose gradient is only seen with noise, as a mini-batch gradient is the gradient of
    the whole training set plus noise. Each call of ``gradient`` draws fresh noise::

        g(w) = grad L(w) + noise * xi,     xi ~ N(0, I), one number per coordinate.

    ``loss`` needs a ``gradient(w)`` method (a :class:`Bowl`, for example); calling the noisy
    loss gives the exact loss. Two instances made with the same ``seed`` draw the same noise, so
    descents at different rates differ only in their rates. On a :class:`Bowl`, gradient
    descent at a fixed rate stops improving at the loss :func:`noise_floor` gives.
    :func:`mean_noisy_loss` runs many such descents at once, with the same noise for the same
    ``seed``, and keeps only their mean loss.
    """

    def __init__(self, loss, noise: float, seed: int):
        self.loss = loss
        self.noise = check_real("NoisyGradient", "noise", noise, ge=0)
        self.rng = np.random.default_rng(check_int("NoisyGradient", "seed", seed, minimum=0))

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return self.loss(w)

    def gradient(self, w: np.ndarray) -> np.ndarray:
        noise = self.noise * self.rng.standard_normal(np.shape(w))
        return self.loss.gradient(w) + noise


def noise_floor(bowl: Bowl, lr: float, noise: float) -> float:
    """The mean loss at which gradient descent at the fixed rate ``lr`` settles on ``bowl`` when
    the gradient carries Gaussian noise of standard deviation ``noise`` (:class:`NoisyGradient`)::

        floor = sum_i lr * noise**2 / (2 * (2 - lr * h_i)).

    Along a direction of curvature ``h`` a step is ``w <- (1 - lr*h) w - lr*noise*xi``; once the
    start is forgotten the variance ``v`` of ``w`` is the same before and after a step,
    ``v = (1 - lr*h)**2 v + lr**2 noise**2``, so ``v = lr noise**2 / (h (2 - lr h))`` and the
    mean of ``h w**2 / 2`` is the term above. For small rates it is about ``lr * noise**2 / 4``
    per direction; at or above the stability limit ``2 / h_max`` there is no floor (``inf``).
    """
    lr = check_real("noise_floor", "lr", lr, gt=0)
    noise = check_real("noise_floor", "noise", noise, ge=0)
    if lr >= bowl.largest_stable_rate:
        return math.inf
    return float(np.sum(lr * noise**2 / (2 * (2 - lr * bowl.h))))
