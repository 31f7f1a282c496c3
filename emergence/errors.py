"""Exceptions raised for bad user input.

Every problem a user can fix (a malformed file, a missing column, a model without a size) raises
:class:`InputError` with a single line naming the file, line or record, the field and what was
expected. The CLI prints that line as ``error: ...`` and exits with status 2, without a traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input the user can fix; ``str(err)`` is a complete one-line message."""


def locate(source: str | None, record: int | str | None = None, field: str | None = None) -> str:
    """Format the ``file:line: field 'x':`` prefix used by every input error.

    Parameters
    ----------
    source : str or None
        File name (or another label for where the data came from).
    record : int or str or None
        Line number (1-based) or record label within the source.
    field : str or None
        Column or field name.

    Returns
    -------
    str
        For example ``"runs.jsonl:17: field 'params'"``.
    """
    parts = []
    head = source or "<data>"
    if record is not None:
        head = f"{head}:{record}"
    parts.append(head)
    if field is not None:
        parts.append(f"field '{field}'")
    return ": ".join(parts)
