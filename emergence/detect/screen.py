"""Step 1 of the verdict: does the discontinuous metric look emergent?

A Davies screen for acceleration (with its exact Monte Carlo p), a screen for one sharp,
significant jump between adjacent scales, and, with item counts, a Fisher exact test that the
rise is more than binomial noise (changepoint.md Sec. 6, step 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from emergence.detect._common import finite_pair
from emergence.detect.davies import davies_test
from emergence.detect.descriptives import describe_scaling
from emergence.errors import InputError

#: Level of the step-1 Davies screen ("does the discontinuous metric accelerate?").
SCREEN_ALPHA = 0.01
#: Monte Carlo draws of the screen's exact p (Davies' bound is conservative at few scales, by
#: a factor that depends on the design and weights); the Monte Carlo SE of p at 0.01 is 0.0014.
SCREEN_N_SIM = 5000


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
        With ``n_items``: one-sided Fisher exact p of the highest rate against the lowest
        (wherever they sit; the rise must reach the screen's level); NaN otherwise.
    rise_in_noise : bool
        The rise did not reach that level (the curve does not look emergent for that reason).
    rises : bool
        The curve's highest value comes at a larger scale than its lowest (BIG-bench's sign of
        the total improvement); a curve that does not rise never looks emergent.
    """

    looks_emergent: bool
    p_value: float
    sharp_jump: bool
    breakthroughness: float
    rise_p: float = float("nan")
    rise_in_noise: bool = False
    rises: bool = True


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
    xa, da = finite_pair(x, y)
    order = np.argsort(xa)
    xa, da = xa[order], da[order]
    if xa.size < 6 or np.unique(xa).size != xa.size:
        raise InputError("the screen needs at least 6 distinct scales")
    if n_items is not None and not n_items > 0:
        raise InputError(f"n_items must be a positive item count, got {n_items!r}")
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
    climbs = rises = bool(desc.total_improvement > 0)
    rise_p = float("nan")
    if n_items is not None and rises and n_items >= 1 and da.min() >= 0 and da.max() <= 1:
        # a rise within the binomial noise of its end points is no rise (one item right out
        # of 50 at the largest model fits a hinge exactly, and Davies' t is then infinite):
        # one-sided Fisher exact test, lowest against highest value, at the screen's level
        n_items = int(n_items)
        lo, hi = (int(round(float(v) * n_items)) for v in (da.min(), da.max()))
        rise_p = float(stats.fisher_exact([[hi, n_items - hi], [lo, n_items - lo]],
                                          alternative="greater").pvalue)  # fmt: skip
        rises = rise_p <= screen_alpha
    looks = bool(rises and (screen_p <= screen_alpha or sharp))
    in_noise = bool(np.isfinite(rise_p) and rise_p > screen_alpha)
    return EmergenceScreen(looks, float(screen_p), sharp, float(desc.breakthroughness),
                           rise_p, in_noise, climbs)  # fmt: skip
