"""Options and output handling shared by the subcommands."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InputError

if TYPE_CHECKING:
    from ..metrics.text import Normalisation

F = Callable[..., Any]
INPUTS_KEY = "emergence.inputs"
#: The folders named as inputs: no file already in them is replaced by ``-o``.
INPUT_FOLDERS_KEY = "emergence.input_folders"


class Integer(click.IntRange):
    """An integer in a range, shown as ``N`` in the help.

    Click's ``IntRange`` shows ``INTEGER RANGE``, which reads as if a range were expected, and
    calls ``abc`` "not a valid integer range".
    """

    name = "integer"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "N"


class Number(click.FloatRange):
    """A real number in a range, shown as ``X`` in the help (click's ``FloatRange`` shows
    ``FLOAT RANGE``); the help's range is written in ``x``, as in ``[0<x<1]``."""

    name = "number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "X"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:  # NaN compares false with both bounds, so no range refuses it
            self.fail(f"{value!r} is not a number in the range {self._describe_range()}.",
                      param, ctx)  # fmt: skip
        return number


class OutputFile(click.Path):
    """An output file path (``-o``); an empty one is refused, not read as the folder ``.``."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail(f"expected a file name, got {value!r}", param, ctx)
        return super().convert(value, param, ctx)


SEED = Integer(min=0)  # numpy's generators take no negative seed


def parse_renames(values: tuple[str, ...]) -> dict[str, str]:
    """Turn ``("Model Size=params", ...)`` into ``{"Model Size": "params"}``."""
    mapping = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise InputError(f"--rename {value!r}: expected OLD=NEW")
        mapping[old] = new
    return mapping


def remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Option callback keeping ``value`` as ``ctx.meta["emergence.<name>"]``: for options not
    passed to the command but read where they apply (sizes by :func:`load_inputs`)."""
    ctx.meta[f"emergence.{param.name}"] = value
    return value


def size_options(func: F) -> F:
    """``--sizes``, ``--sizes-from-names`` and ``--size-kind`` (read by :func:`load_inputs`)."""
    from ..schema import PARAMS_KINDS

    func = click.option(
        "--size-kind",
        type=click.Choice(PARAMS_KINDS),
        default=None,
        expose_value=False,
        callback=remember,
        help="Which parameter count to use when the inputs give several for a model "
        "(e.g. total and non_embedding).",
    )(func)
    func = click.option(
        "--sizes-from-names",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Read nominal sizes from model names (pythia-410m, Llama-2-7b) where none is given.",
    )(func)
    func = click.option(
        "--sizes",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=remember,
        help="Model sizes, overriding those in the inputs: a CSV with columns model and params "
        '(optionally kind, family) or a JSON object {"model": params}.',
    )(func)
    return func


def load_inputs(
    paths: tuple[Path, ...] | list[Path],
    input_format: str | None = None,
    renames: tuple[str, ...] = (),
    *,
    allow_missing_params: bool = False,
):
    """Load PATHS with the command line's input and size options.

    Parameters
    ----------
    paths, input_format, renames
        As given by :func:`input_options`.
    allow_missing_params : bool
        Accept models without a size (``emergence summary``); otherwise a model without a size
        stops the command with the list of such models.

    Returns
    -------
    emergence.load.Tables
    """
    from ..load import load
    from ..load.registry import warn_loaded

    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    if ctx is not None:
        check_writable_output(ctx.params.get("output"))  # before the (possibly long) work
        check_format_agrees(ctx.params.get("output"))
    tables = load(
        list(paths),
        format=input_format,
        rename=parse_renames(renames),
        sizes=meta.get("emergence.sizes"),
        sizes_from_names=bool(meta.get("emergence.sizes_from_names")),
        size_kind=meta.get("emergence.size_kind"),
        allow_missing_params=allow_missing_params,
        warn=False,  # below, once -o is known good: an error stays the only line
    )
    if ctx is not None:
        sizes = meta.get("emergence.sizes")
        named = [p for p in paths if Path(p).is_file()]
        meta[INPUTS_KEY] = (*tables.sources, *map(str, named), *([str(sizes)] if sizes else []))
        meta[INPUT_FOLDERS_KEY] = tuple(str(p) for p in paths if Path(p).is_dir())
        # refuse a bad -o now rather than after a long analysis
        check_output(ctx.params.get("output"))
    warn_loaded(tables)
    return tables


def _same_file(a: Path, b: Path) -> bool:
    """Same file by resolved path (symlinks, ``..``) or by inode (hard links)."""
    try:
        if a.resolve() == b.resolve():
            return True
        return os.path.samefile(a, b)
    except (OSError, RuntimeError):  # one does not exist (yet), or a link loop
        return False


