"""Detect on layouts the project simulator does not draw: item sets that change across scales,
clustered scales with wide gaps (found by a review that wrote its own generators)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from emergence.detect import detect, detect_tables
from emergence.detect.verdict import emergence_screen
from emergence.simulate import _simulate_items, _task_truth, simulate_task


def _easier_items_join_at_large_sizes(seed: int) -> pd.DataFrame:
    """A mirage whose larger half of the sizes also has 200 extra, much easier items."""
    items = simulate_task("mirage", 10, 200, seed, answer_len=(4, 8)).items
    sizes = np.sort(items["params"].unique())
    top = items[items["params"].isin(sizes[5:])].copy()
    top["item"] = top["item"] + "-easy"
    top["target_logprobs"] = top["target_logprobs"].map(lambda v: [x / 4 for x in v])
    top["output"], top["output_tokens"] = top["target"], top["target_tokens"]
    return pd.concat([items, top], ignore_index=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_change_in_the_item_set_is_no_threshold(seed: int) -> None:
    """Easier items that join at the larger sizes move the companion's mean with no change in
    the models; tested on all items this was a `threshold` that replicated across item halves
    (5 of 6 seeds); the companion is now tested on the items scored at every scale."""
    res = detect(_easier_items_join_at_large_sizes(seed), bootstrap=0, seed=0).verdicts.iloc[0]
    assert res["verdict"] != "threshold"
    assert "uses the 200 items scored at every scale; 200 items scored at only some" in res["note"]


def test_items_missing_at_random_keep_their_scales_and_say_so() -> None:
    """Items missing at some scales are left out of the companion only; the rest is tested."""
    items = simulate_task("threshold", 10, 300, 4, answer_len=(4, 8)).items
    rng = np.random.default_rng(0)
    drop = rng.random(len(items)) < 0.02
    res = detect(items[~drop].reset_index(drop=True), bootstrap=0, seed=0).verdicts.iloc[0]
    assert res["verdict"] == "threshold"
    assert "scored at only some scales left out" in res["note"]
    full = detect(items, bootstrap=0, seed=0).verdicts.iloc[0]
    assert "scored at only some" not in full["note"]


def test_screen_sees_a_sharp_rise_within_a_cluster_of_scales() -> None:
    """Two clusters of sizes three decades apart: the largest step sits in the wide gap, where
    a line puts most of the rise, so looking at that step alone called the task `smooth`;
    the sharp rise inside the first cluster (0.30 within 0.1 decade, 300 items) is a jump."""
    x = np.array([7.0, 7.1, 7.2, 7.3, 10.0, 10.1, 10.2, 10.3])
    d = np.array([0.0, 0.0, 0.09, 0.39, 0.76, 0.72, 0.68, 0.76])
    scr = emergence_screen(x, d, n_items=300)
    assert scr.p_value > 0.4 and scr.sharp_jump and scr.looks_emergent
    # a line over the same sizes has no such step
    assert not emergence_screen(x, 0.05 + 0.2 * (x - 7.0), n_items=300).looks_emergent


def _threshold_on(params: np.ndarray, center: float, seed: int) -> pd.DataFrame:
    """The simulator's threshold class (a logistic step of s = 0.06) on given sizes."""
    rng = np.random.default_rng(seed)
    truth = _task_truth(rng, "fam", "task", "threshold", params, 300, (4, 8))
    truth = replace(truth, center_params=float(10.0**center), width_decades=0.06)
    models = [f"m{k}" for k in range(params.size)]
    return _simulate_items(rng, truth, models, params, model_sd=0.03)


def test_a_jump_in_a_cluster_is_a_threshold_and_notes_give_sizes() -> None:
    """A jump inside the first cluster is found (it was `smooth`: the screen missed it); a jump
    inside the three-decade gap is mostly `threshold`, but can look like a smooth rise over the
    gap, and the note then gives the break as a size with its log10, and the width in decades
    (it gave bare log10 values, and placed such a break "outside the jump region")."""
    params = 10.0 ** np.array([7.0, 7.1, 7.2, 7.3, 10.0, 10.1, 10.2, 10.3])
    labels = [detect(_threshold_on(params, 7.15, s), bootstrap=0).verdicts.iloc[0]["verdict"]
              for s in range(4)]  # fmt: skip
    assert labels.count("threshold") >= 3, labels
    gap = detect(_threshold_on(params, 8.65, 54), bootstrap=0).verdicts.iloc[0]
    assert gap["verdict"] == "ambiguous"
    assert "at 4.47e+08 (log10 8.65), but its rise is 2.8 decades wide" in gap["note"]
    # the break's scales (10^7.3 and 10^10) reach into the jump region: never "outside" it
    assert "outside the region" not in gap["note"]


