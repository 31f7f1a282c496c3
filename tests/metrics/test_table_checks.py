"""Tables handed to the library directly (not read by ``emergence.load``): the mistakes that
gave a wrong number without a word are errors, and the results do not depend on row order or
on the numeric type of a key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mirage_items import mirage_items

import emergence
from emergence.detect import detect
from emergence.errors import InputError
from emergence.fit import fit_mirage
from emergence.metrics import mirage_curves, rescore, score_items
from emergence.metrics.table_checks import numeric_sizes

TRAINED = Path(__file__).resolve().parents[2] / "benchmarks_data" / "trained"


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return mirage_items([3, 5], n_items=60)


@pytest.fixture(scope="module")
def trained() -> pd.DataFrame:
    return emergence.load(TRAINED).items


STAGES = {
    "rescore": lambda t: rescore(t, n_boot=0),
    "detect": lambda t: detect(t, seed=0, n_sim=200),
    "mirage_curves": mirage_curves,
}


@pytest.mark.parametrize("stage", ["rescore", "detect", "score_items"])
def test_answers_read_as_numbers_are_an_error_not_an_exact_match_of_zero(items, stage):
    # what pandas.read_csv does to numeric answers: a number never equals a string
    numeric = items.assign(target=items["target"].astype(int))
    run = score_items if stage == "score_items" else STAGES[stage]
    with pytest.raises(InputError, match=r"column 'target': expected text, got int64 values "
                                         r"such as \d+; .*dtype=\{'target': str\}"):
        run(numeric)
    mixed = items.assign(output=items["output"].astype(object))
    mixed.loc[3, "output"] = 7
    with pytest.raises(InputError, match="column 'output': expected text, got int values"):
        score_items(mixed)


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_model_with_two_sizes_is_an_error_not_a_phantom_scale(items, stage):
    two = items.copy()
    rows = two.index[two["model"] == two["model"].iloc[0]][:3]
    two.loc[rows, "params"] *= 1.5
    with pytest.raises(InputError, match=r"model 'm1e\+06' \(family 'sim'\) has params "
                                         r"1e\+06 and 1\.5e\+06; expected one size per model"):
        STAGES[stage](two)


@pytest.mark.parametrize("stage", list(STAGES))
def test_an_item_given_twice_is_an_error_not_counted_twice(items, stage):
    twice = pd.concat([items, items.iloc[[5]]], ignore_index=True)
    with pytest.raises(InputError, match=r"items: item 'i5', model 'm1e\+06', task 'arith' is "
                                         r"given twice; expected one row per"):
        STAGES[stage](twice)


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize(
    ("params", "message"),
    [
        (-1.0, r"expected a positive parameter count, got -1 for model 'm1e\+06'"),
        (np.inf, r"expected a positive parameter count, got inf for model 'm1e\+06'"),
        ("7B", r"expected parameter counts \(numbers\), got '7B' for model 'm1e\+06' "
               r"\(emergence.load reads sizes written like 7B or 125M\)"),
    ],
)  # fmt: skip
def test_sizes_that_are_not_positive_numbers_are_errors(items, stage, params, message):
    bad = items.assign(params=items["params"].astype(object))
    bad.loc[bad["model"] == "m1e+06", "params"] = params
    with pytest.raises(InputError, match=message):
        STAGES[stage](bad)


def test_sizes_held_as_numbers_in_an_object_column_are_read(items):
    as_objects = items.assign(params=items["params"].astype(object))
    pd.testing.assert_frame_equal(rescore(as_objects, n_boot=0), rescore(items, n_boot=0))


def test_mirage_curves_and_their_fit_do_not_depend_on_the_row_order(trained):
    # the sums ran in input order: the last bits of the cross-entropy moved, and a fit near
    # its stopping test could read converged in one order and not in another
    shuffled = trained.sample(frac=1, random_state=10)
    a, b = mirage_curves(trained), mirage_curves(shuffled)
    pd.testing.assert_frame_equal(a.curves, b.curves, check_exact=True)
    pd.testing.assert_frame_equal(a.lengths, b.lengths, check_exact=True)
    fa, fb = fit_mirage(a).fits, fit_mirage(b).fits
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)


def test_scores_given_with_the_items_follow_them_into_key_order(items):
    shuffled = items.sample(frac=1, random_state=3)
    given = score_items(shuffled, ["exact_match", "token_edit_distance"])
    pd.testing.assert_frame_equal(mirage_curves(shuffled, given).curves,
                                  mirage_curves(items).curves, check_exact=True)  # fmt: skip


def test_a_float_n_shots_draws_the_same_bootstrap_as_an_integer(items):
    as_int = rescore(items.assign(n_shots=5), n_boot=200, seed=1)
    as_float = rescore(items.assign(n_shots=5.0), n_boot=200, seed=1)
    for col in ("value", "ci_low", "ci_high"):
        np.testing.assert_array_equal(as_int[col].to_numpy(), as_float[col].to_numpy())
    # the check is not empty: another seed does move the intervals
    other = rescore(items.assign(n_shots=5), n_boot=200, seed=2)
    assert not np.array_equal(other["ci_low"].to_numpy(), as_int["ci_low"].to_numpy())


@pytest.mark.parametrize("stage", list(STAGES))
def test_item_scores_of_other_rows_or_another_order_are_refused(items, stage):
    # matched by position: scores of the items sorted another way scored the wrong rows
    scores = score_items(items)
    run = {
        "rescore": lambda t, s: rescore(t, n_boot=0, item_scores=s),
        "detect": lambda t, s: detect(t, seed=0, n_sim=200, item_scores=s),
        "mirage_curves": mirage_curves,
    }[stage]
    message = r"item_scores: scored on other rows than these \d+ items, or on them in another"
    with pytest.raises(InputError, match=message):
        run(items.sort_values("item", kind="stable"), scores)
    with pytest.raises(InputError, match=message):
        run(items.iloc[:-1], scores)
    # the same rows under another index are theirs
    run(items.set_axis(np.arange(len(items)) * 3 + 1), scores)


def test_categorical_answers_are_text(items):
    # read_parquet gives a column saved as categorical back as one
    cat = items.assign(target=items["target"].astype("category"),
                       output=items["output"].astype("category"))  # fmt: skip
    pd.testing.assert_frame_equal(rescore(cat, n_boot=0), rescore(items, n_boot=0))
    numbers = items.assign(target=items["target"].astype(int).astype("category"))
    with pytest.raises(InputError, match="column 'target': expected text, got int64 values"):
        rescore(numbers, n_boot=0)


def test_answers_are_checked_only_for_the_metrics_that_compare_them():
    choices = [["a", "b", "c"]] * 4
    mc = pd.DataFrame({
        "family": "f", "model": [f"m{k}" for k in range(4)], "params": [1e8, 1e9, 1e10, 1e11],
        "task": "t", "item": "i0", "target": [2, 2, 2, 2], "choices": choices,
        "choice_logprobs": [[-1.0, -2.0, -0.5], [-1.0, -0.2, -3.0], [-2.0, -1.0, -0.1],
                            [-3.0, -2.0, -0.1]],
        "correct_choice": 2,
    })  # fmt: skip
    graded = rescore(mc, metrics=["multiple_choice_grade"], n_boot=0)
    assert graded["value"].tolist() == [1.0, 0.0, 1.0, 1.0]


def test_rows_without_an_item_id_are_named_as_such(items):
    missing = items.assign(item=items["item"].astype(object))
    missing.loc[7, "item"] = None
    for stage in STAGES.values():
        with pytest.raises(InputError, match=r"column 'item': missing id at row 8 \(model "
                                             r"'m1e\+06', task 'arith'\)"):
            stage(missing)


@pytest.mark.parametrize(("value", "shown"), [(True, "True"), (0.0, "0")])
def test_a_size_that_is_no_count_is_refused_also_without_a_model_column(items, value, shown):
    bad = items.drop(columns="model").assign(params=items["params"].astype(object))
    bad.loc[2, "params"] = value
    with pytest.raises(InputError, match=rf"column 'params': expected .*, got {shown} at row 3"):
        numeric_sizes(bad)
