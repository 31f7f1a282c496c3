"""Benchmark: our Chinchilla fit against Epoch's grid-of-starts L-BFGS-B, on Epoch's 240 points.

Measures, in one run on the same machine:

* one fit with ``emergence.fit.fit_chinchilla`` (NNLS profile start + BFGS + Newton polish);
* a re-implementation of Besiroglu et al.'s notebook cell 18: ``scipy.optimize.minimize(
  method="L-BFGS-B")`` with finite-difference gradients and default tolerances from each of the
  5 x 5 x 5 x 6 x 6 = 4500 grid starts, keeping the best successful result;
* a 4000-resample bootstrap (Epoch's seed and resampling) on all cores.

Prints the objectives (ours must be <= theirs * (1 + 1e-9)), the time ratio and the bootstrap
time. Target: one fit < 0.5 s, 4000 refits < 30 s on 2 cores.

Usage::

    python benchmarks/bench_chinchilla.py [--data PATH] [--starts N] [--n-boot B] [--jobs J]

``--starts N`` runs an evenly spaced subset of the grid and extrapolates its time to 4500.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from emergence.fit import bootstrap_chinchilla, chinchilla_objective, fit_chinchilla

DEFAULT_DATA = (Path(__file__).resolve().parents[2] / "shared" / "data" / "fits"
                / "epoch_chinchilla_svg_extracted_data.csv")


def load_epoch(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch's 240 points: drop the 5 highest losses; D = C / (6 N)."""
    frame = pd.read_csv(path)
    n = frame["Model Size"].to_numpy(float)
    d = frame["Training FLOP"].to_numpy(float) / (6 * n)
    loss = frame["loss"].to_numpy(float)
    keep = loss < np.sort(loss)[-5]
    return n[keep], d[keep], loss[keep]


def epoch_objective(params: np.ndarray, logn, logd, logy) -> float:
    """Epoch's ``huber_loss_objective`` (sum of Huber(1e-3) of log-space residuals)."""
    a, b, e, alpha, beta = params
    pred = np.logaddexp(np.logaddexp(a - alpha * logn, b - beta * logd), e)
    diff = logy - pred
    ad = np.abs(diff)
    return float(np.sum(np.where(ad <= 1e-3, 0.5 * diff**2, 1e-3 * (ad - 0.5e-3))))


def epoch_grid_fit(n, d, loss, n_starts: int | None):
    """Notebook cell 18: L-BFGS-B (finite differences, defaults) from every grid start."""
    grid = list(itertools.product(np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5),
                                  np.arange(-1, 1.5, 0.5), np.arange(0, 30, 5),
                                  np.arange(0, 30, 5)))
    if n_starts is not None and n_starts < len(grid):
        grid = [grid[i] for i in np.linspace(0, len(grid) - 1, n_starts).round().astype(int)]
    args = (np.log(n), np.log(d), np.log(loss))
    best_f, best_x = np.inf, None
    for alpha, beta, e, a, b in grid:
        with np.errstate(all="ignore"):
            res = minimize(epoch_objective, [a, b, e, alpha, beta], args=args, method="L-BFGS-B")
        if res.success and res.fun < best_f:
            best_f, best_x = float(res.fun), res.x
    return best_f, best_x, len(grid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--starts", type=int, default=None,
                        help="Grid starts to run (default: all 4500).")
    parser.add_argument("--n-boot", type=int, default=4000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=20, help="Repeats of our single fit.")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"data not found: {args.data}", file=sys.stderr)
        return 2
    n, d, loss = load_epoch(args.data)
    print(f"points: {len(loss)}  cores: {os.cpu_count()}  "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")

    fit_chinchilla(n, d, loss)  # warm-up (imports, caches)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ours = fit_chinchilla(n, d, loss)
        times.append(time.perf_counter() - t0)
    t_ours = float(np.median(times))
    print(f"ours:  objective {ours.objective:.13e}  converged {ours.converged}  "
          f"iterations {ours.diagnostics.iterations}  time {t_ours * 1e3:.1f} ms "
          f"(median of {args.repeats})")

    t0 = time.perf_counter()
    f_epoch, x_epoch, n_run = epoch_grid_fit(n, d, loss, args.starts)
    t_epoch = time.perf_counter() - t0
    t_epoch_full = t_epoch * 4500 / n_run
    p_epoch = {"A": np.exp(x_epoch[0]), "B": np.exp(x_epoch[1]), "E": np.exp(x_epoch[2]),
               "alpha": x_epoch[3], "beta": x_epoch[4]}
    check = chinchilla_objective(p_epoch, n, d, loss)
    print(f"epoch: objective {f_epoch:.13e} (recomputed {check:.13e})  starts {n_run}  "
          f"time {t_epoch:.1f} s" + (f" (x{4500 / n_run:.1f} -> {t_epoch_full:.1f} s for 4500)"
                                     if n_run < 4500 else ""))
    rel = (f_epoch - ours.objective) / ours.objective
    same = ours.objective <= f_epoch * (1 + 1e-9)
    print(f"relative objective gap (epoch - ours) / ours: {rel:.3e}  -> ours at least as low "
          f"(1e-9 rel): {same}")
    print("params ours:  " + ", ".join(f"{k}={v:.6g}" for k, v in ours.params.items()))
    print("params epoch: " + ", ".join(f"{k}={p_epoch[k]:.6g}" for k in ours.params))
    print(f"time ratio epoch/ours: {t_epoch_full / t_ours:.0f}x  "
          f"(one fit target < 0.5 s: {'met' if t_ours < 0.5 else 'NOT met'})")

    if args.n_boot:
        t0 = time.perf_counter()
        boot = bootstrap_chinchilla(n, d, loss, n_boot=args.n_boot, seed=42, resampling="epoch",
                                    n_jobs=args.jobs, start=ours.params)
        t_boot = time.perf_counter() - t0
        print(f"bootstrap: {args.n_boot} refits in {t_boot:.1f} s "
              f"({t_boot / args.n_boot * 1e3:.2f} ms/refit wall), failed {boot.n_failed}; "
              f"SE A={boot.se['A']:.2f} B={boot.se['B']:.1f} E={boot.se['E']:.5f} "
              f"alpha={boot.se['alpha']:.5f} beta={boot.se['beta']:.5f}  "
              f"(target 4000 < 30 s: {'met' if t_boot < 30 * args.n_boot / 4000 else 'NOT met'})")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
