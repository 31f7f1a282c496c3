"""Progress bars: on a terminal only, and never with --quiet."""

from __future__ import annotations

import io
import sys

import pytest

from emergence import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset():
    yield
    progress.set_quiet(False)


def test_silent_when_stderr_is_not_a_terminal(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress.enabled()
    with progress.progress(range(3), "x") as bar:
        assert list(bar) == [0, 1, 2]
    assert sys.stderr.getvalue() == ""


def test_bar_on_a_terminal_and_quiet_turns_it_off(monkeypatch) -> None:
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    assert progress.enabled()
    with progress.progress(range(3), "reading") as bar:
        assert list(bar) == [0, 1, 2]
    assert "reading" in fake.getvalue()
    progress.set_quiet(True)
    assert not progress.enabled()
