"""Native CSV/JSONL/Parquet round trips, table detection and column mapping."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emergence
from emergence.errors import InputError
from emergence.load import load
from emergence.output import write_frame
from emergence.schema import detect_table

ITEMS = pd.DataFrame(
    {
        "family": ["f", "f", "f"],
        "model": ["small", "big", "big"],
        "params": [1.25e8, 1.3e9, 1.3e9],
        "task": ["add", "add", "mc"],
        "item": ["1", "1", "q1"],
        "target": ["12", "12", "B"],
        "output": ["13", "12", None],
        "target_tokens": [["1", "2"], ["1", "2"], None],
        "output_tokens": [["1", "3"], ["1", "2"], None],
        "target_logprobs": [[-0.5, -1.25], [-0.01, -0.02], None],
        "choices": [None, None, ["A", "B", "C"]],
        "choice_logprobs": [None, None, [-2.0, -0.25, -3.0]],
        "correct_choice": [None, None, 1],
    }
)
SCORES = pd.DataFrame(
    {
        "family": ["f", "f"],
        "model": ["small", "big"],
        "params": [1.25e8, 1.3e9],
        "task": ["add", "add"],
        "metric": ["exact_match", "exact_match"],
        "value": [0.1, 0.7],
        "n_items": [100, 100],
    }
)
LOSSES = pd.DataFrame({"params": [1e8, 1e9], "tokens": [2e9, 2e10], "loss": [3.1, 2.6]})


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("name,frame", [("items", ITEMS), ("scores", SCORES), ("losses", LOSSES)])
def test_round_trip(tmp_path: Path, suffix: str, name: str, frame: pd.DataFrame) -> None:
    path = write_frame(frame, tmp_path / f"{name}{suffix}")
    tables = load(path)
    got = tables[name]
    assert len(got) == len(frame)
    for col in frame.columns:
        for want, have in zip(frame[col], got[col], strict=True):
            if isinstance(want, list):
                assert list(have) == want
            elif want is None or (isinstance(want, float) and np.isnan(want)):
                if col == "output":  # multiple choice: filled from the best choice
                    assert have == "B"
                else:
                    assert have is None or pd.isna(have)
            elif isinstance(want, float):
                assert have == pytest.approx(want, rel=1e-15)
            else:
                assert str(have) == str(want)
    for other in {"items", "scores", "losses"} - {name}:
        assert tables[other].empty


def test_detect_table() -> None:
    assert detect_table(["family", "model", "params", "task", "item", "target"]) == "items"
    assert detect_table(["metric", "value", "model"]) == "scores"
    assert detect_table(["params", "flops", "loss"]) == "losses"
    assert detect_table(["x", "y"]) is None


def test_multiple_choice_output_defaults_to_best_choice(tmp_path: Path) -> None:
    items = load(write_frame(ITEMS, tmp_path / "i.jsonl")).items
    assert items.loc[items.task == "mc", "output"].item() == "B"


def test_size_spellings_are_parsed(tmp_path: Path) -> None:
    frame = SCORES.assign(params=["125M", "1.3B"])
    scores = load(write_frame(frame, tmp_path / "s.csv")).scores
    assert scores["params"].tolist() == [1.25e8, 1.3e9]


def test_csv_text_columns_are_read_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "i.csv"
    path.write_text(
        "family,model,params,task,item,target,output,n_shots\n"
        "1,2,1e6,3,007,062546,7,0\n"
        "1,2,1e6,3,7,1.50,1.5,0\n"
    )
    items = load(path).items
    assert items["item"].tolist() == ["007", "7"]  # two ids, not one id "7" twice
    assert items["target"].tolist() == ["062546", "1.50"]
    assert items["output"].tolist() == ["7", "1.5"]
    assert items["family"].tolist() == ["1", "1"] and items["task"].tolist() == ["3", "3"]
    assert items["params"].tolist() == [1e6, 1e6] and items["n_shots"].tolist() == [0, 0]
    # numeric columns are still checked as numbers
    path.write_text("family,model,params,task,item,target,output,n_shots\nf,m,1e6,t,1,a,b,x\n")
    with pytest.raises(InputError, match=r"i.csv:2: field 'n_shots': expected a number"):
        load(path)


def test_directory_is_read_recursively_and_skips_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    write_frame(ITEMS, tmp_path / "a" / "b" / "items.jsonl")
    write_frame(SCORES, tmp_path / "a" / "scores.csv")
    (tmp_path / "a" / "notes.txt").write_text("not data")
    pd.DataFrame({"task": ["x"], "true_class": ["mirage"]}).to_csv(tmp_path / "truth.csv")
    tables = load(tmp_path)
    assert len(tables.items) == 3 and len(tables.scores) == 2
    assert len(tables.sources) == 2


def test_library_entry_point_is_callable(tmp_path: Path) -> None:
    tables = emergence.load(write_frame(LOSSES, tmp_path / "l.csv"))
    assert isinstance(tables, emergence.Tables)
    # tokens and flops are consistent: flops = 6 N D
    np.testing.assert_allclose(tables.losses["flops"], 6 * LOSSES.params * LOSSES.tokens)


def test_rename_and_tokens_derived_from_flops() -> None:
    path = shared_path("fits", "epoch_chinchilla_svg_extracted_data.csv")
    raw = pd.read_csv(path)
    losses = load(path, rename={"Model Size": "params", "Training FLOP": "flops"}).losses
    assert len(losses) == len(raw) == 245
    np.testing.assert_allclose(losses["tokens"], raw["Training FLOP"] / (6 * raw["Model Size"]))
    np.testing.assert_allclose(losses["loss"], raw["loss"])
    assert list(losses.columns[:3]) == ["params", "tokens", "loss"]


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    path = write_frame(ITEMS, tmp_path / "i.jsonl")
    before = path.read_bytes()
    load(path)
    assert path.read_bytes() == before


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@st.composite
def item_records(draw):
    n = draw(st.integers(1, 6))
    records = []
    for i in range(n):
        tokens = draw(st.lists(_text, min_size=1, max_size=5))
        logps = draw(
            st.lists(
                st.floats(max_value=0.0, allow_nan=False, allow_infinity=False, width=64),
                min_size=len(tokens),
                max_size=len(tokens),
            )
        )
        records.append(
            {
                "family": draw(_text),
                "model": f"m{i}",
                "params": draw(st.floats(min_value=1.0, max_value=1e13)),
                "task": draw(_text),
                "item": draw(_text),
                "target": "".join(tokens),
                "output": draw(st.text(max_size=10)),
                "target_tokens": tokens,
                "target_logprobs": logps,
            }
        )
    return records


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=item_records())
def test_hypothesis_jsonl_records_survive_a_load(tmp_path: Path, records: list[dict]) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    items = load(path).items
    assert len(items) == len(records)
    for rec, (_, row) in zip(records, items.iterrows(), strict=True):
        assert row["family"] == rec["family"] and row["target"] == rec["target"]
        assert row["output"] == rec["output"]
        assert row["params"] == rec["params"]
        assert list(row["target_tokens"]) == rec["target_tokens"]
        assert list(row["target_logprobs"]) == rec["target_logprobs"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_rescored_mean_of_minus_infinity_reads_back_and_detect_censors_it(tmp_path, suffix):
    # one item has a token of probability 0: its mean log-prob is -inf, and so is the lower
    # bound of its interval; rescore writes that, and the scores reader must take it back
    from click.testing import CliRunner

    from emergence.cli import cli

    def run_cli(args):
        return CliRunner().invoke(cli, ["--quiet", *args])

    items = tmp_path / "items.jsonl"
    items.write_text(
        '{"family":"f","model":"m","params":1e9,"task":"t","item":"1","target":"ab",'
        '"output":"ab","target_logprobs":[-1.0,"-Infinity"]}\n'
        '{"family":"f","model":"m","params":1e9,"task":"t","item":"2","target":"ab",'
        '"output":"ax","target_logprobs":[-1.0,-2.0]}\n'
    )
    out = tmp_path / f"scores{suffix}"
    assert run_cli(["rescore", str(items), "-o", str(out), "--bootstrap", "0"]).exit_code == 0
    scores = load(out).scores.set_index("metric")
    assert scores.loc["target_logprob", "value"] == -np.inf
    assert scores.loc["exact_match", "value"] == 0.5
    res = run_cli(["detect", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert ",mean_token_logprob," in res.output


def test_only_a_score_and_its_interval_may_be_infinite(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("family,model,params,task,metric,value,stderr\nf,m,1e9,t,acc,0.5,inf\n")
    with pytest.raises(InputError, match=r"s.csv:2: field 'stderr': expected a finite number"):
        load(path)
    path.write_text("family,model,params,task,metric,value\nf,m,inf,t,acc,0.5\n")
    with pytest.raises(InputError, match=r"s.csv:2: field 'params'"):
        load(path)
