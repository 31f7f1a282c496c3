"""Findings of the report reviews: what the page says must be what the stages found."""

from __future__ import annotations

import inspect
import re

import html5lib
import numpy as np
import pandas as pd
import pytest
from report_fixtures import bundle

from emergence.analysis import analyse, scaling_fits
from emergence.load import Tables
from emergence.report import figures, render_report
from emergence.report.html import fmt_p
from emergence.report.methods import methods_html
from emergence.report.scaling import _fit_tables


def _strict(text: str):
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def _section(text: str, task: str) -> str:
    """The <details> of one task (by its summary text)."""
    match = re.search(
        rf'<details class="task" id="[^"]+"[^>]*><summary>{re.escape(task)} .*?</details>',
        text,
        re.S,
    )
    assert match, task
    return match.group(0)


# --- a task with no metric the report can draw (lm-eval crows_pairs: a crash) ---------------


@pytest.fixture(scope="module")
def odd_metrics() -> tuple:
    """lm-eval-like scores: a graded task, one with unregistered metrics only, one continuous."""
    rows = []
    for k, n in enumerate(np.geomspace(7e7, 1.2e10, 8)):
        for task, metric, value in (
            ("graded", "acc", 0.25 + 0.05 * k),
            ("graded", "target_logprob", -3.0 + 0.2 * k),
            ("crows_pairs", "likelihood_difference", 3.0 - 0.1 * k),
            ("crows_pairs", "pct_stereotype", 0.6),
            ("scored", "target_logprob", -3.0 + 0.2 * k),
        ):
            rows.append({"family": "f", "model": f"m{k}", "params": n, "task": task,
                         "metric": metric, "value": value, "n_items": 500})  # fmt: skip
    a = analyse(Tables(scores=pd.DataFrame(rows), sources=()), seed=0, bootstrap=0)
    return a, render_report(a)


def test_task_without_a_drawable_metric_gets_a_section_not_a_traceback(odd_metrics):
    a, text = odd_metrics
    _strict(text)
    assert set(a.verdicts["task"]) == {"graded", "crows_pairs", "scored"}
    crows = _section(text, "crows_pairs")
    assert "<svg" not in crows
    assert "<code>likelihood_difference</code>, <code>pct_stereotype</code>" in crows
    assert "none that the report can draw or the detect stage can test" in crows
    assert "underpowered" in crows  # its verdict row is still there
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    links = set(re.findall(r'href="#([^"]+)"', text))
    assert links <= ids  # the verdict table's link to crows_pairs has its target


def test_a_task_without_a_discontinuous_metric_is_not_titled_discontinuous(odd_metrics):
    _, text = odd_metrics
    scored = _section(text, "scored")
    assert "log p(target), nats (continuous)" in scored
    assert "(discontinuous)" not in scored
    assert "the panels show continuous metrics only" in scored
    assert "accuracy (acc) (discontinuous)" in _section(text, "graded")


# --- Methods: every reason detect gives for "underpowered" ------------------------------------

def _reason(n: int = 8, **kw) -> str:
    """The underpowered reason detect's evidence step gives for a curve over ``n`` scales."""
    from emergence.detect.verdict import assess_task

    x = np.linspace(8, 10, n)
    # an emergent-looking rise: a curve that does not look emergent needs no companion (smooth)
    disc = kw.pop("disc", 0.6 * np.linspace(0.0, 1.0, n) ** 4)
    companion = kw.pop("companion", -np.linspace(3.0, 1.0, n))
    return assess_task(x, disc, companion, **kw).underpowered_reason


def test_methods_list_every_underpowered_reason_detect_gives():
    from emergence.detect import tables, verdict

    censored = np.where(np.arange(8) < 5, np.nan, 1.0)
    partly = np.where(np.arange(8) < 3, np.nan, 1.0)
    reasons = {  # what detect says -> how Methods says it
        _reason(4): "fewer than six model sizes",
        _reason(n_items=10): "fewer than fifty items per size",
        _reason(disc=np.ones(8)): "the same value at every size",
        _reason(companion=None): "no continuous companion",
        _reason(companion=censored): "censored at half or more of the sizes",
        _reason(companion=partly): "fewer than six remain",
    }
    assert all(reasons) and len(reasons) == 6, reasons
    # the reasons decided later, after the tests, and those of the table step
    source = inspect.getsource(verdict._decide) + inspect.getsource(tables._assess)
    for marker, said in (
        ("no discontinuous metric (exact match", "no discontinuous metric"),
        ("missing at", "one missing at some sizes"),
        ("rises at the edge of the scales", "rises at the edge of the sizes"),
        ("the test has power", "a test too weak to rule out a jump"),
    ):
        assert marker in source, f"detect no longer says {marker!r}: update Methods"
        reasons[marker] = said
    assert inspect.getsource(verdict._decide).count('"underpowered"') == 3  # evidence, edge, power
    text = " ".join(methods_html(0, 0.05, 100, 0.95).split())
    for reason, said in reasons.items():
        assert said in text, (reason, said)
    # the numbers Methods quotes are detect's defaults
    params = inspect.signature(tables.detect).parameters
    assert (params["min_scales"].default, params["min_items"].default) == (6, 50)


