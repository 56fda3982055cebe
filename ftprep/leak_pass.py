"""The leak check's pass over the written outputs (part of the pseudonymize stage).

Every row of every output is scanned for every original value detected during the
run, and re-run through the detectors for residual identifiers that are not ftprep's
own fakes (:meth:`ftprep.pseudonymize.LeakScanner.residual`). Results name files,
rows and entity types — never a value.

Memory stays small with the number of originals: they are never kept as strings.
An Aho-Corasick automaton costs about 1.8 KB per original (8 GB for the 4.5 million
searched strings of a 1 GB log), so the index keeps 64-bit hashes in sorted tables
instead (about 21 bytes per identifier, 33 per name variant, 8 per fake):

* ``full``: the BLAKE2b-64 hash of each lower-cased original, with its entity type;
* ``anchors``: for each original, the CRC-32 of its longest word (a maximal run of
  letters and digits, as ``str.isalnum`` has it; a letter of a script written without
  spaces, such as CJK or Thai, is a word of its own) and its *shape*: the number of words,
  which word is the anchor, and how many non-word characters come before the first
  word and after the last;
* ``sig``: a 32-bit signature of its words (:func:`word_signature`).

An original found on word boundaries in a row (the automaton's rule) starts and ends
at word boundaries of that row, so its words are consecutive words of the row. The
scan hashes every word of the row, looks the hashes up among the anchors, and for
each hit rebuilds the candidate span from the shape; a candidate whose word signature is
known has its full hash looked up: the same matches the automaton finds (the rare original with no letter or digit at all
is kept as a string and searched for directly). Workers hash their originals before
sending them (:func:`encode`), so the main process only merges sorted arrays.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import hashlib
import multiprocessing as mp
import re
import sys
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from .errors import OutputError
from .heap import trim_heap
from .io import BOM

CHUNK_ROWS = 2000
RESCAN_ROWS = 128  # rows per worker task when repaired rows are scanned again
SCAN_CHARS = 1 << 20  # characters of rows scanned in one vectorized pass
_NONZERO = re.compile(rb"[^\x00]")
# Scripts written without spaces between words: (first, last code point, script). Each
# letter of these is a word of its own for the scan, so a boundary can fall on either side
# of it ("请联系jane.doe@contoso.com获取帮助"). Script numbers tell a script change (the
# names' rule, :func:`boundary_ok`).
SPACELESS_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0E00, 0x0E7F, 5),    # Thai
    (0x0E80, 0x0EFF, 6),    # Lao
    (0x1000, 0x109F, 8),    # Myanmar
    (0x1100, 0x11FF, 4),    # Hangul Jamo
    (0x1780, 0x17FF, 7),    # Khmer
    (0x19E0, 0x19FF, 7),    # Khmer symbols
    (0x2E80, 0x2FDF, 1),    # CJK radicals, Kangxi radicals
    (0x3005, 0x3007, 1),    # ideographic iteration mark, closing mark, number zero
    (0x3021, 0x3029, 1),    # Hangzhou numerals
    (0x3038, 0x303B, 1),
    (0x3041, 0x309F, 2),    # Hiragana
    (0x30A0, 0x30FF, 3),    # Katakana
    (0x3100, 0x312F, 9),    # Bopomofo
    (0x3130, 0x318F, 4),    # Hangul compatibility Jamo
    (0x31A0, 0x31BF, 9),    # Bopomofo extended
    (0x31F0, 0x31FF, 3),    # Katakana phonetic extensions
    (0x3400, 0x4DBF, 1),    # CJK extension A
    (0x4E00, 0x9FFF, 1),    # CJK unified ideographs
    (0xA000, 0xA4CF, 10),   # Yi
    (0xA960, 0xA97F, 4),    # Hangul Jamo extended A
    (0xA9E0, 0xA9FF, 8),    # Myanmar extended B
    (0xAA60, 0xAA7F, 8),    # Myanmar extended A
    (0xAC00, 0xD7AF, 4),    # Hangul syllables
    (0xD7B0, 0xD7FF, 4),    # Hangul Jamo extended B
    (0xF900, 0xFAFF, 1),    # CJK compatibility ideographs
    (0xFF66, 0xFF9F, 3),    # half-width Katakana
    (0xFFA0, 0xFFDC, 4),    # half-width Hangul
    (0x20000, 0x323AF, 1),  # CJK extensions B to H
)
_SPACELESS_FIRST = [first for first, _last, _script in SPACELESS_RANGES]
_SPACELESS_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b, _s in SPACELESS_RANGES)

# words: maximal runs of str.isalnum() characters, except that each letter or digit of a
# script written without spaces is a word of its own
_WORD = re.compile(rf"(?:(?![{_SPACELESS_CLASS}])[^\W_])+|(?=[^\W_])[{_SPACELESS_CLASS}]")
# bytes of UTF-8 text: ASCII word characters and bytes >= 0x80 as they are, other ASCII blanked
_ASCII_BLANKED = bytes(c if c >= 0x80 or _WORD.fullmatch(chr(c)) else 0x20 for c in range(256))
_ASCII_DIGITS = bytes(int(0x30 <= c <= 0x39) for c in range(256))
_ASCII_FLAGS = bytes(int(c < 0x80 and _WORD.fullmatch(chr(c)) is not None) for c in range(256))  # 1: word
_SCANNER: dict[str, Any] = {}  # per worker process only
_WORDS = (1 << 10) - 1  # shape fields: words and anchor index (10 bits), prefix and suffix (6)
_AFFIX = (1 << 6) - 1
_SIG_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
_SIG_INV = pow(_SIG_BASE, -1, 1 << 64)
_MASK64 = (1 << 64) - 1


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
        lowered = _lower_each(text)
    return lowered


def _lower_each(text: str) -> str:
    """``text`` lower-cased character by character (length kept), as
    :func:`lower_like_scanner` lowers a row in which some character changes length."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def spaceless_script(char: str) -> int:
    """The script number of a letter or digit of a script written without spaces
    (:data:`SPACELESS_RANGES`), 0 for any other character (and for a non-alphanumeric one)."""
    code = ord(char)
    if code < 0x0E00 or not char.isalnum():
        return 0
    i = bisect.bisect_right(_SPACELESS_FIRST, code) - 1
    if i >= 0 and code <= SPACELESS_RANGES[i][1]:
        return SPACELESS_RANGES[i][2]
    return 0


def edge_ok(outside: str, inside: str, name: bool) -> bool:
    """Whether a hit may have ``inside`` as its first (last) character with ``outside``
    just before (after) it: ``outside`` is not a letter or digit, or - in a script written
    without spaces, where words are not marked - for an identifier, either character is a
    letter of such a script ("请联系jane.doe@contoso.com"); for a name, the script changes
    there ("Jane Doe获取", "山田太郎さん"; a name inside a run of its own script is not a hit:
    nothing tells where its words end)."""
    if not outside.isalnum():
        return True
    if ord(outside) < 0x0E00 and ord(inside) < 0x0E00:  # (the common case)
        return False
    if name:
        return spaceless_script(outside) != spaceless_script(inside)
    return spaceless_script(outside) > 0 or spaceless_script(inside) > 0


