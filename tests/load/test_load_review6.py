"""Loader review 6: undecodable, damaged or unusual-but-valid input gives one clear line or loads.

Every input is built in ``tmp_path`` from hand-written text or from a copy of ``tests/fixtures``.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import shutil
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from emergence.errors import InputError
from emergence.load import load, parse_size
from emergence.load.framework_common import size_from_name
from emergence.load.inspect_ai import _read_member
from emergence.load.sizes_registry import read_sizes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LM_RUN = FIXTURES / "lm-eval-0.4.13" / "tiny-neox-h32-l1"
TS = "2026-11-23T18-17-00.935892"
LM_RESULTS = f"results_{TS}.json"
LM_GEN = f"samples_toy_gen_{TS}.jsonl"
INSPECT_EVAL = next((FIXTURES / "inspect-0.3.285").glob("*.eval"))
HELM_RUN = FIXTURES / "helm-0.5.16" / "runs" / "v1" / "simple_mcqa__model=simple_model1"
SCORES_HEADER = "family,model,params,task,metric,value\n"


def _lm_copy(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(LM_RUN, run)
    return run


def _load(path: Path):
    return load(path, allow_missing_params=True)


# --------------------------------------------------------------------------- 1. UTF-8


def test_lmeval_samples_with_invalid_utf8_name_file_and_line(tmp_path):
    run = _lm_copy(tmp_path)
    lines = (run / LM_GEN).read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"doc_id"', b'"doc_\xffid"', 1)
    (run / LM_GEN).write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=rf"^{LM_GEN}:2: not valid UTF-8 \(byte 0xff\)"):
        _load(run)


def test_lmeval_samples_and_results_with_bom_are_read(tmp_path):
    run = _lm_copy(tmp_path)
    for name in (LM_GEN, LM_RESULTS):
        (run / name).write_bytes(codecs.BOM_UTF8 + (run / name).read_bytes())
    tables = _load(run)
    reference = _load(LM_RUN)
    assert len(tables.items) == len(reference.items)
    assert len(tables.scores) == len(reference.scores)


def test_bom_does_not_shift_the_reported_byte(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_bytes(codecs.BOM_UTF8 + SCORES_HEADER.encode() + b"f,a\xff,1e7,t,acc,0.1\n")
    with pytest.raises(
        InputError, match=r"^runs\.csv:2: field 'model': not valid UTF-8 \(byte 0xff\)"
    ):
        _load(path)
    sizes = tmp_path / "sizes.csv"
    sizes.write_bytes(codecs.BOM_UTF8 + b"model,params\nab,1B\n\xffc,7B\n")
    with pytest.raises(InputError, match=r"^sizes\.csv:3: not valid UTF-8 \(byte 0xff\)"):
        read_sizes(sizes)


# --------------------------------------------------------------------------- 2. Inspect zips


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
        _load(path)


def test_inspect_member_with_invalid_utf8_is_not_replaced(tmp_path):
    path, member = _deflated_eval(tmp_path, lambda b: b.replace(b'"id"', b'"i\xffd"', 1))
    with pytest.raises(InputError, match=rf"^log\.eval:{member}:1: not valid UTF-8 \(byte 0xff\)"):
        _load(path)


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
        _load(path)


# --------------------------------------------------------------------------- 3. results sniffing


def _v03(model: str, acc: float) -> dict:
    return {
        "results": {"lambada": {"acc": acc, "acc_stderr": 0.01}},
        "versions": {"lambada": 0},
        "config": {"model": "gpt2", "model_args": f"pretrained={model}", "num_fewshot": 0},
    }


def test_results_with_sorted_keys_or_bom_in_a_folder_are_read(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(_v03("org/m-70m", 0.2), indent=2))
    (folder / "b.json").write_text(json.dumps(_v03("org/m-160m", 0.3), sort_keys=True))
    (folder / "c.json").write_bytes(
        codecs.BOM_UTF8 + json.dumps(_v03("org/m-410m", 0.4), indent=2).encode()
    )
    scores = _load(folder).scores
    assert sorted(scores["model"]) == ["org/m-160m", "org/m-410m", "org/m-70m"]


def test_sorted_results_with_large_configs_and_samples_are_read(tmp_path):
    run = _lm_copy(tmp_path)
    doc = json.loads((run / LM_RESULTS).read_text())
    # many task configs sort before "results" and push it past the sniffed window
    doc["configs"].update({f"zz_{i}": {"description": "x" * 1000} for i in range(100)})
    (run / LM_RESULTS).write_text(json.dumps(doc, sort_keys=True, indent=2))
    assert (run / LM_RESULTS).read_text().index('"results"') > 1 << 16
    tables = _load(run)
    reference = _load(LM_RUN)
    assert len(tables.items) == len(reference.items)
    assert len(tables.scores) == len(reference.scores)


def test_results_with_bom_beside_samples_is_found(tmp_path):
    run = _lm_copy(tmp_path)
    (run / LM_RESULTS).write_bytes(codecs.BOM_UTF8 + (run / LM_RESULTS).read_bytes())
    tables = _load(run / LM_GEN)  # a samples file finds its results file by timestamp
    assert not tables.items.empty


def test_sorted_results_with_hundreds_of_tasks_are_found(tmp_path):
    """Sorted keys put "results" after "configs": with a few hundred tasks it lies more than
    the sniffed window from both ends of the file, yet the file is lm-eval's."""
    doc = _v03("org/m-70m", 0.2)
    tasks = [f"task{i}" for i in range(800)]
    doc["configs"] = {t: {"description": "x" * 300} for t in tasks}
    doc["results"] |= {t: {"acc": 0.5, "acc_stderr": 0.01, "acc_norm": 0.5,
                           "acc_norm_stderr": 0.01} for t in tasks}  # fmt: skip
    doc["versions"] |= dict.fromkeys(tasks, 0)
    folder = tmp_path / "runs"
    folder.mkdir()
    text = json.dumps(doc, sort_keys=True)
    assert len(text) - text.index('"results"') > 1 << 16 < text.index('"results"')
    (folder / "a.json").write_text(text)
    assert list(_load(folder).scores["model"].unique()) == ["org/m-70m"]


