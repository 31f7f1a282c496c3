"""The summary ``emergence report`` prints: what a reader must see first, and what it left out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner
from report_fixtures import bundle

from emergence import cli
from emergence.analysis import TaskCounts
from emergence.commands import report as report_cmd


def test_summary_is_one_screen():
    verdicts = pd.concat([bundle().analysis.verdicts] * 20, ignore_index=True)
    text = report_cmd.summary_text(verdicts)
    assert len(text.splitlines()) <= 25
    assert f"and {len(verdicts) - report_cmd.SUMMARY_ROWS} more" in text


def test_summary_keeps_q_values_off_the_level():
    verdicts = pd.DataFrame({
        "family": "f", "task": ["a", "b", "c"], "verdict": ["threshold", "underpowered", "smooth"],
        "q_value": [0.04996, 0.05004, np.nan], "breakpoint_params": [1e9, np.nan, np.nan],
    })  # fmt: skip
    lines = report_cmd.summary_text(verdicts, TaskCounts(1, 3, 3), alpha=0.05).splitlines()
    # rounded to 3 digits both read 0.05, one a threshold at q <= 0.05 and one not
    assert "0.04996" in lines[3] and "0.05004" in lines[4]
    assert lines[5].split()[-1] == "smooth"  # no q: an empty cell, not "nan"


def _many() -> pd.DataFrame:
    """30 pairs: the findings sort last by name (families x, y, z after a)."""
    rows = [("a", f"t{k:02d}", "smooth", 1.0, np.nan) for k in range(24)]
    rows += [("z", "t1", "threshold", 0.02, 2e9), ("z", "t2", "threshold", 0.001, 5e8),
             ("y", "t1", "mirage", 0.9, np.nan), ("y", "t2", "mirage", 0.4, np.nan),
             ("x", "t1", "underpowered", np.nan, np.nan), ("x", "t2", "ambiguous", 0.003, 7e8)]
    return pd.DataFrame(rows, columns=["family", "task", "verdict", "q_value",
                                       "breakpoint_params"])  # fmt: skip


def _rows(text: str) -> list[list[str]]:
    """The table rows of a summary (after the table's header line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["family", "task"])
    return [line.split() for line in lines[start + 1 :] if not line.startswith("...")]


def test_thresholds_and_mirages_lead_by_q_value_whatever_their_names():
    text = report_cmd.summary_text(_many(), alpha=0.05, report="reports/study.html")
    rows = _rows(text)
    assert len(rows) == report_cmd.SUMMARY_ROWS
    assert [r[:2] for r in rows[:4]] == [["z", "t2"], ["z", "t1"], ["y", "t2"], ["y", "t1"]]
    assert rows[0][-1] == "500M" and rows[1][-1] == "2B"  # a threshold's breakpoint
    # then the others by q: the ambiguous pair (q 0.003) before the smooth ones (q 1)
    assert rows[4][:3] == ["x", "t2", "ambiguous"] and len(rows[4]) == 4  # no breakpoint
    assert {r[2] for r in rows[5:]} == {"smooth"}
    lines = text.splitlines()
    assert lines[1] == ("The 20 of 30 rows that matter most: thresholds and mirages first, "
                        "then the others, each by q-value")  # fmt: skip
    # what was left out, and where every row is
    assert lines[-1] == ("... and 10 more rows not shown (9 smooth, 1 underpowered): all are "
                         "in the Verdicts table of reports/study.html")  # fmt: skip


def test_nothing_left_out_needs_no_note():
    text = report_cmd.summary_text(_many(), limit=30)
    assert "not shown" not in text and "matter most" not in text
    assert len(_rows(text)) == 30 and _rows(text)[0][:2] == ["z", "t2"]
    one_left = report_cmd.summary_text(_many(), limit=29)
    assert one_left.splitlines()[-1].startswith("... and 1 more row not shown (1 underpowered)")
    assert "the report's Verdicts table" in one_left  # no path given


def test_summary_names_tasks_split_by_subtask_and_shots_as_emergence_summary_does():
    v = _many()
    split = report_cmd.summary_text(v, TaskCounts(names=2, variants=6, pairs=30))
    assert split.startswith(
        "30 family-task pairs over 2 tasks (6 with subtasks and shot counts apart): "
        "2 threshold, 2 mirage, 24 smooth, 1 ambiguous, 1 underpowered\n"
    )
    plain = report_cmd.summary_text(v, TaskCounts(names=30, variants=30, pairs=30))
    assert plain.startswith("30 family-task pairs: 2 threshold")
    missing = report_cmd.summary_text(v, TaskCounts(names=31, variants=31, pairs=31))
    assert missing.startswith("30 of 31 family-task pairs: ")
    none = report_cmd.summary_text(v.iloc[0:0], TaskCounts(0, 0, 0))
    assert none.startswith("no tasks in the input")


def test_report_command_says_where_the_full_table_is(monkeypatch, tmp_path):
    monkeypatch.setattr(report_cmd, "SUMMARY_ROWS", 1)
    out = tmp_path / "study.html"
    args = ["--quiet", "report", str(bundle().data_dir), "-o", str(out), "--bootstrap", "0"]
    result = CliRunner().invoke(cli.cli, args)
    assert result.exit_code == 0, result.output
    n = len(bundle().analysis.verdicts)
    assert f"... and {n - 1} more rows not shown" in result.stdout
    assert f"all are in the Verdicts table of {out}\n" in result.stdout


def test_without_findings_the_rows_are_not_said_to_lead_with_them():
    # review: "thresholds and mirages first" was printed when there were none
    plain = _many()
    plain = plain[~plain["verdict"].isin(["threshold", "mirage"])]
    lines = report_cmd.summary_text(plain, limit=20).splitlines()
    assert lines[1] == "The first 20 of 26 rows by q-value (no thresholds or mirages)"
    assert not any("matter most" in line for line in lines)


def test_one_pair_is_named_in_the_singular():
    verdicts = pd.DataFrame({"family": ["f"], "task": ["a"], "verdict": ["smooth"],
                             "q_value": [np.nan], "breakpoint_params": [np.nan]})  # fmt: skip
    assert report_cmd.summary_text(verdicts).startswith("1 family-task pair: 1 smooth")
    two = report_cmd.summary_text(verdicts, TaskCounts(1, 2, 2))
    assert two.startswith("1 of 2 family-task pairs over 1 task (2 with subtasks and shot "
                          "counts apart): ")
