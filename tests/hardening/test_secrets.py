"""Secrets and leaks: the key never shows up anywhere; rejected lines are pseudonymized
like accepted ones; error messages quote positions and types, never data values."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SAMPLE, chat, write_jsonl

from ftprep import PrepareConfig, prepare
from ftprep.cli import main

KEY = "Sup3r-Secret-Key-Material-0123456789-abcdef"
PLANTED = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))["pii"]["broken.jsonl"]


def key_forms(key: str) -> list[str]:
    raw = key.encode()
    return [key, raw.hex(), base64.b64encode(raw).decode(), key[:16], key[-16:]]


def run_cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ftprep", *args], capture_output=True, text=True,
                          env=env, timeout=120)


# --- the key ---------------------------------------------------------------------------

def test_the_key_appears_in_no_output_log_or_message(tmp_path: Path, caplog) -> None:
    key_file = tmp_path / "k.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    src = write_jsonl(tmp_path / "in.jsonl",
                      [chat(user=f"mail ops{i}@contoso.com from 10.1.2.{i}") for i in range(15)]
                      + [{"messages": "broken ops99@contoso.com"}])
    out = tmp_path / "out"
    proc = run_cli(["prepare", str(src), "-o", str(out), "--key-file", str(key_file), "--json",
                    "--workers", "1"])
    assert proc.returncode in (0, 1), proc.stderr
    blobs = {"stdout": proc.stdout, "stderr": proc.stderr}
    blobs.update({p.name: p.read_text(encoding="utf-8", errors="replace") for p in out.iterdir()})
    assert {"train.jsonl", "rejected.jsonl", "manifest.json", "report.html"} <= set(blobs)
    # In-process too, with every log record captured (GE, pandas, ftprep) at DEBUG.
    with caplog.at_level(logging.DEBUG):
        prepare([src], tmp_path / "out2", PrepareConfig(workers=1), key=KEY.encode())
    blobs["log"] = "\n".join(r.getMessage() for r in caplog.records)
    for name, text in blobs.items():
        for form in key_forms(KEY):
            assert form not in text, f"key material in {name}"
    assert json.loads((out / "manifest.json").read_text())["pseudonymization"]["key_fingerprint"]


@pytest.mark.parametrize("case", ["short file", "short env", "strict"])
def test_key_errors_never_echo_the_key(tmp_path: Path, case: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"q{i}") for i in range(12)])
    key_file = tmp_path / "k.key"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("FTPREP_")}
    secret = "tiny-s3cret" if case.startswith("short") else KEY
    args = ["prepare", str(src), "-o", str(tmp_path / "o")]
    if case == "short env":
        env["FTPREP_KEY"] = secret
    else:
        key_file.write_text(secret + "\n")
        key_file.chmod(0o600 if case == "short file" else 0o644)
        args += ["--key-file", str(key_file)]
    if case == "strict":
        args.append("--strict")
    proc = run_cli(args, env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    for form in key_forms(secret):
        assert form not in proc.stderr + proc.stdout
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_strict_refuses_a_group_readable_key_and_default_only_warns(tmp_path: Path, capsys) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [chat(user=f"q{i}") for i in range(12)])
    key_file = tmp_path / "k.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o640)
    with pytest.raises(SystemExit) as exit_:
        main(["prepare", str(src), "-o", str(tmp_path / "a"), "--key-file", str(key_file),
              "--strict", "--workers", "1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 3
    assert "accessible by group or others (mode 0640)" in err and "refused: --strict" in err
    assert not (tmp_path / "a").exists()
    with pytest.raises(SystemExit) as exit_:
        main(["prepare", str(src), "-o", str(tmp_path / "b"), "--key-file", str(key_file),
              "--workers", "1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 0, err
    assert "warning: key file" in err and "chmod 600" in err
    key_file.chmod(0o600)
    with pytest.raises(SystemExit) as exit_:
        main(["prepare", str(src), "-o", str(tmp_path / "c"), "--key-file", str(key_file),
              "--strict", "--workers", "1"])
    assert exit_.value.code == 0 and "warning" not in capsys.readouterr().err


# --- rejected lines are pseudonymized too -------------------------------------------------

@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("broken") / "out"
    prepare([SAMPLE / "broken.jsonl"], out, PrepareConfig(workers=1), key=KEY.encode())
    return out


@pytest.mark.parametrize("etype", sorted(PLANTED))
def test_rejected_rows_leak_no_planted_value(broken_run: Path, etype: str) -> None:
    """Every line of broken.jsonl is rejected (bad JSON, bad UTF-8, wrong roles, ...): its
    text or record is still pseudonymized, so no planted identifier survives anywhere."""
    blobs = {p.name: p.read_text(encoding="utf-8", errors="replace").lower()
             for p in broken_run.iterdir()}
    rejected = [json.loads(x) for x in (broken_run / "rejected.jsonl").read_text().splitlines()]
    assert len(rejected) == 24 and {r["line"] for r in rejected} == set(range(1, 25))
    assert any("text" in r and r["text"] for r in rejected), "unparsed lines are kept as text"
    leaks = [(name, v) for v in PLANTED[etype] for name, text in blobs.items() if v.lower() in text]
    assert not leaks, leaks


# --- messages quote positions and types, never values -------------------------------------

IDS = {
    "email": "jane.doe@contoso.com", "guid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "ipv4": "10.20.30.40", "ipv6": "fe80::1ff:fe23:4567:890a", "phone": "+1 (425) 555-0199",
    "name": "Jane", "host": "web01.contoso.local", "secret": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "number": "4255550199",
}


def _identifier_lines() -> list[bytes]:
    e, g, ip, ip6, ph, nm, host, sec, num = IDS.values()
    ok = chat(user=f"hello {e}")
    good = json.dumps(ok).encode()
    msgs = ok["messages"]
    lines = [
        json.dumps([e, g]).encode(),  # line 1: a JSON array (file-level finding)
        b'{"messages":"' + e.encode() + b' \xff"}',  # invalid_utf8
        b'{"a":"' + e.encode() + b'\x00"}',  # nul_byte
        ('{"' + e + '": ' + ip + "}").encode(),  # invalid_json right at the value
        ('{"' + g + '": NaN}').encode(),  # non-standard constant
        ('{"' + g + '":1,"' + g + '":2}').encode(),  # duplicate_key
        ('{"messages":"' + nm + " " + ph + ' \\ud800"}').encode(),  # lone_surrogate
        ('{"' + host + '":' + num * 3 + "}").encode(),  # integer_too_large
        ('{"a":' + "[" * 80 + '"' + e + '"' + "]" * 80 + "}").encode(),  # too_deep
        good + b"\r" + json.dumps(chat(user=ph)).encode(),  # cr_line_ends
        json.dumps(e).encode(),  # not_object
        json.dumps({e: 1, ip: 2, nm: 3, g: 4, ip6: 5, host: 6}).encode(),  # unknown_format
        json.dumps({"messages": msgs, ip6: 1, g: 2}).encode(),  # unknown top keys
        json.dumps({"messages": [{"role": r, "content": "x"} for r in (nm, e, ip, g, host)]
                    + msgs}).encode(),  # role_invalid x5
        json.dumps({"messages": [{"role": "user", "content": "x", host: 1, e: 2}, msgs[-1]]}).encode(),
        json.dumps({"messages": [{"role": "user", "content": [{"type": sec}, {"type": g}]},
                                 msgs[-1]]}).encode(),  # content_part_invalid
        json.dumps({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": f"data:image/{ip};base64,AAAA"}}]},
            msgs[-1]]}).encode(),  # image_format
        json.dumps({"messages": [msgs[1], {**msgs[2], "weight": int(num)}]}).encode(),  # weight
        json.dumps({"messages": [msgs[1], {"role": "tool", "tool_call_id": g, "content": e},
                                 msgs[2]]}).encode(),  # tool_call_id_unknown
        json.dumps({"messages": msgs, "tools": [{"type": e, "function": {}}]}).encode(),
        b'{"messages":[{"role":"user","content":"' + e.encode() * 40 + b'"}]}',  # line_too_long
        good,
    ]
    return lines


def test_error_messages_never_quote_identifiers(tmp_path: Path) -> None:
    src = tmp_path / "ids.jsonl"
    src.write_bytes(b"\n".join(_identifier_lines()) + b"\n")
    config = tmp_path / "ftprep.toml"
    config.write_text("max_line_bytes = 600\nworkers = 1\n")
    out = tmp_path / "out"
    validate = run_cli(["validate", str(src)])
    prep = run_cli(["prepare", str(src), "-o", str(out), "--no-pseudonymize", "--config", str(config)])
    assert "Traceback" not in validate.stderr + prep.stderr
    assert validate.returncode == 1 and prep.returncode in (0, 1), prep.stderr
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    messages = [f["message"] for r in rejected for f in r["findings"]]
    codes = {f["code"] for r in rejected for f in r["findings"]}
    expected = {"json_array", "invalid_utf8", "nul_byte", "invalid_json", "duplicate_key",
                "lone_surrogate", "integer_too_large", "too_deep", "cr_line_ends", "not_object",
                "unknown_format", "unknown_key", "role_invalid", "content_part_invalid",
                "image_format", "weight_invalid", "tool_call_id_unknown", "tools_invalid",
                "line_too_long"}
    assert expected <= codes, expected - codes
    manifest = json.loads((out / "manifest.json").read_text())
    surfaces = {
        "validate stdout": validate.stdout, "validate stderr": validate.stderr,
        "prepare stdout": prep.stdout, "prepare stderr": prep.stderr,
        "rejected messages": "\n".join(messages),
        "manifest problems+counts": json.dumps([manifest["problems"], manifest["counts"]]),
    }
    needles = [*IDS.values(), "contoso", "Jane", "555-0199", "abcdefghijklmnop"]
    for surface, text in surfaces.items():
        for needle in needles:
            assert needle.lower() not in text.lower(), f"{needle!r} in {surface}"
    # positions and types are there instead
    assert "messages[0] has role <a string>" in validate.stdout
    assert "at column" in validate.stdout and ":4: " in validate.stdout


def test_input_errors_name_the_file_not_its_content(tmp_path: Path) -> None:
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes((json.dumps(chat(user=IDS["email"])) + "\n").encode("utf-16"))
    gz = tmp_path / "bad.jsonl"
    gz.write_bytes(b"\x1f\x8b" + IDS["email"].encode())
    for path in (wide, gz):
        proc = run_cli(["validate", str(path)])
        assert proc.returncode == 2 and proc.stderr.startswith(f"ftprep: error: {path}")
        assert IDS["email"] not in proc.stderr and "contoso" not in proc.stderr
