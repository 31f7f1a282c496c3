"""EleutherAI lm-evaluation-harness output: v0.3, 0.4.0-0.4.2 and >= 0.4.3 layouts.

* v0.3: one results JSON per run (any name), aggregate only.
* 0.4.0-0.4.2: ``results.json`` plus ``<model_args>_<task>.jsonl`` files that each hold one
  pretty-printed JSON *array* of samples with raw floats and bools.
* >= 0.4.3: ``results_<ts>.json`` plus true JSONL ``samples_<task>_<ts>.jsonl`` whose numbers
  are strings (``"-5.9"``, ``"False"``); the timestamp pairs them.

The layout is detected from the data, not from ``lm_eval_version``. A folder holding 0.4.x
output is claimed as a whole (``sniff`` on the folder); a results file given on its own pulls in
its samples files from the same folder.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, locate
from .framework_common import (
    family_from_name,
    head,
    make_tables,
    model_basename,
    parse_json_text,
    read_json,
    str_array,
    to_bool,
    to_float,
)
from .tables import Tables, concat_tables

NAME = "lm-eval"
DESCRIPTION = (
    "EleutherAI lm-evaluation-harness: v0.3 results JSON; 0.4.0-0.4.2 results.json + samples "
    "JSON arrays; >=0.4.3 results_<ts>.json + samples_<task>_<ts>.jsonl"
)

_RESULTS_HEAD = re.compile(r'^\s*\{\s*"results"\s*:\s*\{')
_TS_RE = re.compile(r"_(\d{4}-\d{2}-\d{2}T[\d\-.:]+)$")
_SKIP_KEYS = {"alias", "name", "sample_len", "sample_count", "samples"}
# filters for which one item row is kept per doc, in order of preference
_PREFERRED_FILTER = "none"


# --------------------------------------------------------------------------- sniffing


def _is_results_file(path: Path) -> bool:
    return path.suffix == ".json" and bool(_RESULTS_HEAD.match(head(path, 512)))


def _is_samples_file(path: Path) -> bool:
    if path.suffix != ".jsonl":
        return False
    start = head(path, 2048).lstrip()
    return start.startswith(("[", "{")) and '"doc_id"' in start


def sniff(path: Path) -> bool:
    """True for an lm-eval results file, samples file, or a folder holding 0.4.x output."""
    if path.is_dir():
        return any(
            (p.name == "results.json" or p.name.startswith("results_")) and _is_results_file(p)
            for p in path.glob("results*.json")
        )
    return _is_results_file(path) or _is_samples_file(path)


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Tables:
    """Read an lm-eval results file, samples file, or output folder into items and scores.

    Parameters
    ----------
    path : pathlib.Path
        A results JSON (any version), a samples file (its results file must sit beside it), or a
        folder with 0.4.x output (every results file in it, each with its samples).

    Returns
    -------
    Tables
        Unvalidated items and scores; ``params`` is the source's ``model_num_parameters``
        (kind ``total``) when present, else NaN.
    """
    path = Path(path)
    if path.is_dir():
        results = sorted(p for p in path.glob("results*.json") if _is_results_file(p))
        return concat_tables([_read_run(p) for p in results])
    if _is_samples_file(path):
        results = _results_for_samples(path)
        return _read_run(results, only_samples=[path])
    return _read_run(path)


def _timestamp(path: Path) -> str | None:
    match = _TS_RE.search(path.stem)
    return match.group(1) if match else None


def _results_for_samples(path: Path) -> Path:
    ts = _timestamp(path)
    folder = path.parent
    if ts is not None:
        cands = [p for p in folder.glob(f"*_{ts}.json") if _is_results_file(p)]
    else:
        cands = [p for p in [folder / "results.json"] if p.exists()]
    if not cands:
        raise InputError(
            f"{locate(path.name)}: expected an lm-eval results file beside this samples file "
            f"(results_<timestamp>.json or results.json), got none in its folder; load the "
            f"folder or the results file"
        )
    return cands[0]


def _samples_files(results: Path, tasks: list[str]) -> dict[str, Path]:
    """Map task -> samples file for one results file."""
    folder = results.parent
    ts = _timestamp(results)
    found: dict[str, Path] = {}
    if ts is not None:  # >= 0.4.3: same timestamp; with --output_path x.json also the parent
        for where in (folder, folder.parent):
            for p in where.glob(f"samples_*_{ts}.jsonl"):
                task = p.name[len("samples_") : -len(f"_{ts}.jsonl")]
                found.setdefault(task, p)
        return found
    # 0.4.0-0.4.2: "<model_args with / and = -> __>_<task>.jsonl"; longest task name wins
    for p in folder.glob("*.jsonl"):
        for task in sorted(tasks, key=len, reverse=True):
            if p.name.endswith(f"_{task}.jsonl"):
                found.setdefault(task, p)
                break
    return found


def _parse_model_args(args: Any) -> dict[str, str]:
    if isinstance(args, dict):
        return {str(k): str(v) for k, v in args.items()}
    if isinstance(args, str):
        out = {}
        for part in args.split(","):
            if "=" in part:
                key, value = part.split("=", 1)
                out[key.strip()] = value.strip()
        return out
    return {}


def _model_identity(doc: dict[str, Any], source: str) -> tuple[str, float, str | None]:
    """(model name, params, params kind) from a results document."""
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    args = _parse_model_args(config.get("model_args"))
    name = None
    for key in ("pretrained", "model", "engine", "path", "model_name"):
        if args.get(key):
            name = args[key]
            break
    if name is None and isinstance(doc.get("model_name"), str) and doc["model_name"]:
        name = doc["model_name"]
    if name is None and isinstance(config.get("model"), str):
        name = config["model"]
    if not name:
        raise InputError(
            f"{locate(source, 'config', 'model_args')}: expected the model's name "
            f"(pretrained=...), got {config.get('model_args')!r}"
        )
    name = model_basename(name)
    revision = args.get("revision")
    if revision and revision not in {"main", "master"}:
        name = f"{name}@{revision}"
    n_params = to_float(config.get("model_num_parameters"))
    if math.isfinite(n_params) and n_params > 0:
        return name, n_params, "total"
    return name, math.nan, None


def _task_groups(doc: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    """(group names, leaf task -> top-level group)."""
    subtasks = doc.get("group_subtasks") if isinstance(doc.get("group_subtasks"), dict) else {}
    groups = set(doc.get("groups") or {}) | {g for g, subs in subtasks.items() if subs}
    parent: dict[str, str] = {}
    for group, subs in subtasks.items():
        for sub in subs or []:
            parent[sub] = group
    top: dict[str, str] = {}
    for task in parent:
        root = task
        seen = set()
        while root in parent and root not in seen:
            seen.add(root)
            root = parent[root]
        top[task] = root
    return groups, top


def _n_shots(doc: dict[str, Any], task: str) -> int | None:
    nshot = doc.get("n-shot")
    if isinstance(nshot, dict) and task in nshot:
        value = to_float(nshot[task])
        return int(value) if math.isfinite(value) else None
    configs = doc.get("configs")
    if isinstance(configs, dict) and isinstance(configs.get(task), dict):
        value = to_float(configs[task].get("num_fewshot"))
        if math.isfinite(value):
            return int(value)
    config = doc.get("config")
    if isinstance(config, dict) and "num_fewshot" in config:  # v0.3: one value per run
        value = to_float(config.get("num_fewshot"))
        return int(value) if math.isfinite(value) else None
    return None


def _n_items(doc: dict[str, Any], task: str) -> int | None:
    nsamp = doc.get("n-samples")
    if isinstance(nsamp, dict) and isinstance(nsamp.get(task), dict):
        value = to_float(nsamp[task].get("effective"))
        return int(value) if math.isfinite(value) else None
    return None


def _task_and_subtask(task: str, groups: set[str], top: dict[str, str]) -> tuple[str, Any]:
    """Leaves of a group become subtasks of the top-level group; other tasks stand alone."""
    if task in top:
        return top[task], task
    return task, None


def _read_run(results: Path, only_samples: list[Path] | None = None) -> Tables:
    source = results.name
    doc = read_json(results, "lm-eval results JSON")
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict):
        raise InputError(
            f"{locate(source, None, 'results')}: expected an object of per-task metrics, "
            f"got {type(doc.get('results') if isinstance(doc, dict) else doc).__name__}"
        )
    model, params, kind = _model_identity(doc, source)
    family = family_from_name(model)
    groups, top = _task_groups(doc)
    base = {"family": family, "model": model, "params": params, "params_kind": kind}

    scores: list[dict[str, Any]] = []
    for task, metrics in doc["results"].items():
        if not isinstance(metrics, dict):
            raise InputError(
                f"{locate(source, f'results.{task}')}: expected an object of metrics, "
                f"got {type(metrics).__name__}"
            )
        if task in groups and task in top:
            continue  # an intermediate group: its leaves are already rows
        name, subtask = _task_and_subtask(task, groups, top)
        n_shots = _n_shots(doc, task)
        n_items = None if task in groups else _n_items(doc, task)
        for key, value in metrics.items():
            metric, _, filt = key.partition(",")
            if metric in _SKIP_KEYS or metric.endswith("_stderr") or metric == "bypass":
                continue
            number = to_float(value)
            if isinstance(value, str) and not math.isfinite(number):
                continue  # non-numeric entries such as "N/A"
            if not isinstance(value, int | float | str) or isinstance(value, bool):
                continue
            stderr_key = f"{metric}_stderr,{filt}" if filt else f"{metric}_stderr"
            label = metric if filt in ("", "none") else f"{metric},{filt}"
            scores.append(
                {
                    **base,
                    "task": name,
                    "subtask": subtask,
                    "n_shots": n_shots,
                    "metric": label,
                    "value": number,
                    "stderr": to_float(metrics.get(stderr_key)),
                    "n_items": n_items,
                    "source": f"{NAME}:{source}",
                    "_source": source,
                    "_record": f"results.{task}.{key}",
                }
            )

    leaf_tasks = [t for t in doc["results"] if t not in groups]
    files = _samples_files(results, leaf_tasks)
    if only_samples is not None:
        wanted = {p.resolve() for p in only_samples}
        files = {t: p for t, p in files.items() if p.resolve() in wanted}
        if not files:
            raise InputError(
                f"{locate(only_samples[0].name)}: expected a task named in "
                f"{source}, got a samples file that matches none"
            )
        scores = []
    items: list[dict[str, Any]] = []
    configs = doc.get("configs") if isinstance(doc.get("configs"), dict) else {}
    for task, path in sorted(files.items()):
        cfg = configs.get(task) if isinstance(configs.get(task), dict) else {}
        name, subtask = _task_and_subtask(task, groups, top)
        row_base = {**base, "task": name, "subtask": subtask, "n_shots": _n_shots(doc, task)}
        items.extend(_read_samples(path, row_base, cfg.get("output_type")))
    sources = (str(results),) + tuple(str(p) for p in sorted(files.values()))
    return make_tables(items, scores, sources)


# --------------------------------------------------------------------------- samples


def _iter_samples(path: Path):
    """Yield (record label, sample dict) from a JSONL file or a JSON-array file."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    if stripped.startswith("["):  # 0.4.0-0.4.2: one pretty-printed array
        data = parse_json_text(text, path.name, "a JSON array of lm-eval samples")
        if not isinstance(data, list):
            raise InputError(
                f"{locate(path.name)}: expected a JSON array, got {type(data).__name__}"
            )
        for i, sample in enumerate(data):
            yield f"[{i}]", sample
        return
    loads = json.loads
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            sample = loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{locate(path.name, lineno)}: expected one JSON object per line, got invalid "
                f"JSON at column {err.colno}: {err.msg}"
            ) from None
        yield lineno, sample


