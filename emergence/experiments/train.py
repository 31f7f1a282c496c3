"""Train one model on the joint task mixture and evaluate it: validation loss and held-out items."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .model import ModelConfig, TinyGPT
from .tasks import MAX_LEN, TASKS, VOCAB, HeldOut, decode, encode, encode_examples, training_batch


@dataclass(frozen=True)
class RunSpec:
    """One training run: model shape, token budget and optimiser settings."""

    name: str
    d_model: int
    n_layer: int
    n_head: int
    tokens: int  # training-token budget D (non-padding input tokens)
    seed: int
    batch_size: int = 96  # sequences per step, split evenly over the tasks
    lr: float = 3e-3
    warmup_frac: float = 0.05
    weight_decay: float = 0.1
    evaluate_items: bool = True

    def model_config(self) -> ModelConfig:
        """The :class:`ModelConfig` of this run."""
        return ModelConfig(self.d_model, self.n_layer, self.n_head, len(VOCAB), MAX_LEN - 1)


@dataclass
class RunResult:
    """What one run produced: parameter count, tokens seen, losses and evaluated items."""

    spec: RunSpec
    params: int
    tokens: int
    steps: int
    val_loss: float
    val_loss_by_task: dict[str, float]
    items: list[dict]
    seconds: float


def _tokens_per_step(batch_size: int) -> tuple[list[int], int]:
    """Sequences per task in one step and the non-padding input tokens they hold."""
    names = sorted(TASKS)
    per_task = [batch_size // len(names)] * len(names)
    return per_task, sum(n * TASKS[t].seq_len for n, t in zip(per_task, names, strict=True))


def _lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up then cosine decay to a tenth of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac)))


def _answer_loss(model: TinyGPT, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = model(inputs)
    flat = logits.reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, targets.reshape(-1), ignore_index=-1)


def _validation_sets(
    heldout: dict[str, HeldOut], seed: int, n: int
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """A fixed sample of ``n`` sequences per task from the training distribution."""
    out = {}
    for k, name in enumerate(sorted(TASKS)):
        rng = np.random.default_rng([seed, 2, k])
        x, y = training_batch(TASKS[name], rng, n, heldout[name].keys)
        out[name] = (torch.from_numpy(x), torch.from_numpy(y))
    return out


@torch.no_grad()
def _validation_loss(
    model: TinyGPT, val: dict[str, tuple[torch.Tensor, torch.Tensor]]
) -> tuple[float, dict[str, float]]:
    """Mean cross-entropy (nats) per answer token, overall and per task."""
    total, count, by_task = 0.0, 0, {}
    for name, (x, y) in val.items():
        logits = model(x)
        nll = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1, reduction="sum"
        )
        n = int((y >= 0).sum())
        by_task[name] = float(nll) / n
        total, count = total + float(nll), count + n
    return total / count, by_task


@torch.no_grad()
def evaluate_items(model: TinyGPT, heldout: HeldOut) -> list[dict]:
    """Greedy outputs and teacher-forced target log-probabilities for every held-out item."""
    task = heldout.task
    items = heldout.items()
    pairs = [(prompt, target) for _, prompt, target in items]
    x, _ = encode_examples(task, pairs)
    inputs = torch.from_numpy(x)
    start = task.prompt_len - 1  # position whose next-token prediction is the first answer token
    logp = torch.log_softmax(model(inputs), dim=-1)
    answer = torch.tensor([encode(t) for _, t in pairs])
    steps = torch.arange(task.answer_len)
    tf = logp[:, start + steps, :].gather(2, answer.unsqueeze(-1)).squeeze(-1)
    # greedy decoding, one answer token at a time (sequences are short: recompute each step)
    seq = torch.tensor([encode(p) for p in (pp for pp, _ in pairs)])
    for _ in range(task.answer_len):
        nxt = model(seq)[:, -1, :].argmax(dim=-1, keepdim=True)
        seq = torch.cat([seq, nxt], dim=1)
    generated = seq[:, task.prompt_len :].numpy()
    rows = []
    for (item_id, _, target), out_ids, lp in zip(items, generated, tf.numpy(), strict=True):
        output = decode(out_ids)
        rows.append(
            {
                "task": task.name,
                "item": item_id,
                "target": target,
                "output": output,
                "target_tokens": list(target),
                "output_tokens": list(output),
                # float32 log-softmax can round to a hair above 0 for a near-certain token
                "target_logprobs": [min(0.0, round(float(v), 6)) for v in lp],
            }
        )
    return rows


def train_run(spec: RunSpec, heldout: dict[str, HeldOut], n_val: int = 500) -> RunResult:
    """Train one model on fresh samples of the task mixture, then evaluate it.

    Parameters
    ----------
    spec : RunSpec
        Model shape, token budget, seed and optimiser settings.
    heldout : dict of str to HeldOut
        Evaluation items per task; their operands are never drawn for training.
    n_val : int
        Validation sequences per task (drawn once from the training distribution).

    Returns
    -------
    RunResult
    """
    t0 = time.perf_counter()
    torch.manual_seed(spec.seed)
    model = TinyGPT(spec.model_config())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": spec.weight_decay}, {"params": no_decay}],
        lr=spec.lr,
        betas=(0.9, 0.98),
        weight_decay=0.0,
    )
    per_task, step_tokens = _tokens_per_step(spec.batch_size)
    steps = max(1, math.ceil(spec.tokens / step_tokens))
    warmup = max(1, int(spec.warmup_frac * steps))
    names = sorted(TASKS)
    # the data stream depends on the seed only, so every run sees the same sequence of examples
    rngs = [np.random.default_rng([spec.seed, 3, k]) for k in range(len(names))]
    model.train()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, steps, spec.lr, warmup)
        xs, ys = zip(
            *(
                training_batch(TASKS[t], rng, n, heldout[t].keys)
                for t, rng, n in zip(names, rngs, per_task, strict=True)
            ),
            strict=True,
        )
        x, y = torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys))
        loss = _answer_loss(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    model.eval()
    val_loss, by_task = _validation_loss(model, _validation_sets(heldout, spec.seed, n_val))
    items = []
    if spec.evaluate_items:
        for name in names:
            items.extend(evaluate_items(model, heldout[name]))
    return RunResult(
        spec=spec,
        params=model.n_params(),
        tokens=steps * step_tokens,
        steps=steps,
        val_loss=val_loss,
        val_loss_by_task=by_task,
        items=items,
        seconds=time.perf_counter() - t0,
    )
