"""Helpers shared by the evaluation-framework readers (lm-eval, BIG-bench, HELM, Inspect).

Readers build plain lists of row dicts and turn them into frames here, so every reader fills the
same columns the same way (``_source``/``_record`` for error locations, NaN ``params`` when the
source has no size).
"""

from __future__ import annotations

import codecs
import json
import math
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, locate
from .tables import Tables, empty_table

# A size token inside a model name: "160m", "1.4b", "7B", "13b", BLOOM's "1b7" (1.7e9) and
# "7b1", an underscore for the decimal point ("stablelm-2-1_6b", "OpenELM-1_1B": 1.6e9, 1.1e9)
# (not "v1.1", "gpt2", "h64"). No "k": a "4k"/"128k" in a name is a context length, and no
# language model's size is written in thousands.
_NAME_SIZE_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?:(\d+)([mMbB])(\d+)|(\d+)_(\d+)([mMbB])|(\d+(?:\.\d+)?)([mMbBtT]))"
    r"(?![A-Za-z0-9])"
)
_NAME_UNITS = {"m": 1e6, "b": 1e9, "t": 1e12}
# The step number of a training state: "step143000", "checkpoint-2000", "step1000-tokens4B".
_STEP_RE = re.compile(
    r"(?:checkpoint|ckpt|global_step|step|iteration|iter|epoch)[-_]?(\d+)", re.IGNORECASE
)
# A training-state suffix of a model name: "pythia-160m-step143000", "x_global_step500".
_STATE_SUFFIX_RE = re.compile(
    r"[-_]((?:checkpoint|ckpt|global_step|step|iteration|iter|epoch)[-_]?\d+)$", re.IGNORECASE
)
# Checkpoint folders that name the finished model, not a training state.
_FINAL_PARTS = {"final", "last", "latest", "best", "hf"}
# Whitespace as JSON defines it (str.strip() would also drop U+2028, U+0085, ...).
JSON_SPACE = " \t\r\n"


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
    return parse_json_text(read_text(path, what), path.name, what)


def decode_utf8(data: bytes) -> str:
    """``data`` decoded as UTF-8, without a leading byte order mark.

    Raises
    ------
    UnicodeDecodeError
        With ``start`` counted in ``data`` itself (the ``utf-8-sig`` codec counts from after
        the BOM, so an error message would name the wrong byte).
    """
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = str(memoryview(data)[skip:], "utf-8")
    except UnicodeDecodeError as err:
        raise UnicodeDecodeError(
            "utf-8", data, err.start + skip, err.end + skip, err.reason
        ) from None
    nul = data.find(b"\x00")  # valid UTF-8, but no text file holds one (UTF-16 holds many)
    if nul >= 0:
        raise UnicodeDecodeError("utf-8", data, nul, nul + 1, "a NUL byte in text")
    return text


