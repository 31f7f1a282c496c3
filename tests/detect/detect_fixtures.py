"""Helpers to read the shared changepoint fixtures (``../shared/data/changepoint``)."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
from conftest import shared_path


@cache
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["fixtures"]


def fixtures() -> dict:
    """All fixtures keyed by name (skips the test when the shared data are absent)."""
    return _load(str(shared_path("changepoint", "fixtures.json")))


def names_with(test: str) -> list[str]:
    """Fixture names that have an ``expected[test]`` entry (read at collection time)."""
    from conftest import SHARED_DATA

    path = SHARED_DATA / "changepoint" / "fixtures.json"
    if not path.exists():
        return ["<missing shared data>"]
    return [k for k, v in _load(str(path)).items() if test in v.get("expected", {})]


def xy(name: str) -> tuple[np.ndarray, np.ndarray]:
    fx = fixtures()[name]
    return np.asarray(fx["x"], dtype=float), np.asarray(fx["y"], dtype=float)


def expected(name: str, test: str) -> dict:
    return fixtures()[name]["expected"][test]


def check(got: float, spec: dict, what: str = "") -> None:
    """Assert ``got`` against a fixture number ``{"value", "tol", "tol_type"}``."""
    value, tol, kind = spec.get("value"), spec["tol"], spec["tol_type"]
    if kind == "rel":
        ok = abs(got - value) <= tol * abs(value)
    elif kind == "abs":
        ok = abs(got - value) <= tol
    elif kind == "upper_bound":
        ok = got <= tol
    elif kind == "range":
        ok = tol[0] <= got <= tol[1]
    else:  # pragma: no cover - unknown tolerance type in the data
        raise AssertionError(f"unknown tol_type {kind!r}")
    assert ok, f"{what}: got {got!r}, expected {value!r} ({kind} {tol})"
