"""emergence: genuine thresholds versus metric mirages in language-model scaling.

``emergence.load(path)`` reads files and folders into the tidy tables; each pipeline stage
(:mod:`emergence.load`, :mod:`emergence.metrics`, :mod:`emergence.fit`, :mod:`emergence.detect`,
:mod:`emergence.report`) is usable on its own.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Tables", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # Lazy so that `emergence --help` does not pay for importing pandas.
    if name in {"load", "Tables"}:
        import importlib

        stage = importlib.import_module(".load", __name__)  # a callable module: load(path)
        return stage if name == "load" else stage.Tables
    raise AttributeError(f"module 'emergence' has no attribute {name!r}")
