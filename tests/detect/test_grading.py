"""Exact match against the grading the source framework recorded (column ``correct``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from mirage_items import mirage_items

from emergence.detect import detect
from emergence.detect.grading import grading_note
from emergence.load import load
from emergence.metrics import score_items
from emergence.metrics.text import Normalisation

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _items() -> pd.DataFrame:
    """Four outputs of two models: the source strips before comparing, exact match does not."""
    return pd.DataFrame({
        "family": "f", "model": ["a", "a", "b", "b"], "params": [1e8, 1e8, 1e9, 1e9],
        "task": "t", "item": ["q1", "q2", "q1", "q2"], "target": ["Yes", "No", "Yes", "No"],
        "output": ["Yes", " No", "No", " No"],
        "correct": pd.array([True, True, False, True], dtype="boolean"),
    })  # fmt: skip


def _exact(items: pd.DataFrame, norm: Normalisation | None = None) -> np.ndarray:
    return score_items(items, ["exact_match"], normalisation=norm).column("exact_match")


def test_the_note_counts_the_outputs_graded_otherwise_and_quotes_the_first():
    items = _items()
    note = grading_note(_exact(items), items, np.arange(4))
    # exact match 1, 0, 0, 0 against correct T, T, F, T: rows q2 of a and q2 of b differ
    assert "on 2 of 4 graded outputs" in note
    assert "item q2 of a: output ' No', target 'No', graded correct" in note
    assert note.startswith(" (strict exact match disagrees with the source's own grading")
    assert "--normalise" in note


def test_only_the_task_rows_and_the_graded_outputs_are_counted():
    items = _items()
    items.loc[3, "correct"] = pd.NA  # not graded: not counted either way
    rows = np.array([1, 2, 3])
    note = grading_note(_exact(items)[rows], items, rows)
    assert "on 1 of 2 graded outputs" in note


def test_no_note_without_grading_or_when_every_graded_output_agrees():
    items = _items()
    assert grading_note(_exact(items), items.drop(columns="correct"), np.arange(4)) == ""
    norm = Normalisation(strip=True)
    assert grading_note(_exact(items, norm), items, np.arange(4), norm) == ""
    items["correct"] = pd.array([pd.NA] * 4, dtype="boolean")
    assert grading_note(_exact(items), items, np.arange(4)) == ""


def test_the_note_says_when_exact_match_was_normalised():
    items = _items()
    norm = Normalisation(casefold=True)  # does not strip: the same two rows still differ
    note = grading_note(_exact(items, norm), items, np.arange(4), norm)
    assert note.startswith(" (normalised exact match disagrees") and "on 2 of 4" in note


def test_a_long_output_is_quoted_shortened():
    items = _items()
    items.loc[1, "output"] = "The answer, after some thought, is certainly: No"
    note = grading_note(_exact(items), items, np.arange(4))
    assert "output 'The answer, after some thought, is certa...'" in note


def test_real_lm_eval_generations_agree_with_their_own_exact_match():
    run = FIXTURES / "lm-eval-0.4.13"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        items = load(run, allow_missing_params=True, warn=False).items.reset_index(drop=True)
    em = _exact(items)
    rows = np.flatnonzero(np.isfinite(em) & items["correct"].notna().to_numpy())
    assert rows.size >= 20  # the generation task's outputs, graded by lm-eval
    assert grading_note(em[rows], items, rows) == ""


def padded_mirage() -> pd.DataFrame:
    """Simulated mirage items whose outputs carry a trailing space the source's grader strips."""
    items = mirage_items([3, 5], n_items=150, seed=4)
    items["correct"] = items["output"] == items["target"]
    items["output"] = items["output"] + " "
    return items


def test_detect_names_the_disagreement_and_normalising_removes_it():
    items = padded_mirage()
    strict = detect(items, seed=0, bootstrap=0).verdicts.iloc[0]
    assert "on 1200 of 1200 graded outputs" not in strict["note"]  # only the right ones differ
    n_right = int(items["correct"].sum())
    assert f"on {n_right} of 1200 graded outputs" in strict["note"]
    assert strict["verdict"] == "underpowered"  # exact match 0 everywhere: at its floor
    fixed = detect(items, seed=0, bootstrap=0, normalisation=Normalisation(strip=True))
    row = fixed.verdicts.iloc[0]
    assert "source's own grading" not in row["note"]
    # the discontinuous curve detect judged is now the source's own, scale by scale
    source = items.groupby("params")["correct"].mean().to_numpy()
    np.testing.assert_allclose(fixed.tasks[0].discontinuous, source, rtol=0, atol=1e-12)


def test_a_grade_column_that_is_not_true_or_false_is_one_line():
    import pytest

    from emergence.errors import InputError

    items = _items().assign(correct=["yes", "no", "yes", "no"])
    with pytest.raises(InputError, match=r"^column 'correct': expected true or false"):
        grading_note(_exact(items), items, np.arange(4))
