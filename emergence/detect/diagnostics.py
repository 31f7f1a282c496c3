"""Adequacy of the linear null on the companion metric (report, do not gate)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.diagnostic import (
    breaks_cusumolsresid,
    linear_harvey_collier,
    linear_rainbow,
)

from emergence.detect._common import as_weights, as_xy


@dataclass(frozen=True)
class NullAdequacy:
    """Result of :func:`null_adequacy`.

    Attributes
    ----------
    harvey_collier_t, harvey_collier_p : float
        Harvey-Collier t-test on recursive residuals (exact under normality; detects
        convexity). t(n - 4).
    rainbow_f, rainbow_p : float
        Utts' rainbow F-test (middle half of the scales vs all).
    ols_cusum_p : float
        OLS-CUSUM (Ploberger-Kraemer) asymptotic p. Essentially no power against slope
        changes at these n; reported only for comparison with other tools.
    n : int
    """

    harvey_collier_t: float
    harvey_collier_p: float
    rainbow_f: float
    rainbow_p: float
    ols_cusum_p: float
    n: int


def null_adequacy(x, y, *, weights=None) -> NullAdequacy:
    """Goodness-of-fit diagnostics of the straight-line null y ~ 1 + x.

    Nonlinearity is not a threshold: use these to check that the linearised companion is
    linear enough for the Davies null, not as break tests (changepoint.md Sec. 4.5, 6).

    Parameters
    ----------
    x, y : array_like
        Scale and companion metric; sorted by x internally (the tests are order-dependent).
    weights : array_like, optional
        WLS weights.

    Returns
    -------
    NullAdequacy

    Notes
    -----
    Thin wrappers over statsmodels ``linear_harvey_collier``, ``linear_rainbow`` and
    ``breaks_cusumolsresid(resid, ddof=2)`` (= R ``sctest(efp(type = "OLS-CUSUM"))``), checked
    against the shared fixtures.
    """
    xa, ya = as_xy(x, y, min_n=5)
    w = as_weights(weights, xa.size)
    order = np.argsort(xa, kind="stable")
    xa, ya, w = xa[order], ya[order], w[order]
    fit = sm.WLS(ya, sm.add_constant(xa), weights=w).fit()
    hc = linear_harvey_collier(fit)
    rb_f, rb_p = linear_rainbow(fit)
    resid = np.sqrt(w) * fit.resid
    _, cusum_p, _ = breaks_cusumolsresid(resid, ddof=2)
    return NullAdequacy(
        harvey_collier_t=float(hc.statistic),
        harvey_collier_p=float(hc.pvalue),
        rainbow_f=float(rb_f),
        rainbow_p=float(rb_p),
        ols_cusum_p=float(cusum_p),
        n=int(xa.size),
    )
