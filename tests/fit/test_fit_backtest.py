"""Fit small, predict large: Gadre et al.'s rpj backtest and a power-law backtest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from emergence.errors import InputError
from emergence.fit import backtest_chinchilla, backtest_power_law, power_law_predict


def test_gadre_rpj_backtest_within_one_percent() -> None:
    ref = json.loads(shared_path("fits", "expected.json").read_text())["gadre2024_rpj_backtest"]
    frame = pd.read_csv(shared_path("fits", "gadre2024_rpj_losses.csv"))
    res = backtest_chinchilla(frame["N"], frame["D"], frame["loss_c4_val"], cut=1e9, tied=True)
    assert list(frame["role"].iloc[res.held_out]) == ["predict", "predict"]
    assert res.fit.n_points == 5 and res.fit.converged
    bound = ref["own_fitter_max_relerr_pct"]["tol"]
    assert 100 * res.max_abs_rel_error <= bound
    # Same targets as the published backtest (true losses 2.5021 and 2.4250).
    np.testing.assert_allclose(res.y_true, [ref["relerr_1.4B_M640_pct"]["true"],
                                            ref["relerr_6.9B_M20_pct"]["true"]], atol=1e-4)
    # Gadre's eta is the shared exponent with a minus sign.
    assert -res.fit.params["alpha"] == pytest.approx(ref["params"]["value"]["eta"], abs=0.02)


def test_power_law_backtest_on_known_law() -> None:
    x = np.geomspace(1e7, 1e11, 12)
    truth = {"E": 1.8, "A": 300.0, "alpha": 0.3}
    res = backtest_power_law(x, power_law_predict(truth, x), cut=1e10)
    assert res.max_abs_rel_error < 1e-6 and len(res.held_out) == 3


def test_backtest_cut_must_split() -> None:
    with pytest.raises(InputError, match="no points on one side"):
        backtest_power_law([1e7, 1e8, 1e9, 1e10], [3, 2.8, 2.6, 2.5], cut=1e6)
