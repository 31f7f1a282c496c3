"""Time loading a 10,000-sample lm-eval (>= 0.4.3) run; compare with plain JSON parsing.

The run is built from the committed real fixture (tests/fixtures/lm-eval-0.4.13): its results
file and multiple-choice sample lines, repeated with fresh ``doc_id`` values to 10,000 samples
(4 choices each, numbers as strings exactly as lm-eval writes them) in a temporary folder.

Usage::

    python benchmarks/bench_load_lmeval.py [N_SAMPLES]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from emergence.load import load

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "lm-eval-0.4.13"
MODEL = "tiny-neox-h64-l2"


def build_run(folder: Path, n: int) -> Path:
    """Write a results file and one samples file with ``n`` multiple-choice samples."""
    src = FIXTURE / MODEL
    results = next(src.glob("results_*.json"))
    ts = results.stem[len("results_") :]
    doc = json.loads(results.read_text())
    doc["results"] = {"toy_mc": doc["results"]["toy_mc"]}
    doc["n-samples"] = {"toy_mc": {"original": n, "effective": n}}
    run = folder / MODEL
    run.mkdir()
    (run / results.name).write_text(json.dumps(doc))
    lines = [
        json.loads(x) for x in next(src.glob("samples_toy_mc_*.jsonl")).read_text().splitlines()
    ]
    with open(run / f"samples_toy_mc_{ts}.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            sample = dict(lines[i % len(lines)], doc_id=i)
            fh.write(json.dumps(sample, ensure_ascii=False) + "\n")
    return run


def plain_parse(run: Path) -> int:
    """json.load the results and json.loads every sample line: the floor for any reader."""
    count = 0
    for path in sorted(run.iterdir()):
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line)
                count += 1
    return count


def best_of(fn, repeats: int = 5) -> float:
    """Fastest of ``repeats`` wall-clock timings of ``fn()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int = 10_000) -> None:
    """Print load time, plain-parse time and their ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        run = build_run(Path(tmp), n)
        size = sum(p.stat().st_size for p in run.iterdir())
        assert plain_parse(run) == n
        tables = load(run)
        assert len(tables.items) == n
        t_load = best_of(lambda: load(run))
        t_plain = best_of(lambda: plain_parse(run))
    print(f"samples: {n}  bytes on disk: {size / 1e6:.1f} MB")
    print(f"emergence.load (read + validate): {t_load * 1000:.0f} ms")
    print(f"plain json parsing:              {t_plain * 1000:.0f} ms")
    print(f"ratio load / plain: {t_load / t_plain:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
