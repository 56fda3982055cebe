"""The per-example stats frame: one row per input line, built in the streaming pass.

Rows hold ids, counts and flags — never text — so the frame is safe to hand to
great-expectations and to show in reports. While streaming, columns are kept
compact (typed arrays, small code tables for repeated strings, content hashes as
16 raw bytes): about 130 bytes per example, so millions of rows fit in little
memory. :meth:`StatsCollector.frame` builds the pandas DataFrame at the end.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .manifest import printable_name
from .records import Record

ROLE_CODES = {"system": "S", "user": "U", "assistant": "A", "tool": "T", "function": "F"}
BASE_COLUMNS: tuple[str, ...] = (
    "example_id", "source", "line", "split", "format", "n_messages", "roles", "has_system",
    "has_user", "total_tokens", "trained_tokens", "largest_message_tokens", "over_limit",
    "tool_calls", "weight0", "empty_assistant", "special_token_hits", "content_hash", "simhash",
    "residual_identifiers", "pii_total",
)
_WORD = re.compile(r"\w+")
HASH_BYTES = 16  # ftprep.split.content_hash digests

# Column storage: typecode of the typed array; the frame holds int64 / bool / str.
_INT64 = ("line", "total_tokens", "trained_tokens", "largest_message_tokens", "simhash")
_INT32 = ("n_messages", "tool_calls", "weight0", "empty_assistant", "special_token_hits",
          "residual_identifiers", "pii_total")
_BOOL = ("has_system", "has_user", "over_limit")
_CODED = ("source", "split", "format", "roles")  # few distinct values: a code per row


# \w+ over ASCII text, as a bytes.translate table: word characters ([0-9A-Za-z_], upper
# case lowered) map to themselves, every other byte to a space, so ``split()`` yields the
# words. _MIXED_WORDS keeps bytes >= 128 (parts of non-ASCII characters) for a second look.
_ASCII_WORD_BYTES = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_ASCII_WORDS = bytes(
    (c | 0x20 if 65 <= c <= 90 else c) if c in _ASCII_WORD_BYTES else 32 for c in range(256))
_MIXED_WORDS = bytes(c if c >= 128 else _ASCII_WORDS[c] for c in range(256))
_DIGEST_GENERATION = 8192  # words per memo generation: at most 2 x 8192 digests (~2 MB)


def _distinct_words(text: str) -> set[bytes]:
    r"""The distinct words of ``text.lower()`` (``\w+`` runs), UTF-8 encoded.

    ASCII text (most text) is split by a byte table. Otherwise the lower-cased text is split
    at its ASCII non-word characters; pieces that hold non-ASCII characters go through the
    regex, which decides which of those characters are word characters.
    """
    if text.isascii():
        return set(text.encode("ascii").translate(_ASCII_WORDS).split())
    words: set[bytes] = set()
    # Lone surrogates are never word characters: "surrogatepass" carries them through.
    for piece in set(text.lower().encode("utf-8", "surrogatepass").translate(_MIXED_WORDS).split()):
        if piece.isascii():
            words.add(piece)
        else:
            words.update(w.encode() for w in _WORD.findall(piece.decode("utf-8", "surrogatepass")))
    return words


@dataclass
class _DigestMemo:
    """64-bit BLAKE2b word digests, memoized (words repeat across examples).

    Two generations of plain dicts: a lookup misses the young one, then tries the old one;
    when the young one is full it becomes the old one. Bounded (2 x ``generation``
    entries) and O(1) per word. Only speed depends on what is kept: a digest is the
    same whether it comes from the memo or is computed again.
    """

    generation: int = _DIGEST_GENERATION
    young: dict[bytes, bytes] = field(default_factory=dict)
    old: dict[bytes, bytes] = field(default_factory=dict)

    def joined(self, words: set[bytes]) -> bytes:
        """The digests of ``words``, concatenated in the set's iteration order."""
        young = self.young
        missing = words.difference(young)  # in C: one dict probe per word
        if not missing:
            return b"".join(map(young.__getitem__, words))
        old = self.old
        for word in missing:
            digest = old.get(word)
            if digest is None:
                hasher = _BLAKE2B_64.copy()  # cheaper than a new blake2b(word, digest_size=8)
                hasher.update(word)
                digest = hasher.digest()
            young[word] = digest
        joined = b"".join(map(young.__getitem__, words))
        if len(young) >= self.generation:
            self.old, self.young = young, {}
        return joined


