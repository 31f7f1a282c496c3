"""Usage errors (unknown option or command, missing argument, bad value) are one line naming
the command, with click's suggestions and where the help is, and exit with status 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runs import one_error_line, run
from click.testing import CliRunner

from emergence.cli import cli

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "cli-inputs"
LOSSES = FIXTURES / "losses.csv"


@pytest.mark.parametrize(
    "args",
    [
        ["rescore", "no-such-folder"],
        ["detect", str(LOSSES), "--sizes", "no-such-sizes.csv"],
        ["report", str(LOSSES), "-o", "."],
        ["detect", str(LOSSES), "--format", "xml"],
        # NaN compares false with both bounds: no range refused it, and the stage's own check
        # spoke instead, without the command's usage form
        ["detect", str(LOSSES), "--alpha", "nan"],
        ["report", str(LOSSES), "--alpha", "nan"],
        ["report", str(LOSSES), "--jobs", "0"],
        ["rescore", str(LOSSES), "--level", "nan"],
        # an empty -o read as the folder "." and was refused for its suffix ''
        ["summary", str(LOSSES), "-o", ""],
        ["report", str(LOSSES), "-o", ""],
        ["fit", "chinchilla", str(LOSSES), "-o", " "],
    ],
)
def test_a_bad_path_or_option_value_is_one_error_line(args: list, tmp_path: Path,
                                                      monkeypatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    command = " ".join(args[:2]) if args[0] == "fit" else args[0]
    line = one_error_line(result, f"error: emergence {command}: invalid value for ")
    assert line.endswith(f"; see 'emergence {command} --help'")
    if "-o" in args and not args[-1].strip():
        assert f"expected a file name, got {args[-1]!r}" in line
    assert sorted(os.listdir(tmp_path)) == []


L = str(LOSSES)


@pytest.mark.parametrize(
    ("args", "command", "what"),
    [
        # unknown option, at the top level, in a command and in a command of a group
        (["--zzz", "detect", L], "", "no such option --zzz"),
        (["detect", L, "--zzz"], "detect", "no such option --zzz"),
        (["fit", "bnsl", L, "--zzz"], "fit bnsl", "no such option --zzz"),
        # a typo keeps click's suggestion
        (["detect", L, "--bootstrp", "0"], "detect",
         "no such option --bootstrp (did you mean --bootstrap?)"),
        (["fit", "bnsl", L, "--bootstrp", "0"], "fit bnsl",
         "no such option --bootstrp (did you mean --bootstrap?)"),
        (["fit", "bnsl", L, "--tasks", "t"], "fit bnsl",
         "no such option --tasks (did you mean --task, --subtask or --tokens?)"),
        # a mistyped command gets one too
        (["detec", L], "", "no such command detec (did you mean detect?)"),
        (["fit", "bns", L], "fit", "no such command bns (did you mean bnsl?)"),
        (["zzz"], "", "no such command zzz"),
        # missing argument or option value
        (["detect"], "detect", "missing argument 'PATHS...'"),
        (["fit", "bnsl"], "fit bnsl", "missing argument 'PATHS...'"),
        (["fit", "chinchilla", L, "--seed"], "fit chinchilla",
         "option '--seed' requires an argument"),
        (["simulate", "out", "--scales", "5"], "simulate",
         "option '--scales' requires 2 arguments"),
        # invalid choice
        (["detect", L, "--format", "xml"], "detect",
         "invalid value for '--format': 'xml' is not one of 'table', 'csv', 'json'"),
        (["fit", "bnsl", L, "--format", "csv"], "fit bnsl",
         "invalid value for '--format': 'csv' is not one of 'table', 'json'"),
        # invalid integer
        (["simulate", "out", "--families", "many"], "simulate",
         "invalid value for '--families': 'many' is not a valid integer"),
        (["fit", "bnsl", L, "--seed", "abc"], "fit bnsl",
         "invalid value for '--seed': 'abc' is not a valid integer"),
        (["detect", L, "--bootstrap", "lots"], "detect",
         "invalid value for '--bootstrap': 'lots' is not a valid integer"),
        # an extra argument, and no command at all
        (["formats", "extra"], "formats", "got unexpected extra argument (extra)"),
        (["--quiet"], "", "missing command"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line_naming_the_command(
    args: list[str], command: str, what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    path = f"emergence {command}".strip()
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"error: {path}: {what}; see '{path} --help'\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command", [[], ["detect"], ["fit"], ["fit", "bnsl"]])
def test_help_is_unchanged(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], prog_name="emergence")
    assert result.exit_code == 0
    usage = " ".join(["emergence", *command])
    assert result.output.startswith(f"Usage: {usage} [OPTIONS] ")
    assert "\nOptions:\n" in result.output and "error:" not in result.output


@pytest.mark.parametrize("command", [[], ["fit"]])
def test_a_group_without_its_command_prints_its_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, command, prog_name="emergence")
    assert result.output.startswith(f"Usage: {' '.join(['emergence', *command])} [OPTIONS] ")
    assert "Commands:" in result.output and "error:" not in result.output


def test_a_bad_value_found_while_running_names_the_command() -> None:
    # fit checks some values in an option callback rather than in its type
    result = run("fit", "chinchilla", LOSSES, "--compute", "inf")
    line = one_error_line(result, "error: emergence fit chinchilla: invalid value for '--compute'")
    assert line.endswith("; see 'emergence fit chinchilla --help'")