def test_low_power_from_a_misfit_does_not_advise_more_items() -> None:
    """Pythia's sizes with the jump in the 2.8B-6.9B gap: -log CE keeps rising after the jump,
    which neither a quadratic trend nor one step follows, so the null fit's residual is many
    times the assumed noise and the power against a jump is low. That is no lack of items:
    the note said "score more items"; it now says more items will not help."""
    p = np.array([7e7, 1.6e8, 4.1e8, 1.0e9, 1.4e9, 2.8e9, 6.9e9, 1.2e10])
    x = np.log10(p)
    res = detect(_threshold_on(p, (x[5] + x[6]) / 2, 0), bootstrap=0)
    row, ev = res.verdicts.iloc[0], res.tasks[0].verdict.evidence
    assert row["verdict"] == "underpowered" and ev.noise_scale > 10
    assert "more items will not help" in row["note"] and "score more items" not in row["note"]
    # low power from noise (here 50 items and between-model noise above the assumed one, but
    # no misfit) keeps the advice to score more items
    items = simulate_task("mirage", 6, 50, 3, answer_len=(4, 8), model_sd=0.05).items
    small = detect(items, bootstrap=0)
    row, ev = small.verdicts.iloc[0], small.tasks[0].verdict.evidence
    assert "has power" in row["note"] and 1 < ev.noise_scale < 3
    assert "score more items" in row["note"]
    # the trend does not fit at the assumed noise (residual 2.2 times it): no bound from it
    assert np.isnan(ev.jump_upper_assumed) and "assumed noise" not in row["note"]


def test_missing_log_probs_at_some_scales_say_what_to_give() -> None:
    """API models without log-probs at the three largest sizes: no p^L check, and the note says
    why (it said only "inspect the per-scale curves")."""
    items = simulate_task("mirage", 10, 200, 3, answer_len=(4, 8)).items
    big = items["params"] >= np.sort(items["params"].unique())[-3]
    items.loc[big, "target_logprobs"] = None
    row = detect(items, bootstrap=0).verdicts.iloc[0]
    assert row["verdict"] == "ambiguous"
    assert "no mirage prediction to check: p^L needs the targets' log-probs" in row["note"]
    # a scores table has no log-probs to give: what it needs is named too
    assert "or a p_correct score per scale" in row["note"]


def test_repeated_epochs_are_one_item_each() -> None:
    """Inspect epochs (HELM trials) of one sample are not independent items: three identical
    epochs of every item must give the verdict, item count and p-values of one epoch (counted
    as three items each, the companion's variances were a third of what they are)."""
    items = simulate_task("threshold", 8, 120, 2, answer_len=(4, 8)).items
    tripled = pd.concat(
        [items.assign(item=items["item"] + f"#epoch{e}") for e in (1, 2, 3)], ignore_index=True
    )
    one = detect(items, bootstrap=0, seed=0).verdicts.iloc[0]
    three = detect(tripled, bootstrap=0, seed=0).verdicts.iloc[0]
    assert three["n_items"] == one["n_items"] == 120
    assert three["verdict"] == one["verdict"]
    for col in ("continuous_pvalue", "discontinuous_pvalue", "mirage_max_z"):
        assert three[col] == pytest.approx(one[col], rel=1e-9), col