# The empty 64-bit BLAKE2b state, copied for each word (never updated itself).
_BLAKE2B_64 = hashlib.blake2b(digest_size=8)
_DIGESTS = _DigestMemo()  # a memo, like an lru_cache: results never depend on it


def simhash64(text: str) -> int:
    """A 64-bit SimHash over the distinct lower-cased words of text (signed, for int64 columns).

    Each word's 64-bit BLAKE2b digest votes +1 / -1 on each bit; a bit is set when most
    words have it set. Word digests are memoized (words repeat across examples) and
    the votes are counted with numpy.
    """
    words = _distinct_words(text)
    if not words:
        return 0
    import numpy as np

    digests = _DIGESTS.joined(words)
    # Big-endian digest bytes unpack most significant bit first: column j is bit 63 - j.
    votes = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64).sum(axis=0)
    # A bit is set when 2 * votes > n, that is (votes being whole) when votes > n // 2.
    return int.from_bytes(np.packbits(votes > len(words) >> 1).tobytes(), "big", signed=True)


def messages_of(obj: Any, fmt: str | None) -> list[Mapping[str, Any]]:
    if not isinstance(obj, Mapping):
        return []
    if fmt == "preference":
        inp = obj.get("input")
        msgs = list(inp.get("messages") or []) if isinstance(inp, Mapping) else []
        msgs.extend(obj.get("preferred_output") or [])
        return [m for m in msgs if isinstance(m, Mapping)]
    if fmt == "completion":
        return [{"role": "user", "content": obj.get("prompt")},
                {"role": "assistant", "content": obj.get("completion")}]
    chat = obj.get("messages")
    return [m for m in chat if isinstance(m, Mapping)] if isinstance(chat, list) else []


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping)
                        and isinstance(p.get("text"), str))
    return ""


def example_features(obj: Any, fmt: str | None) -> dict[str, Any]:
    """Message-level figures of one (pseudonymized) example."""
    codes: list[str] = []
    texts: list[str] = []  # user and assistant text, for the SimHash
    tool_calls = weight0 = empty_assistant = 0
    for m in messages_of(obj, fmt):
        role = m.get("role")
        codes.append(ROLE_CODES.get(role, "?") if isinstance(role, str) else "?")
        calls = m.get("tool_calls")
        if isinstance(calls, list):
            tool_calls += len(calls)
        if role == "user":
            texts.append(_text_of(m.get("content")))
        elif role == "assistant":
            text = _text_of(m.get("content"))
            texts.append(text)
            if m.get("weight") == 0:
                weight0 += 1
            if not calls and not m.get("function_call") and not text.strip():
                empty_assistant += 1
    roles = "".join(codes)
    return {
        "n_messages": len(codes),
        "roles": roles,
        "has_system": "S" in roles,  # the code of "system" only
        "has_user": "U" in roles,
        "tool_calls": tool_calls,
        "weight0": weight0,
        "empty_assistant": empty_assistant,
        "simhash": simhash64(" ".join(texts)),
    }


@dataclass
class _Codes:
    """A string column with few distinct values: one int32 code per row and a code table."""

    table: dict[str | None, int] = field(default_factory=dict)
    codes: array = field(default_factory=lambda: array("i"))

    def append(self, value: str | None) -> None:
        code = self.table.get(value)
        if code is None:
            code = self.table[value] = len(self.table)
        self.codes.append(code)

    def arrow(self, rename: Callable[[str], str] | None = None) -> Any:
        """The column as an arrow string array; ``rename`` maps each distinct value."""
        import numpy as np
        import pyarrow as pa

        table = list(self.table)
        if rename is not None:
            table = [v if v is None else rename(v) for v in table]
        values = pa.array(table, type=pa.string())
        indices = pa.array(np.frombuffer(self.codes, dtype=np.int32) if self.codes else [],
                           type=pa.int32())
        return pa.DictionaryArray.from_arrays(indices, values).dictionary_decode()


