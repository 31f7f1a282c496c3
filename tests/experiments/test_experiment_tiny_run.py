"""A tiny configuration of the training experiment runs end to end (skipped without torch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from emergence.experiments.run import CONFIGS, run_experiment  # noqa: E402
from emergence.experiments.tasks import TASKS  # noqa: E402
from emergence.load import load  # noqa: E402


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    a, b = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    run_experiment(a, "tiny", seed=3, workers=1, threads=1, command="test")
    run_experiment(b, "tiny", seed=3, workers=1, threads=1, command="test")
    return a, b


def test_tiny_run_writes_valid_tables(tiny_runs: tuple[Path, Path]) -> None:
    out, _ = tiny_runs
    tables = load(out)
    config = CONFIGS["tiny"]
    items = tables.items
    assert len(items) == len(TASKS) * config.n_items
    assert set(items["task"]) == set(TASKS)
    assert (items["params_kind"] == "total").all()
    for row in items.itertuples():
        length = TASKS[row.task].answer_len
        assert len(row.target_tokens) == len(row.output_tokens) == len(row.target_logprobs)
        assert len(row.target) == len(row.output) == length
        assert np.all(np.asarray(row.target_logprobs) <= 0)
    losses = tables.losses
    assert losses["tokens"].min() < config.main_tokens <= losses["tokens"].max()
    assert (losses["loss"] > 0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["versions"]["torch"]


def test_same_seed_gives_identical_tables(tiny_runs: tuple[Path, Path]) -> None:
    a, b = tiny_runs
    for name in ("items.parquet", "losses.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
