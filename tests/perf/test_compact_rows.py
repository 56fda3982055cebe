"""Compact stand-ins for the leak check's per-row bookkeeping (hits, row sets, repair
counts): they must behave exactly like the lists, sets and dicts they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ftprep import checks
from ftprep.leak_pass import Hits, RowSet
from ftprep.pseudonymize.repair import RowCounts, rows_with_hits

ROWS = st.lists(st.integers(min_value=0, max_value=5000), max_size=200)
HIT = st.fixed_dictionaries({
    "file": st.sampled_from(["train.jsonl", "validation.jsonl", "rejected.jsonl"]),
    "line": st.integers(min_value=1, max_value=10**6),
    "types": st.lists(st.sampled_from(["EMAIL", "PERSON", "GUID"]), min_size=1, max_size=3, unique=True),
})


@given(ROWS, ROWS)
def test_rowset_is_a_set_of_rows(rows: list[int], probes: list[int]) -> None:
    rs = RowSet(rows)
    assert rs == set(rows) and set(rows) == rs
    assert len(rs) == len(set(rows))
    assert list(rs) == sorted(set(rows))
    assert all((p in rs) == (p in set(rows)) for p in probes)
    assert -1 not in rs and "3" not in rs


def test_rowset_refuses_negative_rows() -> None:
    with pytest.raises(ValueError, match="0-based"):
        RowSet([-1])


@given(st.lists(HIT, max_size=60))
def test_hits_read_back_as_the_dicts_given(hits: list[dict]) -> None:
    compact = Hits(hits)
    assert compact == hits and len(compact) == len(hits) and bool(compact) == bool(hits)
    assert list(compact) == hits
    if hits:
        assert compact[0] == hits[0] and compact[-1] == hits[-1] and compact[1:] == hits[1:]
    assert rows_with_hits(compact) == rows_with_hits(hits)
    assert rows_with_hits(compact) == {f: {h["line"] - 1 for h in hits if h["file"] == f} for f in {h["file"] for h in hits}}


def test_hits_share_their_type_lists() -> None:
    compact = Hits([{"file": "a", "line": i + 1, "types": ["PERSON"]} for i in range(3)])
    assert compact[0]["types"] is compact[2]["types"]
    assert compact != [{"file": "a", "line": 1, "types": ["PERSON"]}]


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 10**6),
                          st.dictionaries(st.sampled_from(["PERSON", "ORGANIZATION"]), st.integers(1, 9),
                                          min_size=1)), max_size=60))
def test_row_counts_map_rows_to_their_counts(rows: list[tuple[str, int, dict[str, int]]]) -> None:
    plain: dict[tuple[str, int], dict[str, int]] = {}
    for name, row, counts in sorted(rows, key=lambda r: (r[0], r[1])):
        plain.setdefault((name, row), counts)
    compact = RowCounts()
    for (name, row), counts in plain.items():
        compact.add(name, row, counts)
    assert dict(compact.items()) == plain and compact == plain and len(compact) == len(plain)
    assert [(n, r) for n, r, _ in compact.rows()] == list(plain)
    assert ("c", 0) not in compact and ("a", -1) not in compact


def test_row_counts_need_file_and_row_order() -> None:
    compact = RowCounts()
    compact.add("a", 5, {"PERSON": 1})
    with pytest.raises(ValueError, match="order"):
        compact.add("a", 5, {"PERSON": 1})
    for row in (-1, 1 << 40):  # outside the packed key's row field
        with pytest.raises(ValueError, match="0-based"):
            compact.add("b", row, {"PERSON": 1})


def test_near_duplicates_are_the_same_with_tiny_distance_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The distance blocks are sized by a cell budget (one band's group of near-duplicate
    values can be thousands wide): any budget finds the same pairs."""
    rng = np.random.default_rng(5)
    base = rng.integers(-(2**62), 2**62, size=40, dtype=np.int64)
    flips = np.left_shift(np.int64(1), rng.integers(0, 63, size=3000)).astype(np.int64)
    simhash = np.repeat(base, 75) ^ flips  # 40 clusters of close values
    is_train = rng.random(len(simhash)) < 0.8
    expected = checks.near_duplicate_flags(simhash, is_train, 3)
    monkeypatch.setattr(checks, "CLOSE_PAIR_CELLS", 7)
    got = checks.near_duplicate_flags(simhash, is_train, 3)
    assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
    assert expected[0].sum() > 1000  # the clusters are found
