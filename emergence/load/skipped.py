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

An empty file (nothing but whitespace) of a data suffix or an Inspect ``.eval`` is skipped with a
warning: it holds no rows, so nothing is lost (named on the command line it is still an error),
whereas a damaged file stops the load. A compressed data file (``scores.csv.gz``) gets a warning
saying to decompress it: emergence reads uncompressed files only.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import native
from .framework_common import binary_problem, decode_utf8
from .sizes_registry import is_sizes_document

DATA_SUFFIXES = (*native.SUFFIXES, ".json", ".tsv", ".xlsx", ".xls")
_EMPTY_WARNED = (*DATA_SUFFIXES, ".eval")  # empty files that get a warning
_EMPTY_PROBE = 4096  # a larger file is taken as not empty (whitespace would be read to tell)
# compressed copies of data files: the tool to decompress each with
_COMPRESSED = {
    ".gz": "gunzip -k",
    ".bz2": "bunzip2 -k",
    ".xz": "unxz -k",
    ".zst": "unzstd",
    ".zstd": "unzstd",
    ".zip": "unzip",
}
_DOC_NAMES = ("readme", "manifest")
_JSON_LIMIT = 16 << 20  # larger unrecognised JSON is not parsed just to explain the skip

# emergence's own output tables, by the columns that mark them: the results a command may
# write again, and simulate's ground truth (truth.csv), which no -o replaces
_REWRITABLE_TABLES = (
    frozenset({"family", "task", "verdict", "n_scales"}),  # detect
    frozenset({"table", "family", "model", "params", "tasks", "rows", "metrics"}),  # summary
)
_OWN_TABLES = (*_REWRITABLE_TABLES, frozenset({"family", "task", "true_class"}))
_FIT_KEYS = frozenset({"form", "params", "objective", "n_points"})  # fit -o fit.json
_JSON_FORMATS = (
    "formats that read JSON: lm-eval results files, Inspect logs, BIG-bench scores_*.json, "
    "full-log_*.json and task.json, HELM run folders (see `emergence formats`)"
)
_SIZES = "it reads as a sizes mapping (model -> params), not a table: pass it with --sizes FILE"
_NOTHING = object()  # a JSON document that was not parsed


def is_empty(path: Path) -> bool:
    """True for a regular file holding nothing but whitespace (and perhaps a byte-order mark).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    bool
    """
    try:
        if not path.is_file() or path.stat().st_size > _EMPTY_PROBE:
            return False
        with open(path, "rb") as handle:
            return not handle.read(_EMPTY_PROBE).removeprefix(codecs.BOM_UTF8).strip()
    except OSError:
        return False


def _compressed(path: Path) -> str | None:
    """How to decompress ``path`` when it is a compressed data file (``x.csv.gz``), else None."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if len(suffixes) < 2 or suffixes[-1] not in _COMPRESSED:
        return None
    if suffixes[0] not in (*DATA_SUFFIXES, ".eval"):
        return None
    return _COMPRESSED[suffixes[-1]]


_ARCHIVES = {".zip": "unzip", ".tar": "tar -xf", ".tgz": "tar -xf", ".7z": "7z x",
             ".rar": "unrar x"}


def archive_reason(path: Path) -> str | None:
    """Why a file named on the command line that no format reads is not read, when it is an
    archive or a compressed file (``results.zip``, ``run.tar.gz``, ``x.gz``); else None.

    Only for a file named directly: in a folder such files are passed over silently unless
    they are compressed data files (:func:`skip_reason`)."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if not suffixes:
        return None
    if suffixes[-1] in _ARCHIVES or ".tar" in suffixes:  # x.tar.gz too: tar -xf reads it
        tool = "tar -xf" if ".tar" in suffixes else _ARCHIVES[suffixes[-1]]
        return (f"an archive; emergence reads files and folders, not archives: unpack it "
                f"({tool} {path.name}) and pass the folder or the files inside")
    if suffixes[-1] in _COMPRESSED:
        return (f"a compressed file; emergence reads uncompressed files only: decompress it "
                f"({_COMPRESSED[suffixes[-1]]} {path.name})")
    return None


def _own_table(columns: Iterable[str], marks: tuple[frozenset[str], ...] = _OWN_TABLES) -> bool:
    cols = set(columns)
    return any(mark <= cols for mark in marks)


_HTML_MARK = b'<meta name="generator" content="emergence'


def rewritable_output(path: Path) -> bool:
    """Whether ``path`` is an output emergence wrote that a later run may replace: a report
    (its generator tag), a fit (``fit -o fit.json`` or ``fit.txt``), or a ``detect`` or
    ``summary`` table. Not simulate's ``truth.csv``, nor any other file the user keeps."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".html", ".txt"):
            with path.open("rb") as fh:
                head = fh.read(4096)
            return _HTML_MARK in head if suffix == ".html" else head.startswith(b"# parameters\n")
        if suffix == ".json":
            return _own_json(_parse(path)[0], _REWRITABLE_TABLES)
        columns = native.columns_of(path) if suffix in DATA_SUFFIXES else None
    except OSError:
        return False
    return _own_table(columns or (), _REWRITABLE_TABLES)


def _records(doc: Any) -> list[str] | None:
    """The fields of a JSON array of records (``None`` for any other document)."""
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        return [str(k) for k in doc[0]]
    return None


def _own_json(doc: Any, marks: tuple[frozenset[str], ...] = _OWN_TABLES) -> bool:
    """A fit (``fit -o fit.json``), or a table emergence wrote as a JSON array."""
    if isinstance(doc, dict):
        return _FIT_KEYS <= set(doc)
    fields = _records(doc)
    return fields is not None and _own_table(fields, marks)


def _parse(path: Path) -> tuple[Any, str | None]:
    """The parsed document (``_NOTHING`` when not parsed) and why it could not be parsed."""
    data = b""
    try:
        if path.stat().st_size > _JSON_LIMIT:
            return _NOTHING, None
        data = path.read_bytes()
        return json.loads(decode_utf8(data)), None
    except UnicodeDecodeError:
        return _NOTHING, binary_problem(data, path.name) or "not UTF-8 text"
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and _json_lines(err.doc):
            return _NOTHING, (
                "JSON Lines (one object per line), not one JSON document: give it the suffix "
                ".jsonl"
            )
        return _NOTHING, f"invalid JSON ({err.msg} at line {err.lineno})"
    except (OSError, ValueError, RecursionError) as err:
        return _NOTHING, f"unreadable ({err})"


def _json_lines(text: str) -> bool:
    """True when the first two non-blank lines of ``text`` are each a JSON object."""
    lines = [line for line in text.split("\n", 64)[:64] if line.strip()][:2]
    try:
        return len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)
    except ValueError:
        return False


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
    return f"a JSON array of records; {_table_reason(fields, rename)}"


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
    if path.name.lower().startswith(_DOC_NAMES):
        return None
    tool = _compressed(path)
    if tool is not None:
        return (
            f"a compressed file ({suffix}); emergence reads uncompressed files only: "
            f"decompress it ({tool} {path.name})"
        )
    if suffix not in _EMPTY_WARNED:
        return None
    if not path.is_file():
        return "not a regular file (a broken link, or a link loop?)"
    if is_empty(path):
        return "empty file (nothing but whitespace); no rows to read"
    if suffix not in DATA_SUFFIXES:
        return None
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
