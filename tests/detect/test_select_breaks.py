"""Number of breakpoints by BIC/AIC (R selgmented(type = "bic"))."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import check, expected, names_with, xy

from emergence.detect.select import select_n_breaks
from emergence.errors import InputError


@pytest.mark.parametrize("name", names_with("selgmented_bic_n_breaks"))
def test_selgmented_bic_matches_r(name):
    x, y = xy(name)
    res = select_n_breaks(x, y, k_max=2, criterion="bic")
    check(res.n_breaks, expected(name, "selgmented_bic_n_breaks"), f"{name} n breaks")
    assert res.values.shape == (3,) and res.ic_choice == res.n_breaks and res.removed == 0
    assert res.fit is not None and res.fit.n_breaks == 1
    check(res.fit.psi[0], expected(name, "segmented")["psi"], f"{name} psi")


def test_criterion_values_are_r_bic():
    x, y = xy("MUGGEO_2")
    res = select_n_breaks(x, y, k_max=2)
    n = x.size
    design = np.column_stack([np.ones(n), x])
    r = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    ll0 = -0.5 * n * (np.log(2 * np.pi) + 1 - np.log(n) + np.log(r @ r))
    assert res.values[0] == pytest.approx(-2 * ll0 + 3 * np.log(n), rel=1e-12)
    for k, fit in enumerate(res.fits, start=1):
        ll = -0.5 * n * (np.log(2 * np.pi) + 1 - np.log(n) + np.log(fit.rss))
        assert res.values[k] == pytest.approx(-2 * ll + (3 + 2 * k) * np.log(n), rel=1e-12)
    aic = select_n_breaks(x, y, k_max=2, criterion="aic")
    assert aic.values[0] == pytest.approx(-2 * ll0 + 6, rel=1e-12)
    assert res.n_breaks == 1


@pytest.mark.parametrize(
    ("name", "k_max", "want"),
    [("MUGGEO_1", 3, 2), ("zigzag_3break", 3, 3), ("D_flat_noise_n12", 2, 0)],
)
def test_selection_on_known_shapes(name, k_max, want):
    x, y = xy(name)
    assert select_n_breaks(x, y, k_max=k_max).n_breaks == want


def test_slope_check_drops_flat_break():
    # a straight line plus noise on which BIC picks a spurious break (|t| of its slope
    # difference 1.28): R's check.dslope removes it
    rng = np.random.default_rng(2)
    x = np.linspace(0, 10, 30)
    y = 0.3 * x + rng.normal(0, 0.2, x.size)
    free = select_n_breaks(x, y, k_max=2, check_slopes=False)
    checked = select_n_breaks(x, y, k_max=2)
    assert free.n_breaks == free.ic_choice == 1 and free.removed == 0
    assert abs(free.fit.slope_changes_t[0]) < 1.96
    assert checked.ic_choice == 1 and checked.n_breaks == 0 and checked.removed == 1
    assert checked.fit is None


def test_k_max_capped_and_bad_input():
    x = np.arange(7.0)
    y = np.array([0, 0.1, 0.0, 0.2, 1.0, 2.1, 2.9])
    assert select_n_breaks(x, y, k_max=5).k_max == 2
    with pytest.raises(InputError):
        select_n_breaks(x, y, criterion="hqc")
    with pytest.raises(InputError):
        select_n_breaks(x, y, k_max=0)
