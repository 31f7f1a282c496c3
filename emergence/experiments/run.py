"""The experiment: a family of sizes on the joint task mixture, plus extra token budgets.

``full`` is the bundled run (``benchmarks_data/trained``); ``tiny`` is a seconds-long smoke
configuration for the test suite. Every model of a configuration is trained independently from
the same seed and the same data stream, so the outputs depend on the seed and the thread count
only, not on how runs are scheduled over worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..output import atomic_write_text, write_frame
from ..workers import worker_pool
from .tasks import TASKS, held_out
from .train import RunResult, RunSpec, train_run

FAMILY = "tiny-gpt"


@dataclass(frozen=True)
class ExperimentConfig:
    """Model shapes, token budgets and evaluation size of one experiment."""

    sizes: tuple[tuple[int, int, int], ...]  # (d_model, n_layer, n_head) per model size
    main_tokens: int  # training tokens of every size in the main family (Pythia-style)
    grid_sizes: tuple[int, ...]  # indices into ``sizes`` that also get the extra budgets
    grid_tokens: tuple[int, ...]  # extra token budgets (losses grid only)
    n_items: int  # held-out items per task
    batch_size: int = 96
    base_lr: float = 3e-3


CONFIGS: dict[str, ExperimentConfig] = {
    "full": ExperimentConfig(
        sizes=((16, 1, 2), (24, 2, 2), (32, 2, 4), (48, 3, 4), (64, 4, 4), (96, 4, 4), (128, 6, 8)),
        main_tokens=3_000_000,
        grid_sizes=(1, 2, 3, 4),
        grid_tokens=(375_000, 750_000, 1_500_000),
        n_items=300,
    ),
    "tiny": ExperimentConfig(
        sizes=((16, 1, 2),),
        main_tokens=3_000,
        grid_sizes=(0,),
        grid_tokens=(1_500,),
        n_items=8,
        batch_size=24,
    ),
}


def _lr(base: float, d_model: int) -> float:
    """Peak learning rate: ``base`` up to width 64, then shrinking like 1/sqrt(width)."""
    return base * min(1.0, (64 / d_model) ** 0.5)


def _label(n: float) -> str:
    return f"{n / 1e6:.3g}M" if n >= 1e6 else f"{n / 1e3:.3g}k"


def run_specs(config: ExperimentConfig, seed: int) -> list[RunSpec]:
    """Every training run of ``config``: the main family first, then the extra budgets."""
    specs = []
    for i, (d, n_layer, n_head) in enumerate(config.sizes):
        budgets = [config.main_tokens]
        if i in config.grid_sizes:
            budgets += list(config.grid_tokens)
        for k, tokens in enumerate(budgets):
            specs.append(
                RunSpec(
                    name=f"d{d}-l{n_layer}-D{_label(tokens)}",
                    d_model=d,
                    n_layer=n_layer,
                    n_head=n_head,
                    tokens=tokens,
                    seed=seed,
                    batch_size=config.batch_size,
                    lr=_lr(config.base_lr, d),
                    evaluate_items=k == 0,
                )
            )
    return specs


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def _execute(spec: RunSpec, n_items: int) -> RunResult:
    heldout = {name: held_out(task, n_items, spec.seed) for name, task in TASKS.items()}
    return train_run(spec, heldout)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def train_all(
    config: ExperimentConfig, seed: int, workers: int = 1, threads: int = 1
) -> list[RunResult]:
    """Train every run of ``config``; results in :func:`run_specs` order.

    Parameters
    ----------
    config : ExperimentConfig
        What to train.
    seed : int
        Seed of model initialisation, training data, validation data and held-out items.
    workers : int
        Worker processes (1 trains in this process).
    threads : int
        Torch threads per worker.

    Returns
    -------
    list of RunResult
    """
    specs = run_specs(config, seed)
    # longest first (cost ~ params x tokens) so two workers finish close together
    cost = [s.tokens * s.d_model**2 * s.n_layer for s in specs]
    order = sorted(range(len(specs)), key=lambda i: -cost[i])
    results: dict[int, RunResult] = {}
    if workers <= 1:
        _init_worker(threads)
        for i in order:
            results[i] = _execute(specs[i], config.n_items)
            _log(f"{specs[i].name}: loss {results[i].val_loss:.4f}, {results[i].seconds:.0f} s")
    else:
        ctx = multiprocessing.get_context("spawn")  # no fork after torch initialised threads
        with worker_pool(workers, _init_worker, (threads,), ctx) as pool:
            futures = {i: pool.submit(_execute, specs[i], config.n_items) for i in order}
            for i in order:
                results[i] = futures[i].result()
                _log(f"{specs[i].name}: loss {results[i].val_loss:.4f}, {results[i].seconds:.0f} s")
    return [results[i] for i in range(len(specs))]


def _model_name(result: RunResult, config: ExperimentConfig) -> str:
    name = f"{FAMILY}-{_label(result.params)}"
    if result.spec.tokens != config.main_tokens:
        name += f"-D{_label(result.spec.tokens)}"
    return name


def tables(results: list[RunResult], config: ExperimentConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The items table (main family) and the losses table (every run)."""
    item_rows, loss_rows = [], []
    for r in results:
        model = _model_name(r, config)
        flops = 6.0 * r.params * r.tokens
        for row in r.items:
            item_rows.append(
                {
                    "family": FAMILY,
                    "model": model,
                    "params": float(r.params),
                    "params_kind": "total",
                    "tokens": float(r.tokens),
                    "flops": flops,
                    **row,
                }
            )
        loss_rows.append(
            {
                "family": FAMILY,
                "model": model,
                "params": r.params,
                "tokens": r.tokens,
                "flops": flops,
                "loss": round(r.val_loss, 6),
                "split": "validation",
                **{f"loss_{t}": round(v, 6) for t, v in sorted(r.val_loss_by_task.items())},
            }
        )
    items = pd.DataFrame(item_rows)
    for col in ("target_tokens", "output_tokens"):
        items[col] = [np.asarray(v, dtype=object) for v in items[col]]
    items["target_logprobs"] = [np.asarray(v, dtype=np.float64) for v in items["target_logprobs"]]
    losses = pd.DataFrame(loss_rows).sort_values(["params", "tokens"], kind="stable")
    return items, losses.reset_index(drop=True)


