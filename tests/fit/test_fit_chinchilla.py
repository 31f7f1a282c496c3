"""Chinchilla Approach 3 against Epoch's replication (expected.json) and simulated truth."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from emergence.errors import InputError
from emergence.fit import (
    EPOCH_HEADLINE,
    HOFFMANN_ROUNDED,
    HOFFMANN_UNROUNDED,
    chinchilla_objective,
    chinchilla_predict,
    compute_optimal,
    fit_chinchilla,
    fit_huber_likelihood,
    huber_loglik,
)


def check(got: float, spec: dict, tol_key: str = "tol") -> None:
    """Compare ``got`` with an expected.json entry under its stated tolerance type."""
    value, tol, kind = spec["value"], spec[tol_key], spec.get("tol_type", "abs")
    if kind == "abs":
        assert abs(got - value) <= tol, (got, value, tol)
    elif kind == "rel":
        assert abs(got - value) <= tol * abs(value), (got, value, tol)
    elif kind == "upper_bound":
        assert got <= tol, (got, tol)
    elif kind == "range":
        assert tol[0] <= got <= tol[1], (got, tol)
    else:  # pragma: no cover
        raise AssertionError(kind)


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(shared_path("fits", "expected.json").read_text())


@pytest.fixture(scope="module")
def epoch():
    """(N, D, L) for all 245 rows and the mask of Epoch's 240 (5 highest losses dropped)."""
    df = pd.read_csv(shared_path("fits", "epoch_chinchilla_svg_extracted_data.csv"))
    n = df["Model Size"].to_numpy(float)
    d = df["Training FLOP"].to_numpy(float) / (6 * n)
    loss = df["loss"].to_numpy(float)
    keep = loss < np.sort(loss)[-5]
    return n, d, loss, keep


@pytest.fixture(scope="module")
def epoch_fit(epoch):
    n, d, loss, keep = epoch
    return fit_chinchilla(n[keep], d[keep], loss[keep])


def test_outlier_rule_matches_epoch(epoch, expected) -> None:
    n, d, loss, keep = epoch
    setup = expected["epoch_chinchilla"]["setup"]
    assert len(loss) == setup["n_rows_file"] and keep.sum() == setup["n_rows_used"]
    np.testing.assert_allclose(np.sort(loss[~keep]), setup["dropped_losses"], atol=1e-4)


def test_point_estimate_reaches_epoch_optimum(epoch_fit, expected) -> None:
    ref = expected["epoch_chinchilla"]["huber_optimum"]
    check(epoch_fit.objective, ref["objective"])
    for name in ("A", "B", "E", "alpha", "beta"):
        check(epoch_fit.params[name], ref[name])
    np.testing.assert_allclose(epoch_fit.theta, ref["theta_log"]["value"], atol=5e-4)
    diag = epoch_fit.diagnostics
    assert epoch_fit.converged and diag.dead_terms == () and diag.on_bound == ()
    assert diag.iterations > 0 and diag.grad_norm < 1e-8


def test_point_estimate_beats_epoch_grid_and_published_constants(epoch, epoch_fit,
                                                                 expected) -> None:
    n, d, loss, keep = epoch
    grid = expected["epoch_chinchilla"]["epoch_grid_fit_notebook"]
    assert epoch_fit.objective <= grid["objective"]["value"]
    for params in (HOFFMANN_UNROUNDED, HOFFMANN_ROUNDED, EPOCH_HEADLINE):
        assert epoch_fit.objective < chinchilla_objective(params, n[keep], d[keep], loss[keep])
    # Cross-estimator check against Epoch's headline (a different estimator).
    head = expected["epoch_chinchilla"]["epoch_published_headline"]
    for name in ("A", "B", "E", "alpha", "beta"):
        check(epoch_fit.params[name], head[name], tol_key="cross_estimator_tol")


