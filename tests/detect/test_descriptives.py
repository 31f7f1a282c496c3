"""Breakthroughness / emergence score: fixture values and closed-form properties."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import check, expected, names_with, xy

from emergence.detect.descriptives import breakthroughness, describe_scaling
from emergence.errors import InputError


@pytest.mark.parametrize("name", names_with("breakthroughness"))
def test_fixture_values(name):
    x, y = xy(name)
    exp = expected(name, "breakthroughness")
    res = describe_scaling(x, y)
    check(res.total_improvement, exp["total_improvement"], "I")
    check(res.breakthroughness, exp["breakthroughness_root_median"], "B")
    check(res.emergence_score_squared, exp["sign_range2_over_median_d2"], "B|B|")
    check(res.linearity_guess, exp["I_over_rms_diff_linearity_guess"], "L guess")


@pytest.mark.parametrize("n", [5, 8, 13])
def test_linear_series_scores_n_minus_1(n):
    x = np.linspace(7, 12, n)
    assert breakthroughness(x, 3 + 0.2 * x) == pytest.approx(n - 1, rel=1e-12)
    assert breakthroughness(x, 3 + 0.2 * x, squared=True) == pytest.approx((n - 1) ** 2)


def test_scale_free_orientation_and_order():
    x, y = xy("C_mirage_TED_n11")
    b = breakthroughness(x, y)
    assert breakthroughness(x, 10 * y) == pytest.approx(b)
    assert breakthroughness(x, y, higher_is_better=False) == pytest.approx(-b)
    perm = np.random.default_rng(1).permutation(x.size)
    assert breakthroughness(x[perm], y[perm]) == pytest.approx(b)


def test_floor_gives_inf_and_flat_gives_nan():
    x = np.arange(7.0)
    assert breakthroughness(x, [0, 0, 0, 0, 0, 0.5, 0.9]) == np.inf
    assert np.isnan(breakthroughness(x, np.zeros(7)))
    with pytest.raises(InputError):
        describe_scaling([1, 1, 2], [0, 1, 2])
