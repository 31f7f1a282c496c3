"""Regressions from the CLI/output review: all-or-nothing writes, early -o checks, messages."""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from emergence import output
from emergence.cli import cli
from emergence.commands import report as report_cmd

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "cli-inputs"
LOSSES = FIXTURES / "losses.csv"
SMALL_SIM = ["--families", "1", "--items", "20", "30", "--scales", "5", "5"]


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["--quiet", *(str(a) for a in args)])


def _one_error_line(result: Result, text: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], result.output
    return lines[0]


# -- 1. simulate writes its files as one set; errors name the destination --------------------


def test_simulate_with_one_unwritable_destination_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    assert _run("simulate", out, "--seed", "1", *SMALL_SIM).exit_code == 0
    (out / "truth.csv").unlink()
    (out / "truth.csv").mkdir()  # the last file cannot be written
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = _run("simulate", out, "--seed", "2", *SMALL_SIM, "--force")
    line = _one_error_line(result, "truth.csv")
    assert ".tmp" not in line
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == ["items.jsonl", "losses.csv", "truth.csv"]


def test_simulate_into_a_fresh_folder_with_a_blocked_name_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "part"
    (out / "truth.csv").mkdir(parents=True)
    line = _one_error_line(_run("simulate", out, "--seed", "1", "--force"), "truth.csv")
    assert ".tmp" not in line
    assert [p.name for p in out.iterdir()] == ["truth.csv"]


def test_a_failed_write_names_the_destination_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(prefix: str = "", suffix: str = "", dir: str | None = None) -> None:  # noqa: A002
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/{prefix}abc{suffix}")

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    dest = tmp_path / "s.csv"
    line = _one_error_line(_run("summary", LOSSES, "-o", dest), f"{dest}: Permission denied")
    assert ".tmp" not in line and not dest.exists()


def test_atomic_write_many_replaces_nothing_when_one_file_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"old a\n")
    chmod = os.chmod
    calls = []

    def fail_second(path, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        chmod(path, mode)

    monkeypatch.setattr(output.os, "chmod", fail_second)
    with pytest.raises(OSError, match="No space left") as info:
        output.atomic_write_many({first: b"new a\n", second: b"new b\n"})
    assert info.value.filename == str(second)
    assert first.read_bytes() == b"old a\n" and not second.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no temporary file left


# -- 2. the reproduction command keeps --alpha exactly ----------------------------------------


@pytest.mark.parametrize("alpha", [0.05, 0.0500000001, 1e-7, 0.123456789012345])
def test_reproduce_command_round_trips_alpha(alpha: float) -> None:
    line = report_cmd.command_line([], Path("r.html"), None, 0, 0, alpha, None, ())
    args = shlex.split(line)
    assert float(args[args.index("--alpha") + 1]) == alpha


# -- 3. an unwritable -o is refused before any loading ---------------------------------------


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["summary", LOSSES], "x.csv"),
        (["detect", LOSSES], "x.csv"),
        (["rescore", LOSSES], "x.csv"),
        (["fit", "chinchilla", LOSSES], "x.json"),
        (["report", LOSSES], "x.html"),
    ],
)
def test_output_under_a_file_is_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list, name: str
) -> None:
    import emergence.load

    def never(*args, **kwargs):
        raise AssertionError("the inputs were loaded before the -o check")

    monkeypatch.setattr(emergence.load, "load", never)
    blocker = tmp_path / "keep.html"
    blocker.write_text("x")
    result = _run(*command, "-o", blocker / name)
    _one_error_line(result, f"{blocker}: is a file, not a directory")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_output_in_an_unwritable_folder_is_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import emergence.load

    monkeypatch.setattr(emergence.load, "load", lambda *a, **k: 1 / 0)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = _run("report", LOSSES, "-o", locked / "new" / "r.html")
    finally:
        locked.chmod(0o755)
    _one_error_line(result, f"{locked}: this folder is not writable")


# -- 4. a report without tasks says so ---------------------------------------------------------


def test_report_of_losses_only_says_there_are_no_tasks(tmp_path: Path) -> None:
    result = _run("report", LOSSES, "-o", tmp_path / "r.html", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no tasks in the input: the report has the scaling-law fits only\n"


# -- 5. every --help example runs, in order, in a fresh folder ---------------------------------


def _examples(epilog: str) -> list[list[str]]:
    """The commands of an ``Examples:`` epilog: continuations joined, comments dropped."""
    text = epilog.split("Examples:", 1)[1].replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in text.splitlines():
        current: list[str] = []
        for token in shlex.split(line, comments=True):
            if token == "&&":
                commands.append(current)
                current = []
            else:
                current.append(token)
        if current:
            commands.append(current)
    return commands


def _subcommand(args: list[str]) -> click.Command:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, args[0])
    if isinstance(command, click.Group) and len(args) > 1:
        command = command.get_command(ctx, args[1]) or command
    return command


def _fast(args: list[str]) -> list[str]:
    """``args`` with no bootstrap resampling, so the test stays fast (options stay as shown)."""
    takes_bootstrap = any("--bootstrap" in p.opts for p in _subcommand(args).params)
    if "--bootstrap" in args:
        at = args.index("--bootstrap") + 1
        return [*args[:at], "0", *args[at + 1 :]]
    return [*args, "--bootstrap", "0"] if takes_bootstrap else args


