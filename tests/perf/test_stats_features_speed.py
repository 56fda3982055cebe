"""The faster per-example paths give exactly the bytes and values of their plain definitions.

SimHash (set-difference digest memo, copied BLAKE2b state, one-axis vote count) against a
bit-by-bit reference; ``io.dumps`` (orjson where it writes alike) against ``json.dumps``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.io import _orjson_writes_alike, _shape, dumps
from ftprep.records import Record
from ftprep.stats import _DigestMemo, example_features, simhash64
from ftprep.validate import _special_tokens

_WORD = re.compile(r"\w+")


def reference_simhash(text: str) -> int:
    """Distinct lower-cased \\w+ words; each word's BLAKE2b-64 votes +1/-1 on every bit."""
    votes = [0] * 64
    for word in set(_WORD.findall(text.lower())):
        value = int.from_bytes(
            hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
        for bit in range(64):
            votes[bit] += 1 if value >> bit & 1 else -1
    out = sum(1 << bit for bit in range(64) if votes[bit] > 0)
    return out - (1 << 64) if out >= 1 << 63 else out


def reference_dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# Values of the code before this change (ftprep/stats.py at 45e2409): the column must not move.
PINNED = {
    "": 0,
    "Hello world": 13723176454590477,
    "The VM restarted at 03:14; az vm restart --name web-01 failed.": 7350480732963982974,
    "Straße İstanbul café naïve 東京 \u212a": -696947727660464159,
    "a\ud800b x_y ٣٤ ǅemal": -4489430266124220570,
    "alpha beta": 1370290558190749834,
    "Ünïcödé ΣΊΣΥΦΟΣ ﬁle 𝐀𝐁 x²": 7319877546135907359,
}


@pytest.mark.parametrize("text", sorted(PINNED))
def test_simhash_values_are_pinned(text: str) -> None:
    assert simhash64(text) == PINNED[text] == reference_simhash(text)


TRICKY = st.sampled_from(list("aAzZ_09 -.\n\t\x0b\x1cİıſßΣς\u00e9\u0301\u212a\ud800€→’ǅ٣𝐀\u00a0"))


def test_simhash_of_sample_lines_and_edges() -> None:
    texts = [line.decode("utf-8", "replace") for line in
             (SAMPLE / "support_chat.jsonl").read_bytes().splitlines()[:80]]
    texts += ["", " ", "a", "A a", "x y", "x y z", "é É ß", "_ __", "\ud800", "a\udfffb c",
              "Straße İstanbul café naïve 東京 \u212a", " ".join(f"w{i}" for i in range(3000))]
    for text in texts:
        assert simhash64(text) == reference_simhash(text)


def test_simhash_ties_are_unset() -> None:
    """Two words that disagree on a bit leave it unset (2 * votes > n, not >=)."""
    a, b = b"alpha", b"beta"
    da = int.from_bytes(hashlib.blake2b(a, digest_size=8).digest(), "big")
    db = int.from_bytes(hashlib.blake2b(b, digest_size=8).digest(), "big")
    both = da & db
    assert simhash64("alpha beta") == (both - (1 << 64) if both >> 63 else both)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.text(TRICKY, max_size=60)
       | st.lists(st.sampled_from(["ab", "cd", "ef", "É", "x1"]), max_size=12).map(" ".join))
def test_simhash_matches_reference(text: str) -> None:
    assert simhash64(text) == reference_simhash(text)


def test_memo_generations_give_the_same_digests() -> None:
    memo = _DigestMemo(generation=3)
    for i in range(40):
        words = {f"w{i % 7}".encode(), f"v{i}".encode(), b"common", "é".encode()}
        assert memo.joined(words) == b"".join(
            hashlib.blake2b(w, digest_size=8).digest() for w in words)
        assert len(memo.young) < 3 + 4 and len(memo.old) < 3 + 4


def test_example_features_simhash_is_user_and_assistant_text() -> None:
    obj = {"messages": [{"role": "system", "content": "sys words"},
                        {"role": "user", "content": "Hello there"},
                        {"role": "assistant", "content": [{"type": "text", "text": "général"}]}]}
    assert example_features(obj, "chat")["simhash"] == reference_simhash("Hello there général")


