"""From rows to records, and from records to a JSONL file.

:func:`iter_converted` is the stage the pipeline calls: it yields batches of
:class:`~ftprep.records.Record`, one per source row, in source order. A row that
renders becomes a record whose ``raw`` is the canonical JSON of the example
(:func:`ftprep.io.dumps`); a row that does not becomes a record with
``obj=None``, ``raw=b""`` and one error finding, so it flows to rejected with
its row number. :func:`convert` writes the good ones with
:func:`ftprep.io.atomic_writer` (never through pandas or datasets).
"""

from __future__ import annotations

import difflib
import html
import os
import time
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UsageError
from ..io import DEFAULT_BATCH_SIZE, atomic_writer, dumps
from ..records import Finding, Record, Severity
from .readers import Problem, ReadOptions, Segment, open_source
from .template import Template, coerce_template
from .values import RowError

TEMPLATE_ERROR = "template_error"
DEFAULT_MAX_FINDINGS = 1000


class Conversion(Iterator[list[Record]]):
    """An iterator over batches of converted records that also keeps counts.

    ``detected`` fills in as reading starts (format, encoding, delimiter,
    columns, sheet...); ``rows_in``, ``examples_out`` and ``rejected_count`` grow
    as batches are taken.
    """

    def __init__(self, source: Any, template: Template, opts: ReadOptions, limit: int | None) -> None:
        self.source = source
        self.template = template
        self.detected: dict[str, Any] = {}
        self.rows_in = 0
        self.examples_out = 0
        self.rejected_count = 0
        self._opts = opts
        self._limit = limit
        self._gen = self._run()

    def __iter__(self) -> Conversion:
        return self

    def __next__(self) -> list[Record]:
        return next(self._gen)

    def close(self) -> None:
        """Stop early and release the input file."""
        self._gen.close()

    def _run(self) -> Generator[list[Record], None, None]:
        segments = open_source(self.source, self._opts, self.detected)
        batch: list[Record] = []
        try:
            for segment in segments:
                self._check_columns(segment)
                for number, row in segment.rows:
                    if self._limit is not None and self.rows_in >= self._limit:
                        break
                    self.rows_in += 1
                    rec = self._record(segment, number, row)
                    if rec.obj is None:
                        self.rejected_count += 1
                    else:
                        self.examples_out += 1
                    batch.append(rec)
                    if len(batch) >= self._opts.batch_size:
                        yield batch
                        batch = []
                if self._limit is not None and self.rows_in >= self._limit:
                    break
            if batch:
                yield batch
        finally:
            close = getattr(segments, "close", None)
            if close is not None:
                close()

    def _check_columns(self, segment: Segment) -> None:
        if segment.columns is None:
            return
        have = set(segment.columns)
        for name in self.template.columns():
            if name not in have:
                hint = difflib.get_close_matches(name, list(segment.columns), n=1)
                did = f"; did you mean '{hint[0]}'?" if hint else ""
                listing = ", ".join(f"'{c}'" for c in list(segment.columns)[:50])
                raise ConfigError(
                    f"{self.template.origin}: the template uses column '{name}', which "
                    f"{segment.source} does not have{did} (columns: {listing})"
                )

    def _record(self, segment: Segment, number: int, row: dict[str, Any] | Problem) -> Record:
        kind = self.template.kind
        if isinstance(row, Problem):
            return _rejected(segment.source, number, kind, row.code, row.message)
        try:
            obj = self.template.render(row)
            raw = dumps(obj)
        except RowError as exc:
            return _rejected(segment.source, number, kind, TEMPLATE_ERROR, f"{segment.unit} {number}: {exc}")
        except UnicodeEncodeError:
            return _rejected(
                segment.source, number, kind, TEMPLATE_ERROR,
                f"{segment.unit} {number}: text holds an unpaired surrogate (not valid Unicode)",
            )
        return Record(source=segment.source, line=number, raw=raw, obj=obj, text=raw.decode("utf-8"), format=kind)


def _rejected(source: str, number: int, kind: str, code: str, message: str) -> Record:
    rec = Record(source=source, line=number, raw=b"", obj=None, text=None, format=kind)
    rec.add(code, Severity.ERROR, message)
    return rec


