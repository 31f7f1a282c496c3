"""Parse the ways people write parameter and token counts: ``7B``, ``125M``, ``1.3e9``, ``70m``."""

from __future__ import annotations

import math
import re

import numpy as np

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")
# The reason given when a size has both an exponent and a suffix ("1.3e9B").
EXPONENT_AND_SUFFIX = "an exponent or a suffix letter, not both"
# Commas only as thousands separators: 1-3 digits, then groups of exactly three ("1,300,000").
_THOUSANDS_RE = re.compile(r"^\s*[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?:\s*[a-zA-Z])?\s*$")


def parse_size(value: object) -> float:
    """Convert a size spelling to a float.

    Accepted: numbers (``7000000000``, ``1.3e9``), strings of numbers, and a number followed by
    one suffix letter, case-insensitive: ``K`` = 1e3, ``M`` = 1e6, ``B`` or ``G`` = 1e9,
    ``T`` = 1e12 (``7B``, ``125M``, ``1.3b``), but not after an exponent (``1.3e9B`` is an
    error: the size is written twice, never 1.3e18). Thousands separators and underscores are
    allowed (``1,300,000``, ``1_000``); a comma is only read as a thousands separator (groups of
    exactly three digits), so a decimal comma (``7,5B``, ``1,3``) is an error, never 75B or 13.

    Parameters
    ----------
    value : object
        The value to parse.

    Returns
    -------
    float
        The size; ``nan`` for missing values (None, NaN, empty string).

    Raises
    ------
    ValueError
        When ``value`` is not a size spelling.
    """
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise ValueError(f"expected a size, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, np.generic):  # numpy scalar (an array of one is no size)
        return parse_size(value.item())  # numpy's True is True
    if not isinstance(value, str):
        raise ValueError(f"expected a size, got {value!r}")
    if "," in value and not _THOUSANDS_RE.match(value.replace("_", "")):
        raise ValueError(
            f"expected a size such as 7B, 125M or 1.3e9 (commas only between groups of three "
            f"digits, e.g. 1,300,000; write a decimal point, not a comma), got {value!r}"
        )
    text = value.strip().replace(",", "").replace("_", "")
    if text == "" or text.lower() in {"nan", "na", "null", "none"}:
        return math.nan
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"expected a size such as 7B, 125M or 1.3e9, got {value!r}")
    number, exponent, suffix = match.groups()
    if exponent and suffix:
        # "1.3e9B" is a count written twice over; multiplying would give 1.3e18
        raise ValueError(
            f"expected a size with {EXPONENT_AND_SUFFIX} (1.3e9 or 1.3B), got {value!r}"
        )
    return float(number) * _SUFFIX[suffix.lower()]
