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
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import ConfigError, InputError, OutputError
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

    def __post_init__(self) -> None:
        if not isinstance(self.max_line_bytes, int) or self.max_line_bytes < 1:
            raise ConfigError("max_line_bytes must be a positive integer")
        if not isinstance(self.max_depth, int) or self.max_depth < 1:
            raise ConfigError("max_depth must be a positive integer (the parser stops at 1024)")


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


class OverlongLine(bytes):
    """Stands in for a line over ``max_line_bytes``: it holds no bytes of the line, only
    its length (the reader skips to the line's end without keeping it)."""

    length: int
    cr: bool

    def __new__(cls, length: int, cr: bool = False) -> OverlongLine:
        obj = super().__new__(cls, b"")
        obj.length = length
        obj.cr = cr
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (OverlongLine, (self.length, self.cr))


_UTF32_BOMS = {b"\xff\xfe\x00\x00": "UTF-32LE", b"\x00\x00\xfe\xff": "UTF-32BE"}
_UTF16_BOMS = {b"\xff\xfe": "UTF-16LE", b"\xfe\xff": "UTF-16BE"}


def sniff_wide_encoding(head: bytes) -> str | None:
    """``UTF-16LE`` / ``UTF-16BE`` / ``UTF-32LE`` / ``UTF-32BE`` when the first bytes of a
    file show a wide encoding (a BOM followed by an ASCII character in that encoding, or
    mostly-ASCII text with a NUL in every other byte), else None. JSONL is UTF-8 only."""
    for bom, name in _UTF32_BOMS.items():
        unit = head[4:8]
        if head.startswith(bom) and len(unit) == 4 and unit.count(0) == 3:
            return name
    for bom, name in _UTF16_BOMS.items():
        unit = head[2:4]
        if head.startswith(bom) and len(unit) == 2 and unit.count(0) == 1:
            return name
    sample = head[:256]
    if len(sample) >= 16:
        lanes = [sample[i::4] for i in range(4)]
        nul = [lane.count(0) / len(lane) for lane in lanes]
        if nul[0] == 0 and min(nul[1:]) >= 0.9:
            return "UTF-32LE"
        if nul[3] == 0 and min(nul[:3]) >= 0.9:
            return "UTF-32BE"
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.6 * len(odd) and even.count(0) == 0:
            return "UTF-16LE"
        if even.count(0) >= 0.6 * len(even) and odd.count(0) == 0:
            return "UTF-16BE"
    return None


def _refuse_wide_encoding(fh: IO[bytes], path: str) -> None:
    peek = getattr(fh, "peek", None)
    head = peek(256)[:256] if peek is not None else b""
    wide = sniff_wide_encoding(head)
    if wide is not None:
        has_bom = head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
        family = wide[:-2] if has_bom else wide  # without a BOM, iconv must be told the byte order
        raise InputError(
            f"the file is {wide} text, but JSONL must be UTF-8; convert it first, e.g. "
            f"`iconv -f {family} -t UTF-8 IN > OUT.jsonl`", path, 1)


