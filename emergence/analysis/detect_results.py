"""The detect stage's result as the report's tables: verdicts, statistics, mirage curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .task_labels import task_label, with_task_labels

#: Columns :attr:`Analysis.verdicts` always has (the detect stage's table-level contract).
VERDICT_COLUMNS = (
    "family", "task", "verdict", "n_scales", "n_items", "discontinuous_metric",
    "discontinuous_pvalue", "continuous_metric", "continuous_pvalue", "q_value",
    "breakpoint_params", "breakpoint_ci_low", "breakpoint_ci_high", "note",
)  # fmt: skip
#: Extra per-task statistics shown in the task sections (:attr:`Analysis.statistics`).
STATISTIC_COLUMNS = (
    "family", "task", "breakthroughness", "looks_emergent", "jump_low_params",
    "jump_high_params", "psi_in_jump", "mirage_max_z", "mirage_consistent",
    "em_width_is_bound",
)  # fmt: skip


def _task_key(key: dict) -> dict:
    label = task_label(key.get("task"), key.get("subtask"), key.get("n_shots"))
    return {"family": key.get("family"), "task": label}


def detect_frames(result: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Verdicts, extra statistics and the tested mirage curves from a detect result.

    Parameters
    ----------
    result : emergence.detect.tables.DetectResult or None

    Returns
    -------
    verdicts : pandas.DataFrame
        The detect stage's verdict table (at least :data:`VERDICT_COLUMNS`).
    statistics : pandas.DataFrame
        :data:`STATISTIC_COLUMNS`, one row per verdict row.
    mirage : pandas.DataFrame or None
        ``family, task, params, predicted, band_low, band_high``: the exact match the mirage
        model predicts at each scale and the band the observed curve had to stay in.
    """
    if result is None:
        verdicts = pd.DataFrame({c: pd.Series(dtype=object) for c in VERDICT_COLUMNS})
        stats = pd.DataFrame({c: pd.Series(dtype=object) for c in STATISTIC_COLUMNS})
        return verdicts, stats, None
    stats, curves = [], []
    for tc in result.tasks:
        ev = tc.verdict.evidence
        stats.append({
            **_task_key(tc.key), "breakthroughness": ev.breakthroughness,
            "looks_emergent": ev.looks_emergent, "jump_low_params": _exp10(ev.jump_region[0]),
            "jump_high_params": _exp10(ev.jump_region[1]), "psi_in_jump": ev.psi_in_jump,
            "mirage_max_z": ev.mirage_max_z, "mirage_consistent": ev.mirage_consistent,
            # the rise fits within one gap: the width shown is that gap, an upper bound
            "em_width_is_bound": ev.width is not None and not ev.width.resolved,
        })  # fmt: skip
        if tc.mirage_prediction is not None:
            low, high = tc.mirage_band if tc.mirage_band is not None else (None, None)
            curves.append(pd.DataFrame({
                **_task_key(tc.key), "params": tc.params, "predicted": tc.mirage_prediction,
                "band_low": np.nan if low is None else np.clip(low, 0.0, 1.0),
                "band_high": np.nan if high is None else np.clip(high, 0.0, 1.0),
            }))  # fmt: skip
    mirage = pd.concat(curves, ignore_index=True) if curves else None
    verdicts = with_task_labels(result.verdicts)
    return verdicts, pd.DataFrame(stats, columns=list(STATISTIC_COLUMNS)), mirage


def _exp10(value: float) -> float:
    return float(10.0**value) if math.isfinite(value) else math.nan
