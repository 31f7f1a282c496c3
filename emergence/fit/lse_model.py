"""Sums of power laws in log-sum-exp form, with a Huber objective and exact derivatives.

The model covers every irreducible-loss form of the fitting stage::

    log y_hat = LSE(c_1 - alpha_1 * log x_1, ..., c_K - alpha_K * log x_K [, e])

that is ``y_hat = sum_k C_k * x_k**-alpha_k [+ E]`` with ``C_k = exp(c_k)`` and ``E = exp(e)``.
K = 1 with the offset is ``L = E + A x^-alpha``; K = 2 is Chinchilla's ``E + A/N^alpha + B/D^beta``.
Exponents may be tied (one shared exponent, Gadre et al.'s over-training form).

The parameter vector is ``theta = [c_1..c_K, (e), alpha_1..alpha_K]`` (a single alpha when tied).
Objective, gradient and Hessian are exact, so the optimiser can be run to tight tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validate import check_delta


@dataclass(frozen=True)
class LSEModel:
    """Layout of a log-sum-exp power-law model.

    Attributes
    ----------
    n_terms : int
        Number of power-law terms K.
    offset : bool
        Whether the constant term ``E = exp(e)`` is present.
    tied : bool
        Whether all terms share one exponent.
    """

    n_terms: int
    offset: bool = True
    tied: bool = False

    @property
    def n_params(self) -> int:
        """Length of theta."""
        return self.n_terms + int(self.offset) + (1 if self.tied else self.n_terms)

    @property
    def n_logits(self) -> int:
        """Number of log-sum-exp arguments (terms plus offset)."""
        return self.n_terms + int(self.offset)

    def alpha_index(self, k: int) -> int:
        """Position of term ``k``'s exponent in theta."""
        base = self.n_terms + int(self.offset)
        return base if self.tied else base + k

    def logit_jacobian(self, logx: np.ndarray) -> np.ndarray:
        """d t / d theta for every point: shape (n, n_logits, n_params); t is linear in theta."""
        n = logx.shape[0]
        jac = np.zeros((n, self.n_logits, self.n_params))
        for k in range(self.n_terms):
            jac[:, k, k] = 1.0
            jac[:, k, self.alpha_index(k)] = -logx[:, k]
        if self.offset:
            jac[:, self.n_terms, self.n_terms] = 1.0
        return jac

    def logits(self, theta: np.ndarray, logx: np.ndarray) -> np.ndarray:
        """The log-sum-exp arguments t, shape (n, n_logits)."""
        k, base = self.n_terms, self.n_terms + int(self.offset)
        alphas = theta[base : base + (1 if self.tied else k)]
        # one vectorised expression, element for element the same arithmetic as a loop over terms
        t = np.empty((logx.shape[0], self.n_logits))
        t[:, :k] = theta[:k] - alphas * logx[:, :k]
        if self.offset:
            t[:, k] = theta[k]
        return t

    def log_predict(self, theta: np.ndarray, logx: np.ndarray) -> np.ndarray:
        """log y_hat at log-inputs ``logx`` (shape (n, K))."""
        t = self.logits(theta, logx)
        m = t.max(axis=1)
        return m + np.log(np.exp(t - m[:, None]).sum(axis=1))


#: Log residuals this small make an exact fit. Real data cannot come this close unless the law
#: interpolates them (losses carry at most 7-8 significant digits, float32), while a law that
#: is exact for the data ends, in float64, with residuals of 1e-16 to a few times 1e-11 (when a
#: term collapsing towards 0 has not quite run off, as E of E + A x^-alpha on a pure power law).
EXACT_LOG_RESIDUAL = 1e-10


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    """Huber loss rho(r): 0.5 r^2 for |r| <= delta, delta (|r| - delta/2) beyond; inf delta = LS."""
    if not np.isfinite(delta):
        with np.errstate(over="ignore"):  # wild starts may overflow: inf, not a warning
            return 0.5 * r * r
    a = np.abs(r)
    # the quadratic branch on |r| clipped at delta: the same value where it is used
    # ((0.5 a) a == (0.5 r) r), and no overflow where it is not
    q = np.minimum(a, delta)
    return np.where(a <= delta, 0.5 * q * q, delta * (a - 0.5 * delta))