def iter_lines(path: str | os.PathLike[str],
               max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_bytes)`` for every physical line, terminator removed.

    ``\\n`` ends a line; a ``\\r`` before it is dropped (CRLF files). A missing final
    newline still yields the last line. A file that is entirely empty yields nothing.
    A line longer than ``max_line_bytes`` is never held whole: it is read in pieces to
    its end and yielded as an :class:`OverlongLine` (no bytes, only its length), so
    memory stays bounded by the limit whatever the line's size. A UTF-16/32 file is an
    :class:`~ftprep.errors.InputError` naming the encoding and how to convert it.
    """
    cap = max_line_bytes + 2  # room for "\r\n"
    fh = open_input(path)
    try:
        _refuse_wide_encoding(fh, str(path))
        readline = fh.readline
        number = 0
        while True:
            line = readline(_PIECE)
            if not line:
                break
            number += 1
            if len(line) == _PIECE and not line.endswith(b"\n"):
                whole = _read_long_line(readline, line, cap)
                if isinstance(whole, OverlongLine):
                    yield number, whole
                    continue
                line = whole
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            if number == 1 and line.startswith(BOM):
                line = line[len(BOM) :]
            if len(line) > max_line_bytes:
                yield number, OverlongLine(len(line), b"\r" in line)
                continue
            yield number, line
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise InputError("starts like gzip but its compressed data is damaged or truncated",
                         str(path)) from None
    except OSError as exc:
        raise InputError(f"read failed ({exc.strerror or exc.__class__.__name__})", str(path)) from None
    finally:
        fh.close()


_PIECE = 1 << 20  # lines are read in pieces of 1 MiB: short lines in one go


def _read_long_line(readline: Any, first: bytes, cap: int) -> bytes:
    """The rest of a line longer than one piece: joined when it fits ``cap``, else read
    to its end keeping only its length (an :class:`OverlongLine`). Peak memory stays
    about ``cap``, whatever the line's size."""
    parts = [first]
    size = len(first)
    cr = False
    before = first  # the previous piece: a "\r\n" may straddle two pieces
    while True:
        piece: bytes = readline(_PIECE)
        if not piece:
            break
        size += len(piece)
        ends = piece.endswith(b"\n")
        if ends:
            size -= 2 if (piece.endswith(b"\r\n") or piece == b"\n" and before.endswith(b"\r")) else 1
        before = piece
        content = size if ends else size - piece.endswith(b"\r")  # a "\r" may be the terminator's
        if parts and content > cap - 2:
            cr = any(b"\r" in part for part in parts)
            parts = []  # over the limit: drop what was kept, count the rest
        if parts:
            parts.append(piece)
        else:
            cr = cr or b"\r" in piece.rstrip(b"\r\n")
        if ends:
            break
    if parts:
        return b"".join(parts)
    return OverlongLine(size, cr)


def _shape(obj: Any, limit: int) -> tuple[bool, int, bool]:
    """One walk over a parsed value: (deeper than ``limit``, number of object keys,
    holds a float). Iterative, so no depth can overflow the stack."""
    if not isinstance(obj, (dict, list)):
        return limit < 1, 0, isinstance(obj, float)
    keys = 0
    has_float = False
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True, keys, has_float
        if isinstance(value, dict):
            keys += len(value)
            children = value.values()
        else:
            children = value
        for child in children:
            kind = type(child)
            if kind is str or kind is int:  # most leaves: settled by their exact type
                continue
            if kind is dict or kind is list or isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
            elif isinstance(child, float):
                has_float = True
    return False, keys, has_float


class JSONTooDeep(ValueError):
    """JSON nested deeper than a caller's limit or than Python's parser can go."""


def loads_bounded(text: str | bytes, max_depth: int | None = None, **hooks: Any) -> Any:
    """``json.loads`` for JSON that comes from outside (inside a string of a record, a file a
    user hands over): nesting too deep for Python's parser raises :class:`JSONTooDeep`, a
    ``ValueError`` like any other invalid JSON, never ``RecursionError``. With ``max_depth``,
    so does nesting deeper than that (checked without recursion), so a caller that walks the
    result recursively stays far from Python's recursion limit. ``hooks`` go to
    ``json.loads`` (``parse_float``, ...)."""
    try:
        obj = json.loads(text, **hooks)
    except RecursionError:
        raise JSONTooDeep("JSON nested too deep to parse") from None
    if max_depth is not None and _shape(obj, max_depth)[0]:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth}")
    return obj


# Integers the service's parsers hold: anything outside [-2**63, 2**64 - 1] is turned into a
# float (orjson, JavaScript) or rejected. orjson hands such literals back as floats, so only a
# line with a float and a run of 19+ digits needs the exact (slower) check.
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1
_LONG_DIGITS = re.compile(rb"\d{19}")
_INT_AT = re.compile(r"-?\d+(?![\d.eE])")
_JSON_ARRAY_MESSAGE = ("the file is a JSON array, not JSONL (one JSON object per line); "
                       "convert it, e.g. `jq -c '.[]' IN.json > OUT.jsonl`")


