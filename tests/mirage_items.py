"""Item tables with a known mirage model, shared by the metrics- and fit-stage tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

SCALES = np.geomspace(1e6, 1e11, 8)


def true_ce(n):
    """The per-token cross-entropy the items are drawn from: 3 (N / 1e6)^-0.3."""
    return 3.0 * (n / 1e6) ** -0.3


def mirage_items(lengths_choice, n_items=1500, seed=0) -> pd.DataFrame:
    """Independent tokens, each right with p(N) = exp(-CE(N)); log-probs are the true log p."""
    rng = np.random.default_rng(seed)
    rows = []
    vocab = np.array(list("0123456789"), dtype=object)
    for n in SCALES:
        p = np.exp(-true_ce(n))
        for i in range(n_items):
            L = int(rng.choice(lengths_choice))
            tgt = rng.integers(0, 10, L)
            wrong = rng.random(L) > p
            out = np.where(wrong, (tgt + rng.integers(1, 10, L)) % 10, tgt)
            rows.append({
                "family": "sim", "model": f"m{n:.0e}", "params": n, "task": "arith",
                "item": f"i{i}", "target": "".join(vocab[tgt]), "output": "".join(vocab[out]),
                "target_tokens": vocab[tgt], "output_tokens": vocab[out],
                "target_logprobs": np.full(L, np.log(p)),
            })  # fmt: skip
    return pd.DataFrame(rows)


def edge_items() -> pd.DataFrame:
    """Five sizes, four two-token items each, outputs right at every other item."""
    rows = [
        dict(family="f", model=f"m{k}", params=10.0 ** (8 + k), task="t", item=f"i{j}",
             target="ab", output="ab" if (j + k) % 2 else "ax",
             target_logprobs=[-0.5 / (k + 1) - 0.01 * j, -0.3 / (k + 1)])
        for k in range(5) for j in range(4)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def as_arrow(items: pd.DataFrame):
    """The same items as a pyarrow Table (list columns as Arrow lists)."""
    import pyarrow as pa

    return pa.Table.from_pandas(
        items.assign(target_tokens=items.target_tokens.map(list),
                     output_tokens=items.output_tokens.map(list),
                     target_logprobs=items.target_logprobs.map(list)),
        preserve_index=False,
    )  # fmt: skip
