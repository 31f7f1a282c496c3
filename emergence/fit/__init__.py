"""Fit stage: scaling laws that reach the optimum, with bootstrap uncertainty and diagnostics.

Forms: Chinchilla Approach 3 (:func:`fit_chinchilla`), single-variable power laws with or without
offset (:func:`fit_power_law`, :func:`fit_predict_power_law` to fit and extrapolate), Kaplan's
joint L(N, D) (:func:`fit_kaplan_nd`), Approach 2 isoFLOP minima (:func:`fit_isoflop`), broken
neural scaling laws (:func:`fit_bnsl`), the closed-form compute-optimal allocation
(:func:`compute_optimal`), the compute-efficient frontier of a set of runs
(:func:`compute_frontier`), bootstraps and extrapolation backtests. The mirage model's fitted
half: the per-token cross-entropy power law (:func:`fit_ce_power_law`) and its exact-match
predictions on the metrics stage's curves (:func:`fit_mirage`). See ``docs/fitting.md``.
"""

from __future__ import annotations

from .backtest import BacktestResult, backtest_chinchilla, backtest_power_law
from .bnsl import bnsl_predict, fit_bnsl, rmsle
from .bootstrap import MAX_BOOTSTRAP, bootstrap_counts, run_bootstrap
from .chinchilla import (
    EPOCH_HEADLINE,
    HOFFMANN_ROUNDED,
    HOFFMANN_UNROUNDED,
    bootstrap_chinchilla,
    chinchilla_objective,
    chinchilla_predict,
    fit_chinchilla,
    fit_huber_likelihood,
    huber_loglik,
)
from .compute_optimal import ComputeOptimal, compute_optimal
from .frontier import Frontier, compute_frontier
from .isoflop import AllocationLaw, IsoflopResult, fit_allocation_law, fit_isoflop
from .mirage_fit import FIT_COLUMNS, MirageFit, PowerLawFit, fit_ce_power_law, fit_mirage
from .power_law import (
    PowerLawPrediction,
    bootstrap_power_law,
    fit_kaplan_nd,
    fit_power_law,
    fit_predict_power_law,
    kaplan_nd_predict,
    power_law_predict,
)
from .results import BootstrapResult, Diagnostics, FitResult

__all__ = [
    "EPOCH_HEADLINE",
    "FIT_COLUMNS",
    "HOFFMANN_ROUNDED",
    "HOFFMANN_UNROUNDED",
    "MAX_BOOTSTRAP",
    "AllocationLaw",
    "BacktestResult",
    "BootstrapResult",
    "ComputeOptimal",
    "Diagnostics",
    "FitResult",
    "Frontier",
    "IsoflopResult",
    "MirageFit",
    "PowerLawFit",
    "PowerLawPrediction",
    "backtest_chinchilla",
    "backtest_power_law",
    "bnsl_predict",
    "bootstrap_chinchilla",
    "bootstrap_counts",
    "bootstrap_power_law",
    "chinchilla_objective",
    "chinchilla_predict",
    "compute_frontier",
    "compute_optimal",
    "fit_allocation_law",
    "fit_bnsl",
    "fit_ce_power_law",
    "fit_chinchilla",
    "fit_huber_likelihood",
    "fit_isoflop",
    "fit_kaplan_nd",
    "fit_mirage",
    "fit_power_law",
    "fit_predict_power_law",
    "huber_loglik",
    "kaplan_nd_predict",
    "power_law_predict",
    "rmsle",
    "run_bootstrap",
]
