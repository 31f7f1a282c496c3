"""The native formats: CSV, JSONL and Parquet files holding one tidy table each.

The table is recognised from the column names (:func:`emergence.schema.detect_table`) after the
user's optional renaming (``rename={"Model Size": "params"}``), which is how other people's files
(the Epoch Chinchilla CSV, a lab's own spreadsheet) are read without editing them.

JSONL is parsed with pyarrow's multi-threaded reader; when that fails (a truncated line, mixed
types, bad UTF-8) the file is re-read line by line so the error can name the exact line.
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import re
import shlex
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import TABLES, detect_table
from .framework_common import (
    JSON_SPACE,
    bad_byte,
    binary_problem,
    decode_utf8,
    jsonl_lines,
    reject_lone_surrogates,
)
from .sizes_registry import is_sizes_header
from .tables import Tables
from .validate import validate

NAME = "native"
DESCRIPTION = (
    "emergence's own tidy tables (items, scores or losses) as .csv, .jsonl or .parquet, or as "
    "a .json array of row objects (what -o x.json writes)"
)
SUFFIXES = (".csv", ".jsonl", ".parquet")
# A .json file is native only when it is an array of row objects: other .json files (framework
# logs, configs) are not data files of this format, so it is not among SUFFIXES.
JSON_ROWS = ".json"
JSONL_BLOCK_SIZE = 16 << 20
# Columns read as text from CSV: ids and answers must stay verbatim ("007" is not 7), and list
# fields are JSON text parsed by the validator.
TEXT_COLUMNS = frozenset(
    c.name for spec in TABLES.values() for c in spec.columns if c.dtype.startswith(("str", "list"))
)


def _first_json_row(path: Path) -> dict | None:
    """The first object of a .json array, parsed from the start of the file: 64 kB, then more
    (up to 16 MB) while the object is longer (a row with a long generation). Sniffing must not
    parse a large file whole: suites keep big JSON arrays beside their runs."""
    with open(path, "rb") as handle:
        for size in (1 << 16, 1 << 20, 1 << 24):
            handle.seek(0)
            raw = handle.read(size)
            head = raw.decode("utf-8", errors="replace").lstrip(JSON_SPACE + "\ufeff")
            if not head.startswith("["):
                return None
            try:
                first, _ = json.JSONDecoder().raw_decode(head[1:].lstrip(JSON_SPACE))
            except ValueError:
                if len(raw) < size:  # the whole file was read: not JSON
                    return None
                continue
            return first if isinstance(first, dict) else None
    return None


def _json_rows(path: Path) -> list[dict] | None:
    """The rows of a .json array of objects (None when the file is anything else)."""
    try:
        text = decode_utf8(path.read_bytes())
        rows = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    ok = isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows)
    if ok:
        try:
            reject_lone_surrogates(text, path.name)
        except InputError as err:  # name the record and field: a one-line array has one line
            for i, row in enumerate(rows, start=1):
                if _has_surrogate(row):
                    raise _surrogate_error(f"{path.name}: record {i}", row) from None
            raise err from None
    return rows if ok else None


def _first_jsonl_object(path: Path) -> dict | None:
    with open(path, "rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    return None
                return obj if isinstance(obj, dict) else None
    return None


def columns_of(path: Path) -> list[str] | None:
    """Column names of a native file without reading it whole (``None`` if unreadable)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size + 1))
            with open(path, encoding="utf-8-sig", newline="") as handle:
                return next((row for _, row, blank in _csv_rows(handle) if not blank), None)
        if suffix == ".jsonl":
            obj = _first_jsonl_object(path)
            return list(obj) if obj is not None else None
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        if suffix == JSON_ROWS:
            first = _first_json_row(path)
            return list(first) if first is not None else None
    except (OSError, UnicodeDecodeError, ValueError, csv.Error):
        return None
    return None


