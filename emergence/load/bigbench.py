"""BIG-bench results (``scores_<family>_<model>.json``, ``full-log_<family>_<model>.json``) and
task definitions (``task.json``).

* ``scores`` entries (one per subtask and shot count, plus task-level aggregates) become score
  rows, one per metric in ``score_dict``; values are kept as written (RENORMALIZED metrics are
  0-1 on disk; BIG-bench's own loader multiplies them by 100).
* ``queries`` of a full log become items: multiple-choice ``cond_log_prob`` samples give
  ``choices``/``choice_logprobs``/``correct_choice`` (gold from ``target_values``, never from
  position; where those are not one correct choice scoring 1, as in
  ``reasoning_about_colored_objects`` or ``real_or_fake_text``, they become ``choice_credit``
  and the grade is the picked choice's value, as BIG-bench grades it), ``generate_text``
  samples give ``output`` and ``target``, scoring ``cond_log_prob`` samples give
  ``target_logprobs``. Bare ``-Infinity`` is read. BIG-bench sends each example
  once per query kind, in the same order; the k-th samples of the kinds of one (task, subtask,
  shots) are one example and make one item holding all their fields (``output``, ``target`` and
  ``correct`` from the generation when there is one). Kinds whose samples do not pair up (other
  counts, unrelated prompts) stay apart as subtasks ``<subtask>:<kind>``.
* ``model`` holds three parameter counts; ``params`` is the one BIG-bench's scaling plots use,
  ``flop_matched_non_embedding_params`` (falling back to non-embedding, then total), and the
  other kinds are kept in helper columns ``params_total``, ``params_non_embedding`` and
  ``params_flop_matched_non_embedding`` for :func:`emergence.load.sizes_registry.apply_sizes`.
* A ``task.json`` holds no model output: it reads as empty tables; :func:`read_task` gives its
  examples as a frame (targets and choices) for joining.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, locate
from .framework_common import (
    head,
    json_text,
    logprob_array,
    make_tables,
    read_json,
    str_array,
    to_float,
)
from .tables import Tables

NAME = "bigbench"
DESCRIPTION = (
    "BIG-bench results: scores_<family>_<model>.json, full-log_<family>_<model>.json "
    "(queries with -Infinity) and task.json definitions"
)

# (schema kind, BIG-bench field), in the order preferred for ``params``
KINDS = (
    ("flop_matched_non_embedding", "flop_matched_non_embedding_params"),
    ("non_embedding", "non_embedding_params"),
    ("total", "total_params"),
)


def _is_results(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    start = head(path, 4096)
    return (
        '"scores"' in start[:200]
        and '"model' in start
        or (path.name.startswith(("scores_", "full-log_")) and start.lstrip().startswith("{"))
    )


def _is_task(path: Path) -> bool:
    if path.name != "task.json":
        return False
    start = head(path, 2048)
    return '"canary"' in start or '"examples"' in start or '"keywords"' in start


def sniff(path: Path) -> bool:
    """True for a BIG-bench results file (scores or full log) or a ``task.json``."""
    return not path.is_dir() and (_is_results(path) or _is_task(path))


def read(path: Path) -> Tables:
    """Read a BIG-bench results file (or a ``task.json``, which gives empty tables).

    Parameters
    ----------
    path : pathlib.Path
        ``scores_*.json``, ``full-log_*.json`` or ``task.json``.

    Returns
    -------
    Tables
        Unvalidated items (full logs only) and scores.
    """
    path = Path(path)
    if _is_task(path):
        read_task(path)  # checks the file; a definition has no model rows
        return Tables(sources=(str(path),))
    source = path.name
    doc = read_json(path, "BIG-bench results JSON")
    if not isinstance(doc, dict):
        raise InputError(f"{locate(source)}: expected a results object, got {type(doc).__name__}")
    model = doc.get("model")
    if not isinstance(model, dict):
        raise InputError(
            f"{locate(source, None, 'model')}: expected the model data object, got "
            f"{json_text(model)}"
        )
    for key in ("model_family", "model_name"):
        if not isinstance(model.get(key), str) or not model[key]:
            raise InputError(
                f"{locate(source, 'model', key)}: expected a string, got "
                f"{json_text(model.get(key))}"
            )
    task_info = doc.get("task") if isinstance(doc.get("task"), dict) else {}
    task_name = task_info.get("task_name")
    base = {"family": model["model_family"], "model": model["model_name"], **_sizes(model, source)}
    scores = doc.get("scores", [])
    if not isinstance(scores, list):
        raise InputError(
            f"{locate(source, None, 'scores')}: expected a list, got {type(scores).__name__}"
        )
    queries = doc.get("queries") or []
    if not isinstance(queries, list):
        raise InputError(
            f"{locate(source, None, 'queries')}: expected a list, got {type(queries).__name__}"
        )
    if task_name is None:
        task_name = _task_from_queries(queries) or _task_from_scores(scores) or path.parent.name
    items = _items(queries, base, task_name, source)
    score_rows = (
        [] if items and _has_scores_sibling(path) else _score_rows(scores, base, task_name, source)
    )
    return make_tables(items, score_rows, (str(path),))


def _has_scores_sibling(path: Path) -> bool:
    """A full log whose scores file sits beside it leaves the scores to that file."""
    if not path.name.startswith("full-log_"):
        return False
    return (path.parent / ("scores_" + path.name[len("full-log_") :])).exists()


def _sizes(model: dict[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {"params": math.nan, "params_kind": None}
    for kind, field in KINDS:
        value = to_float(model.get(field))
        if isinstance(model.get(field), bool):
            value = math.nan  # true is no parameter count
        if field in model and model[field] is not None and not (math.isfinite(value) and value > 0):
            raise InputError(
                f"{locate(source, 'model', field)}: expected a positive "
                f"parameter count, got {json_text(model[field])}"
            )
        value = value if math.isfinite(value) and value > 0 else math.nan
        out[f"params_{kind}"] = value
        if math.isnan(out["params"]) and not math.isnan(value):
            out["params"], out["params_kind"] = value, kind
    return out


def _split_task(
    obj: dict[str, Any], field: str, task_name: str, where: tuple[str, str]
) -> tuple[str, str | None]:
    """(task, subtask) from a ``task:subtask`` label in ``obj[field]`` (absent: the task)."""
    label = obj.get(field)
    if label is not None and not isinstance(label, str):
        raise InputError(
            f"{locate(where[0], where[1], field)}: expected a string such as "
            f"'arithmetic:3_digit_addition', got {label!r:.60}"
        )
    if not label or label == task_name:
        return task_name, None
    if ":" in label:
        task, sub = label.split(":", 1)
        return task, sub or None
    return task_name, label


def _task_from_queries(queries: list[Any]) -> str | None:
    for q in queries:
        if isinstance(q, dict) and isinstance(q.get("task"), str):
            return q["task"].split(":")[0]
    return None


def _task_from_scores(scores: list[Any]) -> str | None:
    for s in scores:
        if isinstance(s, dict) and isinstance(s.get("subtask_description"), str):
            return s["subtask_description"].split(":")[0]
    return None


def _score_rows(
    scores: list[Any], base: dict[str, Any], task_name: str, source: str
) -> list[dict[str, Any]]:
    rows = []
    for i, entry in enumerate(scores):
        record = f"scores[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("score_dict"), dict):
            raise InputError(
                f"{locate(source, record, 'score_dict')}: expected an object of "
                f"metric values, got {entry!r:.60}"
            )
        task, sub = _split_task(entry, "subtask_description", task_name, (source, record))
        shots = entry.get("number_of_shots")
        if shots is not None and not isinstance(shots, int):
            raise InputError(
                f"{locate(source, record, 'number_of_shots')}: expected an integer, got {shots!r}"
            )
        if shots is not None and shots < 0:
            shots = None  # BIG-bench writes -1 where shots make no sense (programmatic tasks)
        for metric, value in entry["score_dict"].items():
            number = to_float(value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"{locate(source, record, f'score_dict.{metric}')}: expected "
                    f"a number, got {value!r:.40}"
                )
            rows.append(
                {
                    **base,
                    "task": task,
                    "subtask": sub,
                    "n_shots": shots,
                    "metric": metric,
                    "value": number,
                    "source": f"{NAME}:{source}",
                    "_source": source,
                    "_record": f"{record}.{metric}",
                }
            )
    return rows


def _item_id(text: str, seen: dict[tuple, int], key: tuple) -> str:
    """A stable id from the prompt (the same at every model size); repeats get ``#n``."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    k = key + (digest,)
    seen[k] = seen.get(k, 0) + 1
    return digest if seen[k] == 1 else f"{digest}#{seen[k]}"


