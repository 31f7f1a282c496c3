"""How many tasks, task variants and family-task pairs the items and scores hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .task_labels import with_task_labels

if TYPE_CHECKING:
    from ..load import Tables


@dataclass(frozen=True)
class TaskCounts:
    """How many tasks the items and scores hold (:func:`count_tasks`).

    Attributes
    ----------
    names : int
        Distinct task names: a task evaluated in several families, or split into subtasks or
        shot counts, counts once.
    variants : int
        Distinct tasks with their subtask and shot count (``task / subtask / 5-shot``, see
        :func:`task_label`): the report has one section per variant.
    pairs : int
        Distinct (family, variant) pairs: the unit detect gives a verdict for, and what
        ``emergence summary``, ``emergence report`` and the report call a family-task pair.
    """

    names: int
    variants: int
    pairs: int

    @property
    def split(self) -> bool:
        """Whether some task is split into subtasks or shot counts (variants != names)."""
        return self.variants != self.names

    def tasks_text(self, word: str = "tasks") -> str:
        """``9 tasks``, or ``15 tasks (90 with subtasks and shot counts apart)``.

        ``word`` follows the numbers (``task(s)`` in the console); a plain plural is made
        singular for one task (``1 task``).
        """
        if self.names == 1 and word.endswith("s") and not word.endswith("(s)"):
            word = word[:-1]
        text = f"{self.names} {word}"
        if self.split:
            text += f" ({self.variants} with subtasks and shot counts apart)"
        return text


def count_tasks(tables: Tables) -> TaskCounts:
    """Tasks, task variants and family-task pairs of the items and scores tables.

    A pair is a family with a task variant (task, subtask and shot count), the unit
    :func:`emergence.detect.detect` gives a verdict for; ``emergence summary`` and
    ``emergence report`` both count with this function, so they agree on the same files.

    Parameters
    ----------
    tables : emergence.load.Tables
        Loaded tables (losses are not tasks and are not counted).

    Returns
    -------
    TaskCounts
    """
    parts = []
    for frame in (tables.items, tables.scores):
        if frame.empty:
            continue
        keys = [c for c in ("family", "task", "subtask", "n_shots") if c in frame.columns]
        # one row per unit first: an items table has a row per item and model
        units = frame[keys].drop_duplicates()
        parts.append(pd.DataFrame({
            "family": units["family"].astype(object), "name": units["task"].astype(object),
            "variant": with_task_labels(units)["task"].astype(object),
        }))  # fmt: skip
    if not parts:
        return TaskCounts(names=0, variants=0, pairs=0)
    units = pd.concat(parts, ignore_index=True)
    # drop_duplicates, not sets: a missing family (NaN) is one family, not one per row
    return TaskCounts(
        names=len(units["name"].drop_duplicates()),
        variants=len(units["variant"].drop_duplicates()),
        pairs=len(units[["family", "variant"]].drop_duplicates()),
    )
