"""Verdict logic: labels on hand-made cases (calibration on the project simulator lives in
test_calibration.py)."""

from __future__ import annotations

import numpy as np
import pytest

from emergence.detect.verdict import (
    assess_task,
    classify_tasks,
    emergence_screen,
    item_split_replication,
    sharp_break_test,
    sharp_split_replication,
)
from emergence.errors import InputError


def test_underpowered_reasons():
    x = np.linspace(7, 9, 5)
    ev = assess_task(x, np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    assert ev.underpowered_reason == "5 scales < 6"
    x = np.linspace(7, 11, 8)
    em = np.array([0, 0, 0, 0.1, 0.4, 0.8, 0.9, 1.0])
    assert "no continuous" in assess_task(x, em).underpowered_reason
    assert "items" in assess_task(x, em, np.arange(8.0), n_items=20).underpowered_reason
    z = np.r_[np.full(4, np.nan), np.arange(4.0)]
    assert "censored" in assess_task(x, em, z).underpowered_reason
    (v,) = classify_tasks([assess_task(x, em, z)])
    assert v.label == "underpowered" and np.isnan(v.q_value)


def test_hand_cases():
    x = np.linspace(7, 11.5, 10)
    flat = np.full(10, 0.3) + 0.001 * np.arange(10)
    line = -0.3 * x
    (v,) = classify_tasks([assess_task(x, flat, line, n_items=200)])
    assert v.label == "smooth"
    # a kinked companion whose break sits at the jump of exact match
    em = np.array([0, 0, 0, 0.01, 0.02, 0.3, 0.9, 1, 1, 1])
    kink = -0.3 * x + 0.8 * np.maximum(x - 9.2, 0) + 0.01 * np.sin(7 * x)
    (v,) = classify_tasks([assess_task(x, em, kink, n_items=200)])
    assert v.label == "threshold" and v.evidence.psi_in_jump
    # no break and no mirage prediction: cannot tell
    (v,) = classify_tasks([assess_task(x, em, line + 0.01 * np.sin(7 * x), n_items=200)])
    assert v.label == "ambiguous" and "no mirage prediction" in v.reason
    with pytest.raises(InputError):
        assess_task(x, em, line[:5])


def test_item_split_replication():
    rng = np.random.default_rng(3)
    x = np.linspace(7, 12, 10)
    truth = 0.2 * x + 0.6 * np.maximum(x - 9.5, 0)
    res = item_split_replication(
        x, truth + rng.normal(0, 0.02, 10), truth + rng.normal(0, 0.02, 10)
    )
    assert res.p_value < 1e-4 and abs(res.psi - 9.5) < 0.3 and res.df == 7
    # under a line the fixed-psi t-test is exact: p roughly uniform
    ps = [
        item_split_replication(
            x, 0.2 * x + rng.normal(0, 0.02, 10), 0.2 * x + rng.normal(0, 0.02, 10)
        ).p_value
        for _ in range(250)
    ]
    assert np.mean(np.array(ps) <= 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 250)


def test_sharp_break_test_size_and_power():
    rng = np.random.default_rng(5)
    x = np.sort(7 + 4 * rng.random(10))
    trend = 0.3 * x - 0.05 * (x - 9) ** 2 + 0.02 * (x - 9) ** 3
    # exact Monte Carlo p under Gaussian errors: about alpha under a polynomial null
    ps = np.array([
        sharp_break_test(x, trend + rng.normal(0, 0.1, 10), n_sim=200, seed=i).p_value
        for i in range(300)
    ])  # fmt: skip
    assert np.mean(ps <= 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
    assert np.mean(ps <= 0.05) >= 0.01  # not degenerate
    step = trend + 2.0 * (x > (x[5] + x[6]) / 2) + rng.normal(0, 0.1, 10)
    res = sharp_break_test(x, step, n_sim=1000)
    assert res.p_value < 0.01 and res.kind in ("step", "ramp")
    assert x[4] <= res.psi <= x[7]
    with pytest.raises(InputError):
        sharp_break_test(x[:4], step[:4])


def test_sharp_split_replication():
    rng = np.random.default_rng(8)
    x = np.linspace(7, 11, 11)
    flat_jump = 1.5 * (x > 9.1)
    rep = sharp_split_replication(
        x, flat_jump + rng.normal(0, 0.05, 11), flat_jump + rng.normal(0, 0.05, 11)
    )
    assert rep.p_value < 1e-4 and 8.9 <= rep.psi <= 9.5 and rep.alternative == "greater"
    ps = [
        sharp_split_replication(x, 0.2 * x + rng.normal(0, 0.05, 11),
                                0.2 * x + rng.normal(0, 0.05, 11)).p_value
        for _ in range(200)
    ]  # fmt: skip
    assert np.mean(np.array(ps) <= 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 200)


def _floor_mirage(length: int):
    """A mirage with an irreducible loss: -log CE flattens (concave), EM = exp(-L CE)."""
    rng = np.random.default_rng(2)
    x = np.linspace(7, 11, 12)
    ce = 0.03 + 0.4 * (10 ** (x - 9)) ** -0.5
    em = np.exp(-length * ce)
    se = np.sqrt((em * (1 - em) + 1 / 300) / 300)
    return x, em + rng.normal(0, 0.3, 12) * se, -np.log(ce) + rng.normal(0, 0.003, 12), em, se


def test_a_flattening_companion_is_not_a_threshold():
    x, em, z, pred, se = _floor_mirage(8)
    kw = dict(mirage_prediction=pred, mirage_se=se, n_items=300, primary="sharp")
    ev = assess_task(x, em, z, **kw)
    (v,) = classify_tasks([ev])
    assert v.label == "mirage", v.reason
    # at one token p^L sharpens nothing: the same curves are smooth improvement
    (v1,) = classify_tasks([assess_task(x, em, z, answer_length=1.0, **kw)])
    assert v1.label == "smooth"
    # a line-null test calls the same companion a break (the reason for primary="sharp")
    assert assess_task(x, em, z, **{**kw, "primary": "davies"}).primary_p < 1e-3


def test_jump_screen_accounts_for_uneven_spacing():
    x = np.array([7.0, 7.2, 7.4, 7.6, 7.8, 10.0, 10.2, 10.4])
    line = 0.2 * (x - 7)  # a straight line: the wide gap carries a large step
    assert not emergence_screen(x, line, n_items=1000).sharp_jump
    jump = np.where(x > 9, 0.7, 0.0) + 0.01 * (x - 7)
    assert emergence_screen(np.linspace(7, 10.4, 8), jump, n_items=1000).sharp_jump
