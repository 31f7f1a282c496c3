"""Checks of the fitters that earlier tests left open, each against an independent reference.

Every test here kills a plausible wrong version of the fit code that the other tests in
tests/fit passed (a mutation audit): the references are closed forms (an exact parabola, the
percentile definition of an interval, the counts of a seeded resample), statsmodels' WLS, the
published Huber optimum of Epoch's replication (expected.json) and simulation truth.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from emergence.fit import (
    HOFFMANN_UNROUNDED,
    backtest_chinchilla,
    backtest_power_law,
    bootstrap_chinchilla,
    bootstrap_counts,
    bootstrap_power_law,
    chinchilla_objective,
    chinchilla_predict,
    compute_frontier,
    compute_optimal,
    fit_allocation_law,
    fit_chinchilla,
    fit_isoflop,
    fit_kaplan_nd,
    fit_power_law,
    kaplan_nd_predict,
    power_law_predict,
    run_bootstrap,
)
from emergence.fit.bnsl import degenerate_terms
from emergence.fit.bootstrap_forms import bootstrap_isoflop
from emergence.fit.chinchilla import confounded_design
from emergence.fit.isoflop import isoflop_minima

# --- Chinchilla objective and design ---------------------------------------------------------


def test_objective_at_the_published_huber_optimum_is_its_published_value() -> None:
    """The summed Huber(1e-3) loss of log residuals at expected.json's optimum (A, B, E,
    alpha, beta) is its f* = 1.0182740e-3 (240 points); the mean is f* / 240. A loss of
    linear residuals, loss - prediction, gives another number."""
    ref = json.loads(shared_path("fits", "expected.json").read_text())["epoch_chinchilla"]
    opt = ref["huber_optimum"]
    df = pd.read_csv(shared_path("fits", "epoch_chinchilla_svg_extracted_data.csv"))
    n = df["Model Size"].to_numpy(float)
    d = df["Training FLOP"].to_numpy(float) / (6 * n)
    loss = df["loss"].to_numpy(float)
    keep = loss < np.sort(loss)[-5]
    params = {k: opt[k]["value"] for k in ("A", "B", "E", "alpha", "beta")}
    f_star = opt["objective"]["value"]
    got = chinchilla_objective(params, n[keep], d[keep], loss[keep])
    # the published constants carry 7 digits: the objective there is f* to 1e-6 relative
    assert got == pytest.approx(f_star, rel=1e-6)
    mean = chinchilla_objective(params, n[keep], d[keep], loss[keep], reduction="mean")
    assert mean == pytest.approx(f_star / 240, rel=1e-6)
    # and by hand: 0.5 r^2 inside delta, delta (|r| - delta / 2) beyond, r = log L - log L_hat
    r = np.abs(np.log(loss[keep]) - np.log(chinchilla_predict(params, n[keep], d[keep])))
    assert got == pytest.approx(np.sum(np.where(r <= 1e-3, 0.5 * r**2, 1e-3 * (r - 5e-4))),
                                rel=1e-12)


def test_a_sweep_at_one_token_count_is_confounded() -> None:
    """D held fixed while N varies (the commonest size sweep): log D is flat in log N, so the
    D term is a constant that trades with E; the flat-line message applies (slope 0 <= 0.05),
    not the fixed-ratio one."""
    n = np.geomspace(1e8, 3e9, 9)
    for d in (np.full(n.size, 2e10), 2e10 * n**0.03):  # slope 0 and 0.03
        message = confounded_design(n, d)
        assert message is not None and "vary along one direction only" in message
        assert "can be swapped" not in message


# --- Kaplan's joint law --------------------------------------------------------------------


def test_kaplan_joint_law_is_robust_to_an_outlier_with_the_huber_threshold() -> None:
    """Noiseless L(N, D) (simulation truth) with one loss 30 % off: the Huber fit (delta =
    1e-3 on log residuals) passes through the other points, so it stays at the truth; least
    squares is pulled away by percents. Its objective is at most the Huber loss of the truth
    itself, delta (log 1.3 - delta / 2)."""
    truth = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}
    rng = np.random.default_rng(2)
    n = 10 ** rng.uniform(6, 9.5, 40)
    d = 10 ** rng.uniform(7, 10.5, 40)
    loss = kaplan_nd_predict(truth, n, d)
    loss[7] *= 1.3
    fit = fit_kaplan_nd(n, d, loss, delta=1e-3)
    for key in ("alpha_N", "alpha_D"):
        assert fit.params[key] == pytest.approx(truth[key], rel=2e-3), key
    for key in ("N_c", "D_c"):
        assert fit.params[key] == pytest.approx(truth[key], rel=2e-2), key
    assert fit.objective <= 1e-3 * (math.log(1.3) - 5e-4) * (1 + 1e-9)
    ls = fit_kaplan_nd(n, d, loss, delta=math.inf)  # the threshold matters on these data
    assert abs(ls.params["alpha_N"] / truth["alpha_N"] - 1) > 0.02


# --- bootstraps: seeded, paired draws -------------------------------------------------------


def test_power_law_bootstrap_draws_are_the_weighted_fits_of_the_seeded_counts() -> None:
    """Draw k of a seeded bootstrap is the fit to resample k of bootstrap_counts(seed): the
    same rows (x and y together) with their counts as weights."""
    rng = np.random.default_rng(0)
    x = np.geomspace(1e7, 1e10, 8)
    y = power_law_predict({"E": 2.0, "A": 50.0, "alpha": 0.25}, x) * np.exp(
        0.01 * rng.standard_normal(x.size))
    boot = bootstrap_power_law(x, y, n_boot=5, seed=3, n_jobs=1, delta=math.inf)
    counts = bootstrap_counts(x.size, 5, seed=3)
    for k, c in enumerate(counts):
        if np.unique(x[c > 0]).size < 3:  # cannot be refitted: a failed draw
            assert np.isnan(boot.draws["alpha"][k])
            continue
        ref = fit_power_law(x, y, weights=c, delta=math.inf).params
        for key in ("E", "A", "alpha"):
            assert boot.draws[key][k] == pytest.approx(ref[key], rel=1e-6), (k, key)


def test_chinchilla_bootstrap_reports_the_allocation_at_the_compute_asked_for() -> None:
    """N_opt and D_opt of each draw are compute_optimal of that draw's law at ``compute``,
    and the draw's law is the weighted fit of the seeded resample."""
    rng = np.random.default_rng(4)
    n = np.repeat(np.geomspace(1e7, 1e9, 4), 4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d) * np.exp(rng.normal(0, 0.005, n.size))
    budget = 1e21
    boot = bootstrap_chinchilla(n, d, loss, n_boot=3, seed=1, n_jobs=1, compute=budget)
    counts = bootstrap_counts(n.size, 3, seed=1)
    names = ("E", "A", "B", "alpha", "beta")
    for k, c in enumerate(counts):
        law = {key: boot.draws[key][k] for key in names}
        co = compute_optimal(law, budget)
        assert boot.draws["N_opt"][k] == pytest.approx(co.n_opt[0], rel=1e-12)
        assert boot.draws["D_opt"][k] == pytest.approx(co.d_opt[0], rel=1e-12)
        assert boot.draws["D_over_N"][k] == pytest.approx(co.tokens_per_param[0], rel=1e-12)
        ref = fit_chinchilla(n, d, loss, weights=c).params
        for key in ("alpha", "beta"):
            assert law[key] == pytest.approx(ref[key], rel=1e-5), (k, key)


