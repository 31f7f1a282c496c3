"""The fitted half of Schaeffer et al.'s mirage model: a power law through per-token cross-entropy.

The metrics stage (:func:`emergence.metrics.mirage_curves`) measures per-token cross-entropy CE at
each scale and predicts exact match as mean_i p^(L_i), p = exp(-CE). Here CE(N) is fitted, per
curve (family, task[, subtask][, n_shots]), as the smooth power law E + A (N / N_ref)^(-alpha)
(:func:`fit_ce_power_law`), and the fitted curve is pushed through the same formulas
(:func:`fit_mirage`), giving the exact-match curve the mirage null predicts from a smoothly
improving model, to overlay on the observed one. The detect stage uses :func:`fit_ce_power_law`
for the Gompertz width check (:func:`emergence.detect.gompertz_width`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InputError
from .power_law import fit_power_law

if TYPE_CHECKING:
    from ..metrics.mirage import MirageCurves

# 10-90 % width in decades of a Gompertz rise exp(-c N^-alpha) times alpha:
# (ln(-ln 0.1) - ln(-ln 0.9)) / ln 10 = 1.3396
GOMPERTZ_WIDTH = (np.log(-np.log(0.1)) - np.log(-np.log(0.9))) / np.log(10.0)
# The columns :func:`fit_mirage` adds to the metrics stage's curves, in this order.
FIT_COLUMNS = ("ce_fit", "em_pred_fit", "ted_pred_fit")


@dataclass(frozen=True)
class PowerLawFit:
    """A fitted power law y = E + A (x / x_ref)^(-alpha).

    Attributes
    ----------
    E, A, alpha : float
        Floor, amplitude at ``x_ref`` and exponent (alpha > 0 means y falls with x).
    x_ref : float
        Reference scale (geometric mean of the fitted x), for conditioning.
    n_points : int
        Points fitted.
    rmse_log : float
        Root mean square of the log-space residuals.
    with_floor : bool
        Whether E was free (otherwise fixed at 0, a pure power law).
    converged : bool
        Whether the optimiser met its stopping test (:attr:`emergence.fit.Diagnostics.converged`);
        a fit that did not stopped somewhere, not at the optimum (e.g. cross-entropy rising
        with N, which no decaying power law fits): do not read its alpha as a rate.
    dead_terms : tuple of str
        Terms that ran off (:attr:`emergence.fit.Diagnostics.dead_terms`, e.g. ``("E",)`` when
        the floor collapsed to ~0): the fit is degenerate, in effect a law with fewer terms.
    """

    E: float
    A: float
    alpha: float
    x_ref: float
    n_points: int
    rmse_log: float
    with_floor: bool
    converged: bool = True
    dead_terms: tuple[str, ...] = ()

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """Evaluate the fitted curve at ``x``.

        Parameters
        ----------
        x : float or array
            Scales (> 0).

        Returns
        -------
        numpy.ndarray
        """
        return self.E + self.A * np.power(np.asarray(x, dtype=float) / self.x_ref, -self.alpha)


def fit_ce_power_law(x: np.ndarray, y: np.ndarray, with_floor: bool = True) -> PowerLawFit:
    """Fit y = E + A (x / x_ref)^(-alpha) by least squares on log y (e.g. cross-entropy vs N).

    A thin layer over :func:`emergence.fit.fit_power_law` (the fit stage's optimiser, with
    ``delta = inf``: least squares in log space), on ``x / x_ref`` for conditioning, with
    ``x_ref`` the geometric mean of the fitted ``x``. Points with a non-finite or non-positive
    ``x`` or ``y`` are left out. The result depends on the order of the points only in the last
    bits (sums in a different order).

    Parameters
    ----------
    x : array
        Scales (> 0), e.g. parameter counts.
    y : array
        Positive values, e.g. per-token cross-entropy.
    with_floor : bool
        Fit the floor E >= 0 (needs at least 4 distinct scales; otherwise E = 0 is used).

    Returns
    -------
    PowerLawFit
        With the fit's ``converged`` flag and ``dead_terms``.

    Raises
    ------
    InputError
        Fewer than 2 distinct usable scales.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise InputError(f"x and y: expected the same length, got {x.size} and {y.size}")
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    x, y = x[ok], y[ok]
    if x.size < 2 or np.unique(x).size < 2:
        raise InputError(f"power-law fit needs at least 2 distinct positive scales, got {x.size}")
    x_ref = float(np.exp(np.mean(np.log(x))))
    # the offset needs a fourth distinct scale (three pin E + A x^-alpha exactly)
    floor = with_floor and np.unique(x).size >= 4
    fit = fit_power_law(x / x_ref, y, offset=floor, delta=math.inf)
    params = fit.params
    E, A, alpha = float(params.get("E", 0.0)), float(params["A"]), float(params["alpha"])
    pred = E + A * np.power(x / x_ref, -alpha)
    rmse = float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))
    return PowerLawFit(E, A, alpha, x_ref, int(x.size), rmse, floor,
                       converged=bool(fit.converged),
                       dead_terms=tuple(fit.diagnostics.dead_terms))  # fmt: skip


