"""Small HTML helpers: escaping, number formatting and tables.

Every string that can come from the data goes through :func:`esc`; helpers that take trusted
markup say so (``*_html`` parameters).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..detect._common import p_text
from .style import size_label

DASH = "\u2013"


#: Code points an HTML document may not carry: controls other than tab and newlines, lone
#: surrogates (undecodable bytes of a file name arrive as U+DC80-U+DCFF) and non-characters.
_NOT_HTML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as Python escapes it
        code -= 0xDC00
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def esc(value: object) -> str:
    """Escape text for an HTML element or a quoted attribute value.

    Characters HTML cannot hold (controls, undecodable bytes of a path) are shown escaped,
    ``\\x01`` or ``\\xe9``, so that a folder named in Latin-1 still gets its report.
    """
    text = _NOT_HTML.sub(_visible, "" if value is None else str(value))
    return html.escape(text, quote=True)


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA."""
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like: not a missing scalar
        return False


def fmt_p(value: object, level: float | None = None) -> str:
    """A p- or q-value as the detect notes write it (:func:`emergence.detect._common.p_text`):
    three significant digits, more where fewer would round onto ``level`` or across it; a dash
    when missing."""
    return DASH if is_missing(value) else p_text(float(value), level)


def fmt_num(value: object, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (``inf`` as the symbol)."""
    if is_missing(value):
        return DASH
    v = float(value)
    if math.isinf(v):
        return "\u221e" if v > 0 else "-\u221e"
    return f"{v:.{digits}g}"


def fmt_size(value: object) -> str:
    """A parameter or token count: ``1.3B``."""
    if is_missing(value):
        return DASH
    return size_label(float(value)) or DASH


def fmt_interval(
    low: object, high: object, fmt: Callable[[object], str] = fmt_size
) -> str:
    """``[low, high]`` or a dash."""
    if is_missing(low) or is_missing(high):
        return DASH
    return f"[{fmt(low)}, {fmt(high)}]"


def sort_key(value: object) -> str:
    """``data-v`` attribute value used by the sortable tables (numbers sort numerically)."""
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(float(value)) if math.isfinite(float(value)) else ""
    return str(value)


@dataclass(frozen=True)
class Cell:
    """One table cell: trusted inner markup and an optional sort value and class."""

    html: str
    sort: str | None = None
    cls: str | None = None


def cell(text: object, sort: object = None, cls: str | None = None) -> Cell:
    """A cell holding escaped ``text`` (``sort`` defaults to the text)."""
    return Cell(esc(text), sort_key(text if sort is None else sort), cls)


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    cls: str = "",
    numeric: Sequence[bool] | None = None,
    row_ids: Sequence[str] | None = None,
    row_notes: Sequence[str] | None = None,
) -> str:
    """An HTML table.

    Parameters
    ----------
    header : sequence of str
        Column titles (escaped).
    rows : iterable of sequence of Cell
    cls : str
        Class of the table (``sortable`` makes it sortable by clicking a column title).
    numeric : sequence of bool, optional
        Right-aligned numeric columns.
    row_ids : sequence of str, optional
        Trusted ``id`` of each row.
    row_notes : sequence of str, optional
        Text (escaped) shown under each row across the whole width.
    """
    numeric = numeric or [False] * len(header)
    out = [f'<table class="{esc(cls)}">' if cls else "<table>", "<thead><tr>"]
    for title, num in zip(header, numeric, strict=True):
        out.append(f'<th scope="col"{" class=num" if num else ""}>{esc(title)}</th>')
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        rid = f' id="{row_ids[i]}"' if row_ids else ""
        out.append(f"<tr{rid}>")
        for c, num in zip(row, numeric, strict=True):
            classes = " ".join(x for x in ("num" if num else "", c.cls or "") if x)
            attrs = f' class="{classes}"' if classes else ""
            if c.sort is not None and "sortable" in cls:
                attrs += f' data-v="{esc(c.sort)}"'
            out.append(f"<td{attrs}>{c.html}</td>")
        out.append("</tr>")
        if row_notes is not None:
            out.append(
                f'<tr class="row-note"><td colspan="{len(header)}">{esc(row_notes[i])}</td></tr>'
            )
    out.append("</tbody></table>")
    return "".join(out)


def badge(verdict: object) -> str:
    """A coloured verdict label (text, so it reads without colour)."""
    text = esc(verdict)
    return f'<span class="badge v-{text}">{text}</span>'


#: SVG dash pattern of each matplotlib line style, in the proportions matplotlib draws them.
_DASHES = {"-": "", "--": "7 3", ":": "2 3", "-.": "9 3 2 3"}


def swatch(colour: str, linestyle: str = "-") -> str:
    """A small line sample for an HTML legend, drawn in the line style of the figure.

    ``colour`` is trusted (from the palette); ``linestyle`` is a matplotlib style (``-``,
    ``--``, ``:``, ``-.``): families past the palette's length differ only by it.
    """
    dash = _DASHES[linestyle]
    pattern = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg class="swatch" viewBox="0 0 22 6" aria-hidden="true">'
        f'<line x1="0" y1="3" x2="22" y2="3" stroke="{colour}" stroke-width="2.6"{pattern}/>'
        "</svg>"
    )