def _csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str], bool]]:
    """(first physical line, fields, blank) of each CSV record read from ``lines`` (opened with
    newline=""). Blank is what pandas skips (skip_blank_lines): one physical line of only
    spaces and tabs, judged on the line itself (a quoted "" is a field, not a blank line)."""
    record: list[str] = []  # the physical lines of the record being read

    def feed() -> Iterator[str]:
        for raw in lines:
            record.append(raw)
            yield raw

    reader = csv.reader(feed())
    before = 0
    for row in reader:
        start, before = before + 1, reader.line_num
        blank = len(record) == 1 and not record[0].strip(" \t\r\n")
        record.clear()
        yield start, row, blank


# What each table needs to be recognised (see emergence.schema.detect_table).
TABLES_NEED = (
    "expected items (item, target, ...), scores (metric, value, ...) or losses (loss, params, "
    "and tokens or flops)"
)
COLUMNS_SHOWN = 30  # columns named in a message; a wide table ends with "and K more"

# Other names for the schema's columns, as found in published tables (compared lower-case, with
# spaces and dashes as underscores): a rename to one of these is suggested only when it makes the
# file a table with every column that table needs.
_ALIASES: dict[str, tuple[str, ...]] = {
    "item": ("item_id", "id", "doc_id", "example_id", "question_id", "sample_id", "instance_id"),
    "target": ("answer", "gold", "reference", "expected", "expected_output", "ground_truth",
               "correct_answer", "target_text"),
    "output": ("prediction", "pred", "response", "completion", "generation", "model_output",
               "model_answer"),
    "metric": ("metric_name",),
    "value": ("score", "metric_value"),
    "family": ("model_family", "family_name"),
    "model": ("model_name", "model_id"),
    "params": ("params_total", "parameters", "n_params", "num_params", "num_parameters",
               "param_count", "model_size"),
    "task": ("task_name",),
    "loss": ("val_loss", "validation_loss", "eval_loss", "test_loss", "final_loss"),
    "tokens": ("n_tokens", "num_tokens", "train_tokens", "training_tokens", "data_size"),
    "flops": ("train_flops", "training_flop", "training_flops", "compute", "flop"),
}  # fmt: skip
# the columns emergence.schema.detect_table recognises each table by
_RECOGNISED_BY = {
    "items": {"item", "target"},
    "scores": {"metric", "value"},
    "losses": {"loss", "params", "tokens", "flops"},
}
# scaling-law notation, read only for a losses table: N parameters, D tokens, C compute
_LOSSES_ALIASES: dict[str, tuple[str, ...]] = {"params": ("n",), "tokens": ("d",), "flops": ("c",)}


def column_list(columns: list[str]) -> str:
    """``a, b, c`` naming every column, or the first :data:`COLUMNS_SHOWN` and how many more."""
    shown = ", ".join(columns[:COLUMNS_SHOWN])
    more = len(columns) - COLUMNS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _alias(canonical: str, columns: list[str], table: str) -> str | None:
    """The one column that is another name for ``canonical`` (``None``: none or several)."""
    # the schema's own name in another case or with stray spaces ("Item", " target") too
    names = (canonical, *_ALIASES.get(canonical, ())) + (
        _LOSSES_ALIASES.get(canonical, ()) if table == "losses" else ()
    )
    found = [c for c in columns if _key(c) in names]
    if not found and canonical == "loss" and table == "losses":
        # one loss column named after its data split ("loss_c4_val", "val_loss")
        found = [c for c in columns if _key(c).startswith("loss_") or _key(c).endswith("_loss")]
    return found[0] if len(found) == 1 else None


def suggest_renames(columns: list[str]) -> tuple[str, list[tuple[str, str]]] | None:
    """The table that renaming some ``columns`` to schema names makes, and those renames.

    Only a rename that leaves the table with every column it needs is suggested (``params``
    of items and scores may come from ``--sizes``); ``None`` when no table can be made so.
    """
    present = set(columns)
    for table, spec in TABLES.items():
        renames = [
            (old, canonical)
            for canonical in spec.names
            if canonical not in present and (old := _alias(canonical, columns, table))
        ]
        renamed = [dict(renames).get(c, c) for c in columns]
        if not renames or detect_table(renamed) != table:
            continue
        have = set(renamed)
        need = set(spec.required) - ({"params"} if table != "losses" else set())
        if table == "losses" and "flops" in have:
            need.discard("tokens")  # derived as flops / (6 params)
        if need <= have:
            # the renames that make the table recognised first
            return table, sorted(renames, key=lambda r: r[1] not in _RECOGNISED_BY[table])
    return None


