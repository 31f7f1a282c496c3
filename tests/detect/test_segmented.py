"""Broken-line fit: R segmented parity (psi, SE, coefficients), local optima, edges."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import check, expected, xy

from emergence.detect.segmented import fit_segmented, muggeo_iterate, profile_rss
from emergence.errors import InputError

INTERIOR = [
    "B_hinge_n10",
    "C_mirage_EM_n11",
    "C_mirage_TED_n11",
    "C_mirage_logp_n11",
    "MUGGEO_2",
    "BNSL_4digit_addition_log10",
]


@pytest.mark.parametrize("name", INTERIOR)
def test_psi_and_se_match_r(name):
    x, y = xy(name)
    exp = expected(name, "segmented")
    res = fit_segmented(x, y)
    check(res.psi, exp["psi"], f"{name} psi")
    if "se" in exp:
        check(res.psi_se, exp["se"], f"{name} se")
    if "profile_rss" in exp:
        check(res.rss, exp["profile_rss"], f"{name} rss")
    assert not res.at_edge and not res.at_knot
    assert res.bracket[0] < res.psi < res.bracket[1]


def test_global_optimum_not_muggeo_local_optimum():
    # R segmented(n.boot = 0) stops at local optima; the profile must not
    for name in ["B_hinge_n10", "C_mirage_logp_n11"]:
        x, y = xy(name)
        local = expected(name, "segmented")["local_nboot0"]
        res = fit_segmented(x, y)
        assert abs(res.psi - local) > 0.03
        assert res.rss < profile_rss(x, y, [local])[0]
    x, y = xy("stagnant")
    prof = expected("stagnant", "profile_optimum_rebuild")
    res = fit_segmented(x, y)
    check(res.psi, prof["psi"], "stagnant psi")
    check(res.rss, prof["rss"], "stagnant rss")


def test_muggeo_iteration_reproduces_r_nboot0():
    x, y = xy("stagnant")
    exp = expected("stagnant", "segmented_nboot0")
    it = muggeo_iterate(x, y, -0.5)
    assert it.converged
    check(it.psi, exp["psi"], "stagnant nboot0 psi")
    check(it.rss, exp["rss"], "stagnant nboot0 rss")
    for name in ["B_hinge_n10", "C_mirage_logp_n11"]:
        x, y = xy(name)
        local = expected(name, "segmented")["local_nboot0"]
        assert muggeo_iterate(x, y, float(np.median(x))).psi == pytest.approx(local, abs=1e-3)


def test_muggeo2_summary_matches_r():
    x, y = xy("MUGGEO_2")
    exp = expected("MUGGEO_2", "r_segmented_summary_upstream")
    res = fit_segmented(x, y)
    check(res.rss, exp["rss"], "rss")
    check(res.intercept, exp["const"], "const")
    check(res.intercept_se, exp["const_se"], "const se")
    check(res.slope, exp["alpha1"], "alpha1")
    check(res.slope_se, exp["alpha1_se"], "alpha1 se")
    check(res.slope_change, exp["beta1"], "beta1")
    check(res.slope_change_se, exp["beta1_se"], "beta1 se")
    check(res.psi_se, exp["psi_se"], "psi se")


def test_ci_is_delta_t():
    # stagnant R output: psi 0.00848, SE 0.02443, CI (-0.04194, 0.05890) = psi -/+ t_{.975,24} SE
    from scipy import stats

    x, y = xy("B_hinge_n10")
    res = fit_segmented(x, y, level=0.9)
    half = stats.t.ppf(0.95, x.size - 4) * res.psi_se
    assert res.psi_ci == pytest.approx((res.psi - half, res.psi + half), rel=1e-12)


@pytest.mark.parametrize("name", ["A_linear_n8", "D_flat_noise_n12"])
def test_no_interior_break_is_flagged(name):
    x, y = xy(name)
    exp = expected(name, "segmented")
    assert exp["psi"] is None
    res = fit_segmented(x, y)
    assert res.psi == pytest.approx(exp["edge"], abs=1e-6)
    assert res.at_knot and np.isnan(res.psi_se)
    assert res.at_edge == (name == "A_linear_n8")


def test_exact_hinge_recovered_with_weights():
    x = np.linspace(7, 12, 11)
    y = 1 + 0.1 * x + 0.7 * np.maximum(x - 9.3, 0)
    res = fit_segmented(x, y, weights=np.linspace(1, 3, 11))
    assert res.psi == pytest.approx(9.3, abs=1e-6)
    assert res.slope_change == pytest.approx(0.7, abs=1e-6)
    assert res.rss == pytest.approx(0, abs=1e-12)


def test_bad_input():
    with pytest.raises(InputError):
        fit_segmented([1, 2, 3, 4], [1, 2, 3, 4])
    with pytest.raises(InputError):
        fit_segmented(np.arange(6.0), np.arange(6.0), level=1.5)
