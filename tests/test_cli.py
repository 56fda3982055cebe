"""The CLI is a thin shell: exit codes, one-line errors, JSON output, keygen."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import SAMPLE, chat, write_jsonl

from ftprep.cli import cli, main


def run(args: list[str], env: dict | None = None) -> tuple[int, str, str]:
    """Run ``python -m ftprep`` as a real process; returns (code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "ftprep", *args], capture_output=True, text=True,
                          env=env, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def run_here(args: list[str]) -> tuple[int, str, str]:
    """Run through main() in this process, so the same error handling is exercised without a
    second interpreter importing pandas and great-expectations again (seconds per run);
    stdout and stderr are separate pipes, neither a terminal. Returns (code, stdout, stderr)."""
    code: int | str | None = 0
    with CliRunner().isolation() as (out, err, _):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
    assert isinstance(code, int), code
    return code, out.getvalue().decode(), err.getvalue().decode()


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("prepare", "validate", "tokens", "keygen", "verify", "upload", "convert"):
        assert name in result.output


def test_keygen_writes_0600_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    result = CliRunner().invoke(cli, ["keygen", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    assert before.strip() and before.strip().decode() not in result.output
    code, _, err = run(["keygen", str(path)])
    assert code == 2 and path.read_bytes() == before
    assert err.count("\n") == 1 and "Traceback" not in err


def test_prepare_json_summary_and_exit_zero(tmp_path: Path, key_file: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"mail me at u{i}@contoso.com") for i in range(20)])
    code, out, err = run_here(["prepare", str(src), "-o", str(tmp_path / "o"),
                               "--key-file", str(key_file), "--json"])
    assert code == 0, err
    summary = json.loads(out)
    assert summary["schema_version"] == 1 and summary["counts"]["accounted"] is True
    assert "contoso.com" not in (tmp_path / "o" / "train.jsonl").read_text()


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["prepare", "missing.jsonl", "-o", "OUT", "--no-pseudonymize"], 2, "missing.jsonl: no such file"),
    (["prepare", "IN", "-o", "OUT"], 3, "no pseudonymization key"),
    (["prepare", "IN", "-o", "OUT", "--no-pseudonymize", "--model", "nope"], 2, "unknown model"),
    (["validate", "missing.jsonl"], 2, "no such file"),
    (["verify", "OUT_EMPTY"], 2, "no manifest.json"),
])
def test_errors_are_one_line_with_exit_code(tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"q{i}") for i in range(12)])
    (tmp_path / "empty").mkdir()
    args = [a.replace("IN", str(src)).replace("OUT_EMPTY", str(tmp_path / "empty"))
            .replace("OUT", str(tmp_path / "o")) for a in args]
    got, _, err = run(args)
    assert got == code, err
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_validate_exit_code_follows_errors() -> None:
    assert run(["validate", str(SAMPLE / "support_chat.jsonl")])[0] == 0
    code, out, _ = run(["validate", str(SAMPLE / "broken.jsonl"), "--no-warnings"])
    assert code == 1 and "broken.jsonl:2: error invalid_json" in out


def test_tokens_command_reports_figures() -> None:
    code, out, _ = run_here(["tokens", str(SAMPLE / "support_chat.jsonl"), "--model", "gpt-4.1-nano",
                             "--json"])
    data = json.loads(out)
    assert code == 0 and data["encoding"] == "o200k_base" and data["example_token_limit"] == 32768
    assert data["stats"]["examples"] == 320 and data["cost"]["epochs"] == 3


def test_check_exit_code_follows_error_checks(tmp_path: Path) -> None:
    few = write_jsonl(tmp_path / "few.jsonl", [chat(user=f"q{i}") for i in range(5)])
    code, out, _ = run_here(["check", str(few)])
    assert code == 1 and "train_min_rows" in out and "checks: FAILED" in out
    code, out, _ = run_here(["check", str(SAMPLE / "support_chat.jsonl"), "--json"])
    assert code == 0 and json.loads(out)["success"] is True


def test_lookup_is_stable_and_keyed(tmp_path: Path, key_file: Path) -> None:
    a = run_here(["lookup", "jane.doe@contoso.com", "--type", "EMAIL", "--key-file", str(key_file)])
    b = run_here(["lookup", "jane.doe@contoso.com", "--type", "email", "--key-file", str(key_file)])
    assert a[0] == 0 and a[1] == b[1] and "@" in a[1] and "contoso" not in a[1]
    other = tmp_path / "other.key"
    other.write_text("a-completely-different-key-value-1234\n")
    c = run_here(["lookup", "jane.doe@contoso.com", "--type", "EMAIL", "--key-file", str(other)])
    assert c[1] != a[1]


def test_vault_round_trip_through_the_cli(tmp_path: Path, key_file: Path) -> None:
    rows = [chat(user=f"I am Jane Doe, mail jane.doe{i}@contoso.com") for i in range(12)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    vault = tmp_path / "vault.db"
    code, _, err = run_here(["prepare", str(src), "-o", str(tmp_path / "o"),
                             "--key-file", str(key_file), "--vault", str(vault)])
    assert code == 0, err
    assert "contoso" not in (tmp_path / "o" / "train.jsonl").read_text()
    assert b"contoso" not in vault.read_bytes()  # values are encrypted at rest
    back = tmp_path / "back.jsonl"
    code, _, err = run_here(["reidentify", str(tmp_path / "o" / "train.jsonl"),
                             "--vault", str(vault), "--key-file", str(key_file), "-o", str(back)])
    assert code == 0, err
    assert "jane.doe" in back.read_text() and "contoso.com" in back.read_text()
    code, _, err = run_here(["prepare", str(src), "-o", str(tmp_path / "o2"),
                             "--key-file", str(key_file), "--vault", str(tmp_path / "o2" / "v.db")])
    assert code == 2 and "inside the output directory" in err


def test_show_mapping_refuses_a_pipe(tmp_path: Path, key_file: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"mail u{i}@contoso.com") for i in range(12)])
    code, out, err = run_here(["prepare", str(src), "-o", str(tmp_path / "o"),
                               "--key-file", str(key_file), "--show-mapping", "3"])
    assert code == 0 and "only to a terminal" in err and "contoso" not in out + err
