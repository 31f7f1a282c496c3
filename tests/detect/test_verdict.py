"""Verdict logic: labels on hand-made cases and calibration by simulation with known truth."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from emergence.detect.simulate import simulate_task
from emergence.detect.verdict import (
    LABELS,
    assess_task,
    classify_tasks,
    item_split_replication,
)
from emergence.errors import InputError


def _assess(task):
    return assess_task(
        task.x,
        task.exact_match,
        task.companion,
        mirage_prediction=task.mirage_prediction,
        mirage_se=task.mirage_se,
        n_items=task.n_items,
    )


@pytest.mark.parametrize(("n_scales", "n_items", "seed"), [(8, 100, 1), (10, 200, 2)])
def test_calibration_targets(n_scales, n_items, seed):
    # Issue targets: threshold on <= 5 % of mirage and smooth tasks; >= 90 % recall of sharp
    # thresholds (>= 8 scales, >= 100 items); >= 90 % of mirages named mirage; smooth tasks
    # called threshold or mirage <= 5 %. Measured: 0-4 %, 100 %, 92-95 %, 0-2 % (300 per class).
    # Bounds below add about 2 binomial SE at 80 tasks per class.
    rng = np.random.default_rng(seed)
    reps = 80
    tasks = [
        simulate_task(kind, rng, n_scales=n_scales, n_items=n_items, x_step=4.5 / (n_scales - 1))
        for kind in ("mirage", "threshold", "smooth")
        for _ in range(reps)
    ]
    verdicts = classify_tasks([_assess(t) for t in tasks], fdr=0.05)
    counts = {k: Counter() for k in ("mirage", "threshold", "smooth")}
    for t, v in zip(tasks, verdicts, strict=True):
        assert v.label in LABELS
        counts[t.kind][v.label] += 1
    assert counts["mirage"]["threshold"] / reps <= 0.10
    assert counts["smooth"]["threshold"] / reps <= 0.10
    assert counts["threshold"]["threshold"] / reps >= 0.90
    assert counts["mirage"]["mirage"] / reps >= 0.85
    assert (counts["smooth"]["threshold"] + counts["smooth"]["mirage"]) / reps <= 0.10


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
