from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ftprep.errors import KeyError_, UsageError
from ftprep.pseudonymize import (
    MIN_KEY_BYTES,
    generate_key,
    key_file_warnings,
    key_fingerprint,
    load_key,
    write_key_file,
)


def test_load_key_from_file_strips_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("  " + "a" * 32 + "\n")
    assert load_key(path) == b"a" * 32


def test_key_file_wins_over_env(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text("f" * 32)
    assert load_key(path, {"FTPREP_KEY": "e" * 32}) == b"f" * 32


def test_load_key_from_env() -> None:
    assert load_key(None, {"FTPREP_KEY": "e" * 20}) == b"e" * 20


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("", "empty"), ("   \n", "empty"), ("x" * (MIN_KEY_BYTES - 1), "too short")],
)
def test_bad_key_file_messages(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "k"
    path.write_text(content)
    with pytest.raises(KeyError_, match=fragment) as info:
        load_key(path)
    if content.strip():
        assert content.strip() not in str(info.value)


def test_missing_key(tmp_path: Path) -> None:
    with pytest.raises(KeyError_, match="does not exist"):
        load_key(tmp_path / "nope")
    with pytest.raises(KeyError_, match="FTPREP_KEY"):
        load_key(None, {})
    with pytest.raises(KeyError_, match="directory"):
        load_key(tmp_path)


def test_write_key_file_mode_and_no_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "new.key"
    write_key_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = load_key(path)
    assert len(key) == 64 and int(key, 16) >= 0
    before = path.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        write_key_file(path)
    assert path.read_bytes() == before
    assert key_file_warnings(path) == []
    path.chmod(0o644)
    assert any("group or others" in w for w in key_file_warnings(path))


def test_generate_key_random() -> None:
    a, b = generate_key(), generate_key()
    assert a != b and len(a) == 64


def test_fingerprint_stable_and_key_free() -> None:
    k1, k2 = b"k" * 32, b"j" * 32
    fp = key_fingerprint(k1)
    assert fp == key_fingerprint(k1) and fp.startswith("hmac-sha256:") and len(fp) == 28
    assert fp != key_fingerprint(k2)
    assert "k" * 8 not in fp
