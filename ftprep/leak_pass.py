"""The leak check's pass over the written outputs (part of the pseudonymize stage).

Every row of every output is scanned for every original value detected during the
run, and re-run through the detectors for residual identifiers that are not ftprep's
own fakes (:meth:`ftprep.pseudonymize.LeakScanner.residual`). Results name files,
rows and entity types — never a value.

Memory stays flat with the number of originals: they are never kept as strings.
An Aho-Corasick automaton costs about 1.8 KB per original (4 GB for the four million
originals of a 1 GB log), so the index keeps 64-bit hashes instead (~15 bytes per
original):

* ``full``: the BLAKE2b-64 hash of each lower-cased original, with its entity type;
* ``anchors``: for each original, the CRC-32 of its longest word (a maximal run of
  letters and digits, as ``str.isalnum`` has it) and its *shape*: the number of words,
  which word is the anchor, and how many non-word characters come before the first
  word and after the last.

An original found on word boundaries in a row (the automaton's rule) starts and ends
at word boundaries of that row, so its words are consecutive words of the row. The
scan hashes every word of the row, looks the hashes up among the anchors, and for
each hit rebuilds the candidate substring from the shape and looks its full hash up:
the same matches the automaton finds (the rare original with no letter or digit at all
is kept as a string and searched for directly). Workers hash their originals before
sending them (:func:`encode`), so the main process only merges sorted arrays.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from .io import BOM

CHUNK_ROWS = 2000
_WORD = re.compile(r"[^\W_]+")  # maximal runs of str.isalnum() characters
_SPLIT = re.compile(r"([^\W_]+)")  # the same, kept by split: separator, word, ..., separator
_SCANNER: dict[str, Any] = {}  # per worker process only
_FIELD = 0xFFFF
_COMPACT_EVERY = 1 << 18  # pending entries before a merge into the sorted arrays


def _np() -> Any:
    import numpy as np

    return np


def full_hash(value: str) -> int:
    """The 64-bit hash of an (already lower-cased) original or fake."""
    return int.from_bytes(
        hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8", "surrogatepass"))


def lower_like_scanner(text: str) -> str:
    """Lower-case text without changing its length (as the leak scanner does)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered


