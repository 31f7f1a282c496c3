"""``emergence summary``: it counts tasks and family-task pairs as ``emergence report`` does."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from cli_runs import run
from click.testing import Result
from conftest import shared_path

import emergence
from emergence.analysis import analyse, count_tasks
from emergence.commands.report import summary_text
from emergence.load import Tables

COUNTS = re.compile(r"; (\d+) task\(s\)(?: \((\d+) with subtasks and shot counts apart\))? "
                    r"in (\d+) family-task pair\(s\);")  # fmt: skip


def _counts(result: Result) -> tuple[int, int | None, int]:
    assert result.exit_code == 0, result.output
    names, variants, pairs = COUNTS.search(result.stdout).groups()
    return int(names), None if variants is None else int(variants), int(pairs)


def _split_scores(path: Path) -> Path:
    """Two families; task ``qa`` asked closed and open with 0 and 5 shots, task ``sum`` plain."""
    rows = []
    for family, sizes in (("f", np.geomspace(1e8, 1e10, 6)), ("g", np.geomspace(2e8, 8e9, 6))):
        for k, n in enumerate(sizes):
            units = [("qa", sub, shots) for sub in ("closed", "open") for shots in (0, 5)]
            units += [("sum", "", "")]
            for task, sub, shots in units:
                rows.append({"family": family, "model": f"{family}{k}", "params": n,
                             "task": task, "subtask": sub, "n_shots": shots,
                             "metric": "acc", "value": 0.2 + 0.05 * k, "n_items": 200})  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_summary_and_report_count_the_same_pairs(tmp_path):
    scores = _split_scores(tmp_path / "scores.csv")
    # 2 tasks; 5 variants (qa x closed/open x 0/5 shots, sum); 10 pairs in 2 families
    assert _counts(run("summary", scores)) == (2, 5, 10)
    out = tmp_path / "r.html"
    report = run("report", scores, "-o", out, "--bootstrap", "0")
    assert report.exit_code == 0, report.output
    assert report.stdout.startswith(
        "10 family-task pairs over 2 tasks (5 with subtasks and shot counts apart): "
    )
    html = out.read_text(encoding="utf-8")
    assert "2 families, 12 models, 2 tasks (5 with subtasks and shot counts apart)" in html
    assert "10 family&ndash;task pairs tested" in html


def test_without_subtasks_the_counts_read_as_before(tmp_path):
    scores = tmp_path / "s.csv"
    scores.write_text("family,model,params,task,metric,value\n"
                      "f,a,1e9,t,acc,0.5\ng,b,1e9,t,acc,0.6\ng,b,1e9,u,acc,0.6\n")  # fmt: skip
    result = run("summary", scores)
    assert "; 2 task(s) in 3 family-task pair(s);" in result.stdout
    assert _counts(result) == (2, None, 3)


def test_a_real_study_file_is_counted_alike_by_both_commands():
    """UKP on-emergence scores: 15 tasks, each asked three ways (closed, closed-adv, open),
    zero-shot and few-shot (5 shots; 4 for strange_stories), so 90 task variants; a verdict for
    every family and variant."""
    path = shared_path("bigbench", "raw", "ukp_evaluation_scores_shared_tasks.csv")
    names, variants, pairs = _counts(run("summary", path))
    assert (names, variants) == (15, 15 * 3 * 2)
    tables = emergence.load(path, allow_missing_params=True)
    scores = tables.scores
    assert scores["subtask"].nunique() == 3 and set(scores["n_shots"]) == {0, 4, 5}
    assert (scores.groupby("task")["n_shots"].nunique() == 2).all()
    # the counts do not depend on the sizes: any distinct size per model will do
    sizes = {m: 1e8 * (i + 1) for i, m in enumerate(sorted(scores["model"].unique()))}
    sized = Tables(scores=scores.assign(params=scores["model"].map(sizes)))
    assert count_tasks(sized) == count_tasks(tables)
    a = analyse(sized, seed=0, bootstrap=0)
    assert len(a.verdicts) == pairs and a.verdicts["task"].nunique() == variants
    first = summary_text(a.verdicts, a.task_counts).splitlines()[0]
    assert first.startswith(f"{pairs} family-task pairs over 15 tasks (90 with subtasks and ")


def test_a_size_of_unknown_kind_is_null_in_json_as_rescore_writes_it(tmp_path):
    import json

    path = tmp_path / "s.csv"
    path.write_text("family,model,params,task,metric,value\nf,m,1e6,t,acc,0.5\n")
    result = run("summary", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["params_kind"] is None
    loss = tmp_path / "l.csv"
    loss.write_text("params,tokens,loss\n1e6,2e7,3.1\n2e6,4e7,2.9\n")
    assert json.loads(run("summary", loss, "--format", "json").stdout)[0]["params_kind"] is None
