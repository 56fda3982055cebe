"""Audit repro_1, repro_20: how a run names its input files in its outputs, manifest and report.

A detected identifier in a file name never reaches manifest.json, report.html or
rejected.jsonl (the name is pseudonymized); a file name that is not UTF-8 works (its bytes
shown as ``\\xNN``) instead of crashing with exit 70; terminal errors keep the real path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ftprep import PrepareConfig, prepare
from ftprep.cli import main
from ftprep.io import dumps
from ftprep.manifest import printable_name, values_fingerprint
from ftprep.pipeline import SourceNames, _renamed_source
from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.records import Record, Split
from ftprep.stats import StatsCollector

KEY = b"0123456789abcdef0123456789abcdef-s8-names"
EMAIL = "jane.doe@contoso.com"
OUTPUTS = ("train.jsonl", "validation.jsonl", "rejected.jsonl", "manifest.json", "report.html")


def _chat(text: str) -> str:
    return json.dumps({"messages": [{"role": "system", "content": "bot"},
                                    {"role": "user", "content": text},
                                    {"role": "assistant", "content": "Sure."}]})


# --- units -------------------------------------------------------------------------------

def test_printable_name_escapes_undecodable_bytes_only() -> None:
    assert printable_name("in/ok é.jsonl") == "in/ok é.jsonl"
    assert printable_name(os.fsdecode(b"in/caf\xe9.jsonl")) == "in/caf\\xe9.jsonl"
    assert printable_name(os.fsdecode(b"a\xff\xfe/\xc3\xa9.jsonl")) == "a\\xff\\xfe/é.jsonl"
    assert printable_name("x\ud800y") == "x\\ud800y"  # a surrogate no file system makes
    for name in ("caf\udce9", "x\ud800y"):
        printable_name(name).encode("utf-8")  # always valid UTF-8


def test_source_names_pseudonymize_detected_identifiers_and_keep_the_suffix() -> None:
    names = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    shown = names(f"data/export_{EMAIL}.jsonl")
    assert EMAIL not in shown and "contoso" not in shown
    assert shown.startswith("data/") and shown.endswith(".com.jsonl")  # (not host ".jsonl")
    assert names(f"data/export_{EMAIL}.jsonl") == shown  # stable within a run ...
    again = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    assert again(f"data/export_{EMAIL}.jsonl") == shown  # ... and across runs with the key
    assert names("/tmp/b8k.jsonl") == "/tmp/b8k.jsonl"  # nothing detected: as given
    assert names(os.fsdecode(b"in/caf\xe9.jsonl.gz")) == "in/caf\\xe9.jsonl.gz"


def test_source_names_without_pseudonymization_only_make_names_printable() -> None:
    names = SourceNames(None, None)
    assert names(f"export_{EMAIL}.jsonl") == f"export_{EMAIL}.jsonl"
    assert names(os.fsdecode(b"caf\xe9.jsonl")) == "caf\\xe9.jsonl"


class _Scanner:
    """A leak scanner that knows the given originals (PERSON), or (``always``) hits anything."""

    def __init__(self, *originals: str, always: bool = False) -> None:
        self.originals = originals
        self.always = always

    def find(self, text: str) -> list[tuple[int, int, str]]:
        if self.always:
            return [(0, len(text), "EMAIL")] if text else []
        hits = []
        for o in self.originals:
            i = text.find(o)
            if i >= 0:
                hits.append((i, i + len(o), "PERSON"))
        return hits


def test_recheck_replaces_an_original_the_run_learned_elsewhere() -> None:
    names = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    assert names("Leigh Taylor tickets.jsonl") == "Leigh Taylor tickets.jsonl"  # no context
    names.recheck(_Scanner("Leigh Taylor"))  # ... but the data named her
    shown = names("Leigh Taylor tickets.jsonl")
    assert "Leigh" not in shown and "Taylor" not in shown and shown.endswith(" tickets.jsonl")


def test_recheck_falls_back_to_a_keyed_name_when_an_original_stays() -> None:
    names = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    names("odd.jsonl")
    names.recheck(_Scanner(always=True))
    shown = names("odd.jsonl")
    assert shown.startswith("input-") and len(shown) == len("input-") + 16
    other = SourceNames(Pseudonymizer(b"another key, 32 bytes long......", PseudonymizeConfig()),
                        b"another key, 32 bytes long......")
    other("odd.jsonl")
    other.recheck(_Scanner(always=True))
    assert other("odd.jsonl") != shown  # keyed: not a plain hash of the path


def test_renamed_source_replaces_exactly_the_source_field() -> None:
    entry = {"source": "caf\\xe9.jsonl", "line": 2, "reasons": ["x"], "text": "caf\\xe9.jsonl"}
    line = dumps(entry)
    new = _renamed_source(line, "caf\\xe9.jsonl", 'new "name".jsonl')
    assert json.loads(new) == {**entry, "source": 'new "name".jsonl'}
    assert _renamed_source(line, "other.jsonl", "x") == line  # not its source: unchanged


def test_stats_frame_names_sources_printably() -> None:
    collector = StatsCollector()
    for n, src in enumerate((os.fsdecode(b"caf\xe9.jsonl"), "ok.jsonl"), 1):
        rec = Record(source=src, line=n, raw=b"{}")
        rec.split = Split.TRAIN
        collector.add(rec, "", {})
    frame = collector.frame()
    assert list(frame["source"]) == ["caf\\xe9.jsonl", "ok.jsonl"]
    assert list(frame["example_id"]) == ["caf\\xe9.jsonl:1", "ok.jsonl:2"]
    frame = collector.frame(source_names=lambda s: "renamed")
    assert set(frame["source"]) == {"renamed"}


# --- end to end --------------------------------------------------------------------------

def _latin1_name(directory: Path, stem: bytes) -> Path:
    path = Path(os.fsdecode(os.fsencode(str(directory)) + b"/" + stem))
    try:
        path.write_text("", encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses file names that are not UTF-8")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("s8names")
    inp = base / "in"
    inp.mkdir()
    (inp / f"export_{EMAIL}.jsonl").write_text(
        _chat(f"mail {EMAIL}") + "\n{not json " + EMAIL + "\n", encoding="utf-8")
    latin = _latin1_name(inp, b"caf\xe9.jsonl")
    latin.write_text(_chat("hello") + "\n{bad\n", encoding="utf-8")
    config = PrepareConfig(checks={"severity": {"train_min_rows": "off"}}, workers=1)
    report = prepare([inp], base / "out", config, KEY)
    return base / "out", report


def test_no_output_names_the_detected_email(run: tuple[Path, Any]) -> None:
    out, report = run
    for name in OUTPUTS:
        text = (out / name).read_text(encoding="utf-8").lower()
        assert EMAIL not in text and "contoso" not in text, name
    assert report.manifest["counts"]["rejected"] == 2


def test_files_are_named_alike_everywhere(run: tuple[Path, Any]) -> None:
    out, report = run
    m = report.manifest
    paths = [i["path"] for i in m["inputs"]]
    assert any(p.endswith("caf\\xe9.jsonl") for p in paths)
    assert all(p.endswith(".jsonl") for p in paths)
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert {r["source"] for r in rejected} == set(paths)  # one rejected line per file
    assert {p["source"] for p in m["problems"]} == set(paths)
    assert set(report.frame["source"]) == set(paths)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "caf\\xe9.jsonl" in html
    # the same key names the e-mail's file the same way in another run
    again = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    assert again(str(Path(paths[0]).parent / f"export_{EMAIL}.jsonl")) in paths


def test_a_missing_file_that_is_not_utf8_is_one_line_with_its_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = os.fsdecode(os.fsencode(str(tmp_path)) + b"/nope\xe9.jsonl")
    with pytest.raises(SystemExit) as exit_info:
        main(["prepare", missing, "-o", str(tmp_path / "out"), "--no-pseudonymize"])
    assert exit_info.value.code not in (0, 70)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ftprep: error:") and "nope\\xe9.jsonl" in err[0]


def test_values_fingerprint_is_the_fallback_names_key() -> None:
    # the keyed fallback name is the start of the keyed fingerprint of the real path
    digest = values_fingerprint(["odd.jsonl"], KEY)["fingerprint"]
    names = SourceNames(Pseudonymizer(KEY, PseudonymizeConfig()), KEY)
    names("odd.jsonl")
    names.recheck(_Scanner(always=True))
    assert names("odd.jsonl") == "input-" + digest.split(":")[1][:16]


def test_a_name_learned_from_the_data_is_replaced_in_file_name_and_rejected_rows(
        tmp_path: Path) -> None:
    # the data names Leigh Taylor with context; the file's name holds her name bare: the
    # rejected row's source is re-named after the leak check's scan (it used to fail the run)
    data = tmp_path / "Leigh Taylor tickets.jsonl"
    data.write_text(_chat("Hi, I am Leigh Taylor. Regards,\nLeigh Taylor") + "\n{bad\n",
                    encoding="utf-8")
    config = PrepareConfig(checks={"severity": {"train_min_rows": "off"}}, workers=1)
    report = prepare([data], tmp_path / "out", config, KEY)
    out = tmp_path / "out"
    for name in OUTPUTS:
        assert "leigh" not in (out / name).read_text(encoding="utf-8").lower(), name
    shown = report.manifest["inputs"][0]["path"]
    assert shown.endswith(" tickets.jsonl")
    rejected = json.loads((out / "rejected.jsonl").read_text(encoding="utf-8"))
    assert rejected["source"] == shown and rejected["line"] == 2
    fake = shown.rsplit("/", 1)[-1][: -len(" tickets.jsonl")]
    assert fake in (out / "train.jsonl").read_text(encoding="utf-8") + \
        (out / "validation.jsonl").read_text(encoding="utf-8")  # her pseudonym in the data
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_rename_rejected_rewrites_only_the_renamed_sources(tmp_path: Path) -> None:
    from ftprep.pipeline import _TEMP_NAME, _rename_rejected

    path = tmp_path / ".rejected.jsonl.tmp-1"
    rows = [{"source": "a.jsonl", "line": 1, "text": "a.jsonl"},
            {"source": "b.jsonl", "line": 2, "text": "x"}]
    path.write_bytes(b"".join(dumps(r) + b"\n" for r in rows))
    _rename_rejected(path, {"a.jsonl": "c.jsonl"})
    got = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert got == [{**rows[0], "source": "c.jsonl"}, rows[1]]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert _TEMP_NAME.match(".rejected.jsonl.tmp-12.rename")  # a killed run's leftover: removed
