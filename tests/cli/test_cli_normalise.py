"""``--normalise`` on detect and report, as on rescore: one option, one parser."""

from __future__ import annotations

import re

import pytest
from cli_runs import one_error_line, run
from mirage_items import mirage_items


@pytest.fixture(scope="module")
def padded(tmp_path_factory):
    """Mirage items whose outputs carry a trailing space the source's grader stripped."""
    items = mirage_items([3, 5], n_items=60, seed=4)
    items["correct"] = items["output"] == items["target"]
    items["output"] = items["output"] + " "
    path = tmp_path_factory.mktemp("normalise") / "items.jsonl"
    items.to_json(path, orient="records", lines=True)
    return path


@pytest.mark.parametrize("extra", [[], ["--normalise", "strip"]])
def test_detect_reads_normalise_and_notes_a_disagreement_with_the_source(padded, extra):
    res = run("detect", padded, "--format", "csv", "--bootstrap", "0", *extra)
    assert res.exit_code == 0, res.output
    assert ("source's own grading" in res.output) is (not extra)


@pytest.mark.parametrize("command", ["detect", "report", "rescore"])
@pytest.mark.parametrize(
    "value, text",
    [
        ("bogus", "--normalise: unknown option 'bogus'; expected strip, casefold"),
        (",", "--normalise: expected a comma-separated list of options"),
        ("nfc,nfkc", "--normalise: choose one of nfc and nfkc"),
    ],
)
def test_a_bad_normalise_is_one_line_before_any_work(padded, tmp_path, command, value, text):
    out = tmp_path / ("r.html" if command == "report" else "v.csv")
    one_error_line(run(command, padded, "--normalise", value, "-o", out), text)
    assert not out.exists()


def test_the_report_states_its_exact_match_and_the_command_repeats_it(padded, tmp_path):
    out = tmp_path / "r.html"
    res = run("report", padded, "-o", out, "--bootstrap", "0", "--normalise", "casefold,strip")
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "<dt>Exact match</dt><dd>normalised: strip, casefold</dd>" in html
    # canonical order, reads back the same
    assert _command(html).endswith("--alpha 0.05 --normalise strip,casefold")
    assert "own grading" not in html
    strict = tmp_path / "s.html"
    assert run("report", padded, "-o", strict, "--bootstrap", "0").exit_code == 0
    text = strict.read_text()
    assert "<dt>Exact match</dt><dd>strict (strings compared as given)</dd>" in text
    assert "--normalise" not in _command(text)
    assert "strict exact match disagrees with the source" in text  # the verdict's note


def _command(html: str) -> str:
    """The reproducing command in the report's header."""
    return re.search(r"<code>(emergence report [^<]*)</code>", html).group(1)


@pytest.mark.parametrize("extra", [[], ["--normalise", "strip"], ["--metrics", "p_correct"]])
def test_rescore_warns_once_when_exact_match_is_not_the_sources_grade(padded, tmp_path, extra):
    out = tmp_path / "s.csv"
    res = run("rescore", padded, "-o", out, "--bootstrap", "0", *extra)
    assert res.exit_code == 0, res.output
    warned = [line for line in res.stderr.splitlines() if line.startswith("warning: ")]
    if extra:  # normalised as the source graded, or exact match not asked for
        assert warned == []
    else:
        assert len(warned) == 1 and "strict exact match disagrees with the source's own " \
            "grading (column correct) on" in warned[0]  # fmt: skip
        assert warned[0].endswith("rescore with --normalise (e.g. strip,casefold) or check the "
                                  "outputs")  # fmt: skip


def test_real_framework_generations_give_no_grading_warning(tmp_path):
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    for run_dir in (fixtures / "lm-eval-0.4.13", fixtures / "helm-0.5.16"):
        res = run("rescore", run_dir, "-o", tmp_path / f"{run_dir.name}.csv", "--bootstrap", "0")
        assert res.exit_code == 0, res.output
        assert "own grading" not in res.stderr, res.stderr
