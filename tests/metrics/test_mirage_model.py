"""The mirage model's metrics half: p^L predictions from the measured cross-entropy against
simulated data with known truth (the fitted power law: ``tests/fit/test_mirage_fit.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mirage_items import SCALES, as_arrow, mirage_items, true_ce

from emergence.errors import InputError
from emergence.metrics import (
    MirageCurves,
    mirage_curves,
    predict_exact_match,
    predict_token_edit_distance,
)


def test_closed_forms():
    assert predict_exact_match(0.9, 3) == pytest.approx(0.729)
    assert predict_token_edit_distance(0.9, 3) == pytest.approx(0.3)
    np.testing.assert_allclose(predict_exact_match(np.array([0.5, 1.0]), 2), [0.25, 1.0])


def test_exact_match_agrees_with_p_to_the_L_within_sampling_error():
    res = mirage_curves(mirage_items([5]))
    assert isinstance(res, MirageCurves)
    c = res.curves
    assert len(c) == len(SCALES) and (c.n_items == 1500).all()
    np.testing.assert_allclose(c.ce, true_ce(SCALES), rtol=1e-12)
    truth = np.exp(-true_ce(SCALES)) ** 5
    np.testing.assert_allclose(c.em_pred, truth, rtol=1e-10)
    # Observed exact match: within 4 binomial standard errors (plus a floor for p near 0 or 1).
    se = np.sqrt(truth * (1 - truth) / 1500) + 1e-3
    assert (np.abs(c.em_observed - truth) <= 4 * se).all()
    # Token edit distance ~ L (1 - p), the expected number of substituted tokens. Levenshtein
    # can beat the substitution count when almost every token is wrong (a shifted alignment),
    # so L (1 - p) is an upper bound there and a close match once p > 0.1.
    p = np.exp(-true_ce(SCALES))
    ted_se = np.sqrt(5 * p * (1 - p) / 1500) + 1e-3
    assert (c.ted_observed <= c.ted_pred + 4 * ted_se).all()
    assert (np.abs(c.ted_observed - c.ted_pred) <= 4 * ted_se)[p > 0.1].all()
    assert not {"ce_fit", "em_pred_fit", "ted_pred_fit"} & set(c.columns)  # fits: fit stage


def test_item_level_generalisation_when_lengths_vary():
    c = mirage_curves(mirage_items([1, 3, 9], seed=1)).curves
    se = np.sqrt(c.em_pred * (1 - c.em_pred) / c.n_items) + 1e-3
    assert (np.abs(c.em_observed - c.em_pred) <= 4 * se).all()
    # p^(mean L) is a worse predictor than mean_i p^(L_i) (Jensen) where the curve is mid-rise.
    mid = (c.em_pred > 0.1) & (c.em_pred < 0.9)
    assert mid.any()
    err_items = np.abs(c.em_observed - c.em_pred)[mid]
    err_mean = np.abs(c.em_observed - c.em_pred_mean_length)[mid]
    assert err_items.sum() < err_mean.sum()
    assert (c.em_pred[mid] > c.em_pred_mean_length[mid]).all()


def test_needs_target_logprobs():
    items = mirage_items([2], n_items=3).drop(columns=["target_logprobs"])
    with pytest.raises(InputError, match="target_logprobs"):
        mirage_curves(items)


def test_arrow_backed_input_gives_the_same_curves():
    items = mirage_items([2, 4], n_items=200, seed=2)
    table = as_arrow(items)
    arrow = table.to_pandas(types_mapper=pd.ArrowDtype)
    a, b = mirage_curves(items).curves, mirage_curves(arrow).curves
    num = ["n_items", "ce", "em_observed", "em_pred", "ted_observed"]
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-12)


def test_length_table_reproduces_the_predictions_exactly():
    """``lengths`` is the answer-length distribution of each row: pushing the measured p_token
    through :meth:`MirageCurves.predict_exact_match` gives ``em_pred`` to the last bit."""
    items = mirage_items([1, 3, 9], n_items=300, seed=3)
    items = items.sample(frac=1.0, random_state=0)  # row order must not matter
    res = mirage_curves(items)
    c, lengths = res.curves, res.lengths
    assert res.curve_keys == ("family", "task")
    assert list(lengths.columns) == ["row", "length", "count"]
    assert lengths.groupby("row")["count"].sum().tolist() == [300] * len(SCALES)
    assert set(lengths.length) == {1, 3, 9}
    by_row = lengths.assign(tok=lengths.length * lengths["count"]).groupby("row").tok.sum()
    np.testing.assert_array_equal(by_row / 300, c.mean_length)
    p = c.p_token.to_numpy()
    np.testing.assert_array_equal(res.predict_exact_match(p), c.em_pred)
    np.testing.assert_array_equal(res.predict_token_edit_distance(p), c.ted_pred)
    # any per-row probability: mean_i p^(L_i), NaN in, NaN out
    q = np.linspace(0.2, 0.9, len(c))
    q[0] = np.nan
    counts = lengths.pivot(index="row", columns="length", values="count").fillna(0)
    want = (counts * np.power(q[:, None], counts.columns.to_numpy(float))).sum(axis=1) / 300
    got = res.predict_exact_match(q)
    assert np.isnan(got[0])
    np.testing.assert_allclose(got[1:], want.to_numpy()[1:], rtol=1e-12)
    with pytest.raises(InputError, match="one per curve row"):
        res.predict_exact_match(q[:-1])
    codes, keys = res.curve_index()
    assert (codes == 0).all() and keys.to_dict("records") == [{"family": "sim", "task": "arith"}]
