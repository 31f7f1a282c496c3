"""CLI review 61: option help says what is accepted; skipped files are warned about on stderr
without changing any output, and never for emergence's own outputs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from emergence.cli import cli

REPO = Path(__file__).resolve().parents[2]
SMALL_SIM = ["--families", "1", "--items", "20", "30", "--scales", "6", "6"]


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["--quiet", *(str(a) for a in args)])


def _option_help(command: list[str], option: str) -> str:
    """The help of one option, on one line."""
    text = _run(*command, "--help").output
    block = re.search(rf"\n  {option}\b(.*?)(?=\n  -|\n\n)", text, re.S)
    assert block is not None, text
    return " ".join(block.group(1).split())


# --------------------------------------------------------------------------- 4. option help


@pytest.mark.parametrize(
    ("command", "none", "default"),
    [(["detect"], "bracketing scales", 500), (["rescore"], "none", 1000),
     (["report"], "none", 1000)],
)  # fmt: skip
def test_bootstrap_help_names_the_values_it_accepts(command, none, default):
    text = _option_help(command, "--bootstrap")
    assert text.startswith("N ")
    assert f"N is 0 ({none}) or at least 50. [default: {default}]" in text
    assert "x>=0" not in text
    refused = _run(*command, REPO / "benchmarks_data", "--bootstrap", "49")
    assert refused.exit_code == 2
    assert "expected 0 (no bootstrap) or at least 50 resamples, got 49" in refused.output


@pytest.mark.parametrize("form", ["chinchilla", "power-law", "isoflop", "bnsl"])
def test_fit_bootstrap_help_names_the_values_it_accepts(form):
    text = _option_help(["fit", form], "--bootstrap")
    assert "N is 0 (none) or at least 2. [default: 0]" in text and "x>=0" not in text


def test_fit_float_options_say_they_must_be_finite():
    assert _option_help(["fit", "chinchilla"], "--compute").endswith("[default: 5.76e+23; 0<x<inf]")
    assert _option_help(["fit", "isoflop"], "--budget-tolerance").endswith("0<=x<inf]")
    refused = _run("fit", "chinchilla", REPO / "benchmarks_data", "--compute", "inf")
    assert refused.exit_code == 2 and "inf is not in the range 0<x<inf" in refused.output


def test_simulate_ranges_say_min_and_max():
    assert "(5 <= MIN <= MAX <= 40)" in _option_help(["simulate"], "--scales")
    assert "(1 <= MIN <= MAX <= 100000)" in _option_help(["simulate"], "--items")


# --------------------------------------------------------------------------- 1. skipped files


def test_summary_warns_about_a_skipped_file_without_changing_its_output(tmp_path):
    data = tmp_path / "data"
    assert _run("simulate", data, "--seed", "1", *SMALL_SIM).exit_code == 0
    before = CliRunner().invoke(cli, ["--quiet", "summary", str(data)])
    (data / "notes.csv").write_text("a,b\n1,2\n")
    after = CliRunner().invoke(cli, ["--quiet", "summary", str(data)])
    # the table is the same; the header line counts the skipped file
    head_before, *rest_before = before.stdout.splitlines()
    head_after, *rest_after = after.stdout.splitlines()
    assert after.exit_code == 0 and rest_after == rest_before
    assert head_after == head_before.replace(" file(s);", " file(s) (1 skipped, see the "
                                             "warnings);", 1)  # fmt: skip
    assert after.stderr.splitlines() == [
        f"warning: {data / 'notes.csv'}: skipped: its columns (a, b) form no table; expected "
        "items (item, target, ...), scores (metric, value, ...) or losses (loss, params, and "
        "tokens or flops); rename columns to the schema's names with --rename OLD=NEW (see "
        "docs/schema.md)"
    ]
    out = tmp_path / "summary.csv"
    assert _run("summary", data, "-o", out).exit_code == 0
    first = out.read_bytes()
    (data / "notes.csv").unlink()
    assert _run("summary", data, "-o", out).exit_code == 0
    assert out.read_bytes() == first


def test_own_outputs_in_the_data_folder_get_no_warning(tmp_path):
    data = tmp_path / "data"
    assert _run("simulate", data, "--seed", "1", *SMALL_SIM).exit_code == 0
    for args in (
        ["detect", data, "--bootstrap", "0", "-o", data / "verdicts.csv"],
        ["detect", data, "--bootstrap", "0", "-o", data / "verdicts.json"],
        ["summary", data, "-o", data / "summary.csv"],
        ["summary", data, "-o", data / "summary.parquet"],
        ["fit", "power-law", data / "losses.csv", "--family", "sim-a", "--x", "flops",
         "--frontier", "--y", "loss", "-o", data / "fit.json"],
        ["report", data, "--bootstrap", "0", "-o", data / "report.html"],
    ):  # fmt: skip
        result = _run(*args)
        assert result.exit_code == 0, result.output
    shutil.copy(REPO / "benchmarks_data" / "trained" / "manifest.json", data)
    shutil.copy(REPO / "benchmarks_data" / "README.md", data)
    result = CliRunner().invoke(cli, ["--quiet", "summary", str(data)])
    assert result.exit_code == 0 and result.stderr == ""


def test_bundled_data_loads_without_warnings():
    result = CliRunner().invoke(cli, ["--quiet", "summary", str(REPO / "benchmarks_data")])
    assert result.exit_code == 0 and result.stderr == ""


def test_a_failing_load_prints_only_its_error(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.csv").write_text("a,b\n1,2\n")
    (data / "z.jsonl").write_text('{"family":"f","model":"m","params":1e9,"task":"t",'
                                  '"item":"1","target":3.10,"output":"3.10"}\n')  # fmt: skip
    result = CliRunner().invoke(cli, ["--quiet", "summary", str(data)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: z.jsonl:1: field 'target': expected a string, got the number 3.1; write answers "
        'as strings ("3.10", not 3.10): a number loses its spelling, so it could not be '
        "compared as written"
    ]


def test_fit_warnings_are_lines_not_a_padded_table_column(tmp_path):
    # review: one long warning in the diagnostics table padded every row to ~250 characters
    few = tmp_path / "few.csv"
    few.write_text("family,model,params,tokens,loss\n" + "".join(
        f"f,m{i},{n},{20 * n},{2.0 + 300 / n**0.3}\n" for i, n in enumerate((1e7, 1e8, 1e9))))
    res = CliRunner().invoke(cli, ["--quiet", "fit", "power-law", str(few)])
    assert res.exit_code == 0, res.output
    diag = res.stdout.split("# diagnostics\n")[1].split("\n\n")[0]
    assert max(len(line) for line in diag.splitlines()) < 30
    warnings = res.stdout.split("# warnings\n")[1].splitlines()
    assert warnings and warnings[0].startswith("only 3 distinct points for 3 parameters")
    payload = CliRunner().invoke(cli, ["--quiet", "fit", "power-law", str(few), "--format", "json"])
    assert json.loads(payload.stdout)["diagnostics"]["warnings"][0] == warnings[0]


def test_summary_separates_metric_names_that_hold_commas(tmp_path):
    # review: lm-eval 0.4 names filtered metrics "exact_match,strict-match"; joined with
    # commas, two such names could not be told apart
    scores = tmp_path / "scores.csv"
    scores.write_text("family,model,params,task,metric,value\n"
                      'f,m,1e9,gsm8k,"exact_match,strict-match",0.1\n'
                      'f,m,1e9,gsm8k,"exact_match,flexible-extract",0.2\n')  # fmt: skip
    res = CliRunner().invoke(cli, ["--quiet", "summary", str(scores), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert '"exact_match,flexible-extract; exact_match,strict-match"' in res.stdout
