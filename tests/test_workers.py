"""Worker pools stop with their command: Ctrl-C, SIGTERM and errors leave no workers behind."""

from __future__ import annotations

import ctypes
import signal
import sys
import time

import pytest

from emergence.workers import worker_pool


def _worker_state() -> tuple[object, int | None]:
    """(SIGINT disposition, parent-death signal) as seen inside a worker."""
    pdeathsig = None
    if sys.platform.startswith("linux"):
        value = ctypes.c_int()
        ctypes.CDLL(None).prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
        pdeathsig = value.value
    return signal.getsignal(signal.SIGINT), pdeathsig


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _record(store: list, value: int) -> None:  # an initializer with arguments
    store.append(value)


def test_workers_leave_ctrl_c_to_the_parent_and_die_with_it():
    with worker_pool(1) as pool:
        sigint, pdeathsig = pool.submit(_worker_state).result()
    # Ctrl-C reaches the whole process group: a worker taking it printed a traceback
    assert sigint == signal.SIG_IGN
    if sys.platform.startswith("linux"):
        assert pdeathsig == signal.SIGTERM  # a parent killed outright takes its workers along


def test_an_exception_in_the_block_stops_the_tasks_in_flight():
    with pytest.raises(KeyboardInterrupt), worker_pool(2) as pool:
        futures = [pool.submit(_nap, 30.0) for _ in range(6)]
        workers = list(pool._processes.values())
        while not any(f.running() for f in futures):
            time.sleep(0.05)
        raise KeyboardInterrupt
    # ProcessPoolExecutor's own exit waited for the running naps (30 s each) and ran the rest
    finished = [f for f in futures if f.done() and not f.cancelled() and f.exception() is None]
    assert finished == []
    # the pool's own thread may reap a worker first (its exit code then shows a moment later)
    deadline = time.monotonic() + 10
    while any(w.exitcode is None for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and all(w.exitcode is not None for w in workers)


def test_a_normal_exit_waits_for_every_task_and_runs_the_initializer():
    with worker_pool(2, _record, ([], 1)) as pool:
        futures = [pool.submit(_nap, 0.01) for _ in range(5)]
    assert [f.result() for f in futures] == [0.01] * 5


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="no affinity API")
def test_available_cores_follow_the_affinity_mask():
    # the edit-distance threads used os.cpu_count(): a job pinned to one core ran as many
    # threads as the machine has cores
    import subprocess

    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from emergence.workers import available_cores; print(available_cores())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
