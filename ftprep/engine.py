"""Execution engines: run the row-level stages serially or in worker processes.

Both engines feed the same :class:`~ftprep.pipeline.BatchProcessor` and yield
batches of results in input order, so ``--workers N`` writes byte-identical
outputs to ``--workers 1``. Workers read nothing themselves: the main process
reads raw lines, workers parse, validate, pseudonymize and count, and each batch
comes back with the pseudonymizer's state *delta* (report, originals, fakes,
fake -> original-id pairs) for the main process to merge.

A keyed fake is a pure function of (key, type, value), so workers agree without
sharing state. Only injectivity needs the whole run: when merged pairs show two
originals with one fake, or a worker had to re-draw a fake, the parallel result
could differ from the serial one, and the run is redone serially
(:class:`NeedsSerialRun`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .io import DEFAULT_MAX_LINE_BYTES, ReadLimits, iter_lines, parse_record
from .records import Record

if TYPE_CHECKING:
    from .pipeline import Processed, RunContext

RawLine = tuple[int, bytes]


class NeedsSerialRun(Exception):
    """A parallel run found a cross-worker fake collision; redo it serially."""


@dataclass
class PseudoState:
    """What a pseudonymizer accumulated over some batches; merges by union."""

    report: Any = None
    originals: dict[str, set[str]] = field(default_factory=dict)
    fakes: dict[str, set[str]] = field(default_factory=dict)
    pairs: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: int = 0

    def merge(self, other: PseudoState) -> None:
        if other.report is not None:
            self.report = other.report if self.report is None else self.report.merge(other.report)
        for target, source in ((self.originals, other.originals), (self.fakes, other.fakes)):
            for etype, values in source.items():
                target.setdefault(etype, set()).update(values)
        for ns, pairs in other.pairs.items():
            mine = self.pairs.setdefault(ns, {})
            for fake, oid in pairs.items():
                known = mine.setdefault(fake, oid)
                if known != oid:
                    self.conflicts += 1


class _Drain:
    """Takes the state a pseudonymizer accumulated since the last call (its delta)."""

    def __init__(self, pz: Any) -> None:
        self.pz = pz
        self.pairs_seen: dict[str, int] = {}

    def take(self) -> PseudoState:
        from .pseudonymize import PseudonymizeReport

        pz = self.pz
        state = PseudoState(report=pz._report, originals=pz._originals, fakes=pz._fakes)
        pz._report = PseudonymizeReport()
        pz._originals = {}
        pz._fakes = {}
        for ns, owners in pz._owners.items():
            start = self.pairs_seen.get(ns, 0)
            if len(owners) > start:
                items = list(owners.items())[start:]
                state.pairs[ns] = dict(items)
                self.pairs_seen[ns] = len(owners)
        return state


def _strip(items: list[Processed]) -> list[Processed]:
    """Drop what the main process does not need before sending results back."""
    for item in items:
        rec = item.record
        rec.obj = None
        rec.text = None
        rec.raw = b""
    return items


def _process_raw(ctx: RunContext, source: str, lines: list[RawLine],
                 limits: ReadLimits) -> list[Processed]:
    from .pipeline import BatchProcessor

    batch: list[Record] = [parse_record(source, n, raw, limits) for n, raw in lines]
    return BatchProcessor(ctx).process(batch)


def iter_raw_batches(path: str, batch_size: int,
                     max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[list[RawLine]]:
    batch: list[RawLine] = []
    for number, raw in iter_lines(path, max_line_bytes):
        batch.append((number, raw))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


class SerialEngine:
    """Everything in this process."""

    def __init__(self, ctx: RunContext, limits: ReadLimits, batch_size: int) -> None:
        self.ctx = ctx
        self.limits = limits
        self.batch_size = batch_size
        self.state = PseudoState()
        self._drain = _Drain(ctx.pseudonymizer) if ctx.pseudonymizer is not None else None

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        for lines in iter_raw_batches(path, self.batch_size, self.limits.max_line_bytes):
            items = _process_raw(self.ctx, path, lines, self.limits)
            if self._drain is not None:
                self.state.merge(self._drain.take())
            yield items

    def process_records(self, batches: Iterator[list[Record]]) -> Iterator[list[Processed]]:
        """Records built elsewhere (the ingest stage's conversions)."""
        from .pipeline import BatchProcessor

        processor = BatchProcessor(self.ctx)
        for batch in batches:
            items = processor.process(batch)
            if self._drain is not None:
                self.state.merge(self._drain.take())
            yield items

    def close(self) -> None:
        return None


# --- worker processes ----------------------------------------------------------

_WORKER: dict[str, Any] = {}  # per worker process only: its context and drain


def _worker_init(ctx: RunContext, limits: ReadLimits) -> None:
    # Ctrl-C reaches the whole process group: the main process stops the pool, so a
    # worker must not die mid-task with its own KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A main process killed outright (SIGKILL, OOM killer) cannot stop its pool: a worker
    # notices it was orphaned and exits instead of waiting for tasks forever.
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    _WORKER["ctx"] = ctx
    _WORKER["limits"] = limits
    pz = ctx.pseudonymizer
    _WORKER["drain"] = _Drain(pz) if pz is not None else None


def _worker_run(source: str, lines: list[RawLine]) -> tuple[list[Processed], PseudoState | None]:
    items = _process_raw(_WORKER["ctx"], source, lines, _WORKER["limits"])
    drain = _WORKER["drain"]
    return _strip(items), (drain.take() if drain is not None else None)


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


class ProcessEngine:
    """N worker processes; results come back in input order; bounded batches in flight."""

    def __init__(self, ctx: RunContext, limits: ReadLimits, batch_size: int, workers: int) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self.pool = mp.get_context(method).Pool(workers, _worker_init, (ctx, limits))
        self.batch_size = batch_size
        self.max_line_bytes = limits.max_line_bytes
        self.in_flight = workers * 4
        self.state = PseudoState()

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        tasks = ((path, lines) for lines in iter_raw_batches(path, self.batch_size,
                                                              self.max_line_bytes))
        for items, state in ordered_map(self.pool, _worker_run, tasks, self.in_flight):
            if state is not None:
                self.state.merge(state)
            yield items

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def ordered_map(pool: Any, func: Any, tasks: Iterator[tuple[Any, ...]], in_flight: int) -> Iterator[Any]:
    """Like ``Pool.imap`` but reads ``tasks`` lazily: at most ``in_flight`` tasks are queued,
    so memory stays bounded whatever the input size. Results come in task order."""
    pending: deque[Any] = deque()
    for args in tasks:
        pending.append(pool.apply_async(func, args))
        if len(pending) >= in_flight:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
