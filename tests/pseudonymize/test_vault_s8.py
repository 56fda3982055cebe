"""Audit fixes (repro_8): re-identification opens the vault read-only and refuses a file that
is not an ftprep vault; a writing run refuses another application's database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ftprep.errors import InputError, KeyError_, OutputError
from ftprep.pseudonymize.vault import Vault

KEY = b"vault-s8-test-key-0123456789abcdef"


def test_read_only_open_refuses_what_is_not_a_vault_and_changes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.vault"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="not an ftprep vault"):
        Vault(empty, KEY, create=False)
    assert empty.read_bytes() == b""
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("create table x(a)")
    con.commit()
    con.close()
    before = other.read_bytes()
    with pytest.raises(InputError, match="not an ftprep vault"):
        Vault(other, KEY, create=False)
    assert other.read_bytes() == before
    junk = tmp_path / "junk.vault"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(InputError, match="not an ftprep vault"):
        Vault(junk, KEY, create=False)


def test_read_only_open_reads_a_real_vault(tmp_path: Path) -> None:
    path = tmp_path / "v.vault"
    with Vault(path, KEY) as vault:
        vault.put_many([("EMAIL", "jane.doe@contoso.com", "ann.lee@fabrikam.com")])
    before = path.read_bytes()
    with Vault(path, KEY, create=False) as vault:
        assert "jane.doe@contoso.com" in vault.reidentify_text("mail ann.lee@fabrikam.com now")
    assert path.read_bytes() == before
    with pytest.raises(KeyError_):
        Vault(path, b"another-key-0123456789abcdefghij", create=False)


def test_writing_run_refuses_another_applications_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("create table x(a)")
    con.commit()
    con.close()
    with pytest.raises(OutputError, match="not an ftprep vault"):
        Vault(other, KEY)
    con = sqlite3.connect(other)
    assert [r[0] for r in con.execute("select name from sqlite_master")] == ["x"]
    con.close()
