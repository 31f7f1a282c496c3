"""The report's figures, drawn with matplotlib in the style of :mod:`.style`, returned as SVG.

Figures carry no strings from the data (family names are in the HTML legend next to each
figure), so nothing in an SVG needs escaping. Scales are plotted as log10 values on linear axes
with plain tick labels: much faster than log axes with minor ticks and mathtext.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

PANEL_WIDTH = 2.75  # inches per panel
#: Title of the first scaling panel, by what its lines follow (the points are coloured by
#: compute whatever the lines follow; the key beside the figure says so).
LOSS_PANEL_TITLES = {
    "compute": "loss vs parameters; lines: budgets",
    "tokens": "loss vs parameters; lines: token counts",
}
PANEL_HEIGHT = 2.1
#: How each metric is titled in a panel: by what it measures, not by the framework that
#: usually writes the name (a native table may call its metric ``accuracy`` too).
METRIC_TITLES = {
    "exact_match": "exact match",
    "exact_str_match": "exact string match",
    "exact_match_accuracy": "exact-match accuracy",
    "multiple_choice_grade": "multiple-choice grade",
    "accuracy": "accuracy",
    "acc": "accuracy (acc)",
    "acc_norm": "length-normalised accuracy (acc_norm)",
    "token_edit_distance": "token edit distance",
    "char_edit_distance": "character edit distance",
    "edit_distance": "edit distance",
    "target_logprob": "log p(target), nats",
    "log_likelihood": "log-likelihood, nats",
    "ppl": "perplexity of the target",
    "perplexity": "perplexity of the target",
    "mean_token_logprob": "mean token log-prob, nats",
    "per_token_prob": "per-token probability",
    "p_correct": "p(correct)",
    "brier": "Brier score",
    "brier_bigbench": "Brier score (BIG-bench)",
    "brier_score": "Brier score",
}


@dataclass(frozen=True)
class Breakpoint:
    """A located threshold for one family: ``params`` with the interval ``low``-``high``."""

    family_index: int
    params: float
    low: float
    high: float


def metric_title(name: str, discontinuous: bool) -> str:
    """Panel title of a metric (registered names only; anything else is a generic label)."""
    kind = "discontinuous" if discontinuous else "continuous"
    return f"{METRIC_TITLES.get(name, 'metric')} ({kind})"


class Canvases:
    """Task figures reused across tasks, one per panel count.

    Creating axes and their ticks costs more than drawing a task's few lines, so the report
    clears and redraws the same figure for every task; the output is the same as from a fresh
    figure with the same content.
    """

    def __init__(self) -> None:
        self._figures: dict[int, tuple] = {}

    def get(self, n_panels: int) -> tuple:
        """A cleared ``(figure, axes)`` with ``n_panels`` panels side by side."""
        if n_panels not in self._figures:
            fig, axes = style.new_figure(PANEL_WIDTH * n_panels, PANEL_HEIGHT, ncols=n_panels)
            for ax in axes[0]:
                ax.set_xlabel("parameters")
                style.log_axis(ax.xaxis, "size")
                style.plain_axis(ax.yaxis)
            style.margins(fig, bottom=0.2, top=0.88, wspace=0.3)
            self._figures[n_panels] = (fig, axes)
            return fig, axes
        fig, axes = self._figures[n_panels]
        for ax in axes[0]:
            for artist in [*ax.lines, *ax.patches, *ax.collections]:
                artist.remove()
            ax.relim()
            ax.autoscale(True)
        return fig, axes


def task_figure(
    scores: pd.DataFrame,
    metrics: Sequence[str],
    family_index: Mapping[str, int],
    prefix: str,
    curves: pd.DataFrame | None = None,
    breakpoints: Sequence[Breakpoint] = (),
    canvases: Canvases | None = None,
    discontinuous_first: bool = True,
) -> str:
    """One task, side by side under each metric, every family on shared log-scale x axes.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scores rows of the task (``family, params, metric, value``; ``ci_low``/``ci_high``
        drawn as bands when present).
    metrics : sequence of str
        Metric of each panel (at least one); the first is the discontinuous one unless
        ``discontinuous_first`` is False.
    family_index : mapping
        Family name -> colour index (shared by the whole report).
    prefix : str
        Unique SVG id prefix.
    curves : pandas.DataFrame, optional
        The mirage prediction of the task (``family, params, predicted, band_low, band_high``),
        drawn dashed with the band's outline dotted on the first panel; pass only predictions
        that were tested against that panel's metric.
    breakpoints : sequence of Breakpoint
        Drawn as a vertical line and a shaded interval on every panel.
    canvases : Canvases, optional
        Figures to reuse (much faster for many tasks); a new figure when omitted.
    discontinuous_first : bool
        Whether the first metric is the discontinuous one (False: every panel is continuous,
        for a task with no discontinuous metric).

    Returns
    -------
    str
        Inline ``<svg>``.
    """
    with style.report_style():
        fig, axes = (canvases or Canvases()).get(len(metrics))
        by_metric = {m: f for m, f in scores.groupby("metric", sort=False)}
        for j, metric in enumerate(metrics):
            ax = axes[0, j]
            frame = by_metric.get(metric)
            if frame is not None:
                for family, rows in frame.groupby("family", sort=True):
                    _observed(ax, rows, family_index[family])
            if j == 0 and curves is not None:  # the caller passes only tested predictions
                for family, rows in curves.groupby("family", sort=True):
                    _predicted(ax, rows, family_index[family])
            for bp in breakpoints:
                colour = style.family_colour(bp.family_index)
                if np.isfinite(bp.low) and np.isfinite(bp.high):
                    ax.axvspan(np.log10(bp.low), np.log10(bp.high), color=colour, alpha=0.12,
                               lw=0, zorder=0)  # fmt: skip
                ax.axvline(np.log10(bp.params), color=colour, lw=0.9, ls=":", zorder=1)
            # a fixed y skips matplotlib's title placement, which measures every tick label
            ax.set_title(metric_title(metric, j == 0 and discontinuous_first), loc="left", y=1.02)
        titles = ", ".join(METRIC_TITLES.get(m, "metric") for m in metrics)
        return style.svg_text(fig, prefix, label=f"{titles} against model size")


def _band(ax: Axes, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, **style_kw: Any) -> None:
    """A band as one polygon: several times cheaper to draw than ``fill_between``."""
    ax.fill(np.r_[x, x[::-1]], np.r_[lo, hi[::-1]], **style_kw)


def _observed(ax: Axes, rows: pd.DataFrame, k: int) -> None:
    rows = rows.sort_values("params")
    x = np.log10(rows["params"].to_numpy(float))
    colour, ls = style.family_colour(k), style.family_linestyle(k)
    if {"ci_low", "ci_high"} <= set(rows.columns):
        lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() >= 2:
            _band(ax, x[ok], lo[ok], hi[ok], facecolor=colour, alpha=0.2, lw=0, zorder=2)
    ax.plot(x, rows["value"].to_numpy(float), color=colour, ls=ls, marker="o", zorder=4)


def _predicted(ax: Axes, rows: pd.DataFrame, k: int) -> None:
    rows = rows.sort_values("params")
    x = np.log10(rows["params"].to_numpy(float))
    colour = style.family_colour(k)
    lo, hi = rows["band_low"].to_numpy(float), rows["band_high"].to_numpy(float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.sum() >= 2:  # the band the observed curve had to stay in: hatched outline, no fill
        _band(ax, x[ok], lo[ok], hi[ok], facecolor="none", edgecolor=colour, lw=0.5,
              ls=(0, (1, 2)), zorder=2)  # fmt: skip
    ax.plot(x, rows["predicted"].to_numpy(float), color=colour, ls=(0, (4, 2)), lw=1.1,
            zorder=3)  # fmt: skip


def scaling_figure(
    data: pd.DataFrame,
    curves: pd.DataFrame | None,
    frontier: object | None,
    backtest: object | None,
    prefix: str,
    isoflop: object | None = None,
    curve_kind: str | None = "compute",
) -> str:
    """Scaling-law panels of one family: fit with data, residuals, frontier and backtest.

    Parameters
    ----------
    data : pandas.DataFrame
        Runs with ``params, tokens, flops, loss, predicted, residual``.
    curves : pandas.DataFrame, optional
        Fitted law along groups of runs (``group, params, predicted``), one line per group.
    frontier : emergence.fit.ComputeOptimal, optional
    backtest : emergence.fit.BacktestResult, optional
    prefix : str
        Unique SVG id prefix.
    isoflop : emergence.fit.IsoflopResult, optional
        Its per-budget minima are drawn on the frontier panel (hollow when extrapolated).
    curve_kind : {"compute", "tokens"}, optional
        What a group shares: a compute budget (line coloured like the runs of that compute) or
        a token count (grey line).

    Returns
    -------
    str
        Inline ``<svg>``.
    """
    from matplotlib.colors import Normalize

    n_panels = 2 + (frontier is not None) + (backtest is not None)
    with style.report_style():
        fig, axes = style.new_figure(PANEL_WIDTH * n_panels, PANEL_HEIGHT + 0.15, ncols=n_panels)
        cmap = _cmap()
        log_c = np.log10(data["flops"].to_numpy(float))
        norm = Normalize(log_c.min(), log_c.max() if log_c.max() > log_c.min() else log_c.min() + 1)
        log_n = np.log10(data["params"].to_numpy(float))
        ax = axes[0, 0]
        if curves is not None and len(curves):
            for group, rows in curves.groupby("group", sort=True):
                # a budget's line takes its colour; a token count's spans budgets: grey
                colour = cmap(norm(np.log10(group))) if curve_kind == "compute" else "#8C8C8C"
                ax.plot(np.log10(rows["params"].to_numpy(float)), rows["predicted"],
                        color=colour, lw=1.0, zorder=2)  # fmt: skip
        ax.scatter(log_n, data["loss"], c=log_c, cmap=cmap, norm=norm, s=10, zorder=3,
                   edgecolors="white", linewidths=0.3)  # fmt: skip
        # the colour is always compute; what a line follows depends on the grouping
        ax.set_title(LOSS_PANEL_TITLES.get(curve_kind, "loss vs parameters"), loc="left", y=1.02)
        ax.set_xlabel("parameters")
        ax.set_ylabel("loss")
        ax = axes[0, 1]
        ax.axhline(0.0, color="#555555", lw=0.8)
        ax.scatter(log_n, data["residual"], c=log_c, cmap=cmap, norm=norm, s=10, zorder=3,
                   edgecolors="white", linewidths=0.3)  # fmt: skip
        ax.set_title("residuals, log observed - log fit", loc="left", y=1.02)
        ax.set_xlabel("parameters")
        for ax in axes[0, :2]:
            style.log_axis(ax.xaxis, "size")
            style.plain_axis(ax.yaxis)
        j = 2
        if frontier is not None:
            ax = axes[0, j]
            ax.scatter(log_c, log_n, color="#9A9A9A", s=8, zorder=2, lw=0)
            ax.plot(np.log10(frontier.compute), np.log10(frontier.n_opt), color="#0173B2", lw=1.4,
                    zorder=3)  # fmt: skip
            if isoflop is not None:
                m = isoflop.minima
                inside = np.asarray(m.inside, dtype=bool)
                xs, ys = np.log10(m.compute), np.log10(m.n_star)
                ax.scatter(xs[inside], ys[inside], marker="D", s=16, color="#DE8F05", zorder=4,
                           lw=0)  # fmt: skip
                ax.scatter(xs[~inside], ys[~inside], marker="D", s=16, facecolors="none",
                           edgecolors="#DE8F05", zorder=4, lw=0.8)  # fmt: skip
            ax.set_title("compute-optimal parameters", loc="left", y=1.02)
            ax.set_xlabel("training compute, FLOP")
            style.log_axis(ax.xaxis, "flops")
            style.log_axis(ax.yaxis, "size")
            j += 1
        if backtest is not None:
            ax = axes[0, j]
            true, pred = np.asarray(backtest.y_true), np.asarray(backtest.y_pred)
            lo = float(min(true.min(), pred.min()))
            hi = float(max(true.max(), pred.max()))
            pad = 0.05 * (hi - lo or 1.0)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#555555", lw=0.8)
            ax.scatter(true, pred, color="#D55E00", s=12, zorder=3, lw=0)
            ax.set_title("backtest: held-out large runs", loc="left", y=1.02)
            ax.set_xlabel("observed loss")
            ax.set_ylabel("predicted from small runs")
            style.plain_axis(ax.xaxis)
            style.plain_axis(ax.yaxis)
        style.margins(fig, y_label=True, bottom=0.2, top=0.88, wspace=0.34)
        return style.svg_text(fig, prefix, label="scaling-law fit, residuals, frontier, backtest")


def compute_ramp(stops: int = 7) -> list[str]:
    """Colours of the compute scale (low to high), for a key drawn in HTML beside the figure."""
    from matplotlib.colors import to_hex

    cmap = _cmap()
    return [to_hex(cmap(t)) for t in np.linspace(0.0, 1.0, stops)]


def _cmap() -> Colormap:
    from matplotlib import colormaps

    # viridis: perceptually uniform and readable with every common colour-vision deficiency
    return colormaps["viridis"]
