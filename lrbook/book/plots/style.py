"""The book's figure style: one width, white backgrounds, a light grid; fixed sizes."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

from lrbook.plotting import FIGSIZE as LIBRARY_FIGSIZE

FIGSIZE = LIBRARY_FIGSIZE  # one figure width for the whole book: the library's range test too
WIDE_FIGSIZE = (10.0, 3.6)  # side-by-side panels
STRIP_FIGSIZE = (7.0, 2.2)  # a short strip: one stage of a formula, several in a row

BOOK_STYLE = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book's figure style (size, white background, light grid) to matplotlib."""
    mpl.rcParams.update(BOOK_STYLE)


def new_axes(ax: plt.Axes | None = None, figsize: tuple[float, float] = FIGSIZE) -> plt.Axes:
    """Return ``ax`` if given, else the axes of a new figure of the book's size."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize)
    return ax
