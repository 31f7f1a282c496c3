"""The points of a one-variable fit (``fit power-law``, ``fit bnsl``): one loss curve through
the (N, D) plane, one metric's values per model size, or the curve of a two-column CSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from ..errors import InputError
from .common import (
    INPUTS_KEY,
    check_format_agrees,
    check_output,
    check_writable_output,
    parse_renames,
)
from .fit_curve_file import (
    CURVE_FILE,
    SIZES_FILE,
    curve_columns,
    read_curve_file,
    two_column_files,
)
from .fit_selection import _SELECTORS, _chosen, _load, _loss_rows, _one_family, _one_value

#: The scale columns of loss and scores tables (``--x`` also names a curve file's column).
X_COLUMNS = {"params": "params", "tokens": "tokens", "flops": "flops"}


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


#: Options that choose among a table's curves or models, which a curve file does not have.
_TABLE_ONLY = (
    ("sizes", "--sizes"),
    ("sizes_from_names", "--sizes-from-names"),
    ("size_kind", "--size-kind"),
    ("params", "--params"),
    ("tokens", "--tokens"),
    ("frontier", "--frontier"),
    ("budget_tolerance", "--budget-tolerance"),
)


def _curve_file(paths, renames, x: str, y: str, task: str | None) -> _Curve | None:
    """The curve of a two-column CSV among ``paths`` (``None`` when there is none)."""
    rename = parse_renames(renames)
    files = [Path(p) for p in paths if curve_columns(Path(p), rename) is not None]
    if not files:
        return None
    path = files[0]
    if len(paths) > 1:
        same = path.resolve()
        others = ", ".join(dict.fromkeys(str(p) for p in paths if Path(p).resolve() != same))
        if not others:
            raise InputError(f"{path}: given {len(paths)} times; expected it once")
        raise InputError(f"{path}: {CURVE_FILE}: fit it alone, not with {others}")
    meta = click.get_current_context().meta
    chosen = [option for column, (option, _) in _SELECTORS.items() if _chosen(column) is not None]
    chosen += ["--task"] if task is not None else []
    for key, option in _TABLE_ONLY:
        value = meta.get(f"emergence.{key}")
        if value is not None and value is not False:  # not "in (None, False)": 0.0 == False
            chosen.append(option)
    if chosen:
        raise InputError(
            f"{chosen[0]}: chooses among the curves or models of a table; {path.name} is a "
            "two-column curve file, one curve without models"
        )
    output = click.get_current_context().params.get("output")
    check_writable_output(output)  # as load_inputs does before reading
    check_format_agrees(output)
    meta[INPUTS_KEY] = (str(path),)  # never written over by -o
    check_output(output)
    xs, ys = read_curve_file(path, x, y, rename)
    return _Curve(xs, ys, str(path))


def _xy(paths, input_format, renames, x: str, y: str, task: str | None) -> _Curve:
    if input_format is None:  # a format given is read by its loader
        curve = _curve_file(paths, renames, x, y, task)
        if curve is not None:
            return curve
    rename = parse_renames(renames)
    if input_format is not None and any(curve_columns(Path(p), rename) for p in paths):
        raise InputError(
            f"--input-format {input_format}: reads tables (--x params, tokens or flops); "
            f"{CURVE_FILE}, read only without --input-format"
        )
    if x not in X_COLUMNS:
        for path, reader in two_column_files(paths, rename):
            use = ("give it with --sizes beside the results it sizes" if reader == SIZES_FILE
                   else "--x takes params, tokens or flops for it")
            raise InputError(f"--x {x}: {path.name} is {reader}, not a curve file; {use}")
        raise InputError(
            f"--x {x}: expected params, tokens or flops for a loss or scores table; a column "
            "of another name is read only from a .csv file of exactly two columns, named by --x "
            "and --y"
        )
    tables = _load(paths, input_format, renames, curves=True)
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
