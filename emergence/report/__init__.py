"""Report stage: the published HTML report.

:func:`render_report` turns an :class:`emergence.analysis.Analysis` into one self-contained,
deterministic HTML file (inline CSS and SVG figures, no network requests); :func:`write_report`
writes it atomically. The report renders results only; the stages compute them
(:func:`emergence.analysis.analyse`).
"""

from __future__ import annotations

from .document import DEFAULT_TITLE, render_report, write_report

__all__ = ["DEFAULT_TITLE", "render_report", "write_report"]
