"""The compact stats collector builds exactly the frame the plain list-of-values build gives."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import SAMPLE

from ftprep.io import iter_records
from ftprep.records import Record, Split
from ftprep.stats import BASE_COLUMNS, StatsCollector, example_features, simhash64


def _simhash_oracle(text: str) -> int:
    """SimHash written out bit by bit (the definition the fast version must match)."""
    words = set(re.findall(r"\w+", text.lower()))
    if not words:
        return 0
    weights = [0] * 64
    for w in words:
        h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    value = sum(1 << bit for bit, weight in enumerate(weights) if weight > 0)
    return value - (1 << 64) if value >= (1 << 63) else value


def test_simhash_matches_its_definition() -> None:
    texts = [line.decode("utf-8", "replace") for line in
             (SAMPLE / "support_chat.jsonl").read_bytes().splitlines()[:60]]
    texts += ["", "a", "A a", "x y z", "é É ß", "_ __", "one two two three three three"]
    for text in texts:
        assert simhash64(text) == _simhash_oracle(text)


def _frame_oracle(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame({name: [r[name] for r in rows] for name in rows[0]})
    df["simhash"] = df["simhash"].astype("int64")
    return df


def test_frame_equals_the_plain_build_with_the_same_dtypes() -> None:
    rng = random.Random(7)
    types = ("EMAIL", "PHONE", "PERSON")
    collector = StatsCollector(entity_types=types)
    rows: list[dict[str, Any]] = []
    for name in ("support_chat.jsonl", "broken.jsonl", "completion/legacy_completion.jsonl"):
        for batch in iter_records(SAMPLE / name):
            for rec in batch:
                chash = _fill(rec, rng)
                counts = {t: rng.randrange(4) for t in types if rng.random() < 0.5}
                collector.add(rec, chash, counts)
                rows.append(_oracle_row(rec, chash, counts, types))
    for index in range(0, len(rows), 7):
        collector.set_residual(index, index % 5)
        rows[index]["residual_identifiers"] = index % 5
    expected = _frame_oracle(rows)
    got = collector.frame()
    assert list(got.columns) == [*BASE_COLUMNS, "pii_EMAIL", "pii_PHONE", "pii_PERSON"]
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert len(collector) == len(rows)
    assert collector.nbytes() < 140 * len(rows)


def _fill(rec: Record, rng: random.Random) -> str:
    if isinstance(rec.obj, dict):
        rec.format = "completion" if "prompt" in rec.obj else "chat"
        rec.stats.update(example_features(rec.obj, rec.format))
        rec.stats.update(total_tokens=rng.randrange(10**6), trained_tokens=rng.randrange(10**5),
                         over_limit=rng.random() < 0.1)
        rec.split = rng.choice([Split.TRAIN, Split.VALIDATION])
        return bytes(rng.randrange(256) for _ in range(16)).hex()
    rec.split = Split.REJECTED
    return ""


def _oracle_row(rec: Record, chash: str, counts: dict[str, int], types: tuple[str, ...]) -> dict[str, Any]:
    s = rec.stats
    row: dict[str, Any] = {
        "example_id": rec.example_id, "source": rec.source, "line": rec.line,
        "split": rec.split.value if rec.split else "rejected", "format": rec.format,
        **{k: s.get(k, d) for k, d in (
            ("n_messages", 0), ("roles", ""), ("has_system", False), ("has_user", False),
            ("total_tokens", 0), ("trained_tokens", 0), ("largest_message_tokens", 0),
            ("over_limit", False), ("tool_calls", 0), ("weight0", 0), ("empty_assistant", 0),
            ("special_token_hits", 0))},
        "content_hash": chash, "simhash": s.get("simhash", 0), "residual_identifiers": 0,
        "pii_total": sum(counts.values()),
    }
    row.update({f"pii_{t}": counts.get(t, 0) for t in types})
    return row


def test_empty_collector_gives_typed_empty_frame() -> None:
    frame = StatsCollector(entity_types=("EMAIL",)).frame()
    assert len(frame) == 0
    assert list(frame.columns) == [*BASE_COLUMNS, "pii_EMAIL"]
    assert frame["total_tokens"].dtype == "int64"
    assert frame["has_system"].dtype == bool


def test_a_spilling_collector_gives_the_same_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows parked in the spill file come back in order, with the rows still in memory,
    before any column is read or changed (the leak check's repair updates counts)."""
    import ftprep.stats as stats_mod

    monkeypatch.setattr(stats_mod, "SPILL_ROWS", 7)
    rng = random.Random(3)
    types = ("EMAIL", "PERSON")
    plain, spilled = StatsCollector(entity_types=types), StatsCollector(entity_types=types)
    spilled.spill_to(tmp_path)
    n = 0
    for name in ("support_chat.jsonl", "broken.jsonl"):
        for batch in iter_records(SAMPLE / name):
            for rec in batch:
                chash = _fill(rec, rng)
                counts = {t: rng.randrange(4) for t in types if rng.random() < 0.5}
                for c in (plain, spilled):
                    c.add(rec, chash, counts)
                n += 1
                assert len(spilled) == len(plain) == n
    assert n > 20 and spilled.nbytes() < plain.nbytes()  # most rows are on disk
    assert [p.name for p in tmp_path.iterdir()] == []  # the spill file has no name
    for c in (plain, spilled):
        c.ints["pii_EMAIL"][3] += 5
        c.set_residual(n - 2, 4)
    pd.testing.assert_frame_equal(spilled.frame(release=True), plain.frame(), check_exact=True)
    assert len(spilled) == 0
