"""Figure layout: every label a figure draws lies inside its canvas, whatever its panel count.

The SVG's viewBox is the canvas, so text outside it is cut off on the page (a one-panel figure
once read ``00 75 50`` for ``1.00 0.75 0.50``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from emergence.report import figures, style


def _texts_outside(fig) -> list[str]:
    """Drawn labels (visible ticks, axis labels, titles) whose box leaves the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    width, height = fig.bbox.x1, fig.bbox.y1
    out = []
    for ax in fig.axes:
        texts = [ax.xaxis.label, ax.yaxis.label, ax.title, ax._left_title]
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            shown = [t for t in axis.get_major_ticks() if lo - 1e-9 <= t.get_loc() <= hi + 1e-9]
            texts += [t.label1 for t in shown if t.label1.get_visible()]
        for text in texts:
            if not text.get_text():
                continue
            x0, y0, x1, y1 = text.get_window_extent(renderer).extents
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                out.append(text.get_text())
    return out


@pytest.fixture
def captured(monkeypatch):
    """The figure each drawing function exports, kept for measuring."""
    figs = []
    real = style.svg_text

    def keep(fig, prefix, label="figure"):
        figs.append(fig)
        return real(fig, prefix, label)

    monkeypatch.setattr(style, "svg_text", keep)
    return figs


@pytest.mark.parametrize(
    "metrics",
    [["exact_str_match"], ["exact_str_match", "log_likelihood"],
     ["exact_match", "mean_token_logprob", "p_correct"]],
)  # fmt: skip
def test_task_figure_labels_stay_on_the_canvas(metrics, captured):
    params = np.geomspace(1e8, 1e11, 7)
    rows = []
    for metric in metrics:
        # long tick labels on both kinds of panel: 0.00-1.00 and -12000 ... -0.0001
        exact = metric.startswith("exact")
        values = np.linspace(0, 1, 7) if exact else -np.geomspace(12345.1, 1e-4, 7)
        rows += [{"family": "f", "params": p, "metric": metric, "value": v}
                 for p, v in zip(params, values, strict=True)]  # fmt: skip
    svg = figures.task_figure(pd.DataFrame(rows), metrics, {"f": 0}, "f1")
    (fig,) = captured
    assert _texts_outside(fig) == []
    # a narrow figure is not blown up to the column width: its text stays the same size
    width_pt = style.MAX_ZOOM * figures.PANEL_WIDTH * len(metrics) * 72
    assert f'style="max-width: {width_pt:.0f}pt"' in svg


@pytest.mark.parametrize("frontier,backtest", [(False, False), (True, False), (True, True)])
def test_scaling_figure_labels_stay_on_the_canvas(frontier, backtest, captured):
    n = np.geomspace(5e7, 5e9, 8)
    tokens = 20 * n
    loss = 1.8 + 400 / n**0.34 + 1000 / tokens**0.28
    data = pd.DataFrame({"params": n, "tokens": tokens, "flops": 6 * n * tokens, "loss": loss,
                         "predicted": loss, "residual": np.linspace(-0.012, 0.011, 8)})  # fmt: skip
    compute = np.geomspace(1e18, 1e22, 5)
    front = SimpleNamespace(compute=compute, n_opt=np.sqrt(compute / 120)) if frontier else None
    back = SimpleNamespace(y_true=loss[-3:], y_pred=loss[-3:] * 1.01) if backtest else None
    figures.scaling_figure(data, None, front, back, "s1")
    (fig,) = captured
    assert len(fig.axes) == 2 + frontier + backtest
    assert _texts_outside(fig) == []
    assert fig.axes[0].yaxis.label.get_text() == "loss"