def _mean_of_indices(counts: np.ndarray) -> dict[str, float]:
    return {"mean": float(np.dot(counts, np.arange(counts.size)) / counts.sum())}


def test_percentile_interval_follows_the_level() -> None:
    """An 80 % percentile interval is the 10th and 90th percentiles of the draws (the draws
    recomputed here from the seeded counts)."""
    res = run_bootstrap(_mean_of_indices, 20, n_boot=400, seed=2, n_jobs=1, level=0.8)
    counts = bootstrap_counts(20, 400, seed=2)
    draws = counts @ np.arange(20) / 20
    np.testing.assert_allclose(res.draws["mean"], draws, rtol=1e-14)
    assert res.level == 0.8
    assert res.ci["mean"] == pytest.approx(tuple(np.percentile(draws, [10, 90])), rel=1e-12)


class _FailingOrDegenerate:
    """Mean of the drawn indices; without row 0 a failed refit, without row 1 a degenerate
    one (a refit may say both: it failed)."""

    def __call__(self, counts: np.ndarray) -> dict[str, float]:
        row = _mean_of_indices(counts)
        row["_failed"] = float(counts[0] == 0)
        row["_degenerate"] = float(counts[1] == 0)
        return row


def test_degenerate_count_leaves_out_failed_refits() -> None:
    res = run_bootstrap(_FailingOrDegenerate(), 5, n_boot=300, seed=6, n_jobs=1,
                        degenerate_rule="row 1 not drawn")
    counts = bootstrap_counts(5, 300, seed=6)
    failed = counts[:, 0] == 0
    both = failed & (counts[:, 1] == 0)
    assert both.sum() > 0  # the case that matters occurs
    assert res.n_failed == failed.sum()
    assert res.n_degenerate == ((counts[:, 1] == 0) & ~failed).sum()


