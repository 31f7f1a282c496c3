"""Header, verdict and task sections of the report, rendered from an ``Analysis``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis.panels import CONTINUOUS, DISCONTINUOUS, panel_metrics, panel_mirage_curves
from ..analysis.verdicts import (
    located_thresholds,
    metrics_differ_by_family,
    reported_breakpoints,
    verdict_counts,
)
from ..detect.verdict import SCREEN_ALPHA
from . import figures, style
from .html import (
    DASH,
    Cell,
    badge,
    cell,
    esc,
    fmt_interval,
    fmt_num,
    fmt_p,
    fmt_size,
    is_missing,
    swatch,
    table,
)

if TYPE_CHECKING:
    from ..analysis.result import Analysis

OPEN_TASKS = 6  # with this many tasks or fewer, every task section starts open
MAX_LISTED = 12  # metric names listed for a task with nothing to draw


def natural_key(text: str) -> tuple:
    """Sort key that puts ``task_2`` before ``task_10``."""
    # isdecimal, not isdigit: "²" is a digit that int() rejects (and \d does not split off)
    return tuple(
        (0, int(part), "") if part.isdecimal() else (1, 0, part)
        for part in re.split(r"(\d+)", str(text))
    )


def task_order(text: str) -> tuple:
    """Natural order, ties (``t01`` and ``t1``) broken by the name: a total order.

    Without the tie-break, tied names keep the order of the set they came from, which changes
    with the per-process string hash.
    """
    return (natural_key(text), str(text))


def task_ids(tasks: Sequence[str]) -> dict[str, str]:
    """Stable, markup-safe element ids for task names (by natural sort position, not by name)."""
    return {t: f"task-{i + 1:04d}" for i, t in enumerate(sorted(set(tasks), key=task_order))}


def family_indices(families: Sequence[str]) -> dict[str, int]:
    """Colour index of each family, in sorted order."""
    return {f: i for i, f in enumerate(sorted(set(families)))}


# --- header --------------------------------------------------------------------------------------


def header_section(analysis: Analysis, command: str, versions: Mapping[str, str]) -> str:
    """What was analysed and how to reproduce it."""
    s = analysis.settings
    meta = [
        ("Toolkit", f"emergence {esc(s.version)}"),
        ("Libraries", esc(", ".join(f"{k} {v}" for k, v in versions.items()))),
        ("Seed", esc(s.seed)),
        ("Bootstrap", f"{esc(s.bootstrap)} resamples, {esc(f'{100 * s.level:g}')} % intervals"
         if s.bootstrap else "none (0 resamples): no bootstrap bands or intervals"),
        ("False-discovery rate", esc(f"{s.alpha:g}")),
        ("Exact match", "strict (strings compared as given)"
         if s.normalisation is None or not s.normalisation.active
         else esc("normalised: " + ", ".join(s.normalisation.option_names))),
        ("Verdicts from", f"<code>{esc(analysis.detect_source)}</code>"),
    ]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    files = table(
        ["file", "sha256", "bytes"],
        [
            [cell(f.path), Cell(esc(f.sha256), cls="hash"), cell(f"{f.size:,}")]
            for f in analysis.inputs
        ],
        numeric=[False, False, True],
    )
    return (
        '<section id="inputs"><h2>What was analysed</h2>'
        f"<p>Reproduce this report with</p><pre><code>{esc(command)}</code></pre>"
        f'<dl class="meta">{dl}</dl>'
        f"<h3>Input files</h3>{files if analysis.inputs else '<p>(tables given directly)</p>'}"
        f"<h3>Model families</h3>{_families_table(analysis)}"
        f"{_models_details(analysis)}</section>"
    )


def _families_table(analysis: Analysis) -> str:
    overview = analysis.family_overview()
    rows = []
    for r in overview.rows.itertuples(index=False):
        rows.append([
            cell(r.family),
            cell(r.models),
            Cell(fmt_interval(r.params_low, r.params_high) if r.models else "&ndash;"),
            cell(r.tasks),
            Cell(fmt_interval(r.items_low, r.items_high, lambda v: f"{int(v):,}")
                 if not is_missing(r.items_low) else "&ndash;"),
            cell(r.runs),
        ])  # fmt: skip
    trained_note = ""
    if overview.models_from_losses:
        which = (
            "its"
            if overview.n_families == 1
            else f"their ({esc(', '.join(overview.models_from_losses))})"
        )
        trained_note = (
            f" With no evaluations, a family's models are the sizes of {which} training runs "
            "with losses, one model per size."
        )
    tasks = overview.tasks
    tasks_text = _count(tasks.names, "task")
    if tasks.split:  # the sections and the column count each subtask and shot count apart
        tasks_text += f" ({tasks.variants:,} with subtasks and shot counts apart)"
    summary = (
        f"<p>{_count(overview.n_families, 'family', 'families')}, "
        f"{_count(overview.n_models, 'model')}, {tasks_text}, "
        f"{_count(overview.n_items, 'item')} (summed over families and tasks).{trained_note}</p>"
    )
    tasks_title = "tasks (subtasks and shot counts apart)" if tasks.split else "tasks"
    return summary + table(
        ["family", "models", "sizes", tasks_title, "items per task", "training runs with losses"],
        rows,
        numeric=[False, True, False, True, False, True],
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _models_details(analysis: Analysis) -> str:
    parts = []
    for fam, m in analysis.models.groupby("family", sort=True):
        names = ", ".join(
            f"{esc(r.model)} ({fmt_size(r.params)})" for r in m.itertuples(index=False)
        )
        parts.append(f"<p><b>{esc(fam)}</b>: {names}</p>")
    if not parts:
        return ""
    return f"<details><summary>Models and sizes</summary>{''.join(parts)}</details>"


# --- verdict table ------------------------------------------------------------------------------


def verdict_section(analysis: Analysis, ids: Mapping[str, str]) -> str:
    """Counts per verdict and the sortable table, one row per (family, task)."""
    v = analysis.verdicts
    if v.empty:
        return (
            '<section id="verdicts"><h2>Verdicts</h2><p>No task has a discontinuous metric '
            "(exact match or multiple-choice grade), so there is nothing to test.</p></section>"
        )
    alpha = analysis.settings.alpha
    chips = "".join(f"<span>{badge(k)} {n}</span>" for k, n in verdict_counts(v).items())
    shown = reported_breakpoints(v)["params"].tolist()
    rows = []
    for r, breakpoint in zip(v.itertuples(index=False), shown, strict=True):
        link = f'<a href="#{ids[r.task]}">{esc(r.task)}</a>'
        rows.append([
            cell(r.family),
            Cell(link, str(r.task)),
            Cell(badge(r.verdict), str(r.verdict)),
            cell(r.n_scales),
            cell(_int_or_dash(r.n_items), r.n_items),
            Cell(fmt_p(r.discontinuous_pvalue, SCREEN_ALPHA), _sort(r.discontinuous_pvalue)),
            Cell(fmt_p(r.continuous_pvalue, alpha), _sort(r.continuous_pvalue)),
            Cell(fmt_p(r.q_value, alpha), _sort(r.q_value)),
            Cell("&ndash;" if is_missing(breakpoint) else _located(r), _sort(breakpoint)),
            cell(r.note, cls="text"),
        ])  # fmt: skip
    header = [
        "family", "task", "verdict", "scales", "items", "p (discontinuous)",
        "p (continuous)", "q", "breakpoint [interval]", "note",
    ]  # fmt: skip
    body = table(
        header, rows, cls="sortable wide",
        numeric=[False, False, False, True, True, True, True, True, False, False],
    )  # fmt: skip
    return (
        '<section id="verdicts"><h2>Verdicts</h2>'
        f'<div class="counts">{chips}</div>'
        "<p>One row per family and task; click a column title to sort, a task to see its "
        "figures. <i>p (discontinuous)</i> is the screen for an accelerating rise of the "
        "discontinuous metric, <i>p (continuous)</i> the test for an upward break in the "
        "continuous companion and <i>q</i> its Benjamini&ndash;Hochberg adjustment across "
        f"tasks (see Methods). p- and q-values are given to three significant digits, as in "
        f"the notes, with more where fewer would round onto the level they are compared with "
        f"(the screen's {esc(f'{SCREEN_ALPHA:g}')}, the false-discovery rate "
        f"{esc(f'{alpha:g}')}).</p>"
        f"{body}</section>"
    )


def _sort(value: object) -> str:
    from .html import sort_key

    return sort_key(None if is_missing(value) else float(value))


def _int_or_dash(value: object) -> str:
    return "\u2013" if is_missing(value) else f"{int(value):,}"


def _located(r: Any) -> str:
    if is_missing(r.breakpoint_params):
        return "&ndash;"
    return (
        f"{fmt_size(r.breakpoint_params)} "
        f"{fmt_interval(r.breakpoint_ci_low, r.breakpoint_ci_high)}"
    )


# --- per-task sections ----------------------------------------------------------------------------


def task_sections(
    analysis: Analysis, ids: Mapping[str, str], family_index: Mapping[str, int]
) -> str:
    """One collapsible section per task: figure, legend and test statistics per family."""
    scores = analysis.scores
    if scores.empty:  # the section stays: the navigation links to it
        return (
            '<section id="tasks"><h2>Tasks</h2><p>No task: the inputs hold no item-level '
            "results or scores, only training losses.</p></section>"
        )
    by_task = dict(tuple(scores.groupby("task", sort=True)))
    curves = analysis.mirage
    curves_by_task = dict(tuple(curves.groupby("task", sort=True))) if curves is not None else {}
    verdicts_by_task = dict(tuple(analysis.verdicts.groupby("task", sort=True)))
    stats = {
        (row["family"], row["task"]): row for row in analysis.statistics.to_dict(orient="records")
    }
    open_attr = " open" if len(ids) <= OPEN_TASKS else ""
    canvases = figures.Canvases()
    s = analysis.settings
    bands = (
        f"with {esc(f'{100 * s.level:g}')} % item-bootstrap bands (for aggregate scores, the "
        "intervals the input gives, or &plusmn;z standard errors where it gives only a "
        "standard error)"
        if s.bootstrap
        else "(no bootstrap was run: bands only where the input gives intervals or standard "
        "errors of aggregate scores)"
    )
    parts = [
        '<section id="tasks"><h2>Tasks</h2>',
        "<p>Each task under its discontinuous metric (left) and continuous metrics computed "
        "on the same items, against model size on a log scale. Solid lines: observed means "
        f"{bands}. Dashed, on the exact-match panel: the exact match the mirage model "
        "predicts from the per-token probabilities (p<sup>L</sup>), with the band (dotted "
        "outline) the observed curve must stay in for a mirage. Dotted vertical line and "
        f"shaded span: the breakpoint and {_interval_words(s.bootstrap)}, drawn only where "
        "the verdict is <i>threshold</i>.</p>",
        '<p class="toolbar"><button type="button" id="expand-all">Expand all</button>'
        '<button type="button" id="collapse-all">Collapse all</button></p>',
    ]
    for n, (task, tid) in enumerate(sorted(ids.items(), key=lambda kv: kv[1])):
        frame = by_task.get(task, scores.iloc[0:0])
        verdicts = verdicts_by_task.get(task, analysis.verdicts.iloc[0:0])
        badges = " ".join(
            f'<span class="note">{esc(r.family)}</span>{badge(r.verdict)}'
            for r in verdicts.itertuples(index=False)
        )
        panels = panel_metrics(frame, verdicts)
        metrics = list(panels.metrics)
        if not metrics:  # nothing to draw: say what the task has, never fail
            parts.append(
                f'<details class="task" id="{tid}"{open_attr}><summary>{esc(task)} {badges}'
                f"</summary>{_no_panel_note(frame)}{_task_stats(verdicts, stats, s.alpha)}"
                "</details>"
            )
            continue
        first_discontinuous = panels.discontinuous_first
        frame = frame[frame["metric"].isin(metrics)]
        fams = sorted(set(frame["family"].tolist()))
        breakpoints = [
            figures.Breakpoint(family_index[r.family], r.params, r.low, r.high)
            for r in located_thresholds(verdicts).itertuples(index=False)
        ]
        svg = figures.task_figure(
            frame, metrics, family_index, prefix=f"f{n + 1}",
            curves=panel_mirage_curves(curves_by_task.get(task), verdicts, metrics[0]),
            breakpoints=breakpoints, canvases=canvases, discontinuous_first=first_discontinuous,
        )  # fmt: skip
        legend = _legend(fams, family_index)
        only_continuous = (
            ""
            if first_discontinuous
            else '<p class="note">No discontinuous metric (exact match or multiple-choice '
            "grade): the panels show continuous metrics only.</p>"
        )
        parts.append(
            f'<details class="task" id="{tid}"{open_attr}><summary>{esc(task)} {badges}'
            f'</summary>{only_continuous}<div class="legend">{legend}</div><figure>{svg}</figure>'
            f"{_task_stats(verdicts, stats, s.alpha)}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _no_panel_note(frame: pd.DataFrame) -> str:
    """Why a task has no figure: which metrics it has, none of which the report can draw."""
    names = sorted(set(frame["metric"].astype(str).tolist()), key=task_order)
    shown = ", ".join(f"<code>{esc(m)}</code>" for m in names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        shown += f" and {len(names) - MAX_LISTED} more"
    has = f"its metrics ({shown}) include" if names else "it has no scores, so it has"
    return (
        f'<p class="note">No figure: {has} none that the report can draw or the detect stage '
        "can test, that is, no discontinuous metric (exact match or multiple-choice grade: "
        f"{esc(', '.join(DISCONTINUOUS))}) and no continuous metric of the same items "
        f"({esc(', '.join(CONTINUOUS))}).</p>"
    )


def _interval_words(bootstrap: int) -> str:
    """What the breakpoint's interval is, given the number of bootstrap resamples."""
    if bootstrap:
        return (
            f"its interval (over {bootstrap} item-bootstrap resamples; the two sizes "
            "bracketing the break for aggregate scores)"
        )
    return "its interval (the two sizes bracketing the break: no bootstrap was run)"


