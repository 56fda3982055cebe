from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


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


def planted_values() -> dict[str, list[str]]:
    """Every identifier the sample generator planted, by type, over all files."""
    data = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
    by_type: dict[str, list[str]] = {}
    for per_file in data["pii"].values():
        for etype, values in per_file.items():
            by_type.setdefault(etype, []).extend(values)
    return by_type


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def chat(user: str = "hello", assistant: str = "hi there", system: str | None = "be nice") -> dict:
    msgs = []
    if system is not None:
        msgs.append({"role": "system", "content": system})
    msgs += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": msgs}
