"""Property-based checks of the metric kernels (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from emergence.metrics import score_items
from emergence.metrics.probs import brier_score, choice_scores
from emergence.metrics.ragged import flatten
from emergence.metrics.text import char_edit_distance, token_edit_distance

TOKENS = st.lists(st.sampled_from(["a", "b", "c", "dd", "1", "2"]), max_size=8)
LOGPROBS = st.lists(st.floats(-50.0, 0.0), min_size=1, max_size=8)
SETTINGS = settings(max_examples=60, deadline=None)


def _ted(x: list[str], y: list[str]) -> float:
    return float(token_edit_distance(
        np.array(x, dtype=object), np.array([len(x)]), np.array(y, dtype=object), np.array([len(y)])
    )[0])


@SETTINGS
@given(TOKENS, TOKENS, TOKENS)
def test_token_edit_distance_is_a_metric(x, y, z):
    dxy, dyx = _ted(x, y), _ted(y, x)
    assert dxy == dyx
    assert (dxy == 0) == (x == y)
    assert _ted(x, z) <= dxy + _ted(y, z)
    assert abs(len(x) - len(y)) <= dxy <= max(len(x), len(y))


@SETTINGS
@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12))
def test_char_edit_distance_is_a_metric(x, y, z):
    d = lambda a, b: float(char_edit_distance([a], [b])[0])  # noqa: E731
    assert d(x, y) == d(y, x)
    assert d(x, z) <= d(x, y) + d(y, z)
    assert (d(x, y) == 0) == (x == y)


@SETTINGS
@given(st.lists(st.tuples(TOKENS, TOKENS), min_size=1, max_size=6))
def test_exact_match_is_one_iff_token_edit_distance_is_zero(pairs):
    # Space-joined tokens without spaces: text equality <=> token-sequence equality.
    items = pd.DataFrame({
        "family": "f", "model": "m", "params": 1.0, "task": "t",
        "item": [str(i) for i in range(len(pairs))],
        "output": [" ".join(o) for o, _ in pairs],
        "target": [" ".join(t) for _, t in pairs],
        "output_tokens": [np.array(o, dtype=object) for o, _ in pairs],
        "target_tokens": [np.array(t, dtype=object) for _, t in pairs],
    })
    s = score_items(items, ["exact_match", "token_edit_distance"])
    np.testing.assert_array_equal(
        s.column("exact_match") == 1, s.column("token_edit_distance") == 0)


@SETTINGS
@given(st.lists(LOGPROBS, min_size=1, max_size=5))
def test_logprob_metrics_ranges(rows):
    items = pd.DataFrame({
        "family": "f", "model": "m", "params": 1.0, "task": "t",
        "item": [str(i) for i in range(len(rows))], "target": "x",
        "target_logprobs": [np.array(r) for r in rows],
    })
    s = score_items(items, ["target_logprob", "mean_token_logprob", "per_token_prob", "p_correct"])
    assert (s.column("target_logprob") <= 0).all()
    assert (s.column("target_logprob") <= s.column("mean_token_logprob") + 1e-12).all()
    for name in ("per_token_prob", "p_correct"):
        v = s.column(name)
        assert ((v >= 0) & (v <= 1)).all()
    # p(target) <= geometric-mean token probability (p^L <= p for p <= 1, L >= 1).
    assert (s.column("p_correct") <= s.column("per_token_prob") + 1e-12).all()


@SETTINGS
@given(st.lists(st.tuples(st.lists(st.floats(-30.0, 0.0), min_size=2, max_size=6),
                          st.integers(0, 5)), min_size=1, max_size=6))
def test_choice_metric_ranges_and_brier_conventions(rows):
    rows = [(lp, c % len(lp)) for lp, c in rows]
    rag = flatten([np.array(lp) for lp, _ in rows], dtype=float)
    cc = np.array([c for _, c in rows], dtype=float)
    scores = choice_scores(rag, cc)
    assert scores.valid.all()
    assert ((scores.p_correct >= 0) & (scores.p_correct <= 1)).all()
    lm, bb = brier_score(scores, "lm_eval"), brier_score(scores, "bigbench")
    k = np.array([len(lp) for lp, _ in rows])
    assert ((lm >= 0) & (lm <= 2 + 1e-12)).all()
    np.testing.assert_allclose(bb, lm / k, rtol=1e-12)
    # Reference: direct softmax per row.
    for i, (lp, c) in enumerate(rows):
        p = np.exp(np.array(lp) - max(lp))
        p /= p.sum()
        y = np.eye(len(lp))[c]
        assert abs(lm[i] - ((p - y) ** 2).sum()) < 1e-9
        assert abs(scores.p_correct[i] - p[c]) < 1e-12