# The leading bytes of binary files that a text reader may be given under a text suffix
# (a .csv.gz renamed .csv, a Parquet file saved as .csv), what each is, and the command that
# writes its text to stdout (None: no such command). gunzip -k, unxz and unzstd refuse a
# file without their suffix ("unknown suffix -- ignored"); -c/-dc/-p read any name.
_BINARY = (
    (b"\x1f\x8b", "a gzip-compressed file", "gunzip -c"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", "zstd -dc"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "xz -dc"),
    (b"BZh", "a bzip2-compressed file", "bzip2 -dc"),
    (b"PAR1", "a Parquet file", None),
    (b"PK\x03\x04", "a ZIP archive", "unzip -p"),
)


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _wide_encoding(data: bytes) -> tuple[str, str] | None:
    """(iconv's name, description) of UTF-16 or UTF-32 text (spreadsheets save "Unicode text"
    as UTF-16), with or without a byte order mark, else None. Without a mark: ASCII text in
    UTF-16 has a NUL in every other byte of its head."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name, name
    head = data[:256]
    if len(head) >= 8:
        odd, even = head[1::2], head[0::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "UTF-16LE", "UTF-16 (little-endian, no byte order mark)"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "UTF-16BE", "UTF-16 (big-endian, no byte order mark)"
    return None


def _to_text_command(tool: str, name: str | None) -> str:
    """The shell command that replaces the compressed file ``name`` by its text."""
    if name is None:  # e.g. a member of an archive: no file to run a command on
        return tool.split()[0]
    plain = "plain" + (Path(name).suffix or ".txt")
    quoted = shlex.quote(name)
    return f"{tool} {quoted} > {plain} && mv {plain} {quoted}"


def binary_problem(data: bytes, name: str | None = None) -> str | None:
    """What a file that is not UTF-8 text is, when its leading bytes mark a known binary format
    (compressed, Parquet, ZIP), and what to do; None otherwise.

    Parameters
    ----------
    data : bytes
        The file's contents (its first bytes suffice).
    name : str, optional
        The file's name, for the command that decompresses it (without it, only the tool is
        named).

    Returns
    -------
    str or None
        ``"a gzip-compressed file, not text; expected UTF-8 text: decompress it (gunzip -c
        s.csv > plain.csv && mv plain.csv s.csv)"``.
    """
    wide = _wide_encoding(data)
    if wide is not None:
        convert = _to_text_command(f"iconv -f {wide[0]} -t UTF-8", name)
        return f"{wide[1]} text, not UTF-8; expected UTF-8 text: convert it ({convert})"
    for magic, kind, tool in _BINARY:
        if not data.startswith(magic):
            continue
        if tool is None:
            advice = "give it the suffix .parquet"
        elif tool.startswith("unzip"):
            advice = (
                "an Inspect log takes the suffix .eval; extract others "
                f"({_to_text_command(tool, name)}, for an archive of one file)"
            )
        else:
            advice = f"decompress it ({_to_text_command(tool, name)})"
        return f"{kind}, not text; expected UTF-8 text: {advice}"
    return None


def decode_text(data: bytes, source: str, what: str = "text", name: str | None = None) -> str:
    """UTF-8 text of a file's bytes (a BOM dropped), or an :class:`InputError` naming the line.

    Parameters
    ----------
    data : bytes
        The file's contents.
    source : str
        File name (or ``archive:member``) for the message.
    what : str
        What the file should be, for the message (``"lm-eval samples"``).
    name : str, optional
        The file's name when ``data`` is a whole file (for the command that decompresses it).

    Returns
    -------
    str
    """
    try:
        return decode_utf8(data)
    except UnicodeDecodeError as err:
        binary = binary_problem(data, name)
        if binary is not None:
            raise InputError(f"{source}: {binary}") from None
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{locate(source, line)}: {bad_byte(data[err.start])}; expected UTF-8 {what}"
        ) from None


def bad_byte(byte: int) -> str:
    """What a byte that stops UTF-8 decoding is, for a message."""
    if byte == 0:
        return "a NUL byte (0x00), which no text file holds"
    return f"not valid UTF-8 (byte 0x{byte:02x})"


def read_text(path: Path, what: str = "text") -> str:
    """The text of a UTF-8 file (see :func:`decode_text`)."""
    return decode_text(path.read_bytes(), path.name, what, path.name)


def jsonl_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of the non-blank lines of JSONL text, split on ``"\\n"`` only.

    ``str.splitlines`` also breaks at U+2028, U+2029, U+0085 and other separators that JSON
    allows unescaped inside strings (lm-eval writes them so), cutting valid records in two.
    Blank means JSON whitespace only (a ``"\\r"`` left by ``"\\r\\n"`` is), so a line holding
    just another separator is reported as invalid JSON, not skipped.
    """
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.strip(JSON_SPACE):
            yield lineno, line


_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
_LOW_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def reject_lone_surrogates(text: str, source: str) -> None:
    """Refuse JSON text that escapes a lone surrogate (``"\\ud800"`` without its pair).

    ``json`` parses it into a string that no encoder can write, so it would stop a later stage
    with a traceback. A pair (``"\\ud83d\\ude00"``, what ``ensure_ascii`` writes for an emoji)
    is one character and passes.

    Raises
    ------
    InputError
        Naming ``source``, the line and the escape.
    """
    if "\\u" not in text or not _SURROGATE_ESCAPE.search(text):
        return
    paired_low = -1  # where the low half of the last pair starts
    for m in _SURROGATE_ESCAPE.finditer(text):
        if len(m.group(1)) % 2 == 0:  # an escaped backslash followed by the letter u
            continue
        escape = m.start(2) - 2
        if int(m.group(2), 16) < 0xDC00 and _LOW_ESCAPE.match(text, m.end()):
            paired_low = m.end()
            continue
        if escape == paired_low:
            continue
        line = text.count("\n", 0, escape) + 1
        raise InputError(
            f"{locate(source, line)}: \\u{m.group(2).lower()} is an escaped lone surrogate, not "
            "a character; expected valid Unicode text"
        )


