"""Check and normalise a tidy table at the edge, with errors that name file, record and field.

The checks are vectorised where the data is large (1M items must validate in about a second); the
per-row Python fallback runs only on the columns that need parsing (strings such as ``"7B"``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import rowwise
from ..errors import InputError, locate
from ..schema import PARAMS_KINDS, TABLES, Column, TableSpec, outside_range, percentage_hint
from .sizes import EXPONENT_AND_SUFFIX, parse_size

Locator = Callable[[int], str]

_POSITIVE = {"params", "tokens", "flops", "loss"}
_SIZE_LIKE = {"params", "tokens", "flops"}
_NONNEGATIVE = {"stderr", "n_items", "n_shots", "correct_choice"}
# A score may be infinite: the mean log-prob of items one of which has probability 0 is -inf
# (so are its interval's bounds), and `emergence rescore` writes it so; it reads back censored.
_INFINITE_OK = {("scores", "value"), ("scores", "ci_low"), ("scores", "ci_high")}
_LOGPROB_LISTS = {"target_logprobs", "choice_logprobs"}
_MAX_INT = 2.0**53  # float64 holds every integer below this, not all above
_HELPER_COLUMNS = ("_source", "_record")
# text compared as written (exact match, edit distances): a number there is refused, not coerced
_VERBATIM = {"target", "output"}
STR = pd.StringDtype(na_value=np.nan)  # pandas' default string dtype
INDEX_EXPECTED = "a non-negative integer (a 0-based index into 'choices')"



def _a(word: str) -> str:
    """``word`` with its indefinite article: "an items", "a scores", "a losses"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"

