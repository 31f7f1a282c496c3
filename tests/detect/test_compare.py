"""Shape comparison: exact recovery of known curves and the Gompertz width of the mirage."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import xy

from emergence.detect.compare import compare_shapes
from emergence.errors import InputError


def test_mirage_em_is_gompertz_with_closed_form_width():
    # EM = exp(-L (N/c)^alpha): Gompertz in log10 N with k = |alpha| ln 10, so the 10-90 % width
    # is 1.3396 / |alpha| decades = 3.83 for alpha = -0.35 (changepoint.md 3.2)
    x, y = xy("C_mirage_EM_n11")
    res = compare_shapes(x, y)
    gomp = {f.name: f for f in res.fits}["gompertz"]
    assert res.best_aicc == "gompertz"
    assert gomp.params["k"] == pytest.approx(0.35 * np.log(10), rel=1e-3)
    assert gomp.params["width_10_90"] == pytest.approx(1.3396 / 0.35, rel=1e-3)
    assert gomp.rss < 1e-10


def test_exact_curves_recovered():
    x = np.linspace(7, 12, 11)
    logi = 0.2 + 0.5 / (1 + np.exp(-2 * (x - 9.6)))
    res = compare_shapes(x, logi, models=("linear", "logistic"))
    fit = res.fits[1]
    assert (fit.params["k"], fit.params["x0"]) == pytest.approx((2.0, 9.6), rel=1e-6)
    assert res.width_10_90 == pytest.approx(2 * np.log(9) / 2.0, rel=1e-6)
    assert not res.sharper_than_resolvable
    hinge = 1 + 0.1 * x + 0.5 * np.maximum(x - 9.3, 0)
    assert compare_shapes(x, hinge).best_bic == "hinge"
    power = 0.1 + 0.02 * 10 ** (0.3 * x - 2)
    fit = compare_shapes(x, power, models=("power",)).fits[0]
    assert fit.params["c"] == pytest.approx(0.3 * np.log(10), rel=1e-6)


def test_step_is_sharper_than_resolvable():
    x = np.linspace(7, 12, 11)
    res = compare_shapes(x, np.where(x > 9.6, 0.8, 0.1), models=("logistic",))
    assert res.sharper_than_resolvable


def test_aicc_infinite_when_too_few_points():
    x = np.arange(6.0)
    res = compare_shapes(x, x**2, models=("linear", "hinge"))
    assert np.isinf({f.name: f.aicc for f in res.fits}["hinge"])
    assert res.best_aicc == "linear"
    with pytest.raises(InputError):
        compare_shapes(x, x, models=("cubic",))
