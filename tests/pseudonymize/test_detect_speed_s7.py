"""The seventh session's detector speed-ups must not change what is detected.

* ``Detector.spans`` over a seeded corpus of identifier-like texts is pinned (digests taken
  with the detector before these changes, commit da01751), like ``detect`` in
  ``test_detect_speed_equiv.py``.
* Each fast path equals the plain code it replaces: the grouped ``resolve_overlaps`` and the
  whole greedy, the word-folded secret-gate scan and the plain automaton over the lower-cased
  text, the TLD anchor and the old anchor plus its test, the memoized IPv6 facts and
  ``ipaddress``.
"""

from __future__ import annotations

import ipaddress
import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.pseudonymize import detect as D
from ftprep.pseudonymize.config import PseudonymizeConfig
from ftprep.pseudonymize.detect import RANK, Detector, Span, resolve_overlaps

from .test_detect_speed_equiv import CONFIGS, detect_digest, identifier_texts

# Taken with the detector as it was before this session's changes (commit da01751).
PINNED_SPANS = {
    "default": "40d3b4db55fbcf2c12688d1d6cff5b2258ab76a9240d1d9363796c80ba3c5d15",
    "gb": "4962dbea13c5570e4bd4d7d7e44fda28f13b3b45db0a35a1895f7c94fc951b6d",
    "policy": "202a0aac704526819fd2f93ede2f6eb0208735c8329bae046ae11219ff7df1d2",
}


def test_spans_output_is_pinned() -> None:
    texts = identifier_texts(2027, 3000)
    for name, kwargs in CONFIGS.items():
        detector = Detector(PseudonymizeConfig(**kwargs))  # type: ignore[arg-type]
        assert detect_digest(detector, texts, resolved=True) == PINNED_SPANS[name], name


# -- resolve_overlaps ---------------------------------------------------------------------------
_TYPES = sorted(RANK)


def _random_spans(rng: random.Random) -> list[Span]:
    spans = []
    for _ in range(rng.randint(0, 10)):
        start = rng.randint(0, 24)
        end = start + rng.choice([0, 1, 1, 2, 3, 4, 6, 9, -1])
        spans.append(Span(start, end, rng.choice(_TYPES[:5]), rng.choice(["", "a", "b"]), rng.random() < 0.5))
    if spans and rng.random() < 0.3:  # the same place and type, another sub: the first given wins
        spans.append(spans[rng.randrange(len(spans))]._replace(sub="z", keep=True))
    if spans and rng.random() < 0.2:
        spans.append(spans[rng.randrange(len(spans))])
    return spans


def test_grouped_resolution_equals_the_whole_greedy() -> None:
    rng = random.Random(17)
    for _ in range(30000):
        spans = _random_spans(rng)
        expected = D._resolve_greedy(spans)
        assert resolve_overlaps(spans) == expected, spans
        assert resolve_overlaps(iter(spans)) == expected, spans
        rng.shuffle(spans)
        assert resolve_overlaps(spans) == D._resolve_greedy(spans), spans


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-1, 12), st.sampled_from(_TYPES), st.sampled_from(["", "x"]),
                          st.booleans()), max_size=14))
def test_grouped_resolution_equals_the_whole_greedy_hypothesis(raw: list[tuple[int, int, str, str, bool]]) -> None:
    spans = [Span(s, s + n, t, sub, keep) for s, n, t, sub, keep in raw]
    assert resolve_overlaps(spans) == D._resolve_greedy(spans)


def test_grouped_resolution_keeps_a_typical_text() -> None:
    text = "mail jane@contoso.com at https://contoso.com/x or 10.0.0.4 and 3fa85f64-5717-4562-b3fc-2c963f66afa6"
    spans = Detector(PseudonymizeConfig()).detect(text)
    assert resolve_overlaps(spans) == D._resolve_greedy(spans)
    assert [s.etype for s in resolve_overlaps(spans)] == ["EMAIL", "URL", "IPV4", "GUID"]