def _describe(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def frame_locator(frame: pd.DataFrame, source: str) -> Locator:
    """Row position -> ``file:record`` from the helper columns ``_source``/``_record``.

    Without ``_record``: ``source: record n``. The arrays are taken now, so the locator still
    works after validation has dropped the helper columns (it keeps rows and their order).
    """
    if "_record" in frame.columns:
        records = frame["_record"].to_numpy()
        sources = frame["_source"].to_numpy() if "_source" in frame.columns else None

        def by_column(i: int) -> str:
            src = str(sources[i]) if sources is not None else source
            return f"{src}:{records[i]}"

        return by_column
    return lambda i: f"{source}: record {i + 1}"


#: How an absent value is named: "null" alone read as JSON to someone whose CSV cell was empty
#: or said NaN.
MISSING = "a missing value (empty, NaN or null)"


class _Checker:
    """Validation of one frame; holds the locator so every error names its place."""

    def __init__(self, frame: pd.DataFrame, spec: TableSpec, source: str, where: Locator):
        self.frame = frame
        self.spec = spec
        self.source = source
        self.where = where

    def fail(self, row: int | None, field: str, message: str) -> InputError:
        place = self.source if row is None else self.where(int(row))
        return InputError(f"{place}: field '{field}': {message}")

    # -- scalar columns -------------------------------------------------------------------
    def strings(self, col: Column) -> pd.Series:
        series = self.frame[col.name]
        if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
            out = series.astype(STR)  # typed string column (Arrow reader): checks are vectorised
        else:
            out = pd.Series(self._strings_slow(col, series), index=series.index, dtype=STR)
        missing = out.isna().to_numpy()
        if col.required and col.name != "output" and missing.any():
            raise self.fail(
                np.flatnonzero(missing)[0], col.name, f"expected a string, got {MISSING}"
            )
        if col.required and col.name in {"family", "model", "task", "item"}:
            empty = (out == "").to_numpy(dtype=bool, na_value=False)
            if empty.any():
                raise self.fail(
                    np.flatnonzero(empty)[0], col.name, 'expected a non-empty string, got ""'
                )
        return out

    def _strings_slow(self, col: Column, series: pd.Series) -> np.ndarray:
        values = series.to_numpy(dtype=object)
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            if isinstance(v, str):
                out[i] = v
            elif _is_missing(v):
                out[i] = None
            elif isinstance(v, bool | list | dict | np.ndarray | np.bool_):
                raise self.fail(i, col.name, f"expected a string, got {_describe(v)}")
            elif col.name in _VERBATIM and isinstance(v, int | float | np.number):
                # a number has lost its spelling (3.10 reads as 3.1, 1e20 as 1e+20): the
                # answer could not be compared as written
                raise self.fail(
                    i,
                    col.name,
                    f"expected a string, got the number {_describe(v)}; write answers as "
                    'strings ("3.10", not 3.10): a number loses its spelling, so it could not '
                    "be compared as written",
                )
            elif isinstance(v, float) and v.is_integer():
                out[i] = str(int(v))  # ids read as numbers: 3.0 -> "3"
            else:
                out[i] = str(v)
        return out

    def floats(self, col: Column) -> pd.Series:
        series = self.frame[col.name]
        if pd.api.types.is_bool_dtype(series):
            # a column only some rows have (JSONL) is typed by them: name the first of those
            first = int(np.flatnonzero(series.notna().to_numpy())[0]) if series.notna().any() else 0
            raise self.fail(first, col.name, "expected a number, got a boolean")
        if pd.api.types.is_numeric_dtype(series):
            arr = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.empty(len(series), dtype=float)
            parse = parse_size if col.name in _SIZE_LIKE else _parse_float
            for i, v in enumerate(series.to_numpy(dtype=object)):
                if _is_missing(v):
                    arr[i] = np.nan
                    continue
                try:
                    arr[i] = parse(v)
                except (TypeError, ValueError) as err:
                    expected = "a positive number" if col.name in _POSITIVE else "a number"
                    if col.name in _SIZE_LIKE:
                        expected += " (e.g. 7B, 125M, 1.3e9)"
                        if EXPONENT_AND_SUFFIX in str(err):
                            expected += f" with {EXPONENT_AND_SUFFIX}"
                    raise self.fail(
                        i, col.name, f"expected {expected}, got {_describe(v)}"
                    ) from None
        missing = np.isnan(arr)
        # Only items and scores may wait for a size mapping; nothing fills a losses row's size.
        fillable = col.name == "params" and self.allow_missing_params and self.spec.name != "losses"
        if col.required and missing.any() and not fillable:
            i = np.flatnonzero(missing)[0]
            raise self.fail(i, col.name, f"expected a number, got {MISSING}")
        present = ~missing
        bad = present & ~np.isfinite(arr)
        if (self.spec.name, col.name) in _INFINITE_OK:
            bad = np.zeros_like(bad)
        if col.name in _POSITIVE:
            bad |= present & (arr <= 0)
        elif col.name in _NONNEGATIVE:
            bad |= present & (arr < 0)
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise self.fail(
                i, col.name, f"expected {_expected(col, arr[i])}, got {_shown(col, arr[i])}"
            )
        return pd.Series(arr, index=self.frame.index)

    def ints(self, col: Column) -> pd.Series:
        floats = self.floats(col)
        arr = floats.to_numpy()
        present = ~np.isnan(arr)
        bad = present & ((arr != np.round(arr)) | (arr < 0))
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise self.fail(
                i, col.name, f"expected {_expected(col, arr[i])}, got {_shown(col, arr[i])}"
            )
        # From 2**53 a float no longer holds every integer (the value may already be rounded)
        # and from 2**63 the int64 cast overflows to a negative number: no count or index is
        # that large. The message shows the value as read, not as rounded.
        huge = present & (arr >= _MAX_INT)
        if huge.any():
            i = np.flatnonzero(huge)[0]
            raise self.fail(
                i,
                col.name,
                f"expected a non-negative integer below 2**53, got "
                f"{_describe(self.frame[col.name].iat[i])}",
            )
        return (
            pd.Series(pd.array(np.where(present, arr, 0).astype(np.int64), dtype="Int64"))
            .where(present, pd.NA)
            .set_axis(self.frame.index)
        )

    def bools(self, col: Column) -> pd.Series:
        series = self.frame[col.name]
        if pd.api.types.is_bool_dtype(series) and not series.isna().any():
            return series.astype("boolean")
        truthy = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        out = []
        for i, v in enumerate(series.to_numpy(dtype=object)):
            if _is_missing(v):
                out.append(pd.NA)
            elif isinstance(v, bool | np.bool_):
                out.append(bool(v))
            elif isinstance(v, int | float | np.integer | np.floating) and v in (0, 1):
                out.append(bool(v))
            elif isinstance(v, str) and v.strip().lower() in truthy:
                out.append(truthy[v.strip().lower()])
            else:
                raise self.fail(i, col.name, f"expected true or false, got {_describe(v)}")
        return pd.Series(pd.array(out, dtype="boolean"), index=self.frame.index)

    # -- list columns ---------------------------------------------------------------------
    def lists(self, col: Column) -> pd.Series:
        numeric = col.dtype == "list[float]"
        value_type = pa.float64() if numeric else pa.string()
        series = self.frame[col.name]
        arr = _arrow_list(series)
        if arr is not None and _list_value_type_ok(arr.type.value_type, numeric):
            arr = arr.cast(pa.list_(value_type))  # typed Arrow list column: no per-row work
        else:
            arr = pa.array(self._lists_slow(col, series, numeric), type=pa.list_(value_type))
        return pd.Series(pd.arrays.ArrowExtensionArray(arr), index=series.index)

    def _lists_slow(self, col: Column, series: pd.Series, numeric: bool) -> list:
        out: list = []
        for i, v in enumerate(series.to_numpy(dtype=object)):
            if isinstance(v, str):
                try:
                    v = json.loads(v)
                except ValueError:
                    # Python's list repr (pandas writes lists so): ['a', 'b'], None, nan
                    python = v.lstrip().startswith("[") and ("'" in v or "None" in v or "nan" in v)
                    hint = (" (a Python list? JSON strings take double quotes and a missing "
                            "value is null: [\"a\", \"b\"])") if python else ""
                    raise self.fail(
                        i, col.name, f"expected a JSON array, got {_describe(v)}{hint}"
                    ) from None
            if _is_missing(v):
                out.append(None)
                continue
            if not isinstance(v, list | tuple | np.ndarray):
                raise self.fail(i, col.name, f"expected a list, got {_describe(v)}")
            out.append(self._list_elements(i, col, list(v), numeric))
        return out

    def _list_elements(self, i: int, col: Column, items: list, numeric: bool) -> list:
        if numeric:
            for v in items:
                ok = isinstance(v, int | float | np.integer | np.floating) and not isinstance(
                    v, bool
                )
                if not ok and not (isinstance(v, str) and v in ("-Infinity", "-inf")):
                    raise self.fail(
                        i, col.name, f"expected a list of numbers, got element {_describe(v)}"
                    )
            return [float(v) for v in items]
        for v in items:
            if not isinstance(v, str):
                raise self.fail(
                    i, col.name, f"expected a list of strings, got element {_describe(v)}"
                )
        return items

    allow_missing_params = False


def _expected(col: Column, value: float) -> str:
    """What a numeric column expects, for the message about ``value`` (present, out of range)."""
    if col.name in _POSITIVE:
        return "a positive number"
    if col.dtype == "int":
        return INDEX_EXPECTED if col.name == "correct_choice" else "a non-negative integer"
    if col.name in _NONNEGATIVE and math.isfinite(value):
        return "a non-negative number"
    return "a finite number"


def _shown(col: Column, value: float) -> str:
    """``value`` for a message: a whole number in an integer column without its ``.0``."""
    if col.dtype == "int" and math.isfinite(value) and value == round(value):
        return _describe(int(value))
    return _describe(value)


def _parse_float(value: object) -> float:
    if _is_missing(value):
        return math.nan
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, str):
        text = value.strip()
        return math.nan if text == "" else float(text)
    if isinstance(value, list | tuple | dict | np.ndarray):
        raise TypeError("a container")  # float() would take an array of one
    return float(value)  # type: ignore[arg-type]


