"""The book's figures, one module per topic; every name is also importable from here.

- :mod:`~lrbook.book.plots.style`: the book's style and figure sizes.
- :mod:`~lrbook.book.plots.schedules`: schedules and the stages of their formulas.
- :mod:`~lrbook.book.plots.descent`: gradient descent on toy losses.
- :mod:`~lrbook.book.plots.annealing`: step decay on a noisy bowl, against its noise floors.
- :mod:`~lrbook.book.plots.minima`: a fixed and a cyclical rate on sharp/flat minima and saddles.
- :mod:`~lrbook.book.plots.noisy_race`: a schedule against a search over fixed rates, noisy toy.
- :mod:`~lrbook.book.plots.restarts`: warm restarts on the sharp/flat toy, basin at each cycle end.
- :mod:`~lrbook.book.plots.training`: training curves from several seeds.
- :mod:`~lrbook.book.plots.range_test`: range tests, one or several.
- :mod:`~lrbook.book.plots.ensembles`: snapshot ensembles.
- :mod:`~lrbook.book.plots.landscape`: slices of a network's loss landscape.
- :mod:`~lrbook.book.plots.practice`: the cost of setting the rate, and the rates steps used.
"""

from lrbook.book.plots.annealing import plot_noisy_step_decay
from lrbook.book.plots.descent import plot_descent_1d, plot_descent_2d
from lrbook.book.plots.ensembles import (
    ensemble_accuracies,
    plot_disagreement,
    plot_ensemble_accuracy,
    plot_prediction_map,
    plot_snapshot_explorer,
    plot_snapshot_schedule,
    prediction_map,
)
from lrbook.book.plots.landscape import (
    plot_landscape_contours,
    plot_landscape_surfaces,
    plot_line_slices,
)
from lrbook.book.plots.minima import (
    fixed_and_cyclical,
    outcome,
    plot_escape,
    plot_toy_runs,
)
from lrbook.book.plots.noisy_race import fixed_rate_search, plot_against_fixed_rates
from lrbook.book.plots.practice import overhead_table, plot_overhead, plot_rates_used
from lrbook.book.plots.range_test import (
    PHASE_COLORS,
    RangeTestPhases,
    plot_range_test,
    plot_range_test_comparison,
    range_test_phases,
)
from lrbook.book.plots.restarts import (
    cycle_end_basins,
    plot_restarts,
    sgdr_descent,
)
from lrbook.book.plots.schedules import (
    plot_clr,
    plot_clr_stage,
    plot_formula_stage,
    plot_schedule,
    plot_sgdr,
    plot_step_decay,
    schedule_values,
)
from lrbook.book.plots.style import (
    BOOK_STYLE,
    FIGSIZE,
    STRIP_FIGSIZE,
    WIDE_FIGSIZE,
    new_axes,
    use_book_style,
)
from lrbook.book.plots.training import plot_seed_runs

__all__ = [
    "BOOK_STYLE",
    "FIGSIZE",
    "PHASE_COLORS",
    "STRIP_FIGSIZE",
    "WIDE_FIGSIZE",
    "RangeTestPhases",
    "cycle_end_basins",
    "ensemble_accuracies",
    "fixed_and_cyclical",
    "fixed_rate_search",
    "new_axes",
    "plot_clr",
    "plot_clr_stage",
    "plot_descent_1d",
    "plot_descent_2d",
    "plot_disagreement",
    "outcome",
    "plot_against_fixed_rates",
    "overhead_table",
    "plot_ensemble_accuracy",
    "plot_escape",
    "plot_formula_stage",
    "plot_landscape_contours",
    "plot_landscape_surfaces",
    "plot_noisy_step_decay",
    "plot_line_slices",
    "plot_overhead",
    "plot_prediction_map",
    "plot_range_test",
    "plot_range_test_comparison",
    "plot_restarts",
    "plot_rates_used",
    "plot_schedule",
    "plot_seed_runs",
    "plot_sgdr",
    "plot_snapshot_explorer",
    "plot_snapshot_schedule",
    "plot_step_decay",
    "plot_toy_runs",
    "prediction_map",
    "range_test_phases",
    "schedule_values",
    "sgdr_descent",
    "use_book_style",
]
