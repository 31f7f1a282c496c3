"""BIG-bench loader: real task JSON, constructed results written by BIG-bench's serializer."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from emergence.load import bigbench as bb
from emergence.load import load
from emergence.metrics import rescore

RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "bigbench-constructed"


def test_real_task_json_files_load_and_read():
    paths = [
        shared_path("bigbench", "raw", "task_json", "arithmetic", "task.json"),
        shared_path("bigbench", "raw", "task_json", "arithmetic", "3_digit_addition", "task.json"),
        shared_path("bigbench", "raw", "task_json", "hindu_knowledge", "task.json"),
        shared_path(
            "formats", "bigbench", "benchmark_tasks", "arithmetic", "1_digit_addition", "task.json"
        ),
        shared_path("formats", "bigbench", "benchmark_tasks", "modified_arithmetic", "task.json"),
    ]
    for path in paths:
        assert bb.sniff(path)
        assert load(path, allow_missing_params=True).is_empty  # definitions hold no results
        doc = json.loads(path.read_text())
        frame = bb.read_task(path)
        assert len(frame) == len(doc.get("examples", []))
    hindu = bb.read_task(paths[2])
    first = json.loads(paths[2].read_text())["examples"][0]
    assert hindu["target"].iloc[0] == "Indra"
    assert list(hindu["choices"].iloc[0]) == list(first["target_scores"])
    add = bb.read_task(paths[3])
    assert (add["target"].iloc[0], add["choices"].iloc[0][add["correct_choice"].iloc[0]]) == (
        "0",
        "0",
    )
    # a subtask's definition is named as its results are: arithmetic:3_digit_addition is task
    # arithmetic, subtask 3_digit_addition (it was task 3_digit_addition, joining nothing)
    three = bb.read_task(paths[1])
    label = bb._split_task({"task": "arithmetic:3_digit_addition"}, "task", "arithmetic",
                           ("x", "q"))  # fmt: skip
    assert set(zip(three["task"], three["subtask"], strict=True)) == {label}
    assert hindu["subtask"].isna().all() and set(hindu["task"]) == {"hindu_knowledge"}


def test_constructed_results_counts_and_sizes():
    tables = load(RESULTS, allow_missing_params=True)
    scores, items = tables.scores, tables.items
    # scores only from scores_*.json (the full logs beside them repeat them): 3 models x 12;
    # one item per example although each was sent as a multiple-choice and a generation query
    assert len(scores) == 36 and len(items) == 3 * 4
    row = scores[(scores["model"] == "16m") & (scores["metric"] == "normalized_aggregate_score")]
    assert row["subtask"].isna().all() and row["n_shots"].tolist() == [0, 1]
    assert set(scores.loc[scores["model"] == "16m", "params"]) == {16_000_000}
    assert set(scores["params_kind"]) == {"flop_matched_non_embedding"}


def test_full_log_multiple_choice_with_minus_infinity():
    path = RESULTS / "toy_arithmetic" / "results" / "full-log_Toy_2m.json"
    doc = json.loads(path.read_text())  # Python's json reads the bare -Infinity
    sample = doc["queries"][0]["samples"][1]
    items = load(path, allow_missing_params=True).items
    mc = items[items["choices"].notna()].reset_index(drop=True)
    row = mc.iloc[1]
    np.testing.assert_array_equal(row["choice_logprobs"], sample["absolute_scores"])
    assert math.isinf(row["choice_logprobs"][2])
    gold = max(sample["target_values"], key=sample["target_values"].get)
    assert row["target"] == gold and row["choices"][row["correct_choice"]] == gold
    # the same example's generation gives output and verdict
    generated = doc["queries"][1]["samples"][1]
    assert row["output"] == generated["output"] and not row["correct"]
    assert len(items) == 4 and set(items["n_shots"]) == {0}


def test_full_log_alone_brings_its_scores(tmp_path):
    src = RESULTS / "toy_arithmetic" / "results" / "full-log_Toy_125m.json"
    dst = tmp_path / src.name
    dst.write_text(src.read_text())
    tables = load(dst, allow_missing_params=True)
    assert len(tables.items) == 4 and len(tables.scores) == 12


def test_other_size_kinds_kept_for_the_registry():
    path = RESULTS / "toy_arithmetic" / "results" / "scores_Toy_2m.json"
    scores = bb.read(path).scores
    doc = json.loads(path.read_text())["model"]
    assert scores["params_total"].iloc[0] == doc["total_params"]
    assert scores["params_non_embedding"].iloc[0] == doc["non_embedding_params"]


def test_rescoring_merged_items_reproduces_the_scores_file():
    # finding 3: MC and generation queries of one example were two items, exact_match 0.625
    tables = load(RESULTS, allow_missing_params=True)
    fresh = rescore(tables.items, n_boot=10)
    written = tables.scores[tables.scores["subtask"] == "addition"]
    for ours, theirs in (
        ("exact_match", "exact_str_match"),
        ("multiple_choice_grade", "multiple_choice_grade"),
    ):
        for model in ("2m", "16m", "125m"):
            row = fresh[(fresh["model"] == model) & (fresh["metric"] == ours)]
            want = written[(written["model"] == model) & (written["metric"] == theirs)]
            assert len(row) == 1 and row["n_items"].iloc[0] == 4
            assert row["value"].iloc[0] == pytest.approx(want["value"].iloc[0])


def _query(function: str, samples: list[dict], **extra) -> dict:
    return {"function": function, "shots": 0, "task": "t:s", "samples": samples, **extra}


def _log(tmp_path: Path, queries: list[dict]) -> Path:
    model = {"model_family": "F", "model_name": "1m", "total_params": 1_000_000}
    path = tmp_path / "full-log_F_1m.json"
    path.write_text(json.dumps({"scores": [], "task": {"task_name": "t"}, "model": model,
                                "queries": queries}))  # fmt: skip
    return path


def _mc(prompt: str, gold: str) -> dict:
    targets = [gold, "x"]
    return {"input": prompt, "targets": targets, "scores": [-0.1, -2.0],
            "target_values": {gold: 1.0, "x": 0.0}, "correct": 1.0}  # fmt: skip


def test_three_query_kinds_of_one_example_make_one_item(tmp_path):
    # BIG-bench's JsonTask sends the same prompt as MC, generation and scoring queries
    prompts = ["Q: 1+1?\nA: ", "Q: 2+2?\nA: "]
    path = _log(
        tmp_path,
        [
            _query("cond_log_prob", [_mc(p, g) for p, g in zip(prompts, "24", strict=True)]),
            _query(
                "generate_text",
                [
                    {
                        "input": prompts[0],
                        "output": "2",
                        "targets": {"2": {"exact_str_match": 1.0}},
                    },
                    {
                        "input": prompts[1],
                        "output": "5",
                        "targets": {"4": {"exact_str_match": 0.0}},
                    },
                ],
            ),  # fmt: skip
            _query(
                "cond_log_prob",
                [
                    {"input": p, "targets": [g], "scores": [-0.5]}
                    for p, g in zip(prompts, "24", strict=True)
                ],
            ),  # fmt: skip
        ],
    )
    items = load(path, allow_missing_params=True).items
    assert len(items) == 2 and items["item"].is_unique
    row = items.iloc[1]
    assert (row["output"], row["target"], row["correct"]) == ("5", "4", False)
    assert list(row["choices"]) == ["4", "x"] and row["correct_choice"] == 0
    assert list(row["target_logprobs"]) == [-0.5]


def test_query_kinds_that_do_not_pair_stay_apart_as_subtasks(tmp_path):
    path = _log(
        tmp_path,
        [
            _query("cond_log_prob", [_mc("Q: 1+1?", "2"), _mc("Q: 2+2?", "4")]),
            _query("generate_text", [{"input": "other", "output": "2", "targets": ["2"]}]),
        ],
    )
    items = load(path, allow_missing_params=True).items
    assert sorted(items["subtask"].value_counts().items()) == [
        ("s:generate_text", 1),
        ("s:multiple_choice", 2),
    ]


def test_several_acceptable_targets_keep_one_fixed_reference(tmp_path):
    """Every model is scored against the same target (the first, the one the scoring query's
    log-probs are for); BIG-bench's max over targets stays in ``correct``."""
    prompts = ["Q: 3+4?\nA: ", "Q: 2+2?\nA: "]
    gen = [
        {"input": prompts[0], "output": "seven",
         "targets": {"7": {"exact_str_match": 0.0}, "seven": {"exact_str_match": 1.0}}},
        {"input": prompts[1], "output": "four", "targets": ["4", "four"]},
    ]  # fmt: skip
    scoring = [
        {"input": p, "targets": [g], "scores": [-0.5]}
        for p, g in zip(prompts, ["7", "4"], strict=True)
    ]
    path = _log(tmp_path, [_query("generate_text", gen), _query("cond_log_prob", scoring)])
    items = load(path, allow_missing_params=True).items
    assert dict(zip(items["output"], items["target"], strict=True)) == {"seven": "7", "four": "4"}
    assert items.set_index("output").loc["seven", "correct"]
    assert items.set_index("output").loc["four", "correct"]  # a list: any target counts
    assert all(list(t) == [g] for t, g in zip(items["target_tokens"], items["target"], strict=True))
