"""What the leak check searches for names, and for originals that equal a fake (audit
repros 5 and 3): pinned as the README states it.

* A name is searched as it was detected: a full name as a whole, a single name only where
  it was detected alone. The parts of a full name are not searched on their own (a first
  or last name alone is often an ordinary word: "Grant access", "Best regards").
* An original that equals one of the run's fakes (a fake of an earlier value; by chance for
  names, whose fakes come from the same population) is not searched: its later record's
  own occurrences are replaced by the first pass, and the earlier record's fake says
  nothing about the later record. The scanner counts such strings (``unsearched``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ftprep.io import dumps
from ftprep.leak_pass import LeakIndex, encode, scan_outputs
from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.repair import repair_outputs

KEY = b"leak-s8-names-key-0123456789abcdef"
_CONFIG = PseudonymizeConfig()


def _msg(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


def _run(tmp_path: Path, records: list[dict], p: Pseudonymizer) -> tuple[Path, LeakIndex, list[bytes]]:
    rows = [dumps(p.transform(r).value) for r in records]
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"".join(r + b"\n" for r in rows))
    index = LeakIndex()
    index.add(encode(p._originals, p._fakes, _CONFIG.leak_min_length, _CONFIG.secret_marker))
    return path, index, rows


def test_full_name_bare_elsewhere_is_found_and_repaired(tmp_path: Path) -> None:
    p = Pseudonymizer(KEY, _CONFIG)
    records = [_msg("Contact: Leigh Taylor\n"), _msg("Leigh Taylor approved it"), _msg("LEIGH TAYLOR too")]
    path, index, rows = _run(tmp_path, records, p)
    assert b"Leigh Taylor approved" in rows[1]  # no context there: the first pass keeps it
    files = {"train.jsonl": path}
    hits, _ = scan_outputs(files, index, _CONFIG, workers=1)
    assert [h["line"] for h in hits] == [2, 3]
    repair_outputs(files, hits, p, index.scanner(_CONFIG))
    text = path.read_text()
    assert "Leigh" not in text and "LEIGH" not in text
    assert len(scan_outputs(files, index, _CONFIG, workers=1)[0]) == 0


def test_parts_of_a_full_name_are_not_searched_alone(tmp_path: Path) -> None:
    p = Pseudonymizer(KEY, _CONFIG)
    records = [_msg("Contact: Leigh Taylor\n"), _msg("Leigh approved it"), _msg("Taylor approved it"),
               _msg("Contact: Grant Best\n"), _msg("Grant access. Best regards")]
    path, index, _rows = _run(tmp_path, records, p)
    hits, _ = scan_outputs({"train.jsonl": path}, index, _CONFIG, workers=1)
    assert len(hits) == 0


def test_a_single_name_detected_alone_is_searched(tmp_path: Path) -> None:
    p = Pseudonymizer(KEY, _CONFIG)
    records = [_msg("Contact: Leigh Taylor\n"), _msg("Thanks, Leigh."), _msg("Leigh approved it")]
    path, index, _rows = _run(tmp_path, records, p)
    hits, _ = scan_outputs({"train.jsonl": path}, index, _CONFIG, workers=1)
    assert [h["line"] for h in hits] == [3]


def test_original_equal_to_an_earlier_fake_is_not_a_hit(tmp_path: Path) -> None:
    first = "server ip 10.0.0.5, mail jane.doe@contoso.com, Contact: Jane Doe\n"
    probe = Pseudonymizer(KEY, _CONFIG)
    faked = probe.transform(_msg(first)).value["messages"][0]["content"]
    p = Pseudonymizer(KEY, _CONFIG)
    path, index, rows = _run(tmp_path, [_msg(first), _msg(faked)], p)  # line 2's originals: line 1's fakes
    assert json.loads(rows[0])["messages"][0]["content"] == faked
    second = json.loads(rows[1])["messages"][0]["content"]
    assert second != faked  # line 2's own values are replaced (other fakes)
    assert p.report().collisions > 0
    hits, _ = scan_outputs({"train.jsonl": path}, index, _CONFIG, workers=1)
    assert len(hits) == 0
    scanner = index.scanner(_CONFIG)
    assert scanner.unsearched > 0
    assert scanner.find(faked) == []
