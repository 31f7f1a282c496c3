"""Single-variable power laws, the metrics-stage helper and Kaplan's joint L(N, D)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from emergence.errors import InputError
from emergence.fit import (
    fit_kaplan_nd,
    fit_power_law,
    fit_predict_power_law,
    kaplan_nd_predict,
    power_law_predict,
)

KAPLAN_N = {"alpha": 0.076, "N_c": 8.8e13}  # Kaplan et al. 2020, L(N) = (N_c/N)^alpha_N


def test_offset_law_recovered_exactly() -> None:
    x = np.geomspace(1e7, 1e11, 15)
    truth = {"E": 1.69, "A": 406.4, "alpha": 0.34}
    fit = fit_power_law(x, power_law_predict(truth, x))
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=1e-7), key
    assert fit.converged and fit.form == "power_law" and fit.diagnostics.dead_terms == ()


def test_kaplan_no_offset_is_ols_in_log_space() -> None:
    """With delta = inf and no offset the fit is OLS of log y on log x (closed form)."""
    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e10, 12)
    y = (KAPLAN_N["N_c"] / x) ** KAPLAN_N["alpha"] * np.exp(0.01 * rng.standard_normal(12))
    fit = fit_power_law(x, y, offset=False, delta=math.inf)
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    assert fit.params["alpha"] == pytest.approx(-slope, rel=1e-10)
    assert fit.params["A"] == pytest.approx(np.exp(intercept), rel=1e-9)
    assert fit.params["x_c"] == pytest.approx(np.exp(intercept / -slope), rel=1e-8)
    noiseless = fit_power_law(x, (KAPLAN_N["N_c"] / x) ** KAPLAN_N["alpha"], offset=False)
    assert noiseless.params["x_c"] == pytest.approx(KAPLAN_N["N_c"], rel=1e-6)
    assert noiseless.params["alpha"] == pytest.approx(KAPLAN_N["alpha"], rel=1e-8)


def test_noisy_offset_law_and_prediction() -> None:
    rng = np.random.default_rng(5)
    x = np.geomspace(1e7, 1e10, 40)
    truth = {"E": 2.0, "A": 50.0, "alpha": 0.25}
    y = power_law_predict(truth, x) * np.exp(0.002 * rng.standard_normal(x.size))
    out = fit_predict_power_law(x, y, [1e11, 1e12])
    expected = power_law_predict(truth, [1e11, 1e12])
    np.testing.assert_allclose(out.y_pred, expected, rtol=0.01)
    assert out.fit.params["alpha"] == pytest.approx(0.25, abs=0.05)


def test_mirage_use_case_cross_entropy_to_exact_match() -> None:
    """Per-token CE falls as a power law; exact match of L tokens is exp(-CE)^L (metrics stage)."""
    n = np.geomspace(1e8, 1e10, 8)
    ce = 0.1 + 30.0 * n**-0.2
    out = fit_predict_power_law(n, ce, [1e11])
    em = np.exp(-out.y_pred) ** 5
    assert em[0] == pytest.approx(np.exp(-(0.1 + 30.0 * 1e11**-0.2)) ** 5, rel=1e-6)


def test_flat_data_flags_dead_term() -> None:
    x = np.geomspace(1e7, 1e10, 10)
    fit = fit_power_law(x, np.full(10, 2.5))
    assert "A" in fit.diagnostics.dead_terms or fit.params["A"] < 1e-6 * 2.5
    assert fit.params["E"] == pytest.approx(2.5, rel=1e-6)


def test_a_nearly_flat_kaplan_law_has_x_c_inf_without_a_warning() -> None:
    # alpha ~ 1e-4: x_c = A^(1/alpha) is far beyond any float; inf, not an overflow warning
    x = np.geomspace(1e7, 1e10, 6)
    y = 2.0 * x**-1e-4 * np.exp(np.random.default_rng(0).normal(0, 1e-3, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_power_law(x, y, offset=False)
    assert fit.params["x_c"] == math.inf and 0 < fit.params["alpha"] < 1e-3


def test_power_law_input_errors() -> None:
    x = np.array([1e7, 1e8, 1e9])
    with pytest.raises(InputError, match="only 2 points"):
        fit_power_law(x[:2], [3.0, 2.5])
    with pytest.raises(InputError, match="not positive"):
        fit_power_law(x, [3.0, -2.5, 2.0])
    with pytest.raises(InputError, match="single scale"):
        fit_power_law([1e8, 1e8, 1e8], [3.0, 2.9, 2.8])
    with pytest.raises(InputError, match="x_new"):
        fit_predict_power_law(x, [3.0, 2.5, 2.2], [0.0])


def test_kaplan_joint_law_recovered() -> None:
    """Kaplan et al. Table 2 constants (recalled; used here only as simulation truth)."""
    truth = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}
    rng = np.random.default_rng(2)
    n = 10 ** rng.uniform(6, 9.5, 80)
    d = 10 ** rng.uniform(7, 10.5, 80)
    fit = fit_kaplan_nd(n, d, kaplan_nd_predict(truth, n, d))
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=1e-4), key


def test_power_law_bootstrap_covers_truth() -> None:
    """Simulation with known truth: the percentile CI of alpha covers it, SE is plausible."""
    from emergence.fit import bootstrap_power_law

    rng = np.random.default_rng(11)
    x = np.geomspace(1e7, 1e10, 30)
    truth = {"E": 2.0, "A": 50.0, "alpha": 0.25}
    y = power_law_predict(truth, x) * np.exp(0.003 * rng.standard_normal(x.size))
    boot = bootstrap_power_law(x, y, n_boot=300, seed=4, n_jobs=1, delta=math.inf)
    assert boot.ci["alpha"][0] < 0.25 < boot.ci["alpha"][1]
    assert 0 < boot.se["alpha"] < 0.1 and boot.n_failed <= 3


def test_offset_power_law_needs_three_distinct_scales() -> None:
    # review: 4 rows at 2 sizes returned the start values as "converged"
    x = np.array([1e8, 1e8, 1e9, 1e9])
    with pytest.raises(InputError, match="'x': 2 distinct values.*at least 3 distinct"):
        fit_power_law(x, [3.1, 3.0, 2.5, 2.4])
    fit = fit_power_law(x, [3.1, 3.0, 2.5, 2.4], offset=False)  # 2 parameters: a fit...
    assert fit.converged  # ...through the two means, which is said (the replicates measure
    # the noise, from 4 rows - 2 parameters, but nothing checks the form)
    (warning,) = [w for w in fit.diagnostics.warnings if "degrees of freedom" in w]
    assert "no degrees of freedom to check the law's form" in warning
    assert "measured from 2 numbers (4 rows, replicates included)" in warning
    with pytest.raises(InputError, match=r"3 distinct \(params, tokens\) pairs"):
        fit_kaplan_nd([1e7, 1e8, 1e9, 1e9], [1e9, 1e10, 1e11, 1e11], [3.0, 2.6, 2.3, 2.3])


def test_exact_power_law_fit_is_flagged() -> None:
    x = np.array([1e7, 1e8, 1e9])
    fit = fit_power_law(x, [3.0, 2.6, 2.45])
    assert any("no residual degrees of freedom" in w for w in fit.diagnostics.warnings)


def test_power_law_bootstrap_refuses_too_few_points_and_drops_degenerate_draws() -> None:
    from emergence.fit import bootstrap_power_law
    from emergence.fit.power_law import PowerLawRefit

    x = np.geomspace(1e7, 1e10, 5)
    y = power_law_predict({"E": 2.0, "A": 50.0, "alpha": 0.25}, x) * (1 + 0.01 * np.sin(x))
    with pytest.raises(InputError, match="bootstrap needs at least 5 distinct scales"):
        bootstrap_power_law(x[:4], y[:4], n_boot=10, n_jobs=1)
    # a resample of 2 distinct scales cannot identify 3 parameters: a failed draw, not a value
    refit = PowerLawRefit(x, y, fit_power_law(x, y).theta, offset=True, delta=1e-3)
    row = refit(np.array([3, 2, 0, 0, 0]))
    assert row["_failed"] == 1.0 and np.isnan(row["alpha"])
    boot = bootstrap_power_law(x, y, n_boot=60, seed=1, n_jobs=1)
    nan = np.isnan(boot.draws["alpha"])
    assert boot.n_failed == nan.sum() > 0  # about 10 % of 5-of-5 resamples have <= 2 scales
    assert boot.se["alpha"] == pytest.approx(np.std(boot.draws["alpha"][~nan], ddof=1))


def test_an_exact_fit_of_as_many_points_as_parameters_is_converged():
    # review: three exact points of E + A x^-alpha gave "not converged" with a relative
    # gradient of 5e16 (the start was already near the exact fit, so the objective's scale
    # was ~0); the loss at its floor is the optimum
    x = np.array([1e7, 1e8, 1e9])
    res = fit_power_law(x, 2.0 + 300.0 / x**0.3)
    assert res.converged and not any("converged" in w for w in res.diagnostics.warnings)
    assert res.params["alpha"] == pytest.approx(0.3, rel=1e-6)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e-100, 1e100, 1e250])
def test_fit_does_not_depend_on_the_units_of_y(scale: float) -> None:
    """review: y ~ 1e-160 gave a wrong fit with overflow warnings, and a correct fit of
    y ~ 1e-100 was flagged degenerate (|log A| > 200). The engine now works on y over its
    geometric mean: E and A scale with y, alpha and the diagnostics do not move."""
    import warnings

    x = np.geomspace(1e7, 1e10, 8)
    y = 1.0 + 5.0 * (x / 1e7) ** -0.3
    ref = fit_power_law(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow warning on the way
        fit = fit_power_law(x, scale * y)
    assert fit.converged and fit.diagnostics.dead_terms == () == ref.diagnostics.dead_terms
    assert fit.params["alpha"] == pytest.approx(ref.params["alpha"], rel=1e-9)
    for key in ("E", "A"):
        assert fit.params[key] / scale == pytest.approx(ref.params[key], rel=1e-9), key
    assert fit.params["alpha"] == pytest.approx(0.3, rel=1e-9)
    # a power of two divides exactly: the same fit to the last bit
    exact = fit_power_law(x, np.ldexp(y, -60))
    assert exact.params["alpha"] == ref.params["alpha"]
    assert exact.params["A"] == pytest.approx(np.ldexp(ref.params["A"], -60), rel=1e-14)


def test_a_coefficient_that_runs_off_is_still_flagged() -> None:
    """The dead-term rule is relative to the data's scale, not gone: a fit whose log A ends
    more than 200 from log geomean(y) is degenerate whatever the units."""
    from emergence.fit.lse_fit import LSE_DEGENERATE_RULE, fit_lse, lse_diagnostics
    from emergence.fit.lse_model import LSEModel

    x = np.geomspace(1e7, 1e10, 8)[:, None]
    y = 2.0 + 0.0 * x[:, 0]
    model = LSEModel(n_terms=1, offset=True)
    for scale in (1.0, 1e-150):
        start = np.array([np.log(scale) - 250.0, np.log(2.0 * scale), 0.3])  # log A far off
        fit = fit_lse(model, x, scale * y, start=start)
        diag = lse_diagnostics(fit, x, ["A", "E"], ["alpha"])
        assert "A" in diag.dead_terms, scale
    assert "log geomean(y)" in LSE_DEGENERATE_RULE


@pytest.mark.parametrize("flat", ["params", "tokens"])
def test_kaplan_joint_law_of_a_loss_flat_in_one_scale(flat: str) -> None:
    """A loss that depends on D only (or N only): the single-variable start of the flat scale
    has exponent ~0 and x_c = 0 or inf, which left no finite start (a TypeError), and with
    alpha_D near 0 the prediction overflowed. Now the law is fitted exactly (simulation truth:
    (1.8e13 / S)^0.103 of the other scale S, to 1e-9)."""
    import warnings

    from emergence.fit import kaplan_nd_predict

    n = np.repeat(np.geomspace(1e7, 1e9, 4), 4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    live = d if flat == "params" else n
    loss = (1.8e13 / live) ** 0.103
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        fit = fit_kaplan_nd(n, d, loss)
        np.testing.assert_allclose(kaplan_nd_predict(fit.params, n, d), loss, rtol=1e-9)
    live_exponent = "alpha_D" if flat == "params" else "alpha_N"
    assert fit.params[live_exponent] == pytest.approx(0.103, rel=1e-6)
