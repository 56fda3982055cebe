"""Spark engine helpers that need no Spark: line numbering and path mapping."""

from __future__ import annotations

import pytest

from ftprep.config import PrepareConfig
from ftprep.errors import UsageError
from ftprep.io import BOM, ReadLimits
from ftprep.spark import PartitionJob, number_lines, path_mapper


def test_lines_are_numbered_from_their_split() -> None:
    job = PartitionJob(source="in.jsonl", config=PrepareConfig(), key=None, fmt="chat",
                       limits=ReadLimits(), first_line={0: 1, 4096: 5, 8192: 9})
    seen: dict[int, int] = {}
    first = number_lines([BOM + b'{"a":1}\r', b"x", b"y\r"], [0, 0, 0], job, seen)
    later = number_lines([b"p", b"q"], [8192, 8192], job, seen)
    more = number_lines([b"z"], [0], job, seen)  # a split's rows continue where they stopped
    assert first == [(1, b'{"a":1}'), (2, b"x"), (3, b"y")]
    assert later == [(9, b"p"), (10, b"q")]
    assert more == [(4, b"z")]
    assert number_lines([BOM + b"b"], [4096], job, seen) == [(5, BOM + b"b")]  # BOM only on line 1


def test_path_mapping() -> None:
    fabric = path_mapper("/lakehouse/default/Files/=Files/")
    assert fabric("/lakehouse/default/Files/raw/a.jsonl") == "Files/raw/a.jsonl"
    assert fabric("/tmp/a.jsonl") == "/tmp/a.jsonl"
    assert path_mapper(None)("/x") == "/x"
    with pytest.raises(UsageError):
        path_mapper("no-equals-sign")
