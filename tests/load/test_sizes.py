"""Size spellings."""

from __future__ import annotations

import math

import pytest
from load_helpers import load_unsized

from emergence.errors import InputError
from emergence.load.framework_common import size_from_name
from emergence.load.sizes import parse_size
from emergence.load.sizes_registry import read_sizes


@pytest.mark.parametrize(
    "text,value",
    [
        ("7B", 7e9),
        ("7b", 7e9),
        ("125M", 1.25e8),
        ("1.3e9", 1.3e9),
        ("1.3B", 1.3e9),
        ("70m", 7e7),
        ("350K", 3.5e5),
        ("1T", 1e12),
        ("1,300,000", 1.3e6),
        ("2_000", 2000.0),
        (" 6.9 B ", 6.9e9),
        (12, 12.0),
        (1.5e3, 1500.0),
    ],
)
def test_parse_size(text: object, value: float) -> None:
    assert parse_size(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", [None, "", "nan", float("nan")])
def test_missing_sizes_are_nan(text: object) -> None:
    assert math.isnan(parse_size(text))


@pytest.mark.parametrize("text", ["seven", "7X", "B7", "1.2.3", True, [1]])
def test_bad_sizes_raise(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


SCORES_HEADER = "family,model,params,task,metric,value\n"


@pytest.mark.parametrize("value", ["1.3e9B", "1e9 b", "7E3k", "2.5E+3 T"])
def test_size_with_exponent_and_suffix_is_refused(value):
    with pytest.raises(ValueError, match="an exponent or a suffix letter, not both"):
        parse_size(value)


def test_size_with_exponent_and_suffix_in_params_and_sizes_file(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(f"{SCORES_HEADER}f,a,1.3e9B,t,acc,0.1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^scores\.csv:2: field 'params': .*not both"):
        load_unsized(path)
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\na,1.3e9B\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^sizes\.csv:2: field 'params': .*not both"):
        read_sizes(sizes)


def test_exponents_alone_and_model_names_keep_their_sizes():
    assert parse_size("1.3e9") == 1.3e9 and parse_size("1.3B") == 1.3e9
    # names never read an exponent: "1e9b" holds no size token
    assert size_from_name("org/model-1e9b") is None
    assert size_from_name("pythia-1.4b-deduped") == pytest.approx(1.4e9)


# a decimal comma is not a thousands separator


@pytest.mark.parametrize("value", ["7,5B", "1,3", "1,30,000", "1234,567", "1,300,00"])
def test_decimal_comma_is_an_error(value):
    with pytest.raises(ValueError, match=repr(value)):
        parse_size(value)


@pytest.mark.parametrize(
    ("value", "size"), [("1,300,000", 1.3e6), ("12,345M", 1.2345e10), ("1,300.5", 1300.5)]
)
def test_thousands_separators(value, size):
    assert parse_size(value) == pytest.approx(size)


def test_decimal_comma_in_sizes_file_names_line(tmp_path):
    path = tmp_path / "sizes.csv"
    path.write_text('model,params\npythia-1.3b,"1,3B"\n')
    with pytest.raises(InputError, match=r"^sizes\.csv:2: field 'params': .*'1,3B'"):
        read_sizes(path)


def test_a_sizes_row_longer_than_its_header_is_refused_not_cut(tmp_path):
    # "7,5B" (a decimal comma) read as params 7 and a stray field: a 7-parameter model
    path = tmp_path / "sizes.csv"
    path.write_text("model,params\nfz-10m,7,5B\n")
    with pytest.raises(InputError) as err:
        read_sizes(path)
    assert str(err.value).startswith("sizes.csv:2: 3 fields, the header has 2"), err.value
    path.write_text("model,params\nfz-10m,7.5B,\n")  # a trailing comma is harmless
    assert read_sizes(path)["fz-10m"].params == 7.5e9
