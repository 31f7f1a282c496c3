"""Train a family of small decoder-only transformers on algorithmic tasks (needs the train extra).

Only the torch-free task definitions (:mod:`.tasks`) are imported here; :mod:`.model`,
:mod:`.train` and :mod:`.run` import torch. Run the experiment with
``python -m emergence.experiments OUT_DIR``; see ``benchmarks_data/README.md``.
"""

from __future__ import annotations

from .tasks import TASKS, VOCAB, Task

__all__ = ["TASKS", "VOCAB", "Task"]
