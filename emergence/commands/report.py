"""``emergence report``: the main job. Analyse, write the HTML report, summarise the verdicts."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import InputError
from .common import (
    BOOTSTRAP,
    SEED,
    Integer,
    Number,
    OutputFile,
    check_output,
    load_inputs,
    normalise_option,
    normalise_spelling,
    resamples_help,
    source_options,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.task_counts import TaskCounts
    from ..metrics.text import Normalisation

DEFAULT_DATA = "benchmarks_data"
DEFAULT_OUTPUT = Path("reports") / "emergence-report.html"
SUMMARY_ROWS = 20


def default_data() -> Path:
    """``benchmarks_data/`` in the current folder, else the one in the repository checkout."""
    here = Path(DEFAULT_DATA)
    if here.is_dir():
        return here
    checkout = Path(__file__).resolve().parents[2] / DEFAULT_DATA
    if checkout.is_dir():
        return checkout
    raise InputError(
        f"no PATH given and no {DEFAULT_DATA}/ folder here: the demo data lives in the "
        "repository, so run `emergence report` from the repository root (or name the files "
        "or folders to analyse)"
    )


def _display(path: Path) -> str:
    """A path relative to the current folder when it lies below it (shorter, portable)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def command_line(
    paths: list[Path], output: Path, title: str | None, seed: int, n_boot: int, alpha: float,
    input_format: str | None, renames: tuple[str, ...], sizes: dict | None = None,
    normalise: str | None = None,
) -> str:  # fmt: skip
    """The explicit command that reproduces a report (every setting spelled out).

    ``paths`` are the data read: those the user named, or the default data found when none was
    named (spelled out, so the command reads the same folder from anywhere).
    """
    args = ["emergence", "report", *(_display(p) for p in paths), "-o", str(output)]
    # repr: the shortest text that reads back as the same float (0.0500000001 stays exact)
    args += ["--seed", str(seed), "--bootstrap", str(n_boot), "--alpha", repr(float(alpha))]
    if title is not None:
        args += ["--title", title]
    if input_format is not None:
        args += ["--input-format", input_format]
    for r in renames:
        args += ["--rename", r]
    if normalise is not None:
        args += ["--normalise", normalise]
    sizes = sizes or {}
    if sizes.get("sizes") is not None:
        args += ["--sizes", _display(Path(sizes["sizes"]))]
    if sizes.get("sizes_from_names"):
        args.append("--sizes-from-names")
    if sizes.get("size_kind") is not None:
        args += ["--size-kind", sizes["size_kind"]]
    return shlex.join(args)


def summary_text(
    verdicts: pd.DataFrame,
    counts: TaskCounts | None = None,
    alpha: float | None = None,
    report: Path | str | None = None,
    limit: int | None = None,
) -> str:
    """A one-screen summary: counts per verdict and the verdict rows that matter most.

    The rows are ranked by :func:`emergence.analysis.rank_verdicts` (thresholds and mirages
    first, then the others, each by q-value); past ``limit`` rows the summary says so, how
    many rows of each verdict it left out and where the full table is.

    Parameters
    ----------
    verdicts : pandas.DataFrame
        :attr:`emergence.analysis.Analysis.verdicts`.
    counts : emergence.analysis.TaskCounts, optional
        The input's tasks: with none (losses only) the summary says so rather than that no
        task could be tested; where tasks are split into subtasks or shot counts it says how
        many tasks the pairs are over, as ``emergence summary`` does.
    alpha : float, optional
        The false-discovery rate: q-values get the digits that keep them off it, as in the
        report.
    report : path-like, optional
        The HTML report written, named as the place of the full table.
    limit : int, optional
        Rows shown at most (default :data:`SUMMARY_ROWS`).

    Returns
    -------
    str
    """
    from ..analysis.verdicts import rank_verdicts, reported_breakpoints, verdict_counts
    from ..output import render_frame
    from ..report.html import fmt_p, is_missing
    from ..report.style import size_label

    if verdicts.empty:
        if counts is not None and counts.pairs == 0:
            return "no tasks in the input: the report has the scaling-law fits only\n"
        return "no family and task could be tested (no exact match or multiple-choice grade)\n"
    line = ", ".join(f"{n} {k}" for k, n in verdict_counts(verdicts).items())
    limit = SUMMARY_ROWS if limit is None else limit
    ranked = rank_verdicts(verdicts)
    top = ranked.head(limit)
    shown = top[["family", "task", "verdict"]].copy()
    shown["q"] = ["" if is_missing(q) else fmt_p(q, alpha) for q in top["q_value"]]
    shown["breakpoint"] = [size_label(bp) for bp in reported_breakpoints(top)["params"]]
    over = f" over {counts.tasks_text()}" if counts is not None and counts.split else ""
    # every pair of the input gets a verdict; should one not, the line says so
    of = f" of {counts.pairs}" if counts is not None and counts.pairs != len(verdicts) else ""
    pairs = "family-task pair" + ("" if len(verdicts) == 1 and not of else "s")
    text = f"{len(verdicts)}{of} {pairs}{over}: {line}\n"
    left = ranked.iloc[limit:]
    if left.empty:
        return text + "\n" + render_frame(shown, "table", float_format="{:.3g}")
    if verdicts["verdict"].isin(["threshold", "mirage"]).any():
        text += (
            f"The {len(top)} of {len(verdicts)} rows that matter most: thresholds and mirages "
            "first, then the others, each by q-value\n"
        )
    else:  # nothing to put first
        text += (
            f"The first {len(top)} of {len(verdicts)} rows by q-value (no thresholds or "
            "mirages)\n"
        )
    text += render_frame(shown, "table", float_format="{:.3g}")
    where = "the report's Verdicts table" if report is None else f"the Verdicts table of {report}"
    by_verdict = ", ".join(f"{n} {k}" for k, n in verdict_counts(left).items())
    rows = "row" if len(left) == 1 else "rows"
    return text + f"... and {len(left)} more {rows} not shown ({by_verdict}): all are in {where}\n"


