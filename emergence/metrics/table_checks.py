"""Checks of an items table handed to the library directly rather than read by ``emergence.load``.

The loaders validate every file (``emergence.load.validate``); a table built in a notebook skips
that. These are the mistakes that would otherwise give a wrong number without a word, checked
where they are cheap (on dtypes, or on group codes the caller has already computed), so the
tables the loaders give pay next to nothing:

- answers that are not text (``pd.read_csv`` reads ``1141`` as a number, and a number never
  equals a string: exact match would be 0 everywhere);
- sizes that are not positive numbers, or a model with two sizes (a phantom extra scale);
- an item given twice for one model (it would count twice in means, counts and SEs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError

#: The text columns exact match and the edit distances compare.
ANSWER_COLUMNS = ("target", "output")


def _example(values: pd.Series) -> str:
    value = values.iloc[0]
    shown = repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def check_answer_text(items: pd.DataFrame, columns: tuple[str, ...] = ANSWER_COLUMNS) -> None:
    """Refuse answer columns holding anything but strings (missing values allowed).

    Parameters
    ----------
    items : pandas.DataFrame
        Items table.
    columns : tuple of str
        The columns to check (those absent are skipped).

    Raises
    ------
    InputError
        Naming the column and a value that is not a string.
    """
    for name in columns:
        if name not in items.columns:
            continue
        col = items[name]
        if isinstance(col.dtype, pd.CategoricalDtype):  # e.g. from read_parquet: its categories
            col = pd.Series(col.cat.categories)
        if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
            continue  # str / string[pyarrow]: strings by construction
        if pd.api.types.is_object_dtype(col.dtype):
            kind = pd.api.types.infer_dtype(col, skipna=True)
            if kind in ("string", "empty"):
                continue
            values = col[col.notna()]
            bad = values[[not isinstance(v, str) for v in values]]
        else:
            bad = col[col.notna()]
            if bad.empty:
                continue
        raise InputError(
            f"items: column {name!r}: expected text, got {type(bad.iloc[0]).__name__} values "
            f"such as {_example(bad)}; answers are compared as written, so read them as text "
            "(pandas.read_csv(..., dtype={" + repr(name) + ": str}), or emergence.load)"
        )


def numeric_sizes(items: pd.DataFrame) -> pd.DataFrame:
    """``items`` with ``params`` as float, refusing sizes that are not positive numbers.

    Parameters
    ----------
    items : pandas.DataFrame
        Items table; without a ``params`` column it is returned as it is.

    Returns
    -------
    pandas.DataFrame
        The same table (a copy only when ``params`` had to be converted).

    Raises
    ------
    InputError
        A size that is text (``"7B"``: :func:`emergence.load.load` reads those), zero, negative
        or infinite, naming the model.
    """
    if "params" not in items.columns:
        return items
    col = items["params"]
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        values = pd.to_numeric(col, errors="coerce")
        flags = col.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
        bad = (values.isna() & col.notna()).to_numpy() | flags  # True is no parameter count
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"items: column 'params': expected parameter counts (numbers), got "
                f"{col.iloc[i]!r:.40}{_of_model(items, i)} "
                "(emergence.load reads sizes written like 7B or 125M)"
            )
        items = items.assign(params=values.astype(float))
    params = items["params"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(params) & ~((params > 0) & np.isfinite(params))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"items: column 'params': expected a positive parameter count, got {params[i]:g}"
            f"{_of_model(items, i)}"
        )
    return items


def _of_model(items: pd.DataFrame, row: int) -> str:
    if "model" in items.columns:
        return f" for model {items['model'].iloc[row]!r:.60}"
    return f" at row {row + 1}"


def check_item_ids(items: pd.DataFrame) -> None:
    """Refuse rows without an item id (they would all be one item, "nan").

    Raises
    ------
    InputError
        Naming the first such row's model and task.
    """
    if "item" not in items.columns:
        return
    missing = items["item"].isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        where = ", ".join(f"{k} {items[k].iat[i]!r:.60}" for k in ("model", "task") if k in items)
        raise InputError(
            f"items: column 'item': missing id at row {i + 1}" + (f" ({where})" if where else "")
            + "; expected every row to name its item"
        )


def check_one_size(groups: pd.DataFrame) -> None:
    """Refuse a (family, model) with two sizes, from a table of the distinct group keys.

    Parameters
    ----------
    groups : pandas.DataFrame
        One row per distinct group, with ``family`` (optional), ``model`` and ``params``.

    Raises
    ------
    InputError
        Naming the model and two of its sizes.
    """
    keys = [k for k in ("family", "model") if k in groups.columns]
    if "model" not in keys or "params" not in groups.columns:
        return
    pairs = groups[[*keys, "params"]].drop_duplicates()
    twice = pairs.duplicated(keys, keep=False)
    if not twice.any():
        return
    first = pairs[twice].iloc[0]
    sizes = pairs.loc[twice & (pairs["model"] == first["model"]), "params"].to_numpy(float)
    where = f" (family {first['family']!r})" if "family" in keys else ""
    raise InputError(
        f"items: model {first['model']!r}{where} has params {sizes[0]:g} and {sizes[1]:g}; "
        "expected one size per model (rows with another size would form a scale of their own)"
    )


def sort_order(items: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The row order sorting ``items`` by ``keys`` (each in sorted order of its values), and each
    key's codes in that order.

    Float sums depend on their order: summing rows in this order, not the input's, keeps the
    output the same to the last digit whatever order the rows (of the input files) come in.
    """
    codes = [pd.factorize(items[k], sort=True)[0] for k in keys]
    order = np.lexsort(codes[::-1]) if codes else np.arange(len(items))
    return order, [c[order] for c in codes]


