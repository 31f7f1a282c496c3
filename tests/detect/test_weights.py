"""Support weights: DerSimonian-Laird tau^2 against statsmodels, and WLS use."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from emergence.detect.davies import davies_test
from emergence.detect.weights import scale_weights
from emergence.errors import InputError


def test_tau2_matches_statsmodels_dl_without_trend():
    rng = np.random.default_rng(4)
    v = rng.uniform(0.01, 0.05, 12)
    y = rng.normal(0, np.sqrt(v + 0.2))
    ours = scale_weights(np.arange(12.0), y, v, trend=False)
    ref = combine_effects(y, v, method_re="dl")
    assert ref.tau2 > 0
    assert ours.tau2 == pytest.approx(ref.tau2, rel=1e-10)
    np.testing.assert_allclose(ours.weights, 1 / (v + ref.tau2))


def test_trend_is_removed_and_weights_feed_tests():
    x = np.linspace(7, 12, 10)
    v = np.full(10, 1e-4)
    y = 0.3 * x  # exact line: no excess variance around the null
    res = scale_weights(x, y, v)
    assert res.tau2 == 0.0 and res.q_statistic == pytest.approx(0, abs=1e-12)
    y2 = 0.3 * x + np.where(np.arange(10) % 2, 0.1, -0.1)
    res2 = scale_weights(x, y2, v)
    # DerSimonian-Laird about a line with equal variances v, in closed form: Q = RSS / v and
    # c = (k - 2) / v, so tau^2 = (Q - (k - 2)) / c = RSS / (k - 2) - v
    resid = y2 - np.polyval(np.polyfit(x, y2, 1), x)
    assert res2.tau2 == pytest.approx(resid @ resid / 8 - 1e-4, rel=1e-10)
    np.testing.assert_allclose(res2.weights, 1 / (v + res2.tau2), rtol=1e-12)
    # the weights reach the test: equal weights leave Davies' statistic as unweighted
    assert davies_test(x, y2, weights=res2.weights).statistic == pytest.approx(
        davies_test(x, y2).statistic, rel=1e-10
    )
    with pytest.raises(InputError):
        scale_weights(x, y, np.zeros(10))
