"""Size spellings."""

from __future__ import annotations

import math

import pytest

from emergence.load.sizes import parse_size


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
