"""Argument checks: every error of the library and the book's helpers goes through them.

Each check raises ``ValueError`` naming the owner, the parameter, what is allowed and the value
it got, for example ``SGDR: `t_mul` must be a number >= 1; got t_mul=0.5.``, and returns the
value converted to a plain Python number. Nothing is changed before a check passes.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

_BOUNDS = {
    "gt": (">", operator.gt),
    "ge": (">=", operator.ge),
    "lt": ("<", operator.lt),
    "le": ("<=", operator.le),
}


def require(
    owner: str, name: str, value: Any, ok: bool, allowed: str, got: str | None = None
) -> None:
    """Raise ``ValueError`` unless ``ok``: ``{owner}: `{name}` must be {allowed}; got {got}.``

    ``got`` describes what was given; by default ``{name}={value!r}``.
    """
    if not ok:
        shown = f"{name}={value!r}" if got is None else got
        raise ValueError(f"{owner}: `{name}` must be {allowed}; got {shown}.")


def check_real(owner: str, name: str, value: Any, finite: bool = True, **bounds: float) -> float:
    """``value`` as a float, if it is a real number (finite, unless ``finite=False``) within
    ``bounds`` (gt, ge, lt, le)."""
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    is_real = is_real and not (finite and not math.isfinite(value))
    within = is_real and all(_BOUNDS[key][1](value, bound) for key, bound in bounds.items())
    limits = " and ".join(f"{_BOUNDS[key][0]} {bound}" for key, bound in bounds.items())
    require(owner, name, value, within, f"a {'finite ' if finite else ''}number {limits}")
    return float(value)


def check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` as an int, if it is an integer >= ``minimum``."""
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    require(owner, name, value, is_int and value >= minimum, f"an integer >= {minimum}")
    return int(value)


def check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    """``value``, if it is one of ``choices``."""
    require(owner, name, value, value in choices, f"one of {choices}")
    return value


def check_above(owner: str, name: str, value: float, lower_name: str, lower: float) -> None:
    """Raise unless ``value > lower`` (two parameters in the right order)."""
    require(owner, name, value, value > lower, f"> {lower_name}={lower!r}")
