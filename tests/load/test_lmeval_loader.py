"""lm-eval-harness loader: real v0.3 Pythia files, real 0.4.13 output, constructed 0.4.0-0.4.2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from emergence.load import lm_eval as lm
from emergence.load import load

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lm-eval-0.4.13"
PYTHIA = ("lm-eval-v0.3", "pythia-v1")
LAMBADA_ACC = {
    "70m": 0.1915,
    "160m": 0.3417,
    "410m": 0.5244,
    "1b": 0.5804,
    "1.4b": 0.6187,
    "2.8b": 0.6515,
    "6.9b": 0.6889,
    "12b": 0.7097,
}


def _v03_files() -> list[Path]:
    return sorted(shared_path("formats", *PYTHIA).rglob("*.json"))


def test_every_v03_file_loads_with_all_metrics():
    files = _v03_files()
    assert len(files) == 13
    for path in files:
        doc = json.loads(path.read_text())
        expected = sum(
            1 for metrics in doc["results"].values() for k in metrics if not k.endswith("_stderr")
        )
        tables = load(path, allow_missing_params=True)
        assert len(tables.scores) == expected
        assert tables.items.empty
        assert tables.scores["params"].isna().all()  # v0.3 records no size
        assert (tables.scores["n_shots"] == doc["config"]["num_fewshot"]).all()


def test_v03_pythia_family_lambada_and_model_identity():
    tables = load(shared_path("formats", *PYTHIA), allow_missing_params=True)
    s = tables.scores
    final = s[
        (s["task"] == "lambada_openai")
        & (s["metric"] == "acc")
        & s["model"].str.endswith("@step143000")
    ]
    assert len(final) == 8
    assert set(final["family"]) == {"pythia-v1.1-deduped"}
    for size, acc in LAMBADA_ACC.items():
        row = final[final["model"] == f"EleutherAI/pythia-v1.1-{size}-deduped@step143000"]
        assert row["value"].iloc[0] == pytest.approx(acc, abs=5e-5)
    # checkpoints of one size are separate models; step0 has "use_accelerate=True" first
    steps = s[s["model"].str.contains("160m") & (s["task"] == "lambada_openai")]
    assert steps["model"].nunique() == 6
    ppl = s[
        (s["model"] == "EleutherAI/pythia-v1.1-160m-deduped@step143000")
        & (s["task"] == "lambada_openai")
        & (s["metric"] == "ppl")
    ]
    assert ppl["value"].iloc[0] == pytest.approx(32.22177217320121)
    assert ppl["stderr"].iloc[0] == pytest.approx(1.2006989194620143)


def _first_line(task: str, model: str) -> dict:
    path = next((FIXTURES / model).glob(f"samples_{task}_*.jsonl"))
    return json.loads(path.read_text(encoding="utf-8").splitlines()[0])


def test_0413_output_folder_counts_and_sizes():
    tables = load(FIXTURES, allow_missing_params=True)
    items, scores = tables.items, tables.scores
    assert sorted(items["model"].unique()) == [
        "tiny-neox-h128-l4",
        "tiny-neox-h32-l1",
        "tiny-neox-h64-l2",
    ]
    assert items.groupby("model").size().tolist() == [14, 14, 14]  # 6 mc + 4 gen + 4 cloze
    for folder in FIXTURES.iterdir():
        doc = json.loads(next(folder.glob("results_*.json")).read_text())
        rows = scores[scores["model"] == folder.name]
        assert set(rows["params"]) == {doc["config"]["model_num_parameters"]}
        assert set(rows["params_kind"]) == {"total"}
        mc = rows[(rows["task"] == "toy_mc") & (rows["metric"] == "acc")]
        assert mc["value"].iloc[0] == doc["results"]["toy_mc"]["acc,none"]
        assert mc["n_items"].iloc[0] == 6
        brier = rows[(rows["task"] == "toy_mc") & (rows["metric"] == "brier_score")]
        assert math.isnan(brier["stderr"].iloc[0])  # "N/A" on disk
        assert {"exact_match", "exact_match,strict-match"} <= set(
            rows.loc[rows["task"] == "toy_gen", "metric"]
        )


def test_0413_multiple_choice_logprobs_from_strings():
    model = "tiny-neox-h32-l1"
    line = _first_line("toy_mc", model)
    items = load(FIXTURES / model, allow_missing_params=True).items
    row = items[(items["task"] == "toy_mc") & (items["item"] == "0")].iloc[0]
    expected = [float(r[0]) for r in line["filtered_resps"]]
    np.testing.assert_array_equal(row["choice_logprobs"], expected)
    assert list(row["choices"]) == line["doc"]["choices"]
    assert row["correct_choice"] == int(line["target"])
    assert row["target"] == line["doc"]["choices"][int(line["target"])]
    assert row["output"] == row["choices"][int(np.argmax(expected))]
    assert row["correct"] == bool(line["acc"])


def test_0413_generation_keeps_one_row_per_doc_across_filters():
    model = "tiny-neox-h64-l2"
    path = next((FIXTURES / model).glob("samples_toy_gen_*.jsonl"))
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8  # 4 docs x 2 filters
    items = load(path, allow_missing_params=True).items
    assert len(items) == 4 and items["item"].is_unique
    none = {x["doc_id"]: x for x in lines if x["filter"] == "none"}
    for row in items.itertuples():
        assert row.output == none[int(row.item)]["filtered_resps"][0]
        assert row.target == none[int(row.item)]["target"]


def test_0413_loglikelihood_sum_as_single_target_chunk():
    model = "tiny-neox-h128-l4"
    line = _first_line("toy_cloze", model)
    items = load(FIXTURES / model, allow_missing_params=True).items
    row = items[(items["task"] == "toy_cloze") & (items["item"] == "0")].iloc[0]
    assert list(row["target_logprobs"]) == [float(line["filtered_resps"][0][0])]
    assert row["correct"] == (line["filtered_resps"][0][1] == "True")


def _make_042_layout(tmp_path: Path, model: str = "tiny-neox-h32-l1") -> Path:
    """Rewrite real 0.4.13 output into the 0.4.0-0.4.2 layout (constructed, per formats.md)."""
    src = FIXTURES / model
    doc = json.loads(next(src.glob("results_*.json")).read_text())
    for key in ("model_name", "model_name_sanitized", "n-samples", "lm_eval_version"):
        doc.pop(key, None)
    doc["config"]["model_args"] = f"pretrained={model},dtype=float32"
    for key in ("model_num_parameters", "model_dtype", "model_revision", "model_sha"):
        doc["config"].pop(key)
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.json").write_text(json.dumps(doc, indent=2))
    for task in ("toy_mc", "toy_gen"):
        samples = []
        for line in next(src.glob(f"samples_{task}_*.jsonl")).read_text().splitlines():
            s = json.loads(line)
            raw = [
                [float(a), b == "True"] if isinstance(b, str) and b in ("True", "False") else a
                for a, b in (
                    r if isinstance(r, list) and len(r) == 2 else (r, None)
                    for r in s["filtered_resps"]
                )
            ]
            s["filtered_resps"] = (
                [r if r[1] is not None else r[0] for r in raw]
                if task == "toy_mc"
                else s["filtered_resps"]
            )
            s["arguments"] = [[v["arg_0"], v["arg_1"]] for v in s["arguments"].values()]
            s["target"] = int(s["target"]) if task == "toy_mc" else s["target"]
            for key in ("filter", "metrics", "doc_hash", "prompt_hash", "target_hash"):
                s.pop(key)
            samples.append(s)
        name = f"pretrained__{model},dtype__float32_{task}.jsonl"
        (out / name).write_text(json.dumps(samples, indent=2))
    return out


def test_042_layout_matches_0413_reading(tmp_path):
    folder = _make_042_layout(tmp_path)
    assert lm.sniff(folder)
    old = load(folder, allow_missing_params=True)
    new = load(FIXTURES / "tiny-neox-h32-l1", allow_missing_params=True)
    old_mc = old.items[old.items["task"] == "toy_mc"].reset_index(drop=True)
    new_mc = new.items[new.items["task"] == "toy_mc"].reset_index(drop=True)
    assert len(old_mc) == 6
    for a, b in zip(old_mc["choice_logprobs"], new_mc["choice_logprobs"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert old_mc["correct_choice"].tolist() == new_mc["correct_choice"].tolist()
    # doc_id repeats once per filter and there is no "filter" key: the first line is kept
    assert (old.items["task"] == "toy_gen").sum() == 4
    assert old.scores["params"].isna().all()


def test_groups_become_tasks_with_leaf_subtasks(tmp_path):
    doc = {
        "results": {
            "suite": {"alias": "suite", "acc,none": 0.5, "acc_stderr,none": 0.1},
            "leaf_a": {"alias": " - leaf_a", "acc,none": 0.25, "acc_stderr,none": "N/A"},
            "leaf_b": {"alias": " - leaf_b", "acc,none": 0.75, "bypass,none": 999},
        },
        "groups": {"suite": {"acc,none": 0.5}},
        "group_subtasks": {"suite": ["leaf_a", "leaf_b"]},
        "versions": {"suite": "1.0", "leaf_a": 1.0, "leaf_b": 1.0},
        "n-shot": {"suite": 0, "leaf_a": 0, "leaf_b": 3},
        "config": {"model": "hf", "model_args": {"pretrained": "/data/ckpt/org/pythia-410m"}},
    }
    path = tmp_path / "results_2026-01-01T00-00-00.000001.json"
    path.write_text(json.dumps(doc))
    scores = load(path, allow_missing_params=True).scores
    assert set(scores["task"]) == {"suite"}
    assert sorted(scores["subtask"].fillna("-")) == ["-", "leaf_a", "leaf_b"]
    assert scores.loc[scores["subtask"] == "leaf_b", "n_shots"].iloc[0] == 3
    assert set(scores["model"]) == {"pythia-410m"}  # local folders dropped
    assert set(scores["family"]) == {"pythia"}
    assert "bypass" not in set(scores["metric"])


def test_samples_file_alone_uses_its_results_file():
    path = next((FIXTURES / "tiny-neox-h32-l1").glob("samples_toy_mc_*.jsonl"))
    tables = load(path, allow_missing_params=True)
    assert len(tables.items) == 6 and tables.scores.empty
