"""The scaling-law section: Chinchilla fits per family, with intervals, frontier and backtest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import figures, style
from .html import Cell, cell, esc, fmt_num, fmt_size, swatch, table

if TYPE_CHECKING:
    from ..analysis.result import Analysis
    from ..analysis.scaling_fit import ScalingFit


def scaling_section(analysis: Analysis) -> str:
    """Chinchilla fits per family: figure, parameters with intervals, frontier, backtest."""
    if not analysis.scaling:
        return (
            '<section id="scaling"><h2>Scaling laws</h2><p>No training losses were given, so '
            "no scaling law was fitted.</p></section>"
        )
    parts = [
        '<section id="scaling"><h2>Scaling laws</h2>',
        "<p>Chinchilla form L = E + A/N<sup>&alpha;</sup> + B/D<sup>&beta;</sup> per family. "
        "Left to right: losses (colour: compute, dark to light as it grows; key under each "
        "figure) with the fitted "
        "law drawn through the runs that share a compute budget or a token count (the note "
        "under each family says which); residuals; the compute-optimal number of "
        "parameters against compute (line) with the runs (grey) and, as a cross-check, the "
        "minima of parabolas fitted to each isoFLOP group (Approach 2; diamonds, hollow where "
        "the minimum lies outside the sizes tried); and, when there are enough runs, a "
        "backtest: the law fitted to the smaller budgets predicting the largest.</p>",
    ]
    for i, sf in enumerate(analysis.scaling):
        parts.append(f"<h3>{esc(sf.label)}</h3>")
        parts.extend(f'<p class="note">{esc(n)}</p>' for n in sf.notes)
        if sf.fit is None:
            continue
        svg = figures.scaling_figure(
            sf.data, sf.curves, sf.frontier, sf.backtest, f"s{i + 1}", isoflop=sf.isoflop,
            curve_kind=sf.curve_kind,
        )  # fmt: skip
        parts.append(f"<figure>{svg}</figure>")
        parts.append(_colour_key(sf))
        parts.append(f'<p class="note">{_lines_note(sf)}</p>')
        parts.append(_fit_tables(sf, analysis.settings.level))
    parts.append("</section>")
    return "".join(parts)


def _colour_key(sf: ScalingFit) -> str:
    """The key to the first two panels' colours: training compute, low to high (log scale)."""
    span = sf.compute_span()
    if span is None:
        return ""
    lo, hi = span
    ramp = figures.compute_ramp()
    if hi > lo:
        stops = ",".join(ramp)
        scale = (
            f"{esc(style.exp_label(lo, 2))} "
            f'<span class="ramp" style="background:linear-gradient(to right,{stops})"></span> '
            f"{esc(style.exp_label(hi, 2))} FLOP (log scale)"
        )
    else:  # one budget: one colour
        scale = f"{swatch(ramp[0])}{esc(style.exp_label(lo, 2))} FLOP (every run)"
    lines = {
        "compute": "; each line takes the colour of its budget",
        "tokens": "; the grey lines follow token counts, not compute",
    }.get(sf.curve_kind or "", "")
    return (
        f'<div class="legend"><span>Colour of the runs in the first two panels: training '
        f"compute, {scale}{lines}.</span></div>"
    )


def _lines_note(sf: ScalingFit) -> str:
    """What the lines of the first panel follow."""
    total = len(sf.data)
    k = sf.n_lines
    if not k:
        return (
            "No line in the first panel: no two runs of different sizes share a compute "
            "budget or a token count."
        )
    if sf.curve_kind == "tokens":
        what = (
            f"each of the {k} token counts shared by runs of two or more sizes (grey; N over "
            "the sizes trained on that many tokens, D fixed)"
        )
    else:
        what = (
            f"each of the {k} compute budgets (within 0.05 decades) shared by runs of two or "
            "more sizes (N over the sizes of the budget, D interpolated between the runs' own)"
        )
    return (
        f"Lines in the first panel: the fitted law along {what}; {sf.curve_runs} of {total} "
        "runs lie on a line."
    )


def _ci(boot: Any, key: str) -> tuple[object, object]:
    if boot is None or key not in boot.ci:
        return (np.nan, np.nan)
    return boot.ci[key]


PARAMETERS = ("E", "A", "B", "alpha", "beta")
OUTSIDE_MARK = "\u2020"  # dagger: a budget, N_opt or D_opt outside the fitted runs


