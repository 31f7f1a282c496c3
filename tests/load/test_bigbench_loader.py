"""BIG-bench loader: real task JSON, constructed results written by BIG-bench's serializer."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from conftest import shared_path

from emergence.load import bigbench as bb
from emergence.load import load

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


def test_constructed_results_counts_and_sizes():
    tables = load(RESULTS, allow_missing_params=True)
    scores, items = tables.scores, tables.items
    # scores only from scores_*.json (the full logs beside them repeat them): 3 models x 12
    assert len(scores) == 36 and len(items) == 3 * 8
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
    assert row["correct"] == bool(sample["correct"]) is False
    gen = items[items["choices"].isna()]
    assert len(gen) == 4 and set(gen["n_shots"]) == {0}


def test_full_log_alone_brings_its_scores(tmp_path):
    src = RESULTS / "toy_arithmetic" / "results" / "full-log_Toy_125m.json"
    dst = tmp_path / src.name
    dst.write_text(src.read_text())
    tables = load(dst, allow_missing_params=True)
    assert len(tables.items) == 8 and len(tables.scores) == 12


def test_other_size_kinds_kept_for_the_registry():
    path = RESULTS / "toy_arithmetic" / "results" / "scores_Toy_2m.json"
    scores = bb.read(path).scores
    doc = json.loads(path.read_text())["model"]
    assert scores["params_total"].iloc[0] == doc["total_params"]
    assert scores["params_non_embedding"].iloc[0] == doc["non_embedding_params"]
