"""The mirage model's fitted half: the per-token cross-entropy power law and its predictions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from mirage_items import SCALES, as_arrow, edge_items, mirage_items, true_ce

from emergence.errors import InputError
from emergence.fit import (
    FIT_COLUMNS,
    MirageFit,
    PowerLawFit,
    fit_ce_power_law,
    fit_mirage,
    fit_power_law,
)
from emergence.metrics import mirage_curves
from emergence.simulate import simulate


def test_power_law_fit_recovers_known_parameters():
    ce = 0.4 + 2.0 * (SCALES / 1e8) ** -0.25
    fit = fit_ce_power_law(SCALES, ce)
    assert isinstance(fit, PowerLawFit)
    assert fit.E == pytest.approx(0.4, rel=1e-4)
    assert fit.alpha == pytest.approx(0.25, rel=1e-4)
    np.testing.assert_allclose(fit.predict(SCALES), ce, rtol=1e-6)
    pure = fit_ce_power_law(SCALES, true_ce(SCALES), with_floor=False)
    assert (pure.E, pure.alpha) == (0.0, pytest.approx(0.3, rel=1e-10))
    with pytest.raises(InputError):
        fit_ce_power_law([1e6], [1.0])
    # two models at each of two sizes: four rows but two scales, so no floor (a floor needs
    # four distinct scales) rather than an unidentifiable fit
    two = fit_ce_power_law([1e8, 1e8, 1e9, 1e9], [2.0, 2.1, 1.0, 1.05])
    assert not two.with_floor and two.E == 0.0


def test_the_ce_fit_is_the_optimiser_on_conditioned_scales_to_the_last_bit():
    """The wrapper is the fit stage's optimiser (least squares in log space) on x / x_ref,
    x_ref the geometric mean of the usable x, after dropping unusable points."""
    x = np.array([3e7, 1e8, np.nan, 4e8, 2e9, 9e9, 5e10, -1.0])
    y = np.array([2.9, 2.4, 1.0, 2.0, 1.7, 1.5, 1.4, 1.0])
    ok = np.isfinite(x) & (x > 0)
    x_ref = float(np.exp(np.mean(np.log(x[ok]))))
    for with_floor, offset in ((True, True), (False, False)):
        fit = fit_ce_power_law(x, y, with_floor=with_floor)
        params = fit_power_law(x[ok] / x_ref, y[ok], offset=offset, delta=math.inf).params
        assert (fit.E, fit.A, fit.alpha) == (params.get("E", 0.0), params["A"], params["alpha"])
        assert (fit.x_ref, fit.n_points, fit.with_floor) == (x_ref, 6, offset)
        resid = np.log(fit.predict(x[ok])) - np.log(y[ok])
        assert fit.rmse_log == pytest.approx(float(np.sqrt(np.mean(resid**2))), rel=1e-12)
    # three distinct scales pin E + A x^-alpha exactly: the floor is dropped
    assert not fit_ce_power_law([1e8, 1e9, 1e10], [2.0, 1.5, 1.2]).with_floor


def test_fitted_exact_match_matches_the_truth():
    mirage = mirage_curves(mirage_items([5]))
    res = fit_mirage(mirage)
    assert isinstance(res, MirageFit)
    c = res.curves
    truth = np.exp(-true_ce(SCALES)) ** 5
    np.testing.assert_allclose(c.ce_fit, true_ce(SCALES), rtol=1e-6)
    np.testing.assert_allclose(c.em_pred_fit, truth, rtol=1e-6)
    np.testing.assert_allclose(c.ted_pred_fit, 5 * (1 - np.exp(-true_ce(SCALES))), rtol=1e-6)
    fit = res.fits.iloc[0]
    assert (fit.family, fit.task, fit.n_points) == ("sim", "arith", len(SCALES))
    assert fit.alpha == pytest.approx(0.3, rel=1e-4)
    assert fit.E == pytest.approx(0.0, abs=1e-6)
    assert fit.gompertz_width_decades == pytest.approx(1.3396 / 0.3, rel=1e-4)
    pure = fit_mirage(mirage, with_floor=False).fits.iloc[0]
    assert (pure.E, pure.with_floor) == (0.0, False)
    assert pure.alpha == pytest.approx(0.3, rel=1e-10)


def test_fit_mirage_appends_the_fit_columns_to_the_unchanged_metrics_curves():
    """Today's frame in two calls: the metrics columns bit for bit, then the three fit columns,
    which are exactly the fitted law pushed through the metrics stage's formulas."""
    items = simulate(seed=0, n_families=2, tasks_per_class=1).items
    mirage = mirage_curves(items)
    res = fit_mirage(mirage)
    assert list(res.curves.columns) == [*mirage.curves.columns, *FIT_COLUMNS]
    assert FIT_COLUMNS == ("ce_fit", "em_pred_fit", "ted_pred_fit")
    pd.testing.assert_frame_equal(res.curves[mirage.curves.columns], mirage.curves,
                                  check_exact=True)  # fmt: skip
    p_fit = np.exp(-res.curves.ce_fit.to_numpy())
    np.testing.assert_array_equal(res.curves.em_pred_fit, mirage.predict_exact_match(p_fit))
    np.testing.assert_array_equal(res.curves.ted_pred_fit, res.curves.mean_length * (1 - p_fit))
    # one fits row per curve, in sorted key order, each the CE fit of the curve's points taken
    # in (model, params) order, to the last bit
    assert res.fits[["family", "task"]].to_dict("records") == sorted(
        res.curves[["family", "task"]].drop_duplicates().to_dict("records"),
        key=lambda r: (r["family"], r["task"]),
    )
    for _, fit in res.fits.iterrows():
        rows = res.curves[(res.curves.family == fit.family) & (res.curves.task == fit.task)]
        pts = rows.sort_values(["model", "params"])
        assert not pts.index.equals(rows.index)  # model names do not sort by size here
        want = fit_ce_power_law(pts.params.to_numpy(), pts.ce.to_numpy())
        got = (fit.E, fit.A, fit.alpha, fit.x_ref, fit.n_points, fit.rmse_log, fit.with_floor)
        assert got == (want.E, want.A, want.alpha, want.x_ref, want.n_points, want.rmse_log,
                       want.with_floor)  # fmt: skip
        np.testing.assert_array_equal(rows.ce_fit, want.predict(rows.params.to_numpy()))


