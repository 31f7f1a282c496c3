"""Muggeo's pseudo-score test for a breakpoint (R ``segmented::pscore.test``, linear model)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from emergence.detect._common import as_weights, as_xy, check_alternative, residual_maker
from emergence.errors import InputError


@dataclass(frozen=True)
class PscoreResult:
    """Result of :func:`pscore_test`.

    Attributes
    ----------
    statistic : float
        Pseudo-score s = p'M0 y / (sigma * sqrt(p'M0 p)).
    p_value : float
        From t(df): two-sided 2 P(T > |s|), greater P(T > s), less P(T < s).
    p_floor : float
        Smallest attainable p with the null-fit sigma, 2 P(T_df > sqrt(n - 2)) two-sided; with
        ``sigma=None`` no p below this is possible (Cauchy-Schwarz), so the test has no power
        at alpha = 0.05 for n <= 8.
    sigma : float
        Residual standard deviation used (null fit unless given).
    df : int
        Degrees of freedom of the t reference (n - 2 unless given).
    n, k : int
        Observations and grid size.
    alternative, break_type, method : str
    """

    statistic: float
    p_value: float
    p_floor: float
    sigma: float
    df: int
    n: int
    k: int
    alternative: str
    break_type: str
    method: str


def pscore_test(
    x,
    y,
    k: int = 10,
    *,
    alternative: str = "two-sided",
    break_type: str = "break",
    weights=None,
    values=None,
    sigma: float | None = None,
    df: int | None = None,
) -> PscoreResult:
    """Pseudo-score test (Muggeo 2016, J. Stat. Comput. Simul. 86:3059) for one breakpoint.

    The averaged hinge p_i = mean_m (x_i - v_m)_+ over ``k`` values v_m equally spaced on
    [min x, max x] is scored against the null linear fit y ~ 1 + x.

    Parameters
    ----------
    x, y : array_like
        Scale and response, any order.
    k : int, default 10
        Grid size (R default).
    alternative : {"two-sided", "greater", "less"}
    break_type : {"break", "jump"}
        "break": slope change, (x - v)_+ ; "jump": level change, 1(x > v).
    weights : array_like, optional
        Positive regression weights. Implemented by whitening (rows times sqrt(w)); not
        checked against R's weighted code path.
    values : array_like, optional
        Explicit grid (overrides ``k``).
    sigma : float, optional
        Residual SD to use; default is the null-fit SD, as R's ``pscore.test(lm)``. Passing the
        SD of the segmented fit removes the p-value floor but is not calibrated here.
    df : int, optional
        Degrees of freedom of the t reference; default n - 2.

    Returns
    -------
    PscoreResult

    Notes
    -----
    Verified against R ``segmented`` 1.6-2 ``pscore.test(lm(y ~ x), k = 10)`` (statistic and
    p-value, 1e-8 relative) on the shared fixtures; formulas read in ``R/pscore.test.R``
    (``test.Sc2``). Use at n >= 10 only (see ``p_floor``).
    """
    xa, ya = as_xy(x, y, min_n=4)
    alt = check_alternative(alternative)
    if break_type not in ("break", "jump"):
        raise InputError(f"break_type must be 'break' or 'jump', got {break_type!r}")
    n = xa.size
    sw = np.sqrt(as_weights(weights, n))
    if values is None:
        if int(k) < 2:
            raise InputError(f"k must be an integer >= 2, got {k}")
        grid = np.linspace(xa.min(), xa.max(), int(k))
    else:
        grid = np.asarray(values, dtype=float).ravel()
    diff = xa[:, None] - grid[None, :]
    basis = np.maximum(diff, 0.0) if break_type == "break" else (diff > 0).astype(float)
    pbar = basis.mean(axis=1)
    design = np.column_stack([np.ones(n), xa])
    m0 = residual_maker(sw[:, None] * design)
    yw, pw = sw * ya, sw * pbar
    df_t = n - 2 if df is None else int(df)
    if sigma is None:
        sig = float(np.sqrt(yw @ m0 @ yw / (n - 2)))
    else:
        sig = float(sigma)
    denom = float(pw @ m0 @ pw)
    if denom <= 0 or sig <= 0:
        raise InputError("pscore_test: degenerate data (constant averaged basis or exact fit)")
    s = float(pw @ m0 @ yw) / (sig * np.sqrt(denom))
    if alt == "two-sided":
        p = 2 * stats.t.sf(abs(s), df_t)
    elif alt == "greater":
        p = stats.t.sf(s, df_t)
    else:
        p = stats.t.cdf(s, df_t)
    mult = 2 if alt == "two-sided" else 1
    floor = float(mult * stats.t.sf(np.sqrt(n - 2), df_t)) if sigma is None else 0.0
    return PscoreResult(
        statistic=s,
        p_value=float(p),
        p_floor=floor,
        sigma=sig,
        df=df_t,
        n=n,
        k=int(grid.size),
        alternative=alt,
        break_type=break_type,
        method="Muggeo (2016) pseudo-score test for a breakpoint, linear model",
    )
