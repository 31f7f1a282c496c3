"""BH and Holm against statsmodels.multipletests and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from emergence.detect.multiplicity import benjamini_hochberg, holm
from emergence.errors import InputError


def test_bh_hand_example():
    p = [0.01, 0.04, 0.03, 0.20]
    res = benjamini_hochberg(p, 0.05)
    # sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.0533, 0.0533, 0.20
    np.testing.assert_allclose(res.adjusted, [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert res.rejected.tolist() == [True, False, False, False]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_match_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=30), rng.uniform(0, 0.01, size=5)])
    for ours, method in ((benjamini_hochberg, "fdr_bh"), (holm, "holm")):
        rej, adj, *_ = multipletests(p, alpha=0.1, method=method)
        res = ours(p, 0.1)
        np.testing.assert_allclose(res.adjusted, adj, rtol=1e-12)
        assert res.rejected.tolist() == rej.tolist()


def test_nan_means_untested():
    res = benjamini_hochberg([0.01, np.nan, 0.02])
    assert res.n_tests == 2 and np.isnan(res.adjusted[1]) and not res.rejected[1]
    np.testing.assert_allclose(res.adjusted[[0, 2]], [0.02, 0.02])
    with pytest.raises(InputError):
        holm([0.5, 1.5])