def _arrow_list(series: pd.Series) -> pa.ChunkedArray | None:
    if isinstance(series.dtype, pd.ArrowDtype):
        arr = series.array._pa_array  # noqa: SLF001 - the Arrow data behind the column
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            return arr
    return None


def _list_value_type_ok(value_type: pa.DataType, numeric: bool) -> bool:
    if pa.types.is_null(value_type):
        return True  # only empty lists
    if numeric:
        return pa.types.is_floating(value_type) or pa.types.is_integer(value_type)
    return pa.types.is_string(value_type) or pa.types.is_large_string(value_type)


def _lengths(series: pd.Series) -> np.ndarray:
    """Length of each list (-1 where absent)."""
    arr = _arrow_list(series)
    lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
    return np.where(np.isnan(lengths.astype(float)), -1, lengths).astype(np.int64)


def _logprobs_ok(series: pd.Series) -> bool:
    """True when every list element is a number <= 0 (no null, NaN or positive value)."""
    flat = pc.list_flatten(_arrow_list(series))
    if flat.null_count:
        return False
    if not pa.types.is_floating(flat.type):
        return False
    bad = pc.or_(pc.is_nan(flat), pc.greater(flat, 0.0))
    return not pc.any(bad).as_py()


def _flat_values(series: pd.Series) -> np.ndarray:
    return pc.list_flatten(_arrow_list(series)).to_numpy(zero_copy_only=False)


