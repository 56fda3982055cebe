"""The fast SimHash path (byte-table word split, digest memo) against its definition."""

from __future__ import annotations

import hashlib
import re

import pytest
from helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.stats import (
    _ASCII_WORDS,
    _DigestMemo,
    _distinct_words,
    example_features,
    simhash64,
)

_WORD = re.compile(r"\w+")


def reference_simhash(text: str) -> int:
    """SimHash by its definition: distinct lower-cased \\w+ words, BLAKE2b-64 votes per bit."""
    words = set(_WORD.findall(text.lower()))
    votes = [0] * 64
    for w in words:
        value = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            votes[bit] += 1 if value >> bit & 1 else -1
    out = sum(1 << bit for bit in range(64) if votes[bit] > 0)
    return out - (1 << 64) if out >= 1 << 63 else out


# Values of the implementation before the fast path (pinned: the stats column must not move).
PINNED = {
    "": 0,
    "Hello world": 13723176454590477,
    "The VM restarted at 03:14; az vm restart --name web-01 failed.": 7350480732963982974,
    "Straße İstanbul café naïve 東京 \u212a": -696947727660464159,
    "a\ud800b x_y ٣٤ ǅemal": -4489430266124220570,
    "alpha beta": 1370290558190749834,
    "Ünïcödé ΣΊΣΥΦΟΣ ﬁle 𝐀𝐁 x²": 7319877546135907359,
}

TRICKY = st.sampled_from(list("aAzZ_09 -.\n\t\x0b\x1cİıſßΣς\u00e9\u0301\u212a\ud800€→’ǅ٣𝐀\u00a0"))


@pytest.mark.parametrize("text", sorted(PINNED))
def test_simhash_values_are_pinned(text: str) -> None:
    assert simhash64(text) == PINNED[text] == reference_simhash(text)


def test_ascii_table_is_the_word_regex_lowered() -> None:
    for c in range(128):
        ch = chr(c)
        want = ch.lower().encode() if _WORD.fullmatch(ch) else b" "
        assert _ASCII_WORDS[c:c + 1] == want, c


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80) | st.text(TRICKY, max_size=40)
       | st.lists(st.sampled_from(["ab", "cd", "ef", "É", "x1"]), max_size=12).map(" ".join))
def test_distinct_words_are_the_regex_words(text: str) -> None:
    assert _distinct_words(text) == {w.encode() for w in _WORD.findall(text.lower())}
    assert simhash64(text) == reference_simhash(text)


def test_digest_memo_is_bounded_and_exact() -> None:
    memo = _DigestMemo(generation=4)
    for i in range(50):
        words = {f"w{i}".encode(), f"w{i + 1}".encode(), b"common"}
        joined = memo.joined(words)
        assert joined == b"".join(hashlib.blake2b(w, digest_size=8).digest() for w in words)
        assert len(memo.young) < 4 and len(memo.old) <= 4 + 2


def test_example_features_one_pass() -> None:
    obj = {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"text": 3}]},
        {"role": "assistant", "content": " ", "weight": 0},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}, {"id": "2"}]},
        {"role": "tool", "content": "ok"},
        {"role": ["odd"], "content": "x"},
        {"role": "assistant", "content": "world"},
    ]}
    f = example_features(obj, "chat")
    assert f == {"n_messages": 7, "roles": "SUAAT?A", "has_system": True, "has_user": True,
                 "tool_calls": 2, "weight0": 1, "empty_assistant": 1,
                 "simhash": reference_simhash("Hello     world")}
    assert example_features({"prompt": "p", "completion": ""}, "completion")["empty_assistant"] == 1
    assert example_features(None, "chat")["simhash"] == 0


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
