"""Flattened ("ragged") views of list-valued columns, so per-row reductions run in numpy.

A list column (one 1-D array, list or ``None`` per row) becomes one flat ``values`` array plus
``starts``/``lengths`` per row and a ``present`` mask. Arrow-backed list columns
(``pd.ArrowDtype(pa.list_(...))``) are flattened without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import rowwise


@dataclass(frozen=True)
class Ragged:
    """A list column flattened to one array.

    Attributes
    ----------
    values : numpy.ndarray
        All elements of the present rows, row after row.
    starts : numpy.ndarray
        ``int64`` offset of each row's first element in ``values`` (0 for absent rows).
    lengths : numpy.ndarray
        ``int64`` number of elements of each row (0 for absent rows).
    present : numpy.ndarray
        ``bool``; False where the row holds ``None``/NaN instead of a list.
    """

    values: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    present: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.lengths.shape[0])

    @cached_property
    def fixed_width(self) -> int:
        """``K`` when every row is present and holds exactly ``K > 0`` elements, else 0.

        Such a column is a plain ``(n_rows, K)`` matrix (``values.reshape(n_rows, K)``), and the
        row reductions below use that layout instead of per-element row ids.
        """
        return rowwise.fixed_width(self.values.shape[0], self.lengths, self.present)

    def matrix(self) -> np.ndarray:
        """``values`` as an ``(n_rows, fixed_width)`` view (only when :attr:`fixed_width`)."""
        return self.values.reshape(self.n_rows, self.fixed_width)

    def row_ids(self) -> np.ndarray:
        """Row index of every element of ``values``."""
        return np.repeat(np.arange(self.n_rows), self.lengths)

    def local_index(self) -> np.ndarray:
        """Position of every element of ``values`` within its row (0-based)."""
        return np.arange(self.values.shape[0]) - np.repeat(self.starts, self.lengths)

    def row_sum(self) -> np.ndarray:
        """Sum of each row's (numeric) values; 0 for empty or absent rows.

        Computed once per column (the result is read-only and shared by every caller).
        """
        return self._row_sum

    @cached_property
    def _row_sum(self) -> np.ndarray:
        if self.fixed_width:
            out = row_sums(self.matrix())
        else:
            out = np.bincount(self.row_ids(), weights=self.values, minlength=self.n_rows)
        out.flags.writeable = False
        return out

    def row_max(self) -> np.ndarray:
        """Maximum of each row; ``-inf`` for empty or absent rows (computed once, read-only)."""
        return self._row_max

    @cached_property
    def _row_max(self) -> np.ndarray:
        out = self._compute_row_max()
        out.flags.writeable = False
        return out

    def _compute_row_max(self) -> np.ndarray:
        return rowwise.row_max(self.values, self.starts, self.lengths, self.fixed_width)

    def row_argmax(self) -> np.ndarray:
        """0-based position of each row's maximum (first one on ties, like ``numpy.argmax``).

        -1 for empty or absent rows, and rows holding NaN.
        """
        return rowwise.row_argmax(
            self.values, self.starts, self.lengths, self.fixed_width, self.row_max()
        )

    def picked_choice(self) -> np.ndarray:
        """:func:`emergence.rowwise.picked_choice` of these choice log-probabilities: the
        argmax, -1 where the row's maximum is not finite (all ``-inf``: no distribution)."""
        return rowwise.picked_choice(
            self.values, self.starts, self.lengths, self.fixed_width, self.row_max()
        )

    def lists(self) -> list:
        """Each row's elements as a slice of ``values`` (``None`` for absent rows)."""
        ends = self.starts + self.lengths
        return [
            self.values[s:e] if p else None
            for s, e, p in zip(
                self.starts.tolist(), ends.tolist(), self.present.tolist(), strict=True
            )
        ]


_BLOCK_ROWS = 1 << 15