def boundary_ok(text: str, start: int, end: int, name: bool = False) -> bool:
    """Whether ``text[start:end]`` sits on word boundaries (the leak check's rule; ``name``:
    a name's, see :func:`edge_ok`). An empty span is never a hit."""
    if start >= end:
        return start == end and (start == 0 or not text[start - 1].isalnum()) and (
            end == len(text) or not text[end].isalnum())
    return (start == 0 or edge_ok(text[start - 1], text[start], name)) and (
        end == len(text) or edge_ok(text[end], text[end - 1], name))


_boundary_ok = boundary_ok


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
    alt: Any = None      # uint32: the anchor lower-cased character by character (names)
    shape: Any = None    # uint32: words, anchor index (10 bits each), prefix, suffix (6 bits)
    sig: Any = None      # uint32: the word signature of the string (:func:`word_signature`)
    fakes: Any = None    # uint64: hash of each lower-cased fake
    wordless: list[tuple[str, bool, int, int]] = field(default_factory=list)
    """Strings the shape cannot describe (no letter or digit, over 1,023 words, a prefix or
    suffix over 63 characters), kept as (string, cased, etype, key) and searched directly."""


def _anchor_score(word: str) -> tuple[bool, int]:
    """Rarer words make better anchors: mixed letters and digits (ids, GUID groups), then length."""
    return (not word.isalpha() and not word.isdigit(), len(word))


def word_signature(hashes: Iterable[int]) -> int:
    """The top 32 bits of sum(h_k * B**k) mod 2**64 over the CRC-32 word hashes of a string,
    in order. The scan computes the same sum for every candidate span from prefix sums over
    a chunk's words, in numpy, and hashes only the candidates whose signature is known."""
    acc, power = 0, 1
    for h in hashes:
        acc = (acc + h * power) & _MASK64
        power = (power * _SIG_BASE) & _MASK64
    return acc >> 32


def _shape_of(value: str, cased: bool = False) -> tuple[str, int, int] | None:
    """(anchor word, packed shape, word signature) of a searched string, or None when no
    shape fits it. The signature is of the words as the scan hashes them: lower-cased (a
    cased name's words are lower-cased here; an identifier is lower-cased already)."""
    found = list(_WORD.finditer(value))
    if not found or len(found) > _WORDS:
        return None
    words = [m.group() for m in found]
    best = max(range(len(words)), key=lambda i: _anchor_score(words[i]))
    prefix, suffix = found[0].start(), len(value) - found[-1].end()
    if prefix > _AFFIX or suffix > _AFFIX:
        return None
    sig = word_signature(word_hash(w.lower() if cased else w) for w in words)
    return words[best], (len(words) << 22) | (best << 12) | (prefix << 6) | suffix, sig


def encode(originals: Mapping[str, Iterable[str]], fakes: Mapping[str, Iterable[str]],
           min_length: int, secret_marker: str) -> LeakDelta:
    """Hash the originals (with entity types and shapes) and fakes of a pseudonymizer.

    One entry per searched string, in the order the originals come: an identifier is
    searched lower-cased, a name as written, UPPER and Title (a set: its own order)."""
    np = _np()
    types = sorted(originals)
    marker = secret_marker.lower()
    keyed: list[str] = []  # the lower-cased originals kept
    variants: list[str] = []
    owner: list[int] = []  # each variant's index into ``keyed``
    flags: list[bool] = []
    codes: list[int] = []
    for code, etype in enumerate(types):
        if etype not in NAME_TYPES:  # searched as the lower-cased original itself
            kept = [v for v in map(str.lower, originals[etype]) if len(v) >= min_length and v != marker]
            owner += range(len(keyed), len(keyed) + len(kept))
            keyed += kept
            variants += kept
            flags += [False] * len(kept)
            codes += [code] * len(kept)
            continue
        for value in originals[etype]:
            v = value.lower()
            if len(v) < min_length or v == marker:
                continue
            for variant in {value, value.upper(), value.title()}:
                variants.append(variant)
                owner.append(len(keyed))
                flags.append(True)
                codes.append(code)
            keyed.append(v)
    key = _full_hashes(keyed)[np.array(owner, dtype=np.int64)]
    cased = np.array(flags, dtype=bool)
    named = np.flatnonzero(cased)
    match = key.copy()  # an identifier's searched string is its key's string
    match[named] = _full_hashes([variants[i] for i in named.tolist()])
    etype_ = np.array(codes, dtype=np.uint8)
    ok, anchor, alt, shape, sig = _shapes(variants, flags)
    wordless = [(variants[i], flags[i], codes[i], int(key[i])) for i in np.flatnonzero(~ok).tolist()]
    if not ok.all():
        match, key, cased, etype_, anchor, alt, shape, sig = (
            c[ok] for c in (match, key, cased, etype_, anchor, alt, shape, sig))
    return LeakDelta(
        types=types, match=match, key=key, cased=cased, etype=etype_,
        anchor=anchor, alt=alt, shape=shape, sig=sig,
        fakes=_full_hashes([f.lower() for values in fakes.values() for f in values]),
        wordless=wordless,
    )


_BLAKE64 = functools.partial(hashlib.blake2b, digest_size=8)


def _full_hashes(values: list[str]) -> Any:
    """:func:`full_hash` of each value, as a uint64 array."""
    np = _np()
    try:
        blob = b"".join([h.digest() for h in map(_BLAKE64, map(str.encode, values))])
    except UnicodeEncodeError:  # a lone surrogate
        blob = b"".join([_blake64(v.encode("utf-8", "surrogatepass")) for v in values])
    return np.frombuffer(blob, dtype=">u8").astype(np.uint64)


def _shapes(variants: list[str], cased: list[bool]) -> tuple[Any, Any, Any, Any, Any]:
    """For each searched string: whether a shape fits it (:func:`_shape_of`), the hash of its
    anchor word (lower-cased), that of the anchor lower-cased character by character (a
    name's second anchor, see :func:`_scalar_shape`), the packed shape and the signature.

    ASCII strings (where lower-casing keeps every word and ``isalpha`` / ``isdigit`` are
    per byte) are done together: their lower-cased words in one split, each string's words
    counted, its anchor (the first word of the highest :func:`_anchor_score`) found and its
    signature taken from prefix sums, in numpy; other strings one at a time."""
    np = _np()
    n = len(variants)
    ok = np.zeros(n, dtype=bool)
    cols = [np.zeros(n, dtype=np.uint32) for _ in range(4)]  # anchor, alt, shape, sig
    plain = np.fromiter(map(str.isascii, variants), bool, n)
    if plain.any():
        at = np.flatnonzero(plain)
        part = _ascii_shapes([variants[i] for i in at.tolist()])
        ok[at] = part[0]
        for col, values in zip(cols, (part[1], part[1], part[2], part[3]), strict=True):
            col[at] = values
    for i in np.flatnonzero(~plain).tolist():
        shaped = _scalar_shape(variants[i], cased[i])
        if shaped is not None:
            ok[i] = True
            for col, value in zip(cols, shaped, strict=True):
                col[i] = value
    return ok, *cols