@click.command(
    epilog="""\b
Examples:
  emergence report                                  # bundled demo data -> reports/
  emergence report benchmarks_data/trained -o reports/trained.html --title "Tiny GPT suite"
  emergence report benchmarks_data/simulated/items.parquet benchmarks_data/simulated/losses.csv \\
      -o reports/simulated.html --seed 7 --bootstrap 2000
"""
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o", "--output", type=OutputFile(), default=DEFAULT_OUTPUT,
    show_default=True, help="Where to write the HTML report.",
)  # fmt: skip
@click.option(
    "--title", default=None,
    help='Title of the report  [default: "Emergent abilities: genuine thresholds or metric '
    'mirages?"]',
)  # fmt: skip
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of every bootstrap.")
@click.option(
    "--bootstrap", "n_boot", type=BOOTSTRAP, default=1000, show_default=True,
    help=resamples_help("Bootstrap resamples (score bands, breakpoint and scaling-law "
                        "intervals)."),
)  # fmt: skip
@click.option(
    "--alpha", type=Number(0, 1, min_open=True, max_open=True), default=0.05,
    show_default=True,
    help="Benjamini-Hochberg false-discovery rate across tasks for the verdicts, as in "
    "`emergence detect --alpha`.",
)  # fmt: skip
@click.option(
    "--jobs", type=Integer(min=1), default=None,
    help="Worker processes for the scaling-law bootstrap (default: all available cores); "
    "the report does not depend on it.",
)  # fmt: skip
@normalise_option
@source_options
def report(
    paths: tuple[Path, ...],
    output: Path,
    title: str | None,
    seed: int,
    n_boot: int,
    alpha: float,
    jobs: int | None,
    input_format: str | None,
    renames: tuple[str, ...],
    normalisation: Normalisation | None,
) -> None:
    """Analyse PATHS and write one self-contained HTML report.

    Without PATHS the bundled benchmarks_data/ is analysed. The report holds what was read (with
    checksums), the verdict per family and task, the figures per task, the scaling-law fits and
    the methods; the same inputs and seed give a byte-identical file.
    """
    from ..analysis.inputs import file_digests
    from ..analysis.run_stages import analyse
    from ..report import write_report

    if output.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"-o {output}: the report is HTML; use a .html file name")
    inputs = list(paths) or [default_data()]
    tables = load_inputs(inputs, input_format, renames)
    analysis = analyse(tables, seed=seed, alpha=alpha, bootstrap=n_boot,
                       normalisation=normalisation, jobs=jobs)  # fmt: skip
    meta = click.get_current_context().meta
    sizes = {k: meta.get(f"emergence.{k}") for k in ("sizes", "sizes_from_names", "size_kind")}
    if sizes["sizes"]:  # it sets sizes and families: its checksum belongs with the data's
        analysis = dataclasses.replace(
            analysis, inputs=analysis.inputs + file_digests([str(sizes["sizes"])])
        )
    # the data actually read: without PATH, the default folder found (not "whatever
    # benchmarks_data/ the folder the command is rerun from holds")
    command = command_line(inputs, output, title, seed, n_boot, alpha, input_format, renames, sizes,
                           normalise_spelling(normalisation))  # fmt: skip
    check_output(output)  # never over an input or the --sizes file
    written = write_report(analysis, output, title=title, command=command)
    click.echo(f"wrote {written}", err=True)  # stdout holds only the summary
    click.echo(summary_text(analysis.verdicts, analysis.task_counts, alpha, written), nl=False)
