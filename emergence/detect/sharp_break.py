"""The primary test on the companion: a sharp upward break beyond a smooth polynomial trend.

:func:`sharp_break_test` (an upward step, ramp or hinge against a polynomial trend, exact
Monte Carlo p, with an optional noise floor and power against a pre-registered jump) and
:func:`sharp_break_locations` (the location of its maximiser on many series at once, e.g.
bootstrap replicates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.detect._common import finite_pair, in_x_order
from emergence.detect.sharp_design import (
    _max_stat,
    _mc_p,
    _sharp_break_design,
    _sharp_weights,
)
from emergence.detect.sharp_power import _jump_power


@dataclass(frozen=True)
class SharpBreakResult:
    """Result of :func:`sharp_break_test`.

    Attributes
    ----------
    statistic : float
        max over candidate breaks of the (weighted) t statistic of the break term, one-sided (an
        upward level step or ramp, or an increase in slope). With ``noise_floor`` the residual
        SD in each t is floored at the pre-registered noise (see :func:`sharp_break_test`).
    p_value : float
        Monte Carlo p = (1 + #{T* >= T}) / (n_sim + 1); exact under Gaussian errors with
        variances proportional to ``variances + noise_floor^2``, conservative with the floor.
        1 only when the statistic is NaN (a noise-free break gives +inf and the smallest p).
    psi : float
        Location of the maximising break: for a step or hinge the midpoint between the
        adjacent scales it separates; for a ramp the scale caught mid-transition (the ramp
        spans the scales on either side of it, see ``bracket``).
    kind : str
        ``"step"``, ``"ramp"`` or ``"hinge"``: the maximising term.
    degree : int
        Degree of the polynomial trend of the null.
    df : int
        Residual degrees of freedom of the alternative fit.
    n_sim : int
    bracket : tuple of float
        Scales around the break: the two adjacent scales for a step or hinge, the scales on
        either side of ``psi`` for a ramp.
    power : float
        Monte Carlo power of the same test at level ``alpha`` against an upward jump of size
        ``min_jump``, a step at each pair of adjacent candidate scales or (with ramps among
        ``kinds``) a ramp over the two gaps around a candidate scale (inside ``power_region``
        when given), the least of them; 0 when no candidate lies there or between the scales
        of ``rise_gap``; at the estimated noise (NaN without ``min_jump``).
    jump_upper : float
        Simultaneous one-sided upper confidence bound (level ``alpha``, sup-t critical value)
        on the size of an upward jump (step or ramp) at any candidate location (inside
        ``power_region`` when given; inf when none does), in the units of y (NaN without
        ``min_jump``).
    noise_scale : float
        Residual SD of the polynomial null fit in units of the assumed noise
        sqrt(variances + noise_floor^2) (in the units of y without either); 1 means the data
        are as noisy as assumed.
    jump_upper_assumed : float
        ``jump_upper`` with the noise taken as known: the alternative fit's residual SD
        floored at the assumed noise as a plug-in, and the simultaneous critical value of the
        known-noise (normal) null instead of the sup-t one. With 2-3 residual degrees of
        freedom the sup-t value is several times larger, so ``jump_upper`` rarely excludes a
        jump at 6-7 scales; this bound does whenever the data are about as noisy as assumed.
        Computed only when the polynomial null fits at the assumed noise (its residual SD at
        most sqrt(chi2_{1-alpha}(df) / df) times it, df = n - degree - 1): a jump that the
        trend partly absorbs (next to an edge gap) leaves a misfit, and the bound would then
        exclude a jump that is there. It covers the candidate (interior) gaps only, like
        ``jump_upper``. NaN without ``min_jump`` or when the null does not fit.
    """

    statistic: float
    p_value: float
    psi: float
    kind: str
    degree: int
    df: int
    n_sim: int
    bracket: tuple[float, float] = (float("nan"), float("nan"))
    power: float = float("nan")
    jump_upper: float = float("nan")
    noise_scale: float = float("nan")
    jump_upper_assumed: float = float("nan")


def sharp_break_locations(x, ys, *, degree=None, kinds=("step", "ramp"), min_side=2,
                          variances=None, noise_floor=None):  # fmt: skip
    """Location of the sharp-break maximiser for each row of ``ys`` (e.g. bootstrap replicates).

    Parameters
    ----------
    x : array_like
        Scales, as for :func:`sharp_break_test`.
    ys : array_like
        ``(B, n)`` series.
    degree, kinds, min_side, variances, noise_floor
        As for :func:`sharp_break_test`.

    Returns
    -------
    numpy.ndarray
        ``(B,)`` locations (see :attr:`SharpBreakResult.psi`).
    """
    xa = np.asarray(x, dtype=float)
    w = _sharp_weights(xa.size, variances, noise_floor)
    des = _sharp_break_design(xa, degree, kinds, min_side, w, noise_floor is not None)
    t = des.stats(np.atleast_2d(np.asarray(ys, dtype=float)))
    return des.locs[np.argmax(np.where(np.isnan(t), -np.inf, t), axis=1)]


def sharp_break_test(
    x,
    y,
    *,
    variances=None,
    noise_floor: float | None = None,
    min_jump: float | None = None,
    alpha: float = 0.05,
    degree: int | None = None,
    kinds: tuple[str, ...] = ("step", "ramp"),
    min_side: int = 2,
    n_sim: int = 2000,
    n_power: int = 200,
    power_region: tuple[float, float] | None = None,
    rise_gap: tuple[float, float] | None = None,
    seed: int = 0,
) -> SharpBreakResult:
    """One-sided test for a sharp upward break beyond a smooth polynomial trend.

    Null: y = polynomial of ``degree`` in x + independent N(0, c v_i) errors, with
    v_i = ``variances``_i + ``noise_floor``^2 (all 1 without either) and c > 0 unknown.
    Alternative: the null plus an upward level step 1(x > m) at a midpoint m between adjacent
    scales, an upward ramp over two adjacent gaps, or (optionally) an increase in slope
    (x - m)_+; at least ``min_side`` scales on each side. The statistic is the largest WLS t
    of the added term over all candidates; for a fixed design it does not depend on the null
    coefficients or c, so simulating y* ~ N(0, I) on the same weighted design gives an exact
    Monte Carlo p-value (as for sup-F, changepoint.md Sec. 4.4).

    The polynomial absorbs smooth curvature only as far as a polynomial can follow it: with
    very precise data any smooth curve that is not a polynomial (a logistic a decade or two
    wide, a power law with a large floor) leaves a misfit that a plain t calls significant.
    ``noise_floor`` guards against this: the residual SD in each t is floored at the
    pre-registered noise sqrt(v_i) (between-model noise that every real family has), so a
    misfit small against that noise is no evidence of a break. The p-value stays valid for
    any c (the floored statistic is never above the pivotal t). Against a kink (an increase
    in slope) the test has little power, because a cubic trend absorbs most of a kink; add
    ``"hinge"`` to ``kinds`` to scan for one explicitly.

    Parameters
    ----------
    x, y : array_like
        Scales and the linearised companion (higher is better), finite, distinct x.
    variances : array_like, optional
        Per-scale sampling variances of y (e.g. from the items); default 0.
    noise_floor : float, optional
        Pre-registered SD tau0 of the between-model noise: added to every variance and used as
        the floor of the residual SD. Without it (and without ``variances``) the statistic is
        the plain OLS t.
    min_jump : float, optional
        Pre-registered smallest jump worth calling a threshold, in the units of y. When given,
        ``power`` and ``jump_upper`` are computed (changepoint.md Sec. 6, UNDERPOWERED).
    alpha : float, default 0.05
        Level of the power computation and of ``jump_upper``.
    degree : int, optional
        Trend degree; default 2 for n < 10 and 3 for n >= 10 (fixed by n, so pre-registered).
    kinds : tuple of {"step", "ramp", "hinge"}
        Break terms to scan: a level step between adjacent scales, a ramp rising over two
        adjacent gaps (one scale caught mid-transition), an increase in slope.
    min_side : int, default 2
    n_sim : int, default 2000
    n_power : int, default 200
        Monte Carlo draws per candidate step location for ``power``.
    power_region : (float, float), optional
        Compute ``power`` and ``jump_upper`` over the candidate steps with ``lo <= m <= hi``
        only: the alternative that matters is a jump where the discontinuous metric rises.
    rise_gap : (float, float), optional
        The two scales between which the discontinuous metric makes most of its rise. When no
        candidate step lies between them (with ``min_side = 2``, the first and last gaps), a
        jump there cannot be seen: ``power`` is 0 and ``jump_upper`` inf.
    seed : int, default 0
        Seed of the Monte Carlo null draws (and of the power draws).

    Returns
    -------
    SharpBreakResult
    """
    xa, ya, variances = in_x_order(*finite_pair(x, y), variances)
    w = _sharp_weights(xa.size, variances, noise_floor)
    des = _sharp_break_design(xa, degree, kinds, min_side, w, noise_floor is not None)
    t = des.stats(ya[None, :])[0]
    best = int(np.argmax(np.where(np.isnan(t), -np.inf, t)))
    stat = float(t[best])
    rng = np.random.default_rng(seed)
    # the null is the pivotal (unfloored) max-t: exact for t, conservative for the floored t.
    # Draws are y* ~ N(0, 1 / w_i) in the units of y, so that the weighted (whitened) errors
    # the statistic sees are N(0, I)
    proj, sd, _ = des.parts(rng.standard_normal((n_sim, xa.size)) / des.sqrt_w[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        null = np.sort(_max_stat(proj / sd))
    p = float(_mc_p(null, stat))
    null_sd = float(des.parts(ya[None, :])[2][0])
    power = upper = known = float("nan")
    if min_jump is not None:
        power, upper, known = _jump_power(des, xa, ya, null, proj, float(min_jump), alpha,
                                          n_power, rng, power_region, rise_gap)  # fmt: skip
    return SharpBreakResult(stat, p, float(des.locs[best]), des.names[best], des.deg, des.df,
                            n_sim, des.brackets[best], power, upper, null_sd, known)  # fmt: skip
