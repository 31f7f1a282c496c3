"""UK AISI Inspect AI logs: ``.eval`` (ZIP, members deflated or zstd-compressed) and ``.json``.

Each sample becomes an item: ``output`` is the completion, ``output_tokens`` the generated tokens
when logprobs were recorded, ``correct`` the headline scorer's verdict (``C`` -> True, ``I``/``N``
-> False, numeric 1/0). ``results.scores[].metrics`` become score rows; a scorer's ``stderr``
metric fills the ``stderr`` column of its ``accuracy``/``mean`` rows. Inspect records no size.
"""

from __future__ import annotations

import math
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from ..errors import InputError, locate
from .framework_common import (
    family_from_name,
    head,
    make_tables,
    parse_json_text,
    read_json,
    str_array,
    to_float,
)
from .tables import Tables

NAME = "inspect"
DESCRIPTION = "UK AISI Inspect AI logs: .eval (zip; deflate or zstd) and .json (log version 2)"

_JSON_LOG_HEAD = re.compile(r'^\s*\{\s*"version"\s*:\s*\d')
_ZSTD = 93  # ZIP compression method id of Zstandard
_STDERR_OF = ("accuracy", "mean")


def sniff(path: Path) -> bool:
    """True for a ``.eval`` zip holding ``header.json`` or a ``.json`` Inspect log."""
    if path.is_dir():
        return False
    if path.suffix == ".eval":
        try:
            with zipfile.ZipFile(path) as zf:
                return "header.json" in zf.namelist() or "_journal/start.json" in zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return True  # claim it so a damaged log gets a clear error, not "unrecognised"
    if path.suffix != ".json":
        return False
    # Inspect writes "version" first; lm-eval task configs also hold "version" keys, deeper down
    start = head(path, 4096)
    return bool(_JSON_LOG_HEAD.match(start)) and '"eval"' in start


# --------------------------------------------------------------------------- containers


