"""Execution engines: run the row-level stages serially or in worker processes.

Both engines feed the same :class:`~ftprep.pipeline.BatchProcessor` and yield
batches of results in input order, so ``--workers N`` writes byte-identical
outputs to ``--workers 1``. Workers read nothing themselves: the main process
reads raw lines, workers parse, validate, pseudonymize and count, and each batch
comes back with the pseudonymizer's state *delta* (report counts, distinct ids,
hashed originals and fakes, fake -> original-id pairs) for the main process to merge.

A keyed fake is a pure function of (key, type, value), so workers agree without
sharing state. Only injectivity needs the whole run: a worker refuses a drawn fake
that is already taken or equals an original it has seen, and the serial run would
also refuse one taken or seen in *earlier batches of other workers*. The main process
checks each batch, in input order, against everything before it
(:meth:`PseudoState.diverges`): a new fake equal to an earlier original, an original
equal to an earlier fake, or (over all pairs, at the end) one fake for two originals
means the parallel result could differ from the serial one, and the run is redone
serially (:class:`NeedsSerialRun`), at once, so little work is lost.

Memory: what the main process keeps grows only with distinct values, and compactly:
distinct ids and pairs as 64-bit integers in sorted numpy arrays, originals and fakes
as hashes (:class:`ftprep.leak_pass.LeakIndex`).
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from .io import DEFAULT_MAX_LINE_BYTES, ReadLimits, iter_lines, parse_record
from .leak_pass import LeakDelta, LeakIndex, SortedTable, encode, full_hash
from .records import Record

if TYPE_CHECKING:
    from .pipeline import Processed, RunContext

RawLine = tuple[int, bytes]


class NeedsSerialRun(Exception):
    """A parallel run found a cross-worker fake collision; redo it serially."""


def _np() -> Any:
    import numpy as np

    return np


class _SortedIds:
    """A growing set of 64-bit integers (a :class:`~ftprep.leak_pass.SortedTable`)."""

    def __init__(self) -> None:
        self._table = SortedTable()

    def add(self, values: Any) -> None:
        self._table.add(_np().unique(values))

    def __len__(self) -> int:
        return len(self._table)

    def member(self, values: Any) -> Any:
        """A bool array: which of ``values`` (uint64 array) are in the set."""
        return self._table.member(values)


@dataclass
class ReportDelta:
    """A pseudonymizer report with its distinct-id sets as uint64 arrays (cheap to send)."""

    report: Any
    ids: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def take(cls, report: Any) -> ReportDelta:
        np = _np()
        ids = {etype: np.fromiter(values, dtype=np.uint64, count=len(values))
               for etype, values in report.distinct_ids.items()}
        report.distinct_ids = {}
        return cls(report, ids)


class ReportTotals:
    """Sums report deltas in place; distinct counts are unions of id arrays, as
    ``PseudonymizeReport.merge`` has them, without keeping Python sets."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.tallies: dict[str, dict[str, int]] = {}
        self.occurrences: dict[str, int] = {}
        self.distinct_without_ids: dict[str, int] = {}
        self.ids: dict[str, _SortedIds] = {}
        self.any = False

    def add(self, delta: ReportDelta) -> None:
        self.any = True
        report = delta.report
        for f in dataclasses.fields(report):
            value = getattr(report, f.name)
            if f.name in ("entities", "distinct_ids"):
                continue
            if isinstance(value, int):
                self.counters[f.name] = self.counters.get(f.name, 0) + value
            elif isinstance(value, Mapping):
                tally = self.tallies.setdefault(f.name, {})
                for k, n in value.items():
                    tally[k] = tally.get(k, 0) + n
        for etype, count in report.entities.items():
            self.occurrences[etype] = self.occurrences.get(etype, 0) + count.occurrences
            if etype not in delta.ids:
                self.distinct_without_ids[etype] = max(self.distinct_without_ids.get(etype, 0),
                                                       count.distinct)
        for etype, values in delta.ids.items():
            self.ids.setdefault(etype, _SortedIds()).add(values)

    @property
    def redraws(self) -> int:
        return self.counters.get("redraws", 0)

    @property
    def collisions(self) -> int:
        return self.counters.get("collisions", 0)

    def report(self) -> Any:
        """The merged ``PseudonymizeReport`` (distinct ids are not carried over)."""
        if not self.any:
            return None
        from .pseudonymize import EntityCount, PseudonymizeReport

        out = PseudonymizeReport()
        for name, count in self.counters.items():
            setattr(out, name, count)
        for name, tally in self.tallies.items():
            setattr(out, name, dict(tally))
        for etype in sorted(self.occurrences):
            ids = self.ids.get(etype)
            distinct = len(ids) if ids is not None and len(ids) else \
                self.distinct_without_ids.get(etype, 0)
            out.entities[etype] = EntityCount(self.occurrences[etype], distinct)
        return out


