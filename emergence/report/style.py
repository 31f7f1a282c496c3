"""One plotting style for every figure, and deterministic inline SVG export.

Figures use seaborn's ``ticks`` style and its colour-blind palette, plain-text tick labels (no
mathtext: it is slow and its output varies), and are exported as SVG with text kept as text,
no metadata and ids made unique per figure so that many figures can share one HTML page.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Verdict colours (Okabe-Ito), also used by the CSS badges.
VERDICT_COLOURS = {
    "threshold": "#D55E00",
    "mirage": "#0072B2",
    "smooth": "#009E73",
    "underpowered": "#7F7F7F",
    "ambiguous": "#E69F00",
}
# seaborn "colorblind" (Okabe-Ito based), spelled out so no palette lookup happens per figure.
PALETTE = (
    "#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC",
    "#CA9161", "#FBAFE4", "#949494", "#ECE133", "#56B4E9",
)  # fmt: skip
LINESTYLES = ("-", "--", ":", "-.")
FONT_FAMILY = "DejaVu Sans"  # ships with matplotlib: identical metrics everywhere
CSS_FONTS = "'DejaVu Sans', Helvetica, Arial, sans-serif"

_SVG_HEAD = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_G_ID = re.compile(r'<g id="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')
_NUM = re.compile(r"(\d\.\d{2})\d+")
_GEOMETRY = re.compile(r'(\s(?:d|x|y|transform)=")([^"]*)"')


def family_colour(index: int) -> str:
    """Colour of the ``index``-th family (cycled)."""
    return PALETTE[index % len(PALETTE)]


def family_linestyle(index: int) -> str:
    """Line style of the ``index``-th family: changes each time the palette wraps."""
    return LINESTYLES[(index // len(PALETTE)) % len(LINESTYLES)]


def rc_params() -> dict[str, Any]:
    """The matplotlib settings of every report figure."""
    import seaborn as sns

    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("paper", font_scale=1.0))
    rc.update({
        "font.family": FONT_FAMILY,
        "font.size": 8,
        "axes.titlesize": 8.5,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#E6E6E6",
        "grid.linewidth": 0.6,
        "lines.linewidth": 1.3,
        "lines.markersize": 3.2,
        "svg.fonttype": "none",  # text stays text: smaller, searchable, no glyph ids
        "svg.hashsalt": "emergence-report",  # fixed: marker/clip ids do not depend on a RNG
        "svg.image_inline": True,
        "path.simplify": True,
        "axes.unicode_minus": False,
        "text.usetex": False,
    })  # fmt: skip
    return rc


@contextmanager
def report_style() -> Iterator[None]:
    """Apply :func:`rc_params` for the duration of the block (global state is restored)."""
    import matplotlib

    with matplotlib.rc_context(rc_params()):
        yield


#: Largest on-page zoom of a figure: a three-panel task figure fills the report's column at
#: about this factor, so every figure's text stays the same size or smaller.
MAX_ZOOM = 1.45
#: Margins in inches: room for tick labels such as ``-0.0032`` and an axis label, whatever the
#: number of panels (a fraction of the width left one-panel figures' labels cut off).
LEFT_MARGIN = 0.5
LEFT_MARGIN_LABELLED = 0.62
RIGHT_MARGIN = 0.16


def margins(fig: Any, y_label: bool = False, **kwargs: float) -> None:
    """Set ``fig``'s side margins in inches (:data:`LEFT_MARGIN`, :data:`RIGHT_MARGIN`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    y_label : bool
        Whether the first panel has a y-axis label (more room on the left).
    **kwargs
        Passed to ``subplots_adjust`` (``bottom``, ``top``, ``wspace``).
    """
    width = float(fig.get_figwidth())
    left = LEFT_MARGIN_LABELLED if y_label else LEFT_MARGIN
    fig.subplots_adjust(left=left / width, right=1.0 - RIGHT_MARGIN / width, **kwargs)


def new_figure(width: float, height: float, ncols: int = 1, nrows: int = 1) -> tuple[Any, Any]:
    """A figure not registered with pyplot (no global figure manager, nothing to close)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def svg_text(fig: Any, prefix: str, label: str = "figure") -> str:
    """Export ``fig`` as an inline ``<svg>`` element, byte-identical for identical figures.

    The XML declaration, DOCTYPE, comments and metadata are dropped; unreferenced group ids are
    removed and the remaining ids (clip paths, markers) get ``prefix`` so that several figures on
    one page never share an id; coordinates keep two decimals (a hundredth of a point).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    prefix : str
        Unique id prefix for this figure, e.g. ``"f12"`` (letters, digits, ``-``).
    label : str
        Accessible description (``aria-label``; escaped here).

    Returns
    -------
    str
    """
    aria = html.escape(label, quote=True)
    buf = io.StringIO()
    fig.savefig(
        buf, format="svg",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )  # fmt: skip
    svg = _SVG_HEAD.sub("", buf.getvalue(), count=1)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = _METADATA.sub("", svg)
    svg = _G_ID.sub("<g", svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    svg = _GEOMETRY.sub(_trim_numbers, svg)
    svg = svg.replace(f"font-family: '{FONT_FAMILY}'", f"font-family: {CSS_FONTS}")
    svg = re.sub(r' transform="rotate\(-0 [^)"]*\)"', "", svg)  # a no-op rotation per label
    svg = re.sub(r"\n\s*", "\n", svg)
    # responsive: scale to the column width, keep the aspect ratio from the viewBox; a narrow
    # figure stops at MAX_ZOOM times its size, so its text is no larger than a wide figure's
    svg = re.sub(
        r'<svg ([^>]*?)width="([\d.]+)pt" height="([\d.]+)pt"',
        lambda m: (
            f'<svg {m.group(1)}class="figure" style="max-width: '
            f'{float(m.group(2)) * MAX_ZOOM:.0f}pt" role="img" aria-label="{aria}"'
        ),
        svg, count=1,
    )  # fmt: skip
    return svg.strip()


def _trim_numbers(match: re.Match[str]) -> str:
    return match.group(1) + _NUM.sub(r"\1", match.group(2)) + '"'


def size_label(value: float) -> str:
    """Short label of a parameter count or token count: ``125M``, ``1.3B``, ``70B``."""
    if not math.isfinite(value) or value <= 0:
        return ""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= div * 0.9995:
            return f"{_sig(value / div)}{suffix}"
    return _sig(value)


def _sig(v: float) -> str:
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.3g}"
    return f"{v:.2g}"