# Values the single-stage ``emergence.metrics.mirage_curves`` gave on the table below before the
# fit moved to the fit stage (bit-identical on the machine of the move; the tolerance only
# absorbs platform rounding). Floors of ~1e-13 are zero to the optimiser's precision.
OLD_FITS = {  # task: (E, A, alpha, rmse_log)
    "mirage_1": (0.044904501088951596, 0.418084290837465, 0.3898322951270184,
                 0.0019441137900399286),
    "smooth_1": (0.0, 1.2583250145540832, 0.1346693893170024, 0.06846468802843),
    "threshold_1": (0.0, 0.7894882709840786, 0.41562916143545303, 0.8921932512468802),
}  # fmt: skip
OLD_X_REF = 1180157904.1297505
OLD_SUMS = {"ce_fit": 49.31954311082188, "em_pred_fit": 7.880599048949557,
            "ted_pred_fit": 92.74146024207525}  # fmt: skip
OLD_PURE_ALPHA = (0.34341745915957944, 0.13466938931699313, 0.41562916143533857)
OLD_PURE_EM_SUM = 7.869386999862761


def test_values_are_those_of_the_single_stage_code():
    items = simulate(seed=0, n_families=1, tasks_per_class=1).items
    res = fit_mirage(mirage_curves(items))
    assert res.fits.task.tolist() == list(OLD_FITS)
    assert (res.fits.n_points == 14).all() and res.fits.with_floor.all()
    for _, fit in res.fits.iterrows():
        E, A, alpha, rmse = OLD_FITS[fit.task]
        assert fit.E == pytest.approx(E, rel=1e-10, abs=1e-10)
        assert (fit.A, fit.alpha, fit.rmse_log) == pytest.approx((A, alpha, rmse), rel=1e-10)
        assert fit.x_ref == pytest.approx(OLD_X_REF, rel=1e-14)
    for col, total in OLD_SUMS.items():
        assert res.curves[col].sum() == pytest.approx(total, rel=1e-10)
    pure = fit_mirage(mirage_curves(items), with_floor=False)
    assert tuple(pure.fits.alpha) == pytest.approx(OLD_PURE_ALPHA, rel=1e-10)
    assert pure.curves.em_pred_fit.sum() == pytest.approx(OLD_PURE_EM_SUM, rel=1e-10)


