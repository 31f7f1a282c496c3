"""BIG-bench (real per-scale scores of open models): where does apparent emergence live?

Schaeffer et al. (2023) found that emergent-looking task x family curves concentrate in the
discontinuous metrics (exact match, multiple-choice grade). This checks the direction of that
finding on the shared study data (read in place), with the step-1 screen of the verdict.
Running ``PYTHONPATH=tests python tests/detect/test_bigbench_direction.py`` prints the table in
``docs/detect.md``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_path

from emergence.detect.tables import emergence_by_metric, screen_curves
from emergence.load import load

OBS_RENAME = {
    "model_family": "family",
    "model_name": "model",
    "params_total": "params",
    "score": "value",
}
# UKP on-emergence families have 1-3 models each: pool the base (not instruction-tuned) models
# with a parameter count into one scale axis, as Lu et al. (2024) plot them.
UKP_BASE = ("Falcon", "GPT-2", "GPT-3 (OpenAI API)", "GPT-J", "LLaMA", "T5")
COLUMNS = ["family", "model", "params", "task", "subtask", "n_shots", "metric", "value"]


def study_scores() -> pd.DataFrame:
    """ObsScaling families (native load) plus the pooled UKP base models, one scores table."""
    obs = load(shared_path("bigbench", "bigbench_scores_long.csv"), rename=OBS_RENAME).scores
    ukp = pd.read_csv(shared_path("bigbench", "ukp_on_emergence_scores_long.csv"))
    ukp = ukp[ukp["model_family"].isin(UKP_BASE) & ukp["params_total"].notna()]
    ukp = ukp.rename(columns=OBS_RENAME | {"model_family": "source_family"}).assign(
        family="UKP base models (pooled)", subtask=ukp["prompt_type"]
    )
    return pd.concat([obs[COLUMNS], ukp[COLUMNS]], ignore_index=True)


@pytest.fixture(scope="module")
def screened() -> pd.DataFrame:
    return screen_curves(study_scores())


def test_curves_cover_both_studies(screened):
    assert {"OPT", "Pythia", "Qwen1.5", "UKP base models (pooled)"} <= set(screened.family)
    assert (screened.n_scales >= 6).all()
    assert {"discontinuous", "continuous"} <= set(screened.metric_kind)


def test_apparent_emergence_concentrates_in_discontinuous_metrics(screened):
    share = screened.groupby("metric_kind")["looks_emergent"].mean()
    assert share["discontinuous"] > 1.5 * share["continuous"]
    by_metric = emergence_by_metric(screened)
    top = by_metric[by_metric.curves >= 10].iloc[by_metric[by_metric.curves >= 10].share.argmax()]
    assert top.metric_kind == "discontinuous"


def test_bert_score_f1_is_less_emergent_than_exact_match(screened):
    # the same pooled UKP curves scored two ways: the continuous similarity looks emergent
    # less often than exact-match accuracy
    ukp = screened[screened.family == "UKP base models (pooled)"]
    share = ukp.groupby("metric")["looks_emergent"].mean()
    assert share["bert_score_f1"] < share["exact_match_accuracy"]


if __name__ == "__main__":  # pragma: no cover - regenerates the docs table
    table = emergence_by_metric(screen_curves(study_scores()))
    print("| metric | kind | curves | look emergent | share |\n|---|---|---|---|---|")
    for row in table.itertuples():
        print(f"| `{row.metric}` | {row.metric_kind} | {row.curves} | {row.emergent} | "
              f"{100 * row.share:.0f} % |")
