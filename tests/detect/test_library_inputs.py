"""The detect statistics called from a notebook: a Monte Carlo p-value does not depend on the
order the points are given in, and a bad argument is one clear error, never a cut array or a
traceback from numpy."""

from __future__ import annotations

import numpy as np
import pytest

from emergence.detect import (
    assess_task,
    davies_grid,
    davies_test,
    emergence_screen,
    sharp_break_test,
    sharp_split_replication,
)
from emergence.errors import InputError

RNG = np.random.default_rng(7)
X = np.sort(RNG.uniform(7, 11, 10))
Y = 0.3 * X + RNG.normal(0, 0.2, 10)
W = RNG.uniform(0.5, 2, 10)
V = RNG.uniform(0.01, 0.05, 10)
PERM = np.array([3, 9, 0, 5, 1, 8, 2, 7, 4, 6])


def test_davies_monte_carlo_p_does_not_depend_on_the_order_of_the_points():
    a = davies_test(X, Y, weights=W, n_sim=500)
    b = davies_test(X[PERM], Y[PERM], weights=W[PERM], n_sim=500)
    assert a.p_value == b.p_value and a.statistic == b.statistic and a.best_psi == b.best_psi
    # the draws did go into the p-value (another seed gives another one)
    assert davies_test(X, Y, weights=W, n_sim=500, seed=1).p_value != a.p_value


def test_sharp_break_p_and_its_replication_do_not_depend_on_the_order_of_the_points():
    a = sharp_break_test(X, Y, variances=V, noise_floor=0.05, min_jump=0.5)
    b = sharp_break_test(X[PERM], Y[PERM], variances=V[PERM], noise_floor=0.05, min_jump=0.5)
    assert (a.p_value, a.power, a.jump_upper, a.psi) == (b.p_value, b.power, b.jump_upper, b.psi)
    half = Y + RNG.normal(0, 0.05, 10)
    ra = sharp_split_replication(X, Y, half, variances_a=V, variances_b=V, noise_floor=0.05)
    rb = sharp_split_replication(X[PERM], Y[PERM], half[PERM], variances_a=V[PERM],
                                 variances_b=V[PERM], noise_floor=0.05)  # fmt: skip
    assert ra == rb


@pytest.mark.parametrize("name", ["weights", "variances", "mirage_observed", "mirage_se"])
@pytest.mark.parametrize("size", [9, 13])
def test_assess_task_refuses_a_per_scale_array_of_another_length(name, size):
    d = np.clip((X - 7) / 4, 0, 1) ** 3
    kwargs = {name: np.full(size, 0.1)}
    if name.startswith("mirage"):
        kwargs["mirage_prediction"] = d
    with pytest.raises(InputError, match=rf"^{name} must have 10 values, one per scale$"):
        assess_task(X, d, Y, **kwargs)


def test_screen_refuses_a_count_of_no_items():
    with pytest.raises(InputError, match=r"n_items must be a positive item count, got 0"):
        emergence_screen(X, np.clip((X - 7) / 4, 0, 1) ** 3, n_items=0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: davies_grid([1.0]), "the Davies grid needs at least 3 points, got 1"),
        (lambda: davies_test(X, Y, k=2.5), r"k must be an integer >= 2, got 2.5"),
        (lambda: sharp_break_test(X, Y, noise_floor=-1), r"noise_floor must be >= 0 \(an SD\), "
                                                         "got -1"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_clear_error(call, message):
    with pytest.raises(InputError, match=message):
        call()
