"""Input checks shared by the fitters; failures raise :class:`~emergence.errors.InputError`."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def as_positive(values, name: str, source: str | None = None) -> np.ndarray:
    """Return ``values`` as a finite, strictly positive 1-D float array or raise InputError.

    Parameters
    ----------
    values : array-like
        The numbers.
    name : str
        Field name used in the message (e.g. ``"loss"``).
    source : str, optional
        Where the data came from, prefixed to the message.
    """
    prefix = f"{source}: " if source else ""
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"{prefix}field '{name}': expected numbers") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{prefix}field '{name}': value {float(arr[i])} at row {i + 1} is not finite"
        )
    bad = arr <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{prefix}field '{name}': value {arr[i]:g} at row {i + 1} is not positive "
            f"(scaling-law fits need positive {name})"
        )
    return arr


def check_lengths(arrays: dict[str, np.ndarray], source: str | None = None) -> int:
    """Check that all arrays have the same length and return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        prefix = f"{source}: " if source else ""
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise InputError(f"{prefix}columns have different lengths ({detail})")
    return next(iter(lengths.values()))


def check_enough_points(n_points: int, n_params: int, form: str, source: str | None = None) -> None:
    """Raise InputError when there are fewer points than parameters."""
    if n_points < n_params:
        prefix = f"{source}: " if source else ""
        raise InputError(
            f"{prefix}{form} has {n_params} parameters but only {n_points} points were given; "
            f"need at least {n_params}"
        )


def check_several_scales(x: np.ndarray, name: str, source: str | None = None) -> None:
    """Raise InputError when ``x`` takes a single value (no scaling to fit)."""
    if np.unique(x).size < 2:
        prefix = f"{source}: " if source else ""
        raise InputError(
            f"{prefix}field '{name}': all points are at a single scale ({x[0]:g}); "
            "a scaling law needs at least two distinct scales"
        )
