"""Per-row maximum and argmax of a flattened list column (one flat array, a start and a length
per row), without a Python loop over rows.

Shared by the load stage (the highest-scoring choice becomes the ``output`` of a multiple-choice
item without one) and the metrics stage (:class:`emergence.metrics.ragged.Ragged`): data flow
load -> metrics, so the load stage may not import the metrics stage, and both import this
module, which imports neither.
"""

from __future__ import annotations

import numpy as np

# Fixed-width rows up to this many columns are reduced column by column.
FEW_COLUMNS = 16


def fixed_width(n_values: int, lengths: np.ndarray, present: np.ndarray | None = None) -> int:
    """``K`` when every row is present and holds exactly ``K > 0`` elements, else 0.

    Such a column is a plain ``(n_rows, K)`` matrix (``values.reshape(n_rows, K)``), and the
    reductions below use that layout instead of per-element row ids.
    """
    n = int(lengths.shape[0])
    if n == 0 or n_values % n or (present is not None and not present.all()):
        return 0
    k = n_values // n
    return k if k > 0 and bool((lengths == k).all()) else 0


def row_max(
    values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int = 0
) -> np.ndarray:
    """Maximum of each row; ``-inf`` for empty rows (NaN propagates, as in ``numpy.maximum``).

    Parameters
    ----------
    values : numpy.ndarray
        The elements of all rows, row after row.
    starts, lengths : numpy.ndarray
        ``int64`` offset in ``values`` and number of elements of each row.
    width : int
        :func:`fixed_width` of the column (0: rows of any length).

    Returns
    -------
    numpy.ndarray
    """
    n = int(lengths.shape[0])
    if width:
        mat = values.reshape(n, width)
        if mat.dtype.kind == "f" and width <= FEW_COLUMNS:
            # A few columns: one element-wise maximum per column beats a per-row reduction.
            # (NaN propagates as in maximum.reduceat; only the sign of a zero maximum may
            # differ, which no caller can see: x - 0.0 and x - (-0.0) are equal for x != 0
            # and exp() of either zero is 1.)
            out = mat[:, 0].copy()
            for j in range(1, width):
                np.maximum(out, mat[:, j], out=out)
            return out
        return np.maximum.reduceat(values, np.arange(0, values.shape[0], width))
    out = np.full(n, -np.inf)
    nonempty = lengths > 0
    if values.size:
        out[nonempty] = np.maximum.reduceat(values, starts[nonempty])
    return out


def row_argmax(
    values: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    width: int = 0,
    maxima: np.ndarray | None = None,
) -> np.ndarray:
    """0-based position of each row's maximum (first one on ties, like ``numpy.argmax``).

    -1 for empty rows and rows holding NaN (they have no maximum). Arguments as for
    :func:`row_max`; ``maxima`` is its result, when the caller has it already.
    """
    n = int(lengths.shape[0])
    if width:
        mat = values.reshape(n, width)
        if mat.dtype.kind == "f" and width <= FEW_COLUMNS:
            # First position holding the row maximum, column by column (a later column
            # takes over only when strictly greater, so ties keep the first, as argmax).
            out = np.zeros(n, dtype=np.int64)
            best = mat[:, 0].copy()
            for j in range(1, width):
                col = mat[:, j]
                out[col > best] = j
                np.maximum(best, col, out=best)
        else:
            out = mat.argmax(axis=1).astype(np.int64, copy=False)
        if mat.dtype.kind == "f":
            # numpy.argmax points at a NaN; a row holding NaN has no maximum: -1 as below.
            top = row_max(values, starts, lengths, width) if maxima is None else maxima
            out[np.isnan(top)] = -1
        return out
    out = np.full(n, -1, dtype=np.int64)
    nonempty = lengths > 0
    if not values.size:
        return out
    top = row_max(values, starts, lengths, width) if maxima is None else maxima
    at_max = values == np.repeat(top, lengths)
    big = np.iinfo(np.int64).max
    pos = np.where(at_max, np.arange(values.shape[0]) - np.repeat(starts, lengths), big)
    first = np.minimum.reduceat(pos, starts[nonempty])
    # A row of only NaN has no maximum: keep -1.
    out[nonempty] = np.where(first == big, -1, first)
    return out


def picked_choice(
    logprobs: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    width: int = 0,
    maxima: np.ndarray | None = None,
) -> np.ndarray:
    """The choice a multiple-choice item picks: the argmax of its choice log-probabilities.

    First maximum on ties, as :func:`row_argmax`. -1 (no pick) where the row's maximum is not
    finite: no choices, a NaN, or every choice at ``-inf`` (probability 0 for all, no
    distribution to pick from, as the choice metrics treat such a row). Arguments as for
    :func:`row_argmax`.
    """
    top = row_max(logprobs, starts, lengths, width) if maxima is None else maxima
    arg = row_argmax(logprobs, starts, lengths, width, top)
    return np.where(np.isfinite(top), arg, -1)
