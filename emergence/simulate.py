"""Simulated model families with known truth: mirages, genuine thresholds and smooth tasks.

The generative models (documented in the README and ``benchmarks_data/README.md``):

``mirage`` (Schaeffer et al. 2023)
    Per-token cross-entropy falls as a smooth power law, ``CE(N) = E + A (N / 1e9)^-alpha``. Item
    ``j`` has difficulty ``d_j ~ N(0, item_sd)`` that scales its cross-entropy, token ``k`` of the
    answer is produced correctly with probability ``p_jk = exp(-CE_jk)``, and its teacher-forced
    log-probability is ``-CE_jk`` plus small noise. Exact match over an ``L``-token answer is then
    about ``p^L``: sharp-looking, although nothing about the model changes abruptly.
``threshold``
    The per-token probability itself jumps: ``CE(N)`` follows a logistic step in ``log10 N`` from
    ``ce_high`` to ``ce_low`` centred at ``log10 N*`` with scale ``width`` (0.04-0.08; ``width``
    is the logistic's scale s, so the 10-90 % rise spans 2 ln 9 s = 0.18-0.35 decades), so the
    continuous metric breaks too.
``smooth``
    Single-token answers whose cross-entropy follows the same logistic in ``log10 N`` as a
    threshold but with s = 1-1.5 (a 10-90 % rise 4.4-6.6 decades wide, wider than the scale
    range), so accuracy climbs gradually, nearly linearly in log N, and neither metric shows a
    jump.

:func:`simulate_task` can also widen these classes for calibration studies (``ranges``: other
parameter ranges, e.g. narrower smooth logistics with multi-token answers or power laws with a
large floor; ``model_sd``: between-model noise, each model's cross-entropy multiplied by
``exp(N(0, model_sd))``). :func:`simulate` never uses them, so its output is unchanged.

Every family has its own unevenly spaced scales; a ``losses`` grid follows the Chinchilla form
``L(N, D) = E + A / N^alpha + B / D^beta`` with known constants and 1 % log-normal noise.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import InputError
from .output import atomic_write_many, check_writable, parquet_bytes

CLASSES = ("mirage", "threshold", "smooth")
LOSS_TRUTH = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
_DIGITS = np.array(list("0123456789"))


@dataclass(frozen=True)
class TaskTruth:
    """What is true of one simulated task (one row of ``truth.csv``)."""

    family: str
    task: str
    true_class: str
    n_scales: int
    n_items: int
    answer_len_min: int
    answer_len_max: int
    ce_E: float
    ce_A: float
    ce_alpha: float
    center_params: float
    width_decades: float
    ce_high: float
    ce_low: float
    item_sd: float


def _per_token_ce(truth: TaskTruth, params: np.ndarray) -> np.ndarray:
    """Mean per-token cross-entropy (nats) at each scale under the task's generative model."""
    x = np.log10(params)
    if truth.true_class == "mirage":
        return truth.ce_E + truth.ce_A * (params / 1e9) ** (-truth.ce_alpha)
    step = 1.0 / (1.0 + np.exp(-(x - np.log10(truth.center_params)) / truth.width_decades))
    ce = truth.ce_high + (truth.ce_low - truth.ce_high) * step
    if truth.true_class == "threshold" and np.isfinite(truth.ce_alpha):
        # a jump on top of a smooth power-law trend (ranges "alpha"): CE (N / 1e9)^-alpha
        ce = ce * (params / 1e9) ** (-truth.ce_alpha)
    return ce


