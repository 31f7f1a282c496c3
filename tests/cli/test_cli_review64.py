"""CLI review 64: what ``rescore`` and ``summary`` say when the inputs hold no results, the
``fit`` command list shows whole one-line helps, and ``-o x.json`` output reads back."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from emergence.cli import cli

REPO = Path(__file__).resolve().parents[2]
TASK = (
    '{"name": "t", "description": "d", "keywords": [], '
    '"examples": [{"input": "1+1", "target": "2"}]}'
)


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["--quiet", *(str(a) for a in args)])


def test_no_results_are_explained(tmp_path):
    task = tmp_path / "arith" / "task.json"
    task.parent.mkdir()
    task.write_text(TASK)
    res = _run("rescore", tmp_path, "-o", tmp_path / "out.csv")
    assert res.exit_code == 2 and "only defines a task" in res.output
    assert "use `emergence fit`" not in res.output and not (tmp_path / "out.csv").exists()
    res = _run("summary", tmp_path)
    assert res.exit_code == 0 and "no rows: the files read hold no model results" in res.output
    # with losses only, rescore points to fit
    losses = tmp_path / "losses.csv"
    losses.write_text("family,model,params,tokens,loss\nf,m,1e6,2e7,3.0\n")
    res = _run("rescore", losses)
    assert res.exit_code == 2 and "only training losses: use `emergence fit`" in res.output


def test_fit_command_list_shows_whole_helps():
    text = _run("fit", "--help").output
    assert "Broken neural scaling law (Caballero et al. 2022)." in text


def test_rescore_json_output_reads_back(tmp_path):
    out = tmp_path / "scores.json"
    assert _run("rescore", REPO / "benchmarks_data" / "trained", "-o", out, "--bootstrap", 0
                ).exit_code == 0  # fmt: skip
    res = _run("summary", out, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert "scores,tiny-gpt" in res.output


def test_summary_says_when_the_sizes_file_names_none_of_the_models(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("family,model,task,item,target,output\nf,org/m-1b,t,1,a,a\n")
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\nm-2b,2e9\n")
    res = _run("summary", items, "--sizes", sizes)
    assert res.exit_code == 0, res.output
    assert f"the --sizes mapping {sizes} names none of them" in res.output
    res = _run("summary", items)
    assert "supply them with --sizes FILE" in res.output
