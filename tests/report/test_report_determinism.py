"""Same inputs and seed: byte-identical report; errors leave no partial file."""

from __future__ import annotations

import pytest
from report_fixtures import COMMAND, analysed, bundle

from emergence.report import document, render_report, write_report


def test_two_runs_are_byte_identical(tmp_path):
    first = bundle()
    again = analysed(first.data_dir)  # a fresh analysis of the same files
    a = write_report(first.analysis, tmp_path / "a.html", title="Test report", command=COMMAND)
    b = write_report(again, tmp_path / "b.html", title="Test report", command=COMMAND)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text(encoding="utf-8") == first.html


def test_one_worker_gives_the_same_report():
    # `emergence report --jobs 1`: the scaling-law bootstrap on one process, same bytes
    from report_fixtures import BOOTSTRAP, SEED

    import emergence
    from emergence.analysis import analyse

    first = bundle()
    alone = analyse(emergence.load(first.data_dir), seed=SEED, bootstrap=BOOTSTRAP, jobs=1)
    assert alone.scaling and alone.scaling[0].bootstrap is not None
    assert render_report(alone, title="Test report", command=COMMAND) == first.html


def test_no_timestamps_or_random_ids():
    text = bundle().html
    assert "<dc:date>" not in text and "<metadata>" not in text and "<?xml" not in text
    assert "matplotlib.org" not in text


def test_seed_changes_the_bands():
    import emergence
    from emergence.analysis import analyse

    b = bundle()
    other = analyse(emergence.load(b.data_dir), seed=4, bootstrap=100)
    assert render_report(other, title="Test report", command=COMMAND) != b.html


def test_failed_render_leaves_no_file(tmp_path, monkeypatch):
    dest = tmp_path / "out" / "report.html"

    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(document, "render_report", broken)
    with pytest.raises(RuntimeError):
        document.write_report(bundle().analysis, dest)
    assert not dest.exists()
    assert not dest.parent.exists() or not any(dest.parent.iterdir())


def test_failed_write_keeps_the_previous_report(tmp_path, monkeypatch):
    import emergence.output as output

    dest = tmp_path / "report.html"
    dest.write_text("previous report", encoding="utf-8")

    def no_rename(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", no_rename)
    with pytest.raises(OSError):
        write_report(bundle().analysis, dest)
    assert dest.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # temporary file removed


def test_separate_processes_give_identical_files(tmp_path):
    import os
    import subprocess
    import sys

    data = bundle().data_dir
    code = (
        "import sys; from emergence.commands.report import report; "
        "report.main(sys.argv[1:], prog_name='emergence report', standalone_mode=False)"
    )
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed / "report.html"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
        args = [str(data), "-o", str(out), "--seed", "3", "--bootstrap", "50"]
        subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        outputs.append(out.read_text(encoding="utf-8").replace(str(out), "OUT"))
    assert outputs[0] == outputs[1]
