"""Reading JSONL as a stream of records, and writing outputs atomically.

Reading keeps every line's raw bytes (so an unchanged record is written back
byte for byte) and its 1-based physical line number. Decoding problems become
findings on the record, never exceptions: only a file that cannot be opened at
all raises :class:`~ftprep.errors.InputError`.

Writing goes to a temporary file beside the target, which is renamed over the
target only when complete (see :func:`atomic_writer`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import InputError, OutputError
from .records import Record, Severity

BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_BATCH_SIZE = 512
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Safety limits for reading; a line over a limit becomes a finding, not a crash."""

    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_depth: int = 64


def open_input(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open an input for binary reading, transparently gunzipping by content (not by name)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory, not a JSONL file", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError("is not a regular file (FIFO, device or socket)", str(path))
    try:
        fh: IO[bytes] = open(p, "rb")  # noqa: SIM115 - returned to the caller
    except OSError as exc:
        raise InputError(f"cannot open ({exc.strerror})", str(path)) from None
    head = fh.read(2)
    fh.seek(0)
    if head == GZIP_MAGIC:
        return gzip.open(fh, "rb")  # type: ignore[return-value]
    return fh


def iter_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_bytes)`` for every physical line, terminator removed.

    ``\\n`` ends a line; a ``\\r`` before it is dropped (CRLF files). A missing final
    newline still yields the last line. A file that is entirely empty yields nothing.
    """
    fh = open_input(path)
    try:
        for number, line in enumerate(fh, start=1):
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            if number == 1 and line.startswith(BOM):
                line = line[len(BOM) :]
            yield number, line
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise InputError("starts like gzip but its compressed data is damaged or truncated",
                         str(path)) from None
    except OSError as exc:
        raise InputError(f"read failed ({exc.strerror or exc.__class__.__name__})", str(path)) from None
    finally:
        fh.close()


def _depth_exceeds(obj: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def parse_record(source: str, number: int, raw: bytes, limits: ReadLimits) -> Record:
    """Decode and parse one line into a :class:`Record`, attaching findings for problems."""
    rec = Record(source=source, line=number, raw=raw)
    if len(raw) > limits.max_line_bytes:
        rec.add("line_too_long", Severity.ERROR,
                f"line is {len(raw)} bytes, over the limit of {limits.max_line_bytes}")
        return rec
    if not raw.strip():
        rec.add("blank_line", Severity.WARNING, "blank line skipped")
        return rec
    try:
        rec.text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        rec.add("invalid_utf8", Severity.ERROR, f"invalid UTF-8 at byte {exc.start}")
        return rec
    if "\x00" in rec.text:
        rec.add("nul_byte", Severity.ERROR, "line contains a NUL byte")
        return rec
    try:
        rec.obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        rec.add("invalid_json", Severity.ERROR, _describe_json_error(rec.text, exc))
        return rec
    if _depth_exceeds(rec.obj, limits.max_depth):
        rec.obj = None
        rec.add("too_deep", Severity.ERROR, f"JSON nesting deeper than {limits.max_depth}")
    return rec


def _describe_json_error(text: str, exc: orjson.JSONDecodeError) -> str:
    """One line naming what is wrong and where, without quoting the data."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "line is a JSON array, not an object (is the file a JSON array rather than JSONL?)"
    for token in ("NaN", "Infinity", "-Infinity"):
        if token in text:
            try:
                json.loads(text)
            except ValueError:
                break
            return f"non-standard JSON constant {token} (the service accepts strict JSON only)"
    # orjson messages read "<what>: line L column C (char N)"; keep the what and the column.
    msg = str(exc).split(":", 1)[0]
    return f"invalid JSON ({msg}) at column {getattr(exc, 'colno', '?')}"


def iter_records(
    path: str | os.PathLike[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limits: ReadLimits | None = None,
    source: str | None = None,
) -> Iterator[list[Record]]:
    """Stream a JSONL (or gzipped JSONL) file as batches of parsed records."""
    limits = limits or ReadLimits()
    name = source if source is not None else str(path)
    batch: list[Record] = []
    for number, raw in iter_lines(path):
        batch.append(parse_record(name, number, raw, limits))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def dumps(obj: Any) -> bytes:
    """The one canonical serialization for records ftprep changed.

    Compact separators, UTF-8 (``ensure_ascii=False``), keys in their original
    order, ``/`` not escaped: the form the spec asks for.
    """
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def file_sha256(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Return ``(hex sha256, size in bytes)`` of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Write ``path`` via a temporary file in the same directory, renamed when complete.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and the previous content of ``path``, if any, is left untouched.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        fh = open(tmp, "wb")  # noqa: SIM115
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{target}: write failed ({exc.strerror})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
