"""``emergence rescore`` end to end on a small native JSONL file."""

from __future__ import annotations

import json

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
    ],
)
def test_rescore_user_errors_exit_2(runner, items_file, args, message):
    res = runner.invoke(cli.cli, ["-q", "rescore", str(items_file), *args])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ") and message in res.stderr