def _isoflop_grid(seed: int, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    n, c = [], []
    for budget in np.logspace(18, 21, 5):
        centre = compute_optimal(HOFFMANN_UNROUNDED, budget).n_opt[0]
        n += list(centre * 10 ** np.linspace(-0.6, 0.6, 7))
        c += [budget] * 7
    n, c = np.array(n), np.array(c)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n))
    return n, loss * np.exp(rng.normal(0, noise, n.size)), c


def test_isoflop_bootstrap_is_seeded_and_its_interval_follows_the_level() -> None:
    n, loss, c = _isoflop_grid(1)
    one = bootstrap_isoflop(n, loss, c, n_boot=40, seed=5, level=0.8)
    two = bootstrap_isoflop(n, loss, c, n_boot=40, seed=5, level=0.8)
    other = bootstrap_isoflop(n, loss, c, n_boot=40, seed=6, level=0.8)
    assert one.draws["a"].tobytes() == two.draws["a"].tobytes()
    assert not np.array_equal(one.draws["a"], other.draws["a"])
    for key in ("a", "b", "k_N", "k_D"):
        ok = one.draws[key][np.isfinite(one.draws[key])]
        assert one.ci[key] == pytest.approx(tuple(np.percentile(ok, [10, 90])), rel=1e-12), key


# --- isoFLOP parabolas and allocation laws --------------------------------------------------


def _exact_parabolas(budgets=(1e18, 1e19, 1e20, 1e21)):
    """L = 2 + 0.1 (ln N - ln N*)^2 at 5 sizes around N* = 0.1 C^0.5: vertex (N*, 2),
    curvature 0.1, D* = C / (6 N*) = C^0.5 / 0.6."""
    c = np.asarray(budgets, float)
    n_star = 0.1 * c**0.5
    n = np.concatenate([s * np.exp(np.linspace(-1.0, 1.0, 5)) for s in n_star])
    loss = 2.0 + 0.1 * (np.log(n) - np.log(np.repeat(n_star, 5))) ** 2
    return n, loss, np.repeat(c, 5), n_star


def test_isoflop_vertex_minimum_and_tokens_are_the_closed_form() -> None:
    n, loss, c, n_star = _exact_parabolas()
    res = fit_isoflop(n, loss, compute=c)
    m = res.minima
    np.testing.assert_allclose(m.n_star, n_star, rtol=1e-9)
    np.testing.assert_allclose(m.loss_star, 2.0, rtol=1e-12)
    np.testing.assert_allclose(m.curvature, 0.1, rtol=1e-9)
    np.testing.assert_allclose(m.d_star, m.compute / (6 * n_star), rtol=1e-9)
    assert res.n_opt.exponent == pytest.approx(0.5, abs=1e-9)
    assert res.n_opt.coefficient == pytest.approx(0.1, rel=1e-8)
    assert res.d_opt.exponent == pytest.approx(0.5, abs=1e-9)
    assert res.d_opt.coefficient == pytest.approx(1 / 0.6, rel=1e-8)


