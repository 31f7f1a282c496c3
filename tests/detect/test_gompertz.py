"""Gompertz width check (changepoint.md Sec. 3.2): closed form, fixture C, and what it flags."""

from __future__ import annotations

import numpy as np
import pytest
from detect_fixtures import xy

from emergence.detect.gompertz import GOMPERTZ_SPAN, gompertz_width
from emergence.errors import InputError

X = np.arange(7.0, 12.5, 0.5)


def _ce(alpha: float = 0.35) -> np.ndarray:
    return (10**X / 1e8) ** -alpha


def test_closed_form_width():
    # W = (ln(-ln 0.1) - ln(-ln 0.9)) / (|alpha| ln 10) = 1.3396 / |alpha|, any answer length
    assert GOMPERTZ_SPAN / np.log(10) == pytest.approx(1.3396, abs=1e-4)  # 1.33954
    for alpha in (0.2, 0.35, 0.6):
        for length in (1, 5, 12):
            r = gompertz_width(X, np.exp(-length * _ce(alpha)), _ce(alpha))
            assert r.observed == pytest.approx(1.33954 / alpha, rel=1e-4)
            assert r.predicted == pytest.approx(1.33954 / alpha, rel=1e-4)
            assert r.ratio == pytest.approx(1.0, rel=1e-4)


def test_a_loss_floor_caps_exact_match_but_keeps_the_width():
    # CE = E + A N^-alpha: EM = exp(-L E) exp(-L A N^-alpha), a Gompertz curve with ceiling
    # exp(-L E) and the same rate; -ln CE is curved, the width is not
    ce = 0.3 + _ce(0.35)
    r = gompertz_width(X, np.exp(-4 * ce), ce)
    assert r.observed == pytest.approx(3.827, abs=0.01)
    assert r.ratio == pytest.approx(1.0, abs=0.01)


def test_fixture_c_gives_the_documented_3_83_decades():
    # changepoint.md 3.2: alpha = -0.35 gives 3.83 decades, matching fixture C (EM and the
    # per-token log-prob of the same noise-free toy model, rounded to 6 decimals)
    x, em = xy("C_mirage_EM_n11")
    x2, logp = xy("C_mirage_logp_n11")
    assert np.array_equal(x, x2)
    r = gompertz_width(x, em, -logp)
    assert r.observed == pytest.approx(3.83, abs=0.01)
    assert r.predicted == pytest.approx(3.83, abs=0.01)
    assert r.ratio == pytest.approx(1.0, abs=0.01)


def test_mixed_items_widen_the_rise():
    # the mean of p^L over items of different lengths is wider than any one Gompertz curve
    ce = _ce()
    em = np.mean([np.exp(-length * ce) for length in (1, 4, 15)], axis=0)
    assert gompertz_width(X, em, ce).ratio > 1.2


def test_a_jump_sharper_than_p_to_the_l_is_narrow():
    ce = _ce()
    em = 0.02 + 0.9 / (1 + np.exp(-(X - 9.6) / 0.08))  # a 0.35-decade rise on a smooth CE
    r = gompertz_width(X, em, ce)
    # narrower than the 0.5-decade gap around it: only bounded by the gap (changepoint.md 4.8)
    assert not r.resolved and r.observed == pytest.approx(0.5) and r.ratio < 0.15
    wide = gompertz_width(X, 0.02 + 0.9 / (1 + np.exp(-(X - 9.6) / 0.5)), ce)
    assert wide.resolved and wide.observed == pytest.approx(2.2, abs=0.3)


def test_table_columns():
    # detect reports both widths for exact match with a log-prob companion, descriptively
    from emergence.detect.tables import detect
    from emergence.simulate import simulate_tasks

    sim = simulate_tasks([("mirage", 10, 300, (4, 6)), ("threshold", 10, 300, (4, 6))], 3)
    v = detect(sim.items, bootstrap=0, seed=3).verdicts
    assert {"em_width_decades", "mirage_width_decades"} <= set(v.columns)
    mirage = v.iloc[0]
    assert mirage.verdict == "mirage"
    assert 0.8 < mirage.em_width_decades / mirage.mirage_width_decades < 2.0


def test_a_width_that_is_only_bounded_says_so_in_its_note_and_report_cell():
    # statistical review: a rise within one gap showed the gap as if it were the width
    from dataclasses import replace
    from types import SimpleNamespace

    from emergence.detect.notes import _width_note
    from emergence.report.sections import _widths

    ce = _ce()
    narrow = gompertz_width(X, 0.02 + 0.9 / (1 + np.exp(-(X - 9.6) / 0.08)), ce)
    ev = SimpleNamespace(width=narrow)
    assert _width_note(ev) == (
        " (exact match rises within one gap between scales: em_width_decades, 0.5, is that "
        "gap, an upper bound on the width)"
    )
    assert _width_note(SimpleNamespace(width=replace(narrow, resolved=True))) == ""
    assert _width_note(SimpleNamespace(width=None)) == ""
    # review: with a reason for the missing mirage width the bound was not said
    failed = replace(narrow, predicted=np.nan, reason="no mirage width: the fit failed")
    assert _width_note(SimpleNamespace(width=failed)) == (
        " (no mirage width: the fit failed; exact match rises within one gap between scales: "
        "em_width_decades, 0.5, is that gap, an upper bound on the width)"
    )
    row = SimpleNamespace(em_width_decades=0.5, mirage_width_decades=2.3)
    assert _widths(row, bound=True) == "\u2264 0.5 / 2.3" and _widths(row) == "0.5 / 2.3"


