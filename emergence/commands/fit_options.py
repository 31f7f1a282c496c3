"""Click options shared by the ``emergence fit`` subcommands, and their validation callbacks."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from .common import SEED, Integer, Number, OutputFile, Resamples, remember, resamples_help
from .fit_curves import SCALE_RTOL, X_COLUMNS
from .fit_selection import _SELECTORS, NO_VALUE, _remember_selection


def _shots_value(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--n-shots K`` (an integer >= 0) or ``--n-shots none``."""
    if value is not None and value.lower() != NO_VALUE:
        try:
            shots = int(value)
        except ValueError:
            shots = -1
        if shots < 0:
            raise click.BadParameter(f"expected an integer >= 0 or {NO_VALUE}, got {value!r}")
        value = str(shots)
    _remember_selection(ctx, param, value)


def _selector_option(column: str, help_text: str, value_type: Any = str, metavar: str = "NAME",
                     callback: Any = None):  # fmt: skip
    """``--family``/``--split``/... (read by :func:`_one_value`, not passed to the command)."""
    option, _ = _SELECTORS[column]
    return click.option(
        option,
        column,
        type=value_type,
        metavar=metavar,
        default=None,
        expose_value=False,
        callback=callback or _remember_selection,
        help=help_text,
    )


def _family_option(func):
    """``--family`` and ``--split``: one model family, one loss split."""
    func = _selector_option(
        "split", "Loss split to fit, e.g. val (required when the losses hold several)."
    )(func)
    return _selector_option(
        "family", "Model family to fit (required when the data holds several)."
    )(func)


def _finite(param: click.Parameter, value: float, allow_inf: bool = False) -> float:
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise click.BadParameter(f"expected a finite positive number, got {value}")
    return value


_RESAMPLES = Resamples(2)  # one resample has no spread
#: emergence.fit.MAX_BOOTSTRAP, for the help without importing the fit stage (scipy) to show it
BOOTSTRAP_CAP = 100_000


def _check_bootstrap(n_boot: int, seed: int, resampling: str = "rng") -> None:
    """Refuse --bootstrap/--seed values the bootstrap cannot run with, before any fitting."""
    from ..fit.bootstrap import EPOCH_SEED_LIMIT, MAX_BOOTSTRAP

    if n_boot > MAX_BOOTSTRAP:
        raise InputError(
            f"--bootstrap {n_boot}: at most {MAX_BOOTSTRAP} resamples (every draw is kept for "
            "the percentile intervals; far fewer already pin them)"
        )
    if n_boot and resampling == "epoch" and seed >= EPOCH_SEED_LIMIT:
        raise InputError(
            f"--seed {seed}: --resampling epoch takes a seed below 2**32 = {EPOCH_SEED_LIMIT} "
            "(numpy's legacy RandomState, as in Epoch's code); --resampling rng takes any seed"
        )


def _bootstrap_options(func, jobs: bool = True, resampled: str = "over points"):
    """``--bootstrap``, ``--seed`` and (for refits worth spreading over cores) ``--jobs``;
    ``resampled`` says what a resample draws, for the help."""
    if jobs:
        func = click.option(
            "--jobs",
            type=Integer(min=1),
            default=None,
            help="Worker processes for the bootstrap (default: all cores).",
        )(func)
    func = click.option("--seed", type=SEED, default=0, show_default=True, help="Bootstrap seed.")(
        func
    )
    return click.option(
        "--bootstrap",
        "n_boot",
        type=_RESAMPLES,
        default=0,
        show_default=True,
        help=resamples_help(
            f"Bootstrap resamples {resampled} (at most {BOOTSTRAP_CAP}).", _RESAMPLES
        ),
    )(func)


def _bootstrap_options_serial(func):
    """``--bootstrap`` and ``--seed`` for fits whose refits run in one process."""
    return _bootstrap_options(func, jobs=False)


def _isoflop_bootstrap_options(func):
    """``--bootstrap`` and ``--seed`` of ``fit isoflop``: a residual bootstrap within budgets."""
    return _bootstrap_options(
        func,
        jobs=False,
        resampled="of the runs' residuals about their budgets' parabolas, pooled and "
        "redrawn at each run's size",
    )


