"""Bootstrap intervals for the isoFLOP (Approach 2) and BNSL fits, against known truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from emergence.cli import cli
from emergence.errors import InputError
from emergence.fit import HOFFMANN_UNROUNDED, chinchilla_predict, compute_optimal, fit_bnsl
from emergence.fit.bnsl import bnsl_predict
from emergence.fit.bootstrap_forms import bootstrap_bnsl, bootstrap_isoflop


def _isoflop_grid(seed: int, noise: float = 0.01):
    """Runs on an isoFLOP grid from Hoffmann's law, with log-normal loss noise."""
    rng = np.random.default_rng(seed)
    n, c = [], []
    for budget in np.logspace(18, 21, 5):
        centre = compute_optimal(HOFFMANN_UNROUNDED, budget).n_opt[0]
        for k in np.linspace(-0.6, 0.6, 7):
            n.append(centre * 10**k)
            c.append(budget)
    n, c = np.array(n), np.array(c)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n)) * np.exp(
        rng.normal(0, noise, n.size)
    )
    return n, loss, c


def test_isoflop_bootstrap_covers_the_true_exponent() -> None:
    truth = compute_optimal(HOFFMANN_UNROUNDED, 1e20).a
    n, loss, c = _isoflop_grid(seed=1)
    boot = bootstrap_isoflop(n, loss, c, n_boot=200, seed=3)
    lo, hi = boot.ci["a"]
    assert lo < truth < hi
    assert 0.003 < boot.se["a"] < 0.1
    # exponents are tied by C = 6 N D: a + b = 1 in every draw
    ok = np.isfinite(boot.draws["a"])
    np.testing.assert_allclose(boot.draws["a"][ok] + boot.draws["b"][ok], 1.0, atol=1e-9)


def _five_size_grid(rng, noise: float = 0.01):
    """Six budgets x 5 sizes: raw parabola residuals hold only (5 - 3) / 5 of the noise."""
    n, c = [], []
    for budget in np.geomspace(1e18, 1e21, 6):
        centre = 0.1 * (budget / 6) ** 0.5
        for f in np.geomspace(0.25, 4, 5):
            n.append(centre * f)
            c.append(budget)
    n, c = np.array(n), np.array(c)
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, c / (6 * n))
    return n, loss + rng.normal(0, noise, n.size), c


def test_isoflop_bootstrap_se_matches_the_spread_across_replications() -> None:
    # review: resampling raw residuals gave 0.64 x the sampling SD at 5 sizes per budget
    # (sqrt(2 / 5)); leverage-corrected residuals (Davison & Hinkley Alg. 6.3) fix the scale.
    # Mean SE over 30 data sets against the SD over 300: about +-8 % Monte Carlo error each
    from emergence.fit import fit_isoflop

    rng = np.random.default_rng(0)
    grids = [_five_size_grid(rng) for _ in range(300)]
    sd = float(np.std([fit_isoflop(*g).n_opt.exponent for g in grids], ddof=1))
    se = np.mean([bootstrap_isoflop(*g, n_boot=200, seed=k).se["a"]
                  for k, g in enumerate(grids[:30])])  # fmt: skip
    assert 0.85 < se / sd < 1.45


def test_isoflop_bootstrap_refuses_budgets_without_residuals() -> None:
    # a parabola through 3 sizes per budget fits exactly: no noise to resample
    n, loss, c = _five_size_grid(np.random.default_rng(1))
    keep = np.isin(np.arange(n.size) % 5, (0, 2, 4))
    with pytest.raises(InputError, match="at least 4 model sizes"):
        bootstrap_isoflop(n[keep], loss[keep], c[keep], n_boot=20)


def test_bnsl_bootstrap_is_seeded_and_brackets_the_fit() -> None:
    truth = {"a": 0.1, "b": 2.0, "c0": 0.2, "c1": 0.8, "d1": 3e3, "f1": 0.3}
    rng = np.random.default_rng(5)
    x = np.logspace(2, 5, 20)
    y = bnsl_predict(truth, x) * np.exp(rng.normal(0, 0.01, x.size))
    one = bootstrap_bnsl(x, y, n_boot=40, seed=11)
    two = bootstrap_bnsl(x, y, n_boot=40, seed=11)
    # same seed, same resamples, and each BNSL refit is bit-for-bit reproducible: equal draws
    assert one.draws.keys() == two.draws.keys()
    for key in one.draws:
        assert one.draws[key].tobytes() == two.draws[key].tobytes(), key
    fit = fit_bnsl(x, y)
    for key in ("c0", "c1"):
        lo, hi = one.ci[key]
        assert lo <= fit.params[key] <= hi
    assert one.ci["c1"][0] < truth["c1"] < one.ci["c1"][1]


