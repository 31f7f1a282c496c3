"""The mirage model on items with infinite or NaN log-probs, and without sizes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from mirage_items import edge_items

from emergence.metrics import mirage_curves


@pytest.mark.parametrize("bad", [-np.inf, np.nan])
def test_an_item_with_a_minus_inf_or_nan_logprob_is_left_out_and_counted(bad):
    items = edge_items()
    items.at[0, "target_logprobs"] = [bad, -0.1]  # model m0, item i0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mirage_curves(items)
    clean = mirage_curves(items.drop(index=0))
    m0 = res.curves.iloc[0]
    assert (m0.model, m0.n_items, m0.n_excluded) == ("m0", 3, 1)
    assert (res.curves.n_excluded.iloc[1:] == 0).all()
    cols = ["n_items", "ce", "p_token", "em_observed", "em_direct", "em_pred", "ted_pred"]
    pd.testing.assert_frame_equal(res.curves[cols], clean.curves[cols])
    assert np.isfinite(m0.ce) and m0.em_pred > 0
    assert res.lengths.groupby("row")["count"].sum().tolist() == [3, 4, 4, 4, 4]


@pytest.mark.parametrize("sizes", ["absent", "all NaN"])
def test_items_without_sizes_give_curves(sizes):
    items = edge_items()
    items = items.drop(columns="params") if sizes == "absent" else items.assign(params=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mirage_curves(items)
    assert res.curves.params.isna().all() and list(res.curves.model) == [f"m{k}" for k in range(5)]
    assert np.isfinite(res.curves.ce).all()


def test_repeated_epochs_count_once_in_the_mirage_curves() -> None:
    """Three identical epochs of every item: the same curves, item counts and SEs as one
    epoch (each epoch counted as an item made the binomial SE sqrt(3) too small)."""
    from emergence.simulate import simulate_task

    items = simulate_task("mirage", 6, 50, 1, answer_len=(3, 5)).items
    tripled = pd.concat(
        [items.assign(item=items["item"] + f"#epoch{e}") for e in (1, 2, 3)], ignore_index=True
    )
    one, three = mirage_curves(items).curves, mirage_curves(tripled).curves
    assert (three["n_items"] == 50).all()
    cols = ["n_items", "em_observed", "em_stderr", "em_direct", "ce"]
    pd.testing.assert_frame_equal(one[cols], three[cols], rtol=1e-12)
