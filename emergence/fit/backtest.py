"""Extrapolation backtests: fit on the scales below a cut, predict those at or above it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .bnsl import bnsl_predict, fit_bnsl
from .chinchilla import chinchilla_predict, fit_chinchilla
from .power_law import fit_power_law, power_law_predict
from .results import FitResult
from .validate import as_positive


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of a backtest.

    Attributes
    ----------
    cut : float
        Points with scale < cut were fitted; the others predicted.
    fit : FitResult
        Fit on the small scales.
    held_out : ndarray of int
        Row indices of the predicted points.
    y_true, y_pred : ndarray
        Observed and predicted values at the held-out points.
    rel_error : ndarray
        Signed relative error ``(pred - true) / true``.
    max_abs_rel_error : float
        Largest ``|rel_error|``.
    """

    cut: float
    fit: FitResult
    held_out: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    rel_error: np.ndarray
    max_abs_rel_error: float


def _split(scale: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
    train = scale < cut
    if not train.any() or train.all():
        raise InputError(
            f"backtest cut {cut:g} leaves no points on one side (scales span "
            f"{scale.min():g} to {scale.max():g})"
        )
    return train, ~train


def _result(cut, fit, test, y, pred) -> BacktestResult:
    rel = (pred - y[test]) / y[test]
    return BacktestResult(cut=float(cut), fit=fit, held_out=np.flatnonzero(test), y_true=y[test],
                          y_pred=pred, rel_error=rel, max_abs_rel_error=float(np.max(np.abs(rel))))


def backtest_power_law(x, y, cut: float, *, offset: bool = True, delta: float = 1e-3,
                       form: str = "power_law") -> BacktestResult:
    """Fit ``E + A x^-alpha`` (``form="power_law"``) or a one-break BNSL (``form="bnsl"``) on
    ``x < cut`` and predict ``x >= cut``."""
    xs, ys = as_positive(x, "x"), as_positive(y, "y")
    train, test = _split(xs, cut)
    if form == "bnsl":
        fit = fit_bnsl(xs[train], ys[train])
        pred = bnsl_predict(fit.params, xs[test])
    else:
        fit = fit_power_law(xs[train], ys[train], offset=offset, delta=delta)
        pred = power_law_predict(fit.params, xs[test])
    return _result(cut, fit, test, ys, pred)


def backtest_chinchilla(n_params, n_tokens, loss, cut: float, *, scale: str = "params",
                        tied: bool = False, delta: float = 1e-3) -> BacktestResult:
    """Fit the Chinchilla form on runs below ``cut`` and predict the rest.

    Parameters
    ----------
    n_params, n_tokens, loss : array-like
        Runs.
    cut : float
        Threshold on ``scale``.
    scale : {"params", "flops"}
        What the cut applies to (N, or C = 6 N D).
    tied : bool
        One shared exponent (Gadre et al.'s over-training form; 4 parameters).
    delta : float
        Huber threshold.
    """
    n, d, y = as_positive(n_params, "params"), as_positive(n_tokens, "tokens"), as_positive(
        loss, "loss")
    if scale == "params":
        s = n
    elif scale == "flops":
        s = 6.0 * n * d
    else:
        raise ValueError(f"scale must be 'params' or 'flops', got {scale!r}")
    train, test = _split(s, cut)
    fit = fit_chinchilla(n[train], d[train], y[train], tied=tied, delta=delta)
    pred = chinchilla_predict(fit.params, n[test], d[test])
    return _result(cut, fit, test, y, pred)
