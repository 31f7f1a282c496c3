"""Aggregation of per-item scores into the scores table, with item-bootstrap intervals.

Groups are (family, model, params, task[, subtask][, n_shots], metric). The bootstrap resamples
*items* within each (task, subtask, n_shots) block, with one resample of item indices per
replicate shared by every model and metric of the block (a paired bootstrap across scales, as in
``docs/changepoint.md`` §6 step 1). Resampled means are count-weighted matrix products, so there
is no Python loop over items or replicates.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..progress import progress
from .scoring import ItemScores

MODEL_KEYS = ("family", "model", "params")
BLOCK_KEYS = ("task", "subtask", "n_shots")
GROUP_KEYS = (*MODEL_KEYS, "task", "subtask", "n_shots")
# Replicates per matrix product: bounds memory at about 8 * CHUNK_CELLS bytes per block.
CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class BootstrapSpec:
    """How to bootstrap.

    Attributes
    ----------
    n_boot : int
        Replicates B (0: no interval).
    seed : int
        Seed; each block's stream is derived from the seed and the block's key, so a block's
        interval does not depend on which other blocks are present.
    level : float
        Confidence level of the percentile interval.
    """

    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95


def _present_keys(items: pd.DataFrame, keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if k in items.columns and items[k].notna().any()]


def _codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group codes (in sorted key order) and the table of unique keys."""
    n = len(frame)
    if not keys:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
    combined = np.zeros(n, dtype=np.int64)
    radix = 1
    for k in keys:
        codes, uniques = pd.factorize(frame[k], sort=True, use_na_sentinel=False)
        size = max(len(uniques), 1)
        if radix * size >= 2**62:  # re-densify before the mixed-radix code could overflow
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
            radix = int(combined.max()) + 1 if n else 1
        combined = combined * size + codes
        radix *= size
    uniq_codes, first, dense = np.unique(combined, return_index=True, return_inverse=True)
    del uniq_codes
    uniq = frame[keys].iloc[first].reset_index(drop=True)
    return dense.astype(np.int64).reshape(-1), uniq


def _block_rng(spec: BootstrapSpec, key: tuple) -> np.random.Generator:
    tag = zlib.crc32(repr(tuple(str(k) for k in key)).encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence([spec.seed, tag]))


def bootstrap_means(
    sums: np.ndarray,
    counts: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    dtype: type = np.float64,
) -> np.ndarray:
    """Bootstrap replicates of ratio means over resampled rows (items).

    Parameters
    ----------
    sums : numpy.ndarray
        ``(n_items, n_cols)`` sum of values of each item in each column (0 where missing).
    counts : numpy.ndarray
        ``(n_items, n_cols)`` number of values summed (0 where missing).
    n_boot : int
        Replicates.
    rng : numpy.random.Generator
    dtype : type
        Dtype of the result; the products are computed in float32 either way.

    Returns
    -------
    numpy.ndarray
        ``(n_boot, n_cols)`` resampled means sum(w * sums) / sum(w * counts), with ``w`` the
        multinomial resampling counts of the items; NaN where a replicate drew no value.
    """
    n = sums.shape[0]
    out = np.empty((n_boot, sums.shape[1]), dtype=dtype)
    full = bool((counts == 1).all())
    sums32 = sums.astype(np.float32)
    counts32 = counts.astype(np.float32)
    chunk = max(1, min(n_boot, CHUNK_CELLS // max(n, 1)))
    for lo in range(0, n_boot, chunk):
        b = min(chunk, n_boot - lo)
        draws = rng.integers(0, n, size=(b, n))
        flat = (draws + (np.arange(b) * n)[:, None]).ravel()
        # float32 products: counts are exact and the rounding (~1e-7 relative) is far below
        # any bootstrap interval width, at half the cost of float64.
        weights = np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float32)
        # Divide in float64: for 0/1 metrics the float32 sums are exact integers, so the
        # replicate means are exact fractions k / n.
        num = (weights @ sums32).astype(np.float64)
        den = float(n) if full else (weights @ counts32).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo : lo + b] = num / den
    return out


