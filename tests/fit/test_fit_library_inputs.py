"""The fitters called from a notebook: a bad argument is one clear InputError naming it (never
a "converged" fit of nonsense or a KeyError), and a design that cannot identify Kaplan's
exponents says so."""

from __future__ import annotations

import math

import numpy as np
import pytest

from emergence.errors import InputError
from emergence.fit import compute_optimal, fit_bnsl, fit_chinchilla, fit_power_law
from emergence.fit.bnsl import bnsl_predict, rmsle
from emergence.fit.bootstrap import bootstrap_counts
from emergence.fit.chinchilla import chinchilla_objective, chinchilla_predict
from emergence.fit.isoflop import fit_allocation_law
from emergence.fit.mirage_fit import fit_ce_power_law
from emergence.fit.power_law import bootstrap_power_law, fit_kaplan_nd

X = np.logspace(7, 10, 8)
Y = 1.7 + 400 * X**-0.34
PARAMS = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
N = np.repeat(np.logspace(7, 9, 4), 4)
D = np.tile(np.logspace(9, 11, 4), 4)


@pytest.mark.parametrize("delta", [0.0, -1.0, math.nan])
def test_a_huber_threshold_that_is_not_positive_is_refused(delta):
    message = r"delta: expected a positive Huber threshold on log residuals \(inf for least"
    with pytest.raises(InputError, match=message):
        fit_power_law(X, Y, delta=delta)
    with pytest.raises(InputError, match=message):
        fit_chinchilla(N, D, chinchilla_predict(PARAMS, N, D), delta=delta)
    with pytest.raises(InputError, match=message):
        chinchilla_objective(PARAMS, N, D, chinchilla_predict(PARAMS, N, D), delta=delta)
    # inf stays least squares
    assert fit_power_law(X, Y, delta=math.inf).params["alpha"] == pytest.approx(0.34, rel=1e-9)


def test_a_bnsl_x_scale_that_is_not_positive_is_refused():
    with pytest.raises(InputError, match="x_scale: expected a positive number, got -1"):
        fit_bnsl(X, Y, x_scale=-1)


def test_kaplan_fit_on_a_fixed_tokens_per_parameter_suite_warns_it_is_not_identified():
    n = np.logspace(6, 12, 14)
    loss = 3.0 * np.minimum(n, 1e9) ** -0.05 * np.maximum(n / 1e9, 1) ** -0.3
    warns = fit_kaplan_nd(n, 20 * n, loss).diagnostics.warnings
    assert any("tokens per parameter fixed at about 20" in w
               and "alpha_N and alpha_D are not identified" in w for w in warns)  # fmt: skip
    d = np.tile(np.logspace(9, 11, 4), 4)  # a grid varies both: no such warning
    grid = fit_kaplan_nd(N, d, 2.0 * (1e13 / N) ** 0.07 + (5e12 / d) ** 0.09)
    assert not any("not identified" in w for w in grid.diagnostics.warnings)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compute_optimal({"E": 1, "A": 1}, [1e20]),
         "params: the compute-optimal allocation needs E, A, B, alpha, beta; missing B, alpha, "
         "beta$"),
        (lambda: chinchilla_predict({"E": 1}, N, D),
         "params: the Chinchilla form needs E, A, B, alpha, beta; missing A, B, alpha, beta"),
        (lambda: chinchilla_predict(PARAMS, [1e9, 2e9], [1e10, 2e10, 3e10]),
         "n_params and n_tokens: expected the same length, got 2 and 3"),
        (lambda: fit_chinchilla(N, D, chinchilla_predict(PARAMS, N, D), start={**PARAMS, "E": -1}),
         "params: the Chinchilla form's E: expected a positive number, got -1"),
        (lambda: fit_chinchilla(N, D, chinchilla_predict(PARAMS, N, D), start={"E": 1}),
         "params: the Chinchilla form needs"),
        (lambda: bnsl_predict({"a": 1.0}, X), r"params: a BNSL with 0 break\(s\) needs a, b, c0"),
        (lambda: bnsl_predict({"a": 1.0, "b": 1.0, "c0": 0.3, "c1": 1.0}, X),
         r"params: a BNSL with 0 break\(s\) needs a, b, c0 \(as fit_bnsl returns them\), got "
         "a, b, c0, c1"),
        (lambda: chinchilla_objective(PARAMS, N, D, N, reduction="foo"),
         "reduction must be 'sum' or 'mean'"),
        (lambda: bootstrap_power_law(X, Y, n_boot=10, level=1.5, n_jobs=1),
         "level 1.5: expected a confidence level between 0 and 1"),
        (lambda: bootstrap_counts(5, -3), "n_boot -3: expected a number of resamples >= 0"),
        (lambda: fit_allocation_law([1e20, 1e21], [1e9]),
         r"compute, N\* and weights: expected one value per budget, got 2, 1 and 1"),
        # negative and NaN weights gave a NaN SE with a RuntimeWarning or were dropped, all
        # zero a ZeroDivisionError, a NaN budget was dropped without a word
        (lambda: fit_allocation_law([1e19, 1e20, 1e21], [1e8, 3e8, 1e9], weights=[1, -1, 1]),
         "fit_allocation_law: weights must be finite and >= 0"),
        (lambda: fit_allocation_law([1e19, 1e20, 1e21], [1e8, 3e8, 1e9], weights=[1, np.nan, 1]),
         "fit_allocation_law: weights must be finite and >= 0"),
        (lambda: fit_allocation_law([1e19, 1e20, 1e21], [1e8, 3e8, 1e9], weights=[0, 0, 0]),
         "fit_allocation_law: every weight is 0"),
        (lambda: fit_allocation_law([1e19, np.nan, 1e21], [1e8, 3e8, 1e9]),
         "field 'compute': value nan at row 2 is not finite"),
        (lambda: fit_ce_power_law(X, Y[:-1]), "x and y: expected the same length, got 8 and 7"),
        (lambda: rmsle(Y, Y[:-1]), "y_pred and y_true: expected the same length, got 8 and 7"),
    ],
)  # fmt: skip
def test_bad_arguments_are_one_clear_error(call, message):
    with pytest.raises((InputError, ValueError), match=message) as err:
        call()
    assert err.type is InputError or "reduction" in message


def test_bnsl_predict_takes_a_law_without_breaks():
    # a, b, c0 alone: y = a + b x^-c0
    assert bnsl_predict({"a": 1.0, "b": 0.2, "c0": 0.5}, [1.0, 100.0]) == pytest.approx([1.2, 1.02])
