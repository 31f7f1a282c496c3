"""Task definitions of the training experiment (no torch needed)."""

from __future__ import annotations

import numpy as np

from emergence.experiments.tasks import (
    MAX_LEN,
    PAD_ID,
    TASKS,
    decode,
    encode,
    held_out,
    training_batch,
)


def test_answers_are_fixed_length_and_correct() -> None:
    assert TASKS["add"].render(np.array([123, 456])) == ("123+456=", "9750")
    assert TASKS["add"].render(np.array([999, 999])) == ("999+999=", "8991")
    assert TASKS["mul"].render(np.array([12, 34])) == ("12*34=", "8040")
    assert TASKS["rev"].render(np.array([1234])) == ("01234|", "43210")
    rng = np.random.default_rng(0)
    for task in TASKS.values():
        for ops in rng.integers(0, 10**task.operand_digits, size=(50, task.n_operands)):
            prompt, answer = task.render(ops)
            assert (len(prompt), len(answer)) == (task.prompt_len, task.answer_len)
            assert decode(encode(prompt + answer)) == prompt + answer


def test_held_out_items_are_distinct_deterministic_and_never_trained_on() -> None:
    for task in TASKS.values():
        a, b = held_out(task, 40, seed=5), held_out(task, 40, seed=5)
        assert a.items() == b.items()
        assert len({prompt for _, prompt, _ in a.items()}) == 40
        assert held_out(task, 40, seed=6).items() != a.items()
        # exclude every operand but a handful, so a leak would be near certain if it existed
        rng = np.random.default_rng(1)
        x, _ = training_batch(task, rng, 400, a.keys)
        prompts = {decode(row[: task.prompt_len]) for row in x}
        assert not prompts & {prompt for _, prompt, _ in a.items()}


def test_training_targets_cover_the_answer_only() -> None:
    rng = np.random.default_rng(2)
    for task in TASKS.values():
        x, y = training_batch(task, rng, 16, np.array([], dtype=np.int64))
        assert x.shape == y.shape == (16, MAX_LEN - 1)
        assert ((y >= 0).sum(axis=1) == task.answer_len).all()
        # the target at each answer position is the next input token (shifted by one)
        answer_pos = np.flatnonzero(y[0] >= 0)
        for p in answer_pos[:-1]:
            assert y[0, p] == x[0, p + 1]
        # padding after the answer; the last answer token is never an input that matters
        assert (x[:, task.seq_len + 1 :] == PAD_ID).all()
        assert (x[:, : task.seq_len + 1] != PAD_ID).all()