def _delta_option(func):
    """``--delta``: the Huber threshold on log residuals (``inf``: least squares)."""
    return click.option(
        "--delta",
        type=Number(min=0, min_open=True),
        callback=lambda ctx, param, v: _finite(param, v, allow_inf=True),
        default=1e-3,
        show_default=True,
        help="Huber threshold on log residuals ('inf' for least squares; the JSON then has "
        "\"loss\": \"least_squares\" and \"delta\": null).",
    )(func)


#: What a fit writes with ``-o``: JSON, or its table as text.
FIT_SUFFIXES = (".json", ".txt")


def _fit_suffix(ctx: click.Context, param: click.Parameter, value: Path | None):
    """Refuse an ``-o`` a fit cannot write, before the fit (:func:`.fit_output._emit`)."""
    if value is not None and value.suffix.lower() not in FIT_SUFFIXES:
        raise InputError(f"-o {value}: expected a .json or .txt file for a fit")
    return value


def _format_option(func):
    """``--format table|json`` and ``-o``, worded as :func:`.common.output_options` words them:
    a fit writes ``.json`` or ``.txt`` (its table) only."""
    func = click.option(
        "-o",
        "--output",
        type=OutputFile(),
        default=None,
        callback=_fit_suffix,
        help="Write the result to this file (.json or .txt) instead of stdout.",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Format of the result on stdout. With -o the file's suffix sets the format "
        "(.json: json, .txt: table; a --format that differs is an error).",
    )(func)
    return func


def _positive_scale(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"expected a finite positive number, got {value}")
    remember(ctx, param, value)