def _boundary_ok(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


# --- encoding originals and fakes (in the worker that found them) -------------------------

NAME_TYPES = frozenset(("PERSON", "ORGANIZATION"))  # matched case-sensitively, as the scanner does


@dataclass
class LeakDelta:
    """Hashed originals and fakes of some batches: plain arrays, cheap to send and merge.

    One entry per searched string: ``match`` is the hash of the string searched for (a
    lower-cased identifier, or a name variant as written / UPPER / Title), ``key`` the
    hash of the lower-cased original (an original that is also a fake is not searched),
    ``cased`` whether it is matched case-sensitively, ``etype`` an index into ``types``."""

    types: list[str] = field(default_factory=list)
    match: Any = None    # uint64
    key: Any = None      # uint64
    cased: Any = None    # bool
    etype: Any = None    # uint8
    anchor: Any = None   # uint32: CRC-32 of the string's anchor word, lower-cased
    shape: Any = None    # uint64: (words, anchor index, prefix, suffix), 16 bits each
    fakes: Any = None    # uint64: hash of each lower-cased fake
    wordless: list[tuple[str, bool, int, int]] = field(default_factory=list)
    """Strings without a letter or digit, kept as (string, cased, etype, key): a handful."""


def _anchor_score(word: str) -> tuple[bool, int]:
    """Rarer words make better anchors: mixed letters and digits (ids, GUID groups), then length."""
    return (not word.isalpha() and not word.isdigit(), len(word))


def _shape_of(value: str) -> tuple[str, int] | None:
    """(anchor word, packed shape) of a searched string, or None when it has no word."""
    words = list(_WORD.finditer(value))
    if not words:
        return None
    best = max(range(len(words)), key=lambda i: _anchor_score(words[i].group()))
    fields = (len(words), best, words[0].start(), len(value) - words[-1].end())
    if max(fields) > _FIELD:
        return None  # 65,536 words or more: no such identifier
    n, b, prefix, suffix = fields
    return words[best].group(), (n << 48) | (b << 32) | (prefix << 16) | suffix


def _anchor_hashes(word: str, cased: bool) -> set[int]:
    """Anchors are looked up among the words of the lower-cased row; a case-sensitive
    string's anchor word is lower-cased both ways the row may have been."""
    if not cased:
        return {word_hash(word)}
    return {word_hash(word.lower()), word_hash(lower_like_scanner(word))}


def encode(originals: Mapping[str, Iterable[str]], fakes: Mapping[str, Iterable[str]],
           min_length: int, secret_marker: str) -> LeakDelta:
    """Hash the originals (with entity types and shapes) and fakes of a pseudonymizer."""
    np = _np()
    types = sorted(originals)
    marker = secret_marker.lower()
    rows: list[tuple[int, int, bool, int, int, int]] = []
    wordless: list[tuple[str, bool, int, int]] = []
    for code, etype in enumerate(types):
        cased = etype in NAME_TYPES
        for value in originals[etype]:
            v = value.lower()
            if len(v) < min_length or v == marker:
                continue
            key = full_hash(v)
            for variant in ({value, value.upper(), value.title()} if cased else (v,)):
                shaped = _shape_of(variant)
                if shaped is None:
                    wordless.append((variant, cased, code, key))
                    continue
                for anchor in _anchor_hashes(shaped[0], cased):
                    rows.append((full_hash(variant), key, cased, code, anchor, shaped[1]))
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 6
    fake_hashes = [full_hash(f.lower()) for values in fakes.values() for f in values]
    return LeakDelta(
        types=types,
        match=np.array(cols[0], dtype=np.uint64), key=np.array(cols[1], dtype=np.uint64),
        cased=np.array(cols[2], dtype=bool), etype=np.array(cols[3], dtype=np.uint8),
        anchor=np.array(cols[4], dtype=np.uint32), shape=np.array(cols[5], dtype=np.uint64),
        fakes=np.array(fake_hashes, dtype=np.uint64), wordless=wordless,
    )


# --- the index (main process) ---------------------------------------------------------------

_COLUMNS = ("match", "key", "cased", "etype", "anchor", "shape")
_DTYPES = ("uint64", "uint64", "bool", "uint8", "uint32", "uint64")


def _contains(sorted_values: Any, h: int) -> bool:
    i = int(sorted_values.searchsorted(_np().uint64(h)))
    return i < len(sorted_values) and int(sorted_values[i]) == h


class HashSet:
    """A sorted uint64 array with ``in`` for strings (hashed with :func:`full_hash`)."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str) or not len(self.values):
            return False
        return _contains(self.values, full_hash(item))

    def __len__(self) -> int:
        return len(self.values)


class LeakIndex:
    """Accumulates :class:`LeakDelta` s; :meth:`scanner` builds the scanner for the pass."""

    def __init__(self) -> None:
        np = _np()
        self.types: list[str] = []
        self._pending: list[LeakDelta] = []
        self._pending_n = 0
        self._cols: dict[str, Any] = {c: np.zeros(0, d) for c, d in zip(_COLUMNS, _DTYPES, strict=True)}
        self._fakes = np.zeros(0, np.uint64)
        self._wordless: dict[tuple[bool, str], tuple[str, int]] = {}  # -> (etype, key)

    def add(self, delta: LeakDelta) -> None:
        for value, cased, code, key in delta.wordless:
            etype = delta.types[code]
            known = self._wordless.get((cased, value))
            if known is None or etype < known[0]:  # the first type in name order wins
                self._wordless[(cased, value)] = (etype, key)
        if delta.match is None or not (len(delta.match) or len(delta.fakes)):
            return
        self._pending.append(delta)
        self._pending_n += len(delta.match) + len(delta.fakes)
        if self._pending_n >= _COMPACT_EVERY:
            self._compact()

    def _type_codes(self, delta: LeakDelta) -> Any:
        np = _np()
        table = []
        for name in delta.types:
            if name not in self.types:
                self.types.append(name)
            table.append(self.types.index(name))
        return np.array(table or [0], dtype=np.uint8)[delta.etype]

    def _compact(self) -> None:
        """Merge pending deltas into the sorted, de-duplicated arrays."""
        np = _np()
        if not self._pending:
            return
        deltas, self._pending, self._pending_n = self._pending, [], 0
        codes = [self._type_codes(d) for d in deltas]
        cols = {c: np.concatenate([self._cols[c], *(getattr(d, c) for d in deltas)])
                for c in _COLUMNS if c != "etype"}
        cols["etype"] = np.concatenate([self._cols["etype"], *codes])
        # One entry per searched string: the scanner keeps the first type in name order.
        rank = np.argsort(np.argsort(np.array(self.types or [""], dtype=object))).astype(np.uint8)
        order = np.lexsort((rank[cols["etype"]], cols["match"], cols["cased"]))
        cols = {c: v[order] for c, v in cols.items()}
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = (cols["match"][1:] != cols["match"][:-1]) | (cols["cased"][1:] != cols["cased"][:-1])
        self._cols = {c: v[keep] for c, v in cols.items()}
        self._fakes = np.unique(np.concatenate([self._fakes, *(d.fakes for d in deltas)]))

    def __len__(self) -> int:
        self._compact()
        return len(self._cols["match"])

    def nbytes(self) -> int:
        self._compact()
        return int(sum(a.nbytes for a in self._cols.values()) + self._fakes.nbytes)

    def scanner(self, config: Any) -> HashedLeakScanner:
        """The scanner over every original that is not also one of the run's fakes."""
        np = _np()
        self._compact()
        cols = self._cols
        live = ~np.isin(cols["key"], self._fakes)
        parts = [_Part(*(cols[c][live & (cols["cased"] == cased)]
                         for c in ("match", "etype", "anchor", "shape")))
                 for cased in (False, True)]
        fakes = HashSet(self._fakes)
        wordless = [(value, cased, etype) for (cased, value), (etype, key) in sorted(self._wordless.items())
                    if not _contains(self._fakes, key)]
        return HashedLeakScanner(list(self.types), parts[0], parts[1], fakes, config, wordless)


class _Part:
    """Searched strings of one kind (lower-cased or case-sensitive), by hash."""

    def __init__(self, match: Any, etype: Any, anchor: Any, shape: Any) -> None:
        np = _np()
        order = np.argsort(match)
        self.match, self.etype = match[order], etype[order]
        order = np.lexsort((shape, anchor))
        anchor, shape = anchor[order], shape[order]
        keep = np.ones(len(anchor), dtype=bool)
        keep[1:] = (anchor[1:] != anchor[:-1]) | (shape[1:] != shape[:-1])
        self.anchor, self.shape = anchor[keep], shape[keep]

    def __len__(self) -> int:
        return len(self.match)

    def find(self, hay: str, hashes: Any, bounds: _Bounds, types: list[str]
             ) -> list[tuple[int, int, str]]:
        """Originals in ``hay`` given the hashes and bounds of its (lower-cased) words."""
        np = _np()
        lo = self.anchor.searchsorted(hashes)
        lo_ok = np.minimum(lo, len(self.anchor) - 1)
        hit_words = np.nonzero(self.anchor[lo_ok] == hashes)[0]
        if not len(hit_words):
            return []
        starts, ends = bounds.get()
        n_words, n = len(starts), len(hay)
        anchor, shape = self.anchor, self.shape
        candidates: dict[tuple[int, int], str] = {}
        for i in hit_words.tolist():
            j = int(lo[i])
            h = anchor[j]
            while j < len(anchor) and anchor[j] == h:
                packed = int(shape[j])
                j += 1
                first = i - ((packed >> 32) & _FIELD)
                last = first + (packed >> 48) - 1
                if first < 0 or last >= n_words:
                    continue
                start, end = starts[first] - ((packed >> 16) & _FIELD), ends[last] + (packed & _FIELD)
                if start < 0 or end > n or (start, end) in candidates:
                    continue
                if (start == 0 or not hay[start - 1].isalnum()) and (end == n or not hay[end].isalnum()):
                    candidates[(start, end)] = hay[start:end]
        if not candidates:
            return []
        try:
            blob = b"".join([_blake64(c.encode()) for c in candidates.values()])
        except UnicodeEncodeError:  # a lone surrogate
            blob = b"".join([_blake64(c.encode("utf-8", "surrogatepass")) for c in candidates.values()])
        wanted = np.frombuffer(blob, dtype=">u8").astype(np.uint64)
        at = np.minimum(self.match.searchsorted(wanted), len(self.match) - 1)
        found = np.nonzero(self.match[at] == wanted)[0]
        if not len(found):
            return []
        spans = list(candidates)
        return [(*spans[k], types[int(self.etype[at[k]])]) for k in found.tolist()]


def _blake64(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


class _Bounds:
    """Start and end offsets of a row's words, computed only when an anchor hits."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts  # _SPLIT.split: separator, word, separator, ..., separator
        self._bounds: tuple[list[int], list[int]] | None = None

    def get(self) -> tuple[list[int], list[int]]:
        if self._bounds is None:
            np = _np()
            offsets = np.cumsum(np.fromiter(map(len, self.parts), dtype=np.int64,
                                            count=len(self.parts))).tolist()
            self._bounds = (offsets[0:-1:2], offsets[1::2])
        return self._bounds


class HashedLeakScanner:
    """``scan`` / ``find`` / ``residual`` with the semantics of
    :class:`ftprep.pseudonymize.LeakScanner`, over hashed originals (module docstring)."""

    def __init__(self, types: list[str], lower: _Part, cased: _Part, fakes: HashSet,
                 config: Any, wordless: list[tuple[str, bool, str]] | None = None) -> None:
        from .pseudonymize import LeakScanner

        self.types = types
        self._lower = lower
        self._cased = cased
        self._wordless = wordless or []
        self.size = len(lower) + len(cased) + len(self._wordless)
        # Residual detection is the pseudonymizer's own; it only asks whether a value is a fake.
        self._residual = LeakScanner({}, {}, config)
        self._residual._fakes = fakes  # type: ignore[assignment]  # a HashSet answers `in`

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, entity type)`` of every original found in ``text``, sorted."""
        if not self.size or not text:
            return []
        lowered = lower_like_scanner(text)
        hits: list[tuple[int, int, str]] = []
        for value, cased, etype in self._wordless:
            hay = text if cased else lowered
            at = hay.find(value)
            while at >= 0:
                if _boundary_ok(hay, at, at + len(value)):
                    hits.append((at, at + len(value), etype))
                at = hay.find(value, at + 1)
        parts = _SPLIT.split(lowered)
        words = parts[1::2]
        if not words:
            hits.sort()
            return hits
        try:
            hashes = _np().array(list(map(zlib.crc32, map(str.encode, words))), dtype=_np().uint32)
        except UnicodeEncodeError:  # a lone surrogate
            hashes = _np().array([word_hash(w) for w in words], dtype=_np().uint32)
        bounds = _Bounds(parts)
        if len(self._lower):
            hits += self._lower.find(lowered, hashes, bounds, self.types)
        if len(self._cased):
            hits += self._cased.find(text, hashes, bounds, self.types)
        hits.sort()
        return hits

    def scan(self, text: str) -> list[str]:
        """Entity types of originals found in ``text`` (one entry per hit)."""
        return [etype for _s, _e, etype in self.find(text)]

    def residual(self, text: str) -> list[str]:
        """Entity types of detections that are neither ftprep fakes nor kept by policy."""
        found: list[str] = self._residual.residual(text)
        return found


# --- the pass -------------------------------------------------------------------------------

def _chunks(files: Mapping[str, Path]) -> Iterator[tuple[str, int, list[bytes]]]:
    for name, path in files.items():
        with open(path, "rb") as fh:
            index = 0
            while True:
                rows = list(islice(fh, CHUNK_ROWS))
                if not rows:
                    break
                if index == 0 and rows[0].startswith(BOM):
                    rows[0] = rows[0][len(BOM):]
                yield name, index, rows
                index += len(rows)


def _scan_chunk(scanner: Any, name: str, first: int, rows: list[bytes]
                ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    hits: list[dict[str, Any]] = []
    residual: dict[tuple[str, int], list[str]] = {}
    from .pseudonymize.leak import json_scan_view

    for offset, raw in enumerate(rows):
        text = json_scan_view(raw.decode("utf-8", "replace"))  # "\\nJane": blank the escape
        found = scanner.scan(text)
        if found:
            hits.append({"file": name, "line": first + offset + 1, "types": sorted(set(found))})
        extra = scanner.residual(text)
        if extra:
            residual[(name, first + offset)] = extra
    return hits, residual


def _init(scanner: Any) -> None:
    _SCANNER["s"] = scanner


def _work(name: str, first: int, rows: list[bytes]
          ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    return _scan_chunk(_SCANNER["s"], name, first, rows)


def scan_outputs(files: Mapping[str, Path], index: LeakIndex, config: Any, workers: int
                 ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    """Return (hits, residual): hits name file, 1-based line and types; residual maps
    (file, 0-based row) to the entity types found there."""
    scanner = index.scanner(config)
    hits: list[dict[str, Any]] = []
    residual: dict[tuple[str, int], list[str]] = {}
    if workers > 1:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        from .engine import ordered_map

        with mp.get_context(method).Pool(workers, _init, (scanner,)) as pool:
            for h, r in ordered_map(pool, _work, _chunks(files), workers * 3):
                hits.extend(h)
                residual.update(r)
    else:
        for name, first, rows in _chunks(files):
            h, r = _scan_chunk(scanner, name, first, rows)
            hits.extend(h)
            residual.update(r)
    return hits, residual
