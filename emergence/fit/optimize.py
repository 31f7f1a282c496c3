"""Tight-tolerance minimisation: BFGS on a rescaled objective, then a Newton polish.

Why rescale: SciPy's quasi-Newton stopping tests are partly absolute, so an objective of size 1e-3
(a summed Huber loss) or 1e-6 (its mean) stops after a couple of iterations far from the optimum
(the "loss-scale trap" that produced Hoffmann et al.'s Approach-3 estimate). Dividing by the start
value makes the problem scale-free; the exact Hessian then finishes the job quadratically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

GTOL = 1e-9  # max-norm of the gradient of f / f_scale accepted as converged
#: Default ``exact_fit`` of :func:`minimize_tight`, for objectives that cannot state their own
#: (the LSE fits pass :attr:`~emergence.fit.lse_model.HuberObjective.exact_fit_value`).
EXACT_FIT = 1e-24


@dataclass(frozen=True)
class MinimizeOutcome:
    """Result of :func:`minimize_tight`."""

    x: np.ndarray
    fun: float
    grad: np.ndarray
    iterations: int
    n_evaluations: int
    converged: bool
    message: str


def minimize_tight(
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    hessian: Callable[[np.ndarray], np.ndarray] | None,
    x0: np.ndarray,
    max_iter: int = 2000,
    newton_steps: int = 30,
    newton_first: bool = False,
    exact_fit: float = EXACT_FIT,
) -> MinimizeOutcome:
    """Minimise a smooth(ish) objective to tight tolerance from ``x0``.

    Parameters
    ----------
    value_and_grad : callable
        ``theta -> (f, grad)``.
    hessian : callable or None
        ``theta -> H`` (exact); enables the Newton polish.
    x0 : ndarray
        Start.
    max_iter : int
        BFGS iteration cap.
    newton_steps : int
        Newton polish iteration cap.
    newton_first : bool
        Try damped Newton alone first (fast from a warm start, e.g. bootstrap refits from the
        full-data optimum) and fall back to BFGS + polish if it does not converge.
    exact_fit : float
        The value of a non-negative objective at or below which the fit is exact: converged
        whatever the gradient, since a gradient relative to an objective of ~0 means nothing.
        Also the least scale the objective is divided by, so that a start that is already
        nearly exact does not inflate the relative gradient.

    Returns
    -------
    MinimizeOutcome
    """
    x0 = np.asarray(x0, float)
    f0, _ = value_and_grad(x0)
    # f0 of a start that is already nearly exact (~1e-20) would turn rounding noise in the
    # gradient into a "relative gradient" of 1e4: the scale stops at the exact-fit floor
    scale = max(abs(f0), exact_fit) if np.isfinite(f0) else 0.0
    scale = scale if scale > 0 else 1.0
    n_eval = [1]
    if newton_first and hessian is not None:
        g0 = value_and_grad(x0)[1]
        x, f, g, k, msg = _newton_polish(value_and_grad, hessian, x0, f0, g0, 4 * newton_steps)
        if _converged(hessian, x, f, g, scale, exact_fit):
            return MinimizeOutcome(x, float(f), g, k, k + 1, True,
                                   "converged (Newton from a warm start)")

    def scaled(x: np.ndarray) -> tuple[float, np.ndarray]:
        n_eval[0] += 1
        f, g = value_and_grad(x)
        if not np.isfinite(f):
            return np.inf, np.zeros_like(x)
        return f / scale, g / scale

    res = minimize(
        scaled, x0, jac=True, method="BFGS", options={"gtol": GTOL, "maxiter": max_iter}
    )
    x, iterations, message = res.x, int(res.nit), str(res.message)
    f, g = value_and_grad(x)
    if hessian is not None:
        x, f, g, k, newton_msg = _newton_polish(value_and_grad, hessian, x, f, g, newton_steps)
        iterations += k
        n_eval[0] += k
        if newton_msg:
            message = f"{message.rstrip('.')}; {newton_msg}"
    converged = _converged(hessian, x, f, g, scale, exact_fit)
    if converged and 0.0 <= f <= exact_fit:
        message = "converged (an exact fit: objective at or below the exact-fit floor)"
    elif converged:  # BFGS's "precision loss" at a tight gtol is expected; Newton finished
        message = "converged (gradient or Newton decrement below tolerance)"
    else:
        # BFGS may report success at its own tolerance: say what the stricter check found
        gnorm = float(np.max(np.abs(g))) / scale if g.size else 0.0
        flat = hessian is not None and not np.isfinite(_newton_decrement(hessian, x, g))
        # the verdict first: BFGS's own "terminated successfully" read as a contradiction
        message = (f"the relative gradient is {gnorm:.2g} > 1e-8"
                   + (" and the Hessian is not positive definite (a flat direction: a "
                      "parameter running off or unidentified)" if flat else "")
                   + f" (BFGS: {message.rstrip('.')})")
    return MinimizeOutcome(x, float(f), g, iterations, n_eval[0], converged, message)


def _converged(hessian, x, f, g, scale, exact_fit) -> bool:
    """Exact fit, gradient negligible, or the local quadratic model promises a relative
    decrease < 1e-10 (the Huber kinks keep the gradient from vanishing exactly)."""
    if not np.isfinite(f):
        return False
    if 0.0 <= f <= exact_fit:
        # the (non-negative Huber) loss is at its floor: an exact fit (as many parameters as
        # points, or noiseless data), where a gradient relative to f ~ 0 means nothing
        return True
    gnorm = float(np.max(np.abs(g))) / scale if g.size else 0.0
    if gnorm <= 1e-8:
        return True
    decrement = _newton_decrement(hessian, x, g) if hessian is not None else np.inf
    return bool(decrement <= 1e-10 * max(abs(f), 1e-300))


def _newton_decrement(hessian, x: np.ndarray, g: np.ndarray) -> float:
    """Half the squared Newton decrement g^T H^-1 g / 2 (inf if H is not positive definite)."""
    try:
        h = hessian(x)
        w, v = np.linalg.eigh(h)
    except np.linalg.LinAlgError:
        return np.inf
    if not np.all(np.isfinite(w)) or w.min() <= 0:
        return np.inf
    return float(0.5 * np.sum((v.T @ g) ** 2 / w))


def _newton_polish(value_and_grad, hessian, x, f, g, max_steps):
    """Damped Newton steps with backtracking; stops when no step decreases f."""
    k = 0
    msg = ""
    for k in range(1, max_steps + 1):  # noqa: B007 - k is reported
        h = hessian(x)
        try:
            w, v = np.linalg.eigh(h)
        except np.linalg.LinAlgError:
            msg = "Newton polish: Hessian not finite"
            break
        # Make the model positive definite (flat or kinked directions get a floor).
        floor = max(1e-12 * max(np.abs(w).max(), 1e-300), 1e-300)
        step = -(v @ ((v.T @ g) / np.maximum(np.abs(w), floor)))
        t = 1.0
        improved = False
        for _ in range(40):
            xn = x + t * step
            fn, gn = value_and_grad(xn)
            if np.isfinite(fn) and fn <= f:
                improved = fn < f or np.max(np.abs(gn)) < np.max(np.abs(g))
                break
            t *= 0.5
        if not improved:
            msg = f"Newton polish stopped after {k - 1} steps"
            k -= 1
            break
        decrease = f - fn
        x, f, g = xn, fn, gn
        if decrease <= 1e-16 * max(abs(f), 1e-300):
            break
    return x, f, g, k, msg
