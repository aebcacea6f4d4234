"""Figures of the chapter "In practice with Keras": the recorded cost of each way of setting the
rate, and the rate each step actually trained with."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.style import WIDE_FIGSIZE, new_axes


def overhead_table(
    record: dict, clock: str = "wall-clock"
) -> tuple[list[str], list[str], np.ndarray]:
    """From the ``schedules`` record (``lrbook.book.records.load_record``): the set-ups
    (``"batch 32\\n1 step per call"``), the variants (every way of setting the rate except the
    constant one), and their ratios, an array ``(set-ups, variants)`` of epoch time over the
    constant rate's."""
    runs = record["runs"]
    variants = [name for name in runs[0][clock] if name != "constant"]
    setups = [
        f"batch {run['batch_size']}\n{run['steps_per_execution']} "
        + ("step" if run["steps_per_execution"] == 1 else "steps")
        + " per call"
        for run in runs
    ]
    ratios = np.array([[run[clock][name] for name in variants] for run in runs], dtype=float)
    return setups, variants, ratios


def plot_overhead(record: dict, clock: str = "wall-clock", ax: plt.Axes | None = None) -> plt.Axes:
    """Grouped bars: for each set-up (batch size, ``steps_per_execution``) the epoch time of
    every way of setting the rate divided by a constant rate's, with a line at 1 (no cost).
    The per-batch Python callback is drawn in red; the machine is named in the title."""
    setups, variants, ratios = overhead_table(record, clock)
    ax = new_axes(ax, figsize=WIDE_FIGSIZE)
    width = 0.8 / len(variants)
    positions = np.arange(len(setups))
    others = iter(["C0", "C1", "C2", "C4", "C5", "C6"])  # red is kept for the callback
    for index, name in enumerate(variants):
        if name == record.get("callback"):
            color = "C3"
        elif name == record.get("control"):
            color = "0.6"
        else:
            color = next(others)
        offset = (index - (len(variants) - 1) / 2) * width
        ax.bar(positions + offset, ratios[:, index], width, label=name, color=color)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(positions, setups)
    ax.set_ylabel(f"{clock} epoch time / constant rate")
    low = min(0.95, float(np.nanmin(ratios)) - 0.02)
    ax.set_ylim(low, max(1.05, float(np.nanmax(ratios)) + 0.03))
    machine = record.get("machine", {})
    ax.set_title(
        f"recorded {record.get('measured', '?')[:10]} on {machine.get('cores', '?')} cores of "
        f"{machine.get('cpu', '?')}, Keras {machine.get('keras', '?')}",
        fontsize=9,
    )
    ax.legend(ncols=3, fontsize=8, loc="upper right")
    return ax


def plot_rates_used(
    schedule_rates: np.ndarray, used: dict[str, np.ndarray], ax: plt.Axes | None = None
) -> plt.Axes:
    """The schedule's rate at each step (a thin black line) and, as steps, the rate each way
    of setting it actually trained with, one line per entry of ``used``."""
    ax = new_axes(ax)
    steps = np.arange(len(schedule_rates))
    ax.plot(steps, schedule_rates, color="black", lw=1, label="the schedule")
    for index, (label, rates) in enumerate(used.items()):
        ax.step(
            steps,
            rates,
            where="post",
            color=f"C{index}",
            lw=1.5,
            ls="--" if index else "-",
            label=label,
        )
    ax.set_xlabel("optimizer step (mini-batch)")
    ax.set_ylabel("learning rate used")
    ax.legend()
    return ax
