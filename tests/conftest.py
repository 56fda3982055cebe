from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from helpers import SAMPLE
from hypothesis import settings

# No per-example deadline by default (tests that set one keep it): hypothesis' 200 ms default
# turns a busy machine (another job, pytest-xdist's second worker) into a flaky failure; what
# the properties assert does not depend on it.
settings.register_profile("ftprep", deadline=None)
settings.load_profile("ftprep")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the user's key, config or tiktoken cache: ftprep must work offline alone."""
    for name in ("FTPREP_KEY", "FTPREP_KEY_FILE", "FTPREP_MODEL", "FTPREP_TARGET", "TIKTOKEN_CACHE_DIR",
                 "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def _great_expectations_imported() -> None:
    """great-expectations imported once, up front: every ``prepare`` then runs its checks in
    this process, as it does for a notebook user, instead of starting a helper process that
    imports it again (~3 s of CPU a run). Without this, which runs paid for a helper depended
    on whether an earlier test had imported it (and, under pytest-xdist, on the worker).
    The helper process itself is tested explicitly (tests/perf/test_memory_checks_worker.py,
    tests/checks/test_checks_suite.py)."""
    import great_expectations  # noqa: F401


@pytest.fixture(autouse=True)
def _frozen_heap() -> None:
    """The objects alive when a test starts (the imported libraries: pandas, GX, hypothesis,
    ...) are moved out of the garbage collector's sight (``gc.freeze``), after a collection of
    the garbage. Each run of ``prepare`` collects garbage several times (``trim_heap``); in
    this process each collection would otherwise walk every object of every library the
    suite imported, about half of a small run's time. What a test asserts is unchanged:
    frozen objects are still freed when their last reference goes. Cheap: only the objects
    allocated since the previous test are walked (all of them once ``prepare`` with workers
    unfroze the heap: it freezes and unfreezes around its fork)."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def warm_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that run ``prepare`` many times (property examples, fault injection): the
    tokenizer a run lets go when every example is counted stays loaded for the next run,
    instead of being parsed and built again (~0.5 s, about half of a small run). Counts are
    those of the same encoding; only the memory release is skipped. Tests of the release
    itself (test_tokens.py) do not use this."""
    from ftprep import tokens

    monkeypatch.setattr(tokens.get_encoding, "cache_clear", lambda: None)


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