class HuberObjective:
    """Summed (or mean) Huber loss of log-space residuals for an :class:`LSEModel`.

    Parameters
    ----------
    model : LSEModel
        Model layout.
    logx : ndarray, shape (n, K)
        Logs of the inputs.
    logy : ndarray, shape (n,)
        Logs of the observations.
    delta : float
        Huber threshold (``inf`` gives least squares).
    weights : ndarray, optional
        Per-point multiplicities (a bootstrap resample is a weight vector of counts).
    reduction : {"sum", "mean"}
        Whether the objective is the sum or the mean of the per-point losses.
    """

    def __init__(
        self,
        model: LSEModel,
        logx: np.ndarray,
        logy: np.ndarray,
        delta: float,
        weights: np.ndarray | None = None,
        reduction: str = "sum",
    ) -> None:
        self.model = model
        self.logx = np.asarray(logx, dtype=float)
        self.logy = np.asarray(logy, dtype=float)
        self.delta = check_delta(delta)
        w = np.ones(self.logy.shape[0]) if weights is None else np.asarray(weights, float)
        if reduction == "mean":
            w = w / w.sum()
        elif reduction != "sum":
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        self.weights = w
        self._jt = model.logit_jacobian(self.logx)

    @property
    def exact_fit_value(self) -> float:
        """The objective with every log residual at :data:`EXACT_LOG_RESIDUAL`: at or below it
        the fit is exact (:func:`~emergence.fit.optimize.minimize_tight`'s ``exact_fit``).

        Stated in log residuals, it is the same for any data, units and reduction; an objective
        floor fixed in absolute terms (1e-24, used before) asked for residuals of 1e-12 or less,
        which a collapsing term need not reach.
        """
        r = np.array(EXACT_LOG_RESIDUAL)
        return float(self.weights.sum() * huber(r, self.delta))

    def _parts(self, theta: np.ndarray):
        t = self.model.logits(theta, self.logx)
        m = t.max(axis=1)
        e = np.exp(t - m[:, None])
        s = e.sum(axis=1)
        soft = e / s[:, None]
        pred = m + np.log(s)
        return self.logy - pred, soft

    def value(self, theta: np.ndarray) -> float:
        """Objective value."""
        r, _ = self._parts(np.asarray(theta, float))
        return float(np.dot(self.weights, huber(r, self.delta)))

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective value and exact gradient."""
        r, soft = self._parts(np.asarray(theta, float))
        psi = r if not np.isfinite(self.delta) else np.clip(r, -self.delta, self.delta)
        jp = np.einsum("nt,ntp->np", soft, self._jt)  # d pred / d theta
        grad = -(self.weights * psi) @ jp
        return float(np.dot(self.weights, huber(r, self.delta))), grad

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Exact Hessian, shape (p, p); piecewise, the Huber kink itself contributes nothing."""
        r, soft = self._parts(np.asarray(theta, float))
        if np.isfinite(self.delta):
            psi = np.clip(r, -self.delta, self.delta)
            dpsi = (np.abs(r) <= self.delta).astype(float)
        else:
            psi, dpsi = r, np.ones_like(r)
        jp = np.einsum("nt,ntp->np", soft, self._jt)
        # Hessian of the log-sum-exp per point: J_t^T (diag(w) - w w^T) J_t.
        wj = soft[:, :, None] * self._jt
        h_pred = np.einsum("ntp,ntq->npq", self._jt, wj) - np.einsum("np,nq->npq", jp, jp)
        w = self.weights
        return np.einsum("n,np,nq->pq", w * dpsi, jp, jp) - np.einsum("n,npq->pq", w * psi, h_pred)
