"""Loader behaviour that a mutation audit found untested: each test pins one documented rule
(docs/formats.md) against an independent reference, the framework file read with json directly
or a hand-written or hand-edited copy of a real fixture."""

from __future__ import annotations

import copy
import json
import math
import shutil
import statistics
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_path
from load_helpers import LM_RUN, lm_copy, load_error, load_unsized

from emergence.load import load
from emergence.load.sizes import parse_size

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELM_RUNS = FIXTURES / "helm-0.5.16" / "runs" / "v1"
HELM_GEN = HELM_RUNS / "simple1__model=simple_model1"
HELM_JOINT = HELM_RUNS / "simple_mcqa__model=simple_model1"
HELM_SEPARATE = HELM_RUNS / "toy_mcqa_separate__model=simple_model1"
INSPECT_JSON = next((FIXTURES / "inspect-0.3.285").glob("*.json"))
BIGBENCH = FIXTURES / "bigbench-constructed" / "toy_arithmetic" / "results"


def _lines(path: Path) -> list[dict]:
    """The records of a JSONL file, parsed with json alone (split on "\\n", as JSONL is)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _samples(run: Path, task: str) -> Path:
    return next(run.glob(f"samples_{task}_*.jsonl"))


def _by_item(items: pd.DataFrame, task: str) -> pd.DataFrame:
    return items[items["task"] == task].set_index("item")


# --------------------------------------------------------------------------- native tables


def test_a_csv_with_a_byte_order_mark_before_a_key_column_is_read_from_a_folder(tmp_path):
    # Excel's "CSV UTF-8" starts with a BOM; the header's first name must still be "item"
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "items.csv").write_text(
        "\ufeffitem,target,family,model,params,task,output\n"
        "a,1,f,m-1b,1e9,t,1\nb,2,f,m-1b,1e9,t,3\n",
        encoding="utf-8",
    )
    tables = load(folder, allow_missing_params=True, warn=False)
    assert tables.items["item"].tolist() == ["a", "b"]
    assert tables.skipped == ()


def test_a_jsonl_error_names_the_physical_line_after_blank_lines(tmp_path):
    row = {"family": "f", "model": "m", "params": 1e9, "task": "t", "target": "1", "output": "1"}
    path = tmp_path / "x.jsonl"
    path.write_text(
        json.dumps({**row, "item": "a", "correct": True})
        + "\n\n   \n"
        + json.dumps({**row, "item": "b", "correct": "maybe"})
        + "\n"
    )
    msg = load_error(path, allow_missing_params=True)
    assert msg.startswith("x.jsonl:4: field 'correct': expected true or false"), msg


def test_a_folder_is_read_in_name_order_whatever_order_its_files_were_made_in(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for i in (7, 2, 11, 0, 5, 9, 1, 4, 10, 3, 8, 6):
        (folder / f"s{i:02d}.csv").write_text(
            f"family,model,params,task,metric,value\nf,m{i:02d},{i + 1}e9,t,acc,0.5\n"
        )
    tables = load(folder, warn=False)
    names = sorted(p.name for p in folder.iterdir())
    assert [Path(s).name for s in tables.sources] == names
    assert tables.scores["model"].tolist() == [f"m{i:02d}" for i in range(12)]


# --------------------------------------------------------------------------- lm-eval


def test_multiple_choice_correct_is_the_per_sample_acc_not_acc_norm():
    samples = _lines(_samples(LM_RUN, "toy_mc"))
    assert any(s["acc"] != s["acc_norm"] for s in samples)  # the two can be told apart here
    results = json.loads(next(LM_RUN.glob("results_*.json")).read_text())
    mc = _by_item(load_unsized(LM_RUN).items, "toy_mc")
    for s in samples:
        assert mc.loc[str(s["doc_id"]), "correct"] == (s["acc"] >= 0.5)
    assert mc["correct"].astype(float).mean() == pytest.approx(
        results["results"]["toy_mc"]["acc,none"]
    )


def test_v03_shots_come_from_config_num_fewshot():
    path = shared_path(
        "formats", "lm-eval-v0.3", "pythia-v1", "pythia-160m-deduped", "zero-shot",
        "160m-deduped_step143000.json",
    )  # fmt: skip
    doc = json.loads(path.read_text())
    assert "n-shot" not in doc and "configs" not in doc  # v0.3: one value for the run
    scores = load_unsized(path).scores
    assert scores["n_shots"].tolist() == [doc["config"]["num_fewshot"]] * len(scores)


def test_loglikelihood_output_is_the_continuation_only_when_greedy(tmp_path):
    run = lm_copy(tmp_path)
    path = _samples(run, "toy_cloze")
    samples = _lines(path)
    samples[1]["filtered_resps"][0][1] = "True"  # one greedy continuation, the others not
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    cloze = _by_item(load_unsized(run).items, "toy_cloze")
    greedy = [s["filtered_resps"][0][1] == "True" for s in samples]
    assert greedy.count(True) == 1 and greedy.count(False) == len(samples) - 1
    for s, is_greedy in zip(samples, greedy, strict=True):
        row = cloze.loc[str(s["doc_id"])]
        continuation = s["arguments"]["gen_args_0"]["arg_1"]
        assert row["target"] == continuation
        assert row["output"] == (continuation if is_greedy else "")
        assert row["correct"] == is_greedy


def test_acc_mutual_info_requests_are_not_read_as_more_choices(tmp_path):
    run = lm_copy(tmp_path)
    path = _samples(run, "toy_mc")
    samples = _lines(path)
    for s in samples:  # lm-eval adds one unconditional ("", choice) request per choice
        args = s["arguments"]
        n = len(args)
        for i in range(n):
            args[f"gen_args_{n + i}"] = {"arg_0": "", "arg_1": args[f"gen_args_{i}"]["arg_1"]}
        s["filtered_resps"] += [["-0.5", "False"]] * n
        s["resps"] += [[["-0.5", "False"]]] * n
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    mc = _by_item(load_unsized(run).items, "toy_mc")
    for s in _lines(_samples(LM_RUN, "toy_mc")):
        row = mc.loc[str(s["doc_id"])]
        n = len(s["arguments"])
        assert list(row["choices"]) == [s["arguments"][f"gen_args_{i}"]["arg_1"].strip()
                                        for i in range(n)]  # fmt: skip
        assert list(row["choice_logprobs"]) == [float(r[0]) for r in s["filtered_resps"]]


def test_the_none_filter_row_is_kept_even_when_it_comes_first(tmp_path):
    run = lm_copy(tmp_path)
    path = _samples(run, "toy_gen")
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line]
    filters = [json.loads(line)["filter"] for line in lines]
    assert set(filters) == {"none", "strict-match"}
    lines.sort(key=lambda line: json.loads(line)["filter"] != "none")  # "none" lines first
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    gen = _by_item(load_unsized(run).items, "toy_gen")
    for s in _lines(path):
        if s["filter"] == "none":
            assert gen.loc[str(s["doc_id"]), "output"] == s["filtered_resps"][0]


# --------------------------------------------------------------------------- HELM


def _helm_expected(stats: list[dict], split: str) -> dict[str, tuple[float, int, float]]:
    """metric -> (mean over instances, instances, standard error), trials averaged per instance,
    computed from per_instance_stats.json as docs/formats.md describes it."""
    per: dict[str, dict[str, list[float]]] = {}
    for entry in stats:
        for stat in entry["stats"]:
            name = stat["name"]
            if name.get("split") != split or name.get("perturbation") or not stat.get("count"):
                continue
            mean = stat["mean"] if stat.get("mean") is not None else stat["sum"] / stat["count"]
            per.setdefault(name["name"], {}).setdefault(entry["instance_id"], []).append(mean)
    out = {}
    for metric, by_instance in per.items():
        means = [statistics.fmean(v) for v in by_instance.values()]
        n = len(means)
        out[metric] = (statistics.fmean(means), n,
                       statistics.stdev(means) / math.sqrt(n) if n > 1 else math.nan)  # fmt: skip
    return out


def _check_helm_scores(scores: pd.DataFrame, expected: dict) -> None:
    assert set(scores["metric"]) == set(expected)
    for row in scores.itertuples():
        value, n, stderr = expected[row.metric]
        assert row.value == pytest.approx(value) and row.n_items == n, row.metric
        assert row.stderr == pytest.approx(stderr, nan_ok=True), row.metric


def test_helm_scores_count_instances_not_trials_with_a_sample_standard_error():
    stats = json.loads((HELM_GEN / "per_instance_stats.json").read_text())
    assert len({e["train_trial_index"] for e in stats}) == 3  # 3 trials of each instance
    expected = _helm_expected(stats, "test")
    assert expected["num_prompt_tokens"][1] == len({e["instance_id"] for e in stats}) == 10
    assert expected["num_prompt_tokens"][2] > 0  # a stat that varies: the stderr is checked
    _check_helm_scores(load_unsized(HELM_GEN).scores, expected)


def test_helm_scores_use_the_test_split_when_a_valid_split_is_there_too(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(HELM_GEN, run)
    stats = json.loads((run / "per_instance_stats.json").read_text())
    for entry in stats:
        valid = []
        for stat in entry["stats"]:
            twin = copy.deepcopy(stat)
            twin["name"]["split"] = "valid"
            if twin.get("count"):
                twin.update(mean=123.0, sum=123.0 * twin["count"])
            valid.append(twin)
        entry["stats"] += valid
    (run / "per_instance_stats.json").write_text(json.dumps(stats))
    _check_helm_scores(load_unsized(run).scores, _helm_expected(stats, "test"))


def test_helm_exact_match_tie_leaves_correct_empty(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(HELM_JOINT, run)
    stats = json.loads((run / "per_instance_stats.json").read_text())
    tied = stats[0]["instance_id"]
    for stat in stats[0]["stats"]:
        if stat["name"]["name"] in ("exact_match", "quasi_exact_match"):
            stat.update(mean=0.5, sum=0.5 * stat["count"])
    (run / "per_instance_stats.json").write_text(json.dumps(stats))
    items = load_unsized(run).items.set_index("item")
    assert pd.isna(items.loc[tied, "correct"])
    assert items.drop(index=tied)["correct"].notna().all()


def test_helm_calibration_requests_are_ignored(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(HELM_SEPARATE, run)
    state = json.loads((run / "scenario_state.json").read_text())
    calibration = []
    for rs in state["request_states"]:
        twin = copy.deepcopy(rs)
        twin["request_mode"] = "calibration"
        for token in twin["result"]["completions"][0]["tokens"]:
            token["logprob"] = -3.0
        calibration.append(twin)
    state["request_states"] += calibration
    (run / "scenario_state.json").write_text(json.dumps(state))
    original = load_unsized(HELM_SEPARATE).items.set_index("item")
    items = load_unsized(run).items.set_index("item")
    assert len(items) == len(original) == 10
    for item, row in items.iterrows():
        assert list(row["choice_logprobs"]) == list(original.loc[item, "choice_logprobs"])


# --------------------------------------------------------------------------- Inspect


def _inspect_log(tmp_path: Path, change) -> Path:  # noqa: ANN001
    doc = json.loads(INSPECT_JSON.read_text())
    change(doc)
    path = tmp_path / INSPECT_JSON.name
    path.write_text(json.dumps(doc))
    return path


def test_inspect_partial_credit_is_no_verdict(tmp_path):
    def partial(doc: dict) -> None:
        doc["samples"][0]["scores"]["choice"]["value"] = "P"
        doc["samples"][1]["scores"]["choice"]["value"] = "C"

    path = _inspect_log(tmp_path, partial)
    doc = json.loads(path.read_text())
    items = load_unsized(path).items.set_index("item")
    assert pd.isna(items.loc[str(doc["samples"][0]["id"]), "correct"])  # docs: C, I, N, 1, 0
    assert items.loc[str(doc["samples"][1]["id"]), "correct"]


def test_inspect_stderr_fills_only_accuracy_and_mean(tmp_path):
    def metrics(doc: dict) -> None:
        doc["results"]["scores"][0]["metrics"].update(
            mean={"name": "mean", "value": 0.25, "params": {}},
            std={"name": "std", "value": 0.5, "params": {}},
            stderr={"name": "stderr", "value": 0.125, "params": {}},
        )

    scores = load_unsized(_inspect_log(tmp_path, metrics)).scores.set_index("metric")
    assert scores.loc["accuracy", "stderr"] == scores.loc["mean", "stderr"] == 0.125
    assert scores.loc["mean", "value"] == 0.25
    assert scores.loc["std", "value"] == 0.5 and pd.isna(scores.loc["std", "stderr"])
    assert "stderr" not in scores.index


def test_inspect_correct_is_the_headline_scorer_not_the_first_in_the_sample(tmp_path):
    def two_scorers(doc: dict) -> None:
        doc["results"]["scores"].append(
            {"name": "other", "scorer": "other", "scored_samples": len(doc["samples"]),
             "metrics": {"accuracy": {"name": "accuracy", "value": 1.0, "params": {}}}}
        )  # fmt: skip
        for s in doc["samples"]:
            s["scores"]["choice"]["value"] = "I"
            s["scores"] = {"other": {"value": "C"}, **s["scores"]}

    path = _inspect_log(tmp_path, two_scorers)
    doc = json.loads(path.read_text())
    assert doc["results"]["scores"][0]["name"] == "choice"  # the headline scorer
    items = load_unsized(path).items
    assert len(items) == len(doc["samples"]) and not items["correct"].any()


def test_inspect_epochs_are_items_of_their_own(tmp_path):
    def two_epochs(doc: dict) -> None:
        doc["samples"] += [dict(copy.deepcopy(s), epoch=2) for s in doc["samples"]]

    path = _inspect_log(tmp_path, two_epochs)
    doc = json.loads(path.read_text())
    items = load_unsized(path).items
    assert sorted(items["item"]) == sorted(f"{s['id']}#epoch{s['epoch']}" for s in doc["samples"])


# --------------------------------------------------------------------------- BIG-bench


def _bigbench_json(path: Path) -> dict:
    return json.loads(path.read_text())  # json reads BIG-bench's bare -Infinity


def test_bigbench_gold_comes_from_target_values_not_position(tmp_path):
    doc = _bigbench_json(BIGBENCH / "full-log_Toy_16m.json")
    query = next(q for q in doc["queries"] if "target_values" in q["samples"][0])
    sample = query["samples"][0]
    order = [1, 2, 0, 3]  # the gold, first in the fixture, moves to index 2
    for key in ("targets", "scores", "absolute_scores", "normalized_scores"):
        sample[key] = [sample[key][i] for i in order]
    values = sample["target_values"]
    gold = max(range(len(sample["targets"])), key=lambda i: values[sample["targets"][i]])
    assert gold == 2
    path = tmp_path / "full-log_Toy_16m.json"
    path.write_text(json.dumps(doc))
    items = load_unsized(path).items
    row = items[[list(c) == sample["targets"] for c in items["choices"]]].iloc[0]
    assert row["correct_choice"] == gold and row["target"] == sample["targets"][gold]


def test_bigbench_minus_one_shots_load_as_no_shot_count(tmp_path):
    doc = _bigbench_json(BIGBENCH / "scores_Toy_16m.json")
    changed = [e for e in doc["scores"] if e["number_of_shots"] == 1]
    for entry in changed:
        entry["number_of_shots"] = -1  # what BIG-bench writes for programmatic tasks
    path = tmp_path / "scores_Toy_16m.json"
    path.write_text(json.dumps(doc))
    scores = load_unsized(path).scores
    assert scores["n_shots"].isna().sum() == sum(len(e["score_dict"]) for e in changed) > 0
    assert (scores["n_shots"].dropna() == 0).all()


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(("text", "value"), [("1.3G", 1.3e9), ("2g", 2e9), ("70 G", 7e10)])
def test_g_is_giga_like_b(text, value):
    assert parse_size(text) == pytest.approx(value)
