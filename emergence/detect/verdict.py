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

from emergence.detect._common import check_alternative
from emergence.detect.davies import davies_test
from emergence.detect.descriptives import describe_scaling
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


def _jump_region(x: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    """x where the (running-max) discontinuous curve first reaches 10 % and 90 % of its rise."""
    lo, hi = d.min(), d.max()
    if hi <= lo:
        return (float("nan"), float("nan"))
    env = np.maximum.accumulate((d - lo) / (hi - lo))
    return (float(np.interp(0.1, env, x)), float(np.interp(0.9, env, x)))


def _sharp_jump(
    x: np.ndarray, d: np.ndarray, n_items: int | None, factor: float, jump_z: float
) -> bool:
    """The largest step between adjacent scales carries at least ``factor`` times the share of
    the rise a line would give it, ``max(1 / (n - 1), gap / range)`` (with unevenly spaced
    scales a wide gap carries a large step even on a line), and exceeds ``jump_z`` binomial
    SEs. Without item counts, fall back to breakthroughness >= factor * (n - 1) (noise-blind)."""
    n = d.size
    rise = float(d.max() - d.min())
    if rise <= 0:
        return False
    steps = np.diff(d)
    i = int(np.argmax(steps))
    if n_items is None:
        b = describe_scaling(np.arange(n), d).breakthroughness
        return bool(b >= factor * (n - 1))
    var = (np.clip(d * (1 - d), 0, None) + 1.0 / n_items) / n_items
    z = steps[i] / np.sqrt(var[i] + var[i + 1])
    line_share = max(1.0 / (n - 1), float((x[i + 1] - x[i]) / (x[-1] - x[0])))
    return bool(steps[i] / rise >= factor * line_share and z >= jump_z)


@dataclass(frozen=True)
class SharpBreakResult:
    """Result of :func:`sharp_break_test`.

    Attributes
    ----------
    statistic : float
        max over candidate breaks of the t statistic of the break term (one-sided: an upward
        level step or an increase in slope).
    p_value : float
        Monte Carlo p = (1 + #{T* >= T}) / (n_sim + 1), exact under iid Gaussian errors.
    psi : float
        Location of the maximising break: midpoint between the adjacent scales it separates.
    kind : str
        ``"step"`` or ``"hinge"``: the maximising term.
    degree : int
        Degree of the polynomial trend of the null.
    df : int
        Residual degrees of freedom of the alternative fit.
    n_sim : int
    """

    statistic: float
    p_value: float
    psi: float
    kind: str
    degree: int
    df: int
    n_sim: int


def _sharp_break_design(xa: np.ndarray, degree: int | None, kinds, min_side: int):
    """t statistics of every candidate break term (vectorised over rows of y) and metadata."""
    n = xa.size
    deg = (2 if n < 10 else 3) if degree is None else int(degree)
    df = n - deg - 2
    if df < 1 or np.unique(xa).size != n or n < 2 * min_side:
        raise InputError(f"sharp_break_test needs distinct x and n >= degree + 3 (n = {n})")
    if not set(kinds) <= {"step", "ramp", "hinge"} or not kinds:
        raise InputError(f"kinds must be a subset of ('step', 'ramp', 'hinge'), got {kinds!r}")
    u = (xa - xa.mean()) / xa.std()
    base = np.column_stack([u**k for k in range(deg + 1)])
    xs = np.sort(xa)
    mids = (xs[min_side - 1 : n - min_side] + xs[min_side : n - min_side + 1]) / 2
    terms, locs, names = [], [], []
    for m in mids:
        if "step" in kinds:
            terms.append((xa > m).astype(float))
            locs.append(float(m))
            names.append("step")
        if "hinge" in kinds:
            terms.append(np.maximum(u - (m - xa.mean()) / xa.std(), 0.0))
            locs.append(float(m))
            names.append("hinge")
    if "ramp" in kinds:
        # a rise spread over two adjacent gaps (one scale caught mid-transition)
        for k in range(min_side - 1, n - min_side - 1):
            a, b = xs[k], xs[k + 2]
            terms.append(np.clip((xa - a) / (b - a), 0.0, 1.0))
            locs.append(float(xs[k + 1]))
            names.append("ramp")
    # Frisch-Waugh: residualise every break term on the trend once; then for any y with trend
    # residual e, the added term's t is (r.e) / sqrt((e.e - (r.e)^2) / df), r = unit residual term
    q, _ = np.linalg.qr(base)
    m0 = np.eye(n) - q @ q.T
    resid_terms = np.array(terms) @ m0
    norms = np.linalg.norm(resid_terms, axis=1)
    unit = resid_terms / np.where(norms > 1e-12, norms, np.inf)[:, None]

    def tstats(ys: np.ndarray) -> np.ndarray:
        e = ys @ m0
        proj = e @ unit.T
        rss = np.einsum("bi,bi->b", e, e)[:, None] - proj**2
        with np.errstate(divide="ignore", invalid="ignore"):
            return proj / np.sqrt(np.clip(rss, 0.0, None) / df)

    return tstats, np.array(locs), names, deg, df


def sharp_break_locations(x, ys, *, degree=None, kinds=("step", "ramp"), min_side=2):
    """Location of the sharp-break maximiser for each row of ``ys`` (e.g. bootstrap replicates).

    Parameters
    ----------
    x : array_like
        Scales, as for :func:`sharp_break_test`.
    ys : array_like
        ``(B, n)`` series.
    degree, kinds, min_side
        As for :func:`sharp_break_test`.

    Returns
    -------
    numpy.ndarray
        ``(B,)`` midpoints between adjacent scales.
    """
    xa = np.asarray(x, dtype=float)
    tstats, locs, *_ = _sharp_break_design(xa, degree, kinds, min_side)
    t = tstats(np.atleast_2d(np.asarray(ys, dtype=float)))
    return locs[np.argmax(np.where(np.isfinite(t), t, -np.inf), axis=1)]


def sharp_break_test(
    x,
    y,
    *,
    degree: int | None = None,
    kinds: tuple[str, ...] = ("step", "ramp"),
    min_side: int = 2,
    n_sim: int = 2000,
    seed: int = 0,
) -> SharpBreakResult:
    """One-sided test for a sharp upward break beyond a smooth polynomial trend.

    Null: y = polynomial of ``degree`` in x + iid N(0, sigma^2). Alternative: the null plus an
    upward level step 1(x > m) at a midpoint m between adjacent scales, an upward ramp over two
    adjacent gaps, or (optionally) an increase in slope (x - m)_+; at least ``min_side``
    scales on each side. The statistic is the largest
    t of the added term over all candidates; for a fixed design it does not depend on the
    null coefficients or sigma, so simulating y* ~ N(0, I) on the same x gives an exact
    Monte Carlo p-value (as for sup-F, changepoint.md Sec. 4.4).

    A curved but smooth trend (a power law with a floor, a wide logistic) is absorbed by the
    polynomial; a jump between two adjacent scales, or a kink, is not. This is the point of the
    test: with many items per scale a linear null calls any curvature a break.

    Parameters
    ----------
    x, y : array_like
        Scales and the linearised companion (higher is better), finite, distinct x.
    degree : int, optional
        Trend degree; default 2 for n < 10 and 3 for n >= 10 (fixed by n, so pre-registered).
    kinds : tuple of {"step", "ramp", "hinge"}
        Break terms to scan: a level step between adjacent scales, a ramp rising over two
        adjacent gaps (one scale caught mid-transition), an increase in slope.
    min_side : int, default 2
    n_sim : int, default 2000
    seed : int, default 0
        Seed of the Monte Carlo null draws.

    Returns
    -------
    SharpBreakResult
    """
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.ndim != 1 or xa.shape != ya.shape or not np.all(np.isfinite(xa) & np.isfinite(ya)):
        raise InputError("x and y must be finite 1-D arrays of the same length")
    tstats, locs, names, deg, df = _sharp_break_design(xa, degree, kinds, min_side)
    t = tstats(ya[None, :])[0]
    best = int(np.nanargmax(t)) if np.any(np.isfinite(t)) else 0
    stat = float(t[best])
    sims = np.random.default_rng(seed).standard_normal((n_sim, xa.size))
    null = np.nanmax(tstats(sims), axis=1)
    p = float((1 + np.sum(null >= stat)) / (n_sim + 1)) if np.isfinite(stat) else 1.0
    return SharpBreakResult(stat, p, float(locs[best]), names[best], deg, df, n_sim)


@dataclass(frozen=True)
class EmergenceScreen:
    """Step 1 of the verdict: does a curve look emergent? From :func:`emergence_screen`.

    Attributes
    ----------
    looks_emergent : bool
        The curve rises, and the Davies screen rejects or one step is a sharp, significant jump.
    p_value : float
        Davies p (``screen_alternative``) on the curve, binomially weighted with ``n_items``.
    sharp_jump : bool
        One step carries at least ``breakthrough_factor / (n - 1)`` of the rise and at least
        ``jump_z`` binomial SEs (without ``n_items``: breakthroughness >= factor (n - 1)).
    breakthroughness : float
        BIG-bench breakthroughness (n - 1 for a line).
    """

    looks_emergent: bool
    p_value: float
    sharp_jump: bool
    breakthroughness: float


def emergence_screen(
    x,
    y,
    *,
    n_items: int | None = None,
    screen_alpha: float = 0.01,
    screen_alternative: str = "greater",
    breakthrough_factor: float = 2.0,
    jump_z: float = 4.0,
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
        davies_test(xa, da, alternative=screen_alternative, weights=screen_w).p_value
        if np.ptp(da)
        else 1.0
    )
    # Davies catches accelerating (Gompertz-like) rises but not steps that saturate
    # (changepoint.md 5.2: 0.4 % power on a genuine exact-match step): a jump screen does.
    sharp = _sharp_jump(xa, da, n_items, breakthrough_factor, jump_z)
    looks = bool(desc.total_improvement > 0 and (screen_p <= screen_alpha or sharp))
    return EmergenceScreen(looks, float(screen_p), sharp, float(desc.breakthroughness))


def assess_task(
    x,
    discontinuous,
    companion=None,
    *,
    mirage_prediction=None,
    mirage_se=None,
    mirage_atol: float = 0.05,
    n_items: int | None = None,
    min_scales: int = 6,
    min_items: int = 50,
    screen_alpha: float = 0.01,
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
        Estimate the breakpoint only when the primary p-value is at most this (otherwise
        ``psi`` is NaN). Since a BH q-value is never below its p-value, passing the FDR level
        used later in :func:`classify_tasks` changes no label and saves the profile fit.
    primary : {"davies", "sharp"}, default "davies"
        Primary test on the companion: Davies' hinge test against a line (changepoint.md
        Sec. 4.1; ``alternative`` and ``weights`` apply), or :func:`sharp_break_test`, an upward
        step or kink beyond a smooth polynomial trend, whose location is then ``psi``. The
        table-level :func:`emergence.detect.tables.detect` uses ``"sharp"``
        (``docs/detect.md``).
    answer_length : float, optional
        Mean answer length in tokens. At 1 token exact match *is* the per-token probability:
        p^L cannot sharpen anything, so the no-break outcome is ``smooth``, not ``mirage``.
    seed : int, default 0
        Seed of the Monte Carlo null of the sharp-break test.
    n_sim : int, default 2000
        Its Monte Carlo draws; p >= 1 / (n_sim + 1), so with m tasks under BH a lone threshold
        needs n_sim >= m / fdr.

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
        reason = f"{n} scales < {min_scales}"
    elif n_items is not None and n_items < min_items:
        reason = f"{n_items} items per scale < {min_items}"
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
            reason = f"{n_ok} uncensored scales < {min_scales}"
    desc = describe_scaling(xa, da) if n >= 3 else None
    b = desc.breakthroughness if desc else float("nan")
    if reason is not None or n < 6:
        return TaskEvidence(
            n, None, float("nan"), b, float("nan"), float("nan"), nan2, nan2, False, None,
            float("nan"), reason or f"{n} scales < 6",
        )  # fmt: skip
    scr = emergence_screen(
        xa, da, n_items=n_items, screen_alpha=screen_alpha,
        screen_alternative=screen_alternative, breakthrough_factor=breakthrough_factor,
        jump_z=jump_z,
    )  # fmt: skip
    screen_p, looks = scr.p_value, scr.looks_emergent
    jump = _jump_region(xa, da)
    ok = np.isfinite(z)
    xz, zz = xa[ok], z[ok]
    w = None if weights is None else np.asarray(weights, dtype=float)[order][ok]
    psi, bracket, accelerates = float("nan"), nan2, None
    if primary == "sharp":
        res = sharp_break_test(xz, zz, seed=seed, n_sim=n_sim)
        primary_p, psi = res.p_value, res.psi
        right = int(np.searchsorted(xz, psi))
        bracket = (float(xz[right - 1]), float(xz[right]))
        accelerates = _accelerates(xz, zz, res)
    elif primary == "davies":
        primary_p = davies_test(xz, zz, alternative=alternative, weights=w).p_value
        if locate_below is None or primary_p <= locate_below:
            seg = fit_segmented(xz, zz, weights=w)
            psi, bracket = seg.psi, seg.bracket
    else:
        raise InputError(f"primary must be 'davies' or 'sharp', got {primary!r}")
    gap = float(np.median(np.diff(xa)))
    in_jump = bool(np.isfinite(jump[0]) and jump[0] - gap <= psi <= jump[1] + gap)
    consistent, max_z = None, float("nan")
    if mirage_prediction is not None:
        pred = np.asarray(mirage_prediction, dtype=float)
        if pred.shape != (n,):
            raise InputError(f"mirage_prediction must have {n} values, one per scale")
        pred = pred[order]
        if mirage_se is not None:
            se = np.asarray(mirage_se, dtype=float)[order]
            if se.shape != (n,) or np.any(~(se > 0)):
                raise InputError(f"mirage_se must be {n} values > 0")
            max_z = float(np.max(np.abs(da - pred) / se))
            # Bonferroni over scales: every scale inside its band
            consistent = bool(max_z <= stats.norm.isf(0.025 / n))
        else:
            max_z = float(np.max(np.abs(da - pred)) / mirage_atol)
            consistent = bool(max_z <= 1.0)
    return TaskEvidence(
        n_scales=int(xz.size),
        looks_emergent=looks,
        screen_p=float(screen_p),
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
    )


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


def _decide(ev: TaskEvidence, q: float, fdr: float) -> tuple[str, str]:
    if ev.underpowered_reason is not None:
        return "underpowered", ev.underpowered_reason
    if not ev.looks_emergent:
        return "smooth", f"discontinuous metric does not accelerate (screen p = {ev.screen_p:.3g})"
    decelerates = q <= fdr and ev.break_accelerates is False
    if q <= fdr and not decelerates:
        if ev.psi_in_jump:
            return "threshold", f"break on the continuous companion (q = {q:.3g}) at the jump"
        return "ambiguous", (
            f"break on the continuous companion (q = {q:.3g}) at x = {ev.psi:.3g}, "
            f"outside the jump region {ev.jump_region[0]:.3g}-{ev.jump_region[1]:.3g}"
        )
    head = (
        f"the only break on the companion (q = {q:.3g}) is a deceleration (it flattens, as a "
        "cross-entropy floor makes it), not a threshold"
        if decelerates
        else f"no break on the companion (q = {q:.3g})"
    )
    if ev.mirage_consistent is None:
        return "ambiguous", f"{head}, but no mirage prediction to check"
    if ev.mirage_consistent and ev.answer_length <= 1.0:
        return "smooth", (
            f"{head}; single-token answers: exact match is the per-token probability itself, "
            "which improves without a break"
        )
    if ev.mirage_consistent:
        return "mirage", f"{head}; p^L reproduces the jump"
    return "ambiguous", f"{head}, but the mirage prediction misses (max z = {ev.mirage_max_z:.3g})"


def classify_tasks(evidence, fdr: float = 0.05) -> tuple[TaskVerdict, ...]:
    """Label each task, with Benjamini-Hochberg over the primary p-values that were run.

    Parameters
    ----------
    evidence : sequence of TaskEvidence
        One per (family, task), from :func:`assess_task`.
    fdr : float, default 0.05
        BH false-discovery rate for ``threshold`` calls.

    Returns
    -------
    tuple of TaskVerdict
        Same order as ``evidence``. Labels are in :data:`LABELS`.
    """
    evs = list(evidence)
    p = np.array(
        [e.primary_p if e.looks_emergent and e.underpowered_reason is None else np.nan for e in evs]
    )
    q = benjamini_hochberg(p, fdr).adjusted if np.any(~np.isnan(p)) else p
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
    """

    psi: float
    statistic: float
    p_value: float
    df: int
    alternative: str


def sharp_split_replication(x, companion_a, companion_b, *, degree=None,
                            kinds=("step", "ramp"), min_side=2) -> ReplicationResult:  # fmt: skip
    """Item-split confirmation for :func:`sharp_break_test`.

    The break term (kind and location) is chosen on half A of the items; on half B the
    one-sided t-test of that fixed term beyond the polynomial trend is exact, t(n - degree - 2).

    Parameters
    ----------
    x : array_like
        Scales.
    companion_a, companion_b : array_like
        Linearised companion per scale on two disjoint random halves of the items.
    degree, kinds, min_side
        As for :func:`sharp_break_test`.

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
    tstats, locs, _, _, df = _sharp_break_design(xa, degree, kinds, min_side)
    ta = tstats(ya[None, :])[0]
    best = int(np.nanargmax(ta))
    t = float(tstats(yb[None, :])[0][best])
    return ReplicationResult(
        psi=float(locs[best]), statistic=t, p_value=float(stats.t.sf(t, df)), df=int(df),
        alternative="greater",
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
