"""Every real file in ../shared/data/bigbench/raw/ loads (ObsScaling and UKP study tables)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_path

from emergence.load import load


def test_every_raw_bigbench_file_loads():
    raw = shared_path("bigbench", "raw")
    files = sorted(p for p in raw.rglob("*") if p.is_file())
    assert len(files) == 6
    for path in files:
        load(path, allow_missing_params=True)  # raises on any unreadable file


def test_obsscaling_wide_table_with_model_metadata():
    path = shared_path("bigbench", "raw", "obsscaling_emergent_capability_eval_shared_columns.csv")
    wide = pd.read_csv(path)
    scores = load(path, allow_missing_params=True).scores
    assert len(scores) == int(wide.iloc[:, 1:].notna().sum().sum())
    row = scores[
        (scores["model"] == "meta-llama/Llama-2-7b-hf") & (scores["task"] == "parsinlu_qa")
    ]
    assert row["value"].iloc[0] == pytest.approx(wide.loc[0, "parsinlu_qa_2_acc"])
    assert (row["n_shots"].iloc[0], row["metric"].iloc[0]) == (2, "acc")
    assert (row["family"].iloc[0], row["params"].iloc[0]) == ("Llama-2", 7e9)
    assert set(scores["task"]) == {
        "parsinlu_qa",
        "word_unscrambling",
        "arithmetic_3ds",
        "arithmetic_3da",
        "arithmetic_2dm",
        "arithmetic_2da",
    }


def test_ukp_runs_averaged_over_seeds():
    path = shared_path("bigbench", "raw", "ukp_evaluation_scores_shared_tasks.csv")
    runs = pd.read_csv(path)
    scores = load(path, allow_missing_params=True).scores
    sel = runs[
        (runs["model"] == "gpt2")
        & (runs["filename"] == "hindu_knowledge/task.json")
        & (runs["prompt_type"] == "closed")
        & (runs["number_of_shots"] == 0)
    ]
    row = scores[
        (scores["model"] == "gpt2")
        & (scores["task"] == "hindu_knowledge")
        & (scores["subtask"] == "closed")
        & (scores["n_shots"] == 0)
        & (scores["metric"] == "exact_match_accuracy")
    ]
    assert row["value"].iloc[0] == pytest.approx(sel["exact_match_accuracy"].mean())
    assert -100 not in set(scores["value"])  # the "not computed" sentinel is dropped
    assert scores["params"].isna().all()