def test_other_json_in_a_folder_is_still_skipped(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(_v03("org/m-70m", 0.2)))
    (folder / "config.json").write_text(json.dumps({"config": {"x": ["y" * 100] * 1000}}))
    (folder / "nested.json").write_text(json.dumps({"a": {"results": {"x": 1}}}))
    # other tools' files with a top-level "results" (lighteval's config_general first; sorted
    # keys; an lm-eval key first but no config) and a half-written file whose first key is one
    # of lm-eval's are not lm-eval results: claiming them stopped the whole folder loading
    (folder / "lighteval.json").write_text(json.dumps(
        {"config_general": {"model_name": "org/m-1b"}, "results": {"all": {"acc": 0.5}},
         "versions": {}}))  # fmt: skip
    (folder / "other.json").write_text(json.dumps(
        {"metrics": {"name": "m"}, "results": {"a": 1}, "versions": {}}, sort_keys=True))
    (folder / "dated.json").write_text(json.dumps(
        {"date": 1, "results": {"x": {"acc": 1}}, "versions": {"x": 0}}))  # no config
    (folder / "status.json").write_text('{"date": 1700000000, "runs": [1, 2')
    assert list(_load(folder).scores["model"]) == ["org/m-70m"]


# --------------------------------------------------------------------------- 4. huge integers


@pytest.mark.parametrize(
    ("header", "row", "field", "value"),
    [
        ("choices,choice_logprobs,correct_choice", '"[""x"",""y""]","[-1.0,-2.0]",1e20',
         "correct_choice", "1e+20"),
        ("output,n_shots", "x,1e19", "n_shots", "1e+19"),
        ("output,n_shots", "x,9007199254740993", "n_shots", "9007199254740993"),
    ],
)  # fmt: skip
def test_integers_too_large_are_an_error_without_warning(tmp_path, header, row, field, value):
    path = tmp_path / "items.csv"
    path.write_text(
        f"family,model,params,task,item,target,{header}\nf,a,1e7,t,1,x,{row}\n", encoding="utf-8"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            InputError,
            match=rf"^items\.csv:2: field '{field}': expected a non-negative integer .*"
            rf"got {re.escape(value)}$",
        ):
            _load(path)


# --------------------------------------------------------------------------- 5. line separators


SEPARATORS = "\u2028 \u2029 \x85"


def test_lmeval_samples_with_unicode_line_separators_are_read(tmp_path):
    run = _lm_copy(tmp_path)
    text = (run / LM_GEN).read_text(encoding="utf-8")
    assert text.count('"What is ') > 1
    (run / LM_GEN).write_text(text.replace('"What is ', f'"What{SEPARATORS}is '), encoding="utf-8")
    reference = _load(LM_RUN).items
    items = _load(run).items
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
    scores = _load(path).scores
    assert sorted(scores["metric"]) == ["acc", f"acc{SEPARATORS}"]


def test_native_jsonl_line_of_only_a_separator_is_not_skipped(tmp_path):
    path = tmp_path / "scores.jsonl"
    good = '{"family":"f","model":"a","params":"1e7","task":"t","metric":"acc","value":0.1}'
    path.write_text(f"{good}\n\u2028\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^scores\.jsonl:2: invalid JSON"):
        _load(path)


# --------------------------------------------------------------------------- 6. HELM stats


