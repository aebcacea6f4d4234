"""Benchmark results recorded on a named machine, shipped with the book's helpers so that a
chapter can draw them without running a benchmark of several minutes, offline and in Colab.

Each record is a JSON file written by a script in ``benchmarks/`` with ``--json`` (for
example ``python benchmarks/schedules.py --json``), holding the machine, the versions, the load
of the machine while it ran, and every number the script printed.
"""

from __future__ import annotations

import json
from importlib import resources


def available() -> list[str]:
    """The names of the records shipped with the book."""
    folder = resources.files(__name__)
    return sorted(
        entry.name[: -len(".json")] for entry in folder.iterdir() if entry.name.endswith(".json")
    )


def load_record(name: str) -> dict:
    """The record ``name`` (``"schedules"``: what a learning-rate schedule costs in training)."""
    path = resources.files(__name__) / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"load_record: no record named {name!r}; the records are {available()}")
    return json.loads(path.read_text(encoding="utf-8"))
