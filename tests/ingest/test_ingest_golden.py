"""Each input kind round-trips a small fixture into the expected JSONL, byte for byte."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from ftprep.ingest import convert, iter_converted
from ftprep.io import dumps

from .golden_cases import CASES, TEMPLATES, Case, run_case

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "expected"
SUPPORT = TEMPLATES / "support_chat.toml"
NO_OPENPYXL = importlib.util.find_spec("openpyxl") is None
PARAMS = [
    pytest.param(c, id=c.name, marks=pytest.mark.skipif(
        c.input.endswith(".xlsx") and NO_OPENPYXL, reason="needs openpyxl: pip install 'ftprep[excel]'"))
    for c in CASES
]


def _template(case: Case) -> Path:
    local = DATA / case.template
    return local if local.exists() else TEMPLATES / case.template


@pytest.mark.parametrize("case", PARAMS)
def test_golden_bytes(case: Case) -> None:
    assert run_case(case, DATA) == (EXPECTED / case.golden).read_bytes()


@pytest.mark.parametrize("case", PARAMS)
def test_rejected_rows_and_detection(case: Case, tmp_path: Path) -> None:
    report = convert(DATA / case.input, tmp_path / "out.jsonl", _template(case), **case.kwargs)
    assert tuple(f.line for f in report.rejected) == case.rejected_lines
    assert report.rejected_count == len(case.rejected_lines)
    assert report.examples_out + report.rejected_count == report.rows_in
    for key, value in case.detected.items():
        assert report.detected[key] == value


@pytest.mark.parametrize("case", PARAMS)
def test_records_carry_source_and_canonical_raw(case: Case) -> None:
    records = [r for batch in iter_converted(DATA / case.input, _template(case), **case.kwargs) for r in batch]
    golden_lines = (EXPECTED / case.golden).read_bytes().splitlines()
    good = [r for r in records if r.obj is not None]
    assert [r.raw for r in good] == golden_lines
    for r in records:
        assert r.source == str(DATA / case.input)
        assert r.line >= 1
        if r.obj is None:
            assert r.raw == b"" and r.text is None
            assert len(r.findings) == 1 and r.has_errors
        else:
            assert r.raw == dumps(r.obj) and r.text == r.raw.decode("utf-8")
            assert r.format in ("chat", "completion", "preference")
            assert not r.findings
    lines = [r.line for r in records]
    assert lines == sorted(lines)


def test_goldens_are_canonical_jsonl() -> None:
    for path in EXPECTED.glob("*.jsonl"):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n") and b"\r" not in data
        for line in data.splitlines():
            assert dumps(json.loads(line)) == line
            assert b"\\/" not in line and b"\\u00" not in line


def _crm_frame():  # type: ignore[no-untyped-def]
    pd = pytest.importorskip("pandas")
    return pd.read_csv(DATA / "crm_utf8sig_pipe.csv", sep="|", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")


def test_dataframe_round_trip(tmp_path: Path) -> None:
    df = _crm_frame()
    report = convert(df, tmp_path / "out.jsonl", SUPPORT)
    assert (tmp_path / "out.jsonl").read_bytes() == (EXPECTED / "crm.chat.jsonl").read_bytes()
    # the all-empty spreadsheet row is a row of empty strings in a DataFrame: rejected, by position
    assert [f.line for f in report.rejected] == [3, 5]
    assert {f.source for f in report.rejected} == {"<dataframe>"}
    assert report.detected["format"] == "dataframe"


def test_dataset_dict_round_trip_and_saved_to_disk(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    df = _crm_frame()
    full = datasets.Dataset.from_pandas(df, preserve_index=False)
    dd = datasets.DatasetDict({"train": full.select(range(3)), "test": full.select(range(3, len(full)))})
    report = convert(dd, tmp_path / "a.jsonl", SUPPORT, batch_size=2)
    assert (tmp_path / "a.jsonl").read_bytes() == (EXPECTED / "crm.chat.jsonl").read_bytes()
    assert [(f.source, f.line) for f in report.rejected] == [("<dataset:train>", 3), ("<dataset:test>", 2)]
    assert report.detected["splits"] == ["train", "test"]

    saved = tmp_path / "saved"
    dd.save_to_disk(str(saved))
    report2 = convert(saved, tmp_path / "b.jsonl", SUPPORT)
    assert (tmp_path / "b.jsonl").read_bytes() == (EXPECTED / "crm.chat.jsonl").read_bytes()
    assert report2.detected["format"] == "hf"
    assert report2.rejected[0].source == f"{saved}:train"

    only_test = [r for b in iter_converted(saved, SUPPORT, split="test") for r in b]
    assert [r.line for r in only_test] == [1, 2, 3]
    single = [r for b in iter_converted(full, SUPPORT) for r in b]
    assert len(single) == 6 and single[0].source == "<dataset>"


def test_iterable_dataset_round_trip(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    full = datasets.Dataset.from_pandas(_crm_frame(), preserve_index=False)
    report = convert(full.to_iterable_dataset(), tmp_path / "c.jsonl", SUPPORT, batch_size=4)
    assert (tmp_path / "c.jsonl").read_bytes() == (EXPECTED / "crm.chat.jsonl").read_bytes()
    assert [f.line for f in report.rejected] == [3, 5]
