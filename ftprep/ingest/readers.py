"""Readers: every input kind becomes a stream of ``(row number, row dict)``.

A reader yields :class:`Segment` objects (one per file, sheet or dataset split),
each with the column names when the input has them up front, and an iterator
over rows. A row that cannot become a dict (a CSV row wider than its header, a
JSON element that is not an object, a JSONL line that does not parse) comes as a
:class:`Problem` instead, so it can go to rejected with its number.

Row numbers (``Record.line``):

* CSV/TSV and Excel: the row number a spreadsheet shows; the header is row 1,
  the first data row is row 2 (a CSV record with quoted line breaks is one row).
* JSONL and logs: the physical line (for a multi-line log record, its first line).
* JSON arrays: the element's 1-based position in the array.
* Parquet, DataFrames and datasets: the row's 1-based position (per split).

Readers stream: memory stays bounded by one batch, except for Excel (openpyxl's
read-only mode keeps shared strings) and JSON arrays (one element at a time).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from ..errors import InputError, UsageError
from ..io import DEFAULT_MAX_LINE_BYTES, ReadLimits, _shape, iter_lines, parse_record
from .sniff import SNIFF_BYTES, detect_delimiter, detect_encoding, detect_format, open_text
from .values import SPREADSHEET_ERROR, render_value

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    """A source row that is not a usable row; it goes to rejected."""

    code: str
    message: str


@dataclass(slots=True)
class Segment:
    """One stream of rows that share a source name and a set of columns."""

    source: str
    columns: Sequence[str] | None
    """Column names when known before the first row (tables); None for free-form rows."""
    rows: Iterator[tuple[int, Row | Problem]]
    unit: str = "row"
    """What a row number counts: "row", "line" or "element" (used in messages)."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    fmt: str | None = None
    sheet: str | int | None = None
    record_start: str | None = None
    record_pattern: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    split: str | None = None
    batch_size: int = 512
    wanted: tuple[str, ...] | None = None
    """Columns the template reads (lets Parquet read only those)."""