def test_arrow_backed_input_gives_the_same_fit():
    items = mirage_items([2, 4], n_items=200, seed=2)
    table = as_arrow(items)
    arrow = table.to_pandas(types_mapper=pd.ArrowDtype)
    a, b = fit_mirage(mirage_curves(items)), fit_mirage(mirage_curves(arrow))
    num = ["ce", "em_pred", *FIT_COLUMNS]
    np.testing.assert_allclose(a.curves[num].to_numpy(float), b.curves[num].to_numpy(float),
                               rtol=1e-12)  # fmt: skip
    cols = ["E", "A", "alpha", "x_ref", "rmse_log"]
    np.testing.assert_allclose(a.fits[cols].to_numpy(float), b.fits[cols].to_numpy(float),
                               rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("bad", [-np.inf, np.nan])
def test_a_scale_with_an_excluded_item_stays_in_the_fit(bad):
    items = edge_items()
    items.at[0, "target_logprobs"] = [bad, -0.1]  # model m0, item i0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_mirage(mirage_curves(items))
    assert res.fits.n_points.iloc[0] == 5
    assert np.isfinite(res.curves[list(FIT_COLUMNS)].to_numpy()).all()


@pytest.mark.parametrize("sizes", ["absent", "all NaN"])
def test_items_without_sizes_give_no_fit(sizes):
    items = edge_items()
    items = items.drop(columns="params") if sizes == "absent" else items.assign(params=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_mirage(mirage_curves(items))
    assert res.curves[list(FIT_COLUMNS)].isna().all().all()
    assert res.fits.to_dict("records") == [{"family": "f", "task": "t", "n_points": 0}]


def test_a_curve_with_one_size_has_no_fit_next_to_one_that_has():
    items = pd.concat(
        [edge_items(), edge_items().query("model == 'm2'").assign(task="u")],
        ignore_index=True,
    )
    res = fit_mirage(mirage_curves(items))
    assert res.fits.task.tolist() == ["t", "u"] and res.fits.n_points.tolist() == [5, 1]
    assert np.isfinite(res.fits.alpha.iloc[0]) and np.isnan(res.fits.alpha.iloc[1])
    u = res.curves.task == "u"
    assert res.curves.loc[u, list(FIT_COLUMNS)].isna().all().all()
    assert res.curves.loc[~u, list(FIT_COLUMNS)].notna().all().all()


def test_ce_fit_carries_convergence_and_dead_terms():
    """review: fit_ce_power_law kept only the parameters, so a fit that stopped short (CE
    rising with N, which no decaying power law fits) or collapsed (floor E -> 0) looked fine."""
    x = np.geomspace(1e7, 1e10, 6)
    rising = fit_ce_power_law(x, 0.5 + 0.1 * np.log10(x))
    direct = fit_power_law(x / rising.x_ref, 0.5 + 0.1 * np.log10(x), delta=math.inf)
    # the best fit of a rising CE is a rising law with the floor switched off (a single start
    # with E clamped by NNLS stopped short of it, unconverged): flagged, and carried as is
    assert rising.converged is direct.converged and rising.alpha < 0
    assert rising.dead_terms == direct.diagnostics.dead_terms == ("E",)
    smooth = fit_ce_power_law(x, 0.4 + 2.0 * (x / 1e8) ** -0.25)
    assert smooth.converged is True and smooth.dead_terms == ()
    pure = fit_ce_power_law(x, 3.0 * (x / 1e8) ** -0.3)  # no floor in the data: E collapses
    assert pure.with_floor and pure.dead_terms == ("E",)
    # and fit_mirage's fits frame shows them (the simulated CE has no floor either)
    mirage = mirage_curves(mirage_items([5]))
    fits = fit_mirage(mirage).fits
    points = mirage.curves.sort_values(["model", "params"], kind="stable")  # fit_mirage's order
    one = fit_ce_power_law(points["params"], points["ce"])
    assert one.dead_terms == ("E",)
    assert fits[["converged", "dead_terms"]].to_dict("records") == [
        {"converged": one.converged, "dead_terms": "E"}
    ]
