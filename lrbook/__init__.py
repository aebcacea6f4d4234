"""lrbook: the learning-rate tools taught in the book, for Keras 3.

The public API: ``lr_find`` / ``LRFinder`` (the range test), the schedules ``StepDecay``,
``CyclicalLR``, ``SGDR`` and ``OneCycle`` (pure functions of the optimizer step that run inside
the compiled train step and save with the model), and ``SnapshotEnsemble`` (a model kept at the
end of every cycle, and their averaged prediction).
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
