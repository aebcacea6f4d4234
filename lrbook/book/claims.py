"""Checks for what a chapter's text claims about a training result.

A chapter states an empirical finding as a direction or a range ("CLR is ahead on every seed",
"step decay gains 1 to 6 points"), and a hidden cell checks it with :func:`check_claim`: the
measured value must lie within the bounds, which are chosen with a margin from the spread over
seeds and machines. A failure names the claim, the value and the bounds.

When the environment variable ``LRBOOK_CLAIMS_LOG`` names a file, every check also appends one
JSON line to it: the claim, the value, the bounds, and the seed and oneDNN setting of the run.
``make robust`` collects these over its matrix of runs, and ``python tools/claims.py table``
prints, for each claim, how many runs checked it and the range of values they measured.
"""

from __future__ import annotations

import json
import math
import os
from importlib.metadata import version

LOG_VARIABLE = "LRBOOK_CLAIMS_LOG"


def check_claim(
    name: str, value: float, above: float | None = None, below: float | None = None
) -> float:
    """Assert ``above < value < below`` (either bound may be omitted) and log it; return it.

    ``name`` says what is measured, in the chapter's words, for example
    ``"ch4: step decay's gain in test accuracy over the constant rate, worst seed"``.
    """
    value = float(value)
    if os.environ.get(LOG_VARIABLE):
        _log(name, value, above, below)
    inside = math.isfinite(value)
    inside = inside and (above is None or value > above) and (below is None or value < below)
    assert inside, f"claim {name!r}: measured {value:.6g}, {_bounds_text(above, below)}"
    return value


def _bounds_text(above: float | None, below: float | None) -> str:
    parts = []
    if above is not None:
        parts.append(f"> {above:g}")
    if below is not None:
        parts.append(f"< {below:g}")
    return "expected " + " and ".join(parts) if parts else "expected a finite number"


def _log(name: str, value: float, above: float | None, below: float | None) -> None:
    record = {
        "claim": name,
        "value": value,
        "above": above,
        "below": below,
        "seed": os.environ.get("LRBOOK_SEED", "0"),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
        "keras": version("keras"),
    }
    with open(os.environ[LOG_VARIABLE], "a") as log:
        log.write(json.dumps(record) + "\n")
