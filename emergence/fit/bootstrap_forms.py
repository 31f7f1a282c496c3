"""Bootstrap uncertainty for the isoFLOP (Approach 2), BNSL and Kaplan L(N, D) fits.

BNSL and Kaplan L(N, D): a resample over points is given as repeat counts per point
(:func:`emergence.fit.bootstrap.bootstrap_counts`); the refit sees each point as many times as it
was drawn; a resample with fewer distinct points than the law has parameters is not refitted and
counts as failed, as does a refit that does not converge (it stopped wherever its evaluation budget
ran out: not a draw of the estimate). isoFLOP: an isoFLOP grid is a designed experiment (chosen
sizes at chosen budgets), and resampling its runs often leaves a budget with too few distinct sizes
for a parabola, which inflates the spread; so its residuals are resampled within each budget
instead, keeping the design. Refits that cannot be made count as failed draws.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .bnsl import DEGENERATE_RULE, fit_bnsl
from .bootstrap import check_resamples, run_bootstrap
from .isoflop import fit_isoflop, group_budgets
from .power_law import fit_kaplan_nd
from .results import BootstrapResult, summarise_draws
from .validate import as_positive, check_bootstrap_points, check_lengths, n_distinct


class _RepeatRefit:
    """Picklable refit of one resample: ``fit`` on the points repeated by their counts.

    ``n_design`` leading arrays locate a point (x; or N and D); a resample with fewer than
    ``n_params`` distinct points is not refitted (the law is not identified) and counts as
    failed, as does a refit whose ``fit`` says ``"_failed"`` (it did not converge).
    """

    def __init__(self, fit, arrays: tuple[np.ndarray, ...], options: dict, n_design: int,
                 n_params: int) -> None:
        self.fit = fit
        self.arrays = tuple(np.asarray(a, float) for a in arrays)
        self.options = options
        design = np.column_stack(self.arrays[:n_design])
        self.point_id = np.unique(design, axis=0, return_inverse=True)[1].ravel()
        self.n_params = n_params

    def __call__(self, counts: np.ndarray) -> dict[str, float]:
        if np.unique(self.point_id[counts > 0]).size < self.n_params:
            return {"_failed": 1.0}
        reps = [np.repeat(a, counts) for a in self.arrays]
        try:
            row = self.fit(*reps, **self.options)
        except (InputError, ValueError, np.linalg.LinAlgError):
            return {"_failed": 1.0}
        row.setdefault("_failed", 0.0)
        return row


def _isoflop_quantities(n, loss, compute, *, budget_tolerance: float) -> dict[str, float]:
    res = fit_isoflop(n, loss, compute, budget_tolerance=budget_tolerance)
    return {
        "a": res.n_opt.exponent,
        "k_N": res.n_opt.coefficient,
        "b": res.d_opt.exponent,
        "k_D": res.d_opt.coefficient,
    }


def _kaplan_quantities(n, d, loss, *, delta: float) -> dict[str, float]:
    fit = fit_kaplan_nd(n, d, loss, delta=delta)
    # a refit that did not converge stopped somewhere arbitrary: failed, not a draw
    return {**fit.params, "_failed": float(not fit.converged)}


def _bnsl_quantities(x, y, *, n_breaks: int) -> dict[str, float]:
    fit = fit_bnsl(x, y, n_breaks=n_breaks)
    # the single fit's dead_terms rule (DEGENERATE_RULE): such a draw is counted (and kept);
    # one that ran out of evaluations (mostly a term running off) is failed, as elsewhere
    return {**fit.params, "_degenerate": float(bool(fit.diagnostics.dead_terms)),
            "_failed": float(not fit.converged)}  # fmt: skip


def bootstrap_isoflop(
    n_params,
    loss,
    compute,
    *,
    budget_tolerance: float = 0.05,
    n_boot: int = 1000,
    seed: int | None = 0,
    level: float = 0.95,
) -> BootstrapResult:
    """Residual bootstrap of :func:`emergence.fit.isoflop.fit_isoflop`, within budgets.

    Each budget's parabola (loss against log N) is fitted; a draw adds residuals resampled with
    replacement to the fitted values at the same sizes, and the whole Approach-2 fit is redone.
    Raw residuals of a 3-parameter parabola on k sizes are too small (their variance is about
    (k - 3) / k of the noise; zero at k = 3), so the residuals are the modified ones of Davison
    & Hinkley (1997, Alg. 6.3), e_i / sqrt(1 - h_ii), centred and pooled over budgets (a budget
    with 3 sizes carries no residual information of its own). This gives SEs and percentile
    intervals for the allocation exponents ``a`` (N_opt = k_N C^a) and ``b`` (D_opt = k_D C^b)
    and their coefficients.

    Parameters
    ----------
    n_params, loss, compute : array-like
        Model size, final loss and training FLOP of each run.
    budget_tolerance : float
        As in :func:`fit_isoflop`.
    n_boot, seed, level
        Resamples (>= 2), seed and interval level.

    Returns
    -------
    BootstrapResult
        Draws, SEs and percentile intervals of ``a``, ``k_N``, ``b``, ``k_D``.
    """
    if n_boot < 2:
        raise ValueError("n_boot must be at least 2")
    check_resamples(n_boot, seed)
    n = np.asarray(n_params, float)
    y = np.asarray(loss, float)
    c = np.asarray(compute, float)
    fit_isoflop(n, y, c, budget_tolerance=budget_tolerance)  # the data must fit at all
    labels = group_budgets(c, budget_tolerance)
    fitted = y.copy()
    used, modified = [], []
    for g in np.unique(labels):
        sel = np.flatnonzero(labels == g)
        u = np.log(n[sel])
        if np.unique(u).size < 3:
            continue
        design = np.vander(u - u.mean(), 3)
        fitted[sel] = design @ np.linalg.lstsq(design, y[sel], rcond=None)[0]
        used.append(sel)
        q, _ = np.linalg.qr(design)
        lev = np.einsum("ij,ij->i", q, q)
        ok = lev < 1 - 1e-9  # a point the parabola passes through carries no residual
        modified.append((y[sel] - fitted[sel])[ok] / np.sqrt(1 - lev[ok]))
    pool = np.concatenate(modified) if modified else np.empty(0)
    if pool.size == 0:
        raise InputError("the isoFLOP bootstrap needs a budget with at least 4 model sizes: "
                         "a parabola through 3 sizes leaves no residual to resample")
    pool = pool - pool.mean()
    rows: list[dict[str, float]] = []
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        draw = fitted.copy()
        for sel in used:
            draw[sel] += rng.choice(pool, size=sel.size, replace=True)
        try:
            rows.append(_isoflop_quantities(n, draw, c, budget_tolerance=budget_tolerance))
        except (InputError, ValueError, np.linalg.LinAlgError):
            rows.append({})
    keys = ["a", "k_N", "b", "k_D"]
    draws = {k: np.array([r.get(k, np.nan) for r in rows]) for k in keys}
    se, ci = summarise_draws(draws, level)
    return BootstrapResult(draws=draws, se=se, ci=ci, level=level, n_boot=n_boot,
                           n_failed=sum(not r for r in rows), seed=seed,
                           resampling="residuals within budgets")  # fmt: skip


def bootstrap_bnsl(
    x,
    y,
    *,
    n_breaks: int = 1,
    n_boot: int = 1000,
    seed: int | None = 0,
    level: float = 0.95,
    source: str | None = None,
) -> BootstrapResult:
    """Percentile bootstrap over points of :func:`emergence.fit.bnsl.fit_bnsl`.

    Parameters
    ----------
    x, y : array-like
        Scales and values.
    n_breaks : int
        Breaks of the law.
    n_boot, seed, level
        Resamples, seed and interval level. The same seed draws the same resamples, and each
        BNSL refit is bit-for-bit reproducible (see :func:`emergence.fit.bnsl.fit_bnsl`), so
        the same seed gives identical draws, SEs and intervals. The refits run in this
        process.
    source : str, optional
        Label for error messages.

    Returns
    -------
    BootstrapResult
        Draws, SEs and percentile intervals of every BNSL parameter. A refit whose law is
        degenerate by the single fit's rule (``dead_terms``: a < 0 or some c_i > 10, see
        :func:`emergence.fit.bnsl.degenerate_terms`) is counted in ``n_degenerate`` and kept:
        the intervals then show how poorly the data pin the law. A refit that runs out of
        evaluations without converging (mostly a term running off) is failed: left out and
        counted in ``n_failed`` (``too_many_failed`` past a tenth: read the intervals as too
        narrow).

    Raises
    ------
    InputError
        Fewer than ``3 + 3 n_breaks + 2`` distinct scales.
    """
    n_free = 3 + 3 * n_breaks
    check_bootstrap_points(n_distinct(as_positive(x, "x", source)), n_free, "scales",
                           f"a BNSL with {n_breaks} break(s)", source)
    refit = _RepeatRefit(_bnsl_quantities, (x, y), {"n_breaks": n_breaks}, 1, n_free)
    return run_bootstrap(
        refit,
        len(np.asarray(y)),
        n_boot=n_boot,
        seed=seed,
        n_jobs=1,
        level=level,
        label="BNSL bootstrap",
        degenerate_rule=DEGENERATE_RULE,
    )


def bootstrap_kaplan_nd(
    n_params,
    n_tokens,
    loss,
    *,
    delta: float = 1e-3,
    n_boot: int = 1000,
    seed: int | None = 0,
    n_jobs: int | None = None,
    level: float = 0.95,
    source: str | None = None,
) -> BootstrapResult:
    """Percentile bootstrap over runs of :func:`emergence.fit.power_law.fit_kaplan_nd`.

    Parameters
    ----------
    n_params, n_tokens, loss : array-like
        Model size, training tokens and final loss of each run.
    delta : float
        Huber threshold of the refits.
    n_boot, seed, n_jobs, level
        Resamples, seed, worker processes (default: all cores) and interval level.
    source : str, optional
        Label for error messages.

    Returns
    -------
    BootstrapResult
        Draws, SEs and percentile intervals of ``N_c``, ``D_c``, ``alpha_N``, ``alpha_D``.

    Raises
    ------
    InputError
        Fewer than 6 distinct (N, D) pairs.
    """
    n = as_positive(n_params, "params", source)
    d = as_positive(n_tokens, "tokens", source)
    check_lengths({"params": n, "tokens": d}, source)
    check_bootstrap_points(n_distinct(n, d), 4, "(params, tokens) pairs", "Kaplan's L(N, D)",
                           source)
    refit = _RepeatRefit(_kaplan_quantities, (n_params, n_tokens, loss), {"delta": delta}, 2, 4)
    return run_bootstrap(
        refit,
        len(np.asarray(loss)),
        n_boot=n_boot,
        seed=seed,
        n_jobs=n_jobs,
        level=level,
        label="Kaplan L(N, D) bootstrap",
    )