def _ascii_shapes(values: list[str]) -> tuple[Any, Any, Any, Any]:
    """(fits, anchor hash, packed shape, signature) of ASCII strings (see :func:`_shapes`)."""
    np = _np()
    n = len(values)
    lengths = np.fromiter(map(len, values), np.int64, n)
    row_end = np.cumsum(lengths + 1) - 1
    row_start = row_end - lengths
    text = "\n".join(values).lower()
    words = _Words.of(text, row_start, row_end)
    count = words.row_hi - words.row_lo
    ok = (count > 0) & (count <= _WORDS)
    first = np.minimum(words.row_lo, max(len(words.hashes) - 1, 0))
    last = np.maximum(words.row_hi - 1, 0)
    if not len(words.hashes):
        return ok, np.zeros(n, np.uint32), np.zeros(n, np.uint32), np.zeros(n, np.uint32)
    prefix = words.starts[first] - row_start
    suffix = row_end - words.ends[last]
    ok &= (prefix <= _AFFIX) & (suffix <= _AFFIX)
    # the anchor: mixed letters and digits first, then length; the first such word wins
    digits = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(text.encode().translate(_ASCII_DIGITS), np.uint8), out=digits[1:])
    size = words.ends - words.starts
    in_word = digits[words.ends] - digits[words.starts]
    score = ((in_word > 0) & (in_word < size)).astype(np.int64) << 40 | size
    rows = np.flatnonzero(count > 0)
    top = np.zeros(n, dtype=np.int64)
    top[rows] = np.maximum.reduceat(score, words.row_lo[rows])
    best_words = np.flatnonzero(score == top[words.row])
    _, firsts = np.unique(words.row[best_words], return_index=True)
    best = np.zeros(n, dtype=np.int64)
    best[rows] = best_words[firsts]
    anchor = np.where(ok, words.hashes[best], 0).astype(np.uint32)
    shape = np.where(ok, count << 22 | (best - first) << 12 | prefix << 6 | suffix, 0).astype(np.uint32)
    sig = np.where(ok, words.signature(first, last), 0).astype(np.uint32)
    return ok, anchor, shape, sig


def _scalar_shape(variant: str, cased: bool) -> tuple[int, int, int, int] | None:
    """(anchor hash, second anchor hash, packed shape, signature) of one searched string, or
    None when no shape fits it."""
    shaped = _shape_of(variant, cased)
    if shaped is None:
        return None
    word = shaped[0]
    # anchors are looked up among the words of the lower-cased row; a name's anchor word is
    # lower-cased both ways the row may have been: as a whole (a final sigma is then "ς") or
    # character by character (a row in which some character changes length when lower-cased,
    # where it is "σ")
    anchor = word_hash(word.lower() if cased else word)
    alt = word_hash(_lower_each(word)) if cased else anchor
    return anchor, alt, shaped[1], shaped[2]


# --- sorted tables (main process) -----------------------------------------------------------

MEMBER_CHUNK = 1 << 20  # keys per lookup in SortedTable.member
TRIM_MIN_ROWS = 1 << 20  # a smaller index's build trims no heap (a full GC costs ~0.1 s)


class SortedTable:
    """Unique uint64 keys kept sorted, with parallel columns; grows by merging batches in.

    New rows wait in a small pending list and are merged when it reaches an eighth of the
    table (at least 64k rows): one ``np.insert`` per column, so the peak is the table plus
    one column, and the total copying stays linear in the final size."""

    def __init__(self, columns: Mapping[str, str] | None = None) -> None:
        np = _np()
        self.dtypes = dict(columns or {})
        self.keys = np.zeros(0, np.uint64)
        self.cols: dict[str, Any] = {c: np.zeros(0, d) for c, d in self.dtypes.items()}
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._pending_n = 0

    def append(self, keys: Any, **cols: Any) -> None:
        """Queue rows for the next merge."""
        if len(keys):
            self._pending.append((keys, cols))
            self._pending_n += len(keys)

    @property
    def due(self) -> bool:
        return self._pending_n >= max(1 << 16, len(self.keys) // 8)

    def add(self, keys: Any, **cols: Any) -> None:
        self.append(keys, **cols)
        if self.due:
            self.flush()

    def take_pending(self) -> tuple[Any, dict[str, Any]] | None:
        """The pending rows, concatenated (and forgotten), or None."""
        np = _np()
        if not self._pending:
            return None
        pending, self._pending, self._pending_n = self._pending, [], 0
        keys = np.concatenate([k for k, _ in pending])
        cols = {c: np.concatenate([v[c] for _, v in pending]) for c in self.dtypes}
        return keys, cols

    def flush(self) -> None:
        """Merge pending rows in; a key already present keeps its first row."""
        taken = self.take_pending()
        if taken is not None:
            keys, cols = taken
            order = _np().argsort(keys, kind="stable")
            self.merge(keys[order], {c: v[order] for c, v in cols.items()})

    def merge(self, keys: Any, cols: Mapping[str, Any]) -> tuple[Any, Any]:
        """Insert sorted ``keys`` (repeats allowed: the first wins) that are not in the table.

        Returns (index into the de-duplicated ``keys`` of those already present, their
        positions in the table after the merge)."""
        np = _np()
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        keys, cols = keys[first], {c: v[first] for c, v in cols.items()}
        pos = self.keys.searchsorted(keys)
        present = np.zeros(len(keys), dtype=bool)
        if len(self.keys):
            present = self.keys[np.minimum(pos, len(self.keys) - 1)] == keys
        new = ~present
        self.keys = np.insert(self.keys, pos[new], keys[new])
        for c in self.dtypes:
            self.cols[c] = np.insert(self.cols[c], pos[new], cols[c][new])
        return np.nonzero(present)[0], self.keys.searchsorted(keys[present])

    def member(self, keys: Any) -> Any:
        """A bool array: which of ``keys`` are in the table (pending rows included).

        Looked up :data:`MEMBER_CHUNK` keys at a time: the lookup's scratch (positions and
        the keys found there, 16 bytes a key) stays ~16 MB however many keys are asked
        about (4.5M at 1 GB of input, while the search tables are built)."""
        np = _np()
        found = np.zeros(len(keys), dtype=bool)
        table = self.keys
        if len(table):
            last = len(table) - 1
            for start in range(0, len(keys), MEMBER_CHUNK):
                part = keys[start : start + MEMBER_CHUNK]
                pos = table.searchsorted(part)
                np.minimum(pos, last, out=pos)
                found[start : start + len(part)] = table[pos] == part
        for pending, _ in self._pending:
            found |= np.isin(keys, pending)
        return found

    def __len__(self) -> int:
        self.flush()
        return len(self.keys)

    def nbytes(self) -> int:
        self.flush()
        return int(self.keys.nbytes + sum(v.nbytes for v in self.cols.values()))


def _contains(sorted_values: Any, h: int) -> bool:
    i = int(sorted_values.searchsorted(_np().uint64(h)))
    return i < len(sorted_values) and int(sorted_values[i]) == h


class HashSet:
    """A sorted uint64 array with ``in`` for strings (hashed with :func:`full_hash`).

    Asked one string at a time (the residual check asks about each detected value, and
    values repeat close together): answers are memoized, at most :data:`MEMO_SIZE` strings
    at a time (the memo is emptied when full), and the hash is looked up by ``bisect`` in
    a memoryview of the array (about twice as fast as a numpy call per string)."""

    def __init__(self, values: Any) -> None:
        self.values = values
        self._memo: dict[str, bool] = {}
        self._view: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"values": self.values}  # a memoryview does not pickle; the memo need not

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.values = state["values"]
        self._memo = {}
        self._view = None

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str) or not len(self.values):
            return False
        known = self._memo.get(item)
        if known is None:
            known = self._has(full_hash(item))
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[item] = known
        return known

    def _has(self, h: int) -> bool:
        if self._view is None:
            self._view = _uint64_view(self.values)
        if self._view is False:
            return _contains(self.values, h)
        i = bisect.bisect_left(self._view, h)
        return i < len(self._view) and self._view[i] == h

    def __len__(self) -> int:
        return len(self.values)