def _inside_folder(output: Path, folder: Path) -> bool:
    """Whether ``output`` lies in ``folder`` or below it.

    Compared by the folders' identity (device and inode), not by spelling: a case-insensitive
    file system (macOS, Windows) reaches ``Results/`` as ``results/``. Both where the write
    lands (the link itself is replaced, not its target) and the path as spelled (a folder the
    walk reached through a link) are checked.
    """
    try:
        target = os.stat(folder)
    except OSError:
        return False
    for parent in (output.parent.resolve(), Path(os.path.abspath(output)).parent):
        for ancestor in (parent, *parent.parents):
            try:
                if os.path.samestat(os.stat(ancestor), target):
                    return True
            except OSError:
                continue
    return False


def check_writable_output(output: Path | None) -> None:
    """Refuse an ``-o`` that cannot be written: a folder, under a file or an unwritable folder.

    Called before loading, so the error comes at once rather than after the analysis.
    """
    from ..output import check_writable

    if output is not None:
        check_writable(output)


#: The ``--format`` each ``-o`` suffix is written in (``.txt``: a fit's table).
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".txt": "table"}


def check_format_agrees(output: Path | None) -> None:
    """Refuse a ``--format`` given on the command line that the ``-o`` suffix contradicts.

    A file's format follows its suffix; ``--format csv -o v.json`` would otherwise write JSON
    without a word.
    """
    ctx = click.get_current_context(silent=True)
    if output is None or ctx is None or "fmt" not in ctx.params:
        return
    if ctx.get_parameter_source("fmt") is not click.core.ParameterSource.COMMANDLINE:
        return
    fmt, suffix = ctx.params["fmt"], Path(output).suffix.lower()
    if SUFFIX_FORMATS.get(suffix) != fmt:
        raise InputError(
            f"--format {fmt} does not match -o {output}: a file is written in the format of its "
            "suffix; drop --format or change the suffix"
        )


def check_output(output: Path | None, inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse an ``-o`` that is one of the inputs (data or ``--sizes`` file), that would
    replace a file already inside an input folder, or that is not writable.

    Inputs are never modified. A folder's files that no format reads (a run's manifest, a
    ground-truth table, notes) are the user's too: ``-o`` may add a file to an input folder,
    or replace an earlier output of emergence there (a report, a fit, a ``detect`` or
    ``summary`` table: :func:`emergence.load.skipped.rewritable_output`), but not replace
    another file. ``inputs`` adds to the files :func:`load_inputs` recorded.
    """
    if output is None:
        return
    check_writable_output(output)
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    output = Path(output)
    for source in (*meta.get(INPUTS_KEY, ()), *inputs):
        if _same_file(output, Path(source)):
            raise InputError(
                f"-o {output}: that is one of the input files; inputs are never modified"
            )
    if not (output.exists() or output.is_symlink()):
        return
    from ..load.skipped import rewritable_output

    for folder in meta.get(INPUT_FOLDERS_KEY, ()):
        # inside first: telling an earlier output apart reads (and may parse) the file
        inside = _inside_folder(output, Path(folder))
        if inside and (output.is_symlink() or not rewritable_output(output)):
            raise InputError(
                f"-o {output}: that file is already inside the input folder {folder} and is "
                "not an earlier output of emergence; inputs are never modified (write the "
                "output elsewhere, or move that file out first)"
            )


def check_outside_input_folders(output: Path | None, why: str) -> None:
    """Refuse an ``-o`` inside an input folder, for an output the next run on that folder
    would read as data (``why`` says what then goes wrong)."""
    if output is None:
        return
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    for folder in meta.get(INPUT_FOLDERS_KEY, ()):
        if _inside_folder(Path(output), Path(folder)):
            raise InputError(
                f"-o {output}: that is inside the input folder {folder}, where {why}; "
                "write it elsewhere"
            )


MIN_BOOTSTRAP = 50


class Resamples(click.ParamType):
    """A number of bootstrap resamples: 0 (no bootstrap) or at least ``minimum``.

    Not an ``IntRange``: its help would show ``x>=0`` although 1 to ``minimum - 1`` are
    refused; the accepted values are named in the option's help instead (:func:`resamples_help`).
    """

    name = "integer"

    def __init__(self, minimum: int) -> None:
        self.minimum = minimum

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        number = click.INT.convert(value, param, ctx)
        if number != 0 and number < self.minimum:
            self.fail(
                f"expected 0 (no bootstrap) or at least {self.minimum} resamples, got {number}",
                param,
                ctx,
            )
        return number


BOOTSTRAP = Resamples(MIN_BOOTSTRAP)


def resamples_help(text: str, kind: Resamples = BOOTSTRAP, none: str = "none") -> str:
    """``text`` followed by the values ``kind`` accepts, for an option's help."""
    return f"{text} N is 0 ({none}) or at least {kind.minimum}."


