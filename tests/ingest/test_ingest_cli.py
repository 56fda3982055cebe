"""``ftprep convert`` end to end: outputs, --json, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftprep.cli import cli, main

from .golden_cases import TEMPLATES

DATA = Path(__file__).resolve().parent / "data"
EXPECTED = DATA / "expected"
SUPPORT = str(TEMPLATES / "support_chat.toml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_convert_writes_golden_and_exits_1_on_rejects(tmp_path: Path) -> None:
    out = tmp_path / "train.jsonl"
    code, stdout, stderr = run("convert", str(DATA / "crm_cp1252_semicolon.csv"), "-o", str(out), "-t", SUPPORT)
    assert code == 1
    assert out.read_bytes() == (EXPECTED / "crm.chat.jsonl").read_bytes()
    assert "6 rows" not in stdout and "5 rows -> 4 chat examples, 1 rejected" in stdout
    assert "encoding='cp1252'" in stdout and "delimiter=';'" in stdout
    assert "row 4: required column 'resolution' is empty" in stderr


def test_convert_clean_input_exits_0_with_json(tmp_path: Path) -> None:
    out = tmp_path / "b.jsonl"
    code, stdout, _ = run("convert", str(DATA / "billing.csv"), "-o", str(out),
                          "--template", str(TEMPLATES / "multi_turn_chat.toml"), "--json")
    assert code == 0
    data = json.loads(stdout)
    assert data["schema_version"] == 1 and data["command"] == "convert"
    assert (data["rows_in"], data["examples_out"], data["rejected_count"]) == (2, 2, 0)
    assert data["detected"]["delimiter"] == ","
    assert out.read_bytes() == (EXPECTED / "billing.chat.jsonl").read_bytes()


def test_log_options_from_command_line(tmp_path: Path) -> None:
    log = tmp_path / "x.txt"
    log.write_text("E1 a\n b\nE2 c\n", encoding="utf-8")
    tpl = tmp_path / "t.toml"
    tpl.write_text('user = "{text}"\nassistant = "{n}"\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, _ = run("convert", str(log), "-o", str(out), "-t", str(tpl), "--record-start", r"E(?P<n>\d) ")
    assert code == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [m["messages"][1]["content"] for m in lines] == ["1", "2"]


def test_dry_run_limit_delimiter_and_format(tmp_path: Path) -> None:
    src = tmp_path / "data.dat"
    src.write_text("q\ta\n1\t2\n3\t4\n", encoding="utf-8")
    tpl = tmp_path / "t.toml"
    tpl.write_text('user = "{q}"\nassistant = "{a}"\n', encoding="utf-8")
    code, stdout, _ = run("convert", str(src), "--dry-run", "-t", str(tpl), "--format", "csv",
                          "--delimiter", "tab", "--limit", "1", "--json")
    assert code == 0
    data = json.loads(stdout)
    assert data["output"] is None and data["rows_in"] == 1 and data["detected"]["delimiter"] == "\t"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.dat", "t.toml"]


def test_errors_are_one_line_with_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("keep", encoding="utf-8")
    src = str(DATA / "billing.csv")
    code, _, err = run_main(capsys, "convert", src, "-o", str(out), "-t", SUPPORT)
    assert code == 2 and "exists; pass --force" in err and out.read_text(encoding="utf-8") == "keep"
    code, _, err = run_main(capsys, "convert", src, "-o", str(out), "-t", SUPPORT, "--force")
    assert code == 3 and err.count("\n") == 1 and "column 'ticket_id'" in err
    assert out.read_text(encoding="utf-8") == "keep"
    code, _, err = run_main(capsys, "convert", src, "--dry-run", "-t", str(tmp_path / "none.toml"))
    assert code == 3 and "template not found" in err
    code, _, err = run_main(capsys, "convert", src, "-t", SUPPORT)
    assert code == 2 and "-o/--output" in err
    code, _, err = run_main(capsys, "convert", src, "--dry-run", "-t", SUPPORT, "--delimiter", ";;")
    assert code == 2 and "one character" in err
    code, _, err = run_main(capsys, "convert", str(tmp_path / "missing.csv"), "--dry-run", "-t", SUPPORT)
    assert code == 2 and "no such file" in err