def check_unique_rows(codes: list[np.ndarray], describe) -> None:
    """Refuse a row given twice, from the codes of its keys, the rows sorted by them.

    Parameters
    ----------
    codes : list of ndarray of int
        Each key's code per row (the keys identify a row: group keys and the item id), the rows
        sorted by them (:func:`sort_order`).
    describe : callable
        ``describe(position)`` -> text naming the row at that sorted position (model, task,
        item) for the message.

    Raises
    ------
    InputError
        Naming the first repeated row.
    """
    if not codes or codes[0].size < 2:
        return
    same = np.ones(codes[0].size - 1, dtype=bool)
    for c in codes:
        same &= c[1:] == c[:-1]
    if same.any():
        raise InputError(
            f"items: {describe(int(np.flatnonzero(same)[0]) + 1)} is given twice; expected one "
            "row per (family, model, task, subtask, n_shots, item) (repeated evaluations of one "
            "item are named <id>#trial<n> or <id>#epoch<n>)"
        )


def describe_row(items: pd.DataFrame, row: int) -> str:
    """``item 'x', model 'm', task 't'`` for messages."""
    parts = [f"{k} {items[k].iat[row]!r:.60}" for k in ("item", "model", "task") if k in items]
    return ", ".join(parts) or f"row {row + 1}"


def items_in_key_order(items: pd.DataFrame, keys: list[str], scores=None) -> tuple:
    """``items`` (and the per-item ``scores`` given with them) checked and sorted by ``keys``.

    The checks of a table built by hand: sizes (:func:`numeric_sizes`), the scores belong to
    these rows, every row names its item, no item twice. The order: float sums depend on
    theirs, and the order of the rows (of the input files) must not change a digit.

    Parameters
    ----------
    items : pandas.DataFrame
        Items table.
    keys : list of str
        Sort keys (those present); with ``item`` among them, repeated rows are refused.
    scores : ItemScores, optional
        Per-item values aligned with ``items`` as given.

    Returns
    -------
    tuple
        The sorted items (fresh index), their scores (or None), the keys present and each
        key's codes in the new order.
    """
    from .scoring import ItemScores, check_scores_match  # scoring imports this module

    items = numeric_sizes(items.reset_index(drop=True))
    if scores is not None:
        check_scores_match(items, scores)  # matched by position: they must be these rows
    check_item_ids(items)  # on the rows as given, for the message
    keys = [k for k in keys if k in items.columns]
    order, codes = sort_order(items, keys)
    if (order != np.arange(order.size)).any():
        items = items.iloc[order].reset_index(drop=True)
        if scores is not None:
            scores = ItemScores(scores.metrics, scores.values[order])
    if "item" in keys:  # an item given twice would count twice
        check_unique_rows(codes, lambda row: describe_row(items, row))
    return items, scores, keys, codes