def _epilogs() -> list:
    names = sorted(cli.list_commands(click.Context(cli)))
    params = [pytest.param("", cli.epilog, id="emergence")]
    for name in names:
        command = cli.get_command(click.Context(cli), name)
        params.append(pytest.param(name, command.epilog, id=name))
    return params


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(("name", "epilog"), _epilogs())
def test_help_examples_run_in_order_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, epilog: str
) -> None:
    bundled = REPO / "benchmarks_data"
    (tmp_path / "benchmarks_data").symlink_to(bundled, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    before = _tree(bundled)
    examples = _examples(epilog)
    assert examples
    for example in examples:
        assert example[0] == "emergence", example
        result = CliRunner().invoke(cli, ["--quiet", *_fast(example[1:])])
        assert result.exit_code == 0, (shlex.join(example), result.output)
    assert _tree(bundled) == before  # nothing written into the bundled data


# -- 6. table output: blank missing cells; summary counts pairs as pairs -----------------------


def test_table_prints_missing_values_as_blank_cells() -> None:
    frame = pd.DataFrame(
        {
            "replicates": pd.array([3, None], dtype="Int64"),
            "label": pd.array(["a", None], dtype="string"),
            "note": ["x", None],
            "value": [1.5, float("nan")],
        }
    )
    table = output.render_frame(frame, "table")
    for token in ("<NA>", "None", "NaN", "nan"):
        assert token not in table, table
    assert output.render_frame(frame, "csv") == "replicates,label,note,value\n3,a,x,1.5\n,,,\n"


def test_summary_counts_tasks_and_family_task_pairs(tmp_path: Path) -> None:
    scores = tmp_path / "s.csv"
    scores.write_text(
        "family,model,params,task,metric,value\n"
        "f,a,1e9,t,acc,0.5\ng,b,1e9,t,acc,0.6\ng,b,1e9,u,acc,0.6\n"
    )
    result = _run("summary", scores)
    assert result.exit_code == 0, result.output
    assert "2 task(s) in 3 family-task pair(s)" in result.stdout


# -- 7. "wrote ..." goes to stderr for every command; stdout stays machine-readable -------------


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["summary", LOSSES], "x.csv"),
        (["fit", "chinchilla", LOSSES, "--bootstrap", "0"], "x.json"),
        (["report", LOSSES, "--bootstrap", "0"], "x.html"),
    ],
)
def test_wrote_message_is_on_stderr(tmp_path: Path, command: list, name: str) -> None:
    dest = tmp_path / name
    result = _run(*command, "-o", dest)
    assert result.exit_code == 0, result.output
    assert f"wrote {dest}" in result.stderr
    assert "wrote" not in result.stdout


def test_detect_rescore_and_simulate_write_their_message_on_stderr(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    result = _run("simulate", sim, *SMALL_SIM)
    assert result.exit_code == 0 and "wrote" in result.stderr and not result.stdout
    for command in ("detect", "rescore"):
        dest = tmp_path / f"{command}.csv"
        result = _run(command, sim / "items.jsonl", "--bootstrap", "0", "-o", dest)
        assert result.exit_code == 0, result.output
        assert f"wrote {dest}" in result.stderr and "wrote" not in result.stdout


# -- review of 2026-11-24: bad paths are one line; rescore needs no sizes --------------------


@pytest.mark.parametrize(
    "args",
    [
        ["rescore", "no-such-folder"],
        ["detect", str(LOSSES), "--sizes", "no-such-sizes.csv"],
        ["report", str(LOSSES), "-o", "."],
        ["detect", str(LOSSES), "--format", "xml"],
    ],
)
def test_a_bad_path_or_option_value_is_one_error_line(args: list, tmp_path: Path,
                                                      monkeypatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = _run(*args)
    _one_error_line(result, "Invalid value")
    assert sorted(os.listdir(tmp_path)) == []


def test_rescore_needs_no_model_sizes(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    rows = [{"family": "f", "model": f"mystery-{m}", "task": "t", "item": str(i),
             "target": "a", "output": "a" if i % 2 else "b"}
            for m in range(2) for i in range(4)]  # fmt: skip
    pd.DataFrame(rows).to_json(items, orient="records", lines=True)
    out = tmp_path / "scores.csv"
    result = _run("rescore", items, "--bootstrap", "0", "-o", out)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    em = scores[scores.metric == "exact_match"]
    assert len(em) == 2 and em.params.isna().all() and (em.value == 0.5).all()
    # detect still needs them, and says so
    assert "no parameter count" in _one_error_line(_run("detect", items), "mystery-0")


def test_rescore_of_losses_only_is_an_error_not_an_empty_table(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    _one_error_line(_run("rescore", LOSSES, "-o", out), "no item-level results or scores")
    assert not out.exists()


def test_a_format_the_output_suffix_contradicts_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    _one_error_line(_run("summary", LOSSES, "-o", out, "--format", "csv"), "--format csv")
    assert not out.exists()
    # agreeing (or left at its default) is fine
    assert _run("summary", LOSSES, "-o", out, "--format", "json").exit_code == 0
    assert _run("summary", LOSSES, "-o", tmp_path / "s.csv").exit_code == 0


def test_fit_format_and_output_suffix(tmp_path: Path) -> None:
    runs = REPO / "benchmarks_data" / "trained" / "losses.csv"
    for fmt, name in (("table", "fit.txt"), ("json", "fit.json")):
        result = _run("fit", "power-law", runs, "--x", "params", "--tokens", "3e6", "--format",
                      fmt, "-o", tmp_path / name)  # fmt: skip
        assert result.exit_code == 0, result.output
    out = tmp_path / "wrong.txt"
    bad = _run("fit", "power-law", runs, "--x", "params", "--tokens", "3e6", "--format", "json",
               "-o", out)  # fmt: skip
    _one_error_line(bad, "--format json does not match")
    assert not out.exists()
