"""Published per-model score tables of two emergence studies on BIG-bench tasks.

* ObsScaling (Ruan et al. 2024, ``base_llm_emergent_capability_eval.csv``): one row per model,
  one column per ``<task>_<shots>_<metric>`` (``arithmetic_2da_2_acc``). When the study's model
  table (columns ``Model``, ``Model Family``, ``Model Size (B)``; ``base_llm_benchmark_eval.csv``)
  sits in the same folder, it supplies family and size (kind left unset: the study gives rounded
  model-card sizes). That table read on its own holds no scores (empty tables); pass it to
  ``--sizes`` instead.
* UKP on-emergence (Lu et al. 2024, ``evaluation_scores.csv``): one row per run (seed); runs of
  the same model, task, prompt type and shot count are averaged (``stderr`` over seeds). The
  prompt type (``closed``, ``closed-adv``, ``open``) becomes ``subtask``; ``-100`` and empty
  cells mean "not computed" and are dropped; any other non-number is an error.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, locate
from .framework_common import family_from_name, head, make_tables, read_text
from .native import check_field_counts, check_last_row
from .sizes_registry import read_sizes
from .tables import Tables

NAME = "study-csv"
DESCRIPTION = (
    "Emergence-study score tables: ObsScaling wide CSV (Model, <task>_<shots>_<metric>) and "
    "model table; UKP on-emergence evaluation_scores.csv (one row per run)"
)

_WIDE_COL = re.compile(r"^(?P<task>.+?)_(?P<shots>\d+)_(?P<metric>[A-Za-z][A-Za-z_]*)$")
_UKP_COLS = {"run_id", "filename", "model", "prompt_type", "number_of_shots"}
_UKP_META = {
    "run_id",
    "filename",
    "number_of_data",
    "model",
    "prompt_type",
    "number_of_shots",
    "temperature",
    "max_new_tokens",
    "batch_size",
    "pad_token",
    "pad_token_id",
    "eos_token_id",
    "seed",
    "device",
}
_META_COLS = {"Model", "Model Family", "Model Size (B)"}


def _header(path: Path) -> list[str]:
    """The column names of the first row, read as CSV (quoted names too, as pandas reads)."""
    try:
        first = next(csv.reader(io.StringIO(head(path, 4096), newline="")), [])
    except csv.Error:
        return []
    return [c.strip() for c in first]


def _kind(path: Path) -> str | None:
    if path.is_dir() or path.suffix.lower() != ".csv":
        return None
    cols = _header(path)
    if _UKP_COLS <= set(cols):
        return "ukp"
    if _META_COLS <= set(cols):
        return "meta"
    if cols and cols[0] == "Model" and len(cols) > 1 and all(_WIDE_COL.match(c) for c in cols[1:]):
        return "wide"
    return None


def sniff(path: Path) -> bool:
    """True for an ObsScaling wide score table or model table, or a UKP run table."""
    return _kind(path) is not None


def read(path: Path) -> Tables:
    """Read one of the study tables into scores.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.

    Returns
    -------
    Tables
        Unvalidated scores (empty for the ObsScaling model table).

    Raises
    ------
    InputError
        For a CSV that is none of the study tables (a forced ``--input-format study-csv``) and
        for a cell that is not what its column needs (file, line, column and what was expected).
    """
    path = Path(path)
    kind = _kind(path)
    if kind is None:
        raise InputError(
            f"{locate(path.name, 1)}: expected the header of a study table (ObsScaling "
            f"'Model,<task>_<shots>_<metric>,...', its model table 'Model,Model Family,Model "
            f"Size (B)' or UKP 'run_id,filename,model,prompt_type,number_of_shots,...'), got "
            f"{','.join(_header(path))[:60]!r}"
        )
    if kind == "meta":
        return Tables(sources=(str(path),))
    frame = _read_csv(path)
    if kind == "ukp":
        return Tables(scores=_read_ukp(frame, path.name), sources=(str(path),))
    return make_tables([], _read_wide(frame, path), (str(path),))


def _read_csv(path: Path) -> pd.DataFrame:
    text = read_text(path, "a CSV table")
    # a row longer than the header: pandas would shift the first row's values into an index,
    # or stop with its own message at a later one
    check_field_counts(path, text, len(next(csv.reader(io.StringIO(text, newline="")), [])))
    try:
        frame = pd.read_csv(io.StringIO(text), index_col=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{locate(path.name)}: expected a CSV table, got {err}") from None
    if not _ends_with_newline(path):  # perhaps cut short: pandas reads a cut row as whole
        check_last_row(path, text, len(frame.columns))
    return frame


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return True
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


def _numbers(frame: pd.DataFrame, column: str, source: str, what: str = "a number") -> pd.Series:
    """A column as floats (empty cells NaN); any other non-number is an error naming its line."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{locate(source, i + 2, column)}: expected {what}, got {str(raw.iat[i])[:40]!r}"
        )
    return values.astype(float)