def test_row_order_changes_no_digit_of_the_verdicts() -> None:
    """The same items in another row order (other file order) give the same table to the last
    digit (sums ran in row order: mirage_max_z differed in its last digits)."""
    items = simulate_task("mirage", 9, 150, 4, answer_len=(4, 8)).items
    a = detect(items, bootstrap=50, seed=1).verdicts
    for state in (3, 4, 5):
        b = detect(items.sample(frac=1, random_state=state), bootstrap=50, seed=1).verdicts
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_unequal_repeats_keep_the_mirage_check_on_instances() -> None:
    """The easier half of the instances with three identical epochs, the rest with one: the
    observed exact match is averaged per instance, and so must the p^L prediction be (a row
    mean of the prediction moved it by 0.09 and called the mirage `ambiguous`)."""
    items = simulate_task("mirage", 10, 300, 3, answer_len=(4, 8)).items
    mean_lp = items["target_logprobs"].map(sum).groupby(items["item"]).mean()
    easy = items["item"].isin(mean_lp.index[mean_lp > mean_lp.median()])
    extra = pd.concat([items[easy].assign(item=items.loc[easy, "item"] + f"#epoch{e}")
                       for e in (2, 3)], ignore_index=True)  # fmt: skip
    first = items.assign(item=np.where(easy, items["item"] + "#epoch1", items["item"]))
    res_one = detect(items, bootstrap=0)
    res_rep = detect(pd.concat([first, extra], ignore_index=True), bootstrap=0)
    one, rep = res_one.verdicts.iloc[0], res_rep.verdicts.iloc[0]
    assert one["verdict"] == rep["verdict"] == "mirage"
    assert rep["mirage_max_z"] == pytest.approx(one["mirage_max_z"], rel=1e-9)
    # the answer length goes by item too (a row mean leaned toward the repeated items)
    lengths = [r.tasks[0].verdict.evidence.answer_length for r in (res_one, res_rep)]
    assert lengths[1] == pytest.approx(lengths[0], rel=1e-12)


def test_two_models_of_one_size_are_independent_in_the_mirage_band() -> None:
    """Two models per size: each item's exact match is the mean of two independent draws, so
    its variance is (q1(1-q1) + q2(1-q2)) / 4, not that of one draw at the mean q (a band
    sqrt(2) too wide)."""
    from emergence.detect.item_curves import _item_curves

    a = simulate_task("mirage", 8, 200, 6, answer_len=(4, 8)).items
    b = a.assign(model=a["model"] + "-twin")
    lp = b["target_logprobs"].map(lambda v: [x * 0.8 for x in v])
    b = b.assign(target_logprobs=lp)
    curve = _item_curves(pd.concat([a, b], ignore_index=True))[0]
    q1 = np.exp(a["target_logprobs"].map(sum).to_numpy()).reshape(8, 200)
    q2 = np.exp(lp.map(sum).to_numpy()).reshape(8, 200)
    exact = np.sqrt(((q1 * (1 - q1) + q2 * (1 - q2)) / 4).sum(axis=1) + 1) / 200
    np.testing.assert_allclose(curve.pred_se, exact, rtol=1e-9)


def test_items_missing_at_different_scales_are_underpowered_and_say_why() -> None:
    """Each item skipped at one scale (a rotating subsample): no item is scored at every scale.
    Keeping only those left none ("0 items per scale < 50: score more items"), keeping every
    item let an item-set change pass for a replicated threshold; the task is underpowered with
    the reason and what to do. Log-probs for only a few items at one scale censor that scale
    instead of emptying the common set."""
    items = simulate_task("threshold", 8, 400, 8, answer_len=(4, 8)).items
    sizes = np.sort(items["params"].unique())
    num = items["item"].str[-4:].astype(int)
    scale = np.searchsorted(sizes, items["params"])
    rotating = items[num % 8 != scale].reset_index(drop=True)
    row = detect(rotating, bootstrap=0).verdicts.iloc[0]
    assert row["verdict"] == "underpowered"
    assert row["note"].startswith("0 items scored at every scale < 50 (400 items scored at only "
                                  "some scales): score the same items at every scale")
    sparse = items.copy()
    sparse.loc[(scale == 0) & (num >= 30), "target_logprobs"] = None
    res = detect(sparse, bootstrap=0)
    assert res.verdicts.iloc[0]["verdict"] == "threshold"
    assert np.isnan(res.tasks[0].companion[0]) and np.isfinite(res.tasks[0].companion[1:]).all()


def test_a_swap_of_hard_for_easy_items_with_few_common_items_is_no_threshold() -> None:
    """45 items at every scale, 55 hard ones swapped for 55 easy ones at the larger sizes: the
    models do not change, so no threshold (keeping every item gave a replicated one)."""
    items = simulate_task("mirage", 10, 100, 9, answer_len=(4, 8)).items
    sizes = np.sort(items["params"].unique())
    num = items["item"].str[-4:].astype(int)
    big = items["params"] >= sizes[5]
    swapped = items[~big | (num < 45)].copy()
    easy = items[big & (num >= 45)].copy()
    easy["item"] = easy["item"] + "-easy"
    easy["target_logprobs"] = easy["target_logprobs"].map(lambda v: [x / 4 for x in v])
    easy["output"], easy["output_tokens"] = easy["target"], easy["target_tokens"]
    row = detect(pd.concat([swapped, easy], ignore_index=True), bootstrap=0).verdicts.iloc[0]
    assert row["verdict"] == "underpowered"
    assert "45 items scored at every scale < 50" in row["note"]