# -- secret gates ---------------------------------------------------------------------------------
def _gate_hits_reference(text: str) -> list[tuple[int, int, int]]:
    """The plain scan: every gate in the lower-cased text (characters that lower-case to more
    than one kept as they are); in ASCII text only those that start a word, and "=="."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    hits = [(end, i, length) for end, (i, length) in D._SECRET_GATES.iter(low)]
    if not text.isascii():
        return hits
    last = len(D._SECRET_RULES) - 1
    return [(end, i, length) for end, i, length in hits
            if i == last or end - length + 1 == 0 or not (text[end - length].isalnum() or text[end - length] == "_")]


_GATE_PIECES = st.sampled_from([
    "password", "Password", "secret", "client-secret", "client secret", "client_secret", "clientSecret", "api-key",
    "api key", "API_KEY", "apikey", "sig=", "sig ", "sig-", "SIG=", "Bearer", "basic", "eyJ", "sk-", "sk_", "xoxb-",
    "xoxb ", "glpat-", "glpat_", "-----BEGIN", "----- begin", "======", "==", "=", "key vault", "key-vault",
    "keyvault", "vault", "storage account", "storage-account", "Storage  Account", "account name", "accountname=",
    "AccountName=", "accountname ", "Ocp-Apim-Subscription-Key", "ocp apim subscription key", "server", "database",
    "AKIA", "AIza", "ghp_", "github_pat_", " ", "_", "-", ".", ":", "/", "\n", "x", "1", "\u0130", "\u00e9", "\u212a",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_GATE_PIECES, max_size=16))
def test_secret_gate_hits_equal_the_plain_scan(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert D._secret_gate_hits(text) == _gate_hits_reference(text), text


# -- the TLD anchor -------------------------------------------------------------------------------
_OLD_TLD_ANCHOR = re.compile(r"\.[A-Za-z][A-Za-z0-9-]{0,22}[A-Za-z](?![\w-])")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["host", "contoso", "com", "net", "a", "Z9", "x-y", "_", ".", "..", "-", " ", "1",
                                 "\u00e9", "\u0663", "\u00b2", "core", "windows", "*.", "/"]), max_size=16))
def test_tld_anchor_equals_old_anchor_and_its_test(pieces: list[str]) -> None:
    text = "".join(pieces)
    n = len(text)
    expected = [m.span() for m in _OLD_TLD_ANCHOR.finditer(text)
                if not (m.end() < n and text[m.end()] == "." and m.end() + 1 < n and text[m.end() + 1].isalnum())]
    assert [m.span() for m in D._TLD_ANCHOR.finditer(text)] == expected, text


# -- IPv6 facts -----------------------------------------------------------------------------------
def _v6_reference(value: str) -> tuple[bool, int, bool]:
    try:
        ip = ipaddress.IPv6Address(value)
    except ValueError:
        return False, 0, False
    return True, len([g for g in re.split(r"[:.]", value) if g]), D.special_ip(ip)


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF:.", max_size=45))
def test_v6_facts_equal_ipaddress(value: str) -> None:
    assert D._v6_facts(value) == _v6_reference(value)


def test_v6_memo_answers_like_a_fresh_detector() -> None:
    text = "from 2001:db8::1 and fe80::1 and 2603:10a6:c601:dcd5::1c4 and ::ffff:41.190.95.61 or a::b, 1:2:3"
    warm = Detector(PseudonymizeConfig())
    first = warm.detect(text)
    assert warm.detect(text) == first == Detector(PseudonymizeConfig()).detect(text)
    assert [text[s.start:s.end] for s in first if s.etype == "IPV6"] == [
        "2001:db8::1", "fe80::1", "2603:10a6:c601:dcd5::1c4", "::ffff:41.190.95.61"]
    small = Detector(PseudonymizeConfig())
    for i in range(D._V6_MEMO_SIZE + 10):  # the memo is bounded
        small.detect(f"addr 2603:10a6:c601:{i:x}::1")
    assert len(small._v6_memo) <= D._V6_MEMO_SIZE


# -- per-value memos (IPv4, host names, IPv6) ---------------------------------------------------------
def test_warm_detector_equals_fresh_detector() -> None:
    texts = identifier_texts(7, 300)
    for name, kwargs in CONFIGS.items():
        config = PseudonymizeConfig(**kwargs)  # type: ignore[arg-type]
        warm = Detector(config)
        for text in texts + texts[::-1]:  # the second time, every value is memoized
            assert warm.detect(text) == Detector(config).detect(text), (name, text)
        assert warm._ipv4_memo and warm._host_memo


def test_value_memos_are_bounded() -> None:
    detector = Detector(PseudonymizeConfig())
    for i in range(D._VALUE_MEMO_SIZE + 10):
        detector.detect(f"ip 10.{i // 250}.{i % 250}.7 at h{i}.contoso.com")
    assert 0 < len(detector._ipv4_memo) <= D._VALUE_MEMO_SIZE
    assert 0 < len(detector._host_memo) <= D._VALUE_MEMO_SIZE


# -- anchors rewritten for speed ----------------------------------------------------------------------
_OLD_CAF_ANCHOR = re.compile(r"-(?<=(?:" + "|".join(sorted({p[-2:] for p in D._CAF_PREFIXES})) + r")-)[a-z0-9]+-")
_OLD_STORAGE_NAME = re.compile(r"st[a-z]{6,20}\d{1,4}(?![\w-]|\.[a-z0-9])")


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["-", "--", "rg", "vm", "kv", "vmss", "cosmos", "st", "stprodlogs", "abcdefghijklmnopqrstuvwxyz",
                                 "x", "Q", "1", "22", "4444", "12345", ".", "/", "_", " ", "é", "\u0663", "prod", "01"]),
                max_size=18))
def test_rewritten_anchors_equal_the_old_patterns(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert [m.span() for m in D._CAF_ANCHOR.finditer(text)] == [m.span() for m in _OLD_CAF_ANCHOR.finditer(text)]
    assert [m.span() for m in D._STORAGE_NAME.finditer(text)] == [m.span() for m in _OLD_STORAGE_NAME.finditer(text)]
