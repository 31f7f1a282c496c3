"""Approach 2: Porian et al.'s published exponents and a noiseless isoFLOP simulation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from emergence.errors import InputError
from emergence.fit import (
    HOFFMANN_UNROUNDED,
    chinchilla_predict,
    compute_optimal,
    fit_allocation_law,
    fit_isoflop,
)


@pytest.fixture(scope="module")
def porian():
    expected = json.loads(shared_path("fits", "expected.json").read_text())
    frame = pd.read_csv(shared_path("fits", "porian2024_isoflop_optimal_pairs.csv"))
    return frame, expected["porian2024_isoflop_exponent"]


def test_porian_basic_and_weighted_exponents(porian) -> None:
    frame, ref = porian
    assert set(ref["basic_n_exponent"]) == set(frame["config"].unique())
    for config, group in frame.groupby("config"):
        group = group.dropna(subset=["N_star"])
        basic = fit_allocation_law(group["C"], group["N_star"])
        spec = ref["basic_n_exponent"][config]
        assert abs(basic.exponent - spec["value"]) <= spec["tol"], config
        assert basic.coefficient == pytest.approx(group["published_basic_n_coef"].iloc[0],
                                                  rel=1e-8)
        weighted = fit_allocation_law(group["C"], group["N_star"],
                                      weights=1 / group["n_star_std"] ** 2)
        spec = ref["weighted_n_exponent"][config]
        assert abs(weighted.exponent - spec["value"]) <= spec["tol"], config


def test_noiseless_isoflop_recovers_allocation_exponent() -> None:
    """Symmetric isoFLOP grids around the optimum of a Chinchilla law: a ~ beta/(alpha+beta)."""
    budgets = np.geomspace(1e18, 1e22, 9)
    rows = []
    for c in budgets:
        centre = compute_optimal(HOFFMANN_UNROUNDED, c).n_opt[0]
        n = centre * np.geomspace(0.5, 2.0, 9)
        rows.append((n, np.full(n.size, c)))
    n = np.concatenate([r[0] for r in rows])
    c = np.concatenate([r[1] for r in rows])
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n))
    res = fit_isoflop(n, loss, compute=c)
    truth = compute_optimal(HOFFMANN_UNROUNDED, 1e20)
    # Parabolas in log N are biased (arXiv 2603.22339) but with symmetric narrow grids only a bit.
    assert res.n_opt.exponent == pytest.approx(truth.a, abs=0.01)
    assert res.n_opt.exponent + res.d_opt.exponent == pytest.approx(1.0, abs=1e-12)
    assert res.minima.inside.all() and res.minima.compute.size == 9
    np.testing.assert_allclose(res.minima.n_star, [compute_optimal(HOFFMANN_UNROUNDED, b)
                                                   .n_opt[0] for b in budgets], rtol=0.05)


def test_isoflop_input_errors() -> None:
    with pytest.raises(InputError, match="no isoFLOP budget"):
        fit_isoflop([1e8, 2e8], [3.0, 2.9], compute=[1e19, 1e19])
    with pytest.raises(InputError):
        fit_isoflop([1e8, 2e8, 4e8], [3.0, 2.9, 3.1])  # neither flops nor tokens


def test_vertices_outside_the_sampled_sizes_are_left_out_of_the_law():
    # review: a budget sampled entirely below its optimum has an extrapolated vertex, which
    # pulled the exponent from 0.4565 to 0.408 on noise-free data
    n, c = [], []
    for i, budget in enumerate(np.geomspace(1e18, 1e21, 5)):
        centre = compute_optimal(HOFFMANN_UNROUNDED, budget).n_opt[0]
        ks = np.linspace(-0.6, 0.6, 7) if i < 4 else np.linspace(-1.6, -0.4, 7)
        n += list(centre * 10**ks)
        c += [budget] * 7
    n, c = np.array(n), np.array(c)
    res = fit_isoflop(n, chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n)), c)
    assert res.minima.inside.tolist() == [True, True, True, True, False]
    assert res.n_opt.exponent == pytest.approx(compute_optimal(HOFFMANN_UNROUNDED, 1e20).a,
                                               rel=1e-9)  # fmt: skip
    assert any("outside the sampled sizes" in s for s in res.skipped)
    # the laws rest on the 4 vertices inside, 2 residual df, which is warned about (counting
    # the fifth would make 3 and no warning)
    (warning,) = res.warnings
    assert "(4 budgets with a minimum inside the sampled sizes for 2 parameters)" in warning
    # with fewer than two measured optima there is no law to fit
    keep = np.r_[np.arange(7), np.arange(28, 35)]  # the first budget and the extrapolated one
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n[keep], c[keep] / (6 * n[keep]))
    with pytest.raises(InputError, match="inside the sampled model sizes"):
        fit_isoflop(n[keep], loss, c[keep])


def test_budget_groups_split_at_gaps_and_chains_at_their_widest_gap() -> None:
    # review 1: split only at gaps > tolerance, jittered budgets chained into one group (on
    # Epoch's CSV one group spanned 0.97 decades); review 2: anchoring every group at its first
    # run cut single budgets at 0.002-decade gaps. A chain wider than 4 x tolerance is cut at
    # its widest gap; a budget spread a little stays whole.
    from emergence.fit.isoflop import group_budgets

    one = 19 + np.array([0.0, 0.03, 0.06, 0.09, 0.11, 0.13, 0.15])  # gaps <= 0.03, span 0.15
    assert group_budgets(10**one, 0.05).tolist() == [0] * 7
    # three budgets whose runs (0.03 apart) leave gaps of only 0.045 between budgets: one
    # chain over 0.45 decades, cut at the two widest gaps
    three = np.concatenate([b + 0.03 * np.arange(5) for b in (18.94, 19.105, 19.27)])
    labels = group_budgets(10**three, 0.05)
    assert labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    shuffled = np.random.default_rng(0).permutation(15)
    assert group_budgets(10 ** three[shuffled], 0.05).tolist() == labels[shuffled].tolist()
    assert group_budgets([1e18, 1e18, 2e18], 0.0).tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="tolerance"):
        group_budgets([1e18, 2e18], float("nan"))


def test_epoch_budgets_are_the_planned_ones() -> None:
    """On Epoch's read-off Chinchilla runs, no group spans more than 0.2 decades and the
    1e21 budget is one group (a 0.002-decade gap split it)."""
    from emergence.fit.isoflop import group_budgets

    data = pd.read_csv(shared_path("fits", "epoch_chinchilla_svg_extracted_data.csv"))
    lc = np.log10(data["Training FLOP"].to_numpy(float))
    labels = group_budgets(10**lc, 0.05)
    spans = [np.ptp(lc[labels == g]) for g in np.unique(labels)]
    assert max(spans) <= 0.2
    near = (lc > 20.9) & (lc < 21.05)
    assert np.unique(labels[near]).size == 1 and near.sum() == 18


def test_jittered_budgets_are_not_pooled_into_one_parabola() -> None:
    """Two budgets 0.1 decade apart whose jittered runs leave no gap > 0.05 between them:
    with a tolerance below the gap between them (0.03) they are two parabolas."""
    from emergence.fit.isoflop import isoflop_minima

    n, c = [], []
    for budget, jitter in ((19.0, [-0.02, -0.01, 0, 0.01, 0.025]),
                           (19.1, [-0.03, -0.01, 0, 0.01, 0.015])):
        centre = compute_optimal(HOFFMANN_UNROUNDED, 10**budget).n_opt[0]
        n += list(centre * np.geomspace(0.4, 2.5, 5))
        c += list(10 ** (budget + np.array(jitter)))
    n, c = np.array(n), np.array(c)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n))
    minima, _ = isoflop_minima(n, loss, c, budget_tolerance=0.03)
    assert minima.n_points.tolist() == [5, 5]
    assert np.log10(minima.compute) == pytest.approx([19.001, 19.097], abs=1e-3)


def test_allocation_law_skips_budgets_without_an_optimum_or_weight() -> None:
    # a NaN optimum (no minimum found at that budget) and a weight of 0 both leave the budget
    # out; the law through the other two is exact (SE undefined with no residual df)
    c, y = [1e19, 1e20, 1e21], [1e8, 3e8, 1e9]
    for law in (fit_allocation_law(c, [1e8, np.nan, 1e9]),
                fit_allocation_law(c, y, weights=[1.0, 0.0, 1.0])):
        assert law.n_points == 2 and law.exponent == pytest.approx(0.5, rel=1e-12)
        assert np.isnan(law.exponent_se)
