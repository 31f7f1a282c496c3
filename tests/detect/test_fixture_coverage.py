"""Every expectation in the shared changepoint fixtures is checked somewhere (or documented as
informative / not applicable in docs/detect.md, "Fixture coverage"); ruptures Dynp location."""

from __future__ import annotations

import pytest
from detect_fixtures import expected, fixtures, names_with, xy

from emergence.detect.supf import supf_test

# expectation key -> test that checks it ("-" = informative only, see docs/detect.md)
COVERAGE = {
    "davies": "test_davies.py::test_davies_matches_r",
    "pscore": "test_pscore.py::test_pscore_matches_r",
    "pscore_lm": "test_pscore.py::test_pscore_matches_r",
    "pscore_seg_more_break": "test_pscore_more_break.py::test_stagnant_matches_r_more_break",
    "segmented": "test_segmented.py",
    "segmented_nboot0": "test_segmented.py, test_segmented_multi.py",
    "profile_optimum_rebuild": "test_segmented.py, test_segmented_multi.py",
    "supF": "test_supf.py::test_supf_matches_strucchange",
    "mc_p": "test_supf.py::test_supf_matches_strucchange",
    "ols_cusum_p": "test_diagnostics.py::test_ols_cusum_matches_r (not MUGGEO_2)",
    "ruptures_dynp_linear": "test_fixture_coverage.py::test_ruptures_dynp_location",
    "breakthroughness": "test_descriptives.py::test_fixture_values",
    "statsmodels": "test_diagnostics.py::test_harvey_collier_and_rainbow_on_hinge",
    "piecewise_regression_davies_test": "-",
    "piecewise_regression_fit_seed0_nboot50": (
        "test_segmented_multi.py::test_restarts_reach_profile_optimum"
    ),
    "r_segmented_summary_upstream": "test_segmented.py, test_segmented_multi.py",
    "selgmented_bic_n_breaks": "test_select_breaks.py::test_selgmented_bic_matches_r",
    "piecewise_fit": "test_segmented_multi.py::test_zigzag_three_ordered_breaks",
}


def test_every_fixture_expectation_is_mapped():
    keys = {k for fx in fixtures().values() for k in fx.get("expected", {})}
    assert keys <= set(COVERAGE), sorted(keys - set(COVERAGE))
    # mc_p is checked inside the sup-F parity test, so every mc_p fixture must have supF
    assert set(names_with("mc_p")) <= set(names_with("supF"))


@pytest.mark.parametrize("name", names_with("ruptures_dynp_linear"))
def test_ruptures_dynp_location(name):
    # Dynp(model="linear", min_size=3, jump=1).predict(n_bkps=1) is the exact least-squares
    # split into two free lines, in data order; sup-F's argmax is the same argmin of RSS1(tau)
    x, y = xy(name)
    res = supf_test(x, y, min_segment=3, sort=False, n_sim=0)
    assert expected(name, "ruptures_dynp_linear") == [res.tau, x.size]