def test_too_few_scales_and_bad_input():
    few = gompertz_width(X[:4], np.r_[0.0, 0.1, 0.5, 0.9], _ce()[:4])
    assert few.n_scales == 4 and np.isnan(few.ratio)
    flat = gompertz_width(X, np.zeros(X.size), _ce())
    assert np.isnan(flat.ratio)
    with pytest.raises(InputError):
        gompertz_width(X, np.ones(X.size - 1), _ce())


def _fit_with(converged: bool):
    """A stand-in for the loss fit: alpha = 0.35 (3.83 decades), converged or not."""
    from emergence.fit.mirage_fit import PowerLawFit

    def fit(x, y, with_floor=True):
        return PowerLawFit(0.0, 1.0, 0.35, 1e9, int(np.size(x)), 0.0, with_floor,
                           converged=converged)  # fmt: skip

    return fit


def test_an_unconverged_loss_fit_gives_no_predicted_width(monkeypatch):
    import emergence.detect.gompertz as gompertz

    em, ce = np.exp(-5 * _ce()), _ce()
    monkeypatch.setattr(gompertz, "fit_ce_power_law", _fit_with(True))
    ok = gompertz_width(X, em, ce)
    assert ok.predicted == pytest.approx(1.33954 / 0.35, rel=1e-4) and ok.reason is None
    # the same alpha from a fit that stopped short of its optimum: no number read off it
    monkeypatch.setattr(gompertz, "fit_ce_power_law", _fit_with(False))
    r = gompertz_width(X, em, ce)
    assert np.isnan(r.predicted) and np.isnan(r.ratio) and np.isnan(r.slope_predicted)
    assert r.observed == pytest.approx(3.83, abs=0.01)  # exact match's own width stays
    assert r.reason == "no mirage width: the power-law fit of the loss did not converge"


def test_a_floor_that_ran_off_to_zero_is_refitted_without_it(monkeypatch):
    import emergence.detect.gompertz as gompertz
    from emergence.fit.mirage_fit import PowerLawFit, fit_ce_power_law

    # an exact CE ~ N^-0.2: the floor E runs off to 0 (dead), and the fit stage counts the
    # exact fit as converged (it once said "not converged" there, which this rule worked around)
    ce = _ce(0.2)
    floored = fit_ce_power_law(10**X, ce)
    assert floored.converged and floored.dead_terms == ("E",)
    r = gompertz_width(X, np.exp(-5 * ce), ce)
    assert r.predicted == pytest.approx(1.33954 / 0.2, rel=1e-4) and r.reason is None
    # the same rule on a stand-in: a dead floor and no convergence, then the floorless refit
    calls = []

    def fit(x, y, with_floor=True):
        calls.append(with_floor)
        return PowerLawFit(0.0, 1.0, 0.35 if with_floor else 0.5, 1e9, int(np.size(x)), 0.0,
                           with_floor, converged=not with_floor,
                           dead_terms=("E",) if with_floor else ())  # fmt: skip

    monkeypatch.setattr(gompertz, "fit_ce_power_law", fit)
    r = gompertz_width(X, np.exp(-5 * ce), ce)
    assert calls == [True, False] and r.predicted == pytest.approx(1.33954 / 0.5, rel=1e-4)


def test_a_floor_fit_that_stops_short_is_replaced_by_the_law_without_it():
    from emergence.fit.mirage_fit import fit_ce_power_law

    # CE = (N / 1e8)^-1e-4: the floored fit hits its iteration limit at alpha = 0.0013, which
    # read as a rate gave 1.3396 / 0.0013084 = 1024 decades; without the floor the law is
    # pinned down and gives the truth, 1.33954 / 1e-4 = 13395 decades
    flat = _ce(1e-4)
    assert not fit_ce_power_law(10**X, flat).converged, "this fit converges now: pick another"
    r = gompertz_width(X, np.exp(-5 * _ce()), flat)
    assert r.predicted == pytest.approx(1.33954 / 1e-4, rel=1e-4) and r.reason is None
    # a rising loss: alpha < 0 (the floored fit now reaches it with the floor switched off;
    # it used to stop short and the floorless fallback found it), so no smooth rise of exact
    # match is predicted: an infinite width, as the docstring says (review: it was NaN, "did
    # not converge", while fit_mirage said inf)
    rising = 1.0 + 0.05 * (X - 7)
    assert fit_ce_power_law(10**X, rising).alpha < 0
    r = gompertz_width(X, np.exp(-5 * _ce()), rising)
    assert r.predicted == np.inf and np.isnan(r.ratio) and r.reason is None


def test_the_note_says_why_the_mirage_width_is_missing(monkeypatch):
    import emergence.detect.gompertz as gompertz
    from emergence.detect.tables import detect
    from emergence.simulate import simulate_tasks

    monkeypatch.setattr(gompertz, "fit_ce_power_law", _fit_with(False))
    sim = simulate_tasks([("mirage", 10, 300, (4, 6))], 3)
    row = detect(sim.items, bootstrap=0, seed=3).verdicts.iloc[0]
    assert row.verdict == "mirage"  # descriptive: no label depends on the width
    assert np.isfinite(row.em_width_decades) and np.isnan(row.mirage_width_decades)
    assert row.note.endswith("(no mirage width: the power-law fit of the loss did not converge)")
    assert gompertz_width(X[:4], np.r_[0.0, 0.1, 0.5, 0.9], _ce()[:4]).reason == (
        "no Gompertz width: fewer than 5 scales (exact match at 4, loss at 4)")  # fmt: skip