def parse_json_text(text: str, source: str, what: str = "JSON") -> Any:
    """Parse JSON text, turning a syntax error into a one-line :class:`InputError`.

    A lone surrogate escape is refused too (:func:`reject_lone_surrogates`).
    """
    reject_lone_surrogates(text, source)
    if not text.strip():  # not "invalid JSON at column 1 (file truncated?)"
        raise InputError(f"{locate(source)}: empty file; expected {what}")
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
    """The first ``n`` characters of a text file ('' when unreadable), for cheap sniffing.

    A leading UTF-8 byte order mark is dropped, as the readers accept one.
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            return fh.read(n)
    except OSError:
        return ""


def json_text(value: Any, limit: int = 60) -> str:
    """A parsed JSON value as JSON writes it (``null``, ``true``, ``"text"``), for messages
    about a JSON file; cut to ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    hub = hf_cache_model(path_parts(name))
    if hub is not None:  # a Hugging Face cache folder: the hub id it caches (a cached copy of
        return "/".join(x for x in hub if x)  # the hub model: its commit is no checkpoint)
    return distinct_path_name(name, 1)


def distinct_path_name(path: str, n_parts: int) -> str:
    """The last ``n_parts`` parts of a local path, more while the last is a checkpoint folder,
    and one more when the model's part is only a size (``/ckpt/llama/7B`` -> ``llama/7B``:
    the folder above names the model, so that ``/ckpt/opt/7B`` stays apart from it).

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
    if keep < len(parts) and not _strip_size(parts[-keep]):
        keep += 1
    return "/".join(parts[-keep:]) if parts else path.strip()


def _n_checkpoint_parts(parts: list[str]) -> int:
    """How many trailing path parts name training states (never all of them)."""
    n = 0
    while n < len(parts) - 1 and _CHECKPOINT_RE.match(parts[-1 - n]):
        n += 1
    return n


def model_part(name: str) -> tuple[str, str | None]:
    """(the path part naming the model, the part before it) of a model name, without its
    training state.

    A trailing checkpoint folder, a ``-stepN`` suffix and an ``@revision`` are dropped
    (``pythia-70m/checkpoint-143000`` and ``org/pythia-70m@step1000`` -> ``pythia-70m``).
    """
    base, parent, _ = _model_and_state(name)
    return base, parent


def _model_and_state(name: str) -> tuple[str, str | None, str | None]:
    """(model part, the part before it, training state) of a model name.

    The training state is what tells checkpoints of one model apart: trailing checkpoint folders
    (``pythia-70m/checkpoint-143000``), a ``-stepN``/``_stepN`` suffix (``pythia-70m-step1000``,
    which is dropped from the model part) and an ``@revision`` (``pythia-70m@step1000``), joined
    by ``/``; None for a finished model.
    """
    path, _, revision = name.partition("@")
    parts = path_parts(path) or [path.strip() or name]
    hub = hf_cache_model(parts)
    if hub is not None:
        # .../models--org--name/snapshots/<commit>: a cached copy of the hub model, not a
        # training state (model_basename drops the commit too)
        org, model = hub
        return model, org, revision.strip() or None
    n_state = _n_checkpoint_parts(parts)
    states = [p for p in parts[len(parts) - n_state :] if p.lower() not in _FINAL_PARTS]
    parts = parts[: len(parts) - n_state]
    base = parts[-1]
    suffix = _STATE_SUFFIX_RE.search(base)
    if suffix and suffix.start() > 0:
        base = base[: suffix.start()]
        states.append(suffix.group(1))
    revision = revision.strip()
    if revision and revision not in states:
        states.append(revision)
    return base, (parts[-2] if len(parts) > 1 else None), "/".join(states) or None


def hf_cache_model(parts: list[str]) -> tuple[str | None, str] | None:
    """(organisation, model) of a Hugging Face cache path, or None.

    ``.../hub/models--EleutherAI--pythia-160m/snapshots/<commit>`` and a bare
    ``models--EleutherAI--pythia-160m`` folder name the hub model ``EleutherAI/pythia-160m``.
    """
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        folder = parts[-3]
    elif parts and parts[-1].startswith("models--"):
        folder = parts[-1]
    else:
        return None
    names = folder[len("models--") :].split("--")
    if not names[-1]:
        return None
    return (names[-2] if len(names) > 1 else None), names[-1]


def _strip_size(base: str) -> str:
    stripped = _NAME_SIZE_RE.sub("", base)
    return re.sub(r"([-_.])[-_.]+", r"\1", stripped).strip("-_. ")


# Tags of an adapter on a base model in a model name's state (``pythia-70m@peft:lora-a``; the
# lm-eval loader writes them). An adapter is another model, never a checkpoint of its base.
ADAPTER_TAGS = ("peft", "delta", "lora")
_ADAPTER_RE = re.compile(rf"(?:^|/)(?:{'|'.join(ADAPTER_TAGS)}):")


def is_adapter_state(state: str | None) -> bool:
    """True when a model name's training state names an adapter (``peft:lora-a``)."""
    return bool(state) and _ADAPTER_RE.search(state) is not None


