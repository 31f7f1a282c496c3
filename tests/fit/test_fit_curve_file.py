"""``fit power-law`` and ``fit bnsl`` read a two-column curve CSV (``compute,accuracy``), the
columns named by --x and --y; its errors name the file, the line and the column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import shared_path

from emergence.commands.fit import fit
from emergence.errors import InputError
from emergence.fit import fit_bnsl, fit_power_law

# a noise-free offset power law: the fit must give back its constants
TRUTH = {"E": 1.5, "A": 40.0, "alpha": 0.3}
X = np.geomspace(1e2, 1e8, 8)
Y = TRUTH["E"] + TRUTH["A"] * X ** -TRUTH["alpha"]


def _invoke(args: list[str]):
    return CliRunner().invoke(fit, [str(a) for a in args], catch_exceptions=True)


def _error(args: list[str]) -> str:
    res = _invoke(args)
    assert res.exit_code != 0 and isinstance(res.exception, InputError), res.output
    return str(res.exception)


def _write(tmp_path: Path, text: str, name: str = "curve.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def _curve(tmp_path: Path, header: str = "compute,accuracy", newline: str = "\n") -> Path:
    rows = [header] + [f"{float(x)!r},{float(y)!r}" for x, y in zip(X, Y, strict=True)]
    if header.startswith("accuracy"):
        rows = [header] + [f"{float(y)!r},{float(x)!r}" for x, y in zip(X, Y, strict=True)]
    return _write(tmp_path, newline.join(rows) + newline)


@pytest.mark.parametrize(
    ("header", "newline"), [("compute,accuracy", "\n"), ("accuracy,compute", "\r\n")]
)
def test_power_law_fits_a_two_column_curve(tmp_path: Path, header: str, newline: str) -> None:
    path = _curve(tmp_path, header, newline)
    res = _invoke(["power-law", path, "--x", "compute", "--y", "accuracy", "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert (payload["x"], payload["y"], payload["n_points"]) == ("compute", "accuracy", 8)
    assert payload["held_fixed"] == {} and payload["frontier"] is None
    for name, value in TRUTH.items():  # noise-free points: the law's own constants
        assert payload["params"][name] == pytest.approx(value, rel=1e-6), name
    # the same fit as the library's on the same numbers, digit for digit
    assert payload["params"] == fit_power_law(X, Y).params


def test_bnsl_fits_a_two_column_curve_as_the_library_does(tmp_path: Path) -> None:
    path = _curve(tmp_path)
    res = _invoke(["bnsl", path, "--x", "compute", "--y", "accuracy", "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["params"] == fit_bnsl(X, Y).params
    assert payload["n_points"] == 8
    # 8 points for 6 parameters: the few residual degrees of freedom are said
    assert any(w.startswith("only 2 residual degrees") for w in payload["diagnostics"]["warnings"])


def test_trailing_commas_blank_lines_and_a_rename_are_read(tmp_path: Path) -> None:
    rows = "\n".join(f"{float(x)!r},{float(y)!r}," for x, y in zip(X, Y, strict=True))
    path = _write(tmp_path, f"\ufeffx,y,\n\n{rows}\n\n")
    args = ["power-law", path, "--rename", "x=compute", "--x", "compute", "--y", "y"]
    res = _invoke([*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["params"] == fit_power_law(X, Y).params


def test_a_non_numeric_cell_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute,accuracy\n1e3,2.1\n1e4,1.8\n\n1e5,n/a\n1e6,1.5\n")
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy"])
    assert message == 'curve.csv:5: field \'accuracy\': expected a number, got "n/a"'
    path = _write(tmp_path, "compute,accuracy\n1e3,2.1\n,1.8\n1e5,1.6\n")
    message = _error(["bnsl", path, "--x", "compute", "--y", "accuracy"])
    assert message == "curve.csv:3: field 'compute': expected a number, got an empty cell"
    path = _write(tmp_path, "compute,accuracy\n1e3,2.1\n1e4\n")
    message = _error(["bnsl", path, "--x", "compute", "--y", "accuracy"])
    assert message.startswith("curve.csv:3: 1 field, the header has 2")


def test_a_missing_column_is_named_with_the_options_that_fit_the_file(tmp_path: Path) -> None:
    path = _curve(tmp_path)
    # the defaults (--x params --y loss) name neither column
    message = _error(["power-law", path])
    assert message.startswith("curve.csv: no column 'params' (--x) or 'loss' (--y); ")
    assert message.endswith("(compute, accuracy): use --x compute --y accuracy")
    message = _error(["bnsl", path, "--x", "compute", "--y", "acc"])
    assert message.startswith("curve.csv: no column 'acc' (--y); ")
    assert message.endswith("use --y accuracy")


@pytest.mark.parametrize(("cell", "shown"), [("0", "0"), ("-1e3", "-1000"), ("inf", "inf")])
def test_power_law_refuses_a_non_positive_x(tmp_path: Path, cell: str, shown: str) -> None:
    path = _write(tmp_path, f"compute,accuracy\n1e3,2.1\n{cell},1.8\n1e5,1.6\n1e6,1.5\n")
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy"])
    assert message == (
        f"curve.csv:3: field 'compute': expected a positive number, got {shown} (scaling-law "
        "fits need positive compute)"
    )


def test_table_options_are_refused_for_a_curve_file(tmp_path: Path) -> None:
    path = _curve(tmp_path)
    base = ["power-law", path, "--x", "compute", "--y", "accuracy"]
    for extra in (["--family", "a"], ["--task", "t"], ["--tokens", "1e9"], ["--n-shots", "0"],
                  ["--budget-tolerance", "0"], ["--sizes-from-names"]):  # fmt: skip
        message = _error([*base, *extra])
        assert message.startswith(f"{extra[0]}: chooses among the curves or models of a table")
    # one curve is fitted alone
    (tmp_path / "b").mkdir()
    other = _curve(tmp_path / "b")
    assert "fit it alone" in _error([*base[:2], other, *base[2:]])


def test_output_never_overwrites_the_curve_file(tmp_path: Path) -> None:
    path = _curve(tmp_path)
    before = path.read_bytes()
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy", "-o", path])
    assert "expected a .json or .txt file for a fit" in message and path.read_bytes() == before
    link = tmp_path / "curve.json"  # the curve file under a name a fit would write
    link.symlink_to(path)
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy", "-o", link])
    assert "that is one of the input files" in message and path.read_bytes() == before
    out = tmp_path / "fit.json"
    res = _invoke(["power-law", path, "--x", "compute", "--y", "accuracy", "-o", out])
    assert res.exit_code == 0 and json.loads(out.read_text())["x"] == "compute"


def test_other_files_say_how_to_give_a_curve(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute,accuracy,note\n1e3,2.1,a\n1e4,1.8,b\n1e5,1.6,c\n")
    message = _error(["power-law", path, "--x", "params", "--y", "accuracy"])
    assert "cannot tell which table" in message
    assert message.endswith("a .csv file of exactly two columns named by --x and --y")
    losses = _write(tmp_path, "params,tokens,loss\n1e7,1e9,3\n1e8,1e9,2.5\n1e9,1e9,2.2\n", "l.csv")
    message = _error(["power-law", losses, "--x", "compute"])
    assert message.startswith("--x compute: expected params, tokens or flops")


def test_caballero_addition_curve_is_fitted_straight_from_its_file(tmp_path: Path) -> None:
    """Caballero et al.'s 4-digit addition curve (x,y) as published: the first 14 points fitted
    by ``fit bnsl`` extrapolate to the last 3 as the library's reference fit does."""
    from emergence.fit import bnsl_predict, rmsle

    expected = json.loads(shared_path("fits", "expected.json").read_text())
    expected = expected["bnsl_4digit_addition"]
    lines = shared_path("fits", "bnsl_4digit_addition.csv").read_text().splitlines()
    path = _write(tmp_path, "\n".join(lines[:15]) + "\n")  # the header and 14 points
    res = _invoke(["bnsl", path, "--x", "x", "--y", "y", "--format", "json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["n_points"] == 14
    rest = np.array([[float(v) for v in line.split(",")] for line in lines[15:]])
    score = rmsle(bnsl_predict(payload["params"], rest[:, 0]), rest[:, 1])
    assert score <= expected["rmsle_extrapolate"]["tol"]
    assert payload["rmsle_train"] == pytest.approx(expected["rmsle_train"]["value"], rel=0.01)


@pytest.mark.parametrize(("header", "said"), [("model,params", "--sizes"), ("metric,value", "")])
def test_two_column_files_the_loaders_know_stay_theirs(
    tmp_path: Path, header: str, said: str
) -> None:
    """A sizes file and a scores table cut to two columns keep the loaders' messages."""
    from emergence.commands.fit_curve_file import CURVE_FILE

    path = _write(tmp_path, f"{header}\na,1e9\nb,2e9\n")
    message = _error(["power-law", path])
    assert message.startswith("curve.csv: ") and CURVE_FILE not in message
    assert said in message


def test_a_one_task_obsscaling_table_stays_the_study_reader_s(tmp_path: Path) -> None:
    """review: ``Model,<task>_<shots>_<metric>`` with one task is two columns too; it is the
    ObsScaling reader's (which asks for sizes), not a curve of 'Model' against the task."""
    from emergence.commands.fit_curve_file import CURVE_FILE, curve_columns

    path = _write(tmp_path, "Model,arithmetic_2da_2_acc\nllama-7b,0.1\nllama-13b,0.2\n")
    assert curve_columns(path) is None
    message = _error(["power-law", path, "--y", "acc"])
    assert CURVE_FILE not in message and "--sizes" in message


@pytest.mark.parametrize(
    ("data", "line", "byte"),
    [(b"compute,accuracy\n1e3,2.1\n\xff1e4,1.8\n1e5,1.6\n", 3, "ff"),
     # review of the fix: after a BOM the line and byte were counted from the wrong place
     (b"\xef\xbb\xbfcompute,accuracy\n1e3,2.1\n\xff1e4,1.8\n1e5,1.6\n", 3, "ff"),
     (b"\xef\xbb\xbf\ncompute,accuracy\n1e3,2.1\n\xff1e4,1.8\n", 4, "ff"),
     (b"compute,accur\xe9cy\n1e3,2.1\n1e4,1.8\n", 1, "e9"),  # in the header itself
     (b'"comp\nute",accuracy\n1e3,2.1\n\xff1e4,1.8\n', 4, "ff")],  # a two-line header
    ids=["body", "bom", "bom-blank-line", "header", "quoted-newline"],
)
def test_a_bad_byte_is_named_by_line(tmp_path: Path, data: bytes, line: int, byte: str) -> None:
    """review: a non-UTF-8 byte within the first 8 KB hid the header, so the file was not taken
    for a curve and the error spoke of --x params."""
    path = tmp_path / "curve.csv"
    path.write_bytes(data)
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy"])
    assert message == f"curve.csv:{line}: not valid UTF-8 (byte 0x{byte}); expected UTF-8 text"


def test_the_same_curve_file_twice_says_so(tmp_path: Path, monkeypatch) -> None:
    path = _curve(tmp_path)
    message = _error(["power-law", path, path, "--x", "compute", "--y", "accuracy"])
    assert message == f"{path}: given 2 times; expected it once"
    monkeypatch.chdir(tmp_path)  # the same file by two paths
    message = _error(["power-law", "curve.csv", path, "--x", "compute", "--y", "accuracy"])
    assert message == "curve.csv: given 2 times; expected it once"


def test_two_column_files_of_a_loader_say_whose_they_are(tmp_path: Path) -> None:
    """review: --x Model on a one-task ObsScaling table (what an older message advised) or
    --x model on a sizes file was told that other columns are read only from a two-column
    file, which it is."""
    obs = _write(tmp_path, '"Model","arithmetic_2da_2_acc"\nllama-7b,0.1\n', "obs.csv")
    message = _error(["power-law", obs, "--x", "Model", "--y", "arithmetic_2da_2_acc"])
    assert message == (
        "--x Model: obs.csv is a study-csv file, not a curve file; --x takes params, tokens or "
        "flops for it"
    )
    sizes = _write(tmp_path, "model,params\na,1e9\nb,2e9\n", "sizes.csv")
    message = _error(["power-law", sizes, "--x", "model", "--y", "params"])
    assert message.endswith("sizes.csv is a sizes file, not a curve file; give it with --sizes "
                            "beside the results it sizes")


@pytest.mark.parametrize("x", ["compute", None])
def test_a_curve_file_with_input_format_says_to_drop_it(tmp_path: Path, x: str | None) -> None:
    path = _curve(tmp_path)
    columns = ["--x", x, "--y", "accuracy"] if x else []
    message = _error(["power-law", path, *columns, "--input-format", "native"])
    assert message.startswith("--input-format native: reads tables")
    assert message.endswith("read only without --input-format")


def test_suggested_column_names_are_quoted_for_the_shell(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute (FLOP),error rate\n1e3,0.5\n1e4,0.4\n")
    message = _error(["power-law", path])
    assert message.endswith("use --x 'compute (FLOP)' --y 'error rate'")


@pytest.mark.parametrize(
    ("cell", "said"),
    [("1e400", "got '1e400', too large for a float (overflow)"),
     ("1e-400", "got '1e-400', too small for a float (it underflows to 0)"),
     ("  1E400 ", "got '1E400', too large for a float (overflow)"),
     # a negative number is refused for its sign, not its size
     ("-1e400", "got -inf (scaling-law fits need positive compute)"),
     ("-1e-400", "got -0 (scaling-law fits need positive compute)")],
)
def test_values_beyond_a_float_are_quoted_as_written(tmp_path: Path, cell: str, said: str) -> None:
    path = _write(tmp_path, f"compute,accuracy\n1e3,2.1\n{cell},1.8\n1e5,1.6\n1e6,1.5\n")
    message = _error(["power-law", path, "--x", "compute", "--y", "accuracy"])
    assert message == f"curve.csv:3: field 'compute': expected a positive number, {said}"
