"""The scaling-law section: flags, extrapolation marks, colour key and what the fit left out."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from report_fixtures import bundle

from emergence.analysis import scaling_fits
from emergence.report import figures
from emergence.report.methods import methods_html
from emergence.report.scaling import _bound_note, _fit_tables

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


def test_a_floor_on_its_bound_is_read_as_a_law_without_a_floor(no_floor):
    # E = 0 alone leaves two power laws the runs can determine: the note must agree with the
    # bootstrap line (the law sits on that edge), not call the whole law undetermined
    text = " ".join(_fit_tables(no_floor, 0.95).split())
    assert "Without the floor the law is a sum of two power laws" in text
    assert "the interval of E reads as reaching 0" in text
    assert "do not pin down" not in text and "poorly determined" not in text


def test_a_dead_power_law_term_is_read_as_an_undetermined_law():
    diag = SimpleNamespace(on_bound=("A",), dead_terms=("A",))
    text = " ".join(_bound_note({"A": "on bound"}, diag, True).split())
    assert "A is effectively zero" in text and "does not depend on model size" in text
    assert "poorly determined" in text and "these runs do not pin down" in text
    assert "sum of two power laws" not in text
    # E with another term gone is not the floor-only case
    both = _bound_note({"E": "on bound", "A": "on bound"}, diag, False)
    assert "poorly determined" in both and "sum of two power laws" not in both


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
    # the grid's loss does not depend on D: the full fit's B is dead too, so the degenerate
    # refits mark a law on that edge, not data that fail to pin it (which it said before)
    assert sf2.fit.diagnostics.dead_terms == ("B",)
    assert ("more than the interval&#x27;s tails; the full fit has B dead too: the law sits on "
            "that edge") in text
    assert "read the interval of B as reaching the edge (0 for a coefficient)" in text
    assert "do not pin the law" not in text
    methods = " ".join(methods_html(0, 0.05, 50, 0.95).split())
    assert "withheld where the fit cannot identify it" in methods
