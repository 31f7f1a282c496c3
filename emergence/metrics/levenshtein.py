"""Levenshtein distance of many short sequence pairs at once, bit-parallel in numpy.

Myers' (1999) bit-vector algorithm in Hyyrö's (2001) form for the edit distance: one side of a
pair (the *pattern*, at most 64 elements) is a bit vector, and each element of the other side
(the *text*) updates the column's vertical deltas ``VP``/``VN`` with a dozen word operations.
Here every word is one lane of a numpy array holding one row each, so each step runs on all
rows together: about 16 ufunc calls per text position, whatever the number of rows. After the
last step the distance is ``len(text) + popcount(VP) - popcount(VN)`` over the pattern's bits.

Rows are processed in blocks that fit in cache, sorted by text length so that the rows still
running at step ``j`` are a prefix of the block (no per-row masks). The lane type is the
narrowest unsigned integer holding the pattern (``uint8`` for <= 8 elements ... ``uint64``):
narrower lanes mean more rows per SIMD instruction. Bits above the pattern length hold garbage
but never reach the lower bits (carries and shifts only move upwards), so they are simply
ignored, and padding needs no sentinel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..workers import available_cores

MAX_PATTERN = 64
"""Longest pattern (shorter side of a pair) the kernel handles; longer pairs are left out."""
MAX_TEXT = 1024
"""Longest text (longer side of a pair) the kernel handles; longer pairs are left out."""

_LANES = ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64))
# Rows per block: the state arrays (a few times rows x lane bytes) stay in L2 cache.
_BLOCK_ROWS = 1 << 15
_BLOCK_ELEMENTS = 1 << 20


def levenshtein_fixed(a: np.ndarray, b: np.ndarray, workers: int = 1) -> np.ndarray:
    """Levenshtein distance between the rows of two matrices (every row is a full sequence).

    Parameters
    ----------
    a, b : numpy.ndarray
        ``(k, M)`` and ``(k, L)`` arrays of comparable values (integer codes, say); row ``i`` of
        each is one whole sequence. ``min(M, L)`` must be at most :data:`MAX_PATTERN`.
    workers : int
        Threads working on separate blocks of rows (``-1``: one per core); the results do not
        depend on it.

    Returns
    -------
    numpy.ndarray
        ``int64`` distances, one per row.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise ValueError("a and b must be 2-D with the same number of rows")
    if a.shape[1] > b.shape[1]:
        a, b = b, a  # the pattern is the shorter side (distance is symmetric)
    k, m = a.shape
    length = b.shape[1]
    if m > MAX_PATTERN:
        raise ValueError(f"both sides are longer than {MAX_PATTERN}")
    if m == 0 or k == 0:
        return np.full(k, length, dtype=np.int64)
    dtype = _lane_type(m)
    out = np.empty(k, dtype=np.int64)

    # fewer rows per block for long rows: the match masks are (text length x rows)
    rows = max(64, min(_BLOCK_ROWS, _BLOCK_ELEMENTS // max(length, 1)))

    def block(lo: int) -> None:
        hi = min(k, lo + rows)
        # (M, k) and (L, k): one contiguous row of elements per position (transposed block by
        # block, which stays in cache)
        pattern, text = np.ascontiguousarray(a[lo:hi].T), np.ascontiguousarray(b[lo:hi].T)
        peq = _match_masks_compare(pattern, text, dtype)
        out[lo:hi] = _run(peq, None, np.full(hi - lo, m), dtype)

    _map(block, range(0, k, rows), workers)
    return out


def levenshtein_ragged(
    values: np.ndarray,
    a_starts: np.ndarray,
    a_lengths: np.ndarray,
    b_starts: np.ndarray,
    b_lengths: np.ndarray,
    workers: int = 1,
) -> np.ndarray:
    """Levenshtein distance between pairs of slices of one flat array.

    Parameters
    ----------
    values : numpy.ndarray
        1-D array holding the elements of both sides (integer codes, say).
    a_starts, a_lengths, b_starts, b_lengths : numpy.ndarray
        Offset and length of each row's two sequences in ``values``.
    workers : int
        Threads working on separate blocks of rows (``-1``: one per core); the results do not
        depend on it.

    Returns
    -------
    numpy.ndarray
        ``int64`` distances, one per row; ``-1`` for rows the kernel leaves out (both sides longer
        than :data:`MAX_PATTERN`, or the longer side longer than :data:`MAX_TEXT`), which the
        caller computes otherwise.
    """
    values = np.asarray(values)
    widest = int(min(max(a_lengths.max(initial=0), b_lengths.max(initial=0)), MAX_TEXT))
    values = np.concatenate([values, np.zeros(widest + 1, dtype=values.dtype)])  # see _gather
    a_starts, b_starts = np.asarray(a_starts, np.int64), np.asarray(b_starts, np.int64)
    a_lengths, b_lengths = np.asarray(a_lengths, np.int64), np.asarray(b_lengths, np.int64)
    swap = b_lengths < a_lengths  # pattern = the shorter side
    m = np.where(swap, b_lengths, a_lengths)
    text_len = np.where(swap, a_lengths, b_lengths)
    p_starts = np.where(swap, b_starts, a_starts)
    t_starts = np.where(swap, a_starts, b_starts)
    out = np.full(m.shape[0], -1, dtype=np.int64)
    empty = m == 0
    out[empty] = text_len[empty]  # distance to an empty sequence
    blocks = []
    low = 0
    for bits, dtype in _LANES:
        lane_rows = (m > low) & (m <= bits) & (text_len <= MAX_TEXT)
        low = bits
        if not lane_rows.any():
            continue
        rows = np.flatnonzero(lane_rows)
        # Longest text first, so the rows still running at any step form a prefix of a block.
        # (A stable sort on a 16-bit key is a radix sort.)
        key = (MAX_TEXT - text_len[rows]).astype(np.uint16)
        rows = rows[np.argsort(key, kind="stable")]
        lo = 0
        while lo < rows.shape[0]:
            # Fewer rows per block for long texts: the match masks are (text length x rows).
            size = max(64, min(_BLOCK_ROWS, _BLOCK_ELEMENTS // int(text_len[rows[lo]])))
            blocks.append((rows[lo : lo + size], dtype))
            lo += size

    def block(job: tuple[np.ndarray, type]) -> None:
        blk, dtype = job
        bm, bl = m[blk], text_len[blk]
        pattern = _gather(values, p_starts[blk], int(bm.max()))
        text = _gather(values, t_starts[blk], int(bl[0]))
        peq = _match_masks_compare(pattern, text, dtype)
        out[blk] = _run(peq, bl, bm, dtype)

    _map(block, blocks, workers)
    return out


def _map(func: Callable[[Any], None], jobs: Iterable, workers: int) -> None:
    """Run ``func`` on every job, on ``workers`` threads: numpy releases the GIL inside each
    operation on a block, so blocks proceed in parallel; each job writes its own rows."""
    jobs = list(jobs)
    n = available_cores() if workers < 1 else workers
    if n <= 1 or len(jobs) < 2:
        for job in jobs:
            func(job)
        return
    with ThreadPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        for _ in pool.map(func, jobs):
            pass


def _lane_type(m: int) -> type:
    for bits, dtype in _LANES:
        if m <= bits:
            return dtype
    raise ValueError(f"pattern longer than {MAX_PATTERN}")  # pragma: no cover - callers check


def _gather(values: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """``(width, k)`` matrix of the rows' elements, position by position, from ``values`` padded
    by at least ``width`` elements. Past a row's end come whatever elements follow it (never used:
    pattern bits above the pattern length are ignored, text positions past its end not run)."""
    windows = np.lib.stride_tricks.as_strided(
        values, shape=(values.shape[0] - width + 1, width), strides=(values.strides[0],) * 2,
        writeable=False,
    )
    # Fancy indexing copies each row's window as one contiguous run (take would first copy the
    # overlapping windows); the transpose of a cache-sized block is cheap.
    return np.ascontiguousarray(windows[starts].T)


def _match_masks_compare(pattern: np.ndarray, text: np.ndarray, dtype: type) -> np.ndarray:
    """``peq[j, r]``: bit ``i`` set where ``pattern[i, r] == text[j, r]``.

    Compares every pattern position with the whole ``(L, k)`` text block (``M x L`` comparisons
    per row). The bits are assembled one byte of the lane at a time (positions ``8g .. 8g + 7``),
    Horner-style from the highest position down (double, then or), on ``uint8`` planes: those
    operations move a quarter of the data of ``uint32`` lanes and need no casts.
    """
    n_bytes = np.dtype(dtype).itemsize
    m = pattern.shape[0]
    out = np.zeros((*text.shape, n_bytes), dtype=np.uint8)
    plane = np.empty(text.shape, dtype=np.uint8)
    eq = np.empty(text.shape, dtype=bool)
    for g in range(min(n_bytes, (m + 7) // 8)):
        plane[...] = 0
        for i in range(min(m, 8 * g + 8) - 1, 8 * g - 1, -1):
            np.equal(text, pattern[i], out=eq)
            np.add(plane, plane, out=plane)
            np.bitwise_or(plane, eq.view(np.uint8), out=plane)
        out[..., g] = plane
    # byte g is bits 8g .. 8g + 7 of a little-endian lane (explicit, for big-endian hosts)
    return out.view(np.dtype(dtype).newbyteorder("<"))[..., 0].astype(dtype, copy=False)


def _run(peq: np.ndarray, text_len: np.ndarray | None, m: np.ndarray, dtype: type) -> np.ndarray:
    """The bit-vector recurrence over one block.

    ``peq`` is ``(L, k)``; ``text_len`` the rows' text lengths in descending order (``None``
    when every row has ``L``), ``m`` their pattern lengths (1 to the lane width).
    """
    steps, k = peq.shape
    if text_len is None:
        active = np.full(steps, k)
        text_len = np.full(k, steps, dtype=np.int64)
    else:
        active = np.searchsorted(-text_len, -np.arange(steps), side="left")
    one = dtype(1)
    vp = np.full(k, ~dtype(0), dtype=dtype)  # column 0: D[i, 0] = i, all vertical deltas +1
    vn = np.zeros(k, dtype=dtype)
    x, d0, hp, hn = (np.empty(k, dtype=dtype) for _ in range(4))
    for j in range(steps):
        c = int(active[j])
        vp_, vn_, x_, d0_, hp_, hn_ = vp[:c], vn[:c], x[:c], d0[:c], hp[:c], hn[:c]
        np.bitwise_or(peq[j, :c], vn_, out=x_)  # X = Eq | VN
        np.bitwise_and(x_, vp_, out=d0_)  # D0 = (((X & VP) + VP) ^ VP) | X
        np.add(d0_, vp_, out=d0_)
        np.bitwise_xor(d0_, vp_, out=d0_)
        np.bitwise_or(d0_, x_, out=d0_)
        np.bitwise_or(d0_, vp_, out=hp_)  # HP = VN | ~(D0 | VP)
        np.invert(hp_, out=hp_)
        np.bitwise_or(hp_, vn_, out=hp_)
        np.bitwise_and(d0_, vp_, out=hn_)  # HN = D0 & VP
        np.left_shift(hp_, one, out=hp_)  # HP = (HP << 1) | 1: the top row D[0, j] = j
        np.bitwise_or(hp_, one, out=hp_)
        np.left_shift(hn_, one, out=hn_)  # HN = HN << 1
        np.bitwise_or(d0_, hp_, out=vp_)  # VP = HN | ~(D0 | HP)
        np.invert(vp_, out=vp_)
        np.bitwise_or(vp_, hn_, out=vp_)
        np.bitwise_and(hp_, d0_, out=vn_)  # VN = HP & D0
    # D[m, L] = D[0, L] + sum of the last column's vertical deltas over the pattern's bits.
    bits = np.dtype(dtype).itemsize * 8
    mask = np.where(
        m >= bits, ~dtype(0), (np.left_shift(one, np.minimum(m, bits - 1).astype(dtype)) - one)
    ).astype(dtype)
    up = np.bitwise_count(vp & mask).astype(np.int64)
    down = np.bitwise_count(vn & mask)
    return text_len + up - down
