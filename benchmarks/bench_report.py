"""Benchmark: rendering the HTML report for 200 tasks x 5 families.

Simulates 5 families x 201 tasks (67 per class: mirage, threshold, smooth) with 8-12 scales and
50-80 items per task (``emergence.simulate``), writes them as Parquet in a temporary folder, then
times

* loading and analysing (rescore with bootstrap bands, detect, Chinchilla fits),
* rendering the report (one figure per task with the five families on shared axes, plus one
  scaling-law figure per family) and writing it,

and prints the wall times, the file size and the number of inline figures. The target is a render
under 60 s and a file under 20 MB. Rendering is timed twice, and the two files are compared byte
for byte.

Usage::

    python benchmarks/bench_report.py [--families 5] [--tasks-per-class 67] [--bootstrap 200]
        [--keep reports/bench.html]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=5)
    parser.add_argument("--tasks-per-class", type=int, default=67)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="Copy the report here.")
    args = parser.parse_args()

    import emergence
    from emergence.analysis import analyse
    from emergence.report import write_report
    from emergence.simulate import simulate, write_simulation

    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        t0 = time.perf_counter()
        sim = simulate(args.seed, n_families=args.families, tasks_per_class=args.tasks_per_class,
                       scales=(8, 12), items=(50, 80))  # fmt: skip
        write_simulation(sim, work / "data", items_format="parquet")
        t_sim = time.perf_counter() - t0

        t0 = time.perf_counter()
        tables = emergence.load(work / "data")
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        analysis = analyse(tables, seed=args.seed, bootstrap=args.bootstrap)
        t_analyse = time.perf_counter() - t0

        renders = []
        for name in ("a.html", "b.html"):
            t0 = time.perf_counter()
            path = write_report(analysis, work / name, command="bench_report.py")
            renders.append(time.perf_counter() - t0)
        size = path.stat().st_size
        text = path.read_text(encoding="utf-8")
        identical = (work / "a.html").read_bytes() == (work / "b.html").read_bytes()
        if args.keep:
            args.keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, args.keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    n_tasks = analysis.tasks["task"].nunique()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")  # fmt: skip
    print(f"data: {args.families} families x {n_tasks} tasks = {len(analysis.verdicts)} "
          f"family-task pairs, {len(tables.items):,} item rows")  # fmt: skip
    print(f"simulate + write: {t_sim:.1f} s; load: {t_load:.1f} s; "
          f"analyse (B = {args.bootstrap}): {t_analyse:.1f} s")  # fmt: skip
    print(f"render + write: {renders[0]:.1f} s, again {renders[1]:.1f} s "
          f"({renders[0] / n_tasks * 1000:.0f} ms per task)")  # fmt: skip
    print(f"report: {size / 1e6:.1f} MB, {text.count('<svg ')} inline SVG figures, "
          f"byte-identical across renders: {identical}")  # fmt: skip
    print(f"peak resident memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()
