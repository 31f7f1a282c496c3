"""Run the stages a report needs on loaded tables: metrics (rescore), detect and fit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .detect_results import detect_frames
from .fit_losses import scaling_fits
from .inputs import file_digests
from .result import Analysis, Settings
from .task_counts import count_tasks
from .task_labels import with_task_labels

if TYPE_CHECKING:
    from ..load import Tables
    from ..metrics.text import Normalisation


def analyse(
    tables: Tables,
    seed: int = 0,
    alpha: float = 0.05,
    bootstrap: int = 1000,
    level: float = 0.95,
    normalisation: Normalisation | None = None,
    jobs: int | None = None,
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
    normalisation : emergence.metrics.text.Normalisation, optional
        Text normalisation of exact match (strict when omitted), for the rescored scores and
        the verdicts alike.
    jobs : int, optional
        Worker processes for the scaling-law bootstrap (default: every available core). The
        results do not depend on it.

    Returns
    -------
    Analysis

    Raises
    ------
    InputError
        The tables hold nothing to analyse.
    """
    from ..metrics import rescore, score_items

    if tables.items.empty and tables.scores.empty and tables.losses.empty:
        raise InputError("nothing to analyse: no items, scores or losses were found")
    items = tables.items if not tables.items.empty else None
    scores = tables.scores if not tables.scores.empty else None
    # score the items once: the rescored table and the detect stage share the per-item values
    per_item = score_items(items, normalisation=normalisation) if items is not None else None
    scored = (
        rescore(items, scores, n_boot=bootstrap, seed=seed, level=level, item_scores=per_item,
                normalisation=normalisation)  # fmt: skip
        if items is not None or scores is not None
        else pd.DataFrame(columns=["family", "model", "params", "task", "metric", "value"])
    )
    scored = with_task_labels(_normal_intervals(scored, level))
    verdicts, statistics, curves = detect_frames(
        _detect(tables, alpha, seed, bootstrap, per_item, normalisation)
    )
    return Analysis(
        inputs=file_digests(tables.sources),
        models=_models(tables),
        tasks=_tasks(scored),
        scores=scored,
        mirage=curves,
        verdicts=verdicts,
        statistics=statistics,
        scaling=scaling_fits(tables.losses, seed=seed, bootstrap=bootstrap, level=level,
                             jobs=jobs),
        settings=Settings(seed=seed, alpha=alpha, bootstrap=bootstrap, level=level,
                          normalisation=normalisation),  # fmt: skip
        task_counts=count_tasks(tables),
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


def _detect(tables: Tables, alpha: float, seed: int, bootstrap: int, item_scores=None,
            normalisation: Normalisation | None = None) -> Any:  # fmt: skip
    """Run the detect stage's table-level entry point (None when nothing can be assessed)."""
    from ..detect import detect

    try:
        return detect(tables, alpha=alpha, seed=seed, bootstrap=bootstrap,
                      item_scores=item_scores, normalisation=normalisation)  # fmt: skip
    except InputError:
        if tables.items.empty and tables.scores.empty:
            return None  # losses only: no task to assess
        raise
