"""Whatever the cell text, every output line is one valid JSON object holding that text."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprep.ingest import RowError, convert, parse_template
from ftprep.io import dumps

TEMPLATE = parse_template('system = "S {{x}}"\nuser = "{q?}|{c?}"\nassistant = "[{a?}]"')
# Text that can be stored in a UTF-8 CSV: any code point but lone surrogates.
cell = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def _check_line(line: bytes, q: str, c: str, a: str) -> None:
    obj = json.loads(line.decode("utf-8"))
    assert dumps(obj) == line
    assert obj["messages"][1]["content"] == f"{q}|{c}"
    assert obj["messages"][2]["content"] == f"[{a}]"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=6))
def test_arbitrary_csv_cells_give_valid_json_lines(rows: list[tuple[str, str, str]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["q", "c", "a"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        src.write_bytes(buf.getvalue().encode("utf-8"))
        out = Path(tmp) / "out.jsonl"
        report = convert(src, out, TEMPLATE, delimiter=",", encoding="utf-8")
        data = out.read_bytes()
    kept = [r for r in rows if any(r)]  # rows of empty cells are not data rows
    assert report.examples_out == len(kept) and report.rejected_count == 0
    assert data.endswith(b"\n") or not kept
    lines = data.split(b"\n")[:-1]
    assert len(lines) == len(kept)
    for line, (q, c, a) in zip(lines, kept, strict=True):
        _check_line(line, q, c, a)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
def test_any_python_text_renders_or_is_rejected_never_crashes(q: str, c: str, a: str) -> None:
    try:
        obj = TEMPLATE.render({"q": q, "c": c, "a": a})
        line = dumps(obj)
    except (RowError, UnicodeEncodeError):
        assert any("\ud800" <= ch <= "\udfff" for ch in q + c + a)
        return
    assert b"\n" not in line and b"\r" not in line
    _check_line(line, q, c, a)