def _param_order(name: str) -> int:
    return PARAMETERS.index(name) if name in PARAMETERS else len(PARAMETERS)


def _and(names: list[str]) -> str:
    names = [esc(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mark(outside: bool) -> str:
    return OUTSIDE_MARK if outside else ""


#: What a parameter on its bound means, per parameter of the Chinchilla law.
ON_BOUND = {
    "E": "E is effectively zero (its term adds nothing to the prediction at any run), so the "
    "fitted law has no irreducible loss",
    "A": "A is effectively zero (the A/N^alpha term adds nothing), so the law does not "
    "depend on model size",
    "B": "B is effectively zero (the B/D^beta term adds nothing), so the law does not "
    "depend on the tokens",
    "alpha": "alpha is at or below zero, so the size term does not decay",
    "beta": "beta is at or below zero, so the token term does not decay",
}


def _bound_note(flagged: dict[str, str], diag: Any, has_boot: bool) -> str:
    """What a parameter on its bound means for the estimate, its interval and the rest."""
    if not flagged:
        return ""
    names = sorted(flagged, key=_param_order)
    what = "; ".join(
        esc(ON_BOUND.get(n, f"{n} is on a bound of its domain"))
        if flagged[n] == "on bound"
        else f"{esc(n)} ran off (its term is degenerate)"
        for n in names
    )
    interval = (
        f"The interval{'s' if len(names) > 1 else ''} of {_and(names)} "
        f"{'are' if len(names) > 1 else 'is'} not a confidence interval (the estimate sits at "
        "an edge or the draws pile up at the bound). "
        if has_boot
        else ""
    )
    if names == ["E"]:
        # only the floor gone: the rest is a sum of two power laws, which runs can pin down
        # (simulated with a true E = 0 on 30 runs, the other parameters' 95 % intervals
        # covered their truth 97-98 % of the time), so their own intervals say how well
        rest = (
            "Without the floor the law is a sum of two power laws, which runs like these can "
            "determine: "
            + ("the intervals of the other parameters below say how well they do here, and "
               "the interval of E reads as reaching 0. "
               if has_boot else "a bootstrap would say how well they do here. ")
            + "With no irreducible loss the law keeps falling towards zero loss far beyond the "
            "runs, which no real model does, so read its extrapolations with that in mind. "
        )  # fmt: skip
    else:
        rest = (
            "With a term gone the law has fewer effective parameters than it reports: the "
            "others can trade off against one another with little change in the fit, so they "
            "are poorly determined, and the compute-optimal allocation below rests on a law "
            "these runs do not pin down (more sizes and token counts, or a law with fewer "
            "parameters, would be needed). "
        )
    return (
        f'<p class="note"><b>Read with care.</b> {what}. {interval}{rest}'
        f"<code>emergence fit chinchilla</code> reports the same fit with on_bound "
        f"{esc(', '.join(diag.on_bound) or '-')} and dead_terms "
        f"{esc(', '.join(diag.dead_terms) or '-')}.</p>"
    )


def _fit_tables(sf: ScalingFit, level: float) -> str:
    fit, boot = sf.fit, sf.bootstrap
    lvl = f"{100 * level:g} %"
    diag = fit.diagnostics
    flagged = sf.flagged_parameters()
    rows = []
    for name in PARAMETERS:
        lo, hi = _ci(boot, name)
        label = f"{esc(name)} ({esc(flagged[name])})" if name in flagged else esc(name)
        rows.append([Cell(label), Cell(fmt_num(fit.params.get(name), 4)),
                     Cell(fmt_num(lo, 4)), Cell(fmt_num(hi, 4))])  # fmt: skip
    status = "converged" if fit.converged else "did not converge"
    if flagged:
        status += f", but not to an interior solution ({_and(sorted(flagged, key=_param_order))} "
        status += "on a bound)" if diag.on_bound else "degenerate)"
    extra = f"; {esc('; '.join(diag.warnings))}" if diag.warnings else ""
    boot_note = "no bootstrap"
    if boot is not None:
        boot_note = f"{boot.n_boot} bootstrap resamples over runs"
        if boot.n_failed:
            # left out: a resample with too few distinct sizes or token counts, or a refit
            # that did not converge; the intervals are conditional on the rest
            boot_note += (
                f"; {boot.n_failed} could not be refitted (too few distinct runs drawn, or no "
                "convergence) and are left out of the intervals"
                + (", so read the intervals as too narrow" if sf.intervals_too_narrow else "")
            )
        if boot.n_degenerate:
            # kept in the intervals (leaving them out would cut off the tail they form)
            reading = boot.degenerate_reading(diag.dead_terms)
            boot_note += (
                f"; {boot.n_degenerate} converged to a law with a dead term and are kept in the "
                "intervals" + (f": more than the interval's tails; {reading}" if reading
                               else "")
            )  # fmt: skip
    out = [
        f"<p>{fit.n_points} runs; fit {status}{extra}; {esc(boot_note)}.</p>",
        _bound_note(flagged, diag, boot is not None),
        '<div style="display:flex;flex-wrap:wrap;gap:0 2rem">',
        "<div>" + table(["parameter", "estimate", f"{lvl} low", f"{lvl} high"], rows,
                        numeric=[False, True, True, True]) + "</div>",  # fmt: skip
    ]
    budgets = sf.frontier_budgets()
    if sf.frontier is not None:
        fr = sf.frontier
        alloc = []
        for key, label, value in (("a", "a (N_opt \u221d C^a)", fr.a),
                                  ("b", "b (D_opt \u221d C^b)", fr.b)):  # fmt: skip
            lo, hi = _ci(boot, key)
            alloc.append([cell(label), Cell(fmt_num(value, 3)), Cell(fmt_num(lo, 3)),
                          Cell(fmt_num(hi, 3))])  # fmt: skip
        out.append("<div>" + table(["allocation", "estimate", f"{lvl} low", f"{lvl} high"],
                                   alloc, numeric=[False, True, True, True]) + "</div>")
        budget_rows = []
        for f in budgets.rows.itertuples(index=False):
            budget_rows.append([
                Cell(style.exp_label(f.compute, 3) + _mark(f.compute_outside)),
                Cell(fmt_size(f.n_opt) + _mark(f.n_outside)),
                Cell(fmt_size(f.d_opt) + _mark(f.d_outside)),
                Cell(fmt_num(f.tokens_per_param, 3)), Cell(fmt_num(f.loss_opt, 4)),
            ])  # fmt: skip
        out.append("<div>" + table(["compute (FLOP)", "N_opt", "D_opt", "D/N", "loss"],
                                   budget_rows, numeric=[True] * 5) + "</div>")  # fmt: skip
    out.append("</div>")
    if budgets is not None and budgets.extrapolated:
        ranges = sf.run_ranges()
        (n_lo, n_hi), (d_lo, d_hi) = ranges["params"], ranges["tokens"]
        c_lo, c_hi = ranges["flops"]
        out.append(
            f'<p class="note">{OUTSIDE_MARK} outside the runs fitted (compute '
            f"{esc(style.exp_label(c_lo, 3))}&ndash;{esc(style.exp_label(c_hi, 3))} FLOP, "
            f"parameters {fmt_size(n_lo)}&ndash;{fmt_size(n_hi)}, tokens "
            f"{fmt_size(d_lo)}&ndash;{fmt_size(d_hi)}): the law is extrapolated there, and the "
            "optimum is only as good as that extrapolation.</p>"
        )
    if sf.isoflop is not None:
        iso = sf.isoflop
        used, left = sf.isoflop_inside, sf.isoflop_outside
        out.append(
            f"<p>Cross-check, Approach 2 ({used} isoFLOP minima"
            + (f"; {left} outside the sampled sizes left out" if left else "")
            + "): "
            f"a = {fmt_num(iso.n_opt.exponent)} (SE {fmt_num(iso.n_opt.exponent_se, 2)}), "
            f"b = {fmt_num(iso.d_opt.exponent)} (SE {fmt_num(iso.d_opt.exponent_se, 2)}).</p>"
        )
    if sf.backtest is not None:
        bt = sf.backtest
        out.append(
            f"<p>Backtest: fitted to the runs with 6ND below {esc(style.exp_label(bt.cut, 3))} "
            f"FLOP, it predicts the {len(bt.y_true)} larger runs with a largest relative error of "
            f"{esc(f'{100 * bt.max_abs_rel_error:.2f}')} %.</p>"
        )
    return "".join(out)