def _helm_with_stat(tmp_path: Path, mean: object, drop: str | None = None) -> tuple[Path, int]:
    """A copy of the joint multiple-choice run whose record [3] has ``exact_match`` damaged."""
    run = tmp_path / "v1" / HELM_RUN.name
    shutil.copytree(HELM_RUN, run)
    stats = json.loads((run / "per_instance_stats.json").read_text())
    j, stat = next(
        (j, s) for j, s in enumerate(stats[3]["stats"]) if s["name"]["name"] == "exact_match"
    )
    stat["mean"] = mean
    if drop:
        del stat[drop]
    (run / "per_instance_stats.json").write_text(json.dumps(stats))
    return run, j


@pytest.mark.parametrize("mean", ["oops", math.nan])
def test_helm_stat_that_is_not_a_number_is_an_error(tmp_path, mean):
    run, j = _helm_with_stat(tmp_path, mean)
    with pytest.raises(
        InputError,
        match=rf"^v1/{HELM_RUN.name}/per_instance_stats\.json:\[3\]: field 'stats\[{j}\]\.mean': "
        r"expected a number for stat 'exact_match'",
    ):
        _load(run)


def test_helm_nan_in_a_stat_nobody_analyses_is_skipped_not_fatal(tmp_path):
    """HELM emits NaN stats (a runtime it could not measure): one must not stop the run; that
    instance just has no value for that stat. A NaN correctness stat stays an error (above)."""
    run = tmp_path / "v1" / HELM_RUN.name
    shutil.copytree(HELM_RUN, run)
    stats = json.loads((run / "per_instance_stats.json").read_text())
    stat = next(s for s in stats[3]["stats"]
                if s["name"]["name"] == "inference_runtime" and s["count"])  # fmt: skip
    stat["mean"] = math.nan
    (run / "per_instance_stats.json").write_text(json.dumps(stats))
    scores = _load(run).scores.set_index("metric")
    full = _load(HELM_RUN).scores.set_index("metric")
    runtime = "inference_runtime", "n_items"
    assert scores.loc[runtime] == full.loc[runtime] - 1
    assert scores.loc["exact_match", "n_items"] == full.loc["exact_match", "n_items"]


def test_helm_stat_without_mean_or_count_is_an_error(tmp_path):
    run, j = _helm_with_stat(tmp_path, None, drop="count")
    with pytest.raises(InputError, match=rf"field 'stats\[{j}\]\.count': expected a positive"):
        _load(run)


def test_helm_stats_with_count_zero_are_still_skipped():
    stats = json.loads((HELM_RUN / "per_instance_stats.json").read_text())
    empty = {s["name"]["name"] for e in stats for s in e["stats"] if s["count"] == 0}
    assert empty  # HELM writes no mean for them: nothing was measured
    scores = _load(HELM_RUN).scores
    assert not set(scores["metric"]) & empty
    assert (scores["n_items"] == len({e["instance_id"] for e in stats})).all()


# --------------------------------------------------------------------------- 7. CSV lines


@pytest.mark.parametrize("blank", ["", "  \t", "\r"])
def test_csv_error_line_counts_blank_lines(tmp_path, blank):
    path = tmp_path / "scores.csv"
    path.write_text(
        f"{SCORES_HEADER}f,a,1e7,t,acc,0.1\n{blank}\nf,b,1e8,t,acc,0.2\nf,c,seven,t,acc,0.5\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"^scores\.csv:5: field 'params'"):
        _load(path)


def test_csv_error_line_after_quoted_newline_and_empty_quoted_row(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(
        f'{SCORES_HEADER}f,"a\nx",1e7,t,acc,0.1\n\n""\nf,c,seven,t,acc,0.5\n', encoding="utf-8"
    )
    # the row '""' is a row of nulls for pandas (not blank): the first error is on line 5
    with pytest.raises(InputError, match=r"^scores\.csv:5: field 'family'"):
        _load(path)


# --------------------------------------------------------------------------- 8. sizes


@pytest.mark.parametrize("value", ["1.3e9B", "1e9 b", "7E3k", "2.5E+3 T"])
def test_size_with_exponent_and_suffix_is_refused(value):
    with pytest.raises(ValueError, match="an exponent or a suffix letter, not both"):
        parse_size(value)


def test_size_with_exponent_and_suffix_in_params_and_sizes_file(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(f"{SCORES_HEADER}f,a,1.3e9B,t,acc,0.1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^scores\.csv:2: field 'params': .*not both"):
        _load(path)
    sizes = tmp_path / "sizes.csv"
    sizes.write_text("model,params\na,1.3e9B\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^sizes\.csv:2: field 'params': .*not both"):
        read_sizes(sizes)


def test_exponents_alone_and_model_names_keep_their_sizes():
    assert parse_size("1.3e9") == 1.3e9 and parse_size("1.3B") == 1.3e9
    # names never read an exponent: "1e9b" holds no size token
    assert size_from_name("org/model-1e9b") is None
    assert size_from_name("pythia-1.4b-deduped") == pytest.approx(1.4e9)
