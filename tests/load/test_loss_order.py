"""The same files give the same tables, fits and bytes in whatever order they are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
from click.testing import CliRunner

from emergence.cli import cli
from emergence.load import load

REPO = Path(__file__).resolve().parents[2]


def _split(tmp_path: Path) -> tuple[Path, Path]:
    runs = pd.read_csv(REPO / "benchmarks_data" / "simulated" / "losses.csv")
    runs = runs[runs["family"] == "sim-b"]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    runs.iloc[::2].to_csv(first, index=False)  # interleaved: neither file is in scaling order
    runs.iloc[1::2].iloc[::-1].to_csv(second, index=False)
    return first, second


def test_the_tables_do_not_depend_on_the_order_the_files_are_named_in(tmp_path):
    a, b = _split(tmp_path)
    forward, backward, folder = load([a, b]), load([b, a]), load(tmp_path)
    pdt.assert_frame_equal(forward.losses, backward.losses)
    pdt.assert_frame_equal(forward.losses, folder.losses)
    assert forward.sources == backward.sources == folder.sources
    # within a file the rows keep their order (Epoch's resamples index the rows of its file)
    first = pd.read_csv(a)
    np.testing.assert_array_equal(forward.losses["loss"].to_numpy()[: len(first)], first["loss"])


def test_fits_and_their_intervals_do_not_depend_on_the_order_of_the_files(tmp_path):
    a, b = _split(tmp_path)
    outputs = []
    for paths in ([a, b], [b, a]):
        args = ["-q", "fit", "chinchilla", *map(str, paths), "--bootstrap", "50", "--jobs", "1",
                "--format", "json"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    # before: SE of B 297 in one order and 201 in the other (the resamples follow positions)
    assert outputs[0] == outputs[1]
