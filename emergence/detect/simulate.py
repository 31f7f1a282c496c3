"""Generators with known truth for calibrating the detect stage (changepoint.md Sec. 5.2).

Each returns per-scale summaries as the metrics stage would: exact match, the linearised
continuous companion -log(mean per-token cross-entropy), and the mirage prediction
mean_j p_ij^L with a binomial standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emergence.errors import InputError

KINDS = ("mirage", "threshold", "smooth")


@dataclass(frozen=True)
class SimulatedTask:
    """One simulated (family, task).

    Attributes
    ----------
    kind : str
        Truth: ``mirage``, ``threshold`` or ``smooth``.
    x : numpy.ndarray
        log10 parameters.
    exact_match : numpy.ndarray
        Mean exact match over items per scale.
    companion : numpy.ndarray
        -log(mean per-token cross-entropy) per scale (higher is better).
    mirage_prediction, mirage_se : numpy.ndarray
        Predicted exact match mean_j exp(-L * loss_ij) and its binomial SE.
    n_items : int
    """

    kind: str
    x: np.ndarray
    exact_match: np.ndarray
    companion: np.ndarray
    mirage_prediction: np.ndarray
    mirage_se: np.ndarray
    n_items: int


def simulate_task(
    kind: str,
    rng: np.random.Generator,
    *,
    n_scales: int = 10,
    n_items: int = 200,
    answer_tokens: int = 5,
    alpha: float = -0.35,
    x_start: float = 7.0,
    x_step: float = 0.5,
    break_at: float = 9.5,
    break_slope: float = 1.0,
) -> SimulatedTask:
    """Simulate one task under the toy model of Schaeffer et al. (2023).

    Per-token loss l_ij = (N / (c 10^{d_j}))^alpha with c = 1e8, item difficulty
    d_j ~ N(0, 0.5) decades and scale noise log10 c ~ N(8, 0.05). Exact match per item is
    Bernoulli(exp(-L l_ij)).

    * ``mirage``: as above (smooth per-token improvement; exact match looks emergent).
    * ``threshold``: log10 l_ij additionally drops by ``break_slope`` per decade after
      ``break_at`` (a genuine kink in the continuous metric).
    * ``smooth``: L = 1 and a shallow alpha = -0.08, so exact match rises without acceleration.

    Parameters
    ----------
    kind : {"mirage", "threshold", "smooth"}
    rng : numpy.random.Generator
    n_scales, n_items, answer_tokens : int
    alpha, x_start, x_step, break_at, break_slope : float

    Returns
    -------
    SimulatedTask
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")
    x = x_start + x_step * np.arange(n_scales)
    length = 1 if kind == "smooth" else answer_tokens
    a = -0.08 if kind == "smooth" else alpha
    d = rng.normal(0.0, 0.5, n_items)
    log_c = 8.0 + rng.normal(0.0, 0.05, n_scales)
    log10_loss = a * (x[:, None] - log_c[:, None] - d[None, :])
    if kind == "threshold":
        log10_loss = log10_loss - break_slope * np.maximum(x - break_at, 0.0)[:, None]
    loss = 10.0**log10_loss
    p_item = np.exp(-length * loss)
    em = rng.binomial(1, p_item).mean(axis=1)
    pred = p_item.mean(axis=1)
    se = np.sqrt((pred * (1 - pred) + 1.0 / n_items) / n_items)
    return SimulatedTask(kind, x, em, -np.log(loss.mean(axis=1)), pred, se, n_items)
