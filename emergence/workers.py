"""Worker-process pools that stop with the command that started them.

``concurrent.futures.ProcessPoolExecutor`` used as a context manager waits, on any exception,
for every task already handed out: Ctrl-C during a bootstrap went unanswered until the chunks
in flight were done (20 s and more), and a parent killed by a signal left its idle workers
running, holding the caller's pipes open. :func:`worker_pool` instead cancels what has not
started and terminates the workers when the block exits with an exception, and each worker
ignores Ctrl-C (the parent answers it) and, on Linux, dies with its parent.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def available_cores() -> int:
    """CPUs this process may run on: its affinity mask (``taskset``, a container's cpuset),
    not ``os.cpu_count()``, which counts the machine's and oversubscribes a pinned job."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent dies (even of SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):  # no libc symbol: the pool still stops on exceptions
        pass


def start_worker(initializer: Callable[..., Any] | None, *args: Any) -> None:
    """Prepare a worker process, then run ``initializer(*args)``.

    Ctrl-C reaches the whole process group; the parent stops the pool, so a worker that took
    it too would only print a traceback. A forked worker also inherits the parent's handlers
    for SIGTERM and SIGHUP (which raise, for the parent's clean-up): a worker dies of them.

    Parameters
    ----------
    initializer : callable or None
        The pool's own initializer.
    *args
        Its arguments.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    if initializer is not None:
        initializer(*args)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the tasks not yet started and terminate the workers, without waiting for the
    tasks in flight.

    Parameters
    ----------
    pool : concurrent.futures.ProcessPoolExecutor
        The pool (its workers are read before ``shutdown`` forgets them).
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=10)


@contextmanager
def worker_pool(
    max_workers: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
    mp_context: Any = None,
) -> Iterator[ProcessPoolExecutor]:
    """A process pool that, when its block raises (Ctrl-C included), stops at once.

    On a normal exit it shuts down as ``ProcessPoolExecutor`` does (waiting for the tasks
    submitted); on an exception it calls :func:`stop_pool` and re-raises.

    Parameters
    ----------
    max_workers : int
        Worker processes.
    initializer : callable, optional
        Run in each worker after :func:`start_worker`'s set-up; must be picklable under a
        ``spawn`` context.
    initargs : tuple
        Its arguments.
    mp_context : multiprocessing context, optional
        As for ``ProcessPoolExecutor``.

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor
    """
    pool = ProcessPoolExecutor(max_workers, mp_context, start_worker, (initializer, *initargs))
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
