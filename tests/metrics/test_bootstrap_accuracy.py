"""Bootstrap intervals: the confidence level they are computed at, and the accuracy of the
float32 replicate means for values near 0 (bounds inside the range of the items)."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emergence.metrics import BootstrapSpec, ItemScores, aggregate, bootstrap_means, rescore

# the module (``emergence.metrics.aggregate`` is also the name of its function)
aggregate_module = importlib.import_module("emergence.metrics.aggregate")


def _one_group(values: np.ndarray, metric: str = "p_correct") -> tuple[pd.DataFrame, ItemScores]:
    n = values.shape[0]
    items = pd.DataFrame({"family": "f", "model": "m", "params": 1e8, "task": "t",
                          "item": [f"q{i:04d}" for i in range(n)]})  # fmt: skip
    return items, ItemScores((metric,), values.reshape(n, 1))


@pytest.mark.parametrize("level", [0.9, 0.5])
def test_interval_is_the_level_percentile_interval_of_the_replicates(level):
    """ci_low and ci_high are numpy's quantiles (1 - level) / 2 and (1 + level) / 2 of the B
    replicate means the block's random stream gives (a level off by a factor two moves them)."""
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 1.0, 60)
    items, scores = _one_group(values)
    spec = BootstrapSpec(n_boot=2000, seed=3, level=level)
    row = aggregate(items, scores, spec).iloc[0]
    # items are resampled in sorted id order; the stream comes from the seed and block key
    reps = bootstrap_means(values[:, None], np.ones((60, 1)), 2000,
                           aggregate_module._block_rng(spec, ("f", "t")))  # fmt: skip
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(reps[:, 0], [tail, 1.0 - tail])
    assert (row.ci_low, row.ci_high) == (low, high)
    # and not the quantiles of a level off by a factor two in the tails
    wrong = np.quantile(reps[:, 0], [1.0 - level, level])
    assert abs(row.ci_low - wrong[0]) > 0.01 and abs(row.ci_high - wrong[1]) > 0.01


def test_interval_width_matches_the_normal_closed_form():
    """For 400 normal items the bootstrap distribution of the mean is close to normal with
    sd = sd(x, ddof=0) / sqrt(n): the 90 % interval is 2 z_0.95 of it wide (z_0.95 = 1.645;
    an 80 % interval would be 1.282). B = 4000: the width is within ~3 % (MC error)."""
    rng = np.random.default_rng(2)
    values = rng.normal(0.0, 1.0, 400)
    items, scores = _one_group(values, "target_logprob")
    row = aggregate(items, scores, BootstrapSpec(n_boot=4000, seed=0, level=0.9)).iloc[0]
    se = values.std() / np.sqrt(values.size)
    z = (row.ci_high - row.ci_low) / (2.0 * se)
    assert z == pytest.approx(stats.norm.ppf(0.95), rel=0.04)


def test_bounds_of_a_probability_near_zero_stay_in_range_and_exact():
    """19 items with p = 1e-9 and one with 0.9: a third of the replicates leave the large item
    out, so the 2.5 % bound is 1e-9 exactly (float32 products centred on 0.045 gave -8e-10)."""
    values = np.full(20, 1e-9)
    values[0] = 0.9
    items, scores = _one_group(values)
    row = aggregate(items, scores, BootstrapSpec(2000, 0, 0.95)).iloc[0]
    assert row.ci_low == pytest.approx(1e-9, rel=1e-12)
    assert 1e-9 <= row.ci_low <= row.value <= row.ci_high <= 0.9


def test_replicate_means_of_small_values_are_accurate_and_in_range():
    """Log-normal probabilities around 1e-5 (down to 1e-12) with 5 % of items near 1: every
    replicate mean, compared with the float64 mean of the same draws, is within 1e-6 relative
    and inside [min, max] of the items."""
    for seed, n in ((0, 30), (1, 300), (2, 3000)):
        rng = np.random.default_rng(seed)
        values = np.exp(rng.normal(-12.0, 4.0, (n, 3)))
        values[rng.random((n, 3)) < 0.05] = 0.9
        reps = bootstrap_means(values, np.ones_like(values), 300, np.random.default_rng(seed))
        draws = np.random.default_rng(seed).integers(0, n, size=(300, n))
        weights = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(float)
        exact = weights @ values / n
        np.testing.assert_allclose(reps, exact, rtol=1e-6, atol=0.0)
        assert (reps >= values.min(axis=0)).all() and (reps <= values.max(axis=0)).all()


def test_ratio_means_stay_between_the_item_means():
    """Repeats summed per item (counts 2 and 3) and missing values: every replicate lies in
    [min, max] of sums / counts, and is the float64 ratio mean of its draw."""
    rng = np.random.default_rng(8)
    n = 40
    counts = rng.integers(0, 4, (n, 2)).astype(float)
    means = np.where(rng.random((n, 2)) < 0.1, 0.95, np.exp(rng.normal(-15.0, 2.0, (n, 2))))
    sums = means * counts
    reps = bootstrap_means(sums, counts, 500, np.random.default_rng(4))
    draws = np.random.default_rng(4).integers(0, n, size=(500, n))
    weights = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(float)
    with np.errstate(invalid="ignore"):
        exact = (weights @ sums) / (weights @ counts)
    np.testing.assert_allclose(reps, exact, rtol=1e-6, atol=0.0)
    scored = counts > 0
    for j in range(2):
        got = reps[:, j][~np.isnan(reps[:, j])]
        assert got.min() >= means[scored[:, j], j].min()
        assert got.max() <= means[scored[:, j], j].max()


def test_an_item_at_minus_infinity_leaves_the_finite_bound_exact(tmp_path):
    """One item with a -inf token and one with log-probs [-0.1, -0.2]: the replicates that
    leave out the first have target_logprob -0.3 and per-token probability exp(-0.15), exactly;
    probabilities stay >= 0."""
    items = pd.DataFrame({"family": "f", "model": "m", "params": 1e9, "task": "t",
                          "item": ["a", "b"], "target": "x",
                          "target_logprobs": [np.array([-np.inf, -0.5]),
                                              np.array([-0.1, -0.2])]})  # fmt: skip
    out = rescore(items, n_boot=1000).set_index("metric")
    assert out.loc["target_logprob", "ci_high"] == -0.1 + -0.2
    assert out.loc["target_logprob", "ci_low"] == -np.inf
    assert out.loc["per_token_prob", "ci_high"] == np.exp((-0.1 + -0.2) / 2)
    assert out.loc["p_correct", "ci_high"] == np.exp(-0.1 + -0.2)
    for metric in ("per_token_prob", "p_correct"):
        assert out.loc[metric, "ci_low"] == 0.0
    assert json.dumps(float(out.loc["per_token_prob", "ci_low"])) == "0.0"


def test_a_bound_at_the_largest_item_stays_at_or_below_it():
    """Four items with p = 1 and one below: a third of the replicates draw only the ones, so
    the upper bound is 1; float32 rounding of the centred values put it up to 1e-8 above (a
    probability over 1) before the replicates were clipped to the items' range."""
    rng = np.random.default_rng(0)
    for low in rng.random(20):
        values = np.array([1.0, 1.0, 1.0, 1.0, low])
        reps = bootstrap_means(values[:, None], np.ones((5, 1)), 100, np.random.default_rng(0))
        assert low <= reps.min() and reps.max() <= 1.0
        items, scores = _one_group(values)
        row = aggregate(items, scores, BootstrapSpec(1000, 0, 0.95)).iloc[0]
        assert 1.0 - 1e-8 <= row.ci_high <= 1.0
