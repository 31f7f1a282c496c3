"""Broken neural scaling laws (Caballero et al. 2022).

``y = a + b x^-c0 prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i)``: a is the limit, c0 the initial slope
on the log-log plot, c_i the change of slope at break i, d_i its location, f_i its sharpness.

Fit as in their scripts: a brute-force grid minimising the mean squared error of log(y + 1), with
``b = 1.25^v - 1 + 1e-8`` and ``d = 1.25^w - 1 + 1e-8``, then Levenberg-Marquardt on log(y + 1)
from the best grid point. ``x`` is divided by ``x_scale`` first (default: its smallest value) so
the grid covers model sizes of 1e6-1e12 as well as dataset sizes of 1e2-1e3; more breaks are added
one at a time (grid over the new break with the others fixed, then LM on everything).

The LM step is implemented here rather than taken from SciPy's MINPACK, whose end points in
BNSL's flat valleys moved by up to 1e-4 relative with the process's heap state: every reduction
below is a correctly rounded ``math.fsum`` and the small linear solve is plain Python, so a fit
(and a seeded bootstrap of it) is bit-for-bit reproducible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .results import Diagnostics, FitResult
from .validate import as_positive, check_enough_points, check_lengths, check_several_scales

# Caballero et al.'s grid (fit_bnsl_and_extrapolate__4_digit_addition__... .py).
GRID_A = np.arange(0.0, 1.0, 0.1)
GRID_LOG125 = np.arange(0.0, 40.0, 2.5)
GRID_UNIT = np.arange(0.0, 1.0, 0.25)


def param_names(n_breaks: int) -> list[str]:
    """``a, b, c0`` then ``c_i, d_i, f_i`` for each break."""
    names = ["a", "b", "c0"]
    for i in range(1, n_breaks + 1):
        names += [f"c{i}", f"d{i}", f"f{i}"]
    return names


def _predict_vec(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, b, c0 = p[0], p[1], p[2]
    out = b * x ** (-c0)
    for i in range((len(p) - 3) // 3):
        c, d, f = p[3 + 3 * i : 6 + 3 * i]
        out = out * (1.0 + (x / d) ** (1.0 / f)) ** (-c * f)
    return a + out


def bnsl_predict(params: Mapping[str, float], x) -> np.ndarray:
    """Evaluate a BNSL with any number of breaks (``params`` as returned by :func:`fit_bnsl`)."""
    n_breaks = (len(params) - 3) // 3
    p = np.array([params[k] for k in param_names(n_breaks)], float)
    with np.errstate(all="ignore"):
        return _predict_vec(p, np.asarray(x, float))


def rmsle(y_pred, y_true) -> float:
    """Root mean squared error of natural logs (Caballero et al.'s score, no +1)."""
    with np.errstate(all="ignore"):
        d = np.ravel(np.log(np.asarray(y_pred, float)) - np.log(np.asarray(y_true, float)))
    return math.sqrt(_sum(d * d) / d.size) if d.size else math.nan  # fsum: order-free


def _grid_one_break(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brute force over (a, v, c0, c1, w, f1); returns the best natural-parameter vector."""
    ly = np.log(y + 1.0)
    b_vals = 1.25**GRID_LOG125 - 1 + 1e-8
    d_vals = 1.25**GRID_LOG125 - 1 + 1e-8
    best, best_f = None, np.inf
    # Vectorise over everything except (c1, d1, f1) blocks to bound memory.
    a = GRID_A[:, None, None, None]
    b = b_vals[None, :, None, None]
    c0 = GRID_UNIT[None, None, :, None]
    xx = x[None, None, None, :]
    head = b * xx ** (-c0)  # (a-free) shape (1, nb, nc0, n)
    with np.errstate(all="ignore"):
        for c1, d1, f1 in itertools.product(GRID_UNIT, d_vals, GRID_UNIT):
            brk = (1.0 + (x / d1) ** (1.0 / f1)) ** (-c1 * f1)
            pred = a + head * brk
            mse = np.mean((np.log(pred + 1.0) - ly) ** 2, axis=-1)
            mse = np.where(np.isfinite(mse), mse, np.inf)
            k = np.unravel_index(np.argmin(mse), mse.shape)
            if mse[k] < best_f:
                best_f = float(mse[k])
                best = np.array([GRID_A[k[0]], b_vals[k[1]], GRID_UNIT[k[2]], c1, d1, f1])
    return best


def _grid_next_break(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ly = np.log(y + 1.0)
    d_vals = 1.25**GRID_LOG125 - 1 + 1e-8
    best, best_f = None, np.inf
    with np.errstate(all="ignore"):
        # c = 0 or f = 0 would make the new break a no-op or a step: skip those cells.
        for c, d, f in itertools.product(GRID_UNIT[1:], d_vals, GRID_UNIT[1:]):
            q = np.concatenate([p, [c, d, f]])
            mse = float(np.mean((np.log(_predict_vec(q, x) + 1.0) - ly) ** 2))
            if np.isfinite(mse) and mse < best_f:
                best, best_f = q, mse
    return best


# Levenberg-Marquardt settings: as tight as the MINPACK call this replaces (least_squares(
# method="lm", xtol=ftol=gtol=1e-15, max_nfev=20000)). Stopping early in BNSL's flat valleys
# is the trap of Besiroglu et al. (2024), so the run goes on until no step makes progress.
LM_XTOL = LM_FTOL = LM_GTOL = 1e-15
LM_MAX_NFEV = 20000
_LM_MESSAGES = {
    0: "the maximum number of function evaluations is exceeded",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "both `ftol` and `xtol` termination conditions are satisfied.",
}


@dataclass(frozen=True)
class _LMResult:
    """End point of :func:`_lm` (the fields of ``scipy.optimize.least_squares`` it needs)."""

    x: np.ndarray
    fun: np.ndarray
    jac: np.ndarray
    cost: float  # sum of squared residuals, correctly rounded
    nfev: int  # residual evaluations, a Jacobian counted as one per parameter (as MINPACK)
    njev: int  # Jacobian evaluations = iterations
    status: int
    message: str


def _sum(values: np.ndarray) -> float:
    # math.fsum is correctly rounded, so the total cannot depend on summation order, SIMD width or
    # memory alignment (numpy's and BLAS's reductions may); this is what makes _lm bit-reproducible.
    return math.fsum(values.tolist())


def _resid(p: np.ndarray, x: np.ndarray, ly: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        r = np.log(_predict_vec(p, x) + 1.0) - ly
    return np.where(np.isfinite(r), r, 1e3)


def _jac(p: np.ndarray, x: np.ndarray, ly: np.ndarray) -> np.ndarray:
    """Analytic Jacobian of :func:`_resid` (elementwise numpy only: no reductions).

    ``r = log(a + M + 1) - ly`` with ``M = b x^-c0 prod_i B_i``, ``B_i = (1 + u_i)^(-c_i f_i)``,
    ``u_i = (x/d_i)^(1/f_i)``; every column is ``dP/dtheta / (P + 1)``. Where the residual or a
    derivative is not finite (the residual is then a constant), the entry is 0.
    """
    a, b, c0 = p[0], p[1], p[2]
    with np.errstate(all="ignore"):
        lx = np.log(x)
        s = x ** (-c0)  # M / b
        dlog = []  # d log B_i / d(c_i, d_i, f_i)
        for i in range((len(p) - 3) // 3):
            c, d, f = p[3 + 3 * i : 6 + 3 * i]
            u = (x / d) ** (1.0 / f)
            s = s * (1.0 + u) ** (-c * f)
            l1u = np.log1p(u)
            w = 1.0 / (1.0 + 1.0 / u)  # u / (1 + u), also for u = 0 or inf
            dlog += [-f * l1u, c * w / d, -c * l1u + c * w * np.log(x / d) / f]
        m = b * s
        inv = 1.0 / (a + m + 1.0)
        cols = [inv, s * inv, -m * lx * inv] + [m * g * inv for g in dlog]
        jac = np.stack(cols, axis=1)
        ok = np.isfinite(np.log(a + m + 1.0) - ly)[:, None] & np.isfinite(jac)
    return np.where(ok, jac, 0.0)


def _normal_equations(jac: np.ndarray, r: np.ndarray) -> tuple[list[list[float]], list[float]]:
    """``J^T J`` and ``J^T r``, each entry a correctly rounded sum of elementwise products."""
    k = jac.shape[1]
    jr = np.concatenate([jac, r[:, None]], axis=1)
    iu, ju = np.triu_indices(k + 1)
    prods = (jr[:, iu] * jr[:, ju]).T.tolist()  # elementwise: bitwise reproducible
    sums = [math.fsum(row) for row in prods]
    full = [[0.0] * (k + 1) for _ in range(k + 1)]
    for s, i, j in zip(sums, iu.tolist(), ju.tolist(), strict=True):
        full[i][j] = full[j][i] = s
    return [row[:k] for row in full[:k]], [full[i][k] for i in range(k)]


def _cholesky_solve(a: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Solve ``a z = rhs`` for small symmetric ``a`` in plain Python floats (fixed order, no
    LAPACK); ``None`` if ``a`` is not numerically positive definite."""
    k = len(rhs)
    low = [[0.0] * k for _ in range(k)]
    for j in range(k):
        pivot = a[j][j] - math.fsum(low[j][m] * low[j][m] for m in range(j))
        if not pivot > 0.0 or not math.isfinite(pivot):
            return None
        low[j][j] = math.sqrt(pivot)
        for i in range(j + 1, k):
            low[i][j] = (a[i][j] - math.fsum(low[i][m] * low[j][m] for m in range(j))) / low[j][j]
    z = [0.0] * k
    for i in range(k):
        z[i] = (rhs[i] - math.fsum(low[i][m] * z[m] for m in range(i))) / low[i][i]
    for i in reversed(range(k)):
        z[i] = (z[i] - math.fsum(low[m][i] * z[m] for m in range(i + 1, k))) / low[i][i]
    return z


def _lm(p0: np.ndarray, x: np.ndarray, y: np.ndarray) -> _LMResult:
    """Levenberg-Marquardt on log(y + 1), bit-for-bit reproducible.

    SciPy's MINPACK (``least_squares(method="lm")``) gives end points that vary at 1e-4 relative
    in BNSL's flat valleys from run to run: its inner loops round differently with memory
    alignment. Here every reduction is a correctly rounded ``math.fsum`` and the small linear
    solve is a hand-written Cholesky, so the result depends on the inputs only. The method is
    Marquardt's: damped normal equations ``(J^T J + mu D^2) h = -J^T r`` with ``D^2`` the running
    maximum of the diagonal of ``J^T J`` (MINPACK's scaling), Nielsen's (1999) update of ``mu``,
    and MINPACK's stopping tests (``gtol``: cosine of the residual and each column; ``ftol``:
    actual and predicted relative reductions; ``xtol``: scaled step relative to the scaled x).

    Parameters
    ----------
    p0 : numpy.ndarray
        Start (natural parameters ``a, b, c0, c1, d1, f1, ...``).
    x, y : numpy.ndarray
        Rescaled x and the values.

    Returns
    -------
    _LMResult
        End point, residuals, Jacobian there, counts and termination status.
    """
    ly = np.log(y + 1.0)
    k = len(p0)
    # Zero sharpness or slope at a grid point makes the Jacobian singular: nudge off it.
    p = np.where(p0 == 0, 1e-3, p0).astype(float)
    r = _resid(p, x, ly)
    cost = _sum(r * r)
    nfev, njev, status = 1, 0, 0
    scale = [0.0] * k
    mu, nu = 1e-3, 2.0
    while nfev + k <= LM_MAX_NFEV and status == 0:
        jac = _jac(p, x, ly)
        njev += 1
        nfev += k
        a, g = _normal_equations(jac, r)
        if cost == 0.0:
            status = 1
            break
        # gtol: largest cosine between the residual vector and a Jacobian column.
        cosines = [abs(g[j]) / math.sqrt(a[j][j] * cost) for j in range(k) if a[j][j] > 0]
        if max(cosines, default=0.0) <= LM_GTOL:
            status = 1
            break
        scale = [max(s, a[j][j]) for j, s in enumerate(scale)]
        d2 = [s if s > 0 else 1.0 for s in scale]
        pl = p.tolist()
        xnorm = math.sqrt(math.fsum(d2[j] * pl[j] * pl[j] for j in range(k)))
        while nfev < LM_MAX_NFEV:
            damped = [[a[i][j] + (mu * d2[i] if i == j else 0.0) for j in range(k)]
                      for i in range(k)]  # fmt: skip
            h = _cholesky_solve(damped, [-gj for gj in g])
            if h is None or not math.isfinite(mu):
                if not math.isfinite(mu * nu):
                    status = 3  # no step can be damped enough to be solved: nowhere to go
                    break
                mu, nu = mu * nu, 2.0 * nu
                continue
            trial = p + np.array(h)
            dxnorm = math.sqrt(math.fsum(d2[j] * h[j] * h[j] for j in range(k)))
            small_step = dxnorm <= LM_XTOL * xnorm or np.array_equal(trial, p)
            r_new = _resid(trial, x, ly)
            nfev += 1
            cost_new = _sum(r_new * r_new)
            # Predicted reduction of the linear model: h^T (mu D^2 h - g).
            pred = math.fsum(h[j] * (mu * d2[j] * h[j] - g[j]) for j in range(k))
            actual = cost - cost_new
            ratio = actual / pred if pred > 0 else -1.0
            small_f = abs(actual) <= LM_FTOL * cost and pred <= LM_FTOL * cost and ratio <= 2
            if ratio > 0:
                p, r, cost = trial, r_new, cost_new
                mu *= max(1.0 / 3.0, 1.0 - (2.0 * ratio - 1.0) ** 3)
                nu = 2.0
            else:
                mu, nu = mu * nu, 2.0 * nu
            if small_f or small_step:
                status = 4 if small_f and small_step else (2 if small_f else 3)
            if ratio > 0 or status:
                break
        else:
            break
    jac = _jac(p, x, ly)  # at the end point, for the gradient norm
    return _LMResult(x=p, fun=r, jac=jac, cost=cost, nfev=nfev, njev=njev, status=status,
                     message=_LM_MESSAGES[status])


def fit_bnsl(
    x,
    y,
    *,
    n_breaks: int = 1,
    x_scale: float | None = None,
    x_name: str = "x",
    y_name: str = "y",
    source: str | None = None,
) -> FitResult:
    """Fit a broken neural scaling law by grid search then Levenberg-Marquardt on log(y + 1).

    Parameters
    ----------
    x, y : array-like
        Positive scales and positive values (e.g. test cross-entropy).
    n_breaks : int
        Number of breaks (>= 1).
    x_scale : float, optional
        x is divided by this before the grid search (default ``min(x)``; ``1.0`` reproduces
        Caballero et al.'s grid exactly). Parameters are reported on the original scale.
    x_name, y_name : str
        Field names for error messages.
    source : str, optional
        Label for error messages.

    Returns
    -------
    FitResult
        ``form="bnsl"``; params ``a, b, c0, c1, d1, f1, ...``; ``objective`` is the mean squared
        error of log(y + 1); ``extra["rmsle_train"]``. Diagnostics: ``iterations`` counts
        Jacobians, ``n_evaluations`` residual evaluations with each Jacobian counted as one per
        parameter (MINPACK's count); not ``converged`` means the 20000-evaluation budget ran
        out. The result is bit-for-bit reproducible.
    """
    if n_breaks < 1:
        raise ValueError("n_breaks must be >= 1")
    xs = as_positive(x, x_name, source)
    ys = as_positive(y, y_name, source)
    check_lengths({x_name: xs, y_name: ys}, source)
    check_enough_points(len(ys), 3 + 3 * n_breaks, f"a BNSL with {n_breaks} break(s)", source)
    check_several_scales(xs, x_name, source)
    scale = float(np.min(xs)) if x_scale is None else float(x_scale)
    xr = xs / scale
    p = _grid_one_break(xr, ys)
    res = _lm(p, xr, ys)
    for _ in range(1, n_breaks):
        # Also start from "previous fit + a negligible break beyond the data", so adding a
        # break never ends worse than the fit with one break fewer.
        idle = np.concatenate([res.x, [1e-3, 10 * xr.max(), 0.5]])
        tries = [_lm(_grid_next_break(res.x, xr, ys), xr, ys), _lm(idle, xr, ys)]
        res = min(tries, key=lambda r: r.cost)
    q = res.x.copy()
    # Back to the original x scale: b x'^-c0 = b s^c0 x^-c0, and d' s = d.
    q[1] = q[1] * scale ** q[2]
    q[4::3] = q[4::3] * scale
    params = dict(zip(param_names(n_breaks), map(float, q), strict=True))
    mse = res.cost / len(res.fun)
    pred = bnsl_predict(params, xs)
    notes = []
    for i in range(1, n_breaks + 1):
        d = params[f"d{i}"]
        if not xs.min() / 100 <= d <= xs.max() * 100:
            notes.append(f"break d{i} = {d:.3g} lies far outside the data (x in "
                         f"[{xs.min():.3g}, {xs.max():.3g}])")
    # Gradient of the sum of squares / 2, summed with fsum (a BLAS matmul need not be reproducible).
    gnorm = max(abs(_sum(col * res.fun)) for col in res.jac.T)
    diag = Diagnostics(objective=mse, grad_norm=gnorm, iterations=int(res.njev),
                       n_evaluations=int(res.nfev), converged=bool(res.status > 0),
                       message=str(res.message), dead_terms=(), warnings=tuple(notes))
    return FitResult(form="bnsl", params=params, objective=mse, n_points=len(ys),
                     converged=diag.converged, diagnostics=diag, theta=res.x,
                     extra={"n_breaks": n_breaks, "x_scale": scale,
                            "rmsle_train": rmsle(pred, ys)})
