"""Broken neural scaling laws (Caballero et al. 2022).

``y = a + b x^-c0 prod_i (1 + (x/d_i)^(1/f_i))^(-c_i f_i)``: a is the limit, c0 the initial slope
on the log-log plot, c_i the change of slope at break i, d_i its location, f_i its sharpness.

Fit as in their scripts: a brute-force grid minimising the mean squared error of log(y + 1), with
``b = 1.25^v - 1 + 1e-8`` and ``d = 1.25^w - 1 + 1e-8``, then Levenberg-Marquardt on log(y + 1)
from the best grid point. ``x`` is divided by ``x_scale`` first (default: its smallest value) so
the grid covers model sizes of 1e6-1e12 as well as dataset sizes of 1e2-1e3; more breaks are added
one at a time (grid over the new break with the others fixed, then LM on everything).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
from scipy.optimize import least_squares

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
        if c * f != 0.0:  # otherwise the factor is 1 (as the power form gives for f = 0)
            # (1 + (x/d)^(1/f))^(-c f) in log space: with a sharp break (small f) (x/d)^(1/f)
            # overflows to inf and the factor would drop to 0, a cliff the optimiser stalls at
            out = out * np.exp(-c * f * np.logaddexp(0.0, np.log(x / d) / f))
    return a + out


def bnsl_predict(params: Mapping[str, float], x) -> np.ndarray:
    """Evaluate a BNSL with any number of breaks (``params`` as returned by :func:`fit_bnsl`)."""
    n_breaks = (len(params) - 3) // 3
    p = np.array([params[k] for k in param_names(n_breaks)], float)
    with np.errstate(all="ignore"):
        return _predict_vec(p, np.asarray(x, float))


def rmsle(y_pred, y_true) -> float:
    """Root mean squared error of natural logs (Caballero et al.'s score, no +1)."""
    return float(np.sqrt(np.mean((np.log(y_pred) - np.log(y_true)) ** 2)))


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


def _lm(p0: np.ndarray, x: np.ndarray, y: np.ndarray):
    ly = np.log(y + 1.0)

    def resid(p):
        with np.errstate(all="ignore"):
            r = np.log(_predict_vec(p, x) + 1.0) - ly
        return np.where(np.isfinite(r), r, 1e3)

    # Zero sharpness or slope at a grid point makes the Jacobian singular: nudge off it.
    start = np.where(p0 == 0, 1e-3, p0)
    return least_squares(resid, start, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                         max_nfev=20000)


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
        error of log(y + 1); ``extra["rmsle_train"]``.
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
        res = min(tries, key=lambda r: float(np.sum(r.fun**2)))
    q = res.x.copy()
    # Back to the original x scale: b x'^-c0 = b s^c0 x^-c0, and d' s = d.
    q[1] = q[1] * scale ** q[2]
    q[4::3] = q[4::3] * scale
    params = dict(zip(param_names(n_breaks), map(float, q), strict=True))
    mse = float(np.mean(res.fun**2))
    pred = bnsl_predict(params, xs)
    notes = []
    for i in range(1, n_breaks + 1):
        d = params[f"d{i}"]
        if not xs.min() / 100 <= d <= xs.max() * 100:
            notes.append(f"break d{i} = {d:.3g} lies far outside the data (x in "
                         f"[{xs.min():.3g}, {xs.max():.3g}])")
    gnorm = float(np.max(np.abs(res.jac.T @ res.fun))) if res.jac is not None else float("nan")
    diag = Diagnostics(objective=mse, grad_norm=gnorm, iterations=int(res.nfev),
                       n_evaluations=int(res.nfev), converged=bool(res.status > 0),
                       message=str(res.message), dead_terms=(), warnings=tuple(notes))
    return FitResult(form="bnsl", params=params, objective=mse, n_points=len(ys),
                     converged=diag.converged, diagnostics=diag, theta=res.x,
                     extra={"n_breaks": n_breaks, "x_scale": scale,
                            "rmsle_train": rmsle(pred, ys)})
