"""Aggregation by instance (repeated trials/epochs), infinite values and row-order independence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from emergence.metrics import bootstrap_means, instance_ids, rescore
from emergence.metrics.aggregate import _percentile_interval


def test_instance_ids_strip_a_trailing_trial_or_epoch_suffix():
    ids = pd.Series(
        ["a#trial0", "a#trial12", "b#epoch1", "c", "d#trial", "e#trialx", "f#epoch2#trial1", "7"],
        index=range(10, 18),
    )
    out = instance_ids(ids)
    assert out.tolist() == ["a", "a", "b", "c", "d#trial", "e#trialx", "f#epoch2", "7"]
    assert out.index.equals(ids.index)
    plain = pd.Series([1, 2, 3])
    assert instance_ids(plain).tolist() == ["1", "2", "3"]


def _em(n_inst: int, suffix: str | None, repeats: int, seed: int = 0) -> pd.DataFrame:
    """Two scales, one exact-match outcome per instance shared by all its repeats."""
    rng = np.random.default_rng(seed)
    rows = []
    for m, params in (("small", 1e8), ("large", 1e9)):
        right = rng.random(n_inst) < (0.3 if m == "small" else 0.6)
        for i in range(n_inst):
            for r in range(repeats):
                item = f"q{i}" if suffix is None else f"q{i}#{suffix}{r}"
                rows.append(dict(family="f", model=m, params=params, task="t", item=item,
                                 target="a", output="a" if right[i] else "b"))  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("suffix", ["trial", "epoch"])
def test_identical_repeats_aggregate_exactly_like_one_row_per_instance(suffix):
    """n_items counts instances, and stderr and the (paired) bootstrap resample instances: three
    identical trials of 40 instances give the scores of the 40 instances alone."""
    once = rescore(_em(40, None, 1), metrics=["exact_match"], n_boot=300, seed=2)
    thrice = rescore(_em(40, suffix, 3), metrics=["exact_match"], n_boot=300, seed=2)
    assert (thrice.n_items == 40).all()
    pd.testing.assert_frame_equal(thrice, once)


def test_value_is_the_mean_of_instance_means():
    items = pd.DataFrame(dict(family="f", model="m", params=1.0, task="t", target="a",
                              item=["x#trial0", "x#trial1", "y#trial0"],
                              output=["a", "b", "a"]))  # fmt: skip
    row = rescore(items, metrics=["exact_match"], n_boot=100).iloc[0]
    # instance means 0.5 and 1: 0.75 (not the row mean 2/3); two instances
    assert (row.value, row.n_items) == (0.75, 2)
    assert row.stderr == pytest.approx(np.std([0.5, 1.0], ddof=1) / np.sqrt(2))


def test_repeats_resample_together_so_the_interval_widens():
    """Repeats counted as items would shrink the interval by about sqrt(3)."""
    rows = rescore(_em(60, "trial", 3, seed=4), metrics=["exact_match"], n_boot=500, seed=0)
    once = rescore(_em(60, None, 1, seed=4), metrics=["exact_match"], n_boot=500, seed=0)
    np.testing.assert_array_equal(rows.ci_high - rows.ci_low, once.ci_high - once.ci_low)


def _logprob_items(seed: int = 0, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for m, params in (("a", 1e8), ("b", 1e9)):
        for i in range(n):
            lp = -rng.gamma(2.0, 0.37, int(rng.integers(1, 6)))
            rows.append(dict(family="f", model=m, params=params, task="t", item=f"item{i:03d}",
                             target="x", output="x" if rng.random() < 0.5 else "y",
                             target_logprobs=lp))  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n_boot", [0, 200])
def test_output_does_not_depend_on_row_order_to_the_last_bit(n_boot):
    items = _logprob_items()
    base = rescore(items, n_boot=n_boot, seed=1)
    for state in (1, 2, 3):
        shuffled = items.sample(frac=1, random_state=state).reset_index(drop=True)
        pd.testing.assert_frame_equal(rescore(shuffled, n_boot=n_boot, seed=1), base,
                                      check_exact=True)  # fmt: skip


def test_a_minus_inf_logprob_gives_a_percentile_interval_without_warnings():
    n = 20
    lps = [np.array([-0.1 * (i % 5 + 1)]) for i in range(n)]
    lps[3] = np.array([-np.inf])
    items = pd.DataFrame(dict(family="f", model="m", params=1e9, task="t",
                              item=[f"i{i:02d}" for i in range(n)], target="a", output="a",
                              target_logprobs=lps))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rescore(items, metrics=["target_logprob", "p_correct"], n_boot=2000, seed=0)
    row = out.set_index("metric").loc["target_logprob"]
    assert row.value == -np.inf and np.isnan(row.stderr)
    # most replicates draw the -inf item (1 - (19/20)^20 = 64 %); the rest are finite
    assert row.ci_low == -np.inf
    finite = np.array([lp.sum() for i, lp in enumerate(lps) if i != 3])
    assert finite.mean() < row.ci_high < finite.max()
    assert out.set_index("metric").loc["p_correct"][["ci_low", "ci_high"]].notna().all()


def test_bootstrap_means_with_infinite_items_match_explicit_resampling():
    rng = np.random.default_rng(5)
    values = rng.normal(size=(30, 3))
    values[4, 0] = -np.inf
    values[7, 1] = np.inf
    values[9, 2], values[10, 2] = -np.inf, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reps = bootstrap_means(values, np.ones_like(values), 500, np.random.default_rng(0))
    draws = np.random.default_rng(0).integers(0, 30, size=(500, 30))
    with np.errstate(invalid="ignore"):
        exact = values[draws].mean(axis=1)
    np.testing.assert_allclose(reps, exact, rtol=1e-5, atol=1e-6)
    assert np.isfinite(reps[:, 0]).any() and np.isneginf(reps[:, 0]).any()
    assert np.isnan(reps[:, 2]).any()  # a replicate with both -inf and +inf


def test_percentile_interval_treats_infinities_as_order_statistics():
    rng = np.random.default_rng(1)
    col = rng.normal(size=1000)
    col[:300] = -np.inf
    reps = np.stack([col, np.where(np.isinf(col), -1e9, col), -col], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = _percentile_interval(reps, 0.025)
        q_nan = _percentile_interval(np.vstack([reps, np.full((1, 3), np.nan)]), 0.025)
    assert q[0, 0] == -np.inf and q[1, 0] == q[1, 1]  # the upper bound has finite neighbours
    assert q[1, 2] == np.inf and q[0, 2] == pytest.approx(-q[1, 1], rel=1e-12)
    np.testing.assert_array_equal(q_nan, q)  # NaN replicates are left out
