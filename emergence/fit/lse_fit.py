"""Fitting :class:`~emergence.fit.lse_model.LSEModel` forms: profile start, refinement, checks.

The start is deterministic (variable projection): for each exponent on a grid the linear
coefficients are solved by non-negative least squares in relative-error space, which approximates
the log-space residuals. The best grid cells by the actual objective that are local minima of the
grid with distinct values (at most :data:`MAX_STARTS`, best first) each start the optimiser, and
the lowest optimum wins: on weakly identified data one start can stop in a local optimum (a term
running off to a steep exponent where another basin fits better), and a single start would
report it as a clean fit.

Everything runs on y divided by the power of two nearest its geometric mean, and the coefficients
are mapped back: the log residuals do not change, so the optimum is the same, but the start (1/y
weights), the optimiser's path and the "coefficient ran off" rule no longer depend on the units of
y (values near 1e-300 overflowed the start's weights, and a correct fit of y ~ 1e-100 was flagged
as degenerate). A power of two divides exactly: y of order 1 is fitted bit for bit as before,
and y and y * 2^k give the same fit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import minimum_filter
from scipy.optimize import nnls

from .lse_model import HuberObjective, LSEModel
from .optimize import MinimizeOutcome, minimize_tight
from .results import Diagnostics

# Exponent grid of the profile start. Covers the exponents seen in LM scaling (0.05-1) and
# steeper terms; a term that wants alpha outside it still gets there through the optimiser.
EXPONENT_GRID_2D = np.linspace(0.05, 2.0, 20)
EXPONENT_GRID_1D = np.concatenate([np.geomspace(0.005, 0.05, 8, endpoint=False),
                                   np.linspace(0.05, 3.0, 60)])
#: Most grid cells refined from (:func:`profile_starts`).
MAX_STARTS = 4
#: Relative objective gap below which two grid cells (or two refined optima) count as the same.
SAME_VALUE = 1e-9
DEAD_SHARE = 1e-6  # a term contributing less than this fraction everywhere is switched off
DEAD_EXPONENT = 10.0  # exponents beyond this mean the term has "run off"
DEAD_LOG_COEF = 200.0  # |log coefficient - log unit of y| beyond this: "ran off"
#: The rule :func:`lse_diagnostics` applies for ``dead_terms``, as reported with a bootstrap's
#: degenerate draws.
LSE_DEGENERATE_RULE = (
    f"a term < {DEAD_SHARE:g} of the fit, |exponent| > {DEAD_EXPONENT:g} or "
    f"|log coef - log geomean(y)| > {DEAD_LOG_COEF:g}"
)


@dataclass(frozen=True)
class LSEFit:
    """Raw outcome of :func:`fit_lse` before naming parameters.

    Attributes
    ----------
    theta : ndarray
        Fitted parameters on the scale of y (also ``outcome.x``).
    outcome : MinimizeOutcome
        How the optimiser ended (its value and gradient are those on y itself too).
    objective : HuberObjective
        The objective minimised, on ``log(y / exp(log_scale))``: evaluate it at
        ``shift_coefficients(model, theta, -log_scale)``.
    start : ndarray
        Start, on the scale of y.
    log_scale : float
        Log of the unit of y the optimiser worked in (:func:`y_unit`).
    """

    theta: np.ndarray
    outcome: MinimizeOutcome
    objective: HuberObjective
    start: np.ndarray
    log_scale: float = 0.0


def y_unit(y: np.ndarray) -> int:
    """The power of two nearest the geometric mean of positive ``y``: the fits' unit of y.

    Returns
    -------
    int
        k such that ``ldexp(y, -k)`` (exact) has a geometric mean within a factor sqrt(2) of 1.
    """
    return int(np.round(np.mean(np.log2(np.asarray(y, float)))))


def _in_unit(y: np.ndarray) -> tuple[np.ndarray, float]:
    """``y / 2^k`` (exact) and ``log 2^k``, with k = :func:`y_unit`."""
    k = y_unit(y)
    return np.ldexp(np.asarray(y, float), -k), k * float(np.log(2.0))


def shift_coefficients(model: LSEModel, theta: np.ndarray, shift: float) -> np.ndarray:
    """``theta`` with every log-coefficient (terms and offset) moved by ``shift``.

    Dividing y by ``exp(s)`` divides every coefficient by it: ``shift=-s`` maps theta to the
    scaled problem, ``shift=s`` back. Exponents do not change.
    """
    out = np.array(theta, dtype=float)
    out[: model.n_logits] += shift
    return out


def profile_start(
    model: LSEModel, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Deterministic start by NNLS profiling of the coefficients over an exponent grid.

    Parameters
    ----------
    model : LSEModel
        Layout (any number of terms; tied exponents share one grid axis).
    x : ndarray, shape (n, K)
        Positive inputs.
    y : ndarray, shape (n,)
        Positive observations.
    weights : ndarray, optional
        Point multiplicities.

    Returns
    -------
    ndarray
        theta of the best grid cell under the model's Huber objective with delta = 1e-3 (the
        first of :func:`profile_starts`). The grid runs on y divided by the power of two
        nearest its geometric mean (scale-free); theta is on the scale of y.
    """
    return profile_starts(model, x, y, weights)[0]


