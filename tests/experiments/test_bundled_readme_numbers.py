"""benchmarks_data/README.md quotes what `emergence detect` prints on the bundled trained models;
those numbers must stay what it prints (three had gone stale)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emergence.detect import detect
from emergence.load import load

DATA = Path(__file__).resolve().parents[2] / "benchmarks_data"


@pytest.fixture(scope="module")
def verdicts():
    return detect(load(DATA / "trained", warn=False), seed=0).verdicts.set_index("task")


def _quoted(pattern: str) -> str:
    text = " ".join((DATA / "README.md").read_text().split())
    match = re.search(pattern, text)
    assert match, pattern
    return match.group(1)


def test_the_readme_quotes_the_add_task_as_detect_sees_it(verdicts):
    add = verdicts.loc["add"]
    assert add["verdict"] == "underpowered"
    assert _quoted(r"the Davies screen does not reject \(p = ([\d.]+)\)") == (
        f"{add['discontinuous_pvalue']:.3g}"
    )
    assert _quoted(r"breakthroughness ([\d.]+)\)") == f"{add['breakthroughness']:.1f}"
    assert _quoted(r"no significant break in the companion \(p = ([\d.]+);") == (
        f"{add['continuous_pvalue']:.2g}"
    )
    # alone, the trained family's one tested task: q = p
    assert _quoted(r"([\d.]+) for `trained/` alone") == f"{add['q_value']:.2g}"
    power = re.search(r"power ([\d.]+) against a jump", add["note"]).group(1)
    assert _quoted(r"pre-registered size is ([\d.]+) and") == power
    assert _quoted(r"p\^L misses the observed exact match \(max z = ([\d.]+)\)") == (
        f"{add['mirage_max_z']:.1f}"
    )


def test_the_readme_quotes_the_mul_and_rev_tasks_as_detect_sees_them(verdicts):
    mul, rev = verdicts.loc["mul"], verdicts.loc["rev"]
    assert mul["verdict"] == "smooth" and rev["verdict"] == "underpowered"
    assert _quoted(r"Label \*\*smooth\*\* \(the screen does not reject, p = ([\d.]+)\)") == (
        f"{mul['discontinuous_pvalue']:.3g}"
    )
    assert _quoted(r"0\.15 at 1\.19M; max z = ([\d.]+)\)") == f"{mul['mirage_max_z']:.1f}"
    assert "is 1 at every scale" in rev["note"]
