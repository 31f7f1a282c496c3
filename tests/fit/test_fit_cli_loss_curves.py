"""One-variable fits of a loss table take one curve: runs that would pool stop (review F1).

L(N) is at one token count, L(D) of one model size, L(C) the compute-efficient frontier. The
loss path used to fit every row of the family: runs of one size at four token counts counted
as replicates of one L(N), and every run of an isoFLOP grid as points of L(C).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import REPO

from emergence.commands.fit import fit
from emergence.errors import InputError
from emergence.fit import HOFFMANN_UNROUNDED, chinchilla_predict, fit_power_law

TRAINED = REPO / "benchmarks_data" / "trained" / "losses.csv"
SIMULATED = REPO / "benchmarks_data" / "simulated" / "losses.csv"
TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}


def _invoke(*args: object):
    return CliRunner().invoke(fit, [str(a) for a in args], catch_exceptions=True)


def _json(*args: object) -> dict:
    res = _invoke(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _refusal(*args: object) -> str:
    res = _invoke(*args)
    assert res.exit_code != 0 and isinstance(res.exception, InputError), res.output
    message = str(res.exception)
    assert "\n" not in message
    return message


def _grid(tmp_path: Path) -> Path:
    """Noiseless Chinchilla-law runs: 6 sizes x 3 token counts (a common sweep design)."""
    n = np.repeat(np.geomspace(1e7, 1e10, 6), 3)
    d = np.tile([1e9, 1e10, 1e11], 6)
    path = tmp_path / "grid.csv"
    pd.DataFrame({"family": "g", "params": n, "tokens": d,
                  "loss": chinchilla_predict(TRUTH, n, d)}).to_csv(path, index=False)  # fmt: skip
    return path


def test_bundled_size_sweep_is_refused_then_fitted_at_one_token_count() -> None:
    message = _refusal("power-law", TRAINED, "--x", "params", "--no-offset")
    assert message.startswith(f"{TRAINED} (family tiny-gpt, split validation): --x params")
    assert "tokens takes 4 values (375360, 750720, 1.50048e+06, 3e+06)" in message
    assert "4 of them at params 15120 (4 of 7 sizes have several)" in message
    assert message.endswith("choose it with --tokens D")
    payload = _json("power-law", TRAINED, "--x", "params", "--tokens", "3e6", "--no-offset")
    assert payload["n_points"] == 7 and payload["held_fixed"] == {"tokens": 3e6}
    # the same fit as on the 3M-token rows alone (the reviewer's filtered file: alpha 0.22442)
    rows = pd.read_csv(TRAINED).query("tokens == 3000000")
    ref = fit_power_law(rows["params"], rows["loss"], offset=False)
    assert payload["params"] == pytest.approx(ref.params, rel=1e-12)
    assert payload["params"]["alpha"] == pytest.approx(0.22442, abs=5e-6)
    message = _refusal("power-law", TRAINED, "--x", "params", "--tokens", "3.1e6")
    assert "--tokens 3.1e+06: no run has tokens 3.1e+06 (within a relative 1e-05)" in message
    assert "tokens in the data: 375360, 750720, 1.50048e+06, 3e+06" in message


def test_held_scale_gives_the_law_along_it(tmp_path: Path) -> None:
    """Known truth: at fixed D the law is (E + B/D^beta) + A N^-alpha, at fixed N
    (E + A/N^alpha) + B D^-beta; both are recovered exactly from the grid's rows."""
    path = _grid(tmp_path)
    message = _refusal("power-law", path, "--x", "params")
    assert "(family g): --x params would pool runs of one size at different token counts" in message
    assert "tokens takes 3 values (1e+09, 1e+10, 1e+11), 3 of them at params 1e+07" in message
    at_d = _json("power-law", path, "--x", "params", "--tokens", "1e10", "--delta", "inf")
    floor = TRUTH["E"] + TRUTH["B"] / 1e10 ** TRUTH["beta"]
    assert at_d["params"] == pytest.approx({"E": floor, "A": TRUTH["A"], "alpha": 0.34}, rel=1e-6)
    message = _refusal("bnsl", path, "--x", "tokens")
    assert "--x tokens would pool runs of one token count at different sizes" in message
    assert "params takes 6 values" in message and message.endswith("choose it with --params N")
    at_n = _json("power-law", path, "--x", "tokens", "--params", "1e7", "--delta", "inf")
    floor = TRUTH["E"] + TRUTH["A"] / 1e7 ** TRUTH["alpha"]
    assert at_n["params"] == pytest.approx({"E": floor, "A": TRUTH["B"], "alpha": 0.28}, rel=1e-6)
    assert at_n["held_fixed"] == {"params": 1e7} and at_n["frontier"] is None


def test_isoflop_grid_needs_the_frontier_for_l_of_c() -> None:
    message = _refusal("power-law", SIMULATED, "--family", "sim-a", "--x", "flops")
    assert "--x flops would fit all 35 runs, not the compute-efficient frontier" in message
    # token counts of one design that differ in the 6th digit (D = C / 6N of a rounded N)
    # are one value: 6635083668 and 6635120649 are 5.6e-6 apart
    assert "params takes 23 values and tokens 29" in message
    assert "fit it with --frontier" in message
    payload = _json("power-law", SIMULATED, "--family", "sim-a", "--x", "flops", "--frontier")
    assert payload["frontier"] == {"n_points": 5, "n_runs": 35, "n_budgets": 5,
                                   "budget_tolerance": 0.05}  # fmt: skip
    # the frontier is each budget's lowest loss: the fit of those five runs
    runs = pd.read_csv(SIMULATED).query("family == 'sim-a'")
    runs = runs.assign(flops=6 * runs["params"] * runs["tokens"])
    best = runs.loc[runs.groupby(runs["flops"].round(-14))["loss"].idxmin()]
    ref = fit_power_law(best["flops"], best["loss"])
    assert payload["params"] == pytest.approx(ref.params, rel=1e-12)
    table = _invoke("power-law", TRAINED, "--x", "flops", "--frontier", "--no-offset").output
    assert "frontier 8 of 19 runs, 17 budgets" in " ".join(table.split())


