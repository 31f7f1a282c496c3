"""CLI plumbing: version, help with examples, python -m, output formats, atomic -o."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from emergence import __version__
from emergence.cli import cli

LOSSES = "params,tokens,loss,family\n1e8,2e9,3.1,f\n1e9,2e10,2.6,f\n"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_help_shows_examples_for_every_command() -> None:
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0 and "Examples:" in top.output
    for name in cli.list_commands(None):
        sub = runner.invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, name
        assert "Examples:" in sub.output, name


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "emergence", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_summary_formats(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(LOSSES)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["summary", str(path), "--format", "json"])
    assert as_json.exit_code == 0
    rows = json.loads(as_json.output)
    assert rows[0]["table"] == "losses" and rows[0]["rows"] == 2
    # one row per family says which runs it covers, not only the smallest size
    assert rows[0]["model"] == "2 runs, 1e+08-1e+09 params, 2e+09-2e+10 tokens"
    assert rows[0]["params"] == 1e8
    as_csv = runner.invoke(cli, ["summary", str(path), "--format", "csv"])
    assert as_csv.output.splitlines()[0].startswith("table,family,model,params")
    table = runner.invoke(cli, ["summary", str(path)])
    assert "2 loss row(s)" in table.output


def test_summary_output_file_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(LOSSES)
    out = tmp_path / "deep" / "summary.csv"
    result = CliRunner().invoke(cli, ["summary", str(path), "-o", str(out)])
    assert result.exit_code == 0
    assert pd.read_csv(out)["rows"].tolist() == [2]
    assert [p.name for p in out.parent.iterdir()] == ["summary.csv"]  # no temp files left


def test_summary_lists_models_without_sizes(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("family,model,params,task,metric,value\nf,a,,t,acc,0.5\nf,b,1e9,t,acc,0.6\n")
    result = CliRunner().invoke(cli, ["summary", str(path)])
    assert result.exit_code == 0
    assert "models without a size (1): a" in result.output


def test_rename_option(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("N,D,L\n1e8,2e9,3.1\n1e9,2e10,2.6\n")
    runner = CliRunner()
    bad = runner.invoke(cli, ["summary", str(path)])
    assert bad.exit_code == 2 and "cannot tell which table" in bad.output
    good = runner.invoke(
        cli,
        [
            "summary",
            str(path),
            "--rename",
            "N=params",
            "--rename",
            "D=tokens",
            "--rename",
            "L=loss",
        ],
    )
    assert good.exit_code == 0, good.output
    assert runner.invoke(cli, ["summary", str(path), "--rename", "N"]).exit_code == 2


def test_sizes_file_and_names_opt_in(tmp_path: Path) -> None:
    scores = tmp_path / "s.csv"
    scores.write_text(
        "family,model,task,metric,value\np,pythia-70m,t,acc,0.3\np,pythia-1.4b,t,acc,0.5\n"
    )
    runner = CliRunner()
    # summary works without sizes and lists the models that lack one
    listed = runner.invoke(cli, ["summary", str(scores)])
    assert listed.exit_code == 0 and "models without a size (2)" in listed.output
    # commands that need the scale axis stop with the list
    stopped = runner.invoke(cli, ["fit", "power-law", str(scores), "--y", "acc", "--task", "t"])
    assert stopped.exit_code == 2
    assert "pythia-1.4b" in stopped.output and "pythia-70m" in stopped.output
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\npythia-70m,70M\npythia-1.4b,1.4B\n")
    as_json = runner.invoke(
        cli, ["summary", str(scores), "--sizes", str(sizes), "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    assert sorted(r["params"] for r in json.loads(as_json.output)) == [7e7, 1.4e9]
    named = runner.invoke(cli, ["summary", str(scores), "--sizes-from-names", "--format", "json"])
    rows = json.loads(named.output)
    assert sorted(r["params"] for r in rows) == [7e7, 1.4e9]
    assert {r["params_kind"] for r in rows} == {"nominal"}


def test_rescore_into_the_input_folder_and_never_over_an_input(tmp_path: Path) -> None:
    runner = CliRunner()
    res = tmp_path / "res"
    assert runner.invoke(cli, ["simulate", str(res), "--families", "1", "--items", "20", "30",
                               "--scales", "5", "5"]).exit_code == 0  # fmt: skip
    (res / "truth.csv").unlink()
    out = runner.invoke(cli, ["rescore", str(res), "-o", str(res / "scores.csv"),
                              "--bootstrap", "0"])  # fmt: skip
    assert out.exit_code == 0, out.output
    first = (res / "scores.csv").read_bytes()
    # the folder stays readable: the scores rows do not clash with the items they came from
    assert runner.invoke(cli, ["summary", str(res)]).exit_code == 0
    # rescoring again reads scores.csv as an input, so writing over it is refused
    again = runner.invoke(cli, ["rescore", str(res), "-o", str(res / "scores.csv"),
                                "--bootstrap", "0"])  # fmt: skip
    assert again.exit_code == 2 and "inputs are never modified" in again.output
    assert (res / "scores.csv").read_bytes() == first
    # and the fresh rows replace the passed-through ones instead of being appended to them
    elsewhere = runner.invoke(cli, ["rescore", str(res), "-o", str(tmp_path / "s2.csv"),
                                    "--bootstrap", "0"])  # fmt: skip
    assert elsewhere.exit_code == 0
    assert (tmp_path / "s2.csv").read_bytes() == first
    items = res / "items.jsonl"
    before = items.read_bytes()
    over = runner.invoke(cli, ["rescore", str(items), "-o", str(items)])
    assert over.exit_code == 2 and "inputs are never modified" in over.output
    assert items.read_bytes() == before


def test_bootstrap_too_small_and_unwritable_output_are_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "d"
    runner.invoke(cli, ["simulate", str(data), "--families", "1", "--items", "20", "30"])
    for command in ("rescore", "detect"):
        bad = runner.invoke(cli, [command, str(data / "items.jsonl"), "--bootstrap", "1"])
        assert bad.exit_code == 2 and "at least 50" in bad.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = runner.invoke(cli, ["summary", str(data / "items.jsonl"), "-o",
                              str(blocker / "s.csv")])  # fmt: skip
    assert out.exit_code == 2 and out.output.startswith("error: ")
    assert "Traceback" not in out.output


def test_simulate_twice_in_two_formats_leaves_one_items_table(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["simulate", str(tmp_path), "--families", "1", "--items", "20", "30"])
    again = ["simulate", str(tmp_path), "--families", "1", "--items", "20", "30",
             "--items-format", "parquet"]  # fmt: skip
    assert runner.invoke(cli, again).exit_code == 2  # an earlier run is replaced only on demand
    assert runner.invoke(cli, [*again, "--force"]).exit_code == 0
    assert not (tmp_path / "items.jsonl").exists()
    assert runner.invoke(cli, ["summary", str(tmp_path)]).exit_code == 0


def test_every_command_has_a_short_help_and_help_imports_none() -> None:
    from emergence.cli import COMMANDS, SHORT_HELP

    assert set(SHORT_HELP) == set(COMMANDS)
    code = (
        "import sys; from emergence.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('emergence.commands.')))\n"
        "print('pandas' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = proc.stdout.strip().splitlines()
    assert lines[-2:] == ["[]", "False"]
