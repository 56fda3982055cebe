"""Hostile and odd input: each gets a clear finding or error with file and line, never a
traceback and never a silent change. (The per-file table is in test_bad_corpus.py.)"""

from __future__ import annotations

import json
import os
import pickle
import time
import tracemalloc
from pathlib import Path

import pytest
from helpers import chat, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

import ftprep.io as fio
from ftprep import PrepareConfig, prepare, verify_outputs
from ftprep.errors import ConfigError, InputError
from ftprep.io import OverlongLine, ReadLimits, iter_lines, iter_records, parse_record

NOPZ = PrepareConfig(pseudonymize=False, workers=1)


def records(path: Path, **kw) -> list:
    return [r for batch in iter_records(path, **kw) for r in batch]


def rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_bytes().splitlines()]


# --- very long lines ---------------------------------------------------------

def _sparse_long_line(path: Path, size: int) -> None:
    """A file whose first line is ``size`` bytes (NULs, sparse: no disk used), then a good line."""
    with open(path, "wb") as fh:
        fh.write(b'{"messages":"')
        fh.truncate(size)
        fh.seek(0, os.SEEK_END)
        fh.write(b'"}\n' + json.dumps(chat()).encode() + b"\n")


def test_a_200_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    _sparse_long_line(path, 200 * 1024 * 1024)
    tracemalloc.start()
    try:
        recs = records(path, limits=ReadLimits(max_line_bytes=1 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes: the long line was held"
    assert [r.line for r in recs] == [1, 2]
    assert [f.code for f in recs[0].findings] == ["line_too_long"]
    assert "209715202 bytes, over the limit of 1048576 (max_line_bytes)" in recs[0].findings[0].message
    assert recs[0].raw == b"" and recs[0].text is None and recs[0].obj is None
    assert recs[1].obj == chat() and not recs[1].findings


def test_default_limit_holds_at_most_about_the_limit(tmp_path: Path) -> None:
    """With the default 64 MiB limit, a 200 MB line costs about 64 MiB once, not 200 MB."""
    path = tmp_path / "huge.jsonl"
    _sparse_long_line(path, 200 * 1024 * 1024)
    tracemalloc.start()
    try:
        recs = records(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024, peak
    assert [f.code for f in recs[0].findings] == ["line_too_long"]


def test_overlong_line_in_prepare_holds_no_text_with_workers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = [json.dumps(chat(user=f"q{i}")) for i in range(12)]
    long_line = json.dumps(chat(user="x" * 5000))
    path.write_text("\n".join([good[0], long_line, *good[1:]]) + "\n")
    cfg = PrepareConfig(pseudonymize=False, workers=2, batch_size=3, max_line_bytes=2000)
    report = prepare([path], tmp_path / "o", cfg)
    counts = report.manifest["counts"]
    assert counts["accounted"] and counts["rejected_by_reason"] == {"line_too_long": 1}
    (rej,) = rows(tmp_path / "o" / "rejected.jsonl")
    assert rej["line"] == 2 and rej["text"] is None and "record" not in rej
    assert "x" * 100 not in (tmp_path / "o" / "rejected.jsonl").read_text()
    assert verify_outputs(tmp_path / "o").ok


def test_overlong_marker_survives_pickling() -> None:
    marker = pickle.loads(pickle.dumps(OverlongLine(123, True)))
    assert isinstance(marker, OverlongLine) and (marker.length, marker.cr) == (123, True)
    assert bytes(marker) == b""


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 25), st.sampled_from([b"\n", b"\r\n", b"\r\r\n"])),
                min_size=1, max_size=6),
       st.sampled_from([2, 3, 4, 7, 1 << 20]), st.integers(1, 12))
def test_line_lengths_are_exact_whatever_the_piece_size(tmp_path_factory, lines, piece: int,
                                                        limit: int) -> None:
    """Lines straddling read pieces (and CRLF split across two pieces) keep exact
    lengths; a line over the limit comes back as an OverlongLine with its true length."""
    path = tmp_path_factory.mktemp("p") / "x.jsonl"
    path.write_bytes(b"".join(b"x" * n + term for n, term in lines))
    old = fio._PIECE
    fio._PIECE = piece
    try:
        got = list(iter_lines(path, limit))
    finally:
        fio._PIECE = old
    for (number, raw), (n, term) in zip(got, lines, strict=True):
        content = n + (1 if term == b"\r\r\n" else 0)
        if content > limit:
            assert isinstance(raw, OverlongLine) and raw.length == content, (number, raw)
        else:
            assert not isinstance(raw, OverlongLine) and len(raw) == content


# --- millions of tiny lines --------------------------------------------------------