# --- a Chinchilla parameter on its bound ------------------------------------------------------


@pytest.fixture(scope="module")
def no_floor() -> object:
    """A law without irreducible loss (E = 0): the fit puts E on its bound."""
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e6, 1e8, 5), np.geomspace(1e8, 1e10, 4)))
    loss = (400 / n**0.34 + 400 / d**0.28) * np.exp(np.random.default_rng(0).normal(0, 0.01, 20))
    losses = pd.DataFrame({"family": "f", "params": n, "tokens": d, "flops": 6 * n * d,
                           "loss": loss})  # fmt: skip
    (sf,) = scaling_fits(losses, seed=0, bootstrap=40)
    assert sf.fit.diagnostics.on_bound == ("E",)
    return sf


def test_parameter_on_its_bound_is_flagged_where_the_fit_is_reported(no_floor):
    text = " ".join(_fit_tables(no_floor, 0.95).split())
    assert "fit converged, but not to an interior solution (E on a bound)" in text
    assert "<td>E (on bound)</td>" in text
    assert "E is effectively zero" in text and "no irreducible loss" in text
    assert "The interval of E is not a confidence interval" in text
    assert "on_bound E and dead_terms E" in text


def test_interior_fit_has_no_bound_flag():
    (sf,) = bundle().analysis.scaling
    assert sf.fit.diagnostics.on_bound == ()
    text = _fit_tables(sf, 0.95)
    assert "on bound" not in text and "Read with care" not in text


def test_compute_optimal_sizes_outside_the_fitted_runs_are_flagged(no_floor):
    text = _fit_tables(no_floor, 0.95)
    cells = r"<tr><td class=\"num\">([0-9.e]+)(\u2020?)</td><td class=\"num\">([^<]*)</td>"
    rows = re.findall(cells, text)
    assert len(rows) == 5
    lo, hi = no_floor.data["params"].min(), no_floor.data["params"].max()
    c_lo, c_hi = no_floor.data["flops"].min(), no_floor.data["flops"].max()
    fr = no_floor.frontier
    idx = np.unique(np.linspace(0, len(fr.compute) - 1, 5).round().astype(int))
    for (_, c_mark, n_cell), k in zip(rows, idx, strict=True):
        assert n_cell.endswith("\u2020") == (not lo <= fr.n_opt[k] <= hi)
        # a budget beyond the runs' compute is extrapolated even where N_opt is not
        assert (c_mark == "\u2020") == (not c_lo <= fr.compute[k] <= c_hi)
    assert any(n.endswith("\u2020") for *_, n in rows)  # the grid reaches beyond the runs
    assert rows[-1][1] == "\u2020"
    assert "\u2020 outside the runs fitted (compute " in text
    assert "parameters 1M&ndash;100M" in text


# --- p- and q-values: the precision of the notes, never rounded onto the level ------------------


def test_p_values_have_the_notes_precision_and_never_round_onto_the_level():
    assert fmt_p(0.003598, 0.05) == "0.0036"  # the note says q = 0.0036
    assert fmt_p(0.143928, 0.05) == "0.144"
    assert fmt_p(0.05015890, 0.05) == "0.0502"  # not "0.050" beside an FDR of 0.05
    assert fmt_p(0.04996, 0.05) == "0.04996"  # not "0.05" (nor "0.0500")
    assert fmt_p(0.05, 0.05) == "0.05"
    assert fmt_p(0.03746, 0.03747) == "0.03746"  # "0.0375" would lie above the level
    assert fmt_p(7.007822e-05, 0.05) == "7.01e-05"
    assert fmt_p(1.0, 0.05) == "1" and fmt_p(float("nan"), 0.05) == "\u2013"


def test_table_values_read_as_the_notes_beside_them():
    text = bundle().html
    table = text[text.index('<section id="verdicts"') : text.index('<section id="tasks"')]
    checked = 0
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        note = cells[9]  # family, task, verdict, scales, items, p (disc.), p (cont.), q, bp
        for name, column in (("screen p", 5), ("q", 7)):
            said = re.search(rf"\b{name} = ([0-9.e+-]*[0-9])", note)
            if said:
                assert cells[column] == said.group(1), (name, cells)
                checked += 1
    assert checked >= 2


