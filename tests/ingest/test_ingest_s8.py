"""Audit fixes in ``convert``: a JSON array element nested too deep for the parser, and a
format spec that a cell value overflows (``{c:c}`` of -1) or that asks for a huge width,
give a clear error or a rejected row, never exit 70."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftprep.cli import main
from ftprep.ingest.values import MAX_SPEC_SIZE, RowError, apply_spec

TEMPLATE = 'kind = "chat"\nuser = "Q {a}"\nassistant = "A {c}"\n'


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_apply_spec_overflow_and_huge_sizes_are_row_errors() -> None:
    assert apply_spec(65, "c", "column 'c'") == "A"
    for value in (-1, 0x110000):
        with pytest.raises(RowError, match="does not apply"):
            apply_spec(value, "c", "column 'c'")
    for spec in (">99999999999", f".{MAX_SPEC_SIZE + 1}f", f"0{MAX_SPEC_SIZE + 1}d"):
        with pytest.raises(RowError, match="more than"):
            apply_spec(1, spec, "column 'c'")
    assert apply_spec(3.14159, "08.3f", "x") == "0003.142" and apply_spec(7, ">5", "x") == "    7"


def test_convert_rejects_the_bad_rows_and_keeps_the_good(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.toml").write_text('kind = "chat"\nuser = "{a}"\nassistant = "{c:c}"\n', encoding="utf-8")
    (tmp_path / "d.csv").write_text("a,c\n1,65\n2,-1\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = run_main(capsys, "convert", str(tmp_path / "d.csv"), "-o", str(out), "-t", str(tmp_path / "t.toml"))
    assert code == 1 and "d.csv:3" in err and "template_error" in err and "Traceback" not in err
    assert [json.loads(x)["messages"][1]["content"] for x in out.read_text().splitlines()] == ["A"]


def test_convert_json_array_nested_too_deep_is_one_clear_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.toml").write_text(TEMPLATE, encoding="utf-8")
    src = tmp_path / "deep.json"
    src.write_text('[{"a":' + "[" * 2000 + "]" * 2000 + ',"c":1}]', encoding="utf-8")
    code, _, err = run_main(capsys, "convert", str(src), "-o", str(tmp_path / "o.jsonl"), "-t", str(tmp_path / "t.toml"))
    assert code == 2 and err.count("\n") == 1 and "nested" in err and "deep.json" in err
    assert not (tmp_path / "o.jsonl").exists()
    # deep enough for the row's walks but parseable: refused the same way
    src.write_text('[{"a":' + "[" * 200 + "]" * 200 + ',"c":1}]', encoding="utf-8")
    code, _, err = run_main(capsys, "convert", str(src), "-o", str(tmp_path / "o.jsonl"), "-t", str(tmp_path / "t.toml"))
    assert code == 2 and "nested deeper than 64" in err
