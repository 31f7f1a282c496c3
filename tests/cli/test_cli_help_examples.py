"""Every ``Examples:`` block of ``--help`` runs, in order, in a fresh folder."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import REPO, help_examples

from emergence.cli import cli


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
    examples = help_examples(epilog)
    assert examples
    for example in examples:
        assert example[0] == "emergence", example
        result = CliRunner().invoke(cli, ["--quiet", *_fast(example[1:])])
        assert result.exit_code == 0, (shlex.join(example), result.output)
    assert _tree(bundled) == before  # nothing written into the bundled data