# Query kinds, in the order their fields are laid over each other when one example has several
# (the generated text, not the best-scoring choice, is the example's ``output``).
_KINDS = ("multiple_choice", "scoring", "generate_text")


def _items(
    queries: list[Any], base: dict[str, Any], task_name: str, source: str
) -> list[dict[str, Any]]:
    """One row per example and (task, subtask, shots), whatever queries it was sent as.

    BIG-bench's ``JsonTask`` sends the same examples, in the same order, once per query kind
    (multiple-choice ``cond_log_prob``, ``generate_text``, scoring ``cond_log_prob``); the k-th
    sample of each kind is one example, so their fields are merged into one item.
    """
    groups = _group_samples(queries, task_name, source)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for (task, sub, shots), by_kind in groups.items():
        head_ = {**base, "task": task, "subtask": sub, "n_shots": shots, "_source": source}
        if len(by_kind) > 1 and _aligned(by_kind):
            examples = list(zip(*(by_kind[k] for k in _KINDS if k in by_kind), strict=True))
            rows.extend(_merged_row(ex, head_, seen, (task, sub, shots)) for ex in examples)
            continue
        for kind, samples in by_kind.items():
            # kinds that cannot be paired stay apart, each as its own subtask
            part = head_ if len(by_kind) == 1 else {**head_, "subtask": _kind_subtask(sub, kind)}
            key = (task, part["subtask"], shots)
            rows.extend(_merged_row((s,), part, seen, key) for s in samples)
    return rows


