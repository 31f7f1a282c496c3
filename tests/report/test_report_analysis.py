"""``emergence.analysis``: the stages a report needs, run through their public APIs."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pandas.testing as pdt
from report_fixtures import BOOTSTRAP, SEED, bundle

import emergence
from emergence.analysis import analyse, task_label, with_task_labels
from emergence.detect.tables import detect_tables
from emergence.load import Tables
from emergence.report import render_report


def test_verdicts_are_the_detect_stage_output():
    b = bundle()
    expected = detect_tables(emergence.load(b.data_dir), alpha=0.05, seed=SEED, bootstrap=BOOTSTRAP)
    pdt.assert_frame_equal(b.analysis.verdicts.reset_index(drop=True), expected)


def test_inputs_models_and_scores():
    a = bundle().analysis
    for f in a.inputs:
        with open(f.path, "rb") as handle:
            assert f.sha256 == hashlib.sha256(handle.read()).hexdigest()
    assert {"items.jsonl", "losses.csv"} == {f.path.rsplit("/", 1)[-1] for f in a.inputs}
    assert a.models["params"].is_monotonic_increasing or len(a.models["family"].unique()) > 1
    rescored = a.scores[a.scores["source"] == "rescore"]
    assert {"exact_match", "mean_token_logprob"} <= set(rescored["metric"])
    ok = rescored["ci_low"].notna()
    assert ok.any()
    assert (rescored.loc[ok, "ci_low"] <= rescored.loc[ok, "value"] + 1e-12).all()
    assert (rescored.loc[ok, "value"] <= rescored.loc[ok, "ci_high"] + 1e-12).all()
    assert a.settings.seed == SEED and a.settings.bootstrap == BOOTSTRAP


def test_scaling_fit_recovers_the_simulated_law():
    (fit,) = bundle().analysis.scaling
    assert fit.fit is not None and fit.fit.converged
    # simulated with alpha = 0.34, beta = 0.28 and 1 % noise
    assert abs(fit.fit.params["alpha"] - 0.34) < 0.08
    assert abs(fit.fit.params["beta"] - 0.28) < 0.08
    lo, hi = fit.bootstrap.ci["alpha"]
    assert lo <= fit.fit.params["alpha"] <= hi
    assert np.all(np.diff(fit.frontier.n_opt) > 0)
    assert fit.backtest is not None and fit.backtest.max_abs_rel_error < 0.1
    assert np.abs(fit.data["residual"]).max() < 0.1


def test_task_labels_include_subtask_and_shots():
    assert task_label("arith") == "arith"
    assert task_label("arith", "add", 5) == "arith / add / 5-shot"
    assert task_label("arith", None, float("nan")) == "arith"
    frame = pd.DataFrame({"task": ["a", "a"], "subtask": ["x", None], "n_shots": [0, 3]})
    assert with_task_labels(frame)["task"].tolist() == ["a / x / 0-shot", "a / 3-shot"]
    plain = pd.DataFrame({"task": ["a"]})
    assert with_task_labels(plain) is plain


def test_losses_only_renders_without_verdicts():
    losses = emergence.load(bundle().data_dir / "losses.csv").losses
    a = analyse(Tables(losses=losses, sources=()), seed=0, bootstrap=20)
    assert a.verdicts.empty and len(a.scaling) == 1
    text = render_report(a)
    assert "nothing to test" in text and "Scaling laws" in text
