"""Seeded bootstrap over points, refitting in worker processes.

A resample is represented by per-point counts (multiplicities), which the summed objectives take as
weights: identical to refitting the duplicated rows, without copying data. The counts are drawn
chunk by chunk from one stream (memory bounded whatever ``n_boot``); the draws are the same as
those of one big draw, so the chunk size never changes a result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from ..errors import InputError
from ..progress import progress
from ..workers import available_cores, worker_pool
from .results import BootstrapResult, summarise_draws

RESAMPLING = ("rng", "epoch")
#: Most resamples a bootstrap takes. Every draw of every quantity is kept (percentile
#: intervals need them): 1e5 draws already put the Monte Carlo error of a 95 % interval's ends
#: at about 1 % of the SE, and far more only fill memory (a billion gave a MemoryError).
MAX_BOOTSTRAP = 100_000
#: Seeds numpy's legacy ``RandomState`` (``resampling="epoch"``) accepts: 0 .. 2**32 - 1.
EPOCH_SEED_LIMIT = 2**32
#: Resamples drawn at a time: bounds the counts in memory to (chunk, n_points).
COUNT_CHUNK = 1000


def check_resamples(n_boot: int, seed: int | None = 0, resampling: str = "rng") -> None:
    """Refuse a bootstrap that cannot run: too many resamples, or a seed the RNG rejects.

    Parameters
    ----------
    n_boot : int
        Resamples (at most :data:`MAX_BOOTSTRAP`).
    seed : int or None
        Seed (below :data:`EPOCH_SEED_LIMIT` with ``resampling="epoch"``).
    resampling : {"rng", "epoch"}
        See :func:`bootstrap_counts`.

    Raises
    ------
    InputError
        ``n_boot`` above the cap, or a seed ``RandomState`` does not take.
    """
    if resampling not in RESAMPLING:
        raise ValueError(f"resampling must be one of {RESAMPLING}, got {resampling!r}")
    if n_boot < 0:
        raise InputError(f"n_boot {n_boot}: expected a number of resamples >= 0")
    if n_boot > MAX_BOOTSTRAP:
        raise InputError(
            f"n_boot {n_boot}: at most {MAX_BOOTSTRAP} resamples (every draw is kept for the "
            "percentile intervals)"
        )
    if resampling == "epoch" and seed is not None and not 0 <= seed < EPOCH_SEED_LIMIT:
        raise InputError(
            f"seed {seed}: resampling 'epoch' takes a seed from 0 to 2**32 - 1 = "
            f"{EPOCH_SEED_LIMIT - 1} (numpy's legacy RandomState)"
        )


def iter_counts(
    n_points: int, n_boot: int, seed: int | None = 0, resampling: str = "rng",
    chunk: int = COUNT_CHUNK,
) -> Iterator[np.ndarray]:  # fmt: skip
    """:func:`bootstrap_counts` in consecutive blocks of at most ``chunk`` resamples.

    The blocks stacked are exactly ``bootstrap_counts(n_points, n_boot, seed, resampling)``:
    both draw from one stream in the same order (numpy's Generator keeps its buffered bits in
    its state between calls), so memory stays at ``(chunk, n_points)`` and results do not
    depend on ``chunk``.

    Yields
    ------
    ndarray of int64, shape (k, n_points)
        Per-point counts of the next ``k <= chunk`` resamples.
    """
    check_resamples(n_boot, seed, resampling)
    if resampling == "rng":
        rng = np.random.default_rng(seed)

        def draw(k: int) -> np.ndarray:
            return rng.integers(0, n_points, size=(k, n_points))
    else:
        state = np.random.RandomState(seed)

        def draw(k: int) -> np.ndarray:
            return np.stack([state.choice(n_points, size=n_points, replace=True)
                             for _ in range(k)])  # fmt: skip
    for start in range(0, n_boot, chunk):
        k = min(chunk, n_boot - start)
        idx = draw(k)
        counts = np.zeros((k, n_points), dtype=np.int64)
        np.add.at(counts, (np.repeat(np.arange(k), n_points), idx.ravel()), 1)
        yield counts


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

    Raises
    ------
    InputError
        See :func:`check_resamples`.
    """
    blocks = list(iter_counts(n_points, n_boot, seed, resampling))
    return np.concatenate(blocks) if blocks else np.zeros((0, n_points), dtype=np.int64)


_WORKER: dict[str, Callable] = {}


def _init_worker(refit: Callable) -> None:
    _WORKER["refit"] = refit


def _run_chunk(counts: np.ndarray) -> list[dict[str, float]]:
    refit = _WORKER["refit"]
    return [refit(c) for c in counts]


def _in_order(pool: ProcessPoolExecutor, pieces: Iterable[np.ndarray], window: int):
    """``pool.map(_run_chunk, pieces)`` holding at most ``window`` pieces in flight (map would
    submit, hence draw and keep, every piece at once)."""
    pending: deque[Future] = deque()
    for piece in pieces:
        pending.append(pool.submit(_run_chunk, piece))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


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

    Raises
    ------
    InputError
        More than :data:`MAX_BOOTSTRAP` resamples, or a seed ``resampling="epoch"`` cannot take.
    """
    if n_boot < 2:
        raise ValueError("n_boot must be at least 2")
    check_resamples(n_boot, seed, resampling)
    if not 0 < level < 1:
        raise InputError(f"level {level!r}: expected a confidence level between 0 and 1")
    if n_jobs is None:
        n_jobs = available_cores()
    chunk = max(1, min(100, n_boot // (4 * max(n_jobs, 1)) or 1))
    rows: list[dict[str, float]] = []
    n_pieces = -(-n_boot // chunk)
    pieces = iter_counts(n_points, n_boot, seed, resampling, chunk)
    if n_jobs <= 1:
        with progress(pieces, label=label, length=n_pieces) as bar:
            for piece in bar:
                rows.extend(refit(c) for c in piece)
    else:
        # on Ctrl-C or an error the pool stops at once (no waiting for the chunks in flight)
        with worker_pool(n_jobs, _init_worker, (refit,)) as pool:
            done = _in_order(pool, pieces, 4 * n_jobs)
            with progress(done, label=label, length=n_pieces) as bar:
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