def open_source(source: Any, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    """Dispatch on the source: a path, a pandas DataFrame or a datasets object."""
    kind = _object_kind(source)
    if kind == "dataframe":
        detected["format"] = "dataframe"
        return _dataframe_segments(source, opts)
    if kind == "dataset":
        detected["format"] = "hf"
        return _dataset_segments(source, opts, detected, label=None)
    if not isinstance(source, (str, os.PathLike)):
        raise UsageError(
            f"cannot convert a {type(source).__name__}: pass a path, a pandas DataFrame "
            "or a datasets Dataset/DatasetDict"
        )
    fmt = opts.fmt or detect_format(source)
    detected["format"] = fmt
    path = os.fspath(source)
    readers: dict[str, Callable[[str, ReadOptions, dict[str, Any]], Iterator[Segment]]] = {
        "csv": _csv_segments,
        "tsv": _csv_segments,
        "excel": _excel_segments,
        "parquet": _parquet_segments,
        "json": _json_array_segments,
        "jsonl": _jsonl_segments,
        "log": _log_segments,
        "hf": _dataset_path_segments,
    }
    if fmt not in readers:
        raise UsageError(f"unknown format '{fmt}' (known: {', '.join(readers)})")
    if opts.fmt == "tsv" or fmt == "tsv":
        opts = dataclasses.replace(opts, delimiter=opts.delimiter or "\t", fmt="tsv")
    return readers[fmt](path, opts, detected)


def _object_kind(source: Any) -> str | None:
    """Recognise pandas and datasets objects without importing either library."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(source, pandas.DataFrame):
        return "dataframe"
    datasets = sys.modules.get("datasets")
    if datasets is not None and isinstance(
        source,
        (datasets.Dataset, datasets.DatasetDict, datasets.IterableDataset, datasets.IterableDatasetDict),
    ):
        return "dataset"
    return None


# -- CSV / TSV ---------------------------------------------------------------------------


def header_names(cells: Sequence[Any], detected: dict[str, Any]) -> list[str]:
    """Header cells as column names: stripped; empty ones become ``column<N>`` (1-based);
    repeats get ``_2``, ``_3``... (renames are reported under ``renamed_columns``)."""
    names: list[str] = []
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for i, cell in enumerate(cells, start=1):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            name = f"column{i}"
        elif isinstance(cell, str):
            name = cell.strip()
        else:
            name = render_value(cell, f"header cell {i}")
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        if name != base:
            renamed[f"{base} (column {i})"] = name
        seen.add(name)
        names.append(name)
    if renamed:
        detected.setdefault("renamed_columns", {}).update(renamed)
    return names


def shape_row(
    header: Sequence[str], cells: Sequence[Any], number: int, empty: Callable[[Any], bool]
) -> Row | Problem:
    """Pair cells with the header: missing trailing cells are None; extra cells must be empty."""
    if len(cells) > len(header) and not all(empty(c) for c in cells[len(header):]):
        return Problem(
            "row_shape", f"row {number} has {len(cells)} cells, the header has {len(header)}"
        )
    row = dict(zip(header, cells, strict=False))
    for name in header[len(cells):]:
        row[name] = None
    return row


def _csv_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    encoding = opts.encoding or detect_encoding(path)
    detected["encoding"] = encoding
    delimiter = opts.delimiter
    if delimiter is None:
        with open_text(path, encoding) as fh:
            delimiter = detect_delimiter(_read_sample(fh, path, encoding))
    detected["delimiter"] = delimiter
    with open_text(path, encoding) as fh, _field_limit(DEFAULT_MAX_LINE_BYTES):
        reader = csv.reader(fh, delimiter=delimiter)
        records = _csv_records(reader, path, encoding)
        header: list[str] | None = None
        for _number, cells in records:
            if any(cells):
                header = header_names(cells, detected)
                break
        if header is None:
            detected["columns"] = []
            return
        detected["columns"] = header
        yield Segment(path, header, _csv_rows(header, records))


def _read_sample(fh: TextIO, path: str, encoding: str) -> str:
    try:
        return fh.read(SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid {encoding} ({exc.reason}); pass --encoding", path) from None


def _csv_records(reader: Any, path: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        for cells in reader:
            number += 1
            yield number, cells
    except csv.Error as exc:
        raise InputError(f"CSV error ({exc})", path, number + 1) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid {encoding} ({exc.reason}); pass --encoding", path, number + 1) from None


def _csv_rows(header: list[str], records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, Row | Problem]]:
    for number, cells in records:
        if not any(cells):
            continue  # a blank line or a row of empty cells is not a data row
        yield number, shape_row(header, cells, number, _empty_text)


def _empty_text(cell: Any) -> bool:
    return cell is None or cell == ""


@contextlib.contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """Raise the csv module's per-field limit (default 128 KiB) while reading, then restore it."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


# -- Excel -------------------------------------------------------------------------------


def _excel_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    try:
        import openpyxl
    except ImportError:
        raise UsageError(
            "reading Excel files needs openpyxl: pip install 'ftprep[excel]'"
        ) from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise InputError(f"cannot open as an Excel workbook ({type(exc).__name__})", path) from None
    try:
        ws = _pick_sheet(wb, opts.sheet, path)
        detected["sheet"] = ws.title
        rows = ws.iter_rows()
        header: list[str] | None = None
        number = 0
        for cells in rows:
            number += 1
            values = [_excel_value(c) for c in cells]
            if any(v is not None for v in values):
                header = header_names(_trim_trailing_none(values), detected)
                break
        if header is None:
            detected["columns"] = []
            return
        detected["columns"] = header
        yield Segment(path, header, _excel_rows(header, rows, number))
    finally:
        wb.close()


def _pick_sheet(wb: Any, sheet: str | int | None, path: str) -> Any:
    names = wb.sheetnames
    if sheet is None:
        return wb.worksheets[0]
    if isinstance(sheet, str) and sheet in names:
        return wb[sheet]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
        index = int(sheet)
        if 1 <= index <= len(names):
            return wb.worksheets[index - 1]
    raise UsageError(f"{path}: no sheet '{sheet}' (sheets: {', '.join(names)})")


def _trim_trailing_none(values: list[Any]) -> list[Any]:
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _excel_rows(header: list[str], rows: Iterator[Any], header_number: int) -> Iterator[tuple[int, Row | Problem]]:
    for number, cells in enumerate(rows, start=header_number + 1):
        values = [_excel_value(c) for c in cells]
        if all(v is None or v == "" for v in values):
            continue
        yield number, shape_row(header, values, number, _empty_text)


_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]')


