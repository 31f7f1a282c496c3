"""Undecodable bytes, byte-order marks, Unicode line separators and binary files under a text
suffix (compressed, Parquet): one line naming the file (and line) and what it is, or a normal
load.

Every input is built in ``tmp_path`` from hand-written text or from a copy of ``tests/fixtures``.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import re
import shutil
import subprocess
import zipfile

import pandas as pd
import pytest
import zstandard
from load_helpers import LM_RUN, lm_copy, load_unsized

from emergence.errors import InputError
from emergence.load.sizes_registry import read_sizes

TS = "2026-11-23T18-17-00.935892"
LM_RESULTS = f"results_{TS}.json"
LM_GEN = f"samples_toy_gen_{TS}.jsonl"
SCORES_HEADER = "family,model,params,task,metric,value\n"
SEPARATORS = "\u2028 \u2029 \x85"


def test_lmeval_samples_with_invalid_utf8_name_file_and_line(tmp_path):
    run = lm_copy(tmp_path)
    lines = (run / LM_GEN).read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"doc_id"', b'"doc_\xffid"', 1)
    (run / LM_GEN).write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=rf"^{LM_GEN}:2: not valid UTF-8 \(byte 0xff\)"):
        load_unsized(run)


def test_lmeval_samples_and_results_with_bom_are_read(tmp_path):
    run = lm_copy(tmp_path)
    for name in (LM_GEN, LM_RESULTS):
        (run / name).write_bytes(codecs.BOM_UTF8 + (run / name).read_bytes())
    tables = load_unsized(run)
    reference = load_unsized(LM_RUN)
    assert len(tables.items) == len(reference.items)
    assert len(tables.scores) == len(reference.scores)


def test_bom_does_not_shift_the_reported_byte(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_bytes(codecs.BOM_UTF8 + SCORES_HEADER.encode() + b"f,a\xff,1e7,t,acc,0.1\n")
    with pytest.raises(
        InputError, match=r"^runs\.csv:2: field 'model': not valid UTF-8 \(byte 0xff\)"
    ):
        load_unsized(path)
    sizes = tmp_path / "sizes.csv"
    sizes.write_bytes(codecs.BOM_UTF8 + b"model,params\nab,1B\n\xffc,7B\n")
    with pytest.raises(InputError, match=r"^sizes\.csv:3: not valid UTF-8 \(byte 0xff\)"):
        read_sizes(sizes)


def test_lmeval_samples_with_unicode_line_separators_are_read(tmp_path):
    run = lm_copy(tmp_path)
    text = (run / LM_GEN).read_text(encoding="utf-8")
    assert text.count('"What is ') > 1
    (run / LM_GEN).write_text(text.replace('"What is ', f'"What{SEPARATORS}is '), encoding="utf-8")
    reference = load_unsized(LM_RUN).items
    items = load_unsized(run).items
    assert len(items) == len(reference)


def test_native_jsonl_with_unicode_line_separators_and_crlf_is_read(tmp_path):
    path = tmp_path / "scores.jsonl"
    # "params" of two types: pyarrow refuses the file and the line-by-line reader runs
    path.write_text(
        f'{{"family":"f","model":"a","params":1e7,"task":"t","metric":"acc{SEPARATORS}",'
        '"value":0.1}\r\n'
        '{"family":"f","model":"b","params":"1e8","task":"t","metric":"acc","value":0.2}\r\n',
        encoding="utf-8",
        newline="",
    )
    scores = load_unsized(path).scores
    assert sorted(scores["metric"]) == ["acc", f"acc{SEPARATORS}"]


def test_native_jsonl_line_of_only_a_separator_is_not_skipped(tmp_path):
    path = tmp_path / "scores.jsonl"
    good = '{"family":"f","model":"a","params":"1e7","task":"t","metric":"acc","value":0.1}'
    path.write_text(f"{good}\n\u2028\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^scores\.jsonl:2: invalid JSON"):
        load_unsized(path)


def test_compressed_or_parquet_bytes_under_a_text_suffix_say_what_they_are(tmp_path):
    # "not valid UTF-8 (byte 0x8b)" named a line of a file that has no lines
    table = SCORES_HEADER + "f,a,1e7,t,acc,0.1\n"
    gz = tmp_path / "scores.csv"
    gz.write_bytes(gzip.compress(table.encode()))
    with pytest.raises(InputError) as err:
        load_unsized(gz)
    assert str(err.value) == (
        "scores.csv: a gzip-compressed file, not text; expected UTF-8 text: decompress it "
        "(gunzip -c scores.csv > plain.csv && mv plain.csv scores.csv)"
    )
    pq = tmp_path / "rows.jsonl"
    pd.DataFrame({"value": [0.1]}).to_parquet(pq)
    with pytest.raises(InputError, match=r"^rows\.jsonl: a Parquet file, not text; expected "
                                         r"UTF-8 text: give it the suffix \.parquet$"):  # fmt: skip
        load_unsized(pq)
    # framework files too: a gzipped lm-eval samples file beside its results
    run = lm_copy(tmp_path)
    (run / LM_GEN).write_bytes(gzip.compress((run / LM_GEN).read_bytes()))
    with pytest.raises(InputError, match=rf"^{LM_GEN}: a gzip-compressed file, not text"):
        load_unsized(run)


@pytest.mark.parametrize(
    ("tool", "compress"),
    [
        ("gunzip", gzip.compress),
        ("xz", lzma.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
        ("bzip2", bz2.compress),
        ("unzip", None),
    ],
)
def test_the_advised_command_makes_a_compressed_file_readable(tmp_path, tool, compress):
    # the advice was "decompress it (gunzip -k)", which gunzip refuses for a file without the
    # .gz suffix ("unknown suffix -- ignored"), as unxz and unzstd do: the command given must
    # work on the file as it is named
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    table = SCORES_HEADER + "f,a,1e7,t,acc,0.1\n"
    path = tmp_path / "my scores.csv"  # a space: the name is quoted for the shell
    if compress is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("scores.csv", table)
    else:
        path.write_bytes(compress(table.encode()))
    with pytest.raises(InputError) as err:
        load_unsized(path)
    message = str(err.value)
    assert message.startswith("my scores.csv: ")
    command = re.search(rf"\(({tool} [^)]*?)(, for an archive of one file)?\)$", message)[1]
    assert "'my scores.csv'" in command
    subprocess.run(command, shell=True, cwd=tmp_path, check=True, capture_output=True)
    assert path.read_text() == table
    assert list(load_unsized(path).scores["value"]) == [0.1]


WIDE = [
    ("utf-16", "UTF-16 text", "iconv -f UTF-16 -t UTF-8"),  # with its byte order mark
    ("utf-16-le", "UTF-16 (little-endian, no byte order mark) text", "iconv -f UTF-16LE"),
    ("utf-16-be", "UTF-16 (big-endian, no byte order mark) text", "iconv -f UTF-16BE"),
    ("utf-32", "UTF-32 text", "iconv -f UTF-32 -t UTF-8"),
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("encoding, kind, convert", WIDE)
def test_a_utf16_or_utf32_file_is_named_with_the_command_that_converts_it(
    tmp_path, suffix, encoding, kind, convert
):
    # a spreadsheet's "Unicode text": its field names were shown as '\udcff\udcfef a m i l y'
    text = (SCORES_HEADER + "f,m,1e9,t,acc,0.5\n" if suffix == ".csv" else
            '{"family": "f", "model": "m", "params": 1e9, "task": "t", "metric": "acc", '
            '"value": 0.5}\n')  # fmt: skip
    path = tmp_path / f"s{suffix}"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError) as err:
        load_unsized(path)
    msg = str(err.value)
    assert msg.startswith(f"s{suffix}: {kind}, not UTF-8; expected UTF-8 text: convert it ("), msg
    assert convert in msg
    # the advice works: the converted file loads
    out = subprocess.run(["iconv", "-f", convert.split()[2], "-t", "UTF-8", str(path)],
                         capture_output=True, check=True).stdout  # fmt: skip
    path.write_bytes(out)
    assert len(load_unsized(path).scores) == 1


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_nul_byte_in_a_text_file_names_its_line(tmp_path, suffix):
    # valid UTF-8, but no text holds one: it was read into the model's name
    text = (SCORES_HEADER + "f,m\x00x,1e9,t,acc,0.5\n" if suffix == ".csv" else
            '{"family": "f", "model": "m\\u0000", "params": 1e9, "task": "t", "metric": "acc", '
            '"value": 0.5}\n{"family": "f", "model": "m\x00x", "params": 1e9}\n')  # fmt: skip
    path = tmp_path / f"s{suffix}"
    path.write_bytes(text.encode())
    with pytest.raises(InputError) as err:
        load_unsized(path)
    line = 2
    assert str(err.value).startswith(f"s{suffix}:{line}: ") and "a NUL byte (0x00)" in str(
        err.value
    ), err.value
