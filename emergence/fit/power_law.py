"""Single-variable power laws ``y = E + A x^-alpha`` (or ``A x^-alpha``) and Kaplan's joint L(N, D).

The same log-space Huber machinery as Chinchilla: ``log y_hat = LSE(a - alpha log x, e)``, NNLS
profile start over alpha, BFGS + Newton refinement. :func:`fit_predict_power_law` fits and
predicts at new scales in one call (e.g. per-token cross-entropy against N, extrapolated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares

from .chinchilla import confounded_design
from .lse_fit import LSE_DEGENERATE_RULE, fit_lse, has_dead_terms, lse_diagnostics
from .lse_model import LSEModel, huber
from .results import Diagnostics, FitResult
from .validate import (
    as_positive,
    check_bootstrap_points,
    check_distinct_points,
    check_distinct_scales,
    check_enough_points,
    check_lengths,
    check_several_scales,
    n_distinct,
    residual_df_warnings,
    weighted_rows,
)

_WITH_OFFSET = LSEModel(n_terms=1, offset=True)
_NO_OFFSET = LSEModel(n_terms=1, offset=False)


def power_law_predict(params: Mapping[str, float], x) -> np.ndarray:
    """``E + A x^-alpha`` (``E`` absent or 0 for the pure power law)."""
    x = np.asarray(x, float)
    return params.get("E", 0.0) + params["A"] * x ** -params["alpha"]


def fit_power_law(
    x,
    y,
    *,
    offset: bool = True,
    delta: float = 1e-3,
    weights=None,
    x_name: str = "x",
    y_name: str = "y",
    source: str | None = None,
) -> FitResult:
    """Fit ``y = E + A x^-alpha`` (or ``A x^-alpha``) by Huber loss on log residuals.

    Parameters
    ----------
    x, y : array-like
        Positive scales (N, D or C) and positive values (loss, cross-entropy, ...).
    offset : bool
        Include the irreducible term E (Kaplan's forms have none).
    delta : float
        Huber threshold on log residuals; ``math.inf`` gives least squares in log space (without
        offset this is ordinary least squares of log y on log x).
    weights : array-like, optional
        Point multiplicities.
    x_name, y_name : str
        Field names for error messages.
    source : str, optional
        Label for error messages.

    Returns
    -------
    FitResult
        ``form="power_law"`` with params ``E, A, alpha`` or ``form="power_law_no_offset"`` with
        ``A, alpha`` and ``x_c = A^(1/alpha)`` (Kaplan's ``(x_c/x)^alpha``). With at most
        two distinct x more than parameters the diagnostics warn of the few residual degrees
        of freedom (:func:`~emergence.fit.validate.residual_df_warnings`).

    Raises
    ------
    InputError
        Non-positive or non-finite values, or fewer distinct x than parameters (3 with the
        offset, 2 without): rows repeating a scale do not identify the law.
    """
    xs = as_positive(x, x_name, source)
    ys = as_positive(y, y_name, source)
    check_lengths({x_name: xs, y_name: ys}, source)
    kept = weighted_rows(weights, len(ys), source)  # a row of weight 0 is not fitted
    model = _WITH_OFFSET if offset else _NO_OFFSET
    form = "power_law" if offset else "power_law_no_offset"
    check_enough_points(int(kept.sum()), model.n_params, f"the {form} form", source)
    check_several_scales(xs[kept], x_name, source)
    check_distinct_scales(xs[kept], model.n_params, x_name,
                          f"the {form} form ({model.n_params} parameters)", source)
    xm = xs[:, None]
    start = None
    if not offset:  # log-linear: OLS gives the exact LS solution and an excellent Huber start
        slope, intercept = np.polyfit(np.log(xs), np.log(ys), 1)
        start = np.array([intercept, -slope])
    fit = fit_lse(model, xm, ys, delta=delta, start=start, weights=weights)
    coef_names = ["A", "E"] if offset else ["A"]
    diag = lse_diagnostics(fit, xm, coef_names, ["alpha"])
    theta = fit.theta
    if offset:
        params = {"E": float(np.exp(theta[1])), "A": float(np.exp(theta[0])),
                  "alpha": float(theta[2])}
    else:
        alpha = float(theta[1])
        with np.errstate(over="ignore"):  # a flat law (alpha -> 0) has x_c = inf, not a warning
            x_c = float(np.exp(theta[0] / alpha)) if alpha != 0 else float("nan")
        params = {"A": float(np.exp(theta[0])), "alpha": alpha, "x_c": x_c}
    few_df = residual_df_warnings(n_distinct(xs[kept]), model.n_params, ys[kept],
                                  power_law_predict(params, xs[kept]), rows=int(kept.sum()))
    diag = replace(diag, warnings=diag.warnings + few_df)
    return FitResult(form=form, params=params, objective=diag.objective, n_points=len(ys),
                     converged=diag.converged, diagnostics=diag, theta=theta,
                     extra={"delta": delta, "x": x_name, "y": y_name})


@dataclass(frozen=True)
class PowerLawPrediction:
    """Output of :func:`fit_predict_power_law`.

    Attributes
    ----------
    fit : FitResult
        The fitted law.
    x_new : ndarray
        Where it was evaluated.
    y_pred : ndarray
        Predictions at ``x_new``.
    """

    fit: FitResult
    x_new: np.ndarray
    y_pred: np.ndarray


def fit_predict_power_law(
    x, y, x_new, *, offset: bool = True, delta: float = 1e-3, source: str | None = None
) -> PowerLawPrediction:
    """Fit a power law (with offset by default) to ``(x, y)`` and predict at ``x_new``.

    E.g. mean per-token cross-entropy against parameter count, extrapolated to larger models;
    exact match is then predicted as ``exp(-CE)^L`` (the mirage model's own fit is
    :func:`emergence.fit.fit_mirage`).

    Parameters
    ----------
    x, y : array-like
        Positive scales and positive metric values (a decreasing trend such as cross-entropy).
    x_new : array-like
        Scales to predict at (> 0).
    offset : bool
        Fit ``E + A x^-alpha`` (default) or ``A x^-alpha``.
    delta : float
        Huber threshold on log residuals (``math.inf`` for least squares).
    source : str, optional
        Label for error messages.

    Returns
    -------
    PowerLawPrediction
    """
    fit = fit_power_law(x, y, offset=offset, delta=delta, source=source)
    xn = as_positive(x_new, "x_new", source)
    return PowerLawPrediction(fit=fit, x_new=xn, y_pred=power_law_predict(fit.params, xn))


class PowerLawRefit:
    """Picklable warm-started refit of one bootstrap resample (counts as weights).

    A resample with fewer distinct scales than parameters has no unique fit: it counts as failed.
    """

    def __init__(self, x, y, theta0: np.ndarray, offset: bool, delta: float) -> None:
        self.x = np.asarray(x, float)[:, None]
        self.y = np.asarray(y, float)
        self.theta0 = np.asarray(theta0, float)
        self.offset = offset
        self.delta = delta
        self.scale_id = np.unique(self.x[:, 0], return_inverse=True)[1]

    def __call__(self, counts: np.ndarray) -> dict[str, float]:
        model = _WITH_OFFSET if self.offset else _NO_OFFSET
        names = ("E", "A", "alpha") if self.offset else ("A", "alpha")
        if np.unique(self.scale_id[counts > 0]).size < model.n_params:
            return {**dict.fromkeys(names, np.nan), "_failed": 1.0}
        fit = fit_lse(model, self.x, self.y, delta=self.delta, start=self.theta0,
                      weights=counts.astype(float), warm=True)
        t = fit.theta
        if self.offset:
            row = {"E": float(np.exp(t[1])), "A": float(np.exp(t[0])), "alpha": float(t[2])}
        else:
            row = {"A": float(np.exp(t[0])), "alpha": float(t[1])}
        row["_failed"] = 0.0 if fit.outcome.converged else 1.0
        row["_degenerate"] = float(has_dead_terms(fit, self.x))  # counted, and kept
        return row


def bootstrap_power_law(
    x, y, *, offset: bool = True, delta: float = 1e-3, n_boot: int = 1000, seed: int | None = 0,
    resampling: str = "rng", n_jobs: int | None = None, level: float = 0.95,
    source: str | None = None,
):
    """Percentile bootstrap over points of :func:`fit_power_law` (refits warm-started).

    Needs at least two more distinct scales than parameters. Resamples with fewer distinct
    scales than parameters, and refits that do not converge, count as failed (NaN draws).
    Refits with a dead term (the single fit's ``dead_terms`` rule) are counted in
    ``n_degenerate`` and kept.

    Returns
    -------
    BootstrapResult
        Draws, SEs and CIs of ``E, A, alpha`` (``A, alpha`` without offset).
    """
    from .bootstrap import run_bootstrap

    base = fit_power_law(x, y, offset=offset, delta=delta, source=source)
    n_free = (_WITH_OFFSET if offset else _NO_OFFSET).n_params
    check_bootstrap_points(n_distinct(as_positive(x, "x")), n_free, "scales",
                           f"the {base.form} form", source)
    refit = PowerLawRefit(as_positive(x, "x"), as_positive(y, "y"), base.theta, offset, delta)
    return run_bootstrap(refit, base.n_points, n_boot=n_boot, seed=seed, resampling=resampling,
                         n_jobs=n_jobs, level=level, label="bootstrap (power law)",
                         degenerate_rule=LSE_DEGENERATE_RULE)


# --- Kaplan et al. 2020 joint law ----------------------------------------------------------------


def _confounded(n: np.ndarray, d: np.ndarray) -> tuple[str, ...]:
    """The warning of a design that cannot tell the N term from the D term, or none."""
    problem = confounded_design(n, d, kaplan=True)
    return (problem,) if problem else ()


def kaplan_nd_predict(params: Mapping[str, float], n_params, n_tokens) -> np.ndarray:
    """Kaplan's ``L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D``."""
    n = np.asarray(n_params, float)
    d = np.asarray(n_tokens, float)
    an, ad = params["alpha_N"], params["alpha_D"]
    # in logs: with alpha_D near 0 the N term's power overflows though L stays finite
    t_n = (an / ad) * (np.log(params["N_c"]) - np.log(n))
    t_d = np.log(params["D_c"]) - np.log(d)
    return np.exp(ad * np.logaddexp(t_n, t_d))


def fit_kaplan_nd(
    n_params, n_tokens, loss, *, delta: float = 1e-3, source: str | None = None
) -> FitResult:
    """Fit Kaplan's joint ``L(N, D)`` by Huber loss on log residuals.

    ``log L = alpha_D * LSE(q (log N_c - log N), log D_c - log D)`` with ``q = alpha_N/alpha_D``;
    started from the single-variable no-offset fits of L on N and on D, refined with
    ``scipy.optimize.least_squares`` (``loss="huber"``, tight tolerances).

    Returns
    -------
    FitResult
        ``form="kaplan_nd"``, params ``N_c, D_c, alpha_N, alpha_D``.
    """
    n = as_positive(n_params, "params", source)
    d = as_positive(n_tokens, "tokens", source)
    y = as_positive(loss, "loss", source)
    check_lengths({"params": n, "tokens": d, "loss": y}, source)
    check_enough_points(len(y), 4, "Kaplan's L(N, D)", source)
    check_several_scales(n, "params", source)
    check_several_scales(d, "tokens", source)
    check_distinct_points(n_distinct(n, d), 4, "(params, tokens) pairs", "Kaplan's L(N, D)",
                          source)
    ln, ld, ly = np.log(n), np.log(d), np.log(y)

    def resid(p: np.ndarray) -> np.ndarray:
        ad, q, lnc, ldc = p
        t1, t2 = q * (lnc - ln), ldc - ld
        m = np.maximum(t1, t2)
        return ad * (m + np.log(np.exp(t1 - m) + np.exp(t2 - m))) - ly

    fn = fit_power_law(n, y, offset=False, delta=delta)
    fd = fit_power_law(d, y, offset=False, delta=delta)
    ad0 = max(fd.params["alpha"], 1e-3)
    # a loss that does not fall with N (or D) has exponent ~0 there and x_c = 0 or inf: start
    # that scale's critical value below the data instead, a term too small to matter
    with np.errstate(divide="ignore"):
        lnc0, ldc0 = np.log(fn.params["x_c"]), np.log(fd.params["x_c"])
    lnc0 = lnc0 if np.isfinite(lnc0) else float(ln.min()) - 5.0
    ldc0 = ldc0 if np.isfinite(ldc0) else float(ld.min()) - 5.0
    starts = [np.array([ad0, fn.params["alpha"] / ad0, lnc0, ldc0])]
    starts += [np.array([ad, q, lnc0, ldc0]) for ad in (0.05, 0.1, 0.3) for q in (0.5, 1.0, 2.0)]
    f_scale = delta if np.isfinite(delta) else 1.0
    loss_name = "huber" if np.isfinite(delta) else "linear"
    best = None
    for p0 in starts:
        if not np.all(np.isfinite(p0)):
            continue
        res = least_squares(resid, p0, loss=loss_name, f_scale=f_scale, method="trf",
                            xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=5000)
        val = float(huber(res.fun, delta).sum())
        if best is None or val < best[0]:
            best = (val, res)
    val, res = best
    ad, q, lnc, ldc = res.x
    params = {"N_c": float(np.exp(lnc)), "D_c": float(np.exp(ldc)), "alpha_N": float(q * ad),
              "alpha_D": float(ad)}
    gnorm = float(np.max(np.abs(res.grad))) if res.grad is not None else float("nan")
    diag = Diagnostics(objective=val, grad_norm=gnorm, iterations=int(res.nfev),
                       n_evaluations=int(res.nfev), converged=bool(res.status > 0),
                       message=str(res.message),
                       warnings=residual_df_warnings(n_distinct(n, d), 4, y,
                                                   kaplan_nd_predict(params, n, d), rows=len(y))
                       + _confounded(n, d))
    return FitResult(form="kaplan_nd", params=params, objective=val, n_points=len(y),
                     converged=diag.converged, diagnostics=diag, theta=res.x,
                     extra={"delta": delta})
