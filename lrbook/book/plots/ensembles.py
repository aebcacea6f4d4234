"""Snapshot-ensemble figures: where the snapshots are taken, how the ensemble's accuracy grows, how
much the snapshots disagree, and what they predict."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from lrbook.book.plots.schedules import plot_schedule, schedule_values
from lrbook.book.plots.style import WIDE_FIGSIZE, new_axes


def ensemble_accuracies(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Accuracy of the ensemble of the last ``m`` of the first ``k`` snapshots, every k and m.

    ``probabilities`` has shape ``(M, ..., n, classes)``: the class probabilities of snapshots
    1..M (any axes between, e.g. one per seed). Entry ``[k - 1, m - 1]`` of the result (shape
    ``(M, M, ...)``, NaN where ``m > k``) scores the mean probabilities of snapshots
    ``k - m + 1 .. k``, the ensemble one has after ``k`` cycles when averaging the last ``m``:

    ```python
    p = (p_{k-m+1} + ... + p_k) / m;   accuracy = mean(argmax(p) == labels)
    ```
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    count = probabilities.shape[0]
    table = np.full((count, count) + probabilities.shape[1:-2], np.nan)
    for k in range(1, count + 1):
        running = np.zeros_like(probabilities[0])
        for m in range(1, k + 1):
            running += probabilities[k - m]
            table[k - 1, m - 1] = np.mean(np.argmax(running, axis=-1) == labels, axis=-1)
    return table


def plot_snapshot_schedule(
    schedule,
    num_steps: int,
    averaged: int | None = None,
    trained: int | None = None,
    steps_per_epoch: int | None = None,
    ax: plt.Axes | None = None,
    label: str | None = None,
) -> plt.Axes:
    """An SGDR schedule with a numbered dot at every snapshot, on the last step of each cycle.

    The line is :func:`lrbook.book.plots.plot_schedule` of ``schedule`` over ``num_steps`` steps;
    the snapshots are at ``schedule.cycle_ends(num_steps)``, where the rate is the cycle's
    minimum; ``label`` names the line in the legend. With ``trained = k``, only the first
    ``k`` cycles are drawn in full (the rest faded: training stopped there); with
    ``averaged = m``, the last ``m`` of the snapshots taken are filled (the ones the ensemble
    averages) and the others hollow. With ``steps_per_epoch``, a second axis on top counts
    epochs.
    """
    ax = new_axes(ax)
    ends = np.array(schedule.cycle_ends(num_steps), dtype=int)
    choosing = averaged is not None or trained is not None
    trained = len(ends) if trained is None else int(trained)
    averaged = trained if averaged is None else min(int(averaged), trained)
    stop = ends[trained - 1] + 1 if trained else 0
    if trained < len(ends):
        plot_schedule(schedule, num_steps, ax=ax, color="0.85")
    plot_schedule(schedule, stop, ax=ax, color="C0", label=label)
    rates = schedule_values(schedule, ends)
    for index, (end, rate) in enumerate(zip(ends, rates, strict=True)):
        taken = index < trained
        used = taken and index >= trained - averaged
        color = "C3" if taken else "0.7"
        ax.plot(end, rate, "o", ms=7, mec=color, mfc=color if used else "white", zorder=3)
        ax.annotate(
            str(index + 1),
            (end, rate),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
            color="black" if taken else "0.6",
        )
    if choosing:
        ax.plot([], [], "o", mec="C3", mfc="C3", label=f"snapshots averaged ({averaged})")
        if averaged < trained:
            ax.plot([], [], "o", mec="C3", mfc="white", label="snapshots left out")
    else:
        ax.plot([], [], "o", mec="C3", mfc="C3", label="snapshot (end of a cycle)")
    if steps_per_epoch:
        top = ax.secondary_xaxis(
            "top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch)
        )
        top.set_xlabel("epoch")
    peak = float(schedule_values(schedule, np.arange(num_steps)).max())
    ax.set_ylim(-0.06 * peak, 1.45 * peak)
    ax.legend(loc="upper center", ncol=3, fontsize="small")
    return ax


def plot_ensemble_accuracy(
    accuracy: np.ndarray,
    single: np.ndarray | None = None,
    independent: float | None = None,
    chosen: int | None = None,
    ax: plt.Axes | None = None,
    ylabel: str = "test accuracy",
) -> plt.Axes:
    """Accuracy of the ensemble of the last ``m`` snapshots against ``m``, one line per seed.

    ``accuracy`` has shape ``(seeds, M)``: entry ``[s, m - 1]`` scores seed ``s``'s mean of
    its last ``m`` snapshots' probabilities. Thin lines are the seeds, the thick line their
    mean. ``single`` (one value per seed) is a model trained with one cosine cycle over the
    same budget: drawn as a band from its lowest to its highest seed, with its mean dashed.
    ``independent`` is the ensemble of independently trained models (a dotted line);
    ``chosen`` marks the ``m`` the validation set chose.
    """
    ax = new_axes(ax)
    accuracy = np.atleast_2d(np.asarray(accuracy, dtype=float))
    m = np.arange(1, accuracy.shape[1] + 1)
    for row in accuracy:
        ax.plot(m, row, color="C0", lw=0.8, alpha=0.4)
    ax.plot(
        m,
        accuracy.mean(axis=0),
        "o-",
        color="C0",
        lw=2,
        ms=4,
        label=f"last m snapshots (mean of {len(accuracy)} seeds)",
    )
    if single is not None:
        single = np.asarray(single, dtype=float)
        ax.axhspan(single.min(), single.max(), color="C1", alpha=0.15, lw=0)
        ax.axhline(
            single.mean(),
            color="C1",
            ls="--",
            lw=1.5,
            label="one network, one cosine cycle (band: the seeds)",
        )
    if independent is not None:
        ax.axhline(independent, color="C2", ls=":", lw=2, label="the single networks averaged")
    if chosen is not None:
        ax.axvline(chosen, color="0.5", ls=":", lw=1)
        ax.annotate(
            "chosen on validation",
            (chosen, ax.get_ylim()[0]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
            color="0.4",
        )
    ax.set_xticks(m)
    ax.set_xlabel("snapshots averaged, m (the last m)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_disagreement(
    matrix: np.ndarray, names: list[str] | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """A matrix of pairwise disagreement: the share of test points on which two models'
    predicted classes (``argmax`` of their probabilities) differ, written in each cell (%)."""
    ax = new_axes(ax)
    matrix = np.asarray(matrix, dtype=float)
    count = len(matrix)
    names = names or [str(i + 1) for i in range(count)]
    image = ax.imshow(100 * matrix, cmap="Blues", vmin=0)
    for i in range(count):
        for j in range(count):
            value = 100 * matrix[i, j]
            dark = value > 0.6 * 100 * matrix.max()
            ax.text(
                j,
                i,
                f"{value:.0f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(count), names)
    ax.set_yticks(range(count), names)
    ax.grid(False)
    plt.colorbar(image, ax=ax, label="disagreement (% of test points)")
    return ax


def prediction_map(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two coordinates per model from its predicted probabilities: principal components.

    ``probabilities`` has shape ``(models, n, classes)``; each model becomes the vector of its
    ``n * classes`` probabilities, the vectors are centred on their mean and projected on the
    two directions along which they vary most (the first two right singular vectors). Returns
    the ``(models, 2)`` coordinates and the share of the variance each direction explains.
    """
    flat = np.asarray(probabilities, dtype="float64").reshape(len(probabilities), -1)
    centred = flat - flat.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :2] * s[:2], s[:2] ** 2 / np.sum(s**2)


