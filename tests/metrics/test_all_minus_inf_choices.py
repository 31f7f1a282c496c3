"""An item whose choices all have probability 0 (every log-prob -inf) is unscored by every
metric: there is no distribution to pick a choice from (probs.choice_scores), so exact match
does not take choice 0 as the output either."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from emergence.metrics import score_items
from emergence.metrics.ragged import flatten

INF = np.inf


def _items(logprobs: list[list[float]], choices: list[list[str]]) -> pd.DataFrame:
    n = len(logprobs)
    return pd.DataFrame({
        "family": "f", "model": "m", "params": 1.0, "task": "t",
        "item": [f"q{i}" for i in range(n)], "target": "A",
        "choices": choices, "choice_logprobs": logprobs, "correct_choice": 0,
    })  # fmt: skip


@pytest.mark.parametrize("arrow", [False, True])
@pytest.mark.parametrize("ragged", [False, True])
def test_no_metric_scores_an_item_without_a_distribution(arrow, ragged):
    logprobs = [[-INF, -INF], [-1.0, -2.0], [-INF, -0.5], [-2.0, -1.0]]
    choices = [["A", "B"]] * 4
    if ragged:  # rows of different lengths: the general (not fixed-width) argmax
        logprobs[3], choices = [-2.0, -1.0, -3.0], [*choices[:3], ["A", "B", "C"]]
    items = _items(logprobs, choices)
    if arrow:
        for col, typ in (("choices", pa.string()), ("choice_logprobs", pa.float64())):
            data = pa.array(items[col], pa.list_(typ))
            items[col] = pd.Series(pd.arrays.ArrowExtensionArray(data))
    s = score_items(items)
    assert s.metrics == ("exact_match", "multiple_choice_grade", "p_correct", "brier",
                         "brier_bigbench")  # fmt: skip
    assert np.isnan(s.values[0]).all()  # exact match scored 1 here (choice 0 is correct)
    np.testing.assert_array_equal(s.column("exact_match")[1:], [1.0, 0.0, 0.0])
    mcg = s.column("multiple_choice_grade")
    np.testing.assert_array_equal(s.column("exact_match")[1:], mcg[1:])


def test_the_pick_is_the_first_maximum_and_none_without_a_finite_one():
    rag = flatten([np.array(r) for r in ([-1.0, -1.0], [-INF, -INF], [-INF, -3.0], [0.0])])
    assert rag.picked_choice().tolist() == [0, -1, 1, 0]
    assert rag.row_argmax().tolist() == [0, 0, 1, 0]  # the plain argmax is numpy's
    ragged = flatten([np.array(r) for r in ([-INF], [-1.0, -0.5, -0.5], [], [-INF, -INF, -INF])])
    assert ragged.picked_choice().tolist() == [-1, 1, -1, -1]