def parse_record(source: str, number: int, raw: bytes, limits: ReadLimits) -> Record:
    """Decode and parse one line into a :class:`Record`, attaching findings for problems.

    Strict JSON only: what Python's ``json`` accepts but the service does not (``NaN``,
    ``Infinity``, duplicate keys, lone surrogates, integers beyond 64 bits, nesting over
    the limit) is a finding with its own code. A line with a load finding keeps
    ``obj = None``, so its rejected row holds the (pseudonymized) text: nothing of it is
    silently dropped.
    """
    rec = Record(source=source, line=number, raw=raw)
    if isinstance(raw, OverlongLine) or len(raw) > limits.max_line_bytes:
        _too_long(rec, raw, limits)
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
        rec.add("nul_byte", Severity.ERROR, f"line contains a NUL byte at byte {raw.index(0)}")
        return rec
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        code, message = _classify_json_error(rec.text, raw, number, exc, limits)
        rec.add(code, Severity.ERROR, message)
        return rec
    if obj is None:  # a Record's obj None means "did not parse": say what it is here
        rec.add("not_object", Severity.ERROR,
                "the line is JSON null, not an object (JSONL needs one object per line)")
        return rec
    too_deep, keys, has_float = _shape(obj, limits.max_depth)
    if too_deep:
        rec.add("too_deep", Severity.ERROR, f"JSON nesting deeper than {limits.max_depth} (max_depth)")
        return rec
    if number == 1 and isinstance(obj, list):
        rec.add("json_array", Severity.ERROR, _JSON_ARRAY_MESSAGE)
        return rec
    if _key_colons(raw) != keys or (has_float and _LONG_DIGITS.search(raw)):
        problem = _strict_recheck(rec.text)
        if problem is not None:
            rec.add(problem[0], Severity.ERROR, problem[1])
            return rec
    rec.obj = obj
    return rec


def _key_colons(raw: bytes) -> int:
    """An upper bound on the keys written in a line, exact for usual JSON: every key is a
    string followed by optional whitespace and ':'. orjson keeps only the last of repeated
    keys, so more colons than parsed keys means a repeated key (or an odd string value):
    worth the exact re-check. Equal counts rule a repeated key out."""
    n = raw.count(b'":')
    if b'\\":' in raw:
        # \" is a quote inside a string, \\" a string ending in a backslash: minus one, plus
        # one (longer runs of backslashes can only over-count, which is safe).
        n += raw.count(b'\\\\":') - raw.count(b'\\":')
    return n + len(_SPACED_COLON.findall(raw))  # keys with whitespace before the colon


_SPACED_COLON = re.compile(rb'"[ \t\r]+:')


def _too_long(rec: Record, raw: bytes, limits: ReadLimits) -> None:
    if isinstance(raw, OverlongLine):
        length, cr = raw.length, raw.cr
    else:
        length, cr = len(raw), b"\r" in raw
    hint = (" (it holds CR characters: the file may use CR-only line ends; convert them to \\n)"
            if cr else "")
    rec.add("line_too_long", Severity.ERROR,
            f"line is {length} bytes, over the limit of {limits.max_line_bytes} (max_line_bytes){hint}")


def _strict_recheck(text: str) -> tuple[str, str] | None:
    """The exact, slower check for what orjson accepts silently: a repeated key in one
    object (the last value would win) and integers outside the 64-bit range."""
    found = {"duplicate": 0, "big": 0}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for k, v in items:
            if k in obj:
                found["duplicate"] += 1
            obj[k] = v
        return obj

    def parse_int(literal: str) -> int:
        if len(literal.lstrip("-")) > 20 or not INT_MIN <= int(literal) <= INT_MAX:
            found["big"] += 1
            return 0
        return int(literal)

    try:
        json.loads(text, object_pairs_hook=pairs, parse_int=parse_int)
    except RecursionError:
        return "too_deep", "JSON nesting too deep to check"
    except ValueError:
        return None  # orjson (strict) accepted the line; nothing more to say
    if found["duplicate"]:
        return ("duplicate_key",
                f"{found['duplicate']} repeated key(s) within one object: parsers keep only one "
                "of the values (Python's json the last), so the line is ambiguous")
    if found["big"]:
        return ("integer_too_large",
                f"{found['big']} integer(s) outside the 64-bit range [-2**63, 2**64-1]: parsers "
                "turn them into imprecise floats or reject them")
    return None