def _excel_value(cell: Any) -> Any:
    """A cell's value: error cells become a marker; a datetime in a date-only number
    format (no hours or seconds in it) becomes a date."""
    value = cell.value
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "e":
        return SPREADSHEET_ERROR
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        fmt = _QUOTED.sub("", str(getattr(cell, "number_format", "") or "")).lower()
        if fmt and "h" not in fmt and "s" not in fmt:
            return value.date()
    return value


# -- Parquet -----------------------------------------------------------------------------


def _parquet_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        raise InputError(f"cannot open as Parquet ({type(exc).__name__})", path) from None
    try:
        names = list(pf.schema_arrow.names)
        detected["columns"] = names
        columns = None
        if opts.wanted is not None and set(opts.wanted) <= set(names):
            columns = [n for n in names if n in set(opts.wanted)]
        yield Segment(path, names, _parquet_rows(pf, columns, opts.batch_size, path))
    finally:
        pf.close()


def _parquet_rows(pf: Any, columns: list[str] | None, batch_size: int, path: str) -> Iterator[tuple[int, Row | Problem]]:
    number = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield number, row
    except OSError as exc:
        raise InputError(f"Parquet read failed ({exc})", path, number + 1) from None


# -- JSON arrays and JSON Lines ----------------------------------------------------------


def _json_array_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    encoding = opts.encoding or detect_encoding(path)
    detected["encoding"] = encoding
    with open_text(path, encoding) as fh:
        yield Segment(path, None, _object_rows(iter_json_array(fh, path), "element"), unit="element")


def _object_rows(values: Iterator[Any], unit: str) -> Iterator[tuple[int, Row | Problem]]:
    for number, value in enumerate(values, start=1):
        if isinstance(value, dict):
            yield number, value
        else:
            yield number, Problem("row_shape", f"{unit} {number} is {_json_type(value)}, not an object")


