"""The fast paths of the metrics stage give bit-identical values to the general ones.

Fixed-width list columns, chunked Arrow columns, the Arrow exact match, the sorted-column
percentiles and the hash-based group codes each replace a slower general computation; these
tests pin them to it (exact equality, NaN and the sign of zeros included).
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from emergence.errors import InputError
from emergence.metrics import bootstrap_means, rescore, score_items
from emergence.metrics.fields import ItemFields
from emergence.metrics.probs import choice_scores
from emergence.metrics.ragged import Ragged, flatten

aggregate_module = importlib.import_module("emergence.metrics.aggregate")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(
            np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b))
        )
    return bool(np.array_equal(a, b))


def _awkward_matrix(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mat = np.round(rng.normal(-2.0, 1.0, (n, k)), 1)
    mat[rng.random(n) < 0.1] = -0.0
    mat[rng.random(n) < 0.05, 0] = np.nan
    mat[rng.random(n) < 0.05, -1] = -np.inf
    mat[rng.random(n) < 0.05] = -np.inf
    ties = rng.random(n) < 0.1
    mat[ties, : max(k // 2, 1)] = 0.5
    return mat


def _general(rag: Ragged) -> Ragged:
    """The same rows with one empty row appended: not fixed-width, so the general path runs."""
    return Ragged(
        rag.values,
        np.append(rag.starts, rag.values.shape[0]),
        np.append(rag.lengths, 0),
        np.append(rag.present, True),
    )


@pytest.mark.parametrize("k", [1, 4, 10, 20])
def test_fixed_width_row_reductions_match_the_general_path(k):
    mat = _awkward_matrix(500, k, seed=k)
    fixed = flatten(list(mat), dtype=np.float64)
    assert fixed.fixed_width == k
    general = _general(fixed)
    assert general.fixed_width == 0
    assert _same(fixed.row_sum(), general.row_sum()[:-1])
    assert _same(fixed.row_argmax(), general.row_argmax()[:-1])
    # row_max: equal values (a zero maximum may differ in sign only; callers cannot see it).
    assert np.array_equal(fixed.row_max(), general.row_max()[:-1], equal_nan=True)


@pytest.mark.parametrize("k", [2, 4, 7])
def test_fixed_width_choice_scores_match_the_general_path(k):
    n = 400
    mat = _awkward_matrix(n, k, seed=10 + k)
    rng = np.random.default_rng(k)
    cc = rng.integers(-1, k + 1, n).astype(float)
    cc[rng.random(n) < 0.05] = np.nan
    fixed = flatten(list(mat), dtype=np.float64)
    general = _general(fixed)
    a = choice_scores(fixed, cc)
    b = choice_scores(general, np.append(cc, 0.0))
    for name in ("valid", "predicted", "p_correct", "brier_sum", "n_choices"):
        assert _same(getattr(a, name), getattr(b, name)[:-1]), name


def _items(n: int, seed: int, vocab: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        length = int(rng.integers(0, 8))
        tgt = [vocab[j] for j in rng.integers(0, len(vocab), length)]
        out = [t if rng.random() < 0.6 else vocab[int(rng.integers(len(vocab)))] for t in tgt]
        out = out[: int(rng.integers(0, length + 1))] if rng.random() < 0.3 else out
        rows.append({
            "family": "f", "model": f"m{i % 3}", "params": 1e6 * (1 + i % 3), "task": "t",
            "item": f"i{i // 3}", "target": " ".join(tgt), "output": " ".join(out),
            "target_tokens": tgt if rng.random() > 0.05 else None,
            "output_tokens": out if rng.random() > 0.05 else None,
        })
    # Python strings (object columns): pandas 3 would otherwise store them as Arrow strings,
    # and the "plain" side of a comparison would take the Arrow path too
    return pd.DataFrame(rows).astype({"target": object, "output": object})


def _arrow_chunked(values: list, value_type: pa.DataType, cuts: list[int]) -> pd.Series:
    arr = pa.array(values, type=value_type)
    bounds = [0, *cuts, len(values)]
    chunks = [arr.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(chunks, type=value_type)))


def test_chunked_arrow_tokens_give_the_same_scores_as_python_lists():
    vocab = ["a", "b", "the", "é", "日本", "🙂", "", "12"]
    items = _items(300, seed=1, vocab=vocab)
    arrow = items.copy()
    for col in ("target_tokens", "output_tokens"):
        # several chunks, one of them empty, cut at different rows in the two columns
        cuts = [0, 50, 50, 170] if col == "target_tokens" else [120, 299]
        arrow[col] = _arrow_chunked(items[col].tolist(), pa.list_(pa.string()), cuts)
    for col in ("target", "output"):
        arrow[col] = arrow[col].astype(pd.StringDtype("pyarrow", na_value=np.nan))
    assert ItemFields(items).arrow_strings("output") is None
    assert ItemFields(arrow).arrow_strings("output") is not None
    plain = score_items(items)
    fast = score_items(arrow)
    assert plain.metrics == fast.metrics
    assert _same(plain.values, fast.values)
    pd.testing.assert_frame_equal(rescore(items, n_boot=50), rescore(arrow, n_boot=50))


def test_null_tokens_inside_arrow_lists_compare_equal_to_each_other():
    tokens = pa.array([["a", None, "b"], [None], ["a"]], type=pa.list_(pa.string()))
    target = pa.array([["a", None, "c"], ["x"], [None]], type=pa.list_(pa.string()))
    items = pd.DataFrame({
        "output_tokens": pd.Series(pd.arrays.ArrowExtensionArray(tokens)),
        "target_tokens": pd.Series(pd.arrays.ArrowExtensionArray(target)),
    })
    out = score_items(items, ["token_edit_distance"])
    assert out.column("token_edit_distance").tolist() == [1.0, 1.0, 1.0]


def test_arrow_exact_match_equals_python_string_equality():
    out = ["a", "b", None, "é", "x ", "", "日本"]
    tgt = ["a", "B", "c", "é", "x", "", None]
    plain = pd.DataFrame({"output": out, "target": tgt}, dtype=object)  # Python strings
    arrow = plain.astype(pd.StringDtype("pyarrow"))
    assert ItemFields(plain).arrow_strings("output") is None
    assert ItemFields(arrow).arrow_strings("output") is not None
    a = score_items(plain, ["exact_match"]).values
    b = score_items(arrow, ["exact_match"]).values
    assert _same(a, b)
    assert a[:, 0].tolist()[:2] == [1.0, 0.0] and np.isnan(a[2, 0])


@pytest.mark.parametrize("seed", range(4))
def test_percentile_interval_equals_numpy_quantile(seed):
    rng = np.random.default_rng(seed)
    reps = rng.normal(size=(1000, 37))
    reps[:, :5] = np.round(reps[:, :5], 1)  # ties
    reps[:, 5] = 0.25  # constant column
    alpha = [0.025, 0.05, 0.1, 0.3][seed]
    expected = np.quantile(reps, [alpha, 1 - alpha], axis=0)
    assert _same(aggregate_module._percentile_interval(reps, alpha), expected)
    # NaN replicates (a replicate that drew no value) are left out: the quantiles of each
    # column without them, column by column (not the nanquantile call the code makes)
    reps[3, 7] = reps[10:40, 8] = np.nan
    reps[:, 9] = np.nan  # a column without any value has NaN bounds
    expected = np.full((2, reps.shape[1]), np.nan)
    for j in range(reps.shape[1]):
        col = reps[~np.isnan(reps[:, j]), j]
        if col.size:
            expected[:, j] = np.quantile(col, [alpha, 1 - alpha])
    assert _same(aggregate_module._percentile_interval(reps, alpha), expected)
    # the linear method: order statistics k = floor(p (m - 1)) and k + 1, interpolated
    col = np.sort(reps[~np.isnan(reps[:, 8]), 8])
    h = alpha * (col.size - 1)
    k = int(np.floor(h))
    low = col[k] + (h - k) * (col[k + 1] - col[k])
    assert aggregate_module._percentile_interval(reps, alpha)[0, 8] == pytest.approx(low, rel=1e-12)


def test_sorted_factorize_equals_numpy_unique():
    rng = np.random.default_rng(0)
    for values in (rng.integers(0, 50, 1000), rng.integers(-5, 5, 7), np.array([3]),
                   np.arange(10)[::-1].copy()):
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        dense, index = aggregate_module._sorted_factorize(values.astype(np.int64))
        assert np.array_equal(dense, inverse.reshape(-1))
        assert np.array_equal(index, first)


def test_bootstrap_counts_equal_an_integer_bincount():
    """The float32 resampling counts are the integer counts of the same draws."""
    rng = np.random.default_rng(4)
    n, cols, n_boot = 300, 6, 250
    sums = rng.normal(size=(n, cols))
    counts = np.ones((n, cols))
    got = bootstrap_means(sums, counts, n_boot, np.random.default_rng(9))
    draws = np.random.default_rng(9).integers(0, n, size=(n_boot, n))
    weights = np.stack([np.bincount(row, minlength=n) for row in draws]).astype(np.float64)
    expected = weights @ sums / float(n)
    # float32 products of centred values: about 1e-7 of the spread of the values
    assert np.max(np.abs(got - expected)) < 1e-6
    ints = rng.integers(0, 2, size=(n, cols)).astype(float)  # 0/1 columns: exact fractions
    got = bootstrap_means(ints, counts, n_boot, np.random.default_rng(9))
    assert _same(got, weights @ ints / float(n))


def test_picked_options_are_found_alike_in_arrow_and_python():
    # a task whose outputs are (almost) all among their item's choices picks options: its edit
    # distances are grades between options and are not scored; a generating task whose output
    # equals a choice now and then keeps them (dropping the exactly right answers would bias
    # the distance). The Arrow comparison must mark the same rows as the Python one.
    from emergence.metrics.fields import ItemFields
    from emergence.metrics.registry import picked_option

    rng = np.random.default_rng(3)
    n = 200
    task = np.where(np.arange(n) < 120, "mc", "gen")
    choices = [None if i % 7 == 0 else [f"o{k}" for k in range(rng.integers(1, 5))]
               for i in range(n)]  # fmt: skip
    output = [None if i % 11 == 0
              else (c[rng.integers(0, len(c))] if t == "mc" and c else f"o{rng.integers(0, 6)}")
              for i, (t, c) in enumerate(zip(task, choices, strict=True))]  # fmt: skip
    items = pd.DataFrame({"task": task, "output": output, "choices": choices})
    items["output"] = items["output"].astype(object)  # Python strings, not pandas 3's Arrow
    assert ItemFields(items).arrow_strings("output") is None
    expected = np.array([t == "mc" and o is not None and c is not None
                         for t, o, c in zip(task, output, choices, strict=True)])  # fmt: skip
    gen_hits = sum(o is not None and c is not None and o in c
                   for t, o, c in zip(task, output, choices, strict=True) if t == "gen")
    assert gen_hits > 10  # outputs equal to a choice in the generating task stay scored
    np.testing.assert_array_equal(picked_option(ItemFields(items)), expected)
    arrow = items.copy()
    arrow["choices"] = _arrow_chunked(choices, pa.list_(pa.string()), [0, 40, 40, 130])
    arrow["output"] = arrow["output"].astype(pd.StringDtype("pyarrow", na_value=np.nan))
    fields = ItemFields(arrow)
    assert fields.arrow("choices") is not None and fields.arrow_strings("output") is not None
    np.testing.assert_array_equal(picked_option(fields), expected)


def test_picked_options_with_non_string_arrow_choices_do_not_crash():
    # library input: Arrow choices of ints or dictionary-encoded strings (review: an
    # ArrowNotImplementedError); ints compare as text, dictionaries as their strings
    from emergence.metrics import score_items
    from emergence.metrics.fields import ItemFields
    from emergence.metrics.registry import picked_option

    base = {"family": "f", "task": "t", "target": ["1", "1", "2", "2"]}
    ints = pd.DataFrame({**base, "output": ["1", "2", "1", "2"], "choices": pd.array(
        [[1, 2]] * 4, dtype=pd.ArrowDtype(pa.list_(pa.int64())))})  # fmt: skip
    assert picked_option(ItemFields(ints)).all()
    assert "token_edit_distance" not in score_items(ints).metrics
    words = pa.array([["a", "b"]] * 4, pa.list_(pa.string()))
    coded = words.cast(pa.list_(pa.dictionary(pa.int32(), pa.string())))
    output = pd.array(["a", "b", "a", "zz"], dtype="string[pyarrow]")
    frame = pd.DataFrame({**base, "output": output,
                          "choices": pd.Series(pd.arrays.ArrowExtensionArray(coded))})  # fmt: skip
    # 3 of 4 outputs among the choices: not a picking task
    assert not picked_option(ItemFields(frame)).any()


def test_a_loader_flag_marks_picks_that_no_option_could_be_read_from():
    # Inspect keeps the raw answer when no letter parses: with 30 % of those (small models
    # failing the answer format) the 99 % rule no longer sees a picking task, and the edit
    # distance of a pick came back as a "continuous companion" (review); the loader's
    # output_picked flag decides instead
    from emergence.metrics import score_items

    rng = np.random.default_rng(0)
    opts = ["alpha", "beta", "gamma", "delta"]
    output = [opts[rng.integers(0, 4)] if rng.random() < 0.7 else "I think the answer is"
              for _ in range(300)]  # fmt: skip
    items = pd.DataFrame({"family": "f", "task": "mc", "target": "alpha", "output": output,
                          "choices": [opts] * 300})  # fmt: skip
    assert "token_edit_distance" in score_items(items).metrics  # no flag: 70 % < 99 %
    flagged = items.assign(output_picked=True)
    assert "token_edit_distance" not in score_items(flagged).metrics
    with pytest.raises(InputError, match="not scored on picked options .*output_picked"):
        score_items(flagged, ["token_edit_distance"])
    # False keeps a row generated whatever the share; a missing flag falls back to the rule
    generated = items.assign(output=opts[0], output_picked=False)
    assert "token_edit_distance" in score_items(generated).metrics
    bad = items.assign(output_picked="maybe")
    with pytest.raises(InputError, match="output_picked"):
        score_items(bad)


@pytest.mark.parametrize(
    "dtype",
    [object, pd.StringDtype("pyarrow", na_value=np.nan), pd.ArrowDtype(pa.string())],
    ids=["python", "str-pyarrow", "ArrowDtype"],
)
def test_exact_match_values_are_nan_where_the_output_or_the_target_is_missing(dtype):
    """Metric.values (the compute function, before score_items masks unavailable rows): a
    missing target is no score, NaN, on the Arrow fast path as on the Python strings (object
    columns), by the definition in docs/metrics.md; the other rows by hand."""
    from emergence.metrics import get_metric
    from emergence.metrics.fields import ItemFields

    frame = pd.DataFrame({
        "output": pd.Series(["a", "b", None, "c", "x "], dtype=object),
        "target": pd.Series(["a", None, "c", "d", "x"], dtype=object),
    }).astype(dtype)
    fields = ItemFields(frame)
    assert (fields.arrow_strings("output") is not None) == (dtype is not object)
    got = get_metric("exact_match").values(fields)
    expected = np.array([1.0, np.nan, np.nan, 0.0, 0.0])
    assert _same(got, expected)
