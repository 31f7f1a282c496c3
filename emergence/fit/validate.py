"""Input checks shared by the fitters; failures raise :class:`~emergence.errors.InputError`."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def check_delta(delta: float) -> float:
    """``delta`` as a float, or InputError unless it is a positive Huber threshold (inf: least
    squares). A threshold of 0 makes every residual free and the start a "converged" fit."""
    value = float(delta)
    if not value > 0:  # also NaN
        raise InputError(
            f"delta: expected a positive Huber threshold on log residuals (inf for least "
            f"squares), got {delta!r}"
        )
    return value


def require_keys(params, names, form: str) -> None:
    """InputError naming the keys of ``names`` the mapping ``params`` lacks (e.g. the params of
    another form), if any."""
    missing = [k for k in names if k not in params]
    if missing:
        raise InputError(
            f"params: {form} needs {', '.join(names)}; missing {', '.join(missing)}"
        )


def param_values(params, names, form: str, *, positive=()) -> list[float]:
    """The values of ``names`` in the mapping ``params``, as floats, or InputError naming the
    missing keys (a mapping from another form) or a value that is not finite (positive for
    the names in ``positive``)."""
    require_keys(params, names, form)
    values = [float(params[k]) for k in names]
    for k, v in zip(names, values, strict=True):
        if not np.isfinite(v) or (k in positive and v <= 0):
            need = "a positive number" if k in positive else "a finite number"
            raise InputError(f"params: {form}'s {k}: expected {need}, got {v:g}")
    return values


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
            f"{prefix}{form} has {n_params} parameters but only {n_points} "
            f"point{'' if n_points == 1 else 's'} {'was' if n_points == 1 else 'were'} given; "
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


def n_distinct(*columns: np.ndarray) -> int:
    """Number of distinct points (rows of the stacked ``columns``)."""
    if len(columns) == 1:
        return int(np.unique(columns[0]).size)
    return int(np.unique(np.column_stack(columns), axis=0).shape[0])


def weighted_rows(weights, n_rows: int, source: str | None = None) -> np.ndarray:
    """The rows a weighted fit uses (weight > 0), after checking the weights.

    Parameters
    ----------
    weights : array-like or None
        Row weights (multiplicities); ``None`` weighs every row 1.
    n_rows : int
        Rows of the data.
    source : str, optional
        Label for error messages.

    Returns
    -------
    numpy.ndarray
        A boolean mask of the rows with a positive weight.

    Raises
    ------
    InputError
        Weights of another length, negative or non-finite, or none positive.
    """
    if weights is None:
        return np.ones(n_rows, bool)
    prefix = f"{source}: " if source else ""
    w = np.asarray(weights, float).ravel()
    if w.size != n_rows:
        raise InputError(f"{prefix}{w.size} weights for {n_rows} rows; expected one per row")
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise InputError(f"{prefix}weights must be finite and >= 0")
    if not np.any(w > 0):
        raise InputError(f"{prefix}every weight is 0; expected some rows to fit")
    return w > 0


def check_distinct_scales(
    x: np.ndarray, needed: int, name: str, form: str, source: str | None = None
) -> None:
    """Raise InputError when ``x`` takes fewer than ``needed`` distinct values.

    Rows at one scale add no information on the shape of a law: an offset power law through
    two distinct sizes fits exactly along a whole curve of (E, A, alpha).
    """
    values = np.unique(x)
    if values.size < needed:
        prefix = f"{source}: " if source else ""
        shown = ", ".join(f"{v:g}" for v in values[:needed])
        raise InputError(
            f"{prefix}field '{name}': {values.size} distinct values ({shown}); {form} needs "
            f"at least {needed} distinct {name} values"
        )


def check_distinct_points(
    count: int, needed: int, what: str, form: str, source: str | None = None
) -> None:
    """Raise InputError when there are fewer than ``needed`` distinct points ``what``."""
    if count < needed:
        prefix = f"{source}: " if source else ""
        raise InputError(
            f"{prefix}{count} distinct {what}; {form} has {needed} parameters and needs at "
            f"least {needed}"
        )


def check_bootstrap_points(
    count: int, n_params: int, what: str, form: str, source: str | None = None
) -> None:
    """Refuse a bootstrap over points with fewer than ``n_params + 2`` distinct points.

    With ``n_params`` or ``n_params + 1`` distinct points most resamples hold fewer distinct
    points than parameters (no refit), and the rest interpolate: the spread is not an error bar.
    """
    if count <= n_params + 1:
        prefix = f"{source}: " if source else ""
        raise InputError(
            f"{prefix}bootstrap needs at least {n_params + 2} distinct {what} for {form} "
            f"({n_params} parameters); got {count}"
        )


#: Residual degrees of freedom (distinct points minus parameters) still warned about above zero.
FEW_RESIDUAL_DF = 2


def residual_df_warnings(
    count: int,
    n_params: int,
    y=None,
    y_hat=None,
    *,
    rows: int | None = None,
    points: str = "distinct points",
    uncertainty: str = "standard errors and intervals of the parameters",
    remedy: str = "fit more distinct points, or a law with fewer parameters",
) -> tuple[str, ...]:
    """A warning when a law has at most :data:`FEW_RESIDUAL_DF` residual degrees of freedom.

    With as many parameters as points a law may interpolate the data whatever its true form
    (it need not: a constrained law such as Chinchilla's can still miss a point), so the data
    can neither check the form nor measure the noise, and the parameters are pinned down only
    by the law's own constraints. The warning claims no exact fit: given the observations
    ``y`` and the fitted law's values ``y_hat``, it states how far the law is from the points.

    With one or two residual degrees of freedom the noise is measured, but from one or two
    numbers: the warning says that standard errors and intervals are then unreliable, with the
    two-sided 95 % t quantile on those degrees of freedom (12.7 and 4.30, against 1.96 for
    many) to show by how much.

    Parameters
    ----------
    count : int
        Distinct points (rows at one scale add no information on the law's shape).
    n_params : int
        Free parameters of the law.
    y, y_hat : array-like, optional
        Observations and the fitted law's values at them (zero residual df only).
    rows : int, optional
        Rows fitted, when more than ``count``: replicate rows at one point measure the noise
        (``rows - n_params`` numbers) though they cannot check the law's form.
    points : str
        What ``count`` counts, e.g. ``"budgets"`` for isoFLOP's allocation laws.
    uncertainty : str
        The standard errors or intervals that rest on the residuals.
    remedy : str
        What to do about it.

    Returns
    -------
    tuple of str
        One warning, or none when the law has more than :data:`FEW_RESIDUAL_DF` residual df.
    """
    df = count - n_params
    if df > FEW_RESIDUAL_DF:
        return ()
    # Replicate rows measure the noise though not the form: the noise has rows - parameters
    # degrees of freedom, or rows - distinct points (pure error) when the law can pass
    # through every distinct point; the form is checked on distinct points - parameters.
    replicated = rows is not None and rows > count
    noise_df = rows - min(count, n_params) if replicated else df
    noise = ""
    if 0 < noise_df <= FEW_RESIDUAL_DF:
        from scipy import stats

        t95 = float(stats.t.ppf(0.975, noise_df))
        s = "s" if noise_df > 1 else ""
        noise = (
            f"the noise about the law is measured from {noise_df} number{s}"
            + (f" ({rows} rows, replicates included)" if replicated else "")
            + f", so {uncertainty} are unreliable (a 95 % t interval on {noise_df} degree{s} "
            f"of freedom is {t95:.3g} standard errors each side, not 1.96)"
        )
    elif replicated:
        noise = f"the replicate rows measure the noise ({noise_df} degrees of freedom)"
    shown = f"{count} {points} for {n_params} parameters" + (f"; {rows} rows" if replicated else "")
    if df > 0:
        s = "s" if df > 1 else ""
        what = "degree" + s + (" of freedom to check the law's form" if replicated else
                               " of freedom")
        head = f"only {df} {what}" if replicated else f"only {df} residual {what}"
        form = "the points can hardly tell a wrong form from the right one"
        return (f"{head} ({shown}): " + (f"{noise} and {form}" if noise else form)
                + f"; {remedy}",)
    if replicated:  # the noise is measured; the form is not checked
        message = (
            f"only {shown}: no degrees of freedom to check the law's form (a law with as many "
            f"parameters as points may interpolate them whatever its true form; {noise}"
        )
    else:
        message = (
            f"only {shown}: no residual degrees of freedom (a law with as many parameters as "
            "points may interpolate them whatever its true form, so the data can neither check "
            "the form nor measure the noise"
        )
    if y is not None and y_hat is not None:
        y = np.asarray(y, float)
        with np.errstate(all="ignore"):
            miss = float(np.max(np.abs(np.asarray(y_hat, float) / y - 1.0)))
        if np.isfinite(miss):
            message += f"; largest relative residual of this fit {100 * miss:.2g} %"
    message += ")"
    if not replicated:
        message += f"; {uncertainty} cannot be estimated"
    return (f"{message}; {remedy}",)