def _kind_subtask(sub: str | None, kind: str) -> str:
    return kind if sub is None else f"{sub}:{kind}"


def _group_samples(
    queries: list[Any], task_name: str, source: str
) -> dict[tuple, dict[str, list[tuple[str, str, dict[str, Any]]]]]:
    """Parsed samples as (task, subtask, shots) -> kind -> [(record, input, fields)]."""
    groups: dict[tuple, dict[str, list[tuple[str, str, dict[str, Any]]]]] = {}
    for qi, query in enumerate(queries):
        qrec = f"queries[{qi}]"
        if not isinstance(query, dict) or not isinstance(query.get("samples"), list):
            raise InputError(
                f"{locate(source, qrec, 'samples')}: expected a list of samples, got {query!r:.60}"
            )
        function = query.get("function")
        if function not in ("cond_log_prob", "generate_text"):
            raise InputError(
                f"{locate(source, qrec, 'function')}: expected "
                f"'cond_log_prob' or 'generate_text', got {function!r}"
            )
        task, sub = _split_task(query, "task", task_name, (source, qrec))
        shots = query.get("shots")
        key = (task, sub, shots if isinstance(shots, int) else None)
        for si, sample in enumerate(query["samples"]):
            record = f"{qrec}.samples[{si}]"
            if not isinstance(sample, dict) or not isinstance(sample.get("input"), str):
                raise InputError(
                    f"{locate(source, record, 'input')}: expected a string, got {sample!r:.60}"
                )
            if function == "generate_text":
                kind, fields = "generate_text", _generate(sample, source, record)
            else:
                fields = _cond_log_prob(sample, source, record)
                kind = "multiple_choice" if "choices" in fields else "scoring"
            groups.setdefault(key, {}).setdefault(kind, []).append(
                (record, sample["input"], fields)
            )
    return groups


def _aligned(by_kind: dict[str, list[tuple[str, str, dict[str, Any]]]]) -> bool:
    """True when every kind holds the same examples in the same order.

    BIG-bench sends one prompt to every kind; a prompt that only adds the listed choices
    (``append_choices_to_input``) around the question also counts as the same example.
    """
    lists = list(by_kind.values())
    if len({len(samples) for samples in lists}) != 1:
        return False
    for members in zip(*lists, strict=True):
        prompts = [m[1].strip() for m in members]
        shortest = min(prompts, key=len)
        if not shortest or not all(shortest in p for p in prompts):
            return False
    return True


