"""Loader review 61: skipped files are reported, messages name every column, give the lines of
cross-file duplicates and advice that works, and answers that are numbers are refused.

Inputs are built in ``tmp_path`` from hand-written text, copies of ``tests/fixtures`` and of the
shared BIG-bench score table.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_path

from emergence.errors import InputError
from emergence.load import load
from emergence.load.sizes_registry import apply_sizes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LM_RUN = FIXTURES / "lm-eval-0.4.13" / "tiny-neox-h32-l1"
HELM_SUITE = FIXTURES / "helm-0.5.16" / "runs" / "v1"
INSPECT = FIXTURES / "inspect-0.3.285"
ITEMS = (
    "family,model,params,task,item,target,output\n"
    "f,m-1b,1e9,t,a,1,1\n"
    "f,m-1b,1e9,t,b,2,3\n"
    "f,m-2b,2e9,t,a,1,1\n"
)
BIGBENCH_RENAMES = {
    "score": "value",
    "model_family": "family",
    "model_name": "model",
    "params_total": "params",
}


def _bigbench() -> Path:
    return shared_path("bigbench", "bigbench_scores_long.csv")


def _folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "items.csv").write_text(ITEMS)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)
    return folder


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


# --------------------------------------------------------------------------- 1. skipped files


def test_files_skipped_in_a_folder_get_one_sorted_warning_each(tmp_path, capsys):
    folder = _folder(tmp_path, notes__csv="a,b\n1,2\n")
    shutil.copy(_bigbench(), folder / "bigbench_scores_long.csv")
    tables = load(folder, allow_missing_params=True)
    assert tables.sources == (str(folder / "items.csv"),)
    lines = _warnings(capsys.readouterr().err)
    assert [line.split(": skipped: ")[0] for line in lines] == [
        f"warning: {folder / 'bigbench_scores_long.csv'}",
        f"warning: {folder / 'notes.csv'}",
    ]
    bigbench, notes = lines
    # every column is named, and the renames that make it a scores table are given
    assert "metric, score, score_is_preferred" in bigbench and "and 0 more" not in bigbench
    assert (
        "to read it as scores: --rename score=value --rename model_family=family "
        "--rename model_name=model --rename params_total=params"
    ) in bigbench
    assert "its columns (a, b) form no table; expected items (item, target, ...)" in notes
    assert [path for path, _ in tables.skipped] == [
        str(folder / "bigbench_scores_long.csv"),
        str(folder / "notes.csv"),
    ]


def test_the_suggested_renames_read_the_skipped_file(tmp_path, capsys):
    folder = _folder(tmp_path)
    shutil.copy(_bigbench(), folder / "bigbench_scores_long.csv")
    tables = load(folder, rename=BIGBENCH_RENAMES, allow_missing_params=True)
    assert len(tables.sources) == 2 and not tables.skipped and not tables.scores.empty
    assert capsys.readouterr().err == ""


def test_files_that_hold_no_results_get_no_warning(tmp_path, capsys):
    verdicts = "family,task,verdict,n_scales,n_items,note\nf,t,smooth,6,10,\n"
    summary = "table,family,model,params,params_kind,tasks,rows,metrics\nitems,f,m,1,,1,2,\n"
    folder = _folder(
        tmp_path,
        README__md="# data\n",
        MANIFEST__md="x\n",
        notes__txt="hello\n",
        report__html="<html></html>\n",
        verdicts__csv=verdicts,
        summary__csv=summary,
        truth__csv="family,task,true_class\nf,t,mirage\n",
        fit__json=json.dumps({"form": "power_law", "params": {}, "objective": 0, "n_points": 3}),
        manifest__json=json.dumps({"config": "full", "seed": 0}),
        sizes__csv="model,params\nm-1b,1e9\n",
        __hidden__csv="a,b\n1,2\n",
    )
    (folder / "verdicts.json").write_text(
        json.dumps([{"family": "f", "task": "t", "verdict": "smooth", "n_scales": 6}])
    )
    shutil.copytree(LM_RUN, folder / "lm-eval")  # samples files come with their results
    shutil.copytree(HELM_SUITE, folder / "helm")
    (folder / "helm" / "schema.json").write_text("{}")  # helm-summarize output
    (folder / "helm" / "groups").mkdir()
    (folder / "helm" / "groups" / "core.json").write_text("[]")
    shutil.copytree(INSPECT, folder / "inspect")
    (folder / "inspect" / "logs.json").write_text("{}")  # Inspect's log listing
    tables = load(folder, sizes=folder / "sizes.csv", allow_missing_params=True)
    assert tables.skipped == ()
    assert capsys.readouterr().err == ""


def test_a_sizes_file_gets_the_sizes_advice_unless_it_is_the_sizes_file(tmp_path, capsys):
    folder = _folder(tmp_path, sizes__csv="model,params\nm-1b,1e9\n")
    load(folder, allow_missing_params=True)
    (line,) = _warnings(capsys.readouterr().err)
    assert line.endswith("sizes.csv: skipped: its columns (model, params) form no table; "
                         "expected items (item, target, ...), scores (metric, value, ...) or "
                         "losses (loss, params, and tokens or flops); a sizes mapping "
                         "(model -> params) has these columns: pass the file with --sizes FILE")
    with pytest.raises(InputError, match="has these columns: pass the file with --sizes FILE$"):
        load(folder / "sizes.csv")  # named: an error with the same advice
    load(folder, sizes=folder / "sizes.csv")
    assert capsys.readouterr().err == ""


def test_json_that_no_format_reads_is_reported(tmp_path, capsys):
    scores = [{"family": "f", "model": "m-1b", "params": 1e9, "task": "t", "metric": "acc",
               "value": 0.5}]  # fmt: skip
    folder = _folder(tmp_path, config__json='{"foo": 1}', scores__json=json.dumps(scores))
    tables = load(folder, allow_missing_params=True)
    (config,) = _warnings(capsys.readouterr().err)
    assert "config.json: skipped: JSON that no format reads (keys foo); formats that " in config
    # an array of table rows (what -o x.json writes) is read since review 64
    assert list(tables.scores["value"]) == [0.5]


def test_a_forced_format_reports_the_files_it_does_not_read(tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(LM_RUN, folder)
    (folder / "items.csv").write_text(ITEMS)
    load(folder, format="lm-eval", allow_missing_params=True)
    (line,) = _warnings(capsys.readouterr().err)
    assert line.endswith("items.csv: skipped: not lm-eval input, and --input-format lm-eval "
                         "reads no other format")  # fmt: skip


def test_a_folder_of_skipped_files_is_one_error_saying_why(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(_bigbench(), folder / "bigbench_scores_long.csv")
    with pytest.raises(InputError) as err:
        load(folder)
    msg = str(err.value)
    assert msg.startswith(f"{folder}: no recognised input files found")
    assert f"skipped {folder / 'bigbench_scores_long.csv'}: its columns (" in msg
    assert "--rename score=value" in msg and "\n" not in msg
    assert capsys.readouterr().err == ""


def test_no_warning_is_printed_when_the_load_fails(tmp_path, capsys):
    folder = _folder(tmp_path, notes__csv="a,b\n1,2\n", zbad__csv=ITEMS + "f,m-1b,x,t,c,1,1\n")
    with pytest.raises(InputError, match=r"zbad\.csv:5: field 'params'"):
        load(folder)
    assert capsys.readouterr().err == ""


def test_warn_false_keeps_the_list_but_prints_nothing(tmp_path, capsys):
    folder = _folder(tmp_path, notes__csv="a,b\n1,2\n")
    tables = load(folder, warn=False)
    assert [Path(p).name for p, _ in tables.skipped] == ["notes.csv"]
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- 2. which table


def test_unknown_table_names_every_column_and_the_renames_that_fix_it(tmp_path):
    with pytest.raises(InputError) as err:
        load(_bigbench())
    msg = str(err.value)
    header = _bigbench().read_text().splitlines()[0]
    assert f"from its columns ({header.replace(',', ', ')})" in msg
    assert msg.endswith(
        "to read it as scores: --rename score=value --rename model_family=family "
        "--rename model_name=model --rename params_total=params"
    )


def test_a_wide_table_names_the_first_columns_and_how_many_more(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(45)) + "\n" + ",".join("1" * 45) + "\n")
    with pytest.raises(InputError) as err:
        load(path)
    msg = str(err.value)
    assert "(c0, c1," in msg and "c29 and 15 more)" in msg and "c30" not in msg
    assert msg.endswith("rename columns to the schema's names with --rename OLD=NEW "
                        "(see docs/schema.md)")  # fmt: skip


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("x,y,Model Size,Training FLOP,loss", "--rename 'Model Size=params' "
                                               "--rename 'Training FLOP=flops'"),
        ("name,model,N,D,flops,loss_c4_val", "--rename N=params --rename D=tokens "
                                              "--rename loss_c4_val=loss"),
    ],
)  # fmt: skip
def test_published_loss_tables_get_renames_that_read_them(tmp_path, header, hint):
    path = tmp_path / "losses.csv"
    path.write_text(header + "\n" + ",".join(["7e7"] * len(header.split(","))) + "\n")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).endswith(f"to read it as losses: {hint}")
    words = [w for w in shlex.split(hint) if w != "--rename"]  # the options, as a shell reads them
    assert not load(path, rename=dict(w.split("=") for w in words)).losses.empty


# --------------------------------------------------------------------------- 3. size advice


def _tiny(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "items.csv"
    rows = [f"tiny,{name},t,a,1,1" for name in names]
    path.write_text("family,model,task,item,target,output\n" + "\n".join(rows) + "\n")
    return path


def test_names_already_tried_get_why_they_gave_no_size(tmp_path):
    path = _tiny(tmp_path, ["tiny-gpt-26.3k", "tiny-gpt-3.73k", "gpt2"])
    with pytest.raises(InputError) as err:
        load(path, sizes_from_names=True)
    msg = str(err.value)
    assert "opt in" not in msg  # the flag was given: it is not advised again
    assert "--sizes-from-names read no size from these names (" in msg
    assert "tiny-gpt-26.3k, tiny-gpt-3.73k: a number with k is never read as a size" in msg
    assert "gpt2: no size in the name" in msg
    assert "it reads exactly one number followed by m, b or t" in msg
    assert msg.endswith('supply their sizes with --sizes FILE (CSV with columns '
                        'model,params[,kind][,family] or JSON {"model": "7B", ...})')  # fmt: skip


def test_names_not_tried_are_advised_only_where_they_hold_a_size(tmp_path):
    with pytest.raises(InputError) as err:
        load(_tiny(tmp_path, ["tiny-gpt-3.73k", "gpt2"]))
    assert "--sizes-from-names would not help" in str(err.value)
    with pytest.raises(InputError) as err:
        load(_tiny(tmp_path, ["tiny-gpt-3.73k", "tiny-gpt-1.19M"]))
    assert "--sizes-from-names would read nominal sizes only for tiny-gpt-1.19M" in str(err.value)
    tables = load(_tiny(tmp_path, ["pythia-70m"]), allow_missing_params=True)
    with pytest.raises(InputError, match="or opt in to reading nominal sizes from the model names"):
        apply_sizes(tables)


def test_a_sizes_mapping_that_names_none_of_the_models_says_so(tmp_path):
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\nother,1e9\n")
    with pytest.raises(InputError, match="the --sizes mapping given names none of them"):
        load(_tiny(tmp_path, ["pythia-70m"]), sizes=sizes)


# --------------------------------------------------------------------------- 5. duplicates


def test_duplicate_across_files_names_the_line_in_both_files(tmp_path):
    folder = _folder(tmp_path)
    (folder / "items_copy.csv").write_text(ITEMS.replace("f,m-1b,1e9,t,a,1,1\n", ""))
    with pytest.raises(InputError) as err:
        load(folder)
    assert str(err.value) == (
        f"{folder / 'items_copy.csv'}:2: duplicate items row (family=f, model=m-1b, task=t, "
        f"item=b); first seen at {folder / 'items.csv'}:3"
    )


def test_duplicate_across_framework_files_names_the_records(tmp_path):
    log = next(INSPECT.glob("*.json"))
    shutil.copy(log, tmp_path / "a.json")
    shutil.copy(log, tmp_path / "b.json")
    with pytest.raises(InputError) as err:
        load(tmp_path)
    msg = str(err.value)
    assert msg.startswith("b.json:samples[0]") and "; first seen at a.json:samples[0]" in msg


def test_duplicate_across_same_named_files_names_both_folders(tmp_path):
    for run in ("run1", "run2"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "s.jsonl").write_text(
            '{"family":"f","model":"m-1b","params":1e9,"task":"t","metric":"acc","value":1}\n'
        )
    with pytest.raises(InputError) as err:
        load(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'run2' / 's.jsonl'}:1: duplicate scores row")
    assert str(err.value).endswith(f"first seen at {tmp_path / 'run1' / 's.jsonl'}:1")


# --------------------------------------------------------------------------- 6. number answers


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


def test_a_column_that_resembles_a_missing_schema_column_is_warned_about(tmp_path, capsys):
    # review: "logprobs" for "target_logprobs" was dropped without a word, and the task was
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
