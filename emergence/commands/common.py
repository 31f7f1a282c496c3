"""Options and output handling shared by the subcommands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import InputError

F = Callable[..., Any]


def parse_renames(values: tuple[str, ...]) -> dict[str, str]:
    """Turn ``("Model Size=params", ...)`` into ``{"Model Size": "params"}``."""
    mapping = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise InputError(f"--rename {value!r}: expected OLD=NEW")
        mapping[old] = new
    return mapping


def input_options(func: F) -> F:
    """``PATH...``, ``--input-format`` and ``--rename`` for commands that read data."""
    func = click.option(
        "--rename",
        "renames",
        multiple=True,
        metavar="OLD=NEW",
        help="Rename a column of native files before reading (repeatable).",
    )(func)
    func = click.option(
        "--input-format",
        default=None,
        metavar="NAME",
        help="Force an input format instead of detecting it (see `emergence formats`).",
    )(func)
    func = click.argument(
        "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
    )(func)
    return func


def output_options(func: F) -> F:
    """``--format table|csv|json`` and ``-o/--output``."""
    func = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write to this file (.csv, .json, .jsonl or .parquet) instead of stdout.",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="How to print the result on stdout.",
    )(func)
    return func


def emit_frame(frame, fmt: str, output: Path | None) -> None:
    """Print ``frame`` in ``fmt``, or write it atomically to ``output``."""
    from ..output import render_frame, write_frame

    if output is not None:
        try:
            write_frame(frame, output)
        except ValueError as err:
            raise InputError(str(err)) from None
        click.echo(f"wrote {output}", err=True)
        return
    click.echo(render_frame(frame, fmt), nl=False)
