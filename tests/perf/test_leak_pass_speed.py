"""The leak pass's vectorized paths give exactly what the one-string-at-a-time rules give.

``_word_spans`` / ``_Words.of`` (the words of the scanned rows), ``encode`` (ASCII strings
shaped together in numpy), the anchor bitmap of ``_Part`` and the memoized ``HashSet``
are checked against simple references: ``_WORD.finditer``, :func:`_scalar_shape` per
string, ``np.isin`` and a Python set of hashes; ``encode`` is also pinned on a few values."""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprep.leak_pass import (
    _WORD,
    MEMO_SIZE,
    NAME_TYPES,
    HashSet,
    LeakDelta,
    _anchor_bitmap,
    _scalar_shape,
    _word_spans,
    _Words,
    encode,
    full_hash,
    lower_like_scanner,
)

# characters where lower-casing, isalnum or UTF-8 length are unusual: accents, final sigma,
# dotted I, ligatures, digits of other scripts, a combining mark, no-break space, lone
# surrogates, a 4-byte emoji, CJK
_ODD = list("aZ09_ -.:/@\n\t{}\"\\éÅßƒΣσςİıﬁﬂ½²٣\u0301\u00a0\ud800\udc00\U0001F600中文")
_TEXT = st.text(alphabet=st.one_of(st.sampled_from(_ODD), st.characters()), max_size=40)
_FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _reference_spans(text: str) -> tuple[list[bytes], list[int], list[int]]:
    found = list(_WORD.finditer(text))
    return ([m.group().encode("utf-8", "surrogatepass") for m in found],
            [m.start() for m in found], [m.end() for m in found])


def _check_spans(text: str) -> None:
    words, starts, ends = _word_spans(text)
    assert (words, starts.tolist(), ends.tolist()) == _reference_spans(text)
    assert starts.dtype == ends.dtype == np.int64


@_FAST
@given(_TEXT)
def test_word_spans_are_the_regex_words(text: str) -> None:
    _check_spans(text)


def test_word_spans_edge_cases() -> None:
    for text in ("", "a", "-", "\ud800", "a\ud800b", "ab\U0001F600cd", "中文 abc", "x" * 3000,
                 "½²٣ ß", "ﬁne\u00a0ﬂy", "é" * 5 + "-" + "a" * 5, "_a_b_", "\n\n"):
        _check_spans(text)


@_FAST
@given(st.lists(_TEXT, max_size=6))
def test_words_of_rows_joined(texts: list[str]) -> None:
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    row_end = np.cumsum(lengths + 1) - 1
    row_start = row_end - lengths
    lowered = "\n".join(map(lower_like_scanner, texts))
    words = _Words.of(lowered, row_start, row_end)
    expected, starts, _ends = _reference_spans(lowered)
    assert words.hashes.dtype == np.uint32
    assert words.hashes.tolist() == [zlib.crc32(w) for w in expected]
    rows = [sum(1 for s in row_start.tolist() if s <= start) - 1 for start in starts]
    assert words.row.tolist() == rows
    for r in range(len(texts)):
        assert words.row_lo[r] == sum(1 for x in rows if x < r)
        assert words.row_hi[r] == sum(1 for x in rows if x <= r)


def _reference_encode(originals: Mapping[str, list[str]], min_length: int, marker: str
                      ) -> tuple[list[tuple[Any, ...]], list[tuple[str, bool, int, int]]]:
    """``encode``'s rows, one string at a time (in the same order)."""
    rows: list[tuple[Any, ...]] = []
    wordless: list[tuple[str, bool, int, int]] = []
    for code, etype in enumerate(sorted(originals)):
        cased = etype in NAME_TYPES
        for value in originals[etype]:
            v = value.lower()
            if len(v) < min_length or v == marker.lower():
                continue
            key = full_hash(v)
            for variant in ({value, value.upper(), value.title()} if cased else (v,)):
                shaped = _scalar_shape(variant, cased)
                if shaped is None:
                    wordless.append((variant, cased, code, key))
                else:
                    rows.append((full_hash(variant), key, cased, code, *shaped))
    return rows, wordless


def _rows(delta: LeakDelta) -> list[tuple[Any, ...]]:
    cols = (delta.match, delta.key, delta.cased, delta.etype, delta.anchor, delta.alt,
            delta.shape, delta.sig)
    dtypes = (np.uint64, np.uint64, np.bool_, np.uint8, np.uint32, np.uint32, np.uint32, np.uint32)
    for col, dtype in zip(cols, dtypes, strict=True):
        assert col.dtype == dtype and col.ndim == 1
    return list(zip(*(c.tolist() for c in cols), strict=True))


_WORDY = st.lists(st.sampled_from(list("ab9Z_-. é߃ΣσςİﬁÅ\ud800²") + ["x1", "Jo", "12"]),
                  max_size=10).map("".join)


