"""Pseudo-score test for an additional breakpoint (R pscore.test(seg, more.break = TRUE))."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import check, expected, xy
from scipy import stats

from emergence.detect.pscore import pscore_more_break, pscore_test
from emergence.detect.segmented import fit_segmented, muggeo_iterate
from emergence.detect.segmented_multi import fit_segmented_multi
from emergence.errors import InputError


def test_stagnant_matches_r_more_break():
    # R: seg <- segmented(lm(y ~ x), psi = -0.5, n.boot = 0) stops at psi = 0.00848 (local);
    # pscore.test(seg, more.break = TRUE) scores against that fitted broken line
    x, y = xy("stagnant")
    exp = expected("stagnant", "pscore_seg_more_break")
    for psi in (
        muggeo_iterate(x, y, -0.5).psi,
        fit_segmented_multi(x, y, [-0.5], n_boot=0, polish=False).psi,
    ):
        res = pscore_more_break(x, y, psi)
        check(res.statistic, exp["stat"], "stat")
        check(res.p_value, exp["p"], "p")
        assert res.df == x.size - 4 and res.k == 10
    # the test conditions on the fitted psi: at the least-squares psi it is a different number
    other = pscore_more_break(x, y, fit_segmented(x, y).psi)
    assert other.statistic == pytest.approx(-2.4255, abs=1e-3)


def test_sigma_df_and_floor():
    x, y = xy("stagnant")
    psi = muggeo_iterate(x, y, -0.5).psi
    res = pscore_more_break(x, y, psi)
    design = np.column_stack([np.ones(x.size), x, np.maximum(x - psi, 0)])
    r = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert res.sigma == pytest.approx(np.sqrt(r @ r / (x.size - 4)), rel=1e-12)
    assert abs(res.statistic) <= np.sqrt(res.df) + 1e-9
    assert res.p_floor == pytest.approx(2 * stats.t.sf(np.sqrt(res.df), res.df), rel=1e-12)
    g = pscore_more_break(x, y, psi, alternative="greater")
    less = pscore_more_break(x, y, psi, alternative="less")
    assert g.p_value + less.p_value == pytest.approx(1.0, abs=1e-12)


def test_detects_second_break_only_when_present():
    rng = np.random.default_rng(11)
    x = np.linspace(0, 10, 40)
    noise = rng.normal(0, 0.1, x.size)
    one = 1 + 0.2 * x + 0.8 * np.maximum(x - 3, 0) + noise
    two = one - 1.5 * np.maximum(x - 7, 0)
    p_one = pscore_more_break(x, one, fit_segmented(x, one).psi).p_value
    p_two = pscore_more_break(x, two, fit_segmented(x, two).psi).p_value
    assert p_two < 1e-3 < 0.05 < p_one
    # with no fitted break the null is the straight line: more.break with K = 0 is pscore_test
    assert pscore_test(x, two).p_value < 0.05


def test_two_fitted_breaks_reduce_df():
    x, y = xy("MUGGEO_1")
    fit = fit_segmented_multi(x, y, [7, 13])
    res = pscore_more_break(x, y, fit.psi)
    assert res.df == x.size - 6 and np.isfinite(res.statistic)


def test_bad_input():
    x = np.arange(10.0)
    with pytest.raises(InputError):
        pscore_more_break(x, x**2, 12.0)
    with pytest.raises(InputError):
        pscore_more_break(x, x**2, [])
    with pytest.raises(InputError):
        pscore_more_break(x[:6], x[:6] ** 2, [1.5, 3.5])
    with pytest.raises(InputError):
        pscore_more_break(x, x**2, 4.5, k=1)