def _legend(families: Sequence[str], family_index: Mapping[str, int]) -> str:
    parts = []
    for f in families:
        k = family_index[f]
        sample = swatch(style.family_colour(k), style.family_linestyle(k))
        parts.append(f"<span>{sample}{esc(f)}</span>")
    return "".join(parts)


def _tested_on(r) -> str:
    """``exact match / token edit distance``: the metrics a family's two tests used."""
    d = figures.METRIC_TITLES.get(r.discontinuous_metric, str(r.discontinuous_metric))
    c = r.continuous_metric
    return f"{d} / {figures.METRIC_TITLES.get(c, str(c)) if isinstance(c, str) else 'none'}"


def _widths(r, bound: bool = False) -> str:
    """Observed / predicted Gompertz width of the exact-match rise, or a dash; ``bound``: the
    observed width is the gap the rise fits in, an upper bound ("<= gap")."""
    obs = getattr(r, "em_width_decades", None)
    pred = getattr(r, "mirage_width_decades", None)
    if is_missing(obs):
        return DASH
    at_most = "\u2264 " if bound else ""
    return f"{at_most}{fmt_num(obs, 2)} / {fmt_num(pred, 2)}"


def _task_stats(verdicts: pd.DataFrame, stats: Mapping[tuple, dict], alpha: float) -> str:
    if verdicts.empty:
        return '<p class="note">No verdict: the task has no discontinuous metric.</p>'
    # families of one task can be tested on different metrics (an API model without log-probs
    # gets token edit distance): then each row names its own, and the caption none
    mixed = metrics_differ_by_family(verdicts)
    rows = []
    for r in verdicts.itertuples(index=False):
        ev = stats.get((r.family, r.task), {})
        get = ev.get
        rows.append([
            cell(r.family),
            Cell(badge(r.verdict)),
            *([cell(_tested_on(r))] if mixed else []),
            cell(r.n_scales),
            cell(_int_or_dash(r.n_items)),
            Cell(fmt_p(r.discontinuous_pvalue, SCREEN_ALPHA)),
            Cell(fmt_p(getattr(r, "rise_pvalue", float("nan")), SCREEN_ALPHA)),
            Cell(fmt_p(r.continuous_pvalue, alpha)),
            Cell(fmt_p(r.q_value, alpha)),
            Cell(fmt_num(get("breakthroughness"))),
            Cell(fmt_interval(get("jump_low_params"), get("jump_high_params"))),
            Cell(_located(r)),
            Cell(fmt_num(get("mirage_max_z"))),
            Cell(_widths(r, bool(get("em_width_is_bound")))),
        ])  # fmt: skip
    if mixed:
        d_title = "each family's discontinuous metric"
        c_title = "its continuous companion (column: tested on)"
    else:
        first = verdicts.iloc[0]
        d_name = first["discontinuous_metric"]
        d_title = figures.METRIC_TITLES.get(d_name, "the discontinuous metric")
        c_name = first["continuous_metric"]
        c_title = (
            figures.METRIC_TITLES.get(c_name, "the continuous companion")
            if isinstance(c_name, str)
            else "the continuous companion (none for this task)"
        )
    header = [
        "family", "verdict", *(["tested on (screen / break)"] if mixed else []), "scales", "items",
        "screen p", "rise p", "break p", "q", "breakthrough", "jump (10-90 %)",
        "breakpoint [interval]", "mirage max |z|", "rise width: EM / p^L",
    ]  # fmt: skip
    num = [False, False, *([False] if mixed else []), *[True] * 11]
    caption = (
        f'<p class="note">Screen p: acceleration of {esc(d_title)}; rise p: its highest value '
        "against its lowest, in binomial noise (Fisher; with item counts step 1 needs both at "
        f"or below {esc(f'{SCREEN_ALPHA:g}')}, or a sharp jump in place of the screen p); "
        f"break p: upward break in {esc(c_title)} (linearised); breakthrough: BIG-bench "
        "breakthroughness (a straight line scores scales - 1); jump: sizes where the "
        "discontinuous metric covers 10-90 % of its rise; mirage max |z|: largest "
        "standardised gap between observed and predicted exact match; rise width: 10-90 % "
        "width in decades of a Gompertz curve fitted to exact match, and the width smooth "
        "per-token improvement predicts (1.34 / alpha of a power law fitted to the loss; "
        "descriptive).</p>"
    )
    notes = [str(n) for n in verdicts["note"].tolist()]
    body = table(header, rows, numeric=num, row_notes=notes)
    return caption + '<div class="scroll">' + body + "</div>"
