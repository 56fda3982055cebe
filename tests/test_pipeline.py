"""End-to-end: prepare over the sample data, accounting, determinism, leaks, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SAMPLE, chat, planted_values, write_jsonl
from test_validate import BROKEN_CODES

from ftprep import PrepareConfig, prepare, verify_outputs
from ftprep.errors import ConfigError, OutputError, UsageError
from ftprep.pipeline import LOCK_NAME

DATA_FILES = ("train.jsonl", "validation.jsonl", "rejected.jsonl")
# Issue 2's leak acceptance: these types must never survive; issue 3 widens the list.
MUST_NOT_SURVIVE = ("email", "guid", "ipv4", "ipv6", "phone", "azure_resource_id")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("run")
    inputs = [SAMPLE / "support_chat.jsonl", SAMPLE / "broken.jsonl"]
    key = b"0123456789abcdef0123456789abcdef-test-key"
    out = base / "out"
    report = prepare(inputs, out, PrepareConfig(), key)
    return base, out, report.manifest


def test_every_line_is_accounted_for(prepared: tuple[Path, Path, dict]) -> None:
    _, out, m = prepared
    lines = sum(1 for _ in (SAMPLE / "support_chat.jsonl").open("rb")) + \
        sum(1 for _ in (SAMPLE / "broken.jsonl").open("rb"))
    counts = m["counts"]
    assert counts["input_lines"] == lines == 344
    got = {n: len(rows(out / f"{n}.jsonl")) for n in ("train", "validation", "rejected")}
    assert got == {n: counts[n] for n in got}
    assert sum(got.values()) == lines and counts["accounted"] is True
    assert counts["rejected"] == 24 and counts["train"] > 250 and counts["validation"] > 15
    assert {o: m["outputs"][o]["rows"] for o in got} == got
    assert verify_outputs(out).ok


def test_broken_lines_are_rejected_with_code_and_line(prepared: tuple[Path, Path, dict]) -> None:
    _, out, _ = prepared
    rejected = {(r["source"].rsplit("/", 1)[-1], r["line"]): r for r in rows(out / "rejected.jsonl")}
    for line, code in BROKEN_CODES.items():
        entry = rejected[("broken.jsonl", line)]
        assert code in {f["code"] for f in entry["findings"]}, (line, entry["reasons"])


def test_no_planted_identifier_survives_anywhere(prepared: tuple[Path, Path, dict]) -> None:
    _, out, _ = prepared
    planted = planted_values()
    blobs = {p.name: p.read_text(encoding="utf-8", errors="replace").lower() for p in out.iterdir()}
    for etype in MUST_NOT_SURVIVE:
        for value in planted.get(etype, []):
            for name, text in blobs.items():
                assert value.lower() not in text, f"{etype} survived in {name}"


def test_manifest_records_pseudonymization_and_never_the_key(prepared: tuple[Path, Path, dict]) -> None:
    _, out, m = prepared
    p = m["pseudonymization"]
    assert p["enabled"] is True and p["key_fingerprint"]
    assert p["leak_check"]["ran"] and p["leak_check"]["passed"]
    assert p["entities"]["EMAIL"]["occurrences"] > 0
    for f in out.iterdir():
        assert b"0123456789abcdef0123456789abcdef" not in f.read_bytes()


def test_same_key_is_byte_identical_and_other_key_differs(prepared: tuple[Path, Path, dict]) -> None:
    base, out, _ = prepared
    inputs = [SAMPLE / "support_chat.jsonl", SAMPLE / "broken.jsonl"]
    again = base / "again"
    prepare(inputs, again, PrepareConfig(), b"0123456789abcdef0123456789abcdef-test-key")
    for f in sorted(p.name for p in out.iterdir()):
        assert (out / f).read_bytes() == (again / f).read_bytes(), f
    other = base / "other"
    prepare(inputs, other, PrepareConfig(), b"another-key-of-sufficient-length-42")
    assert (out / "train.jsonl").read_bytes() != (other / "train.jsonl").read_bytes()
    # the split depends on content and seed, not on the key
    assert [len(rows(out / f)) for f in DATA_FILES] == [len(rows(other / f)) for f in DATA_FILES]


def test_unchanged_records_are_written_back_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(chat(user=f"plain question {i} / über", assistant="a"), ensure_ascii=True)
             for i in range(12)]
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    prepare([src], out, PrepareConfig(pseudonymize=False, validation_fraction=0.0))
    assert (out / "train.jsonl").read_text().splitlines() == lines


def test_no_key_is_a_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no pseudonymization key"):
        prepare([SAMPLE / "support_chat.jsonl"], tmp_path / "o", PrepareConfig(), None)


def test_no_pseudonymize_is_recorded(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"q{i}") for i in range(12)])
    report = prepare([src], tmp_path / "o", PrepareConfig(pseudonymize=False))
    assert report.manifest["pseudonymization"]["enabled"] is False
    assert report.manifest["pseudonymization"]["key_fingerprint"] is None


def test_output_dir_refusals(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"q{i}") for i in range(12)])
    out = tmp_path / "o"
    cfg = PrepareConfig(pseudonymize=False)
    prepare([src], out, cfg)
    with pytest.raises(UsageError, match="not empty"):
        prepare([src], out, cfg)
    prepare([src], out, cfg, force=True)
    (out / LOCK_NAME).write_text("123")
    with pytest.raises(OutputError, match="another ftprep run"):
        prepare([src], out, cfg, force=True)
    with pytest.raises(UsageError, match="also an output"):
        prepare([tmp_path / "o2" / "train.jsonl"], tmp_path / "o2", cfg)


def test_over_limit_examples_are_rejected(tmp_path: Path) -> None:
    big = " ".join(["word"] * 5000)
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=big)] + [chat(user=f"q{i}") for i in range(11)])
    report = prepare([src], tmp_path / "o", PrepareConfig(model="gpt-35-turbo-0613", pseudonymize=False))
    assert report.manifest["counts"]["rejected_by_reason"] == {"over_token_limit": 1}


def test_workers_give_byte_identical_outputs(prepared: tuple[Path, Path, dict]) -> None:
    base, out, _ = prepared
    inputs = [SAMPLE / "support_chat.jsonl", SAMPLE / "broken.jsonl"]
    key = b"0123456789abcdef0123456789abcdef-test-key"
    serial = base / "serial"
    prepare(inputs, serial, PrepareConfig(workers=1, batch_size=37), key)
    parallel = base / "parallel"
    prepare(inputs, parallel, PrepareConfig(workers=2, batch_size=50), key)
    for name in sorted(p.name for p in serial.iterdir()):
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
        assert (serial / name).read_bytes() == (out / name).read_bytes(), name


def test_leak_check_fails_the_run_when_an_original_survives(tmp_path: Path, monkeypatch) -> None:
    """Plant a detected original that the replacement does not remove: the run must fail
    and leave no outputs behind."""
    from ftprep.errors import LeakError
    from ftprep.pseudonymize import Pseudonymizer, Transformed

    real = Pseudonymizer.transform

    def leaky(self, obj):  # pseudonymize, then put one original back
        t = real(self, obj)
        return Transformed(obj, True, t.counts)

    monkeypatch.setattr(Pseudonymizer, "transform", leaky)
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"mail jane{i}@contoso.com") for i in range(12)])
    out = tmp_path / "o"
    with pytest.raises(LeakError, match="train.jsonl|validation.jsonl") as err:
        prepare([src], out, PrepareConfig(workers=1), b"0123456789abcdef0123456789abcdef")
    assert "contoso" not in str(err.value)
    assert not any(p.name.endswith(".jsonl") or p.name == "manifest.json" for p in out.iterdir())
