"""The Spark engine (optional extra ``ftprep[spark]``): the row-level work on a cluster.

``ftprep prepare --engine spark`` (or ``PrepareConfig(engine="spark")``) runs the same
:class:`~ftprep.pipeline.BatchProcessor` as the local engines, on a Spark DataFrame of
the input's lines::

    spark.read.text(path)            raw bytes of each line (value cast to binary: no
                                     re-decoding) and its split's byte offset
    -> groupBy(split).count()        lines per split -> the first line number of each
    -> mapInArrow(process_partition) parse, validate, pseudonymize, count tokens, split,
                                     serialize: one pickled result per line, plus one
                                     row per partition with its pseudonymizer state delta
    -> orderBy(line)                 back to the driver in input order

The driver writes train / validation / rejected itself, in input order, so the files
are byte-identical to a local run, and the stats frame, checks, leak check, report and
manifest are the local pipeline's own. Line numbers are exact: each line's number is
the number of lines in the splits before its own plus its index within its split
(rows of a split reach a partition in file order), never ``monotonically_increasing_id``.

Determinism needs no shared state: fakes are keyed hashes and the train/validation split
hashes each example's content. Partitions start with fresh pseudonymizers; their deltas
(report counts, distinct ids, hashed originals and fakes, fake -> original-id pairs)
are merged on the driver, where a second, cheap pass over the hashed pairs finds fakes
given to two originals in different partitions. If any partition had to re-draw a fake
(a decision that depends on what came before), the Spark result could differ from the
serial one: the engine raises :class:`~ftprep.engine.NeedsSerialRun` and the pipeline
redoes the run locally, so the output is always the serial output.

The executors load ftprep (install the wheel as a cluster library: it ships its
tiktoken encodings, so no executor downloads anything) and receive the
pseudonymization key with each task: run on a cluster you trust with the key.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from .engine import NeedsSerialRun, PseudoState, _Drain, _process_raw, _strip
from .errors import UsageError
from .io import BOM, GZIP_MAGIC, ReadLimits, iter_lines

if TYPE_CHECKING:
    from .config import PrepareConfig
    from .pipeline import Processed, RunContext

SCHEMA = "kind int, line long, payload binary"
ROW, STATE = 0, 1
INSTALL_HINT = "the Spark engine needs the spark extra: pip install 'ftprep[spark]' (and Java 17)"
_EXECUTOR: dict[tuple[Any, ...], RunContext] = {}  # per executor Python process: contexts


def _import_pyspark() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark's note on pandas 3
            import pyspark.sql
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return pyspark.sql


def get_session(master: str | None = None) -> Any:
    """The active Spark session, or a new one on ``master`` (e.g. ``local[2]``)."""
    sql = _import_pyspark()
    if master is None:
        active = sql.SparkSession.getActiveSession()
        if active is not None:
            return active
    if master is not None and master.startswith("local"):
        # executors of a local master are this machine's Python: use this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = sql.SparkSession.builder.appName("ftprep")
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            builder = builder.config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = builder.getOrCreate()
    with contextlib.suppress(Exception):  # Spark Connect has no sparkContext
        session.sparkContext.setLogLevel("ERROR")
    return session


# --- executor side ------------------------------------------------------------------------

@dataclass(frozen=True)
class PartitionJob:
    """What every partition of one input needs (pickled into each task)."""

    source: str
    config: PrepareConfig
    key: bytes | None
    fmt: str | None
    limits: ReadLimits
    first_line: dict[int, int] = field(default_factory=dict)  # split offset -> its first line


def _context(job: PartitionJob) -> RunContext:
    """A run context for one partition: encodings and validator cached per process, a
    fresh pseudonymizer per partition (partitions are independent units of work)."""
    from .pipeline import RunContext

    cache_key = (job.config.fingerprint(), job.fmt, job.key)
    base = _EXECUTOR.get(cache_key)
    if base is None:
        base = _EXECUTOR[cache_key] = RunContext.create(job.config, job.key, job.fmt)
    pz = None
    if base.pseudonymizer is not None and job.key is not None:
        from .pseudonymize import Pseudonymizer

        pz = Pseudonymizer(job.key, base.pseudonymizer.config,
                           record_mapping=job.config.vault is not None)
    return replace(base, pseudonymizer=pz)


def number_lines(raws: list[bytes], blocks: list[int], job: PartitionJob,
                 seen: dict[int, int]) -> list[tuple[int, bytes]]:
    """(line number, bytes) of each row: the split's first line + the row's index in it.

    Terminators as the local reader has them: ``\\r`` before ``\\n`` dropped, a BOM at
    the start of line 1 dropped."""
    out: list[tuple[int, bytes]] = []
    for raw, block in zip(raws, blocks, strict=True):
        index = seen.get(block, 0)
        seen[block] = index + 1
        number = job.first_line[block] + index
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        out.append((number, raw))
    return out


def process_partition(batches: Iterator[Any], job: PartitionJob) -> Iterator[Any]:
    """``mapInArrow`` function: Arrow batches of (raw, block) in, results out.

    Each split (block) is one unit with a fresh pseudonymizer, whatever partition it lands
    in, and ends with a state row (kind 1) numbered with the split's first line."""
    import pyarrow as pa

    names = ["kind", "line", "payload"]
    ctx: RunContext | None = None
    unit: tuple[int, Any] | None = None  # (block, drain) of the split being processed
    seen: dict[int, int] = {}
    size = job.config.batch_size

    def state_row(block: int, drain: Any) -> Any:
        return pa.RecordBatch.from_arrays(
            [pa.array([STATE], pa.int32()), pa.array([job.first_line[block]], pa.int64()),
             pa.array([pickle.dumps(drain.take(), protocol=5)], pa.binary())], names=names)

    for batch in batches:
        lines = number_lines(batch.column("raw").to_pylist(), batch.column("block").to_pylist(),
                             job, seen)
        blocks = batch.column("block").to_pylist()
        start = 0
        while start < len(lines):
            block = blocks[start]
            if unit is None or unit[0] != block:
                if unit is not None and unit[1] is not None:
                    yield state_row(*unit)
                ctx = _context(job)
                pz = ctx.pseudonymizer
                unit = (block, _Drain(pz, worker=True) if pz is not None else None)
            end = start
            while end < len(lines) and end - start < size and blocks[end] == block:
                end += 1
            assert ctx is not None
            items = _strip(_process_raw(ctx, job.source, lines[start:end], job.limits))
            yield pa.RecordBatch.from_arrays(
                [pa.array([ROW] * len(items), pa.int32()),
                 pa.array([item.record.line for item in items], pa.int64()),
                 pa.array([pickle.dumps(item, protocol=5) for item in items], pa.binary())],
                names=names)
            start = end
    if unit is not None and unit[1] is not None:
        yield state_row(*unit)


