"""Text metrics on Unicode text: combining marks in the fallback tokenizer, normalisation forms,
case folding and whitespace collapse in exact match."""

from __future__ import annotations

import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emergence.metrics import Normalisation, fallback_tokenize, score_items
from emergence.metrics import text as text_module
from emergence.metrics.text import (
    char_edit_distance,
    exact_match,
    fallback_tokenize_many,
    normalise_texts,
)

HINDI = "नमस्ते दुनिया"  # "hello world": two words, written with vowel signs and a virama
NFC_TEXT = "naïve café"
NFD_TEXT = unicodedata.normalize("NFD", NFC_TEXT)
MARKS = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "M"]


def test_combining_marks_stay_in_their_word():
    # Unicode word segmentation (UAX #29, rule WB4) keeps a mark with the character before it:
    # two words here, where re's \w alone cut the Hindi into 10 pieces
    assert fallback_tokenize(HINDI) == ["नमस्ते", "दुनिया"]
    assert fallback_tokenize(NFD_TEXT) == [
        unicodedata.normalize("NFD", w) for w in ("naïve", "café")
    ]
    assert len(fallback_tokenize(NFD_TEXT)) == len(fallback_tokenize(NFC_TEXT)) == 2
    # a mark on punctuation stays with it (NFD of "≠" is "=" + U+0338); one after a space
    # starts a word; the ASCII behaviour is unchanged
    assert fallback_tokenize("a =\u0338 b") == ["a", "=\u0338", "b"]
    assert fallback_tokenize(" \u0301x y") == ["\u0301x", "y"]
    assert fallback_tokenize("x = 12, y") == ["x", "=", "12", ",", "y"]


def test_every_mark_joins_the_word_before_it():
    assert len(MARKS) > 2000  # Mn, Mc and Me of this Python's Unicode database
    joined = "".join("a" + m for m in MARKS)  # one run of letters and marks
    assert fallback_tokenize(joined) == [joined]
    assert fallback_tokenize_many([joined, "é " + joined]) == [[joined], ["é", joined]]
    # the column version skips the marks' pattern below U+0300, where no mark is
    assert min(MARKS) == text_module._FIRST_MARK


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.sampled_from(
    ["a", "é", " ", "\t", ",", "\u0301", "\u093e", "न", "्", "=", "\u20dd", "1", "\u00a0", "😀"]
)), max_size=8))  # fmt: skip
def test_tokenizing_a_column_gives_the_tokens_of_each_text(texts):
    assert fallback_tokenize_many(texts) == [fallback_tokenize(t) for t in texts]
    for name in ("whitespace", "char"):
        assert fallback_tokenize_many(texts, name) == [fallback_tokenize(t, name) for t in texts]


def _items(outputs: list[str], targets: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "family": "f", "model": "m", "params": 1.0, "task": "t",
        "item": [f"q{i}" for i in range(len(outputs))], "output": outputs, "target": targets,
    })  # fmt: skip


def test_token_edit_distance_counts_words_with_marks_once():
    changed = HINDI.replace("दुनिया", "दुनियो")  # one vowel sign differs: one word differs
    items = _items([HINDI, changed, NFD_TEXT], [HINDI, HINDI, NFC_TEXT])
    ted = score_items(items, ["token_edit_distance"]).column("token_edit_distance")
    # NFC and NFD spellings are different code points: each word holding a decomposed
    # accent is one substituted token (exact match has the nfc option for this)
    np.testing.assert_array_equal(ted, [0.0, 1.0, 2.0])


def test_char_edit_distance_counts_code_points():
    # documented: "é" precomposed is one code point, decomposed two ("e" + U+0301), so the two
    # spellings are 2 apart (a substitution and an insertion)
    nfd = unicodedata.normalize("NFD", "café")
    got = char_edit_distance(["café", nfd, nfd, "café"], ["cafe", "cafe", "café", ""])
    assert got.tolist() == [1.0, 1.0, 2.0, 4.0]


def test_unicode_forms_make_equivalent_spellings_equal():
    out = [NFD_TEXT, "ﬁne", "Ｆ１", "STRASSE", "ǰ"]
    tgt = [NFC_TEXT, "fine", "F1", "Straße", "J\u030c"]
    assert exact_match(out, tgt).tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]
    nfc = exact_match(out, tgt, Normalisation(unicode_form="NFC"))
    assert nfc.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    nfkc = exact_match(out, tgt, Normalisation(unicode_form="NFKC"))  # compatibility variants
    assert nfkc.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    # casefold: "ß" folds to "ss" (lower() keeps "ß"), "ﬁ" to "fi", "ǰ" and "J̌" to "j" + U+030C
    folded = exact_match(out, tgt, Normalisation(casefold=True, unicode_form="NFC"))
    assert folded.tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]
    # the text leaves in the form asked for, even where case folding decomposed it
    texts = pd.Series(["ǰ", "J\u030c", NFD_TEXT.upper()], dtype="string")
    done = normalise_texts(texts, Normalisation(casefold=True, unicode_form="NFC")).tolist()
    assert done == ["\u01f0", "\u01f0", NFC_TEXT]
    with pytest.raises(ValueError, match="unknown Unicode form 'nfc'"):
        Normalisation(unicode_form="nfc")


def test_casefold_is_not_lower_casing():
    norm = Normalisation(casefold=True)
    assert exact_match(["Straße", "ΣΊΣΥΦΟΣ"], ["STRASSE", "σίσυφος"], norm).tolist() == [1.0, 1.0]


def test_whitespace_collapse_takes_every_unicode_space():
    norm = Normalisation(collapse_whitespace=True)
    out = ["a\tb\n c", "a\u00a0b", "a\u2003\u3000b", "a \r\n\x0b\x0cb", "ab"]
    assert exact_match(out, ["a b c", "a b", "a b", "a b", "a b"], norm).tolist() == [
        1.0, 1.0, 1.0, 1.0, 0.0
    ]  # fmt: skip
    assert exact_match(["a\tb"], ["a b"]).tolist() == [0.0]  # strict by default


def test_rescore_normalise_nfc_from_the_command_line(tmp_path):
    from click.testing import CliRunner

    from emergence import cli

    path = tmp_path / "uni.csv"
    _items([HINDI, NFD_TEXT], [HINDI, NFC_TEXT]).to_csv(path, index=False)
    runner = CliRunner()

    def em(option: list[str]) -> float:
        args = ["-q", "rescore", str(path), "--bootstrap", "0", "--metrics", "exact_match"]
        res = runner.invoke(cli.cli, [*args, "--format", "csv", *option])
        assert res.exit_code == 0, res.output
        return float(res.stdout.splitlines()[1].split(",")[5])

    assert em([]) == 0.5
    assert em(["--normalise", "strip,casefold,whitespace"]) == 0.5
    assert em(["--normalise", "nfc"]) == 1.0
    assert em(["--normalise", "nfkc,casefold"]) == 1.0
    res = runner.invoke(cli.cli, ["rescore", str(path), "--normalise", "nfc,nfkc"])
    assert res.exit_code == 2
    assert "error: --normalise: choose one of nfc and nfkc" in res.output
