"""Toy losses small enough to see, and plain gradient descent on them.

The chapters use these to show what the learning rate does before training a real network:
every trajectory here is a few lines of NumPy that a reader can check by hand.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lrbook.checks import check_int, require

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
        """The fixed rate that contracts the slowest direction fastest: 2 / (h_min + h_max)."""
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
