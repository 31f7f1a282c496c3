"""Helpers shared by the evaluation-framework readers (lm-eval, BIG-bench, HELM, Inspect).

Readers build plain lists of row dicts and turn them into frames here, so every reader fills the
same columns the same way (``_source``/``_record`` for error locations, NaN ``params`` when the
source has no size).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, locate
from .tables import Tables, empty_table

# A size token inside a model name: "160m", "1.4b", "7B", "13b" (not "v1.1", "gpt2", "h64").
_NAME_SIZE_RE = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)([kKmMbBtT])(?![A-Za-z0-9])")


def read_json(path: Path, what: str = "JSON") -> Any:
    """Parse a JSON file (bare ``NaN``/``Infinity`` allowed), raising :class:`InputError`.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    what : str
        What the file should be, for the message (``"lm-eval results JSON"``).

    Returns
    -------
    object
        The parsed document.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{locate(path.name)}: expected UTF-8 {what}, got {err}") from None
    return parse_json_text(text, path.name, what)


def parse_json_text(text: str, source: str, what: str = "JSON") -> Any:
    """Parse JSON text, turning a syntax error into a one-line :class:`InputError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        at_end = err.pos >= len(text.rstrip()) - 1 or err.msg.startswith("Unterminated")
        hint = " (file truncated?)" if at_end else ""
        raise InputError(
            f"{locate(source, err.lineno)}: expected {what}, got invalid JSON at column "
            f"{err.colno}: {err.msg}{hint}"
        ) from None


def head(path: Path, n: int = 4096) -> str:
    """The first ``n`` characters of a text file ('' when unreadable), for cheap sniffing."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(n)
    except OSError:
        return ""


def require(obj: Any, key: str, kind: type | tuple[type, ...], source: str, record: str) -> Any:
    """Return ``obj[key]`` checked against ``kind``, or raise an :class:`InputError` naming it."""
    if not isinstance(obj, dict):
        raise InputError(f"{locate(source, record)}: expected an object, got {_kind(obj)}")
    if key not in obj:
        raise InputError(f"{locate(source, record, key)}: expected a value, got nothing (missing)")
    value = obj[key]
    if not isinstance(value, kind):
        names = kind if isinstance(kind, tuple) else (kind,)
        expected = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in names)
        raise InputError(f"{locate(source, record, key)}: expected {expected}, got {_kind(value)}")
    return value


_TYPE_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "an integer",
    float: "a number",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}"


def to_float(value: Any) -> float:
    """A number from a JSON value that may be a string (``"-5.9"``, ``"N/A"``); NaN if none."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return math.nan


def to_bool(value: Any) -> bool | None:
    """A bool from ``True``/``"True"``/``1``/``"1"``; None when not a boolean spelling."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
        return value.strip().lower() in {"true", "1"}
    return None


# Column that framework readers fill with a model's full local path (None for hub ids); the
# registry uses it to keep two different folders that share a name apart, validation drops it.
MODEL_PATH_COLUMN = "_model_path"

# A path part that names a training state rather than a model: "checkpoint-143000", "step1000",
# "global_step500", "iter_0001000", "epoch-3", "final", a bare number.
_CHECKPOINT_RE = re.compile(
    r"^(?:(?:checkpoint|ckpt|step|global_step|iter|iteration|epoch|rev|revision)[-_]?\d+"
    r"|\d+|final|last|latest|best|hf)$",
    re.IGNORECASE,
)


def is_local_path(name: str) -> bool:
    """True when a model id is a local folder rather than a hub id (``org/name``)."""
    name = name.strip().rstrip("/")
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name


def path_parts(name: str) -> list[str]:
    """The parts of a local path (``/`` or ``\\``), without empty, ``.`` and ``~`` parts."""
    return [p for p in re.split(r"[/\\]", name.strip()) if p not in ("", ".", "~")]