def test_isoflop_budget_is_the_geometric_mean_of_its_runs() -> None:
    # one budget whose runs were read off at 1e19 and 4e19 FLOP (grouped with a wide
    # tolerance): its C is sqrt(1e19 * 4e19) = 2e19, not the arithmetic 2.5e19
    n = np.array([1e8, 2e8, 4e8, 8e8])
    loss = np.array([3.0, 2.8, 2.75, 2.9])
    c = np.array([1e19, 4e19, 1e19, 4e19])
    minima, _ = isoflop_minima(n, loss, c, budget_tolerance=1.0)
    assert minima.compute.tolist() == pytest.approx([2e19], rel=1e-12)


def test_weighted_allocation_law_matches_statsmodels_wls() -> None:
    """Porian et al.'s weighted fit (weights 1 / std^2 of N*): slope, intercept and the
    slope's standard error are those of statsmodels' WLS of log N* on log C."""
    sm = pytest.importorskip("statsmodels.api")
    frame = pd.read_csv(shared_path("fits", "porian2024_isoflop_optimal_pairs.csv"))
    for config, group in list(frame.groupby("config"))[:4]:
        group = group.dropna(subset=["N_star"])
        w = 1 / group["n_star_std"].to_numpy(float) ** 2
        law = fit_allocation_law(group["C"], group["N_star"], weights=w)
        design = sm.add_constant(np.log(group["C"].to_numpy(float)))
        wls = sm.WLS(np.log(group["N_star"].to_numpy(float)), design, weights=w).fit()
        assert law.exponent == pytest.approx(wls.params[1], rel=1e-10), config
        assert law.coefficient == pytest.approx(np.exp(wls.params[0]), rel=1e-9), config
        assert law.exponent_se == pytest.approx(wls.bse[1], rel=1e-9), config


# --- frontier -------------------------------------------------------------------------------


def test_frontier_keeps_a_budget_only_if_it_is_strictly_better() -> None:
    # the 1e19 budget only ties 1e18's best loss: it reaches nothing new with more compute
    f = compute_frontier([1e18, 1e18, 1e19, 1e19, 1e20], [3.1, 3.0, 3.0, 3.2, 2.9])
    assert f.index.tolist() == [1, 4]


# --- BNSL -----------------------------------------------------------------------------------


def test_bnsl_degenerate_rule_checks_every_break_exponent() -> None:
    base = {"a": 0.1, "b": 2.0, "c0": 0.2, "c1": 0.5, "d1": 10.0, "f1": 0.3}
    assert degenerate_terms(base) == ((), ())
    names, notes = degenerate_terms(base | {"c1": 50.0})
    assert names == ("c1",) and "c1 = 50 > 10" in notes[0]
    two = base | {"c2": 2e6, "d2": 1e3, "f2": 0.5}
    assert degenerate_terms(two)[0] == ("c2",)
    assert degenerate_terms(base | {"a": -1.0, "c0": 20.0})[0] == ("a",)  # c0 is no break


# --- backtests ------------------------------------------------------------------------------


def test_power_law_backtest_predicts_the_cut_and_signs_the_error() -> None:
    """Points at or above the cut are predicted; the relative error is (pred - true) / true.
    The held-out losses are 10 % above a noiseless law, so each error is 1/1.1 - 1."""
    x = 10.0 ** np.arange(7, 12)  # 1e7 .. 1e11; the cut 1e10 is a data point
    truth = {"E": 1.8, "A": 300.0, "alpha": 0.3}
    y = power_law_predict(truth, x)
    y[3:] *= 1.1
    res = backtest_power_law(x, y, cut=1e10)
    assert res.held_out.tolist() == [3, 4]
    np.testing.assert_allclose(res.y_pred, power_law_predict(truth, x[3:]), rtol=1e-6)
    np.testing.assert_allclose(res.rel_error, 1 / 1.1 - 1, rtol=1e-5)
    assert res.max_abs_rel_error == pytest.approx(1 - 1 / 1.1, rel=1e-5)


def test_chinchilla_backtest_cuts_on_six_n_d() -> None:
    n = np.repeat(np.geomspace(1e7, 1e9, 4), 4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 4)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d)
    cut = 6 * 1e8 * 1e10 * 1.5  # between values of 6 N D; N D is 6 x smaller
    res = backtest_chinchilla(n, d, loss, cut=cut, scale="flops")
    assert res.held_out.tolist() == np.flatnonzero(6 * n * d >= cut).tolist()
    assert res.max_abs_rel_error < 1e-6  # noiseless: the law is recovered

