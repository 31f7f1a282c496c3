"""String metrics: exact match with optional normalisation, character and token edit distance.

All functions work on whole columns at once. Edit distances run in the bit-parallel numpy
kernel of :mod:`~emergence.metrics.levenshtein`: tokens as integer keys, characters of
pure-ASCII Arrow strings as bytes. Rows it does not handle (both sides over 64 elements,
non-ASCII text, Python strings) go to rapidfuzz's C++ code, with tokens mapped to single code
points so a token sequence is compared as a string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from . import levenshtein
from .fields import string_layout

TOKENIZERS = ("regex", "whitespace", "char")
#: Unicode normalisation forms :class:`Normalisation` accepts (``unicodedata.normalize``).
UNICODE_FORMS = ("NFC", "NFKC", "NFD", "NFKD")
_SURROGATES = 0xE000 - 0xD800
_MAX_CODES = 0x110000 - _SURROGATES - 1


@dataclass(frozen=True)
class Normalisation:
    """Text normalisation applied to both output and target before exact match.

    Attributes
    ----------
    strip : bool
        Remove leading and trailing whitespace.
    casefold : bool
        Compare case-insensitively (``str.casefold``).
    collapse_whitespace : bool
        Replace every run of whitespace by one space.
    unicode_form : {None, "NFC", "NFKC", "NFD", "NFKD"}
        Unicode normalisation form (``unicodedata.normalize``), applied first: ``"NFC"`` makes
        canonically equivalent spellings equal (precomposed ``"é"`` and ``"e"`` + U+0301),
        ``"NFKC"`` also compatibility variants (``"ﬁ"`` and ``"fi"``, full-width digits).
        ``None`` (default): code points compared as they are.
    """

    strip: bool = False
    casefold: bool = False
    collapse_whitespace: bool = False
    unicode_form: str | None = None

    def __post_init__(self) -> None:
        if self.unicode_form is not None and self.unicode_form not in UNICODE_FORMS:
            raise ValueError(
                f"unknown Unicode form {self.unicode_form!r}; expected one of "
                f"{', '.join(UNICODE_FORMS)} or None"
            )

    @property
    def option_names(self) -> tuple[str, ...]:
        """The options on, as ``--normalise`` names them (``("strip", "casefold")``)."""
        names = [
            name
            for name, on in (
                ("strip", self.strip),
                ("casefold", self.casefold),
                ("whitespace", self.collapse_whitespace),
            )
            if on
        ]
        if self.unicode_form is not None:
            names.append(self.unicode_form.lower())
        return tuple(names)

    @property
    def active(self) -> bool:
        """True when any option is on."""
        return (
            self.strip or self.casefold or self.collapse_whitespace
            or self.unicode_form is not None
        )  # fmt: skip


def normalise_texts(texts: pd.Series, norm: Normalisation) -> pd.Series:
    """Apply ``norm`` to a column of strings (missing values stay missing).

    Order: Unicode form, whitespace collapse, strip, casefold, and the Unicode form once more
    after casefolding (case folding can leave text outside the form: ``"ǰ"`` folds to ``"j"`` +
    U+030C).
    """
    out = texts
    if norm.unicode_form is not None:
        out = out.str.normalize(norm.unicode_form)
    if norm.collapse_whitespace:
        out = out.str.replace(r"\s+", " ", regex=True)
    if norm.strip:
        out = out.str.strip()
    if norm.casefold:
        out = out.str.casefold()
        if norm.unicode_form is not None:
            out = out.str.normalize(norm.unicode_form)
    return out


def exact_match(
    outputs: Sequence, targets: Sequence, norm: Normalisation | None = None
) -> np.ndarray:
    """1.0 where output equals target, 0.0 where not, NaN where either is missing.

    Parameters
    ----------
    outputs, targets : sequence of str or None
        Model outputs and reference answers, row by row.
    norm : Normalisation, optional
        Normalisation of both sides; strict equality when omitted.

    Returns
    -------
    numpy.ndarray
        ``float64`` array.
    """
    out = pd.Series(outputs, dtype=object)
    tgt = pd.Series(targets, dtype=object)
    if norm is not None and norm.active:
        out = normalise_texts(out.astype("string"), norm).astype(object)
        tgt = normalise_texts(tgt.astype("string"), norm).astype(object)
    missing = (out.isna() | tgt.isna()).to_numpy()
    # compare present pairs only: normalised missing values are pd.NA, whose == is ambiguous
    equal = np.zeros(missing.size, dtype=bool)
    keep = ~missing
    equal[keep] = out.to_numpy(dtype=object)[keep] == tgt.to_numpy(dtype=object)[keep]
    return np.where(missing, np.nan, equal.astype(np.float64))


def fallback_tokenize(text: str, tokenizer: str = "regex") -> list[str]:
    """Split text into tokens when the data carry none.

    Parameters
    ----------
    text : str
    tokenizer : {"regex", "whitespace", "char"}
        ``regex`` (default): runs of word characters, and every other non-space character on its
        own, so ``"x = 12, y"`` -> ``["x", "=", "12", ",", "y"]``. Combining marks (Unicode
        categories Mn, Mc, Me: vowel signs, viramas, accents written as separate code points)
        belong to the token they follow, so a Devanagari word or a decomposed ``"é"`` stays one
        token: ``r"[\\w<marks>]+|[^\\w\\s<marks>][<marks>]*"``. ``whitespace``: ``str.split()``.
        ``char``: every code point, spaces included.

    Returns
    -------
    list of str
    """
    if tokenizer == "regex":
        return _word_or_punct().findall(text)
    if tokenizer == "whitespace":
        return text.split()
    if tokenizer == "char":
        return list(text)
    raise ValueError(f"unknown tokenizer {tokenizer!r}; expected one of {', '.join(TOKENIZERS)}")


def fallback_tokenize_many(texts: Sequence[str], tokenizer: str = "regex") -> list[list[str]]:
    """:func:`fallback_tokenize` of every text (the same tokens, faster on a column).

    With ``regex``, a text without a code point from U+0300 on (where the combining marks
    start) holds no mark, and there the plain ``r"\\w+|[^\\w\\s]"`` gives the same tokens
    about 2.5 times faster than the pattern with the marks' character class.
    """
    if tokenizer != "regex":
        return [fallback_tokenize(t, tokenizer) for t in texts]
    plain, first_mark = _PLAIN_WORD_OR_PUNCT.findall, _FIRST_MARK
    # "".isascii() is True, so max() never sees an empty text
    return [
        plain(t) if t.isascii() or max(t) < first_mark else _word_or_punct().findall(t)
        for t in texts
    ]


_PLAIN_WORD_OR_PUNCT = re.compile(r"\w+|[^\w\s]")
_FIRST_MARK = "\u0300"  # no code point below is a combining mark (checked by the tests)


@cache
def _word_or_punct() -> re.Pattern:
    """The ``regex`` tokenizer's pattern (built on first use: the scan takes ~60 ms).

    ``re``'s ``\\w`` does not match combining marks, and ``re`` has no ``\\p{M}``, so the marks
    of this Python's Unicode database are listed as ranges of a character class.
    """
    marks = []
    cat = unicodedata.category
    start = prev = -2
    for code in range(0x110000):
        if cat(chr(code))[0] != "M":
            continue
        if code != prev + 1:
            if start >= 0:
                marks.append((start, prev))
            start = code
        prev = code
    if start >= 0:
        marks.append((start, prev))
    cls = "".join(
        f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in marks
    )
    return re.compile(rf"[\w{cls}]+|[^\w\s{cls}][{cls}]*")


def char_edit_distance(
    outputs: Sequence[str], targets: Sequence[str], workers: int = 1
) -> np.ndarray:
    """Levenshtein distance between strings, pair by pair (unit costs).

    Parameters
    ----------
    outputs, targets : sequence of str
        Equal-length sequences without missing values.
    workers : int
        Threads for rapidfuzz (``-1``: all cores).

    Returns
    -------
    numpy.ndarray
        ``float64`` distances.
    """
    if len(outputs) == 0:
        return np.empty(0)
    return cpdist(
        list(outputs), list(targets), scorer=Levenshtein.distance, workers=workers, dtype=np.int64
    ).astype(np.float64)


def char_edit_distance_arrow(
    outputs: pa.ChunkedArray, targets: pa.ChunkedArray, workers: int = 1
) -> np.ndarray:
    """Levenshtein distance between two Arrow string columns, row by row (unit costs).

    Pure-ASCII pairs (bytes are characters) go through the bit-parallel kernel of
    :mod:`~emergence.metrics.levenshtein` straight from the Arrow buffers, without creating Python
    strings; the other pairs (and pairs too long for the kernel) through
    :func:`char_edit_distance`. The values are those of :func:`char_edit_distance`.

    Parameters
    ----------
    outputs, targets : pyarrow.ChunkedArray
        Equal-length ``string`` or ``large_string`` columns.
    workers : int
        Threads for rapidfuzz.

    Returns
    -------
    numpy.ndarray
        ``float64`` distances; NaN where either side is null.
    """
    n = len(outputs)
    o_data, o_starts, o_len = _string_buffers(outputs)
    t_data, t_starts, t_len = _string_buffers(targets)
    values = np.concatenate([o_data, t_data])
    t_starts += o_data.shape[0]
    ok = np.asarray(
        pc.and_(pc.is_valid(outputs), pc.is_valid(targets)).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    kernel = ok.copy()
    if (values >= 0x80).any():  # rows with a multi-byte character are left to rapidfuzz
        at = np.flatnonzero(values >= 0x80)
        for starts, lengths, pos in ((o_starts, o_len, at[at < o_data.shape[0]]),
                                     (t_starts, t_len, at[at >= o_data.shape[0]])):  # fmt: skip
            row = np.searchsorted(starts, pos, side="right") - 1
            kernel[row[pos < starts[row] + lengths[row]]] = False
    rows = np.flatnonzero(kernel)
    dist = np.full(n, np.nan)
    if rows.size:
        found = levenshtein.levenshtein_ragged(
            values, o_starts[rows], o_len[rows], t_starts[rows], t_len[rows], workers=workers
        )
        dist[rows] = found
        kernel[rows[found < 0]] = False
    rest = np.flatnonzero(ok & ~kernel)
    if rest.size:
        idx = pa.array(rest)
        dist[rest] = char_edit_distance(
            outputs.take(idx).to_numpy(zero_copy_only=False),
            targets.take(idx).to_numpy(zero_copy_only=False),
            workers=workers,
        )
    return dist


def _string_buffers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTF-8 bytes of a string column (chunks one after the other) with each row's offset and
    byte length in them (lengths of null rows are whatever Arrow holds; callers skip them)."""
    datas, starts, lengths = [np.empty(0, dtype=np.uint8)], [], []
    base = 0
    for chunk in column.chunks:
        data, begin, size, _ = string_layout(chunk)
        datas.append(data)
        starts.append(begin.astype(np.int64) + base)
        lengths.append(size.astype(np.int64))
        base += data.shape[0]
    if not starts:
        return datas[0], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(datas), np.concatenate(starts), np.concatenate(lengths)


