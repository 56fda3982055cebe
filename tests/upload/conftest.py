"""Fixtures for the upload tests: a hand-made output directory and the fake service."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ftprep.manifest import describe_file, write_manifest

from .fake_service import FakeService

SECRET = "sk-ftprep-test-SECRET-7f3a9c2e51d04b68"
# Fast SDK settings: few retries (the fake server asks for 5 ms retry delays), short polls.
FAST: dict[str, Any] = {"max_retries": 2, "timeout": 5.0, "poll_interval": 0.01,
                        "max_poll_interval": 0.02, "wait_timeout": 5.0}

ENV_VARS = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT",
            "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "OPENAI_API_KEY",
            "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_ADMIN_KEY",
            "OPENAI_LOG")


@pytest.fixture(autouse=True)
def _no_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credential or endpoint of the developer's environment leaks into a test."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _chat_row(i: int) -> bytes:
    row = {"messages": [{"role": "user", "content": f"Question {i} from Person_{i:03d}"},
                        {"role": "assistant", "content": f"Answer {i}."}]}
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def build_outdir(root: Path, *, n_train: int = 12, n_val: int = 2, n_rejected: int = 1,
                 pseudonymized: bool = True, model: str = "gpt-4o-mini",
                 fmt: str = "chat", seed: int = 0) -> Path:
    """A minimal but consistent ftprep output directory with a schema-1 manifest."""
    root.mkdir(parents=True, exist_ok=True)
    start = seed * 1000
    (root / "train.jsonl").write_bytes(b"".join(_chat_row(start + i) for i in range(n_train)))
    (root / "validation.jsonl").write_bytes(
        b"".join(_chat_row(start + 500 + i) for i in range(n_val)))
    (root / "rejected.jsonl").write_bytes(b"".join(
        json.dumps({"source": "in.jsonl", "line": i, "codes": ["invalid_json"]}).encode() + b"\n"
        for i in range(n_rejected)))
    total = n_train + n_val + n_rejected
    stats = {"examples": n_train, "total": 40 * n_train, "trained": 10 * n_train, "mean": 40.0,
             "p5": 38, "p50": 40, "p95": 42, "max": 44, "over_limit": 0}
    manifest: dict[str, Any] = {
        "schema_version": 1, "ftprep_version": "0.1.0", "versions": {"python": "3.11"},
        "config": {"target": "azure", "model": model, "validation_fraction": 0.1, "seed": 0},
        "model": {"name": model, "base": model, "encoding": "o200k_base",
                  "example_token_limit": 65536},
        "format": fmt,
        "inputs": [{"path": "in.jsonl", "sha256": "0" * 64, "bytes": 1, "lines": total}],
        "outputs": {name: describe_file(root / f"{name}.jsonl", root)
                    for name in ("train", "validation", "rejected")},
        "counts": {"input_lines": total, "train": n_train, "validation": n_val,
                   "rejected": n_rejected, "accounted": True,
                   "rejected_by_reason": {"invalid_json": n_rejected}},
        "tokens": {"train": stats, "validation": {**stats, "examples": n_val}, "epochs": 3,
                   "billed_tokens": 3 * 40 * n_train},
        "checks": {"success": True, "results": [
            {"expectation": "expect_column_values_to_not_be_null", "severity": "error",
             "success": True},
            {"expectation": "expect_column_max_to_be_between", "severity": "warn",
             "success": True}]},
        "pseudonymization": {"enabled": pseudonymized,
                             "key_fingerprint": "abcd1234" if pseudonymized else None,
                             "entities": {"PERSON": n_train} if pseudonymized else {},
                             "leak_check": {"ran": pseudonymized, "passed": pseudonymized}},
        "verdict": "ok",
    }
    write_manifest(root, manifest)
    return root


def edit_manifest(outdir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = outdir / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    return build_outdir(tmp_path / "out")


@pytest.fixture
def service() -> Iterator[FakeService]:
    fake = FakeService(api_key=SECRET)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch, service: FakeService) -> str:
    """Azure credentials in the environment; returns the endpoint to pass."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", SECRET)
    return str(service.base_url)


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, service: FakeService) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    return f"{service.base_url}/v1"
