"""Synthetic algorithmic tasks with fixed-length multi-token answers, and their tokenizer.

Pure Python/numpy (no torch), so the task definitions can be read and tested without the
``train`` extra. Every task writes a prompt followed by an answer of a fixed number of
character tokens, so exact match over an answer of ``L`` tokens behaves like ``p^L``:

``add``
    Two 3-digit operands (``000``-``999``), answer the 4-digit zero-padded sum written
    least-significant digit first: ``123+456=`` -> ``9750`` (579 reversed).
``mul``
    Two 2-digit operands (``00``-``99``), answer the 4-digit zero-padded product, least-significant
    digit first: ``12*34=`` -> ``8040`` (0408 reversed).
``rev``
    A 5-digit string, answer the string reversed: ``12345|`` -> ``54321``.

Answers are written least-significant digit first (Lee et al. 2023, "Teaching arithmetic to small
transformers"): the carry then flows in generation order, which is the format under which small
models learn arithmetic at all; it was fixed before any model was trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PAD = "_"
VOCAB: tuple[str, ...] = (PAD, *"0123456789", "+", "*", "=", "|")
STOI: dict[str, int] = {ch: i for i, ch in enumerate(VOCAB)}
PAD_ID = STOI[PAD]


@dataclass(frozen=True)
class Task:
    """One algorithmic task: how to draw operands and render prompt and answer."""

    name: str
    prompt_len: int
    answer_len: int
    n_operands: int
    operand_digits: int
    render: Callable[[np.ndarray], tuple[str, str]]

    @property
    def seq_len(self) -> int:
        """Tokens fed to the model: the prompt and all answer tokens but the last."""
        return self.prompt_len + self.answer_len - 1


def _digits(value: int, width: int) -> str:
    return str(int(value)).zfill(width)


def _render_add(ops: np.ndarray) -> tuple[str, str]:
    a, b = int(ops[0]), int(ops[1])
    return f"{_digits(a, 3)}+{_digits(b, 3)}=", _digits(a + b, 4)[::-1]


def _render_mul(ops: np.ndarray) -> tuple[str, str]:
    a, b = int(ops[0]), int(ops[1])
    return f"{_digits(a, 2)}*{_digits(b, 2)}=", _digits(a * b, 4)[::-1]


def _render_rev(ops: np.ndarray) -> tuple[str, str]:
    s = _digits(int(ops[0]), 5)
    return f"{s}|", s[::-1]


TASKS: dict[str, Task] = {
    "add": Task("add", 8, 4, 2, 3, _render_add),
    "mul": Task("mul", 6, 4, 2, 2, _render_mul),
    "rev": Task("rev", 6, 5, 1, 5, _render_rev),
}
MAX_LEN = max(t.prompt_len + t.answer_len for t in TASKS.values())


def encode(text: str) -> list[int]:
    """Token ids of ``text`` (one character per token)."""
    return [STOI[ch] for ch in text]


def decode(ids: list[int] | np.ndarray) -> str:
    """Text of token ids."""
    return "".join(VOCAB[int(i)] for i in ids)


def _operand_keys(task: Task, ops: np.ndarray) -> np.ndarray:
    """One integer per row identifying the operands (for held-out exclusion)."""
    base = 10**task.operand_digits
    key = np.zeros(len(ops), dtype=np.int64)
    for k in range(task.n_operands):
        key = key * base + ops[:, k]
    return key


def draw_operands(task: Task, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` rows of uniformly drawn operands, shape ``(n, task.n_operands)``."""
    return rng.integers(0, 10**task.operand_digits, size=(n, task.n_operands), dtype=np.int64)


@dataclass(frozen=True)
class HeldOut:
    """The fixed evaluation items of one task, never drawn for training."""

    task: Task
    operands: np.ndarray
    keys: np.ndarray  # sorted operand keys, see _operand_keys

    def items(self) -> list[tuple[str, str, str]]:
        """``(item id, prompt, target)`` for every held-out item, in a fixed order."""
        out = []
        for j, ops in enumerate(self.operands):
            prompt, target = self.task.render(ops)
            out.append((f"{self.task.name}-{j:04d}", prompt, target))
        return out


def held_out(task: Task, n_items: int, seed: int) -> HeldOut:
    """Draw ``n_items`` distinct operand tuples for evaluation, deterministically from ``seed``."""
    rng = np.random.default_rng([seed, 1, sorted(TASKS).index(task.name)])
    seen: dict[int, np.ndarray] = {}
    while len(seen) < n_items:
        ops = draw_operands(task, rng, n_items)
        for key, row in zip(_operand_keys(task, ops).tolist(), ops, strict=True):
            if len(seen) < n_items:
                seen.setdefault(key, row)
    operands = np.stack(list(seen.values()))
    return HeldOut(task, operands, np.array(sorted(seen), dtype=np.int64))


def training_batch(
    task: Task, rng: np.random.Generator, n: int, exclude: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` fresh training sequences of ``task``, skipping held-out operands.

    Returns
    -------
    inputs, targets : numpy.ndarray
        Integer arrays of shape ``(n, MAX_LEN - 1)``: ``targets`` is ``inputs`` shifted by one,
        with every position that is not an answer token set to ``-1`` (ignored by the loss) and
        the sequences right-padded with ``PAD``.
    """
    rows: list[np.ndarray] = []
    while sum(len(r) for r in rows) < n:
        ops = draw_operands(task, rng, n)
        keep = ~np.isin(_operand_keys(task, ops), exclude)
        rows.append(ops[keep])
    ops = np.concatenate(rows)[:n]
    return encode_examples(task, [task.render(o) for o in ops])


def encode_examples(task: Task, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Encode ``(prompt, answer)`` pairs as model inputs and answer-only next-token targets."""
    seq = np.full((len(pairs), MAX_LEN), PAD_ID, dtype=np.int64)
    for i, (prompt, answer) in enumerate(pairs):
        ids = encode(prompt + answer)
        seq[i, : len(ids)] = ids
    inputs, targets = seq[:, :-1], seq[:, 1:].copy()
    mask = np.zeros_like(targets, dtype=bool)
    mask[:, task.prompt_len - 1 : task.prompt_len - 1 + task.answer_len] = True
    targets[~mask] = -1
    return inputs, targets
