"""Native ``.json`` arrays of row objects (what ``-o x.json`` writes) read back; other JSON is not
claimed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from load_helpers import load_error

from emergence.errors import InputError
from emergence.load import load


def test_json_rows_read_back(tmp_path):
    rows = [{"family": "f", "model": f"m{i}", "params": 10.0**i, "task": "t",
             "metric": "exact_match", "value": 0.1 * i} for i in (6, 7, 8)]  # fmt: skip
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(rows, indent=2))
    scores = load(path, warn=False).scores
    assert list(scores["value"]) == pytest.approx([0.6, 0.7, 0.8])
    # other JSON in a folder is not claimed as rows, and not an error
    (tmp_path / "config.json").write_text('{"seed": 1}')
    (tmp_path / "verdicts.json").write_text('[{"family": "f", "verdict": "smooth"}]')
    assert len(load(tmp_path, warn=False).scores) == 3


def test_json_rows_are_sniffed_from_the_head_only(tmp_path):
    # the first object decides; a big array is not parsed whole to sniff it
    path = tmp_path / "big.json"
    first = {"family": "f", "model": "m", "params": 1e9, "task": "t", "metric": "acc",
             "value": 0.5}  # fmt: skip
    path.write_text("[" + json.dumps(first) + "," + "x" * 70_000 + "]")
    from emergence.load import native

    assert native.sniff(path)
    assert load_error(path) == "big.json: expected a JSON array of row objects"


def test_a_json_array_with_a_long_first_row_is_read(tmp_path):
    rows = [{"family": "f", "model": f"m{i}", "params": 10.0 ** (6 + i), "task": "t",
             "item": "1", "target": "a", "output": "a" * (70_000 if i == 0 else 1)}
            for i in range(3)]  # fmt: skip
    path = tmp_path / "items.json"
    path.write_text(json.dumps(rows))
    assert len(load(path, warn=False).items) == 3


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("n_shots", True, "field 'n_shots': expected a number, got a boolean"),
        ("flops", [1], "field 'flops': expected a positive number (e.g. 7B, 125M, 1.3e9), got [1]"),
        ("tokens", "abc", "field 'tokens': expected a positive number (e.g. 7B, 125M, 1.3e9), got"),
    ],
)
def test_a_field_only_a_later_line_has_is_named_by_that_line(tmp_path, field, value, expected):
    # the Arrow reader types such a column by the rows that have it: the error named line 1
    rows = [dict(family="f", model=f"m{i}", params=1e9 * (i + 1), task="t", item="1",
                 target="a", output="a") for i in range(5)]  # fmt: skip
    rows[2][field] = value
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(f"x.jsonl:3: {expected}"), err.value


def test_a_size_given_as_a_list_of_one_is_no_size():
    from emergence.load.sizes import parse_size

    with pytest.raises(ValueError):
        parse_size(np.array([7e9]))
    assert parse_size(np.float32(7e9)) == pytest.approx(7e9)


@pytest.mark.parametrize(
    "line, kind", [("null", "null"), ("[1, 2]", "an array"), ('"x"', "a string"),
                   ("3", "a number"), ("true", "the boolean true")],
)  # fmt: skip
def test_a_jsonl_line_that_is_no_object_is_named_in_json_words(tmp_path, line, kind):
    rows = [json.dumps(dict(family="f", model=m, params=1e9, task="t", item="1", target="a",
                            output="a")) for m in ("m", "n")]  # fmt: skip
    path = tmp_path / "x.jsonl"
    path.write_text(f"{rows[0]}\n{rows[1]}\n{line}\n")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value) == f"x.jsonl:3: expected a JSON object, got {kind}"


@pytest.mark.parametrize(
    "head", ["null\n", "  null\n", "\n\nnull\n", "\ufeffnull\n"],
    ids=["first", "indented", "after-blanks", "after-bom"],
)
def test_a_jsonl_file_starting_with_null_is_an_error_not_a_crash(tmp_path, head):
    # pyarrow's reader segfaults on a parse block that starts with a null line: in a child
    # process, so that a crash fails this test instead of the whole run
    row = json.dumps(dict(family="f", model="m", params=1e9, task="t", item="1", target="a",
                          output="a"))  # fmt: skip
    path = tmp_path / "x.jsonl"
    path.write_text(head + row + "\n", encoding="utf-8")
    line = head.count("\n")
    code = (
        "import sys; from emergence.errors import InputError; from emergence.load import load\n"
        f"try: load({str(path)!r})\n"
        "except InputError as e: print(e); sys.exit(2)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stdout.strip() == f"x.jsonl:{line}: expected a JSON object, got null"


def test_a_null_line_anywhere_skips_the_fast_reader(tmp_path):
    from emergence.load.native import _has_null_line

    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a": null}\n{"b": [null]}\n')
    assert not _has_null_line(path)  # nulls inside records are fine
    path.write_bytes(b'{"a": 1}\n \t\r\nnull\n{"a": 2}\n')
    assert _has_null_line(path)


def test_a_jsonl_file_of_blank_lines_is_empty(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("  \n\n\t\n")
    with pytest.raises(InputError, match=r"^x\.jsonl: empty file; expected one JSON object"):
        load(path)


def test_numpy_true_is_no_size():
    from emergence.load.sizes import parse_size

    with pytest.raises(ValueError):
        parse_size(np.True_)