def _classify_json_error(text: str, raw: bytes, number: int, exc: orjson.JSONDecodeError,
                         limits: ReadLimits) -> tuple[str, str]:
    """(code, one-line message) for a line orjson refused: what and where, never the data."""
    what = str(exc).split(":", 1)[0]
    column = getattr(exc, "colno", "?")
    pos = getattr(exc, "pos", None)
    if "depth limit" in what:
        return "too_deep", f"JSON nesting deeper than the parser's limit of 1024 (max_depth {limits.max_depth})"
    if "surrogate" in what:
        return ("lone_surrogate",
                f"a \\uD800-\\uDFFF escape without its pair at column {column} ({what}): "
                "not valid Unicode")
    if "infinity" in what and isinstance(pos, int) and _INT_AT.match(text, pos):
        return ("integer_too_large",
                f"an integer at column {column} is outside the 64-bit range [-2**63, 2**64-1]")
    stripped = text.lstrip()
    if number == 1 and stripped.startswith("["):
        return "json_array", _JSON_ARRAY_MESSAGE
    if b"\r" in raw:
        pieces = [p for p in raw.split(b"\r") if p.strip()]
        if len(pieces) > 1 and _parses(pieces[0]):
            return ("cr_line_ends",
                    f"the line holds {len(pieces)} records separated by bare CR (\\r): the file "
                    "uses CR-only (classic Mac) line ends; convert them to \\n, e.g. "
                    "`tr '\\r' '\\n' < IN > OUT.jsonl`")
    if stripped.startswith("["):
        return ("invalid_json",
                "line is a JSON array, not an object (is the file a JSON array rather than JSONL?)")
    for token in ("NaN", "-Infinity", "Infinity"):
        if token in text:
            try:
                json.loads(text)
            except (ValueError, RecursionError):
                break
            return ("invalid_json",
                    f"non-standard JSON constant {token} (the service accepts strict JSON only)")
    hint = ""
    if number == 1 and stripped.rstrip() in ("{", "["):
        hint = " (is the file pretty-printed JSON rather than JSONL?)"
    elif b"\r" in raw:
        hint = " (the line holds a bare CR)"
    return "invalid_json", f"invalid JSON ({what}) at column {column}{hint}"


def _parses(piece: bytes) -> bool:
    try:
        orjson.loads(piece)
    except orjson.JSONDecodeError:
        return False
    return True


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
    for number, raw in iter_lines(path, limits.max_line_bytes):
        batch.append(parse_record(name, number, raw, limits))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def dumps(obj: Any) -> bytes:
    """The one canonical serialization for records ftprep changed.

    Compact separators, UTF-8 (``ensure_ascii=False``), keys in their original
    order, ``/`` not escaped: the form the spec asks for. The bytes are those of
    ``json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")``;
    orjson writes them (several times faster) when the value holds only types whose
    text is the same in both (:func:`_orjson_writes_alike`), json otherwise.
    """
    if _orjson_writes_alike(obj):
        try:
            return orjson.dumps(obj)
        except TypeError:  # orjson.JSONEncodeError is one
            pass  # a non-str key, an int beyond 64 bits, a lone surrogate, deep nesting...
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Scalars orjson writes byte for byte as json.dumps(ensure_ascii=False) does: strings (same
# escapes: \" \\ \b \f \n \r \t, other controls as lowercase \u00XX, nothing else), ints
# (orjson raises beyond 64 bits: json then writes them), true/false/null. Floats are not
# here: their text can differ (json writes repr: 1e+16, orjson 1e16).
_ALIKE_SCALARS = frozenset({str, int, bool, type(None)})


def _orjson_writes_alike(obj: Any) -> bool:
    """True when ``obj`` holds only dicts, lists and :data:`_ALIKE_SCALARS` (exact types),
    nested at most :data:`_ALIKE_DEPTH` deep (so a value that holds itself ends the walk).
    Dict keys are left to orjson, which refuses anything but a str."""
    if type(obj) is not dict and type(obj) is not list:
        return type(obj) in _ALIKE_SCALARS
    scalars = _ALIKE_SCALARS
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _ALIKE_DEPTH:
            return False
        for child in (value.values() if type(value) is dict else value):
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind not in scalars:
                return False
    return True


_ALIKE_DEPTH = 128  # orjson refuses more than 255 levels; deeper values go to json


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
