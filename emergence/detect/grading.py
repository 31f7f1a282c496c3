"""Does the exact match detect computes agree with the grading the source framework recorded?

Loaders keep each framework's own verdict on an output in the items' ``correct`` column
(lm-eval's per-sample ``exact_match``, HELM's instance ``exact_match``, Inspect's scorer value,
BIG-bench's ``correct``). Those graders may strip, fold case, ignore punctuation or extract the
answer from a longer completion (Inspect's ``match`` and ``includes``); detect's exact match is
strict unless asked otherwise. Where the two disagree, the discontinuous curve detect judges is
not the one the source reported, and the reader must be told: a task whose outputs carry a
leading space would sit at exact match 0 at every scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emergence.detect._common import count
from emergence.metrics.text import Normalisation

# Characters of an output or target quoted in the note's example.
QUOTE_CHARS = 40


def grading_note(
    exact: np.ndarray,
    items: pd.DataFrame,
    rows: np.ndarray,
    normalisation: Normalisation | None = None,
) -> str:
    """A note saying how often exact match disagrees with the source's ``correct``, or ''.

    Parameters
    ----------
    exact : numpy.ndarray
        Per-row exact match (1, 0 or NaN where not scored) of ``items.iloc[rows]``.
    items : pandas.DataFrame
        The items table (``correct``, ``output``, ``target``, ``item``, ``model`` read).
    rows : numpy.ndarray
        Positions of the task's rows in ``items``.
    normalisation : Normalisation, optional
        The normalisation exact match was computed with (named in the note).

    Returns
    -------
    str
        ``""`` when the items carry no grading or every graded output agrees; otherwise a
        parenthesis (leading space) with the count of disagreements and the first of them.
    """
    if "correct" not in items.columns:
        return ""
    graded = items["correct"].iloc[rows].astype("boolean")
    em = np.asarray(exact, dtype=float)
    both = np.isfinite(em) & graded.notna().to_numpy()
    n_both = int(both.sum())
    if n_both == 0:
        return ""
    source = graded.fillna(False).to_numpy(dtype=bool)
    differ = both & ((em == 1.0) != source)
    n_differ = int(differ.sum())
    if n_differ == 0:
        return ""
    first = int(np.flatnonzero(differ)[0])
    row = items.iloc[rows[first]]
    named = [row.get(c) for c in ("item", "model")]
    where = " of ".join(str(v) for v in named if v is not None and pd.notna(v))
    example = (
        f"output {_quote(row.get('output'))}, target {_quote(row.get('target'))}, graded "
        + ("correct" if source[first] else "wrong")
    )
    how = "strict" if normalisation is None or not normalisation.active else "normalised"
    return (
        f" ({how} exact match disagrees with the source's own grading, column correct, on "
        f"{n_differ} of {count(n_both, 'graded output')}, e.g. "
        + (f"item {where}: " if where else "")
        + f"{example}; the verdict judges exact match as computed here: if the source strips, "
        "folds case or extracts the answer, rescore with --normalise, e.g. strip,casefold, or "
        "check the outputs)"
    )


def _quote(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(none)"
    text = str(value)
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS] + "..."
    return repr(text)
