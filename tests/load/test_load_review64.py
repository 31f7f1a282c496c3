"""Loader review 64: messages tell same-named files apart, a --rename that matches nothing is an
error, ragged CSV rows and contradictory multiple-choice rows are refused, a HELM format forced
on another file says so, and the .json rows that ``-o x.json`` writes read back.

Inputs are built in ``tmp_path`` from hand-written text and copies of ``tests/fixtures``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from emergence.errors import InputError
from emergence.load import load

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LM_RUN = FIXTURES / "lm-eval-0.4.13" / "tiny-neox-h32-l1"
HEADER = "family,model,params,task,item,target,output\n"


def _err(*paths, **kw) -> str:
    with pytest.raises(InputError) as err:
        load(list(paths), warn=False, **kw)
    return str(err.value)


def test_same_named_files_in_two_folders_are_named_by_path(tmp_path):
    # per-model folders hold files of one name: the bare name would not say which is broken
    for model, params in (("m1", "1e9"), ("m2", "zz")):
        (tmp_path / model).mkdir()
        (tmp_path / model / "runs.csv").write_text(f"{HEADER}f,{model},{params},t,1,a,a\n")
    msg = _err(tmp_path)
    assert msg.startswith(f"{tmp_path / 'm2' / 'runs.csv'}:2: field 'params'"), msg


def test_same_named_lm_eval_runs_are_named_by_path(tmp_path):
    results = next(LM_RUN.glob("results_*.json"))
    for model in ("a", "b"):
        shutil.copytree(LM_RUN, tmp_path / model)
    broken = tmp_path / "b" / results.name
    broken.write_text(results.read_text()[:3000])
    msg = _err(tmp_path)
    assert msg.startswith(f"{broken}:"), msg
    # a name no other input shares stays short
    shutil.rmtree(tmp_path / "a")
    assert _err(tmp_path).startswith(f"{results.name}:")


def test_a_rename_that_matches_no_column_is_an_error(tmp_path):
    data = tmp_path / "losses.csv"
    data.write_text("family,model,params,tokens,loss,loss_add\nf,m,1e6,2e7,3.0,2.5\n")
    msg = _err(data, rename={"loss_ad": "loss"})
    assert msg.startswith("--rename loss_ad=loss: expected a column 'loss_ad', got none in "
                          "losses.csv (columns of losses.csv: family, model, params")  # fmt: skip
    # a column one of several files has is fine
    other = tmp_path / "other.csv"
    other.write_text("family,model,params,tokens,L\nf,m2,2e6,4e7,2.9\n")
    tables = load([data, other], rename={"L": "loss"}, warn=False)
    assert sorted(tables.losses["loss"]) == [2.9, 3.0]
    # renames apply to native files only: with none among the inputs nothing could match
    assert "no input is one" in _err(LM_RUN, rename={"a": "b"})


def test_ragged_csv_rows(tmp_path):
    # a first row longer than the header, even by an empty field: a trailing comma cannot be
    # told from a column the header does not name (review 67: a row number and an empty last
    # column were read shifted), so it is refused with what to check
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(HEADER + "f,m1,1e9,t,1,a,a,\nf,m2,2e9,t,1,a,b,\n")
    assert _err(trailing) == (
        "trailing.csv:2: 8 fields, the header has 7; expected one field per column (a "
        "trailing comma, or a column the header does not name?)"
    )
    # after a first row of the header's width, an empty extra field is a trailing comma
    later = tmp_path / "later.csv"
    later.write_text(HEADER + "f,m1,1e9,t,1,a,a\nf,m2,2e9,t,1,a,b,\n")
    assert list(load(later, warn=False).items["output"]) == ["a", "b"]
    # a value there is refused, with its line
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + "f,m1,1e9,t,1,a,a\nf,m2,2e9,t,1,a,b,x\n")
    assert _err(extra) == (
        "extra.csv:3: 8 fields, the header has 7; expected one field per column"
    )
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "f,m1,1e9,t,1,a,a\nf,m2,2e9,t,1,a,b,x\n")
    assert _err(one).startswith("one.csv:3: 8 fields, the header has 7")


def test_multiple_choice_target_must_be_the_correct_choice(tmp_path):
    row = {"family": "f", "model": "m1", "params": 1e9, "task": "t", "item": 1,
           "choices": ["a", "b", "c"], "choice_logprobs": [-1, -2, -3],
           "correct_choice": 0}  # fmt: skip
    bad = tmp_path / "mc.jsonl"
    bad.write_text(json.dumps(row | {"target": "a"}) + "\n" + json.dumps(row | {"item": 2,
                   "target": "b"}) + "\n")  # fmt: skip
    assert _err(bad) == (
        "mc.jsonl:2: field 'target': expected choices[correct_choice] = 'a' (correct_choice 0), "
        "got 'b'"
    )
    bad.write_text(json.dumps(row | {"target": "a"}) + "\n")
    assert len(load(bad, warn=False).items) == 1


def test_helm_forced_on_another_file_says_what_a_run_folder_needs(tmp_path):
    data = tmp_path / "losses.csv"
    data.write_text("family,model,params,tokens,loss\nf,m,1e6,2e7,3.0\n")
    msg = _err(data, format="helm")
    assert msg.startswith(f"{data}: expected a HELM run folder (with scenario_state.json and "
                          "per_instance_stats.json), got no scenario_state.json or")  # fmt: skip


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


# --- second review of these fixes (review 66) -----------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # two extra fields, the last empty: pandas made a two-level index of them
        ("f,m1,1e9,t,1,Paris, France,Paris,\n", "x.csv:2: 9 fields, the header has 7"),
        # a quoted three-line field first: the line is the physical one
        ('f,m1,1e9,t,1,"a\nb\nc",a\nf,m2,2e9,t,1,a,b\nf,m3,3e9,t,1,a,b,x\n',
         "x.csv:6: 8 fields, the header has 7"),
    ],
)
def test_overlong_rows_are_refused_wherever_they_are(tmp_path, rows, expected):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + rows)
    assert _err(path).startswith(expected)


def test_a_first_column_counting_rows_is_not_taken_for_an_index(tmp_path):
    # pandas makes 0, 1, 2, ... a RangeIndex: every value then sat one column to the left
    path = tmp_path / "l.csv"
    path.write_text("run,family,model,params,tokens,loss\n0,f,m1,1e6,2e7,3.0,2.9\n")
    assert _err(path).startswith("l.csv:2: 7 fields, the header has 6")
    # and with an empty last column (pandas dropped it and read every value shifted)
    path.write_text("family,model,task,item,target,output\n0,f,m1,t,1,A,\n")
    assert _err(path).startswith("l.csv:2: 7 fields, the header has 6")


def test_a_rename_counts_every_row_of_a_jsonl_file(tmp_path):
    rows = [{"family": "f", "model": f"m{i}", "params": 1e9 * (i + 1), "task": "t",
             "metric": "acc", "value": 0.5} for i in range(2)]  # fmt: skip
    rows[1]["sub"] = "x"
    path = tmp_path / "late.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    scores = load(path, rename={"sub": "subtask"}, warn=False).scores
    assert scores["subtask"].tolist()[1] == "x"
    # lm-eval inputs and a config JSON (skipped): no native table was read
    folder = tmp_path / "run"
    shutil.copytree(LM_RUN, folder)
    (folder / "config.json").write_text('{"seed": 1}')
    assert "and no input is one" in _err(folder, rename={"a": "b"})


def test_multiple_choice_rows_with_their_own_output_keep_their_convention(tmp_path):
    row = {"family": "f", "model": "m1", "params": 1e9, "task": "t", "choices": ["Paris", "Rome"],
           "choice_logprobs": [-1, -2], "correct_choice": 0}  # fmt: skip
    path = tmp_path / "mc.jsonl"
    # letters: the output is the model's letter, the target the gold letter
    path.write_text(json.dumps(row | {"item": 1, "target": "A", "output": "B"}) + "\n")
    assert len(load(path, warn=False).items) == 1
    # without an output, spaces count as exact match counts them (review 67)
    path.write_text(json.dumps(row | {"item": 2, "target": " Paris"}) + "\n")
    assert "expected choices[correct_choice] = 'Paris'" in _err(path)


def test_json_rows_are_sniffed_from_the_head_only(tmp_path):
    # the first object decides; a big array is not parsed whole to sniff it
    path = tmp_path / "big.json"
    first = {"family": "f", "model": "m", "params": 1e9, "task": "t", "metric": "acc",
             "value": 0.5}  # fmt: skip
    path.write_text("[" + json.dumps(first) + "," + "x" * 70_000 + "]")
    from emergence.load import native

    assert native.sniff(path)
    assert _err(path) == "big.json: expected a JSON array of row objects"


def test_same_named_links_and_later_errors_are_named_by_path(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    (store / "other.csv").write_text(f"{HEADER}f,m2,zz,t,1,a,a\n")
    for model in ("m1", "m2"):
        (tmp_path / "in" / model).mkdir(parents=True)
    (tmp_path / "in" / "m1" / "runs.csv").write_text(f"{HEADER}f,m1,1e9,t,1,a,a\n")
    (tmp_path / "in" / "m2" / "runs.csv").symlink_to(store / "other.csv")
    assert _err(tmp_path / "in").startswith(f"{tmp_path / 'in' / 'm2' / 'runs.csv'}:2:")
    # an error found after reading (one model with and without a size) names the path too
    (store / "other.csv").write_text("family,model,task,item,target,output\nf,m1,t,2,a,a\n")
    msg = _err(tmp_path / "in")
    assert msg.startswith(f"{tmp_path / 'in' / 'm2' / 'runs.csv'}: record 1: field 'params'")


# --- third review (review 67) ----------------------------------------------------------------


def test_a_json_array_with_a_long_first_row_is_read(tmp_path):
    rows = [{"family": "f", "model": f"m{i}", "params": 10.0 ** (6 + i), "task": "t",
             "item": "1", "target": "a", "output": "a" * (70_000 if i == 0 else 1)}
            for i in range(3)]  # fmt: skip
    path = tmp_path / "items.json"
    path.write_text(json.dumps(rows))
    assert len(load(path, warn=False).items) == 3


def test_overlong_rows_with_long_fields_or_bare_carriage_returns_give_one_line(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(HEADER + f'f,m1,1e9,t,1,a,"{"x" * 200_000}"\nf,m2,2e9,t,1,a,b,x\n')
    assert _err(path) == "long.csv:3: 8 fields, the header has 7; expected one field per column"
    cr = tmp_path / "cr.csv"
    cr.write_bytes((HEADER + "f,m1,1e9,t,1,a,a\nf,m2,2e9,t,1,a,b,x\n").replace("\n", "\r").encode())
    assert _err(cr) == "cr.csv:3: 8 fields, the header has 7; expected one field per column"


def test_a_rename_typo_is_named_before_the_errors_it_causes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("family,model,params,task,id,answer,output\nf,m,1e9,t,1,a,a\n")
    # the typo leaves the file unrecognised; the correct rename is not blamed
    msg = _err(path, rename={"id": "item", "answr": "target"})
    assert msg.startswith("--rename answr=target: expected a column 'answr', got none in a.csv")
    out = tmp_path / "o.csv"
    out.write_text(HEADER.replace("output", "out") + "f,m,1e9,t,1,a,a\n")
    assert _err(out, rename={"ot": "output"}).startswith("--rename ot=output: expected a column")


# --- fourth review (review 68) ---------------------------------------------------------------


def test_blank_lines_are_skipped_as_pandas_skips_them(tmp_path):
    rows = "0,f,m1,t,1,a,a,\n1,f,m1,t,2,b,b,\n"
    header = "family,model,task,item,target,output,note\n"
    # a line of spaces before the first row does not hide it from the first-row check
    spaced = tmp_path / "spaced.csv"
    spaced.write_text(header + "  \n" + rows)
    assert _err(spaced, allow_missing_params=True).startswith(
        "spaced.csv:3: 8 fields, the header has 7")
    # blank lines (or spaces) before the header: the header is the first line with fields
    for name, lead in (("blank.csv", "\n\n"), ("spaces.csv", "  \n")):
        path = tmp_path / name
        path.write_text(lead + HEADER + "f,m1,1e9,t,1,a,a\n")
        assert len(load(path, warn=False).items) == 1
        assert len(load(path, rename={"output": "output"}, warn=False).items) == 1


def test_a_skipped_jsonl_does_not_switch_the_rename_check_off(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "f,m1,1e9,t,1,a,a\n")
    (tmp_path / "junk.jsonl").write_text('{"x": 1}\n')
    assert _err(tmp_path, rename={"typo": "output"}).startswith(
        "--rename typo=output: expected a column 'typo', got none in")
    # with a JSONL file that is read, the check waits for its rows and still counts the
    # headers of skipped files
    (tmp_path / "junk.jsonl").unlink()
    (tmp_path / "notes.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"family": "f", "model": "m2", "params": 2e9,
                                                  "task": "t", "item": "1", "target": "a",
                                                  "output": "a"}) + "\n")  # fmt: skip
    assert len(load(tmp_path, rename={"y": "z"}, warn=False).items) == 2
    assert _err(tmp_path, rename={"typo": "output"}).startswith("--rename typo=output:")


def test_a_quoted_empty_line_is_a_row_and_the_header_line_is_its_own(tmp_path):
    # review 69: pandas reads a line holding "" as a row (or as the header), not as blank
    quoted = tmp_path / "q.csv"
    quoted.write_text('""\n' + HEADER + "f,m1,1e9,t,1,a,a\n")
    assert _err(quoted).startswith("q.csv:2: 7 fields, the header has 1")
    after = tmp_path / "a.csv"
    after.write_text(HEADER + '""\n' + "f,m1,1e9,t,1,a,a,\n")
    assert _err(after).startswith("a.csv:2: ")
    # the header's own line is named
    dup = tmp_path / "dup.csv"
    dup.write_text("\n\nfamily,model,model,task,item,target,output\nf,m,m,t,1,a,a\n")
    assert _err(dup).startswith("dup.csv:3: column 'model' appears twice")


def test_the_rename_check_runs_when_a_claimed_jsonl_is_read_with_its_results_file(tmp_path):
    # review 69: renames that make native claim lm-eval samples files, which the results file
    # then reads (as lm-eval, so no rename applies); the load went through without a word
    run = tmp_path / "run"
    shutil.copytree(LM_RUN, run)
    rename = {"doc_id": "item", "filtered_resps": "output", "doc": "model", "filter": "family",
              "tpyo": "params"}  # fmt: skip
    assert _err(run, rename=rename).endswith("and no input is one")
