"""Data flows one way, load -> metrics -> fit -> detect -> report: no stage imports a later one,
not even lazily inside a function (a stage may import the earlier ones)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import emergence
import emergence.metrics

ROOT = Path(emergence.__file__).resolve().parent
PACKAGE = "emergence.metrics"
STAGES = ("load", "metrics", "fit", "detect", "report")
# what drives the stages (analysis, cli, commands) sits above them all
DRIVERS = ("emergence.analysis", "emergence.cli", "emergence.commands")


def imported_modules(source: str, package: str = PACKAGE) -> set[str]:
    """Absolute names of every module ``source`` (a module of ``package``) imports, anywhere.

    ``from X import name`` counts as importing both ``X`` and ``X.name`` (``name`` may be a
    submodule, as in ``from .. import fit``); ``importlib.import_module("...")`` and
    ``__import__("...")`` with a literal name count too.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0]
            if name in ("import_module", "__import__") and isinstance(arg, ast.Constant):
                found.add(str(arg.value))
    return found


def _is_within(module: str, stage: str) -> bool:
    return module == stage or module.startswith(stage + ".")


def test_the_checker_sees_every_form_of_import():
    src = """
import emergence.fit.power_law
from emergence.detect import detect

def lazy():
    from ..fit import fit_power_law
    from .. import report
    import importlib
    importlib.import_module("emergence.fit.optimize")

from .aggregate import aggregate
from ..errors import InputError
"""
    found = imported_modules(src)
    for module in ("emergence.fit.power_law", "emergence.detect", "emergence.fit",
                   "emergence.report", "emergence.fit.optimize"):  # fmt: skip
        assert module in found
    assert {"emergence.metrics.aggregate", "emergence.errors"} <= found
    assert not any(_is_within(m, "emergence.fit") for m in imported_modules(
        "from .fields import ItemFields\nfrom ..fitness import x\nimport emergence.fitted\n"
    ))  # fmt: skip


def _stage_modules():
    for i, stage in enumerate(STAGES[:-1]):
        later = tuple(f"emergence.{s}" for s in STAGES[i + 1:]) + DRIVERS
        for path in sorted((ROOT / stage).rglob("*.py")):
            yield pytest.param(stage, later, path, id=f"{stage}/{path.name}")


@pytest.mark.parametrize(("stage", "later", "path"), list(_stage_modules()))
def test_no_stage_imports_a_later_one(stage: str, later: tuple[str, ...], path: Path):
    rel = path.relative_to(ROOT / stage).with_suffix("")
    package = ".".join(["emergence", stage, *rel.parts[:-1]])
    found = imported_modules(path.read_text(encoding="utf-8"), package)
    bad = sorted(m for m in found for stage_ in later if _is_within(m, stage_))
    assert not bad, f"{path.name} imports {bad}: the {stage} stage must not depend on them"


def test_every_stage_is_checked():
    assert all((ROOT / s).is_dir() for s in STAGES)
    assert len(list(_stage_modules())) > 40


def test_the_mirage_model_left_its_fit_to_the_fit_stage():
    import emergence.fit as fit_stage

    for name in ("fit_power_law", "PowerLawFit", "MirageResult"):
        assert not hasattr(emergence.metrics, name)
    assert {"fit_ce_power_law", "fit_mirage", "PowerLawFit", "MirageFit"} <= set(fit_stage.__all__)
