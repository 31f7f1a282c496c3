"""Damaged Inspect ``.eval`` archives (corrupt deflate data, invalid UTF-8 in a member, a zstd
member failing its CRC) give one line naming the archive and member; a JSON log saved as
``.eval``, or an archive named on the command line, is told what to rename or unpack.
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from load_helpers import load_unsized

from emergence.errors import InputError
from emergence.load.inspect_ai import _read_member

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INSPECT_EVAL = next((FIXTURES / "inspect-0.3.285").glob("*.eval"))


def _deflated_eval(tmp_path: Path, edit=None) -> tuple[Path, str]:
    """The Inspect fixture re-written with deflate members (``edit`` may change a sample's
    bytes); returns the path and the name of the first sample member."""
    path = tmp_path / "log.eval"
    with zipfile.ZipFile(INSPECT_EVAL) as src, zipfile.ZipFile(path, "w") as dst:
        samples = sorted(n for n in src.namelist() if n.startswith("samples/"))
        for info in src.infolist():
            data = _read_member(INSPECT_EVAL, src, info)
            if edit is not None and info.filename == samples[0]:
                data = edit(data)
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return path, samples[0]


def _member_data_offset(path: Path, name: str) -> tuple[int, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    return info.header_offset + 30 + name_len + extra_len, info


def test_inspect_corrupt_deflate_member_is_one_line(tmp_path):
    path, member = _deflated_eval(tmp_path)
    start, info = _member_data_offset(path, member)
    data = bytearray(path.read_bytes())
    data[start : start + info.compress_size] = b"\xff" * info.compress_size  # bad block type
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=rf"^log\.eval:{member}: expected a readable ZIP member"):
        load_unsized(path)


def test_inspect_member_with_invalid_utf8_is_not_replaced(tmp_path):
    path, member = _deflated_eval(tmp_path, lambda b: b.replace(b'"id"', b'"i\xffd"', 1))
    with pytest.raises(InputError, match=rf"^log\.eval:{member}:1: not valid UTF-8 \(byte 0xff\)"):
        load_unsized(path)


def test_inspect_zstd_member_failing_its_crc_is_an_error(tmp_path):
    path = tmp_path / "log.eval"
    shutil.copy(INSPECT_EVAL, path)
    with zipfile.ZipFile(path) as zf:
        member = sorted(n for n in zf.namelist() if n.startswith("samples/"))[0]
        crc = zf.getinfo(member).CRC
    data = path.read_bytes()
    packed = struct.pack("<I", crc)
    assert data.count(packed) == 2  # the local header and the central directory entry
    path.write_bytes(data.replace(packed, struct.pack("<I", crc ^ 1)))
    with pytest.raises(InputError, match=rf"^log\.eval:{member}: .*CRC-32"):
        load_unsized(path)


def test_a_json_log_saved_as_eval_is_told_to_take_the_json_suffix(tmp_path):
    source = next((FIXTURES / "inspect-0.3.285").glob("*.json"))
    path = tmp_path / "log.eval"
    shutil.copy(source, path)
    with pytest.raises(InputError, match=r"^log\.eval: a JSON log under the \.eval suffix .*"
                                         r"rename it to \.json"):  # fmt: skip
        load_unsized(path)
    renamed = path.rename(tmp_path / "log.json")
    assert not load_unsized(renamed).items.empty  # the advice works


@pytest.mark.parametrize(
    ("name", "advice"),
    [("results.zip", "an archive; emergence reads files and folders, not archives: unpack it "
                     "(unzip results.zip)"),
     ("run.tar.gz", "an archive; emergence reads files and folders, not archives: unpack it "
                    "(tar -xf run.tar.gz)"),
     ("x.gz", "a compressed file; emergence reads uncompressed files only: decompress it "
              "(gunzip -k x.gz)")],
)  # fmt: skip
def test_an_archive_named_directly_is_told_to_be_unpacked(tmp_path, name, advice):
    from emergence.load import load

    path = tmp_path / name
    shutil.copy(INSPECT_EVAL, path)  # zip bytes; the suffix is what is judged
    with pytest.raises(InputError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: not a recognised input file: {advice}")
