"""Every class of bad input gives one clear line, exit status 2, no traceback, no output file."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from emergence.cli import cli
from emergence.errors import InputError
from emergence.load import load

HEADER = '"family":"f","model":"m","task":"t","target":"1"'
LM_RUN = Path(__file__).resolve().parents[1] / "fixtures" / "lm-eval-0.4.13" / "tiny-neox-h32-l1"


def _jsonl(tmp_path: Path, *lines: str, name: str = "runs.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _raw(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _good(i: int, **extra: str) -> str:
    fields = {"params": "1e9", "item": f'"{i}"', "output": '"1"'}
    fields.update(extra)
    return "{" + HEADER + "," + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}"


def _cut_lm_eval_run(tmp_path: Path) -> Path:
    """A copy of a real lm-eval run whose multiple-choice samples file lost its last lines."""
    run = tmp_path / "run"
    shutil.copytree(LM_RUN, run)
    samples = next(run.glob("samples_toy_mc_*.jsonl"))
    samples.write_text("".join(samples.read_text().splitlines(keepends=True)[:3]))
    return next(run.glob("results_*.json"))


CASES = {
    "missing column": (
        lambda p: _jsonl(p, '{"family":"f","model":"m","params":1,"item":"1","target":"1"}'),
        "runs.jsonl: field 'task': missing required column",
    ),
    "wrong type": (
        lambda p: _jsonl(p, _good(1), _good(2, params='"seven"')),
        "runs.jsonl:2: field 'params': expected a positive number (e.g. 7B, 125M, 1.3e9), "
        'got "seven"',
    ),
    "negative params": (
        lambda p: _jsonl(p, _good(1), _good(2), _good(3, params="-5")),
        "runs.jsonl:3: field 'params': expected a positive number, got -5.0",
    ),
    "non-finite params": (
        lambda p: _jsonl(p, _good(1, params='"inf"')),
        "runs.jsonl:1: field 'params'",
    ),
    "logprob above zero": (
        lambda p: _jsonl(
            p,
            _good(1, target_tokens='["1"]', target_logprobs="[-0.5]"),
            _good(2, target_tokens='["1"]', target_logprobs="[0.25]"),
        ),
        "runs.jsonl:2: field 'target_logprobs': expected log-probabilities <= 0, got 0.25",
    ),
    "list lengths disagree": (
        lambda p: _jsonl(p, _good(1, target_tokens='["1","2"]', target_logprobs="[-0.5]")),
        "runs.jsonl:1: field 'target_logprobs': expected 2 values (one per element of "
        "'target_tokens'), got 1",
    ),
    "duplicate keys": (
        lambda p: _jsonl(p, _good(1), _good(2), _good(1)),
        "runs.jsonl:3: duplicate items row (family=f, model=m, task=t, item=1); first seen at "
        "runs.jsonl:1",
    ),
    "empty file": (lambda p: _jsonl(p), "runs.jsonl: empty file"),
    "truncated line": (
        lambda p: _jsonl(p, _good(1), _good(2)[:-9]),
        "runs.jsonl:2: invalid JSON",
    ),
    "wrong encoding": (
        lambda p: (
            (p / "runs.csv").write_bytes(
                b"family,model,params,task,item,target,output\nf,m,1e9,t,1,caf\xe9,x\n"
            )
            and p / "runs.csv"
        ),
        "runs.csv:2: field 'target': not valid UTF-8 (byte 0xe9); expected UTF-8 text",
    ),
    "wrong encoding in a JSONL string": (
        lambda p: _raw(
            p,
            "runs.jsonl",
            (_good(1) + "\n" + _good(2)).encode().replace(b'"family":"f"', b'"family":"f\xe9"', 1),
        ),
        "runs.jsonl:1: field 'family': not valid UTF-8 (byte 0xe9); expected UTF-8 text",
    ),
    "escaped lone surrogate in a JSONL string": (
        lambda p: _raw(
            p,
            "runs.jsonl",
            (_good(1) + "\n" + _good(2) + "\n")
            .encode()
            .replace(b'"item":"2"', b'"item":"2\\ud800"'),
        ),
        "runs.jsonl:2: field 'item': an escaped lone surrogate (\\ud800-\\udfff) is not a "
        "character; expected valid Unicode text",
    ),
    "escaped lone surrogate in a one-line JSON array": (
        lambda p: _raw(
            p,
            "runs.json",
            ("[" + _good(1) + "," + _good(2) + "]")
            .encode()
            .replace(b'"item":"2"', b'"item":"\\udc00"'),
        ),
        "runs.json: record 2: field 'item': an escaped lone surrogate (\\ud800-\\udfff) is not a "
        "character; expected valid Unicode text",
    ),
    "wrong encoding in an item id": (
        lambda p: _raw(
            p,
            "runs.jsonl",
            (_good(1) + "\n" + _good(2) + "\n")
            .encode()
            .replace(b'"item":"2"', b'"item":"2\xff\xfe"'),
        ),
        "runs.jsonl:2: field 'item': not valid UTF-8 (byte 0xff); expected UTF-8 text",
    ),
    "duplicate keys with an empty subtask": (
        lambda p: _raw(
            p,
            "s.csv",
            b"family,model,params,task,subtask,n_shots,metric,value\n"
            b"f,m1,1e6,t,,0,acc,0.5\nf,m2,2e6,t,,0,acc,0.6\nf,m1,1e6,t,,0,acc,0.5\n",
        ),
        "s.csv:4: duplicate scores row (family=f, model=m1, task=t, n_shots=0, metric=acc); "
        "first seen at s.csv:2",
    ),
    "a column named twice": (
        lambda p: _raw(p, "l.csv", b"params,tokens,loss,loss\n1e8,2e9,3.1,1\n"),
        "l.csv:1: column 'loss' appears twice (columns 3 and 4); expected unique column names",
    ),
    "two sizes for one model": (
        lambda p: _jsonl(p, _good(1), _good(2), _good(3, params="2e9")),
        "runs.jsonl:3: field 'params': model 'm' (family 'f') has params 2e+09 here but 1e+09 "
        "at runs.jsonl:1; expected one size per model",
    ),
    "no size in one row of a sized model": (
        lambda p: _jsonl(p, _good(1), _good(2, params="null")),
        "runs.jsonl:2: field 'params': expected a number, got a missing value (empty, NaN or "
        "null); model 'm' (family 'f') has "
        "params 1e+09 at runs.jsonl:1",
    ),
    "empty params in a losses table": (
        lambda p: _raw(p, "l.csv", b"params,tokens,loss\n1e8,2e9,3.1\n,2e10,2.6\n"),
        "l.csv:3: field 'params': expected a number, got a missing value (empty, NaN or null)",
    ),
    "unknown table": (
        lambda p: (p / "x.csv").write_text("a,b\n1,2\n") and p / "x.csv",
        "x.csv: cannot tell which table this is from its columns (a, b)",
    ),
    "a semicolon-separated CSV": (
        lambda p: _raw(p, "s.csv", b"family;model;params;task;metric;value\nf;m;1e6;t;acc;0.5\n"),
        "s.csv: cannot tell which table this is from its columns (family;model;params;task;"
        "metric;value); expected items (item, target, ...), scores (metric, value, ...) or "
        "losses (loss, params, and tokens or flops); its one column name holds semicolons: the "
        "file separates fields with semicolons, not commas; save it as comma-separated CSV",
    ),
    "a Python list in a CSV list cell": (
        lambda p: _raw(p, "i.csv", b"family,model,params,task,item,target,output,choices\n"
                                   b"f,m,1e6,t,1,a,a,\"['a', 'b']\"\n"),  # fmt: skip
        "i.csv:2: field 'choices': expected a JSON array, got \"['a', 'b']\" (a Python list? "
        'JSON strings take double quotes and a missing value is null: ["a", "b"])',
    ),
    "interval bounds in percent beside a rate": (
        lambda p: _raw(p, "s.csv", b"family,model,params,task,metric,value,ci_low,ci_high\n"
                                   b"f,m,1e6,t,acc,0.45,0.4,0.5\nf,n,2e6,t,acc,0.5,45,55\n"),
        "s.csv:3: field 'value': expected a value near its interval [45, 55] (within its width), "
        "got 0.5 (the bounds look like percentages: divide ci_low and ci_high by 100)",
    ),
    "a value far outside its own interval": (
        lambda p: _raw(p, "s.csv", b"family,model,params,task,metric,value,ci_low,ci_high\n"
                                   b"f,m,1e6,t,acc,0.9,0.4,0.5\n"),
        "s.csv:2: field 'value': expected a value near its interval [0.4, 0.5] (within its "
        "width), got 0.9",
    ),
    "bad correct_choice": (
        lambda p: _jsonl(
            p,
            "{" + HEADER + ',"params":1,"item":"1","choices":["a","b"],'
            '"choice_logprobs":[-1,-2],"correct_choice":5}',
        ),
        "runs.jsonl:1: field 'correct_choice': expected an index below 2",
    ),
    "correct_choice beyond the scored choices (no choice texts)": (
        lambda p: _jsonl(
            p,
            "{" + HEADER + ',"params":1,"item":"1","target":"a",'
            '"choice_logprobs":[-1,-2],"correct_choice":5}',
        ),
        "runs.jsonl:1: field 'correct_choice': expected an index below 2",
    ),
    "a CSV cut inside its last row": (
        lambda p: _raw(p, "s.csv", b"family,model,params,task,metric,value,n_items\n"
                                   b"f,m1,1e6,t,acc,0.5,10\nf,m2,2e6,t,acc,0.6"),  # fmt: skip
        "s.csv:3: 6 fields, the header has 7, and the file ends in this row without a line "
        "break; expected one field per column (file cut short? if the row only leaves out empty "
        "trailing cells, end the file with a line break)",
    ),
    "a quoted CSV field never closed": (
        lambda p: _raw(p, "s.csv", b'family,model,params,task,metric,value\nf,"m1,1e6\n'),
        "s.csv:2: a quoted field opened in this row is not closed before the end of the file",
    ),
    "gzip bytes under a .csv suffix": (
        lambda p: _raw(p, "s.csv", gzip.compress(b"family,model,params,task,metric,value\n")),
        "s.csv: a gzip-compressed file, not text; expected UTF-8 text: decompress it",
    ),
    "an lm-eval samples file cut at a line end": (
        _cut_lm_eval_run,
        "samples_toy_mc_2026-11-23T18-17-00.935892.jsonl: expected the 6 documents that "
        "results_2026-11-23T18-17-00.935892.json counts for task toy_mc",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_library_raises_input_error(tmp_path: Path, case: str) -> None:
    make, expected = CASES[case]
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(expected), message
    assert "\n" not in message


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_prints_one_line_and_exits_2_without_output(tmp_path: Path, case: str) -> None:
    make, expected = CASES[case]
    path = make(tmp_path)
    before = path.read_bytes()
    out = tmp_path / "out" / "summary.csv"
    result = CliRunner().invoke(cli, ["summary", str(path), "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"error: {lines[0][len('error: ') :]}"] and expected in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert path.read_bytes() == before  # inputs are never modified


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["summary", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_json_nested_too_deeply_is_one_error_line(tmp_path, name):
    # RecursionError tracebacks from the parser
    row = {"family": "f", "model": "m", "params": 1e9, "task": "t", "item": "i", "target": "a"}
    text = json.dumps(row)[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    path = tmp_path / name
    path.write_text(text if name.endswith("l") else f"[{text}]")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(f"{name}: JSON nested too deeply to read")
    with pytest.raises(InputError, match=f"^{name}: JSON nested too deeply"):
        load(tmp_path)  # found in a folder too


def test_a_header_without_rows_names_the_table_with_its_article(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("family,model,params,task,item,target\n")
    with pytest.raises(InputError, match=r"^items\.csv: no records; expected an items table$"):
        load(path)
    path.write_text("family,model,params,task,metric,value\n")
    with pytest.raises(InputError, match=r"^items\.csv: no records; expected a scores table$"):
        load(path)


def test_a_value_just_outside_a_percentile_interval_is_read(tmp_path):
    # a percentile bootstrap interval may leave its estimate out by a little
    path = _raw(tmp_path, "s.csv", b"family,model,params,task,metric,value,ci_low,ci_high\n"
                                   b"f,m,1e6,t,acc,0.45,0.46,0.56\n")  # fmt: skip
    assert load(path).scores["ci_low"].iloc[0] == 0.46
