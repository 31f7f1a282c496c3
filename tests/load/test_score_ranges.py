"""Scores whose name fixes their range are refused outside it, naming file, line and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emergence.detect import detect
from emergence.errors import InputError
from emergence.load import load
from emergence.schema import METRIC_RANGES, metric_range

LM = Path(__file__).resolve().parents[1] / "fixtures" / "lm-eval-0.4.13" / "tiny-neox-h32-l1"
HEADER = "family,model,params,task,metric,value\n"


def _error(tmp_path: Path, metric: str, value: str) -> str:
    lo, hi = metric_range(metric)
    good = min(max(0.5, lo), hi) if np.isfinite(hi) else lo + 1  # a value in range
    path = tmp_path / "s.csv"
    path.write_text(HEADER + f'f,a,1e9,t,"{metric}",{good}\nf,b,2e9,t,"{metric}",{value}\n')
    with pytest.raises(InputError) as err:
        load(path)
    return str(err.value)


@pytest.mark.parametrize(
    "metric, value, expected",
    [
        ("exact_match", "1.7", "expected exact_match in [0, 1], got 1.7 (a percentage? divide"),
        ("exact_match,strict-match", "87", "in [0, 1], got 87.0 (a percentage? divide it by 100)"),
        ("acc", "-0.2", "expected acc in [0, 1], got -0.2"),
        ("p_correct", "inf", "expected p_correct in [0, 1], got inf"),
        ("target_logprob", "5", "expected target_logprob in [-inf, 0], got 5"),
        ("perplexity", "0.5", "expected perplexity in [1, inf], got 0.5"),
        ("token_edit_distance", "-1", "expected token_edit_distance in [0, inf], got -1"),
        ("brier", "2.5", "expected brier in [0, 2], got 2.5"),
    ],
)
def test_a_score_outside_its_range_names_the_line(tmp_path, metric, value, expected):
    msg = _error(tmp_path, metric, value)
    assert msg.startswith("s.csv:3: field 'value': "), msg
    assert expected in msg, msg


@pytest.mark.parametrize(
    "metric, value",
    [("exact_match", "1.0000000001"), ("target_logprob", "-inf"), ("ppl", "inf"),
     ("bleu", "87"), ("exact_match", "0"), ("brier", "2")],
)  # fmt: skip
def test_values_in_range_and_unknown_names_are_read(tmp_path, metric, value):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + f"f,a,1e9,t,{metric},{value}\n")
    assert len(load(path).scores) == 1


def test_every_registered_metric_has_the_range_the_metrics_stage_declares():
    from emergence.metrics.registry import list_metrics

    for metric in list_metrics():
        assert metric_range(metric.name) is not None, metric.name
        # a mean of per-item values lies in the per-item range
        assert METRIC_RANGES[metric.name] == tuple(map(float, metric.range)), metric.name


def test_a_framework_score_out_of_range_names_its_file(tmp_path):
    run = tmp_path / LM.name
    shutil.copytree(LM, run)
    results = next(run.glob("results_*.json"))
    doc = json.loads(results.read_text())
    task = next(t for t, m in doc["results"].items() if "acc,none" in m)
    doc["results"][task]["acc,none"] = -3
    results.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        load(results, allow_missing_params=True, warn=False)
    assert results.name in str(err.value) and "expected acc in [0, 1], got -3" in str(err.value)


def test_detect_refuses_a_frame_given_directly_with_a_rate_out_of_range():
    sizes = np.geomspace(1e8, 1e10, 6)
    scores = pd.DataFrame({"family": "f", "model": [f"m{i}" for i in range(6)], "params": sizes,
                           "task": "t", "metric": "exact_match",
                           "value": [0.1, 0.2, 0.3, 0.4, 3.0, 1.7]})  # fmt: skip
    with pytest.raises(InputError, match=r"score exact_match of family f, model m4, task t: "
                                         r"expected a value in \[0, 1\], got 3"):  # fmt: skip
        detect(None, scores)


def test_inspect_accuracy_off_the_unit_scale_is_no_rate_and_stops_no_other_task(tmp_path):
    path = tmp_path / "s.csv"
    rows = "".join(
        f"f,m{i},{i + 1}e9,graded,accuracy,{v},\nf,m{i},{i + 1}e9,good,exact_match,{e},200\n"
        for i, (v, e) in enumerate(zip([1, 2, 3, 4, 5, 7.5], [0, .1, .2, .3, .4, .6], strict=True))
    )  # a 1-10 model-graded scorer's mean beside a rate
    path.write_text(HEADER.strip() + ",n_items\n" + rows)
    tables = load(path)
    assert tables.scores["value"].max() == 7.5
    verdicts = detect(tables).verdicts.set_index("task")
    assert verdicts.loc["good", "discontinuous_metric"] == "exact_match"
    graded = verdicts.loc["graded"]
    assert graded["verdict"] == "underpowered" and pd.isna(graded["discontinuous_metric"])
    assert graded["note"].startswith("no discontinuous metric")


def test_an_interval_whose_bounds_are_swapped_names_the_line(tmp_path):
    path = tmp_path / "s.csv"
    head = "family,model,params,task,metric,value,ci_low,ci_high\n"
    good = "f,a,1e9,t,exact_match,0.5,,0.6\nf,c,3e9,t,exact_match,0.5,-inf,inf\n"
    path.write_text(head + good + "f,d,4e9,t,exact_match,0.3,0.3,0.3\n")
    assert len(load(path).scores) == 3  # open, infinite and zero-width intervals are read
    path.write_text(head + good + "f,b,2e9,t,exact_match,0.5,0.7,0.3\n")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value) == (
        "s.csv:4: field 'ci_low': expected a lower bound <= ci_high (0.3), got 0.7"
    )