SIZES_ADVICE = (
    "a sizes mapping (model -> params) has these columns: pass the file with --sizes FILE"
)


def rename_hint(columns: list[str]) -> str:
    """The ``--rename`` options that make ``columns`` a table, or the general advice.

    The columns of a sizes file (model and params) get the ``--sizes`` advice instead.
    """
    if is_sizes_header(columns):
        return SIZES_ADVICE
    if len(columns) == 1:
        # one column whose name holds another separator: a semicolon CSV (a European
        # spreadsheet's export) or a tab-separated file saved as .csv
        found = [name for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
                 if sep in columns[0]]
        if found:
            return (f"its one column name holds {found[0]}: the file separates fields with "
                    f"{found[0]}, not commas; save it as comma-separated CSV")
    spaced = [c for c in columns[1:] if c[:1].isspace()]
    if len(spaced) >= 2 and len(spaced) == len(columns) - 1:
        # "family, model, ...": the values start with a space too, which renames cannot undo
        return (
            "its columns after the first start with a space (written with ', ' between "
            "fields?): remove the spaces after the commas"
        )
    found = suggest_renames(columns)
    if found is None:
        return "rename columns to the schema's names with --rename OLD=NEW (see docs/schema.md)"
    table, renames = found
    options = " ".join(f"--rename {shlex.quote(f'{old}={new}')}" for old, new in renames)
    return f"to read it as {table}: {options}"


def renamed(columns: list[str], rename: Mapping[str, str] | None) -> list[str]:
    """``columns`` after the renames ``rename`` maps (old name -> new name)."""
    if not rename:
        return columns
    return [rename.get(c, c) for c in columns]


def sniff(path: Path, rename: Mapping[str, str] | None = None) -> bool:
    """True when ``path`` is a native file whose columns form a known table."""
    if not path.is_file() or path.suffix.lower() not in (*SUFFIXES, JSON_ROWS):
        return False
    cols = columns_of(path)
    return cols is not None and detect_table(renamed(cols, rename)) is not None


def _jsonl_line_locator(path: Path, label: str):
    cache: list[int] = []

    def where(i: int) -> str:
        if not cache:
            with open(path, "rb") as handle:
                # blank as _read_jsonl_slow sees it: JSON whitespace only
                blank = JSON_SPACE.encode()
                cache.extend(n for n, raw in enumerate(handle, start=1) if raw.strip(blank))
        return f"{label}:{cache[i]}" if i < len(cache) else f"{label}: record {i + 1}"

    return where


def _csv_line_locator(path: Path, label: str):
    cache: list[int] = []

    def where(i: int) -> str:
        if not cache:
            csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size + 1))
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
                starts = (line for line, _, blank in _csv_rows(handle) if not blank)
                next(starts, None)  # the header
                cache.extend(starts)
        return f"{label}:{cache[i]}" if i < len(cache) else f"{label}: record {i + 1}"

    return where


def _holds(value: object, lo: str, hi: str) -> bool:
    """True when a string in ``value`` (a JSON value: str, list, dict) has a code point in
    ``lo``-``hi``."""
    if isinstance(value, str):
        return any(lo <= ch <= hi for ch in value)
    if isinstance(value, list):
        return any(_holds(v, lo, hi) for v in value)
    if isinstance(value, dict):
        return any(_holds(k, lo, hi) or _holds(v, lo, hi) for k, v in value.items())
    return False


def _has_bad_bytes(value: object) -> bool:
    """True when ``value`` (decoded with ``surrogateescape``) holds an undecodable byte."""
    return _holds(value, "\udc80", "\udcff")