# --- dumps -------------------------------------------------------------------------------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.text()
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.sampled_from([1e16, 1e-5, -0.0, 1.5, 2**64 - 1, -(2**63), 2**64, -(2**63) - 1,
                               "\x00\x1f\x7f\u2028\ud800 \"\\/", "\U0001f600"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    | st.dictionaries(st.integers(0, 3) | st.booleans(), inner, max_size=2),
    max_leaves=20)


def _both(obj: Any) -> tuple[Any, Any]:
    out = []
    for fn in (dumps, reference_dumps):
        try:
            out.append(fn(obj))
        except Exception as exc:  # noqa: BLE001 - the same failure is part of the contract
            out.append(type(exc))
    return out[0], out[1]


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_dumps_is_json_dumps(obj: Any) -> None:
    new, ref = _both(obj)
    assert new == ref


@pytest.mark.parametrize("obj", [
    {"a": 1.0}, [1e16], {"k": [1, {"x": float("nan")}]}, {1: "int key"}, {True: 1},
    [2**64], ["\ud800"], {"t": (1, 2)}, [{"deep": [[[[[]]]]]}], "plain", 7, None,
])
def test_dumps_edge_values(obj: Any) -> None:
    new, ref = _both(obj)
    assert new == ref


def test_dumps_of_deep_and_circular_values() -> None:
    deep: Any = "x"
    for _ in range(300):  # deeper than orjson goes: json writes it
        deep = [deep]
    assert dumps(deep) == reference_dumps(deep)
    loop: list[Any] = []
    loop.append(loop)
    assert not _orjson_writes_alike(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps(loop)


def test_dumps_of_sample_records() -> None:
    lines = (SAMPLE / "support_chat.jsonl").read_bytes().splitlines()
    for line in lines:
        obj = json.loads(line)
        assert dumps(obj) == reference_dumps(obj)
        assert dumps({"source": "f", "line": 3, "record": obj}) == reference_dumps(
            {"source": "f", "line": 3, "record": obj})


# --- parse and validate walks (exact-type fast paths) ---------------------------------------

def reference_shape(obj: Any, limit: int) -> tuple[bool, int, bool]:
    """(deeper than limit, object keys, holds a float), by recursion with isinstance."""
    def walk(v: Any, depth: int) -> tuple[bool, int, bool]:
        if not isinstance(v, (dict, list)):
            return False, 0, isinstance(v, float)
        if depth > limit:
            return True, 0, False
        keys = len(v) if isinstance(v, dict) else 0
        deep = has_float = False
        for child in (v.values() if isinstance(v, dict) else v):
            d, k, f = walk(child, depth + 1)
            deep, keys, has_float = deep or d, keys + k, has_float or f
        return deep, keys, has_float
    if not isinstance(obj, (dict, list)):
        return limit < 1, 0, isinstance(obj, float)
    return walk(obj, 1)


class _Str(str):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


class _Map(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_shape_counts_keys_and_floats(obj: Any) -> None:
    deep, keys, has_float = _shape(obj, 64)
    assert not deep
    assert (keys, has_float) == reference_shape(obj, 64)[1:]


def test_shape_of_subclasses_and_depth() -> None:
    obj = {"a": [_Dict(x=1.5)], "b": True, "c": [[[1]]]}
    assert _shape(obj, 64) == (False, 4, True) == reference_shape(obj, 64)
    assert _shape(obj, 4) == (False, 4, True)
    assert _shape(obj, 3)[0] is True  # [[[1]]] under "c" is 4 deep; the walk stops there
    assert _shape([True, 2, "x", None], 1) == (False, 0, False)
    assert _shape(2.5, 1) == (False, 0, True)


def _tokens_of(obj: Any) -> tuple[list[str], int | None]:
    rec = Record(source="f", line=1, raw=b"")
    _special_tokens(rec, obj)
    return [f.message for f in rec.findings], rec.stats.get("special_token_hits")


def test_special_tokens_found_wherever_they_are() -> None:
    assert _tokens_of({"messages": [{"content": "no tokens <| here"}]}) == ([], None)
    nested = {"m": [{"c": "a <|endoftext|> b"}, [_Str("x<|fim_prefix|>")]],
              "k": _Map({"z": "<|endofprompt|>"}), "d": _Dict(y=("t", "<|fim_middle|>"))}
    messages, hits = _tokens_of(nested)
    assert hits == 3  # the tuple is not walked (as before): lists and mappings only
    assert messages == ["text contains special token(s) <|endofprompt|>, <|endoftext|>, "
                        "<|fim_prefix|>"]
