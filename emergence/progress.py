"""Progress bars on stderr for long work: shown only on a terminal, silenced by ``--quiet``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")

_state = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Turn progress bars off (``True``) or back on for this process."""
    _state["quiet"] = bool(quiet)


def enabled() -> bool:
    """True when a progress bar should be drawn: stderr is a terminal and not ``--quiet``."""
    return not _state["quiet"] and sys.stderr.isatty()


@contextlib.contextmanager
def progress(iterable: Iterable[T], label: str, length: int | None = None) -> Iterator[Iterable[T]]:
    """Wrap ``iterable`` in a click progress bar on stderr when :func:`enabled`.

    Parameters
    ----------
    iterable : iterable
        What to iterate over.
    label : str
        Short description shown before the bar.
    length : int, optional
        Number of steps when ``iterable`` has no ``len``.

    Yields
    ------
    iterable
        The (possibly wrapped) iterable.
    """
    if not enabled():
        yield iterable
        return
    with click.progressbar(
        iterable, length=length, label=label, file=sys.stderr, show_pos=True
    ) as bar:
        yield bar