def _has_surrogate(value: object) -> bool:
    """True when ``value`` holds a lone surrogate (JSON's ``"\\ud800"``: not a character)."""
    return _holds(value, "\ud800", "\udfff")


def _surrogate_error(where: str, record: dict) -> InputError:
    """The error for a ``record`` holding a lone surrogate, naming its first such field."""
    field = next(k for k, v in record.items() if _has_surrogate(k) or _has_surrogate(v))
    field = str(field).encode("utf-8", "backslashreplace").decode("utf-8")
    return InputError(
        f"{where}: field '{field}': an escaped lone surrogate (\\ud800-\\udfff) is not a "
        "character; expected valid Unicode text"
    )


def _bad_field(path: Path, data: bytes, line: bytes) -> str | None:
    """The column whose value holds the undecodable bytes of ``line`` (``None`` if unclear)."""
    text = line.decode("utf-8", errors="surrogateescape")
    try:
        if path.suffix.lower() == ".jsonl":
            obj = json.loads(text)
            pairs = list(obj.items()) if isinstance(obj, dict) else []
        else:
            first = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="surrogateescape")
            header = next(csv.reader([first]), [])
            pairs = list(zip(header, next(csv.reader([text]), []), strict=False))
    except (ValueError, csv.Error):
        return None
    return next((str(k) for k, v in pairs if _has_bad_bytes(k) or _has_bad_bytes(v)), None)


def _decode_error(path: Path, data: bytes, err: UnicodeDecodeError) -> InputError:
    binary = binary_problem(data, path.name)
    if binary is not None:  # e.g. a .csv.gz renamed .csv: its bytes are no table at all
        return InputError(f"{path.name}: {binary}")
    line = data.count(b"\n", 0, err.start) + 1
    start = data.rfind(b"\n", 0, err.start) + 1
    end = data.find(b"\n", err.start)
    field = _bad_field(path, data, data[start : end if end >= 0 else len(data)])
    where = f"{path.name}:{line}: " + (f"field '{field}': " if field else "")
    return InputError(f"{where}{bad_byte(data[err.start])}; expected UTF-8 text")


