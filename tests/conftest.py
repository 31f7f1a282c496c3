"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Return a path under ``../shared/data``, skipping the test when it is absent.

    Under CI (environment variable ``CI`` set) a missing reference file is a failure, not a skip.
    """
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing under CI: {path}")
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The ``../shared/data`` folder (skip when absent, fail under CI)."""
    return shared_path()