def _json_type(value: Any) -> str:
    """``a string``, ``an array``, ``null``... for messages (the type only, never the value)."""
    if value is None:
        return "null"
    name = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}.get(
        type(value), type(value).__name__
    )
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def iter_json_array(fh: TextIO, path: str, chunk: int = 1 << 16) -> Iterator[Any]:
    """Stream the elements of a top-level JSON array, one at a time.

    Reads ``chunk`` characters at a time and decodes each element with
    ``json.JSONDecoder.raw_decode``; an element cut by the buffer end is retried
    after reading more (the read size doubles, so a large element costs O(n)).
    """
    decoder = json.JSONDecoder()
    depth_limit = ReadLimits().max_depth
    buf = ""
    pos = 0
    eof = False
    index = 0

    def more(size: int) -> None:
        nonlocal buf, pos, eof
        data = fh.read(size)
        if not data:
            eof = True
        buf = buf[pos:] + data
        pos = 0

    def skip_ws() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or eof:
                return buf[pos] if pos < len(buf) else ""
            more(chunk)

    def fail(problem: str) -> InputError:
        return InputError(f"invalid JSON array: {problem} (after element {index})", path)

    try:
        more(chunk)
        if buf.startswith("\ufeff"):
            pos = 1
        first = skip_ws()
        if first != "[":
            what = "a JSON object" if first == "{" else "not a JSON array"
            raise InputError(f"{what}; expected an array of objects (for JSON Lines use --format jsonl)", path)
        pos += 1
        if skip_ws() == "]":
            pos += 1
        else:
            while True:
                skip_ws()
                size = chunk
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as exc:
                        if eof:
                            raise fail(exc.msg) from None
                        more(size)
                        size *= 2
                        continue
                    except RecursionError:  # deeper than Python's parser goes
                        raise fail(f"element {index + 1} is nested too deep to parse") from None
                    if end >= len(buf) and not eof:
                        more(size)
                        size *= 2
                        continue
                    break
                if _shape(value, depth_limit)[0]:  # the row's walks recurse per level
                    raise fail(f"element {index + 1} is nested deeper than {depth_limit} levels")
                pos = end
                index += 1
                yield value
                sep = skip_ws()
                pos += 1
                if sep == "]":
                    break
                if sep != ",":
                    raise fail("expected ',' or ']'")
        if skip_ws() != "":
            raise fail("extra data after the closing ']'")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid text ({exc.reason}); pass --encoding", path) from None


def _jsonl_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    detected["encoding"] = "utf-8"
    yield Segment(path, None, _jsonl_rows(path), unit="line")


def _jsonl_rows(path: str) -> Iterator[tuple[int, Row | Problem]]:
    limits = ReadLimits()
    for number, raw in iter_lines(path):
        if not raw.strip():
            continue
        rec = parse_record(path, number, raw, limits)
        if rec.findings:
            f = rec.findings[0]
            yield number, Problem(f.code, f"line {number}: {f.message}")
        elif not isinstance(rec.obj, dict):
            yield number, Problem("row_shape", f"line {number} is {_json_type(rec.obj)}, not an object")
        else:
            yield number, rec.obj


# -- plain-text logs ---------------------------------------------------------------------

LOG_COLUMNS = ("text", "first_line", "rest")