def _study_models(folder: Path) -> dict[str, tuple[str, float]]:
    """Family and size per model from the study's model table beside the scores: the sizes
    read as ``--sizes`` reads them (a model given twice with two sizes, or a size that is not
    a positive count, is an error naming the model table's line), the family from every row
    (from the name where the row gives none)."""
    for table in sorted(folder.glob("*.csv")):
        if _kind(table) == "meta":
            sizes = read_sizes(table)
            # every row gives its family, also one whose size is empty (read_sizes skips it)
            meta = _read_csv(table)
            out = {}
            for model, family in zip(meta["Model"], meta["Model Family"], strict=True):
                if pd.isna(model) or not str(model).strip():
                    continue
                name = str(model).strip()
                size = sizes.get(name)
                given = str(family).strip() if pd.notna(family) else ""
                out[name] = (given or family_from_name(name),
                             size.params if size else math.nan)  # fmt: skip
            return out
    return {}


def _read_wide(frame: pd.DataFrame, path: Path) -> list[dict]:
    models = _study_models(path.parent)
    name = frame.columns[0]
    missing = frame[name].isna().to_numpy()
    if missing.any():
        line = int(np.flatnonzero(missing)[0]) + 2
        raise InputError(f"{locate(path.name, line, name)}: expected a model name, got nothing")
    cols = [(c, _WIDE_COL.match(c), _numbers(frame, c, path.name)) for c in frame.columns[1:]]
    rows = []
    for i, model in enumerate(frame[name].astype(str)):
        family, params = models.get(model, (family_from_name(model), math.nan))
        for col, match, values in cols:
            value = values.iat[i]
            if math.isnan(value):
                continue  # not evaluated
            rows.append(
                {
                    "family": family,
                    "model": model,
                    "params": params,
                    "params_kind": None,
                    "task": match["task"],
                    "subtask": None,
                    "n_shots": int(match["shots"]),
                    "metric": match["metric"],
                    "value": value,
                    "source": f"{NAME}:{path.name}",
                    "_source": path.name,
                    "_record": f"{i + 2}:{col}",
                }
            )
    return rows


def _shots(frame: pd.DataFrame, source: str) -> pd.Series:
    shots = _numbers(frame, "number_of_shots", source, "a number of shots (integer >= 0)")
    bad = ~(shots >= 0) | (shots != np.floor(shots))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{locate(source, i + 2, 'number_of_shots')}: expected a number of shots (integer "
            f">= 0), got {str(frame['number_of_shots'].iat[i])[:40]!r}"
        )
    return shots.astype(int)


def _read_ukp(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    metrics = [c for c in frame.columns if c not in _UKP_META]
    task = frame["filename"].astype(str).str.replace(r"/?task\.json$", "", regex=True)
    base = pd.DataFrame(
        {
            "model": frame["model"].astype(str),
            "task": task.str.partition("/")[0],
            "sub": task.str.partition("/")[2],
            "prompt": frame["prompt_type"].astype(str),
            "n_shots": _shots(frame, source),
            "n_items": _numbers(frame, "number_of_data", source, "a number of items")
            if "number_of_data" in frame
            else math.nan,
            "line": np.arange(len(frame)) + 2,
        }
    )
    # empty cells and -100 mean "not computed"; any other non-number is an error
    values = pd.DataFrame({m: _numbers(frame, m, source) for m in metrics}, index=frame.index)
    long = base.join(values).melt(id_vars=list(base.columns), value_vars=metrics, var_name="metric")
    long = long[np.isfinite(long["value"]) & (long["value"] != -100)]
    keys = ["model", "task", "sub", "prompt", "n_shots", "metric"]
    agg = (
        long.groupby(keys, sort=True)
        .agg(
            value=("value", "mean"),
            sd=("value", "std"),
            n=("value", "size"),
            n_items=("n_items", "first"),
            line=("line", "first"),
        )
        .reset_index()
    )
    subtask = np.where(agg["sub"] != "", agg["sub"] + ",", "") + agg["prompt"]
    out = pd.DataFrame(
        {
            "family": agg["model"].map({m: family_from_name(m) for m in agg["model"].unique()}),
            "model": agg["model"],
            "params": math.nan,
            "params_kind": None,
            "task": agg["task"],
            "subtask": subtask,
            "n_shots": agg["n_shots"].astype(int),
            "metric": agg["metric"],
            "value": agg["value"],
            "stderr": agg["sd"] / np.sqrt(agg["n"]),
            "n_items": agg["n_items"].round().astype("Int64"),
            "source": f"ukp-on-emergence:{source}",
            "_source": source,
            "_record": agg["line"],
        }
    )
    return out
