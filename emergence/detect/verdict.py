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


def _sharp_jump(d: np.ndarray, n_items: int | None, factor: float, jump_z: float) -> bool:
    """One step between adjacent scales carries at least ``factor / (n - 1)`` of the total
    rise (a line carries 1 / (n - 1)) and exceeds ``jump_z`` binomial SEs. Without item
    counts, fall back to breakthroughness >= factor * (n - 1) (noise-blind)."""
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
    return bool(steps[i] / rise >= factor / (n - 1) and z >= jump_z)


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
    sharp = _sharp_jump(da, n_items, breakthrough_factor, jump_z)
    looks = bool(desc.total_improvement > 0 and (screen_p <= screen_alpha or sharp))
    jump = _jump_region(xa, da)
    ok = np.isfinite(z)
    xz, zz = xa[ok], z[ok]
    w = None if weights is None else np.asarray(weights, dtype=float)[order][ok]
    primary = davies_test(xz, zz, alternative=alternative, weights=w)
    seg = fit_segmented(xz, zz, weights=w)
    gap = float(np.median(np.diff(xa)))
    in_jump = bool(np.isfinite(jump[0]) and jump[0] - gap <= seg.psi <= jump[1] + gap)
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
        primary_p=primary.p_value,
        psi=seg.psi,
        psi_bracket=seg.bracket,
        jump_region=jump,
        psi_in_jump=in_jump,
        mirage_consistent=consistent,
        mirage_max_z=max_z,
        underpowered_reason=None,
    )


def _decide(ev: TaskEvidence, q: float, fdr: float) -> tuple[str, str]:
    if ev.underpowered_reason is not None:
        return "underpowered", ev.underpowered_reason
    if not ev.looks_emergent:
        return "smooth", f"discontinuous metric does not accelerate (screen p = {ev.screen_p:.3g})"
    if q <= fdr:
        if ev.psi_in_jump:
            return "threshold", f"break on the continuous companion (q = {q:.3g}) at the jump"
        return "ambiguous", (
            f"break on the continuous companion (q = {q:.3g}) at x = {ev.psi:.3g}, "
            f"outside the jump region {ev.jump_region[0]:.3g}-{ev.jump_region[1]:.3g}"
        )
    if ev.mirage_consistent is None:
        return "ambiguous", "no break on the companion, but no mirage prediction to check"
    if ev.mirage_consistent:
        return "mirage", f"no break on the companion (q = {q:.3g}); p^L reproduces the jump"
    return "ambiguous", (
        f"no break on the companion (q = {q:.3g}), but the mirage prediction misses "
        f"(max z = {ev.mirage_max_z:.3g})"
    )


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