def iter_converted(
    source: Any,
    template: Template | str | os.PathLike[str] | Mapping[str, Any],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sheet: str | int | None = None,
    fmt: str | None = None,
    record_start: str | None = None,
    record_pattern: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> Conversion:
    """Convert ``source`` row by row into batches of records (see the module docstring).

    ``source`` is a path (CSV, TSV, Excel, Parquet, JSON array, JSONL, plain-text
    log, or a directory written by ``datasets``' ``save_to_disk``), a pandas
    DataFrame, or a datasets Dataset / DatasetDict / IterableDataset. Options left
    at None come from the template's ``[input]`` table, then from sniffing.
    A template column missing from a table's header raises ConfigError before
    the first row.
    """
    tpl = coerce_template(template)
    if batch_size < 1:
        raise UsageError("batch_size must be at least 1")
    inp = tpl.input
    opts = ReadOptions(
        fmt=fmt or inp.format,
        sheet=sheet if sheet is not None else inp.sheet,
        record_start=record_start or inp.record_start,
        record_pattern=record_pattern or inp.record_pattern,
        encoding=encoding or inp.encoding,
        delimiter=delimiter or inp.delimiter,
        split=split,
        batch_size=batch_size,
        wanted=tuple(tpl.columns()),
    )
    return Conversion(source, tpl, opts, limit)


@dataclass
class ConvertReport:
    """What a conversion did. ``rejected`` holds the first findings (up to a cap);
    ``rejected_count`` counts them all."""

    source: str
    output: str | None
    template: str
    kind: str
    rows_in: int = 0
    examples_out: int = 0
    rejected: list[Finding] = field(default_factory=list)
    rejected_count: int = 0
    detected: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "output": self.output,
            "template": self.template,
            "kind": self.kind,
            "rows_in": self.rows_in,
            "examples_out": self.examples_out,
            "rejected_count": self.rejected_count,
            "rejected": [f.to_dict() for f in self.rejected],
            "detected": self.detected,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        det = ", ".join(f"{k}={v!r}" for k, v in self.detected.items()
                        if k not in ("columns", "record_start"))
        return (
            f"{self.source}: {self.rows_in} rows -> {self.examples_out} {self.kind} examples, "
            f"{self.rejected_count} rejected ({det})"
        )

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><th style='text-align:left'>{e(k)}</th><td>{e(str(v))}</td></tr>"
            for k, v in (
                ("source", self.source), ("output", self.output), ("template", self.template),
                ("kind", self.kind), ("rows in", self.rows_in), ("examples out", self.examples_out),
                ("rejected", self.rejected_count),
                *((f"detected {k}", v) for k, v in self.detected.items()),
            )
        )
        shown = self.rejected[:20]
        findings = "".join(
            f"<tr><td>{f.line}</td><td>{e(f.code)}</td><td>{e(f.message)}</td></tr>" for f in shown
        )
        more = (
            f"<p>... and {self.rejected_count - len(shown)} more</p>"
            if self.rejected_count > len(shown) else ""
        )
        rejected = (
            "<table><tr><th>row</th><th>code</th><th>message</th></tr>" + findings + "</table>" + more
            if shown else ""
        )
        return f"<div><b>ftprep convert</b><table>{rows}</table>{rejected}</div>"


def _source_name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return f"<{type(source).__name__}>"


def convert(
    source: Any,
    out_path: str | os.PathLike[str] | None,
    template: Template | str | os.PathLike[str] | Mapping[str, Any],
    *,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    **kw: Any,
) -> ConvertReport:
    """Convert ``source`` and write the examples to ``out_path`` as JSONL.

    The file is written atomically (a temporary file renamed when complete), one
    canonical JSON object per line, ``\\n`` line ends, UTF-8 without BOM. Rows
    that cannot be rendered are left out and reported in ``rejected``. With
    ``out_path=None`` nothing is written (a dry run). Other keyword arguments
    go to :func:`iter_converted`.
    """
    if out_path is not None and isinstance(source, (str, os.PathLike)):
        with_src = Path(source).resolve()
        if Path(out_path).resolve() == with_src:
            raise UsageError(f"{out_path}: the output would overwrite the input")
    started = time.perf_counter()
    conv = iter_converted(source, template, **kw)
    report = ConvertReport(
        source=_source_name(source),
        output=os.fspath(out_path) if out_path is not None else None,
        template=conv.template.origin,
        kind=conv.template.kind,
        detected=conv.detected,
    )
    try:
        if out_path is None:
            for batch in conv:
                _collect(report, batch, max_findings)
        else:
            with atomic_writer(out_path) as fh:
                for batch in conv:
                    fh.write(b"".join(r.raw + b"\n" for r in batch if r.obj is not None))
                    _collect(report, batch, max_findings)
    finally:
        conv.close()
    report.rows_in = conv.rows_in
    report.examples_out = conv.examples_out
    report.rejected_count = conv.rejected_count
    report.seconds = time.perf_counter() - started
    return report


def _collect(report: ConvertReport, batch: list[Record], cap: int) -> None:
    if len(report.rejected) >= cap:
        return
    for rec in batch:
        if rec.obj is None:
            report.rejected.extend(rec.findings[: cap - len(report.rejected)])
            if len(report.rejected) >= cap:
                return
