"""A curve read straight from a two-column CSV (``compute,accuracy``: a curve from a paper).

The loaders read tables (items, scores, losses), which a bare curve is not: it has no model
names, sizes or metric. A ``.csv`` file with exactly two columns, named by ``--x`` and ``--y``,
is therefore read here as the points of one curve. Errors name the file, line and column as
the loaders' do (:func:`emergence.errors.locate`).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import shlex
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError, locate

#: What :func:`loader_of` says of a sizes file (``model,params``).
SIZES_FILE = "a sizes file"

#: How a two-column curve file is fitted, for messages.
CURVE_FILE = "a two-column CSV is one curve, fitted with --x and --y naming its columns"


def _trimmed(fields: list[str], keep: int = 0) -> list[str]:
    """``fields`` without blank fields at the end beyond the first ``keep`` (trailing commas,
    which the loaders drop too)."""
    out = list(fields)
    while len(out) > keep and not out[-1].strip():
        out.pop()
    return out


def curve_columns(path: Path, rename: Mapping[str, str] | None = None) -> list[str] | None:
    """The two column names of a two-column curve file, else ``None``.

    A curve file is a ``.csv`` file with exactly two columns that the loaders do not read: not
    a table they recognise by its columns (``item,target``; ``metric,value``), a sizes file
    (``model,params``) nor a file a framework or study reader claims (a one-task ObsScaling
    table ``Model,<task>_<shots>_<metric>``). Every other two-column file would stop in the
    loaders (a loss table needs three columns), so reading it as one curve takes nothing away
    from them. Only the header is read.

    Parameters
    ----------
    path : pathlib.Path
        A file or folder given on the command line.
    rename : mapping, optional
        ``--rename OLD=NEW`` of its column names.

    Returns
    -------
    list of str or None
        The header's two names after ``rename``.
    """
    names = _two_columns(path, rename)
    return names if names is not None and loader_of(path, names) is None else None


def loader_of(path: Path, names: list[str]) -> str | None:
    """What reads a two-column ``.csv`` file whose header is ``names``, if not a curve reader
    (``None``): for a message telling a user why ``--x COLUMN`` does not apply."""
    # the load stage (pyarrow) only when a file is looked at
    from ..load.registry import claimed_by_format
    from ..load.sizes_registry import is_sizes_header
    from ..schema import detect_table

    table = detect_table(names)
    if table is not None:
        return f"{'an' if table == 'items' else 'a'} {table} table"
    if is_sizes_header(names):
        return SIZES_FILE
    module = claimed_by_format(path)
    return f"a {module.NAME} file" if module is not None else None


def two_column_files(paths, rename: Mapping[str, str] | None = None) -> list[tuple[Path, str]]:
    """(path, what reads it) of each two-column ``.csv`` among ``paths`` that is not a curve."""
    found = []
    for path in map(Path, paths):
        names = _two_columns(path, rename)
        reader = loader_of(path, names) if names is not None else None
        if reader is not None:
            found.append((path, reader))
    return found


def _two_columns(path: Path, rename: Mapping[str, str] | None) -> list[str] | None:
    """The header of a ``.csv`` file of exactly two columns, after ``rename``."""
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    header = _header_fields(path)
    if header is None:
        return None
    names = [(rename or {}).get(name, name) for name in _trimmed(header)]
    return names if len(names) == 2 else None


#: Bytes of a file read to find its header (a header longer than this is not a curve's).
HEADER_BYTES = 1 << 16


def _header_fields(path: Path) -> list[str] | None:
    """The fields of the first non-blank CSV record, or ``None``.

    Bytes that are not UTF-8 are kept (as surrogates) rather than hiding the header: the
    loaders' column reader decodes a whole chunk and fails on a bad byte anywhere in it, and
    :func:`_records` then names the bad byte's line.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(HEADER_BYTES)
    except OSError:
        return None
    text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="surrogateescape")
    try:
        for fields in csv.reader(io.StringIO(text, newline="")):
            if any(field.strip() for field in fields):
                return fields
    except csv.Error:
        return None
    return None


