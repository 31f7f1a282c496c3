"""Per-item scoring: compute a set of registered metrics on every row of an items table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import progress
from . import registry, text
from .fields import ItemFields
from .table_checks import ANSWER_COLUMNS, check_answer_text


@dataclass(frozen=True)
class ItemScores:
    """Per-item metric values, aligned with the rows of the items table.

    Attributes
    ----------
    metrics : tuple of str
        Metric names, one per column of ``values``.
    values : numpy.ndarray
        ``(n_items, n_metrics)`` float64; NaN where a row lacks the metric's fields.
    rows : tuple or None
        :func:`rows_fingerprint` of the items scored (None: not known), so that scores handed
        back with the items are checked to be theirs, in their order.
    """

    metrics: tuple[str, ...]
    values: np.ndarray
    rows: tuple | None = field(default=None, compare=False, repr=False)

    def column(self, name: str) -> np.ndarray:
        """Values of metric ``name``."""
        return self.values[:, self.metrics.index(name)]

    def to_frame(self, items: pd.DataFrame | None = None) -> pd.DataFrame:
        """Wide table: one column per metric, prefixed by ``items``' columns when given."""
        frame = pd.DataFrame(self.values, columns=list(self.metrics))
        if items is None:
            return frame
        base = items.reset_index(drop=True)
        return pd.concat([base, frame], axis=1)


#: Rows sampled by :func:`rows_fingerprint`.
FINGERPRINT_ROWS = 256


def rows_fingerprint(items: pd.DataFrame) -> tuple:
    """The row count and the (model, task, item) of up to 256 evenly spaced rows: a spot
    check that tells other rows, or the same rows sorted another way, from the ones scored
    (a swap of two rows between the samples goes unseen), for the cost of reading 256 rows."""
    n = len(items)
    at = np.unique(np.linspace(0, n - 1, min(n, FINGERPRINT_ROWS)).astype(np.int64))
    keys = [k for k in ("model", "task", "item") if k in items.columns]
    return (n, *(tuple(str(v) for v in items[k].iloc[at]) for k in keys))


def check_scores_match(items: pd.DataFrame, scores: ItemScores) -> None:
    """Refuse per-item scores computed on other rows, or on these rows in another order
    (spot-checked: :func:`rows_fingerprint`).

    Parameters
    ----------
    items : pandas.DataFrame
        The items table the scores are handed in with.
    scores : ItemScores
        From :func:`score_items` (scores built by hand, ``rows=None``, are checked for their
        length only).

    Raises
    ------
    InputError
        The scores do not belong to these rows in this order.
    """
    if scores.values.shape[0] != len(items) or (
        scores.rows is not None and scores.rows != rows_fingerprint(items)
    ):
        raise InputError(
            f"item_scores: scored on other rows than these {len(items)} items, or on them in "
            "another order (they are matched by position); pass the items they were scored "
            "from, as they were, or leave item_scores out"
        )


def configure(
    name: str,
    *,
    normalisation: text.Normalisation | None = None,
    tokenizer: str = "regex",
    workers: int = -1,
) -> registry.Metric:
    """A registered metric with its options applied.

    Parameters
    ----------
    name : str
        Registered metric name.
    normalisation : Normalisation, optional
        Text normalisation for ``exact_match`` (strict when omitted).
    tokenizer : {"regex", "whitespace", "char"}
        Fallback tokenizer for ``token_edit_distance`` on rows without tokens.
    workers : int
        rapidfuzz threads for the edit distances (-1: all cores).

    Returns
    -------
    Metric
    """
    metric = registry.get_metric(name)
    if tokenizer not in text.TOKENIZERS:
        raise InputError(
            f"unknown tokenizer '{tokenizer}'; expected one of {', '.join(text.TOKENIZERS)}"
        )
    if name == "exact_match":
        return dataclasses.replace(metric, compute=registry.make_exact_match(normalisation))
    if name == "token_edit_distance":
        return dataclasses.replace(
            metric, compute=registry.make_token_edit_distance(tokenizer, workers)
        )
    if name == "char_edit_distance":
        return dataclasses.replace(metric, compute=registry.make_char_edit_distance(workers))
    return metric


def resolve_metrics(
    fields: ItemFields, metrics: Sequence[str | registry.Metric] | None
) -> tuple[list[registry.Metric], bool]:
    """The metrics to compute and whether they were asked for explicitly.

    With ``metrics=None`` every registered metric that at least one row supports is chosen.
    """
    if metrics is None:
        return [m for m in registry.list_metrics() if m.available(fields).any()], False
    out = []
    for m in metrics:
        out.append(registry.get_metric(m) if isinstance(m, str) else m)
    names = [m.name for m in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"metric '{dupes[0]}' requested more than once")
    return out, True


def score_items(
    items: pd.DataFrame,
    metrics: Sequence[str | registry.Metric] | None = None,
    *,
    normalisation: text.Normalisation | None = None,
    tokenizer: str = "regex",
    workers: int = -1,
) -> ItemScores:
    """Compute per-item metric values.

    Parameters
    ----------
    items : pandas.DataFrame
        Items table (see :data:`emergence.schema.ITEMS`).
    metrics : sequence of str or Metric, optional
        Metrics to compute. Default: every registered metric whose fields some row has. A metric
        named explicitly that no row can support raises :class:`~emergence.errors.InputError`
        naming the missing field.
    normalisation, tokenizer, workers
        Options, see :func:`configure`.

    Returns
    -------
    ItemScores
    """
    fields = ItemFields(items)
    chosen, explicit = resolve_metrics(fields, metrics)
    # answers compared as text must be text: a number never equals a string (exact match 0)
    check_answer_text(items, tuple(c for c in ANSWER_COLUMNS if any(c in m.fields for m in chosen)))
    chosen = [
        configure(m.name, normalisation=normalisation, tokenizer=tokenizer, workers=workers)
        if registry.metric_names().count(m.name) and m is registry.get_metric(m.name)
        else m
        for m in chosen
    ]
    if explicit:
        for m in chosen:
            m.check(fields)
    # Column-major: each metric fills one contiguous column, and aggregation reads by column.
    values = np.empty((fields.n, len(chosen)), order="F")
    with progress(list(enumerate(chosen)), "scoring items") as bar:
        for j, metric in bar:
            values[:, j] = np.asarray(metric.values(fields), dtype=np.float64)
            unavailable = ~metric.available(fields)
            if unavailable.any():
                values[unavailable, j] = np.nan
    return ItemScores(tuple(m.name for m in chosen), values, rows_fingerprint(items))


def long_item_scores(items: pd.DataFrame, scores: ItemScores, keys: Iterable[str]) -> pd.DataFrame:
    """Per-item scores in long form (``keys`` + ``metric``, ``value``), missing values dropped."""
    keys = [k for k in keys if k in items.columns]
    frames = []
    base = items[keys].reset_index(drop=True)
    for j, name in enumerate(scores.metrics):
        ok = ~np.isnan(scores.values[:, j])
        part = base.loc[ok].copy()
        part["metric"] = name
        part["value"] = scores.values[ok, j]
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=[*keys, "metric", "value"])
    return pd.concat(frames, ignore_index=True)
