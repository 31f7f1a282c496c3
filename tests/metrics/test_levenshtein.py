"""The bit-parallel Levenshtein kernel against rapidfuzz, and its use by the edit distances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from rapidfuzz.distance import Levenshtein

from emergence.metrics import levenshtein as lv
from emergence.metrics import text
from emergence.metrics.fields import ItemFields
from emergence.metrics.scoring import configure


def _ragged(seqs_a: list, seqs_b: list) -> tuple:
    values = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs_a + seqs_b] + [[]])
    lengths = np.array([len(s) for s in seqs_a + seqs_b], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    n = len(seqs_a)
    return values.astype(np.int64), starts[:n], lengths[:n], starts[n:], lengths[n:]


def _reference(seqs_a: list, seqs_b: list) -> np.ndarray:
    return np.array(
        [Levenshtein.distance(list(a), list(b)) for a, b in zip(seqs_a, seqs_b, strict=True)]
    )


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_random_pairs_match_rapidfuzz(seed: int, workers: int) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    alphabet = int(rng.integers(1, 5))  # small alphabets: many matches
    la, lb = rng.integers(0, 71, n), rng.integers(0, 71, n)
    straddle = rng.random(n) < 0.3  # lengths around the 64-bit word size
    la[straddle] = rng.integers(60, 70, straddle.sum())
    seqs_a = [rng.integers(0, alphabet, k).tolist() for k in la]
    seqs_b = [rng.integers(0, alphabet, k).tolist() for k in lb]
    got = lv.levenshtein_ragged(*_ragged(seqs_a, seqs_b), workers=workers)
    ref = _reference(seqs_a, seqs_b)
    handled = np.minimum(la, lb) <= lv.MAX_PATTERN
    np.testing.assert_array_equal(got >= 0, handled)
    np.testing.assert_array_equal(got[handled], ref[handled])


@pytest.mark.parametrize(
    ("m", "length"), [(0, 0), (0, 7), (7, 0), (1, 1), (8, 9), (10, 10), (16, 17), (33, 5),
                      (63, 64), (64, 64), (64, 70), (70, 64)],  # fmt: skip
)
def test_fixed_width_matches_rapidfuzz(m: int, length: int) -> None:
    rng = np.random.default_rng(m * 100 + length)
    a = rng.integers(0, 3, (257, m))
    b = rng.integers(0, 3, (257, length))
    ref = _reference(a.tolist(), b.tolist())
    np.testing.assert_array_equal(lv.levenshtein_fixed(a, b), ref)
    np.testing.assert_array_equal(lv.levenshtein_fixed(b, a, workers=2), ref)


def test_both_sides_too_long() -> None:
    with pytest.raises(ValueError, match="longer than 64"):
        lv.levenshtein_fixed(np.zeros((2, 65)), np.zeros((2, 66)))
    a, b = [[1] * 65, [1, 2]], [[2] * 66, [2]]
    np.testing.assert_array_equal(lv.levenshtein_ragged(*_ragged(a, b)), [-1, 1])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("kitten", "sitting", 3), ("flaw", "lawn", 2), ("", "abc", 3), ("abc", "", 3), ("", "", 0),
     ("intention", "execution", 5), ("abc", "abc", 0), ("ab", "ba", 2), ("a" * 64, "b" * 64, 64),
     ("a" * 70, "a" * 64, 6)],  # fmt: skip
)
def test_hand_computed(a: str, b: str, expected: int) -> None:
    seqs_a, seqs_b = [[ord(c) for c in a]], [[ord(c) for c in b]]
    assert lv.levenshtein_ragged(*_ragged(seqs_a, seqs_b))[0] == expected
    assert text.char_edit_distance([a], [b])[0] == expected
    arrow = text.char_edit_distance_arrow(pa.chunked_array([[a]]), pa.chunked_array([[b]]))
    assert arrow[0] == expected


def test_symmetry_and_triangle_inequality() -> None:
    rng = np.random.default_rng(7)
    x, y, z = ([rng.integers(0, 3, int(rng.integers(0, 20))).tolist() for _ in range(300)]
               for _ in range(3))  # fmt: skip
    xy = lv.levenshtein_ragged(*_ragged(x, y))
    yx = lv.levenshtein_ragged(*_ragged(y, x))
    yz = lv.levenshtein_ragged(*_ragged(y, z))
    xz = lv.levenshtein_ragged(*_ragged(x, z))
    np.testing.assert_array_equal(xy, yx)
    assert (xz <= xy + yz).all()
    assert (lv.levenshtein_ragged(*_ragged(x, x)) == 0).all()


def _random_words(rng: np.random.Generator, n: int, alphabet: list[str]) -> list:
    return ["".join(rng.choice(alphabet, int(rng.integers(0, 80)))) for _ in range(n)]


@pytest.mark.parametrize("chunks", [1, 3])
def test_char_distance_arrow_matches_rapidfuzz(chunks: int) -> None:
    rng = np.random.default_rng(chunks)
    alphabet = ["a", "b", " ", "é", "日", "\U0001f600"]
    outs = _random_words(rng, 400, alphabet[:3]) + _random_words(rng, 100, alphabet)
    tgts = _random_words(rng, 400, alphabet[:3]) + _random_words(rng, 100, alphabet)
    outs[5], tgts[6], outs[7], tgts[7] = None, None, "", ""

    def column(values: list, large: bool) -> pa.ChunkedArray:
        kind = pa.large_string() if large else pa.string()
        cuts = np.linspace(0, len(values), chunks + 1).astype(int)
        return pa.chunked_array(
            [pa.array(values[a:b], type=kind) for a, b in zip(cuts[:-1], cuts[1:], strict=True)],
            type=kind,
        )

    for large in (False, True):
        got = text.char_edit_distance_arrow(column(outs, large), column(tgts, large)[::1])
        for i, (o, t) in enumerate(zip(outs, tgts, strict=True)):
            if o is None or t is None:
                assert np.isnan(got[i])
            else:
                assert got[i] == Levenshtein.distance(o, t)


def _items(outputs: list, targets: list, out_tokens: list, tgt_tokens: list) -> pd.DataFrame:
    return pd.DataFrame(
        {"output": outputs, "target": targets, "output_tokens": out_tokens,
         "target_tokens": tgt_tokens}  # fmt: skip
    )


def _arrow_items(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col, kind in (("output", pa.large_string()), ("target", pa.large_string()),
                      ("output_tokens", pa.list_(pa.string())),
                      ("target_tokens", pa.list_(pa.string()))):  # fmt: skip
        values = [v if isinstance(v, str | list) else None for v in frame[col]]
        arr = pa.array(values, type=kind)
        out[col] = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([arr[:7], arr[7:]])))
    return out


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_char_distance_arrow_on_sliced_chunks(kind: pa.DataType) -> None:
    # chunks that are slices of larger arrays (non-zero offsets), nulls, non-ASCII rows
    rng = np.random.default_rng(1)
    a = ["".join(rng.choice(list("abcé"), rng.integers(0, 40))) if rng.random() > 0.1 else None
         for _ in range(500)]  # fmt: skip
    b = ["".join(rng.choice(list("abc"), rng.integers(0, 70))) for _ in range(500)]
    left = pa.chunked_array(
        [pa.array(a[:200], kind).slice(37), pa.array(a[200:], kind).slice(0, 263)]
    )
    right = pa.chunked_array([pa.array(b[37:250], kind), pa.array(b[250:], kind)]).slice(0, 426)
    got = text.char_edit_distance_arrow(left, right)
    want = [np.nan if x is None else Levenshtein.distance(x, y)
            for x, y in zip(a[37:463], b[37:463], strict=True)]  # fmt: skip
    np.testing.assert_array_equal(got, np.array(want, dtype=float))


@pytest.mark.parametrize("long_tokens", [False, True])
def test_metrics_equal_rapidfuzz_on_tables(long_tokens: bool) -> None:
    rng = np.random.default_rng(3)
    vocab = ["a", "bb", "ccc", "é", "日本", None]
    if long_tokens:
        vocab += ["a much longer token", "another long one"]
    out_tok, tgt_tok = [], []
    for i in range(60):
        k1, k2 = int(rng.integers(0, 70)), int(rng.integers(0, 70))
        if i % 10 == 0:
            k1 = k2 = 66  # both sides over 64: the rapidfuzz fallback
        out_tok.append([vocab[j] for j in rng.integers(0, len(vocab), k1)])
        tgt_tok.append([vocab[j] for j in rng.integers(0, len(vocab), k2)])
    out_tok[3], tgt_tok[4] = None, None
    outputs = [" ".join(x or "?" for x in t or []) for t in out_tok]
    targets = [" ".join(x or "?" for x in t or []) for t in tgt_tok]
    outputs[8] = None
    plain = _items(outputs, targets, out_tok, tgt_tok)
    ted_ref = np.array([
        np.nan if a is None or b is None else Levenshtein.distance(a, b)
        for a, b in zip(out_tok, tgt_tok, strict=True)
    ])
    ced_ref = np.array([
        np.nan if a is None or b is None else Levenshtein.distance(a, b)
        for a, b in zip(outputs, targets, strict=True)
    ])
    for frame in (plain, _arrow_items(plain)):
        ted = configure("token_edit_distance").compute(ItemFields(frame))
        ced = configure("char_edit_distance").compute(ItemFields(frame))
        assert ted.dtype == ced.dtype == np.float64
        # rows without tokens fall back to tokenising the text (both are missing only there)
        tok_rows = np.array([a is not None and b is not None for a, b in zip(out_tok, tgt_tok,
                                                                            strict=True)])
        np.testing.assert_array_equal(ted[tok_rows], ted_ref[tok_rows])
        np.testing.assert_array_equal(ced, ced_ref)


def test_token_distance_integer_and_object_inputs() -> None:
    rng = np.random.default_rng(11)
    seqs_a = [rng.integers(0, 4, int(rng.integers(0, 80))).tolist() for _ in range(200)]
    seqs_b = [rng.integers(0, 4, int(rng.integers(0, 80))).tolist() for _ in range(200)]
    ref = _reference(seqs_a, seqs_b).astype(np.float64)
    flat_a = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs_a])
    flat_b = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs_b])
    la = np.array([len(s) for s in seqs_a])
    lb = np.array([len(s) for s in seqs_b])
    np.testing.assert_array_equal(text.token_edit_distance(flat_a, la, flat_b, lb), ref)
    # large keys (as packed token bytes are) and object tokens give the same distances
    big = np.uint64(1) << np.uint64(60)
    np.testing.assert_array_equal(
        text.token_edit_distance(flat_a.astype(np.uint64) + big, la,
                                 flat_b.astype(np.uint64) + big, lb), ref)  # fmt: skip
    np.testing.assert_array_equal(
        text.token_edit_distance(flat_a.astype(str).astype(object), la,
                                 flat_b.astype(str).astype(object), lb), ref)  # fmt: skip
