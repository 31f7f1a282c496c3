"""Run the stages a report needs on loaded tables: metrics (rescore), detect and fit.

:func:`analyse` takes the tidy tables of :func:`emergence.load` and returns an :class:`Analysis`,
a frozen bundle of every result the HTML report renders (the report itself computes nothing).
Only the public APIs of the stages are called.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError

if TYPE_CHECKING:
    from .load import Tables

#: Columns :attr:`Analysis.verdicts` always has (the detect stage's table-level contract).
VERDICT_COLUMNS = (
    "family", "task", "verdict", "n_scales", "n_items", "discontinuous_metric",
    "discontinuous_pvalue", "continuous_metric", "continuous_pvalue", "q_value",
    "breakpoint_params", "breakpoint_ci_low", "breakpoint_ci_high", "note",
)  # fmt: skip
#: Extra per-task statistics shown in the task sections (:attr:`Analysis.statistics`).
STATISTIC_COLUMNS = (
    "family", "task", "breakthroughness", "looks_emergent", "jump_low_params",
    "jump_high_params", "psi_in_jump", "mirage_max_z", "mirage_consistent",
)  # fmt: skip
#: The backtest holds out the runs at or above this quantile of log compute (6ND).
BACKTEST_QUANTILE = 0.8


@dataclass(frozen=True)
class InputFile:
    """One file that was read.

    Attributes
    ----------
    path : str
        As given to (or found by) the loader.
    sha256 : str
        Hex digest of the file's bytes.
    size : int
        Bytes.
    """

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Settings:
    """How the analysis was run (everything needed to reproduce it besides the inputs)."""

    seed: int
    alpha: float
    bootstrap: int
    level: float
    version: str = __version__


@dataclass(frozen=True)
class ScalingFit:
    """Chinchilla Approach-3 fit of one family's losses, with what the report draws.

    Attributes
    ----------
    family : str
        Family name (``"all"`` when the losses carry no family).
    data : pandas.DataFrame
        The runs: ``params, tokens, flops, loss`` plus ``predicted`` and ``residual``
        (log observed - log predicted; NaN without a fit), sorted by compute and size for
        display (the fits use the input order).
    fit : emergence.fit.FitResult or None
    bootstrap : emergence.fit.BootstrapResult or None
        Percentile bootstrap over runs (parameters and allocation).
    frontier : emergence.fit.ComputeOptimal or None
        Compute-optimal N, D and loss over a grid of budgets spanning the data.
    backtest : emergence.fit.BacktestResult or None
        Fit on the runs whose compute 6ND is below ``backtest.cut`` (the
        :data:`BACKTEST_QUANTILE` quantile of log compute), prediction of the others.
    notes : tuple of str
        Why something is missing (no fit, no frontier, no backtest).
    curves : pandas.DataFrame or None
        The fitted law along each compute budget or token count shared by runs (``group,
        params, tokens, predicted``), for drawing; see :func:`law_curves`.
    isoflop : emergence.fit.IsoflopResult or None
        Approach 2 (isoFLOP parabola minima), when the runs form isoFLOP groups: a cross-check
        of the Approach-3 allocation.
    curve_kind : {"compute", "tokens"} or None
        What the runs along each line of ``curves`` share (None: no line).
    curve_runs : int
        Runs lying on a line of ``curves``.
    split : str or None
        The loss split fitted, when the family's losses hold several (one fit per split).
    """

    family: str
    data: pd.DataFrame
    fit: Any = None
    bootstrap: Any = None
    frontier: Any = None
    backtest: Any = None
    notes: tuple[str, ...] = ()
    curves: pd.DataFrame | None = None
    isoflop: Any = None
    curve_kind: str | None = None
    curve_runs: int = 0
    split: str | None = None

    @property
    def label(self) -> str:
        """The family, with the split when the family's losses hold several."""
        return self.family if self.split is None else f"{self.family} ({self.split})"

    def run_ranges(self) -> dict[str, tuple[float, float]]:
        """Smallest and largest ``params``, ``tokens`` and ``flops`` of the runs fitted."""
        out = {}
        for key in ("params", "tokens", "flops"):
            v = self.data[key].to_numpy(float)
            v = v[np.isfinite(v)]
            out[key] = (float(v.min()), float(v.max())) if v.size else (np.nan, np.nan)
        return out

    def frontier_extrapolated(self) -> pd.DataFrame | None:
        """Which points of the compute-optimal frontier lie outside the runs fitted.

        One row per budget of :attr:`frontier`: ``compute``, ``n_opt``, ``d_opt`` and the flags
        ``compute_outside``, ``n_outside``, ``d_outside`` (the budget, N_opt or D_opt beyond
        the runs' range: the law is extrapolated there). None without a frontier.
        """
        fr = self.frontier
        if fr is None:
            return None
        ranges = self.run_ranges()
        out = pd.DataFrame({"compute": fr.compute, "n_opt": fr.n_opt, "d_opt": fr.d_opt})
        for flag, col, key in (("compute_outside", "compute", "flops"),
                               ("n_outside", "n_opt", "params"),
                               ("d_outside", "d_opt", "tokens")):  # fmt: skip
            lo, hi = ranges[key]
            # a relative tolerance: a budget equal to a run's compute must not read as beyond it
            v = out[col].to_numpy(float)
            out[flag] = ~((v >= lo * (1 - 1e-9)) & (v <= hi * (1 + 1e-9)))
        return out


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows, computed by the stages.

    Attributes
    ----------
    inputs : tuple of InputFile
        Files read, with checksums.
    models : pandas.DataFrame
        ``family, model, params``: one row per evaluated model (items or scores), sorted.
    tasks : pandas.DataFrame
        ``family, task, n_scales, n_items`` (largest item count over scales).
    scores : pandas.DataFrame
        The rescored scores table (bootstrap ``ci_low``/``ci_high``) plus passed-through scores.
    mirage : pandas.DataFrame or None
        The mirage model's exact match per scale, as the detect stage tested it
        (``family, task, params, predicted, band_low, band_high``); None without per-token
        log-probabilities.
    verdicts : pandas.DataFrame
        One row per (family, task) from :func:`emergence.detect.detect` (at least
        :data:`VERDICT_COLUMNS`).
    statistics : pandas.DataFrame
        Extra evidence per (family, task), :data:`STATISTIC_COLUMNS`.
    scaling : tuple of ScalingFit
        One per family with losses.
    settings : Settings
    detect_source : str
        Which detect API produced the verdicts.
    """

    inputs: tuple[InputFile, ...]
    models: pd.DataFrame
    tasks: pd.DataFrame
    scores: pd.DataFrame
    mirage: pd.DataFrame | None
    verdicts: pd.DataFrame
    statistics: pd.DataFrame
    scaling: tuple[ScalingFit, ...]
    settings: Settings
    detect_source: str = field(default="emergence.detect.detect")


def file_digests(paths: tuple[str, ...] | list[str]) -> tuple[InputFile, ...]:
    """SHA-256 and size of each file (in the order given)."""
    out = []
    for p in paths:
        digest = hashlib.sha256()
        with open(p, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        out.append(InputFile(str(p), digest.hexdigest(), Path(p).stat().st_size))
    return tuple(out)


def analyse(
    tables: Tables,
    seed: int = 0,
    alpha: float = 0.05,
    bootstrap: int = 1000,
    level: float = 0.95,
) -> Analysis:
    """Rescore, fit and detect: every result the report renders.

    Parameters
    ----------
    tables : emergence.load.Tables
        What :func:`emergence.load` returned.
    seed : int
        Seed of every bootstrap (items and scaling-law fits).
    alpha : float
        False-discovery rate for threshold calls (Benjamini-Hochberg across tasks).
    bootstrap : int
        Bootstrap replicates for the score intervals, the breakpoint intervals and the
        scaling-law parameter intervals.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    Analysis

    Raises
    ------
    InputError
        The tables hold nothing to analyse.
    """
    from .metrics import rescore, score_items

    if tables.items.empty and tables.scores.empty and tables.losses.empty:
        raise InputError("nothing to analyse: no items, scores or losses were found")
    items = tables.items if not tables.items.empty else None
    scores = tables.scores if not tables.scores.empty else None
    # score the items once: the rescored table and the detect stage share the per-item values
    per_item = score_items(items) if items is not None else None
    scored = (
        rescore(items, scores, n_boot=bootstrap, seed=seed, level=level, item_scores=per_item)
        if items is not None or scores is not None
        else pd.DataFrame(columns=["family", "model", "params", "task", "metric", "value"])
    )
    scored = with_task_labels(_normal_intervals(scored, level))
    verdicts, statistics, curves = detect_frames(_detect(tables, alpha, seed, bootstrap, per_item))
    return Analysis(
        inputs=file_digests(tables.sources),
        models=_models(tables),
        tasks=_tasks(scored),
        scores=scored,
        mirage=curves,
        verdicts=verdicts,
        statistics=statistics,
        scaling=scaling_fits(tables.losses, seed=seed, bootstrap=bootstrap, level=level),
        settings=Settings(seed=seed, alpha=alpha, bootstrap=bootstrap, level=level),
    )


def _normal_intervals(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    """Intervals for passed-through aggregate scores that give a standard error and no interval
    (lm-eval's ``acc_stderr``): value -/+ z SE at ``level``. Rescored rows keep theirs (the item
    bootstrap, or none with ``--bootstrap 0``)."""
    if scores.empty or "stderr" not in scores.columns:
        return scores
    from scipy import stats

    out = scores.copy()
    for col in ("ci_low", "ci_high"):
        if col not in out.columns:
            out[col] = np.nan
    se = pd.to_numeric(out["stderr"], errors="coerce").to_numpy(dtype=float)
    value = pd.to_numeric(out["value"], errors="coerce").to_numpy(dtype=float)
    given = out["ci_low"].notna().to_numpy() | out["ci_high"].notna().to_numpy()
    rescored = (out["source"] == "rescore").to_numpy() if "source" in out.columns else False
    fill = ~given & ~rescored & np.isfinite(se) & np.isfinite(value)
    if fill.any():
        z = float(stats.norm.ppf(0.5 + level / 2))
        out.loc[fill, "ci_low"] = value[fill] - z * se[fill]
        out.loc[fill, "ci_high"] = value[fill] + z * se[fill]
    return out


def _models(tables: Tables) -> pd.DataFrame:
    parts = [
        t[["family", "model", "params"]]
        for t in (tables.items, tables.scores)
        if not t.empty and {"family", "model", "params"} <= set(t.columns)
    ]
    if not parts:
        return pd.DataFrame({"family": [], "model": [], "params": []})
    frame = pd.concat(parts, ignore_index=True).drop_duplicates(["family", "model"])
    return frame.sort_values(["family", "params", "model"], kind="stable").reset_index(drop=True)


def _tasks(scores: pd.DataFrame) -> pd.DataFrame:
    if scores.empty:
        return pd.DataFrame({"family": [], "task": [], "n_scales": [], "n_items": []})
    grouped = scores.groupby(["family", "task"], sort=True)
    out = grouped["params"].nunique().rename("n_scales").to_frame()
    if "n_items" in scores.columns:
        out["n_items"] = grouped["n_items"].max()
    else:
        out["n_items"] = np.nan
    return out.reset_index()


# --- detect: per (family, task) verdicts ------------------------------------------------------


def _detect(tables: Tables, alpha: float, seed: int, bootstrap: int, item_scores=None) -> Any:
    """Run the detect stage's table-level entry point (None when nothing can be assessed)."""
    from .detect import detect

    try:
        return detect(tables, alpha=alpha, seed=seed, bootstrap=bootstrap, item_scores=item_scores)
    except InputError:
        if tables.items.empty and tables.scores.empty:
            return None  # losses only: no task to assess
        raise


