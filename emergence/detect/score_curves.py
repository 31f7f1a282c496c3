"""Per-task curves from an aggregate scores table (e.g. BIG-bench results): the per-scale
values are read as they are, with item counts and standard errors where the scores give them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emergence.detect.grouping import (
    _curve_groups,
    _group_mean,
    _pooled_note,
    _present,
    _scale_index,
)
from emergence.detect.preregistered import (
    CURVE_KEYS,
    EXACT_MATCH_NAMES,
    SCORE_COMPANIONS,
    SCORE_DISCONTINUOUS,
    base_metric,
)
from emergence.detect.task_curves import _Curve
from emergence.errors import InputError
from emergence.schema import outside_range, percentage_hint


def _pick_metric(present: set[str], names) -> str | None:
    """The first of ``names`` that the scores have, bare or under an lm-eval filter: the bare
    name first, then its filtered variants in sorted order (``exact_match,flexible-extract``
    before ``exact_match,strict-match``)."""
    for name in names:
        if name in present:
            return name
        filtered = sorted(m for m in present if base_metric(m) == name)
        if filtered:
            return filtered[0]
    return None


def _score_curves(scores: pd.DataFrame, skip: set[tuple]) -> list[_Curve]:
    scores = scores[scores["params"].notna()].reset_index(drop=True)
    if scores.empty:
        return []
    keys = _present(scores, CURVE_KEYS)
    comp_specs = {name: (hib, t) for name, hib, t in SCORE_COMPANIONS}
    curves = []
    for key, rows in _curve_groups(scores, keys):
        if tuple(key.get(k) for k in ("family", "task", "subtask", "n_shots")) in skip:
            continue
        part = scores.iloc[rows]
        present = set(part["metric"].unique())
        # Inspect's accuracy is the mean of its scorer's values, on the scorer's scale: outside
        # [0, 1] it is no rate, so it cannot be the discontinuous metric
        present -= {m for m in present if base_metric(m) == "accuracy" and not _is_rate(part, m)}
        disc_name = _pick_metric(present, SCORE_DISCONTINUOUS)
        comp_name = _pick_metric(present, [m for m, *_ in SCORE_COMPANIONS])
        for metric in (disc_name, comp_name, "p_correct", "target_logprob", "mean_token_logprob"):
            if metric in present:
                _check_range(part, metric)
        uniq, _ = _scale_index(part["params"].to_numpy(dtype=float))
        n_s = uniq.size
        nan = np.full(n_s, np.nan)

        def per_scale(metric, column="value", part=part, uniq=uniq, nan=nan, n_s=n_s):
            m = part[part["metric"] == metric]
            if column not in m.columns:
                return nan.copy()
            code = np.searchsorted(uniq, m["params"].to_numpy(dtype=float))
            vals = pd.to_numeric(m[column], errors="coerce").to_numpy(dtype=float)
            return _group_mean(vals, code, n_s)[0]

        disc = per_scale(disc_name) if disc_name else nan
        n_items = per_scale(disc_name, "n_items") if disc_name else nan
        if disc_name and not np.all(np.isfinite(n_items)):
            se = per_scale(disc_name, "stderr")
            n_items = np.where(np.isfinite(n_items), n_items, implied_item_counts(disc, se))
        comp, transform, comp_se = nan, None, None
        if comp_name:
            hib, transform = comp_specs[base_metric(comp_name)]
            comp = per_scale(comp_name)
            comp_se = per_scale(comp_name, "stderr")
        # answer length in tokens: log p(whole target) over the mean per-token log-prob
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = per_scale("target_logprob") / per_scale("mean_token_logprob")
        ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
        length = float(np.median(ratio)) if ratio.size else None
        pred = pred_se = None
        if base_metric(disc_name) in EXACT_MATCH_NAMES and "p_correct" in present:
            # mean_j p_ij^L is the mean of p_correct; without the items the Bernoulli variance
            # sum_j q_j(1 - q_j) is bounded by n q(1 - q), a conservative (wider) band
            pred = per_scale("p_correct")
            n = np.where(np.isfinite(n_items), n_items, np.nan)
            pred_se = np.sqrt(n * pred * (1 - pred) + 1.0) / n
            if not np.all(np.isfinite(pred) & np.isfinite(pred_se)):
                pred = pred_se = None
        curves.append(
            _Curve(key, uniq, n_items, disc_name, disc, comp_name, comp, transform, pred,
                   pred_se, None, length, comp_se,
                   pooled=_pooled_note(part["params"].to_numpy(dtype=float),
                                       part["model"].to_numpy(dtype=object))
                   if "model" in part.columns else "")
        )  # fmt: skip
    return curves


def implied_item_counts(rate: np.ndarray, stderr: np.ndarray) -> np.ndarray:
    """Item counts implied by rates and their standard errors (NaN where none is).

    A rate v over n items has se^2 = v (1 - v) / (n - 1) when the SD is the sample SD (ddof =
    1: lm-eval, emergence's own rescore) and v (1 - v) / n with the population SD, so
    m = v (1 - v) / se^2 is n - 1 or n. The count is the one of m + 1 and m for which v n is a
    whole number of correct items (exactly one is, when the inputs are not rounded and
    0 < v < 1); when neither is (rounded inputs, or models pooled into one scale), the sample-SD
    reading m + 1.

    Parameters
    ----------
    rate, stderr : numpy.ndarray
        Per-scale rates in [0, 1] and their standard errors.

    Returns
    -------
    numpy.ndarray
        Counts as floats; NaN where the rate is 0 or 1, the standard error is not positive, or
        it is too large for any count.
    """
    v = np.asarray(rate, dtype=float)
    se = np.asarray(stderr, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (v > 0) & (v < 1) & (se > 0) & np.isfinite(se)
        m = np.round(np.where(ok, v * (1 - v) / se**2, np.nan))
        ok &= m >= 1  # a standard error too large for any count (v(1 - v)/se^2 < 1/2)

        def whole(n: np.ndarray) -> np.ndarray:
            k = v * n
            return np.abs(k - np.round(k)) <= 1e-12 * np.maximum(k, 1.0)

    population = whole(m) & ~whole(m + 1)
    return np.where(ok, np.where(population, m, m + 1), np.nan)


def _check_range(part: pd.DataFrame, metric: str) -> None:
    """Refuse a value of ``metric`` outside the range the score has
    (:data:`emergence.schema.METRIC_RANGES`): an exact match of 1.7 is no rate, and the tests
    would weigh it as one. Loaded tables were checked by the loaders; a frame given directly
    was not."""
    rows = part[part["metric"] == metric]
    values = pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float)
    bad, lo, hi = outside_range([metric] * len(values), values)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    row = rows.iloc[i]
    where = ", ".join(
        f"{k} {row[k]}" for k in ("family", "model", "task", "subtask", "n_shots")
        if k in row.index and pd.notna(row[k])
    )
    source = f"{row['source']}: " if "source" in row.index and pd.notna(row["source"]) else ""
    raise InputError(
        f"{source}score {metric} of {where}: expected a value in [{lo[i]:g}, {hi[i]:g}], got "
        f"{values[i]:g}{percentage_hint(hi[i], values[i])}"
    )


def _is_rate(part: pd.DataFrame, metric: str) -> bool:
    values = pd.to_numeric(part.loc[part["metric"] == metric, "value"], errors="coerce")
    return bool(values.dropna().between(0.0, 1.0).all())