@_FAST
@given(st.dictionaries(st.sampled_from(["PERSON", "ORGANIZATION", "EMAIL", "GUID", "SECRET"]),
                       st.lists(st.one_of(_TEXT, _WORDY), max_size=8), max_size=5),
       st.integers(0, 5))
def test_encode_equals_one_string_at_a_time(originals: dict[str, list[str]], min_length: int) -> None:
    delta = encode(originals, {"EMAIL": ["X@Y.z"]}, min_length, "[REDACTED]")
    rows, wordless = _reference_encode(originals, min_length, "[REDACTED]")
    assert _rows(delta) == rows
    assert delta.wordless == wordless
    assert delta.fakes.tolist() == [full_hash("x@y.z")]


def test_encode_limits_ties_and_empty() -> None:
    values = ["", "ab", " " * 63 + "ab", " " * 64 + "ab", "ab" + "-" * 63, "ab" + "-" * 64,
              " ".join(["w"] * 1023), " ".join(["w"] * 1024), "---", "x" * 5000,
              "aa1 bb2 cc3", "12 34 ab", "abc 12345 x9", "a1b2 ccccc", "\ud800abc", "Σίσυφος ΣΊΣΥΦΟΣ",
              "i̇stanbul İSTANBUL", "o'neil mc-donald"]
    originals = {"PERSON": values, "EMAIL": values, "GUID": values}
    for min_length in (0, 4):
        delta = encode(originals, {}, min_length, "ab")
        rows, wordless = _reference_encode(originals, min_length, "ab")
        assert _rows(delta) == rows
        assert delta.wordless == wordless
    empty = encode({}, {}, 4, "[REDACTED]")
    assert _rows(empty) == [] and empty.fakes.dtype == np.uint64 and len(empty.fakes) == 0


def test_encode_pinned() -> None:
    """Values computed by the one-string-at-a-time code this replaced (names' variants are a
    set, so rows are compared sorted)."""
    delta = encode({"PERSON": ["Jane Doe", "Zoë Ångström"], "EMAIL": ["Jane.Doe84@Contoso.com"],
                    "GUID": ["0f8fad5b-d9cb-469f-a165-70867728950e"], "URL": ["(x)", "----"],
                    "SECRET": ["[redacted]"]}, {"PERSON": ["Mira Okafor"]}, 4, "[REDACTED]")
    assert delta.types == ["EMAIL", "GUID", "PERSON", "SECRET", "URL"]
    assert sorted(_rows(delta)) == [
        (482893002934296902, 1497510952088234758, True, 2, 4201429650, 4201429650, 8388608, 3124329253),
        (2570999661572805869, 2570999661572805869, False, 0, 2984411200, 2984411200, 16781312, 1060169237),
        (3806874813415730003, 3806874813415730003, False, 1, 1647545921, 1647545921, 20987904, 1073771401),
        (6333092841838853725, 565224623587114167, True, 2, 132560672, 132560672, 8392704, 3725997950),
        (8590742037344665147, 565224623587114167, True, 2, 132560672, 132560672, 8392704, 3725997950),
        (16921484971790707269, 1497510952088234758, True, 2, 4201429650, 4201429650, 8388608, 3124329253),
    ]
    assert delta.fakes.tolist() == [4594914865935608825]
    assert delta.wordless == [("----", False, 4, 9358297075405922827)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, (1 << 32) - 1), max_size=3000), st.integers(0, 1 << 20))
def test_anchor_bitmap_has_every_anchor(values: list[int], seed: int) -> None:
    anchors = np.unique(np.array(values + [0, (1 << 32) - 1][: seed % 3], dtype=np.uint32))
    shift, bitmap = _anchor_bitmap(anchors)
    assert len(bitmap) * 8 >= 8 * len(anchors)
    queries = np.concatenate([anchors, np.random.default_rng(seed).integers(
        0, 1 << 32, 2000, dtype=np.uint64).astype(np.uint32)])
    bit = queries >> np.uint32(shift)
    marked = (bitmap[bit >> np.uint32(3)] >> (bit & np.uint32(7)).astype(np.uint8) & 1).astype(bool)
    assert np.array_equal(marked, np.isin(bit, anchors >> np.uint32(shift)))


def test_hash_set_memo_and_fallbacks() -> None:
    members = [f"fake{i}@example.com" for i in range(50)]
    keys = np.unique(np.array([full_hash(m) for m in members], dtype=np.uint64))
    asked = members + [f"other{i}" for i in range(MEMO_SIZE + 10)] + members + ["", "\ud800"]
    expected = [q in set(members) for q in asked]
    for values in (keys, keys.astype(">u8"), np.repeat(keys, 2)[::2]):  # native, swapped, strided
        hs = HashSet(values)
        assert [q in hs for q in asked] == expected
        again = pickle.loads(pickle.dumps(hs))
        assert [q in again for q in asked[:60]] == expected[:60]
    assert 5 not in HashSet(keys)
    assert "fake1@example.com" not in HashSet(np.zeros(0, np.uint64))