def _columns(path: Path, names: list[str], x: str, y: str) -> tuple[int, int]:
    """Positions of the ``--x`` and ``--y`` columns among ``names``; a missing one stops."""
    if names[0] == names[1]:
        raise InputError(
            f"{path.name}: column {names[0]!r} appears twice; expected unique column names"
        )
    missing = [(option, name) for option, name in (("--x", x), ("--y", y)) if name not in names]
    if not missing and x != y:
        return names.index(x), names.index(y)
    if x == y:
        raise InputError(f"--x {x} --y {y}: expected two different columns of {path.name}")
    if len(missing) == 1:  # the other option names the other column
        option, _ = missing[0]
        taken = y if option == "--x" else x
        advice = f"{option} {shlex.quote(next(n for n in names if n != taken))}"
    else:
        advice = f"--x {shlex.quote(names[0])} --y {shlex.quote(names[1])}"
    wanted = " or ".join(f"{name!r} ({option})" for option, name in missing)
    raise InputError(
        f"{path.name}: no column {wanted}; {CURVE_FILE} ({names[0]}, {names[1]}): "
        f"use {advice}"
    )


def _records(path: Path) -> list[tuple[int, list[str]]]:
    """(first physical line, fields) of each record after the header; blank lines skipped."""
    data = path.read_bytes()
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = skip + err.start  # a place in the file's bytes, the BOM included
        line = data.count(b"\n", 0, at) + 1
        raise InputError(
            f"{locate(path.name, line)}: not valid UTF-8 (byte 0x{data[at]:02x}); "
            "expected UTF-8 text"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records, before, line = [], 0, 1
    try:
        for fields in reader:
            line, before = before + 1, reader.line_num
            if any(field.strip() for field in fields):
                records.append((line, fields))
    except csv.Error as err:
        raise InputError(f"{locate(path.name, line)}: malformed CSV ({err})") from None
    return records[1:]  # the first is the header


def _number(path: Path, line: int, column: str, text: str) -> float:
    """The value of one cell: a finite positive number, or an error naming file, line, column."""
    where = locate(path.name, line, column)
    if not text.strip():
        raise InputError(f"{where}: expected a number, got an empty cell")
    try:
        value = float(text)
    except ValueError:
        from ..load.validate import _describe  # the loaders' spelling of a bad value

        raise InputError(f"{where}: expected a number, got {_describe(text)}") from None
    if not text.strip().startswith("-") and math.isinf(value) and "inf" not in text.lower():
        raise InputError(
            f"{where}: expected a positive number, got {text.strip()!r}, too large for a "
            "float (overflow)"
        )
    if (not text.strip().startswith("-") and value == 0
            and any(c in "123456789" for c in text.lower().split("e")[0])):
        raise InputError(
            f"{where}: expected a positive number, got {text.strip()!r}, too small for a "
            "float (it underflows to 0)"
        )
    if not (math.isfinite(value) and value > 0):
        raise InputError(
            f"{where}: expected a positive number, got {value:g} (scaling-law fits need "
            f"positive {column})"
        )
    return value


def read_curve_file(
    path: Path, x: str, y: str, rename: Mapping[str, str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The points of a two-column curve file (:func:`curve_columns`), in file order.

    Parameters
    ----------
    path : pathlib.Path
        The ``.csv`` file.
    x, y : str
        The names of its scale and value columns (after ``rename``), in either order.
    rename : mapping, optional
        ``--rename OLD=NEW`` of its column names.

    Returns
    -------
    x, y : numpy.ndarray
        The values, every one finite and positive (power laws and BNSL take logs of both).

    Raises
    ------
    InputError
        A file that is not such a curve, a column not named ``x`` or ``y``, a row without
        exactly two fields, or a cell that is not a positive number; the message names the
        file, the line and the column.
    """
    names = curve_columns(path, rename)
    if names is None:
        raise InputError(f"{path.name}: expected a .csv file with exactly two columns")
    records = _records(path)  # a bad byte, even in the header, is named by its line first
    ix, iy = _columns(path, names, x, y)
    xs, ys = [], []
    for line, fields in records:
        fields = _trimmed(fields, keep=2)  # "1,2," is a trailing comma; "1," lacks a value
        if len(fields) != 2:
            raise InputError(
                f"{locate(path.name, line)}: {len(fields)} field{'s' * (len(fields) != 1)}, "
                f"the header has 2; expected one value of {names[0]} and one of {names[1]}"
            )
        xs.append(_number(path, line, x, fields[ix]))
        ys.append(_number(path, line, y, fields[iy]))
    if not xs:
        raise InputError(f"{path.name}: no rows after the header; expected one point per row")
    return np.array(xs), np.array(ys)
