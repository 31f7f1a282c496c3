"""The command line a report prints to reproduce itself keeps every value exactly."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from emergence.commands import report as report_cmd


@pytest.mark.parametrize("alpha", [0.05, 0.0500000001, 1e-7, 0.123456789012345])
def test_reproduce_command_round_trips_alpha(alpha: float) -> None:
    line = report_cmd.command_line([], Path("r.html"), None, 0, 0, alpha, None, ())
    args = shlex.split(line)
    assert float(args[args.index("--alpha") + 1]) == alpha


def test_jobs_runs_and_stays_out_of_the_recorded_command(tmp_path: Path) -> None:
    # the report does not depend on the number of workers, so rerunning it needs no --jobs
    from click.testing import CliRunner

    from emergence.cli import cli

    losses = Path(__file__).resolve().parents[1] / "fixtures" / "cli-inputs" / "losses.csv"
    out = tmp_path / "r.html"
    res = CliRunner().invoke(cli, ["--quiet", "report", str(losses), "-o", str(out),
                                   "--bootstrap", "50", "--jobs", "1"])  # fmt: skip
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "--bootstrap 50" in html and "--jobs" not in html