MEMO_SIZE = 1 << 12


def _uint64_view(values: Any) -> Any:
    """A memoryview whose items are the (Python int) values of a uint64 array, or False
    where the array has no such buffer (not contiguous, not in native byte order)."""
    try:
        view = memoryview(values)
    except TypeError:
        return False
    if view.ndim != 1 or view.itemsize != 8 or view.format not in ("L", "Q"):
        return False
    return view


_LOWER_COLUMNS = {"etype": "uint8", "anchor": "uint32", "shape": "uint32", "sig": "uint32"}
_CASED_COLUMNS = {**_LOWER_COLUMNS, "alt": "uint32", "key": "uint64"}


class _Spill:
    """Leak deltas (their hash arrays only) in an unnamed temporary file, each encrypted
    (ChaCha20-Poly1305) with a random key kept in memory: read back once, in order."""

    def __init__(self, directory: Path) -> None:
        import tempfile

        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        self._aead = ChaCha20Poly1305(ChaCha20Poly1305.generate_key())
        self._directory = directory
        try:
            self._fh: Any = tempfile.TemporaryFile(  # noqa: SIM115 - closed by drain() or close()
                dir=directory, prefix=".ftprep-leak-")
        except OSError as exc:
            raise self._failed(exc) from None
        self._count = 0

    def _failed(self, exc: OSError) -> OutputError:
        """Disk full (or another write error) on the spill file: one line, like the outputs'."""
        return OutputError(f"{self._directory}: cannot write the leak check's temporary file "
                           f"({exc.strerror or type(exc).__name__})")

    def put(self, delta: LeakDelta) -> None:
        import pickle

        arrays = {name: getattr(delta, name) for name in _SPILLED}
        blob = pickle.dumps((delta.types, arrays), protocol=pickle.HIGHEST_PROTOCOL)
        sealed = self._aead.encrypt(self._count.to_bytes(12, "big"), blob, None)
        self._count += 1
        try:
            self._fh.write(len(sealed).to_bytes(8, "big"))
            self._fh.write(sealed)
        except OSError as exc:
            raise self._failed(exc) from None

    def drain(self) -> Iterator[LeakDelta]:
        """Every delta put, in order; the file is closed (and gone) afterwards."""
        import pickle

        try:
            self._fh.flush()
            self._fh.seek(0)
        except OSError as exc:
            self.close()
            raise self._failed(exc) from None
        try:
            for number in range(self._count):
                size = int.from_bytes(self._fh.read(8), "big")
                blob = self._aead.decrypt(number.to_bytes(12, "big"), self._fh.read(size), None)
                types, arrays = pickle.loads(blob)  # noqa: S301 - our own bytes, authenticated
                yield LeakDelta(types=types, **arrays)
        finally:
            self.close()

    def close(self) -> None:
        self._fh.close()


_SPILLED = ("match", "key", "cased", "etype", "anchor", "alt", "shape", "sig", "fakes")


class LeakIndex:
    """Accumulates :class:`LeakDelta` s; :meth:`scanner` builds the scanner for the pass.

    Two sorted tables keyed by the searched string's hash (identifiers, lower-cased; names,
    case-sensitive) and one of fake hashes: about 21 bytes per identifier, 33 per name
    variant and 8 per fake."""

    def __init__(self) -> None:
        self.types: list[str] = []
        self._lower = SortedTable(_LOWER_COLUMNS)
        self._cased = SortedTable(_CASED_COLUMNS)
        self._fakes = SortedTable()
        self._wordless: dict[tuple[bool, str], tuple[str, int]] = {}  # -> (etype, key)
        self._spill: _Spill | None = None
        self._parts: tuple[_Part, _Part] | None = None  # built by the first scanner()

    def spill_to(self, directory: Path) -> None:
        """Park the hashed tables on disk until they are needed (:meth:`scanner`): during a
        long stream the main process then holds none of them (~145 MB for a 1 GB input).
        The file is unnamed (deleted as it is created) and encrypted with a key that exists
        only in this process's memory; strings never go to it."""
        if self._spill is None:
            self._spill = _Spill(directory)

    def _unspill(self) -> None:
        spill, self._spill = self._spill, None
        if spill is not None:
            for delta in spill.drain():
                self._add_tables(delta)

    def add(self, delta: LeakDelta) -> None:
        for value, cased, code, key in delta.wordless:
            etype = delta.types[code]
            known = self._wordless.get((cased, value))
            if known is None or etype < known[0]:  # the first type in name order wins
                self._wordless[(cased, value)] = (etype, key)
        if delta.match is None:
            return
        if self._parts is not None:
            raise RuntimeError("LeakIndex.add after scanner(): the index is frozen")
        if self._spill is not None:
            self._spill.put(delta)
        else:
            self._add_tables(delta)

    def _add_tables(self, delta: LeakDelta) -> None:
        if len(delta.fakes):
            self._fakes.add(_np().unique(delta.fakes))
        if not len(delta.match):
            return
        codes = self._type_codes(delta)
        for table, cased in ((self._lower, False), (self._cased, True)):
            sel = delta.cased == cased
            if sel.any():
                cols = {"etype": codes[sel], "anchor": delta.anchor[sel], "shape": delta.shape[sel],
                        "sig": delta.sig[sel]}
                if cased:
                    cols.update(alt=delta.alt[sel], key=delta.key[sel])
                table.append(delta.match[sel], **cols)
        if self._lower.due or self._cased.due:
            self._flush()

    def _type_codes(self, delta: LeakDelta) -> Any:
        np = _np()
        table = []
        for name in delta.types:
            if name not in self.types:
                self.types.append(name)
            table.append(self.types.index(name))
        return np.array(table or [0], dtype=np.uint8)[delta.etype]

    def _flush(self) -> None:
        """Merge pending rows; for a string met under two types the first in name order wins."""
        self._unspill()
        np = _np()
        rank = np.argsort(np.argsort(np.array(self.types or [""], dtype=object))).astype(np.uint8)
        for table in (self._lower, self._cased):
            taken = table.take_pending()
            if taken is None:
                continue
            keys, cols = taken
            order = np.lexsort((rank[cols["etype"]], keys))
            keys, cols = keys[order], {c: v[order] for c, v in cols.items()}
            idx, pos = table.merge(keys, cols)
            if len(idx):  # already present: keep the better-ranked type
                first = np.ones(len(keys), dtype=bool)
                first[1:] = keys[1:] != keys[:-1]
                incoming = cols["etype"][first][idx]
                better = rank[incoming] < rank[table.cols["etype"][pos]]
                table.cols["etype"][pos[better]] = incoming[better]
        self._fakes.flush()

    def __len__(self) -> int:
        self._flush()
        return len(self._lower.keys) + len(self._cased.keys)

    def nbytes(self) -> int:
        self._flush()
        return self._lower.nbytes() + self._cased.nbytes() + self._fakes.nbytes()

    def release(self) -> None:
        """Forget every hash (the index is empty afterwards): a run calls it once the leak
        check is done, so the tables (about 120 MB for a 1 GB input) are not kept to the end."""
        self.types = []
        self._lower = SortedTable(_LOWER_COLUMNS)
        self._cased = SortedTable(_CASED_COLUMNS)
        self._fakes = SortedTable()
        self._wordless = {}
        self._parts = None
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def scanner(self, config: Any) -> HashedLeakScanner:
        """The scanner over every original that is not also one of the run's fakes.

        The first call builds the search tables and drops the columns only they needed (a
        third of the index), so the index takes no more values afterwards; later calls (the
        rescan after a repair) reuse them."""
        if self._parts is None:
            self._parts = self._build_parts()
        fakes = self._fakes.keys
        wordless = [(value, c, etype) for (c, value), (etype, key) in sorted(self._wordless.items())
                    if not _contains(fakes, key)]
        lower, cased = self._parts
        return HashedLeakScanner(list(self.types), lower, cased, HashSet(fakes), config, wordless)

    def _build_parts(self) -> tuple[_Part, _Part]:
        np = _np()
        self._flush()
        if len(self._lower.keys) + len(self._cased.keys) >= TRIM_MIN_ROWS:
            trim_heap()  # the merge's scratch, before the parts' own (at 1 GB ~70 MB each)
        lower, cased = self._lower, self._cased
        # originals that are also fakes are not reported: their (few) hashes, sorted
        dead_lower = lower.keys[self._fakes.member(lower.keys)]
        dead_cased = np.unique(cased.keys[self._fakes.member(cased.cols["key"])])
        lower_part = _Part(lower.keys, lower.cols["etype"], dead_lower, [lower.cols["anchor"]],
                           lower.cols["shape"], lower.cols["sig"])
        _searched_only(lower)  # before the next part is built: the peak is one part's scratch
        anchor, alt = cased.cols["anchor"], cased.cols["alt"]
        # a name's second anchor where lower-casing character by character differs
        cased_part = _Part(cased.keys, cased.cols["etype"], dead_cased, [anchor, alt],
                           cased.cols["shape"], cased.cols["sig"], extra=np.nonzero(alt != anchor)[0])
        del anchor, alt
        _searched_only(cased)
        return lower_part, cased_part