def row_sums(mat: np.ndarray) -> np.ndarray:
    """Sum of each row of a 2-D float array, adding the columns left to right from ``0.0``.

    The additions happen in the same order as ``numpy.bincount(row_ids, weights=values)`` on the
    flattened rows (sequential, starting from 0.0), so both give bit-identical results; this is
    faster because it needs no per-element row ids. Rows are processed in cache-sized blocks.
    """
    n, k = mat.shape
    out = np.zeros(n, dtype=np.float64)
    for lo in range(0, n, _BLOCK_ROWS):
        block = mat[lo : lo + _BLOCK_ROWS]
        acc = out[lo : lo + _BLOCK_ROWS]
        for j in range(k):
            acc += block[:, j]
    return out


def arrow_list(column: object) -> pa.Array | pa.ChunkedArray | None:
    """The column's Arrow list data when it is Arrow-backed (else ``None``).

    Chunked data stay chunked: every consumer here works chunk by chunk, which saves copying
    the whole column into one array.
    """
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.ArrowDtype):
        column = column.array._pa_array  # noqa: SLF001
    if isinstance(column, pa.Array | pa.ChunkedArray):
        if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
            return column
    return None


def flatten(
    column: pd.Series | pa.Array | list | np.ndarray, dtype: type | str | None = None
) -> Ragged:
    """Flatten a list-valued column.

    Parameters
    ----------
    column : pandas.Series or sequence
        One 1-D numpy array, list or tuple per row, or ``None``/NaN where absent. Arrow-backed
        list series are handled without a per-row loop.
    dtype : dtype, optional
        Dtype of ``values`` (e.g. ``float`` for log-probs, ``object`` for tokens).

    Returns
    -------
    Ragged
    """
    arr = arrow_list(column)
    if arr is not None:
        return _flatten_arrow(arr, dtype)
    if isinstance(column, pd.Series):
        items = column.to_numpy(dtype=object)
    else:
        items = np.empty(len(column), dtype=object)
        items[:] = list(column)
    n = len(items)
    present = ~pd.isna(items) if n else np.zeros(0, dtype=bool)
    if present.all():
        kept = items
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=n)
    else:
        kept = items[present]
        lengths = np.zeros(n, dtype=np.int64)
        lengths[present] = np.fromiter(map(len, kept), dtype=np.int64, count=len(kept))
    starts = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(lengths[:-1], out=starts[1:])
    if lengths.sum():
        if _all_arrays(kept):
            values = np.concatenate(list(kept))
        else:
            values = np.concatenate([np.asarray(v, dtype=dtype).reshape(-1) for v in kept])
        if dtype is not None:
            values = values.astype(dtype, copy=False)
    else:
        values = np.empty(0, dtype=dtype if dtype is not None else float)
    return Ragged(values, starts, lengths, present)


def _all_arrays(values: np.ndarray) -> bool:
    # Concatenating 1-D numpy arrays directly is several times faster than converting each one.
    return all(isinstance(v, np.ndarray) and v.ndim == 1 for v in values[:64]) and all(
        type(v) is np.ndarray for v in values
    )


def arrow_layout(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, present)`` of an Arrow list array, for its flattened values."""
    present = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
    lengths = np.asarray(
        pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    starts = np.zeros_like(lengths)
    if lengths.size:
        np.cumsum(lengths[:-1], out=starts[1:])
    return starts, lengths, present


def arrow_flat(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The elements of the present rows, row after row (slice offsets and the sub-lists behind
    null rows are honoured, as ``pyarrow.ListArray.flatten`` does)."""
    return pc.list_flatten(arr)


def _flatten_arrow(arr: pa.Array | pa.ChunkedArray, dtype: type | str | None) -> Ragged:
    starts, lengths, present = arrow_layout(arr)
    flat = arrow_flat(arr)
    if pa.types.is_string(flat.type) or pa.types.is_large_string(flat.type):
        values = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object)
    else:
        values = np.asarray(flat.to_numpy(zero_copy_only=False))
    if dtype is not None:
        values = values.astype(dtype, copy=False)
    return Ragged(values, starts, lengths, present)
