"""Guessing what a file is: its format, text encoding and CSV delimiter.

Every guess follows a fixed rule (documented in the README (section "Start from a table or logs")) and is
reported, so a wrong one is visible and can be overridden.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError, UsageError
from ..io import open_input

DELIMITERS = (",", "\t", ";", "|")
"""Candidate delimiters, in order of preference on a tie."""
SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
# Bytes cp1252 leaves undefined (Python's codec rejects them): then latin-1 is the fallback.
_CP1252_UNDEFINED = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D])

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".log": "log",
    ".txt": "log",
}


def detect_format(path: str | os.PathLike[str]) -> str:
    """The input format of ``path`` from its name, else from its first bytes."""
    p = Path(path)
    if p.is_dir():
        if any((p / name).exists() for name in ("dataset_dict.json", "state.json")):
            return "hf"
        raise UsageError(
            f"{path}: is a directory; pass a file, or a dataset saved with save_to_disk"
        )
    if not p.exists():
        raise InputError("no such file", str(path))
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext == ".xls":
        raise UsageError(f"{path}: the old binary .xls format is not supported; save it as .xlsx")
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    head = _head(path)
    if ext == ".json":
        return "json" if head.lstrip().startswith(b"[") else "jsonl"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "jsonl"
    raise UsageError(f"{path}: cannot tell the format from the name; pass --format")


def _head(path: str | os.PathLike[str], size: int = 512) -> bytes:
    with open_input(path) as fh:
        return fh.read(size)


def detect_encoding(path: str | os.PathLike[str]) -> str:
    """``utf-8-sig`` / ``utf-16`` / ``utf-32`` by BOM; ``utf-16-le`` / ``-be`` when every
    other byte of the first KiB is NUL; else ``utf-8`` if the whole file
    decodes as UTF-8, else ``cp1252``, else ``latin-1`` (which never fails).

    The check reads the whole file once in 1 MiB chunks (bounded memory), so a
    stray non-UTF-8 byte deep in the file is found before conversion starts.
    """
    with open_input(path) as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
            return "utf-32"
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16"
        fh.seek(0)
        bomless = _utf16_without_bom(fh.read(1024))
        if bomless:
            return bomless
        fh.seek(0)
        return _scan_encoding(iter(lambda: fh.read(_CHUNK), b""))


def _utf16_without_bom(head: bytes) -> str | None:
    """Mostly-ASCII UTF-16 text has a NUL in every other byte: ``utf-16-le`` / ``utf-16-be``."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _scan_encoding(chunks: Iterable[bytes]) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    cp1252_ok = True
    for chunk in chunks:
        if utf8_ok:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if cp1252_ok and any(b in chunk for b in _CP1252_UNDEFINED):
            cp1252_ok = False
        if not utf8_ok and not cp1252_ok:
            break
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return "utf-8"
    return "cp1252" if cp1252_ok else "latin-1"


def open_text(path: str | os.PathLike[str], encoding: str, newline: str | None = "") -> io.TextIOWrapper:
    """Open ``path`` (gzipped or not) as text in ``encoding``; decoding errors raise."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}'") from None
    return io.TextIOWrapper(open_input(path), encoding=encoding, newline=newline)


def detect_delimiter(sample: str) -> str:
    """Pick the delimiter that splits the sample's rows most consistently.

    For each candidate in :data:`DELIMITERS`, parse up to 50 records of the sample;
    the header must have 2+ fields. Score = share of records with the header's
    field count, then the field count; ties go to the earlier candidate. No
    candidate with 2+ fields means a one-column file: ``,``.
    """
    cut = sample.rfind("\n")
    if cut > 0:
        sample = sample[:cut]
    best = ","
    best_score: tuple[float, int] = (0.0, 0)
    for delim in DELIMITERS:
        rows = _sample_rows(sample, delim)
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        share = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (share, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _sample_rows(sample: str, delim: str, limit: int = 50) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delim):
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows
