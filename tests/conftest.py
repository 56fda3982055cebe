from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import SAMPLE


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the user's key, config or tiktoken cache: ftprep must work offline alone."""
    for name in ("FTPREP_KEY", "FTPREP_KEY_FILE", "FTPREP_MODEL", "FTPREP_TARGET", "TIKTOKEN_CACHE_DIR",
                 "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def key_bytes() -> bytes:
    return b"0123456789abcdef0123456789abcdef-test-key"


@pytest.fixture
def key_file(tmp_path: Path, key_bytes: bytes) -> Path:
    path = tmp_path / "test.key"
    path.write_bytes(key_bytes + b"\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def sample_inputs(tmp_path: Path) -> list[Path]:
    """Copies of the chat sample and the broken lines."""
    dst = tmp_path / "in"
    dst.mkdir()
    out = []
    for name in ("support_chat.jsonl", "broken.jsonl"):
        shutil.copy(SAMPLE / name, dst / name)
        out.append(dst / name)
    return out