def profile_starts(
    model: LSEModel, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> list[np.ndarray]:
    """The starts :func:`fit_lse` refines: the best distinct local minima of the profile grid.

    Parameters
    ----------
    model, x, y, weights
        As for :func:`profile_start`.

    Returns
    -------
    list of ndarray
        Thetas on the scale of y: at most :data:`MAX_STARTS` grid cells, best value first,
        each no worse than its grid neighbours and differing in value from the ones before by
        more than :data:`SAME_VALUE` relative (a dead term makes whole rows of cells equal);
        then, for each of those with coefficients NNLS set to 0, the same cell with them
        revived (so at most twice :data:`MAX_STARTS` in all).
    """
    scaled, shift = _in_unit(y)
    return [shift_coefficients(model, t, shift)
            for t in _profile_starts_scaled(model, x, scaled, weights)]


def _profile_starts_scaled(
    model: LSEModel, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None
) -> list[np.ndarray]:
    """:func:`profile_starts` on ``y`` of order 1 (its weights 1/y then stay finite)."""
    logx = np.log(x)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    sw = np.sqrt(w) / y  # relative residuals ~ log residuals
    grid_axes = 1 if model.tied else model.n_terms
    axis = EXPONENT_GRID_1D if grid_axes == 1 else EXPONENT_GRID_2D
    if grid_axes > 2:
        axis = np.linspace(0.05, 2.0, 8)
    obj = HuberObjective(model, logx, np.log(y), 1e-3, weights=w)
    tiny = 1e-10 * float(np.min(y))
    values = np.full((axis.size,) * grid_axes, np.inf)
    thetas: dict[tuple[int, ...], np.ndarray] = {}
    for cell in itertools.product(range(axis.size), repeat=grid_axes):
        alphas = axis[list(cell)]
        al = [alphas[0]] * model.n_terms if model.tied else list(alphas)
        cols = [np.exp(-a * logx[:, k]) for k, a in enumerate(al)]
        if model.offset:
            cols.append(np.ones(len(y)))
        design = np.stack(cols, axis=1) * sw[:, None]
        norms = np.linalg.norm(design, axis=0)
        norms[norms == 0] = 1.0
        try:
            coef, _ = nnls(design / norms, y * sw, maxiter=50 * design.shape[1])
        except RuntimeError:
            continue
        coef = coef / norms
        theta = np.empty(model.n_params)
        theta[: model.n_logits] = np.log(np.maximum(coef, tiny))
        for k in range(model.n_terms):
            theta[model.alpha_index(k)] = al[k]
        f = obj.value(theta)
        if np.isfinite(f):
            values[cell] = f
            thetas[cell] = theta
    if not thetas:  # pragma: no cover - nnls failing everywhere
        return [np.zeros(model.n_params)]
    # cells no worse than any neighbour (edges repeat themselves), in grid order for ties
    is_min = (values <= minimum_filter(values, size=3, mode="nearest")) & np.isfinite(values)
    cells = sorted(zip(*np.nonzero(is_min), strict=True), key=lambda c: (values[c], c))
    starts: list[np.ndarray] = []
    kept: list[float] = []
    for cell in cells:
        f = float(values[cell])
        if all(abs(f - g) > SAME_VALUE * max(abs(g), 1e-300) for g in kept):
            starts.append(thetas[cell])
            kept.append(f)
        if len(starts) == MAX_STARTS:
            break
    return starts + _revived(model, logx, y, starts, np.log(tiny))


def _revived(
    model: LSEModel, logx: np.ndarray, y: np.ndarray, starts: list[np.ndarray], floor: float
) -> list[np.ndarray]:
    """One more start per start whose NNLS set coefficients to 0: those at 10 % of min y.

    A coefficient clamped at the floor (1e-10 min y) has a gradient of ~1e-10 and never comes
    back, so a start with a term switched off ends with it off, reported converged: a review
    found fits 2.5-14x above the optimum that way (E = 4e-10 on a clear 36-run grid). A term
    is revived to 10 % of min y at the geometric mean of its variable.
    """
    revived = []
    for theta in starts:
        off = np.flatnonzero(theta[: model.n_logits] <= floor + 1e-9)
        if off.size == 0:
            continue
        t = theta.copy()
        for j in off:
            t[j] = np.log(0.1 * float(np.min(y)))
            if j < model.n_terms:  # a term: its level at the geometric mean of its variable
                t[j] += t[model.alpha_index(j)] * float(np.mean(logx[:, j]))
        revived.append(t)
    return revived


def fit_lse(
    model: LSEModel,
    x: np.ndarray,
    y: np.ndarray,
    delta: float = 1e-3,
    start: np.ndarray | None = None,
    reduction: str = "sum",
    weights: np.ndarray | None = None,
    warm: bool = False,
) -> LSEFit:
    """Fit an LSE power-law model by Huber loss on log residuals.

    Parameters
    ----------
    model : LSEModel
        Layout.
    x : ndarray, shape (n, K)
        Positive inputs.
    y : ndarray, shape (n,)
        Positive observations.
    delta : float
        Huber threshold on log residuals (``inf``: least squares).
    start : ndarray, optional
        Start theta; default every start of :func:`profile_starts`, keeping the lowest
        optimum.
    reduction : {"sum", "mean"}
        Objective reduction; the optimum is the same, only the reported value differs.
    weights : ndarray, optional
        Point multiplicities.
    warm : bool
        ``start`` is close to the optimum (bootstrap refits): try Newton steps first.

    Returns
    -------
    LSEFit
        ``theta`` on the scale of ``y``; the optimiser ran on ``y`` divided by the power of two
        nearest its geometric mean (``log_scale``), which leaves the log residuals, hence the
        optimum, unchanged.
    """
    scaled, shift = _in_unit(y)
    obj = HuberObjective(model, np.log(x), np.log(scaled), delta, weights=weights,
                         reduction=reduction)  # fmt: skip
    if start is None:
        starts = _profile_starts_scaled(model, x, scaled, weights)
    else:
        starts = [shift_coefficients(model, np.asarray(start, float), -shift)]
    scaled0, outcome = None, None
    for candidate in starts:
        trial = minimize_tight(obj.value_and_grad, obj.hessian, candidate, newton_first=warm,
                               exact_fit=obj.exact_fit_value)
        # a later start must do clearly better (equal optima keep the best grid cell's fit),
        # or reach the same value where the earlier one did not converge
        if (outcome is None or _clearly_lower(trial.fun, outcome.fun)
                or (trial.converged and not outcome.converged
                    and not _clearly_lower(outcome.fun, trial.fun))):
            scaled0, outcome = candidate, trial
    if not shift:  # y of order 1: nothing to map back (bit for bit the unscaled fit)
        return LSEFit(outcome.x, outcome, obj, scaled0, 0.0)
    theta = shift_coefficients(model, outcome.x, shift)
    theta0 = np.asarray(start, float) if start is not None else shift_coefficients(
        model, scaled0, shift
    )
    return LSEFit(theta, replace(outcome, x=theta), obj, theta0, shift)


def _clearly_lower(f: float, best: float) -> bool:
    """Whether objective ``f`` beats ``best`` by more than :data:`SAME_VALUE` relative."""
    if not np.isfinite(f):
        return False
    if not np.isfinite(best):
        return True
    return f < best - SAME_VALUE * max(abs(best), 1e-300)


def has_dead_terms(fit: LSEFit, x: np.ndarray) -> bool:
    """Whether :func:`lse_diagnostics` would report a dead term (a bootstrap refit's check)."""
    model = fit.objective.model
    coef = [f"c{k}" for k in range(model.n_logits)]
    exps = [f"e{k}" for k in range(1 if model.tied else model.n_terms)]
    return bool(lse_diagnostics(fit, x, coef, exps).dead_terms)


def lse_diagnostics(
    fit: LSEFit, x: np.ndarray, coef_names: list[str], exp_names: list[str]
) -> Diagnostics:
    """Bound and dead-term checks for a fitted LSE model.

    Parameters
    ----------
    fit : LSEFit
        The fit.
    x : ndarray, shape (n, K)
        Inputs it was fitted on.
    coef_names : list of str
        Names of the K term coefficients followed by the offset name (if any).
    exp_names : list of str
        Names of the exponents (one if tied).
    """
    model = fit.objective.model
    theta = fit.theta
    t = model.logits(theta, np.log(x))
    share = np.exp(t - t.max(axis=1, keepdims=True))
    share = share / share.sum(axis=1, keepdims=True)
    on_bound: list[str] = []
    dead: list[str] = []
    notes: list[str] = []
    for j, name in enumerate(coef_names):
        if share[:, j].max() < DEAD_SHARE:
            on_bound.append(name)
            dead.append(name)
            notes.append(f"{name}: contributes < {DEAD_SHARE:g} of the prediction at every point")
    for k in range(model.n_terms):
        ename = exp_names[0] if model.tied else exp_names[k]
        alpha = theta[model.alpha_index(k)]
        cname = coef_names[k]
        if alpha <= 0:
            if ename not in on_bound:
                on_bound.append(ename)
            notes.append(f"{ename} = {alpha:.3g} <= 0: term {cname} does not decay")
        if abs(alpha) > DEAD_EXPONENT:
            if cname not in dead:
                dead.append(cname)
            notes.append(f"{ename} = {alpha:.3g}: exponent ran off (term {cname} degenerate)")
        elif abs(theta[k] - fit.log_scale) > DEAD_LOG_COEF:
            # relative to the data's scale: log A = -230 is an ordinary fit of y ~ 1e-100
            if cname not in dead:
                dead.append(cname)
            notes.append(
                f"log {cname} = {theta[k]:.3g}, {theta[k] - fit.log_scale:+.3g} from the log of "
                "the data's scale (geometric mean): coefficient ran off"
            )
    out = fit.outcome
    gnorm = float(np.max(np.abs(out.grad))) if out.grad.size else 0.0
    if not out.converged:
        notes.append(f"not converged: {out.message}")
    return Diagnostics(
        objective=out.fun,
        grad_norm=gnorm,
        iterations=out.iterations,
        n_evaluations=out.n_evaluations,
        converged=out.converged,
        message=out.message,
        on_bound=tuple(on_bound),
        dead_terms=tuple(dead),
        warnings=tuple(notes),
    )
