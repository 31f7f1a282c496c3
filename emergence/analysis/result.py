"""The result of an analysis: every table and fit the report renders, and how it was run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from .. import __version__
from .families import FamilyOverview, family_overview
from .inputs import InputFile
from .scaling_fit import ScalingFit
from .task_counts import TaskCounts

if TYPE_CHECKING:
    from ..metrics.text import Normalisation


@dataclass(frozen=True)
class Settings:
    """How the analysis was run (everything needed to reproduce it besides the inputs)."""

    seed: int
    alpha: float
    bootstrap: int
    level: float
    normalisation: Normalisation | None = None  # of exact match; None is strict
    version: str = __version__


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows, computed by the stages.

    Attributes
    ----------
    inputs : tuple of InputFile
        Files read, with checksums.
    models : pandas.DataFrame
        ``family, model, params``: one row per evaluated model (items or scores), sorted.
    tasks : pandas.DataFrame
        ``family, task, n_scales, n_items`` (largest item count over scales).
    scores : pandas.DataFrame
        The rescored scores table (bootstrap ``ci_low``/``ci_high``) plus passed-through scores.
    mirage : pandas.DataFrame or None
        The mirage model's exact match per scale, as the detect stage tested it
        (``family, task, params, predicted, band_low, band_high``); None without per-token
        log-probabilities.
    verdicts : pandas.DataFrame
        One row per (family, task) from :func:`emergence.detect.detect` (at least
        :data:`VERDICT_COLUMNS`).
    statistics : pandas.DataFrame
        Extra evidence per (family, task), :data:`STATISTIC_COLUMNS`.
    scaling : tuple of ScalingFit
        One per family with losses.
    settings : Settings
    detect_source : str
        Which detect API produced the verdicts.
    task_counts : TaskCounts or None
        Tasks of the input as ``emergence summary`` counts them (:func:`count_tasks`); None
        when the analysis was assembled without the loaded tables (then the task labels of
        :attr:`tasks` are counted).
    """

    inputs: tuple[InputFile, ...]
    models: pd.DataFrame
    tasks: pd.DataFrame
    scores: pd.DataFrame
    mirage: pd.DataFrame | None
    verdicts: pd.DataFrame
    statistics: pd.DataFrame
    scaling: tuple[ScalingFit, ...]
    settings: Settings
    detect_source: str = field(default="emergence.detect.detect")
    task_counts: TaskCounts | None = None

    def task_names(self) -> list[str]:
        """Every task the report has a section for: scored or given a verdict, sorted."""
        return sorted(set(self.tasks["task"].tolist()) | set(self.verdicts["task"].tolist()))

    def evaluated_families(self) -> list[str]:
        """Families with evaluated models or tasks (those drawn in the task figures), sorted."""
        return sorted(set(self.models["family"].tolist()) | set(self.tasks["family"].tolist()))

    def family_overview(self) -> FamilyOverview:
        """Models, sizes, tasks, items and training runs per family.

        A family with training losses but no evaluation counts one model per size of its runs;
        a family fitted per loss split counts its runs once.
        """
        return family_overview(self.models, self.tasks, self.scaling, self.task_counts)