def test_millions_of_tiny_lines_stream_fast(tmp_path: Path) -> None:
    path = tmp_path / "tiny.jsonl"
    path.write_bytes(b'{"a":1}\n' * 1_000_000)
    started = time.perf_counter()
    n = sum(1 for _ in iter_lines(path))
    elapsed = time.perf_counter() - started
    assert n == 1_000_000
    assert elapsed < 5, f"{elapsed:.1f} s to read 1M lines"  # ~0.25 s here
    started = time.perf_counter()
    parsed = 0
    for batch in iter_records(path, batch_size=4096):
        parsed += len(batch)
        if parsed >= 100_000:
            break
    assert time.perf_counter() - started < 5  # ~0.3 s here


# --- JSON the service does not accept ------------------------------------------------

@pytest.mark.parametrize(("raw", "code"), [
    (b'{"a":NaN}', "invalid_json"),
    (b'{"a":Infinity}', "invalid_json"),
    (b'{"a":-Infinity}', "invalid_json"),
    (b'{"a":1e999}', "invalid_json"),
    (b'{"a":1,"a":2}', "duplicate_key"),
    (b'{"a" : 1 , "a" : 2}', "duplicate_key"),
    (b'{"a" :1,"b":2,"b":3}', "duplicate_key"),  # spaced and compact keys mixed
    (b'{"a"\t:1,"b":{"c"  :1,"c":2}}', "duplicate_key"),
    (b'{"k\\\\":1,"k\\\\":2}', "duplicate_key"),  # a key ending in a backslash
    (b'{"a":"{\\"x\\":1}","a":2}', "duplicate_key"),  # escaped JSON in a value
    (b'{"m":[{"role":"user","role":"assistant"}]}', "duplicate_key"),
    (b'{"a":"\\ud800"}', "lone_surrogate"),
    (b'{"a":"\\udfff x"}', "lone_surrogate"),
    (b'{"a":"\\ud800\\u0041"}', "lone_surrogate"),
    (b'{"a":18446744073709551616}', "integer_too_large"),
    (b'{"a":-9223372036854775809}', "integer_too_large"),
    (b'{"a":[1.5,' + b"9" * 400 + b"]}", "integer_too_large"),
    (b'{"a":' + b"9" * 5000 + b"}", "integer_too_large"),
    (b"[" * 2000 + b"]" * 2000, "too_deep"),
    (b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}", "too_deep"),
    (b'{"a":' + b"[" * 70 + b"]" * 70 + b"}", "too_deep"),
    (b"[1,2]", "json_array"),
    (b'{"a":1}\r{"a":2}', "cr_line_ends"),
    (b"null", "not_object"),
], ids=lambda v: v.decode("latin-1")[:24] if isinstance(v, bytes) else v)
def test_json_the_service_refuses_gets_its_code(raw: bytes, code: str) -> None:
    rec = parse_record("f.jsonl", 1, raw, ReadLimits())
    assert [f.code for f in rec.findings] == [code]
    assert rec.obj is None, "a line with a load finding must not carry a half-true object"
    assert rec.findings[0].line == 1 and rec.findings[0].source == "f.jsonl"


@pytest.mark.parametrize("raw", [
    b'{"a":18446744073709551615,"b":-9223372036854775808}',  # the 64-bit edges are fine
    b'{"a":"\\ud83d\\ude00"}',  # a proper surrogate pair
    b'{"a":"say \\"k\\":1","b":2}',  # escaped `":` inside a string is not a key
    b'{"a":"{\\"x\\":1,\\"x\\":2}"}',  # a duplicate inside a *string* is just text
    b'{"a":1.5,"id":"12345678901234567890123"}',  # long digits in a string
])
def test_strict_but_valid_json_passes_untouched(raw: bytes) -> None:
    rec = parse_record("f.jsonl", 2, raw, ReadLimits())
    assert not rec.findings and rec.obj == json.loads(raw)


