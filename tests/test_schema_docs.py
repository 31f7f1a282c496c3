"""docs/schema.md documents every column of every table."""

from __future__ import annotations

from pathlib import Path

from emergence.schema import TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def test_every_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, spec in TABLES.items():
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for col in spec.columns:
            row = f"| `{col.name}` | {col.dtype} | {col.unit} | {'yes' if col.required else 'no'} |"
            assert row in section, f"{name}.{col.name} missing or stale in docs/schema.md"
