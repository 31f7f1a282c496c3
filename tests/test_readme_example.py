"""The README's library example runs as printed, from the repository root."""

from __future__ import annotations

import re

from conftest import REPO, shared_path


def test_the_library_example_runs_unmodified(monkeypatch):
    shared_path("fits", "epoch_chinchilla_svg_extracted_data.csv")  # its last line reads it
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Library example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(code, "README.md (library example)", "exec"), namespace)
    assert namespace["verdicts"]["verdict"].notna().all()
    assert len(namespace["chinchilla"].losses) > 200
    assert namespace["fit"].params.keys() == {"E", "A", "B", "alpha", "beta"}