def test_big_integers_are_never_silently_turned_into_floats(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    big = '{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","weight":1}],' \
          '"x":123456789012345678901234567890}'
    src.write_text(big + "\n" + "\n".join(json.dumps(chat(user=f"q{i}")) for i in range(11)) + "\n")
    prepare([src], tmp_path / "o", NOPZ)
    (rej,) = rows(tmp_path / "o" / "rejected.jsonl")
    assert rej["reasons"] == ["integer_too_large"]
    assert "123456789012345678901234567890" in rej["text"]  # the line as it was, not a float


def test_duplicate_key_rows_keep_every_value_in_rejected(tmp_path: Path) -> None:
    """orjson would keep only the last value: the rejected row holds the whole line as text,
    so nothing of it is silently dropped."""
    src = tmp_path / "in.jsonl"
    dup = '{"messages":[{"role":"user","content":"first","content":"second"},' \
          '{"role":"assistant","content":"a"}]}'
    src.write_text(dup + "\n" + "\n".join(json.dumps(chat(user=f"q{i}")) for i in range(11)) + "\n")
    prepare([src], tmp_path / "o", NOPZ)
    (rej,) = rows(tmp_path / "o" / "rejected.jsonl")
    assert rej["reasons"] == ["duplicate_key"] and "first" in rej["text"] and "second" in rej["text"]


# --- files that are not JSONL ---------------------------------------------------

@pytest.mark.parametrize(("encoding", "name"), [
    ("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE"),
    ("utf-32", "UTF-32LE"), ("utf-32-le", "UTF-32LE"), ("utf-32-be", "UTF-32BE"),
])
def test_wide_encodings_are_one_clear_error_with_a_fix(tmp_path: Path, encoding: str, name: str) -> None:
    path = tmp_path / "wide.jsonl"
    path.write_bytes((json.dumps(chat()) + "\n").encode(encoding))
    with pytest.raises(InputError) as err:
        list(iter_lines(path))
    msg = str(err.value)
    assert msg.startswith(f"{path}:1: the file is {name} text") and "iconv" in msg


def test_prepare_refuses_utf16_before_writing_anything(tmp_path: Path) -> None:
    path = tmp_path / "wide.jsonl"
    path.write_bytes((json.dumps(chat()) + "\n").encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16LE"):
        prepare([path], tmp_path / "o", NOPZ)
    assert not [p for p in (tmp_path / "o").iterdir()]


def test_json_array_file_is_named_on_line_one(tmp_path: Path) -> None:
    path = tmp_path / "array.jsonl"
    path.write_text(json.dumps([chat(), chat()], indent=2) + "\n")
    recs = records(path)
    assert recs[0].findings[0].code == "json_array" and "jq -c" in recs[0].findings[0].message
    assert all(r.has_errors for r in recs)


def test_empty_file_gives_valid_empty_outputs_and_a_warning(tmp_path: Path) -> None:
    """Decision: an empty input is not an error by itself. prepare writes valid, empty
    outputs, the accounting holds (0 = 0 + 0 + 0), the default suite's minimum-rows check
    fails the run (exit 1), and a warning names the empty file."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = prepare([path], tmp_path / "o", NOPZ)
    counts = report.manifest["counts"]
    assert counts["input_lines"] == 0 and counts["accounted"] is True
    assert report.exit_code == 1 and not report.manifest["checks"]["success"]
    assert f"{path}: empty file (0 lines)" in report.warnings
    for name in ("train.jsonl", "validation.jsonl", "rejected.jsonl"):
        assert (tmp_path / "o" / name).read_bytes() == b""
    assert verify_outputs(tmp_path / "o").ok


def test_empty_file_next_to_good_data_is_only_a_warning(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    good = write_jsonl(tmp_path / "good.jsonl", [chat(user=f"q{i}") for i in range(20)])
    report = prepare([empty, good], tmp_path / "o", NOPZ)
    assert report.exit_code == 0 and report.manifest["counts"]["input_lines"] == 20
    assert report.warnings == [f"{empty}: empty file (0 lines)"]


@pytest.mark.parametrize("kind", ["directory", "fifo", "missing"])
def test_non_files_are_one_clear_input_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "thing.jsonl"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    with pytest.raises(InputError) as err:
        list(iter_lines(path))
    assert str(err.value).startswith(str(path))


def test_limits_are_configurable_and_reported_when_hit(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    deep = {"messages": chat()["messages"], "x": [[[[[[1]]]]]]}
    lines = [json.dumps(chat(user="y" * 3000)), json.dumps(deep)] + \
        [json.dumps(chat(user=f"q{i}")) for i in range(12)]
    src.write_text("\n".join(lines) + "\n")
    cfg = PrepareConfig(pseudonymize=False, workers=1, max_line_bytes=2000, max_depth=5)
    report = prepare([src], tmp_path / "o", cfg)
    m = report.manifest
    assert m["counts"]["rejected_by_reason"] == {"line_too_long": 1, "too_deep": 1}
    assert m["config"]["max_line_bytes"] == 2000 and m["config"]["max_depth"] == 5
    assert "1 line(s) over the max_line_bytes limit of 2000 were rejected (line_too_long)" in report.warnings
    assert "1 line(s) over the max_depth limit of 5 were rejected (too_deep)" in report.warnings
    defaults = ReadLimits()
    assert defaults.max_line_bytes == 64 * 1024 * 1024 and defaults.max_depth == 64


@pytest.mark.parametrize("bad", [{"max_line_bytes": 0}, {"max_depth": 0}, {"max_line_bytes": -5}])
def test_nonsense_limits_are_a_config_error_before_any_output(tmp_path: Path, bad: dict) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat()])
    with pytest.raises(ConfigError):
        prepare([src], tmp_path / "o", PrepareConfig(pseudonymize=False, **bad))
    assert not (tmp_path / "o").exists()
