"""The leak pass forks its workers with this process's heap frozen out of their garbage
collector (so they do not copy it page by page), and leaves the collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftprep.leak_pass import LeakIndex, encode, frozen_heap, scan_outputs
from ftprep.pseudonymize import PseudonymizeConfig


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """These tests start from a collector with nothing frozen (conftest's ``_frozen_heap``
    freezes the suite's heap before every test)."""
    gc.unfreeze()
    yield


def _index(config: PseudonymizeConfig) -> LeakIndex:
    index = LeakIndex()
    index.add(encode({"EMAIL": {"jane.doe@contoso.com"}, "PERSON": {"Mira Okafor"}}, {},
                     config.leak_min_length, config.secret_marker))
    return index


def test_frozen_heap_only_while_forking() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_heap(True):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with frozen_heap(False):
        assert gc.get_freeze_count() == 0


def test_parallel_scan_same_result_and_collector_restored(tmp_path: Path) -> None:
    config = PseudonymizeConfig()
    out = tmp_path / "train.jsonl"
    rows = ['{"a":"ok"}', '{"a":"mail jane.doe@contoso.com"}', '{"a":"Mira Okafor said hi"}'] * 50
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    results = [scan_outputs({"train.jsonl": out}, _index(config), config, workers)
               for workers in (1, 2)]
    assert results[0] == results[1]
    hits, _ = results[1]
    assert len(hits) == 100 and hits[0] == {"file": "train.jsonl", "line": 2, "types": ["EMAIL"]}
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