def _scales(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unevenly spaced sizes between about 10M and 100B parameters.

    Evenly spaced in log10 N, each point jittered by up to 35 % of the spacing, so no two scales
    coincide and no gap is more than about twice the typical spacing.
    """
    lo, hi = 7.0 + rng.uniform(0, 0.5), 11.0 - rng.uniform(0, 0.5)
    x = np.linspace(lo, hi, n)
    step = (hi - lo) / (n - 1)
    x[1:-1] += rng.uniform(-0.35, 0.35, size=n - 2) * step
    return np.round(10.0**x, -3)


RANGE_KEYS = ("width", "ce_high", "ce_low", "E", "A", "alpha", "center_pos")
# A widened calibration panel (review of the detect stage): smooth curves that are not
# polynomials. name -> (class, answer lengths, ranges, model_sd) for :func:`simulate_tasks`.
# None is a threshold; with multi-token answers p^L sharpens exact match (a mirage).
STRESS_SHAPES: dict[str, tuple] = {
    "logistic 1.3-2.2 dec": ("smooth", (3, 10), {"width": (0.3, 0.5), "ce_high": (1.2, 2.0)}, 0.0),
    "logistic 1.3-2.2 dec, noise": (
        "smooth", (3, 10), {"width": (0.3, 0.5), "ce_high": (1.2, 2.0)}, 0.03),
    "logistic 2.6-4.4 dec": ("smooth", (3, 10), {"width": (0.6, 1.0), "ce_high": (1.2, 2.0)}, 0.0),
    "project smooth, 3-10 tokens, noise": ("smooth", (3, 10), {}, 0.03),
    "power law, floor 0.2-0.4": ("mirage", (5, 15), {"E": (0.2, 0.4), "A": (0.8, 1.5)}, 0.0),
    "power law, noise": ("mirage", None, {}, 0.03),
}  # fmt: skip


def _task_truth(
    rng: np.random.Generator,
    family: str,
    task: str,
    cls: str,
    params: np.ndarray,
    n_items: int,
    answer_len: tuple[int, int] | None = None,
    ranges: dict | None = None,
) -> TaskTruth:
    x = np.sort(np.log10(params))
    nan = float("nan")
    r = dict(ranges or {})
    if not set(r) <= set(RANGE_KEYS):
        raise ValueError(f"ranges keys must be in {RANGE_KEYS}, got {sorted(r)}")

    def draw(key, lo, hi):
        lo, hi = r.get(key, (lo, hi))
        return float(rng.uniform(lo, hi))

    if cls == "smooth" and answer_len is not None and ranges is not None:
        len_min, len_max = int(answer_len[0]), int(answer_len[1])
    elif cls == "smooth":
        len_min = len_max = 1
    elif answer_len is not None:
        len_min, len_max = int(answer_len[0]), int(answer_len[1])
    else:
        len_min = int(rng.integers(1, 6))
        len_max = int(rng.integers(max(len_min, 4), 16))
    mirage = cls == "mirage"
    if cls == "threshold":
        # N* strictly inside the scale range, with at least 2 scales on each side
        inner = x[2:-2] if len(x) >= 6 else x[1:-1]
        if "center_pos" in r:  # anywhere, as a fraction of the log-size range (edges too)
            center = float(x.min() + rng.uniform(*r["center_pos"]) * np.ptp(x))
        else:
            center = float(rng.uniform(inner.min(), inner.max()))
        width = draw("width", 0.04, 0.08)
        ce_high, ce_low = draw("ce_high", 1.2, 2.0), draw("ce_low", 0.02, 0.08)
    elif cls == "smooth":
        center = float(rng.uniform(x.mean() - 0.5, x.mean() + 0.5))
        width = draw("width", 1.0, 1.5)
        ce_high, ce_low = draw("ce_high", 2.0, 3.0), draw("ce_low", 0.05, 0.15)
    else:
        center = width = ce_high = ce_low = nan
    return TaskTruth(
        family=family,
        task=task,
        true_class=cls,
        n_scales=len(params),
        n_items=n_items,
        answer_len_min=len_min,
        answer_len_max=len_max,
        ce_E=draw("E", 0.01, 0.05) if mirage else nan,
        ce_A=draw("A", 0.25, 0.6) if mirage else nan,
        ce_alpha=(
            draw("alpha", 0.3, 0.6)
            if mirage or (cls == "threshold" and "alpha" in r)  # a threshold's trend
            else nan
        ),
        center_params=float(10.0**center) if not mirage else nan,
        width_decades=width,
        ce_high=ce_high,
        ce_low=ce_low,
        item_sd=float(rng.uniform(0.1, 0.3)),
    )


def _arrow_lists(flat: np.ndarray, offsets: np.ndarray) -> pd.Series:
    """An Arrow-backed list column from flat values and row offsets (no per-row Python lists)."""
    arr = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(flat))
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def _simulate_items(
    rng: np.random.Generator,
    truth: TaskTruth,
    models: list[str],
    params: np.ndarray,
    model_sd: float = 0.0,
) -> pd.DataFrame:
    """Items of one task at every scale, vectorised over scales, items and tokens.

    Row order is scale-major (every item of the first model, then the next model).
    ``model_sd > 0`` multiplies each model's cross-entropy by exp(N(0, model_sd)), drawn last
    so that ``model_sd = 0`` leaves every other draw unchanged.
    """
    n_items, n_scales = truth.n_items, len(params)
    lengths = rng.integers(truth.answer_len_min, truth.answer_len_max + 1, size=n_items)
    difficulty = np.exp(rng.normal(0.0, truth.item_sd, size=n_items))
    n_tok = int(lengths.sum())
    token_item = np.repeat(np.arange(n_items), lengths)
    target = rng.integers(0, 10, size=n_tok)
    ce_scale = _per_token_ce(truth, params)
    if model_sd > 0:
        ce_scale = ce_scale * np.exp(rng.normal(0.0, model_sd, size=n_scales))
    # per-token cross-entropy: scale level x item difficulty x token jitter
    ce = (
        ce_scale[:, None]
        * difficulty[token_item][None, :]
        * np.exp(rng.normal(0.0, 0.1, size=(n_scales, n_tok)))
    )
    right = rng.random((n_scales, n_tok)) < np.exp(-ce)
    wrong = (target[None, :] + rng.integers(1, 10, size=(n_scales, n_tok))) % 10
    output = np.where(right, target[None, :], wrong)

    item_off = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(lengths, out=item_off[1:])
    # every row (scale s, item j) is a slice of the flattened (scale-major) token arrays
    row_off = (np.arange(n_scales)[:, None] * n_tok + item_off[None, :-1]).ravel()
    offsets = np.append(row_off, n_scales * n_tok)
    target_buf = (target + 48).astype(np.uint8).tobytes().decode("ascii")
    target_str = [target_buf[a:b] for a, b in zip(item_off[:-1], item_off[1:], strict=True)]
    out_buf = (output.ravel() + 48).astype(np.uint8).tobytes().decode("ascii")
    out_str = [out_buf[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    item_ids = [f"{truth.task}-{j:04d}" for j in range(n_items)]
    return pd.DataFrame(
        {
            "family": truth.family,
            "model": np.repeat(np.asarray(models, dtype=object), n_items),
            "params": np.repeat(params.astype(float), n_items),
            "task": truth.task,
            "item": item_ids * n_scales,
            "target": target_str * n_scales,
            "output": out_str,
            "target_tokens": _arrow_lists(_DIGITS[np.tile(target, n_scales)], offsets),
            "output_tokens": _arrow_lists(_DIGITS[output.ravel()], offsets),
            "target_logprobs": _arrow_lists(np.round(-ce.ravel(), 4), offsets),
        }
    )


def _simulate_losses(rng: np.random.Generator, family: str) -> list[dict]:
    t = LOSS_TRUTH
    rows = []
    for c in np.logspace(18, 22, 5):
        for n in np.logspace(np.log10(c) / 2 - 2.6, np.log10(c) / 2 - 0.6, 7):
            n = float(np.round(n, -3))
            d = float(c / (6 * n))
            loss = t["E"] + t["A"] / n ** t["alpha"] + t["B"] / d ** t["beta"]
            loss *= float(np.exp(rng.normal(0.0, 0.01)))
            rows.append(
                {
                    "family": family,
                    "model": f"{family}-{n:.3g}-{d:.3g}",
                    "params": n,
                    "tokens": round(d),
                    "loss": round(loss, 6),
                }
            )
    return rows


@dataclass(frozen=True)
class Simulation:
    """Simulated tables and the truth behind them."""

    items: pd.DataFrame
    losses: pd.DataFrame
    truth: pd.DataFrame


def simulate(
    seed: int = 0,
    n_families: int = 3,
    tasks_per_class: int = 2,
    scales: tuple[int, int] = (5, 15),
    items: tuple[int, int] = (50, 500),
) -> Simulation:
    """Simulate model families on mirage, threshold and smooth tasks.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same tables.
    n_families : int
        Number of model families.
    tasks_per_class : int
        Tasks of each class (mirage, threshold, smooth) per family.
    scales : (int, int)
        Inclusive range of the number of model sizes per family (at least 5).
    items : (int, int)
        Inclusive range of the number of items per task.

    Returns
    -------
    Simulation
        ``items`` (native items table with token lists and teacher-forced log-probs),
        ``losses`` (a Chinchilla-style grid) and ``truth`` (one row per task, see
        :class:`TaskTruth`).
    """
    rng = np.random.default_rng(seed)
    item_frames: list[pd.DataFrame] = []
    loss_rows: list[dict] = []
    truths: list[TaskTruth] = []
    for f in range(n_families):
        family = f"sim-{chr(ord('a') + f)}"
        n_scales = int(rng.integers(scales[0], scales[1] + 1))
        params = _scales(rng, n_scales)
        models = [f"{family}-{p / 1e6:.0f}m" for p in params]
        for cls in CLASSES:
            for k in range(tasks_per_class):
                task = f"{cls}_{k + 1}"
                n_items = int(rng.integers(items[0], items[1] + 1))
                truth = _task_truth(rng, family, task, cls, params, n_items)
                truths.append(truth)
                item_frames.append(_simulate_items(rng, truth, models, params))
        loss_rows.extend(_simulate_losses(rng, family))
    return Simulation(
        items=pd.concat(item_frames, ignore_index=True),
        losses=pd.DataFrame(loss_rows),
        truth=pd.DataFrame([asdict(t) for t in truths]),
    )


def simulate_task(
    cls: str,
    n_scales: int,
    n_items: int,
    seed: int | np.random.Generator = 0,
    *,
    family: str = "sim",
    task: str | None = None,
    answer_len: tuple[int, int] | None = None,
    ranges: dict | None = None,
    model_sd: float = 0.0,
) -> Simulation:
    """Simulate one task of a chosen class on its own family of unevenly spaced scales.

    The generative model is the one :func:`simulate` uses; this entry point fixes the class,
    the number of scales and items and (for mirage and threshold tasks) the answer lengths,
    which is what calibration studies need.

    Parameters
    ----------
    cls : {"mirage", "threshold", "smooth"}
        True class.
    n_scales : int
        Model sizes in the family (at least 5).
    n_items : int
        Items in the task (the same items at every scale).
    seed : int or numpy.random.Generator
        Seed, or a generator to draw from.
    family, task : str
        Names used in the items table (``task`` defaults to ``cls``).
    answer_len : (int, int), optional
        Inclusive range of answer lengths in tokens; default random as in :func:`simulate`
        (1-15). Smooth tasks have single-token answers unless ``ranges`` is also given.
    ranges : dict, optional
        Uniform ranges ``(lo, hi)`` replacing the class defaults, keys in :data:`RANGE_KEYS`:
        ``width`` (logistic scale s in decades, 10-90 % width 4.39 s; threshold 0.04-0.08,
        smooth 1.0-1.5),
        ``ce_high``, ``ce_low`` (logistic end points), ``E``, ``A``, ``alpha`` (mirage power
        law; for a threshold ``alpha`` puts its jump on a smooth trend, CE times
        (N / 1e9)^-alpha), ``center_pos`` (threshold: where the centre lies, as a fraction of
        the log-size range, e.g. ``(0, 1)`` anywhere including the edge gaps; default between
        the third scale and the third from last). A widened calibration panel, not the
        project's classes.
    model_sd : float, default 0
        Between-model noise: each model's cross-entropy is multiplied by exp(N(0, model_sd)).

    Returns
    -------
    Simulation
        ``items`` and a one-row ``truth``; ``losses`` is empty.
    """
    if cls not in CLASSES:
        raise ValueError(f"cls must be one of {CLASSES}, got {cls!r}")
    if n_scales < 5 or n_items < 1:
        raise ValueError("need at least 5 scales and 1 item")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    params = _scales(rng, n_scales)
    models = [f"{family}-{p / 1e6:.0f}m" for p in params]
    truth = _task_truth(rng, family, task or cls, cls, params, n_items, answer_len, ranges)
    items = _simulate_items(rng, truth, models, params, model_sd)
    frame = pd.DataFrame([asdict(truth)])
    if ranges is not None or model_sd > 0:
        frame["model_sd"] = float(model_sd)
    return Simulation(items=items, losses=pd.DataFrame(), truth=frame)


def simulate_tasks(specs: list[tuple], seed: int = 0) -> Simulation:
    """Simulate many single-task families (:func:`simulate_task`) into one items table.

    Parameters
    ----------
    specs : list of tuples
        ``(cls, n_scales, n_items)`` followed by up to three of ``answer_len``, ``ranges``,
        ``model_sd`` in that order, per task (see
        :func:`simulate_task`); task ``k`` is family ``cal-<k>``.
    seed : int
        One generator drives every task in order, so the tables depend on the seed only.

    Returns
    -------
    Simulation
    """
    rng = np.random.default_rng(seed)
    items, truths = [], []
    for k, spec in enumerate(specs):
        cls, n_scales, n_items, *rest = spec
        if len(rest) > 3:
            raise ValueError(f"spec {k} has {len(spec)} fields; at most 6 are allowed")
        rest = [*rest, *(None, None, 0.0)[len(rest) :]]  # answer_len, ranges, model_sd
        sim = simulate_task(
            cls, int(n_scales), int(n_items), rng, family=f"cal-{k:05d}", task=cls,
            answer_len=rest[0], ranges=rest[1], model_sd=float(rest[2]),
        )  # fmt: skip
        items.append(sim.items)
        truths.append(sim.truth)
    return Simulation(
        items=pd.concat(items, ignore_index=True),
        losses=pd.DataFrame(),
        truth=pd.concat(truths, ignore_index=True).assign(
            model_sd=lambda t: t["model_sd"].fillna(0.0) if "model_sd" in t else 0.0
        ),
    )


SIMULATION_FILES = ("items.jsonl", "items.parquet", "losses.csv", "truth.csv")


def _render_simulation(sim: Simulation, items_format: str) -> dict[str, bytes]:
    """The bytes of every file :func:`write_simulation` writes, by file name."""
    if items_format == "parquet":
        items = parquet_bytes(sim.items)
    elif items_format == "jsonl":
        items = "".join(
            json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
            for rec in sim.items.to_dict(orient="records")
        ).encode("utf-8")
    else:
        raise ValueError(f"items_format must be 'jsonl' or 'parquet', got {items_format!r}")
    return {
        f"items.{items_format}": items,
        "losses.csv": sim.losses.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        "truth.csv": sim.truth.to_csv(index=False, lineterminator="\n").encode("utf-8"),
    }


def check_simulation_dir(
    out_dir: str | Path, items_format: str = "jsonl", *, force: bool = False
) -> list[str]:
    """Refuse an ``out_dir`` that :func:`write_simulation` could not fill completely.

    Called before simulating, so a bad folder is reported at once.

    Parameters
    ----------
    out_dir : path-like
        Destination folder.
    items_format : {"jsonl", "parquet"}
        Format of the items table.
    force : bool
        Whether files of :data:`SIMULATION_FILES` already there may be replaced.

    Returns
    -------
    list of str
        The names of :data:`SIMULATION_FILES` already in ``out_dir``.

    Raises
    ------
    emergence.errors.InputError
        When ``out_dir`` already holds one of those files and ``force`` is false, or one of
        them is a folder.
    OSError
        When a destination cannot be written (named in the error).
    """
    out = Path(out_dir)
    present = [name for name in SIMULATION_FILES if os.path.lexists(out / name)]
    if present and not force:
        raise InputError(
            f"{out}: already holds {', '.join(present)}; simulate would replace or remove "
            "them: choose an empty folder, or pass --force to replace them"
        )
    for name in present:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            raise InputError(f"{path}: is a folder; simulate writes a file of that name")
    for name in (f"items.{items_format}", "losses.csv", "truth.csv"):
        check_writable(out / name)
    return present


def write_simulation(
    sim: Simulation, out_dir: str | Path, items_format: str = "jsonl", *, force: bool = False
) -> list[Path]:
    """Write the items table, ``losses.csv`` and ``truth.csv`` into ``out_dir`` (atomically).

    Parameters
    ----------
    sim : Simulation
        What :func:`simulate` returned.
    out_dir : path-like
        Destination folder (created). Files other than those named in
        :data:`SIMULATION_FILES` are never touched.
    items_format : {"jsonl", "parquet"}
        ``items.jsonl`` (readable) or ``items.parquet`` (about a tenth of the size).
    force : bool
        Replace the files of :data:`SIMULATION_FILES` already in ``out_dir`` (and remove the
        items table of the other format, which would otherwise be read as a second copy).
        Without it, any of them already there is an error and nothing is written.

    Returns
    -------
    list of pathlib.Path
        The files written; byte-identical for the same simulation.

    Raises
    ------
    emergence.errors.InputError
        When ``out_dir`` already holds one of those files and ``force`` is false.
    """
    files = _render_simulation(sim, items_format)  # everything rendered before anything is written
    out = Path(out_dir)
    present = check_simulation_dir(out, items_format, force=force)
    # every file is checked, then written beside its destination, then renamed into place:
    # one that cannot be written leaves the folder as it was
    written = atomic_write_many({out / name: data for name, data in files.items()})
    # a previous run in the other format would leave a second, duplicate items table behind
    for stale in present:
        if stale.startswith("items.") and stale not in files:
            (out / stale).unlink(missing_ok=True)
    return written