def _read_jsonl_slow(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    try:
        text = decode_utf8(data)
    except UnicodeDecodeError as err:
        raise _decode_error(path, data, err) from None
    records = []
    # an escaped lone surrogate parses, but is no character: nothing downstream can encode it
    maybe_surrogates = re.search(r"\\u[dD][89a-fA-F]", text) is not None
    for n, line in jsonl_lines(text):
        try:
            obj = json.loads(line)
        except ValueError as err:
            raise InputError(
                f"{path.name}:{n}: invalid JSON ({err.msg} at column {err.colno}); expected one "
                "complete JSON object per line (truncated file?)"
            ) from None
        if not isinstance(obj, dict):
            raise InputError(f"{path.name}:{n}: expected a JSON object, got {_json_kind(obj)}")
        if maybe_surrogates and _has_surrogate(obj):
            raise _surrogate_error(f"{path.name}:{n}", obj)
        records.append(obj)
    if not records:
        raise InputError(f"{path.name}: empty file; expected one JSON object per line")
    return pd.DataFrame.from_records(records)


def _json_kind(value: object) -> str:
    """What a parsed JSON value is, in JSON's words (``null``, not ``NoneType``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    kinds = {list: "an array", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


# A line that is JSON null (after an optional BOM and blanks): pyarrow (26) crashes the process
# with a segfault when one starts a parse block, so such files never reach it
# (searched apart: a pattern starting with the literal newline is scanned ~20 times faster)
_NULL_FIRST_LINE = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*null")
_NULL_LATER_LINE = re.compile(rb"\n[ \t\r\n]*null")


def _has_null_line(path: Path) -> bool:
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return _NULL_FIRST_LINE.match(m) is not None or _NULL_LATER_LINE.search(m) is not None


def _read_jsonl(path: Path) -> pd.DataFrame:
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}: empty file; expected one JSON object per line")
    if _has_null_line(path):
        return _read_jsonl_slow(path)  # names the line
    try:
        import pyarrow.json as pj

        # 16 MiB blocks instead of the 1 MiB default: ~10 % less parsing time on large files
        # (fewer, larger chunks), and still several blocks per thread from ~64 MiB up.
        table = pj.read_json(path, read_options=pj.ReadOptions(block_size=JSONL_BLOCK_SIZE))
        table.validate(full=True)  # the reader does not check UTF-8; full validation does
    except Exception:  # noqa: BLE001 - any parse problem: re-read slowly for a precise message
        return _read_jsonl_slow(path)
    if table.num_rows == 0 or _has_empty_row(table):
        # blank lines only (no rows), or a line `null` read as a row of nulls (as `{}` is):
        # the slow path says the file is empty, or names the line
        return _read_jsonl_slow(path)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _has_empty_row(table) -> bool:  # noqa: ANN001 - a pyarrow Table
    import pyarrow.compute as pc

    if table.num_columns == 0:
        return table.num_rows > 0
    empty = None
    for column in table.columns:
        null = pc.is_null(column)
        empty = null if empty is None else pc.and_(empty, null)
    return bool(pc.any(empty).as_py())


def _csv_header(path: Path, text: str) -> list[str]:
    """The header of a CSV file (its first line that is not blank); a column named twice is an
    error (pandas would rename it)."""
    rows = _csv_rows(io.StringIO(text, newline=""))
    line = 1
    try:
        line, header = next(((n, row) for n, row, blank in rows if not blank), (1, []))
    except csv.Error as err:
        raise InputError(f"{path.name}:{line}: malformed CSV header ({err})") from None
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen and name.strip():  # blank names (trailing commas) are dropped anyway
            raise InputError(
                f"{path.name}:{line}: column {name!r} appears twice (columns {seen[name]} and "
                f"{i}); expected unique column names"
            )
        seen[name] = i
    return header


def _read_csv(path: Path, rename: Mapping[str, str] | None = None) -> pd.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path.name}: empty file; expected a header line and rows")
    try:
        text = decode_utf8(data)
    except UnicodeDecodeError as err:
        raise _decode_error(path, data, err) from None
    header = _csv_header(path, text)
    new_names = renamed(header, rename)
    text_cols = {
        old: str for old, new in zip(header, new_names, strict=True) if new in TEXT_COLUMNS
    }
    # A first row longer than the header is refused even when its extra fields are empty: pandas
    # would take a first column as the index (or, with index_col=False, drop the last field),
    # and a row number without a header name next to an empty last column looks just like a
    # trailing comma; either way values would land under the wrong names
    _check_first_record(path, text, len(header))
    check_last_row(path, text, len(header))
    options = dict(dtype=text_cols, keep_default_na=False, na_values=[""], index_col=False)
    ragged = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), **options)
        # rows longer than the header: pandas cut them short with this warning
        ragged = any(issubclass(w.category, pd.errors.ParserWarning) for w in caught)
    except pd.errors.ParserError as err:
        if "EOF inside string" in str(err):
            line = _last_record(path, text)
            raise InputError(
                f"{path.name}:{line[0] if line else 1}: a quoted field opened in this row is not "
                'closed before the end of the file; expected a closing " (file cut short?)'
            ) from None
        if "fields in line" not in str(err):
            raise InputError(f"{path.name}: malformed CSV ({str(err).strip()})") from None
        ragged = True
    except ValueError as err:
        raise InputError(f"{path.name}: malformed CSV ({str(err).strip()})") from None
    if not ragged:
        return frame
    _check_overlong_records(path, text, len(header))
    # only empty fields beyond the header (trailing commas): harmless, dropped
    return pd.read_csv(io.StringIO(text), usecols=list(range(len(header))), **options)


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of each CSV record after the header, blank lines skipped;
    quoted fields may span lines. A record the csv module cannot read is an InputError."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # long generations
    header, start = False, 1
    try:
        for start, row, blank in _csv_rows(io.StringIO(text, newline="")):
            if blank:
                continue
            if header:
                yield start, row
            header = True
    except csv.Error as err:
        raise InputError(f"{path.name}:{start}: malformed CSV ({err})") from None


def _first_record(path: Path, text: str) -> tuple[int, int] | None:
    """(line, field count) of the first record after the header, None for a header alone.

    Read from the start of the text (64 kB, then 1 MB, then all of it): the record counts once
    another record follows it there, so a head that cuts it short is never taken for it."""
    for size in (1 << 16, 1 << 20, len(text)):
        records = _records(path, text[:size])
        first, second = next(records, None), next(records, None)
        if size >= len(text) or second is not None:
            return None if first is None else (first[0], len(first[1]))
    return None


def _last_record(path: Path, text: str) -> tuple[int, int] | None:
    """(first physical line, field count) of the last record after the header, or None."""
    tail = deque(_records(path, text), maxlen=1)
    return (tail[0][0], len(tail[0][1])) if tail else None


def check_last_row(path: Path, text: str, width: int) -> None:
    """Refuse a CSV cut short inside its last row.

    A file that ends without a line break, in a row with fewer fields than the header's
    ``width``, was cut off (an interrupted copy or write): pandas would read the missing cells
    as empty and the row's values as complete. A row cut inside its last field cannot be told
    from a whole one; a file without a final line break is otherwise fine (editors write them).
    A short row that ends in a line break is read with its missing trailing cells empty (a hand
    edit leaves them out), so the message says to add one when that is all the row lacks.

    Parameters
    ----------
    path : pathlib.Path
        The file (for the message).
    text : str
        Its text.
    width : int
        The number of columns of its header.

    Raises
    ------
    InputError
        Naming the file and the line the cut row starts on.
    """
    if text.endswith(("\n", "\r")):
        return
    last = _last_record(path, text)
    if last is not None and last[1] < width:
        raise InputError(
            f"{path.name}:{last[0]}: {last[1]} fields, the header has {width}, and the file ends "
            "in this row without a line break; expected one field per column (file cut short? "
            "if the row only leaves out empty trailing cells, end the file with a line break)"
        )


def check_field_counts(path: Path, text: str, width: int) -> None:
    """Refuse a CSV record with more fields than the header's ``width``: the first record even
    when its extra fields are empty (pandas would take the first column as the index), any
    other with a non-empty extra field (its values would land under the wrong names).

    Parameters
    ----------
    path : pathlib.Path
        The file (for the message).
    text : str
        Its text.
    width : int
        The number of columns of its header.

    Raises
    ------
    InputError
        Naming the file, the line and the field counts.
    """
    _check_first_record(path, text, width)
    _check_overlong_records(path, text, width)


def _check_first_record(path: Path, text: str, width: int) -> None:
    first = _first_record(path, text)
    if first is not None and first[1] > width:
        raise InputError(
            f"{path.name}:{first[0]}: {first[1]} fields, the header has {width}; expected "
            "one field per column (a trailing comma, or a column the header does not name?)"
        )


def _check_overlong_records(path: Path, text: str, width: int) -> None:
    over = _overlong_record(path, text, width)
    if over is not None:
        raise InputError(
            f"{path.name}:{over[0]}: {over[1]} fields, the header has {width}; expected one "
            "field per column"
        )


def _overlong_record(path: Path, text: str, width: int) -> tuple[int, int] | None:
    """(first physical line, field count) of the first record with a non-empty field beyond
    ``width`` (later rows with only empty extra fields, trailing commas, are harmless)."""
    for start, row in _records(path, text):
        if len(row) > width and any(field.strip() for field in row[width:]):
            return start, len(row)
    return None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, dtype_backend="pyarrow")
    except Exception as err:  # noqa: BLE001 - pyarrow raises many types for corrupt files
        raise InputError(f"{path.name}: not a readable Parquet file ({err})") from None


def _check_rename(path: Path, columns: list[str], rename: Mapping[str, str]) -> None:
    """Refuse a rename that gives two columns the same name (one would shadow the other)."""
    seen: set[str] = set()
    for old, new in zip(columns, renamed(columns, rename), strict=True):
        if new in seen:
            source = old if old != new else next(o for o, n in rename.items() if n == new)
            raise InputError(f"{path.name}: --rename {source}={new}: column {new!r} already exists")
        seen.add(new)


def read_frame(
    path: Path, rename: Mapping[str, str] | None = None, seen: list[str] | None = None
) -> tuple[str, pd.DataFrame]:
    """Read a native file into ``(table_name, raw_frame)`` without validating it; its column
    names before renaming are added to ``seen`` when given (every row's, not the first's)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        frame = _read_jsonl(path)
    elif suffix == ".csv":
        frame = _read_csv(path, rename)
    elif suffix == ".parquet":
        frame = _read_parquet(path)
    elif suffix == JSON_ROWS:
        rows = _json_rows(path)
        if rows is None:
            raise InputError(f"{path.name}: expected a JSON array of row objects")
        frame = pd.DataFrame.from_records(rows)
    else:
        raise InputError(
            f"{path.name}: unsupported file type {suffix!r}; expected .csv, .jsonl, .parquet "
            "or a .json array of rows"
        )
    if seen is not None:
        seen.extend(str(c) for c in frame.columns)
    if rename:
        _check_rename(path, [str(c) for c in frame.columns], rename)
        frame = frame.rename(columns=dict(rename))
    table = detect_table(list(frame.columns))
    if table is None:
        columns = [str(c) for c in frame.columns]
        raise InputError(
            f"{path.name}: cannot tell which table this is from its columns "
            f"({column_list(columns)}); {TABLES_NEED}; {rename_hint(columns)}"
        )
    return table, frame


def read(
    path: Path,
    rename: Mapping[str, str] | None = None,
    *,
    allow_missing_params: bool = False,
    seen: list[str] | None = None,
) -> Tables:
    """Read and validate one native file.

    Parameters
    ----------
    path : pathlib.Path
        A ``.csv``, ``.jsonl`` or ``.parquet`` file.
    rename : mapping, optional
        Column renames applied before the table is recognised.
    allow_missing_params : bool
        Accept rows without ``params`` (to be filled from a size mapping).
    seen : list of str, optional
        Receives the file's column names before renaming (to tell a rename that matches no
        column of any file).

    Returns
    -------
    Tables
        One of its tables filled.
    """
    table, frame = read_frame(path, rename, seen)
    where = row_locator(path)
    no_output = (
        frame["output"].isna().to_numpy()
        if "output" in frame.columns
        else np.ones(len(frame), dtype=bool)
    )
    clean = validate(
        frame, table, path.name, where=where, allow_missing_params=allow_missing_params
    )
    if table == "items":
        _check_mc_target(clean, no_output, where)
    note = _ignored_note(frame.columns, table)
    ignored = ((str(path), note),) if note else ()
    return Tables(sources=(str(path),), ignored=ignored, **{table: clean})


def _ignored_note(columns: Iterable[object], table: str) -> str | None:
    """A note when a column outside the schema resembles a schema column the file lacks.

    Extra columns are dropped on load, which is right for metadata (a per-task loss beside
    ``loss``) but silently wrong for a misspelling: ``logprobs`` for ``target_logprobs`` changes
    which metric is tested. Only the resemblance is reported; which column was meant is the
    user's call (``param_count`` resembles ``params_kind`` more than ``params``).
    """
    import difflib

    names = [str(c) for c in columns]
    known = TABLES[table].names
    absent = [k for k in known if k not in names]
    # ``params_note`` beside ``params``, ``loss_add`` beside ``loss``: notes on a column read;
    # the cutoff keeps ``logprobs`` (0.70 like ``target_logprobs``), not ``notes`` (0.67 like
    # ``n_shots``)
    qualifiers = tuple(f"{k}_" for k in known if k in names)
    pairs = []
    for name in names:
        if name in known or name.startswith(("_", *qualifiers)):
            continue
        close = difflib.get_close_matches(name.lower(), absent, n=2, cutoff=0.68)
        if close:
            pairs.append(f"{name} (like {' or '.join(close)})")
    if not pairs:
        return None
    return (
        f"column(s) {', '.join(pairs)} not in the {table} schema, not read; if one was meant, "
        "map it with --rename OLD=NEW (see `emergence formats`)"
    )


def _check_mc_target(items: pd.DataFrame, filled: np.ndarray, where) -> None:
    """A multiple-choice row whose ``target`` is not ``choices[correct_choice]`` is refused
    when it has no ``output`` (it is filled with the most likely choice): exact match (that
    choice against the target) and the grade would then score one item two ways. A row with
    its own output keeps its own convention (letters: output "B", target "A"), unless its
    target is another of its choices: then the two golds contradict each other. Native files
    only: framework loaders build both from one gold answer. Compared exactly, as exact match
    compares (" Paris" is not "Paris")."""
    if not {"choices", "correct_choice", "target"} <= set(items.columns):
        return
    rows = np.flatnonzero(items["correct_choice"].notna().to_numpy())
    if not rows.size:
        return
    sub = items.iloc[rows]
    ccs = sub["correct_choice"].to_numpy(dtype=np.int64)
    bad = _contradicting_targets(sub["choices"], ccs, sub["target"], filled[rows])
    if bad is None:  # not text lists: row by row
        bad = [k for k, (opts, cc, target, fill) in enumerate(zip(
            sub["choices"].tolist(), ccs, sub["target"].tolist(), filled[rows], strict=True))
            if isinstance(target, str) and opts is not None and len(opts) > 0
            and target != opts[cc] and (fill or target in list(opts))]  # fmt: skip
    if len(bad):
        k = int(bad[0])
        i, cc = rows[k], int(ccs[k])
        gold, target = sub["choices"].iloc[k][cc], sub["target"].iloc[k]
        raise InputError(
            f"{where(i)}: field 'target': expected choices[correct_choice] = {gold!r} "
            f"(correct_choice {cc}), got {target!r}"
            + ("" if filled[i] else ", another of the choices")
        )


def _contradicting_targets(
    choices: pd.Series, ccs: np.ndarray, targets: pd.Series, filled: np.ndarray
) -> np.ndarray | None:
    """Positions whose text target is not ``choices[correct_choice]`` and either fills in a
    missing output or is another of the choices; compared in Arrow (a Python loop took half a
    second per 200k items). None when the columns are not text and lists of text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        lists = pa.array(choices, from_pandas=True)
        texts = pa.array(targets, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_list(lists.type) or pa.types.is_large_list(lists.type)):
        return None
    text = (pa.types.is_string, pa.types.is_large_string)
    if not any(f(lists.type.value_type) for f in text) or not any(f(texts.type) for f in text):
        return None
    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False)
    usable = (lengths > 0) & texts.is_valid().to_numpy(zero_copy_only=False)
    if not usable.any():
        return np.flatnonzero(usable)
    flat = pc.list_flatten(lists)  # nulls and empty lists add no values
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    gold = pc.take(flat, pa.array(np.where(usable, starts + np.minimum(ccs, lengths - 1), 0)))
    differs = pc.not_equal(gold, texts).fill_null(False).to_numpy(zero_copy_only=False)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    same = pc.equal(flat, pc.take(texts, pa.array(owner))).fill_null(False)
    among = np.bincount(owner[same.to_numpy(zero_copy_only=False)], minlength=len(lengths)) > 0
    return np.flatnonzero(usable & differs & (filled | among))


def row_locator(path: Path, label: str | None = None):
    """Row position -> ``label:line`` (CSV, JSONL) or ``label: row n`` (Parquet).

    ``label`` defaults to the file name. The file is read again only when a row is located.
    """
    label = path.name if label is None else label
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_line_locator(path, label)
    if suffix == ".csv":
        return _csv_line_locator(path, label)
    return lambda i: f"{label}: row {i + 1}"
