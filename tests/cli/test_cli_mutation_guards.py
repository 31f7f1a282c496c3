"""CLI output behaviour that a mutation audit found untested: strict JSON (a missing value is
null, never NaN) and summary rows in scale order."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runs import run

SCORES = (
    "family,model,params,task,metric,value\n"
    "f,m-10b,1e10,t,acc,0.5\n"
    "f,m-2b,,t,acc,0.6\n"
    "f,m-300m,3e8,t,acc,0.4\n"
)


def _strict(text: str):  # noqa: ANN202
    """``text`` parsed as strict JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(constant: str):  # noqa: ANN202
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_json_outputs_write_a_missing_size_as_null(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(SCORES)
    printed = run("summary", path, "--format", "json")
    assert printed.exit_code == 0, printed.output
    files = {}
    for name in ("s.json", "s.jsonl"):
        result = run("summary", path, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
        files[name] = (tmp_path / name).read_text(encoding="utf-8")
    as_json = _strict(printed.stdout)
    assert _strict(files["s.json"]) == as_json
    assert [_strict(line) for line in files["s.jsonl"].splitlines()] == as_json
    params = {row["model"]: row["params"] for row in as_json}
    assert params == {"m-10b": 1e10, "m-2b": None, "m-300m": 3e8}


def test_summary_lists_the_models_of_a_family_in_scale_order(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(SCORES.replace("f,m-2b,,", "f,m-2b,2e9,"))
    result = run("summary", path, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    assert [r[2] for r in rows] == ["m-300m", "m-2b", "m-10b"]  # not name order
