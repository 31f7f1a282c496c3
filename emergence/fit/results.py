"""Result objects of the fitting stage (frozen dataclasses with named fields)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Diagnostics:
    """How an optimisation ended.

    Attributes
    ----------
    objective : float
        Final objective value (in the reduction the caller asked for).
    grad_norm : float
        Max-norm of the gradient of that objective at the solution.
    iterations : int
        Quasi-Newton plus Newton iterations.
    n_evaluations : int
        Objective evaluations.
    converged : bool
        Whether the stopping test was met (gradient small relative to the objective).
    message : str
        Optimiser message.
    on_bound : tuple of str
        Parameters sitting on (or numerically at) a bound of their domain.
    dead_terms : tuple of str
        Terms that have run off (coefficient vanished or exploded, exponent huge or ~0): the fit is
        degenerate and effectively has fewer terms.
    warnings : tuple of str
        Human-readable remarks (e.g. why a term is flagged).
    unresolved_terms : tuple of str
        Live terms whose shape the data do not resolve: at every value of their variable but
        the one where they are largest, they change the prediction by less than the residual
        scale, so their exponent is not identified (a Chinchilla term acting only at the edge
        of the data, or flat across it). Chinchilla fits only.
    allocation_se : float
        Gauss-Newton standard error of the allocation exponent a = beta / (alpha + beta)
        (:func:`emergence.fit.chinchilla.allocation_se`); inf when a moves along a direction
        the runs do not constrain, NaN where not computed (other forms, the tied form, dead
        terms, no residual degrees of freedom).
    """

    objective: float
    grad_norm: float
    iterations: int
    n_evaluations: int
    converged: bool
    message: str = ""
    on_bound: tuple[str, ...] = ()
    dead_terms: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    unresolved_terms: tuple[str, ...] = ()
    allocation_se: float = float("nan")


@dataclass(frozen=True)
class FitResult:
    """A fitted scaling law.

    Attributes
    ----------
    form : str
        ``"chinchilla"``, ``"power_law"`` (with offset), ``"power_law_no_offset"``, ``"bnsl"``,
        ``"kaplan_nd"`` or ``"chinchilla_tied"``.
    params : dict of str to float
        Parameters on their natural scale (e.g. ``E, A, B, alpha, beta``).
    objective : float
        Final objective value.
    n_points : int
        Number of points fitted.
    converged : bool
        Same as ``diagnostics.converged``.
    diagnostics : Diagnostics
        Optimiser report.
    theta : ndarray
        Internal parameter vector (log-space coefficients) the optimiser worked on.
    extra : dict
        Form-specific details (e.g. the Huber ``delta``, the variables used).
    """

    form: str
    params: dict[str, float]
    objective: float
    n_points: int
    converged: bool
    diagnostics: Diagnostics
    theta: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    extra: dict[str, Any] = field(default_factory=dict)


#: Share of failed bootstrap refits beyond which the intervals read as too narrow: the failed
#: resamples are left out, and they are rarely a random tenth of the draws.
FAILED_REFIT_SHARE = 0.1


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile bootstrap over points.

    Attributes
    ----------
    draws : dict of str to ndarray
        One array of length ``n_boot`` per parameter or derived quantity (NaN where a refit failed).
    se : dict of str to float
        Standard deviation of the finite draws (ddof=1).
    ci : dict of str to tuple of float
        Percentile interval of the finite draws at ``level``.
    level : float
        Confidence level of ``ci``.
    n_boot : int
        Number of resamples.
    n_failed : int
        Resamples that could not be refitted (too few distinct points for the law) or whose refit
        did not converge; NaN in the draws, so left out of ``se`` and ``ci``.
    seed : int or None
        Seed of the resampling.
    resampling : str
        ``"rng"`` (numpy Generator) or ``"epoch"`` (legacy ``np.random.seed`` + ``choice``).
    n_degenerate : int or None
        Refits that converged to a degenerate law (``degenerate_rule``: the single fit's
        ``dead_terms`` rule). They stay in the draws, ``se`` and ``ci`` (leaving them out would
        cut off the tail they form and narrow the interval) and are not in ``n_failed``; many
        of them say the data do not pin the law. None when the form has no such rule.
    degenerate_rule : str or None
        The rule, e.g. ``"a < 0 or some c_i > 10"``.
    """

    draws: dict[str, np.ndarray]
    se: dict[str, float]
    ci: dict[str, tuple[float, float]]
    level: float
    n_boot: int
    n_failed: int
    seed: int | None
    resampling: str
    n_degenerate: int | None = None
    degenerate_rule: str | None = None

    @property
    def too_many_failed(self) -> bool:
        """More than :data:`FAILED_REFIT_SHARE` of the refits failed: the intervals, made
        without them, understate the spread."""
        return self.n_failed / self.n_boot > FAILED_REFIT_SHARE if self.n_boot else False

    @property
    def degenerate_beyond_tails(self) -> bool | None:
        """More degenerate refits than either tail of the interval holds ((1 - level) / 2 of
        the usable draws): the data do not pin the law down, or the law sits on an edge
        (:meth:`degenerate_reading` says which). None when the form has no rule."""
        if self.degenerate_rule is None:
            return None
        usable = self.n_boot - self.n_failed
        return bool(usable and (self.n_degenerate or 0) / usable > (1 - self.level) / 2)

    def degenerate_reading(self, full_fit_dead: Sequence[str] = ()) -> str | None:
        """How to read the intervals when :attr:`degenerate_beyond_tails`, else None.

        Parameters
        ----------
        full_fit_dead : sequence of str
            The full-data fit's own ``dead_terms``. When it has some, the refits mostly share
            them: the law sits on that edge (a floor E -> 0 that the data do not need), which
            the data can pin well (simulated with E = 0 on 30 points, the other parameters'
            95 % intervals covered their truth 97-98 % of the time); "the data do not pin the
            law" would overstate it.

        Returns
        -------
        str or None
            A clause to follow "more than the interval's tails".
        """
        if not self.degenerate_beyond_tails:
            return None
        if full_fit_dead:
            names = ", ".join(full_fit_dead)
            return (f"the full fit has {names} dead too: the law sits on that edge, and "
                    f"refits that reach it count as degenerate; read the interval of {names} "
                    "as reaching the edge (0 for a coefficient)")
        return "the data do not pin the law down"


def summarise_draws(
    draws: dict[str, np.ndarray], level: float = 0.95
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Standard errors and percentile intervals of bootstrap draws (NaNs ignored)."""
    lo, hi = 50 * (1 - level), 50 * (1 + level)
    se: dict[str, float] = {}
    ci: dict[str, tuple[float, float]] = {}
    for key, arr in draws.items():
        ok = np.asarray(arr, float)
        ok = ok[np.isfinite(ok)]
        if ok.size < 2:
            se[key], ci[key] = float("nan"), (float("nan"), float("nan"))
            continue
        # scale first: draws that ran off (a coefficient near 1e200) would overflow the square
        scale = float(np.max(np.abs(ok))) or 1.0
        se[key] = float(np.std(ok / scale, ddof=1) * scale)
        ci[key] = (float(np.percentile(ok, lo)), float(np.percentile(ok, hi)))
    return se, ci
