"""Tests of what the chapter "The loss landscape" added to lrbook.book: its figures and its
explorer."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lrbook.book.plots import (
    FIGSIZE,
    WIDE_FIGSIZE,
    plot_landscape_contours,
    plot_landscape_surfaces,
    plot_line_slices,
)
from lrbook.book.plots.landscape import landscape_levels
from lrbook.book.widgets import landscape_explorer

GRID = np.linspace(-1, 1, 11)
A, B = np.meshgrid(GRID, GRID)
SLICES = {"bowl": 1 + A**2 + B**2, "steep": 1 + 100 * (A**2 + B**2)}


def test_levels_are_log_spaced_from_the_lowest_loss_to_vmax():
    levels = landscape_levels(SLICES, vmax=30)
    assert levels[0] == pytest.approx(0.95) and levels[-1] == pytest.approx(30)
    np.testing.assert_allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))


def test_contours_share_one_scale_and_mark_the_centre():
    axes = plot_landscape_contours(GRID, GRID, SLICES, vmax=30)
    assert len(axes) == 2
    assert tuple(axes[0].figure.get_size_inches()) == WIDE_FIGSIZE
    assert [ax.get_title() for ax in axes] == ["bowl", "steep"]
    norms = [ax.collections[0].norm for ax in axes]
    assert {(n.vmin, n.vmax) for n in norms} == {(norms[0].vmin, 30.0)}
    for ax in axes:
        (cross,) = [line for line in ax.lines if line.get_marker() == "x"]
        assert (cross.get_xdata()[0], cross.get_ydata()[0]) == (0, 0)
    plt.close("all")


def test_one_contour_panel_has_the_book_size():
    axes = plot_landscape_contours(GRID, GRID, {"bowl": SLICES["bowl"]})
    assert tuple(axes[0].figure.get_size_inches()) == FIGSIZE
    plt.close("all")


def test_surfaces_are_cut_at_vmax_on_the_same_axes():
    axes = plot_landscape_surfaces(GRID, GRID, SLICES, vmax=30)
    assert len(axes) == 2
    limits = {ax.get_zlim() for ax in axes}
    assert len(limits) == 1
    assert max(limits.pop()) == pytest.approx(np.log10(30))
    plt.close("all")


def test_line_slices_draw_one_colour_per_label():
    curves = {"one": np.ones(11), "three": np.ones((3, 11)) * 2}
    ax = plot_line_slices(GRID, curves, title="t")
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    solid = [line for line in ax.lines if line.get_linestyle() == "-"]
    assert len(solid) == 4
    assert {line.get_color() for line in solid[1:]} == {"C1"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one", "three"]
    plt.close("all")


def test_explorer_computes_each_slice_once():
    calls = []

    def slicer(network, directions, radius):
        calls.append((network, directions, radius))
        grid = np.linspace(-radius, radius, 5)
        a, b = np.meshgrid(grid, grid)
        return grid, grid, 1 + a**2 + b**2

    explorer = landscape_explorer(slicer, ["plain", "residual"], radius=1.0)
    assert isinstance(explorer, widgets.interactive)
    assert calls == [("plain", "filter-normalised", 1.0)]
    explorer.children[0].value = "residual"
    explorer.children[0].value = "plain"
    assert len(calls) == 2
    with pytest.raises(ValueError, match=r"landscape_explorer: `directions` must be one of"):
        landscape_explorer(slicer, ["plain"], directions="raw")
    plt.close("all")


def test_explorer_uses_slices_it_is_given():
    calls = []

    def slicer(network, directions, radius):
        calls.append(network)
        return None

    grid = np.linspace(-1, 1, 5)
    known = {("plain", "filter-normalised", 1.0): (grid, grid, np.ones((5, 5)) + grid**2)}
    explorer = landscape_explorer(slicer, ["plain"], radius=1.0, known=known)
    assert isinstance(explorer, widgets.interactive)
    assert calls == []
    plt.close("all")