def task_label(task: object, subtask: object = None, n_shots: object = None) -> str:
    """The name a report uses for a task: ``task``, ``task / subtask``, ``task / 5-shot``.

    The verdict unit of the detect stage is (family, task[, subtask][, n_shots]); the report
    shows one section per such label.
    """
    parts = [str(task)]
    if subtask is not None and not pd.isna(subtask):
        parts.append(str(subtask))
    if n_shots is not None and not pd.isna(n_shots):
        parts.append(f"{int(n_shots)}-shot")
    return " / ".join(parts)


def with_task_labels(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` with ``task`` replaced by :func:`task_label` where it has subtask or n_shots."""
    if frame is None or frame.empty:
        return frame
    extra = [c for c in ("subtask", "n_shots") if c in frame.columns and frame[c].notna().any()]
    if not extra:
        return frame
    sub = frame["subtask"] if "subtask" in extra else [None] * len(frame)
    shots = frame["n_shots"] if "n_shots" in extra else [None] * len(frame)
    labels = [task_label(t, s, n) for t, s, n in zip(frame["task"], sub, shots, strict=True)]
    return frame.assign(task=labels)


def _task_key(key: dict) -> dict:
    label = task_label(key.get("task"), key.get("subtask"), key.get("n_shots"))
    return {"family": key.get("family"), "task": label}


def detect_frames(result: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Verdicts, extra statistics and the tested mirage curves from a detect result.

    Parameters
    ----------
    result : emergence.detect.tables.DetectResult or None

    Returns
    -------
    verdicts : pandas.DataFrame
        The detect stage's verdict table (at least :data:`VERDICT_COLUMNS`).
    statistics : pandas.DataFrame
        :data:`STATISTIC_COLUMNS`, one row per verdict row.
    mirage : pandas.DataFrame or None
        ``family, task, params, predicted, band_low, band_high``: the exact match the mirage
        model predicts at each scale and the band the observed curve had to stay in.
    """
    if result is None:
        verdicts = pd.DataFrame({c: pd.Series(dtype=object) for c in VERDICT_COLUMNS})
        stats = pd.DataFrame({c: pd.Series(dtype=object) for c in STATISTIC_COLUMNS})
        return verdicts, stats, None
    stats, curves = [], []
    for tc in result.tasks:
        ev = tc.verdict.evidence
        stats.append({
            **_task_key(tc.key), "breakthroughness": ev.breakthroughness,
            "looks_emergent": ev.looks_emergent, "jump_low_params": _exp10(ev.jump_region[0]),
            "jump_high_params": _exp10(ev.jump_region[1]), "psi_in_jump": ev.psi_in_jump,
            "mirage_max_z": ev.mirage_max_z, "mirage_consistent": ev.mirage_consistent,
        })  # fmt: skip
        if tc.mirage_prediction is not None:
            low, high = tc.mirage_band if tc.mirage_band is not None else (None, None)
            curves.append(pd.DataFrame({
                **_task_key(tc.key), "params": tc.params, "predicted": tc.mirage_prediction,
                "band_low": np.nan if low is None else np.clip(low, 0.0, 1.0),
                "band_high": np.nan if high is None else np.clip(high, 0.0, 1.0),
            }))  # fmt: skip
    mirage = pd.concat(curves, ignore_index=True) if curves else None
    verdicts = with_task_labels(result.verdicts)
    return verdicts, pd.DataFrame(stats, columns=list(STATISTIC_COLUMNS)), mirage


def _exp10(value: float) -> float:
    return float(10.0**value) if math.isfinite(value) else math.nan


# --- fit: scaling laws from the losses table ----------------------------------------------------


def scaling_fits(
    losses: pd.DataFrame, seed: int = 0, bootstrap: int = 1000, level: float = 0.95
) -> tuple[ScalingFit, ...]:
    """Chinchilla fit, bootstrap, compute-optimal frontier and backtest per family.

    Parameters
    ----------
    losses : pandas.DataFrame
        Losses table (``params, tokens, loss``; ``family`` and ``flops`` optional).
    seed, bootstrap, level
        Bootstrap seed, resamples (0: none) and confidence level.

    Returns
    -------
    tuple of ScalingFit
        One per family (per family and split, ``split`` set, when a family has losses of
        several splits), sorted; empty without losses.
    """
    if losses is None or losses.empty:
        return ()
    frame = losses.copy()
    if "family" not in frame.columns:
        frame["family"] = "all"
    frame["family"] = frame["family"].fillna("all")
    if "flops" not in frame.columns:
        frame["flops"] = np.nan
    n, d = frame["params"].to_numpy(float), frame["tokens"].to_numpy(float)
    flops = frame["flops"].to_numpy(float)
    frame["flops"] = np.where(np.isfinite(flops), flops, 6.0 * n * d)
    frame["_split"] = ""
    if "split" in frame.columns:
        # train and validation losses of the same runs are two scaling laws, never one fit
        # (``emergence fit`` refuses to pool them too): one fit per split
        split = frame["split"].astype("string").fillna("no split")
        several = frame.groupby("family")["split"].transform(lambda s: s.nunique(dropna=False) > 1)
        frame["_split"] = np.where(several.to_numpy(bool), split, "")
    fits = []
    for (fam, split), g in frame.groupby(["family", "_split"], sort=True):
        sf = _fit_family(str(fam), g.reset_index(drop=True), seed, bootstrap, level)
        fits.append(replace(sf, split=str(split)) if split else sf)
    return tuple(fits)


def _fit_family(family: str, g: pd.DataFrame, seed: int, n_boot: int, level: float) -> ScalingFit:
    from .fit import backtest_chinchilla, bootstrap_chinchilla, chinchilla_predict
    from .fit import compute_optimal as optimal
    from .fit.chinchilla import allocation_problem

    # every fit runs on the rows in input order, as ``emergence fit`` does: the bootstrap draws
    # row indices, so a reordering would give other resamples and other intervals
    runs = g[["params", "tokens", "flops", "loss"]].reset_index(drop=True)
    n, d, y, c = (runs[k].to_numpy(float) for k in ("params", "tokens", "loss", "flops"))
    notes: list[str] = []
    try:
        from .fit import fit_chinchilla

        fit = fit_chinchilla(n, d, y, source=f"losses of {family}")
    except InputError as err:
        data = _for_display(runs.assign(predicted=np.nan, residual=np.nan))
        return ScalingFit(family, data, notes=(f"no Chinchilla fit: {err}",))
    pred = chinchilla_predict(fit.params, n, d)
    data = _for_display(runs.assign(predicted=pred, residual=np.log(y) - np.log(pred)))
    boot = None
    if n_boot:
        try:
            boot = bootstrap_chinchilla(
                n, d, y, n_boot=n_boot, seed=seed, start=fit.params, n_jobs=None, level=level,
                compute=float(np.max(c)),
            )  # fmt: skip
        except InputError as err:  # too few distinct runs to resample: fit without intervals
            notes.append(f"no bootstrap: {err}")
    frontier = None
    problem = allocation_problem(fit, n, d)
    if problem:
        notes.append(f"no compute-optimal frontier: {problem}")
    else:
        try:
            grid = np.logspace(np.log10(c.min()) - 1, np.log10(c.max()) + 1, 41)
            frontier = optimal(fit.params, grid)
        except InputError as err:
            notes.append(f"no compute-optimal frontier: {err}")
    backtest = None
    # the cut is taken on 6ND, the compute backtest_chinchilla splits on, so the count of
    # fitted runs checked here is the count it fits
    cut = float(10 ** np.quantile(np.log10(6.0 * n * d), BACKTEST_QUANTILE))
    train = 6.0 * n * d < cut
    if train.sum() >= 10 and (~train).sum() >= 1:
        try:
            backtest = backtest_chinchilla(n, d, y, cut=cut, scale="flops")
        except InputError as err:
            notes.append(f"no backtest: {err}")
    else:
        notes.append(
            f"no backtest: {int(train.sum())} runs below the cut at the "
            f"{100 * BACKTEST_QUANTILE:g}th percentile of log compute (6ND), 10 needed"
        )
    curves, kind, on_curves = law_curves(fit.params, data, chinchilla_predict)
    isoflop = None
    try:
        from .fit import fit_isoflop

        isoflop = fit_isoflop(n, y, compute=c, source=f"losses of {family}")
    except InputError as err:
        notes.append(f"no isoFLOP cross-check: {err}")
    return ScalingFit(
        family, data, fit, boot, frontier, backtest, tuple(notes), curves, isoflop,
        curve_kind=kind, curve_runs=on_curves,
    )  # fmt: skip


def _for_display(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs sorted by compute, then size (the order tables and figures show them in)."""
    return runs.sort_values(["flops", "params"], kind="stable").reset_index(drop=True)


def law_curves(
    params: dict, data: pd.DataFrame, predict: Any
) -> tuple[pd.DataFrame, str | None, int]:
    """The fitted law through groups of runs, for drawing.

    Runs share a compute budget when their FLOP agree within 0.05 decades, and a token count
    when their ``tokens`` are equal. An isoFLOP grid (Chinchilla-style) shares budgets; a suite
    that trains every size on the same tokens (Pythia-like) shares token counts. The grouping
    that puts more runs on a line (of at least two sizes) is drawn, compute budgets on a tie.
    Along a line N spans the group's runs and D is interpolated between the runs' own D (linear
    in log N, log D), so no relation between C, N and D is assumed; for a token count it is
    constant.

    Parameters
    ----------
    params : dict
        Fitted Chinchilla parameters.
    data : pandas.DataFrame
        The runs (``params, tokens, flops``).
    predict : callable
        ``predict(params, n, d)``: the law.

    Returns
    -------
    curves : pandas.DataFrame
        ``group, params, tokens, predicted``; ``group`` is the budget (median FLOP of its runs)
        or the token count shared along the line.
    kind : {"compute", "tokens"} or None
        What the lines share (None: no two runs share either).
    runs : int
        How many runs lie on a drawn line.
    """
    n = data["params"].to_numpy(float)
    d = data["tokens"].to_numpy(float)
    log_c = np.log10(data["flops"].to_numpy(float))
    by_kind = {
        "compute": (np.round(log_c / 0.05) * 0.05, lambda m: float(np.median(10 ** log_c[m]))),
        "tokens": (d, lambda m: float(d[m][0])),
    }
    groups = {kind: _lines(key, n) for kind, (key, _) in by_kind.items()}
    covered = {kind: int(sum(m.sum() for m in masks)) for kind, masks in groups.items()}
    kind = "tokens" if covered["tokens"] > covered["compute"] else "compute"
    parts = []
    for m in groups[kind]:
        log_n, log_d = np.log10(n[m]), np.log10(d[m])
        sizes = np.unique(log_n)
        mean_log_d = np.array([log_d[log_n == s].mean() for s in sizes])  # repeated sizes
        grid = np.linspace(sizes[0], sizes[-1], 40)
        tokens = 10 ** np.interp(grid, sizes, mean_log_d)
        parts.append(pd.DataFrame({
            "group": by_kind[kind][1](m), "params": 10**grid, "tokens": tokens,
            "predicted": predict(params, 10**grid, tokens),
        }))  # fmt: skip
    if not parts:
        empty = pd.DataFrame({"group": [], "params": [], "tokens": [], "predicted": []})
        return empty, None, 0
    return pd.concat(parts, ignore_index=True), kind, covered[kind]


def _lines(key: np.ndarray, n: np.ndarray) -> list[np.ndarray]:
    """Masks of the runs sharing each value of ``key``, where they span two sizes or more."""
    masks = [key == k for k in np.unique(key)]
    return [m for m in masks if np.unique(n[m]).size >= 2]
