"""``emergence fit ...``: scaling-law fits (Chinchilla, power law, isoFLOP, BNSL) from tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from ..errors import InputError
from .common import (
    SEED,
    Resamples,
    check_output,
    input_options,
    load_inputs,
    remember,
    resamples_help,
)

X_COLUMNS = {"params": "params", "tokens": "tokens", "flops": "flops"}


# Columns that split one table into curves a scaling law must not pool: (column, option, noun).
_SELECTORS = {
    "family": ("--family", "model families"),
    "split": ("--split", "splits"),
    "subtask": ("--subtask", "subtasks"),
    "n_shots": ("--n-shots", "shot counts"),
}


#: Selector value choosing the rows that have no value in the column (``--subtask none``).
NO_VALUE = "none"


def _shots_value(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--n-shots K`` (an integer >= 0) or ``--n-shots none``."""
    if value is not None and value.lower() != NO_VALUE:
        try:
            shots = int(value)
        except ValueError:
            shots = -1
        if shots < 0:
            raise click.BadParameter(f"expected an integer >= 0 or {NO_VALUE}, got {value!r}")
        value = str(shots)
    _remember_selection(ctx, param, value)


def _chosen(column: str) -> object | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(f"emergence.select.{column}") if ctx is not None else None


def _one_value(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """The rows with the value of ``column`` chosen by its option; several values stop.

    A scaling law describes one model family on one split (one subtask, one shot count):
    pooling them would fit none of them. Rows without a value beside rows with one are
    ambiguous too (which curve are they on?), so they stop unless a value is chosen.
    """
    option, noun = _SELECTORS[column]
    chosen = _chosen(column)
    if column not in frame.columns or frame.empty:
        if chosen is not None:
            raise InputError(f"{label}: {option} {chosen}: the data has no '{column}' column")
        return frame
    col = frame[column]
    shown = [str(v) for v in sorted(col.dropna().unique())]
    missing = int(col.isna().sum())
    if chosen is not None:
        if str(chosen).lower() == NO_VALUE and str(chosen) not in shown:
            # the rows without a value (e.g. BIG-bench's task-level score beside its subtasks)
            if not missing:
                raise InputError(f"{label}: {option} {NO_VALUE}: every row has a {column}")
            return frame[col.isna().to_numpy(dtype=bool)]
        if str(chosen) not in shown:
            raise InputError(
                f"{label}: {option} {chosen}: not found; {noun}: {', '.join(shown) or 'none'}"
            )
        return frame[(col.astype(str) == str(chosen)).to_numpy(dtype=bool, na_value=False)]
    if len(shown) > 1:
        raise InputError(
            f"{label}: {len(shown)} {noun} ({', '.join(shown)}); a scaling law fits one: "
            f"choose it with {option} VALUE"
        )
    if shown and missing:
        raise InputError(
            f"{label}: {missing} rows have no {column} beside rows with {column} {shown[0]}; "
            f"choose {option} {shown[0]} or {option} {NO_VALUE} (the rows without one)"
        )
    return frame


def _one_family(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """The rows of the family chosen with --family; several families without a choice stop."""
    return _one_value(frame, "family", label)


def _remember_selection(ctx: click.Context, param: click.Parameter, value: object) -> None:
    ctx.meta[f"emergence.select.{param.name}"] = value


def _selector_option(column: str, help_text: str, value_type: Any = str, metavar: str = "NAME",
                     callback: Any = None):  # fmt: skip
    """``--family``/``--split``/... (read by :func:`_one_value`, not passed to the command)."""
    option, _ = _SELECTORS[column]
    return click.option(
        option,
        column,
        type=value_type,
        metavar=metavar,
        default=None,
        expose_value=False,
        callback=callback or _remember_selection,
        help=help_text,
    )


def _family_option(func):
    """``--family`` and ``--split``: one model family, one loss split."""
    func = _selector_option(
        "split", "Loss split to fit, e.g. val (required when the losses hold several)."
    )(func)
    return _selector_option(
        "family", "Model family to fit (required when the data holds several)."
    )(func)


def _fill_flops(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """``flops`` = 6 N D wherever a run gives none (a run with its own flops keeps them)."""
    with np.errstate(over="ignore", under="ignore"):  # out-of-range products are refused below
        derived = 6.0 * frame["params"].to_numpy(float) * frame["tokens"].to_numpy(float)
    given = (
        frame["flops"].to_numpy(float) if "flops" in frame.columns else np.full(len(frame), np.nan)
    )
    flops = np.where(np.isnan(given), derived, given)
    bad = ~(np.isfinite(flops) & (flops > 0))
    if bad.any():  # the loader checked given values: this is 6 N D out of float range
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{label}: field 'flops' derived as 6 * params * tokens = {flops[i]:g} for the run "
            f"with params {frame['params'].iat[i]:g}, tokens {frame['tokens'].iat[i]:g}: "
            "expected a positive finite number"
        )
    return frame.assign(flops=flops)


#: Largest factor between a run's flops and 6 * params * tokens taken as the same compute.
FLOPS_TOLERANCE = 1.05


def _flops_mismatch(frame: pd.DataFrame) -> str | None:
    """Say so when runs give flops that are not 6 N D (isoFLOP's D* = C / (6 N*) assumes it)."""
    ratio = frame["flops"].to_numpy(float) / (
        6.0 * frame["params"].to_numpy(float) * frame["tokens"].to_numpy(float)
    )
    off = np.abs(np.log(ratio)) > np.log(FLOPS_TOLERANCE)
    if not off.any():
        return None
    worst = float(ratio[np.argmax(np.abs(np.log(ratio)))])
    return (
        f"{int(off.sum())} of {len(frame)} runs give flops that differ from 6 * params * tokens "
        f"(up to a factor {worst:.3g}): budgets use the flops, D* = C / (6 N*) assumes "
        "C = 6 N D, so d_opt is off by that factor; give tokens only, or flops = 6 N D"
    )


def _drop_highest(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """``frame`` without exactly its ``k`` highest losses (ties: the earlier rows go first)."""
    if k >= len(frame):
        raise InputError(f"--drop-highest {k}: only {len(frame)} rows")
    # a stable sort of -loss keeps tied rows in file order
    order = np.argsort(-frame["loss"].to_numpy(float), kind="stable")
    keep = np.ones(len(frame), dtype=bool)
    keep[order[:k]] = False
    return frame[keep]


#: What a loss table needs, said so that (tokens, loss) does not read as enough.
LOSS_COLUMNS = "loss, params, and tokens or flops"

#: Why params (or tokens) is needed when the fit does not use it.
_PARAMS_HINT = (
    "a loss table needs params and tokens or flops whichever --x is (for a data-scaling curve "
    "of one model, give params that model's size on every row; for a size curve, give the "
    "tokens each model was trained on)"
)

def _load(paths, input_format, renames):
    """:func:`load_inputs`, with a file whose table is not recognised told what a fit needs."""
    try:
        return load_inputs(paths, input_format, renames)
    except InputError as err:
        message = str(err)
        if "cannot tell which table" not in message:
            raise
        raise InputError(f"{message}; {_PARAMS_HINT}") from None


def _loss_rows(tables, label: str) -> pd.DataFrame:
    """The loss rows of one family and split, with flops filled in."""
    frame = _one_value(_one_family(tables.losses, label), "split", label)
    if frame.empty:
        raise InputError(
            f"{label}: no loss rows found (need all of {LOSS_COLUMNS}; {_PARAMS_HINT}; "
            "use --rename OLD=NEW to map column names)"
        )
    return _fill_flops(frame, label)


def _losses(paths, input_format, renames, drop_highest: int = 0) -> tuple[pd.DataFrame, str]:
    tables = _load(paths, input_format, renames)
    label = ", ".join(str(p) for p in paths)
    frame = _loss_rows(tables, label)
    if drop_highest:
        frame = _drop_highest(frame, drop_highest)
    return frame.reset_index(drop=True), label


def _emit(
    payload: dict[str, Any], tables: list[tuple[str, pd.DataFrame]], fmt: str, output: Path | None
) -> None:
    """Print the fit (table or JSON), or write it to ``-o``: ``.json`` as JSON, ``.txt`` as text."""
    from ..output import atomic_write_text, dumps_json, render_frame

    check_output(output)  # never over an input or the --sizes file
    if output is not None:
        suffix = output.suffix.lower()
        if suffix not in {".json", ".txt"}:
            raise InputError(f"-o {output}: expected a .json or .txt file for a fit")
        fmt = "json" if suffix == ".json" else "table"
    if fmt == "json":
        text = dumps_json(payload)
    else:
        sections = [f"# {title}\n" + render_frame(frame, fmt) for title, frame in tables]
        warnings = payload.get("diagnostics", {}).get("warnings") or []
        if warnings:
            # sentences, one per line: in an aligned table one long warning pads every row
            sections.append("# warnings\n" + (
                "".join(f"{w}\n" for w in warnings) if fmt == "table"
                else render_frame(pd.DataFrame({"warning": warnings}), fmt)
            ))  # fmt: skip
        text = "\n".join(sections)
    if output is not None:
        atomic_write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _diagnostics_dict(diag) -> dict[str, Any]:
    return {
        "objective": diag.objective,
        "grad_norm": diag.grad_norm,
        "iterations": diag.iterations,
        "n_evaluations": diag.n_evaluations,
        "converged": diag.converged,
        "message": diag.message,
        "on_bound": list(diag.on_bound),
        "dead_terms": list(diag.dead_terms),
        "warnings": list(diag.warnings),
    }


def _payload(result, se: dict, ci: dict) -> dict[str, Any]:
    """The stable JSON keys every fit shares (``form`` ... ``diagnostics``)."""
    return {
        "form": result.form,
        "params": result.params,
        "se": se,
        "ci": ci,
        "objective": result.objective,
        "n_points": result.n_points,
        "converged": result.converged,
        "diagnostics": _diagnostics_dict(result.diagnostics),
    }


def _param_frame(params: dict[str, float], se: dict, ci: dict) -> pd.DataFrame:
    names = list(params)
    return pd.DataFrame(
        {
            "parameter": names,
            "estimate": [float(params[k]) for k in names],
            "se": [float(se.get(k, math.nan)) for k in names],
            "ci_low": [float(ci[k][0]) if k in ci else math.nan for k in names],
            "ci_high": [float(ci[k][1]) if k in ci else math.nan for k in names],
        }
    )


def _diag_frame(result, extra: dict[str, Any] | None = None) -> pd.DataFrame:
    d = result.diagnostics
    rows = [
        ("objective", f"{result.objective:.10g}"),
        ("n_points", str(result.n_points)),
        ("converged", str(result.converged)),
        ("grad_norm", f"{d.grad_norm:.3g}"),
        ("iterations", str(d.iterations)),
        ("on_bound", ", ".join(d.on_bound) or "-"),
        ("dead_terms", ", ".join(d.dead_terms) or "-"),
    ]
    rows += [(k, str(v)) for k, v in (extra or {}).items()]
    return pd.DataFrame(rows, columns=["item", "value"])


def _bootstrap_parts(boot, keys) -> tuple[dict, dict]:
    if boot is None:
        return {}, {}
    se = {k: boot.se[k] for k in keys if k in boot.se}
    ci = {k: list(boot.ci[k]) for k in keys if k in boot.ci}
    return se, ci


def _bootstrap_json(boot) -> dict[str, Any] | None:
    """The ``bootstrap`` JSON key: how the intervals were made, and how many refits failed."""
    if boot is None:
        return None
    return {
        "n_boot": boot.n_boot,
        "seed": boot.seed,
        "level": boot.level,
        "n_failed": boot.n_failed,
        "resampling": boot.resampling,
        # refits that converged to a degenerate law (null: the form has no such rule)
        "n_degenerate": boot.n_degenerate,
        "degenerate_rule": boot.degenerate_rule,
        # they outnumber the interval's tails: the data do not pin the law
        "degenerate_beyond_tails": boot.degenerate_beyond_tails,
    }


def _bootstrap_rows(boot) -> dict[str, str]:
    """Diagnostics-table rows for a bootstrap (failed resamples are not in se and ci)."""
    if boot is None:
        return {}
    rows = {
        "bootstrap": f"{boot.n_boot} resamples, seed {boot.seed}, resampling {boot.resampling}",
        "bootstrap_failed": f"{boot.n_failed} (left out of se and ci)",
    }
    if boot.degenerate_rule is not None:
        rows["bootstrap_degenerate"] = (
            f"{boot.n_degenerate or 0} ({boot.degenerate_rule}; kept in se and ci)"
            + (" -- more than the interval's tails: the data do not pin the law, read the "
               "intervals as such" if boot.degenerate_beyond_tails else "")
        )
    return rows


def _loss_name(delta: float) -> str:
    """The JSON ``loss``: ``delta = inf`` is least squares (JSON has no inf: its delta is null)."""
    return "huber" if math.isfinite(delta) else "least_squares"


def _loss_row(delta: float) -> dict[str, str]:
    """Diagnostics-table rows naming the objective (on log residuals)."""
    return {"loss": _loss_name(delta).replace("_", " "), "delta": f"{delta:g}"}


def _curve_json(curve) -> dict[str, Any]:
    """``held_fixed`` and ``frontier``: which loss runs the one-variable fit used."""
    fr = curve.frontier
    return {
        "held_fixed": dict(curve.held_fixed),
        "frontier": None if fr is None else {
            "n_points": int(fr.index.size),
            "n_runs": fr.n_runs,
            "n_budgets": fr.n_budgets,
            "budget_tolerance": fr.budget_tolerance,
        },
    }  # fmt: skip


def _curve_rows(curve) -> dict[str, str]:
    """Diagnostics-table rows for :func:`_curve_json`."""
    rows = {}
    if curve.held_fixed:
        rows["held_fixed"] = ", ".join(f"{k} {v:g}" for k, v in curve.held_fixed.items())
    fr = curve.frontier
    if fr is not None:
        rows["frontier"] = f"{fr.index.size} of {fr.n_runs} runs, {fr.n_budgets} budgets"
    return rows


def _finite(param: click.Parameter, value: float, allow_inf: bool = False) -> float:
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise click.BadParameter(f"expected a finite positive number, got {value}")
    return value


_RESAMPLES = Resamples(2)  # one resample has no spread
#: emergence.fit.MAX_BOOTSTRAP, for the help without importing the fit stage (scipy) to show it
BOOTSTRAP_CAP = 100_000


def _check_bootstrap(n_boot: int, seed: int, resampling: str = "rng") -> None:
    """Refuse --bootstrap/--seed values the bootstrap cannot run with, before any fitting."""
    from ..fit.bootstrap import EPOCH_SEED_LIMIT, MAX_BOOTSTRAP

    if n_boot > MAX_BOOTSTRAP:
        raise InputError(
            f"--bootstrap {n_boot}: at most {MAX_BOOTSTRAP} resamples (every draw is kept for "
            "the percentile intervals; far fewer already pin them)"
        )
    if n_boot and resampling == "epoch" and seed >= EPOCH_SEED_LIMIT:
        raise InputError(
            f"--seed {seed}: --resampling epoch takes a seed below 2**32 = {EPOCH_SEED_LIMIT} "
            "(numpy's legacy RandomState, as in Epoch's code); --resampling rng takes any seed"
        )


def _bootstrap_options(func, jobs: bool = True):
    """``--bootstrap``, ``--seed`` and (for refits worth spreading over cores) ``--jobs``."""
    if jobs:
        func = click.option(
            "--jobs",
            type=click.IntRange(min=1),
            default=None,
            help="Worker processes for the bootstrap (default: all cores).",
        )(func)
    func = click.option("--seed", type=SEED, default=0, show_default=True, help="Bootstrap seed.")(
        func
    )
    return click.option(
        "--bootstrap",
        "n_boot",
        type=_RESAMPLES,
        default=0,
        show_default=True,
        help=resamples_help(
            f"Bootstrap resamples over points (at most {BOOTSTRAP_CAP}).", _RESAMPLES
        ),
    )(func)


def _bootstrap_options_serial(func):
    """``--bootstrap`` and ``--seed`` for fits whose refits run in one process."""
    return _bootstrap_options(func, jobs=False)


def _delta_option(func):
    """``--delta``: the Huber threshold on log residuals (``inf``: least squares)."""
    return click.option(
        "--delta",
        type=click.FloatRange(min=0, min_open=True),
        callback=lambda ctx, param, v: _finite(param, v, allow_inf=True),
        default=1e-3,
        show_default=True,
        help="Huber threshold on log residuals ('inf' for least squares; the JSON then has "
        "\"loss\": \"least_squares\" and \"delta\": null).",
    )(func)


def _format_option(func):
    func = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write the result to this file instead of stdout.",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)
    return func


FIT_EPILOG = """\b
Examples:
  emergence fit chinchilla benchmarks_data/simulated/losses.csv --family sim-a \\
      --bootstrap 4000 --seed 42 --format json -o fit.json
  emergence fit power-law benchmarks_data/trained/losses.csv --x params --tokens 3e6 \\
      --no-offset
  emergence fit power-law benchmarks_data/trained/losses.csv --x flops --frontier --no-offset
  emergence fit isoflop benchmarks_data/simulated/losses.csv --family sim-a
  emergence rescore benchmarks_data/trained -o scores.csv && emergence fit bnsl scores.csv \\
      --x params --y token_edit_distance --task mul --family tiny-gpt
  # Epoch's refit of Chinchilla (Besiroglu et al. 2024), on their svg_extracted_data.csv,
  # with their bootstrap resamples:
  #   emergence fit chinchilla svg_extracted_data.csv --rename "Model Size=params"
  #     --rename "Training FLOP=flops" --drop-highest 5
  #     --bootstrap 4000 --seed 42 --resampling epoch
"""


@click.group(name="fit", epilog=FIT_EPILOG)
def fit() -> None:
    """Fit scaling laws to loss tables (columns loss, params, and tokens or flops)."""


@fit.command("chinchilla", epilog=FIT_EPILOG)
@input_options
@_family_option
@_bootstrap_options
@_delta_option
@click.option(
    "--compute",
    "budget",
    type=click.FloatRange(min=0, max=math.inf, min_open=True, max_open=True),
    callback=lambda ctx, param, v: _finite(param, v),
    default=5.76e23,
    show_default=True,
    help="Budget C (FLOP) for the compute-optimal allocation.",
)
@click.option(
    "--drop-highest",
    type=click.IntRange(min=0),
    metavar="K",
    default=0,
    show_default=True,
    help="Drop exactly K rows, those with the highest losses (ties: earlier rows first), "
    "before fitting (Epoch's replication drops 5).",
)
@click.option(
    "--resampling",
    type=click.Choice(["rng", "epoch"]),
    default="rng",
    show_default=True,
    help="How --bootstrap draws its resamples. rng: numpy's default_rng(seed). epoch: "
    "Besiroglu et al.'s sequence, legacy np.random.seed(seed) then np.random.choice of the "
    "row indices once per resample; with --seed 42 and --bootstrap 4000 it repeats their "
    "4000 resamples of the 240 rows one for one (Epoch's replication).",
)
@_format_option
def chinchilla_cmd(
    paths, input_format, renames, n_boot, seed, jobs, delta, budget, drop_highest, resampling,
    fmt, output,
) -> None:
    """Chinchilla Approach 3: L = E + A/N^alpha + B/D^beta (Huber on log loss)."""
    from ..fit.chinchilla import allocation_problem, bootstrap_chinchilla, fit_chinchilla
    from ..fit.compute_optimal import compute_optimal

    _check_bootstrap(n_boot, seed, resampling)
    frame, label = _losses(paths, input_format, renames, drop_highest)
    n, d, y = (frame[c].to_numpy(float) for c in ("params", "tokens", "loss"))
    result = fit_chinchilla(n, d, y, delta=delta, source=label)
    boot = None
    if n_boot:
        boot = bootstrap_chinchilla(
            n,
            d,
            y,
            n_boot=n_boot,
            seed=seed,
            resampling=resampling,
            delta=delta,
            compute=budget,
            n_jobs=jobs,
            start=result.params,
            source=label,
        )
    se, ci = _bootstrap_parts(boot, list(result.params))
    co = None
    co_error = allocation_problem(result, n, d)
    if co_error is None:
        try:
            co = compute_optimal(result.params, budget)
        except InputError as err:  # e.g. a negative exponent: no finite optimum to report
            co_error = str(err)
    co_json = {"error": co_error} if co_error else None
    co_rows = []
    if co is not None:
        derived = {
            "a": co.a,
            "b": co.b,
            "N_opt": float(co.n_opt[0]),
            "D_opt": float(co.d_opt[0]),
            "D_over_N": float(co.tokens_per_param[0]),
        }
        dse, dci = _bootstrap_parts(boot, list(derived))
        co_json = {
            "compute": budget,
            **derived,
            "n_coefficient": co.n_coefficient,
            "d_coefficient": co.d_coefficient,
            "loss_opt": float(co.loss_opt[0]),
            "se": dse,
            "ci": dci,
        }
        co_rows = [_param_frame(derived, dse, {k: tuple(v) for k, v in dci.items()})]
    payload = {
        **_payload(result, se, ci),
        "compute_optimal": co_json,
        "bootstrap": _bootstrap_json(boot),
        "loss": _loss_name(delta),
        "delta": delta,
    }
    tables = [
        ("parameters", _param_frame(result.params, se, {k: tuple(v) for k, v in ci.items()})),
        ("diagnostics", _diag_frame(result, {**_loss_row(delta), **_bootstrap_rows(boot)})),
    ]
    if co_rows:
        tables.append((f"compute-optimal allocation at C = {budget:.3g} FLOP", co_rows[0]))
    elif co_error:
        tables.append(("compute-optimal allocation", pd.DataFrame({"not available": [co_error]})))
    _emit(payload, tables, fmt, output)


@dataclass(frozen=True)
class _Curve:
    """The points of a one-variable fit and how they were chosen from the table."""

    x: np.ndarray
    y: np.ndarray
    label: str
    held_fixed: dict[str, float] = field(default_factory=dict)
    frontier: Any = None  # emergence.fit.Frontier with --frontier


#: The scale held fixed along a one-variable loss curve, and its option (``--x flops``: either).
_OTHER_SCALE = {"params": ("tokens", "--tokens D"), "tokens": ("params", "--params N")}
_SCALE_NOUNS = {"params": ("size", "sizes"), "tokens": ("token count", "token counts")}
#: Fewest points of a curve worth suggesting (a power law with a floor has 3 parameters).
MIN_CURVE_POINTS = 3
#: Relative gap below which two sizes or token counts are one value (6 N D and flops / (6 N)
#: are never exact): a tolerance, not rounding, which would split 1234565 from 1234565.000001.
SCALE_RTOL = 1e-5


def _grouped(values) -> np.ndarray:
    """Each (positive) value replaced by the smallest of its group: sorted values closer than
    :data:`SCALE_RTOL` (relative) to their neighbour are one value."""
    v = np.asarray(values, float)
    order = np.argsort(v, kind="stable")
    s = v[order]
    new = np.r_[True, s[1:] > s[:-1] * (1.0 + SCALE_RTOL)]
    out = np.empty_like(v)
    out[order] = s[np.maximum.accumulate(np.where(new, np.arange(s.size), 0))]
    return out


def _listing(values, limit: int = 6) -> str:
    """``"375360, 750720, 3e+06"`` of the distinct values (the first ``limit``, then ...)."""
    shown = [f"{v:g}" for v in np.unique(_grouped(values))]
    return ", ".join(shown[:limit]) + (", ..." if len(shown) > limit else "")


def _where(frame: pd.DataFrame, label: str) -> str:
    """``label`` with the family (and split) of the rows, for messages."""
    parts = [
        f"{column} {frame[column].dropna().iat[0]}"
        for column in ("family", "split")
        if column in frame.columns and frame[column].notna().any()
    ]
    return f"{label} ({', '.join(parts)})" if parts else label


def _held(column: str) -> float | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(f"emergence.{column}") if ctx is not None else None


def _hold_fixed(frame: pd.DataFrame, where: str, x: str) -> tuple[pd.DataFrame, dict[str, float]]:
    """The runs at the --params N / --tokens D chosen (within :data:`SCALE_RTOL`)."""
    held: dict[str, float] = {}
    for column in ("params", "tokens"):
        value = _held(column)
        if value is None:
            continue
        if column == x:
            others = [c for c in ("params", "tokens", "flops") if c != column]
            raise InputError(
                f"--{column} {value:g}: holds {column} fixed, so it cannot be the scale fitted "
                f"(--x {column}); use --x {' or --x '.join(others)}"
            )
        v = frame[column].to_numpy(float)
        pick = np.abs(v - value) <= SCALE_RTOL * np.maximum(v, value)
        if not pick.any():
            raise InputError(
                f"{where}: --{column} {value:g}: no run has {column} {value:g} (within a "
                f"relative {SCALE_RTOL:g}); {column} in the data: {_listing(frame[column])}"
            )
        frame = frame[pick]
        held[column] = float(frame[column].iat[0])
    return frame, held


def _pooled_scale(frame: pd.DataFrame, where: str, x: str) -> None:
    """Refuse runs of one x value at several values of the other scale (not one curve)."""
    other, option = _OTHER_SCALE[x]
    xs, os_ = _grouped(frame[x]), _grouped(frame[other])
    pairs = pd.DataFrame({"x": xs, "o": os_}).drop_duplicates()
    per_x = pairs.groupby("x", sort=True)["o"].size()
    several = per_x[per_x > 1]
    if several.empty:  # rows repeating an (x, other) pair are replicates (seeds) of one point
        return
    at = float(several.index[0])
    noun, nouns = _SCALE_NOUNS[x]
    other_noun = _SCALE_NOUNS[other][1]
    curve = (
        "a size curve L(N) is at one token count"
        if x == "params"
        else "a data curve L(D) is of one model size"
    )
    # the most distinct x values that one value of the other scale offers
    best = int(pairs.groupby("o")["x"].size().max())
    advice = f"{curve}: choose it with {option}"
    if best < MIN_CURVE_POINTS:  # an isoFLOP grid: no token count (or size) makes a curve
        advice = (
            f"{curve}, but no single value of {other} has more than {best} {nouns} here; for "
            "an isoFLOP grid, fit L(C) with --x flops --frontier, or `fit isoflop`"
        )
    raise InputError(
        f"{where}: --x {x} would pool runs of one {noun} at different {other_noun}: {other} "
        f"takes {np.unique(os_).size} values ({_listing(os_)}), "
        f"{int((pairs['x'] == at).sum())} of them at {x} {at:g} ({several.size} of "
        f"{per_x.size} {nouns} have several); {advice}"
    )


def _not_a_path(frame: pd.DataFrame, where: str) -> None:
    """Refuse --x flops on runs that are not one path (more compute, more N and more D)."""
    c = frame["flops"].to_numpy(float)
    order = np.argsort(c, kind="stable")
    n, d = _grouped(frame["params"])[order], _grouped(frame["tokens"])[order]
    back = np.flatnonzero((np.diff(n) < 0) | (np.diff(d) < 0))
    if not back.size:  # one path through (N, D): every run is on the curve L(C) follows
        return
    i, j = order[back[0]], order[back[0] + 1]

    def run(k: int) -> str:
        return (
            f"params {frame['params'].iat[k]:g}, tokens {frame['tokens'].iat[k]:g} "
            f"at flops {c[k]:g}"
        )

    raise InputError(
        f"{where}: --x flops would fit all {len(frame)} runs, not the compute-efficient "
        f"frontier: params takes {np.unique(n).size} values and tokens {np.unique(d).size}, "
        f"and more compute does not always mean more of both ({run(j)}, beside {run(i)}); "
        "L(C) is the lowest loss at each compute: fit it with --frontier, or hold one scale "
        "fixed with --params N or --tokens D"
    )


def _loss_curve(frame: pd.DataFrame, label: str, x: str) -> _Curve:
    """The loss rows that make one curve in ``x``; runs that would pool stop (see docs)."""
    where = _where(frame, label)
    frame, held = _hold_fixed(frame, where, x)
    frontier = None
    options = click.get_current_context().meta
    use_frontier = bool(options.get("emergence.frontier"))
    tolerance = options.get("emergence.budget_tolerance")
    if x != "flops" and use_frontier:
        raise InputError(f"--frontier: applies to --x flops, not --x {x}")
    if tolerance is not None and not use_frontier:
        raise InputError("--budget-tolerance: applies with --frontier")
    if x in _OTHER_SCALE:
        _pooled_scale(frame, where, x)
    elif use_frontier:
        from ..fit.frontier import compute_frontier

        frontier = compute_frontier(
            frame["flops"].to_numpy(float), frame["loss"].to_numpy(float),
            budget_tolerance=0.05 if tolerance is None else tolerance, source=where,
        )  # fmt: skip
        frame = frame.iloc[frontier.index]
    else:
        _not_a_path(frame, where)
    # later errors (too few points) say which curve was chosen
    chosen = [f"{k} {v:g}" for k, v in held.items()] + (["frontier"] if frontier else [])
    source = f"{where} at {', '.join(chosen)}" if chosen else where
    return _Curve(frame[x].to_numpy(float), frame["loss"].to_numpy(float), source, held, frontier)


def _xy(paths, input_format, renames, x: str, y: str, task: str | None) -> _Curve:
    tables = _load(paths, input_format, renames)
    label = ", ".join(str(p) for p in paths)
    if y == "loss":
        for column in ("subtask", "n_shots"):
            if _chosen(column) is not None:
                option = _SELECTORS[column][0]
                raise InputError(f"{option}: applies to scores (--y METRIC), not to losses")
        if task is not None:
            raise InputError("--task: applies to scores (--y METRIC), not to losses")
        return _loss_curve(_loss_rows(tables, label), label, x)
    if _chosen("split") is not None:
        raise InputError("--split: applies to losses (--y loss), not to scores")
    meta = click.get_current_context().meta
    for key, option in (("params", "--params"), ("tokens", "--tokens"),
                        ("frontier", "--frontier"), ("budget_tolerance", "--budget-tolerance")):
        value = meta.get(f"emergence.{key}")
        if value is not None and value is not False:  # not "in (None, False)": 0.0 == False
            raise InputError(f"{option}: applies to losses (--y loss), not to scores")
    frame = _one_family(tables.scores, label)
    if frame.empty:
        raise InputError(
            f"{label}: no score rows found for metric '{y}' (--y METRIC reads a scores table, "
            "e.g. one written by `emergence rescore -o scores.csv`)"
        )
    frame = frame[frame["metric"] == y]
    if task is not None:
        frame = frame[frame["task"] == task]
    if frame.empty:
        raise InputError(
            f"{label}: no scores with metric '{y}'" + (f" and task '{task}'" if task else "")
        )
    if x != "params":
        raise InputError(f"--x {x}: scores carry only parameter counts; use --x params")
    tasks = frame["task"].unique()
    if len(tasks) > 1:
        raise InputError(
            f"{label}: metric '{y}' has {len(tasks)} tasks "
            f"({', '.join(map(str, tasks[:5]))}...); choose one with --task"
        )
    # chosen values first, so a check of the others sees only the rows that will be fitted
    for column in sorted(("subtask", "n_shots"), key=lambda c: _chosen(c) is None):
        frame = _one_value(frame, column, label)
    frame = frame.sort_values("params", kind="stable")
    sizes = frame["params"].to_numpy(float)
    shared = np.flatnonzero(sizes[1:] == sizes[:-1])
    if shared.size:  # one point per model: averaging models (or copies) would hide them
        size = sizes[shared[0]]
        models = [str(m) for m in frame.loc[sizes == size, "model"]]
        what = (
            f"models {', '.join(dict.fromkeys(models))} have"
            if len(set(models)) > 1
            else f"model {models[0]} has {len(models)} rows with"
        )
        raise InputError(
            f"{label}: metric '{y}': {what} params {size:g}; a scaling curve takes one value "
            "per model size: filter the file to one of them"
        )
    values = frame["value"].to_numpy(float)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{label}: metric '{y}', model {frame['model'].iat[i]} (params {sizes[i]:g}): "
            f"value {values[i]:g}; these fits need positive values"
        )
    return _Curve(sizes, values, label)


def _positive_scale(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"expected a finite positive number, got {value}")
    remember(ctx, param, value)


def _tolerance_value(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"expected a finite number >= 0, got {value}")
    remember(ctx, param, value)


def _curve_options(func):
    """``--params``, ``--tokens``, ``--frontier``, ``--budget-tolerance``: which loss runs make
    the curve (read by :func:`_loss_curve`, not passed to the command)."""
    func = click.option(
        "--budget-tolerance",
        type=float,
        default=None,
        expose_value=False,
        callback=_tolerance_value,
        help="With --frontier: largest gap of log10 C between neighbouring runs of one budget, "
        "as in `fit isoflop`  [default: 0.05]",
    )(func)
    func = click.option(
        "--frontier",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="With --x flops and --y loss: fit the compute-efficient frontier, the lowest loss "
        "of each compute budget where it beats every smaller budget, instead of every run "
        "(which --x flops refuses unless the runs form one path of growing N and D).",
    )(func)
    func = click.option(
        "--params",
        type=float,
        metavar="N",
        default=None,
        expose_value=False,
        callback=_positive_scale,
        help=f"With --y loss: fit only the runs of models with N parameters (within a relative "
        f"{SCALE_RTOL:g}), e.g. L(D) of one model size with --x tokens, which "
        "refuses runs of one token count from several sizes without it.",
    )(func)
    func = click.option(
        "--tokens",
        type=float,
        metavar="D",
        default=None,
        expose_value=False,
        callback=_positive_scale,
        help=f"With --y loss: fit only the runs trained on D tokens (within a relative "
        f"{SCALE_RTOL:g}), e.g. L(N) at one token count with --x params, which refuses runs "
        "of one size at several token counts without it.",
    )(func)
    return func


def _xy_options(func):
    """``--x``, ``--y``, ``--task``, ``--subtask``, ``--n-shots`` and the curve options."""
    func = _curve_options(func)
    func = _selector_option(
        "n_shots",
        "Shot count to use when --y is a metric (required when the scores hold several); "
        f"{NO_VALUE}: the rows without one.",
        str,
        "K",
        _shots_value,
    )(func)
    func = _selector_option(
        "subtask", "Subtask to use when --y is a metric (required when the scores hold several); "
        f"{NO_VALUE}: the rows without one (e.g. BIG-bench's task-level score).",
    )(func)
    func = click.option("--task", default=None, help="Task to use when --y is a metric.")(func)
    func = click.option(
        "--y",
        "y",
        default="loss",
        show_default=True,
        help="'loss' (loss table) or a metric name from the scores table.",
    )(func)
    return click.option(
        "--x",
        "x",
        type=click.Choice(list(X_COLUMNS)),
        default="params",
        show_default=True,
        help="Scale variable.",
    )(func)


@fit.command("power-law", epilog=FIT_EPILOG)
@input_options
@_family_option
@_xy_options
@click.option("--no-offset", is_flag=True, help="Fit A x^-alpha without the constant E.")
@_delta_option
@_bootstrap_options
@_format_option
def power_law_cmd(
    paths, input_format, renames, x, y, task, no_offset, delta, n_boot, seed, jobs, fmt, output
) -> None:
    """Single-variable power law y = E + A x^-alpha (Kaplan's L(N), L(D), L(C) with --no-offset)."""
    from ..fit.power_law import bootstrap_power_law, fit_power_law

    _check_bootstrap(n_boot, seed)
    curve = _xy(paths, input_format, renames, x, y, task)
    xs, ys, label = curve.x, curve.y, curve.label
    result = fit_power_law(
        xs, ys, offset=not no_offset, delta=delta, x_name=x, y_name=y, source=label
    )
    boot = None
    if n_boot:
        boot = bootstrap_power_law(
            xs, ys, offset=not no_offset, delta=delta, n_boot=n_boot, seed=seed, n_jobs=jobs,
            source=label,
        )  # fmt: skip
    se, ci = _bootstrap_parts(boot, list(result.params))
    payload = {
        **_payload(result, se, ci),
        "bootstrap": _bootstrap_json(boot),
        "x": x,
        "y": y,
        **_curve_json(curve),
        "loss": _loss_name(delta),
        "delta": delta,
    }
    extra = {**_curve_rows(curve), **_loss_row(delta), **_bootstrap_rows(boot)}
    tables = [
        ("parameters", _param_frame(result.params, se, {k: tuple(v) for k, v in ci.items()})),
        ("diagnostics", _diag_frame(result, extra)),
    ]
    _emit(payload, tables, fmt, output)


@fit.command("isoflop", epilog=FIT_EPILOG)
@input_options
@_family_option
@click.option(
    "--budget-tolerance",
    type=click.FloatRange(min=0, max=math.inf, max_open=True),
    callback=lambda ctx, param, v: _finite(param, v),
    default=0.05,
    show_default=True,
    help="Largest gap of log10 C between neighbouring runs of one isoFLOP budget; a chain of "
    "runs wider than 4x this is split at its widest gaps.",
)
@_bootstrap_options_serial
@_format_option
def isoflop_cmd(paths, input_format, renames, budget_tolerance, n_boot, seed, fmt, output) -> None:
    """Chinchilla Approach 2: parabola minima per budget, then N_opt = k_N C^a, D_opt = k_D C^b."""
    from ..fit.bootstrap_forms import bootstrap_isoflop
    from ..fit.isoflop import fit_isoflop

    _check_bootstrap(n_boot, seed)
    frame, label = _losses(paths, input_format, renames)
    n_arr, l_arr = frame["params"].to_numpy(float), frame["loss"].to_numpy(float)
    c_arr = frame["flops"].to_numpy(float)
    res = fit_isoflop(n_arr, l_arr, compute=c_arr, budget_tolerance=budget_tolerance, source=label)
    boot = None
    if n_boot:
        boot = bootstrap_isoflop(n_arr, l_arr, c_arr, budget_tolerance=budget_tolerance,
                                 n_boot=n_boot, seed=seed)  # fmt: skip
    se_boot, ci_boot = _bootstrap_parts(boot, ["a", "b", "k_N", "k_D"])
    m = res.minima
    minima = pd.DataFrame(
        {
            "compute": m.compute,
            "n_star": m.n_star,
            "d_star": m.d_star,
            "loss_star": m.loss_star,
            "n_points": m.n_points,
            "inside_range": m.inside,
        }
    )

    # exponent_se is the exponent's SE that `se` reports, in the table and the JSON alike: the
    # bootstrap SE with --bootstrap, the OLS SE of the regression of log X* on log C otherwise;
    # exponent_se_method says which, and exponent_se_ols is always the OLS one
    method = "bootstrap" if boot is not None else "ols"
    exp_se = {
        "N_opt": se_boot["a"] if boot is not None else res.n_opt.exponent_se,
        "D_opt": se_boot["b"] if boot is not None else res.d_opt.exponent_se,
    }

    def law(name, a):
        return {
            "coefficient": a.coefficient,
            "exponent": a.exponent,
            "exponent_se": exp_se[name],
            "exponent_se_method": method,
            "exponent_se_ols": a.exponent_se,
        }

    warnings = list(res.skipped)  # includes vertices outside the sampled sizes
    mismatch = _flops_mismatch(frame)
    if mismatch:
        warnings.append(mismatch)
    payload = {
        "form": "isoflop",
        "params": {"a": res.n_opt.exponent, "b": res.d_opt.exponent},
        "se": {"a": exp_se["N_opt"], "b": exp_se["D_opt"], **se_boot},
        "se_method": method,
        "ci": ci_boot,
        "objective": None,
        "n_points": int(len(frame)),
        "converged": True,
        "diagnostics": {"n_budgets": int(m.compute.size), "warnings": warnings},
        "n_opt": law("N_opt", res.n_opt),
        "d_opt": law("D_opt", res.d_opt),
        "minima": {c: minima[c].tolist() for c in minima.columns},
        "bootstrap": None,
    }
    laws = pd.DataFrame(
        {
            "quantity": ["N_opt", "D_opt"],
            "coefficient": [res.n_opt.coefficient, res.d_opt.coefficient],
            "exponent": [res.n_opt.exponent, res.d_opt.exponent],
            "exponent_se": [exp_se["N_opt"], exp_se["D_opt"]],
            "exponent_se_method": [method, method],
            "exponent_se_ols": [res.n_opt.exponent_se, res.d_opt.exponent_se],
        }
    )
    if boot is not None:
        laws["exponent_ci_low"] = [ci_boot["a"][0], ci_boot["b"][0]]
        laws["exponent_ci_high"] = [ci_boot["a"][1], ci_boot["b"][1]]
        payload["diagnostics"]["bootstrap_failed"] = boot.n_failed
        payload["bootstrap"] = _bootstrap_json(boot)
    tables = [
        ("allocation laws (X_opt = coefficient * C^exponent)", laws),
        ("isoFLOP minima", minima),
    ]
    if boot is not None:
        rows = list(_bootstrap_rows(boot).items())
        tables.append(("bootstrap", pd.DataFrame(rows, columns=["item", "value"])))
    _emit(payload, tables, fmt, output)


@fit.command(
    "bnsl", epilog=FIT_EPILOG, short_help="Broken neural scaling law (Caballero et al. 2022)."
)
@input_options
@_family_option
@_xy_options
@click.option(
    "--breaks",
    "n_breaks",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of breaks.",
)
@_bootstrap_options_serial
@_format_option
def bnsl_cmd(paths, input_format, renames, x, y, task, n_breaks, n_boot, seed, fmt, output) -> None:
    """Broken neural scaling law (Caballero et al. 2022) with one or more breaks."""
    from ..fit.bnsl import bnsl_predict, fit_bnsl
    from ..fit.bootstrap_forms import bootstrap_bnsl
    from ..fit.validate import check_distinct_scales, exact_fit_warnings, n_distinct

    _check_bootstrap(n_boot, seed)
    curve = _xy(paths, input_format, renames, x, y, task)
    xs, ys, label = curve.x, curve.y, curve.label
    n_free = 3 + 3 * n_breaks
    # rows at one scale do not pin a break: count distinct scales, not rows
    check_distinct_scales(xs, n_free, x, f"a BNSL with {n_breaks} break(s) ({n_free} parameters)",
                          label)  # fmt: skip
    result = fit_bnsl(xs, ys, n_breaks=n_breaks, x_name=x, y_name=y, source=label)
    diag = result.diagnostics
    exact = exact_fit_warnings(n_distinct(xs), n_free, ys, bnsl_predict(result.params, xs))
    diag = replace(diag, warnings=diag.warnings + exact)
    result = replace(result, diagnostics=diag)
    boot = None
    if n_boot:
        boot = bootstrap_bnsl(xs, ys, n_breaks=n_breaks, n_boot=n_boot, seed=seed, source=label)
    se, ci = _bootstrap_parts(boot, list(result.params))
    payload = {
        **_payload(result, se, ci),
        "bootstrap": _bootstrap_json(boot),
        "rmsle_train": result.extra["rmsle_train"],
        "x": x,
        "y": y,
        **_curve_json(curve),
    }
    extra = {
        "rmsle_train": f"{result.extra['rmsle_train']:.4g}",
        **_curve_rows(curve),
        **_bootstrap_rows(boot),
    }
    tables = [
        ("parameters", _param_frame(result.params, se, ci)),
        ("diagnostics", _diag_frame(result, extra)),
    ]
    _emit(payload, tables, fmt, output)
