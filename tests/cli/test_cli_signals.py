"""SIGTERM and SIGHUP stop a command cleanly: no temporary or partial output file, no worker
processes left behind, and the process dies of the signal as its caller expects."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emergence import output
from emergence.cli import Terminated, termination_raises

REPO = Path(__file__).resolve().parents[2]
LOSSES = REPO / "benchmarks_data" / "simulated" / "losses.csv"


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker whose new parent has not reaped it yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_parallel_bootstrap_stops_the_workers_and_writes_nothing(
    tmp_path, signum
):
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "emergence", "fit", "chinchilla", str(LOSSES), "--family",
           "sim-b", "--bootstrap", "50000", "--jobs", "2", "-o", str(out / "fit.json")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(workers := _children(proc.pid)) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    assert len(workers) == 2
    proc.send_signal(signum)
    # before: the parent died at once and its two idle workers ran on, holding these pipes
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signum, err
    assert b"Traceback" not in err
    deadline = time.monotonic() + 20
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(w) for w in workers)
    assert list(out.iterdir()) == []


def test_a_signal_while_the_output_is_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    replace = os.replace

    def interrupted(src, dst):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises here, before the rename
        replace(src, dst)

    monkeypatch.setattr(output.os, "replace", interrupted)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as caught, termination_raises():
        output.atomic_write_bytes(tmp_path / "scores.csv", b"a,b\n1,2\n")
    assert caught.value.signum == signal.SIGTERM
    # before: SIGTERM's default killed the process with .scores.csv.*.tmp in the folder
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before


class _SignalInDel:
    """Sends SIGTERM from ``__del__``, where Python drops the exception its handler raises
    (as in the at-fork hook that dropped it while a pool started its workers)."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs between bytecodes, here
            pass


def test_a_dropped_termination_is_sent_again_until_it_stops_the_command(capsys):
    started = time.monotonic()
    with pytest.raises(Terminated), termination_raises():
        _SignalInDel()  # dropped: before, the command then ran to its end, SIGTERM ignored
        while time.monotonic() - started < 60:
            time.sleep(0.1)
    assert time.monotonic() - started < 60
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("leave", [None, SystemExit(0)])
def test_leaving_the_block_after_a_dropped_termination_raises_it(monkeypatch, leave):
    monkeypatch.setattr("emergence.cli.RESEND_SECONDS", 3600.0)
    with pytest.raises(Terminated), termination_raises():
        _SignalInDel()
        if leave is not None:  # the CLI's block ends in click's sys.exit
            raise leave


def test_an_exception_without_a_signal_passes_through_unchanged():
    with pytest.raises(SystemExit), termination_raises():
        raise SystemExit(2)