def test_cli_isoflop_and_bnsl_report_bootstrap_intervals(tmp_path) -> None:
    n, loss, c = _isoflop_grid(seed=2)
    path = tmp_path / "runs.csv"
    lines = ["params,flops,loss"] + [
        f"{float(a)!r},{float(b)!r},{float(v)!r}" for a, b, v in zip(n, c, loss, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["fit", "isoflop", str(path), "--bootstrap", "50", "--format", "json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert set(payload["ci"]) >= {"a", "b"} and payload["ci"]["a"][0] < payload["params"]["a"]
    bnsl = runner.invoke(
        cli,
        [
            "fit",
            "bnsl",
            str(path),
            "--x",
            "params",
            "--bootstrap",
            "20",
            "--format",
            "json",
        ],
    )
    assert bnsl.exit_code == 0, bnsl.output
    assert "c0" in json.loads(bnsl.output)["se"]
    again = runner.invoke(cli, ["fit", "bnsl", str(path), "--x", "params", "--bootstrap", "20",
                                "--format", "json"])  # fmt: skip
    first, second = json.loads(bnsl.output), json.loads(again.output)
    for key in first["se"]:  # same seed, same intervals (to BNSL's refit precision)
        assert second["se"][key] == pytest.approx(first["se"][key], rel=1e-8)
        assert second["ci"][key] == pytest.approx(first["ci"][key], rel=1e-8)
    # -o picks the format from the suffix; other suffixes are refused
    out_json = tmp_path / "fit.json"
    assert runner.invoke(cli, ["fit", "isoflop", str(path), "-o", str(out_json)]).exit_code == 0
    assert json.loads(out_json.read_text())["form"] == "isoflop"
    refused = runner.invoke(cli, ["fit", "isoflop", str(path), "-o", str(tmp_path / "f.parquet")])
    assert refused.exit_code == 2 and not (tmp_path / "f.parquet").exists()
    bad = runner.invoke(cli, ["fit", "isoflop", str(path), "--bootstrap", "1"])
    assert bad.exit_code == 2 and "at least 2" in bad.output


@pytest.mark.parametrize("n_boot", [0])
def test_no_bootstrap_keeps_ols_se(tmp_path, n_boot) -> None:
    n, loss, c = _isoflop_grid(seed=2)
    path = tmp_path / "runs.csv"
    path.write_text(
        "params,flops,loss\n"
        + "".join(
            f"{float(a)!r},{float(b)!r},{float(v)!r}\n" for a, b, v in zip(n, c, loss, strict=True)
        )
    )
    payload = json.loads(
        CliRunner().invoke(cli, ["fit", "isoflop", str(path), "--format", "json"]).output
    )
    assert payload["ci"] == {} and np.isfinite(payload["se"]["a"])


def test_kaplan_nd_bootstrap_covers_truth() -> None:
    from emergence.fit import kaplan_nd_predict
    from emergence.fit.bootstrap_forms import bootstrap_kaplan_nd

    truth = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}
    rng = np.random.default_rng(8)
    n = 10 ** rng.uniform(6, 9.5, 60)
    d = 10 ** rng.uniform(7, 10.5, 60)
    loss = kaplan_nd_predict(truth, n, d) * np.exp(rng.normal(0, 0.01, n.size))
    boot = bootstrap_kaplan_nd(n, d, loss, n_boot=25, seed=1, n_jobs=1)
    for key in ("alpha_N", "alpha_D"):
        lo, hi = boot.ci[key]
        assert lo < truth[key] < hi, key
        assert 0 < boot.se[key] < 0.05
    assert boot.n_failed == 0


def test_isoflop_exponent_se_is_the_same_number_in_table_and_json(tmp_path) -> None:
    # review: with --bootstrap the table's exponent_se was the bootstrap SE and the JSON's
    # n_opt.exponent_se the OLS SE (while the JSON's se.a was the bootstrap one)
    n, loss, c = _isoflop_grid(seed=2)
    path = tmp_path / "runs.csv"
    path.write_text("params,flops,loss\n" + "".join(
        f"{float(a)!r},{float(b)!r},{float(v)!r}\n" for a, b, v in zip(n, c, loss, strict=True)))
    runner = CliRunner()
    for n_boot, method in (("30", "bootstrap"), ("0", "ols")):
        args = ["fit", "isoflop", str(path), "--bootstrap", n_boot]
        payload = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
        table = runner.invoke(cli, args).output.splitlines()
        header = next(line.split() for line in table if "exponent_se" in line)
        for quantity, key, se_key in (("N_opt", "n_opt", "a"), ("D_opt", "d_opt", "b")):
            law = payload[key]
            row = next(line.split() for line in table if line.split()[:1] == [quantity])
            shown = dict(zip(header, row, strict=True))
            assert law["exponent_se"] == payload["se"][se_key]
            assert float(shown["exponent_se"]) == pytest.approx(law["exponent_se"], rel=1e-5)
            assert payload["se_method"] == method
            assert shown["exponent_se_method"] == law["exponent_se_method"] == method
            assert float(shown["exponent_se_ols"]) == pytest.approx(law["exponent_se_ols"],
                                                                    rel=1e-5)
        ols = payload["n_opt"]["exponent_se_ols"]
        assert (payload["n_opt"]["exponent_se"] == ols) == (method == "ols")


def _addition_14():
    import pandas as pd
    from conftest import shared_path

    frame = pd.read_csv(shared_path("fits", "bnsl_4digit_addition.csv"))
    return frame["x"].to_numpy(float)[:14], frame["y"].to_numpy(float)[:14]


def test_bnsl_degenerate_refits_are_flagged_counted_and_kept(tmp_path) -> None:
    # review: bootstrap draws with a negative floor (a = -3e5, b = 3e5) or a cliff (c1 = 2e6)
    # were kept silently: SE(a) = 21329 for a = 0.414, with bootstrap_failed 0. They are
    # counted and flagged; leaving them out would cut off the tail they form (a second review:
    # 25 % of the converged draws lay below such an interval) and make it too narrow.
    from emergence.commands.fit import _bootstrap_json
    from emergence.fit import bootstrap_counts

    x, y = _addition_14()
    # the single fit flags such a law: the first resample of seed 0 has a < 0
    counts = bootstrap_counts(14, 1, seed=0)[0]
    one = fit_bnsl(np.repeat(x, counts), np.repeat(y, counts))
    assert one.params["a"] < 0 and one.diagnostics.dead_terms == ("a",)
    assert any("negative floor" in w for w in one.diagnostics.warnings)
    assert fit_bnsl(x, y).diagnostics.dead_terms == ()  # the fit on all 14 points is sound
    boot = bootstrap_bnsl(x, y, n_boot=30, seed=0)
    assert boot.degenerate_rule == "a < 0 or some c_i > 10"
    # a sixth (a = -3.1e5, b = 3.1e5) ran out of evaluations: stopped anywhere, so failed (a
    # third review: it was kept as a draw, though a refit that did not converge is not one)
    unconverged = fit_bnsl(*(np.repeat(v, bootstrap_counts(14, 30, seed=0)[26]) for v in (x, y)))
    assert not unconverged.converged and unconverged.params["a"] < -1e5
    assert boot.n_failed == 1 and np.isnan(boot.draws["a"][26])
    assert boot.n_degenerate == 4 and (boot.draws["a"] < 0).sum() == 4
    assert boot.ci["a"][0] < 0  # the interval keeps the negative-floor tail
    assert _bootstrap_json(boot)["n_degenerate"] == 4  # the JSON's "bootstrap" key
    assert _bootstrap_json(boot)["degenerate_rule"] == boot.degenerate_rule
    assert _bootstrap_json(boot)["degenerate_beyond_tails"] is True  # 4 of 29 > 2.5 %
    # the CLI table shows the count beside bootstrap_failed, and says what 4 of 29 means
    path = tmp_path / "addition14.csv"
    path.write_text("tokens,loss,params\n" + "".join(
        f"{a!r},{b!r},1e6\n" for a, b in zip(x.tolist(), y.tolist(), strict=True)))
    args = ["fit", "bnsl", str(path), "--x", "tokens", "--bootstrap", "30", "--seed", "0"]
    table = CliRunner().invoke(cli, args).output
    assert "\nbootstrap_degenerate  4 (a < 0 or some c_i > 10; kept in se and ci)" in table
    # 1 of 30: not enough to read the intervals as too narrow
    assert "bootstrap_failed 1 (left out of se and ci)" in " ".join(table.split())
    assert "the data do not pin the law" in table


def test_chinchilla_and_power_law_refits_with_a_dead_term_are_counted_and_kept() -> None:
    """A law whose floor (power law) or data term (Chinchilla) the data do not need: the
    single fit reports the term dead, and so do most refits; they are counted in
    ``n_degenerate`` (and the JSON), never silently mixed in, and stay in the draws."""
    from emergence.commands.fit import _bootstrap_json
    from emergence.fit import bootstrap_chinchilla, bootstrap_power_law, fit_chinchilla
    from emergence.fit import fit_power_law as fit_pl
    from emergence.fit.lse_fit import LSE_DEGENERATE_RULE

    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e10, 10)
    y = 5 * x**-0.1 * np.exp(rng.normal(0, 0.01, x.size))  # no floor: E runs to 0
    assert fit_pl(x, y).diagnostics.dead_terms == ("E",)
    boot = bootstrap_power_law(x, y, n_boot=30, seed=0, n_jobs=1)
    assert boot.degenerate_rule == LSE_DEGENERATE_RULE
    assert boot.n_degenerate >= 25
    assert np.isfinite(boot.draws["E"]).sum() == 30 - boot.n_failed  # kept, not NaN
    assert _bootstrap_json(boot)["n_degenerate"] == boot.n_degenerate

    n = np.repeat(np.geomspace(1e7, 1e9, 5), 4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 5)
    loss = (1.7 + 400 / n**0.34) * np.exp(rng.normal(0, 0.005, n.size))  # no data term
    assert fit_chinchilla(n, d, loss).diagnostics.dead_terms == ("B",)
    boot = bootstrap_chinchilla(n, d, loss, n_boot=20, seed=0, n_jobs=1)
    assert boot.n_degenerate >= 15 and np.isfinite(boot.draws["B"]).sum() == 20 - boot.n_failed
    assert _bootstrap_json(boot)["degenerate_beyond_tails"] is True
    # a well-posed law has none
    y2 = (2.0 + 50 * x**-0.25) * np.exp(rng.normal(0, 0.005, x.size))
    assert bootstrap_power_law(x, y2, n_boot=20, seed=0, n_jobs=1).n_degenerate == 0


def test_kaplan_refits_that_do_not_converge_are_failed(monkeypatch) -> None:
    # the BNSL refits kept unconverged end points as draws; Kaplan's did too
    from types import SimpleNamespace

    from emergence.fit import bootstrap_forms

    def fake(n, d, loss, *, delta):
        return SimpleNamespace(params={"N_c": 1.0, "alpha_N": 0.1}, converged=len(n) % 2 == 0)

    monkeypatch.setattr(bootstrap_forms, "fit_kaplan_nd", fake)
    refit = bootstrap_forms._RepeatRefit(
        bootstrap_forms._kaplan_quantities, (np.arange(4.0), np.arange(4.0), np.ones(4)),
        {"delta": 1e-3}, 2, 2,
    )  # fmt: skip
    assert refit(np.array([1, 1, 1, 1]))["_failed"] == 0.0  # 4 points: converged
    assert refit(np.array([2, 1, 1, 1]))["_failed"] == 1.0  # 5 points: not


@pytest.mark.parametrize(("failed", "narrow"), [(10, False), (11, True)])
def test_the_fit_table_reads_many_failed_refits_as_too_narrow(failed: int, narrow: bool) -> None:
    from emergence.commands.fit_output import _bootstrap_json, _bootstrap_rows
    from emergence.fit.results import BootstrapResult

    boot = BootstrapResult(draws={}, se={}, ci={}, level=0.95, n_boot=100, n_failed=failed,
                           seed=0, resampling="rng")  # fmt: skip
    row = _bootstrap_rows(boot)["bootstrap_failed"]
    assert row.startswith(f"{failed} (left out of se and ci")
    assert ("more than 10 %: read the intervals as too narrow" in row) is narrow
    assert _bootstrap_json(boot)["too_many_failed"] is narrow  # the JSON says it too
