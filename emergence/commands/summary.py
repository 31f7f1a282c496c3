"""``emergence summary``: load and validate inputs, then say what was found."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd

from .common import emit_frame, input_options, load_inputs, output_options


def summarise(tables) -> pd.DataFrame:
    """One row per (table, family, model): size, tasks, items or metrics found.

    Parameters
    ----------
    tables : emergence.load.Tables
        Loaded tables.

    Returns
    -------
    pandas.DataFrame
        Columns ``table, family, model, params, params_kind, tasks, rows, metrics``; ``params`` is
        NaN for a model without a known size; ``tasks`` counts distinct task names (a task's
        subtasks and shot counts once). A loss table gives one row per family: its
        ``model`` says how many runs and which sizes and token counts they span, its ``params``
        is the smallest size.
    """
    rows = []
    for name in ("items", "scores"):
        frame = tables[name]
        if frame.empty:
            continue
        kind = (
            frame["params_kind"] if "params_kind" in frame else pd.Series(None, index=frame.index)
        )
        work = frame.assign(_kind=kind.astype(object), _params=frame["params"].astype(float))
        for (family, model), group in work.groupby(["family", "model"], sort=True):
            sizes = group["_params"].dropna().unique()
            kinds = group["_kind"].dropna().unique()
            if name == "items":
                metrics = ""
            else:
                metrics = "; ".join(sorted(group["metric"].unique()))  # lm-eval names hold commas
            rows.append(
                {
                    "table": name,
                    "family": family,
                    "model": model,
                    "params": float(sizes[0]) if len(sizes) else np.nan,
                    "params_kind": str(kinds[0]) if len(kinds) else None,
                    "tasks": int(group["task"].nunique()),
                    "rows": len(group),
                    "metrics": metrics,
                }
            )
    losses = tables.losses
    if not losses.empty:
        fam = losses["family"] if "family" in losses else pd.Series("", index=losses.index)
        for family, group in losses.groupby(fam.fillna(""), sort=True):
            rows.append(
                {
                    "table": "losses",
                    "family": family,
                    # one row per family: say which sizes the runs span (params is the least)
                    "model": _runs_label(group),
                    "params": float(group["params"].min()),
                    "params_kind": None,  # as rescore writes a size of unknown kind
                    "tasks": 0,
                    "rows": len(group),
                    "metrics": "loss",
                }
            )
    out = pd.DataFrame(
        rows,
        columns=["table", "family", "model", "params", "params_kind", "tasks", "rows", "metrics"],
    )
    order = out["table"].map({"items": 0, "scores": 1, "losses": 2})
    out = out.assign(_order=order).sort_values(
        ["_order", "family", "params", "model"], kind="stable"
    )
    return out.drop(columns="_order").reset_index(drop=True)


def _runs_label(group: pd.DataFrame) -> str:
    """"35 runs, 2.51e+06-1.6e+09 params, 4.2e+09-6.6e+10 tokens": what a loss row covers."""
    parts = [f"{len(group)} runs"]
    for column, unit in (("params", "params"), ("tokens", "tokens")):
        values = pd.to_numeric(group[column], errors="coerce").dropna() if column in group else []
        if len(values):
            low, high = float(values.min()), float(values.max())
            parts.append(f"{low:.3g} {unit}" if low == high else f"{low:.3g}-{high:.3g} {unit}")
    return ", ".join(parts)


@click.command(
    epilog="""\b
Examples:
  emergence summary benchmarks_data/
  emergence summary benchmarks_data/trained --format json
  emergence summary benchmarks_data/trained/losses.csv --rename loss=loss_all \\
      --rename loss_add=loss                      # read another column as the loss
"""
)
@input_options
@output_options
def summary(
    paths: tuple[Path, ...],
    input_format: str | None,
    renames: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Load and validate PATHS, and list the families, models, sizes, tasks and items found.

    Works without model sizes: models that lack one are listed at the end.
    """
    from ..analysis.task_counts import count_tasks

    tables = load_inputs(paths, input_format, renames, allow_missing_params=True)
    frame = summarise(tables)
    if fmt == "table" and output is None:
        n_items = len(tables.items)
        families = sorted(set(frame["family"]) - {""})
        # counted as `emergence report` counts them: a pair is a family with a task, its
        # subtasks and shot counts apart (the unit detect gives a verdict for)
        counts = count_tasks(tables)
        click.echo(
            f"{len(tables.sources)} file(s)"
            + (f" ({len(tables.skipped)} skipped, see the warnings)" if tables.skipped else "")
            + f"; {len(families)} family(ies); "
            f"{frame.loc[frame.table != 'losses', 'model'].nunique()} model(s); "
            f"{counts.tasks_text('task(s)')} in {counts.pairs} family-task pair(s); "
            f"{n_items} item row(s); {len(tables.scores)} score row(s); "
            f"{len(tables.losses)} loss row(s)"
        )
    emit_frame(frame, fmt, output, tables.sources)
    if frame.empty:
        click.echo(
            "no rows: the files read hold no model results (a BIG-bench task.json, for one, "
            "is a task definition; its results are in scores_*.json files)",
            err=True,
        )
    missing = frame.loc[frame["params"].isna() & (frame["table"] != "losses"), "model"]
    if len(missing):
        given = click.get_current_context().meta.get("emergence.sizes")
        advice = (
            f"the --sizes mapping {given} has no size for them (it leaves them out, or its "
            "size cell is empty): its keys are model names as listed here, or family/model"
            if given is not None
            else "supply them with --sizes FILE (CSV or JSON mapping model -> params)"
        )
        click.echo(
            f"models without a size ({len(set(missing))}): {', '.join(sorted(set(missing)))}; "
            f"{advice}",
            err=True,
        )