class PairLog:
    """Fake -> original-id pairs from worker processes, kept as (hash of namespace and fake,
    id) in a sorted table; ``conflicts`` counts fakes given to two different originals."""

    def __init__(self) -> None:
        self._table = SortedTable({"oid": "uint64"})
        self._conflicts = 0

    def add(self, pairs: Mapping[str, Mapping[str, int]]) -> None:
        np = _np()
        fakes = [full_hash(f"{ns}\x1f{fake}") for ns, d in pairs.items() for fake in d]
        if fakes:
            oids = [oid for d in pairs.values() for oid in d.values()]
            self._table.append(np.array(fakes, np.uint64), oid=np.array(oids, np.uint64))
            if self._table.due:
                self._merge()

    def _merge(self) -> None:
        np = _np()
        taken = self._table.take_pending()
        if taken is None:
            return
        keys, cols = taken
        order = np.lexsort((cols["oid"], keys))
        keys, oids = keys[order], cols["oid"][order]
        same_fake = keys[1:] == keys[:-1]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = ~same_fake
        # within the new pairs: one fake, several ids
        self._conflicts += int(np.count_nonzero(same_fake & (oids[1:] != oids[:-1])))
        idx, pos = self._table.merge(keys, {"oid": oids})
        # against the earlier pairs
        self._conflicts += int(np.count_nonzero(self._table.cols["oid"][pos] != oids[first][idx]))

    @property
    def conflicts(self) -> int:
        self._merge()
        return self._conflicts


@dataclass
class StateDelta:
    """What a pseudonymizer accumulated over some batches, ready to merge."""

    report: ReportDelta
    leak: LeakDelta
    pairs: dict[str, dict[str, int]] = field(default_factory=dict)
    mapping: list[tuple[str, str, str]] = field(default_factory=list)  # for the vault (opt-in)
    #: ids of the originals first seen here (one per new pair) and the ids the new fakes
    #: would have as originals: what the serial run's re-draw decisions looked at
    seen: Any = None
    fake_ids: Any = None


class PseudoState:
    """The merged state of a run: report totals, the leak index and (for parallel runs)
    the fake -> original pairs. ``report`` and ``conflicts`` are what the pipeline reads."""

    def __init__(self) -> None:
        self.totals = ReportTotals()
        self.leak = LeakIndex()
        self.pairs = PairLog()
        self._seen = _SortedIds()
        self._fake_ids = _SortedIds()
        self._collisions = 0
        self.checked = False  # units were checked in order: collisions are counted here

    def diverges(self, delta: StateDelta) -> bool:
        """Could the serial run have decided otherwise than the unit (batch, split) that made
        ``delta``, given every earlier unit? Call in input order, before :meth:`merge`.

        A unit starts from a subset of the serial state, so what it refused the serial run
        refuses too; what it accepted the serial run refuses only when one of its new fakes
        equals an original seen in an earlier unit (the serial run re-draws), or when one
        fake went to two originals (``conflicts``, over all pairs at the end). An original
        equal to an earlier fake changes no output, only the collision count, which is
        recomputed here as the serial run counts it: at the original's first appearance."""
        if delta.seen is None:
            return False
        np = _np()
        self.checked = True
        if bool(self._seen.member(delta.fake_ids).any()):
            return True
        new = np.unique(delta.seen)
        new = new[~self._seen.member(new)]
        self._fake_ids.add(delta.fake_ids)
        self._collisions += int(self._fake_ids.member(new).sum())
        self._seen.add(new)
        return False

    def merge(self, delta: StateDelta) -> None:
        self.totals.add(delta.report)
        self.leak.add(delta.leak)
        if delta.pairs:
            self.pairs.add(delta.pairs)

    @property
    def report(self) -> Any:
        report = self.totals.report()
        if report is not None and self.checked:
            report.collisions = self._collisions
        return report

    @property
    def conflicts(self) -> int:
        return self.pairs.conflicts