def test_rmse_in_loss_space(epoch, epoch_fit, expected) -> None:
    n, d, loss, keep = epoch
    pred = chinchilla_predict(epoch_fit.params, n[keep], d[keep])
    rmse = float(np.sqrt(np.mean((pred - loss[keep]) ** 2)))
    assert rmse == pytest.approx(expected["epoch_chinchilla"]["huber_optimum"]["rmse_L_240"]
                                 ["value"], abs=5e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_loss_scale_trap_from_hoffmann_start(epoch, expected, reduction) -> None:
    """SciPy's L-BFGS-B stops after 2 iterations on the mean objective; we must not."""
    n, d, loss, keep = epoch
    fit = fit_chinchilla(n[keep], d[keep], loss[keep], reduction=reduction,
                         start=HOFFMANN_UNROUNDED)
    ref = expected["epoch_chinchilla"]["huber_optimum"]
    total = fit.objective * (keep.sum() if reduction == "mean" else 1)
    check(total, ref["objective"])
    for name in ("A", "B", "E", "alpha", "beta"):
        check(fit.params[name], ref[name])
    trap = expected["epoch_chinchilla"]["optimizer_traps"]["mean_objective_lbfgsb_from_hoffmann"]
    assert fit.diagnostics.iterations > trap["value"]["iterations"]


def test_all_245_points_outlier_sensitivity(epoch, expected) -> None:
    n, d, loss, _ = epoch
    fit = fit_chinchilla(n, d, loss)
    ref = expected["epoch_chinchilla"]["all_245_points"]
    # expected.json's beta_range [0.452, 0.453] spans the Huber-likelihood (0.45201) and Huber
    # (0.45305) estimates with its upper end rounded down; its own huber_optimum entry says
    # 0.45305, so the Huber fit is checked against that value and the range's lower end.
    assert ref["beta_range"]["tol"][0] <= fit.params["beta"]
    assert fit.params["beta"] == pytest.approx(ref["huber_optimum"]["value"]["beta"], abs=5e-5)
    co = compute_optimal(fit.params, 5.76e23)
    # Same rounding in D_over_N_at_5.76e23_range ([6.6, 6.8]); the Huber optimum's own row in
    # compute_optimal.all_245_points (6.8, rel 2 %) is the applicable reference.
    ratio = float(co.tokens_per_param[0])
    assert ref["D_over_N_at_5.76e23_range"]["tol"][0] <= ratio
    check(ratio, {**expected["compute_optimal"]["all_245_points"],
                  "value": expected["compute_optimal"]["all_245_points"]["value"]["D_over_N"]})
    for name, value in ref["huber_optimum"]["value"].items():
        assert fit.params[name] == pytest.approx(value, rel=2e-3)


def test_huber_likelihood_reproduces_epoch_headline(epoch, expected) -> None:
    n, d, loss, keep = epoch
    fit = fit_huber_likelihood(n[keep], d[keep], loss[keep])
    head = expected["epoch_chinchilla"]["epoch_published_headline"]
    for name in ("A", "B", "E", "alpha", "beta"):
        check(fit.params[name], head[name])
    check(fit.extra["loglik"], head["loglik_240"])
    loglik_245, _ = huber_loglik(fit.params, n, d, loss)
    check(loglik_245, head["loglik_245"])
    lr = expected["epoch_chinchilla"]["loglik_and_lr_test"]
    hoff, _ = huber_loglik(HOFFMANN_UNROUNDED, n[keep], d[keep], loss[keep])
    stat = 2 * (fit.extra["loglik"] - hoff)
    check(stat, lr["lr_stat"])
    from scipy.stats import chi2

    check(float(chi2.sf(stat, lr["lr_df"]["value"])), lr["lr_p"])


def test_loglik_of_published_constants(epoch, expected) -> None:
    n, d, loss, keep = epoch
    lr = expected["epoch_chinchilla"]["loglik_and_lr_test"]
    for params, key in ((HOFFMANN_ROUNDED, "hoffmann_rounded"),
                        (HOFFMANN_UNROUNDED, "hoffmann_unrounded")):
        check(huber_loglik(params, n[keep], d[keep], loss[keep])[0], lr[f"{key}_loglik_240"])
        check(huber_loglik(params, n, d, loss)[0], lr[f"{key}_loglik_245"])


def test_hoffmann_constants_match_expected(expected) -> None:
    ref = expected["hoffmann_constants"]
    for name, value in ref["unrounded"]["value"].items():
        if name in HOFFMANN_UNROUNDED:
            assert HOFFMANN_UNROUNDED[name] == pytest.approx(value, rel=1e-8)
    assert HOFFMANN_ROUNDED == ref["rounded"]["value"]


def _simulate(seed: int, n_runs: int = 150, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(7, 10, n_runs)
    d = 10 ** rng.uniform(9, 12, n_runs)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d) * np.exp(noise * rng.standard_normal(
        n_runs))
    return n, d, loss


def test_simulation_recovers_truth_noiseless() -> None:
    n, d, loss = _simulate(0, noise=0.0)
    fit = fit_chinchilla(n, d, loss)
    for name, value in HOFFMANN_UNROUNDED.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-5), name
    assert fit.objective < 1e-12


