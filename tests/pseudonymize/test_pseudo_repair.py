"""The repair pass over written outputs (ftprep.pseudonymize.repair)."""

from __future__ import annotations

import json
from pathlib import Path

from ftprep.io import BOM, dumps
from ftprep.pseudonymize import Pseudonymizer
from ftprep.pseudonymize.repair import repair_outputs, rows_with_hits

KEY = b"repair-test-key-0123456789abcdef"


def _write(path: Path, lines: list[bytes], bom: bool = False) -> Path:
    path.write_bytes((BOM if bom else b"") + b"".join(line + b"\n" for line in lines))
    return path


def _first_pass(p: Pseudonymizer, records: list[dict]) -> list[bytes]:
    return [dumps(p.transform(r).value) for r in records]


def _hits(scanner, files: dict[str, Path]) -> list[dict]:
    hits = []
    for name, path in files.items():
        for i, line in enumerate(path.read_bytes().split(b"\n")):
            found = scanner.scan(line.decode("utf-8").lstrip("\ufeff"))
            if found:
                hits.append({"file": name, "line": i + 1, "types": sorted(set(found))})
    return hits


def test_rows_with_hits_groups_by_file_and_zero_based_row() -> None:
    hits = [{"file": "a", "line": 3, "types": ["PERSON"]}, {"file": "a", "line": 1, "types": ["X"]},
            {"file": "b", "line": 2, "types": ["X"]}]
    assert rows_with_hits(hits) == {"a": {2, 0}, "b": {1}}


def test_repair_outputs_fixes_bare_names_and_copies_other_rows(tmp_path: Path) -> None:
    p = Pseudonymizer(KEY)
    records = [
        {"messages": [{"role": "user", "content": "Contact: Leigh Taylor\nCompany: Woodgrove"}]},
        {"messages": [{"role": "user", "content": "plain row, nothing to see"}]},
        {"messages": [{"role": "user", "content": "Leigh Taylor said Woodgrove agreed"}]},
    ]
    lines = _first_pass(p, records)
    assert b"Leigh Taylor said" in lines[2]  # no context in that record: the name survives
    train = _write(tmp_path / "train", lines, bom=True)
    rejected_entry = {"source": "in.jsonl", "line": 9, "reasons": ["x"],
                      "record": {"note": "Leigh Taylor again"}}
    text_entry = {"source": "in.jsonl", "line": 10, "reasons": ["y"], "text": "{bad json Leigh Taylor"}
    rejected = _write(tmp_path / "rejected", [dumps(rejected_entry), dumps(text_entry)])
    files = {"train.jsonl": train, "rejected.jsonl": rejected}
    before = train.read_bytes()
    scanner = p.leak_scanner()
    hits = _hits(scanner, files)
    assert {(h["file"], h["line"]) for h in hits} == {("train.jsonl", 3), ("rejected.jsonl", 1),
                                                    ("rejected.jsonl", 2)}
    result = repair_outputs(files, hits, p, scanner)
    assert result.rows == {"train.jsonl": 1, "rejected.jsonl": 2}
    assert _hits(scanner, files) == []
    after = train.read_bytes().split(b"\n")
    assert after[0] == before.split(b"\n")[0] and after[0].startswith(BOM)  # untouched, BOM kept
    assert after[1] == lines[1]
    fake, org = (v.split(": ")[1] for v in json.loads(lines[0])["messages"][0]["content"].split("\n"))
    assert json.loads(after[2])["messages"][0]["content"] == f"{fake} said {org} agreed"
    assert result.counts[("train.jsonl", 2)]["PERSON"] >= 1
    rows = [json.loads(x) for x in rejected.read_bytes().splitlines()]
    assert rows[0]["record"]["note"] == f"{fake} again" and rows[0]["line"] == 9
    assert rows[1]["text"] == f"{{bad json {fake}"
    assert not list(tmp_path.glob("*.repair"))


def test_identifiers_found_by_shape_are_not_repaired(tmp_path: Path) -> None:
    p = Pseudonymizer(KEY)
    _first_pass(p, [{"c": "mail jane@contoso.com, Name: Leigh Taylor"}])
    leaked = dumps({"c": "jane@contoso.com and Leigh Taylor"})
    train = _write(tmp_path / "train", [leaked])
    scanner = p.leak_scanner()
    hits = _hits(scanner, {"train.jsonl": train})
    repair_outputs({"train.jsonl": train}, hits, p, scanner)
    row = json.loads(train.read_bytes())["c"]
    assert "jane@contoso.com" in row and "Leigh Taylor" not in row
    assert scanner.scan(row) == ["EMAIL"]  # still a leak: the run fails on it


