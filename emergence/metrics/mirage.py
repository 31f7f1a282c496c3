"""Schaeffer et al.'s mirage model: what exact match and token edit distance *would* look like if
every target token were right independently with a smoothly improving probability p(N).

With per-token cross-entropy CE(N) and p = exp(-CE), an L-token answer is exactly right with
probability p^L and the expected substitution-only token edit distance is L (1 - p)
(``docs/changepoint.md`` §3.1). When answer lengths differ by item the prediction is the item
average, mean_i p^(L_i). CE(N) is fitted as a smooth power law E + A (N / N_ref)^(-alpha) and the
fitted curve is pushed through the same formulas, giving the exact-match curve the mirage null
predicts, to overlay on the observed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .aggregate import BLOCK_KEYS, MODEL_KEYS, _codes, _present_keys, _strip_repeats
from .fields import ItemFields
from .scoring import ItemScores, score_items


def predict_exact_match(p_token: np.ndarray | float, length: np.ndarray | float) -> np.ndarray:
    """Exact match of an answer of ``length`` independent tokens, p^L.

    Parameters
    ----------
    p_token : float or array
        Per-token probability of the correct token, in [0, 1].
    length : float or array
        Answer length L in tokens (broadcast against ``p_token``).

    Returns
    -------
    numpy.ndarray
    """
    return np.power(np.asarray(p_token, dtype=float), np.asarray(length, dtype=float))


def predict_token_edit_distance(
    p_token: np.ndarray | float, length: np.ndarray | float
) -> np.ndarray:
    """Expected substitution-only token edit distance of an L-token answer, L (1 - p)."""
    return np.asarray(length, dtype=float) * (1.0 - np.asarray(p_token, dtype=float))


@dataclass(frozen=True)
class PowerLawFit:
    """A fitted power law y = E + A (x / x_ref)^(-alpha).

    Attributes
    ----------
    E, A, alpha : float
        Floor, amplitude at ``x_ref`` and exponent (alpha > 0 means y falls with x).
    x_ref : float
        Reference scale (geometric mean of the fitted x), for conditioning.
    n_points : int
        Points fitted.
    rmse_log : float
        Root mean square of the log-space residuals.
    with_floor : bool
        Whether E was free (otherwise fixed at 0, a pure power law).
    """

    E: float
    A: float
    alpha: float
    x_ref: float
    n_points: int
    rmse_log: float
    with_floor: bool

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """Evaluate the fitted curve at ``x``."""
        return self.E + self.A * np.power(np.asarray(x, dtype=float) / self.x_ref, -self.alpha)


def fit_power_law(x: np.ndarray, y: np.ndarray, with_floor: bool = True) -> PowerLawFit:
    """Fit y = E + A (x / x_ref)^(-alpha) by least squares on log y.

    A thin layer over :func:`emergence.fit.fit_power_law` (the fit stage's optimiser, with
    ``delta = inf``: least squares in log space), on ``x / x_ref`` for conditioning.

    Parameters
    ----------
    x : array
        Scales (> 0), e.g. parameter counts.
    y : array
        Positive values, e.g. per-token cross-entropy.
    with_floor : bool
        Fit the floor E >= 0 (needs at least 4 points; otherwise E = 0 is used).

    Returns
    -------
    PowerLawFit
    """
    from ..fit import fit_power_law as fit_law

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    x, y = x[ok], y[ok]
    if x.size < 2 or np.unique(x).size < 2:
        raise InputError(f"power-law fit needs at least 2 distinct positive scales, got {x.size}")
    x_ref = float(np.exp(np.mean(np.log(x))))
    # the offset needs a fourth distinct scale (three pin E + A x^-alpha exactly)
    floor = with_floor and np.unique(x).size >= 4
    params = fit_law(x / x_ref, y, offset=floor, delta=math.inf).params
    E, A, alpha = float(params.get("E", 0.0)), float(params["A"]), float(params["alpha"])
    pred = E + A * np.power(x / x_ref, -alpha)
    rmse = float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))
    return PowerLawFit(E, A, alpha, x_ref, int(x.size), rmse, floor)


@dataclass(frozen=True)
class MirageResult:
    """Mirage-model predictions next to the observed curves.

    Attributes
    ----------
    curves : pandas.DataFrame
        One row per family, task[, subtask][, n_shots] and model, sorted by params (NaN when the
        items have no sizes: the curves are computed, the fit is left empty), with: ``n_items``
        (items with finite log-probs), ``n_excluded`` (items left out for a token log-prob of
        -inf, i.e. an infinite cross-entropy, or NaN), ``mean_length`` (tokens), ``ce`` (pooled
        per-token cross-entropy, nats), ``p_token`` = exp(-ce), ``em_observed`` and ``em_stderr``
        (binomial, over the same items; NaN without outputs; repeats of an instance,
        :func:`emergence.metrics.instance_ids`, count once in ``n_items`` and in this SE),
        ``em_direct`` (mean over items of exp(target_logprob), the teacher-forced probability
        of the whole answer),
        ``em_pred`` = mean_i p_token^(L_i), ``em_pred_mean_length`` = p_token^mean_length,
        ``ted_observed``, ``ted_pred`` = mean_i L_i (1 - p_token), ``ce_fit`` (power law),
        ``em_pred_fit`` and ``ted_pred_fit`` (the same predictions from ``ce_fit``).
    fits : pandas.DataFrame
        One row per curve (family, task, ...): ``E``, ``A``, ``alpha``, ``x_ref``, ``n_points``
        (scales with a size and a finite cross-entropy; below 2 the fit columns are absent),
        ``rmse_log``, ``with_floor``, ``gompertz_width_decades`` (1.3396 / alpha, the 10-90 %
        width of the predicted exact-match rise for a pure power law).
    """

    curves: pd.DataFrame
    fits: pd.DataFrame


GOMPERTZ_WIDTH = (np.log(-np.log(0.1)) - np.log(-np.log(0.9))) / np.log(10.0)


def mirage_curves(
    items: pd.DataFrame,
    item_scores: ItemScores | None = None,
    with_floor: bool = True,
) -> MirageResult:
    """Predicted (mirage) versus observed exact match and token edit distance, per scale.

    Parameters
    ----------
    items : pandas.DataFrame
        Items table with ``target_logprobs`` (and ``output`` for the observed curves).
    item_scores : ItemScores, optional
        Precomputed per-item scores containing ``exact_match`` and/or ``token_edit_distance``;
        computed here when omitted.
    with_floor : bool
        Fit the cross-entropy floor E (otherwise a pure power law, as in Schaeffer et al.).

    Returns
    -------
    MirageResult
    """
    items = items.reset_index(drop=True)
    fields = ItemFields(items)
    if not fields.has("target_logprobs"):
        raise InputError("the mirage model needs field 'target_logprobs', which no item has")
    lp = fields.ragged("target_logprobs")
    if item_scores is None:
        wanted = [m for m in ("exact_match", "token_edit_distance") if _supported(fields, m)]
        item_scores = (
            score_items(items, wanted) if wanted else ItemScores((), np.empty((len(items), 0)))
        )
    em = _score(item_scores, "exact_match", len(items))
    ted = _score(item_scores, "token_edit_distance", len(items))

    keys = _present_keys(items, (*MODEL_KEYS, *BLOCK_KEYS))
    cand = lp.present & (lp.lengths > 0)
    gcode, groups = _codes(items.loc[cand].reset_index(drop=True), keys)
    n_g = len(groups)
    tlp = lp.row_sum()[cand]
    # A token log-prob of -inf (probability 0 to float precision) would make the group's pooled
    # cross-entropy infinite and every prediction 0; such an item is left out of its group (and
    # counted), as the detect stage leaves it out of the companion. A NaN log-prob leaves the
    # item unscored, as in rescore.
    keep = np.isfinite(tlp)
    n_excluded = np.bincount(gcode, weights=~keep, minlength=n_g).astype(np.int64)
    gcode, tlp = gcode[keep], tlp[keep]
    length = lp.lengths[cand][keep].astype(float)
    em_u, ted_u = em[cand][keep], ted[cand][keep]

    n = np.bincount(gcode, minlength=n_g).astype(float)
    tokens = np.bincount(gcode, weights=length, minlength=n_g)
    # repeats of an instance (trials, epochs) are one item for the counts and the binomial SE
    n_inst, n_inst_em = n, None
    if "item" in items.columns:
        ids = items.loc[cand, "item"].astype(str).reset_index(drop=True)[keep]
        inst = _strip_repeats(ids.reset_index(drop=True))
        if inst is not None:
            code, uniq = pd.factorize(inst)
            pair = gcode.astype(np.int64) * len(uniq) + code  # (group, instance)

            def distinct(mask: np.ndarray) -> np.ndarray:
                """Instances per group among the rows of ``mask``."""
                cells = np.unique(pair[mask])
                return np.bincount(cells // len(uniq), minlength=n_g).astype(float)

            n_inst = distinct(np.ones(pair.size, dtype=bool))
            n_inst_em = distinct(~np.isnan(em[cand][keep]))
    with np.errstate(invalid="ignore", divide="ignore"):  # a group whose items all left: NaN
        ce = -np.bincount(gcode, weights=tlp, minlength=n_g) / tokens
    p_tok = np.exp(-ce)
    curves = groups.copy()
    if "params" not in curves:  # no sizes: the curves stand, the power-law fit is left empty
        curves.insert(curves.columns.get_loc("model") + 1 if "model" in curves else 0,
                      "params", np.nan)  # fmt: skip
    curves["n_items"] = n_inst.astype(np.int64)
    curves["n_excluded"] = n_excluded
    with np.errstate(invalid="ignore", divide="ignore"):
        curves["mean_length"] = tokens / n
    curves["ce"] = ce
    curves["p_token"] = p_tok
    em_ok = ~np.isnan(em_u)
    n_em = np.bincount(gcode, weights=em_ok, minlength=n_g)
    with np.errstate(invalid="ignore", divide="ignore"):
        em_obs = np.bincount(gcode, weights=np.where(em_ok, em_u, 0), minlength=n_g) / n_em
        curves["em_observed"] = em_obs
        # with repeats: over instances (an upper bound; repeats are not independent items)
        curves["em_stderr"] = np.sqrt(
            em_obs * (1 - em_obs) / (n_em if n_inst_em is None else n_inst_em)
        )
        curves["em_direct"] = np.bincount(gcode, weights=np.exp(tlp), minlength=n_g) / n
        curves["em_pred"] = _item_mean_power(gcode, length, p_tok, n)
        curves["em_pred_mean_length"] = predict_exact_match(p_tok, tokens / n)
        ted_ok = ~np.isnan(ted_u)
        curves["ted_observed"] = np.bincount(
            gcode, weights=np.where(ted_ok, ted_u, 0), minlength=n_g
        ) / np.bincount(gcode, weights=ted_ok, minlength=n_g)
        curves["ted_pred"] = predict_token_edit_distance(p_tok, tokens / n)

    curve_keys = [k for k in keys if k not in ("model", "params")]
    ccode, cgroups = _codes(curves, curve_keys)
    ce_fit = np.full(n_g, np.nan)
    fit_rows = []
    for c in range(len(cgroups)):
        rows = np.flatnonzero(ccode == c)
        x = curves["params"].to_numpy(dtype=float)[rows]
        row = cgroups.iloc[c].to_dict()
        try:
            fit = fit_power_law(x, ce[rows], with_floor=with_floor)
        except InputError:  # fewer than 2 sizes with a finite cross-entropy: no fit
            usable = np.isfinite(x) & (x > 0) & np.isfinite(ce[rows]) & (ce[rows] > 0)
            fit_rows.append(row | {"n_points": int(usable.sum())})
            continue
        ce_fit[rows] = fit.predict(x)
        fit_rows.append(row | {
            "E": fit.E, "A": fit.A, "alpha": fit.alpha, "x_ref": fit.x_ref,
            "n_points": fit.n_points, "rmse_log": fit.rmse_log, "with_floor": fit.with_floor,
            "gompertz_width_decades": GOMPERTZ_WIDTH / fit.alpha if fit.alpha > 0 else np.inf,
        })
    curves["ce_fit"] = ce_fit
    p_fit = np.exp(-ce_fit)
    with np.errstate(invalid="ignore", divide="ignore"):
        curves["em_pred_fit"] = _item_mean_power(gcode, length, p_fit, n)
        curves["ted_pred_fit"] = predict_token_edit_distance(p_fit, tokens / n)
    sort = [k for k in (*curve_keys, "params", "model") if k in curves]
    curves = curves.sort_values(sort, kind="stable").reset_index(drop=True)
    return MirageResult(curves, pd.DataFrame(fit_rows))


def _supported(fields: ItemFields, name: str) -> bool:
    from .registry import get_metric

    return bool(get_metric(name).available(fields).any())


def _score(scores: ItemScores, name: str, n: int) -> np.ndarray:
    return scores.column(name) if name in scores.metrics else np.full(n, np.nan)


def _item_mean_power(
    gcode: np.ndarray, length: np.ndarray, p: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """mean over a group's items of p_group^(L_i), via the distinct (group, length) pairs."""
    pairs, counts = np.unique(np.stack([gcode, length]), axis=1, return_counts=True)
    g, L = pairs[0].astype(np.int64), pairs[1]
    contrib = counts * np.power(p[g], L)
    return np.bincount(g, weights=contrib, minlength=len(n)) / n