def test_simulation_recovers_truth_with_noise() -> None:
    n, d, loss = _simulate(1, n_runs=400, noise=0.005)
    fit = fit_chinchilla(n, d, loss)
    assert fit.params["alpha"] == pytest.approx(HOFFMANN_UNROUNDED["alpha"], abs=0.03)
    assert fit.params["beta"] == pytest.approx(HOFFMANN_UNROUNDED["beta"], abs=0.03)
    assert fit.params["E"] == pytest.approx(HOFFMANN_UNROUNDED["E"], abs=0.05)


def test_dead_term_is_flagged() -> None:
    """Data with no dependence on D: the B term must be reported as dead, not hidden."""
    rng = np.random.default_rng(3)
    n = 10 ** rng.uniform(7, 10, 60)
    d = 10 ** rng.uniform(9, 12, 60)
    loss = 1.7 + 400 * n**-0.34
    fit = fit_chinchilla(n, d, loss)
    assert "B" in fit.diagnostics.dead_terms
    assert fit.diagnostics.warnings


def test_a_law_without_a_floor_keeps_its_allocation_and_says_what_the_dead_floor_means():
    """Kaplan-like truth (E = 0): E is flagged dead, the allocation, which does not involve E,
    is recovered (a = beta / (alpha + beta) = 0.4516) and not withheld; the warning says so."""
    from emergence.fit.chinchilla import NO_FLOOR, allocation_problem

    rng = np.random.default_rng(1)
    n, d = (10.0 ** a.ravel() for a in np.meshgrid(np.linspace(7, 10, 5), np.linspace(9, 12, 5)))
    truth = {"E": 0.0, "A": 400.0, "B": 410.0, "alpha": 0.34, "beta": 0.28}
    loss = chinchilla_predict(truth, n, d) * np.exp(rng.normal(0, 0.01, n.size))
    fit = fit_chinchilla(n, d, loss)
    assert fit.diagnostics.dead_terms == ("E",)
    assert NO_FLOOR in fit.diagnostics.warnings
    assert allocation_problem(fit, n, d) is None
    assert compute_optimal(fit.params, 1e23).a == pytest.approx(0.28 / 0.62, abs=0.01)
    # a live floor: no such warning
    fit = fit_chinchilla(n, d, chinchilla_predict({**truth, "E": 1.7}, n, d))
    assert NO_FLOOR not in fit.diagnostics.warnings


def test_input_errors() -> None:
    n = np.array([1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9])
    d = np.array([1e9, 3e9, 2e9, 8e9, 5e9, 2e10])
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d)
    with pytest.raises(InputError, match="only 4 points"):
        fit_chinchilla(n[:4], d[:4], loss[:4])
    with pytest.raises(InputError, match="not positive"):
        fit_chinchilla(n, d, np.where(np.arange(6) == 2, 0.0, loss))
    with pytest.raises(InputError, match="'params'.*not positive"):
        fit_chinchilla(-n, d, loss)
    with pytest.raises(InputError, match="single scale"):
        fit_chinchilla(np.full(6, 1e8), d, loss)
    with pytest.raises(InputError, match="not finite"):
        fit_chinchilla(n, d, np.where(np.arange(6) == 1, np.nan, loss))
    with pytest.raises(InputError, match="different lengths"):
        fit_chinchilla(n, d[:5], loss)


def test_degenerate_plateaus_are_flagged(epoch, expected) -> None:
    """From corners of Epoch's start grid, every end point is f* or flagged (dead term or not
    converged); the plateaus are the degenerate objectives listed in expected.json."""
    n, d, loss, keep = epoch
    f_star = expected["epoch_chinchilla"]["huber_optimum"]["objective"]["value"]
    traps = expected["epoch_chinchilla"]["optimizer_traps"]
    plateaus = traps["degenerate_plateaus_objective"]["value"]
    seen = set()
    for al, be, e, a, b in itertools.product([0, 2], [0, 2], [-1, 1], [0, 25], [0, 25]):
        start = {"A": np.exp(a), "B": np.exp(b), "E": np.exp(e), "alpha": al, "beta": be}
        fit = fit_chinchilla(n[keep], d[keep], loss[keep], start=start)
        if fit.objective <= f_star * (1 + 1e-8):
            continue
        assert fit.diagnostics.dead_terms or not fit.converged, fit
        if fit.converged:
            seen.add(min(plateaus, key=lambda p: abs(p - fit.objective)))
            assert min(abs(p - fit.objective) / p for p in plateaus) < 2e-3, fit.objective
    assert seen  # at least one plateau was reached and recognised


