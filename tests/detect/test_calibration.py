"""Calibration of the table-level verdict on the project simulator, end to end from item tables.

Issue targets: ``threshold`` on at most 5 % of mirage and smooth tasks; at least 90 % recall of
sharp thresholds (>= 8 scales, >= 100 items); at least 90 % of mirages named ``mirage``; smooth
tasks called ``threshold`` or ``mirage`` at most 5 % of the time. Measured with
``benchmarks/bench_calibration.py`` (300 tasks per class, ``benchmarks/README.md``),
after BH and per task at the unadjusted level: threshold on mirage and on smooth 0 %; recall
93.9 ± 1.7 % (>= 8 scales, >= 100 items); mirages named 94.7 ± 1.6 % there and 89.5 ± 1.9 %
over all testable (>= 6 scales) mirages (95.2 ± 1.4 % of those whose exact match looks
emergent, i.e. past step 1): with 6-7 scales a jump of MIN_JUMP where exact match rises must
be ruled out (power >= 0.5, or an upper bound below it, at the assumed noise or any noise)
before "no break" names a mirage, which leaves 6 % of them ``underpowered``, and 5-scale
families cannot be tested. Those strata are reported, not held to 90 %. The bounds below sit
at least 2 binomial SEs (at the task counts used here) beyond the measured rates, so a correct
method passes them reliably, while the linear-null Davies primary (which calls most simulated
mirages and smooth tasks thresholds) fails them by a wide margin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emergence.detect.tables import detect
from emergence.detect.verdict import classify_tasks
from emergence.simulate import STRESS_SHAPES, simulate_tasks

CLASSES = ("mirage", "threshold", "smooth")


def _run(seed: int, reps: int, scales: tuple[int, int], items: tuple[int, int]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lo_s, hi_s = scales
    lo_i, hi_i = items
    specs = [
        (cls, int(rng.integers(lo_s, hi_s + 1)), int(rng.integers(lo_i, hi_i + 1)))
        for cls in CLASSES
        for _ in range(reps)
    ]
    sim = simulate_tasks(specs, seed)
    res = detect(sim.items, bootstrap=0, seed=seed)
    raw = classify_tasks([t.verdict.evidence for t in res.tasks], fdr=res.alpha, adjust=False)
    verdicts = res.verdicts.assign(unadjusted=[v.label for v in raw])
    return verdicts.merge(sim.truth[["family", "true_class"]], on="family")


@pytest.fixture(scope="module")
def powered() -> pd.DataFrame:
    """>= 8 scales and >= 100 items: where the recall target applies."""
    return _run(11, 70, (8, 15), (100, 500))


@pytest.fixture(scope="module")
def full_range() -> pd.DataFrame:
    """The issue's whole design range: 5-15 scales, 50-500 items, lengths 1-15."""
    return _run(12, 50, (5, 15), (50, 500))


def _rate(frame: pd.DataFrame, cls: str, labels: tuple[str, ...], column: str = "verdict") -> float:
    sub = frame[frame.true_class == cls]
    return float(sub[column].isin(labels).mean())


def test_every_task_gets_a_label(full_range):
    assert full_range.verdict.isin(
        ["threshold", "mirage", "smooth", "underpowered", "ambiguous"]
    ).all()
    # 5-scale families cannot be tested (Davies / sharp-break need >= 6)
    assert (full_range.loc[full_range.n_scales < 6, "verdict"] == "underpowered").all()


def test_threshold_recall(powered):
    assert _rate(powered, "threshold", ("threshold",)) >= 0.88


def test_threshold_false_positives(powered, full_range):
    # 0/600 measured after BH and unadjusted; the per-task (unadjusted) size does not lean on
    # the pool's many true thresholds, which is what makes BH lenient
    both = pd.concat([powered, full_range])
    for cls in ("mirage", "smooth"):
        assert _rate(both, cls, ("threshold",)) <= 0.06
        assert _rate(both, cls, ("threshold",), "unadjusted") <= 0.06


def test_mirages_are_named(powered, full_range):
    assert _rate(powered, "mirage", ("mirage",)) >= 0.88
    # with 6-7 scales a missed jump is sometimes possible: those mirages are underpowered
    # (never threshold); measured 89.5 % of 266 named mirage over >= 6 scales (95.7 % of the
    # 46 here)
    testable = full_range[full_range.n_scales >= 6]
    assert _rate(testable, "mirage", ("mirage",)) >= 0.80
    assert _rate(testable, "mirage", ("mirage", "underpowered")) >= 0.85
    # step 1 is the issue's own rule: a mirage whose exact match does not look emergent is
    # smooth. Past it, testable mirages are named (95.2 ± 1.4 % of 250 in the benchmark)
    past = pd.concat([powered, testable])
    past = past[past.verdict != "smooth"]
    assert _rate(past, "mirage", ("mirage",)) >= 0.90


