"""Shared data for the report tests: one small simulated study, analysed and rendered once."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import emergence
from emergence.analysis import Analysis, analyse
from emergence.report import render_report
from emergence.simulate import simulate, write_simulation

SEED = 3
BOOTSTRAP = 100
COMMAND = "emergence report sim/ -o report.html --seed 3 --bootstrap 100 --alpha 0.05"


@dataclass(frozen=True)
class Bundle:
    """Simulated input folder, its analysis and the rendered report text."""

    data_dir: Path
    analysis: Analysis
    html: str


def simulated_dir(
    dest: Path, seed: int = SEED, rename_task: dict | None = None, family: str | None = None
) -> Path:
    """Write the small simulation used by every report test into ``dest``."""
    sim = simulate(seed, n_families=1, tasks_per_class=1, scales=(6, 8), items=(50, 80))
    if rename_task:
        sim.items["task"] = sim.items["task"].replace(rename_task)
    if family is not None:
        sim.items["family"] = family
        sim.losses["family"] = family
    write_simulation(sim, dest)
    return dest


def analysed(data_dir: Path) -> Analysis:
    """Load and analyse a folder with the tests' settings."""
    return analyse(emergence.load(data_dir), seed=SEED, bootstrap=BOOTSTRAP)


@lru_cache(maxsize=1)
def bundle() -> Bundle:
    """The shared study (computed on first use, then cached for the session)."""
    root = Path(tempfile.mkdtemp(prefix="emergence-report-tests-"))
    _CLEANUP.append(root)
    data_dir = simulated_dir(root / "sim")
    result = analysed(data_dir)
    return Bundle(data_dir, result, render_report(result, title="Test report", command=COMMAND))


_CLEANUP: list[Path] = []


@atexit.register
def cleanup() -> None:
    """Remove the temporary folders made by :func:`bundle` (at exit)."""
    for path in _CLEANUP:
        shutil.rmtree(path, ignore_errors=True)
    _CLEANUP.clear()
