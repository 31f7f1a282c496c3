"""The note of a task whose exact match disagrees with the grading its source recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emergence.metrics.grading import grading_disagreement
from emergence.metrics.text import Normalisation


def grading_note(
    exact: np.ndarray,
    items: pd.DataFrame,
    rows: np.ndarray,
    normalisation: Normalisation | None = None,
) -> str:
    """The task's note addition (leading space, in parentheses), or '' when they agree.

    Parameters are those of :func:`emergence.metrics.grading.grading_disagreement`.
    """
    what = grading_disagreement(exact, items, rows, normalisation)
    if what is None:
        return ""
    return (
        f" ({what}; the verdict judges exact match as computed here: if the source strips, "
        "folds case or extracts the answer, run again with --normalise, e.g. strip,casefold "
        "(normalisation= in Python), or check the outputs)"
    )