#: Rows a spilling collector keeps in memory before it writes them out (see spill_to).
SPILL_ROWS = 1 << 16


@dataclass
class StatsCollector:
    """Column-wise accumulation of stats rows in typed arrays (~130 bytes per example).

    :meth:`spill_to` parks the rows in a temporary file during a long stream; reading
    :attr:`ints`, :meth:`set_residual` or :meth:`frame` brings them back first."""

    entity_types: tuple[str, ...] = ()
    _ints: dict[str, array] = field(default_factory=dict)
    coded: dict[str, _Codes] = field(default_factory=dict)
    hashes: bytearray = field(default_factory=bytearray)
    has_hash: array = field(default_factory=lambda: array("b"))
    _spill: Any = field(default=None, repr=False)  # an unnamed temporary file, or None
    _spilled: int = 0  # rows in it

    def __post_init__(self) -> None:
        for name in _INT64:
            self._ints[name] = array("q")
        for name in (*_INT32, *(f"pii_{t}" for t in self.entity_types)):
            self._ints[name] = array("i")
        for name in _BOOL:
            self._ints[name] = array("b")
        for name in _CODED:
            codes = self.coded.get(name)
            if codes is None:
                self.coded[name] = _Codes()
            else:  # a spilled chunk's codes go, the table stays (later rows use it)
                codes.codes = array("i")

    @property
    def ints(self) -> dict[str, array]:
        """The integer columns of every row (spilled rows are read back first)."""
        self.unspill()
        return self._ints

    def spill_to(self, directory: Any) -> None:
        """From now on, every :data:`SPILL_ROWS` rows go to an unnamed temporary file in
        ``directory`` (deleted as it is created), until the columns are needed: ~116
        bytes an example leave memory during the stream (50 MB at 1 GB of input). The
        rows hold counts, line numbers and hashes of output rows, never text."""
        if self._spill is None:
            import tempfile

            self._spill = tempfile.TemporaryFile(  # noqa: SIM115 - closed by unspill()
                dir=directory, prefix=".ftprep-stats-")

    def _park(self) -> None:
        """Write the rows held in memory to the spill file and forget them."""
        import pickle

        rows = len(self._ints["line"])
        chunk = ([a.tobytes() for a in self._ints.values()],
                 [c.codes.tobytes() for c in self.coded.values()],
                 bytes(self.hashes), self.has_hash.tobytes())
        pickle.dump(chunk, self._spill, protocol=pickle.HIGHEST_PROTOCOL)
        self._spilled += rows
        self._ints = {}
        self.__post_init__()
        self.hashes = bytearray()
        self.has_hash = array("b")

    def unspill(self) -> None:
        """Read the spilled rows back (in front of those in memory); spilling stops."""
        spill, self._spill = self._spill, None
        if spill is None:
            return
        import pickle

        try:
            spill.flush()
            spill.seek(0)
            ints = {name: array(a.typecode) for name, a in self._ints.items()}
            codes = {name: array("i") for name in self.coded}
            hashes, has_hash = bytearray(), array("b")
            while True:
                try:  # our own chunks, written by _park in this process
                    int_parts, code_parts, chunk_hashes, chunk_has = pickle.load(spill)  # noqa: S301
                except EOFError:
                    break
                for column, part in zip(ints.values(), int_parts, strict=True):
                    column.frombytes(part)
                for column, part in zip(codes.values(), code_parts, strict=True):
                    column.frombytes(part)
                hashes += chunk_hashes
                has_hash.frombytes(chunk_has)
        finally:
            spill.close()
        for name, column in ints.items():
            column.extend(self._ints[name])
        for name, column in codes.items():
            column.extend(self.coded[name].codes)
            self.coded[name].codes = column
        hashes += self.hashes
        has_hash.extend(self.has_hash)
        self._ints, self.hashes, self.has_hash, self._spilled = ints, hashes, has_hash, 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame's column names, in order."""
        return (*BASE_COLUMNS, *(f"pii_{t}" for t in self.entity_types))

    def add(self, rec: Record, content_hash: str | bytes, entity_counts: Mapping[str, int]) -> None:
        s = rec.stats
        ints = self._ints
        self.coded["source"].append(rec.source)
        self.coded["split"].append(rec.split.value if rec.split else "rejected")
        self.coded["format"].append(rec.format)
        self.coded["roles"].append(s.get("roles", ""))
        ints["line"].append(rec.line)
        for name in ("n_messages", "total_tokens", "trained_tokens", "largest_message_tokens",
                     "tool_calls", "weight0", "empty_assistant", "special_token_hits", "simhash"):
            ints[name].append(s.get(name, 0))
        for name in _BOOL:
            ints[name].append(bool(s.get(name, False)))
        ints["residual_identifiers"].append(0)
        ints["pii_total"].append(sum(entity_counts.values()))
        for t in self.entity_types:
            ints[f"pii_{t}"].append(entity_counts.get(t, 0))
        digest = bytes.fromhex(content_hash) if isinstance(content_hash, str) else content_hash
        if digest:
            if len(digest) != HASH_BYTES:
                raise ValueError(f"content_hash must be {HASH_BYTES} bytes")
            self.hashes += digest
        self.has_hash.append(bool(digest))
        if self._spill is not None and len(ints["line"]) >= SPILL_ROWS:
            self._park()

    def set_residual(self, index: int, count: int) -> None:
        self.ints["residual_identifiers"][index] = count

    def __len__(self) -> int:
        return self._spilled + len(self._ints["line"])

    def nbytes(self) -> int:
        """Memory held by the columns (without the small code tables; spilled rows are
        on disk, not counted)."""
        return (sum(a.itemsize * len(a) for a in self._ints.values())
                + sum(c.codes.itemsize * len(c.codes) for c in self.coded.values())
                + len(self.hashes) + len(self.has_hash))

    def _hex_hashes(self) -> Any:
        """The content_hash column: 32 hex digits, or "" for rows without a hash."""
        import numpy as np
        import pyarrow as pa

        lengths = np.frombuffer(self.has_hash, dtype=np.int8).astype(np.int32) * (2 * HASH_BYTES)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        data = self.hashes.hex().encode("ascii")
        return pa.Array.from_buffers(pa.string(), len(lengths),
                                     [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])

    def frame(self, release: bool = False,
              source_names: Callable[[str], str] | None = None) -> Any:
        """The pandas DataFrame of the rows added so far.

        ``release`` empties the collector as the frame is built: the typed arrays the frame
        copies (int32, bool, codes, hashes) are freed instead of kept beside it, which
        matters once the input is large (about 100 bytes per example). ``source_names``
        says how the ``source`` column (and ``example_id``) names each input file (default:
        its path, made printable: a file name that is not UTF-8 gets ``\\xNN`` escapes)."""
        self.unspill()
        out = self._frame(source_names or printable_name)
        if release:
            self.__post_init__()  # fresh, empty columns
            self.hashes = bytearray()
            self.has_hash = array("b")
        return out

    def _frame(self, source_names: Callable[[str], str]) -> Any:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype
        n = len(self)
        data: dict[str, Any] = {}
        strings = {name: codes.arrow(source_names if name == "source" else None)
                   for name, codes in self.coded.items()}
        lines = np.frombuffer(self.ints["line"], dtype=np.int64) if n else np.zeros(0, np.int64)
        data["example_id"] = pc.binary_join_element_wise(
            strings["source"], pc.cast(pa.array(lines), pa.string()), ":")
        for name in self.columns[1:]:
            if name in strings:
                data[name] = strings[name]
            elif name == "content_hash":
                data[name] = self._hex_hashes()
            else:
                col = self.ints[name]
                data[name] = (np.frombuffer(col, dtype=np.int8).astype(bool) if name in _BOOL
                              else np.asarray(col, dtype=np.int64))
        return pd.DataFrame({name: pd.Series(values, dtype=text) if isinstance(values, pa.Array)
                             else values for name, values in data.items()}, copy=False)


def iter_strings(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