@dataclass(frozen=True)
class MirageFit:
    """Mirage-model curves with the fitted cross-entropy power law, and the fits.

    Attributes
    ----------
    curves : pandas.DataFrame
        The metrics stage's curves (:attr:`emergence.metrics.MirageCurves.curves`, same rows,
        columns and values) followed by ``ce_fit`` (the power law at the row's size; NaN when
        its curve has no fit), ``em_pred_fit`` = mean_i exp(-ce_fit)^(L_i) and
        ``ted_pred_fit`` = mean_length (1 - exp(-ce_fit)) (:data:`FIT_COLUMNS`).
    fits : pandas.DataFrame
        One row per curve (family, task, ...), in sorted key order: ``E``, ``A``, ``alpha``,
        ``x_ref``, ``n_points`` (scales with a size and a finite cross-entropy; below 2 the
        other fit columns are absent or NaN), ``rmse_log``, ``with_floor``, ``converged``
        and ``dead_terms`` (the terms that ran off, comma-separated; "" for none) of the
        fit (:class:`PowerLawFit`), ``gompertz_width_decades`` (1.3396 / alpha, the 10-90 %
        width of the predicted exact-match rise for a pure power law; inf when alpha <= 0).
    """

    curves: pd.DataFrame
    fits: pd.DataFrame


def fit_mirage(mirage: MirageCurves, with_floor: bool = True) -> MirageFit:
    """Fit per-token cross-entropy as a power law per curve and predict from the fitted curve.

    Each curve's ``ce`` is fitted against ``params`` with :func:`fit_ce_power_law`, the points
    taken in (model, params) order (the order the metrics stage groups the rows in, so the
    numbers match the earlier single-stage computation to the last bit); ``exp(-ce_fit)`` is
    then pushed through the p^L and L (1 - p) formulas
    (:meth:`emergence.metrics.MirageCurves.predict_exact_match`).

    Parameters
    ----------
    mirage : emergence.metrics.MirageCurves
        Output of :func:`emergence.metrics.mirage_curves`.
    with_floor : bool
        Fit the cross-entropy floor E (otherwise a pure power law, as in Schaeffer et al.).

    Returns
    -------
    MirageFit

    Examples
    --------
    >>> from emergence.metrics import mirage_curves
    >>> from emergence.simulate import simulate_task
    >>> items = simulate_task("mirage", 6, 50, seed=1, answer_len=(3, 5)).items
    >>> res = fit_mirage(mirage_curves(items))
    >>> list(res.curves.columns[-3:])
    ['ce_fit', 'em_pred_fit', 'ted_pred_fit']
    >>> len(res.fits)
    1
    """
    curves = mirage.curves
    n_rows = len(curves)
    codes, keys = mirage.curve_index()
    point_keys = [k for k in ("model", "params") if k in curves.columns]
    by_point = (  # the rows in (model, params) order
        curves.reset_index(drop=True).sort_values(point_keys, kind="stable").index.to_numpy()
        if point_keys
        else np.arange(n_rows)
    )
    params = curves["params"].to_numpy(dtype=float)
    ce = curves["ce"].to_numpy(dtype=float)
    ce_fit = np.full(n_rows, np.nan)
    fit_rows = []
    for c in range(len(keys)):
        rows = by_point[codes[by_point] == c]
        x = params[rows]
        row = keys.iloc[c].to_dict()
        try:
            fit = fit_ce_power_law(x, ce[rows], with_floor=with_floor)
        except InputError:  # fewer than 2 sizes with a finite cross-entropy: no fit
            usable = np.isfinite(x) & (x > 0) & np.isfinite(ce[rows]) & (ce[rows] > 0)
            fit_rows.append(row | {"n_points": int(usable.sum())})
            continue
        ce_fit[rows] = fit.predict(x)
        fit_rows.append(row | {
            "E": fit.E, "A": fit.A, "alpha": fit.alpha, "x_ref": fit.x_ref,
            "n_points": fit.n_points, "rmse_log": fit.rmse_log, "with_floor": fit.with_floor,
            "converged": fit.converged, "dead_terms": ", ".join(fit.dead_terms),
            "gompertz_width_decades": GOMPERTZ_WIDTH / fit.alpha if fit.alpha > 0 else np.inf,
        })  # fmt: skip
    p_fit = np.exp(-ce_fit)
    fitted = curves.copy()
    fitted["ce_fit"] = ce_fit
    fitted["em_pred_fit"] = mirage.predict_exact_match(p_fit)
    fitted["ted_pred_fit"] = mirage.predict_token_edit_distance(p_fit)
    return MirageFit(fitted, pd.DataFrame(fit_rows))
