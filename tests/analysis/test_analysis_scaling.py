"""``emergence.analysis.scaling_fit.ScalingFit``: what the report reads off a family's
scaling-law fit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from emergence.analysis.scaling_fit import FAILED_REFIT_SHARE, ScalingFit
from emergence.fit import results
from emergence.fit.results import BootstrapResult


def _runs(flops: list[float]) -> pd.DataFrame:
    flops = np.asarray(flops, dtype=float)
    return pd.DataFrame({"params": np.sqrt(flops / 120), "tokens": np.sqrt(flops * 20 / 6),
                         "flops": flops, "loss": 3.0})  # fmt: skip


@pytest.mark.parametrize(("failed", "narrow"), [(0, False), (10, False), (11, True), (100, True)])
def test_intervals_read_as_too_narrow_past_a_tenth_of_failed_refits(failed, narrow):
    assert FAILED_REFIT_SHARE == 0.1 == results.FAILED_REFIT_SHARE
    boot = BootstrapResult(draws={}, se={}, ci={}, level=0.95, n_boot=100, n_failed=failed,
                           seed=0, resampling="rng")  # fmt: skip
    assert boot.too_many_failed is narrow
    assert ScalingFit("f", _runs([1e20]), bootstrap=boot).intervals_too_narrow is narrow
    assert not ScalingFit("f", _runs([1e20])).intervals_too_narrow  # no bootstrap


def test_parameters_on_a_bound_or_degenerate_are_flagged():
    diag = SimpleNamespace(on_bound=("E",), dead_terms=("E", "A"))
    sf = ScalingFit("f", _runs([1e20]), fit=SimpleNamespace(diagnostics=diag))
    # E is on its bound (that flag wins); A's term is dead without A on a bound
    assert sf.flagged_parameters() == {"E": "on bound", "A": "degenerate"}
    interior = SimpleNamespace(on_bound=(), dead_terms=())
    assert ScalingFit("f", _runs([1e20]), fit=SimpleNamespace(diagnostics=interior)
                      ).flagged_parameters() == {}  # fmt: skip
    assert ScalingFit("f", _runs([1e20])).flagged_parameters() == {}


def test_frontier_budgets_are_spread_over_the_grid_and_flag_extrapolation():
    compute = np.logspace(18, 22, 41)
    n_opt = np.sqrt(compute / 120)
    frontier = SimpleNamespace(compute=compute, n_opt=n_opt, d_opt=20 * n_opt,
                               tokens_per_param=np.full(41, 20.0), loss_opt=np.linspace(4, 2, 41))
    sf = ScalingFit("f", _runs([1e19, 1e20, 1e21]), frontier=frontier)  # fmt: skip
    table = sf.frontier_budgets()
    rows = table.rows
    np.testing.assert_allclose(rows["compute"], [1e18, 1e19, 1e20, 1e21, 1e22])
    np.testing.assert_allclose(rows["loss_opt"], [4.0, 3.5, 3.0, 2.5, 2.0])
    assert rows["tokens_per_param"].tolist() == [20.0] * 5
    # the ends of the runs' compute are inside (1e19 and 1e21 within rounding)
    assert rows["compute_outside"].tolist() == [True, False, False, False, True]
    assert rows["n_outside"].tolist() == [True, False, False, False, True]
    assert table.extrapolated
    assert sf.frontier_budgets(3).rows["compute"].tolist() == pytest.approx([1e18, 1e20, 1e22])
    inside = ScalingFit("f", _runs([1e18, 1e22]), frontier=frontier).frontier_budgets()
    assert not inside.extrapolated
    assert ScalingFit("f", _runs([1e20])).frontier_budgets() is None


def test_compute_span_keys_the_colours_to_positive_finite_compute():
    assert ScalingFit("f", _runs([3e21, 1e20, 2e20])).compute_span() == (1e20, 3e21)
    data = _runs([1e20, 3e21]).assign(flops=[0.0, np.nan])
    assert ScalingFit("f", data).compute_span() is None


def test_lines_count_the_budgets_or_token_counts_drawn():
    curves = pd.DataFrame({"group": [1e20, 1e20, 1e21, 1e21, 1e22], "params": 1e8,
                           "tokens": 1e9, "predicted": 3.0})  # fmt: skip
    data = _runs([1e20])
    assert ScalingFit("f", data, curves=curves, curve_kind="compute").n_lines == 3
    assert ScalingFit("f", data, curves=curves, curve_kind=None).n_lines == 0
    assert ScalingFit("f", data, curves=curves.iloc[0:0], curve_kind="tokens").n_lines == 0
    assert ScalingFit("f", data).n_lines == 0


def test_isoflop_minima_inside_and_outside_the_sizes_tried():
    minima = SimpleNamespace(inside=np.array([True, False, True, True]), compute=np.ones(4))
    sf = ScalingFit("f", _runs([1e20]), isoflop=SimpleNamespace(minima=minima))
    assert (sf.isoflop_inside, sf.isoflop_outside) == (3, 1)
    none = ScalingFit("f", _runs([1e20]))
    assert (none.isoflop_inside, none.isoflop_outside) == (0, 0)


def test_the_analysis_package_loads_without_the_fit_stage() -> None:
    # review: importing FAILED_REFIT_SHARE from emergence.fit made `emergence summary` load
    # SciPy and every fit module (0.6 s -> 1.8 s for a small table)
    import subprocess
    import sys

    code = ("import sys, emergence.analysis\n"
            "print('scipy' in sys.modules, 'emergence.fit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
