"""Table-level detect: items or aggregate scores in, one verdict per (family, task) out.

This wires the pure decision logic of :mod:`emergence.detect.verdict` to the tidy tables of
:mod:`emergence.load`. With items, every metric is computed by the metrics stage
(:func:`emergence.metrics.score_items`) and the mirage prediction mean_j p_ij^L from the
items' teacher-forced log-probs (as :func:`emergence.metrics.mirage_curves` computes it); with
aggregate scores (e.g. BIG-bench results) the
per-scale values are read as they are. The metric pair of each task is pre-registered: it is
fixed by which fields or metric columns exist, never by looking at p-values
(``docs/detect.md``, "Table-level detect").
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from emergence.detect._common import count
from emergence.detect.verdict import (
    ReplicationResult,
    TaskEvidence,
    TaskVerdict,
    assess_task,
    classify_tasks,
    sharp_break_locations,
    sharp_split_replication,
)
from emergence.errors import InputError
from emergence.load.tables import Tables
from emergence.metrics import (
    ItemScores,
    bootstrap_means,
    get_metric,
    instance_ids,
    score_items,
)
from emergence.metrics.fields import ItemFields
from emergence.metrics.registry import (
    NEG_LOG,
    NEG_LOG_LOG,
    NEG_LOG_NEG,
    NEG_LOG_NEG_LOG,
    Transform,
)
from emergence.progress import progress

CURVE_KEYS = ("family", "task", "subtask", "n_shots")
# Registered item-level metrics, in order of preference (changepoint.md Sec. 6 step 2).
ITEM_DISCONTINUOUS = ("multiple_choice_grade", "exact_match")
ITEM_COMPANIONS = ("mean_token_logprob", "p_correct", "token_edit_distance", "brier")
# Aggregate score columns: registered names first, then names used by BIG-bench and the
# emergence studies. Each companion is (name, higher_is_better, linearising transform).
SCORE_DISCONTINUOUS = (
    "multiple_choice_grade",
    "exact_match",
    "exact_str_match",
    "exact_match_accuracy",
    # Inspect's accuracy: the share of samples scored correct (match, includes or choice scorers)
    "accuracy",
    # lm-eval's accuracy: the multiple-choice grade of a choice task, greedy exact match of a
    # log-likelihood task (acc_norm, its length-normalised variant, is not preferred)
    "acc",
    "acc_norm",
)
SCORE_COMPANIONS: tuple[tuple[str, bool, Transform], ...] = (
    ("mean_token_logprob", True, NEG_LOG_NEG),
    ("target_logprob", True, NEG_LOG_NEG),
    ("log_likelihood", True, NEG_LOG_NEG),
    # lm-eval's perplexity of the targets, exp(-mean log-likelihood): -log(log ppl) is the
    # -log(-mean target log-prob) above
    ("ppl", False, NEG_LOG_LOG),
    ("perplexity", False, NEG_LOG_LOG),  # the same, as lm-eval 0.4 names it
    ("p_correct", True, NEG_LOG_NEG_LOG),
    ("token_edit_distance", False, NEG_LOG),
    ("edit_distance", False, NEG_LOG),
    ("brier", False, NEG_LOG),
    ("brier_bigbench", False, NEG_LOG),
    ("brier_score", False, NEG_LOG),
)
# Pre-registered constants of the threshold test on the linearised companion (docs/detect.md).
# Units: natural log of a loss-like quantity (-log mean CE, -log(-log p), -log TED and -log Brier
# all move by the log-ratio of the per-token loss); x in log10 parameters.
# NOISE_FLOOR: SD of the between-model noise assumed for every family; floors the residual SD,
#   so a smooth misfit smaller than it is no break.
# MIN_JUMP: the smallest jump called sharp (CE falling by a factor e^0.5 = 1.65 beyond the
#   trend between adjacent scales).
# MIN_POWER: power against MIN_JUMP, where the discontinuous metric rises, needed before
#   "no break" counts as evidence (changepoint.md Sec. 6, UNDERPOWERED: power < 0.5).
# MAX_WIDTH: the widest 10-90 % rise (decades) called a threshold, unless the scales around
#   the break are further apart (a step cannot be told from it then).
# KINK_TEST: the second test, for a sharp increase in slope (Holm within the task).
NOISE_FLOOR = 0.03
MIN_JUMP = 0.5
# MISFIT_SCALE: a null-fit residual SD this many times the assumed noise is a misfit, not noise
# (the "underpowered" advice then is not "score more items").
MISFIT_SCALE = 3.0
MIN_POWER = 0.5
MAX_WIDTH = 1.0
KINK_TEST = "both"
# exact match under the names it has in items and in score tables (Gompertz width check)
# (lm-eval's acc/acc_norm are a multiple-choice grade on choice tasks: no p^L width there)
# (Inspect's accuracy may be either, so it gets none)
EXACT_MATCH_NAMES = frozenset(SCORE_DISCONTINUOUS) - {
    "multiple_choice_grade", "acc", "acc_norm", "accuracy"}  # fmt: skip
VERDICT_COLUMNS = (
    "family",
    "task",
    "subtask",
    "n_shots",
    "verdict",
    "n_scales",
    "n_items",
    "discontinuous_metric",
    "discontinuous_pvalue",
    "continuous_metric",
    "continuous_transform",
    "continuous_pvalue",
    "q_value",
    "breakpoint_params",
    "breakpoint_ci_low",
    "breakpoint_ci_high",
    "replicates",
    "breakthroughness",
    "mirage_max_z",
    "em_width_decades",
    "mirage_width_decades",
    "note",
)


@dataclass(frozen=True)
class TaskCurves:
    """Per-scale evidence of one (family, task) for reports.

    Attributes
    ----------
    key : dict
        ``family``, ``task`` and, when present, ``subtask`` and ``n_shots``.
    params : numpy.ndarray
        Parameter counts, ascending (one per scale).
    n_items : numpy.ndarray
        Items scored per scale (NaN when unknown).
    discontinuous_metric : str or None
    discontinuous : numpy.ndarray
        Its per-scale mean (higher is better).
    continuous_metric : str or None
        The pre-registered continuous companion.
    continuous : numpy.ndarray
        Its per-scale mean, in the metric's own units and direction.
    companion : numpy.ndarray
        The linearised companion (higher is better; NaN = censored), the series tested.
    transform : str or None
        Name of the linearising transform.
    mirage_prediction : numpy.ndarray or None
        Discontinuous curve predicted by the mirage model, mean_j p_ij^L.
    mirage_se : numpy.ndarray or None
        SE of observed minus predicted under the mirage null.
    mirage_band : tuple of numpy.ndarray or None
        Bonferroni band (over scales) around the prediction that the observed curve must stay in.
    breakpoint_params : float
        Profile breakpoint on the companion, in parameters (NaN when no significant break).
    breakpoint_ci : tuple of float
        Its interval in parameters (item bootstrap, or delta method without items).
    verdict : TaskVerdict
    replication : ReplicationResult or None
        Item-split confirmation of a threshold.
    """

    key: dict
    params: np.ndarray
    n_items: np.ndarray
    discontinuous_metric: str | None
    discontinuous: np.ndarray
    continuous_metric: str | None
    continuous: np.ndarray
    companion: np.ndarray
    transform: str | None
    mirage_prediction: np.ndarray | None
    mirage_se: np.ndarray | None
    mirage_band: tuple[np.ndarray, np.ndarray] | None
    breakpoint_params: float
    breakpoint_ci: tuple[float, float]
    verdict: TaskVerdict
    replication: ReplicationResult | None


@dataclass(frozen=True)
class DetectResult:
    """What :func:`detect` returns.

    Attributes
    ----------
    verdicts : pandas.DataFrame
        One row per (family, task) with the columns of :data:`VERDICT_COLUMNS` (``subtask`` and
        ``n_shots`` only when the input has them).
    tasks : tuple of TaskCurves
        The same tasks in the same order, with the per-scale series behind each verdict.
    alpha : float
        BH false-discovery rate used.
    seed : int
    """

    verdicts: pd.DataFrame
    tasks: tuple[TaskCurves, ...]
    alpha: float
    seed: int


@dataclass(frozen=True)
class _Curve:
    """Inputs of one task before the decision (internal)."""

    key: dict
    params: np.ndarray
    n_items: np.ndarray
    disc_name: str | None
    disc: np.ndarray
    comp_name: str | None
    comp: np.ndarray
    transform: Transform | None
    pred: np.ndarray | None
    pred_se: np.ndarray | None
    item_matrix: np.ndarray | None  # (items, scales) raw companion per item, for resampling
    answer_length: float | None = None  # mean target tokens (items with log-probs)
    comp_se: np.ndarray | None = None  # per-scale standard error of the companion (scores)
    partial_items: int = 0  # items left out of the companion: not scored at every scale
    mirage_observed: np.ndarray | None = None  # exact match over the rows p^L predicts
    passed_over: str | None = None  # preferred companion with too few items at every scale
    pooled: str = ""  # note: models of one size pooled into one scale


def _task_rng(seed: int, key: dict, purpose: str) -> np.random.Generator:
    """A stream that depends on the seed and the task only (not on the other tasks)."""
    tag = zlib.crc32(repr((purpose, *(str(v) for v in key.values()))).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([seed, tag]))


def _present(frame: pd.DataFrame, keys) -> list[str]:
    return [k for k in keys if k in frame.columns and frame[k].notna().any()]


def _curve_groups(frame: pd.DataFrame, keys: list[str]):
    """(key dict, row positions) per curve, in sorted key order."""
    if frame.empty:
        return
    codes = frame.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    for g in range(codes.max() + 1):
        rows = order[bounds[g] : bounds[g + 1]]
        first = frame.iloc[rows[0]]
        yield {k: first[k] for k in keys}, rows


def _scale_index(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct parameter counts (ascending) and each row's scale index. Models of the same size
    in one family are pooled into one scale: the tests need one value per scale."""
    uniq, inv = np.unique(params, return_inverse=True)
    return uniq, inv.reshape(-1)