def _merged_row(
    members: tuple[tuple[str, str, dict[str, Any]], ...],
    head_: dict[str, Any],
    seen: dict[tuple, int],
    key: tuple,
) -> dict[str, Any]:
    """One item from the samples of one example (in :data:`_KINDS` order)."""
    record, prompt, _ = members[0]
    row: dict[str, Any] = {**head_, "_record": record}
    for _, _, fields in members:
        if row.get("choices") is not None and fields.get("output") == "":
            # a scoring query has no output: keep the best choice and its verdict
            fields = {k: v for k, v in fields.items() if k not in ("output", "correct")}
        row.update(fields)
    # the shortest prompt is the bare question, the same whichever kinds were sent
    bare = min((m[1] for m in members), key=lambda p: len(p.strip()))
    row["item"] = _item_id(bare if len(members) > 1 else prompt, seen, key)
    return row


def _cond_log_prob(sample: dict[str, Any], source: str, record: str) -> dict[str, Any]:
    targets = sample.get("targets")
    scores = sample.get("absolute_scores", sample.get("scores"))
    if not isinstance(targets, list) or not isinstance(scores, list) or len(targets) != len(scores):
        raise InputError(
            f"{locate(source, record, 'scores')}: expected one log-probability "
            f"per target, got {scores!r:.60}"
        )
    for j, target in enumerate(targets):
        if not isinstance(target, str):
            raise InputError(
                f"{locate(source, record, f'targets[{j}]')}: expected the target's text (a "
                f"string), got {target!r:.60}"
            )
    field = "absolute_scores" if "absolute_scores" in sample else "scores"
    for j, raw in enumerate(scores):
        # a number, or BIG-bench's -Infinity (log 0) written as text; not "x" or true
        if isinstance(raw, bool) or (raw is not None and math.isnan(to_float(raw))):
            raise InputError(
                f"{locate(source, record, f'{field}[{j}]')}: expected a log-probability, "
                f"got {raw!r:.60}"
            )
    logprobs = logprob_array([to_float(s) for s in scores])
    values = sample.get("target_values")
    if isinstance(values, dict):  # multiple choice: gold by value, never by position
        gold_scores = [to_float(values.get(t)) for t in targets]
        gold = int(np.nanargmax(gold_scores)) if not all(map(math.isnan, gold_scores)) else None
        if gold is not None and not gold_scores[gold] > 0:
            raise InputError(
                f"{locate(source, record, 'target_values')}: expected a positive value for the "
                f"correct target(s), got no value above {gold_scores[gold]:g}"
            )
        correct = to_float(sample.get("correct"))
        return {
            "choices": str_array(targets),
            "choice_logprobs": logprobs,
            "correct_choice": gold,
            "choice_credit": (
                None if gold is None else _credit(gold_scores, source, record, "target_values")
            ),
            "target": targets[gold] if gold is not None else "",
            "output": targets[int(np.argmax(logprobs))],
            "correct": None if math.isnan(correct) else correct >= 1.0,
        }
    # a scoring query: log-prob of each target continuation; the first is the reference
    return {
        "target": str(targets[0]) if targets else "",
        "target_tokens": str_array(targets[:1]),
        "target_logprobs": logprobs[:1],
        "output": "",
        "correct": None,
    }


def _credit(
    values: list[float], source: str, record: str | None, field: str
) -> np.ndarray | None:
    """The choices' credits when they are not one correct choice scoring 1 (several correct
    choices, partial credit), else None: BIG-bench grades a pick by its target score."""
    scores = np.array([0.0 if math.isnan(v) else v for v in values], dtype=np.float64)
    if scores.size and np.count_nonzero(scores) == 1 and scores.max() == 1.0:
        return None
    if not ((scores >= 0) & (scores <= 1)).all():
        raise InputError(
            f"{locate(source, record, field)}: expected scores in [0, 1], got "
            f"{[float(v) for v in values]!r:.60}"
        )
    return scores


