"""The simulator: determinism and the property each simulated class claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from emergence.cli import cli
from emergence.load import load
from emergence.simulate import simulate

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
