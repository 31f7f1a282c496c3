"""Does the exact match computed here agree with the grading the source framework recorded?

Loaders keep each framework's own verdict on an output in the items' ``correct`` column
(lm-eval's per-sample ``exact_match``, HELM's instance ``exact_match``, Inspect's scorer value,
BIG-bench's ``correct``). Those graders may strip, fold case, ignore punctuation or extract the
answer from a longer completion (Inspect's ``match`` and ``includes``); exact match here is
strict unless asked otherwise. Where the two disagree, the exact-match curve rescore reports and
detect judges is not the one the source reported, and the reader must be told: a task whose
outputs carry a leading space would sit at exact match 0 at every scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .text import Normalisation

# Characters of an output or target quoted in the example.
QUOTE_CHARS = 40


def grading_disagreement(
    exact: np.ndarray,
    items: pd.DataFrame,
    rows: np.ndarray | None = None,
    normalisation: Normalisation | None = None,
) -> str | None:
    """How often exact match disagrees with the source's ``correct``, in words, or None.

    Parameters
    ----------
    exact : numpy.ndarray
        Per-row exact match (1, 0 or NaN where not scored) of ``items.iloc[rows]``.
    items : pandas.DataFrame
        The items table (``correct``, ``output``, ``target``, ``item``, ``model`` read).
    rows : numpy.ndarray, optional
        Positions of the rows in ``items`` (default: every row).
    normalisation : Normalisation, optional
        The normalisation exact match was computed with (named in the sentence).

    Returns
    -------
    str or None
        None when the items carry no grading or every graded output agrees; otherwise, e.g.
        ``"strict exact match disagrees with the source's own grading (column correct) on 3
        of 40 graded outputs, e.g. item q2 of m: output ' No', target 'No', graded correct"``.
    """
    if "correct" not in items.columns:
        return None
    rows = np.arange(len(items)) if rows is None else np.asarray(rows)
    try:
        graded = items["correct"].iloc[rows].astype("boolean")
    except (TypeError, ValueError):
        raise InputError(
            "column 'correct': expected true or false (the source's grade), got "
            f"{items['correct'].iloc[rows].dropna().iloc[0]!r:.60}"
        ) from None
    em = np.asarray(exact, dtype=float)
    both = np.isfinite(em) & graded.notna().to_numpy()
    n_both = int(both.sum())
    source = graded.fillna(False).to_numpy(dtype=bool)
    differ = both & ((em == 1.0) != source)
    n_differ = int(differ.sum())
    if n_differ == 0:
        return None
    first = int(np.flatnonzero(differ)[0])
    row = items.iloc[rows[first]]
    named = [row.get(c) for c in ("item", "model")]
    where = " of ".join(str(v) for v in named if v is not None and pd.notna(v))
    example = (
        f"output {_quote(row.get('output'))}, target {_quote(row.get('target'))}, graded "
        + ("correct" if source[first] else "wrong")
    )
    how = "strict" if normalisation is None or not normalisation.active else "normalised"
    outputs = "graded output" if n_both == 1 else "graded outputs"
    return (
        f"{how} exact match disagrees with the source's own grading (column correct) on "
        f"{n_differ} of {n_both} {outputs}, e.g. " + (f"item {where}: " if where else "")
        + example
    )


def _quote(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(none)"
    text = str(value)
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS] + "..."
    return repr(text)
