"""Multiple-testing adjustments: Benjamini-Hochberg across tasks, Holm within a task."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.errors import InputError


@dataclass(frozen=True)
class AdjustedPValues:
    """Result of :func:`benjamini_hochberg` or :func:`holm`.

    Attributes
    ----------
    p_values : numpy.ndarray
        The input p-values (NaN kept as NaN: untested tasks are not counted).
    adjusted : numpy.ndarray
        Adjusted p-values (BH q-values or Holm p-values), same order as the input.
    rejected : numpy.ndarray
        Boolean, ``adjusted <= level``.
    level : float
        FDR level q (BH) or family-wise alpha (Holm).
    n_tests : int
        Number of non-NaN p-values.
    method : str
    """

    p_values: np.ndarray
    adjusted: np.ndarray
    rejected: np.ndarray
    level: float
    n_tests: int
    method: str


def _prepare(p_values, level: float) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise InputError(f"p_values must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise InputError("p_values must lie in [0, 1] (NaN allowed for untested)")
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level}")
    return p, ok


def benjamini_hochberg(p_values, level: float = 0.05) -> AdjustedPValues:
    """Benjamini-Hochberg (1995) step-up FDR adjustment.

    Parameters
    ----------
    p_values : array_like
        One primary p-value per task; NaN marks tasks without a test (excluded from m).
    level : float, default 0.05
        FDR level q.

    Returns
    -------
    AdjustedPValues
        ``adjusted`` are BH q-values, min(1, min_{j >= i} m p_(j) / j); equal to R
        ``p.adjust(method = "BH")`` and statsmodels ``multipletests(method = "fdr_bh")``.
    """
    p, ok = _prepare(p_values, level)
    adj = np.full(p.shape, np.nan)
    pv = p[ok]
    m = pv.size
    if m:
        order = np.argsort(pv, kind="stable")
        ranked = pv[order] * m / np.arange(1, m + 1)
        q = np.minimum.accumulate(ranked[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(q, 1.0)
        adj[ok] = out
    return AdjustedPValues(
        p, adj, np.where(ok, adj <= level, False), float(level), int(m), "Benjamini-Hochberg"
    )


def holm(p_values, level: float = 0.05) -> AdjustedPValues:
    """Holm (1979) step-down family-wise adjustment.

    Parameters
    ----------
    p_values : array_like
        p-values of the tests within one family (e.g. several companions of one task).
    level : float, default 0.05
        Family-wise error rate.

    Returns
    -------
    AdjustedPValues
        ``adjusted`` = max_{j <= i} min(1, (m - j + 1) p_(j)), as R ``p.adjust("holm")``.
    """
    p, ok = _prepare(p_values, level)
    adj = np.full(p.shape, np.nan)
    pv = p[ok]
    m = pv.size
    if m:
        order = np.argsort(pv, kind="stable")
        stepped = np.maximum.accumulate(pv[order] * (m - np.arange(m)))
        out = np.empty(m)
        out[order] = np.minimum(stepped, 1.0)
        adj[ok] = out
    return AdjustedPValues(p, adj, np.where(ok, adj <= level, False), float(level), int(m), "Holm")