def test_repair_does_not_depend_on_the_first_pass_state(tmp_path: Path) -> None:
    records = [{"c": f"Customer: Person{chr(65 + i)} Example"} for i in range(5)]
    bare = dumps({"c": "PersonC Example and PersonA Example"})
    outs = []
    for order in (records, list(reversed(records))):
        p = Pseudonymizer(KEY)
        _first_pass(p, order)
        train = _write(tmp_path / f"t{len(outs)}", [bare])
        scanner = p.leak_scanner()
        repair_outputs({"train.jsonl": train}, _hits(scanner, {"train.jsonl": train}), p, scanner)
        outs.append(train.read_bytes())
    assert outs[0] == outs[1] and b"PersonC" not in outs[0]


def test_repair_accepts_any_scanner_with_find() -> None:
    class Fixed:
        def find(self, text: str) -> list[tuple[int, int, str]]:
            i = text.find("Leigh")
            return [(i, i + 5, "PERSON")] if i >= 0 else []

    p = Pseudonymizer(KEY)
    t = p.repair({"a": ["Leigh wrote", 3]}, Fixed(), {"PERSON"})
    assert t.changed and "Leigh" not in t.value["a"][0] and t.value["a"][1] == 3
    assert not p.repair({"a": "Leigh wrote"}, Fixed(), {"ORGANIZATION"}).changed


def test_repair_never_writes_a_fake_that_is_an_original_of_the_run() -> None:
    from ftprep.pseudonymize import LeakScanner

    usual = Pseudonymizer(KEY).repair_text("Leigh wrote", LeakScanner({"PERSON": ["Leigh"]})).value
    fake_first = usual.split()[0]
    assert fake_first != "Leigh"
    # the run also has a person whose real first name is that fake: the repair must not use it
    scanner = LeakScanner({"PERSON": ["Leigh", fake_first]})
    fixed = Pseudonymizer(KEY).repair_text("Leigh wrote", scanner, {"PERSON"}).value
    assert scanner.scan(fixed) == [] and fixed.split()[0] not in ("Leigh", fake_first)
    assert fixed.split()[0][0] == "L"  # still a first name with the same initial


def test_a_repair_fake_holds_no_original_even_as_a_part() -> None:
    """A full-name fake whose surname is some customer's surname would make the rescan
    find an original again: the repair's first draws avoid any fake holding one."""
    from ftprep.pseudonymize import LeakScanner

    usual = Pseudonymizer(KEY).repair_text("from Leigh Taylor", LeakScanner({"PERSON": ["Leigh Taylor"]})).value
    fake_last = usual.split()[-1]
    assert len(fake_last) >= 4  # long enough for the leak check to search it
    scanner = LeakScanner({"PERSON": ["Leigh Taylor", fake_last]})
    fixed = Pseudonymizer(KEY).repair_text("from Leigh Taylor", scanner, {"PERSON"}).value
    assert scanner.scan(fixed) == [] and fake_last not in fixed


def test_repair_in_blocks_equals_row_by_row(tmp_path: Path, monkeypatch) -> None:
    """The repair reads rows in blocks and searches a block's strings in one vectorized
    call: the files and counts are those of a row-at-a-time repair, whatever the block."""
    from ftprep.leak_pass import LeakIndex, encode
    from ftprep.pseudonymize import repair as repair_mod

    names = ["Leigh Taylor", "Morgan Reyes", "Avery Chen", "Jordan Blake"]
    records = []
    for i, name in enumerate(names * 3):
        records.append({"messages": [{"role": "user", "content": f"Contact: {name}\nCompany: Fabrikam{i % 2}"}]})
        records.append({"messages": [{"role": "user", "content": f"{name} wrote again; Fabrikam{i % 2} agreed"},
                                     {"role": "assistant", "content": f"Thanks {name.split()[0]}"}]})
        records.append({"messages": [{"role": "user", "content": "nothing here"}]})
    p = Pseudonymizer(KEY)
    lines = _first_pass(p, records)
    index = LeakIndex()
    index.add(encode(p._originals, p._fakes, p.config.leak_min_length, p.config.secret_marker))
    scanner = index.scanner(p.config)
    rejected_lines = [dumps({"line": 1, "record": {"note": "Avery Chen again"}}), b"{not json Avery Chen",
                      dumps({"line": 3, "text": "{bad json Morgan Reyes"})]
    results = []
    for block in (1, 2, 3, 256):
        monkeypatch.setattr(repair_mod, "BLOCK_ROWS", block)
        files = {"train.jsonl": _write(tmp_path / f"train{block}", lines, bom=True),
                 "rejected.jsonl": _write(tmp_path / f"rejected{block}", rejected_lines)}
        hits = _hits(scanner, files)
        result = repair_outputs(files, hits, p, scanner)
        results.append((files["train.jsonl"].read_bytes(), files["rejected.jsonl"].read_bytes(),
                        result.rows, result.counts))
    assert results[0][2]["train.jsonl"] >= 12 and results[0][2]["rejected.jsonl"] == 2
    assert all(r == results[0] for r in results[1:])
