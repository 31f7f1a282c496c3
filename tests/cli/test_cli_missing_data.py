"""What the commands say when the inputs hold no results, no tasks or no model sizes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from cli_runs import one_error_line, run

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "cli-inputs"
LOSSES = FIXTURES / "losses.csv"
TASK = (
    '{"name": "t", "description": "d", "keywords": [], '
    '"examples": [{"input": "1+1", "target": "2"}]}'
)


def test_no_results_are_explained(tmp_path):
    task = tmp_path / "arith" / "task.json"
    task.parent.mkdir()
    task.write_text(TASK)
    res = run("rescore", tmp_path, "-o", tmp_path / "out.csv")
    assert res.exit_code == 2 and "only defines a task" in res.output
    assert "use `emergence fit`" not in res.output and not (tmp_path / "out.csv").exists()
    res = run("summary", tmp_path)
    assert res.exit_code == 0 and "no rows: the files read hold no model results" in res.output
    # with losses only, rescore points to fit
    losses = tmp_path / "losses.csv"
    losses.write_text("family,model,params,tokens,loss\nf,m,1e6,2e7,3.0\n")
    res = run("rescore", losses)
    assert res.exit_code == 2 and "only training losses: use `emergence fit`" in res.output


def test_report_of_losses_only_says_there_are_no_tasks(tmp_path: Path) -> None:
    result = run("report", LOSSES, "-o", tmp_path / "r.html", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no tasks in the input: the report has the scaling-law fits only\n"


def test_rescore_of_losses_only_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    one_error_line(run("rescore", LOSSES, "-o", out), "no item-level results or scores")
    assert not out.exists()


def test_rescore_needs_no_model_sizes(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    rows = [{"family": "f", "model": f"mystery-{m}", "task": "t", "item": str(i),
             "target": "a", "output": "a" if i % 2 else "b"}
            for m in range(2) for i in range(4)]  # fmt: skip
    pd.DataFrame(rows).to_json(items, orient="records", lines=True)
    out = tmp_path / "scores.csv"
    result = run("rescore", items, "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    em = scores[scores.metric == "exact_match"]
    assert len(em) == 2 and em.params.isna().all() and (em.value == 0.5).all()
    # detect still needs them, and says so
    assert "no parameter count" in one_error_line(run("detect", items), "mystery-0")


def test_summary_says_when_the_sizes_file_names_none_of_the_models(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("family,model,task,item,target,output\nf,org/m-1b,t,1,a,a\n")
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\nm-2b,2e9\n")
    res = run("summary", items, "--sizes", sizes)
    assert res.exit_code == 0, res.output
    assert f"the --sizes mapping {sizes} has no size for them" in res.output
    res = run("summary", items)
    assert "supply them with --sizes FILE" in res.output
