"""``emergence simulate``: write simulated families with known truth."""

from __future__ import annotations

from pathlib import Path

import click

from .common import SEED, Integer


@click.command(
    epilog="""\b
Examples:
  emergence simulate reports/sim/ --seed 1
  emergence simulate reports/sim5/ --seed 2 --families 5 --items 100 300
  emergence simulate reports/sim/ --seed 3 --force   # replace the files of the first run
"""
)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@click.option(
    "--families",
    type=Integer(1, 26),
    default=3,
    show_default=True,
    help="Number of model families.",
)
@click.option(
    "--tasks-per-class",
    type=Integer(1, 50),
    default=2,
    show_default=True,
    help="Tasks of each class (mirage, threshold, smooth) per family.",
)
@click.option(
    "--scales",
    type=(Integer(5, 40), Integer(5, 40)),
    metavar="MIN MAX",
    default=(5, 15),
    show_default=True,
    help="Range of the number of model sizes per family (5 <= MIN <= MAX <= 40).",
)
@click.option(
    "--items",
    type=(Integer(1, 100000), Integer(1, 100000)),
    metavar="MIN MAX",
    default=(50, 500),
    show_default=True,
    help="Range of the number of items per task (1 <= MIN <= MAX <= 100000).",
)
@click.option(
    "--items-format",
    type=click.Choice(["jsonl", "parquet"]),
    default="jsonl",
    show_default=True,
    help="File format of the items table.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace items.jsonl/items.parquet, losses.csv and truth.csv already in OUT_DIR "
    "(other files there are never touched).",
)
def simulate(
    out_dir: Path,
    seed: int,
    families: int,
    tasks_per_class: int,
    scales: tuple[int, int],
    items: tuple[int, int],
    items_format: str,
    force: bool,
) -> None:
    """Write simulated model families with known truth into OUT_DIR, to try the tool on.

    OUT_DIR gets items.jsonl (items.parquet with --items-format parquet): every model's answer
    to every item; losses.csv: the models' training losses; truth.csv: each task's true class
    and the parameters it was drawn with.

    Tasks are Schaeffer-style mirages (smooth per-token cross-entropy, exact match ~ p^L),
    genuine thresholds (the per-token probability itself jumps at N*) and smooth single-token
    tasks. The same seed and options give byte-identical files. Files already in OUT_DIR are
    never replaced without --force.
    """
    from ..errors import InputError
    from ..simulate import check_simulation_dir, write_simulation
    from ..simulate import simulate as run

    for option, (low, high) in (("--scales", scales), ("--items", items)):
        if low > high:
            raise InputError(f"{option} {low} {high}: expected MIN MAX with MIN <= MAX")
    check_simulation_dir(out_dir, items_format, force=force)  # a bad folder fails at once
    sim = run(
        seed=seed, n_families=families, tasks_per_class=tasks_per_class, scales=scales, items=items
    )
    for path in write_simulation(sim, out_dir, items_format, force=force):
        click.echo(f"wrote {path}", err=True)
