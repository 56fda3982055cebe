"""The parallel engine's protocol: workers plan, the main process draws every fake in input
order, workers replace. Its output must equal the serial run's, re-draws and all."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from helpers import SAMPLE, write_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprep.config import PrepareConfig
from ftprep.engine import ProcessEngine, SerialEngine
from ftprep.io import ReadLimits
from ftprep.pipeline import RunContext
from ftprep.pseudonymize import Pseudonymizer
from ftprep.pseudonymize import pools as pools_mod
from ftprep.pseudonymize.engine import PlanMiss

KEY = b"0123456789abcdef0123456789abcdef-plan-key"


def _planned_run(batches: list[list[Any]], workers: int) -> list[Any]:
    """Round-robin batches over ``workers`` pseudonymizers that plan, with one authority that
    draws, as :class:`ProcessEngine` does (in one process)."""
    authority = Pseudonymizer(KEY)
    pzs = [Pseudonymizer(KEY) for _ in range(workers)]
    out: list[Any] = []
    for i, batch in enumerate(batches):
        pz = pzs[i % workers]
        pz.plan_begin()
        for obj in batch:
            pz.plan(obj)
        wanted, ticket = pz.plan_end()
        pz.install(ticket, authority.assign_many(wanted))
        out.extend(pz.transform(obj).value for obj in batch)
        pz.plan_done()
    return out


def _name_heavy(n: int, seed: int) -> list[Any]:
    """People drawn from the fake pools themselves: most fakes collide with an original and
    must be re-drawn, the case where the serial order decides."""
    rng = random.Random(seed)
    pools = pools_mod.pools()
    rows = []
    for i in range(n):
        first, last = rng.choice(pools.first[:300]), rng.choice(pools.last[:300])
        rows.append({"messages": [
            {"role": "user", "content": f"Hi, I'm {first} {last} ({first.lower()}.{last.lower()}@"
                                        f"{rng.choice(pools.last[:50]).lower()}.com), host "
                                        f"vm-{last.lower()}-{i % 7:02d}.corp, ip 10.0.{i % 9}.{i % 200}"},
            {"role": "assistant", "content": f"Thanks {first}, checking."}]})
    return rows


def test_planned_batches_equal_the_serial_transform() -> None:
    rows = _name_heavy(400, 1)
    serial = Pseudonymizer(KEY)
    expected = [serial.transform(r).value for r in rows]
    assert serial.report().redraws > 0  # the case this protocol exists for
    batches = [rows[i : i + 25] for i in range(0, len(rows), 25)]
    for workers in (1, 2, 3):
        assert _planned_run(batches, workers) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 40), workers=st.integers(1, 3))
def test_planned_batches_equal_serial_for_any_batching(seed: int, size: int, workers: int) -> None:
    rows = _name_heavy(60, seed)
    serial = Pseudonymizer(KEY)
    expected = [serial.transform(r).value for r in rows]
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    assert _planned_run(batches, workers) == expected


def test_a_planned_worker_never_draws_itself() -> None:
    pz = Pseudonymizer(KEY)
    pz.plan_begin()
    pz.plan({"c": "mail jane@contoso.com"})
    wanted, ticket = pz.plan_end()
    assert wanted  # the e-mail's parts
    pz.install(ticket, Pseudonymizer(KEY).assign_many(wanted))
    pz.transform({"c": "mail jane@contoso.com"})
    with pytest.raises(PlanMiss):
        pz.transform({"c": "and 10.9.8.7, never planned"})


def _engine_lines(path: Path, workers: int, batch: int) -> tuple[list[bytes], dict[str, Any]]:
    ctx = RunContext.create(PrepareConfig(batch_size=batch), KEY)
    ctx.validator.format = "chat"
    limits = ReadLimits()
    engine = ProcessEngine(ctx, limits, batch, workers) if workers > 1 else \
        SerialEngine(ctx, limits, batch)
    try:
        lines = [item.line for items in engine.process_file(str(path)) for item in items]
    finally:
        engine.close()
    return lines, engine.state.report.to_dict()


@pytest.mark.parametrize("batch", [7, 64])
def test_process_engine_equals_serial_on_name_heavy_data(tmp_path: Path, batch: int) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", _name_heavy(300, 7))
    serial = _engine_lines(path, 1, batch)
    assert serial[1]["redraws"] > 0
    assert _engine_lines(path, 2, batch) == serial
    assert _engine_lines(path, 3, batch) == serial


def test_process_engine_equals_serial_on_the_sample_data(tmp_path: Path) -> None:
    path = SAMPLE / "support_chat.jsonl"
    assert _engine_lines(path, 2, 16) == _engine_lines(path, 1, 16)


def test_a_worker_error_reaches_the_main_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ftprep.pipeline import BatchProcessor

    def broken(self: Any, batch: list[Any]) -> list[Any]:
        raise ValueError("boom in a worker")

    monkeypatch.setattr(BatchProcessor, "begin", broken)  # the forked workers inherit it
    path = write_jsonl(tmp_path / "in.jsonl", _name_heavy(20, 3))
    with pytest.raises(ValueError, match="boom in a worker"):
        _engine_lines(path, 2, 5)


def test_a_dead_worker_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from ftprep.errors import DataError
    from ftprep.pipeline import BatchProcessor

    def die(self: Any, batch: list[Any]) -> list[Any]:
        os._exit(3)

    monkeypatch.setattr(BatchProcessor, "begin", die)
    path = write_jsonl(tmp_path / "in.jsonl", _name_heavy(20, 3))
    with pytest.raises(DataError, match="worker process died"):
        _engine_lines(path, 2, 5)


def test_a_batch_larger_than_the_cache_keeps_its_answers() -> None:
    """A batch may need more values than ``cache_size``: installing its answers evicts some
    of them from the bounded cache again, yet the batch still finds every one (it once
    raised PlanMiss, and the whole run was redone serially)."""
    from ftprep.pseudonymize import PseudonymizeConfig

    rows = _name_heavy(120, 3)
    serial = Pseudonymizer(KEY)
    expected = [serial.transform(r).value for r in rows]
    authority = Pseudonymizer(KEY)
    worker = Pseudonymizer(KEY, PseudonymizeConfig(cache_size=16))
    worker.plan_begin()
    for row in rows:
        worker.plan(row)
    wanted, ticket = worker.plan_end()
    assert len(wanted) > 16
    worker.install(ticket, authority.assign_many(wanted))
    assert [worker.transform(r).value for r in rows] == expected
    worker.plan_done()
    with pytest.raises(PlanMiss):  # the answers were the batch's only
        worker.transform(rows[0])
