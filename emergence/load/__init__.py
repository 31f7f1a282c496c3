"""Load stage: read native tables and evaluation-framework outputs into tidy pandas tables."""

import sys
import types

from .registry import FORMAT_MODULES, format_modules, get_format, load
from .sizes import parse_size
from .tables import Tables, concat_tables
from .validate import validate

__all__ = [
    "FORMAT_MODULES",
    "Tables",
    "concat_tables",
    "format_modules",
    "get_format",
    "load",
    "parse_size",
    "validate",
]


class _CallableModule(types.ModuleType):
    """Lets ``emergence.load(path)`` call :func:`load` although ``emergence.load`` is a package."""

    def __call__(self, *args, **kwargs):  # noqa: D102
        return load(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