def _requests(sample: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(context, continuation-or-gen-kwargs) per request, from either ``arguments`` shape."""
    args = sample.get("arguments")
    if isinstance(args, dict):  # >= 0.4.3: {"gen_args_0": {"arg_0": ..., "arg_1": ...}}
        out = []
        for i in range(len(args)):
            req = args.get(f"gen_args_{i}", {})
            out.append((req.get("arg_0"), req.get("arg_1")))
        return out
    if isinstance(args, list):
        return [tuple(a[:2]) if isinstance(a, list | tuple) else (a, None) for a in args]
    return []


_GREEDY = {"True": True, "False": False, True: True, False: False}


def _pairs(filtered: Any) -> list[tuple[float, bool | None]] | None:
    """[(logprob, is_greedy)] from ``filtered_resps`` of a log-likelihood task, else None."""
    if type(filtered) is not list or not filtered:
        return None
    out = []
    for resp in filtered:
        if type(resp) is list and len(resp) == 1 and type(resp[0]) is list:
            resp = resp[0]
        if type(resp) not in (list, tuple) or len(resp) != 2:
            return None
        value, greedy = resp
        try:  # strings in >= 0.4.3 files, floats in older files and the Python API
            value = float(value)
        except (TypeError, ValueError):
            return None
        if value != value:  # NaN
            return None
        flag = _GREEDY.get(greedy) if isinstance(greedy, str | bool) else to_bool(greedy)
        out.append((value, flag))
    return out


def _generated_text(filtered: Any) -> str | None:
    while isinstance(filtered, list) and filtered:
        filtered = filtered[0]
    return filtered if isinstance(filtered, str) else None


def _sample_correct(sample: dict[str, Any], names: tuple[str, ...]) -> bool | None:
    for name in names:
        if name in sample:
            value = to_float(sample[name])
            if math.isfinite(value):
                return value >= 0.5
    return None


def _read_samples(path: Path, base: dict[str, Any], output_type: str | None):
    source = path.name
    rows = []
    seen: dict[Any, str] = {}  # doc_id -> filter of the kept row
    for record, sample in _iter_samples(path):
        if not isinstance(sample, dict):
            raise InputError(
                f"{locate(source, record)}: expected a sample object, got {type(sample).__name__}"
            )
        if "doc_id" not in sample:
            raise InputError(
                f"{locate(source, record, 'doc_id')}: expected a document id, got nothing (missing)"
            )
        doc_id = sample["doc_id"]
        filt = sample.get("filter", "none")
        if doc_id in seen:
            # one line per (doc, filter): keep the "none" filter, else the first one seen
            if seen[doc_id] == _PREFERRED_FILTER or filt != _PREFERRED_FILTER:
                continue
            rows = [r for r in rows if r["item"] != str(doc_id)]
        seen[doc_id] = filt
        rows.append(_sample_row(sample, base, output_type, source, record))
    return rows


def _sample_row(
    sample: dict[str, Any], base: dict[str, Any], output_type: str | None, source: str, record: Any
) -> dict[str, Any]:
    requests = _requests(sample)
    filtered = sample.get("filtered_resps", sample.get("resps"))
    pairs = None if output_type == "generate_until" else _pairs(filtered)
    target = sample.get("target")
    row = {
        **base,
        "item": str(sample["doc_id"]),
        "_source": source,
        "_record": record,
        "output": None,
        "choices": None,
        "choice_logprobs": None,
        "correct_choice": None,
        "target_tokens": None,
        "target_logprobs": None,
        "correct": None,
    }
    kind = output_type or (
        "multiple_choice"
        if pairs and len(pairs) > 1
        else "loglikelihood"
        if pairs
        else "generate_until"
    )
    if kind == "multiple_choice" and pairs is not None:
        n = len(pairs)
        # acc_mutual_info doubles the requests: the second half are unconditional ("", choice)
        if n % 2 == 0 and n > 2 and all(not (r[0] or "") for r in requests[n // 2 :]):
            n //= 2
        if len(requests) < n:
            raise InputError(
                f"{locate(source, record, 'arguments')}: expected {n} requests "
                f"(one per choice), got {len(requests)}"
            )
        choices = [str(r[1]).strip() for r in requests[:n]]
        logprobs = np.fromiter((p[0] for p in pairs[:n]), dtype=np.float64, count=n)
        gold = _gold_index(target, choices, source, record)
        row.update(
            choices=str_array(choices),
            choice_logprobs=logprobs,
            correct_choice=gold,
            target=choices[gold] if gold is not None else str(target),
            output=choices[int(np.argmax(logprobs))],
            correct=_sample_correct(sample, ("acc",)),
        )
    elif kind in ("loglikelihood", "loglikelihood_rolling") and pairs:
        logprob, greedy = pairs[0]
        continuation = requests[0][1] if requests and requests[0][1] is not None else target
        if kind == "loglikelihood_rolling":
            continuation = requests[0][0] if requests else target
        cont = str(continuation)
        # lm-eval keeps only the sum over the continuation: one "token" covering all of it
        row.update(
            target=cont,
            target_tokens=str_array([cont]),
            target_logprobs=np.array([logprob], dtype=np.float64),
            # only is_greedy is known: the output was the continuation, or was not
            output=cont if greedy else "",
            correct=greedy,
        )
    else:
        text = _generated_text(filtered)
        if isinstance(target, list):
            target = target[0] if target else ""
        row.update(
            target="" if target is None else str(target),
            output=text,
            correct=_sample_correct(sample, ("exact_match", "acc")),
        )
    return row


def _gold_index(target: Any, choices: list[str], source: str, record: Any) -> int | None:
    if isinstance(target, list):
        target = target[0] if target else None
    if isinstance(target, bool):
        target = None
    if isinstance(target, int):
        index = target
    elif isinstance(target, str) and target.strip().lstrip("-").isdigit():
        index = int(target.strip())
    elif isinstance(target, str) and target.strip() in choices:
        return choices.index(target.strip())
    else:
        return None
    if not 0 <= index < len(choices):
        raise InputError(
            f"{locate(source, record, 'target')}: expected a choice index in "
            f"0..{len(choices) - 1}, got {target!r}"
        )
    return index
