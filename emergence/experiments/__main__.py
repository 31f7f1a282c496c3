"""``python -m emergence.experiments OUT_DIR``: train the tiny-gpt family and write its tables."""

from __future__ import annotations

import argparse
import shlex
import sys


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run :func:`emergence.experiments.run.run_experiment`."""
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m emergence.experiments", description=__doc__)
    parser.add_argument("out_dir", help="folder for items.parquet, losses.csv, manifest.json")
    parser.add_argument("--config", default="full", choices=("full", "tiny"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    args = parser.parse_args(args_list)

    from .run import run_experiment  # imports torch

    command = shlex.join(["python", "-m", "emergence.experiments", *args_list])
    for path in run_experiment(
        args.out_dir, args.config, args.seed, args.workers, args.threads, command=command
    ):
        print(path)


if __name__ == "__main__":
    main()