def test_rows_without_log_probs_do_not_enter_the_mirage_check() -> None:
    """A weaker twin model without log-probs at every size: exact match pools its rows, the
    p^L prediction cannot; the check compares the prediction with exact match over the rows it
    predicts (it compared it with all rows and called the mirage `ambiguous`)."""
    items = simulate_task("mirage", 8, 200, 10, answer_len=(4, 8)).items
    twin = items.assign(model=items["model"] + "-twin", target_logprobs=None,
                        output="x")  # fmt: skip
    twin["output_tokens"] = twin["output"].map(lambda _: ["x"])
    alone = detect(items, bootstrap=0).verdicts.iloc[0]
    both = detect(pd.concat([items, twin], ignore_index=True), bootstrap=0).verdicts.iloc[0]
    assert alone["verdict"] == both["verdict"] == "mirage"
    assert both["mirage_max_z"] == pytest.approx(alone["mirage_max_z"], rel=1e-9)


def test_a_ramp_over_before_exact_match_moves_is_not_at_the_jump() -> None:
    """A ramp's psi is an observed scale caught mid-rise; its bracket spans two gaps, which
    may reach a jump that comes a decade after the companion's rise is over. Only steps and
    kinks, whose position inside a gap cannot be seen, count by their bracket."""
    from emergence.detect.verdict import assess_task, classify_tasks

    x = np.array([8, 8.2, 8.4, 9.4, 10.4, 10.6, 10.8, 11.0])
    disc = np.array([0.02, 0.02, 0.02, 0.02, 0.02, 0.80, 0.85, 0.90])
    comp = np.array([0.0, 0.02, 0.01, 0.5, 1.0, 1.01, 1.0, 1.02])  # half-way up at 9.4
    ev = assess_task(x, disc, comp, n_items=400, variances=np.full(8, 1e-4), primary="sharp",
                     noise_floor=0.03, min_jump=0.5, max_width=1.0, kink_test="both", seed=0,
                     n_sim=2000)  # fmt: skip
    (v,) = classify_tasks([ev], fdr=0.05)
    assert ev.break_kind == "ramp" and ev.psi == 9.4 and not ev.psi_in_jump
    assert v.label == "ambiguous" and "outside the region" in v.reason


def test_log_probs_and_outputs_from_separate_runs_keep_the_mirage_check() -> None:
    """Each size has a generation run (outputs, no log-probs) and a log-likelihood run
    (log-probs, no output): the rows p^L predicts carry no exact match, so the check uses
    exact match over all rows (it was NaN, and "the mirage prediction misses (max z = nan)")."""
    items = simulate_task("mirage", 8, 200, 10, answer_len=(4, 8)).items
    lp_only = items.assign(model=items["model"] + "-ll", output=None, output_tokens=None)
    both = pd.concat([items.assign(target_logprobs=None), lp_only], ignore_index=True)
    alone = detect(items, bootstrap=0).verdicts.iloc[0]
    split = detect(both, bootstrap=0).verdicts.iloc[0]
    assert alone["verdict"] == split["verdict"] == "mirage"
    assert split["mirage_max_z"] == pytest.approx(alone["mirage_max_z"], rel=1e-9)


