"""Execution engines: run the row-level stages serially or in worker processes.

Both engines feed the same :class:`~ftprep.pipeline.BatchProcessor` and yield
batches of results in input order, so ``--workers N`` writes byte-identical
outputs to ``--workers 1``. Workers read nothing themselves: the main process
reads raw lines, workers parse, validate, pseudonymize and count, and each batch
comes back with the pseudonymizer's state *delta* (report counts, distinct ids,
hashed originals and fakes) for the main process to merge.

A keyed fake is a pure function of (key, type, value), but injectivity needs the
whole run: the serial run re-draws a fake that is already taken or equals an original seen
*before*, so a value's fake can depend on every earlier batch. The process engine keeps
that order without redoing work. Each batch takes two steps in its worker: *plan*
(parse, validate, detect, and list the values the batch will replace, in first-use order,
drawing nothing) and *finish* (replace, count tokens, dump). Between them the main process
draws the fakes of the listed values with its own pseudonymizer, strictly in batch order:
the same draws, in the same order, as the serial run (about 5% of the work). A worker plans
its next batch while it waits, keeps its detection results for the finish step, and never
draws a fake itself (:class:`~ftprep.pseudonymize.engine.PlanMiss` if it would: then the
run is redone serially, :class:`NeedsSerialRun`). The Spark engine cannot ask its driver
mid-task: its partitions draw for themselves and the driver checks the result
(:meth:`PseudoState.diverges`), redoing the run locally if any decision could differ.

Memory: what the main process keeps grows only with distinct values: distinct ids as
64-bit integers in sorted numpy arrays, originals and fakes as hashes
(:class:`ftprep.leak_pass.LeakIndex`), and the drawing pseudonymizer's fake -> original-id
table (what a serial run keeps; workers keep none).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import DataError
from .io import DEFAULT_MAX_LINE_BYTES, ReadLimits, iter_lines, parse_record
from .leak_pass import LeakDelta, LeakIndex, SortedTable, encode
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
        self.settled: dict[str, int] = {}  # distinct counts of ids folded by settle()
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
        if delta.ids and self.settled:
            raise RuntimeError("ReportTotals.add after settle(): distinct ids are gone")
        for etype, values in delta.ids.items():
            self.ids.setdefault(etype, _SortedIds()).add(values)

    def settle(self) -> None:
        """Keep the distinct counts, drop the ids they count (8 bytes a distinct value: ~32
        MB at 1 GB of input). Call once every delta is added (the run's leak check is
        done); the report is the same before and after."""
        for etype, ids in self.ids.items():
            self.settled[etype] = len(ids)
        self.ids = {}

    @property
    def redraws(self) -> int:
        return self.counters.get("redraws", 0)

    def add_counts(self, **counts: int) -> None:
        """Add to report counters (the parallel engine's own re-draws and collisions)."""
        self.any = True
        for name, n in counts.items():
            self.counters[name] = self.counters.get(name, 0) + n

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
            counted = len(ids) if ids is not None else self.settled.get(etype, 0)
            distinct = counted or self.distinct_without_ids.get(etype, 0)
            out.entities[etype] = EntityCount(self.occurrences[etype], distinct)
        return out


class PairLog:
    """Fake -> original pairs from Spark partitions, as (keyed id of the fake, keyed id of the
    original) in a sorted table; ``conflicts`` counts fakes given to two different originals."""

    def __init__(self) -> None:
        self._table = SortedTable({"oid": "uint64"})
        self._conflicts = 0

    def add(self, pairs: Mapping[int, int]) -> None:
        """Add (keyed id of a fake -> keyed id of its original) pairs."""
        np = _np()
        if pairs:
            self._table.append(np.fromiter(pairs, np.uint64, len(pairs)),
                               oid=np.fromiter(pairs.values(), np.uint64, len(pairs)))
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
    pairs: dict[int, int] = field(default_factory=dict)  # fake id -> original id (Spark)
    mapping: list[tuple[str, str, str]] = field(default_factory=list)  # for the vault (opt-in)
    #: ids of the originals first seen here (one per new pair) and the ids the new fakes
    #: would have as originals: what the serial run's re-draw decisions looked at
    seen: Any = None
    fake_ids: Any = None
    redraws: dict[int, int] = field(default_factory=dict)  # original id -> re-draws


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
        self._redraws = 0
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
        if delta.redraws:  # re-draws count once per original, as the serial run counts them
            ids = np.fromiter(delta.redraws, np.uint64, len(delta.redraws))
            counts = np.fromiter(delta.redraws.values(), np.int64, len(delta.redraws))
            self._redraws += int(counts[np.isin(ids, new)].sum())
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
            report.redraws = self._redraws
        return report

    @property
    def conflicts(self) -> int:
        return self.pairs.conflicts


class _Drain:
    """Takes the state a pseudonymizer accumulated since the last call (its delta).

    In a worker (``worker=True``) it also takes the new fake -> original-id pairs and the
    vault mapping, which must travel to the main process."""

    def __init__(self, pz: Any, worker: bool, pairs: bool = True) -> None:
        self.pz = pz
        self.worker = worker
        self.pairs = pairs  # False: the worker draws nothing (the main process does)
        if worker and pairs:
            pz._log_redraws = True
            pz._pair_log = []

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
        redraws, pz._redraw_log = pz._redraw_log, {}
        if self.worker:
            delta.mapping = pz.drain_mapping()
        if self.worker and self.pairs:
            delta.redraws = redraws
            log, pz._pair_log = pz._pair_log, []
            np = _np()
            delta.pairs = dict(log)
            delta.fake_ids = np.fromiter((f for f, _ in log), np.uint64, len(log))
            delta.seen = np.fromiter((o for _, o in log), np.uint64, len(log))
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

def _worker_main(conn: Any, ctx: RunContext, limits: ReadLimits) -> None:
    """A worker process: batches in, results out, on its own pipe, in the order sent.

    With pseudonymization a batch takes two steps: ``task`` (parse, validate, plan: which
    values it will replace) ends by asking the main process for their fakes, and ``answer``
    (replace, count, dump) ends with the result. A worker plans its next batch while it
    waits for an answer."""
    # Ctrl-C reaches the whole process group: the main process stops the workers, so a
    # worker must not die mid-task with its own KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A main process killed outright (SIGKILL, OOM killer) cannot stop its workers: a worker
    # notices it was orphaned and exits instead of waiting for tasks forever.
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    # A thread reads the pipe all the time, so the main process never blocks sending a batch
    # while this process blocks sending a result (two full pipes would deadlock).
    inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
    threading.Thread(target=_read_pipe, args=(conn, inbox), daemon=True).start()
    from .heap import trim_heap
    from .pipeline import BatchProcessor

    finished = 0
    pz = ctx.pseudonymizer
    drain = _Drain(pz, worker=True, pairs=False) if pz is not None else None
    processor = BatchProcessor(ctx)
    planned: deque[tuple[int, list[Record], list[Any], Any]] = deque()
    while True:
        msg = inbox.get()
        kind = msg[0]
        if kind == "stop":
            return
        seq = msg[1] if kind == "task" or not planned else planned[0][0]
        try:
            if kind == "task":
                _, seq, source, lines = msg
                batch = [parse_record(source, n, raw, limits) for n, raw in lines]
                fronts = processor.begin(batch)
                if pz is None:
                    conn.send(("done", seq, _strip(processor.finish(batch, fronts)), None))
                    continue
                pz.plan_begin()
                for front in fronts:
                    target = front.target
                    if target is not None:
                        (pz.plan if target[0] == "obj" else pz.plan_text)(target[1])
                wanted, ticket = pz.plan_end()
                planned.append((seq, batch, fronts, ticket))
                conn.send(("ask", seq, wanted))
            else:  # "answer": to the oldest planned batch (answers come in order)
                assert pz is not None
                seq, batch, fronts, ticket = planned.popleft()
                pz.install(ticket, msg[1])
                try:
                    items = processor.finish(batch, fronts)
                finally:
                    pz.plan_done()
                delta = drain.take() if drain is not None else None
                conn.send(("done", seq, _strip(items), delta))
                finished += 1
                if finished % TRIM_EVERY_BATCHES == 0:
                    trim_heap()
        except BaseException as exc:  # noqa: BLE001 - the main process re-raises it
            conn.send(("error", seq, exc))


def _read_pipe(conn: Any, inbox: queue.SimpleQueue[tuple[Any, ...]]) -> None:
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            msg = ("stop",)
        inbox.put(msg)
        if msg[0] == "stop":
            return


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


TRIM_EVERY_BATCHES = 64  # a stream worker hands freed heap back to the OS this often
_DIED = "a worker process died; rerun with --workers 1 to see why"


def _send(conn: Any, msg: tuple[Any, ...]) -> None:
    try:
        conn.send(msg)
    except OSError:  # a broken pipe: the worker is gone
        raise DataError(_DIED) from None


class ProcessEngine:
    """N worker processes; results come back in input order; a bounded number of batches in
    flight. The main process draws every fake, in input order (module docstring)."""

    def __init__(self, ctx: RunContext, limits: ReadLimits, batch_size: int, workers: int) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        mpc: Any = mp.get_context(method)
        self.workers = workers
        self.batch_size = batch_size
        self.max_line_bytes = limits.max_line_bytes
        self.depth = 2  # batches queued per worker
        self.state = PseudoState()
        self._authority = ctx.pseudonymizer  # this process's own instance draws every fake
        self._mapping: list[tuple[str, str, str]] = []
        self._conns: list[Any] = []
        self._procs: list[Any] = []
        from .leak_pass import frozen_heap

        with frozen_heap(method == "fork"):  # workers' GC leaves the inherited heap shared
            for _ in range(workers):
                parent, child = mpc.Pipe()
                proc = mpc.Process(target=_worker_main, args=(child, ctx, limits), daemon=True)
                proc.start()
                child.close()
                self._conns.append(parent)
                self._procs.append(proc)
        self._seq = 0

    def drain_mapping(self) -> list[tuple[str, str, str]]:
        """Fake -> original entries for the vault, from the workers, since the last call."""
        out, self._mapping = self._mapping, []
        return out

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        from multiprocessing.connection import wait

        batches = iter_raw_batches(path, self.batch_size, self.max_line_bytes)
        first = self._seq  # batch k goes to worker k % N: each worker's pipe is in order
        sent = first
        next_answer = next_yield = first
        asks: dict[int, list[tuple[str, str]]] = {}
        done: dict[int, list[Processed]] = {}
        exhausted = False
        while True:
            while not exhausted and sent - next_yield < self.workers * self.depth:
                lines = next(batches, None)
                if lines is None:
                    exhausted = True
                    break
                _send(self._conns[sent % self.workers], ("task", sent, path, lines))
                sent += 1
            while next_answer in asks:  # fakes are drawn in input order: the serial order
                wanted = asks.pop(next_answer)
                answers = self._authority.assign_many(wanted) if self._authority is not None else []
                _send(self._conns[next_answer % self.workers], ("answer", answers))
                next_answer += 1
            if next_yield in done:
                yield done.pop(next_yield)
                next_yield += 1
                continue
            if exhausted and next_yield == sent:
                break
            for conn in wait(self._conns):
                msg: Any
                try:
                    msg = conn.recv()  # type: ignore[union-attr,call-arg]
                except (EOFError, OSError):  # a reset connection, too, when it died mid-message
                    raise DataError(_DIED) from None
                if msg[0] == "ask":
                    asks[msg[1]] = msg[2]
                elif msg[0] == "done":
                    _, seq, items, delta = msg
                    if delta is not None:
                        self.state.merge(delta)
                        self._mapping.extend(delta.mapping)
                    done[seq] = items
                else:
                    from .pseudonymize.engine import PlanMiss

                    exc: BaseException = msg[2]
                    if isinstance(exc, PlanMiss):
                        raise NeedsSerialRun() from None  # a plan gap (a bug): the serial run
                    raise exc
        self._seq = sent
        self._merge_authority()

    def _merge_authority(self) -> None:
        """The re-draws and collisions the draws here counted (workers count none)."""
        pz = self._authority
        if pz is None:
            return
        report = pz._report
        self.state.totals.add_counts(redraws=report.redraws, collisions=report.collisions)
        report.redraws = report.collisions = 0

    def close(self) -> None:
        """Stop the workers (a second call does nothing)."""
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        for proc in self._procs:
            proc.join(timeout=0.2)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for conn in self._conns:
            conn.close()
        self._conns, self._procs = [], []


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