class _Drain:
    """Takes the state a pseudonymizer accumulated since the last call (its delta).

    In a worker (``worker=True``) it also takes the new fake -> original-id pairs and the
    vault mapping, which must travel to the main process."""

    def __init__(self, pz: Any, worker: bool) -> None:
        self.pz = pz
        self.worker = worker
        self.pairs_seen: dict[str, int] = {}
        self._hasher: Any = None

    def take(self) -> StateDelta:
        from .pseudonymize import PseudonymizeReport

        pz = self.pz
        report, originals, fakes = pz._report, pz._originals, pz._fakes
        pz._report = PseudonymizeReport()
        pz._originals = {}
        pz._fakes = {}
        cfg = pz.config
        delta = StateDelta(ReportDelta.take(report),
                           encode(originals, fakes, cfg.leak_min_length, cfg.secret_marker))
        if self.worker:
            delta.mapping = pz.drain_mapping()
            for ns, owners in pz._owners.items():
                new = len(owners) - self.pairs_seen.get(ns, 0)
                if new > 0:  # dicts keep insertion order: the new pairs are the last ones
                    items = list(islice(reversed(owners.items()), new))
                    items.reverse()
                    delta.pairs[ns] = dict(items)
                    self.pairs_seen[ns] = len(owners)
            np = _np()
            if self._hasher is None:
                from .pseudonymize.fakes import KeyedHasher

                self._hasher = KeyedHasher(pz._key)
            oid = self._hasher.oid
            delta.seen = np.array([o for d in delta.pairs.values() for o in d.values()], np.uint64)
            delta.fake_ids = np.array([oid(ns, fake) for ns, d in delta.pairs.items() for fake in d],
                                      np.uint64)
        return delta


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
        self._drain = _Drain(ctx.pseudonymizer, worker=False) if ctx.pseudonymizer is not None else None

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        for lines in iter_raw_batches(path, self.batch_size, self.limits.max_line_bytes):
            items = _process_raw(self.ctx, path, lines, self.limits)
            if self._drain is not None:
                self.state.merge(self._drain.take())
            yield items

    def drain_mapping(self) -> list[tuple[str, str, str]]:
        """Fake -> original entries for the vault since the last call."""
        pz = self.ctx.pseudonymizer
        return pz.drain_mapping() if pz is not None else []

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
    _WORKER["drain"] = _Drain(pz, worker=True) if pz is not None else None


def _worker_run(source: str, lines: list[RawLine]) -> tuple[list[Processed], StateDelta | None]:
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
        self._mapping: list[tuple[str, str, str]] = []

    def drain_mapping(self) -> list[tuple[str, str, str]]:
        """Fake -> original entries for the vault, from the workers, since the last call."""
        out, self._mapping = self._mapping, []
        return out

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        tasks = ((path, lines) for lines in iter_raw_batches(path, self.batch_size,
                                                              self.max_line_bytes))
        for items, delta in ordered_map(self.pool, _worker_run, tasks, self.in_flight):
            if delta is not None:
                if self.state.diverges(delta):
                    raise NeedsSerialRun()  # the serial run would have decided otherwise: stop now
                self.state.merge(delta)
                self._mapping.extend(delta.mapping)
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
