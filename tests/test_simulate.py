"""The simulator: determinism and the property each simulated class claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from emergence.cli import cli
from emergence.load import load
from emergence.simulate import TaskTruth, simulate, simulate_task

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sim():
    return simulate(seed=7, n_families=2, tasks_per_class=2, scales=(8, 10), items=(150, 250))


def _per_item(sim) -> pd.DataFrame:
    items = sim.items
    logp = items["target_logprobs"].map(np.sum)
    return items.assign(
        em=(items["output"] == items["target"]).astype(float),
        p_all=np.exp(logp),
        ce=items["target_logprobs"].map(lambda v: -np.mean(v)),
        length=items["target_tokens"].map(len),
    ).merge(sim.truth[["family", "task", "true_class"]], on=["family", "task"])


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for out in ("a", "b"):
        result = runner.invoke(
            cli,
            [
                "simulate",
                str(tmp_path / out),
                "--seed",
                "3",
                "--families",
                "1",
                "--items",
                "20",
                "30",
            ],
        )
        assert result.exit_code == 0, result.output
    for name in ("items.jsonl", "losses.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    other = runner.invoke(
        cli,
        ["simulate", str(tmp_path / "c"), "--seed", "4", "--families", "1", "--items", "20", "30"],
    )
    assert other.exit_code == 0
    assert (tmp_path / "c" / "items.jsonl").read_bytes() != (
        tmp_path / "a" / "items.jsonl"
    ).read_bytes()


def test_simulated_files_load_and_validate(tmp_path: Path) -> None:
    CliRunner().invoke(
        cli, ["simulate", str(tmp_path), "--seed", "1", "--families", "1", "--items", "10", "20"]
    )
    tables = load(tmp_path)
    assert not tables.items.empty and not tables.losses.empty


def test_exact_match_is_p_to_the_L(sim) -> None:
    """Every class: P(exact match) = prod_k p_k, so observed EM ~ mean_j exp(sum log p)."""
    df = _per_item(sim)
    g = df.groupby(["family", "task", "params"]).agg(
        em=("em", "mean"), pred=("p_all", "mean"), n=("em", "size")
    )
    se = np.sqrt(np.clip(g.pred * (1 - g.pred), 1e-4, None) / g.n)
    z = (g.em - g.pred) / se
    # 4.5 SE per cell over ~100 cells: a correct simulator fails this with tiny probability
    assert np.abs(z).max() < 4.5
    assert abs(z.mean()) < 0.5  # no systematic bias


def test_mirage_cross_entropy_is_a_smooth_power_law(sim) -> None:
    df = _per_item(sim)
    for (family, task), grp in df[df.true_class == "mirage"].groupby(["family", "task"]):
        truth = sim.truth.set_index(["family", "task"]).loc[(family, task)]
        ce = grp.groupby("params")["ce"].mean()
        n = ce.index.to_numpy()
        law = truth.ce_E + truth.ce_A * (n / 1e9) ** -truth.ce_alpha
        # item difficulty (log-normal, sd item_sd) and token jitter (sd 0.1) inflate the mean
        factor = np.exp(truth.item_sd**2 / 2 + 0.1**2 / 2)
        np.testing.assert_allclose(ce.to_numpy(), law * factor, rtol=0.12)
        assert np.all(np.diff(ce.to_numpy()) < 0)
        assert grp["length"].max() > 1


def test_threshold_cross_entropy_jumps_at_n_star(sim) -> None:
    df = _per_item(sim)
    for (family, task), grp in df[df.true_class == "threshold"].groupby(["family", "task"]):
        truth = sim.truth.set_index(["family", "task"]).loc[(family, task)]
        ce = grp.groupby("params")["ce"].mean()
        below = ce[ce.index < truth.center_params / 10 ** (3 * truth.width_decades)]
        above = ce[ce.index > truth.center_params * 10 ** (3 * truth.width_decades)]
        assert len(below) >= 2 and len(above) >= 2
        # flat on each side, and an order-of-magnitude drop across N*
        assert below.max() / below.min() < 1.1 and above.max() / above.min() < 1.5
        assert below.min() > 8 * above.max()


def test_smooth_tasks_have_single_token_answers(sim) -> None:
    df = _per_item(sim)
    smooth = df[df.true_class == "smooth"]
    assert (smooth["length"] == 1).all()
    em = smooth.groupby(["family", "task", "params"])["em"].mean()
    # rises with scale without a jump bigger than 0.35 between neighbouring scales
    for _, curve in em.groupby(level=[0, 1]):
        assert np.diff(curve.to_numpy()).max() < 0.35


def test_unevenly_spaced_scales(sim) -> None:
    for _, grp in sim.items.groupby("family"):
        x = np.log10(np.sort(grp["params"].unique()))
        gaps = np.diff(x)
        assert 8 <= len(x) <= 10 and gaps.min() > 0
        assert gaps.max() / gaps.min() > 1.2


def test_bundled_data_matches_its_readme() -> None:
    data = REPO / "benchmarks_data" / "simulated"
    truth = pd.read_csv(data / "truth.csv")
    tables = load(data)
    assert set(truth.true_class) == {"mirage", "threshold", "smooth"}
    assert len(tables.items) == int((truth.n_items * truth.n_scales).sum())
    assert sum(p.stat().st_size for p in (REPO / "benchmarks_data").rglob("*")) < 20e6


def test_simulate_is_unchanged_by_the_calibration_options() -> None:
    """``ranges`` and ``model_sd`` are opt-in: the bundled data still regenerate exactly."""
    truth = pd.read_csv(REPO / "benchmarks_data" / "simulated" / "truth.csv")
    again = simulate(seed=2026).truth
    pd.testing.assert_frame_equal(again, truth, check_dtype=False)


def test_widened_classes_and_model_noise() -> None:
    from emergence.simulate import simulate_task, simulate_tasks

    spec = ("smooth", 8, 60, (3, 6), {"width": (0.3, 0.5)}, 0.05)
    a, b = simulate_tasks([spec], seed=5), simulate_tasks([spec], seed=5)
    pd.testing.assert_frame_equal(a.items, b.items)
    t = a.truth.iloc[0]
    assert 0.3 <= t.width_decades <= 0.5 and t.answer_len_min == 3 and t.model_sd == 0.05
    assert a.items["target_tokens"].map(len).min() >= 3
    # without the options a smooth task keeps single-token answers and no model noise
    plain = simulate_task("smooth", 8, 60, 5, answer_len=(3, 6))
    assert plain.truth.iloc[0].answer_len_max == 1 and "model_sd" not in plain.truth
    # model noise scatters each model's cross-entropy around the smooth curve
    far = simulate_task("mirage", 10, 400, 9, ranges={}, model_sd=0.3)
    near = simulate_task("mirage", 10, 400, 9, ranges={})
    ce = [s.items.groupby("params")["target_logprobs"].apply(lambda v: -np.mean(np.concatenate(
        v.to_numpy()))) for s in (far, near)]  # fmt: skip
    ratio = np.log(ce[0].to_numpy() / ce[1].to_numpy())
    assert ratio.std() > 0.1
    with pytest.raises(ValueError):
        simulate_task("mirage", 8, 10, 0, ranges={"nope": (0, 1)})
    # every documented spec length works: (cls, n, k), + answer_len, + ranges and model_sd
    four = simulate_tasks([("mirage", 6, 50, (2, 3))], seed=1)
    assert four.truth.iloc[0].answer_len_max <= 3 and four.truth.iloc[0].model_sd == 0.0
    assert len(simulate_tasks([("mirage", 6, 50)], seed=1).items) == 300


SMALL = ["--families", "1", "--items", "10", "20", "--scales", "5", "5"]


def test_simulate_never_replaces_files_without_force(tmp_path: Path) -> None:
    (tmp_path / "items.parquet").write_bytes(b"somebody's real items")
    (tmp_path / "losses.csv").write_text("params,tokens,loss\n1,2,3\n")
    (tmp_path / "notes.txt").write_text("keep me")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = CliRunner().invoke(cli, ["simulate", str(tmp_path), *SMALL])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path}: already holds items.parquet, losses.csv; simulate would replace or "
        "remove them: choose an empty folder, or pass --force to replace them"
    ]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written


def test_simulate_force_replaces_its_own_files_only(tmp_path: Path) -> None:
    runner = CliRunner()
    fresh, reused = tmp_path / "fresh", tmp_path / "reused"
    assert runner.invoke(cli, ["simulate", str(fresh), *SMALL]).exit_code == 0
    reused.mkdir()  # an empty existing folder is fine without --force
    assert runner.invoke(cli, ["simulate", str(reused), "--seed", "3", *SMALL]).exit_code == 0
    (reused / "notes.txt").write_text("keep me")
    assert runner.invoke(cli, ["simulate", str(reused), *SMALL, "--force"]).exit_code == 0
    assert (reused / "notes.txt").read_text() == "keep me"
    for name in ("items.jsonl", "losses.csv", "truth.csv"):
        assert (reused / name).read_bytes() == (fresh / name).read_bytes()
    assert sorted(p.name for p in reused.iterdir()) == [
        "items.jsonl", "losses.csv", "notes.txt", "truth.csv"
    ]  # fmt: skip


@pytest.mark.parametrize("folder", ["simulated", "trained"])
def test_parquet_files_open_with_plain_pandas(folder: str) -> None:
    """pandas' own metadata for Arrow list columns does not read back in pandas: it is not
    written, so ``pandas.read_parquet`` opens the bundled (and simulated) items."""
    path = Path(__file__).resolve().parents[1] / "benchmarks_data" / folder / "items.parquet"
    frame = pd.read_parquet(path)
    assert len(frame) == len(load(path).items)
    assert isinstance(frame["target_tokens"].iloc[0], np.ndarray | list)


def test_a_threshold_can_sit_anywhere_and_on_a_trend():
    # calibration panels put genuine jumps in the edge gaps and on a smooth power-law trend
    from emergence.simulate import _per_token_ce

    ranges = {"center_pos": (0.0, 0.05), "alpha": (0.4, 0.4), "ce_high": (1.0, 1.0),
              "ce_low": (0.5, 0.5)}  # fmt: skip
    sim = simulate_task("threshold", 8, 60, seed=3, ranges=ranges)
    t = sim.truth.iloc[0]
    sizes = np.sort(sim.items["params"].unique())
    x = np.log10(sizes)
    assert x[0] <= np.log10(t.center_params) <= x[0] + 0.05 * np.ptp(x) and t.ce_alpha == 0.4
    truth = TaskTruth(**t.drop("model_sd").to_dict())
    step = 1 / (1 + np.exp(-(x - np.log10(t.center_params)) / t.width_decades))
    expected = (1.0 - 0.5 * step) * (sizes / 1e9) ** -0.4
    np.testing.assert_allclose(_per_token_ce(truth, sizes), expected)
    # without these ranges a threshold is what it was: no trend, centre inside
    plain = simulate_task("threshold", 8, 60, seed=3).truth.iloc[0]
    assert np.isnan(plain.ce_alpha)
