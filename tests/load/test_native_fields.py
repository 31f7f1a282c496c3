"""Values in native tables: integers too large, numbers where an answer is expected, the target of
a multiple-choice row, and columns outside the schema.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from load_helpers import load_error, load_unsized

from emergence.errors import InputError
from emergence.load import load


@pytest.mark.parametrize(
    ("header", "row", "field", "value"),
    [
        ("choices,choice_logprobs,correct_choice", '"[""x"",""y""]","[-1.0,-2.0]",1e20',
         "correct_choice", "1e+20"),
        ("output,n_shots", "x,1e19", "n_shots", "1e+19"),
        ("output,n_shots", "x,9007199254740993", "n_shots", "9007199254740993"),
    ],
)  # fmt: skip
def test_integers_too_large_are_an_error_without_warning(tmp_path, header, row, field, value):
    path = tmp_path / "items.csv"
    path.write_text(
        f"family,model,params,task,item,target,{header}\nf,a,1e7,t,1,x,{row}\n", encoding="utf-8"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            InputError,
            match=rf"^items\.csv:2: field '{field}': expected a non-negative integer .*"
            rf"got {re.escape(value)}$",
        ):
            load_unsized(path)


@pytest.mark.parametrize(("field", "value"), [("target", "3.1"), ("target", "1e+20"),
                                               ("target", "42"), ("output", "2.50")])  # fmt: skip
def test_a_number_where_an_answer_is_expected_is_refused(tmp_path, field, value):
    row = {"family": "f", "model": "m-1b", "params": 1e9, "task": "t", "item": "1",
           "target": "x", "output": "x"}  # fmt: skip
    path = tmp_path / "items.jsonl"
    text = json.dumps(row)
    path.write_text(text.replace(f'"{field}": "x"', f'"{field}": {value}') + "\n")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(
        f"items.jsonl:1: field '{field}': expected a string, got the number "
    )
    assert 'write answers as strings ("3.10", not 3.10)' in str(err.value)


def test_a_numeric_answer_column_in_parquet_is_refused(tmp_path):
    path = tmp_path / "items.parquet"
    pd.DataFrame({"family": ["f"], "model": ["m-1b"], "params": [1e9], "task": ["t"],
                  "item": ["1"], "target": [42], "output": ["42"]}).to_parquet(path)  # fmt: skip
    with pytest.raises(InputError, match=r"^items\.parquet: row 1: field 'target': expected a "
                                         r"string, got the number 42;"):  # fmt: skip
        load(path)


def test_numbers_as_ids_still_read_as_their_digits(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"family":"f","model":"m-1b","params":1e9,"task":"t","item":3,'
                    '"target":"7","output":"7"}\n')  # fmt: skip
    assert load(path).items["item"].tolist() == ["3"]


def test_multiple_choice_target_must_be_the_correct_choice(tmp_path):
    row = {"family": "f", "model": "m1", "params": 1e9, "task": "t", "item": 1,
           "choices": ["a", "b", "c"], "choice_logprobs": [-1, -2, -3],
           "correct_choice": 0}  # fmt: skip
    bad = tmp_path / "mc.jsonl"
    bad.write_text(json.dumps(row | {"target": "a"}) + "\n" + json.dumps(row | {"item": 2,
                   "target": "b"}) + "\n")  # fmt: skip
    assert load_error(bad) == (
        "mc.jsonl:2: field 'target': expected choices[correct_choice] = 'a' (correct_choice 0), "
        "got 'b'"
    )
    bad.write_text(json.dumps(row | {"target": "a"}) + "\n")
    assert len(load(bad, warn=False).items) == 1


def test_multiple_choice_rows_with_their_own_output_keep_their_convention(tmp_path):
    row = {"family": "f", "model": "m1", "params": 1e9, "task": "t", "choices": ["Paris", "Rome"],
           "choice_logprobs": [-1, -2], "correct_choice": 0}  # fmt: skip
    path = tmp_path / "mc.jsonl"
    # letters: the output is the model's letter, the target the gold letter
    path.write_text(json.dumps(row | {"item": 1, "target": "A", "output": "B"}) + "\n")
    assert len(load(path, warn=False).items) == 1
    # without an output, spaces count as exact match counts them
    path.write_text(json.dumps(row | {"item": 2, "target": " Paris"}) + "\n")
    assert "expected choices[correct_choice] = 'Paris'" in load_error(path)
    # with an output, a target that is another choice contradicts correct_choice: exact
    # match and the grade scored the item two ways (1.0 and 0.0)
    path.write_text(json.dumps(row | {"item": 3, "target": "A", "output": "A"}) + "\n"
                    + json.dumps(row | {"item": 4, "target": "Rome", "output": "Paris"}) + "\n")
    assert load_error(path) == (
        "mc.jsonl:2: field 'target': expected choices[correct_choice] = 'Paris' (correct_choice "
        "0), got 'Rome', another of the choices"
    )


def test_multiple_choice_targets_are_checked_alike_in_csv_and_parquet(tmp_path):
    frame = pd.DataFrame({"family": "f", "model": "m1", "params": 1e9, "task": "t",
                          "item": ["1", "2"], "choices": [["x", "y"], ["x", "y"]],
                          "choice_logprobs": [[-1.0, -2.0]] * 2, "correct_choice": [0, 1],
                          "target": ["x", "x"], "output": ["x", "y"]})  # fmt: skip
    frame.to_parquet(tmp_path / "mc.parquet")
    assert load_error(tmp_path / "mc.parquet").startswith(
        "mc.parquet: row 2: field 'target': expected choices[correct_choice] = 'y'"
    )
    csv = frame.assign(choices=['["x", "y"]'] * 2, choice_logprobs=["[-1, -2]"] * 2)
    csv.to_csv(tmp_path / "mc.csv", index=False)
    assert load_error(tmp_path / "mc.csv").startswith(
        "mc.csv:3: field 'target': expected choices[correct_choice] = 'y'"
    )


def test_a_column_that_resembles_a_missing_schema_column_is_warned_about(tmp_path, capsys):
    # "logprobs" for "target_logprobs" was dropped without a word, and the task was
    # then tested on token edit distance instead of the log-probs
    row = {"family": "f", "model": "m-1b", "params": 1e9, "task": "t", "item": "a",
           "target": "1", "output": "1", "logprobs": [-0.1], "params_note": "from the card"}
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(row) + "\n")
    tables = load(path)
    assert "target_logprobs" not in tables.items.columns  # still not read: only warned about
    assert tables.ignored == ((str(path), (
        "column(s) logprobs (like target_logprobs or choice_logprobs) not in the items "
        "schema, not read; if one was meant, map it with --rename OLD=NEW (see `emergence "
        "formats`)")),)  # fmt: skip
    assert capsys.readouterr().err == f"warning: {path}: {tables.ignored[0][1]}\n"
    # metadata beside the column it describes, and unrelated names, are not warned about
    row.pop("logprobs")
    row["notes"] = "x"
    path.write_text(json.dumps(row) + "\n")
    assert load(path).ignored == () and capsys.readouterr().err == ""


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "row-by-row"])
def test_multiple_choice_target_check_row_by_row_agrees_with_arrow(monkeypatch, arrow):
    from emergence.load import native

    if not arrow:  # what columns Arrow cannot compare take
        monkeypatch.setattr(native, "_contradicting_targets", lambda *args: None)
    frame = pd.DataFrame({"choices": [["x", "y"], ["x", "y"], ["x", "y"], []],
                          "correct_choice": [0, 1, 0, pd.NA],
                          "target": ["x", "B", "y", "z"]})  # fmt: skip
    where = lambda i: f"row {i + 1}"  # noqa: E731
    arrow_lists = frame["choices"].astype(pd.ArrowDtype(pa.list_(pa.string())))
    for choices in (frame["choices"], arrow_lists):
        items = frame.assign(choices=choices,
                             correct_choice=frame["correct_choice"].astype("Int64"))  # fmt: skip
        with pytest.raises(InputError, match=r"^row 3: .*got 'y', another of the choices$"):
            native._check_mc_target(items, np.zeros(4, dtype=bool), where)
        # a letter target ("B") is the output's convention; filled in, it is refused
        with pytest.raises(InputError, match=r"^row 2: .*got 'B'$"):
            native._check_mc_target(items, np.array([False, True, False, False]), where)
        native._check_mc_target(items.iloc[[0, 1, 3]], np.zeros(3, dtype=bool), where)
