"""Null-adequacy diagnostics against statsmodels values stored in the shared fixtures."""

from __future__ import annotations

import pytest
from detect_fixtures import check, expected, names_with, xy

from emergence.detect.diagnostics import null_adequacy


def test_harvey_collier_and_rainbow_on_hinge():
    x, y = xy("B_hinge_n10")
    exp = expected("B_hinge_n10", "statsmodels")
    res = null_adequacy(x, y)
    check(res.harvey_collier_t, exp["linear_harvey_collier"]["t"], "HC t")
    check(res.harvey_collier_p, exp["linear_harvey_collier"]["p"], "HC p")
    check(res.rainbow_f, exp["linear_rainbow"]["F"], "rainbow F")
    check(res.rainbow_p, exp["linear_rainbow"]["p"], "rainbow p")


@pytest.mark.parametrize("name", [n for n in names_with("ols_cusum_p") if n != "MUGGEO_2"])
def test_ols_cusum_matches_r(name):
    # MUGGEO_2 is unsorted; null_adequacy sorts by x, R's value is in data order
    x, y = xy(name)
    check(null_adequacy(x, y).ols_cusum_p, expected(name, "ols_cusum_p"), name)
