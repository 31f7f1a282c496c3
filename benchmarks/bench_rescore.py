"""Benchmark: rescoring 1,000,000 items under every metric, end to end from native JSONL.

Generates 5 families x 10 scales x 20 tasks x 1000 items (10-token targets, 4 choices) as a
native items JSONL file in a temporary folder, then times

* reading the file alone (``emergence.load.load``),
* reading + rescoring under every registered metric with B = 1000 bootstrap replicates,
* a straightforward per-row Python implementation of the same metrics (on a subset, scaled;
  checked to give the same means as ``rescore``),

and prints items per second, the ratios, and the peak resident memory.

Usage::

    python benchmarks/bench_rescore.py [--items-per-task 1000] [--baseline-rows 100000]
        [--bootstrap 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

FAMILIES = 5
SCALES = 10
TASKS = 20
TARGET_TOKENS = 10
N_CHOICES = 4


def generate(path: Path, items_per_task: int, seed: int = 0) -> int:
    """Write the synthetic items table as JSONL; return the number of rows."""
    rng = np.random.default_rng(seed)
    vocab = np.array([str(i) for i in range(100)], dtype=object)
    lines = []
    params = np.geomspace(1e7, 1e11, SCALES)
    for f in range(FAMILIES):
        for s, n_params in enumerate(params):
            ce = 2.0 * (n_params / 1e7) ** -0.3  # per-token cross-entropy, a power law
            p = math.exp(-ce)
            for t in range(TASKS):
                k = items_per_task
                tgt = rng.integers(0, 100, size=(k, TARGET_TOKENS))
                wrong = rng.random((k, TARGET_TOKENS)) > p
                out = np.where(wrong, (tgt + rng.integers(1, 100, size=tgt.shape)) % 100, tgt)
                lps = np.round(np.minimum(np.log(p) + rng.normal(0, 0.1, tgt.shape), 0.0), 4)
                cl = np.round(rng.normal(0, 1, (k, N_CHOICES)) - 2.0, 4)
                cc = rng.integers(0, N_CHOICES, size=k)
                cl[np.arange(k), cc] += 2.0 * (s + 1) / SCALES
                cl = np.minimum(cl, 0.0)
                for i in range(k):
                    tt = vocab[tgt[i]].tolist()
                    ot = vocab[out[i]].tolist()
                    lines.append(json.dumps({
                        "family": f"fam{f}", "model": f"fam{f}-{s}", "params": float(n_params),
                        "task": f"task{t:02d}", "item": f"i{i}",
                        "target": " ".join(tt), "output": " ".join(ot),
                        "target_tokens": tt, "output_tokens": ot,
                        "target_logprobs": lps[i].tolist(),
                        "choice_logprobs": cl[i].tolist(), "correct_choice": int(cc[i]),
                    }))
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            lines = []
    return FAMILIES * SCALES * TASKS * items_per_task


METRICS = (
    "exact_match", "multiple_choice_grade", "token_edit_distance", "char_edit_distance",
    "target_logprob", "mean_token_logprob", "per_token_prob", "p_correct", "brier",
    "brier_bigbench",
)


def per_row_baseline(items: pd.DataFrame) -> dict[tuple, float]:
    """The obvious implementation: a plain Python loop over rows, then a mean per group.

    Each metric is the textbook formula on the row's Python values (``math`` on the 4-10 element
    lists, which is faster than numpy at that size); both edit distances call rapidfuzz's C++
    ``Levenshtein.distance`` on the pair, as anyone would rather than write the DP in Python.
    Sums and counts accumulate in a dict keyed by (family, model, params, task, metric).
    """
    acc: dict[tuple, list] = defaultdict(lambda: [0.0, 0])
    for row in items.itertuples(index=False):
        lp, cl, cc = row.target_logprobs, row.choice_logprobs, row.correct_choice
        top = max(cl)
        ex = [math.exp(x - top) for x in cl]
        z = sum(ex)
        probs = [e / z for e in ex]
        brier = sum((p - (k == cc)) ** 2 for k, p in enumerate(probs))
        total = sum(lp)
        values = (
            float(row.output == row.target),
            float(cl.index(top) == cc),
            float(Levenshtein.distance(row.output_tokens, row.target_tokens)),
            float(Levenshtein.distance(row.output, row.target)),
            total,
            total / len(lp),
            math.exp(total / len(lp)),
            probs[cc],
            brier,
            brier / len(cl),
        )
        key = (row.family, row.model, row.params, row.task)
        for name, value in zip(METRICS, values, strict=True):
            cell = acc[(*key, name)]
            cell[0] += value
            cell[1] += 1
    return {k: v[0] / v[1] for k, v in acc.items()}


def check_baseline(items: pd.DataFrame, baseline: dict[tuple, float]) -> float:
    """Largest difference between the baseline's means and ``rescore``'s on the same rows."""
    from emergence.metrics import rescore

    ours = rescore(items, n_boot=0)
    keys = zip(ours["family"], ours["model"], ours["params"], ours["task"], ours["metric"],
               strict=True)
    diffs = [abs(baseline[k] - v) for k, v in zip(keys, ours["value"], strict=True)]
    if len(diffs) != len(baseline):
        raise AssertionError("the baseline and rescore disagree on the groups")
    return max(diffs)


def read(path: Path):  # noqa: ANN201 - emergence.load.Tables
    """Read the file with the project's loader (its native reader while other formats land)."""
    try:
        from emergence.load import load

        return load(path)
    except ModuleNotFoundError:
        from emergence.load.native import read as read_native

        return read_native(path)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items-per-task", type=int, default=1000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    args = parser.parse_args()

    from emergence.metrics import rescore

    times: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        t0 = time.perf_counter()
        n = generate(path, args.items_per_task)
        size_mb = path.stat().st_size / 2**20
        print(f"generated {n:,} items ({size_mb:.0f} MiB) in {time.perf_counter() - t0:.1f} s")

        read(path)  # warm the page cache so every timing below reads from memory
        for round_ in range(args.repeat):  # each round times every step once, in order
            t0 = time.perf_counter()
            tables = read(path)
            times["read"].append(time.perf_counter() - t0)
            del tables

            t0 = time.perf_counter()
            tables = read(path)
            t_load2 = time.perf_counter() - t0
            t1 = time.perf_counter()
            scores = rescore(tables.items, tables.scores, n_boot=args.bootstrap, seed=0)
            times["score"].append(time.perf_counter() - t1)
            times["total"].append(t_load2 + times["score"][-1])

            t0 = time.perf_counter()
            rescore(tables.items, tables.scores, n_boot=0)
            times["noboot"].append(time.perf_counter() - t0)

            sub = tables.items.iloc[: min(args.baseline_rows, n)]
            t0 = time.perf_counter()
            baseline = per_row_baseline(sub)
            times["base"].append((time.perf_counter() - t0) * n / len(sub))
            n_sub = len(sub)
            if round_ == 0:
                max_diff = check_baseline(sub, baseline)
                n_metrics = scores["metric"].nunique()
                n_groups = len(scores) // n_metrics
            del tables, scores, sub, baseline  # one table in memory at a time
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB on Linux

    med = {k: float(np.median(v)) for k, v in times.items()}

    def ratio(a: str, b: str) -> str:  # median of the per-round ratios, and their range
        r = np.array(times[a]) / np.array(times[b])
        return f"{np.median(r):6.1f}x  (rounds: {', '.join(f'{x:.1f}' for x in r)})"

    print(f"metrics: {n_metrics}, bootstrap B = {args.bootstrap}, groups: {n_groups}, "
          f"medians of {args.repeat} rounds")
    print(f"read only (load):            {med['read']:7.2f} s  {n / med['read']:12,.0f} items/s")
    print(f"rescore alone:               {med['score']:7.2f} s  {n / med['score']:12,.0f} items/s")
    print(f"load + rescore (end to end): {med['total']:7.2f} s  {n / med['total']:12,.0f} items/s")
    print(f"rescore without bootstrap:   {med['noboot']:7.2f} s  "
          f"{n / med['noboot']:12,.0f} items/s")
    print(f"per-row baseline ({n_sub:,} rows, scaled to {n:,}, no bootstrap): "
          f"{med['base']:7.1f} s  {n / med['base']:12,.0f} items/s  (max |mean difference| vs "
          f"rescore: {max_diff:.1e})")
    print(f"speed-up vs per-row, both without bootstrap: {ratio('base', 'noboot')}")
    print(f"speed-up vs per-row, ours with B = {args.bootstrap}:    {ratio('base', 'score')}")
    print(f"end to end / read only:                      {ratio('total', 'read')}")
    print(f"peak RSS: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
