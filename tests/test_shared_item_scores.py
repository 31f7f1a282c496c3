"""Scoring the items once and sharing them gives exactly what each stage computes alone."""

from __future__ import annotations

import pandas as pd

from emergence.detect import detect
from emergence.metrics import rescore, score_items
from emergence.simulate import simulate


def test_rescore_and_detect_accept_precomputed_item_scores() -> None:
    items = simulate(seed=4, n_families=1, tasks_per_class=1, scales=(7, 7), items=(60, 80)).items
    per_item = score_items(items)
    pd.testing.assert_frame_equal(
        rescore(items, n_boot=50, seed=1), rescore(items, n_boot=50, seed=1, item_scores=per_item)
    )
    alone = detect(items, seed=2, bootstrap=20).verdicts
    shared = detect(items, seed=2, bootstrap=20, item_scores=per_item).verdicts
    pd.testing.assert_frame_equal(alone, shared)