def _versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
    }


def run_experiment(
    out_dir: str | Path,
    config_name: str = "full",
    seed: int = 0,
    workers: int = 1,
    threads: int = 1,
    command: str | None = None,
) -> list[Path]:
    """Train the family, evaluate it and write ``items.parquet``, ``losses.csv``, ``manifest.json``.

    Parameters
    ----------
    out_dir : path-like
        Destination folder (created); files are written atomically.
    config_name : {"full", "tiny"}
        Entry of :data:`CONFIGS`.
    seed : int
        Seed of everything random.
    workers, threads : int
        Worker processes and torch threads per worker (see :func:`train_all`).
    command : str, optional
        The command line to record in the manifest.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    config = CONFIGS[config_name]
    start = time.perf_counter()
    results = train_all(config, seed, workers, threads)
    wall = time.perf_counter() - start
    items, losses = tables(results, config)
    out = Path(out_dir)
    manifest = {
        "config": config_name,
        "seed": seed,
        "workers": workers,
        "threads_per_worker": threads,
        "command": command,
        "wall_seconds": round(wall, 1),
        "versions": _versions(),
        "experiment": asdict(config),
        "runs": [
            {
                **asdict(replace(r.spec)),
                "model": _model_name(r, config),
                "params": r.params,
                "tokens_seen": r.tokens,
                "steps": r.steps,
                "val_loss": round(r.val_loss, 6),
                "seconds": round(r.seconds, 1),
            }
            for r in results
        ],
    }
    return [
        write_frame(items, out / "items.parquet"),
        write_frame(losses, out / "losses.csv"),
        atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2) + "\n"),
    ]
