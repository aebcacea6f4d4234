"""What only the book needs: the chapters' helpers, not part of the lrbook library.

Installed with the extra ``pip install "lrbook[book]"`` (matplotlib, ipywidgets, scikit-learn,
mnist1d). The library itself (``import lrbook``) never imports this package.

- :mod:`lrbook.book.data`: offline datasets (MNIST-1D, scikit-learn's digits).
- :mod:`lrbook.book.models`: the small networks the chapters train.
- :mod:`lrbook.book.determinism`: one seed for Python, NumPy and the backend.
- :mod:`lrbook.book.replicas`: train a network from several seeds at once, as one model.
- :mod:`lrbook.book.claims`: check (and log) what a chapter claims about a training result.
- :mod:`lrbook.book.toy`: toy losses (a bowl, sharp and flat minima, a saddle) and plain
  gradient descent on them.
- :mod:`lrbook.book.sharpness`: how much the loss rises under small random weight perturbations.
- :mod:`lrbook.book.landscape`: slices of a network's loss along filter-normalised random
  directions, and how much of a slice is not convex.
- :mod:`lrbook.book.diagnostics`: callbacks that record training in more detail.
- :mod:`lrbook.book.plots`: the book's figures, one module per topic.
- :mod:`lrbook.book.widgets`: the interactive explorers.
"""

from lrbook.book import data, models
from lrbook.book.determinism import make_deterministic

__all__ = ["data", "make_deterministic", "models"]
