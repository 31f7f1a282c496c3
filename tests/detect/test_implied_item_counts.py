"""Item counts read back from a rate's standard error, for score tables without ``n_items``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shared_path

from emergence.detect import detect
from emergence.detect.score_curves import implied_item_counts
from emergence.load import load


@pytest.mark.parametrize("n", [2, 3, 10, 99, 100, 1172, 2376, 14042])
@pytest.mark.parametrize("ddof", [0, 1])
def test_the_count_comes_back_exactly_under_either_sd_convention(n, ddof):
    ks = np.array(sorted({1, n // 3, n // 2, n - 1} - {0, n}))
    rate = ks / n
    # the standard error as a framework computes it from the 0/1 scores
    se = np.array([np.std([1.0] * k + [0.0] * (n - k), ddof=ddof) / np.sqrt(n) for k in ks])
    np.testing.assert_array_equal(implied_item_counts(rate, se), np.full(ks.size, n))


def test_rounded_inputs_are_read_as_a_sample_sd_and_edges_give_no_count():
    # 0.3 over 100 items with ddof = 1, se rounded to 4 digits: neither candidate is exact
    se = round(float(np.sqrt(0.3 * 0.7 / 99)), 4)
    m = round(0.3 * 0.7 / se**2)
    assert implied_item_counts(np.array([0.3]), np.array([se]))[0] == m + 1
    out = implied_item_counts(np.array([0.0, 1.0, 0.5, 0.5]), np.array([0.1, 0.1, 0.0, np.nan]))
    assert np.isnan(out).all()


def test_lm_eval_v0_3_results_give_the_true_test_set_sizes():
    # v0.3 writes acc and acc_stderr (sample SD) but no item count; the test sets' sizes are
    # known: ARC-Challenge 1172, ARC-Easy 2376, MMLU abstract algebra 100, college physics 102
    path = shared_path("formats", "lm-eval-v0.3", "pythia-v1")
    tables = load(path, sizes_from_names=True, warn=False)
    assert tables.scores["n_items"].isna().all()
    tasks = ["arc_challenge", "arc_easy", "hendrycksTest-abstract_algebra",
             "hendrycksTest-college_physics"]  # fmt: skip
    scores = tables.scores[tables.scores["task"].isin(tasks)]
    verdicts = detect(None, scores, bootstrap=0).verdicts
    assert verdicts["family"].nunique() > 1  # final checkpoints, and each step's family
    counts = verdicts.groupby("task")["n_items"].agg(["min", "max"]).loc[tasks]
    assert counts["min"].tolist() == counts["max"].tolist() == [1172, 2376, 100, 102]


def test_a_standard_error_too_large_for_any_count_gives_none():
    # v (1 - v) / se^2 = 0.39: m rounds to 0, which is no count (it was returned as 0 items)
    assert np.isnan(implied_item_counts(np.array([0.5]), np.array([0.8]))[0])
    assert implied_item_counts(np.array([0.5]), np.array([0.5]))[0] == 2  # m = 1: n = 2