def input_options(func: F) -> F:
    """``PATH...`` (at least one), ``--input-format``, ``--rename`` and the size options."""
    func = source_options(func)
    func = click.argument(
        "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
    )(func)
    return func


def source_options(func: F) -> F:
    """``--input-format``, ``--rename`` and the size options: how the inputs are read."""
    func = size_options(func)
    func = click.option(
        "--rename",
        "renames",
        multiple=True,
        metavar="OLD=NEW",
        help="Rename column OLD to NEW in emergence's own .csv/.jsonl/.parquet tables before "
        "reading, to match the schema's names (repeatable).",
    )(func)
    func = click.option(
        "--input-format",
        default=None,
        metavar="NAME",
        help="Force an input format instead of detecting it (see `emergence formats`).",
    )(func)
    return func


def _frame_suffix(ctx: click.Context, param: click.Parameter, value: Path | None):
    """Refuse an ``-o`` suffix :func:`emergence.output.write_frame` cannot write, before any
    work (it was refused only when the result was written)."""
    from ..output import unsupported_frame_suffix

    why = None if value is None else unsupported_frame_suffix(value)
    if why:
        raise InputError(why)
    return value


def output_options(func: F) -> F:
    """``--format table|csv|json`` and ``-o/--output``."""
    func = click.option(
        "-o",
        "--output",
        type=OutputFile(),
        default=None,
        callback=_frame_suffix,
        help="Write to this file (.csv, .json, .jsonl or .parquet) instead of stdout.",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "json"]),
        default="table",
        show_default=True,
        help="Format of the result on stdout. With -o the file's suffix sets the format "
        "(a --format that differs is an error).",
    )(func)
    return func


def emit_frame(frame, fmt: str, output: Path | None, inputs: tuple[str, ...] = ()) -> None:
    """Print ``frame`` in ``fmt``, or write it atomically to ``output``.

    ``inputs`` are the files that were read: writing over one of them is refused, since inputs
    are never modified.
    """
    from ..output import render_frame, write_frame

    check_output(output, inputs)  # (load_inputs already checked --format against -o)
    if output is not None:
        try:
            write_frame(frame, output)
        except ValueError as err:
            raise InputError(str(err)) from None
        click.echo(f"wrote {output}", err=True)
        return
    click.echo(render_frame(frame, fmt), nl=False)


NORMALISE_OPTIONS = ("strip", "casefold", "whitespace", "nfc", "nfkc")


def option_list(value: str | None, option: str, what: str) -> list[str] | None:
    """The comma-separated names of ``option`` (None when not given); empty is an error."""
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise InputError(f"{option}: expected a comma-separated list of {what}")
    return names


def parse_normalisation(value: str | None) -> Normalisation | None:
    """The :class:`~emergence.metrics.text.Normalisation` a ``--normalise`` value names (None
    when not given)."""
    if value is None:
        return None
    from ..metrics.text import Normalisation

    what = f"options ({', '.join(NORMALISE_OPTIONS)})"
    opts = set(option_list(value, "--normalise", what) or [])
    unknown = sorted(opts - set(NORMALISE_OPTIONS))
    if unknown:
        raise InputError(
            f"--normalise: unknown option '{unknown[0]}'; expected {', '.join(NORMALISE_OPTIONS)}"
        )
    if {"nfc", "nfkc"} <= opts:
        raise InputError("--normalise: choose one of nfc and nfkc (nfkc includes nfc)")
    form = "NFKC" if "nfkc" in opts else "NFC" if "nfc" in opts else None
    return Normalisation(
        strip="strip" in opts,
        casefold="casefold" in opts,
        collapse_whitespace="whitespace" in opts,
        unicode_form=form,
    )


def normalise_spelling(norm: Normalisation | None) -> str | None:
    """The canonical ``--normalise`` value that gives ``norm`` back (None for strict)."""
    return ",".join(norm.option_names) if norm is not None and norm.active else None


def normalise_option(func: F) -> F:
    """``--normalise OPTS``, parsed into ``normalisation`` (a Normalisation, or None)."""
    return click.option(
        "--normalise",
        "normalisation",
        default=None,
        metavar="OPTS",
        callback=lambda ctx, param, value: parse_normalisation(value),
        help="exact_match normalisation, comma-separated: strip, casefold, whitespace "
        "(collapse runs of whitespace), nfc or nfkc (Unicode normalisation form: nfc makes "
        "canonically equivalent spellings such as precomposed and decomposed accents equal). "
        "Default: strict equality of code points.",
    )(func)