def compile_regex(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{what}: invalid regular expression ({exc})") from None


def _log_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    start = compile_regex(opts.record_start, "--record-start") if opts.record_start else None
    pattern = compile_regex(opts.record_pattern, "record_pattern") if opts.record_pattern else None
    encoding = opts.encoding or detect_encoding(path)
    detected["encoding"] = encoding
    if start is not None:
        detected["record_start"] = start.pattern
    groups: list[str] = []
    for rx in (start, pattern):
        if rx is not None:
            groups += [g for g in rx.groupindex if g not in groups]
    columns = list(LOG_COLUMNS) + [g for g in groups if g not in LOG_COLUMNS]
    detected["columns"] = columns
    with open_text(path, encoding, newline=None) as fh:
        yield Segment(path, columns, _log_rows(fh, path, start, pattern), unit="line")


def _log_rows(
    fh: TextIO, path: str, start: re.Pattern[str] | None, pattern: re.Pattern[str] | None
) -> Iterator[tuple[int, Row | Problem]]:
    for number, lines in _log_records(fh, path, start):
        if lines is None:
            yield number, Problem(
                "record_too_long", f"line {number}: log record longer than {DEFAULT_MAX_LINE_BYTES} characters"
            )
            continue
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            continue
        text = "\n".join(lines)
        row: Row = {"text": text, "first_line": lines[0], "rest": "\n".join(lines[1:])}
        if start is not None:
            m = start.match(lines[0])
            if m is not None:
                row.update(m.groupdict())
        if pattern is not None:
            m = pattern.search(text)
            if m is None:
                yield number, Problem("template_error", f"line {number}: record does not match record_pattern")
                continue
            row.update(m.groupdict())
        yield number, row


def _log_records(
    fh: TextIO, path: str, start: re.Pattern[str] | None
) -> Iterator[tuple[int, list[str] | None]]:
    """Group lines into records: one per non-blank line, or (with ``start``) a new record
    at each line the regex matches (``re.match``, at the line start); lines before the
    first match form a record of their own. ``None`` marks a record over the size limit."""
    lines: list[str] = []
    first = 0
    size = 0
    too_long = False
    number = 0
    try:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\n")
            if number == 1:
                line = line.lstrip("\ufeff")
            if start is None:
                if line.strip():
                    yield number, [line]
                continue
            if start.match(line) and (lines or too_long):
                yield first, None if too_long else lines
                lines, size, too_long = [], 0, False
            if not lines and not too_long:
                if not line.strip():
                    continue
                first = number
            size += len(line) + 1
            if size > DEFAULT_MAX_LINE_BYTES:
                too_long, lines = True, []
            elif not too_long:
                lines.append(line)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid text ({exc.reason}); pass --encoding", path, number + 1) from None
    if lines or too_long:
        yield first, None if too_long else lines


# -- pandas and datasets ---------------------------------------------------------------------


def _dataframe_segments(df: Any, opts: ReadOptions) -> Iterator[Segment]:
    columns = [str(c) for c in df.columns]
    yield Segment("<dataframe>", columns, _dataframe_rows(df, columns, opts.batch_size))


def _dataframe_rows(df: Any, columns: list[str], batch_size: int) -> Iterator[tuple[int, Row | Problem]]:
    number = 0
    for start in range(0, len(df), batch_size):
        chunk = df.iloc[start : start + batch_size]
        for values in chunk.itertuples(index=False, name=None):
            number += 1
            yield number, dict(zip(columns, values, strict=True))


def _dataset_path_segments(path: str, opts: ReadOptions, detected: dict[str, Any]) -> Iterator[Segment]:
    import datasets

    try:
        ds = datasets.load_from_disk(path)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"cannot load a saved dataset ({type(exc).__name__})", path) from None
    yield from _dataset_segments(ds, opts, detected, label=path)


def _dataset_segments(ds: Any, opts: ReadOptions, detected: dict[str, Any], label: str | None) -> Iterator[Segment]:
    if isinstance(ds, Mapping):  # DatasetDict / IterableDatasetDict
        splits = list(ds.keys())
        if opts.split is not None:
            if opts.split not in ds:
                raise UsageError(f"no split '{opts.split}' (splits: {', '.join(splits)})")
            splits = [opts.split]
        detected["splits"] = splits
        for split in splits:
            yield _dataset_segment(ds[split], split, opts, label)
    else:
        split = str(ds.split) if getattr(ds, "split", None) is not None else None
        yield _dataset_segment(ds, split, opts, label)


def _dataset_segment(ds: Any, split: str | None, opts: ReadOptions, label: str | None) -> Segment:
    if label is not None:
        source = f"{label}:{split}" if split else label
    else:
        source = f"<dataset:{split}>" if split else "<dataset>"
    columns = getattr(ds, "column_names", None)
    return Segment(source, list(columns) if columns is not None else None, _dataset_rows(ds, opts.batch_size))


def _dataset_rows(ds: Any, batch_size: int) -> Iterator[tuple[int, Row | Problem]]:
    ds = ds.with_format(None)
    number = 0
    if hasattr(ds, "iter"):
        for batch in ds.iter(batch_size=batch_size):
            names = list(batch)
            for values in zip(*(batch[n] for n in names), strict=True):
                number += 1
                yield number, dict(zip(names, values, strict=True))
    else:  # pragma: no cover - older IterableDataset without .iter
        for row in ds:
            number += 1
            yield number, row


__all__ = [
    "LOG_COLUMNS",
    "Problem",
    "ReadOptions",
    "Segment",
    "iter_json_array",
    "open_source",
]