def _grid(n_sizes: int, n_tokens: int, noise: float = 0.01, seed: int = 0):
    """Full factorial runs on Hoffmann's law with log-normal noise."""
    rng = np.random.default_rng(seed)
    n = np.repeat(np.geomspace(1e7, 1e9, n_sizes), n_tokens)
    d = np.tile(np.geomspace(1e9, 1e11, n_tokens), n_sizes)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d) * np.exp(rng.normal(0, noise, n.size))
    return n, d, loss


def test_too_few_distinct_sizes_or_token_counts_are_refused() -> None:
    # review: with 2 distinct N, E and the N term trade off exactly (E + c, A N^-alpha - c is
    # refitted through two levels), and the start values came back as "converged"
    n, d, loss = _grid(2, 6)
    with pytest.raises(InputError, match="field 'params': 2 distinct values.*at least 3"):
        fit_chinchilla(n, d, loss, source="runs.csv")
    n, d, loss = _grid(6, 2)
    with pytest.raises(InputError, match="field 'tokens': 2 distinct values"):
        fit_chinchilla(n, d, loss)
    # tied (one exponent): 2 x 3 identifies the 4 parameters, 2 x 2 does not
    fit_chinchilla(*_grid(2, 3), tied=True)
    with pytest.raises(InputError, match="tied Chinchilla form"):
        fit_chinchilla(*_grid(2, 2), tied=True)
    # rows repeating 4 distinct (N, D) pairs do not make 5 points
    n = np.array([1e7, 1e8, 1e9, 1e9, 1e7, 1e8])
    d = np.array([1e9, 1e10, 1e11, 1e10, 1e9, 1e10])
    with pytest.raises(InputError, match=r"4 distinct \(params, tokens\) pairs"):
        fit_chinchilla(n, d, chinchilla_predict(HOFFMANN_UNROUNDED, n, d))


def test_fit_through_as_many_points_as_parameters_is_flagged() -> None:
    n = np.array([1e7, 1e8, 1e9, 1e7, 1e9])
    d = np.array([1e9, 1e10, 1e11, 1e11, 1e9])
    fit = fit_chinchilla(n, d, chinchilla_predict(HOFFMANN_UNROUNDED, n, d))
    assert any("no residual degrees of freedom" in w for w in fit.diagnostics.warnings)
    more = _grid(3, 3)
    assert not any("degrees of freedom" in w for w in fit_chinchilla(*more).diagnostics.warnings)


@pytest.mark.parametrize("delta", [1e-3, 0.1, 1.0, np.inf])
def test_huber_scale_is_found_for_any_delta(delta) -> None:
    # review: the fixed bracket around log(mean|r|) raised "Bracketing values" for delta >~ 0.1
    n, d, loss = _grid(4, 3, noise=0.02)
    r = np.log(loss) - np.log(chinchilla_predict(HOFFMANN_UNROUNDED, n, d))
    loglik, log_sigma = huber_loglik(HOFFMANN_UNROUNDED, n, d, loss, delta=delta)
    if np.isinf(delta):  # Gaussian: sigma = rms r, loglik = -n/2 (1 + log(2 pi sigma^2))
        sigma = np.sqrt(np.mean(r**2))
        assert log_sigma == pytest.approx(np.log(sigma), abs=1e-6)
        assert loglik == pytest.approx(-r.size / 2 * (1 + np.log(2 * np.pi * sigma**2)), rel=1e-9)
    elif delta == 1e-3:  # every |r| / sigma > delta: Laplace-like, sigma = delta mean|r|
        assert log_sigma == pytest.approx(np.log(delta * np.mean(np.abs(r))), abs=1e-6)
    from emergence.fit.chinchilla import _huber_nll

    for step in (-1e-3, 1e-3):  # a maximum over the scale
        assert -_huber_nll(r, log_sigma + step, delta) <= loglik
    assert fit_huber_likelihood(n, d, loss, delta=delta).extra["loglik"] >= loglik - 1e-9


def test_huber_likelihood_of_an_exact_fit_is_refused(monkeypatch) -> None:
    """No residual: the likelihood grows without bound as sigma -> 0 (BFGS started at -inf)."""
    from emergence.fit import chinchilla as module

    assert module._max_over_scale(np.zeros(5), 1e-3) == (np.inf, -np.inf)
    # residuals that are exactly zero are rare in floating point: force the scale's answer
    monkeypatch.setattr(module, "huber_loglik", lambda *a, **k: (np.inf, -np.inf))
    n, d, loss = _grid(3, 3)
    with pytest.raises(InputError, match="fits every loss exactly"):
        fit_huber_likelihood(n, d, loss)