# --- driver side --------------------------------------------------------------------------

def path_mapper(spec: str | None) -> Callable[[str], str]:
    """``"LOCAL=SPARK"``: an input path starting with LOCAL is read by Spark as SPARK + the
    rest (the driver hashes the file through its local mount, Spark reads it by its name),
    e.g. ``/lakehouse/default/Files/=Files/`` on Fabric."""
    if not spec:
        return lambda path: path
    local, sep, remote = spec.partition("=")
    if not sep or not local:
        raise UsageError("spark_path_map must look like LOCAL_PREFIX=SPARK_PREFIX")

    def mapped(path: str) -> str:
        return remote + path[len(local):] if path.startswith(local) else path

    return mapped


def _check_input(path: str) -> None:
    """What the local reader would refuse, refused here too (when the driver can read it)."""
    if not os.path.exists(path):
        return
    with open(path, "rb") as fh:
        gz = fh.read(2) == GZIP_MAGIC
    if gz and not path.endswith(".gz"):
        raise UsageError(f"{path}: gzip data without a .gz name; Spark decompresses by name: "
                         "rename it to end in .gz")
    next(iter(iter_lines(path)), None)  # UTF-16/32 and damaged gzip raise InputError


class SparkEngine:
    """Runs the row-level stages of each input on Spark; yields results in input order."""

    def __init__(self, ctx: RunContext, limits: ReadLimits, config: PrepareConfig, key: bytes | None,
                 session: Any = None, to_spark_path: Callable[[str], str] | None = None) -> None:
        self.ctx = ctx
        self.limits = limits
        self.config = config
        self.key = key
        self.spark = session if session is not None else get_session(config.spark_master)
        self.to_spark_path = to_spark_path or path_mapper(config.spark_path_map)
        self.state = PseudoState()
        self._mapping: list[tuple[str, str, str]] = []
        self._cached: list[Any] = []

    def drain_mapping(self) -> list[tuple[str, str, str]]:
        out, self._mapping = self._mapping, []
        return out

    def lines(self, path: str) -> Any:
        """The input as a DataFrame of (raw bytes, split offset)."""
        from pyspark.sql import functions as F

        return (self.spark.read.option("lineSep", "\n").text(self.to_spark_path(path))
                .select(F.col("value").cast("binary").alias("raw"),
                        F.col("_metadata.file_block_start").alias("block")))

    def results(self, path: str) -> Any:
        """The processed DataFrame (kind, line, payload) of one input, persisted."""
        from pyspark.sql import functions as F

        _check_input(path)
        df = self.lines(path)
        counts = sorted((int(r["block"]), int(r["count"])) for r in df.groupBy("block").count().collect())
        first_line: dict[int, int] = {}
        line = 1
        for block, count in counts:
            first_line[block] = line
            line += count
        job = PartitionJob(source=path, config=self.config, key=self.key,
                           fmt=self.ctx.validator.format, limits=self.limits, first_line=first_line)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark's note on pandas 3
            out = df.mapInArrow(partial(process_partition, job=job), SCHEMA).persist()
        self._cached.append(out)
        states = out.filter(F.col("kind") == STATE).orderBy("line").select("payload").collect()
        for row in states:  # splits in input order: the cheap second pass over hashed pairs
            delta = pickle.loads(row["payload"])  # noqa: S301 - our own executors' output
            if self.state.diverges(delta):
                raise NeedsSerialRun()  # the serial run would have decided otherwise
            self.state.merge(delta)
            self._mapping.extend(delta.mapping)
        if self.state.conflicts:
            raise NeedsSerialRun()  # one fake for two originals in different splits
        return out

    def process_file(self, path: str) -> Iterator[list[Processed]]:
        from pyspark.sql import functions as F

        out = self.results(path)
        rows = out.filter(F.col("kind") == ROW).orderBy("line").select("payload").toLocalIterator()
        batch: list[Processed] = []
        for row in rows:
            batch.append(pickle.loads(row["payload"]))  # noqa: S301 - our own executors' output
            if len(batch) >= self.config.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        for df in self._cached:
            with contextlib.suppress(Exception):  # a stopped session has nothing left to free
                df.unpersist()
        self._cached = []
