"""Per-(family, task) decision logic: threshold, mirage, smooth, underpowered or ambiguous.

Pure functions on per-scale numpy arrays (changepoint.md Sec. 6). :func:`assess_task` computes
the evidence for one task, :func:`classify_tasks` applies Benjamini-Hochberg across tasks and
returns one :class:`TaskVerdict` per task. The metrics stage supplies the arrays: a
discontinuous metric (exact match or MC grade), a linearised continuous companion (e.g.
-log mean per-token cross-entropy) and, for the mirage check, the discontinuous curve predicted
from the continuous metric (p^L) with its standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from emergence.detect._common import check_alternative, count
from emergence.detect.davies import davies_test
from emergence.detect.descriptives import describe_scaling
from emergence.detect.gompertz import GompertzWidth, gompertz_width
from emergence.detect.multiplicity import benjamini_hochberg
from emergence.detect.segmented import fit_segmented
from emergence.errors import InputError

LABELS = ("threshold", "mirage", "smooth", "underpowered", "ambiguous")


@dataclass(frozen=True)
class TaskEvidence:
    """Evidence for one (family, task), from :func:`assess_task`.

    Attributes
    ----------
    n_scales : int
        Scales with a usable companion value.
    looks_emergent : bool or None
        Step 1: the discontinuous metric rises, and either the Davies screen rejects or one
        step carries a sharp, significant jump (see ``breakthrough_factor``).
    screen_p : float
        Davies p on the discontinuous metric (a screen, not the primary test).
    breakthroughness : float
        BIG-bench breakthroughness of the discontinuous metric (n - 1 for a line).
    primary_p : float
        Davies p on the linearised continuous companion (NaN when not run).
    psi : float
        Profile breakpoint on the companion (NaN when not run).
    psi_bracket : tuple of float
        Adjacent scales around ``psi``.
    jump_region : tuple of float
        x range where the discontinuous metric rises from 10 % to 90 % of its range.
    psi_in_jump : bool
        ``psi`` lies in ``jump_region`` widened by one scale gap on each side.
    mirage_consistent : bool or None
        The predicted discontinuous curve agrees with the observed one (None: no prediction).
    mirage_max_z : float
        max_i |observed - predicted| / se_i (or / atol without SEs).
    underpowered_reason : str or None
        Set when the task cannot be tested.
    answer_length : float
        Mean answer length in tokens (NaN when unknown).
    break_accelerates : bool or None
        Sharp-break test only: the companion rises faster across the located break than over
        any interval below it. False for a curve that bends the other way (flattens, as a
        cross-entropy floor makes it), which is not a threshold. None for Davies.
    power : float
        Sharp-break test with ``min_jump`` only: Monte Carlo power of the test against an
        upward jump of ``min_jump`` in the companion (a step in a gap, or a ramp over the two
        gaps around a scale) at the least favourable testable place where the discontinuous
        metric rises (its 10-90 % region widened by one median gap each way; 0 when no
        testable gap lies there, or when the metric makes at least half of its rise in an
        untestable edge gap), at the estimated noise (NaN otherwise).
    jump_upper : float
        Simultaneous one-sided upper bound on an upward jump (step or ramp) at any of those
        places (NaN otherwise).
    jump_upper_assumed : float
        The same bound with the noise taken as assumed (:class:`SharpBreakResult`).
    min_jump : float
        The pre-registered jump size (NaN when not used).
    powered : bool or None
        A missed jump of ``min_jump`` is unlikely: ``power >= min_power``, or
        ``jump_upper < min_jump``, or ``jump_upper_assumed < min_jump``. Without it, no break
        is absence of evidence, and the no-break labels (``mirage``, single-token ``smooth``)
        become ``underpowered``. None when not computed (every no-break label allowed, as
        before).
    transition_width : float
        Sharp-break test with ``max_width`` only: 10-90 % width of the companion's rise at the
        located break (:func:`transition_width`); NaN otherwise.
    sharp_enough : bool or None
        ``transition_width`` is at most ``max_width`` or the span of the scales bracketing the
        break (a rise no wider than the gap cannot be told from a step). None when not checked.
    step_p : float
        Sharp-break test only: p of the step/ramp test (:func:`sharp_break_test`).
    kink_p : float
        With ``kink_test``: p of the kink test, set to 1 when the located bend is not sharp
        (see :func:`assess_task`); NaN otherwise.
    break_kind : str or None
        ``"step"``, ``"ramp"`` or ``"kink"``: the test and term behind ``psi``.
    width : GompertzWidth or None
        With ``width_check``: the width of the exact-match rise against the width a power law
        fitted to the loss predicts (:func:`emergence.detect.gompertz.gompertz_width`);
        descriptive, no label depends on it. None otherwise.
    noise_scale : float
        Sharp primary: the residual SD of the smooth null fit in units of the assumed noise
        (:attr:`SharpBreakResult.noise_scale`); far above 1 when the companion follows neither a
        smooth trend nor the noise its items imply. NaN otherwise.
    rise_p, rise_in_noise : float, bool
        Step 1 with item counts: the Fisher p of the rise (:class:`EmergenceScreen`) and
        whether it stayed within binomial noise (then the label is ``smooth`` and says so).
    """

    n_scales: int
    looks_emergent: bool | None
    screen_p: float
    breakthroughness: float
    primary_p: float
    psi: float
    psi_bracket: tuple[float, float]
    jump_region: tuple[float, float]
    psi_in_jump: bool
    mirage_consistent: bool | None
    mirage_max_z: float
    underpowered_reason: str | None
    answer_length: float = float("nan")
    break_accelerates: bool | None = None
    power: float = float("nan")
    jump_upper: float = float("nan")
    min_jump: float = float("nan")
    powered: bool | None = None
    jump_upper_assumed: float = float("nan")
    transition_width: float = float("nan")
    sharp_enough: bool | None = None
    step_p: float = float("nan")
    kink_p: float = float("nan")
    break_kind: str | None = None
    width: GompertzWidth | None = None
    noise_scale: float = float("nan")
    rise_p: float = float("nan")
    rise_in_noise: bool = False


@dataclass(frozen=True)
class TaskVerdict:
    """Final label for one task.

    Attributes
    ----------
    label : str
        One of ``threshold``, ``mirage``, ``smooth``, ``underpowered``, ``ambiguous``.
    reason : str
        One line explaining the label.
    q_value : float
        BH-adjusted primary p-value across the tasks that reached step 2 (NaN otherwise).
    evidence : TaskEvidence
    """

    label: str
    reason: str
    q_value: float
    evidence: TaskEvidence


#: Level of the step-1 Davies screen ("does the discontinuous metric accelerate?").
SCREEN_ALPHA = 0.01
#: Monte Carlo draws of the screen's exact p (Davies' bound is conservative at few scales, by
#: a factor that depends on the design and weights); the Monte Carlo SE of p at 0.01 is 0.0014.
SCREEN_N_SIM = 5000


def _jump_region(x: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """x where the (running-max) discontinuous curve first reaches 10 % and 90 % of its rise."""
    lo, hi = d.min(), d.max()
    if hi <= lo:
        return (float("nan"), float("nan"))
    env = np.maximum.accumulate((d - lo) / (hi - lo))
    return (float(np.interp(0.1, env, x)), float(np.interp(0.9, env, x)))


def _largest_rise_gap(x: np.ndarray, d: np.ndarray) -> tuple[float, float] | None:
    """The two adjacent scales between which the discontinuous curve makes at least half of
    its rise (None when no single gap does: the rise is spread out)."""
    steps = np.diff(d)
    rise = float(np.nanmax(d) - np.nanmin(d)) if d.size else 0.0
    if steps.size == 0 or not rise > 0:
        return None
    k = int(np.nanargmax(steps))
    return (float(x[k]), float(x[k + 1])) if steps[k] >= 0.5 * rise else None


def _sharp_jump(
    x: np.ndarray, d: np.ndarray, n_items: int | None, factor: float, jump_z: float
) -> bool:
    """Some step between adjacent scales carries at least ``factor`` times the share of the
    rise a line would give it, ``max(1 / (n - 1), gap / range)`` (with unevenly spaced scales a
    wide gap carries a large step even on a line), and exceeds ``jump_z`` binomial SEs. Every
    step is examined, not only the largest: with clustered scales the largest step may sit in
    a wide gap where a line puts most of the rise, while a sharp rise within a cluster is
    smaller (``jump_z`` = 4 is strict enough for the handful of steps). Without item counts,
    fall back to breakthroughness >= factor * (n - 1) (noise-blind)."""
    n = d.size
    rise = float(d.max() - d.min())
    if rise <= 0:
        return False
    if n_items is None:
        b = describe_scaling(np.arange(n), d).breakthroughness
        return bool(b >= factor * (n - 1))
    steps = np.diff(d)
    var = (np.clip(d * (1 - d), 0, None) + 1.0 / n_items) / n_items
    z = steps / np.sqrt(var[:-1] + var[1:])
    line_share = np.maximum(1.0 / (n - 1), np.diff(x) / (x[-1] - x[0]))
    return bool(np.any((steps / rise >= factor * line_share) & (z >= jump_z)))


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


@dataclass(frozen=True)
class _SharpDesign:
    """Candidate break terms of the sharp-break test on one (weighted) design (internal)."""

    parts: object  # callable: (B, n) series -> (proj, sd, null-fit residual SD), per term
    locs: np.ndarray
    names: list
    brackets: list
    terms: np.ndarray
    deg: int
    df: int
    sqrt_w: np.ndarray
    norms: np.ndarray
    floored: bool

    def stats(self, ys: np.ndarray) -> np.ndarray:
        """Break-term statistics, ``(B, n_terms)``: t, or the floored t (never above t)."""
        proj, sd, _ = self.parts(ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            if not self.floored:
                return proj / sd
            # floor only where it shrinks t (proj > 0), so the statistic never exceeds the
            # pivotal t and the max-t null gives a conservative p
            return np.where(proj > 0, proj / np.maximum(sd, 1.0), proj / sd)


def _sharp_break_design(xa: np.ndarray, degree: int | None, kinds, min_side: int,
                        weights=None, floored: bool = False) -> _SharpDesign:  # fmt: skip
    """Every candidate break term on the (weighted) design, vectorised over rows of y.

    With ``weights`` every row is multiplied by sqrt(w) (WLS); with w = 1 / (sigma_i^2 + tau0^2)
    residuals are then in units of the assumed noise, which is what ``floored`` floors at 1.
    """
    n = xa.size
    deg = (2 if n < 10 else 3) if degree is None else int(degree)
    df = n - deg - 2
    if df < 1 or np.unique(xa).size != n or n < 2 * min_side:
        raise InputError(f"sharp_break_test needs distinct x and n >= degree + 3 (n = {n})")
    if not set(kinds) <= {"step", "ramp", "hinge"} or not kinds:
        raise InputError(f"kinds must be a subset of ('step', 'ramp', 'hinge'), got {kinds!r}")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w) & (w > 0)):
        raise InputError(f"weights must be {n} finite values > 0")
    sw = np.sqrt(w)
    u = (xa - xa.mean()) / xa.std()
    base = np.column_stack([u**k for k in range(deg + 1)])
    xs = np.sort(xa)
    mids = (xs[min_side - 1 : n - min_side] + xs[min_side : n - min_side + 1]) / 2
    terms, locs, names, brackets = [], [], [], []
    for j, m in enumerate(mids):
        pair = (float(xs[min_side - 1 + j]), float(xs[min_side + j]))
        for kind in ("step", "hinge"):
            if kind in kinds:
                terms.append(
                    (xa > m).astype(float)
                    if kind == "step"
                    else np.maximum(u - (m - xa.mean()) / xa.std(), 0.0)
                )
                locs.append(float(m))
                names.append(kind)
                brackets.append(pair)
    if "ramp" in kinds:
        # a rise spread over two adjacent gaps (one scale caught mid-transition)
        for k in range(min_side - 1, n - min_side - 1):
            a, b = xs[k], xs[k + 2]
            terms.append(np.clip((xa - a) / (b - a), 0.0, 1.0))
            locs.append(float(xs[k + 1]))
            names.append("ramp")
            brackets.append((float(a), float(b)))
    # Frisch-Waugh: residualise every break term on the (weighted) trend once; then for any y
    # with trend residual e, the added term's t is (r.e) / sqrt((e.e - (r.e)^2) / df), with r
    # the unit residual term
    q, _ = np.linalg.qr(base * sw[:, None])
    m0 = np.eye(n) - q @ q.T
    terms = np.array(terms)
    resid_terms = (terms * sw[None, :]) @ m0
    norms = np.linalg.norm(resid_terms, axis=1)
    unit = resid_terms / np.where(norms > 1e-12, norms, np.inf)[:, None]

    def parts(ys: np.ndarray):
        e = (ys * sw[None, :]) @ m0
        proj = e @ unit.T
        ee = np.einsum("bi,bi->b", e, e)
        sd = np.sqrt(np.clip(ee[:, None] - proj**2, 0.0, None) / df)
        return proj, sd, np.sqrt(ee / (n - deg - 1))

    return _SharpDesign(parts, np.array(locs), names, brackets, terms, deg, df, sw,
                        np.where(norms > 1e-12, norms, np.nan), floored)  # fmt: skip


def _max_stat(t: np.ndarray) -> np.ndarray:
    """Row-wise max ignoring NaN (+inf counts: a noise-free break is the strongest evidence)."""
    return np.max(np.where(np.isnan(t), -np.inf, t), axis=1)


def _mc_p(null_sorted: np.ndarray, stat) -> np.ndarray:
    """(1 + #{T* >= T}) / (B + 1) against sorted null draws; NaN statistics get p = 1."""
    s = np.asarray(stat, dtype=float)
    b = null_sorted.size
    ge = b - np.searchsorted(null_sorted, np.where(np.isnan(s), np.inf, s), side="left")
    return np.where(np.isnan(s), 1.0, (1.0 + ge) / (b + 1.0))


def _sharp_weights(n: int, variances, noise_floor):
    """WLS weights 1 / (sigma_i^2 + tau0^2), or None for the unweighted test."""
    if variances is None and noise_floor is None:
        return None
    v = np.zeros(n) if variances is None else np.asarray(variances, dtype=float)
    if v.shape != (n,) or not np.all(np.isfinite(v) & (v >= 0)):
        raise InputError("variances must be finite values >= 0, one per scale")
    tot = v + (0.0 if noise_floor is None else float(noise_floor) ** 2)
    if not np.all(tot > 0):
        raise InputError("variances + noise_floor^2 must be > 0 at every scale")
    return 1.0 / tot


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


def _jump_power(des: _SharpDesign, xa, ya, null_sorted, null_proj, min_jump, alpha, n_power,
                rng, region=None, rise_gap=None):  # fmt: skip
    """Power against a jump of ``min_jump``, and the simultaneous upper bounds on a jump (for
    any noise, and at the assumed noise: ``null_proj`` are the null draws' projections).

    A jump is a step in a gap or, when the design has ramps, a ramp over the two gaps around a
    scale: a jump centred on a scale is two partial steps, each below ``min_jump``, so bounds
    on steps alone would rule it out (review)."""
    is_step = np.array([k == "step" for k in des.names])
    is_ramp = np.array([k == "ramp" for k in des.names])
    if region is not None:
        is_ramp &= (des.locs >= region[0]) & (des.locs <= region[1])
    steps, locs = des.terms[is_step], des.locs[is_step]
    if steps.size == 0:  # no step among the kinds: steps at the same midpoints
        locs = np.unique(des.locs)
        steps = (xa[None, :] > locs[:, None]).astype(float)
    if rise_gap is not None and not np.any((locs > rise_gap[0]) & (locs < rise_gap[1])):
        # the largest rise sits in a gap no candidate step covers (an edge gap): a jump there
        # is invisible to the test, whatever the power elsewhere
        return 0.0, float("inf"), float("inf")
    inside = np.ones(locs.size, bool)
    if region is not None:
        inside = (locs >= region[0]) & (locs <= region[1])
        if not inside.any() and not is_ramp.any():
            return 0.0, float("inf"), float("inf")
    steps = np.vstack([steps[inside], des.terms[is_ramp]])
    proj, sd, null_sd = des.parts(ya[None, :])
    # noise of the power draws: the null fit's residual SD, floored at the assumed noise
    noise = max(float(null_sd[0]), 1.0) if des.floored else float(null_sd[0])
    eps = rng.standard_normal((n_power, xa.size)) * noise / des.sqrt_w[None, :]
    ys = (min_jump * steps[:, None, :] + eps[None, :, :]).reshape(-1, xa.size)
    hits = _mc_p(null_sorted, _max_stat(des.stats(ys))) <= alpha
    # the power at the least favourable gap, not averaged over gaps: a poorly measured gap
    # (noisy scales around the jump) must not hide behind well measured ones (review). The
    # last testable gap, where the trend absorbs part of a step, often decides: a jump there
    # would be missed, so no break is no evidence there (restricting the minimum to the
    # unwidened rise changed no verdict in a review's mirage panel)
    power = float(np.min(hits.reshape(steps.shape[0], n_power).mean(axis=1)))
    crit = float(np.quantile(null_sorted, 1 - alpha))
    s = np.maximum(sd[0], 1.0) if des.floored else sd[0]
    if is_step.any():
        sel = is_step.copy()
        sel[is_step] = inside
        sel |= is_ramp
    else:
        sel = np.ones(des.locs.size, bool)
        if region is not None:
            sel = (des.locs >= region[0]) & (des.locs <= region[1])
    upper = ((proj[0] + crit * s) / des.norms)[sel]

    def top(b):
        return float(np.nanmax(b)) if np.any(np.isfinite(b)) else float("inf")

    # known noise: the null max of the projections themselves (N(0, 1) each, whitened) over
    # the same terms, with the residual SD floored at the assumed noise as a plug-in; only
    # when the smooth trend fits at that noise (chi-square goodness of fit at level alpha): a
    # jump near an edge gap that the trend partly absorbs leaves a misfit, and the bound at
    # the assumed noise would then rule out a jump that is there (review)
    df0 = xa.size - (des.deg + 1)
    fits = float(null_sd[0]) <= np.sqrt(stats.chi2.isf(alpha, df0) / df0)
    if not des.floored or not fits:
        return power, top(upper), float("nan")
    crit_known = float(np.quantile(np.max(null_proj[:, sel], axis=1), 1 - alpha))
    known = ((proj[0] + crit_known * np.maximum(sd[0], 1.0)) / des.norms)[sel]
    return power, top(upper), top(known)


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
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.ndim != 1 or xa.shape != ya.shape or not np.all(np.isfinite(xa) & np.isfinite(ya)):
        raise InputError("x and y must be finite 1-D arrays of the same length")
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


@dataclass(frozen=True)
class EmergenceScreen:
    """Step 1 of the verdict: does a curve look emergent? From :func:`emergence_screen`.

    Attributes
    ----------
    looks_emergent : bool
        The curve rises (with ``n_items``, significantly: ``rise_p`` at most the screen's
        level), and the Davies screen rejects or one step is a sharp, significant jump.
    p_value : float
        Davies p (``screen_alternative``) on the curve, binomially weighted with ``n_items``:
        the exact Monte Carlo p.
    sharp_jump : bool
        One step carries at least ``breakthrough_factor / (n - 1)`` of the rise and at least
        ``jump_z`` binomial SEs (without ``n_items``: breakthroughness >= factor (n - 1)).
    breakthroughness : float
        BIG-bench breakthroughness (n - 1 for a line).
    rise_p : float
        With ``n_items``: one-sided Fisher exact p of the highest scale's rate against the
        lowest's (the rise must reach the screen's level); NaN otherwise.
    rise_in_noise : bool
        The rise did not reach that level (the curve does not look emergent for that reason).
    """

    looks_emergent: bool
    p_value: float
    sharp_jump: bool
    breakthroughness: float
    rise_p: float = float("nan")
    rise_in_noise: bool = False


def emergence_screen(
    x,
    y,
    *,
    n_items: int | None = None,
    screen_alpha: float = SCREEN_ALPHA,
    screen_alternative: str = "greater",
    breakthrough_factor: float = 2.0,
    jump_z: float = 4.0,
    n_sim: int = SCREEN_N_SIM,
    seed: int = 0,
) -> EmergenceScreen:
    """Does a per-scale curve look emergent (step 1 of :func:`assess_task`)?

    Parameters
    ----------
    x : array_like
        Scales (log10 parameters), distinct; at least 6.
    y : array_like
        Metric per scale, oriented so that higher is better.
    n_items : int, optional
        Items per scale. With it the Davies screen is weighted by binomial variances and the
        jump is measured in binomial SEs (meaningful for rates in [0, 1] only); without it both
        are noise-blind.
    screen_alpha, screen_alternative, breakthrough_factor, jump_z
        As in :func:`assess_task`.
    n_sim : int, default SCREEN_N_SIM
        Monte Carlo draws for the exact p of the Davies statistic (``davies_test(n_sim=)``);
        0 uses Davies' bound alone, which is conservative at few scales (on 6-7-scale simulated
        mirages it is about twice the exact p near 0.01).
    seed : int, default 0
        Seed of those draws.

    Returns
    -------
    EmergenceScreen
    """
    xa = np.asarray(x, dtype=float)
    da = np.asarray(y, dtype=float)
    if xa.ndim != 1 or xa.shape != da.shape or not np.all(np.isfinite(xa) & np.isfinite(da)):
        raise InputError("x and y must be finite 1-D arrays of the same length")
    order = np.argsort(xa)
    xa, da = xa[order], da[order]
    if xa.size < 6 or np.unique(xa).size != xa.size:
        raise InputError("the screen needs at least 6 distinct scales")
    desc = describe_scaling(xa, da)
    screen_w = None
    if n_items is not None:
        # binomial variances: the floor and ceiling scales are precise, which is where the
        # curvature of an emergent-looking rise shows (+1/K keeps 0 and 1 usable)
        screen_w = n_items / (np.clip(da * (1 - da), 0, None) + 1.0 / n_items)
    screen_p = (
        davies_test(
            xa, da, alternative=screen_alternative, weights=screen_w, n_sim=n_sim, seed=seed
        ).p_value
        if np.ptp(da)
        else 1.0
    )
    # Davies catches accelerating (Gompertz-like) rises but not steps that saturate
    # (changepoint.md 5.2: 0.4 % power on a genuine exact-match step): a jump screen does.
    sharp = _sharp_jump(xa, da, n_items, breakthrough_factor, jump_z)
    rises = desc.total_improvement > 0
    rise_p = float("nan")
    if n_items is not None and rises and n_items >= 1 and da.min() >= 0 and da.max() <= 1:
        # a rise within the binomial noise of its end points is no rise (one item right out
        # of 50 at the largest model fits a hinge exactly, and Davies' t is then infinite):
        # one-sided Fisher exact test, lowest against highest scale, at the screen's level
        n_items = int(n_items)
        lo, hi = (int(round(float(v) * n_items)) for v in (da.min(), da.max()))
        rise_p = float(stats.fisher_exact([[hi, n_items - hi], [lo, n_items - lo]],
                                          alternative="greater").pvalue)  # fmt: skip
        rises = rise_p <= screen_alpha
    looks = bool(rises and (screen_p <= screen_alpha or sharp))
    in_noise = bool(np.isfinite(rise_p) and rise_p > screen_alpha)
    return EmergenceScreen(looks, float(screen_p), sharp, float(desc.breakthroughness),
                           rise_p, in_noise)  # fmt: skip


def assess_task(
    x,
    discontinuous,
    companion=None,
    *,
    mirage_prediction=None,
    mirage_se=None,
    mirage_observed=None,
    mirage_atol: float = 0.05,
    n_items: int | None = None,
    min_scales: int = 6,
    min_items: int = 50,
    screen_alpha: float = SCREEN_ALPHA,
    screen_alternative: str = "greater",
    alternative: str = "two-sided",
    weights=None,
    breakthrough_factor: float = 2.0,
    jump_z: float = 4.0,
    locate_below: float | None = None,
    primary: str = "davies",
    answer_length: float | None = None,
    seed: int = 0,
    n_sim: int = 2000,
    variances=None,
    noise_floor: float | None = None,
    min_jump: float | None = None,
    min_power: float = 0.5,
    power_alpha: float = 0.05,
    max_width: float | None = None,
    kink_test: str | None = None,
    width_check: bool = False,
) -> TaskEvidence:
    """Compute the evidence for one (family, task) without the multiplicity step.

    Parameters
    ----------
    x : array_like
        Scale per model (log10 parameters or FLOPs), one value per scale.
    discontinuous : array_like
        Discontinuous metric per scale (exact match or MC grade), higher is better.
    companion : array_like, optional
        Pre-registered linearised continuous companion per scale, oriented so that higher is
        better (e.g. -log mean per-token CE). NaN or inf marks a censored scale.
    mirage_prediction, mirage_se : array_like, optional
        Discontinuous curve predicted from the continuous metric (e.g. mean_j p_ij^L) and its
        standard errors. Without SEs, ``mirage_atol`` is the allowed absolute deviation.
    mirage_observed : array_like, optional
        The discontinuous metric over the rows the prediction is made for (those with
        log-probs), when other rows count in ``discontinuous``; default ``discontinuous``.
    mirage_atol : float, default 0.05
        Absolute tolerance when no SEs are given.
    n_items : int, optional
        Items per scale; fewer than ``min_items`` is underpowered.
    min_scales : int, default 6
        The Davies test needs df = n - 3 >= 3.
    min_items : int, default 50
    screen_alpha : float, default 0.01
        Level of the step-1 Davies screen on the discontinuous metric.
    screen_alternative : str, default "greater"
        Alternative of the Davies screen: acceleration (convex rise).
    alternative : str, default "two-sided"
        Alternative of the primary Davies test on the companion.
    weights : array_like, optional
        WLS weights for the companion (see :func:`emergence.detect.weights.scale_weights`).
    breakthrough_factor : float, default 2.0
        A rise also looks emergent when one step between adjacent scales carries at least
        ``factor / (n - 1)`` of the total rise and exceeds ``jump_z`` binomial SEs (needs
        ``n_items``; without it: breakthroughness >= factor * (n - 1)).
    jump_z : float, default 4.0
        Minimum size, in binomial SEs, of that step.
    locate_below : float, optional
        Davies primary: estimate the breakpoint only when the primary p-value is at most this
        (otherwise ``psi`` is NaN). Sharp primary: run the width and kink-sharpness checks only
        then. Since a BH q-value is never below its p-value, passing the FDR level used later
        in :func:`classify_tasks` changes no label and saves the fits.
    primary : {"davies", "sharp"}, default "davies"
        Primary test on the companion: Davies' hinge test against a line (changepoint.md
        Sec. 4.1; ``alternative`` and ``weights`` apply), or :func:`sharp_break_test`, an upward
        step or ramp beyond a smooth polynomial trend (kinks: ``kink_test``), whose location
        is then ``psi``. The
        table-level :func:`emergence.detect.tables.detect` uses ``"sharp"``
        (``docs/detect.md``).
    answer_length : float, optional
        Mean answer length in tokens. At 1 token exact match *is* the per-token probability:
        p^L cannot sharpen anything, so the no-break outcome is ``smooth``, not ``mirage``.
        Without it that outcome is ``ambiguous`` (the length decides between the two).
    seed : int, default 0
        Seed of the Monte Carlo null of the sharp-break test.
    n_sim : int, default 2000
        Its Monte Carlo draws; p >= 1 / (n_sim + 1), so with m tasks under BH a lone threshold
        needs n_sim >= m / fdr.
    variances : array_like, optional
        Sharp-break test only: per-scale sampling variances of the companion (WLS weights
        1 / (variances + noise_floor^2)).
    noise_floor : float, optional
        Sharp-break test only: pre-registered SD of the between-model noise of the companion
        (floor of the residual SD, see :func:`sharp_break_test`).
    min_jump : float, optional
        Sharp-break test only: pre-registered smallest jump of the companion worth calling a
        threshold. With it a no-break outcome counts only when the test had the power to see
        such a jump (``TaskEvidence.powered``, changepoint.md Sec. 6 UNDERPOWERED).
    min_power : float, default 0.5
        Power needed against ``min_jump`` (changepoint.md Sec. 6, UNDERPOWERED), computed
        where the discontinuous metric rises (``TaskEvidence.power``).
    power_alpha : float, default 0.05
        Level at which that power is computed (and of ``jump_upper``).
    max_width : float, optional
        Sharp-break test only: pre-registered largest 10-90 % width (x units) of a rise called
        a threshold; a significant break whose rise is wider than this and than the scales
        bracketing it is ``ambiguous`` (a steep smooth rise).
    kink_test : {"both", "davies", "hinge"}, optional
        Sharp-break test only: a pre-registered second test, for an increase in slope (a
        kink). ``"davies"``: Davies' test ("greater", WLS weights 1 / (variances +
        noise_floor^2)) against a line; ``"hinge"``: :func:`sharp_break_test` with
        ``kinds=("hinge",)``, a hinge beyond the polynomial trend (exact MC, noise floor);
        ``"both"``: an intersection-union test, p = max of the two (rejects only when both do,
        so its level is that of the valid one). A line null is wrong for every convex smooth
        curve, so a rejection counts only when the located bend is concentrated within the
        gap at the break (``transition_width(shape="kink") <= min(max_width, gap)``) and such a
        sharp kink fits better than every smooth logistic rise or bend at least ``max_width``
        wide (discarding rejections keeps the level). ``primary_p`` is then Holm's adjusted
        smallest p, min(1, 2 min(step_p, kink_p)), and the break is that of the smaller p.
    width_check : bool, default False
        Run the Gompertz width check (changepoint.md Sec. 3.2, 6) with
        :func:`emergence.detect.gompertz.gompertz_width` on curves that look emergent:
        ``discontinuous`` is exact match and ``companion`` is -ln of a constant multiple of the
        per-token loss (-ln of the mean per-token cross-entropy, or of the mean -log p of the
        whole target). Descriptive: the predicted width rests on a power-law fit of the loss,
        which misleads when the loss is not one (a logistic, a floor the fit cannot place); the
        p^L band decides.

    Returns
    -------
    TaskEvidence
    """
    xa = np.asarray(x, dtype=float)
    da = np.asarray(discontinuous, dtype=float)
    if xa.ndim != 1 or xa.shape != da.shape or not np.all(np.isfinite(xa)):
        raise InputError("x and discontinuous must be finite 1-D arrays of the same length")
    check_alternative(alternative)
    order = np.argsort(xa)
    xa, da = xa[order], da[order]
    nan2 = (float("nan"), float("nan"))
    reason = None
    if np.unique(xa).size != xa.size:
        raise InputError("x must have one value per scale (no ties)")
    n = xa.size
    if n < min_scales:
        reason = f"{count(n, 'scale')} < {min_scales}"
    elif n_items is not None and n_items < min_items:
        reason = f"{count(n_items, 'item')} per scale < {min_items}"
    elif np.ptp(da) == 0:
        # at its floor or ceiling everywhere: nothing about how it scales can be read
        reason = f"the discontinuous metric is {da[0]:.3g} at every scale"
    elif companion is None:
        reason = "no continuous companion metric"
    z = None
    if reason is None:
        z = np.asarray(companion, dtype=float)
        if z.shape != (n,):
            raise InputError(f"companion must have {n} values, one per scale")
        z = z[order]
        n_ok = int(np.isfinite(z).sum())
        if n_ok <= n / 2:
            reason = f"{n - n_ok} of {n} scales censored in the companion"
        elif n_ok < min_scales:
            reason = f"{count(n_ok, 'uncensored scale')} < {min_scales}"
    desc = describe_scaling(xa, da) if n >= 3 else None
    b = desc.breakthroughness if desc else float("nan")

    def screen() -> EmergenceScreen:
        return emergence_screen(
            xa, da, n_items=n_items, screen_alpha=screen_alpha,
            screen_alternative=screen_alternative, breakthrough_factor=breakthrough_factor,
            jump_z=jump_z, seed=seed + 2,
        )  # fmt: skip

    if reason is not None or n < 6:
        looks, screen_p = None, float("nan")
        if n >= 6 and reason is not None and (
            z is not None or reason == "no continuous companion metric"
        ):
            # enough scales, but the companion is missing or censored: step 1 can still be
            # read, and with a known item count (at least min_items: the rule above) a curve
            # that does not look emergent needs no companion. Without counts the screen is
            # noise-blind and misses a fifth of simulated thresholds: no label from it
            scr = screen()
            looks, screen_p = scr.looks_emergent, scr.p_value
            if not looks and n_items is not None:
                reason = None
        if reason is None and looks is None:
            reason = f"{count(n, 'scale')} < 6"
        rise = (scr.rise_p, scr.rise_in_noise) if looks is not None else (float("nan"), False)
        return TaskEvidence(
            n, looks, float(screen_p), b, float("nan"), float("nan"), nan2, nan2, False, None,
            float("nan"), reason, rise_p=rise[0], rise_in_noise=rise[1],
        )  # fmt: skip
    scr = screen()
    screen_p, looks = scr.p_value, scr.looks_emergent
    jump = _jump_region(xa, da)
    gap = float(np.median(np.diff(xa)))
    ok = np.isfinite(z)
    xz, zz = xa[ok], z[ok]
    w = None if weights is None else np.asarray(weights, dtype=float)[order][ok]
    psi, bracket, accelerates = float("nan"), nan2, None
    power = upper = upper_known = width = step_p = kink_p = noise_scale = float("nan")
    powered = sharp_enough = kind = None
    if primary == "sharp":
        var = None if variances is None else np.asarray(variances, dtype=float)[order][ok]
        res = sharp_break_test(
            xz, zz, variances=var, noise_floor=noise_floor, min_jump=min_jump,
            alpha=power_alpha, seed=seed, n_sim=n_sim,
            power_region=(jump[0] - gap, jump[1] + gap) if np.isfinite(jump[0]) else None,
            rise_gap=_largest_rise_gap(xa, da),
        )  # fmt: skip
        primary_p, psi, bracket = res.p_value, res.psi, res.bracket
        noise_scale = res.noise_scale
        accelerates = _accelerates(xz, zz, res)
        kink_p = float("nan")
        if min_jump is not None:
            power, upper, upper_known = res.power, res.jump_upper, res.jump_upper_assumed
            powered = bool(power >= min_power or upper < min_jump or upper_known < min_jump)
        step_p, kind = res.p_value, res.kind
        cut = 1.0 if locate_below is None else locate_below
        tot = (np.zeros(xz.size) if var is None else var) + (noise_floor or 0.0) ** 2
        wz = 1.0 / tot if np.all(tot > 0) else None
        allowed = np.inf if max_width is None else max_width
        if max_width is not None and res.p_value <= cut:
            width = transition_width(xz, zz, bracket, weights=wz)
            sharp_enough = bool(width <= max(allowed, bracket[1] - bracket[0]))
        if kink_test:
            if kink_test not in ("davies", "hinge", "both"):
                raise InputError(f"kink_test must be davies, hinge or both, got {kink_test!r}")
            kink_p = 0.0
            if kink_test in ("hinge", "both"):
                kr = sharp_break_test(xz, zz, variances=var, noise_floor=noise_floor,
                                      kinds=("hinge",), seed=seed + 1, n_sim=n_sim)  # fmt: skip
                kink_p, k_psi, k_br = kr.p_value, kr.psi, kr.bracket
            if kink_test in ("davies", "both"):
                # intersection-union with "both": reject only when both tests do (p = max)
                dav = davies_test(xz, zz, alternative="greater", weights=wz)
                kink_p = max(kink_p, dav.p_value)
                if kink_test == "davies":
                    seg = fit_segmented(xz, zz, weights=wz) if kink_p <= cut else None
                    k_psi, k_br = (seg.psi, seg.bracket) if seg is not None else (np.nan, nan2)
            if kink_p <= cut:
                ok_kink, bend = _sharp_kink(xz, zz, k_br, wz, allowed)
                # only a sharp kink counts (a line null rejects every convex smooth curve)
                if not ok_kink:
                    kink_p = 1.0
                elif kink_p < step_p:
                    psi, bracket, kind, accelerates = k_psi, k_br, "kink", True
                    width, sharp_enough = bend, True
            primary_p = min(1.0, 2.0 * min(step_p, kink_p))  # Holm within the task
    elif primary == "davies":
        primary_p = davies_test(xz, zz, alternative=alternative, weights=w).p_value
        if locate_below is None or primary_p <= locate_below:
            seg = fit_segmented(xz, zz, weights=w)
            psi, bracket = seg.psi, seg.bracket
    else:
        raise InputError(f"primary must be 'davies' or 'sharp', got {primary!r}")
    # a step (or kink) is "at the jump" when the scales around it reach into the jump region:
    # where in a gap between two scales it happens cannot be seen, and the jump region is
    # interpolated into the gaps as well. A ramp's psi is an observed scale caught mid-rise:
    # it must lie in the region itself (its bracket spans two gaps and could reach a jump
    # that comes only after the companion's rise is over)
    lo, hi = (
        (min(bracket), max(bracket))
        if kind in ("step", "kink", "hinge") and np.all(np.isfinite(bracket))
        else (psi, psi)
    )
    in_jump = bool(np.isfinite(jump[0]) and np.isfinite(psi)
                   and lo <= jump[1] + gap and hi >= jump[0] - gap)
    consistent, max_z = None, float("nan")
    if mirage_prediction is not None:
        pred = np.asarray(mirage_prediction, dtype=float)
        if pred.shape != (n,):
            raise InputError(f"mirage_prediction must have {n} values, one per scale")
        pred = pred[order]
        obs = da if mirage_observed is None else np.asarray(mirage_observed, dtype=float)[order]
        if obs.shape != (n,):
            raise InputError(f"mirage_observed must have {n} values, one per scale")
        if mirage_se is not None:
            se = np.asarray(mirage_se, dtype=float)[order]
            if se.shape != (n,) or np.any(~(se > 0)):
                raise InputError(f"mirage_se must be {n} values > 0")
            max_z = float(np.max(np.abs(obs - pred) / se))
            # Bonferroni over scales: every scale inside its band
            consistent = bool(max_z <= stats.norm.isf(0.025 / n))
        else:
            max_z = float(np.max(np.abs(obs - pred)) / mirage_atol)
            consistent = bool(max_z <= 1.0)
    return TaskEvidence(
        n_scales=int(xz.size),
        looks_emergent=looks,
        screen_p=float(screen_p),
        rise_p=scr.rise_p,
        rise_in_noise=scr.rise_in_noise,
        breakthroughness=float(b),
        primary_p=float(primary_p),
        psi=psi,
        psi_bracket=bracket,
        jump_region=jump,
        psi_in_jump=in_jump,
        mirage_consistent=consistent,
        mirage_max_z=max_z,
        underpowered_reason=None,
        answer_length=float("nan") if answer_length is None else float(answer_length),
        break_accelerates=accelerates,
        power=float(power),
        jump_upper=float(upper),
        jump_upper_assumed=float(upper_known),
        min_jump=float("nan") if min_jump is None else float(min_jump),
        powered=powered,
        transition_width=float(width),
        sharp_enough=sharp_enough,
        step_p=float(step_p),
        kink_p=float(kink_p),
        break_kind=kind,
        noise_scale=float(noise_scale),
        # the companion is -ln(loss) here: -ln CE, or -ln(mean -log p(target)) = -ln(L CE)
        width=(  # the width of a rise: only for curves that look emergent
            gompertz_width(xa, da, np.exp(-z)) if width_check and looks and z is not None else None
        ),
    )


def transition_width(x, y, around: tuple[float, float], *, weights=None,
                     shape: str = "step") -> float:  # fmt: skip
    """10-90 % width (x units) of the rise (or of the slope change) of y near a located break.

    ``shape="step"``: least squares of y ~ a + b x + d / (1 + exp(-(x - x0) / s)), d > 0;
    ``shape="kink"``: y ~ a + b x + d s log(1 + exp((x - x0) / s)), d > 0, a hinge whose slope
    change is spread logistically over the same width. Variable projection over a grid of x0
    (from one scale gap below ``around`` to one gap above) and of s (10-90 % widths 2 ln 9 s
    from 0.01 to 10); ties (every width below the gap fits a step equally) resolve to the
    narrowest. Descriptive, used as a pre-registered sharpness check: a break whose rise is
    wider than both the allowed width and the scales around it is a smooth bend, not a
    threshold.

    Parameters
    ----------
    x, y : array_like
        Scales (sorted or not) and the companion.
    around : (float, float)
        Scales bracketing the located break.
    weights : array_like, optional
        WLS weights.
    shape : {"step", "kink"}

    Returns
    -------
    float
        Width in x units (NaN if no upward logistic fits).
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(around)):
        return float("nan")
    gap = float(np.median(np.diff(np.sort(xa))))
    x0 = np.linspace(around[0] - gap, around[1] + gap, 41)
    widths = np.logspace(-2, 1, 61)
    rss = _shape_rss(xa, ya, weights, x0, widths, shape)
    if not np.any(np.isfinite(rss)):
        return float("nan")
    # ties (a step is fitted equally well by every width below the gap): take the narrowest
    best = np.min(rss)
    cols = np.flatnonzero(np.any(rss <= best * (1 + 1e-9) + 1e-15, axis=0))
    return float(widths[cols.min()])


def _shape_rss(xa, ya, weights, x0, widths, shape) -> np.ndarray:
    """(len(x0), len(widths)) RSS of y ~ a + b x + d f((x - x0) / s), d > 0 (inf otherwise)."""
    if shape not in ("step", "kink"):
        raise InputError(f"shape must be 'step' or 'kink', got {shape!r}")
    sw = np.ones(xa.size) if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    s_grid = widths / (2 * np.log(9.0))
    u = (xa - xa.mean()) / xa.std()
    arg = (xa[None, None, :] - x0[:, None, None]) / s_grid[None, :, None]
    with np.errstate(over="ignore"):
        sig = (
            1.0 / (1.0 + np.exp(-arg))
            if shape == "step"
            else s_grid[None, :, None] * np.logaddexp(0.0, arg)
        )
    des = np.stack(np.broadcast_arrays(np.ones_like(sig), u[None, None, :], sig), axis=-1)
    des = des.reshape(-1, xa.size, 3) * sw[None, :, None]
    yw = ya * sw
    # pseudo-inverse: a softplus far from the data is collinear with the line
    coef = np.einsum("gin,n->gi", np.linalg.pinv(des), yw)
    rss = np.sum((yw[None, :] - np.einsum("gni,gi->gn", des, coef)) ** 2, axis=1)
    rss = np.where(np.isfinite(rss) & (coef[:, 2] > 0), rss, np.inf)
    return rss.reshape(x0.size, widths.size)


def _sharp_kink(x, y, around, weights, max_width: float) -> tuple[bool, float]:
    """A located bend is a sharp kink: its fitted width is within the gap at the break (and
    ``max_width``), and a sharp kink there fits better than any smooth rise or bend at least
    ``max_width`` wide anywhere in the range (an S-shaped logistic has a sharp-looking knee)."""
    bend = transition_width(x, y, around, weights=weights, shape="kink")
    limit = min(max_width, around[1] - around[0])
    if not bend <= limit:
        return False, bend
    if not np.isfinite(max_width):
        return True, bend
    gap = float(np.median(np.diff(np.sort(x))))
    near = np.linspace(around[0] - gap, around[1] + gap, 41)
    sharp = _shape_rss(x, y, weights, near, np.logspace(-2, np.log10(limit), 21), "kink").min()
    anywhere = np.linspace(x.min() - 1.0, x.max() + 1.0, 61)
    wide = np.logspace(np.log10(max(max_width, 1e-3)), 1, 21)
    smooth = min(_shape_rss(x, y, weights, anywhere, wide, kind).min() for kind in ("step", "kink"))
    return bool(sharp < smooth), bend


def _accelerates(x: np.ndarray, z: np.ndarray, res: SharpBreakResult) -> bool:
    """The companion rises faster across the located break than over any interval below it."""
    slopes = np.diff(z) / np.diff(x)
    k = int(np.searchsorted(x, res.psi)) - 1  # interval (step, hinge) or first of two (ramp)
    if res.kind == "ramp":
        across = (z[k + 2] - z[k]) / (x[k + 2] - x[k])
    else:
        k = min(max(k, 0), slopes.size - 1)
        across = slopes[k]
    below = slopes[:k]
    return bool(below.size == 0 or across > below.max())


def _at(x: float) -> str:
    """A scale for a note: the size itself (x is its log10), as the threshold notes give it."""
    return f"{10.0 ** x:.3g} (log10 {x:.3g})"


def _at_assumed(ev: TaskEvidence) -> str:
    """The known-noise bound for a note, when there is one."""
    b = ev.jump_upper_assumed
    return f"; {b:.3g} at the assumed noise" if np.isfinite(b) else ""


def _decide(ev: TaskEvidence, q: float, fdr: float) -> tuple[str, str]:
    if ev.underpowered_reason is not None:
        return "underpowered", ev.underpowered_reason
    if not ev.looks_emergent and ev.rise_in_noise:
        return "smooth", (
            "the discontinuous metric's rise is within its binomial noise (lowest against "
            f"highest scale, Fisher p = {ev.rise_p:.3g})"
        )
    if not ev.looks_emergent:
        return "smooth", f"discontinuous metric does not accelerate (screen p = {ev.screen_p:.3g})"
    if q <= fdr and ev.break_accelerates is False:
        # significant, but the companion rises faster below the break than across it: neither
        # a threshold nor evidence of no break (a floor, a misfit or a genuine slow-down)
        return "ambiguous", (
            f"break on the companion (q = {q:.3g}) at {_at(ev.psi)}, but the companion "
            "rises faster below it than across it (a flattening, not a threshold)"
        )
    if q <= fdr and ev.sharp_enough is False:
        return "ambiguous", (
            f"break on the companion (q = {q:.3g}) at {_at(ev.psi)}, but its rise is "
            f"{ev.transition_width:.2g} decades wide, wider than a sharp threshold (a steep "
            "smooth rise)"
        )
    if q <= fdr:
        if ev.psi_in_jump:
            return "threshold", f"break on the continuous companion (q = {q:.3g}) at the jump"
        return "ambiguous", (
            f"break on the continuous companion (q = {q:.3g}) at {_at(ev.psi)}, outside the "
            f"region where the discontinuous metric jumps ({10.0 ** ev.jump_region[0]:.3g}-"
            f"{10.0 ** ev.jump_region[1]:.3g})"
        )
    head = f"no break on the companion (q = {q:.3g})"
    if np.isfinite(ev.primary_p) and ev.primary_p <= fdr < q:
        # significant alone, not after BH: the verdict depends on the other tasks loaded
        head = (f"no break on the companion (q = {q:.3g} after Benjamini-Hochberg across the "
                f"tasks analysed together; p = {ev.primary_p:.3g} on its own)")
    if ev.powered is False and not np.isfinite(ev.jump_upper):
        return "underpowered", (
            f"{head}, but the discontinuous metric rises at the edge of the scales, where no "
            "break can be tested (at least two scales are needed on each side)"
        )
    if ev.powered is False:
        # no break is only evidence of no jump when a jump of the pre-registered size would
        # have been seen (changepoint.md Sec. 6, UNDERPOWERED)
        return "underpowered", (
            f"{head}, but the test has power {ev.power:.2f} against a jump of "
            f"{ev.min_jump:.3g} in the companion and the data do not exclude one (upper bound "
            f"{ev.jump_upper:.3g}{_at_assumed(ev)})"
        )
    if ev.powered:
        # say "ruled out" only when a bound does; otherwise the test could have seen one
        what = (
            "is ruled out"
            if ev.jump_upper < ev.min_jump
            else "is ruled out at the assumed noise, at which the smooth trend fits (residual "
            f"{ev.noise_scale:.2g} times the assumed noise)"
            if ev.jump_upper_assumed < ev.min_jump
            else f"would have been seen with probability {ev.power:.2f}"
        )
        head += (
            f"; a jump of {ev.min_jump:.3g} where the discontinuous metric rises {what} "
            f"(power {ev.power:.2f}, upper bound {ev.jump_upper:.3g}{_at_assumed(ev)})"
        )
    if ev.mirage_consistent is None:
        return "ambiguous", f"{head}, but no mirage prediction to check"
    if ev.mirage_consistent and not np.isfinite(ev.answer_length):
        # a one-token answer is not sharpened by p^L: without L no mirage can be named
        return "ambiguous", (
            f"{head}; p^L reproduces the jump, but the answer length is unknown (at one token "
            "exact match is the per-token probability itself)"
        )
    if ev.mirage_consistent and ev.answer_length <= 1.0:
        return "smooth", (
            f"{head}; single-token answers: exact match is the per-token probability itself, "
            "which improves without a break"
        )
    if ev.mirage_consistent:
        return "mirage", f"{head}; p^L reproduces the jump"
    return "ambiguous", f"{head}, but the mirage prediction misses (max z = {ev.mirage_max_z:.3g})"


def classify_tasks(evidence, fdr: float = 0.05, *, adjust: bool = True) -> tuple[TaskVerdict, ...]:
    """Label each task, with Benjamini-Hochberg over the primary p-values that were run.

    Parameters
    ----------
    evidence : sequence of TaskEvidence
        One per (family, task), from :func:`assess_task`.
    fdr : float, default 0.05
        BH false-discovery rate for ``threshold`` calls.
    adjust : bool, default True
        False labels every task at the unadjusted level ``fdr`` (q = p): the per-task size,
        which does not depend on the other tasks in the pool (calibration reports).

    Returns
    -------
    tuple of TaskVerdict
        Same order as ``evidence``. Labels are in :data:`LABELS`.
    """
    evs = list(evidence)
    p = np.array(
        [e.primary_p if e.looks_emergent and e.underpowered_reason is None else np.nan for e in evs]
    )
    q = benjamini_hochberg(p, fdr).adjusted if adjust and np.any(~np.isnan(p)) else p
    out = []
    for e, qi in zip(evs, q, strict=True):
        label, reason = _decide(e, float(qi), fdr)
        out.append(TaskVerdict(label=label, reason=reason, q_value=float(qi), evidence=e))
    return tuple(out)


@dataclass(frozen=True)
class ReplicationResult:
    """Result of :func:`item_split_replication`.

    Attributes
    ----------
    psi : float
        Breakpoint chosen on half A (profile least squares).
    statistic : float
        t of the hinge coefficient at that fixed psi on half B.
    p_value : float
        From t(n - 3); exact under Gaussian errors because psi is not chosen on half B.
    df : int
    alternative : str
    discovery_p : float
        Sharp-break replication only: p of the full sharp-break test on half A alone (the
        discovery); NaN otherwise. A replication is a discovery on A confirmed on B.
    """

    psi: float
    statistic: float
    p_value: float
    df: int
    alternative: str
    discovery_p: float = float("nan")


def sharp_split_replication(
    x,
    companion_a,
    companion_b,
    *,
    variances_a=None,
    variances_b=None,
    noise_floor: float | None = None,
    degree: int | None = None,
    kinds: tuple[str, ...] = ("step", "ramp"),
    min_side: int = 2,
    n_sim: int = 2000,
    seed: int = 0,
) -> ReplicationResult:
    """Item-split discovery and confirmation for :func:`sharp_break_test`.

    Discovery uses half A of the items only: the full sharp-break test (``discovery_p``) and
    the choice of break term (kind and location). On half B the one-sided t-test of that
    fixed term beyond the polynomial trend is exact, t(n - degree - 2) (conservative with the
    noise floor). Both halves are scored by the same models, so the split guards against
    item-sampling noise only: between-model noise and a smooth curve that the polynomial
    does not follow are shared by the halves and replicate.

    Parameters
    ----------
    x : array_like
        Scales.
    companion_a, companion_b : array_like
        Linearised companion per scale on two disjoint random halves of the items.
    variances_a, variances_b : array_like, optional
        Their per-scale sampling variances.
    noise_floor : float, optional
        As for :func:`sharp_break_test`.
    degree, kinds, min_side, n_sim, seed
        As for :func:`sharp_break_test` (``n_sim`` and ``seed`` for the discovery on A).

    Returns
    -------
    ReplicationResult
        ``alternative`` is ``"greater"``.
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(companion_a, dtype=float)
    yb = np.asarray(companion_b, dtype=float)
    if not (ya.shape == yb.shape == xa.shape) or not np.all(np.isfinite(ya) & np.isfinite(yb)):
        raise InputError("companion_a and companion_b must be finite, one value per scale")
    disc = sharp_break_test(
        xa, ya, variances=variances_a, noise_floor=noise_floor, degree=degree, kinds=kinds,
        min_side=min_side, n_sim=n_sim, seed=seed,
    )  # fmt: skip
    w = _sharp_weights(xa.size, variances_b, noise_floor)
    des = _sharp_break_design(xa, degree, kinds, min_side, w, noise_floor is not None)
    best = int(np.flatnonzero((des.locs == disc.psi) & (np.array(des.names) == disc.kind))[0])
    t = float(des.stats(yb[None, :])[0][best])
    p = 1.0 if np.isnan(t) else float(stats.t.sf(t, des.df))
    return ReplicationResult(
        psi=disc.psi, statistic=t, p_value=p, df=int(des.df), alternative="greater",
        discovery_p=disc.p_value,
    )  # fmt: skip


def item_split_replication(x, companion_a, companion_b, *, alternative="two-sided"):
    """Confirm a threshold on a disjoint half of the items (changepoint.md Sec. 6, step 4).

    Parameters
    ----------
    x : array_like
        Scales.
    companion_a, companion_b : array_like
        The companion metric per scale computed on two disjoint random halves of the items.
    alternative : {"two-sided", "greater", "less"}

    Returns
    -------
    ReplicationResult
    """
    alt = check_alternative(alternative)
    psi = fit_segmented(x, companion_a).psi
    xa = np.asarray(x, dtype=float)
    yb = np.asarray(companion_b, dtype=float)
    if yb.shape != xa.shape or not np.all(np.isfinite(yb)):
        raise InputError("companion_b must be finite, one value per scale")
    design = np.column_stack([np.ones(xa.size), xa, np.maximum(xa - psi, 0)])
    coef, *_ = np.linalg.lstsq(design, yb, rcond=None)
    resid = yb - design @ coef
    df = xa.size - 3
    cov = np.linalg.inv(design.T @ design) * float(resid @ resid) / df
    t = float(coef[2] / np.sqrt(cov[2, 2]))
    if alt == "two-sided":
        p = 2 * stats.t.sf(abs(t), df)
    elif alt == "greater":
        p = stats.t.sf(t, df)
    else:
        p = stats.t.cdf(t, df)
    return ReplicationResult(psi=float(psi), statistic=t, p_value=float(p), df=df, alternative=alt)