def _family_state(state: str) -> str:
    """A state as the family carries it: an adapter's name without its size token, so that
    one recipe's adapters on every size form one family (``peft:pythia-70m-lora`` ->
    ``peft:pythia-lora``)."""
    found = _ADAPTER_RE.search(state)
    if found is None:
        return state
    adapter = state[found.end() :]
    return state[: found.end()] + (_strip_size(adapter) or adapter)


def family_from_name(name: str) -> str:
    """The model family implied by a model name: the name without organisation and size token.

    ``EleutherAI/pythia-160m-deduped`` -> ``pythia-deduped``; ``meta-llama/Llama-2-7b-hf`` ->
    ``Llama-2-hf``; ``bigscience/bloom-1b7`` -> ``bloom``; ``models--llama/7B`` (a folder per
    size) -> ``llama``. A training state stays part of the family, so each checkpoint step is
    its own scaling family and the same step of every size forms one:
    ``EleutherAI/pythia-160m-deduped@step143000`` and ``pythia-160m-deduped-step143000`` ->
    ``pythia-deduped@step143000``; ``pythia-70m/checkpoint-1000`` -> ``pythia@checkpoint-1000``
    (a ``final``/``hf`` folder is ignored; :func:`pool_single_states` drops the state again
    when no size has two). An adapter stays too, without its size token:
    ``pythia-70m@peft:pythia-70m-lora`` -> ``pythia@peft:pythia-lora``. A name without a
    size token is its own family
    (override with a sizes mapping that has a ``family`` column, or with ``rename``).
    """
    base, parent, state = _model_and_state(name)
    stripped = _strip_size(base)
    if not stripped and parent:
        # the last part is only a size ("7B"): the folder above names the model; "models--"
        # is the Hugging Face cache prefix ("models--org--name")
        stripped = _strip_size(re.sub(r"^models--", "", parent).split("--")[-1])
    family = stripped or base
    return f"{family}@{_family_state(state)}" if state else family


def size_from_name(name: str) -> float | None:
    """The nominal size written in a model name (``pythia-410m`` -> 4.1e8), or None.

    Size tokens: a number with ``m``, ``b`` or ``t`` (``160m``, ``1.4b``, ``7B``) or BLOOM's
    ``1b7`` (1.7e9). Only names with exactly one size token count, so ``Mixtral-8x7B`` style
    names are refused; ``k`` is never a size (``Phi-3-mini-4k-instruct``, ``gpt-4-32k``: a
    context length), so such names have no size.
    """
    base, _, _ = _model_and_state(name)
    found = list(_NAME_SIZE_RE.finditer(base))
    if len(found) != 1:
        return None
    whole, unit, frac, u_whole, u_frac, u_unit, number, suffix = found[0].groups()
    if whole is not None:  # "1b7" -> 1.7e9
        return float(f"{whole}.{frac}") * _NAME_UNITS[unit.lower()]
    if u_whole is not None:  # "1_6b" -> 1.6e9
        return float(f"{u_whole}.{u_frac}") * _NAME_UNITS[u_unit.lower()]
    return float(number) * _NAME_UNITS[suffix.lower()]


