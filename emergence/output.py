"""Writing results: atomic files and table/CSV/JSON rendering for the CLI."""

from __future__ import annotations

import errno
import io
import json
import math
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMATS = ("table", "csv", "json")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ensure_dir(
    path: str | os.PathLike[str], for_file: str | os.PathLike[str] | None = None
) -> Path:
    """Create folder ``path`` and its parents; a regular file in the way is named as such.

    ``mkdir`` alone reports "File exists" for ``a.csv/out.csv`` when ``a.csv`` is a file, which
    reads as if the output itself were the problem.

    Parameters
    ----------
    path : path-like
        The folder.
    for_file : path-like, optional
        The file to be written in it, named in the error.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    NotADirectoryError
        When ``path`` or one of its parents is an existing non-folder; ``filename`` names it.
    """
    folder = Path(path)
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            if not candidate.is_dir():
                target = for_file if for_file is not None else folder
                raise NotADirectoryError(
                    errno.ENOTDIR,
                    f"is a file, not a directory, so {target} cannot be written",
                    str(candidate),
                )
            break
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, a destination file that cannot be written.

    The destination must not be a folder; its nearest existing ancestor must be a folder this
    process can write into (the missing folders below it are created when writing).

    Parameters
    ----------
    path : path-like
        The destination file.

    Returns
    -------
    pathlib.Path
        The destination path.

    Raises
    ------
    IsADirectoryError, NotADirectoryError, PermissionError
        ``filename`` names the destination or the ancestor in the way, never a temporary file.
    """
    dest = Path(path)
    if dest.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(dest))
    for candidate in dest.parents:
        if candidate.exists():
            if not candidate.is_dir():
                raise NotADirectoryError(
                    errno.ENOTDIR,
                    f"is a file, not a directory, so {dest} cannot be written",
                    str(candidate),
                )
            if not os.access(candidate, os.W_OK | os.X_OK):
                raise PermissionError(
                    errno.EACCES,
                    f"this folder is not writable, so {dest} cannot be written",
                    str(candidate),
                )
            break
    return dest


def _naming(err: OSError, dest: Path) -> OSError:
    """``err`` with ``dest`` as its file name (not the temporary file it may name)."""
    return type(err)(err.errno, err.strerror or str(err), str(dest))


def _mode_for(dest: Path) -> int:
    """The permissions ``dest`` should get: those of the file it replaces (a private file stays
    private), else the usual ones for a new file (mkstemp's own 0600 would hide it)."""
    try:
        return stat.S_IMODE(os.stat(dest).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _write_temp(dest: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file beside ``dest``; return its path."""
    ensure_dir(dest.parent, dest)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    except OSError as err:
        raise _naming(err, dest) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _mode_for(dest))
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise _naming(err, dest) from None
        raise
    return tmp


def atomic_write_many(files: Mapping[str | os.PathLike[str], bytes]) -> list[Path]:
    """Write several files as one set: all or (as far as the file system allows) none.

    Every destination is checked first (:func:`check_writable`), then every temporary file is
    written, and only then are they renamed into place, so a destination that cannot be
    written leaves the earlier ones untouched. Errors name the destination, not a temporary
    file.

    Parameters
    ----------
    files : mapping of path-like to bytes
        Destination -> content; parent folders are created.

    Returns
    -------
    list of pathlib.Path
        The destinations, in the order given.
    """
    dests = [check_writable(path) for path in files]
    temps: list[tuple[str, Path]] = []
    try:
        for dest, data in zip(dests, files.values(), strict=True):
            temps.append((_write_temp(dest, data), dest))
        while temps:
            tmp, dest = temps[0]
            try:
                os.replace(tmp, dest)
            except OSError as err:
                raise _naming(err, dest) from None
            temps.pop(0)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)
    return dests


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    An error part-way leaves no partial file behind, and names ``path`` (not the temporary
    file).

    Parameters
    ----------
    path : path-like
        Destination; its parent folders are created.
    data : bytes
        Content.

    Returns
    -------
    pathlib.Path
        The destination path.
    """
    return atomic_write_many({Path(path): data})[0]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` atomically; see :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars, arrays, dataclasses and NaN into plain JSON values.

    Non-finite floats become ``null`` so the output is strict JSON.
    """
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def dumps_json(value: Any) -> str:
    """Deterministic, strict JSON text (sorted keys are *not* imposed: order is the caller's)."""
    return json.dumps(to_jsonable(value), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts (NaN -> null, numpy -> Python)."""
    return [to_jsonable(rec) for rec in frame.to_dict(orient="records")]


def _lists_as_json(frame: pd.DataFrame) -> pd.DataFrame:
    """List-valued cells as JSON arrays, the native CSV convention for list fields."""
    out = frame
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        values = frame[col].to_numpy()
        if any(isinstance(v, list | tuple | np.ndarray) for v in values):
            if out is frame:
                out = frame.copy()
            out[col] = [
                json.dumps(to_jsonable(v), ensure_ascii=False)
                if isinstance(v, list | tuple | np.ndarray)
                else v
                for v in values
            ]
    return out


def render_frame(frame: pd.DataFrame, fmt: str, float_format: str = "{:.6g}") -> str:
    """Render a table for the terminal or a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    fmt : {"table", "csv", "json"}
        ``table`` is aligned plain text, ``csv`` is RFC 4180 with full float precision, ``json`` a
        list of records.
    float_format : str
        Format of floats in ``table`` output.

    Returns
    -------
    str
    """
    if fmt == "csv":
        buf = io.StringIO()
        _lists_as_json(frame).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()
    if fmt == "json":
        return dumps_json(frame_to_records(frame))
    if fmt == "table":
        if frame.empty:
            return "(no rows)\n"
        shown = frame.copy()
        for col in shown.columns:
            if pd.api.types.is_float_dtype(shown[col]):
                shown[col] = [
                    "" if pd.isna(v) else float_format.format(v) for v in shown[col].to_numpy()
                ]
            else:
                missing = shown[col].isna().to_numpy()
                if missing.any():  # a missing value prints blank, not "<NA>", "None" or "NaN"
                    shown[col] = [
                        "" if gone else v
                        for v, gone in zip(shown[col].to_numpy(dtype=object), missing, strict=True)
                    ]
        return shown.to_string(index=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The Parquet file of ``frame`` (no index), as bytes.

    Written without pandas' schema metadata: it records Arrow-backed list columns as a dtype
    (``list<item: string>[pyarrow]``) that ``pandas.read_parquet`` cannot parse back, so the
    file would open with pyarrow but not with pandas. The Arrow schema alone reads back.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


#: The suffixes :func:`write_frame` writes.
FRAME_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet")


def unsupported_frame_suffix(path: str | os.PathLike[str]) -> str | None:
    """Why :func:`write_frame` cannot write ``path`` (its suffix), or ``None``."""
    dest = Path(path)
    suffix = dest.suffix.lower()
    if suffix in FRAME_SUFFIXES:
        return None
    return f"{dest}: unsupported output suffix {suffix!r}; use .csv, .json, .jsonl or .parquet"


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table atomically, choosing the format from the suffix.

    ``.csv``, ``.json`` (list of records), ``.jsonl`` (one record per line) or ``.parquet``.
    """
    dest = Path(path)
    suffix = dest.suffix.lower()
    if suffix == ".csv":
        return atomic_write_text(dest, render_frame(frame, "csv"))
    if suffix == ".json":
        return atomic_write_text(dest, render_frame(frame, "json"))
    if suffix == ".jsonl":
        lines = [
            json.dumps(rec, allow_nan=False, ensure_ascii=False) for rec in frame_to_records(frame)
        ]
        return atomic_write_text(dest, "".join(line + "\n" for line in lines))
    if suffix == ".parquet":
        return atomic_write_bytes(dest, parquet_bytes(frame))
    raise ValueError(unsupported_frame_suffix(dest))
