"""Benchmark: rescoring 1,000,000 items under every metric, end to end from native JSONL.

Generates 5 families x 10 scales x 20 tasks x 1000 items (10-token targets, 4 choices) as a
native items JSONL file in a temporary folder, then times

* reading the file alone (``emergence.load.load``),
* reading + rescoring under every registered metric with B = 1000 bootstrap replicates,
* a straightforward per-row Python implementation of the same metrics (on a subset, scaled),

and prints items per second, the ratios, and the peak resident memory.

Usage::

    python benchmarks/bench_rescore.py [--items-per-task 1000] [--baseline-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import tempfile
import time
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


def per_row_baseline(items: pd.DataFrame) -> pd.DataFrame:
    """The obvious implementation: a Python loop over rows, one metric at a time."""
    records = []
    for row in items.itertuples(index=False):
        lp = np.asarray(row.target_logprobs, dtype=float)
        cl = np.asarray(row.choice_logprobs, dtype=float)
        probs = np.exp(cl - cl.max())
        probs /= probs.sum()
        onehot = np.zeros(len(cl))
        onehot[row.correct_choice] = 1.0
        brier = float(((probs - onehot) ** 2).sum())
        for name, value in (
            ("exact_match", float(row.output == row.target)),
            ("multiple_choice_grade", float(int(np.argmax(cl)) == row.correct_choice)),
            ("token_edit_distance",
             float(Levenshtein.distance(list(row.output_tokens), list(row.target_tokens)))),
            ("char_edit_distance", float(Levenshtein.distance(row.output, row.target))),
            ("target_logprob", float(lp.sum())),
            ("mean_token_logprob", float(lp.mean())),
            ("per_token_prob", float(np.exp(lp.mean()))),
            ("p_correct", float(probs[row.correct_choice])),
            ("brier", brier),
            ("brier_bigbench", brier / len(cl)),
        ):
            records.append((row.family, row.model, row.params, row.task, name, value))
    frame = pd.DataFrame(records, columns=["family", "model", "params", "task", "metric", "value"])
    return frame.groupby(["family", "model", "params", "task", "metric"], sort=True).agg(
        value=("value", "mean"), n_items=("value", "size")
    ).reset_index()


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
    args = parser.parse_args()

    from emergence.metrics import rescore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.jsonl"
        t0 = time.perf_counter()
        n = generate(path, args.items_per_task)
        size_mb = path.stat().st_size / 2**20
        print(f"generated {n:,} items ({size_mb:.0f} MiB) in {time.perf_counter() - t0:.1f} s")

        read(path)  # warm the page cache so both timings below read from memory
        t0 = time.perf_counter()
        tables = read(path)
        t_read = time.perf_counter() - t0
        del tables

        t0 = time.perf_counter()
        tables = read(path)
        t_load2 = time.perf_counter() - t0
        t1 = time.perf_counter()
        scores = rescore(tables.items, tables.scores, n_boot=args.bootstrap, seed=0)
        t_score = time.perf_counter() - t1
        t_total = t_load2 + t_score
        n_metrics = scores["metric"].nunique()

        t0 = time.perf_counter()
        rescore(tables.items, tables.scores, n_boot=0)
        t_noboot = time.perf_counter() - t0

        sub = tables.items.iloc[: min(args.baseline_rows, n)]
        t0 = time.perf_counter()
        per_row_baseline(sub)
        t_base_sub = time.perf_counter() - t0
        t_base = t_base_sub * n / len(sub)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB on Linux

    n_groups = len(scores) // n_metrics
    print(f"metrics: {n_metrics}, bootstrap B = {args.bootstrap}, groups: {n_groups}")
    print(f"read only (load):          {t_read:7.2f} s  {n / t_read:12,.0f} items/s")
    print(f"rescore alone:             {t_score:7.2f} s  {n / t_score:12,.0f} items/s")
    print(f"load + rescore (end to end): {t_total:5.2f} s  {n / t_total:12,.0f} items/s")
    print(f"per-row baseline ({len(sub):,} rows, scaled to {n:,}, no bootstrap): "
          f"{t_base:7.1f} s  {n / t_base:12,.0f} items/s")
    print(f"rescore without bootstrap:  {t_noboot:7.2f} s  {n / t_noboot:12,.0f} items/s")
    print(f"speed-up vs per-row, both without bootstrap: {t_base / t_noboot:6.1f}x")
    print(f"speed-up vs per-row, ours with B = {args.bootstrap}:    {t_base / t_score:6.1f}x")
    print(f"end to end / read only:               {t_total / t_read:6.2f}x")
    print(f"peak RSS: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
