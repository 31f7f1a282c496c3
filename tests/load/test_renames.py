"""``--rename``: the renames suggested for a table no schema matches read it; a rename that matches
no column, or a typo, is named.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
from conftest import shared_path
from load_helpers import load_error

from emergence.errors import InputError
from emergence.load import load

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LM_RUN = FIXTURES / "lm-eval-0.4.13" / "tiny-neox-h32-l1"
HEADER = "family,model,params,task,item,target,output\n"


def _bigbench() -> Path:
    return shared_path("bigbench", "bigbench_scores_long.csv")


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


def test_schema_names_in_another_case_get_the_renames_that_read_them(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("family,model,params,task,Item,Target,output\nf,m,1e9,t,i1,a,a\n")
    msg = load_error(path)
    assert msg.endswith("to read it as items: --rename Item=item --rename Target=target")
    assert len(load(path, rename={"Item": "item", "Target": "target"}).items) == 1


def test_a_header_with_spaces_after_its_commas_is_named(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("family, model, params, task, item, target\nf, m, 1e9, t, i1, a\n")
    assert load_error(path).endswith(
        "its columns after the first start with a space (written with ', ' between fields?): "
        "remove the spaces after the commas"
    )


def test_a_rename_that_matches_no_column_is_an_error(tmp_path):
    data = tmp_path / "losses.csv"
    data.write_text("family,model,params,tokens,loss,loss_add\nf,m,1e6,2e7,3.0,2.5\n")
    msg = load_error(data, rename={"loss_ad": "loss"})
    assert msg.startswith("--rename loss_ad=loss: expected a column 'loss_ad', got none in "
                          "losses.csv (columns of losses.csv: family, model, params")  # fmt: skip
    # a column one of several files has is fine
    other = tmp_path / "other.csv"
    other.write_text("family,model,params,tokens,L\nf,m2,2e6,4e7,2.9\n")
    tables = load([data, other], rename={"L": "loss"}, warn=False)
    assert sorted(tables.losses["loss"]) == [2.9, 3.0]
    # renames apply to native files only: with none among the inputs nothing could match
    assert "no input is one" in load_error(LM_RUN, rename={"a": "b"})


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
    assert "and no input is one" in load_error(folder, rename={"a": "b"})


def test_a_rename_typo_is_named_before_the_errors_it_causes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("family,model,params,task,id,answer,output\nf,m,1e9,t,1,a,a\n")
    # the typo leaves the file unrecognised; the correct rename is not blamed
    msg = load_error(path, rename={"id": "item", "answr": "target"})
    assert msg.startswith("--rename answr=target: expected a column 'answr', got none in a.csv")
    out = tmp_path / "o.csv"
    out.write_text(HEADER.replace("output", "out") + "f,m,1e9,t,1,a,a\n")
    message = load_error(out, rename={"ot": "output"})
    assert message.startswith("--rename ot=output: expected a column")


def test_a_skipped_jsonl_does_not_switch_the_rename_check_off(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "f,m1,1e9,t,1,a,a\n")
    (tmp_path / "junk.jsonl").write_text('{"x": 1}\n')
    assert load_error(tmp_path, rename={"typo": "output"}).startswith(
        "--rename typo=output: expected a column 'typo', got none in")
    # with a JSONL file that is read, the check waits for its rows and still counts the
    # headers of skipped files
    (tmp_path / "junk.jsonl").unlink()
    (tmp_path / "notes.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"family": "f", "model": "m2", "params": 2e9,
                                                  "task": "t", "item": "1", "target": "a",
                                                  "output": "a"}) + "\n")  # fmt: skip
    assert len(load(tmp_path, rename={"y": "z"}, warn=False).items) == 2
    assert load_error(tmp_path, rename={"typo": "output"}).startswith("--rename typo=output:")


def test_the_rename_check_runs_when_a_claimed_jsonl_is_read_with_its_results_file(tmp_path):
    # renames that make native claim lm-eval samples files, which the results file
    # then reads (as lm-eval, so no rename applies); the load went through without a word
    run = tmp_path / "run"
    shutil.copytree(LM_RUN, run)
    rename = {"doc_id": "item", "filtered_resps": "output", "doc": "model", "filter": "family",
              "tpyo": "params"}  # fmt: skip
    assert load_error(run, rename=rename).endswith("and no input is one")
