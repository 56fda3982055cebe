"""Property-based: arbitrary bytes and arbitrary JSON lines through the loader, the
validator and the whole of prepare. No exception escapes (other than the one clear
InputError for a file that is not UTF-8 JSONL at all); every input line is accounted
for in exactly one output row; every output row parses as strict JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprep import PrepareConfig, prepare, verify_outputs
from ftprep.errors import InputError
from ftprep.io import ReadLimits, iter_records, parse_record
from ftprep.records import Record
from ftprep.tokens import resolve_model
from ftprep.validate import CODES, Validator

SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
KEY = b"0123456789abcdef0123456789abcdef-property-key"

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
roles = st.sampled_from(["system", "user", "assistant", "tool", "developer", "User", ""])
message = st.fixed_dictionaries({"role": roles, "content": st.one_of(st.text(max_size=40), json_values)})
chat_rows = st.builds(lambda ms, extra: {"messages": ms, **extra},
                      st.lists(message, max_size=4),
                      st.dictionaries(st.sampled_from(["weight", "tools", "x"]), json_values, max_size=1))
good_chat = st.builds(
    lambda u, a: {"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]},
    st.text(min_size=1, max_size=60).filter(str.strip), st.text(min_size=1, max_size=60).filter(str.strip))


def json_line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


raw_lines = st.one_of(
    st.binary(max_size=60),
    json_values.map(json_line),
    chat_rows.map(json_line),
    good_chat.map(json_line),
    good_chat.map(lambda v: json_line(v).replace(b'"content"', b'"content":1,"content"', 1)),
    st.sampled_from([b"", b"  ", b"\xef\xbb\xbf{}", b'{"a":NaN}', b'{"a":"\\ud800"}', b"[1]",
                     b'{"a":' + b"9" * 30 + b"}", b"\x00", b"\r", b'{"messages":[]}\r{}']),
).map(lambda b: b.replace(b"\n", b" "))


def write_lines(path: Path, lines: list[bytes], final_newline: bool) -> Path:
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline and lines else b""))
    return path


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_loader_on_arbitrary_bytes(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "x.jsonl"
    path.write_bytes(data)
    try:
        recs = [r for batch in iter_records(path, batch_size=7) for r in batch]
    except InputError as exc:
        assert str(exc).startswith(f"{path}") and ("UTF-" in str(exc) or "gzip" in str(exc))
        return
    if data[:2] == b"\x1f\x8b":
        return  # valid gzip content: line count is that of the decompressed data
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert [r.line for r in recs] == list(range(1, expected + 1))
    for r in recs:
        assert r.obj is not None or r.findings, r
        assert all(f.code in CODES for f in r.findings)


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, chat_rows))
def test_validator_on_arbitrary_json(value: Any) -> None:
    raw = json_line(value)
    rec = parse_record("t.jsonl", 2, raw, ReadLimits())
    Validator(resolve_model("gpt-4o-mini")).validate(rec)
    assert isinstance(rec, Record)
    assert all(f.code in CODES and f.message and "\n" not in f.message for f in rec.findings)
    if rec.obj is None or not isinstance(rec.obj, dict):
        assert rec.has_errors


def check_prepared(out: Path, lines: int) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    rows = {}
    for name in ("train", "validation", "rejected"):
        data = (out / f"{name}.jsonl").read_bytes()
        parsed = [orjson.loads(line) for line in data.splitlines()]  # strict JSON, every row
        assert all(isinstance(p, dict) for p in parsed)
        rows[name] = len(parsed)
        assert rows[name] == counts[name]
    assert counts["input_lines"] == lines == sum(rows.values()) and counts["accounted"] is True
    rejected = [orjson.loads(x) for x in (out / "rejected.jsonl").read_bytes().splitlines()]
    seen = [(r["source"], r["line"]) for r in rejected]
    assert len(seen) == len(set(seen)) and all(r["reasons"] for r in rejected)
    assert verify_outputs(out).ok


@settings(max_examples=15, deadline=None, suppress_health_check=SLOW)
@given(st.lists(raw_lines, max_size=25), st.booleans(), st.sampled_from([1, 2]))
def test_prepare_on_arbitrary_lines_accounts_for_every_line(tmp_path_factory, warm_tokenizer: None,
                                                            lines: list[bytes], final_newline: bool,
                                                            workers: int) -> None:
    base = tmp_path_factory.mktemp("p")
    if lines and lines[0][:2] == b"\x1f\x8b":
        lines[0] = b"x" + lines[0]
    src = write_lines(base / "in.jsonl", lines, final_newline)
    data = src.read_bytes()
    physical = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    try:
        prepare([src], base / "out", PrepareConfig(pseudonymize=False, workers=workers, batch_size=4,
                                                   max_line_bytes=4096))
    except InputError as exc:  # a first line that looks UTF-16/32: the one refusal allowed
        assert "UTF-" in str(exc)
        return
    check_prepared(base / "out", physical)


@settings(max_examples=10, deadline=None, suppress_health_check=SLOW)
@given(st.lists(raw_lines, max_size=12), good_chat)
def test_pseudonymizing_prepare_on_arbitrary_lines(tmp_path_factory, warm_tokenizer: None,
                                                   lines: list[bytes], good: Any) -> None:
    base = tmp_path_factory.mktemp("z")
    lines = [json_line(good), *lines]  # a valid first line keeps the run's format stable
    src = write_lines(base / "in.jsonl", lines, True)
    prepare([src], base / "out", PrepareConfig(workers=1, batch_size=5), key=KEY)
    check_prepared(base / "out", len(lines))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=4), json_values), max_size=6),
       st.sampled_from([(",", ":"), (", ", ": "), (",", " :"), (" , ", "\t:\t"), (",\r", " \r: ")]))
def test_a_repeated_key_is_always_found(pairs: list[tuple[str, Any]], seps: tuple[str, str]) -> None:
    """Whatever the spacing, a line with a repeated key in an object gets duplicate_key and
    a line without one never does."""
    item, colon = seps
    text = "{" + item.join(json.dumps(k) + colon + json.dumps(v) for k, v in pairs) + "}"
    rec = parse_record("t.jsonl", 2, text.encode(), ReadLimits(max_depth=1000))
    repeated = len({k for k, _ in pairs}) < len(pairs)
    codes = [f.code for f in rec.findings]
    if repeated:
        assert codes == ["duplicate_key"]
    else:
        assert "duplicate_key" not in codes
