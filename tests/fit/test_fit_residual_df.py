"""Fits with zero, one or two residual degrees of freedom (distinct points minus parameters) are
warned about, in the library (``residual_df_warnings`` and the fitters, isoFLOP's allocation
laws among them) and on the command line.

Reference values: the two-sided 95 % t quantiles in closed form, t(0.975; 1) = tan(0.475 pi)
= 12.706 and t(0.975; 2) = 0.95 / sqrt(2 * 0.975 * 0.025) = 4.3027 (printed to 3 digits); the
OLS SE of an isoFLOP exponent on vertices with known offsets from the line (ISOFLOP_SE).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import REPO

from emergence.commands.fit import fit
from emergence.errors import InputError
from emergence.fit import HOFFMANN_UNROUNDED, chinchilla_predict, fit_chinchilla, fit_power_law

ZERO_DF = "no residual degrees of freedom"
T95 = {1: math.tan(0.475 * math.pi), 2: 0.95 / math.sqrt(2 * 0.975 * 0.025)}


def _few_df(warnings, df: int) -> list[str]:
    """The warnings about ``df`` (1 or 2) residual degrees of freedom."""
    noun = "degree" if df == 1 else "degrees"
    return [w for w in warnings if w.startswith(f"only {df} residual {noun} of freedom")]


def test_t_quantiles_of_the_reference_values() -> None:
    from scipy import stats

    assert T95[1] == pytest.approx(12.7062047, rel=1e-8)
    assert T95[2] == pytest.approx(4.3026527, rel=1e-7)
    for df, t in T95.items():
        assert stats.t.ppf(0.975, df) == pytest.approx(t, rel=1e-12)


@pytest.mark.parametrize("df", [1, 2])
def test_one_or_two_residual_df_are_warned_about_with_the_t_quantile(df: int) -> None:
    from emergence.fit.validate import residual_df_warnings

    (warning,) = residual_df_warnings(5 + df, 5)
    assert _few_df([warning], df) == [warning]
    assert f"({5 + df} distinct points for 5 parameters)" in warning
    # what it means for the standard errors and intervals, with the size of the effect
    assert "standard errors and intervals of the parameters are unreliable" in warning
    assert f"is {T95[df]:.3g} standard errors each side, not 1.96" in warning
    # and what to do
    assert warning.endswith("fit more distinct points, or a law with fewer parameters")
    assert ZERO_DF not in warning


def test_zero_residual_df_keeps_its_own_warning_and_three_get_none() -> None:
    from emergence.fit.validate import FEW_RESIDUAL_DF, residual_df_warnings

    assert FEW_RESIDUAL_DF == 2
    for count in (4, 5):  # fewer points than parameters reads as no residual df as well
        (warning,) = residual_df_warnings(count, 5, [1.0, 2.0], [1.0, 2.02])
        assert warning.startswith(f"only {count} distinct points for 5 parameters: {ZERO_DF}")
        assert "largest relative residual of this fit 1 %); " in warning
    assert residual_df_warnings(8, 5) == ()
    assert residual_df_warnings(40, 5) == ()


@pytest.mark.parametrize(
    ("offset", "distinct", "df"),
    [(True, 4, 1), (True, 5, 2), (True, 6, None), (False, 3, 1), (False, 4, 2), (False, 5, None)],
)
def test_power_law_counts_distinct_scales(offset: bool, distinct: int, df: int | None) -> None:
    x = np.repeat(np.geomspace(1e7, 1e10, distinct), 2)  # replicates are not extra points
    rng = np.random.default_rng(distinct)
    y = (1.7 * offset + 400 * x**-0.34) * np.exp(0.01 * rng.standard_normal(x.size))
    warnings = fit_power_law(x, y, offset=offset).diagnostics.warnings
    assert not any(ZERO_DF in w for w in warnings)
    found = [w for w in warnings if "degree" in w]
    if df is None:
        assert found == []
    else:  # the form is checked on distinct points; the replicates measure the noise
        (warning,) = found
        p = 3 if offset else 2
        noun = "degree" if df == 1 else "degrees"
        assert warning.startswith(
            f"only {df} {noun} of freedom to check the law's form ({distinct} distinct points "
            f"for {p} parameters; {2 * distinct} rows): "
        )
        assert f"the replicate rows measure the noise ({2 * distinct - p} degrees" in warning


@pytest.mark.parametrize(("pairs", "df"), [(6, 1), (7, 2), (8, None)])
def test_chinchilla_counts_distinct_pairs(pairs: int, df: int | None) -> None:
    grid = [(n, d) for n in (1e7, 1e8, 1e9) for d in (1e9, 1e10, 1e11)]
    order = [0, 4, 8, 2, 6, 1, 5, 3, 7]  # 3 sizes and 3 token counts from the first 5 pairs
    n, d = (np.array([grid[i][k] for i in order[:pairs]]) for k in (0, 1))
    result = fit_chinchilla(n, d, chinchilla_predict(HOFFMANN_UNROUNDED, n, d))
    warnings = result.diagnostics.warnings
    found = [w for w in warnings if "residual degree" in w]
    assert found == ([] if df is None else _few_df(warnings, df))
    if df is not None:
        assert len(found) == 1 and f"({pairs} distinct points for 5 parameters)" in found[0]


def _invoke(args: list[str]):
    return CliRunner().invoke(fit, args, catch_exceptions=True)


def _size_curve(tmp_path: Path, sizes: int) -> Path:
    """A loss table of one model family: ``sizes`` sizes at one token count."""
    n = np.geomspace(1e7, 1e10, sizes)
    rng = np.random.default_rng(sizes)
    loss = (1.7 + 400 * n**-0.34) * np.exp(0.01 * rng.standard_normal(sizes))
    path = tmp_path / "losses.csv"
    pd.DataFrame({"params": n, "tokens": 3e9, "loss": loss}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("sizes", "df"), [(4, 1), (5, 2), (6, None)])
def test_power_law_command_warns_in_json_and_table(tmp_path: Path, sizes: int, df) -> None:
    path = _size_curve(tmp_path, sizes)
    res = _invoke(["power-law", str(path), "--x", "params", "--format", "json"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.output)["diagnostics"]["warnings"]
    found = [w for w in warnings if "residual degree" in w]
    assert found == ([] if df is None else _few_df(warnings, df))
    table = _invoke(["power-law", str(path), "--x", "params"])
    assert table.exit_code == 0, table.output
    if df is not None:
        assert f"\n# warnings\n{found[0]}\n" in table.output  # one line, not a table cell


def test_chinchilla_command_warns_with_six_runs(tmp_path: Path) -> None:
    n = np.array([1e7, 1e8, 1e9, 1e7, 1e9, 1e8])
    d = np.array([1e9, 1e10, 1e11, 1e11, 1e9, 1e9])
    path = tmp_path / "runs.csv"
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d)
    pd.DataFrame({"params": n, "tokens": d, "loss": loss}).to_csv(path, index=False)
    res = _invoke(["chinchilla", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    warnings = json.loads(res.output)["diagnostics"]["warnings"]
    assert len(_few_df(warnings, 1)) == 1
    assert "(6 distinct points for 5 parameters)" in _few_df(warnings, 1)[0]


def test_bnsl_example_of_the_help_is_warned_about(tmp_path: Path) -> None:
    """The BNSL example of ``fit --help`` and ``fit bnsl --help`` fits 6 parameters to the 7
    sizes of the trained family."""
    from emergence.cli import cli

    scores = tmp_path / "scores.csv"
    res = CliRunner().invoke(
        cli, ["rescore", str(REPO / "benchmarks_data" / "trained"), "-o", str(scores)]
    )
    assert res.exit_code == 0, res.output
    args = ["bnsl", str(scores), "--x", "params", "--y", "token_edit_distance", "--task", "mul",
            "--family", "tiny-gpt"]  # fmt: skip
    res = _invoke([*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["n_points"] == 7 and len(payload["params"]) == 6
    (warning,) = _few_df(payload["diagnostics"]["warnings"], 1)
    assert "(7 distinct points for 6 parameters)" in warning
    assert f"is {T95[1]:.3g} standard errors each side" in warning


#: Log-vertex offsets e_k orthogonal to 1 and log C, by number of budgets: the slope stays 0.5,
#: the OLS residuals are e_k, and SE(a) = sqrt(sum e^2 / (k - 2) / sxx) with sxx = sum of
#: (log C - mean)^2 over budgets a decade apart: d sqrt(3) / ln 10 for 3 budgets,
#: d sqrt(2/5) / ln 10 for 4 and d sqrt(2/15) / ln 10 for 5.
ISOFLOP_OFFSETS = {3: [1, -2, 1], 4: [1, -1, -1, 1], 5: [1, -1, 0, -1, 1]}
ISOFLOP_SE = {2: math.nan, 3: math.sqrt(3), 4: math.sqrt(2 / 5), 5: math.sqrt(2 / 15)}


def _isoflop_grid(budgets: int, d: float = 0.05) -> tuple[np.ndarray, ...]:
    """Exact parabolas L = 2 + 0.1 (ln N - ln N*)^2 of 5 sizes around N* = 0.1 C^0.5 e^(d e_k),
    at budgets C = 1e18, 1e19, ... (sizes, losses, compute)."""
    c = np.geomspace(1e18, 10.0 ** (17 + budgets), budgets)
    n_star = 0.1 * c**0.5 * np.exp(d * np.array(ISOFLOP_OFFSETS.get(budgets, [0] * budgets)))
    n = np.concatenate([s * np.exp(np.linspace(-1.0, 1.0, 5)) for s in n_star])
    loss = 2.0 + 0.1 * (np.log(n) - np.log(np.repeat(n_star, 5))) ** 2
    return n, loss, np.repeat(c, 5)


@pytest.mark.parametrize("budgets", [2, 3, 4, 5])
def test_isoflop_laws_on_few_budgets_are_warned_about(budgets: int) -> None:
    """review: 3-4 budgets gave an OLS exponent SE resting on 1-2 residual df, without a word."""
    from emergence.fit import fit_isoflop

    n, loss, c = _isoflop_grid(budgets)
    res = fit_isoflop(n, loss, compute=c)
    assert res.n_opt.exponent == pytest.approx(0.5, abs=1e-12)
    se = 0.05 * ISOFLOP_SE[budgets] / math.log(10)
    if budgets == 2:
        assert math.isnan(res.n_opt.exponent_se)
    else:
        assert res.n_opt.exponent_se == pytest.approx(se, rel=1e-9)
        assert res.d_opt.exponent_se == pytest.approx(se, rel=1e-9)  # log D* = log C - log N*
    df = budgets - 2
    if df > 2:
        assert res.warnings == ()
        return
    (warning,) = res.warnings
    where = "budgets with a minimum inside the sampled sizes"
    if df == 0:
        assert warning.startswith(f"only 2 {where} for 2 parameters: {ZERO_DF}")
        return
    assert _few_df(res.warnings, df) == [warning]
    assert f"({budgets} {where} for 2 parameters)" in warning
    assert "OLS standard errors of the N_opt and D_opt exponents (exponent_se_ols)" in warning
    assert f"is {T95[df]:.3g} standard errors each side, not 1.96" in warning
    assert "fit more isoFLOP budgets" in warning


def test_isoflop_command_warns_of_three_budgets_in_json_and_table(tmp_path: Path) -> None:
    n, loss, c = _isoflop_grid(3)
    path = tmp_path / "isoflop.csv"
    pd.DataFrame({"params": n, "flops": c, "loss": loss}).to_csv(path, index=False)
    res = _invoke(["isoflop", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["n_opt"]["exponent_se_ols"] == pytest.approx(
        0.05 * ISOFLOP_SE[3] / math.log(10), rel=1e-9
    )
    (warning,) = _few_df(payload["diagnostics"]["warnings"], 1)
    assert "(3 budgets with a minimum inside the sampled sizes for 2 parameters)" in warning
    table = _invoke(["isoflop", str(path)])
    assert table.exit_code == 0, table.output
    assert f"\n# warnings\n{warning}\n" in table.output


def test_replicate_rows_measure_the_noise_but_not_the_form() -> None:
    """review: with replicates the noise rests on rows - parameters numbers (rows - distinct
    points when the law can pass through every point: pure error), the form on distinct
    points - parameters; the warning said both rested on the latter."""
    from emergence.fit.validate import residual_df_warnings

    (warning,) = residual_df_warnings(4, 3, rows=5)  # 1 df for the form, 2 for the noise
    assert warning.startswith("only 1 degree of freedom to check the law's form (4 distinct "
                              "points for 3 parameters; 5 rows): ")
    assert "measured from 2 numbers (5 rows, replicates included)" in warning
    assert f"is {T95[2]:.3g} standard errors each side" in warning
    assert "hardly tell a wrong form from the right one" in warning
    (warning,) = residual_df_warnings(6, 5, rows=12)  # the noise rests on 7 numbers
    assert warning.startswith("only 1 degree of freedom to check the law's form (6 distinct "
                              "points for 5 parameters; 12 rows): the replicate rows measure "
                              "the noise (7 degrees of freedom) and the points can hardly")
    (warning,) = residual_df_warnings(3, 3, [1.0, 1.0], [1.0, 1.01], rows=9)
    assert ZERO_DF not in warning and "no degrees of freedom to check the law's form" in warning
    assert "the replicate rows measure the noise (6 degrees of freedom)" in warning
    assert "neither" not in warning and "cannot be estimated" not in warning
    # 2 distinct points for 3 parameters: the law passes through both, so 3 rows leave 1
    (warning,) = residual_df_warnings(2, 3, rows=3)
    assert "measured from 1 number (3 rows, replicates included)" in warning
    assert residual_df_warnings(4, 3, rows=4) == residual_df_warnings(4, 3)


def test_zero_residual_df_says_what_it_costs_and_what_to_do() -> None:
    from emergence.fit.validate import residual_df_warnings

    (warning,) = residual_df_warnings(3, 3)
    assert warning.endswith(
        "; standard errors and intervals of the parameters cannot be estimated; fit more "
        "distinct points, or a law with fewer parameters"
    )


def test_zero_weight_rows_are_not_points() -> None:
    """review: a row of weight 0 was counted as a distinct point of fit_chinchilla, its
    residual was reported, and the design checks counted it."""
    grid = [(n, d) for n in (1e7, 1e8, 1e9) for d in (1e9, 1e10, 1e11)]
    n, d = (np.array([p[k] for p in grid]) for k in (0, 1))
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d)
    weights = np.ones(9)
    weights[[3, 5, 7]] = 0.0  # 6 pairs left, still 3 sizes and 3 token counts
    warnings = fit_chinchilla(n, d, loss, weights=weights).diagnostics.warnings
    (warning,) = _few_df(warnings, 1)
    assert "(6 distinct points for 5 parameters)" in warning
    x = np.geomspace(1e7, 1e10, 6)
    y = 1.7 + 400 * x**-0.34
    y[5] *= 3  # far off the law, but weighed 0: not the fit's residual
    warnings = fit_power_law(x, y, weights=[1, 1, 1, 0, 0, 0]).diagnostics.warnings
    (warning,) = [w for w in warnings if ZERO_DF in w]
    assert "(3 distinct points for 3 parameters" not in warning  # no replicates
    assert warning.startswith("only 3 distinct points for 3 parameters: ")
    assert "largest relative residual of this fit 67" not in warning
    with pytest.raises(InputError, match="every weight is 0"):
        fit_power_law(x, y, weights=np.zeros(6))
    with pytest.raises(InputError, match="weights must be finite and >= 0"):
        fit_power_law(x, y, weights=[1, 1, 1, 1, 1, -1])
    with pytest.raises(InputError, match="5 weights for 6 rows"):
        fit_power_law(x, y, weights=np.ones(5))
    # the design checks see the weighted rows: 4 pairs cannot fit 5 parameters
    weights = np.zeros(9)
    weights[[0, 4, 8, 2]] = 1.0
    with pytest.raises(InputError, match="the Chinchilla form has 5 parameters but only 4"):
        fit_chinchilla(n, d, loss, weights=weights)


@pytest.mark.parametrize(("n", "said"), [(1, "1 point was given"), (2, "2 points were given")])
def test_too_few_points_are_counted_in_words(n: int, said: str) -> None:
    from emergence.fit.validate import check_enough_points

    with pytest.raises(InputError, match=f"has 3 parameters but only {said}; need at least 3"):
        check_enough_points(n, 3, "the power law")


def test_isoflop_two_budgets_say_what_it_costs_and_what_to_do() -> None:
    from emergence.fit import fit_isoflop

    n, loss, c = _isoflop_grid(2)
    (warning,) = fit_isoflop(n, loss, compute=c).warnings
    assert "(exponent_se_ols) cannot be estimated; fit more isoFLOP budgets; a bootstrap" in (
        warning
    )


def test_isoflop_with_bootstrap_does_not_advise_a_bootstrap(tmp_path: Path) -> None:
    """review: with --bootstrap given the warning still advised --bootstrap."""
    n, loss, c = _isoflop_grid(3)
    rng = np.random.default_rng(3)
    loss = loss + 0.002 * rng.standard_normal(loss.size)
    path = tmp_path / "isoflop.csv"
    pd.DataFrame({"params": n, "flops": c, "loss": loss}).to_csv(path, index=False)
    res = _invoke(["isoflop", str(path), "--format", "json", "--bootstrap", "50"])
    assert res.exit_code == 0, res.output
    (warning,) = _few_df(json.loads(res.output)["diagnostics"]["warnings"], 1)
    assert "--bootstrap" not in warning and warning.endswith(
        "; the standard errors reported are the bootstrap's, which measure the vertices' noise "
        "and not the laws' misfit; fit more isoFLOP budgets"
    )


def test_the_confounding_check_sees_only_the_weighted_rows() -> None:
    """A fixed-ratio sweep (D = 20 N) plus two rows off that line weighed 0: the rows fitted
    are confounded, which the warning must say (it judged every row, off-line ones too)."""
    from emergence.fit.chinchilla import confounded_design

    n = np.r_[np.geomspace(1e8, 3e9, 9), 1e8, 3e9]
    d = np.r_[20 * np.geomspace(1e8, 3e9, 9), 1e12, 1e10]
    loss = chinchilla_predict(HOFFMANN_UNROUNDED, n, d)
    assert confounded_design(n, d) is None and confounded_design(n[:9], d[:9]) is not None
    weights = np.r_[np.ones(9), 0.0, 0.0]
    warnings = fit_chinchilla(n, d, loss, weights=weights).diagnostics.warnings
    assert confounded_design(n[:9], d[:9]) in warnings
