"""Compact merged state of the engines, and the parallel engine against the serial one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from helpers import SAMPLE, write_jsonl

from ftprep.config import PrepareConfig
from ftprep.engine import (
    PairLog,
    ProcessEngine,
    ReportDelta,
    ReportTotals,
    SerialEngine,
    _Drain,
)
from ftprep.io import ReadLimits
from ftprep.pipeline import RunContext
from ftprep.pseudonymize import EntityCount, Pseudonymizer, PseudonymizeReport

KEY = b"0123456789abcdef0123456789abcdef-test-key"


def _report(seed: int) -> PseudonymizeReport:
    rng = np.random.default_rng(seed)
    rep = PseudonymizeReport(redacted_secrets=seed, values_changed=2 * seed, redraws=seed % 2,
                             collisions=seed % 3, guid_contexts={"tenant": seed, f"k{seed}": 1})
    for etype in ("EMAIL", "GUID"):
        ids = {int(x) for x in rng.integers(0, 50, size=20, dtype=np.uint64)}
        rep.distinct_ids[etype] = ids
        rep.entities[etype] = EntityCount(occurrences=30 + seed, distinct=len(ids))
    rep.entities["SECRET"] = EntityCount(occurrences=seed, distinct=0)
    return rep


def test_report_totals_equal_the_report_merge() -> None:
    reports = [_report(i) for i in range(1, 6)]
    expected = PseudonymizeReport()
    for rep in reports:
        expected = expected.merge(rep)
    totals = ReportTotals()
    for rep in [_report(i) for i in range(1, 6)]:
        totals.add(ReportDelta.take(rep))
    assert totals.report().to_dict() == expected.to_dict()
    assert ReportTotals().report() is None
    totals.settle()  # the ids go, the counts stay
    assert not totals.ids and totals.report().to_dict() == expected.to_dict()
    totals.add(ReportDelta.take(PseudonymizeReport()))  # no ids: still fine
    with pytest.raises(RuntimeError, match="settle"):
        totals.add(ReportDelta.take(_report(9)))


def test_pair_log_counts_fakes_with_two_originals() -> None:
    log = PairLog()
    log.add({101: 1, 102: 2})
    log.add({101: 1, 103: 3})  # the same pair again; another fake
    assert log.conflicts == 0
    log.add({102: 9})
    assert log.conflicts == 1


def test_drain_takes_only_new_pairs() -> None:
    pz = Pseudonymizer(KEY)
    drain = _Drain(pz, worker=True)
    pz.transform({"messages": [{"role": "user", "content": "mail jane.doe@contoso.com, 10.0.0.1"}]})
    first = drain.take()
    pz.transform({"messages": [{"role": "user", "content": "mail john.roe@fabrikam.com"}]})
    second = drain.take()
    assert first.pairs and second.pairs and not set(first.pairs) & set(second.pairs)
    assert {**first.pairs, **second.pairs} == pz.collected_pairs()
    assert list(first.fake_ids) == list(first.pairs) and list(first.seen) == list(first.pairs.values())
    assert drain.take().pairs == {}


def _lines(tmp_path: Path) -> Path:
    """Identifiers without person or company names: no fake pool is small enough to re-draw."""
    rows = [{"messages": [{"role": "user", "content": f"VM 10.1.{i // 250}.{i % 250} and "
                           f"subscription {i:08x}-1111-4111-8111-{i:012x} fail"},
                          {"role": "assistant", "content": "Restart it."}]} for i in range(300)]
    return write_jsonl(tmp_path / "in.jsonl", rows)


def test_parallel_engine_equals_serial_without_falling_back(tmp_path: Path) -> None:
    path = str(_lines(tmp_path))
    config = PrepareConfig(batch_size=40)
    limits = ReadLimits()
    results = []
    for engine_cls in (SerialEngine, ProcessEngine):
        ctx = RunContext.create(config, KEY)
        ctx.validator.format = "chat"
        engine = (ProcessEngine(ctx, limits, 40, 2) if engine_cls is ProcessEngine
                  else SerialEngine(ctx, limits, 40))
        try:  # a NeedsSerialRun here would fail the test: this data must run in parallel
            lines = [item.line for items in engine.process_file(path) for item in items]
        finally:
            engine.close()
        results.append((lines, engine.state.report.to_dict(), len(engine.state.leak)))
    assert results[0] == results[1]
    assert results[0][1]["entities"]["IPV4"]["distinct"] == 300
    assert all(b"10.1." not in orjson.loads(line)["messages"][0]["content"].encode()
               for line in results[0][0])


def test_sample_outputs_identical_for_one_and_two_workers(tmp_path: Path) -> None:
    from ftprep.pipeline import prepare

    inputs = [SAMPLE / "support_chat.jsonl", SAMPLE / "broken.jsonl"]
    reports = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        reports.append(prepare(inputs, out, PrepareConfig(workers=workers, batch_size=50,
                                                           fail_on_leak=False), KEY))
    for name in ("train.jsonl", "validation.jsonl", "rejected.jsonl", "manifest.json"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name


def test_vault_gets_the_workers_entries(tmp_path: Path) -> None:
    from ftprep.pipeline import prepare
    from ftprep.pseudonymize.vault import Vault

    path = _lines(tmp_path)
    sizes = []
    for workers in (1, 2):
        vault = tmp_path / f"vault{workers}.db"
        prepare([path], tmp_path / f"out{workers}", PrepareConfig(workers=workers, batch_size=40,
                                                                   vault=str(vault)), KEY)
        with Vault(vault, KEY) as v:
            sizes.append(len(v))
    assert sizes[0] == sizes[1] > 300


def _unit(seen: list[int], fake_ids: list[int], collisions: int = 0) -> Any:
    from ftprep.engine import StateDelta
    from ftprep.leak_pass import LeakDelta

    return StateDelta(report=ReportDelta(PseudonymizeReport(collisions=collisions)), leak=LeakDelta(),
                      seen=np.array(seen, np.uint64), fake_ids=np.array(fake_ids, np.uint64))


def test_units_are_checked_against_earlier_units_in_order() -> None:
    from ftprep.engine import PseudoState

    state = PseudoState()
    for delta in (_unit([100, 101], [7, 8]), _unit([101, 7], [9], collisions=0)):
        assert not state.diverges(delta)  # 7 was a fake before it came as an original
        state.merge(delta)
    assert state.report.collisions == 1  # counted once, at 7's first appearance
    assert not state.diverges(_unit([7], [10]))  # seen before: no second collision
    assert state.report.collisions == 1
    assert state.diverges(_unit([200], [100]))  # a new fake equal to an earlier original


def test_sorted_table_merges_keep_rows_aligned() -> None:
    from ftprep.leak_pass import SortedTable

    table = SortedTable({"v": "uint64"})
    table.merge(np.array([10, 20, 30], np.uint64), {"v": np.array([1, 2, 3], np.uint64)})
    idx, pos = table.merge(np.array([5, 20, 25, 30, 30], np.uint64),
                           {"v": np.array([9, 9, 9, 8, 7], np.uint64)})
    assert table.keys.tolist() == [5, 10, 20, 25, 30]
    assert table.cols["v"].tolist() == [9, 1, 2, 9, 3]  # present keys keep their rows
    assert idx.tolist() == [1, 3] and table.keys[pos].tolist() == [20, 30]


def test_pair_conflicts_found_after_inserts_before_them() -> None:
    log = PairLog()
    log.add({10_000 + 2 * i: i for i in range(1000)})
    assert log.conflicts == 0
    log.add({1: 5000, 11_000: 500, 11_998: 1})  # one new (sorts first), one same, one clash
    assert log.conflicts == 1