def _generate(sample: dict[str, Any], source: str, record: str) -> dict[str, Any]:
    output = sample.get("output")
    if not isinstance(output, str):
        raise InputError(
            f"{locate(source, record, 'output')}: expected a string, got {output!r:.40}"
        )
    targets = sample.get("targets")
    target, correct = "", None
    # Several acceptable targets: the item keeps one fixed reference, the first (the one a
    # scoring query's log-probs are for), so every model is scored against the same string;
    # BIG-bench's max over targets stays in ``correct``.
    if isinstance(targets, dict) and targets:
        target = str(next(iter(targets)))
        hits = [
            to_float((m or {}).get("exact_str_match"))
            for m in targets.values()
            if isinstance(m, dict)
        ]
        hits = [h for h in hits if not math.isnan(h)]
        correct = max(hits) >= 1.0 if hits else None
    elif isinstance(targets, list) and targets:
        target = str(targets[0])
        # no per-target scores: BIG-bench's exact_str_match is the output equal to any target
        correct = output in [str(t) for t in targets]
    elif isinstance(targets, str):
        target = targets
    return {"target": target, "output": output, "correct": correct}


def read_task(path: Path) -> pd.DataFrame:
    """The examples of a BIG-bench ``task.json`` as a frame.

    Parameters
    ----------
    path : pathlib.Path
        A ``task.json`` (a parent task with subtasks has no examples: an empty frame).

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``subtask``, ``item`` (0-based example index), ``input``, ``target``
        (first target, or the highest-scoring choice), ``choices``, ``correct_choice`` and
        ``choice_credit`` (the target scores where not one correct choice scoring 1). A
        subtask's file (``arithmetic/3_digit_addition/task.json``, beside its parent's
        ``arithmetic/task.json``) is task ``arithmetic``, subtask ``3_digit_addition``, as the
        results name it (``subtask_description`` ``arithmetic:3_digit_addition``); otherwise
        ``subtask`` is None.
    """
    path = Path(path)
    doc = _task_definition(path)
    task, subtask = doc["name"], None
    parent = path.parent.parent / "task.json"
    if path.name == "task.json" and parent.is_file():
        task, subtask = _task_definition(parent)["name"], doc["name"]
    examples = doc.get("examples", [])
    if not isinstance(examples, list):
        raise InputError(
            f"{locate(path.name, None, 'examples')}: expected a list, got {type(examples).__name__}"
        )
    rows = []
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict) or not isinstance(ex.get("input"), str):
            raise InputError(
                f"{locate(path.name, f'examples[{i}]', 'input')}: expected a string, got {ex!r:.60}"
            )
        choices, gold, credit = None, None, None
        if isinstance(ex.get("target_scores"), dict):
            choices = list(ex["target_scores"])
            vals = [to_float(v) for v in ex["target_scores"].values()]
            if not vals or not np.nanmax(vals) > 0:
                raise InputError(
                    f"{locate(path.name, f'examples[{i}]', 'target_scores')}: expected a "
                    f"positive score for the correct choice(s), got {ex['target_scores']!r:.60}"
                )
            gold = int(np.nanargmax(vals))
            credit = _credit(vals, path.name, f"examples[{i}]", "target_scores")
        target = ex.get("target")
        if isinstance(target, list):
            target = target[0] if target else None
        if target is None and choices is not None:
            target = choices[gold]
        rows.append(
            {
                "task": task,
                "subtask": subtask,
                "item": str(i),
                "input": ex["input"],
                "target": None if target is None else str(target),
                "choices": str_array(choices),
                "correct_choice": gold,
                "choice_credit": credit,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "task", "subtask", "item", "input", "target", "choices", "correct_choice",
            "choice_credit",
        ],
    )  # fmt: skip


def _task_definition(path: Path) -> dict[str, Any]:
    doc = read_json(path, "BIG-bench task JSON")
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise InputError(
            f"{locate(path.name, None, 'name')}: expected a BIG-bench task "
            f"definition with a name, got {doc!r:.60}"
        )
    return doc
