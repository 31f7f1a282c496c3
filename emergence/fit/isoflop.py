"""Chinchilla Approach 2: isoFLOP parabolas, then power laws of the minima against compute.

Per compute budget a quadratic in ``log N`` is fitted to the loss; its vertex gives ``N*`` (and
``D* = C / (6 N*)``). Then ``log N*`` and ``log D*`` are regressed on ``log C``:
``N_opt = k_N C^a`` and ``D_opt = k_D C^b``. Parabola fits are biased when the grid is off-centre
or wide (arXiv 2603.22339); where the data allow, prefer Approach 3 (:mod:`.chinchilla`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .compute_optimal import FLOPS_PER_PARAM_TOKEN
from .validate import as_positive, check_lengths, residual_df_warnings, weighted_rows

#: Parameters of an allocation law log X* = log k + a log C.
ALLOCATION_PARAMS = 2


def allocation_df_warnings(n_budgets: int, bootstrapped: bool = False) -> tuple[str, ...]:
    """The residual-df warning of the allocation laws fitted through ``n_budgets`` vertices.

    Parameters
    ----------
    n_budgets : int
        Budgets whose parabola minimum lies inside the sampled sizes.
    bootstrapped : bool
        Whether the exponents' SEs come from
        :func:`~emergence.fit.bootstrap_forms.bootstrap_isoflop` (the runs' residuals about the
        parabolas resampled), which needs no residual df of the laws; the OLS SEs are then not
        the ones reported.

    Returns
    -------
    tuple of str
        One warning, or none (:func:`~emergence.fit.validate.residual_df_warnings`).
    """
    uncertainty = "the OLS standard errors of the N_opt and D_opt exponents (exponent_se_ols)"
    if bootstrapped:
        remedy = ("the standard errors reported are the bootstrap's, which measure the "
                  "vertices' noise and not the laws' misfit; fit more isoFLOP budgets")
    else:
        remedy = ("fit more isoFLOP budgets; a bootstrap (emergence fit isoflop --bootstrap) "
                  "measures the exponents' spread from the runs' residuals about the parabolas "
                  "instead")
    return residual_df_warnings(
        n_budgets,
        ALLOCATION_PARAMS,
        points="budgets with a minimum inside the sampled sizes",
        uncertainty=uncertainty,
        remedy=remedy,
    )


@dataclass(frozen=True)
class AllocationLaw:
    """``y = coefficient * C^exponent`` fitted in log-log space.

    Attributes
    ----------
    coefficient, exponent : float
        Fitted constants.
    exponent_se : float
        Standard error of the exponent (OLS/WLS formula; NaN with two points).
    n_points : int
        Number of budgets used.
    """

    coefficient: float
    exponent: float
    exponent_se: float
    n_points: int


@dataclass(frozen=True)
class IsoflopMinima:
    """Per-budget parabola vertices.

    Attributes
    ----------
    compute : ndarray
        Budget C of each isoFLOP group (geometric mean of its points' C).
    n_star, d_star, loss_star : ndarray
        Vertex: optimal N, ``C/(6 N*)`` and the minimum loss.
    curvature : ndarray
        Quadratic coefficient (> 0 for a valid minimum).
    n_points : ndarray
        Points per budget.
    inside : ndarray of bool
        Whether the vertex lies inside the sampled N range (extrapolated vertices are unreliable).
    """

    compute: np.ndarray
    n_star: np.ndarray
    d_star: np.ndarray
    loss_star: np.ndarray
    curvature: np.ndarray
    n_points: np.ndarray
    inside: np.ndarray


@dataclass(frozen=True)
class IsoflopResult:
    """Approach-2 fit.

    Attributes
    ----------
    minima : IsoflopMinima
        Budgets with a valid parabola. The laws are fitted on those with ``inside`` only: a
        vertex outside the sampled sizes is an extrapolation of the parabola, not a measured
        optimum, and biases the exponent.
    n_opt, d_opt : AllocationLaw
        ``N_opt = k_N C^a`` and ``D_opt = k_D C^b``.
    skipped : tuple of str
        Budgets left out and why.
    warnings : tuple of str
        Problems with the laws: with 2 to 4 budgets (0 to 2 residual degrees of freedom) the
        OLS standard errors of the exponents rest on 0 to 2 numbers
        (:func:`~emergence.fit.validate.residual_df_warnings`).
    """

    minima: IsoflopMinima
    n_opt: AllocationLaw
    d_opt: AllocationLaw
    skipped: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def fit_allocation_law(compute, optimum, weights=None, name: str = "N*") -> AllocationLaw:
    """OLS (or WLS) of ``log optimum`` on ``log compute``.

    Parameters
    ----------
    compute, optimum : array-like
        Budgets (> 0) and optimal sizes (> 0); budgets whose optimum is NaN (none found) are
        dropped.
    weights : array-like, optional
        WLS weights (Porian et al.: ``1 / std^2`` of the log optimum): finite and >= 0; a
        budget of weight 0 is not fitted.
    name : str
        Field name for messages.

    Returns
    -------
    AllocationLaw
    """
    c = np.asarray(compute, float)
    y = np.asarray(optimum, float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, float)
    if not c.shape == y.shape == w.shape:
        raise InputError(
            f"compute, {name} and weights: expected one value per budget, got {c.size}, "
            f"{y.size} and {w.size}"
        )
    # a NaN optimum is a budget without one; a NaN budget or weight is an error
    kept = weighted_rows(w, w.size, "fit_allocation_law") & ~np.isnan(y)
    c = as_positive(c, "compute")[kept]
    y, w = as_positive(y[kept], name), w[kept]
    if np.unique(c).size < 2:
        raise InputError(f"field '{name}': need optima at two or more compute budgets")
    lx, ly = np.log(c), np.log(y)
    xm = np.average(lx, weights=w)
    ym = np.average(ly, weights=w)
    sxx = np.sum(w * (lx - xm) ** 2)
    slope = np.sum(w * (lx - xm) * (ly - ym)) / sxx
    intercept = ym - slope * xm
    se = float("nan")
    if len(ly) > 2:
        resid = ly - intercept - slope * lx
        s2 = np.sum(w * resid**2) / (len(ly) - 2)
        se = float(np.sqrt(s2 / sxx))
    return AllocationLaw(float(np.exp(intercept)), float(slope), se, len(ly))


def group_budgets(compute, tolerance: float = 0.05) -> np.ndarray:
    """Group labels for isoFLOP budgets (read-off or rounded budgets are never exactly equal).

    Runs sorted by C are split wherever the gap between neighbours exceeds ``tolerance``
    decades. Jittered budgets can still chain into one wide group, so a group spanning more
    than ``4 * tolerance`` is split again at its widest internal gap, until none does: budgets
    of a grid are far apart (Chinchilla's: 0.2 decades or more) while the runs of one budget
    are close, so the widest gap of a chain falls between budgets, and a budget whose runs
    spread a little (6ND from total parameters, when it was planned on non-embedding ones)
    stays whole.

    Parameters
    ----------
    compute : array-like
        Training FLOP per run (> 0).
    tolerance : float
        Largest gap of log10 C between neighbouring runs of one budget (>= 0).

    Returns
    -------
    ndarray of int
        Group label per run, numbered in increasing C from 0.
    """
    if not tolerance >= 0:  # also refuses NaN, which would put every run in one group
        raise ValueError(f"budget tolerance must be >= 0, got {tolerance}")
    lc = np.log10(np.asarray(compute, float))
    order = np.argsort(lc, kind="stable")
    sorted_lc = lc[order]
    gaps = np.diff(sorted_lc)
    cuts = set(np.flatnonzero(gaps > tolerance).tolist())  # cut after sorted position k
    max_span = 4.0 * tolerance
    pending = [(0, len(lc))]
    while pending:
        lo, hi = pending.pop()
        inner = [k for k in range(lo, hi - 1) if k in cuts]
        if inner:  # split at existing cuts first
            bounds = [lo, *[k + 1 for k in inner], hi]
            pending.extend(zip(bounds[:-1], bounds[1:], strict=True))
            continue
        if hi - lo > 1 and sorted_lc[hi - 1] - sorted_lc[lo] > max_span:
            k = lo + int(np.argmax(gaps[lo : hi - 1]))  # first widest gap
            cuts.add(k)
            pending.extend([(lo, k + 1), (k + 1, hi)])
    labels = np.empty(len(lc), dtype=int)
    labels[order] = np.concatenate(([0], np.cumsum([k in cuts for k in range(len(gaps))])))
    return labels


def isoflop_minima(
    n_params, loss, compute, *, budget_tolerance: float = 0.05, source: str | None = None
) -> tuple[IsoflopMinima, tuple[str, ...]]:
    """Parabola ``loss ~ c0 + c1 u + c2 u^2`` with ``u = log N`` per budget; vertices.

    Returns
    -------
    minima : IsoflopMinima
        Valid budgets (>= 3 points with distinct N and c2 > 0).
    skipped : tuple of str
        Budgets left out and why.
    """
    n = as_positive(n_params, "params", source)
    y = as_positive(loss, "loss", source)
    c = as_positive(compute, "flops", source)
    check_lengths({"params": n, "loss": y, "flops": c}, source)
    labels = group_budgets(c, budget_tolerance)
    rows, skipped = [], []
    for g in np.unique(labels):
        sel = labels == g
        cg = float(np.exp(np.mean(np.log(c[sel]))))
        u = np.log(n[sel])
        if np.unique(u).size < 3:
            skipped.append(f"C={cg:.3g}: fewer than 3 distinct model sizes")
            continue
        c2, c1, c0 = np.polyfit(u, y[sel], 2)
        if c2 <= 0:
            skipped.append(f"C={cg:.3g}: parabola opens downwards (no minimum)")
            continue
        u_star = -c1 / (2 * c2)
        n_star = float(np.exp(u_star))
        rows.append((cg, n_star, cg / (FLOPS_PER_PARAM_TOKEN * n_star),
                     float(c0 - c1**2 / (4 * c2)), float(c2), int(sel.sum()),
                     bool(u.min() <= u_star <= u.max())))
    if not rows:
        raise InputError(f"{source + ': ' if source else ''}no isoFLOP budget has a valid "
                         "parabola (need >= 3 model sizes per budget with a minimum)")
    cols = list(zip(*rows, strict=True))
    minima = IsoflopMinima(*(np.array(col) for col in cols))
    return minima, tuple(skipped)


def fit_isoflop(
    n_params, loss, compute=None, n_tokens=None, *, budget_tolerance: float = 0.05,
    source: str | None = None,
) -> IsoflopResult:
    """Approach 2: isoFLOP parabola minima, then ``N_opt = k_N C^a``, ``D_opt = k_D C^b``.

    Parameters
    ----------
    n_params, loss : array-like
        Model sizes and final losses.
    compute : array-like, optional
        Training FLOP per run; default ``6 N D`` from ``n_tokens``.
    n_tokens : array-like, optional
        Training tokens (needed when ``compute`` is absent).
    budget_tolerance : float
        Budgets closer than this in log10 C are one isoFLOP group.
    source : str, optional
        Label for error messages.

    Returns
    -------
    IsoflopResult
        With ``warnings`` when the laws rest on at most 4 budgets (2 residual degrees of
        freedom): their OLS exponent SEs are then unreliable.
    """
    if compute is None:
        if n_tokens is None:
            raise InputError("isoFLOP fit needs 'flops' or 'tokens' per run")
        compute = FLOPS_PER_PARAM_TOKEN * np.asarray(n_params, float) * np.asarray(n_tokens, float)
    minima, skipped = isoflop_minima(n_params, loss, compute, budget_tolerance=budget_tolerance,
                                     source=source)
    inside = minima.inside
    if inside.sum() < 2:
        outside = ", ".join(f"{c:.3g}" for c in minima.compute[~inside])
        raise InputError(
            f"{source + ': ' if source else ''}isoFLOP fit needs minima inside the sampled model "
            f"sizes at two or more budgets (got {int(inside.sum())}"
            + (f"; outside at C = {outside}" if outside else "") + ")"
        )
    skipped = skipped + tuple(
        f"C={c:.3g}: parabola minimum N*={n:.3g} outside the sampled sizes (left out of the law)"
        for c, n, ok in zip(minima.compute, minima.n_star, inside, strict=True)
        if not ok
    )
    n_budgets = int(inside.sum())  # the vertices the laws are fitted on (distinct budgets)
    few_df = allocation_df_warnings(n_budgets)
    return IsoflopResult(
        minima=minima,
        n_opt=fit_allocation_law(minima.compute[inside], minima.n_star[inside], name="N*"),
        d_opt=fit_allocation_law(minima.compute[inside], minima.d_star[inside], name="D*"),
        skipped=skipped,
        warnings=few_df,
    )