# --- the reproduce command names the data read ------------------------------------------------


def test_reproduce_command_names_the_default_data(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from emergence import cli
    from emergence.commands import report as report_cmd

    monkeypatch.setitem(cli.COMMANDS, "report", "emergence.commands.report:report")
    data = bundle().data_dir
    monkeypatch.setattr(report_cmd, "default_data", lambda: data)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "d.html"
    args = ["--quiet", "report", "-o", str(out), "--seed", "3", "--bootstrap", "0"]
    result = CliRunner().invoke(cli.cli, args)
    assert result.exit_code == 0, result.output
    assert f"emergence report {data} -o {out} --seed 3" in out.read_text(encoding="utf-8")


# --- the scaling figures' colour key and titles -------------------------------------------------


def test_scaling_figures_have_a_colour_key_and_say_what_the_lines_follow():
    from emergence.report.scaling import _colour_key

    (sf,) = bundle().analysis.scaling
    key = _colour_key(sf)
    flops = sf.data["flops"]
    from emergence.report.style import exp_label

    assert "training compute" in key and 'class="ramp"' in key
    assert f"{exp_label(flops.min(), 2)} " in key and f"{exp_label(flops.max(), 2)} FLOP" in key
    assert key in bundle().html
    for kind, words in (("tokens", "token counts"), ("compute", "budgets")):
        svg = figures.scaling_figure(sf.data, sf.curves, sf.frontier, None, "s1", curve_kind=kind)
        assert f"loss vs parameters; lines: {words}" in svg
        assert "by compute" not in svg
    tokens_key = _colour_key(type(sf)(sf.family, sf.data, curve_kind="tokens"))
    assert "the grey lines follow token counts, not compute" in tokens_key


# --- a losses-only report counts the models trained ---------------------------------------------


def test_losses_only_report_counts_the_models_of_the_runs():
    from pathlib import Path

    import emergence
    from emergence.report.sections import _families_table

    path = Path(__file__).resolve().parents[2] / "benchmarks_data" / "trained" / "losses.csv"
    losses = emergence.load(path).losses
    a = analyse(Tables(losses=losses, sources=()), seed=0, bootstrap=0)
    text = _families_table(a)
    sizes = losses["params"].nunique()
    assert (len(losses), sizes) == (19, 7)  # the review's case: 19 runs of 7 sizes
    assert "1 family, 7 models, 0 tasks, 0 items" in text
    assert "the sizes of its training runs with losses, one model per size" in text
    row = re.search(r"<tbody><tr>(.*?)</tr>", text).group(1)
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
    assert cells[:3] == ["tiny-gpt", "7", "[3.7K, 1.2M]"] and cells[-1] == "19"
    # with evaluations the models are those evaluated, and no such note
    assert "one model per size" not in _families_table(bundle().analysis)


def test_fixed_tokens_per_parameter_and_dead_term_draws_are_reported():
    """A family trained at 20 tokens per parameter: no compute-optimal frontier, and why. A
    loss with no data term: the report counts the bootstrap refits with a dead term, as
    `emergence fit chinchilla` does (the report showed the intervals without saying so)."""
    rng = np.random.default_rng(0)
    n = np.geomspace(5e7, 5e9, 8)
    loss = (1.8 + 400 / n**0.34 + 1000 / (20 * n) ** 0.28) * np.exp(rng.normal(0, 0.01, 8))
    fixed = pd.DataFrame({"family": "f", "params": n, "tokens": 20 * n, "loss": loss})
    (sf,) = scaling_fits(fixed, bootstrap=0)
    assert sf.frontier is None
    assert any("tokens per parameter fixed at about 20" in note for note in sf.notes)
    n2 = np.repeat(np.geomspace(1e7, 1e9, 5), 4)
    d2 = np.tile(np.geomspace(1e9, 1e11, 4), 5)
    loss2 = (1.7 + 400 / n2**0.34) * np.exp(rng.normal(0, 0.005, n2.size))
    (sf2,) = scaling_fits(pd.DataFrame({"family": "g", "params": n2, "tokens": d2,
                                        "loss": loss2}), seed=0, bootstrap=50)  # fmt: skip
    text = " ".join(_fit_tables(sf2, 0.95).split())
    assert f"{sf2.bootstrap.n_degenerate} converged to a law with a dead term" in text
    assert "the data do not pin the law down" in text
    methods = " ".join(methods_html(0, 0.05, 50, 0.95).split())
    assert "withheld where the fit cannot identify it" in methods