def exp_label(value: float, digits: int = 1) -> str:
    """Label of a FLOP count in powers of ten: ``1e21``, ``3e20``; ``1.65e12`` with 3 digits.

    Parameters
    ----------
    value : float
    digits : int
        Significant digits (1 suits tick labels at round values; quote data with 3).

    Returns
    -------
    str
        Empty for a value that is not finite and positive.
    """
    if not math.isfinite(value) or value <= 0:
        return ""
    mant, exp = f"{value:.{digits - 1}e}".split("e")
    exp_i = int(exp)
    return f"1e{exp_i}" if mant == "1" else f"{mant}e{exp_i}"


def log_axis(axis: Any, kind: str = "size") -> None:
    """Ticks of an axis whose data are log10 values: about five nice decades, plain labels.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    kind : {"size", "flops", "plain"}
        Label style: :func:`size_label`, :func:`exp_label` or ``%.3g`` of the value.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    fmt = {"size": size_label, "flops": exp_label}.get(kind, lambda v: f"{v:.3g}")
    axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(10.0**v)))
    axis.set_minor_locator(NullLocator())


def plain_axis(axis: Any) -> None:
    """Ticks of a linear axis: a few nice values, no minor ticks."""
    from matplotlib.ticker import MaxNLocator, NullLocator

    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_minor_locator(NullLocator())
