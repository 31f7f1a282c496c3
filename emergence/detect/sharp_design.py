"""The candidate break terms of the sharp-break test and its Monte Carlo helpers (internal).

Every step, ramp or hinge term is residualised once on the (weighted) polynomial trend, so the
t of any term for any series (the data, null draws, bootstrap replicates) is a projection
(Frisch-Waugh). Used by :mod:`emergence.detect.sharp_break`, :mod:`emergence.detect.sharp_power`
and :mod:`emergence.detect.replication`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.errors import InputError


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
    if noise_floor is not None and not float(noise_floor) >= 0:
        raise InputError(f"noise_floor must be >= 0 (an SD), got {noise_floor!r}")
    v = np.zeros(n) if variances is None else np.asarray(variances, dtype=float)
    if v.shape != (n,) or not np.all(np.isfinite(v) & (v >= 0)):
        raise InputError("variances must be finite values >= 0, one per scale")
    tot = v + (0.0 if noise_floor is None else float(noise_floor) ** 2)
    if not np.all(tot > 0):
        raise InputError("variances + noise_floor^2 must be > 0 at every scale")
    return 1.0 / tot
