"""``-o`` files: the suffix sets the format, a bad destination is refused before loading, writes
are all-or-nothing and name the destination, and "wrote ..." goes to stderr."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from cli_runs import one_error_line, run

from emergence import output

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "cli-inputs"
LOSSES = FIXTURES / "losses.csv"
SMALL_SIM = ["--families", "1", "--items", "20", "30", "--scales", "5", "5"]


def test_simulate_with_one_unwritable_destination_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    assert run("simulate", out, "--seed", "1", *SMALL_SIM).exit_code == 0
    (out / "truth.csv").unlink()
    (out / "truth.csv").mkdir()  # the last file cannot be written
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = run("simulate", out, "--seed", "2", *SMALL_SIM, "--force")
    line = one_error_line(result, "truth.csv")
    assert ".tmp" not in line
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == ["items.jsonl", "losses.csv", "truth.csv"]


def test_simulate_into_a_fresh_folder_with_a_blocked_name_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "part"
    (out / "truth.csv").mkdir(parents=True)
    line = one_error_line(run("simulate", out, "--seed", "1", "--force"), "truth.csv")
    assert ".tmp" not in line
    assert [p.name for p in out.iterdir()] == ["truth.csv"]


def test_a_failed_write_names_the_destination_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(prefix: str = "", suffix: str = "", dir: str | None = None) -> None:  # noqa: A002
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/{prefix}abc{suffix}")

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    dest = tmp_path / "s.csv"
    line = one_error_line(run("summary", LOSSES, "-o", dest), f"{dest}: Permission denied")
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
    result = run(*command, "-o", blocker / name)
    one_error_line(result, f"{blocker}: is a file, not a directory")
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
        result = run("report", LOSSES, "-o", locked / "new" / "r.html")
    finally:
        locked.chmod(0o755)
    one_error_line(result, f"{locked}: this folder is not writable")


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
    result = run(*command, "-o", dest)
    assert result.exit_code == 0, result.output
    assert f"wrote {dest}" in result.stderr
    assert "wrote" not in result.stdout


def test_detect_rescore_and_simulate_write_their_message_on_stderr(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    result = run("simulate", sim, *SMALL_SIM)
    assert result.exit_code == 0 and "wrote" in result.stderr and not result.stdout
    for command in ("detect", "rescore"):
        dest = tmp_path / f"{command}.csv"
        result = run(command, sim / "items.jsonl", "--bootstrap", "0", "-o", dest)
        assert result.exit_code == 0, result.output
        assert f"wrote {dest}" in result.stderr and "wrote" not in result.stdout


def test_a_format_the_output_suffix_contradicts_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    one_error_line(run("summary", LOSSES, "-o", out, "--format", "csv"), "--format csv")
    assert not out.exists()
    # agreeing (or left at its default) is fine
    assert run("summary", LOSSES, "-o", out, "--format", "json").exit_code == 0
    assert run("summary", LOSSES, "-o", tmp_path / "s.csv").exit_code == 0


def test_fit_format_and_output_suffix(tmp_path: Path) -> None:
    runs = REPO / "benchmarks_data" / "trained" / "losses.csv"
    for fmt, name in (("table", "fit.txt"), ("json", "fit.json")):
        result = run("fit", "power-law", runs, "--x", "params", "--tokens", "3e6", "--format",
                      fmt, "-o", tmp_path / name)  # fmt: skip
        assert result.exit_code == 0, result.output
    out = tmp_path / "wrong.txt"
    bad = run("fit", "power-law", runs, "--x", "params", "--tokens", "3e6", "--format", "json",
               "-o", out)  # fmt: skip
    one_error_line(bad, "--format json does not match")
    assert not out.exists()


def test_rescore_json_output_reads_back(tmp_path):
    out = tmp_path / "scores.json"
    assert run("rescore", REPO / "benchmarks_data" / "trained", "-o", out, "--bootstrap", 0
                ).exit_code == 0  # fmt: skip
    res = run("summary", out, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert "scores,tiny-gpt" in res.output


@pytest.mark.parametrize(
    ("command", "name", "said"),
    [
        (["summary", LOSSES], "x.txt", "x.txt: unsupported output suffix '.txt'; use .csv, "),
        (["detect", LOSSES], "x.html", "x.html: unsupported output suffix '.html'; use .csv"),
        (["rescore", LOSSES], "x.txt", "x.txt: unsupported output suffix '.txt'; use .csv, "),
        (["fit", "chinchilla", LOSSES], "x.csv", "x.csv: expected a .json or .txt file for a fit"),
    ],
)
def test_an_output_suffix_that_cannot_be_written_is_refused_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list, name: str, said: str
) -> None:
    # review: summary, rescore and detect refused it only when the result was written, after
    # the whole analysis
    import emergence.load

    def never(*args, **kwargs):
        raise AssertionError("the inputs were loaded before the -o check")

    monkeypatch.setattr(emergence.load, "load", never)
    result = run(*command, "-o", tmp_path / name)
    one_error_line(result, said)
    assert not (tmp_path / name).exists()


def test_replacing_an_output_keeps_its_permissions(tmp_path: Path) -> None:
    private, fresh = tmp_path / "private.csv", tmp_path / "fresh.csv"
    private.write_text("old\n")
    private.chmod(0o600)
    assert run("summary", REPO / "benchmarks_data" / "trained", "-o", private).exit_code == 0
    assert run("summary", REPO / "benchmarks_data" / "trained", "-o", fresh).exit_code == 0
    # before: the temporary file's mode was set to the umask default, so a private file
    # became world-readable when an output replaced it
    assert private.stat().st_mode & 0o777 == 0o600
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    assert private.read_bytes() == fresh.read_bytes()
