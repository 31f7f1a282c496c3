"""Flattened ("ragged") views of list-valued columns, so per-row reductions run in numpy.

A list column (one 1-D array, list or ``None`` per row) becomes one flat ``values`` array plus
``starts``/``lengths`` per row and a ``present`` mask. Arrow-backed list columns
(``pd.ArrowDtype(pa.list_(...))``) are flattened without a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa


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

    def row_ids(self) -> np.ndarray:
        """Row index of every element of ``values``."""
        return np.repeat(np.arange(self.n_rows), self.lengths)

    def local_index(self) -> np.ndarray:
        """Position of every element of ``values`` within its row (0-based)."""
        return np.arange(self.values.shape[0]) - np.repeat(self.starts, self.lengths)

    def row_sum(self) -> np.ndarray:
        """Sum of each row's (numeric) values; 0 for empty or absent rows."""
        return np.bincount(self.row_ids(), weights=self.values, minlength=self.n_rows)

    def row_max(self) -> np.ndarray:
        """Maximum of each row; ``-inf`` for empty or absent rows."""
        out = np.full(self.n_rows, -np.inf)
        nonempty = self.lengths > 0
        if self.values.size:
            out[nonempty] = np.maximum.reduceat(self.values, self.starts[nonempty])
        return out

    def row_argmax(self) -> np.ndarray:
        """0-based position of each row's maximum (first one on ties, like ``numpy.argmax``).

        -1 for empty or absent rows.
        """
        out = np.full(self.n_rows, -1, dtype=np.int64)
        nonempty = self.lengths > 0
        if not self.values.size:
            return out
        at_max = self.values == np.repeat(self.row_max(), self.lengths)
        big = np.iinfo(np.int64).max
        pos = np.where(at_max, self.local_index(), big)
        first = np.minimum.reduceat(pos, self.starts[nonempty])
        # A row of only NaN has no maximum: keep -1.
        out[nonempty] = np.where(first == big, -1, first)
        return out

    def lists(self) -> list:
        """Each row's elements as a slice of ``values`` (``None`` for absent rows)."""
        ends = self.starts + self.lengths
        return [
            self.values[s:e] if p else None
            for s, e, p in zip(
                self.starts.tolist(), ends.tolist(), self.present.tolist(), strict=True
            )
        ]


def arrow_list(column: object) -> pa.Array | None:
    """The column as one Arrow list array when it is Arrow-backed (else ``None``)."""
    if isinstance(column, pa.Array | pa.ChunkedArray):
        arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return arr if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type) else None
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.ArrowDtype):
        arr = pa.chunked_array(column.array._pa_array).combine_chunks()  # noqa: SLF001
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            return arr
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


def arrow_layout(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(starts, lengths, present)`` of an Arrow list array, for its ``flatten()`` values."""
    present = arr.is_valid().to_numpy(zero_copy_only=False)
    lengths = np.diff(arr.offsets.to_numpy().astype(np.int64))
    lengths[~present] = 0
    starts = np.zeros_like(lengths)
    if lengths.size:
        np.cumsum(lengths[:-1], out=starts[1:])
    return starts, lengths, present


def _flatten_arrow(arr: pa.Array, dtype: type | str | None) -> Ragged:
    starts, lengths, present = arrow_layout(arr)
    # ``flatten`` honours the slice offset and skips sub-lists behind null rows.
    flat = arr.flatten()
    if pa.types.is_string(flat.type) or pa.types.is_large_string(flat.type):
        values = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object)
    else:
        values = flat.to_numpy(zero_copy_only=False)
    if dtype is not None:
        values = values.astype(dtype, copy=False)
    return Ragged(values, starts, lengths, present)
