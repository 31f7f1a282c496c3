"""``emergence rescore`` end to end on a small native JSONL file."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from emergence import cli


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "rescore", "emergence.commands.rescore:rescore")
    return CliRunner()


@pytest.fixture
def items_file(tmp_path):
    rows = []
    for m, params in (("s", 1e8), ("l", 1e9)):
        for i in range(6):
            right = (i % 3 == 0) or m == "l"
            rows.append({
                "family": "toy", "model": f"toy-{m}", "params": params, "task": "add",
                "item": f"q{i}", "target": "1 2", "output": "1 2" if right else "1 3",
                "target_tokens": ["1", "2"], "output_tokens": ["1", "2" if right else "3"],
                "target_logprobs": [-0.1, -0.2 if right else -2.0],
            })
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_rescore_writes_a_scores_table(runner, items_file, tmp_path):
    out = tmp_path / "scores.csv"
    res = runner.invoke(cli.cli, ["-q", "rescore", str(items_file), "-o", str(out),
                                  "--metrics", "exact_match,token_edit_distance,target_logprob",
                                  "--bootstrap", "100", "--seed", "3"])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out)
    em = frame[(frame.metric == "exact_match")].set_index("model").value
    assert em["toy-s"] == pytest.approx(2 / 6) and em["toy-l"] == 1.0
    ted = frame[(frame.metric == "token_edit_distance")].set_index("model").value
    assert ted["toy-s"] == pytest.approx(4 / 6)
    assert {"ci_low", "ci_high", "stderr", "n_items"} <= set(frame.columns)
    again = tmp_path / "again.csv"
    runner.invoke(cli.cli, ["-q", "rescore", str(items_file), "-o", str(again),
                            "--metrics", "exact_match,token_edit_distance,target_logprob",
                            "--bootstrap", "100", "--seed", "3"])
    assert again.read_bytes() == out.read_bytes()


def test_rescore_json_to_stdout(runner, items_file):
    res = runner.invoke(cli.cli, ["-q", "rescore", str(items_file), "--format", "json",
                                  "--bootstrap", "0", "--metrics", "char_edit_distance"])
    assert res.exit_code == 0, res.output
    records = json.loads(res.stdout)
    assert {r["metric"] for r in records} == {"char_edit_distance"}
    assert all(r["ci_low"] is None for r in records)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metrics", "brier"], "'choice_logprobs'"),
        (["--metrics", "nonsense"], "unknown metric 'nonsense'"),
        (["--normalise", "upper"], "unknown option 'upper'"),
        (["--normalise", ""], "--normalise: expected a comma-separated list"),
        (["--metrics", " , "], "--metrics: expected a comma-separated list"),
    ],
)
def test_rescore_user_errors_exit_2(runner, items_file, args, message):
    res = runner.invoke(cli.cli, ["-q", "rescore", str(items_file), *args])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ") and message in res.stderr


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_identifying_columns_come_first_as_documented(runner, tmp_path):
    rows = [{"family": "toy", "model": "toy-s", "params": 1e8, "task": "add", "subtask": "two",
             "n_shots": 3, "item": f"q{i}", "target": "1", "output": "1" if i % 2 else "2"}
            for i in range(4)]  # fmt: skip
    src = _write_jsonl(tmp_path / "items.jsonl", rows)
    res = runner.invoke(cli.cli, ["-q", "rescore", str(src), "--format", "csv",
                                  "--metrics", "exact_match"])  # fmt: skip
    assert res.exit_code == 0, res.output
    header = res.stdout.splitlines()[0].split(",")
    assert header == [
        "family", "model", "params", "task", "subtask", "n_shots", "metric", "value",
        "n_items", "stderr", "ci_low", "ci_high", "params_kind", "source",
    ]  # fmt: skip


def test_the_order_of_the_input_files_changes_no_byte(runner, tmp_path):
    rows = [{"family": "toy", "model": f"toy-{m}", "params": p, "task": "add", "item": f"q{i:02d}",
             "target": "1 2", "output": "1 2" if (i * 7 + m) % 3 else "1 3",
             "target_logprobs": [-0.0137 * (i % 7 + 1) * (m + 1), -0.29 / (i + 1)]}
            for m, p in ((1, 1e8), (2, 1e9)) for i in range(30)]  # fmt: skip
    a = _write_jsonl(tmp_path / "a.jsonl", rows[::2])
    b = _write_jsonl(tmp_path / "b.jsonl", rows[1::2])
    outs = []
    for name, files in (("ab.csv", (a, b)), ("ba.csv", (b, a))):
        res = runner.invoke(cli.cli, ["-q", "rescore", *map(str, files), "-o",
                                      str(tmp_path / name), "--bootstrap", "200"])  # fmt: skip
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]


def test_a_minus_inf_logprob_keeps_its_interval(runner, tmp_path):
    rows = [{"family": "toy", "model": "toy-s", "params": 1e8, "task": "add", "item": f"q{i:02d}",
             "target": "1", "output": "1", "target_logprobs": [-0.1 * (i % 5 + 1)]}
            for i in range(20)]  # fmt: skip
    rows[3]["target_logprobs"] = [float("-inf")]
    src = _write_jsonl(tmp_path / "items.jsonl", rows)  # json writes -inf as -Infinity
    res = runner.invoke(cli.cli, ["-q", "rescore", str(src), "--format", "csv",
                                  "--metrics", "target_logprob", "--bootstrap", "500"])
    assert res.exit_code == 0, res.output
    assert "Warning" not in res.stderr
    row = pd.read_csv(io.StringIO(res.stdout)).iloc[0]
    assert row.value == -np.inf and row.ci_low == -np.inf and np.isfinite(row.ci_high)
    # strict JSON has no infinity: every command writes non-finite numbers as null
    res = runner.invoke(cli.cli, ["-q", "rescore", str(src), "--format", "json",
                                  "--metrics", "target_logprob", "--bootstrap", "500"])
    record = json.loads(res.stdout)[0]
    assert record["value"] is None and record["ci_low"] is None
    assert record["ci_high"] == pytest.approx(row.ci_high)


def test_passed_through_scores_come_in_scale_order():
    # review 64: aggregate-only rows kept the load order (names: 125m, 1b, 2m), rescored rows
    # were in scale order
    from emergence.metrics import rescore

    scores = pd.DataFrame({
        "family": "f", "model": ["m-125m", "m-1b", "m-2m"], "params": [1.25e8, 1e9, 2e6],
        "task": "t", "metric": "acc", "value": [0.2, 0.3, 0.1],
    })  # fmt: skip
    out = rescore(None, scores)
    assert list(out["model"]) == ["m-2m", "m-125m", "m-1b"]


def _source_scores(exact_small: float) -> pd.DataFrame:
    # what the source reported for the items of items_file: exact match 2/6 and 6/6
    return pd.DataFrame({
        "family": "toy", "model": ["toy-s", "toy-l", "toy-s"], "params": [1e8, 1e9, 1e8],
        "task": "add", "metric": ["exact_match", "exact_match", "acc_source"],
        "value": [exact_small, 1.0, 0.7],
    })  # fmt: skip


def test_replaced_scores_lists_the_source_values_rescoring_changed(items_file):
    # review: HELM's own exact_match (0.5, half credit for ties) was replaced by the rescored
    # 0.6 without a word; the source's number was simply gone from the output
    import emergence
    from emergence.metrics import replaced_scores, rescore

    items = emergence.load(items_file).items
    same = rescore(items, _source_scores(2 / 6), n_boot=0)
    assert replaced_scores(same, _source_scores(2 / 6)).empty
    assert replaced_scores(same, _source_scores(round(2 / 6, 4))).empty  # rounded by the source
    changed = rescore(items, _source_scores(0.5), n_boot=0)
    diff = replaced_scores(changed, _source_scores(0.5))
    assert diff[["model", "metric"]].values.tolist() == [["toy-s", "exact_match"]]
    assert diff["source_value"].tolist() == [0.5]
    assert diff["rescored_value"].tolist() == pytest.approx([2 / 6])
    # the other source row is passed through, the replaced ones are not kept twice
    assert (changed["metric"] == "acc_source").sum() == 1
    assert len(changed[(changed["metric"] == "exact_match")]) == 2
    # the passed-through row has no item count: the counts stay whole numbers (not 6.0)
    assert str(changed["n_items"].dtype) == "Int64"
    assert changed["n_items"].isna().tolist() == [False] * (len(changed) - 1) + [True]


def test_rescore_warns_when_it_replaces_a_different_source_value(runner, items_file, tmp_path):
    scores = tmp_path / "reported.csv"
    _source_scores(0.5).to_csv(scores, index=False)
    out = tmp_path / "out" / "scores.csv"
    result = runner.invoke(cli.cli, ["rescore", str(items_file), str(scores), "--bootstrap", "0",
                                     "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    warning = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warning == [
        "warning: 1 score(s) the source reported were replaced by a different rescored value, "
        "e.g. toy-s add exact_match: source 0.5, rescored 0.333333; the source scores otherwise "
        "(its filters, normalisation or tie handling): the output keeps the rescored value"
    ]


def test_replaced_scores_skips_a_source_key_coarser_than_the_rescored_rows():
    # review: source scores without a subtask column against items with two subtasks made
    # reindex fail on a non-unique key (a traceback from `emergence rescore`)
    from emergence.metrics import replaced_scores, rescore

    items = pd.DataFrame({
        "family": "f", "model": "m", "params": 1e9, "task": "t",
        "subtask": ["s1", "s1", "s2", "s2"], "item": ["a", "b", "a", "b"],
        "target": "x", "output": ["x", "y", "x", "x"],
    })  # fmt: skip
    scores = pd.DataFrame({"family": ["f"], "model": ["m"], "params": [1e9], "task": ["t"],
                           "metric": ["exact_match"], "value": [0.1]})  # fmt: skip
    out = rescore(items, scores, ["exact_match"], n_boot=0)
    assert replaced_scores(out, scores).empty  # no single rescored counterpart to compare
