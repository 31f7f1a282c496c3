"""The compute-efficient frontier of a set of runs: the lowest loss reached at each compute.

Kaplan et al.'s L(C) is a law of this frontier (their Figure 1: the lower envelope of the
training curves), not of every run: a run at the same compute with a worse split between model
size and data lies above it. Fitting L(C) to every run of an isoFLOP grid mixes the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .isoflop import group_budgets
from .validate import as_positive, check_lengths


@dataclass(frozen=True)
class Frontier:
    """Runs on the compute-efficient frontier.

    Attributes
    ----------
    index : ndarray of int
        Positions of the frontier runs in the input, in increasing compute.
    n_runs : int
        Runs given.
    n_budgets : int
        Compute budgets the runs were grouped into.
    budget_tolerance : float
        Largest gap of log10 C between neighbouring runs of one budget.
    """

    index: np.ndarray
    n_runs: int
    n_budgets: int
    budget_tolerance: float


def compute_frontier(
    compute, loss, *, budget_tolerance: float = 0.05, source: str | None = None
) -> Frontier:
    """The run with the lowest loss of each compute budget, where it beats every smaller budget.

    Runs are grouped into budgets as in :func:`emergence.fit.isoflop.group_budgets` (runs of
    one planned budget never have exactly equal C: without grouping, the run of a budget that
    happens to have the least C would count as reaching its loss first). Per budget the run with
    the lowest loss is kept (ties: the earlier run), and only if its loss is below that of every
    kept run with less compute: the frontier is the lower envelope, non-increasing in C. It is
    the envelope of the runs given, so on a coarse grid its points lie above the true optimum
    (Approach 2, :func:`emergence.fit.fit_isoflop`, interpolates between sizes instead).

    Parameters
    ----------
    compute, loss : array-like
        Training FLOP and final loss per run (> 0).
    budget_tolerance : float
        Largest gap of log10 C between neighbouring runs of one budget (>= 0).
    source : str, optional
        Label for error messages.

    Returns
    -------
    Frontier

    Examples
    --------
    Two budgets of three runs; at 1e19 FLOP the middle size is best:

    >>> f = compute_frontier([1e18, 1e18, 1e18, 1e19, 1e19, 1e19], [3.2, 3.0, 3.1, 2.8, 2.6, 2.7])
    >>> f.index.tolist(), f.n_budgets
    ([1, 4], 2)
    """
    c = as_positive(compute, "flops", source)
    y = as_positive(loss, "loss", source)
    check_lengths({"flops": c, "loss": y}, source)
    labels = group_budgets(c, budget_tolerance)
    n_budgets = int(labels.max()) + 1 if labels.size else 0
    keep: list[int] = []
    best = np.inf
    for g in range(n_budgets):
        members = np.flatnonzero(labels == g)  # file order: argmin takes the earlier of ties
        i = int(members[np.argmin(y[members])])
        if y[i] < best:
            keep.append(i)
            best = y[i]
    return Frontier(np.array(keep, dtype=int), int(c.size), n_budgets, float(budget_tolerance))
