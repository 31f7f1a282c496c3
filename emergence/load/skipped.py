"""Files a folder walk does not read: the warning each one gets, or none.

Inside a folder, a file that no format recognises is not read (named on the command line, it is
an error instead). Results a user meant to analyse must not drop out without a word, so such a
file gets one warning line: which file, why it was not read, and how to have it read. Files that
hold no results get none:

* anything but data files (``.csv``, ``.jsonl``, ``.parquet``, ``.json``, ``.tsv``, ``.xlsx``,
  ``.xls``): documentation, code, reports (``.html``), images; and ``README*``/``MANIFEST*``
  files of any kind (hidden files are never walked);
* emergence's own outputs: verdicts (``detect``), summaries (``summary``), the truth table of
  ``simulate`` and fits (``fit -o fit.json``);
* the ``--sizes`` file;
* files a format writes beside its results (HELM's suite summaries, Inspect's log listings:
  the registry asks each format's ``is_companion``). lm-eval samples files are read with their
  results file, so they are never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import native
from .framework_common import decode_utf8
from .sizes_registry import is_sizes_document

DATA_SUFFIXES = (*native.SUFFIXES, ".json", ".tsv", ".xlsx", ".xls")
_DOC_NAMES = ("readme", "manifest")
_JSON_LIMIT = 16 << 20  # larger unrecognised JSON is not parsed just to explain the skip

# emergence's own output tables, by the columns that mark them
_OWN_TABLES = (
    frozenset({"family", "task", "verdict", "n_scales"}),  # detect
    frozenset({"table", "family", "model", "params", "tasks", "rows", "metrics"}),  # summary
    frozenset({"family", "task", "true_class"}),  # simulate: truth.csv
)
_FIT_KEYS = frozenset({"form", "params", "objective", "n_points"})  # fit -o fit.json
_JSON_FORMATS = (
    "formats that read JSON: lm-eval results files, Inspect logs, BIG-bench scores_*.json, "
    "full-log_*.json and task.json, HELM run folders (see `emergence formats`)"
)
_SIZES = "it reads as a sizes mapping (model -> params), not a table: pass it with --sizes FILE"
_NOTHING = object()  # a JSON document that was not parsed


def _own_table(columns: Iterable[str]) -> bool:
    cols = set(columns)
    return any(mark <= cols for mark in _OWN_TABLES)


def _records(doc: Any) -> list[str] | None:
    """The fields of a JSON array of records (``None`` for any other document)."""
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        return [str(k) for k in doc[0]]
    return None


def _own_json(doc: Any) -> bool:
    """A fit (``fit -o fit.json``), or a table emergence wrote as a JSON array."""
    if isinstance(doc, dict):
        return _FIT_KEYS <= set(doc)
    fields = _records(doc)
    return fields is not None and _own_table(fields)


def _parse(path: Path) -> tuple[Any, str | None]:
    """The parsed document (``_NOTHING`` when not parsed) and why it could not be parsed."""
    try:
        if path.stat().st_size > _JSON_LIMIT:
            return _NOTHING, None
        return json.loads(decode_utf8(path.read_bytes())), None
    except UnicodeDecodeError:
        return _NOTHING, "not UTF-8 text"
    except json.JSONDecodeError as err:
        return _NOTHING, f"invalid JSON ({err.msg} at line {err.lineno})"
    except (OSError, ValueError, RecursionError) as err:
        return _NOTHING, f"unreadable ({err})"


def _json_reason(doc: Any, problem: str | None, rename: Mapping[str, str] | None) -> str:
    if problem is not None:
        return f"{problem}; {_JSON_FORMATS}"
    if doc is not _NOTHING and is_sizes_document(doc):
        return _SIZES
    if isinstance(doc, dict):
        keys = native.column_list([str(k) for k in doc])
        return f"JSON that no format reads (keys {keys}); {_JSON_FORMATS}"
    fields = _records(doc)  # an array of rows that form a table is read (native.JSON_ROWS)
    if fields is None:
        return f"JSON that no format reads; {_JSON_FORMATS}"
    return f"a JSON array of records whose {_table_reason(fields, rename)}"


def _table_reason(columns: list[str], rename: Mapping[str, str] | None) -> str:
    return (
        f"its columns ({native.column_list(columns)}) form no table; {native.TABLES_NEED}; "
        f"{native.rename_hint(native.renamed(columns, rename))}"
    )


def skip_reason(
    path: Path, forced: str | None = None, rename: Mapping[str, str] | None = None
) -> str | None:
    """Why ``path``, a file in a folder that no format read, was skipped.

    The caller has already passed over hidden files, the ``--sizes`` file and the companions
    of a format's results.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    forced : str, optional
        The format ``--input-format`` forced (the walk tried no other).
    rename : mapping, optional
        The column renames of the load.

    Returns
    -------
    str or None
        The reason, one line with the way to have the file read; ``None`` for a file that
        holds no results (see the module).
    """
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES or path.name.lower().startswith(_DOC_NAMES):
        return None
    if not path.is_file():
        return "not a regular file (a broken link?)"
    if suffix in (".tsv", ".xlsx", ".xls"):
        return (
            f"emergence does not read {suffix} files; save the table as .csv (columns named as "
            "in docs/schema.md)"
        )
    columns, doc, problem = None, _NOTHING, None
    if suffix == ".json":
        doc, problem = _parse(path)
        if _own_json(doc):
            return None
    else:
        columns = native.columns_of(path) or []  # readable: the walk reads damaged ones
        if _own_table(columns):
            return None
    if forced == native.NAME and suffix == ".json":
        return (
            "--input-format native reads .csv, .jsonl and .parquet tables and .json arrays of "
            "rows, not other JSON"
        )
    if forced is not None and forced != native.NAME:
        return f"not {forced} input, and --input-format {forced} reads no other format"
    if columns is None:
        return _json_reason(doc, problem, rename)
    return _table_reason(columns, rename)