def codes_to_strings(codes: np.ndarray, lengths: np.ndarray) -> list | None:
    """Encode integer-coded token sequences as strings, one code point per token code.

    Equal codes give equal code points, so string edit distance equals token edit distance.
    Returns ``None`` when a code does not fit in a code point (more than ~1.1M distinct tokens).
    """
    codes = np.asarray(codes)
    lengths = np.asarray(lengths, dtype=np.int64)
    lo, hi = (int(codes.min()), int(codes.max())) if codes.size else (0, 0)
    if lo < 0 or hi >= _MAX_CODES:
        return None
    # Code point = code + 1 (NUL is reserved as padding), skipping the surrogate block.
    if codes.dtype in (np.int32, np.uint32):
        points = codes.view("<u4") + np.uint32(1)  # codes >= 0: the same bits, one pass
    else:
        points = codes.astype("<u4")
        points += 1
    if hi + 1 >= 0xD800:
        points[points >= 0xD800] += _SURROGATES
    m = lengths.size
    width = int(lengths.max()) if m else 0
    if m and width and points.size == m * width and (lengths == width).all():
        return points.view(f"<U{width}").tolist()
    if m and width and m * width <= 4 * max(points.size, 1):
        # Fixed-width path: scatter into a zero-padded block and view it as numpy unicode;
        # numpy drops the trailing NUL padding when converting to str.
        starts = np.cumsum(lengths) - lengths
        block = np.zeros((m, width), dtype="<u4")
        rows = np.repeat(np.arange(m), lengths)
        block[rows, np.arange(points.size) - np.repeat(starts, lengths)] = points
        return block.view(f"<U{width}").reshape(m).tolist()
    joined = points.tobytes().decode("utf-32-le")
    ends = np.cumsum(lengths)
    starts = ends - lengths
    return [joined[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def token_edit_distance(
    output_tokens: np.ndarray,
    output_lengths: np.ndarray,
    target_tokens: np.ndarray,
    target_lengths: np.ndarray,
    workers: int = 1,
) -> np.ndarray:
    """Levenshtein distance between token sequences, pair by pair.

    Parameters
    ----------
    output_tokens, target_tokens : numpy.ndarray
        Flattened tokens of all rows, row after row: any hashable values, or integer token codes
        shared by both sides (used as they are; any integers that are equal exactly where the
        tokens are).
    output_lengths, target_lengths : numpy.ndarray
        Number of tokens of each row.
    workers : int
        Threads for rapidfuzz.

    Returns
    -------
    numpy.ndarray
        ``float64`` distances, one per row.
    """
    n = len(output_lengths)
    if n == 0:
        return np.empty(0)
    out_t, tgt_t = np.asarray(output_tokens), np.asarray(target_tokens)
    o_len = np.asarray(output_lengths, dtype=np.int64)
    t_len = np.asarray(target_lengths, dtype=np.int64)
    if np.issubdtype(out_t.dtype, np.integer) and np.issubdtype(tgt_t.dtype, np.integer):
        o_codes, t_codes = out_t, tgt_t
    else:
        both = np.concatenate([out_t.astype(object), tgt_t.astype(object)])
        codes = pd.factorize(both, use_na_sentinel=False)[0]
        o_codes, t_codes = codes[: len(out_t)], codes[len(out_t) :]
    # Rows with a side of at most 64 tokens go through the bit-parallel kernel (every row at
    # once, no Python strings); the others through rapidfuzz below.
    dist = _token_distance_kernel(o_codes, o_len, t_codes, t_len, workers)
    rest = np.flatnonzero(dist < 0)
    if rest.size:
        if rest.size < n:
            o_codes, o_len = _take_rows(o_codes, o_len, rest)
            t_codes, t_len = _take_rows(t_codes, t_len, rest)
        dist[rest] = _token_distance_rapidfuzz(o_codes, o_len, t_codes, t_len, workers)
    return dist.astype(np.float64)


def _token_distance_kernel(
    o_codes: np.ndarray, o_len: np.ndarray, t_codes: np.ndarray, t_len: np.ndarray, workers: int
) -> np.ndarray:
    """Distances by :mod:`~emergence.metrics.levenshtein`, -1 for the rows it leaves out."""
    n = o_len.shape[0]
    o_width, t_width = (int(x[0]) for x in (o_len, t_len))
    if (
        min(o_width, t_width) <= levenshtein.MAX_PATTERN
        and max(o_width, t_width) <= levenshtein.MAX_TEXT
        and o_codes.shape[0] == n * o_width
        and t_codes.shape[0] == n * t_width
        and (o_len == o_width).all()
        and (t_len == t_width).all()
    ):
        # The usual layout: fixed-width rows on both sides, matrices without any gather.
        return levenshtein.levenshtein_fixed(
            o_codes.reshape(n, o_width), t_codes.reshape(n, t_width), workers=workers
        )
    if o_codes.dtype != t_codes.dtype:
        dtype = np.promote_types(o_codes.dtype, t_codes.dtype)
        o_codes, t_codes = o_codes.astype(dtype), t_codes.astype(dtype)
    values = np.concatenate([o_codes, t_codes])
    o_starts = np.cumsum(o_len) - o_len
    t_starts = np.cumsum(t_len) - t_len + o_codes.shape[0]
    return levenshtein.levenshtein_ragged(
        values, o_starts, o_len, t_starts, t_len, workers=workers
    )


def _take_rows(codes: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> tuple:
    starts = np.cumsum(lengths) - lengths
    sub = lengths[rows]
    idx = np.repeat(starts[rows] - (np.cumsum(sub) - sub), sub) + np.arange(int(sub.sum()))
    return codes[idx], sub


def _token_distance_rapidfuzz(
    o_codes: np.ndarray, o_len: np.ndarray, t_codes: np.ndarray, t_len: np.ndarray, workers: int
) -> np.ndarray:
    """Distances by rapidfuzz, with tokens mapped to code points (strings compare fastest)."""
    n = o_len.shape[0]
    for codes in (o_codes, t_codes):
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= _MAX_CODES):
            # Keys too large for code points (packed bytes, say): dense codes for these rows.
            dense = pd.factorize(np.concatenate([o_codes, t_codes]), use_na_sentinel=False)[0]
            o_codes, t_codes = dense[: o_codes.shape[0]], dense[o_codes.shape[0] :]
            break
    # Each side is encoded on its own (no concatenated copy); the strings are the same either way.
    o_seqs = codes_to_strings(o_codes, o_len)
    t_seqs = codes_to_strings(t_codes, t_len) if o_seqs is not None else None
    if o_seqs is None or t_seqs is None:  # pragma: no cover - more than ~1.1M distinct tokens
        codes = pd.factorize(np.concatenate([o_codes, t_codes]))[0]
        lengths = np.concatenate([o_len, t_len]).astype(np.int64)
        ends = np.cumsum(lengths)
        seqs = [
            codes[e - k : e].tolist()
            for e, k in zip(ends.tolist(), lengths.tolist(), strict=True)
        ]
        o_seqs, t_seqs = seqs[:n], seqs[n:]
    return cpdist(o_seqs, t_seqs, scorer=Levenshtein.distance, workers=workers, dtype=np.int64)