def plot_prediction_map(
    coordinates: np.ndarray,
    groups: dict[str, list[int]],
    single: list[int] | None = None,
    shares: np.ndarray | None = None,
    ax: plt.Axes | None = None,
    first_number: int = 1,
) -> plt.Axes:
    """Models as points in the plane of :func:`prediction_map`.

    ``groups`` maps a label (one seed) to the row indices of its snapshots in training order:
    they are joined by a line and numbered from ``first_number``, in one colour. ``single``
    lists the rows of independently trained models (black stars).
    """
    ax = new_axes(ax)
    for index, (label, rows) in enumerate(groups.items()):
        points = coordinates[rows]
        ax.plot(points[:, 0], points[:, 1], "o-", color=f"C{index}", ms=4, lw=1, label=label)
        for number, (px, py) in enumerate(points, start=first_number):
            ax.annotate(
                str(number),
                (px, py),
                textcoords="offset points",
                xytext=(3, 3),
                fontsize=7,
                color=f"C{index}",
            )
    if single:
        points = coordinates[single]
        ax.plot(
            points[:, 0],
            points[:, 1],
            "*",
            color="k",
            ms=10,
            ls="none",
            label="one network each (one cosine cycle)",
        )
    xlabel, ylabel = "first direction", "second direction"
    if shares is not None:
        xlabel += f" ({100 * shares[0]:.0f}% of the variance)"
        ylabel += f" ({100 * shares[1]:.0f}%)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax


def plot_snapshot_explorer(
    table: np.ndarray,
    schedule,
    num_steps: int,
    cycles: int,
    averaged: int,
    single: np.ndarray | None = None,
    steps_per_epoch: int | None = None,
):
    """Stop after ``cycles`` cycles and average the last ``averaged`` snapshots.

    Left: the schedule, with the snapshots taken and those averaged
    (:func:`plot_snapshot_schedule`). Right: the test accuracy of the ensemble of the last
    ``m`` of those snapshots for every ``m`` up to ``cycles``, one thin line per seed
    (``table`` is :func:`ensemble_accuracies` of the snapshots, shape ``(M, M, seeds)``), the
    chosen ``m`` ringed, and ``single`` (one value per seed: one cosine cycle over the whole
    budget) as a band.
    """
    averaged = min(averaged, cycles)
    fig, (left, right) = plt.subplots(1, 2, figsize=WIDE_FIGSIZE)
    plot_snapshot_schedule(
        schedule,
        num_steps,
        averaged=averaged,
        trained=cycles,
        steps_per_epoch=steps_per_epoch,
        ax=left,
    )
    rows = table[cycles - 1, :cycles].T  # (seeds, m)
    plot_ensemble_accuracy(rows, single=single, ax=right)
    right.plot(averaged, rows[:, averaged - 1].mean(), "o", ms=12, mfc="none", mec="C3", mew=2)
    right.set_title(
        f"after {cycles} of {table.shape[0]} cycles, last {averaged} averaged", fontsize="medium"
    )
    return fig
