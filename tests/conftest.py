"""Shared pytest fixtures."""

from __future__ import annotations

import os
import shlex
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


def help_examples(epilog: str) -> list[list[str]]:
    """The commands of a ``--help`` ``Examples:`` epilog: continuations joined, comments dropped,
    ``a && b`` split in two."""
    text = epilog.split("Examples:", 1)[1].replace("\\\n", " ")
    commands: list[list[str]] = []
    for line in text.splitlines():
        current: list[str] = []
        for token in shlex.split(line, comments=True):
            if token == "&&":
                commands.append(current)
                current = []
            else:
                current.append(token)
        if current:
            commands.append(current)
    return commands
