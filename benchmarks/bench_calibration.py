"""Calibration of ``emergence detect`` on the project simulator (known truth), end to end.

Simulates single-task families of each class (mirage, threshold, smooth) with 5-15 unevenly
spaced scales, 50-500 items and answer lengths 1-15 (:func:`emergence.simulate.simulate_tasks`),
runs :func:`emergence.detect.tables.detect` on the items table and prints the share of each
verdict per true class, overall and per (scales, items) stratum, with Monte Carlo SEs.

Usage: ``python benchmarks/bench_calibration.py [--reps 300] [--seed 2026]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from emergence.detect.tables import detect
from emergence.simulate import simulate_tasks

CLASSES = ("mirage", "threshold", "smooth")
LABELS = ("threshold", "mirage", "smooth", "ambiguous", "underpowered")


def run(reps: int, seed: int) -> pd.DataFrame:
    """Verdicts joined with the truth for ``reps`` tasks per class."""
    rng = np.random.default_rng(seed)
    specs = [
        (cls, int(rng.integers(5, 16)), int(rng.integers(50, 501)))
        for cls in CLASSES
        for _ in range(reps)
    ]
    sim = simulate_tasks(specs, seed)
    verdicts = detect(sim.items, bootstrap=0, seed=seed).verdicts
    truth = sim.truth[["family", "true_class", "n_items"]].rename(columns={"n_items": "items"})
    return verdicts.merge(truth, on="family")


def _cell(hits: int, n: int) -> str:
    if n == 0:
        return "-"
    p = hits / n
    return f"{100 * p:.1f} ± {100 * np.sqrt(p * (1 - p) / n):.1f}"


def table(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Percent (± MC SE) of each verdict per true class and stratum."""
    rows = []
    for key, grp in frame.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True)) | {"n": len(grp)}
        for label in LABELS:
            row[label] = _cell(int((grp.verdict == label).sum()), len(grp))
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-markdown table (no optional dependency)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.to_numpy()]
    return "\n".join(lines)


def main() -> None:
    """Print the calibration tables and the run time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300, help="tasks per class")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    start = time.perf_counter()
    frame = run(args.reps, args.seed)
    elapsed = time.perf_counter() - start
    frame["scales"] = pd.cut(frame.n_scales, [4, 5, 7, 15], labels=["5", "6-7", "8-15"])
    frame["items_band"] = np.where(frame["items"] >= 100, ">=100", "<100")
    pd.set_option("display.width", 200)
    print(f"{args.reps} tasks per class, seed {args.seed}: {elapsed:.1f} s\n")
    print("All tasks (percent ± Monte Carlo SE):")
    print(markdown(table(frame, ["true_class"])))
    print("\nBy stratum:")
    print(markdown(table(frame, ["true_class", "scales", "items_band"])))
    powered = frame[(frame.n_scales >= 8) & (frame["items"] >= 100)]
    print("\nTargets (powered = >= 8 scales and >= 100 items):")
    rows = [
        ("threshold on mirage (all)", frame, "mirage", ("threshold",), "<= 5 %"),
        ("threshold on smooth (all)", frame, "smooth", ("threshold",), "<= 5 %"),
        ("threshold recall (powered)", powered, "threshold", ("threshold",), ">= 90 %"),
        ("mirage named mirage (all)", frame, "mirage", ("mirage",), ">= 90 %"),
        ("mirage named mirage (>= 6 scales)", frame[frame.n_scales >= 6], "mirage", ("mirage",),
         ">= 90 %"),
        ("mirage named mirage (powered)", powered, "mirage", ("mirage",), ">= 90 %"),
        ("smooth called threshold or mirage (all)", frame, "smooth", ("threshold", "mirage"),
         "<= 5 %"),
    ]  # fmt: skip
    out = []
    for name, sub, cls, labels, target in rows:
        grp = sub[sub.true_class == cls]
        out.append({"rate": name, "target": target, "measured": _cell(
            int(grp.verdict.isin(labels).sum()), len(grp)), "n": len(grp)})  # fmt: skip
    print(markdown(pd.DataFrame(out)))


if __name__ == "__main__":
    main()
