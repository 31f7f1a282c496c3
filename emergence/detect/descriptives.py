"""Descriptive scaling screens: BIG-bench breakthroughness/linearity, Schaeffer's emergence score.

These have no calibrated null and depend on the number and spacing of scales (a perfectly linear
series scores exactly n - 1). Use them to screen and to describe, never as a test.

Provenance (what was and was not verified)
------------------------------------------
* Total improvement I(y) = sign(argmax y - argmin y) * (max y - min y) and breakthroughness
  B = I(y) / sqrt(median(diff(y)**2)) follow BIG-bench (Srivastava et al. 2022, arXiv 2206.04615,
  App. B) as transcribed in the project notes and as implemented (``legacy=True`` branch) in a
  public third-party analysis script that was read. The BIG-bench PDF itself was not available
  here, so the formula is checked against that code and the shared fixtures, not the paper.
* Schaeffer, Miranda & Koyejo (2023, arXiv 2304.15004, Sec. 4) apply the same quantity per
  task x family x metric ("emergence score"). Whether their published formula has the square
  root is UNVERIFIED; the squared form sign * range**2 / median(diff**2) = B * |B| is returned
  as ``emergence_score_squared`` and is a monotone transform (same ranking, other thresholds).
* BIG-bench "linearity": the formula is UNVERIFIED. ``linearity_guess`` = I(y) / sqrt(mean
  diff**2) is the project's best guess, kept only so the value can be compared once checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.errors import InputError


@dataclass(frozen=True)
class ScalingDescriptives:
    """Result of :func:`describe_scaling`.

    Attributes
    ----------
    n : int
        Number of scales.
    total_improvement : float
        I(y) = sign(argmax - argmin) * (max - min), y oriented so higher is better.
    breakthroughness : float
        I(y) / sqrt(median(diff(y)**2)) (BIG-bench; Schaeffer et al.'s emergence score, root
        form). +-inf when more than half of the consecutive differences are 0; NaN for a
        constant series.
    emergence_score_squared : float
        sign * range**2 / median(diff(y)**2) = B * |B| (squared variant; unverified).
    linearity_guess : float
        I(y) / sqrt(mean(diff(y)**2)) (unverified guess at BIG-bench linearity).
    linear_reference : int
        n - 1, the breakthroughness of any perfectly linear series.
    median_sq_diff : float
        median(diff(y)**2), the denominator (0 flags the infinite case).
    """

    n: int
    total_improvement: float
    breakthroughness: float
    emergence_score_squared: float
    linearity_guess: float
    linear_reference: int
    median_sq_diff: float


def _oriented(x, y, higher_is_better: bool) -> np.ndarray:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if xa.ndim != 1 or xa.shape != ya.shape:
        raise InputError("x and y must be 1-D arrays of the same length")
    if xa.size < 3:
        raise InputError(f"need at least 3 scales, got {xa.size}")
    if not (np.all(np.isfinite(xa)) and np.all(np.isfinite(ya))):
        raise InputError("x and y must be finite (no NaN or inf)")
    if np.unique(xa).size != xa.size:
        raise InputError("x must not contain ties (one value per scale)")
    ys = ya[np.argsort(xa)]
    return ys if higher_is_better else -ys


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    if num == 0:
        return float("nan")
    return float(np.sign(num) * np.inf)


def describe_scaling(x, y, *, higher_is_better: bool = True) -> ScalingDescriptives:
    """Breakthroughness, emergence score and linearity of one scaling curve.

    Parameters
    ----------
    x : array_like
        Scale per model (e.g. log10 parameters); sorted internally, no ties, at least 3
        (a median of one difference would make B the curve's sign).
    y : array_like
        Metric per model (normalisation such as BIG-bench's 100 (raw - low) / (high - low)
        does not change B, which is scale-free).
    higher_is_better : bool, default True
        Set False for losses, edit distance or Brier; y is negated first.

    Returns
    -------
    ScalingDescriptives

    Raises
    ------
    InputError
        x and y not 1-D of one length, fewer than 3 scales, tied scales, or a value that is
        not finite.

    Notes
    -----
    Values checked against the shared fixtures (1e-6 absolute). See the module docstring for
    which formulas are verified against primary sources.
    """
    ys = _oriented(x, y, higher_is_better)
    d = np.diff(ys)
    sign = float(np.sign(int(np.argmax(ys)) - int(np.argmin(ys))))
    rng = float(ys.max() - ys.min())
    total = sign * rng
    med = float(np.median(d**2))
    rms = float(np.sqrt(np.mean(d**2)))
    b = _ratio(total, float(np.sqrt(med)))
    sq = _ratio(sign * rng**2, med)
    return ScalingDescriptives(
        n=int(ys.size),
        total_improvement=total,
        breakthroughness=b,
        emergence_score_squared=sq,
        linearity_guess=_ratio(total, rms),
        linear_reference=int(ys.size - 1),
        median_sq_diff=med,
    )


def breakthroughness(x, y, *, squared: bool = False, higher_is_better: bool = True) -> float:
    """BIG-bench breakthroughness / Schaeffer et al.'s emergence score of one curve.

    Parameters
    ----------
    x, y : array_like
        Scales and metric values.
    squared : bool, default False
        Return the squared variant sign * range**2 / median(diff**2) (unverified form).
    higher_is_better : bool, default True
        Orientation of the metric.

    Returns
    -------
    float
        The score (+-inf when the median squared difference is 0, NaN for a constant curve).
    """
    res = describe_scaling(x, y, higher_is_better=higher_is_better)
    return res.emergence_score_squared if squared else res.breakthroughness