def validate(
    frame: pd.DataFrame,
    table: str,
    source: str = "<data>",
    *,
    where: Locator | None = None,
    allow_missing_params: bool = False,
) -> pd.DataFrame:
    """Check a table against :mod:`emergence.schema` and return it normalised.

    Normalisation: canonical column order, columns outside the schema dropped, ids as strings,
    sizes parsed (``7B`` -> 7e9), integers as nullable ``Int64``, list fields as numpy arrays, and
    derived fields filled in (multiple-choice ``output``; losses ``tokens = flops / (6 params)``
    and ``flops = 6 params tokens``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Raw table. Optional helper columns ``_source``/``_record`` locate rows in error messages.
    table : {"items", "scores", "losses"}
        Which table the frame holds.
    source : str
        File name used in error messages.
    where : callable, optional
        Maps a row position to a location such as ``runs.jsonl:17``.
    allow_missing_params : bool
        Accept missing ``params`` (sizes are supplied later by the size registry).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    emergence.errors.InputError
        On the first problem, naming file, record, field and what was expected.
    """
    spec = TABLES[table]
    if len(frame) == 0:
        raise InputError(f"{source}: no records; expected {_a(table)} table")
    frame = frame.reset_index(drop=True)
    if table == "losses":
        frame = _derive_loss_columns(frame, source)
    if allow_missing_params and table != "losses" and "params" not in frame.columns:
        frame = frame.assign(params=np.nan)  # sizes come from a mapping or model names
    present = set(frame.columns)
    missing = [c for c in spec.required if c not in present]
    if table == "items" and "output" not in present:
        pass  # output is checked row by row below (multiple choice may omit it)
    if missing:
        raise InputError(
            f"{locate(source, field=missing[0])}: missing required column; {_a(table)} table needs "
            f"{', '.join(spec.required)}"
        )
    checker = _Checker(frame, spec, source, where or frame_locator(frame, source))
    checker.allow_missing_params = allow_missing_params
    out: dict[str, pd.Series] = {}
    for col in spec.columns:
        if col.name not in present:
            continue
        if col.dtype == "str":
            out[col.name] = checker.strings(col)
        elif col.dtype == "float":
            out[col.name] = checker.floats(col)
        elif col.dtype == "int":
            out[col.name] = checker.ints(col)
        elif col.dtype == "bool":
            out[col.name] = checker.bools(col)
        else:
            out[col.name] = checker.lists(col)
    result = pd.DataFrame(out)
    _check_rows(result, table, checker)
    if table != "losses":
        _check_model_sizes(result, checker)
    _check_duplicates(result, spec, checker)
    return result


def _derive_loss_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    cols = set(frame.columns)
    if "tokens" not in cols and {"flops", "params"} <= cols:
        frame = frame.copy()
        flops = pd.to_numeric(frame["flops"], errors="coerce")
        params = pd.to_numeric(frame["params"], errors="coerce")
        frame["tokens"] = flops / (6.0 * params)
    return frame


def _check_metric_ranges(result: pd.DataFrame, checker: _Checker) -> None:
    """A score whose name fixes its range must lie in it (an exact match of 1.7 or 87, a
    log-prob of +5): the first row that does not is the error."""
    metric = result["metric"]
    value = result["value"].to_numpy(dtype=float)
    bad, lo, hi = outside_range(metric.to_numpy(dtype=object), value)
    _first_bad(checker, bad, "value", lambda i: (
        f"expected {metric.iloc[i]} in [{lo[i]:g}, {hi[i]:g}], got "
        f"{_describe(float(value[i]))}{percentage_hint(hi[i], value[i])}"
    ))  # fmt: skip


