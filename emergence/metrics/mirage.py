"""Schaeffer et al.'s mirage model: what exact match and token edit distance *would* look like if
every target token were right independently with a smoothly improving probability p(N).

With per-token cross-entropy CE(N) and p = exp(-CE), an L-token answer is exactly right with
probability p^L and the expected substitution-only token edit distance is L (1 - p)
(``docs/changepoint.md`` §3.1). When answer lengths differ by item the prediction is the item
average, mean_i p^(L_i). This module computes, per scale, the measured cross-entropy, the observed
curves and these predictions from the items (:func:`mirage_curves`). Fitting CE(N) as a smooth
power law across the scales and pushing the fitted curve through the same formulas is the fit
stage's job: :func:`emergence.fit.fit_mirage` takes the :class:`MirageCurves` returned here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError
from .aggregate import BLOCK_KEYS, MODEL_KEYS, _codes, _present_keys, _strip_repeats
from .fields import ItemFields
from .scoring import ItemScores, score_items
from .table_checks import check_one_size, items_in_key_order


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
class MirageCurves:
    """Observed curves and mirage-model predictions per scale, from the measured cross-entropy.

    Attributes
    ----------
    curves : pandas.DataFrame
        One row per family, task[, subtask][, n_shots] and model, sorted by params (NaN when the
        items have no sizes), with: ``n_items`` (items with finite log-probs), ``n_excluded``
        (items left out for a token log-prob of -inf, i.e. an infinite cross-entropy, or NaN),
        ``mean_length`` (tokens), ``ce`` (pooled per-token cross-entropy, nats), ``p_token`` =
        exp(-ce), ``em_observed`` and ``em_stderr`` (binomial, over the same items; NaN without
        outputs; repeats of an instance, :func:`emergence.metrics.instance_ids`, count once in
        ``n_items`` and in this SE), ``em_direct`` (mean over items of exp(target_logprob), the
        teacher-forced probability of the whole answer), ``em_pred`` = mean_i p_token^(L_i),
        ``em_pred_mean_length`` = p_token^mean_length, ``ted_observed``, ``ted_pred`` =
        mean_i L_i (1 - p_token).
    lengths : pandas.DataFrame
        The answer lengths behind each row of ``curves``: ``row`` (position in ``curves``),
        ``length`` (tokens) and ``count`` (item rows of that length, repeats included, as
        ``em_pred`` averages them), sorted by ``row`` then ``length``.
    curve_keys : tuple of str
        The columns of ``curves`` that identify one scaling curve (``family``, ``task``,
        ``subtask``, ``n_shots``, whichever the items have); a curve's rows are its models.
    """

    curves: pd.DataFrame
    lengths: pd.DataFrame
    curve_keys: tuple[str, ...]

    def curve_index(self) -> tuple[np.ndarray, pd.DataFrame]:
        """Which curve each row of ``curves`` belongs to.

        Returns
        -------
        codes : numpy.ndarray
            One int64 code per row of ``curves``, numbering the curves in sorted key order.
        keys : pandas.DataFrame
            One row per curve (row ``c`` for code ``c``) with the ``curve_keys`` columns.
        """
        return _codes(self.curves, list(self.curve_keys))

    def predict_exact_match(self, p_token: np.ndarray) -> np.ndarray:
        """Mirage exact match of each row for a per-token probability: mean_i p_token^(L_i).

        Parameters
        ----------
        p_token : numpy.ndarray
            One per-token probability per row of ``curves`` (e.g. exp(-ce) of a fitted
            cross-entropy); NaN gives NaN.

        Returns
        -------
        numpy.ndarray
            Mean over the row's items of p_token^(L_i); NaN for a row without items.
        """
        p = np.asarray(p_token, dtype=float)
        if p.shape != (len(self.curves),):
            raise InputError(f"p_token must have {len(self.curves)} values, one per curve row")
        row = self.lengths["row"].to_numpy(dtype=np.int64)
        count = self.lengths["count"].to_numpy(dtype=np.int64)
        n = np.bincount(row, weights=count, minlength=p.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            return _item_mean_power(row, self.lengths["length"].to_numpy(dtype=float), count, p, n)

    def predict_token_edit_distance(self, p_token: np.ndarray) -> np.ndarray:
        """Mirage token edit distance of each row for a per-token probability: mean L (1 - p).

        Parameters
        ----------
        p_token : numpy.ndarray
            One per-token probability per row of ``curves``.

        Returns
        -------
        numpy.ndarray
            ``mean_length * (1 - p_token)``.
        """
        p = np.asarray(p_token, dtype=float)
        if p.shape != (len(self.curves),):
            raise InputError(f"p_token must have {len(self.curves)} values, one per curve row")
        return predict_token_edit_distance(p, self.curves["mean_length"].to_numpy(dtype=float))


def mirage_curves(items: pd.DataFrame, item_scores: ItemScores | None = None) -> MirageCurves:
    """Predicted (mirage) versus observed exact match and token edit distance, per scale.

    The predictions here use the cross-entropy measured at each scale. The power law fitted
    through it, and the predictions from that fit (``ce_fit``, ``em_pred_fit``,
    ``ted_pred_fit``), come from :func:`emergence.fit.fit_mirage` applied to the result.

    Parameters
    ----------
    items : pandas.DataFrame
        Items table with ``target_logprobs`` (and ``output`` for the observed curves).
    item_scores : ItemScores, optional
        Precomputed per-item scores containing ``exact_match`` and/or ``token_edit_distance``;
        computed here when omitted.

    Returns
    -------
    MirageCurves
    """
    # in key order: the curves (and whether their fit converges) the same whatever the order
    items, item_scores, _, _ = items_in_key_order(
        items, [*MODEL_KEYS, *BLOCK_KEYS, "item"], item_scores
    )
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
    check_one_size(groups)  # a second size of one model would be a phantom scale
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
    pair_g, pair_len, pair_count = _length_pairs(gcode, length)
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
    if "params" not in curves:  # no sizes: the curves stand (a power law cannot be fitted)
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
        curves["em_pred"] = _item_mean_power(pair_g, pair_len, pair_count, p_tok, n)
        curves["em_pred_mean_length"] = predict_exact_match(p_tok, tokens / n)
        ted_ok = ~np.isnan(ted_u)
        curves["ted_observed"] = np.bincount(
            gcode, weights=np.where(ted_ok, ted_u, 0), minlength=n_g
        ) / np.bincount(gcode, weights=ted_ok, minlength=n_g)
        curves["ted_pred"] = predict_token_edit_distance(p_tok, tokens / n)

    curve_keys = [k for k in keys if k not in ("model", "params")]
    sort = [k for k in (*curve_keys, "params", "model") if k in curves]
    order = curves.sort_values(sort, kind="stable").index.to_numpy()
    curves = curves.iloc[order].reset_index(drop=True)
    # the length table follows the rows to their sorted positions
    position = np.empty(n_g, dtype=np.int64)
    position[order] = np.arange(n_g)
    row = position[pair_g]
    by_row = np.lexsort((pair_len, row))
    lengths = pd.DataFrame({
        "row": row[by_row], "length": pair_len[by_row].astype(np.int64),
        "count": pair_count[by_row].astype(np.int64),
    })  # fmt: skip
    return MirageCurves(curves, lengths, tuple(curve_keys))


def _supported(fields: ItemFields, name: str) -> bool:
    from .registry import get_metric

    return bool(get_metric(name).available(fields).any())


def _score(scores: ItemScores, name: str, n: int) -> np.ndarray:
    return scores.column(name) if name in scores.metrics else np.full(n, np.nan)


def _length_pairs(gcode: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct (group, length) pairs of the items, sorted, with their item counts."""
    pairs, counts = np.unique(np.stack([gcode, length]), axis=1, return_counts=True)
    return pairs[0].astype(np.int64), pairs[1], counts


def _item_mean_power(
    g: np.ndarray, length: np.ndarray, count: np.ndarray, p: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """mean over a group's items of p_group^(L_i), from the distinct (group, length) pairs
    ``g``, ``length`` with ``count`` items each; ``n`` items per group."""
    contrib = count * np.power(p[g], length)
    return np.bincount(g, weights=contrib, minlength=len(n)) / n