# a number with k, which a name never gives as a size ("4k", "32k": context lengths)
_K_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9.])\d+(?:\.\d+)?[kK](?![A-Za-z0-9])")
# how size_from_name reads a size, for messages
NAME_SIZE_SPELLING = (
    "exactly one number followed by m, b or t, as in pythia-410m, Llama-2-7b or bloom-1b7"
)


def name_size_problem(name: str) -> tuple[str, list[str]] | None:
    """Why :func:`size_from_name` reads no size from ``name`` (``None`` when it reads one).

    ``("k", tokens)``: numbers with ``k``, never a size; ``("several", tokens)``: more than
    one size token; ``("none", [])``: no size token.
    """
    base, _, _ = _model_and_state(name)
    found = [m.group(0) for m in _NAME_SIZE_RE.finditer(base)]
    if len(found) == 1:
        return None
    if found:
        return "several", found
    k = [m.group(0) for m in _K_TOKEN_RE.finditer(base)]
    return ("k", k) if k else ("none", [])


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


def pool_single_states(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Give each model's final checkpoint the family without its training state.

    :func:`family_from_name` keeps a checkpoint step or revision in the family so that the
    checkpoints of one model are never pooled as if they were different sizes. The last state
    of each model, though, is the finished model: it joins the family without a state, so the
    final models of a suite form one family whatever step each size stopped at (trainer output:
    ``pythia-70m/checkpoint-2000``, ``pythia-160m/checkpoint-4000``), and the earlier
    checkpoints keep ``family@state``. "Last" is the largest step number in the state; when a
    model's states carry no comparable number (two revision names), none of them is taken as
    final. An adapter (``pythia-70m@peft:lora-a``) is another model, not a state: it keeps
    its family. Only rows whose family is the one :func:`family_from_name` derives from the
    model name change: a family given in a table or a sizes file is left alone.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        The items, scores and losses tables (``family``, ``model``, ``params`` columns).

    Returns
    -------
    dict of str to pandas.DataFrame
        The same tables, with the family replaced where a final model's state is dropped.
    """
    groups: dict[tuple, dict[tuple[str, str], str | None]] = {}  # model -> {(family, name)}
    for frame in frames.values():
        if frame.empty or not {"family", "model"} <= set(frame.columns):
            continue
        sizes = frame["params"] if "params" in frame.columns else pd.Series(np.nan, frame.index)
        pairs = frame[["family", "model"]].astype(str).assign(params=sizes.to_numpy(float))
        for fam, model, params in pairs.drop_duplicates().itertuples(index=False):
            if fam != family_from_name(model):
                continue  # a family given rather than derived from the name
            base, _, state = fam.partition("@")
            if is_adapter_state(state):
                continue  # another model on the base, never the base's final checkpoint
            name, parent = model_part(model)
            # one model: its base family and size, or without a size its name minus the state
            who = params if np.isfinite(params) else (parent, name)
            groups.setdefault((base, who), {})[(fam, model)] = state or None
    # rows (family, model name) of each model's final state -> the family without the state
    final_rows: dict[tuple[str, str], str] = {}
    for (base, _), by_row in groups.items():
        last = _last_state(list(by_row.values()))
        final_rows.update(
            {row: base for row, state in by_row.items() if state is not None and state == last}
        )
    if not final_rows:
        return frames
    out = {}
    for name, frame in frames.items():
        if not frame.empty and {"family", "model"} <= set(frame.columns):
            keys = pd.MultiIndex.from_arrays(
                [frame["family"].astype(str), frame["model"].astype(str)]
            )
            hit = keys.isin(list(final_rows))
            if hit.any():
                frame = frame.copy()
                new = [final_rows[k] for k in keys[hit]]
                frame.loc[hit, "family"] = new
        out[name] = frame
    return out


def _last_state(states: list[str | None]) -> str | None:
    """The final state of one model: the only one, else the one with the largest step number.
    None when the model is also there without a state (that is the finished model; every state
    is an earlier checkpoint) or when the steps cannot be compared."""
    if None in states:
        return None
    if len(states) == 1:
        return states[0]
    steps = []
    for state in states:
        found = _STEP_RE.search(str(state).split("/")[-1])
        if not found:
            return None  # a revision name or commit: no order to read
        steps.append(int(found.group(1)))
    if len(set(steps)) != len(steps):
        return None
    return states[int(np.argmax(steps))]
