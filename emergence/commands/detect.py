"""``emergence detect``: genuine threshold or metric mirage, per (family, task)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import (
    BOOTSTRAP,
    SEED,
    Number,
    emit_frame,
    input_options,
    load_inputs,
    normalise_option,
    output_options,
    resamples_help,
)

if TYPE_CHECKING:
    from ..metrics.text import Normalisation


@click.command(
    epilog="""\b
Examples:
  emergence detect benchmarks_data/simulated
  emergence detect benchmarks_data/trained -o reports/verdicts.csv --alpha 0.1 --seed 7
  # from an aggregate score table
  emergence rescore benchmarks_data/trained -o reports/scores.csv && emergence detect \\
      reports/scores.csv --format csv
"""
)
@input_options
@output_options
@click.option(
    "--alpha",
    type=Number(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Benjamini-Hochberg false-discovery rate across tasks; also the level of the "
    "item split and of the power rule (power against the pre-registered jump, and its upper "
    "bound), so a larger value also makes 'no break' easier to accept.",
)
@click.option(
    "--seed", type=SEED, default=0, show_default=True,
    help="Seed of the item bootstrap, the item split and the Monte Carlo null.",
)  # fmt: skip
@click.option(
    "--bootstrap",
    "n_boot",
    type=BOOTSTRAP,
    default=500,
    show_default=True,
    help=resamples_help(
        "Item-bootstrap replicates for the breakpoint interval.", none="bracketing scales"
    ),
)
@normalise_option
def detect(
    paths: tuple[Path, ...],
    input_format: str | None,
    renames: tuple[str, ...],
    fmt: str,
    output: Path | None,
    alpha: float,
    seed: int,
    n_boot: int,
    normalisation: Normalisation | None,
) -> None:
    """Label each (family, task) in PATHS: threshold, mirage, smooth, underpowered, ambiguous.

    Step 1 asks whether the discontinuous metric (exact match or multiple-choice grade) looks
    emergent; step 2 tests the linearised continuous companion (log-probs, edit distance or
    Brier) for a sharp upward break, with Benjamini-Hochberg across tasks, and checks whether
    p^L (the per-token probability of the target raised to the answer length L, the exact match
    a smooth per-token improvement would give) reproduces the jump. Items are rescored internally;
    aggregate score tables are used as they are. One row per task; the `note` column says why,
    and says so where exact match disagrees with the grading the source recorded (--normalise).
    """
    from ..detect.tables import detect as run

    tables = load_inputs(paths, input_format, renames)
    result = run(tables, alpha=alpha, seed=seed, bootstrap=n_boot, normalisation=normalisation)
    emit_frame(result.verdicts, fmt, output, tables.sources)
