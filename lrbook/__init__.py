"""lrbook: the learning-rate tools taught in the book, for Keras 3.

The public API:

- ``lr_find`` / ``LRFinder``: the range test; its ``LRFinderResult`` holds the sweep and reads
  a rate (``suggestion``) and bounds (``lr_range``) off it.
- ``StepDecay`` (and its function form ``step_decay``), ``CyclicalLR``, ``SGDR`` and
  ``OneCycle``: schedules that are pure functions of the optimizer step, run inside the
  compiled train step and save with the model.
- ``SnapshotEnsemble``: a ``Snapshot`` of the model kept at the end of every cycle, and their
  averaged prediction.
"""

from lrbook.finder import LRFinder, LRFinderResult, lr_find
from lrbook.schedules import SGDR, CyclicalLR, OneCycle, StepDecay, step_decay
from lrbook.snapshots import Snapshot, SnapshotEnsemble

__version__ = "0.1.0"

__all__ = [
    "SGDR",
    "CyclicalLR",
    "LRFinder",
    "LRFinderResult",
    "OneCycle",
    "Snapshot",
    "SnapshotEnsemble",
    "StepDecay",
    "lr_find",
    "step_decay",
]