def _tolerance_value(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise click.BadParameter(f"expected a finite number >= 0, got {value}")
    remember(ctx, param, value)


def _curve_options(func):
    """``--params``, ``--tokens``, ``--frontier``, ``--budget-tolerance``: which loss runs make
    the curve (read by :func:`_loss_curve`, not passed to the command)."""
    func = click.option(
        "--budget-tolerance",
        type=float,
        metavar="X",
        default=None,  # None: not given, so that it can be refused without --frontier
        expose_value=False,
        callback=_tolerance_value,
        help="With --frontier: largest gap of log10 C between neighbouring runs of one budget, "
        "as in `fit isoflop`.  [default: 0.05; 0<=x<inf]",
    )(func)
    func = click.option(
        "--frontier",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="With --x flops and --y loss: fit the compute-efficient frontier (the lowest loss "
        "of each compute budget, where it beats every smaller budget) instead of every run. "
        "Without it, --x flops requires the runs to form one path of growing N and D.",
    )(func)
    func = click.option(
        "--params",
        type=float,
        metavar="N",
        default=None,
        expose_value=False,
        callback=_positive_scale,
        help=f"With --y loss: fit only the runs of models with N parameters (within a relative "
        f"{SCALE_RTOL:g}). L(D) (--x tokens) is the curve of one model size, so --x tokens "
        "needs --params when several sizes were trained on the same token count.",
    )(func)
    func = click.option(
        "--tokens",
        type=float,
        metavar="D",
        default=None,
        expose_value=False,
        callback=_positive_scale,
        help=f"With --y loss: fit only the runs trained on D tokens (within a relative "
        f"{SCALE_RTOL:g}). L(N) (--x params) is the curve at one token count, so --x params "
        "needs --tokens when a model size was trained on several token counts.",
    )(func)
    return func


def _xy_options(func):
    """``--x``, ``--y``, ``--task``, ``--subtask``, ``--n-shots`` and the curve options."""
    func = _curve_options(func)
    func = _selector_option(
        "n_shots",
        "Shot count to use when --y is a metric (required when the scores hold several); "
        f"{NO_VALUE}: the rows without one.",
        str,
        "K",
        _shots_value,
    )(func)
    func = _selector_option(
        "subtask", "Subtask to use when --y is a metric (required when the scores hold several); "
        f"{NO_VALUE}: the rows without one (e.g. BIG-bench's task-level score).",
    )(func)
    func = click.option(
        "--task", metavar="NAME", default=None, help="Task to use when --y is a metric."
    )(func)
    func = click.option(
        "--y",
        "y",
        metavar="loss|METRIC|COLUMN",
        default="loss",
        show_default=True,
        help="'loss' (loss table), a metric name from the scores table, or the y column of "
        "a two-column curve CSV.",
    )(func)
    return click.option(
        "--x",
        "x",
        metavar="|".join(X_COLUMNS) + "|COLUMN",
        default="params",
        show_default=True,
        help="Scale variable: params, tokens or flops of a loss table (params only for a scores "
        "table, whose rows carry no tokens or FLOPs), or the x column of a two-column curve "
        "CSV (then --y names its other column).",
    )(func)


# Every example runs on the bundled data from the repository's root (tests/fit/test_fit_help.py
# runs them, in order, in a fresh folder).
FIT_EPILOG = """\b
Examples:
  emergence fit chinchilla benchmarks_data/simulated/losses.csv --family sim-a
  emergence fit power-law benchmarks_data/trained/losses.csv --x params --tokens 3e6 \\
      --no-offset
  emergence fit isoflop benchmarks_data/simulated/losses.csv --family sim-a
  emergence rescore benchmarks_data/trained -o reports/scores.csv && emergence fit bnsl \\
      reports/scores.csv --x params --y token_edit_distance --task mul --family tiny-gpt
  # more in each command's --help, e.g. emergence fit power-law --help
"""

CHINCHILLA_EPILOG = """\b
Examples:
  emergence fit chinchilla benchmarks_data/simulated/losses.csv --family sim-a
  # with 4000 bootstrap resamples, the allocation at 1e24 FLOP, written as JSON
  emergence fit chinchilla benchmarks_data/simulated/losses.csv --family sim-a \\
      --bootstrap 4000 --seed 42 --compute 1e24 -o reports/fit.json
  # Epoch's refit of Chinchilla (Besiroglu et al. 2024), on their svg_extracted_data.csv,
  # with their bootstrap resamples:
  #   emergence fit chinchilla svg_extracted_data.csv --rename "Model Size=params"
  #     --rename "Training FLOP=flops" --drop-highest 5
  #     --bootstrap 4000 --seed 42 --resampling epoch
"""

POWER_LAW_EPILOG = """\b
Examples:
  # Kaplan's L(N) = A N^-alpha of the models trained on 3M tokens
  emergence fit power-law benchmarks_data/trained/losses.csv --x params --tokens 3e6 \\
      --no-offset
  # L(C) = E + A C^-alpha on the compute-efficient frontier of an isoFLOP grid
  emergence fit power-law benchmarks_data/simulated/losses.csv --family sim-a --x flops \\
      --frontier
  # a metric of a scores table, by least squares on log y
  emergence rescore benchmarks_data/trained -o reports/scores.csv && emergence fit power-law \\
      reports/scores.csv --x params --y token_edit_distance --task mul --family tiny-gpt \\
      --delta inf
  # a two-column curve CSV (e.g. read off a figure): name its columns
  #   emergence fit power-law curve.csv --x compute --y error_rate
"""

ISOFLOP_EPILOG = """\b
Examples:
  emergence fit isoflop benchmarks_data/simulated/losses.csv --family sim-a
  # bootstrap SEs of the exponents (residuals of the parabolas resampled), as JSON
  emergence fit isoflop benchmarks_data/simulated/losses.csv --family sim-b \\
      --bootstrap 1000 --seed 1 --format json
"""

BNSL_EPILOG = """\b
Examples:
  emergence rescore benchmarks_data/trained -o reports/scores.csv && emergence fit bnsl \\
      reports/scores.csv --x params --y token_edit_distance --task mul --family tiny-gpt
  # L(N) at 3M tokens: 7 sizes for 6 parameters, so it warns of 1 residual degree of freedom
  emergence fit bnsl benchmarks_data/trained/losses.csv --x params --tokens 3e6
  # a two-column curve CSV: name its columns
  #   emergence fit bnsl curve.csv --x compute --y accuracy
"""
