from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ftprep.errors import KeyError_, UsageError
from ftprep.pseudonymize import Pseudonymizer
from ftprep.pseudonymize.vault import Vault, check_vault_location, reidentify_file

KEY = b"vault-test-key-0123456789abcdef"
TEXT = ("Customer profile\n- Name: Jane Doe\n- Email: jane.doe@contoso.com\n"
        "VM vm-web-01.contoso.local at 10.1.2.3, subscription 3f2504e0-4f89-11d3-9a0c-0305e82c3301")


def _pseudonymized(tmp_path: Path) -> tuple[Vault, Pseudonymizer, str]:
    p = Pseudonymizer(KEY, record_mapping=True)
    fake = p.transform_text(TEXT).value
    vault = Vault(tmp_path / "v.db", KEY)
    assert vault.put_many(p.drain_mapping()) > 0
    assert p.drain_mapping() == []
    return vault, p, fake


def test_round_trip_restores_every_original(tmp_path: Path) -> None:
    vault, _p, fake = _pseudonymized(tmp_path)
    assert fake != TEXT
    assert vault.reidentify_text(fake) == TEXT


def test_model_output_with_partial_mentions(tmp_path: Path) -> None:
    vault, p, fake = _pseudonymized(tmp_path)
    fake_email = p.lookup("EMAIL", "jane.doe@contoso.com")
    fake_first = p.lookup("PERSON", "Jane Doe").split()[0]
    answer = f"Hi {fake_first}, I mailed {fake_email} about it."
    assert vault.reidentify_text(answer) == "Hi Jane, I mailed jane.doe@contoso.com about it."


def test_vault_file_is_private_and_encrypted(tmp_path: Path) -> None:
    vault, _p, _fake = _pseudonymized(tmp_path)
    vault.close()
    path = tmp_path / "v.db"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    raw = path.read_bytes()
    for plain in (b"jane.doe@contoso.com", b"Jane", b"10.1.2.3", b"3f2504e0"):
        assert plain not in raw


def test_wrong_key_is_refused(tmp_path: Path) -> None:
    vault, _p, _fake = _pseudonymized(tmp_path)
    vault.close()
    with pytest.raises(KeyError_, match="another key"):
        Vault(tmp_path / "v.db", b"some-other-key-0123456789")
    reopened = Vault(tmp_path / "v.db", KEY)
    assert len(reopened) > 0


def test_reidentify_file_jsonl(tmp_path: Path) -> None:
    vault, p, _fake = _pseudonymized(tmp_path)
    record = {"messages": [{"role": "user", "content": TEXT}]}
    out = p.transform(record).value
    src = tmp_path / "model_out.jsonl"
    src.write_text(json.dumps(out) + "\nnot json " + p.lookup("IPV4", "10.1.2.3") + "\n")
    dst = tmp_path / "restored.jsonl"
    assert reidentify_file(src, vault, dst) == 2
    lines = dst.read_text().splitlines()
    assert json.loads(lines[0]) == record
    assert lines[1] == "not json 10.1.2.3"


def test_vault_not_in_output_dir(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        check_vault_location(tmp_path / "out" / "vault.db", tmp_path / "out")
    check_vault_location(tmp_path / "vault.db", tmp_path / "out")