def model_basename(name: str) -> str:
    """Drop a local directory from a model id, keep a hub id (``org/name``) as it is.

    ``/data/ckpt/pythia-160m`` and ``./out/m`` lose their folders; ``EleutherAI/pythia-160m``
    stays. A last part naming a training state keeps its parent, so different runs stay apart:
    ``/sweep/pythia-70m/checkpoint-143000`` -> ``pythia-70m/checkpoint-143000``.
    """
    name = name.strip().rstrip("/")
    if not is_local_path(name):
        return name
    return distinct_path_name(name, 1)


def distinct_path_name(path: str, n_parts: int) -> str:
    """The last ``n_parts`` parts of a local path, more while the last is a checkpoint folder.

    Parameters
    ----------
    path : str
        A local model path.
    n_parts : int
        How many trailing path parts to keep at least.

    Returns
    -------
    str
        The parts joined by ``/`` (the whole path when it has fewer parts).
    """
    parts = path_parts(path)
    keep = max(n_parts, _n_checkpoint_parts(parts) + 1)
    return "/".join(parts[-keep:]) if parts else path.strip()


def _n_checkpoint_parts(parts: list[str]) -> int:
    """How many trailing path parts name training states (never all of them)."""
    n = 0
    while n < len(parts) - 1 and _CHECKPOINT_RE.match(parts[-1 - n]):
        n += 1
    return n


def _model_part(name: str) -> tuple[str, str | None]:
    """(the path part naming the model, the part before it) of a model name.

    A trailing checkpoint folder is skipped (``pythia-70m/checkpoint-143000`` -> ``pythia-70m``).
    """
    parts = path_parts(name.split("@")[0]) or [name]
    parts = parts[: len(parts) - _n_checkpoint_parts(parts)]
    return parts[-1], (parts[-2] if len(parts) > 1 else None)


def _strip_size(base: str) -> str:
    stripped = _NAME_SIZE_RE.sub("", base)
    return re.sub(r"([-_.])[-_.]+", r"\1", stripped).strip("-_. ")


def family_from_name(name: str) -> str:
    """The model family implied by a model name: the name without organisation and size token.

    ``EleutherAI/pythia-160m-deduped`` -> ``pythia-deduped``; ``meta-llama/Llama-2-7b-hf`` ->
    ``Llama-2-hf``; ``models--llama/7B`` (a folder per size) -> ``llama``; a trailing
    checkpoint folder is ignored. A name without a size token is its own family (override with
    a sizes mapping that has a ``family`` column, or with ``rename``).
    """
    base, parent = _model_part(name)
    stripped = _strip_size(base)
    if not stripped and parent:
        # the last part is only a size ("7B"): the folder above names the model; "models--"
        # is the Hugging Face cache prefix ("models--org--name")
        stripped = _strip_size(re.sub(r"^models--", "", parent).split("--")[-1])
    return stripped or base


def size_from_name(name: str) -> float | None:
    """The nominal size written in a model name (``pythia-410m`` -> 4.1e8), or None.

    Only names with exactly one size token count, so ``Mixtral-8x7B`` style names are refused.
    """
    base, _ = _model_part(name)
    found = _NAME_SIZE_RE.findall(base)
    if len(found) != 1:
        return None
    number, suffix = found[0]
    return float(number) * {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[suffix.lower()]


def logprob_array(values: list[float] | None) -> np.ndarray | None:
    """A float64 1-D array from a list of log-probs (None stays None)."""
    if values is None:
        return None
    return np.asarray(values, dtype=np.float64)


def str_array(values: list[str] | None) -> np.ndarray | None:
    """An object 1-D array of strings (None stays None)."""
    if values is None:
        return None
    arr = np.empty(len(values), dtype=object)
    arr[:] = [str(v) for v in values]
    return arr


def frame(rows: list[dict[str, Any]], table: str) -> pd.DataFrame:
    """A DataFrame from row dicts; the table's empty frame when there are no rows."""
    if not rows:
        return empty_table(table)
    return pd.DataFrame.from_records(rows)


def make_tables(
    items: list[dict[str, Any]], scores: list[dict[str, Any]], sources: tuple[str, ...]
) -> Tables:
    """Bundle item and score rows into :class:`Tables`."""
    return Tables(items=frame(items, "items"), scores=frame(scores, "scores"), sources=sources)
