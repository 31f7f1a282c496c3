"""``emergence fit --help`` and its subcommands' help: whole one-line helps, what each option
takes in words and metavars a reader can act on, and examples of each command that run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, help_examples

from emergence.cli import cli
from emergence.commands.fit import fit

FORMS = ["chinchilla", "power-law", "isoflop", "bnsl"]


def _help(*args: str) -> str:
    result = CliRunner().invoke(fit, [*args, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def _option_help(form: str, option: str) -> str:
    """The metavar and help of one option, on one line."""
    text = _help(form)
    block = re.search(rf"\n  (?:-\w, )?{option}\b(.*?)(?=\n  -|\n\n)", text, re.S)
    assert block is not None, text
    return " ".join(block.group(1).split())


def test_the_command_list_shows_whole_one_line_helps() -> None:
    # review: chinchilla, isoflop and power-law were cut mid-phrase ("(Huber...", "then...")
    listing = _help().split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    assert "..." not in listing
    for form in FORMS:
        short = fit.commands[form].short_help
        assert short and short.endswith("."), form
        line = next(row for row in listing.splitlines() if row.split()[0] == form)
        assert " ".join(line.split()[1:]) == short, line


def test_the_group_help_names_every_kind_of_input() -> None:
    # review: "loss tables" only, although power-law and bnsl fit a --y metric or a curve CSV
    text = " ".join(_help().split())
    assert "a loss table, a scores table or a two-column curve CSV" in text
    assert "a --y metric of a scores table, or the --y column of a two-column curve CSV" in text


@pytest.mark.parametrize("form", FORMS)
def test_format_help_says_the_output_suffix_sets_the_format(form: str) -> None:
    fmt = _option_help(form, "--format")
    assert "With -o the file's suffix sets the format" in fmt
    assert "(.json: json, .txt: table; a --format that differs is an error)" in fmt
    assert "(.json or .txt)" in _option_help(form, "--output")


def test_a_format_the_output_suffix_contradicts_is_refused(tmp_path: Path) -> None:
    """What the --format help promises."""
    losses = str(REPO / "benchmarks_data" / "simulated" / "losses.csv")
    args = ["isoflop", losses, "--family", "sim-a"]
    refused = CliRunner().invoke(fit, [*args, "--format", "table", "-o", str(tmp_path / "f.json")])
    assert refused.exit_code != 0 and "--format table does not match -o" in str(refused.exception)
    written = CliRunner().invoke(fit, [*args, "-o", str(tmp_path / "f.txt")])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "f.txt").read_text().startswith("# allocation laws")


@pytest.mark.parametrize(
    ("form", "option", "shown"),
    [
        ("chinchilla", "--jobs", "N"),
        ("power-law", "--jobs", "N"),
        ("bnsl", "--breaks", "N"),
        ("chinchilla", "--drop-highest", "K"),
        ("chinchilla", "--delta", "X"),
        ("power-law", "--delta", "X"),
        ("chinchilla", "--compute", "X"),
        ("isoflop", "--budget-tolerance", "X"),
        ("power-law", "--budget-tolerance", "X"),
        ("power-law", "--y", "loss|METRIC|COLUMN"),
        ("bnsl", "--task", "NAME"),
    ],
)
def test_options_show_what_they_take(form: str, option: str, shown: str) -> None:
    assert _option_help(form, option).startswith(f"{shown} "), option


@pytest.mark.parametrize("form", FORMS)
def test_no_option_is_shown_as_a_click_type(form: str) -> None:
    text = _help(form)
    for name in ("INTEGER", "FLOAT", "TEXT", "RANGE"):
        assert name not in text, name


def test_a_bad_count_is_not_called_an_integer_range() -> None:
    losses = str(REPO / "benchmarks_data" / "trained" / "losses.csv")
    res = CliRunner().invoke(fit, ["bnsl", losses, "--breaks", "two"])
    assert res.exit_code == 2 and "'two' is not a valid integer." in res.output


def test_the_frontier_budget_tolerance_help_ends_its_sentence() -> None:
    for form in ("power-law", "bnsl"):
        text = _option_help(form, "--budget-tolerance")
        assert text.endswith("as in `fit isoflop`. [default: 0.05; 0<=x<inf]"), text


def test_tokens_and_params_say_plainly_when_they_are_needed() -> None:
    # review: "..., which refuses runs of one size ... without it" was hard to parse
    tokens = _option_help("power-law", "--tokens")
    assert "--x params needs --tokens when a model size was trained on several token counts" in (
        tokens
    )
    params = _option_help("power-law", "--params")
    assert "--x tokens needs --params when several sizes were trained on the same token count" in (
        params
    )
    assert "refuses" not in tokens + params + _option_help("power-law", "--frontier")


def test_each_command_shows_its_own_examples() -> None:
    # review: every subcommand repeated the same six examples of all four
    group = help_examples(fit.epilog)
    assert sorted(e[2] for e in group if e[1] == "fit") == sorted(FORMS)  # an overview
    for form in FORMS:
        epilog = fit.commands[form].epilog
        examples = help_examples(epilog)
        assert examples and epilog != fit.epilog
        assert {e[2] for e in examples if e[1] == "fit"} == {form}, form
        assert {e[1] for e in examples} <= {"fit", "rescore"}, form


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("form", FORMS)
def test_each_commands_examples_run_in_order_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """As tests/cli/test_cli_help_examples.py runs the top-level commands' examples (the fit
    group's among them): on the bundled data, with no bootstrap resampling, to stay fast."""
    bundled = REPO / "benchmarks_data"
    (tmp_path / "benchmarks_data").symlink_to(bundled, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    before = _tree(bundled)
    for example in help_examples(fit.commands[form].epilog):
        assert example[0] == "emergence", example
        args = example[1:]
        if "--bootstrap" in args:
            at = args.index("--bootstrap") + 1
            args = [*args[:at], "0", *args[at + 1 :]]
        result = CliRunner().invoke(cli, ["--quiet", *args])
        assert result.exit_code == 0, (shlex.join(example), result.output)
    assert _tree(bundled) == before  # nothing written into the bundled data