def test_one_path_and_replicates_are_one_curve(tmp_path: Path) -> None:
    # a suite at 20 tokens per parameter: N, D and C grow together, so L(C) is that path;
    # two seeds of one (N, D) are replicates of one point, not two curves
    n = np.geomspace(1e7, 1e10, 6)
    n = np.concatenate([n, n[:1]])
    path = tmp_path / "path.csv"
    pd.DataFrame({"model": [f"m{i}" for i in range(7)], "params": n, "tokens": 20 * n,
                  "loss": chinchilla_predict(HOFFMANN_UNROUNDED, n, 20 * n)
                  * np.r_[np.ones(6), 1.01]}).to_csv(path, index=False)  # fmt: skip
    for x in ("params", "tokens", "flops"):
        assert _json("power-law", path, "--x", x)["n_points"] == 7, x


def test_curve_options_that_do_not_apply_are_refused(tmp_path: Path) -> None:
    path = _grid(tmp_path)
    assert "--frontier: applies to --x flops, not --x params" in _refusal(
        "power-law", path, "--frontier")
    assert "--budget-tolerance: applies with --frontier" in _refusal(
        "power-law", path, "--x", "flops", "--tokens", "1e10", "--budget-tolerance", "0.1")
    assert "cannot be the scale fitted (--x tokens)" in _refusal(
        "power-law", path, "--x", "tokens", "--tokens", "1e10")
    # review F5: --task was silently ignored for losses
    assert _refusal("power-law", path, "--tokens", "1e10", "--task", "nope") == (
        "--task: applies to scores (--y METRIC), not to losses")
    scores = tmp_path / "scores.csv"
    scores.write_text("family,model,params,task,metric,value\n" + "".join(
        f"f,m{i},{n},t,ce,{3 - i / 10}\n" for i, n in enumerate([1e7, 1e8, 1e9, 1e10])))
    for option in (["--tokens", "1e9"], ["--params", "1e8"], ["--frontier"]):
        assert "applies to losses (--y loss), not to scores" in _refusal(
            "power-law", scores, "--y", "ce", *option), option
    res = _invoke("power-law", path, "--tokens", "-1")
    assert res.exit_code == 2 and "finite positive number" in res.output


def test_scales_match_within_a_tolerance_not_by_rounding(tmp_path: Path) -> None:
    # review M1: 1234565 and 1234565.000001 rounded to 6 digits are 1.23456e+06 and
    # 1.23457e+06, so they were two token counts and --tokens 1234565 kept half the runs
    n = np.geomspace(1e7, 1e10, 4)
    d = np.array([1234565.0, 1234565.000001, 1234565.0, 1234565.000001])
    path = tmp_path / "near.csv"
    pd.DataFrame({"params": n, "tokens": d,
                  "loss": chinchilla_predict(TRUTH, n, d)}).to_csv(path, index=False)  # fmt: skip
    assert _json("power-law", path, "--x", "params", "--no-offset")["n_points"] == 4
    held = _json("power-law", path, "--x", "params", "--tokens", "1234565", "--no-offset")
    assert held["n_points"] == 4
    # 2e-5 apart is another token count
    d[1] *= 1 + 2e-5
    pd.DataFrame({"params": n[:2].repeat(2), "tokens": np.tile(d[:2], 2),
                  "loss": 3.0}).to_csv(path, index=False)  # fmt: skip
    assert "tokens takes 2 values" in _refusal("power-law", path, "--x", "params")


def test_an_isoflop_grid_is_pointed_to_the_frontier_not_to_a_token_count() -> None:
    # review M2: on sim-a no token count holds more than 2 sizes, so --tokens D cannot help
    message = _refusal("power-law", SIMULATED, "--family", "sim-a", "--x", "params")
    assert message.endswith(
        "a size curve L(N) is at one token count, but no single value of tokens has more than "
        "2 sizes here; for an isoFLOP grid, fit L(C) with --x flops --frontier, or `fit isoflop`"
    )
    # the error after choosing a curve says which one was chosen
    tokens = pd.read_csv(SIMULATED).query("family == 'sim-a'")["tokens"].iat[0]
    message = _refusal("power-law", SIMULATED, "--family", "sim-a", "--x", "params",
                       "--tokens", tokens)  # fmt: skip
    assert message.startswith(f"{SIMULATED} (family sim-a) at tokens {tokens:g}: ")


def test_a_zero_budget_tolerance_on_scores_is_refused(tmp_path: Path) -> None:
    # review L1: 0.0 in (None, False) is True, so --budget-tolerance 0 slipped through
    scores = tmp_path / "scores.csv"
    scores.write_text("family,model,params,task,metric,value\n" + "".join(
        f"f,m{i},{n},t,ce,{3 - i / 10}\n" for i, n in enumerate([1e7, 1e8, 1e9, 1e10])))
    assert "--budget-tolerance: applies to losses (--y loss), not to scores" in _refusal(
        "power-law", scores, "--y", "ce", "--budget-tolerance", "0")
