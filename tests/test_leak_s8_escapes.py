"""The leak pass reads a row's \\uXXXX escapes as the text they stand for: a row ftprep writes
unchanged keeps its input's escapes (``json.dumps`` escapes every non-ASCII character), and a
detected name behind them must be found, and repaired."""

from __future__ import annotations

import json
from pathlib import Path

from ftprep.io import dumps
from ftprep.leak_pass import LeakIndex, encode, scan_outputs
from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.leak import json_scan_view, json_text_view
from ftprep.pseudonymize.repair import repair_outputs

KEY = b"leak-s8-escapes-key-0123456789abcdef"


def test_text_view_decodes_unicode_escapes() -> None:
    row = json.dumps({"a": "Zo\u00eb M\u00fcller\n\U0001F600 \\u00e9 \"q\" \x07 \ud800 /x"})
    assert "\\u00eb" in row
    view = json_text_view(row)
    assert "Zoë Müller" in view
    assert "\U0001F600" in view                 # a surrogate pair is one character
    assert "\\\\u00e9" in view                  # an escaped backslash is not an escape
    assert '\\"q\\"' in view                    # an escaped quote stays escaped
    assert "\x07" not in view and "\ud800" not in view  # control / lone surrogate: a space
    assert json_text_view('{"u":"https:\\/\\/contoso.com\\/a"}') == '{"u":"https://contoso.com/a"}'


def test_text_view_without_unicode_escapes_is_the_scan_view() -> None:
    for row in ('{"a":"Regards,\\nJane"}', '{"a":"x\\\\ny"}', '{"a":"plain"}', '{"a":"\\t\\"x\\""}'):
        assert json_text_view(row) == json_scan_view(row)
    assert json_text_view('{"a":"Regards,\\u000aJane"}') == '{"a":"Regards, Jane"}'


def _rows(records: list[dict], p: Pseudonymizer, ascii_rows: set[int]) -> list[bytes]:
    """The first pass: changed rows re-serialized, unchanged ones byte for byte as input
    written by json.dumps (ensure_ascii)."""
    out = []
    for i, record in enumerate(records):
        t = p.transform(record)
        out.append(json.dumps(record).encode() if i in ascii_rows and not t.changed else dumps(t.value))
    return out


def test_escaped_row_is_found_and_repaired(tmp_path: Path) -> None:
    config = PseudonymizeConfig()
    p = Pseudonymizer(KEY, config)
    records = [
        {"messages": [{"role": "user", "content": "Contact: Zo\u00eb M\u00fcller\n"}]},
        {"messages": [{"role": "user", "content": "Zo\u00eb M\u00fcller approved it"}]},
        {"messages": [{"role": "user", "content": "nothing here"}]},
    ]
    rows = _rows(records, p, {1, 2})
    assert b"Zo\\u00eb M\\u00fcller approved" in rows[1]  # written unchanged, escapes kept
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(r + b"\n" for r in rows))
    index = LeakIndex()
    index.add(encode(p._originals, p._fakes, config.leak_min_length, config.secret_marker))
    files = {"train.jsonl": path}
    hits, _residual = scan_outputs(files, index, config, workers=1)
    assert [(h["line"], h["types"]) for h in hits] == [(2, ["PERSON"])]
    scanner = index.scanner(config)
    result = repair_outputs(files, hits, p, scanner)
    assert result.total == 1
    lines = path.read_bytes().splitlines()
    assert "Zoë" not in json.loads(lines[1])["messages"][0]["content"]
    first = json.loads(lines[0])["messages"][0]["content"].removeprefix("Contact: ").strip()
    assert json.loads(lines[1])["messages"][0]["content"] == f"{first} approved it"
    assert lines[2] == rows[2]  # other rows byte for byte
    again, _ = scan_outputs(files, index, config, workers=1)
    assert len(again) == 0
