"""Davies test: R segmented parity (shared fixtures) and simulated size and power."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import check, expected, names_with, xy

from emergence.detect.davies import davies_grid, davies_test
from emergence.errors import InputError


@pytest.mark.parametrize("name", names_with("davies"))
def test_davies_matches_r(name):
    x, y = xy(name)
    exp = expected(name, "davies")
    res = davies_test(x, y, k=exp["k"], alternative=exp["alternative"])
    check(res.p_value, exp["p"], f"{name} p")
    if "best" in exp:
        check(res.best_psi, exp["best"], f"{name} best")
    if "n_points" in exp:
        assert res.n_points == exp["n_points"]
    assert res.df == x.size - 3


def test_davies_is_order_invariant_and_grid_is_rs():
    x, y = xy("MUGGEO_2")
    perm = np.random.default_rng(3).permutation(x.size)
    a, b = davies_test(x, y), davies_test(x[perm], y[perm])
    assert a.p_value == pytest.approx(b.p_value, rel=1e-10)
    xs = np.sort(x)
    np.testing.assert_allclose(davies_grid(x, 10), np.linspace(xs[1], xs[-2], 10))


def test_one_sided_alternatives():
    x, y = xy("B_hinge_n10")  # slope increases: "greater" has the evidence, "less" none
    two = davies_test(x, y)
    greater = davies_test(x, y, alternative="greater")
    less = davies_test(x, y, alternative="less")
    assert greater.statistic == pytest.approx(two.statistic)
    # one-sided bound drops the factor 2 of the two-sided bound
    assert greater.p_value == pytest.approx(two.p_value / 2, rel=1e-12)
    assert less.p_value > 0.5
    assert davies_test(x, -y, alternative="less").p_value == pytest.approx(greater.p_value)


def test_weights_equal_whitened_closed_form():
    x, y = xy("C_mirage_logp_n11")
    w = np.linspace(0.5, 2.0, x.size)
    res = davies_test(x, y, weights=w)
    # constant weights change nothing (t is scale-free)
    assert davies_test(x, y, weights=np.full(x.size, 7.0)).p_value == pytest.approx(
        davies_test(x, y).p_value, rel=1e-10
    )
    # t(psi) equals the OLS t on rows premultiplied by sqrt(w)
    for psi, t in zip(res.psi_values, res.t_values, strict=True):
        design = np.sqrt(w)[:, None] * np.column_stack([np.maximum(x - psi, 0), np.ones(x.size), x])
        yw = np.sqrt(w) * y
        coef, rss, *_ = np.linalg.lstsq(design, yw, rcond=None)
        cov = np.linalg.inv(design.T @ design) * rss[0] / (x.size - 3)
        assert t == pytest.approx(coef[0] / np.sqrt(cov[0, 0]), rel=1e-9)


def test_bad_input():
    with pytest.raises(InputError):
        davies_test([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])  # n < 6
    with pytest.raises(InputError):
        davies_test(np.arange(8.0), np.arange(8.0), alternative="up")
    with pytest.raises(InputError):
        davies_test(np.arange(8.0), np.r_[np.arange(7.0), np.nan])
    with pytest.raises(InputError):
        davies_test(np.arange(8.0), np.arange(8.0), weights=-np.ones(8))


def _sim_rate(n, beta, reps, seed, alternative="two-sided"):
    rng = np.random.default_rng(seed)
    x = np.linspace(7, 12, n)
    hits = 0
    for _ in range(reps):
        y = 0.1 * x + beta * np.maximum(x - 9.5, 0) + rng.normal(0, 0.05, n)
        hits += davies_test(x, y, alternative=alternative).p_value <= 0.05
    return hits / reps


@pytest.mark.parametrize("n", [6, 8, 12, 20])
def test_size_under_linear_null(n):
    # changepoint.md 5.1 measured 0.028-0.058; allow 3 MC SE above 0.05 at 800 replicates
    rate = _sim_rate(n, 0.0, 800, seed=100 + n)
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 800)


@pytest.mark.parametrize(("n", "floor"), [(8, 0.6), (12, 0.9), (20, 0.95)])
def test_power_under_hinge(n, floor):
    # measured power at beta = 0.2: 0.78 (n=8), 0.97 (12), 0.999 (20)
    assert _sim_rate(n, 0.2, 300, seed=200 + n) >= floor


@pytest.mark.parametrize("name", names_with("davies"))
def test_monte_carlo_option_keeps_the_r_bound(name):
    # the R-parity bound is unchanged and reported beside the Monte Carlo p
    x, y = xy(name)
    exp = expected(name, "davies")
    res = davies_test(x, y, k=exp["k"], alternative=exp["alternative"], n_sim=999, seed=1)
    check(res.p_bound, exp["p"], f"{name} p_bound")
    assert res.p_value == res.p_monte_carlo
    assert res.n_sim == 999 and 1 / 1000 <= res.p_monte_carlo <= 1
    plain = davies_test(x, y, k=exp["k"], alternative=exp["alternative"])
    assert plain.p_value == plain.p_bound and np.isnan(plain.p_monte_carlo) and plain.n_sim == 0


@pytest.mark.parametrize("alternative", ["greater", "two-sided", "less"])
def test_monte_carlo_p_is_exact_where_the_bound_is_conservative(alternative):
    # Gaussian linear null with unequal known weights, n = 6. The Monte Carlo p rejects at its
    # level (2000 series: binomial SE 0.0049 at 0.05, 0.0022 at 0.01; bands about 3 SEs);
    # the bound never rejects more often (by how much less depends on the design: 0.5-0.9 of
    # the level here at 0.01)
    rng = np.random.default_rng(11)
    x = np.array([7.2, 7.9, 8.7, 9.4, 10.1, 10.8])
    w = np.array([4.0, 1.0, 0.5, 0.5, 1.0, 4.0])
    mc05 = mc01 = bound01 = 0
    for r in range(2000):
        y = 1.0 + 0.3 * x + rng.standard_normal(6) / np.sqrt(w)
        res = davies_test(x, y, alternative=alternative, weights=w, n_sim=999, seed=r)
        mc05 += res.p_value <= 0.05
        mc01 += res.p_value <= 0.01
        bound01 += res.p_bound <= 0.01
    assert 0.035 <= mc05 / 2000 <= 0.065
    assert 0.004 <= mc01 / 2000 <= 0.017
    assert bound01 <= mc01


def test_monte_carlo_p_is_pivotal_and_seeded():
    # the null distribution does not depend on the line, the scale of y or of the weights
    x = np.array([7.0, 7.6, 8.1, 8.9, 9.5, 10.2, 10.6])
    y = np.array([0.0, 0.05, 0.12, 0.3, 0.55, 0.71, 0.9])
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0])
    a = davies_test(x, y, alternative="greater", weights=w, n_sim=2000, seed=5)
    b = davies_test(x, 3.0 * y - 2.0 + 0.7 * x, alternative="greater", weights=10 * w,
                    n_sim=2000, seed=5)  # fmt: skip
    assert a.p_monte_carlo == b.p_monte_carlo
    assert a.statistic == pytest.approx(b.statistic, rel=1e-9)
    c = davies_test(x, y, alternative="greater", weights=w, n_sim=2000, seed=5)
    assert c.p_monte_carlo == a.p_monte_carlo
    # against a long run of the same simulation: the exact p within 4 Monte Carlo SEs
    ref = davies_test(x, y, alternative="greater", weights=w, n_sim=200_000, seed=6)
    se = np.sqrt(ref.p_monte_carlo * (1 - ref.p_monte_carlo) / 2000)
    assert abs(a.p_monte_carlo - ref.p_monte_carlo) <= 4 * se
    with pytest.raises(InputError, match="n_sim"):
        davies_test(x, y, n_sim=-1)


def test_monte_carlo_p_of_a_perfect_hinge_is_the_smallest():
    x = np.arange(7.0, 11.01, 0.5)
    y = np.maximum(x - 9.0, 0.0) + 0.1 * x  # t = +inf
    res = davies_test(x, y, alternative="greater", n_sim=999)
    assert res.p_monte_carlo == res.p_value == pytest.approx(1 / 1000)
    assert res.p_bound < res.p_value  # below the floor the bound is not reported


def test_monte_carlo_p_reads_the_side_it_was_asked():
    """A hinge that bends up, and its mirror image: the Monte Carlo p of "less" on -y is the
    p of "greater" on y (the same draws, t -> -t), and a two-sided test sees either bend at the
    floor 1/(n_sim + 1); the other side finds nothing (a mutation audit found a two-sided
    statistic without |t| and a "less" statistic with the wrong sign passing every test)."""
    x = np.arange(7.0, 11.01, 0.5)
    y = 0.1 * x + np.maximum(x - 9.0, 0.0) + 0.02 * np.sin(5 * x)
    up = davies_test(x, y, alternative="greater", n_sim=999, seed=3)
    down = davies_test(x, -y, alternative="less", n_sim=999, seed=3)
    assert down.p_monte_carlo == up.p_monte_carlo == pytest.approx(1 / 1000)
    assert down.statistic == pytest.approx(-up.statistic, rel=1e-12)
    for series in (y, -y):
        both = davies_test(x, series, alternative="two-sided", n_sim=999, seed=3)
        assert both.p_monte_carlo == pytest.approx(1 / 1000)
    assert davies_test(x, -y, alternative="greater", n_sim=999, seed=3).p_monte_carlo > 0.5
    assert davies_test(x, y, alternative="less", n_sim=999, seed=3).p_monte_carlo > 0.5
