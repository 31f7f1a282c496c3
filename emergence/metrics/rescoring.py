"""Rescoring: items table in, scores table out (with aggregate-only scores passed through)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..schema import SCORES
from . import registry, text
from .aggregate import BootstrapSpec, aggregate
from .scoring import ItemScores, check_scores_match, score_items

# Output columns: the identifying ones first (docs/metrics.md §Aggregation), then the rest of
# the scores table in schema order (whose required-first order puts subtask after value).
_IDENTIFYING = ("family", "model", "params", "task", "subtask", "n_shots", "metric")
COLUMN_ORDER = (*_IDENTIFYING, *(c for c in SCORES.names if c not in _IDENTIFYING))


def rescore(
    items: pd.DataFrame | None,
    scores: pd.DataFrame | None = None,
    metrics: Sequence[str | registry.Metric] | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    normalisation: text.Normalisation | None = None,
    tokenizer: str = "regex",
    workers: int = -1,
    item_scores: ItemScores | None = None,
) -> pd.DataFrame:
    """Score every item under each metric and aggregate per model, task and metric.

    Parameters
    ----------
    items : pandas.DataFrame or None
        Items table; may be empty or ``None`` when only aggregate scores are available.
    scores : pandas.DataFrame, optional
        Existing scores table (e.g. BIG-bench aggregates); its rows are appended unchanged
        but for their order (scale order within a family, as the rescored rows).
    metrics : sequence of str or Metric, optional
        Metric names; default every metric the items support (see
        :func:`~emergence.metrics.scoring.score_items`).
    n_boot, seed, level
        Bootstrap replicates, seed and confidence level (:class:`BootstrapSpec`).
    normalisation, tokenizer, workers
        Metric options (:func:`~emergence.metrics.scoring.configure`).
    item_scores : ItemScores, optional
        Per-item values already computed by :func:`~emergence.metrics.scoring.score_items` on
        ``items`` (same rows, same order: spot-checked, an InputError otherwise), so a caller that
        also runs the detect stage scores the items once; ``metrics`` and the metric options
        are then ignored.

    Returns
    -------
    pandas.DataFrame
        Scores table (:data:`emergence.schema.SCORES`; optional columns only when some row has
        them) in :data:`COLUMN_ORDER`: family, model, params, task, [subtask], [n_shots],
        metric, value, then the other columns. Rescored rows first, then the passed-through
        rows.
    """
    frames = []
    if items is not None and len(items):
        per_item = item_scores
        if per_item is None:
            per_item = score_items(
                items, metrics, normalisation=normalisation, tokenizer=tokenizer, workers=workers
            )
        else:
            check_scores_match(items, per_item)
        fresh = aggregate(items, per_item, BootstrapSpec(n_boot, seed, level))
        frames.append(_in_scale_order(fresh))
    if scores is not None and len(scores):
        passed = _in_scale_order(scores)
        if frames:
            # a metric rescored from the items replaces the same row passed through (e.g. a
            # scores file written by an earlier rescore into the same folder)
            keys = [k for k in ("family", "model", "task", "subtask", "n_shots", "metric")
                    if k in passed.columns and k in frames[0].columns]  # fmt: skip
            fresh = pd.MultiIndex.from_frame(frames[0][keys].astype(str))
            stale = pd.MultiIndex.from_frame(passed[keys].astype(str)).isin(fresh)
            passed = passed.loc[~stale].reset_index(drop=True)
        if len(passed):
            frames.append(passed)
    if not frames:
        return pd.DataFrame(columns=list(SCORES.required))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for name in SCORES.required:  # e.g. params of items without sizes: an empty column
        if name not in out.columns:
            out[name] = pd.Series(pd.NA, index=out.index, dtype="Float64" if name == "params"
                                  else "string")  # fmt: skip
    known = [c for c in COLUMN_ORDER if c in out.columns]
    extra = [c for c in out.columns if c not in COLUMN_ORDER]
    return out[known + extra]


def _in_scale_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in scale order within a family (model names do not sort by size: 1375m < 148m)."""
    order = [k for k in ("family", "params", "model", "task", "subtask", "n_shots", "metric")
             if k in frame.columns]  # fmt: skip
    return frame.sort_values(order, kind="stable").reset_index(drop=True)