def aggregate(
    items: pd.DataFrame,
    scores: ItemScores,
    bootstrap: BootstrapSpec | None = None,
) -> pd.DataFrame:
    """Mean, item count, standard error and bootstrap interval per model, task and metric.

    Parameters
    ----------
    items : pandas.DataFrame
        The items table ``scores`` was computed on (same row order).
    scores : ItemScores
        Per-item values.
    bootstrap : BootstrapSpec, optional
        Defaults to ``BootstrapSpec()`` (B = 1000, seed 0, 95 %).

    Returns
    -------
    pandas.DataFrame
        Scores table: family, model, params, task, [subtask], [n_shots], metric, value, n_items,
        stderr (sd / sqrt(n), ddof = 1), ci_low, ci_high (percentile; NaN when B = 0 or
        n_items < 2), [params_kind], source = ``"rescore"``. Sorted by group then metric order.
    """
    spec = bootstrap or BootstrapSpec()
    items = items.reset_index(drop=True)
    n_rows, n_met = scores.values.shape
    gkeys = _present_keys(items, GROUP_KEYS)
    bkeys = [k for k in BLOCK_KEYS if k in gkeys]
    gcode, groups = _codes(items, gkeys)
    n_groups = len(groups) if n_rows else 0

    vals = scores.values
    ok = ~np.isnan(vals)
    filled = np.where(ok, vals, 0.0)
    cnt = np.zeros((n_groups, n_met))
    tot = np.zeros((n_groups, n_met))
    sq = np.zeros((n_groups, n_met))
    for j in range(n_met):
        cnt[:, j] = np.bincount(gcode, weights=ok[:, j], minlength=n_groups)
        tot[:, j] = np.bincount(gcode, weights=filled[:, j], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = tot / cnt
        for j in range(n_met):
            dev = np.where(ok[:, j], vals[:, j] - mean[gcode, j], 0.0)
            sq[:, j] = np.bincount(gcode, weights=dev * dev, minlength=n_groups)
        stderr = np.sqrt(sq / (cnt - 1) / cnt)
    stderr[cnt < 2] = np.nan

    lo = np.full((n_groups, n_met), np.nan)
    hi = np.full((n_groups, n_met), np.nan)
    if spec.n_boot > 0 and n_rows:
        _bootstrap_into(items, gkeys, bkeys, gcode, vals, ok, spec, lo, hi)
        lo[cnt < 2] = np.nan
        hi[cnt < 2] = np.nan

    out = groups.loc[np.repeat(np.arange(n_groups), n_met)].reset_index(drop=True)
    out["metric"] = np.tile(np.array(scores.metrics, dtype=object), n_groups)
    out["value"] = mean.ravel()
    out["n_items"] = cnt.ravel().astype(np.int64)
    out["stderr"] = stderr.ravel()
    out["ci_low"] = lo.ravel()
    out["ci_high"] = hi.ravel()
    if "params_kind" in items.columns:
        kinds = items.groupby(gcode, sort=True)["params_kind"].first()
        out["params_kind"] = np.repeat(kinds.reindex(range(n_groups)).to_numpy(dtype=object), n_met)
    out["source"] = "rescore"
    out = out[out["n_items"] > 0].reset_index(drop=True)
    return out


def _bootstrap_into(
    items: pd.DataFrame,
    gkeys: list[str],
    bkeys: list[str],
    gcode: np.ndarray,
    vals: np.ndarray,
    ok: np.ndarray,
    spec: BootstrapSpec,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    n_met = vals.shape[1]
    bcode, blocks = _codes(items, bkeys)
    order = np.argsort(bcode, kind="stable")
    bounds = np.searchsorted(bcode[order], np.arange(len(blocks) + 1))
    item_ids = pd.factorize(items["item"], use_na_sentinel=False)[0] if "item" in items else None
    alpha = (1.0 - spec.level) / 2.0
    filled = np.where(ok, vals, 0.0)
    with progress(range(len(blocks)), "bootstrap") as bar:
        for b in bar:
            rows = order[bounds[b] : bounds[b + 1]]
            if rows.size == 0:
                continue
            if item_ids is None:
                icode = np.arange(rows.size)
            else:
                icode = np.unique(item_ids[rows], return_inverse=True)[1].reshape(-1)
            n_items = int(icode.max()) + 1
            g_local, g_global = pd.factorize(gcode[rows], sort=True)
            n_g = len(g_global)
            cell = (icode * n_g + g_local).astype(np.int64)
            size = n_items * n_g
            vb, okb = filled[rows], ok[rows]
            sums = np.empty((size, n_met))
            counts = np.empty((size, n_met))
            all_ok = bool(okb.all())
            if all_ok:  # the usual case: one count per cell, shared by every metric
                counts[:] = np.bincount(cell, minlength=size)[:, None]
            for j in range(n_met):
                sums[:, j] = np.bincount(cell, weights=vb[:, j], minlength=size)
                if not all_ok:
                    counts[:, j] = np.bincount(cell, weights=okb[:, j], minlength=size)
            sums = sums.reshape(n_items, n_g * n_met)
            counts = counts.reshape(n_items, n_g * n_met)
            key = tuple(blocks.iloc[b].tolist()) if bkeys else ()
            reps = bootstrap_means(sums, counts, spec.n_boot, _block_rng(spec, key))
            probs = [alpha, 1.0 - alpha]
            if np.isnan(reps).any():
                q = np.nanquantile(reps, probs, axis=0)
            else:  # much faster than nanquantile's per-column path
                q = np.quantile(reps, probs, axis=0)
            lo[g_global] = q[0].reshape(n_g, n_met)
            hi[g_global] = q[1].reshape(n_g, n_met)
