"""Broken neural scaling law: Caballero et al.'s 4-digit addition and their noiseless simulation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from emergence.errors import InputError
from emergence.fit import bnsl_predict, fit_bnsl, fit_power_law, power_law_predict, rmsle


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(shared_path("fits", "expected.json").read_text())["bnsl_4digit_addition"]


@pytest.fixture(scope="module")
def addition():
    frame = pd.read_csv(shared_path("fits", "bnsl_4digit_addition.csv"))
    return frame["x"].to_numpy(float), frame["y"].to_numpy(float)


@pytest.mark.parametrize("x_scale", [1.0, None])
def test_four_digit_addition_extrapolation(addition, expected, x_scale) -> None:
    x, y = addition
    fit = fit_bnsl(x[:14], y[:14], x_scale=x_scale)
    score = rmsle(bnsl_predict(fit.params, x[14:]), y[14:])
    assert score <= expected["rmsle_extrapolate"]["tol"]
    assert fit.extra["rmsle_train"] == pytest.approx(expected["rmsle_train"]["value"], rel=0.01)
    for key, value in expected["params"]["value"].items():
        assert fit.params[key] == pytest.approx(value, rel=1e-4), key


def test_power_law_baseline_fails_to_extrapolate(addition, expected) -> None:
    x, y = addition
    fit = fit_power_law(x[:14], y[:14], delta=math.inf)
    score = rmsle(power_law_predict(fit.params, x[14:]), y[14:])
    assert score == pytest.approx(expected["baseline_powerlaw_rmsle_extrapolate"]["value"],
                                  abs=5e-3)


def test_noiseless_simulation_recovers_ground_truth(expected) -> None:
    sim = expected["noiseless_simulation"]
    truth = sim["value"]["ground_truth"]
    x = np.arange(1, 4096, dtype=float)
    y = bnsl_predict(truth, x)
    fit = fit_bnsl(x[:405], y[:405])
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=sim["tol"]), key
    assert rmsle(bnsl_predict(fit.params, x[405:]), y[405:]) < 1e-3


def test_two_breaks_never_worse_in_sample(addition) -> None:
    x, y = addition
    one = fit_bnsl(x[:14], y[:14])
    two = fit_bnsl(x[:14], y[:14], n_breaks=2)
    assert set(two.params) == {"a", "b", "c0", "c1", "d1", "f1", "c2", "d2", "f2"}
    assert two.objective <= one.objective * (1 + 1e-9)


def test_bnsl_needs_enough_points() -> None:
    with pytest.raises(InputError, match="6 parameters"):
        fit_bnsl([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])


def test_sharp_break_does_not_overflow_to_a_cliff() -> None:
    # review: (x/d)^(1/f) overflowed to inf for small f, dropping the break factor to 0 (a
    # cliff in the objective); in log space it stays (x/d)^(-c) far beyond the break
    params = {"a": 0.1, "b": 2.0, "c0": 0.2, "c1": 0.5, "d1": 10.0, "f1": 0.01}
    x = np.array([1e5, 1e8])  # (x/d)^(1/f) = 1e400 and 1e700
    limit = 0.1 + 2.0 * x**-0.2 * (x / 10.0) ** -0.5
    np.testing.assert_allclose(bnsl_predict(params, x), limit, rtol=1e-12)
    # f = 0 is a step whose factor is 1 above and below, as the power form gives
    assert np.isfinite(bnsl_predict(params | {"f1": 0.0}, x)).all()