def _pooled_note(params: np.ndarray, models: np.ndarray) -> str:
    """Say which models of one size were pooled into one scale (the tests need one value per
    scale; two checkpoints or seeds of one size average), or ''."""
    pairs = pd.DataFrame({"p": params, "m": pd.Series(models, dtype=object).astype(str)})
    pairs = pairs.drop_duplicates()
    shared = pairs[pairs.duplicated("p", keep=False)]
    if shared.empty:
        return ""
    parts = [f"{', '.join(sorted(g['m']))} at {p:.3g}" for p, g in shared.groupby("p", sort=True)]
    return f" (models of the same size pooled into one scale: {'; '.join(parts)})"


def _group_mean(values: np.ndarray, code: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    ok = ~np.isnan(values)
    cnt = np.bincount(code, weights=ok, minlength=n)
    tot = np.bincount(code, weights=np.where(ok, values, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tot / cnt, cnt


def _choose(available: dict[str, float], order) -> str | None:
    """First metric in ``order`` that at least half of the task's rows support."""
    for name in order:
        if available.get(name, 0.0) >= 0.5:
            return name
    return None


# ---------------------------------------------------------------------------------------------
# Items


def _item_curves(items: pd.DataFrame, given: ItemScores | None = None,
                 min_items: int = 50) -> list[_Curve]:  # fmt: skip
    items = items.reset_index(drop=True)
    if items["params"].isna().any():
        raise InputError("detect needs a parameter count for every model (column 'params')")
    sort_keys = [k for k in (*CURVE_KEYS, "params", "model", "item") if k in items.columns]
    order = np.lexsort([pd.factorize(items[k], sort=True)[0] for k in reversed(sort_keys)])
    if (order != np.arange(order.size)).any():
        # float sums depend on their order: the order of the rows (of the input files) must
        # not change a digit of the output
        items = items.iloc[order].reset_index(drop=True)
        if given is not None and len(given.values) == order.size:
            given = ItemScores(given.metrics, given.values[order])
    fields = ItemFields(items)
    avail = {m: get_metric(m).available(fields) for m in (*ITEM_DISCONTINUOUS, *ITEM_COMPANIONS)}
    wanted = [m for m, mask in avail.items() if mask.any()]
    if not wanted:
        raise InputError("the items support no discontinuous or continuous metric")
    if given is not None and len(given.values) == len(items) and set(wanted) <= set(given.metrics):
        scores = ItemScores(
            tuple(wanted), given.values[:, [given.metrics.index(m) for m in wanted]]
        )
    else:
        scores = score_items(items, wanted)
    # Per-item p(whole target) = prod_k p_k for text answers: q_ij of the mirage SE.
    has_lp = avail["p_correct"] & ~avail["multiple_choice_grade"]
    # answer lengths (tokens) of the items p^L predicts: log-probs given, none -inf
    n_tokens = None
    if has_lp.any() and "exact_match" in wanted:
        lp = fields.ragged("target_logprobs")
        with np.errstate(invalid="ignore"):
            usable = has_lp & lp.present & (lp.lengths > 0) & np.isfinite(lp.row_sum())
        n_tokens = np.where(usable, lp.lengths, np.nan).astype(float)
    keys = _present(items, CURVE_KEYS)
    # sorted ids: the item split and the breakpoint bootstrap draw the same items whatever
    # the row order of the input; repeats of one instance (HELM trials, Inspect epochs) pool
    # into one item per scale: they are not independent items for the variances, the item
    # split or the bootstrap
    item_ids = (
        pd.factorize(instance_ids(items["item"]), sort=True)[0]
        if "item" in items.columns
        else None
    )
    params_all = items["params"].to_numpy(dtype=float)
    model_ids, model_names = pd.factorize(items["model"], use_na_sentinel=False)
    model_names = np.asarray(model_names, dtype=object)
    curves = []
    for key, rows in _curve_groups(items, keys):
        frac = {m: float(avail[m][rows].mean()) for m in avail}
        disc_name = _choose(frac, ITEM_DISCONTINUOUS)
        uniq, code = _scale_index(params_all[rows])
        n_s = uniq.size
        nan = np.full(n_s, np.nan)
        ids = (
            np.unique(item_ids[rows], return_inverse=True)[1].reshape(-1)
            if item_ids is not None
            else _within_scale_position(code, model_ids[rows])
        )
        disc, n_disc = nan, nan
        if disc_name:
            # models of the same size are pooled per item (an item counts once per scale)
            dmat = _item_matrix(scores.column(disc_name)[rows], ids, code, n_s)
            disc, n_disc = _column_means(dmat)
        comp, transform = nan, None
        comp_name, mat, partial, passed = _companion_items(frac, scores, rows, ids, code, n_s,
                                                           min_items, disc_name)
        if comp_name:
            transform = get_metric(comp_name).transform
            comp, _ = _column_means(mat)
        pred = pred_se = length = obs = None
        if disc_name == "exact_match" and n_tokens is not None and not has_lp[rows].all():
            # p^L predicts the rows with log-probs only: compare it with exact match there
            # (where those rows have none, e.g. log-likelihood runs beside generation runs,
            # with exact match over all rows)
            em = np.where(has_lp[rows], scores.column("exact_match")[rows], np.nan)
            obs = _column_means(_item_matrix(em, ids, code, n_s))[0]
            obs = np.where(np.isfinite(obs), obs, disc)
        if disc_name == "exact_match" and n_tokens is not None:
            pred, pred_se, length = _mirage_for(n_tokens[rows], uniq, rows, has_lp, scores,
                                                code, ids, model_ids[rows])
        curves.append(
            _Curve(key, uniq, n_disc, disc_name, disc, comp_name, comp, transform, pred,
                   pred_se, mat, length, partial_items=partial, mirage_observed=obs,
                   passed_over=passed, pooled=_pooled_note(params_all[rows],
                                                           model_names[model_ids[rows]]))
        )  # fmt: skip
    return curves


# The share of the best-covered scale's items below which a scale holds another item set
# (censored in the companion).
SPARSE_SCALE = 0.25


def _companion_items(frac: dict, scores: ItemScores, rows: np.ndarray, ids: np.ndarray,
                     code: np.ndarray, n_s: int, min_items: int,
                     disc_name: str | None = None):  # fmt: skip
    """The companion metric, its ``(items, scales)`` matrix of common items, how many items
    were left out, and the preferred companion passed over (or None): the first of
    :data:`ITEM_COMPANIONS` that half the rows support and that scores at least
    ``min_items`` items at every scale, else the first supported one (whose few common items
    make the task underpowered). Log-probs missing for a few items
    at each scale thus fall back to a companion every item has, e.g. token edit distance, but
    never for a multiple-choice grade: there an edit distance between options is the grade
    again (the picked-option rule cannot catch every such output)."""
    first = None
    for name in ITEM_COMPANIONS:
        if frac.get(name, 0.0) < 0.5:
            continue
        if first is not None and disc_name == "multiple_choice_grade" and "edit" in name:
            break
        mat = _item_matrix(scores.column(name)[rows], ids, code, n_s)
        # an item with an infinite value (a token log-prob of -inf: probability 0 to float
        # precision) would make the whole scale's mean infinite, i.e. censor the scale; it
        # leaves the companion at every scale instead (the halves stay paired)
        mat, partial = _common_items(mat[~np.any(np.isinf(mat), axis=1)])
        if mat.shape[0] >= min_items:
            return name, mat, partial, first[0] if first else None
        first = first or (name, mat, partial)
    return (*first, None) if first else (None, None, 0, None)


def _common_items(mat: np.ndarray) -> tuple[np.ndarray, int]:
    """The companion's ``(items, scales)`` matrix restricted to the items scored at every scale.

    Items present at some scales only change a scale's mean with no change in the models
    (easier items that join at the larger sizes passed as a break that even replicated across
    item halves), so the test uses the items scored at every scale. A scale scoring fewer than
    ``SPARSE_SCALE`` of the items the best-covered scale scores holds another item set: it is
    censored rather than allowed to empty the common set. Items never scored are no partial
    items. Fewer than ``min_items`` common items make the task underpowered (see
    :func:`_assess`): with every item kept instead, an item-set change alone gave a
    replicated threshold.

    Returns
    -------
    (matrix of the common items, number of items left out)
    """
    mat = mat[~np.all(np.isnan(mat), axis=1)]
    counts = np.sum(~np.isnan(mat), axis=0)
    if mat.size == 0 or np.all(counts == mat.shape[0]):
        return mat, 0
    sparse = counts < SPARSE_SCALE * counts.max()
    kept = mat.copy()
    kept[:, sparse] = np.nan
    complete = ~np.any(np.isnan(kept[:, (counts > 0) & ~sparse]), axis=1)
    return kept[complete], int((~complete).sum())


def _within_scale_position(code: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Without item ids, the k-th row of each model is taken as item k (so models of the same
    size share items)."""
    out = np.empty(code.size, dtype=np.int64)
    for grp in np.unique(np.column_stack([code, model]), axis=0):
        idx = np.flatnonzero((code == grp[0]) & (model == grp[1]))
        out[idx] = np.arange(idx.size)
    return out


def _item_matrix(values: np.ndarray, ids: np.ndarray, code: np.ndarray, n_s: int) -> np.ndarray:
    """``(items, scales)`` mean per (item, scale) over the rows (models of one size pooled)."""
    n_i = int(ids.max()) + 1 if ids.size else 0
    ok = ~np.isnan(values)
    tot = np.zeros((n_i, n_s))
    cnt = np.zeros((n_i, n_s))
    np.add.at(tot, (ids[ok], code[ok]), values[ok])
    np.add.at(cnt, (ids[ok], code[ok]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / cnt, np.nan)


def _column_means(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over items per scale and the number of distinct items with a value."""
    cnt = np.sum(~np.isnan(mat), axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(mat, axis=0) / cnt, cnt


def _mirage_for(n_tokens, uniq, rows, has_lp, scores, code, ids, models):
    """Mirage prediction per scale (mean over items of q_ij = p_ij^L, the teacher-forced
    probability of the whole answer), the SE of observed minus predicted under the mirage
    null, and the mean answer length (``n_tokens``: tokens per row, NaN where no usable
    log-probs).

    The prediction pools rows per item and scale exactly as the observed exact match does
    (:func:`_item_matrix`: a row mean over the models of that size and the repeats of the
    instance), then averages items. Given the q_ij, exact match is Bernoulli(q_ij) under the
    mirage model *with temperature-1 sampling*, independently for items and models, so the
    variance of an item's row mean is sum_m r_m^2 q_m (1 - q_m) / R^2 (model m with r_m of the
    item's R rows): repeats of one model count as perfectly correlated (exact for greedy
    epochs, conservative for sampled ones), different models as independent. Greedy decoding
    breaks the Bernoulli model itself (an item is then right when every token is the argmax,
    not with probability prod p), so the band is only an approximation for greedy outputs (no
    decoding field exists to switch it off). The +1 under the root adds 1 / n^2 to the
    variance (the variance of 4 items at q = 0.5, not one pseudo-item); it keeps the SE away
    from 0 when every q is 0 or 1.
    """
    if not np.isfinite(n_tokens).any():
        return None, None, None
    n_s = uniq.size
    # per item and scale first (repeats and models of one size pooled, as exact match is)
    length = float(np.nanmean(_item_matrix(n_tokens, ids, code, n_s)))
    q = scores.column("p_correct")[rows]
    ok = has_lp[rows] & ~np.isnan(q)
    q, item, scale, model = q[ok], ids[ok], code[ok], models[ok]
    n_m = int(model.max()) + 1 if model.size else 1
    # (item, scale, model) cells: the repeats of one model
    cell, inv = np.unique((item.astype(np.int64) * n_s + scale) * n_m + model,
                          return_inverse=True)  # fmt: skip
    inv = inv.reshape(-1)
    r = np.bincount(inv).astype(float)
    qc = np.bincount(inv, weights=q) / r
    # (item, scale): its rows over every model
    pair, pinv = np.unique(cell // n_m, return_inverse=True)
    pinv = pinv.reshape(-1)
    big_r = np.bincount(pinv, weights=r)
    item_mean = np.bincount(pinv, weights=r * qc) / big_r
    item_var = np.bincount(pinv, weights=r**2 * qc * (1 - qc)) / big_r**2
    at = (pair % n_s).astype(np.int64)
    n = np.bincount(at, minlength=n_s).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pred = np.bincount(at, weights=item_mean, minlength=n_s) / n
        se = np.sqrt(np.bincount(at, weights=item_var, minlength=n_s) + 1.0) / n
    if not np.all(np.isfinite(pred) & np.isfinite(se)):
        return None, None, length
    return pred, se, length


# ---------------------------------------------------------------------------------------------
# Aggregate scores


def base_metric(name: str | None) -> str | None:
    """A score's metric without its lm-eval filter: ``exact_match,strict-match`` ->
    ``exact_match`` (lm-eval 0.4 names a metric ``metric,filter``; the loader drops only
    ``,none``)."""
    return None if name is None else str(name).split(",", 1)[0]


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
        disc_name = _pick_metric(present, SCORE_DISCONTINUOUS)
        comp_name = _pick_metric(present, [m for m, *_ in SCORE_COMPANIONS])
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
            # a rate's standard error gives its item count: se^2 = v (1 - v) / n (lm-eval's
            # sample SD, ddof = 1, gives n - 1: the smaller count, the conservative one)
            se = per_scale(disc_name, "stderr")
            with np.errstate(invalid="ignore", divide="ignore"):
                implied = np.where((disc > 0) & (disc < 1) & (se > 0),
                                   np.round(disc * (1 - disc) / se**2), np.nan)  # fmt: skip
            n_items = np.where(np.isfinite(n_items), n_items, implied)
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


def _companion_series(c: _Curve, values: np.ndarray | None = None) -> np.ndarray | None:
    """Linearised companion, oriented higher-is-better (transforms already are)."""
    if c.transform is None:
        return None
    return c.transform(c.comp if values is None else values)


def _companion_variances(c: _Curve, rows: np.ndarray | None = None) -> np.ndarray | None:
    """Per-scale sampling variance of the linearised companion from its items (delta method:
    the variance of the item mean, s^2 / K, times the squared slope of the transform). None
    without items. ``rows`` restricts to a subset of the items (an item-split half)."""
    if c.transform is None:
        return None
    if c.item_matrix is None:
        # aggregate scores: the standard error the input gives for the companion, if any
        if c.comp_se is None or not np.any(np.isfinite(c.comp_se)):
            return None
        var = _delta_variance(c.transform, c.comp, c.comp_se**2)
        return _fill_variances(var, c.n_items, np.isfinite(c.transform(c.comp)))
    mat = c.item_matrix if rows is None else c.item_matrix[rows]
    k = np.sum(~np.isnan(mat), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # one item (or none) at a scale: its variance is NaN, filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(mat, axis=0)
        var_mean = np.nanvar(mat, axis=0, ddof=1) / k
    var = _delta_variance(c.transform, mean, var_mean)
    return _fill_variances(var, k.astype(float), np.isfinite(c.transform(mean)))


def _assumed_se(c: _Curve, tested: np.ndarray, ev: TaskEvidence) -> str:
    """Say so when a test ran with standard errors the scores lacked at some scales (filled by
    :func:`_fill_variances`: an assumption the p-value rests on)."""
    if c.item_matrix is not None or c.comp_se is None or ev.underpowered_reason is not None:
        return ""
    given = np.isfinite(c.comp_se)
    missing = int(np.sum(tested & ~given))
    if not given.any() or not missing:
        return ""
    return (f" (the companion's standard error is missing at {count(missing, 'scale')}: taken "
            "from the other scales, which the p-value assumes)")  # fmt: skip


def _partial_note(c: _Curve, min_items: int) -> str:
    """Say which items the companion was tested on when some were not scored at every scale,
    and which preferred companion it replaces."""
    out = ""
    if c.passed_over and c.comp_name:
        out = (f" (the continuous metric is {c.comp_name}: {c.passed_over} has fewer than "
               f"{min_items} items scored at every scale)")
    if not c.partial_items or c.item_matrix is None or c.item_matrix.shape[0] < min_items:
        return out
    kept = int(c.item_matrix.shape[0])
    return out + (f" (the continuous metric uses the {count(kept, 'item')} scored at every "
                  f"scale; {count(c.partial_items, 'item')} scored at only some scales left "
                  "out, since a change in the item set moves the mean without any change in "
                  "the models)")


def _fill_variances(var: np.ndarray, n_items: np.ndarray, tested: np.ndarray) -> np.ndarray:
    """Variances for the scales that have none (a score without a standard error, a scale with
    one item), so that no such scale gets the largest weight (a zero variance) and makes the
    break test anti-conservative: the variance per item of the scales that have both, over the
    scale's item count, else the largest variance given. Censored scales stay NaN."""
    missing = tested & ~np.isfinite(var)
    given = np.isfinite(var)
    if not missing.any() or not given.any():
        return var
    out = var.copy()
    n = np.asarray(n_items, dtype=float)
    both = given & np.isfinite(n) & (n > 0)
    if both.any():
        per_item = float(np.max(var[both] * n[both]))
        scaled = missing & np.isfinite(n) & (n > 0)
        out[scaled] = per_item / n[scaled]
    left = tested & ~np.isfinite(out)
    out[left] = float(np.max(var[given]))
    return out


def _delta_variance(transform: Transform, mean: np.ndarray, var_mean: np.ndarray) -> np.ndarray:
    """Variance of transform(mean) by the delta method (NaN where it is not finite)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        h = 1e-6 * np.maximum(np.abs(mean), 1e-9)
        slope = (transform(mean + h) - transform(mean - h)) / (2 * h)
        out = slope**2 * var_mean
    return np.where(np.isfinite(out), out, np.nan)


# ---------------------------------------------------------------------------------------------
# Breakpoint interval and replication


def _break_kinds(kind: str | None) -> tuple[str, ...]:
    """The break terms of the test that located a break: a kink is a hinge term."""
    return ("hinge",) if kind == "kink" else ("step", "ramp")


def _bootstrap_psi_ci(c: _Curve, x: np.ndarray, ok: np.ndarray, n_boot: int, seed: int,
                      kind: str | None = None):  # fmt: skip
    """Percentile interval of the breakpoint over item resamples (paired across scales), with
    the break terms of the test that located it (``kind``)."""
    mat = c.item_matrix
    present = ~np.isnan(mat)
    reps = bootstrap_means(
        np.where(present, mat, 0.0), present.astype(float), n_boot, _task_rng(seed, c.key, "psi")
    )
    z = _companion_series(c, reps)[:, ok]
    z = z[np.all(np.isfinite(z), axis=1)]
    if z.shape[0] < max(20, n_boot // 2):
        return (float("nan"), float("nan"))
    # the same statistic that located the break, re-maximised on each resample; a location is
    # a midpoint between scales, so widen to the bracketing scales
    var = _companion_variances(c)
    psi = sharp_break_locations(
        x, z, variances=None if var is None else np.nan_to_num(var[ok]), noise_floor=NOISE_FLOOR,
        kinds=_break_kinds(kind),
    )
    lo, hi = np.quantile(psi, [0.025, 0.975])
    return (float(x[x < lo].max(initial=x.min())), float(x[x > hi].min(initial=x.max())))


def _replicate(c: _Curve, x: np.ndarray, ok: np.ndarray, seed: int,
               n_sim: int, kind: str | None = None) -> ReplicationResult | None:  # fmt: skip
    """Item split: discovery (test and break term, of the kind that located the break) on a
    random half A of the items, fixed-term t-test on the other half B. Guards against
    item-sampling noise only (same models)."""
    mat = c.item_matrix
    n = mat.shape[0]
    if n < 4:
        return None
    perm = _task_rng(seed, c.key, "split").permutation(n)
    halves, variances = [], []
    for idx in (perm[: n // 2], perm[n // 2 :]):
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            # a half without a value at some scale (items missing there): NaN, checked below
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(mat[idx], axis=0) if idx.size else np.full(mat.shape[1], np.nan)
        halves.append(_companion_series(c, means)[ok])
        variances.append(_companion_variances(c, idx)[ok])
    if not all(np.all(np.isfinite(h)) for h in (*halves, *variances)):
        return None
    return sharp_split_replication(
        x, halves[0], halves[1], variances_a=variances[0], variances_b=variances[1],
        noise_floor=NOISE_FLOOR, n_sim=n_sim, seed=seed, kinds=_break_kinds(kind),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Entry points


def _replicates(rep: ReplicationResult, alpha: float) -> bool:
    """Discovered on half A and confirmed on half B, each at level alpha."""
    return bool(rep.discovery_p <= alpha and rep.p_value <= alpha)


def _edge_advice(curve: TaskCurves) -> str | None:
    """Which sizes to add for a rise at the edge of the scales: below or above them."""
    lo, hi = curve.verdict.evidence.jump_region
    x = np.log10(curve.params)
    if not (np.isfinite(lo) and np.isfinite(hi)) or x.size < 2:
        return None
    if (lo + hi) / 2 < (x[0] + x[-1]) / 2:
        return (f"the rise is in the first gap: evaluate model sizes below {curve.params[1]:.3g} "
                "params (at least two on each side of it)")  # fmt: skip
    return (f"the rise is in the last gap: evaluate model sizes above {curve.params[-2]:.3g} "
            "params (at least two on each side of it)")  # fmt: skip


def _note(label: str, reason: str, curve: TaskCurves | None, rep: ReplicationResult | None,
          alpha: float) -> str:  # fmt: skip
    if label == "underpowered":
        advice = {
            "scored at every scale <": "score the same items at every scale, each with its "
            "continuous metric (e.g. log-probs for every item): a change in the item set across "
            "scales moves the mean without any change in the models",
            "no discontinuous": "add exact-match or multiple-choice-grade scores to ask whether "
            "the task looks emergent at all",
            "missing at": "score the discontinuous metric at every scale",
            "at every scale": "it sits at its floor or ceiling, so evaluate model sizes (or "
            "a harder or easier task variant) where it changes",
            "uncensored scale <": "the continuous metric sits at its bound (or is infinite) "
            "at some scales; use a metric with more resolution there (e.g. log-probs), the "
            "items, or more model sizes",
            "per scale <": "score more items per scale (at least 50)",
            "scale <": "evaluate more model sizes of this family (at least 6)",
            "at the edge": "evaluate model sizes beyond the jump",
            "continuous": "provide log-probs of the targets (or choice log-probs) so a "
            "continuous metric can be computed",
            "censored": "the continuous metric sits at its bound at most scales, or is "
            "infinite there (a mean log-prob of -inf: one item with probability 0); use a metric "
            "with more resolution (e.g. log-probs), or the items, where such an item is left out",
            "power": "no break was found, but a jump of the pre-registered size could have been "
            "missed: score more items or evaluate more model sizes",
        }
        key = reason.replace("scales", "scale")  # "1 scale < 6" and "5 scales < 6" alike
        tip = next((v for k, v in advice.items() if k in key), "")
        if reason.startswith("5 scales <"):
            # the rule is "fewer than 5"; the power rule is what makes 5 too few
            tip = (f"{tip[:-1]}: with 5 the break test has one residual degree of freedom and "
                   "no power against a jump of the pre-registered size, so neither a "
                   "threshold nor a mirage could be shown)")  # fmt: skip
        if "at the edge" in reason and curve is not None:
            tip = _edge_advice(curve) or tip
        scatter = curve.verdict.evidence.noise_scale if curve is not None else float("nan")
        if "has power" in reason and scatter > MISFIT_SCALE:
            # the power is low because of the misfit, not the item noise
            tip = (f"the companion scatters about a smooth trend {scatter:.0f} times more than "
                   "its item noise and the assumed between-model noise allow (a rise spread "
                   "over several scales, or noisier models), so more items will not help: "
                   "evaluate more model sizes around the jump and inspect the per-scale curves")
        out = f"{reason}: {tip}" if tip else reason
        ev = curve.verdict.evidence if curve is not None else None
        if ev is not None and ev.looks_emergent and not np.isfinite(ev.primary_p):
            # step 1 ran without a companion to test: say whether the task is worth one
            out += (f" (the discontinuous metric does look emergent: screen p = "
                    f"{ev.screen_p:.3g})")  # fmt: skip
        return out
    if label == "threshold":
        where = ""
        if curve is not None and np.isfinite(curve.breakpoint_params):
            where = f" near {curve.breakpoint_params:.3g} params"
        rep_txt = ""
        if rep is not None:
            rep_txt = (
                f"; found on half of the items (p = {rep.discovery_p:.2g}) and confirmed on the "
                f"other half (p = {rep.p_value:.2g})"
                if _replicates(rep, alpha)
                else f"; does NOT replicate across item halves (discovery p = "
                f"{rep.discovery_p:.2g}, confirmation p = {rep.p_value:.2g})"
            )
        return f"{reason}{where}{rep_txt}"
    if label == "mirage":
        return (
            f"{reason}: the jump is what a smoothly improving per-token probability predicts; "
            "report the continuous metric"
        )
    if label == "ambiguous" and "no mirage prediction" in reason:
        return (f"{reason}: p^L needs the targets' log-probs at every scale (items), or a "
                "p_correct score per scale (the mean over items of p(target), for a scores "
                "table); some or all scales lack them: give them, then the jump can be checked "
                "against the smooth per-token probability")
    if label == "ambiguous" and "answer length is unknown" in reason:
        return (f"{reason}: give target_logprob and mean_token_logprob scores (their ratio is "
                "the answer length), or the items")  # fmt: skip
    if label == "ambiguous":
        return f"{reason}; inspect the per-scale curves before drawing a conclusion"
    return reason


def detect(
    tables_or_items: Tables | pd.DataFrame | None,
    scores: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    bootstrap: int = 500,
    min_scales: int = 6,
    min_items: int = 50,
    n_sim: int | None = None,
    item_scores: ItemScores | None = None,
) -> DetectResult:
    """Verdict per (family, task): threshold, mirage, smooth, underpowered or ambiguous.

    Parameters
    ----------
    tables_or_items : Tables or pandas.DataFrame or None
        Loaded tables (items and/or scores), or an items table.
    scores : pandas.DataFrame, optional
        Aggregate scores table (used for tasks that have no items).
    alpha : float, default 0.05
        Benjamini-Hochberg false-discovery rate across tasks, and the level of the item-split
        replication test.
    seed : int, default 0
        Seed of the item bootstrap and of the item split (each task has its own stream).
    bootstrap : int, default 500
        Item-bootstrap replicates for the breakpoint interval (0, or no items: the scales
        bracketing the break).
    min_scales, min_items : int
        Below these a task is ``underpowered``.
    n_sim : int, optional
        Monte Carlo draws of the sharp-break and kink tests. Their p-values are at least
        1 / (n_sim + 1), Holm doubles the smaller one, and BH needs p <= alpha / m for a lone
        discovery among m tasks, so the default is max(2000, 2 m / alpha).
    item_scores : ItemScores, optional
        Per-item values from :func:`emergence.metrics.score_items` on the items (same rows, same
        order), so a caller that also rescores scores the items once; metrics it lacks are
        computed here.

    Returns
    -------
    DetectResult
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    if isinstance(tables_or_items, Tables):
        items, scores = (
            tables_or_items.items,
            (tables_or_items.scores if scores is None else scores),
        )
    else:
        items = tables_or_items
    curves: list[_Curve] = []
    if items is not None and len(items):
        curves.extend(_item_curves(items, item_scores, min_items))
    done = {tuple(c.key.get(k) for k in CURVE_KEYS) for c in curves}
    if scores is not None and len(scores):
        curves.extend(_score_curves(scores, done))
    if not curves:
        raise InputError("no (family, task) with items or scores to assess")

    if n_sim is None:
        n_sim = max(2000, int(np.ceil(2 * len(curves) / alpha)))
    evidence: list[TaskEvidence] = []
    with progress(curves, "assessing tasks") as bar:
        for c in bar:
            evidence.append(_assess(c, min_scales, min_items, alpha, seed, n_sim))
    verdicts = classify_tasks(evidence, fdr=alpha)

    rows, out = [], []
    for c, v in zip(curves, verdicts, strict=True):
        x = np.log10(c.params)
        z = _companion_series(c)
        ok = np.isfinite(z) if z is not None else np.zeros(x.size, dtype=bool)
        psi_p, ci = float("nan"), (float("nan"), float("nan"))
        rep = None
        ev = v.evidence
        # a located upward break (threshold, or ambiguous because it sits off the jump)
        broke = (
            ev.underpowered_reason is None
            and ev.looks_emergent
            and v.q_value <= alpha
            and ev.break_accelerates is not False
        )
        if broke:
            psi_p = float(f"{10.0**ev.psi:.6g}")
            if c.item_matrix is not None and bootstrap > 0:
                lo, hi = _bootstrap_psi_ci(c, x[ok], ok, bootstrap, seed, ev.break_kind)
            else:
                lo, hi = ev.psi_bracket
            ci = (float(f"{10.0**lo:.6g}"), float(f"{10.0**hi:.6g}"))
        if v.label == "threshold" and c.item_matrix is not None:
            rep = _replicate(c, x[ok], ok, seed, n_sim, ev.break_kind)
        band = None
        if c.pred is not None:
            half = stats.norm.isf(0.025 / c.params.size) * c.pred_se
            band = (c.pred - half, c.pred + half)
        tc = TaskCurves(
            key=c.key, params=c.params, n_items=c.n_items, discontinuous_metric=c.disc_name,
            discontinuous=c.disc, continuous_metric=c.comp_name, continuous=c.comp,
            companion=z if z is not None else np.full(x.size, np.nan),
            transform=c.transform.name if c.transform else None, mirage_prediction=c.pred,
            mirage_se=c.pred_se, mirage_band=band, breakpoint_params=psi_p, breakpoint_ci=ci,
            verdict=v, replication=rep,
        )  # fmt: skip
        out.append(tc)
        n_items = np.nanmin(c.n_items) if np.isfinite(c.n_items).any() else np.nan
        rows.append(
            {
                **{k: c.key.get(k) for k in CURVE_KEYS},
                "verdict": v.label,
                "n_scales": int(c.params.size),
                "n_items": int(n_items) if np.isfinite(n_items) else pd.NA,
                "discontinuous_metric": c.disc_name,
                "discontinuous_pvalue": ev.screen_p,
                "continuous_metric": c.comp_name,
                "continuous_transform": c.transform.name if c.transform else None,
                "continuous_pvalue": ev.primary_p,
                "q_value": v.q_value,
                "breakpoint_params": psi_p,
                "breakpoint_ci_low": ci[0],
                "breakpoint_ci_high": ci[1],
                "replicates": pd.NA if rep is None else _replicates(rep, alpha),
                "breakthroughness": ev.breakthroughness,
                "mirage_max_z": ev.mirage_max_z,
                "em_width_decades": ev.width.observed if ev.width else np.nan,
                "mirage_width_decades": ev.width.predicted if ev.width else np.nan,
                "note": _note(v.label, v.reason, tc, rep, alpha) + _assumed_se(c, ok, ev)
                + _partial_note(c, min_items) + c.pooled,
            }
        )
    frame = pd.DataFrame(rows)
    frame["n_items"] = frame["n_items"].astype("Int64")
    frame["replicates"] = frame["replicates"].astype("boolean")
    frame["n_shots"] = frame["n_shots"].astype("Int64") if frame["n_shots"].notna().any() else None
    cols = [c for c in VERDICT_COLUMNS if c not in ("subtask", "n_shots") or frame[c].notna().any()]
    return DetectResult(frame[cols].reset_index(drop=True), tuple(out), alpha, seed)


def _assess(
    c: _Curve, min_scales: int, min_items: int, alpha: float, seed: int, n_sim: int
) -> TaskEvidence:
    x = np.log10(c.params)
    disc = c.disc
    if c.disc_name is None or not np.all(np.isfinite(disc)):
        # no discontinuous metric at every scale: nothing can look emergent
        n = c.params.size
        reason = (
            "no discontinuous metric (exact match or multiple-choice grade)"
            if c.disc_name is None
            else f"{c.disc_name} missing at {int((~np.isfinite(disc)).sum())} of {n} scales"
        )
        nan2 = (float("nan"), float("nan"))
        return TaskEvidence(
            n, None, float("nan"), float("nan"), float("nan"), float("nan"), nan2, nan2, False,
            None, float("nan"), reason,
        )  # fmt: skip
    n_items = int(np.nanmin(c.n_items)) if np.isfinite(c.n_items).any() else None
    kept = int(c.item_matrix.shape[0]) if c.item_matrix is not None else None
    if kept is not None and kept < min_items and (n_items is None or n_items >= min_items):
        # the discontinuous metric passes the item rule but the companion is tested on fewer
        # items: too few items at every scale (testing every item would pass a change in the
        # item set for a break), or a companion only some items have (with too few items
        # overall, assess_task's own rule says so)
        nan2 = (float("nan"), float("nan"))
        why = (f"({count(c.partial_items, 'item')} scored at only some scales)"
               if c.partial_items else f"(the continuous metric {c.comp_name} has no more)")
        return TaskEvidence(
            c.params.size, None, float("nan"), float("nan"), float("nan"), float("nan"),
            nan2, nan2, False, None, float("nan"),
            f"{count(kept, 'item')} scored at every scale < {min_items} {why}",
        )  # fmt: skip
    var = _companion_variances(c)
    return assess_task(
        x,
        disc,
        _companion_series(c),
        mirage_prediction=c.pred,
        mirage_se=c.pred_se,
        mirage_observed=c.mirage_observed,
        n_items=n_items,
        min_scales=min_scales,
        min_items=min_items,
        primary="sharp",
        answer_length=c.answer_length,
        seed=seed,
        n_sim=n_sim,
        variances=None if var is None else np.nan_to_num(var),
        noise_floor=NOISE_FLOOR,
        min_jump=MIN_JUMP,
        min_power=MIN_POWER,
        power_alpha=alpha,
        max_width=MAX_WIDTH,
        locate_below=alpha,
        kink_test=KINK_TEST,
        width_check=bool(
            # -ln(-mean log-prob) only: -ln(-ln mean p_correct) is no multiple of the loss
            base_metric(c.disc_name) in EXACT_MATCH_NAMES and c.transform == NEG_LOG_NEG
        ),
    )


def detect_tables(
    tables_or_items: Tables | pd.DataFrame | None,
    scores: pd.DataFrame | None = None,
    **kwargs,
) -> pd.DataFrame:
    """The verdict table of :func:`detect` (same parameters)."""
    return detect(tables_or_items, scores, **kwargs).verdicts


# ---------------------------------------------------------------------------------------------
# Where does apparent emergence live? (Schaeffer et al. 2023, Sec. 4: per metric)

METRIC_KINDS = {
    "exact_match": "discontinuous",
    "multiple_choice_grade": "discontinuous",
    "exact_str_match": "discontinuous",
    "exact_match_accuracy": "discontinuous",
    "acc": "discontinuous",
    "acc_norm": "discontinuous",
    "accuracy": "discontinuous",
    "bert_score_accuracy": "discontinuous",
    "token_edit_distance": "continuous",
    "char_edit_distance": "continuous",
    "edit_distance": "continuous",
    "bert_score_f1": "continuous",
    "single_bert_score": "continuous",
    "target_logprob": "continuous",
    "mean_token_logprob": "continuous",
    "per_token_prob": "continuous",
    "p_correct": "continuous",
    "brier": "continuous",
    "brier_bigbench": "continuous",
    "brier_score": "continuous",
    "log_likelihood": "continuous",
    "ppl": "continuous",
    "perplexity": "continuous",
}
LOWER_IS_BETTER = {
    "ppl",
    "perplexity",
    "token_edit_distance",
    "char_edit_distance",
    "edit_distance",
    "brier",
    "brier_bigbench",
    "brier_score",
}


def screen_curves(scores: pd.DataFrame, *, min_scales: int = 6) -> pd.DataFrame:
    """Step 1 of the verdict (does it look emergent?) on every metric curve of a scores table.

    One curve per (family, task[, subtask][, n_shots], metric); duplicate rows of one model
    (e.g. seeds) are averaged and models of the same size pooled. Lower-is-better metrics are
    flipped first. The screen is run noise-blind (``n_items=None``: unweighted Davies and the
    breakthroughness fallback) so that every metric is judged by the same rule whatever its
    units.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores table (``family``, ``params``, ``task``, ``metric``, ``value``, ...).
    min_scales : int, default 6
        Curves with fewer distinct sizes are skipped.

    Returns
    -------
    pandas.DataFrame
        ``family``, ``task``, ``subtask``, ``n_shots``, ``metric``, ``metric_kind``
        (:data:`METRIC_KINDS`, ``other`` when unknown), ``n_scales``, ``looks_emergent``,
        ``screen_p``, ``sharp_jump``, ``breakthroughness``.
    """
    from emergence.detect.verdict import emergence_screen

    frame = scores[scores["params"].notna() & scores["value"].notna()].copy()
    keys = [k for k in CURVE_KEYS if k in frame.columns]
    frame[keys] = frame[keys].astype(object).where(frame[keys].notna(), "")
    means = frame.groupby([*keys, "metric", "params"], sort=True)["value"].mean().reset_index()
    rows = []
    for key, grp in means.groupby([*keys, "metric"], sort=True):
        if len(grp) < min_scales:
            continue
        metric = key[-1]
        y = grp["value"].to_numpy(dtype=float)
        if base_metric(metric) in LOWER_IS_BETTER:
            y = -y
        scr = emergence_screen(np.log10(grp["params"].to_numpy(dtype=float)), y)
        rows.append(
            dict(zip([*keys, "metric"], key, strict=True))
            | {
                "metric_kind": METRIC_KINDS.get(base_metric(metric), "other"),
                "n_scales": len(grp),
                "looks_emergent": scr.looks_emergent,
                "screen_p": scr.p_value,
                "sharp_jump": scr.sharp_jump,
                "breakthroughness": scr.breakthroughness,
            }
        )
    return pd.DataFrame(rows)


def emergence_by_metric(screened: pd.DataFrame) -> pd.DataFrame:
    """Per metric: how many curves were screened and how many look emergent.

    Parameters
    ----------
    screened : pandas.DataFrame
        Output of :func:`screen_curves`.

    Returns
    -------
    pandas.DataFrame
        ``metric``, ``metric_kind``, ``curves``, ``emergent``, ``share``; discontinuous metrics
        first, then by share.
    """
    out = (
        screened.groupby(["metric", "metric_kind"], sort=True)["looks_emergent"]
        .agg(curves="size", emergent="sum")
        .reset_index()
    )
    out["emergent"] = out["emergent"].astype(int)
    out["share"] = out["emergent"] / out["curves"]
    rank = out["metric_kind"].map({"discontinuous": 0, "continuous": 1}).fillna(2)
    return (
        out.assign(_r=rank)
        .sort_values(["_r", "share"], ascending=[True, False])
        .drop(columns="_r")
        .reset_index(drop=True)
    )