def test_no_break_is_not_called_mirage_without_power(powered, full_range):
    # review finding 2: a threshold the test misses must not be called a mirage; measured
    # 0/300 (the power rule makes them underpowered)
    both = pd.concat([powered, full_range])
    assert _rate(both, "threshold", ("mirage",)) <= 0.02


def test_smooth_is_not_called_threshold_or_mirage(powered, full_range):
    both = pd.concat([powered, full_range])
    assert _rate(both, "smooth", ("threshold", "mirage")) <= 0.06


def test_thresholds_replicate_on_held_out_items(powered):
    # discovery on half A, confirmation on half B (same models: item-sampling noise only)
    hits = powered[(powered.true_class == "threshold") & (powered.verdict == "threshold")]
    assert hits.replicates.notna().all()
    assert hits.replicates.astype(bool).mean() >= 0.9


@pytest.fixture(scope="module")
def stress() -> pd.DataFrame:
    """The review's smooth non-polynomial shapes (``STRESS_SHAPES``), 100-1000 items."""
    rng = np.random.default_rng(13)
    specs = [
        (cls, int(rng.integers(8, 16)), int(rng.integers(100, 1001)), length, ranges, sd)
        for cls, length, ranges, sd in STRESS_SHAPES.values()
        for _ in range(20)
    ]
    sim = simulate_tasks(specs, 13)
    res = detect(sim.items, bootstrap=0, seed=13)
    raw = classify_tasks([t.verdict.evidence for t in res.tasks], fdr=res.alpha, adjust=False)
    return res.verdicts.assign(unadjusted=[v.label for v in raw])


def test_smooth_non_polynomial_shapes_are_not_thresholds(stress):
    # review finding 1: none of these is a threshold. Measured 0/480 (80 per shape, 100-3000
    # items) after BH and unadjusted; at a true per-task rate of 2 % the bound of 5 % on 120
    # tasks is 2.3 binomial SEs away
    assert (stress.verdict == "threshold").mean() <= 0.05
    assert (stress.unadjusted == "threshold").mean() <= 0.05


def test_a_genuine_jump_in_the_last_gap_is_not_called_mirage():
    """Review: the bound at the assumed noise named jumps of 0.75 in -log CE in the last gap
    mirage (14 % at 7 scales), since the quadratic trend absorbs part of a jump there and the
    bound then excludes it; it now needs the trend to fit at the assumed noise. 60 jumps of
    0.75 on a smooth power-law trend in the last gap of 6-7 scales: 3 were mirage with the
    ungated bound, 0 now and before it."""
    rng = np.random.default_rng(41)
    specs = []
    for _ in range(60):
        high = rng.uniform(0.3, 1.2)
        ranges = {"ce_high": (high, high), "ce_low": (high * np.exp(-0.75),) * 2,
                  "center_pos": (0.9, 0.97), "alpha": (0.3, 0.6)}  # fmt: skip
        specs.append(("threshold", int(rng.integers(6, 8)), 200, (4, 8), ranges, 0.0))
    verdicts = detect(simulate_tasks(specs, 42).items, bootstrap=0, seed=42).verdicts
    assert (verdicts.verdict == "mirage").sum() <= 1


def test_a_jump_centred_on_a_scale_is_not_ruled_out_by_steps_alone():
    """Review: the power and the bounds counted steps only, but a jump centred on a model size
    is two partial steps, each below MIN_JUMP. Task 173 of the benchmark's jumps panel (a jump
    of 0.58 in -log CE at 10^8.02, 9 scales) was named ``mirage`` with a power of 0.5 against
    steps; against steps and ramps it is 0.43, so ``underpowered``. Over the panel 6 -> 4 of
    320 genuine jumps are named ``mirage``."""
    rng = np.random.default_rng(2028)  # benchmarks/bench_calibration.py jumps(), seed 2026
    specs = []
    for lo_s, hi_s in ((6, 7), (8, 15)):
        for model_sd in (0.0, 0.06):
            for _ in range(80):
                jump, high = rng.uniform(0.5, 1.0), rng.uniform(0.3, 1.2)
                ranges = {"ce_high": (high, high), "ce_low": (high * np.exp(-jump),) * 2,
                          "center_pos": (0, 1), "alpha": (0.3, 0.6)}  # fmt: skip
                n, k = int(rng.integers(lo_s, hi_s + 1)), int(rng.integers(100, 501))
                specs.append(("threshold", n, k, (4, 10), ranges, model_sd))
    sim = simulate_tasks(specs[:174], 2028)
    # with task 3 (underpowered either way) in the pool, as BH is over the tasks analysed
    pool = sim.items[sim.items.family.isin(["cal-00003", "cal-00173"])]
    row = detect(pool, bootstrap=0, seed=2028).verdicts.set_index("family").loc["cal-00173"]
    assert row.verdict == "underpowered" and "the test has power 0.4" in row.note
