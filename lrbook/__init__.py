"""lrbook: the learning-rate tools taught in the book, for Keras 3.

The public API: ``lr_find`` / ``LRFinder`` (the range test), the schedules ``StepDecay``,
``CyclicalLR``, ``SGDR`` and ``OneCycle`` (pure functions of the optimizer step that run inside
the compiled train step and save with the model), and ``SnapshotEnsemble``.
"""

from lrbook import data, models
from lrbook.determinism import make_deterministic

__version__ = "0.1.0"

__all__ = [
    "data",
    "make_deterministic",
    "models",
]
