"""Source formats and the dispatcher that reads files and folders into :class:`Tables`.

A source format is a module exposing ``NAME``, ``DESCRIPTION``, ``sniff(path) -> bool`` and
``read(path) -> Tables`` (unvalidated tables; the dispatcher validates them). Folder-level formats
(a HELM run folder, an lm-eval output folder) sniff the folder and claim it whole.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import progress
from ..schema import TABLES
from . import native
from .sizes_registry import apply_sizes
from .tables import Tables, concat_tables
from .validate import validate

# Detection order matters: the first module whose sniff() accepts a path reads it.
FORMAT_MODULES: list[str] = [
    "emergence.load.inspect_ai",
    "emergence.load.helm",
    "emergence.load.bigbench",
    "emergence.load.lm_eval",
    "emergence.load.study_tables",
]


def format_modules() -> list[ModuleType]:
    """The registered source-format modules, native first, in detection order."""
    return [native] + [importlib.import_module(name) for name in FORMAT_MODULES]


def get_format(name: str) -> ModuleType:
    """The format module called ``name``."""
    for module in format_modules():
        if module.NAME == name:
            return module
    names = ", ".join(m.NAME for m in format_modules())
    raise InputError(f"unknown format {name!r}; expected one of {names}")


def _validated(tables: Tables, source: str, allow_missing_params: bool) -> Tables:
    clean = {}
    for name in TABLES:
        frame = tables[name]
        clean[name] = (
            frame
            if frame.empty
            else validate(frame, name, source, allow_missing_params=allow_missing_params)
        )
    return Tables(sources=tables.sources or (source,), **clean)


def _read_one(path: Path, module: ModuleType, rename, allow_missing_params: bool) -> Tables:
    if module is native:
        return native.read(path, rename, allow_missing_params=allow_missing_params)
    return _validated(module.read(path), path.name, allow_missing_params)


def _sniff(module: ModuleType, path: Path, rename) -> bool:
    try:
        return bool(native.sniff(path, rename) if module is native else module.sniff(path))
    except (OSError, ValueError):
        return False


def _walk(
    path: Path, modules: list[ModuleType], rename, explicit: bool
) -> Iterable[tuple[Path, ModuleType]]:
    if path.is_dir():
        for module in modules:
            if _sniff(module, path, rename) and module is not native:
                yield path, module
                return
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            if child.name.startswith("."):
                continue
            yield from _walk(child, modules, rename, explicit=False)
        return
    if explicit and len(modules) == 1:
        yield path, modules[0]  # a forced format reads the file and says what is wrong with it
        return
    for module in modules:
        if _sniff(module, path, rename):
            yield path, module
            return
    if explicit and native in modules and path.suffix.lower() in native.SUFFIXES:
        yield path, native  # native.read explains precisely what is wrong with the file
        return
    if explicit:
        names = ", ".join(m.NAME for m in modules)
        raise InputError(
            f"{path}: not a recognised input file; formats tried: {names} (see `emergence formats`)"
        )


def _check_cross_file_duplicates(parts: list[Tables]) -> None:
    for name, spec in TABLES.items():
        frames = [(p.sources[0] if p.sources else "?", p[name]) for p in parts if not p[name].empty]
        if len(frames) < 2:
            continue
        keys = [k for k in spec.key if all(k in f.columns for _, f in frames)]
        if not keys:
            continue
        stacked = pd.concat([f[keys] for _, f in frames], ignore_index=True)
        dup = stacked.duplicated(subset=keys, keep=False).to_numpy()
        if not dup.any():
            continue
        owner = np.repeat(np.arange(len(frames)), [len(f) for _, f in frames])
        rows = np.flatnonzero(dup)
        first_owner = owner[rows[0]]
        clash = [
            r
            for r in rows[1:]
            if owner[r] != first_owner and stacked.iloc[r].equals(stacked.iloc[rows[0]])
        ]
        if clash:
            label = ", ".join(
                f"{k}={stacked[k].iat[rows[0]]}" for k in keys if pd.notna(stacked[k].iat[rows[0]])
            )
            raise InputError(
                f"{frames[owner[clash[0]]][0]}: duplicate {name} row ({label}) also in "
                f"{frames[first_owner][0]}"
            )


def load(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str | None = None,  # noqa: A002 - mirrors the CLI option
    rename: Mapping[str, str] | None = None,
    sizes: str | os.PathLike[str] | Mapping[str, object] | None = None,
    sizes_from_names: bool = False,
    size_kind: str | None = None,
    allow_missing_params: bool = False,
) -> Tables:
    """Read files and folders into the three tidy tables.

    Folders are read recursively (in name order, so results are deterministic); files that no
    format recognises are skipped inside folders and are an error when named explicitly.

    Parameters
    ----------
    paths : path-like or iterable of path-like
        Files and/or folders.
    format : str, optional
        Force one source format (see :func:`format_modules`) instead of detecting it.
    rename : mapping, optional
        Column renames for native files, e.g. ``{"Model Size": "params"}``. When a losses file
        has ``flops`` but no ``tokens``, tokens are derived as ``flops / (6 params)``.
    sizes : path-like or mapping, optional
        Model sizes (CSV or JSON file, or a dict ``model -> params``); they override sizes
        given by the source. See :func:`emergence.load.sizes_registry.read_sizes`.
    sizes_from_names : bool
        Opt in to reading nominal sizes from model names (``pythia-410m``, ``Llama-2-7b``) for
        models that still lack one. Never on by default.
    size_kind : str, optional
        Which size kind to use where a family mixes kinds (``total``, ``non_embedding``, ...).
    allow_missing_params : bool
        Accept models without a size (for summaries). Otherwise a model without a size is an
        error that lists every such model and how to supply sizes.

    Returns
    -------
    Tables
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no input paths given")
    modules = [get_format(format)] if format else format_modules()
    found: list[tuple[Path, ModuleType]] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        found.extend(_walk(path, modules, rename, explicit=True))
    with progress(found, "reading") as bar:
        # sizes may come from a mapping applied after reading, so rows may lack them for now
        parts = [_read_one(p, module, rename, True) for p, module in bar]
    if not parts:
        raise InputError(
            f"{', '.join(map(str, paths))}: no recognised input files found "
            "(see `emergence formats`)"
        )
    _check_cross_file_duplicates(parts)
    return apply_sizes(
        concat_tables(parts),
        sizes,
        from_names=sizes_from_names,
        kind=size_kind,
        require=not allow_missing_params,
    )
