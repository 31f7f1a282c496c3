"""docs/detect.md states the pre-registered metric pairs in the order detect applies them."""

from __future__ import annotations

import re
from pathlib import Path

from emergence.detect.preregistered import SCORE_COMPANIONS, SCORE_DISCONTINUOUS

DOC = Path(__file__).resolve().parents[2] / "docs" / "detect.md"


def _row(label: str) -> str:
    return next(line for line in DOC.read_text().splitlines() if line.startswith(f"| {label} "))


def _names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_the_aggregate_companions_are_documented_in_the_order_detect_tries_them():
    cell = _row("companion").split("|")[3]
    assert _names(cell) == [name for name, *_ in SCORE_COMPANIONS]


def test_the_aggregate_discontinuous_metrics_are_documented_in_order():
    cell = _row("discontinuous").split("|")[3]
    assert _names(cell) == list(SCORE_DISCONTINUOUS)
