"""Explorers: sliders that redraw a chapter's figure.

In the rendered book there is no kernel, so the sliders do not redraw; each chapter shows the
figure for the default values as a plain figure first, and the explorer is for readers running
the notebook (locally or in Colab). Only core widgets are used, so ipywidgets 7 (Colab) and 8
both work.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt

from lrbook.plots import plot_descent_1d
from lrbook.toy import gradient_descent


def descent_explorer(
    loss, start, lr: float = 0.1, num_steps: int = 20, lr_range: tuple[float, float] = (1e-3, 2.0)
):
    """Sliders for the learning rate (log scale) and the number of steps of gradient descent
    on a one-parameter ``loss``, redrawing :func:`lrbook.plots.plot_descent_1d`."""
    low, high = lr_range
    if not 0 < low < high:
        raise ValueError(f"lr_range must satisfy 0 < low < high, got {lr_range!r}")

    def draw(lr: float, num_steps: int):
        path = gradient_descent(loss, start, lr, num_steps)
        plot_descent_1d(loss, path, title=f"learning rate {lr:.3g}, {num_steps} steps")
        plt.show()

    return widgets.interactive(
        draw,
        lr=widgets.FloatLogSlider(
            value=lr,
            base=10,
            min=math.log10(low),
            max=math.log10(high),
            step=0.05,
            description="rate",
            continuous_update=False,
        ),
        num_steps=widgets.IntSlider(
            value=num_steps, min=1, max=100, description="steps", continuous_update=False
        ),
    )
