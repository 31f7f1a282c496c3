"""The bundled trained-family tables load, validate and have the promised shape."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emergence.load import load

DATA = Path(__file__).resolve().parents[2] / "benchmarks_data" / "trained"


def test_bundled_trained_tables_load_and_span_two_decades() -> None:
    tables = load(DATA)
    items, losses = tables.items, tables.losses
    params = np.sort(items["params"].unique())
    assert len(params) >= 6 and params[-1] / params[0] >= 100
    assert {"add", "mul", "rev"} <= set(items["task"])
    # the same held-out items at every size
    per_model = items.groupby(["model", "task"])["item"].apply(frozenset)
    for task in items["task"].unique():
        assert per_model.xs(task, level="task").nunique() == 1
    assert all(np.all(np.asarray(lp) <= 0) for lp in items["target_logprobs"])
    # several token budgets for a subset of sizes: an isoFLOP-style grid
    budgets = losses.groupby("params")["tokens"].nunique()
    assert (budgets >= 3).sum() >= 3
    assert (losses["loss"] > 0).all()


def test_bundled_data_is_small() -> None:
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 4_000_000