def _searched_only(table: SortedTable) -> None:
    """Drop every column but the types: once its part is built, a table is searched by key."""
    for column in [c for c in table.cols if c != "etype"]:
        del table.cols[column]
        del table.dtypes[column]


def _high_halves(pairs: Any) -> Any:
    """The high 32 bits of each uint64 of ``pairs``: a strided view where the machine is
    little-endian (no 8-byte-per-row temporary, at 1 GB of input 28 MB), else a copy."""
    np = _np()
    if sys.byteorder == "little" and pairs.flags.c_contiguous:
        return pairs.view(np.uint32)[1::2]
    return (pairs >> np.uint64(32)).astype(np.uint32)


class _Part:
    """Searched strings of one kind (lower-cased or case-sensitive), by hash.

    ``match`` / ``etype`` are the index table's own sorted arrays (not copied); ``dead`` the
    sorted hashes among them not to report (originals that are also fakes: a few). Anchors
    and shapes are packed into one sorted uint64 array (anchor in the high half), with the
    distinct anchors, where each one's pairs start and how many there are; ``sigs`` holds the
    distinct word signatures, sorted."""

    def __init__(self, match: Any, etype: Any, dead: Any, anchors: list[Any], shape: Any,
                 sig: Any, extra: Any = None) -> None:
        np = _np()
        self.match, self.etype, self.dead = match, etype, dead
        # which rows of ``match`` to report, looked up by position (not ``np.isin`` per row)
        self.alive = None
        if len(dead):  # ``dead`` is a sorted subset of ``match``
            self.alive = np.ones(len(match), dtype=bool)
            self.alive[match.searchsorted(dead)] = False
        packed = []
        for anchor, rows in ((anchors[0], None), *((a, extra) for a in anchors[1:])):
            pairs = anchor.astype(np.uint64) if rows is None else anchor[rows].astype(np.uint64)
            pairs <<= np.uint64(32)
            pairs |= shape if rows is None else shape[rows]
            packed.append(pairs)
        pairs = packed[0] if len(packed) == 1 else np.concatenate(packed)
        pairs.sort()
        keep = np.ones(len(pairs), dtype=bool)
        keep[1:] = pairs[1:] != pairs[:-1]
        self.pairs = pairs if keep.all() else pairs[keep]
        del pairs, packed, keep
        high = _high_halves(self.pairs)
        first = np.ones(len(high), dtype=bool)
        first[1:] = high[1:] != high[:-1]
        index = np.int32 if len(high) < 1 << 31 else np.int64  # 4 bytes a distinct anchor
        self.anchor_first = np.nonzero(first)[0].astype(index)
        self.anchors = high[self.anchor_first]
        self.anchor_count = np.diff(np.append(self.anchor_first, len(high))).astype(index)
        self.shift, self.bitmap = _anchor_bitmap(self.anchors)
        # signatures of the strings to report only: originals that are also fakes (common
        # name words, when the run's fakes and its data draw names from one pool) are many
        self.sigs = np.unique(sig if self.alive is None else sig[self.alive])

    def __len__(self) -> int:
        return len(self.match) - len(self.dead)

    def find(self, hay: str, words: _Words, types: list[str], signed: bool = True,
             names: bool = False) -> list[tuple[int, int, str]]:
        """Originals in ``hay`` (rows joined by ``\\n``) as (start, end, type) in ``hay``
        offsets, each inside one row, given the (lower-cased) words of the rows. ``names``:
        the strings are names (their boundary rule, :func:`edge_ok`).

        With ``signed``, a candidate span is hashed only when the signature of its words is
        one of ``sigs``. That drops no match: an original found at a span is also found by
        its own (anchor, shape) pair, whose candidate has exactly the original's words (for
        a cased name, when the rows are ASCII, so lower-casing is per character)."""
        np = _np()
        hashes = words.hashes
        if not len(self.anchors) or not len(hashes):
            return []
        # words whose anchor bit is set (a few percent), then looked up
        bit = hashes >> np.uint32(self.shift)
        maybe = np.flatnonzero(self.bitmap[bit >> np.uint32(3)] >> (bit & np.uint32(7)).astype(np.uint8) & 1)
        at = np.minimum(self.anchors.searchsorted(hashes[maybe]), len(self.anchors) - 1)
        hit = self.anchors[at] == hashes[maybe]
        hit_words, at = maybe[hit], at[hit]
        if not len(hit_words):
            return []
        # one row per (anchor word, shape) pair: the candidate span the shape describes
        counts = self.anchor_count[at]
        word = np.repeat(hit_words, counts)
        offsets = np.repeat(np.cumsum(counts) - counts, counts)
        j = np.repeat(self.anchor_first[at], counts) + (np.arange(len(word)) - offsets)
        pairs = self.pairs
        packed = (pairs[j] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        first = word - ((packed >> 12) & _WORDS)
        last = first + (packed >> 22) - 1
        row = words.row[word]
        ok = (first >= words.row_lo[row]) & (last < words.row_hi[row])
        first, last = np.where(ok, first, 0), np.where(ok, last, 0)
        start = words.starts[first] - ((packed >> 6) & _AFFIX)
        end = words.ends[last] + (packed & _AFFIX)
        ok &= (start >= words.row_start[row]) & (end <= words.row_end[row])
        if signed:
            sig = words.signature(first, last)
            place = np.minimum(self.sigs.searchsorted(sig), max(len(self.sigs) - 1, 0))
            ok &= (self.sigs[place] == sig) if len(self.sigs) else False
        n = len(hay)
        candidates: dict[tuple[int, int], str] = {}
        for a, b in zip(start[ok].tolist(), end[ok].tolist(), strict=True):
            if (a, b) in candidates:
                continue
            if (a == 0 or not hay[a - 1].isalnum() or edge_ok(hay[a - 1], hay[a], names)) and (
                    b == n or not hay[b].isalnum() or edge_ok(hay[b], hay[b - 1], names)):
                candidates[(a, b)] = hay[a:b]
        if not candidates:
            return []
        try:
            blob = b"".join([_blake64(c.encode()) for c in candidates.values()])
        except UnicodeEncodeError:  # a lone surrogate
            blob = b"".join([_blake64(c.encode("utf-8", "surrogatepass")) for c in candidates.values()])
        wanted = np.frombuffer(blob, dtype=">u8").astype(np.uint64)
        at = np.minimum(self.match.searchsorted(wanted), len(self.match) - 1)
        hit = self.match[at] == wanted
        if self.alive is not None:
            hit &= self.alive[at]
        found = np.nonzero(hit)[0]
        if not len(found):
            return []
        spans = list(candidates)
        return [(*spans[k], types[int(self.etype[at[k]])]) for k in found.tolist()]


def _anchor_bitmap(anchors: Any) -> tuple[int, Any]:
    """A bitmap over the top bits of the (sorted, distinct) 32-bit anchors: 8 to 16 bits an
    anchor (at least 2**16 bits, 8 KB), so a word whose bit is clear (most words) needs no
    binary search. Returns (shift, bitmap as uint8): a hash's bit is ``hash >> shift``."""
    np = _np()
    bits = 16
    while bits < 32 and 1 << bits < 8 * len(anchors):
        bits += 1
    shift = 32 - bits
    bitmap = np.zeros(1 << (bits - 3), dtype=np.uint8)
    if len(anchors):
        bit = anchors >> np.uint32(shift)  # sorted, as the anchors are
        byte = bit >> np.uint32(3)
        starts = np.flatnonzero(np.diff(byte, prepend=byte[0] ^ np.uint32(1)))
        masks = (np.uint8(1) << (bit & np.uint32(7)).astype(np.uint8)).astype(np.uint8)
        bitmap[byte[starts]] = np.bitwise_or.reduceat(masks, starts)
    return shift, bitmap


def _blake64(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


@dataclass
class _Words:
    """The words of some rows joined by ``\\n`` (rows never share a word: ``\\n`` is not
    alphanumeric): CRC-32 hashes, offsets, and for each word its row; for each row its
    first word, one past its last, and its span in the joined text (numpy arrays)."""

    hashes: Any
    starts: Any
    ends: Any
    row: Any
    row_lo: Any
    row_hi: Any
    row_start: Any
    row_end: Any
    prefix: Any = None    # uint64: sum of hash_t * B**t over the words before each word
    inverse: Any = None   # uint64: B**-t

    def signature(self, first: Any, last: Any) -> Any:
        """:func:`word_signature` of words ``first..last`` (arrays of word indexes)."""
        np = _np()
        if self.prefix is None:
            n = len(self.hashes)
            powers = np.full(n + 1, _SIG_BASE, dtype=np.uint64)
            powers[0] = 1
            powers = np.cumprod(powers, dtype=np.uint64)  # wraps modulo 2**64, as intended
            self.prefix = np.zeros(n + 1, dtype=np.uint64)
            np.cumsum(self.hashes.astype(np.uint64) * powers[:n], out=self.prefix[1:])
            inverse = np.full(n + 1, _SIG_INV, dtype=np.uint64)
            inverse[0] = 1
            self.inverse = np.cumprod(inverse, dtype=np.uint64)
        span = (self.prefix[last + 1] - self.prefix[first]) * self.inverse[first]
        return (span >> np.uint64(32)).astype(np.uint32)

    @classmethod
    def of(cls, lowered: str, row_start: Any, row_end: Any) -> _Words:
        np = _np()
        words, starts, ends = _word_spans(lowered)
        hashes = np.fromiter(map(zlib.crc32, words), np.uint32, len(words))
        return cls(hashes, starts, ends,
                   row=np.searchsorted(row_start, starts, side="right") - 1,
                   row_lo=np.searchsorted(starts, row_start), row_hi=np.searchsorted(starts, row_end),
                   row_start=row_start, row_end=row_end)


def _word_spans(text: str) -> tuple[list[bytes], Any, Any]:
    """The words of ``text`` (maximal runs of :data:`_WORD` characters) UTF-8 encoded, with
    their start and end offsets in ``text`` (int64 arrays): what ``_WORD.finditer`` finds,
    without a Python object per separator.

    Works on the UTF-8 bytes (lone surrogates passed through, never word characters): byte
    tables tell ASCII word characters from the rest; each non-ASCII character (its bytes are
    the bytes >= 0x80) is decoded in numpy and its distinct code points are asked of the
    regex. Non-word bytes are blanked, so the words split; byte offsets become character
    offsets by counting the UTF-8 continuation bytes before them."""
    np = _np()
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        raw = text.encode("utf-8", "surrogatepass")
    blanked = raw.translate(_ASCII_BLANKED)  # bytes >= 0x80 kept
    is_word = np.frombuffer(raw.translate(_ASCII_FLAGS), np.bool_)
    if len(raw) == len(text):  # ASCII: byte offsets are character offsets
        edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
        return blanked.split(), edges[0::2], edges[1::2]
    data = np.frombuffer(raw, np.uint8)
    high = np.flatnonzero(data >= 0x80)  # every byte of the non-ASCII characters, in order
    top = data[high]
    lead, cont = high[top >= 0xC0], high[top < 0xC0]
    first = data[lead].astype(np.uint32)
    size = 2 + (first >= 0xE0).astype(np.int64) + (first >= 0xF0)
    tail = [data[np.minimum(lead + k, len(data) - 1)].astype(np.uint32) & 0x3F for k in (1, 2, 3)]
    point = np.where(size == 2, (first & 0x1F) << 6 | tail[0],
                     np.where(size == 3, (first & 0x0F) << 12 | tail[0] << 6 | tail[1],
                              (first & 0x07) << 18 | tail[0] << 12 | tail[1] << 6 | tail[2]))
    distinct, inverse = np.unique(point, return_inverse=True)
    chars = [chr(c) for c in distinct.tolist()]
    known = [_WORD.fullmatch(c) is not None for c in chars]
    high_word = np.repeat(np.array(known, dtype=np.bool_)[inverse.reshape(-1)], size)
    is_word = is_word.copy()
    is_word[high] = high_word
    alone = [w and spaceless_script(c) > 0 for c, w in zip(chars, known, strict=True)]
    if any(alone):  # letters of scripts written without spaces: each a word of its own
        lone = np.zeros(len(raw), dtype=np.bool_)
        lone[high] = np.repeat(np.array(alone, dtype=np.bool_)[inverse.reshape(-1)], size)
        return _split_alone(raw, is_word, lone, cont)
    if not high_word.all():
        bytes_ = np.frombuffer(blanked, np.uint8).copy()
        bytes_[high[~high_word]] = 0x20
        blanked = bytes_.tobytes()
    edges = np.flatnonzero(np.diff(is_word, prepend=False, append=False))
    # minus the continuation bytes before each edge (an edge is never at one)
    edges -= np.bincount(edges.searchsorted(cont), minlength=len(edges) + 1)[:-1].cumsum()
    return blanked.split(), edges[0::2], edges[1::2]


def _split_alone(raw: bytes, is_word: Any, lone: Any, cont: Any) -> tuple[list[bytes], Any, Any]:
    """:func:`_word_spans` of UTF-8 ``raw`` in which the characters whose bytes are flagged
    ``lone`` are words of their own (``is_word``: each byte's character is a word
    character; ``cont``: where the continuation bytes are)."""
    np = _np()
    n = len(raw)
    lead = np.ones(n + 1, dtype=np.bool_)  # a character starts at the byte (or the end)
    lead[cont] = False
    word = np.zeros(n + 2, dtype=np.bool_)  # padded by a non-word byte on both sides
    word[1:-1] = is_word
    alone = np.zeros(n + 2, dtype=np.bool_)
    alone[1:-1] = lone
    # a word starts at a character start where the byte before is not a word character's,
    # or either side is a lone character; it ends (one past) under the same rule
    split = lead & (~word[:-1] | alone[:-1] | alone[1:] | ~word[1:])
    starts = np.flatnonzero(split[:-1] & word[1:-1])
    ends = np.flatnonzero(split[1:] & word[1:-1]) + 1
    before = np.zeros(n + 1, dtype=np.int64)  # continuation bytes before each byte offset
    np.cumsum(~lead[:-1], out=before[1:])
    words = [raw[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return words, starts - before[starts], ends - before[ends]


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
        #: searched strings left out because they equal one of the run's fakes (an original
        #: that a fake of an earlier value happened to equal): where the first pass did not
        #: replace such a value, the check cannot tell it from the fake, and does not report it
        self.unsearched = len(lower.dead) + len(cased.dead)
        # Residual detection is the pseudonymizer's own; it only asks whether a value is a fake.
        self._residual = LeakScanner({}, {}, config)
        self._residual._fakes = fakes  # type: ignore[assignment]  # a HashSet answers `in`

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, entity type)`` of every original found in ``text``, sorted."""
        return self.find_many([text])[0]

    def find_many(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """:meth:`find` of each text, in one vectorized pass over the texts joined by ``\\n``
        (a hit never crosses from one text into the next)."""
        hits: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        if not self.size or not any(texts):
            return hits
        np = _np()
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        row_end = np.cumsum(lengths + 1) - 1
        row_start = row_end - lengths
        text = "\n".join(texts)
        lowered = "\n".join(map(lower_like_scanner, texts))
        for value, cased, etype in self._wordless:
            hay = text if cased else lowered
            at = hay.find(value)
            while at >= 0:
                end = at + len(value)
                r = int(np.searchsorted(row_start, at, side="right")) - 1
                if end <= row_end[r] and boundary_ok(hay, at, end, cased):
                    hits[r].append((at, end, etype))
                at = hay.find(value, at + 1)
        words = _Words.of(lowered, row_start, row_end)
        found: list[tuple[int, int, str]] = []
        if len(self._lower):
            found += self._lower.find(lowered, words, self.types)
        if len(self._cased):
            found += self._cased.find(text, words, self.types, signed=text.isascii(), names=True)
        for start, end, etype in found:
            hits[int(np.searchsorted(row_start, start, side="right")) - 1].append((start, end, etype))
        starts = row_start.tolist()
        for r, row_hits in enumerate(hits):
            if row_hits:
                base = starts[r]
                row_hits[:] = sorted((a - base, b - base, etype) for a, b, etype in row_hits)
        return hits

    def scan_many(self, texts: list[str]) -> list[list[str]]:
        """:meth:`scan` of each text, in vectorized passes over about 1M characters each (the
        words of a pass are Python strings for a moment: ~10 bytes of them per character)."""
        out: list[list[str]] = []
        start = size = 0
        for end, text in enumerate(texts, 1):
            size += len(text)
            if size >= SCAN_CHARS or end == len(texts):
                out += [[etype for _s, _e, etype in found] for found in self.find_many(texts[start:end])]
                start, size = end, 0
        return out

    def scan(self, text: str) -> list[str]:
        """Entity types of originals found in ``text`` (one entry per hit)."""
        return [etype for _s, _e, etype in self.find(text)]

    def residual(self, text: str) -> list[str]:
        """Entity types of detections that are neither ftprep fakes nor kept by policy."""
        found: list[str] = self._residual.residual(text)
        return found


# --- the pass -------------------------------------------------------------------------------

class RowSet(Set[int]):
    """A set of 0-based row numbers of one file, as a bitmap: one bit a row of the file (a
    1 GB run repairs 200k+ rows; a Python set of them costs ~15 MB, this ~60 KB)."""

    __slots__ = ("_bits", "_count")

    def __init__(self, rows: Iterable[int] = ()) -> None:
        self._bits = bytearray()
        self._count = 0
        for row in rows:
            self.add(row)

    def add(self, row: int) -> None:
        if row < 0:
            raise ValueError("row numbers are 0-based")
        byte, bit = divmod(row, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits) // 2)))
        if not self._bits[byte] >> bit & 1:
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, row: object) -> bool:
        if not isinstance(row, int) or row < 0:
            return False
        byte = row >> 3
        return byte < len(self._bits) and bool(self._bits[byte] >> (row & 7) & 1)

    def __iter__(self) -> Iterator[int]:
        for m in _NONZERO.finditer(self._bits):  # skips empty bytes in C
            value, base = m.group()[0], m.start() << 3
            for bit in range(8):
                if value >> bit & 1:
                    yield base + bit

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"RowSet({sorted(self)!r})"


class Hits(Sequence[dict[str, Any]]):
    """Leak-check hits, each ``{"file": name, "line": 1-based, "types": [entity types]}``.

    Kept as columns (file and type-list codes, line numbers): ~14 bytes a hit instead of a
    ~290-byte dict, as a 1 GB run has 200k+ hits before its repair. Items are built on
    access; their ``types`` lists are shared between hits (read them, do not change them).
    """

    __slots__ = ("_names", "_kinds", "_codes", "_file", "_line", "_kind")

    def __init__(self, hits: Iterable[Mapping[str, Any]] = ()) -> None:
        self._names: list[str] = []
        self._kinds: list[list[str]] = []
        self._codes: dict[tuple[bool, Any], int] = {}
        self._file = array("I")
        self._line = array("q")
        self._kind = array("I")
        for hit in hits:
            self.append(hit["file"], hit["line"], hit["types"])

    def _code(self, kind: bool, key: Any, table: list[Any], value: Any) -> int:
        code = self._codes.get((kind, key))
        if code is None:
            code = self._codes[(kind, key)] = len(table)
            table.append(value)
        return code

    def append(self, file: str, line: int, types: Sequence[str]) -> None:
        self._file.append(self._code(False, file, self._names, file))
        self._line.append(line)
        self._kind.append(self._code(True, tuple(types), self._kinds, list(types)))

    def _item(self, i: int) -> dict[str, Any]:
        return {"file": self._names[self._file[i]], "line": self._line[i],
                "types": self._kinds[self._kind[i]]}

    def __len__(self) -> int:
        return len(self._line)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(len(self)))]
        return self._item(range(len(self))[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._item(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Hits({list(self)!r})"


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
    return _scan_rows(scanner, name, range(first, first + len(rows)), rows)


def _scan_rows(scanner: Any, name: str, indexes: Sequence[int], rows: list[bytes]
               ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    """Hits and residual detections of ``rows``, the 0-based rows ``indexes`` of ``name``."""
    hits: list[dict[str, Any]] = []
    residual: dict[tuple[str, int], list[str]] = {}
    from .pseudonymize.leak import json_text_view

    # "\\nJane": blank the escape; "Zo\\u00eb": decode it (a row written unchanged keeps them)
    texts = [json_text_view(raw.decode("utf-8", "replace")) for raw in rows]
    for row, text, found in zip(indexes, texts, scanner.scan_many(texts), strict=True):
        if found:
            hits.append({"file": name, "line": row + 1, "types": sorted(set(found))})
        extra = scanner.residual(text)
        if extra:
            residual[(name, row)] = extra
    return hits, residual


def _picked(files: Mapping[str, Path], rows: Mapping[str, Collection[int]], size: int
            ) -> Iterator[tuple[str, list[int], list[bytes]]]:
    """The given 0-based ``rows`` of each file, read in order, ``size`` rows at a time."""
    for name, path in files.items():
        wanted = rows.get(name)
        if not wanted:
            continue
        picked: list[int] = []
        raws: list[bytes] = []
        with open(path, "rb") as fh:
            for i, raw in enumerate(fh):
                if i in wanted:
                    picked.append(i)
                    raws.append(raw[len(BOM):] if i == 0 and raw.startswith(BOM) else raw)
                    if len(raws) == size:  # streamed: a chunk at a time in memory
                        yield name, picked, raws
                        picked, raws = [], []
        if raws:
            yield name, picked, raws


def scan_rows(files: Mapping[str, Path], index: LeakIndex, config: Any,
              rows: Mapping[str, Collection[int]], workers: int = 1
              ) -> tuple[Hits, dict[tuple[str, int], list[str]]]:
    """:func:`scan_outputs` over only the given 0-based ``rows`` of each file: after a
    repair, only the rewritten rows can scan differently (the index is the same), so only
    they are scanned again. With ``workers`` > 1 and more than one chunk of rows, worker
    processes share the rows (results in file and row order, as in one process)."""
    scanner = index.scanner(config)
    total = sum(len(r) for r in rows.values())
    if workers > 1 and total > RESCAN_ROWS:
        results: Iterable[tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]] = \
            _pooled(scanner, workers, _work_rows, functools.partial(_scan_rows, scanner),
                    _picked(files, rows, RESCAN_ROWS))
    else:
        results = (_scan_rows(scanner, name, picked, raws)
                   for name, picked, raws in _picked(files, rows, CHUNK_ROWS))
    return _collect(results)


def _collect(results: Iterable[tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]]
             ) -> tuple[Hits, dict[tuple[str, int], list[str]]]:
    """Join the chunks' hits (as compact :class:`Hits`) and residual detections. File names
    and type lists are shared between rows (one object each, not one per row)."""
    hits = Hits()
    residual: dict[tuple[str, int], list[str]] = {}
    shared: dict[Any, Any] = {}
    for chunk_hits, chunk_residual in results:
        for hit in chunk_hits:
            hits.append(hit["file"], hit["line"], hit["types"])
        for (name, row), types in chunk_residual.items():
            residual[(shared.setdefault(name, name), row)] = shared.setdefault(tuple(types), types)
    return hits, residual


def _init(scanner: Any) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _SCANNER["s"] = scanner


def _work(name: str, first: int, rows: list[bytes]
          ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    return _scan_chunk(_SCANNER["s"], name, first, rows)


def _work_rows(name: str, indexes: list[int], rows: list[bytes]
               ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    return _scan_rows(_SCANNER["s"], name, indexes, rows)


def _pooled(scanner: Any, workers: int, func: Any, local: Any, tasks: Iterator[tuple[Any, ...]],
            started: Callable[[], None] | None = None) -> Iterator[Any]:
    """Results of ``tasks`` in task order, shared by ``workers - 1`` worker processes that
    hold ``scanner`` (``func``) and this process (``local``): whenever the pool has
    ``2 * (workers - 1)`` tasks queued, this process runs the next task itself. The main
    process would otherwise only wait, and one process fewer holds its own ~80 MB at 1 GB
    of input. Which process runs a task does not change its result. ``started`` is called
    once the workers run (forked)."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with frozen_heap(method == "fork"), mp.get_context(method).Pool(
            workers - 1, _init, (scanner,)) as pool:
        if started is not None:
            started()
        pending: deque[Any] = deque()
        queued = 2 * (workers - 1)
        for args in tasks:
            if sum(1 for r in pending if not r.ready()) >= queued:  # the pool has work queued:
                pending.append(_Done(local(*args)))  # this process takes the task itself
            else:
                pending.append(pool.apply_async(func, args))
            while len(pending) > workers * 3 or (pending and pending[0].ready()):
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


@dataclass
class _Done:
    """A result computed in this process, with the ``get()`` of a pool's async result."""

    value: Any

    def get(self) -> Any:
        return self.value

    def ready(self) -> bool:
        return True


@contextlib.contextmanager
def frozen_heap(fork: bool) -> Iterator[None]:
    """While forking workers, keep the objects of this process out of the children's
    garbage collector: a collection writes to the header of every object it visits, which
    would copy every page of the inherited heap into each child (``gc.freeze``)."""
    if not fork:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def scan_outputs(files: Mapping[str, Path], index: LeakIndex, config: Any, workers: int,
                 started: Callable[[], None] | None = None
                 ) -> tuple[Hits, dict[tuple[str, int], list[str]]]:
    """Return (hits, residual): hits name file, 1-based line and types; residual maps
    (file, 0-based row) to the entity types found there. With ``workers`` > 1,
    ``started`` is called once the worker processes run (from then on, work that needs no
    fork can overlap the scan)."""
    scanner = index.scanner(config)
    if workers > 1:
        results: Iterable[tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]] = \
            _pooled(scanner, workers, _work, functools.partial(_scan_chunk, scanner), _chunks(files),
                    started)
    else:
        results = (_scan_chunk(scanner, name, first, rows) for name, first, rows in _chunks(files))
    return _collect(results)
