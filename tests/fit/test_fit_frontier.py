"""The compute-efficient frontier: the lowest loss of each budget, below every smaller budget."""

from __future__ import annotations

import numpy as np
import pytest

from emergence.errors import InputError
from emergence.fit import HOFFMANN_UNROUNDED, chinchilla_predict, compute_frontier


def test_hand_example_keeps_the_best_run_of_each_budget_that_improves() -> None:
    compute = [1e18, 1e18, 1e18, 1e19, 1e19, 1e20, 1e20]
    loss = [3.2, 3.0, 3.1, 2.8, 2.6, 2.7, 2.9]  # 1e20's best (2.7) is worse than 1e19's 2.6
    f = compute_frontier(compute, loss)
    assert f.index.tolist() == [1, 4]
    assert (f.n_runs, f.n_budgets, f.budget_tolerance) == (7, 3, 0.05)
    # ties: the earlier run
    assert compute_frontier([1e18, 1e18], [3.0, 3.0]).index.tolist() == [0]


def test_jittered_budget_is_grouped_not_taken_in_compute_order() -> None:
    # The worst run of a budget has the least compute by 1e-9: an envelope over raw C would
    # keep it (nothing with less compute beats it); grouping keeps the budget's best only.
    compute = np.array([1e18 * (1 - 1e-9), 1e18, 1e18 * (1 + 1e-9), 1e19 * (1 - 1e-9), 1e19])
    loss = np.array([4.0, 3.0, 3.5, 3.6, 2.5])
    assert compute_frontier(compute, loss).index.tolist() == [1, 4]
    # a tolerance of 0 splits every distinct C: the raw lower envelope
    assert compute_frontier(compute, loss, budget_tolerance=0.0).index.tolist() == [0, 1, 4]


def test_isoflop_grid_frontier_is_the_grid_minimum_of_each_budget() -> None:
    """Simulation with known truth: on Hoffmann's law over an isoFLOP grid each budget's frontier
    run is the grid size closest to the closed-form N_opt (loss is unimodal along a budget)."""
    from emergence.fit import compute_optimal

    sizes = np.geomspace(1e7, 1e11, 41)
    budgets = np.geomspace(1e18, 1e22, 5)
    n = np.tile(sizes, budgets.size)
    c = np.repeat(budgets, sizes.size)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n))
    f = compute_frontier(c, loss)
    assert f.n_budgets == 5 and f.index.size == 5
    n_opt = compute_optimal(HOFFMANN_UNROUNDED, budgets).n_opt
    nearest = sizes[np.argmin(np.abs(np.log(sizes)[None, :] - np.log(n_opt)[:, None]), axis=1)]
    np.testing.assert_array_equal(n[f.index], nearest)


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="flops"):
        compute_frontier([1e18, -1.0], [3.0, 2.0])
    with pytest.raises(InputError):
        compute_frontier([1e18, 1e19], [3.0])
