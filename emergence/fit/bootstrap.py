"""Seeded bootstrap over points, refitting in worker processes.

A resample is represented by per-point counts (multiplicities), which the summed objectives take as
weights: identical to refitting the duplicated rows, without copying data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..progress import progress
from .results import BootstrapResult, summarise_draws

RESAMPLING = ("rng", "epoch")


def bootstrap_counts(
    n_points: int, n_boot: int, seed: int | None = 0, resampling: str = "rng"
) -> np.ndarray:
    """Per-point counts of each bootstrap resample, shape (n_boot, n_points).

    Parameters
    ----------
    n_points : int
        Number of points resampled with replacement.
    n_boot : int
        Number of resamples.
    seed : int or None
        Seed.
    resampling : {"rng", "epoch"}
        ``"rng"``: ``numpy.random.default_rng(seed).integers``. ``"epoch"``: Besiroglu et al.'s
        exact sequence, legacy ``np.random.seed(seed)`` then ``np.random.choice(indices, n,
        replace=True)`` once per resample (reproduces their draws one for one).
    """
    if resampling == "rng":
        idx = np.random.default_rng(seed).integers(0, n_points, size=(n_boot, n_points))
    elif resampling == "epoch":
        state = np.random.RandomState(seed)
        idx = np.stack([state.choice(n_points, size=n_points, replace=True) for _ in range(n_boot)])
    else:
        raise ValueError(f"resampling must be one of {RESAMPLING}, got {resampling!r}")
    counts = np.zeros((n_boot, n_points), dtype=np.int64)
    rows = np.repeat(np.arange(n_boot), n_points)
    np.add.at(counts, (rows, idx.ravel()), 1)
    return counts


_WORKER: dict[str, Callable] = {}


def _init_worker(refit: Callable) -> None:
    _WORKER["refit"] = refit


def _run_chunk(counts: np.ndarray) -> list[dict[str, float]]:
    refit = _WORKER["refit"]
    return [refit(c) for c in counts]


def _chunks(counts: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for start in range(0, len(counts), size):
        yield counts[start : start + size]


def run_bootstrap(
    refit: Callable[[np.ndarray], dict[str, float]],
    n_points: int,
    n_boot: int = 1000,
    seed: int | None = 0,
    resampling: str = "rng",
    n_jobs: int | None = None,
    level: float = 0.95,
    label: str = "bootstrap",
    degenerate_rule: str | None = None,
) -> BootstrapResult:
    """Refit on ``n_boot`` resamples and summarise every returned quantity.

    Parameters
    ----------
    refit : callable
        ``counts -> {name: value}``; must be picklable (a module-level class instance) when
        ``n_jobs > 1``. A refit that did not converge, or a resample that cannot be refitted,
        should include ``"_failed": 1.0``: its values are then NaN in the draws (left out of the
        SEs and intervals) and it counts in ``n_failed``.
    n_points : int
        Number of points.
    n_boot : int
        Number of resamples.
    seed : int or None
        Resampling seed.
    resampling : {"rng", "epoch"}
        See :func:`bootstrap_counts`.
    n_jobs : int, optional
        Worker processes; default: all available cores (``os.sched_getaffinity``).
    level : float
        Confidence level of the percentile intervals.
    label : str
        Progress-bar label.
    degenerate_rule : str, optional
        When given, refits that include ``"_degenerate": 1.0`` (they converged, to a law that
        is degenerate by this rule) are counted in ``n_degenerate``. They stay in the draws:
        leaving them out would cut off the tail they form (e.g. every draw with a negative
        floor) and make the intervals too narrow; many of them say the data do not pin the law.

    Returns
    -------
    BootstrapResult
    """
    if n_boot < 2:
        raise ValueError("n_boot must be at least 2")
    counts = bootstrap_counts(n_points, n_boot, seed, resampling)
    if n_jobs is None:
        n_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    chunk = max(1, min(100, n_boot // (4 * max(n_jobs, 1)) or 1))
    rows: list[dict[str, float]] = []
    pieces = list(_chunks(counts, chunk))
    if n_jobs <= 1:
        with progress(pieces, label=label) as bar:
            for piece in bar:
                rows.extend(refit(c) for c in piece)
    else:
        with ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker,
                                 initargs=(refit,)) as pool:
            with progress(pool.map(_run_chunk, pieces), label=label, length=len(pieces)) as bar:
                for out in bar:
                    rows.extend(out)
    # every quantity any refit returned (a failed first draw must not hide them)
    keys = list(dict.fromkeys(k for r in rows for k in r if not k.startswith("_")))
    failed = np.array([bool(r.get("_failed", 0.0)) for r in rows])
    degenerate = np.array([bool(r.get("_degenerate", 0.0)) for r in rows]) & ~failed
    if degenerate_rule is None:
        degenerate[:] = False
    # a failed refit's numbers are wherever the optimiser stopped: not a draw of the estimate
    draws = {k: np.where(failed, np.nan, [r.get(k, np.nan) for r in rows]) for k in keys}
    n_failed = int(failed.sum())
    se, ci = summarise_draws(draws, level)
    return BootstrapResult(
        draws=draws, se=se, ci=ci, level=level, n_boot=n_boot, n_failed=n_failed, seed=seed,
        resampling=resampling,
        n_degenerate=None if degenerate_rule is None else int(degenerate.sum()),
        degenerate_rule=degenerate_rule,
    )