def _check_intervals(result: pd.DataFrame, checker: _Checker) -> None:
    """``ci_low`` may not exceed ``ci_high`` (two columns swapped, or a width for a bound);
    equal bounds, rounded in the last digits, pass."""
    if not {"ci_low", "ci_high"} <= set(result.columns):
        return
    low = result["ci_low"].to_numpy(dtype=float, na_value=np.nan)
    high = result["ci_high"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = low - high > 1e-12 * np.maximum(np.abs(low), np.abs(high))
    _first_bad(checker, bad, "ci_low", lambda i: (
        f"expected a lower bound <= ci_high ({_describe(float(high[i]))}), got "
        f"{_describe(float(low[i]))}"
    ))  # fmt: skip
    _check_value_in_interval(result, low, high, checker)


def _check_value_in_interval(
    result: pd.DataFrame, low: np.ndarray, high: np.ndarray, checker: _Checker
) -> None:
    """A score must lie near its own interval: a percentile interval may leave its estimate
    out by a little, but one more than its width away is another quantity's interval (bounds
    in percent beside a rate, or the columns of another metric)."""
    value = result["value"].to_numpy(dtype=float, na_value=np.nan)
    width = high - low
    with np.errstate(invalid="ignore"):
        bad = np.isfinite(value) & np.isfinite(width) & (
            (value < low - width) | (value > high + width))
    _first_bad(checker, bad, "value", lambda i: (
        f"expected a value near its interval [{low[i]:g}, {high[i]:g}] (within its width), got "
        f"{_describe(float(value[i]))}"
        + (" (the bounds look like percentages: divide ci_low and ci_high by 100)"
           if low[i] - 1e-9 <= 100 * value[i] <= high[i] + 1e-9 else "")
    ))  # fmt: skip


def _check_rows(result: pd.DataFrame, table: str, checker: _Checker) -> None:
    if "params_kind" in result:
        kinds = result["params_kind"]
        bad = kinds.notna() & ~kinds.isin(PARAMS_KINDS)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise checker.fail(
                i,
                "params_kind",
                f"expected one of {', '.join(PARAMS_KINDS)}, got {_describe(kinds[i])}",
            )
    if table == "losses" and "flops" not in result:
        result["flops"] = 6.0 * result["params"] * result["tokens"]
    if table == "scores":
        _check_metric_ranges(result, checker)
        _check_intervals(result, checker)
    if table != "items":
        return
    n = len(result)
    for values_col, labels_col in (
        ("target_logprobs", "target_tokens"),
        ("choice_logprobs", "choices"),
    ):
        if values_col in result:
            lens = _lengths(result[values_col])
            has = lens >= 0
            # Checked in Arrow first; the values are copied out only to locate a bad one.
            flat = None if _logprobs_ok(result[values_col]) else _flat_values(result[values_col])
            bad = np.zeros(0, dtype=bool) if flat is None else np.isnan(flat) | (flat > 0)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                i = int(np.searchsorted(np.cumsum(np.where(has, lens, 0)), k, side="right"))
                raise checker.fail(
                    i,
                    values_col,
                    f"expected log-probabilities <= 0, got {_describe(float(flat[k]))}",
                )
            if labels_col in result:
                other = _lengths(result[labels_col])
                bad = has & (other >= 0) & (other != lens)
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise checker.fail(
                        i,
                        values_col,
                        f"expected {other[i]} values (one per element of "
                        f"'{labels_col}'), got {lens[i]}",
                    )
    choices_len = _lengths(result["choices"]) if "choices" in result else np.full(n, -1)
    if "choice_logprobs" in result:
        # without the choice texts, the log-likelihoods say how many choices there are
        scored = _lengths(result["choice_logprobs"])
        choices_len = np.where(choices_len >= 0, choices_len, scored)
    if "choice_credit" in result:
        _check_credit(result, checker, choices_len)
    if "correct_choice" in result:
        cc = result["correct_choice"]
        present = cc.notna().to_numpy()
        ccv = cc.fillna(0).to_numpy(dtype=np.int64)
        bad = present & (choices_len >= 0) & (ccv >= choices_len)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise checker.fail(
                i,
                "correct_choice",
                f"expected an index below {choices_len[i]} (the number of choices), got {ccv[i]}",
            )
    _fill_mc_output(result, checker)


def _check_credit(result: pd.DataFrame, checker: _Checker, choices_len: np.ndarray) -> None:
    """``choice_credit``: one credit in [0, 1] per choice, some positive; ``correct_choice``
    one of highest credit, filled in (the first such) where absent."""
    lens = _lengths(result["choice_credit"])
    has = lens >= 0
    flat = _flat_values(result["choice_credit"]).astype(np.float64)
    row_of = np.repeat(np.arange(len(result)), np.where(has, lens, 0))
    bad = ~((flat >= 0) & (flat <= 1))  # NaN too
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise checker.fail(
            int(row_of[k]), "choice_credit",
            f"expected credits in [0, 1], got {_describe(float(flat[k]))}",
        )  # fmt: skip
    _first_bad(
        checker, has & (choices_len >= 0) & (lens != choices_len), "choice_credit",
        lambda i: f"expected {choices_len[i]} values (one per choice), got {lens[i]}",
    )  # fmt: skip
    # the highest credit of each row and the first choice that has it
    starts = np.concatenate([[0], np.cumsum(np.where(has, lens, 0))[:-1]])
    top = np.full(len(result), -1.0)
    if flat.size:
        np.maximum.at(top, row_of, flat)
    _first_bad(
        checker, has & (top <= 0), "choice_credit",
        lambda i: "expected a positive credit for some choice, got none",
    )  # fmt: skip
    is_top = flat == top[row_of]
    first = np.where(has, np.iinfo(np.int64).max, -1)
    local = np.arange(flat.size) - starts[row_of]
    np.minimum.at(first, row_of[is_top], local[is_top])
    if "correct_choice" not in result:
        # in the schema's column order, as if it had been given empty
        order = [c.name for c in TABLES["items"].columns]
        at = sum(order.index(c) < order.index("correct_choice") for c in result.columns)
        result.insert(at, "correct_choice", pd.array([pd.NA] * len(result), dtype="Int64"))
    cc = result["correct_choice"]
    given = cc.notna().to_numpy() & has
    ccv = cc.fillna(0).to_numpy(dtype=np.int64)
    in_range = given & (ccv < np.where(has, lens, 0))
    credit_at = np.full(len(result), np.nan)
    credit_at[in_range] = flat[starts[in_range] + ccv[in_range]]
    _first_bad(
        checker, in_range & (credit_at < top), "correct_choice",
        lambda i: f"expected a choice of highest credit in 'choice_credit' ({first[i]}), got "
        f"{ccv[i]}",
    )  # fmt: skip
    fill = has & ~cc.notna().to_numpy()
    if fill.any():
        filled = cc.copy()
        filled[fill] = first[fill]
        if "target" in result and "choices" in result:
            # the target names the reference among equally credited choices, as a given
            # correct_choice would (exact match compares the output with that target)
            rows = np.flatnonzero(fill)
            for i, target, opts in zip(
                rows, result["target"].to_numpy(dtype=object)[rows],
                result["choices"].to_numpy(dtype=object)[rows], strict=True,
            ):  # fmt: skip
                if isinstance(target, str) and opts is not None and target in list(opts):
                    j = list(opts).index(target)
                    if j < lens[i] and flat[starts[i] + j] == top[i]:
                        filled[i] = j
        result["correct_choice"] = filled


def _first_bad(
    checker: _Checker, bad: np.ndarray, field: str, message: Callable[[int], str]
) -> None:
    """Fail on the first row flagged in ``bad``, with ``message(row)``."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise checker.fail(i, field, message(i))


def _fill_mc_output(result: pd.DataFrame, checker: _Checker) -> None:
    """A multiple-choice item without ``output`` gets its highest-scoring choice (first on
    ties), picked in Arrow and numpy for all such rows at once.

    An item whose choices all have log-probability ``-inf`` keeps no output: probability 0 for
    every choice is no distribution to pick from, and the metrics leave such an item unscored
    (:func:`emergence.rowwise.picked_choice`, which the metrics stage uses too).
    """
    if "output" not in result:
        result["output"] = pd.Series(np.nan, index=result.index, dtype=STR)
    missing = result["output"].isna().to_numpy()
    if not missing.any():
        return
    rows = np.flatnonzero(missing)
    no_choices = (
        "expected a string (or 'choices' with 'choice_logprobs' for a multiple-choice item), "
        f"got {MISSING}"
    )
    if "choices" not in result or "choice_logprobs" not in result:
        raise checker.fail(rows[0], "output", no_choices)
    choices = _arrow_list(result["choices"])
    logps = _arrow_list(result["choice_logprobs"])
    if rows.size < len(result):
        take = pa.array(rows)
        choices, logps = choices.take(take), logps.take(take)
    n_choices = pc.list_value_length(choices).fill_null(0).to_numpy(zero_copy_only=False)
    has_logps = np.asarray(pc.is_valid(logps).to_numpy(zero_copy_only=False), dtype=bool)
    bad = (n_choices == 0) | ~has_logps
    if bad.any():
        raise checker.fail(rows[np.flatnonzero(bad)[0]], "output", no_choices)
    # _check_rows made each row's log-probs as many as its choices: the flattened lists align
    lengths = pc.list_value_length(logps).to_numpy(zero_copy_only=False).astype(np.int64)
    values = np.asarray(pc.list_flatten(logps).to_numpy(zero_copy_only=False), dtype=np.float64)
    starts = np.cumsum(lengths) - lengths
    width = rowwise.fixed_width(values.shape[0], lengths)
    pick = rowwise.picked_choice(values, starts, lengths, width)
    ok = pick >= 0
    if not ok.any():
        return
    picked = pc.list_flatten(choices).take(pa.array(starts[ok] + pick[ok]))
    current = pa.array(result["output"].array)
    if isinstance(current, pa.ChunkedArray):
        current = current.combine_chunks()
    mask = np.zeros(len(result), dtype=bool)
    mask[rows[ok]] = True
    if isinstance(picked, pa.ChunkedArray):
        picked = picked.combine_chunks()
    filled = pc.replace_with_mask(current, pa.array(mask), picked.cast(current.type))
    result["output"] = pd.Series(pd.array(filled, dtype=STR), index=result.index)


def _check_duplicates(result: pd.DataFrame, spec: TableSpec, checker: _Checker) -> None:
    keys = [k for k in spec.key if k in result.columns]
    if not keys:
        return
    repeated = result.duplicated(subset=keys, keep="first").to_numpy()
    if not repeated.any():
        return
    second = int(np.flatnonzero(repeated)[0])
    first = int(np.flatnonzero(_same_key(result, keys, second))[0])
    label = ", ".join(
        f"{k}={result[k].iat[first]}" for k in keys if not _is_missing(result[k].iat[first])
    )
    raise InputError(
        f"{checker.where(second)}: duplicate {spec.name} row ({label}); first seen at "
        f"{checker.where(first)}"
    )


def _same_key(result: pd.DataFrame, keys: list[str], row: int) -> np.ndarray:
    """Rows whose key equals that of ``row``, with missing equal to missing (as ``duplicated``)."""
    same = np.ones(len(result), dtype=bool)
    for k in keys:
        col, value = result[k], result[k].iat[row]
        if _is_missing(value):
            same &= col.isna().to_numpy()
        else:
            same &= (col == value).to_numpy(dtype=bool, na_value=False)
    return same


def _check_model_sizes(result: pd.DataFrame, checker: _Checker) -> None:
    """One size per (family, model): a stray row with another (or no) size is an error.

    A row whose ``params`` differs from the rest of its model would otherwise become a phantom
    extra scale; a row without a size among sized rows of its model is a gap, not a mapping job.
    """
    if not {"family", "model", "params"} <= set(result.columns):
        return
    params = result["params"].to_numpy(dtype=float)
    group = result.groupby(["family", "model"], sort=False).ngroup().to_numpy()
    _, first_of = np.unique(group, return_index=True)
    ref = params[first_of[group]]
    both_nan = np.isnan(params) & np.isnan(ref)
    same = both_nan | np.isclose(params, ref, rtol=1e-9, atol=0.0)
    if same.all():
        return
    i = int(np.flatnonzero(~same)[0])
    j = int(first_of[group[i]])
    model = f"model {result['model'].iat[i]!r} (family {result['family'].iat[i]!r})"
    if np.isnan(params[i]) or np.isnan(params[j]):
        gap, sized = (i, j) if np.isnan(params[i]) else (j, i)
        raise checker.fail(
            gap,
            "params",
            f"expected a number, got {MISSING}; {model} has params {params[sized]:g} at "
            f"{checker.where(sized)}",
        )
    raise checker.fail(
        i,
        "params",
        f"{model} has params {params[i]:g} here but {params[j]:g} at {checker.where(j)}; "
        "expected one size per model",
    )