def test_gadre_five_points_warning_claims_no_exact_fit() -> None:
    # review: 5 points, 5 parameters warned "the law passes through each point", but the fit
    # misses the 154M point by 0.67 % (no fit of the law passes through all five)
    frame = pd.read_csv(shared_path("fits", "gadre2024_rpj_losses.csv"))
    frame = frame[frame["role"] == "fit"]
    n, d, loss = (frame[c].to_numpy(float) for c in ("N", "D", "loss_c4_val"))
    fit = fit_chinchilla(n, d, loss)
    (warning,) = [w for w in fit.diagnostics.warnings if "degrees of freedom" in w]
    miss = np.max(np.abs(chinchilla_predict(fit.params, n, d) / loss - 1))
    assert miss > 5e-3  # the fitted law does not pass through the points
    assert "passes through" not in warning
    assert "only 5 distinct points for 5 parameters" in warning
    assert "may interpolate" in warning and "cannot check" not in warning
    assert f"largest relative residual of this fit {100 * miss:.2g} %" in warning


def test_a_non_converged_fit_says_why_not_just_success() -> None:
    """Loss rising with scale: the law runs off; BFGS reports success at its own tolerance,
    and the warning used to read "not converged: Optimization terminated successfully."."""
    n = np.tile(np.geomspace(1e7, 1e10, 4), 4)
    d = np.repeat(np.geomspace(1e9, 1e12, 4), 4)
    loss = 1.87 * n**0.01 * d**0.01 / (1e7**0.01 * 1e9**0.01)  # rises with N and with D
    fit = fit_chinchilla(n, d, loss)
    assert not fit.converged
    note = next(w for w in fit.diagnostics.warnings if w.startswith("not converged"))
    assert note.startswith("not converged: the relative gradient is")
    assert "(BFGS: Optimization terminated successfully" in note and ".;" not in note


def test_a_coefficient_that_ran_off_is_inf_without_a_warning():
    import warnings

    from emergence.fit.chinchilla import theta_to_params

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the quick start printed "overflow encountered in exp"
        params = theta_to_params(np.array([800.0, 1.0, 0.5, 0.3, 0.3]))
    assert params["A"] == np.inf and params["B"] == pytest.approx(np.e)


def _weak_isoflop(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A valid isoFLOP grid whose losses hardly move (E dominates): the terms are not
    identified and the fit runs off (a review's synthetic sweep: 12 of 300 grids)."""
    truth = {"E": 0.67, "A": 157.0, "B": 350.0, "alpha": 0.73, "beta": 0.6}
    rng = np.random.default_rng(seed)
    n_budgets, n_sizes, span = rng.integers(3, 5), rng.integers(4, 7), rng.uniform(1, 4)
    budgets = np.repeat(np.logspace(18, 21, n_budgets), n_sizes)
    n = np.concatenate([np.sqrt(c / 120) * np.logspace(-span / 2, span / 2, n_sizes)
                        for c in np.logspace(18, 21, n_budgets)])  # fmt: skip
    noise = rng.choice([0.003, 0.01, 0.03])
    d = budgets / (6 * n)
    return n, d, chinchilla_predict(truth, n, d) * np.exp(rng.normal(0, noise, n.size))


def test_a_fit_whose_coefficient_overflows_is_returned_with_the_term_dead():
    # fit_chinchilla checked its own inf coefficient: "params: the Chinchilla form's A:
    # expected a finite number, got inf", which read like a fault in the input's params
    from emergence.fit.chinchilla import allocation_problem

    n, d, y = _weak_isoflop(21)
    fit = fit_chinchilla(n, d, y)
    assert fit.params["A"] == np.inf and "A" in fit.diagnostics.dead_terms
    assert "dead (dead_terms)" in allocation_problem(fit, n, d)


def test_the_bootstrap_starts_from_a_fit_whose_coefficient_underflowed():
    # the full fit's E underflowed to 0.0: the bootstrap refused its own start ("E: expected a
    # positive number, got 0")
    from emergence.fit import bootstrap_chinchilla

    n, d, y = _weak_isoflop(4)
    fit = fit_chinchilla(n, d, y)
    assert fit.params["E"] == 0.0 and np.isfinite(fit.theta).all()
    boot = bootstrap_chinchilla(n, d, y, n_boot=8, seed=0, start=fit, n_jobs=1)
    assert boot.n_boot == 8
    with pytest.raises(InputError, match="E: expected a positive number, got 0"):
        bootstrap_chinchilla(n, d, y, n_boot=8, seed=0, start=fit.params, n_jobs=1)
