"""Readers and sniffing: formats, encodings, delimiters, row numbers, streaming, edge rows."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ftprep.errors import ConfigError, InputError, UsageError
from ftprep.ingest import (
    convert,
    detect_delimiter,
    detect_encoding,
    detect_format,
    iter_converted,
    parse_template,
)
from ftprep.ingest import readers as readers_mod
from ftprep.ingest.readers import iter_json_array
from ftprep.ingest.sniff import _scan_encoding

DATA = Path(__file__).resolve().parent / "data"
QA = parse_template('user = "{q}"\nassistant = "{a}"')


def records(source: Any, template: Any = QA, **kw: Any) -> list[Any]:
    return [r for batch in iter_converted(source, template, **kw) for r in batch]


def contents(recs: list[Any]) -> list[str]:
    return [r.obj["messages"][0]["content"] for r in recs if r.obj is not None]


# -- format ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("a.csv", b"q,a\n", "csv"), ("a.TSV", b"q\ta\n", "tsv"), ("a.tab", b"", "tsv"),
        ("a.xlsx", b"", "excel"), ("a.parquet", b"", "parquet"), ("a.jsonl", b"", "jsonl"),
        ("a.ndjson", b"", "jsonl"), ("a.log", b"", "log"), ("a.txt", b"", "log"),
        ("a.json", b"  [{}]", "json"), ("a.json", b'{"q": 1}\n', "jsonl"),
        ("a.csv.gz", b"", "csv"), ("export", b"PK\x03\x04rest", "excel"), ("export", b"PAR1", "parquet"),
        ("export", b"\n [1]", "json"), ("export", b'{"a":1}', "jsonl"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, data: bytes, fmt: str) -> None:
    (tmp_path / name).write_bytes(data)
    assert detect_format(tmp_path / name) == fmt


def test_detect_format_refusals(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(UsageError, match=r"\.xls format is not supported"):
        detect_format(tmp_path / "old.xls")
    (tmp_path / "mystery").write_bytes(b"hello")
    with pytest.raises(UsageError, match="pass --format"):
        detect_format(tmp_path / "mystery")
    with pytest.raises(UsageError, match="is a directory"):
        detect_format(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        detect_format(tmp_path / "missing.csv")


# -- encoding and delimiter -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("q,a\nZoë,€\n".encode(), "utf-8"),
        ("q,a\nZoë,€\n".encode("cp1252"), "cp1252"),
        (b"q,a\n\x81x,y\xe9\n", "latin-1"),
        ("\ufeffq,a\n".encode(), "utf-8-sig"),
        ("q,a\n".encode("utf-16"), "utf-16"),
        ("q,a\n".encode("utf-32"), "utf-32"),
        ("q,a\nZoë,x\n".encode("utf-16-le"), "utf-16-le"),
        ("q,a\nZoë,x\n".encode("utf-16-be"), "utf-16-be"),
        (b"q,a\nx\x00,y\n", "utf-8"),
        (b"", "utf-8"),
    ],
)
def test_detect_encoding(tmp_path: Path, data: bytes, encoding: str) -> None:
    (tmp_path / "f.csv").write_bytes(data)
    assert detect_encoding(tmp_path / "f.csv") == encoding


def test_encoding_scan_sees_past_the_first_chunk_and_split_sequences() -> None:
    good = "é".encode()
    assert _scan_encoding([b"a" * 10, good[:1], good[1:]]) == "utf-8"
    assert _scan_encoding([b"a" * 10, b"b" * 10, b"\xe9"]) == "cp1252"
    assert _scan_encoding([b"ok", good[:1]]) == "cp1252"  # truncated at the end


@pytest.mark.parametrize(
    ("sample", "delim"),
    [
        ("q,a\n1,2\n", ","),
        ("q;a\nhello, world;x, y, z\n", ";"),
        ("q\ta\tb\n1\t2\t3\n", "\t"),
        ("q|a\n1|2\n", "|"),
        ("just one column\nvalue\n", ","),
        ('q,a\n"semi;colons;here",2\n', ","),
    ],
)
def test_detect_delimiter(sample: str, delim: str) -> None:
    assert detect_delimiter(sample) == delim


def test_explicit_encoding_and_delimiter_win(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_bytes("q;a\nZoë;x\n".encode("cp1252"))
    recs = records(src, encoding="latin-1", delimiter=";")
    assert contents(recs) == ["Zoë"]
    with pytest.raises(UsageError, match="unknown encoding"):
        records(src, encoding="klingon")


def test_wrong_encoding_is_an_input_error_with_row(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_bytes(b"q,a\nx,y\n\xff\xfe,z\n")
    with pytest.raises(InputError, match="not valid utf-8"):
        records(src, encoding="utf-8", delimiter=",")


# -- CSV rows ---------------------------------------------------------------------------------

def test_csv_row_numbers_count_records_not_lines(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text('q,a\n"multi\nline\nquestion",yes\n\n,\nlast,ok\n', encoding="utf-8")
    recs = records(src)
    assert [(r.line, r.obj is not None) for r in recs] == [(2, True), (5, True)]
    assert contents(recs) == ["multi\nline\nquestion", "last"]


def test_csv_short_wide_rows_and_header_names(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text(" q ,a,,a\nx,y\nx,y,,,\nx,y,z,w,extra\n", encoding="utf-8")
    t = parse_template('user = "{q} {column3?} {a_2?}"\nassistant = "{a}"')
    report = convert(src, tmp_path / "o.jsonl", t)
    assert report.detected["columns"] == ["q", "a", "column3", "a_2"]
    assert report.detected["renamed_columns"] == {"a (column 4)": "a_2"}
    assert report.examples_out == 2
    (finding,) = report.rejected
    assert (finding.code, finding.line) == ("row_shape", 4)
    assert finding.message == "row 4 has 5 cells, the header has 4"


def test_csv_huge_field_and_limit_restored(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("q,a\n" + "x" * 300_000 + ",y\n", encoding="utf-8")
    before = csv.field_size_limit()
    assert contents(records(src)) == ["x" * 300_000]
    assert csv.field_size_limit() == before


def test_empty_csv_and_header_only(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"")
    assert records(tmp_path / "e.csv") == []
    (tmp_path / "h.csv").write_text("q,a\n", encoding="utf-8")
    assert records(tmp_path / "h.csv") == []


def test_gzipped_csv(tmp_path: Path) -> None:
    import gzip

    src = tmp_path / "t.csv.gz"
    src.write_bytes(gzip.compress("q,a\nZoë,x\n".encode()))
    assert contents(records(src)) == ["Zoë"]


def test_limit_batches_and_early_close(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("q,a\n" + "".join(f"q{i},a{i}\n" for i in range(10)), encoding="utf-8")
    batches = list(iter_converted(src, QA, batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    conv = iter_converted(src, QA, batch_size=4, limit=5)
    assert [len(b) for b in conv] == [4, 1]
    assert (conv.rows_in, conv.examples_out, conv.rejected_count) == (5, 5, 0)
    conv = iter_converted(src, QA, batch_size=2)
    next(conv)
    conv.close()
    assert conv.rows_in == 2
    with pytest.raises(UsageError):
        iter_converted(src, QA, batch_size=0)


# -- JSON arrays and JSONL --------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_json_array_streaming_across_chunk_boundaries(chunk: int) -> None:
    values = [{"q": "a\u2028b", "n": 12345678901234567890, "f": 1.5e-7}, [], "x", None, 0, {"nested": [{"k": "}"}]}]
    text = json.dumps(values, indent=2)
    assert list(iter_json_array(io.StringIO(text), "f.json", chunk=chunk)) == values
    assert list(iter_json_array(io.StringIO(" [ ] "), "f.json", chunk=chunk)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"q": 1}', "a JSON object; expected an array"),
        ("", "not a JSON array"),
        ('[{"q": 1}', "expected ',' or ']'"),
        ('[{"q": 1},]', "after element 1"),
        ('[{"q": 1}] x', "extra data after the closing"),
        ('[{"q": 1} {"q": 2}]', "expected ',' or ']'"),
        ('[{"q": "unterminated', "after element 0"),
    ],
)
def test_json_array_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(iter_json_array(io.StringIO(text), "f.json", chunk=4))


def test_json_array_rows_and_nan(tmp_path: Path) -> None:
    src = tmp_path / "a.json"
    src.write_text('[{"q": NaN, "a": 1}, {"q": "ok", "a": 2}]', encoding="utf-8")
    recs = records(src)
    assert recs[0].findings[0].message == "element 1: required column 'q' is empty"
    assert contents(recs) == ["ok"]


def test_jsonl_numbers_are_physical_lines(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"q": "x", "a": 1}\r\n\r\n{"q": 2, "a": 3.0}\n{"q": "no a"}\n7\n')
    recs = records(src)
    assert [(r.line, r.obj is not None) for r in recs] == [(1, True), (3, True), (4, False), (5, False)]
    assert recs[1].obj["messages"][1]["content"] == "3.0"
    assert recs[2].findings[0].message == "line 4: required column 'a' is missing"
    assert recs[3].findings[0].message == "line 5 is a number, not an object"


# -- logs ------------------------------------------------------------------------------------------

def test_log_one_record_per_line_by_default(tmp_path: Path) -> None:
    src = tmp_path / "a.log"
    src.write_text("first\n\n  second  \r\nthird", encoding="utf-8")
    t = parse_template('user = "{text}"\nassistant = "{first_line}|{rest?}"')
    recs = records(src, t)
    assert [(r.line, r.obj["messages"][0]["content"]) for r in recs] == [
        (1, "first"), (3, "  second  "), (4, "third")]


def test_log_record_start_groups_and_pattern(tmp_path: Path) -> None:
    src = tmp_path / "a.log"
    src.write_text("E 1 boom\n  trace a\n\n  trace b\nI 2 fine\nnot a start\nE 3 x\n", encoding="utf-8")
    t = parse_template('user = "[{level}] {rest?}"\nassistant = "{code}"')
    recs = records(src, t, fmt="log", record_start=r"(?P<level>[EI]) (?P<code>\d+) ")
    assert [(r.line, r.obj["messages"][0]["content"]) for r in recs] == [
        (1, "[E]   trace a\n\n  trace b"), (5, "[I] not a start"), (7, "[E] ")]
    with pytest.raises(ConfigError, match="column 'level'"):
        records(src, t, fmt="log")
    with pytest.raises(UsageError, match="--record-start: invalid regular expression"):
        records(src, t, fmt="log", record_start="(")


def test_log_record_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers_mod, "DEFAULT_MAX_LINE_BYTES", 20)
    src = tmp_path / "a.log"
    src.write_text("> a\n" + "x" * 30 + "\n> b\nshort\n", encoding="utf-8")
    t = parse_template('user = "{text}"\nassistant = "ok"')
    recs = records(src, t, record_start=">")
    assert recs[0].findings[0].code == "record_too_long" and recs[0].line == 1
    assert contents(recs) == ["> b\nshort"]


# -- Excel, Parquet, objects ---------------------------------------------------------------

def test_excel_sheet_selection(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    t = parse_template('user = "{id}"\nassistant = "{amount}"')
    with pytest.raises(UsageError, match="no sheet 'Nope' \\(sheets: About, Tickets, Orders\\)"):
        records(DATA / "tickets.xlsx", t, sheet="Nope")
    assert len(records(DATA / "tickets.xlsx", t, sheet="3")) == 4
    with pytest.raises(ConfigError, match="column 'id'"):
        records(DATA / "tickets.xlsx", t)  # first sheet: "About" has no such column


def test_excel_without_openpyxl_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(UsageError, match=r"pip install 'ftprep\[excel\]'"):
        records(DATA / "tickets.xlsx", QA)


def test_corrupt_binary_inputs(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="Excel workbook"):
        records(tmp_path / "bad.xlsx", QA)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nope")
    with pytest.raises(InputError, match="Parquet"):
        records(tmp_path / "bad.parquet", QA)


def test_parquet_reads_only_template_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    seen: list[Any] = []
    original = pq.ParquetFile.iter_batches

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("columns"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    t = parse_template('user = "{note?}"\nassistant = "{id}"')
    assert len(records(DATA / "orders.parquet", t)) == 4
    assert seen == [["id", "note"]]


def test_unsupported_source_object() -> None:
    with pytest.raises(UsageError, match="cannot convert a int"):
        records(42)


def test_dataframe_types_and_surrogates() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"q": pd.Series(["ok", "bad \ud800", None], dtype=object), "a": [1, 2, 3], 5: ["x", "y", "z"]})
    t = parse_template('user = "{q}"\nassistant = "{a} {5}"')
    recs = records(df, t)
    assert recs[0].obj["messages"][1]["content"] == "1 x"
    assert recs[1].findings[0].message == "row 2: text holds an unpaired surrogate (not valid Unicode)"
    assert recs[2].findings[0].message == "row 3: required column 'q' is empty"


def test_convert_refuses_to_overwrite_its_input_and_leaves_no_partial_file(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("q,a\nx,y\n", encoding="utf-8")
    with pytest.raises(UsageError, match="overwrite the input"):
        convert(src, src, QA)
    bad = parse_template('user = "{nope}"\nassistant = "{a}"')
    with pytest.raises(ConfigError):
        convert(src, tmp_path / "out.jsonl", bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
    report = convert(src, None, QA)
    assert report.output is None and report.examples_out == 1
    assert "<table>" in report._repr_html_() and report.to_dict()["examples_out"] == 1