def _read_member(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.compress_type != _ZSTD:
        return zf.read(info)
    import zstandard  # declared runtime dependency; stdlib zipfile < 3.14 lacks method 93

    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise InputError(
                f"{locate(path.name, info.filename)}: expected a ZIP local header, got damaged data"
            )
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        raw = fh.read(info.compress_size)
    try:
        return zstandard.ZstdDecompressor().decompress(raw, max_output_size=max(info.file_size, 1))
    except zstandard.ZstdError as err:
        raise InputError(
            f"{locate(path.name, info.filename)}: expected zstd-compressed JSON, got {err}"
        ) from None


def _member_json(path: Path, zf: zipfile.ZipFile, name: str) -> Any:
    try:
        info = zf.getinfo(name)
        data = _read_member(path, zf, info)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
        raise InputError(
            f"{locate(path.name, name)}: expected a readable ZIP member, got {err}"
        ) from None
    return parse_json_text(
        data.decode("utf-8", errors="replace"), f"{path.name}:{name}", "Inspect JSON"
    )


def _load_eval_zip(path: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(
            f"{locate(path.name)}: expected an Inspect .eval zip archive, got "
            f"{err} (file truncated?)"
        ) from None
    with zf:
        header = _member_json(path, zf, "header.json")
        if header is None:  # a log still being written has only the journal
            header = _member_json(path, zf, "_journal/start.json")
        if not isinstance(header, dict):
            raise InputError(
                f"{locate(path.name, 'header.json')}: expected the log header, got nothing"
            )
        names = sorted(n for n in zf.namelist() if n.startswith("samples/") and n.endswith(".json"))
        samples = [(name, _member_json(path, zf, name)) for name in names]
    return header, samples


def _load_json_log(path: Path) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    doc = read_json(path, "Inspect JSON log")
    if not isinstance(doc, dict):
        raise InputError(
            f"{locate(path.name)}: expected an Inspect log object, got {type(doc).__name__}"
        )
    samples = doc.get("samples") or []
    if not isinstance(samples, list):
        raise InputError(
            f"{locate(path.name, None, 'samples')}: expected a list, got {type(samples).__name__}"
        )
    return doc, [(f"samples[{i}]", s) for i, s in enumerate(samples)]


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Tables:
    """Read an Inspect ``.eval`` or ``.json`` log into items and scores.

    Parameters
    ----------
    path : pathlib.Path
        The log file.

    Returns
    -------
    Tables
        Unvalidated items (one per sample and epoch) and scores; ``params`` is NaN.
    """
    path = Path(path)
    header, samples = _load_eval_zip(path) if path.suffix == ".eval" else _load_json_log(path)
    source = path.name
    ev = header.get("eval")
    if not isinstance(ev, dict):
        raise InputError(
            f"{locate(source, None, 'eval')}: expected the eval spec object, got "
            f"{type(ev).__name__}"
        )
    for key in ("task", "model"):
        if not isinstance(ev.get(key), str) or not ev[key]:
            raise InputError(
                f"{locate(source, 'eval', key)}: expected a string, got {ev.get(key)!r}"
            )
    model = ev["model"]
    base = {
        "family": family_from_name(model),
        "model": model,
        "params": math.nan,
        "params_kind": None,
        "task": ev["task"],
        "n_shots": None,
    }
    results = header.get("results") if isinstance(header.get("results"), dict) else {}
    headline = _headline_scorer(results)
    epochs = {s.get("epoch", 1) for _, s in samples if isinstance(s, dict)}
    items = [
        _sample_row(s, record, base, headline, source, multi_epoch=len(epochs) > 1)
        for record, s in samples
    ]
    scores = _score_rows(results, base, source)
    return make_tables(items, scores, (str(path),))


def _headline_scorer(results: dict[str, Any]) -> str | None:
    head_ = results.get("headline")
    if isinstance(head_, dict) and isinstance(head_.get("scorer"), str):
        return head_["scorer"]
    scores = results.get("scores")
    if isinstance(scores, list) and scores and isinstance(scores[0], dict):
        return scores[0].get("name") or scores[0].get("scorer")
    return None


def _score_rows(results: dict[str, Any], base: dict[str, Any], source: str) -> list[dict]:
    rows: list[dict[str, Any]] = []
    scores = results.get("scores") or []
    if not isinstance(scores, list):
        raise InputError(
            f"{locate(source, 'results', 'scores')}: expected a list, got {type(scores).__name__}"
        )
    several = len(scores) > 1
    for i, scorer in enumerate(scores):
        if not isinstance(scorer, dict) or not isinstance(scorer.get("metrics"), dict):
            raise InputError(
                f"{locate(source, f'results.scores[{i}]', 'metrics')}: expected "
                f"an object of metrics, got {scorer!r:.60}"
            )
        name = scorer.get("name") or scorer.get("scorer") or f"scorer{i}"
        metrics = scorer["metrics"]
        stderr = to_float((metrics.get("stderr") or {}).get("value"))
        n = scorer.get("scored_samples", results.get("completed_samples"))
        for metric_name, metric in metrics.items():
            if metric_name == "stderr" or not isinstance(metric, dict):
                continue
            value = to_float(metric.get("value"))
            if math.isnan(value):
                continue
            rows.append(
                {
                    **base,
                    "subtask": None,
                    "metric": f"{name}/{metric_name}" if several else metric_name,
                    "value": value,
                    "stderr": stderr if metric_name in _STDERR_OF else math.nan,
                    "n_items": int(n) if isinstance(n, int) else None,
                    "source": f"{NAME}:{source}",
                    "_source": source,
                    "_record": f"results.scores[{i}].metrics.{metric_name}",
                }
            )
    return rows


def _text(value: Any) -> str:
    """Message content as text: a string, or the text parts of a content list."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p.get("text", "") for p in value if isinstance(p, dict))
    return ""


def _verdict(value: Any) -> bool | None:
    if isinstance(value, str):
        return {"C": True, "I": False, "N": False}.get(value.strip().upper())
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def _sample_row(
    sample: Any,
    record: str,
    base: dict[str, Any],
    headline: str | None,
    source: str,
    multi_epoch: bool,
) -> dict[str, Any]:
    if not isinstance(sample, dict):
        raise InputError(
            f"{locate(source, record)}: expected a sample object, got {type(sample).__name__}"
        )
    if "id" not in sample:
        raise InputError(f"{locate(source, record, 'id')}: expected a sample id, got nothing")
    item = str(sample["id"])
    if multi_epoch:
        item = f"{item}#epoch{sample.get('epoch', 1)}"
    target = sample.get("target", "")
    if isinstance(target, list):
        target = target[0] if target else ""
    output = sample.get("output") if isinstance(sample.get("output"), dict) else {}
    completion = output.get("completion")
    first = (output.get("choices") or [None])[0]
    first = first if isinstance(first, dict) else {}
    if not isinstance(completion, str):
        completion = _text((first.get("message") or {}).get("content"))
    tokens = None
    logprobs = first.get("logprobs")
    if isinstance(logprobs, dict) and isinstance(logprobs.get("content"), list):
        tokens = [str(t.get("token", "")) for t in logprobs["content"] if isinstance(t, dict)]
    choices = sample.get("choices")
    row = {
        **base,
        "item": item,
        "target": str(target),
        "output": completion,
        "output_tokens": str_array(tokens),
        "choices": None,
        "correct_choice": None,
        "correct": None,
        "_source": source,
        "_record": record,
    }
    scores = sample.get("scores") if isinstance(sample.get("scores"), dict) else {}
    score = scores.get(headline) if headline in scores else next(iter(scores.values()), None)
    if isinstance(score, dict):
        row["correct"] = _verdict(score.get("value"))
    if isinstance(choices, list) and choices:
        # multiple choice is generation + letter parsing: map letters back to choice texts
        row["choices"] = str_array(choices)
        gold = _letter_index(target, len(choices))
        if gold is not None:
            row.update(correct_choice=gold, target=str(choices[gold]))
        picked = _letter_index(
            score.get("answer") if isinstance(score, dict) else None, len(choices)
        )
        if picked is not None:
            row["output"] = str(choices[picked])
    return row


def _letter_index(letter: Any, n: int) -> int | None:
    if not isinstance(letter, str):
        return None
    letter = letter.strip()
    if len(letter) == 1 and "A" <= letter <= "Z" and ord(letter) - 65 < n:
        return ord(letter) - 65
    return None


def output_logprobs(sample: dict[str, Any]) -> list[float] | None:
    """The generated tokens' log-probs of one Inspect sample (None when not recorded)."""
    output = sample.get("output") or {}
    first = (output.get("choices") or [None])[0] or {}
    content = (first.get("logprobs") or {}).get("content")
    if not isinstance(content, list):
        return None
    return [float(t["logprob"]) for t in content if isinstance(t, dict) and "logprob" in t]