def test_log_probs_missing_for_a_few_items_fall_back_to_a_complete_companion() -> None:
    """9 of 120 items per scale without log-probs, different ones at each scale: the log-prob
    companion has fewer than 50 items at every scale, so the companion is one every item has
    (token edit distance); it was `underpowered`, "score the same items at every scale"."""
    items = simulate_task("threshold", 8, 120, 11, answer_len=(4, 8)).items
    sizes = np.sort(items["params"].unique())
    num = items["item"].str[-4:].astype(int)
    scale = np.searchsorted(sizes, items["params"])
    gaps = items.copy()
    gaps.loc[(num // 9) % 8 == scale, "target_logprobs"] = None
    full = detect(items, bootstrap=0).verdicts.iloc[0]
    row = detect(gaps, bootstrap=0).verdicts.iloc[0]
    assert full["continuous_metric"] == "mean_token_logprob"
    assert row["continuous_metric"] == "token_edit_distance"
    assert row["verdict"] == full["verdict"] == "threshold"


def test_the_common_item_note_follows_min_items() -> None:
    """With min_items = 30, a companion on 40 common items is tested, and the note says so (it
    compared with a fixed 50 and dropped the note)."""
    items = simulate_task("threshold", 8, 120, 8, answer_len=(4, 8)).items
    num = items["item"].str[-4:].astype(int)
    sizes = np.sort(items["params"].unique())
    scale = np.searchsorted(sizes, items["params"])
    cut = items.copy()
    cut.loc[(num >= 40) & (num % 8 == scale), ["target_logprobs", "output"]] = None
    cut["output_tokens"] = cut["output_tokens"].where(cut["output"].notna(), None)
    row = detect(cut, bootstrap=0, min_items=30).verdicts.iloc[0]
    assert "uses the 40 items scored at every scale" in row["note"]


def _mc_items(missing: bool, seed: int = 0, n_items: int = 240) -> pd.DataFrame:
    """A 4-option task: the output is the picked option (4 % unparsable answers, so edit
    distances are not excluded as picks), choice log-probs missing for a rotating 1/8 of the
    items at each scale when ``missing``."""
    rng = np.random.default_rng(seed)
    opts = ["alpha beta gamma delta", "epsilon zeta eta theta", "iota kappa lambda mu",
            "nu xi omicron pi"]  # fmt: skip
    rows = []
    for s, p in enumerate(np.logspace(7, 10.5, 8)):
        for i in range(n_items):
            logits = rng.normal(0, 0.3, 4)
            logits[i % 4] += 2 * (np.log10(p) - 8.75)
            lp = logits - np.log(np.exp(logits).sum())
            out = opts[int(np.argmax(lp))] if rng.random() > 0.04 else "I am not sure"
            gone = missing and (i // 9) % 8 == s
            rows.append({"family": "f", "model": f"m{s}", "params": p, "task": "mc",
                         "item": f"q{i:04d}", "choices": opts, "target": opts[i % 4],
                         "choice_logprobs": None if gone else lp.tolist(),
                         "correct_choice": i % 4, "output": out})  # fmt: skip
    return pd.DataFrame(rows)


def test_a_multiple_choice_grade_never_falls_back_to_an_edit_distance() -> None:
    """Choice log-probs missing for a rotating subset: the edit distance between a picked and
    the gold option is the grade again, so it is no fallback companion (it gave a replicated
    `threshold` on a smooth task whose p_correct has no break)."""
    row = detect(_mc_items(missing=True), bootstrap=0).verdicts.iloc[0]
    assert row["continuous_metric"] == "p_correct" and row["verdict"] == "underpowered"
    assert "scored at every scale < 50" in row["note"]


def test_a_companion_only_some_items_have_is_held_to_the_item_rule() -> None:
    """Log-probs for 40 of 120 items (the same ones at every scale), no other companion: the
    companion would be tested on 40 items while the discontinuous metric passes the rule with
    120; it is underpowered, and says why."""
    from emergence.detect.tables import _assess
    from emergence.detect.task_curves import _Curve
    from emergence.metrics.registry import get_metric

    x = np.linspace(7, 11, 8)
    curve = _Curve(
        key={"family": "f", "task": "t"}, params=10.0**x, n_items=np.full(8, 120.0),
        disc_name="exact_match", disc=np.linspace(0, 0.8, 8), comp_name="mean_token_logprob",
        comp=np.linspace(-3, -0.5, 8), transform=get_metric("mean_token_logprob").transform,
        pred=None, pred_se=None, item_matrix=np.full((40, 8), -1.0),
    )  # fmt: skip
    ev = _assess(curve, min_scales=6, min_items=50, alpha=0.05, seed=0, n_sim=200)
    assert ev.underpowered_reason == (
        "40 items scored at every scale < 50 (the continuous metric mean_token_logprob has no "
        "more)"
    )


def test_too_few_items_overall_keep_the_plain_item_advice() -> None:
    """30 items per scale, two with a -inf log-prob at the smallest scale: the task has too few
    items, which the plain rule says; not "score the same items at every scale"."""
    items = simulate_task("threshold", 8, 30, 0, answer_len=(4, 8)).items
    small = items["params"] == items["params"].min()
    hit = small & items["item"].str[-4:].astype(int).isin([0, 1])
    items.loc[hit, "target_logprobs"] = items.loc[hit, "target_logprobs"].map(
        lambda v: [-np.inf, *v[1:]])  # fmt: skip
    row = detect(items, bootstrap=0).verdicts.iloc[0]
    assert row["note"].startswith("30 items per scale < 50: score more items per scale")


def test_models_of_one_size_pooled_into_one_scale_are_named() -> None:
    # review: a model given the size of another was merged into its scale without a word
    items = simulate_task("mirage", 8, 120, seed=4, answer_len=(4, 8)).items
    sizes = np.sort(items["params"].unique())
    plain = detect(items, bootstrap=0).verdicts.note.iloc[0]
    assert "pooled" not in plain
    moved = items.assign(params=items["params"].replace(sizes[3], sizes[2]))
    row = detect(moved, bootstrap=0).verdicts.iloc[0]
    small, big = (items.loc[items["params"] == s, "model"].iloc[0] for s in sizes[2:4])
    assert row.n_scales == 7
    assert row.note.endswith(f"(models of the same size pooled into one scale: "
                             f"{', '.join(sorted([small, big]))} at {sizes[2]:.3g})")  # fmt: skip
    scores = pd.DataFrame([
        {"family": "f", "model": f"m{i}", "params": p, "task": "t", "metric": "exact_match",
         "value": 0.1 * i, "n_items": 100}
        for i, p in enumerate([1e8, 1e8, 3e8, 1e9, 3e9, 1e10, 3e10])
    ])  # fmt: skip
    note = detect_tables(None, scores).note.iloc[0]
    assert note.endswith("(models of the same size pooled into one scale: m0, m1 at 1e+08)")


def test_a_rise_within_binomial_noise_shows_its_fisher_p_beside_the_screen_p() -> None:
    # statistical review: 3 of 200 right at the largest scale, none below: "smooth" with the
    # note's Fisher p = 0.124, while the only p in the table was the Davies screen's 0.0002
    from mirage_items import mirage_items
    from scipy import stats

    items = mirage_items([5], n_items=200, seed=1)
    right = (items["output"] == items["target"]).to_numpy()
    top = (items["params"] == items["params"].max()).to_numpy()
    keep = np.flatnonzero(right & top)[:3]
    broken = right.copy()
    broken[keep] = False
    items.loc[broken, "output"] = "x" + items.loc[broken, "output"]
    row = detect(items, bootstrap=0).verdicts.iloc[0]
    fisher = stats.fisher_exact([[3, 197], [0, 200]], alternative="greater").pvalue
    assert row["verdict"] == "smooth" and "within its binomial noise" in row["note"]
    assert row["rise_pvalue"] == pytest.approx(fisher, rel=1e-12) and row["rise_pvalue"] > 0.01
    assert f"Fisher p = {fisher:.3g}" in row["note"]


def test_a_multiple_choice_task_without_a_break_is_not_told_to_add_log_probs() -> None:
    # statistical review: the note asked for the targets' log-probs, which a multiple-choice
    # grade can never use (no p^L prediction: an argmax, not a product)
    rng = np.random.default_rng(5)
    n_items, rows = 150, []
    difficulty = rng.normal(0, 0.5, n_items)
    for size in np.logspace(7.3, 10.8, 10):
        for i in range(n_items):
            gold = float(-7 + 1.2 * (np.log10(size) - 7.3) + difficulty[i] + rng.normal(0, 0.3))
            logits = [gold, *(rng.normal(0, 0.3, 3) - 5)]
            rows.append({
                "family": "mc", "model": f"m{size:.3g}", "params": size, "task": "choice",
                "item": f"i{i}", "choices": list("ABCD"), "choice_logprobs": logits,
                "correct_choice": 0, "target": "A",
                "target_logprobs": [gold - float(np.logaddexp.reduce(logits))],
                "target_tokens": ["A"],
            })  # fmt: skip
    row = detect(pd.DataFrame(rows), bootstrap=0).verdicts.iloc[0]
    assert row["discontinuous_metric"] == "multiple_choice_grade"
    assert row["verdict"] == "ambiguous" and "no mirage prediction" in row["note"]
    assert "a multiple-choice grade is an argmax over the choices" in row["note"]
    assert "give them" not in row["note"]
