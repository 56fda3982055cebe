"""The detector speed-ups must not change what is detected.

* Phone numbers made of digits and separators are built without ``phonenumbers.parse``:
  checked against the library itself (the reference), over random and hypothesis inputs.
* The regex detectors: their output over a seeded corpus of identifier-like texts is pinned
  (a digest of every span list, taken before the speed work). A deliberate detection change
  must update the digest; a speed-up must not.
"""

from __future__ import annotations

import hashlib
import random
import string

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.pseudonymize import detect as D
from ftprep.pseudonymize.config import PseudonymizeConfig
from ftprep.pseudonymize.detect import (
    _GUID_CONTEXT,
    Detector,
    PhoneMemo,
    guid_context,
    library_phone_parse,
    phone_parse,
)

REGIONS = ("US", "GB", "DE", "IT", "FR", "BR", "IN", "AU", "JP", "RU", "AR", "MX", "NL", "CN", "ZA")


def _assert_same(value: str, region: str) -> None:
    expected = library_phone_parse(value, region)
    assert phone_parse(value, region) == expected, (value, region)
    valid = expected is not None and phonenumbers.is_valid_number(expected)
    assert PhoneMemo(region).get(value) == (expected, valid), (value, region)


_SEPARATOR = st.sampled_from(["", "", "", " ", "-", ".", "(", ")", "\u00a0", "  "])
_GROUP = st.text(alphabet=string.digits, min_size=1, max_size=5)
_PHONE_LIKE = st.builds(
    lambda prefix, groups, seps: prefix + "".join(s + g for g, s in zip(groups, seps, strict=False)),
    st.sampled_from(["", "", "+", "00", "0", "1", "+1", "+44", "(", "+(", "011", "8"]),
    st.lists(_GROUP, min_size=1, max_size=6),
    st.lists(_SEPARATOR, min_size=6, max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(_PHONE_LIKE, st.sampled_from(REGIONS))
def test_phone_fast_path_equals_phonenumbers_parse(value: str, region: str) -> None:
    _assert_same(value, region)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789 .-()+\u00a0x#/", max_size=24), st.sampled_from(REGIONS))
def test_phone_parse_of_any_digit_soup_equals_phonenumbers_parse(value: str, region: str) -> None:
    _assert_same(value, region)


def test_phone_fast_path_over_every_region_and_country_code() -> None:
    rng = random.Random(11)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS) + ["ZZ", "us"]
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for i in range(4000):
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 19)))
        if i % 3 == 0:  # a real country code or national prefix in front, often
            digits = rng.choice([str(rng.choice(codes)), "0", "00", "1", "011", "8", "810"]) + digits
        cut = sorted(rng.sample(range(len(digits) + 1), k=min(3, len(digits) + 1)))
        value = " ".join(digits[a:b] for a, b in zip([0, *cut], [*cut, len(digits)], strict=True) if a < b)
        value = rng.choice(["", "", "+", "00", "("]) + value
        _assert_same(value, rng.choice(regions))


def test_phone_fast_path_known_numbers() -> None:
    for value, region in (("(425) 555-0100", "US"), ("425.555.0100", "US"), ("1 425 555 0100", "US"),
                          ("+1 425 555 0100", "US"), ("0044 20 7946 0958", "US"),
                          ("020 7946 0958", "GB"), ("06 12 34 56 78", "FR"), ("02 1234 5678", "IT"),
                          ("+39 02 1234 5678", "US"), ("011 44 20 7946 0958", "US"),
                          ("0030\u00a0210\u00a01234567", "DE"), ("555-0100", "US"), ("+44 (0)20 7946 0958", "US"),
                          ("+33 (0)1 99 00 79 48", "GB"), ("+61 (0)2 5550 6166", "US"), ("+39 0 6 1234 5678", "IT"),
                          ("0 20 7946 0958", "GB"), ("(0)20 7946 0958", "GB"), ("+7 8 495 123 45 67", "RU")):
        _assert_same(value, region)


# -- pinned detector output ------------------------------------------------------------------
FRAGMENTS = (
    "425-555-0100", "(425) 555 0100", "+1 425 555 0100", "+44 20 7946 0958", "0044 20 7946 0958",
    "020 7946 0958", "555.0100", "phone: 4255550100", "call me at 425 555 0100 x12", "ext. 4411",
    "2024-05-01", "2024-05-01 12:30:45", "01/05/2024", "12:30", "1.2.3.4", "10.0.0.4", "v1.2.3.4",
    "version 10.0.19045.1", "192.168.1.254", "8.8.8.8:53", "256.1.1.1", "010.1.1.1", "168.63.129.16",
    "123-45-6789", "078-05-1120", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005",
    "ticket 4111111111111111", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
    "NL91ABNA0417164300", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "{3FA85F64-5717-4562-B3FC-2C963F66AFA6}",
    "00000000-0000-0000-0000-000000000000", "subscription id: ", "tenant ", "client_id=", "x-ms-request-id: ",
    "jane.doe@contoso.com", "a@b.co", "first.last+tag@mail.example.org", "@mention", "user@host",
    "https://portal.contoso.com/a/b?c=1&d=2).", "http://10.0.0.4:8080/x", "ftp://files.example.net/",
    "see (https://x.io/a_(b)).", "srv01.corp.internal", "main.rs", "api.contoso.co.uk", "*.contoso.com",
    "Microsoft.Compute", "System.IO.File", "db.prod.local.", "host-1.example.com.", "a.b.c.d.e.com",
    "00:1A:2B:3C:4D:5E", "00-1A-2B-3C-4D-5E", "001a.2b3c.4d5e", "ff:ff:ff:ff:ff:ff", "fe80::1",
    "2001:db8::1", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "std::vector", "::1", "a::b::c",
    "vm-pos-dev-04", "kv-contoso-api-test", "rg-prod-eastus-01", "my-rg-prod-x", "st-a-b", "aks-x1-y2",
    "stcontosodata01", "storage account stprodlogs22", "key vault kv01", "AccountName=mystore01;",
    "AccountKey=abc123def456ghi789==;", "password: hunter2!", "Bearer eyJhbGciOi.eyJzdWIiOiIx.sig12345678",
    "sig=abcdefghij1234%2B", "sk-proj-abcdefghijklmnopqrstuvwx", "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a1" * 18, "/subscriptions/3fa85f64-5717-4562-b3fc-2c963f66afa6/resourceGroups/rg-x/",
    "build 20240501.3", "kb5031234", "#12345678", "id=98765432", "0x7fff5fbff8c8", "1e10", "3.14159265",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "${SECRET}", "<redacted>",
)
_GLUE = (" ", " ", " ", ", ", ". ", "\n", "-", "/", ":", "=", "(", ")", "'", '"', "_", ".", "@", "#", "x",
         "\u00a0", " the ", " a1 ", "\t")


def _mutate(rng: random.Random, frag: str) -> str:
    """A fragment with one character changed, cut or doubled, now and then."""
    if not frag or rng.random() < 0.6:
        return frag
    i = rng.randrange(len(frag))
    op = rng.randrange(4)
    if op == 0:
        return frag[:i] + rng.choice("0123456789abcdefABCDEF.-:@ /") + frag[i + 1:]
    if op == 1:
        return frag[:i] + frag[i + 1:]
    if op == 2:
        return frag[:i] + frag[i] + frag[i:]
    return frag[i:]


def identifier_texts(seed: int, count: int) -> list[str]:
    """Seeded texts dense in identifier-like fragments, glue and near misses."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 10)):
            if rng.random() < 0.15:
                parts.append("".join(rng.choice("0123456789abcdef-.:") for _ in range(rng.randint(1, 40))))
            else:
                parts.append(_mutate(rng, rng.choice(FRAGMENTS)))
            parts.append(rng.choice(_GLUE))
        texts.append("".join(parts[: len(parts) - rng.randint(0, 1)]))
    return texts


def detect_digest(detector: Detector, texts: list[str], resolved: bool = False) -> str:
    """A digest of ``detector.detect`` (``resolved``: ``detector.spans``) over ``texts``."""
    find = detector.spans if resolved else detector.detect
    h = hashlib.sha256()
    for text in texts:
        h.update(repr(find(text)).encode("utf-8"))
    return h.hexdigest()


CONFIGS: dict[str, dict[str, object]] = {
    "default": {},
    "gb": {"default_region": "GB"},
    "policy": {"default_region": "IT", "keep_special_ips": False, "version_context": False,
               "allow_values": ("jane.doe@contoso.com", "main.rs"), "allow_patterns": (r"vm-.*", r"10\..*")},
}
# Taken with the detector as it was before the speed work (commit 983df55).
PINNED = {
    "default": "683534c20ed27263dacb72a1534412aec4508efd3de80596bf4234a92adcfab7",
    "gb": "d98af0d6b514171905eff6afa2a5e5c89a5756b2ab3e536c6a1b4a4341b6b5a4",
    "policy": "47c03dcc1a4745e868025f2abddc4b6d01e780d95269d11bb06788b24face274",
}


def test_detect_output_is_pinned() -> None:
    texts = identifier_texts(2026, 3000)
    for name, kwargs in CONFIGS.items():
        detector = Detector(PseudonymizeConfig(**kwargs))  # type: ignore[arg-type]
        assert detect_digest(detector, texts) == PINNED[name], name


def _guid_context_reference(text: str, start: int) -> str:
    """The context word whose last occurrence in the window starts last (first listed wins)."""
    window = text[max(0, start - 48) : start].lower()
    best, best_pos = "", -1
    for word, kind in _GUID_CONTEXT:
        pos = window.rfind(word)
        if pos > best_pos:
            best, best_pos = kind, pos
    return best


def test_guid_context_equals_reference() -> None:
    rng = random.Random(3)
    pieces = [w for w, _ in _GUID_CONTEXT] + [w.upper() for w, _ in _GUID_CONTEXT] + [
        " ", ": ", "=", "-", "_", "\u0130", "void", "android", "traceback", "subtenant", "objectidx", "a", "\u03a3"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for start in (len(text), max(0, len(text) - rng.randint(0, 10))):
            assert guid_context(text, start) == _guid_context_reference(text, start), (text, start)


_CONTEXT_PIECES = st.sampled_from([
    "ticket", "Case", "ORDER", "sr", "ref", "reference", "no.", "No", "number", "#", "id", ":", "=", " ", "  ",
    "\n", "\t", "phone", "Tel", "call", "me", "at", "fax:", "reach", "my", "cell", ",", "-", "(", "é", "\u017f",
    "\u212a", "\u0131", "\u0130", "x", "1", "_", "whatsapp", "contact", "sms", "issue", "job", "invoice",
])


@settings(max_examples=600, deadline=None)
@given(st.lists(_CONTEXT_PIECES, max_size=14), st.integers(min_value=0, max_value=6))
def test_reversed_context_patterns_equal_forward_search(pieces: list[str], cut: int) -> None:
    text = "".join(pieces)
    end = max(0, len(text) - cut)
    for forward, reverse in ((D._TICKET_BEFORE, D._TICKET_BEFORE_REV), (D._PHONE_CONTEXT, D._PHONE_CONTEXT_REV)):
        expected = forward.search(text, max(0, end - 40), end) is not None
        assert D._said_before(reverse, text, end) == expected, (text, end, forward.pattern)


def _version_before_reference(text: str, start: int) -> bool:
    pre = text[max(0, start - 24) : start].rstrip(" \t:=#").lower()
    i = len(pre)
    while i > 0 and (pre[i - 1].isalpha() or pre[i - 1] == "."):
        i -= 1
    word = pre[i:]
    return word in D._VERSION_WORDS or word.endswith(("agent", "version"))


def test_version_before_equals_reference() -> None:
    rng = random.Random(4)
    pieces = ["v", "version", "Version ", "ver.", "build", "agent", "WALinuxAgent ", "os", "kb", "fw", " ", ":",
              "=", "#", "\t", ".", "a", "x", "\u00e9", "\u0130", "1", "dev", "server", "ip", " v", "driver"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        end = max(0, len(text) - rng.randint(0, 2))
        assert D.version_before(text, end) == _version_before_reference(text, end), (text, end)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789") + ["00", "+", "(", ")", " ", ".", "-", "\u00a0", "x", "ext",
                                                     "ext.", "/", "a", "e", "#", "=", ":", "\n", "_", "\u0663"]),
                max_size=30),
       st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_loose_phone_pattern_finds_something_wherever_phone_re_does(parts: list[str], a: int, b: int) -> None:
    text = "".join(parts)
    lo, hi = sorted((min(a, len(text)), min(b, len(text))))
    if next(D.PHONE_RE.finditer(text, lo, hi), None) is not None:
        assert D._PHONE_LOOSE.search(text, lo, hi) is not None, (text, lo, hi)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789 ().-") + ["a", "z", "Z", "/", ":", "\n", "\u00a0", "\u0663", "1234567",
                                                          "2024-05-01", "       ", "(425) 555-0100", "\u00e9", "\u00b2",
                                                          "_", "9876543210"]), max_size=40))
def test_digit_clusters_found_by_runs_equal_a_full_scan(parts: list[str]) -> None:
    text = "".join(parts)
    assert D._clusters_to_check(text) == _clusters_reference(text), text


def _clusters_reference(text: str) -> list[tuple[int, int, int]]:
    """The clusters the detector looks into: every match of the cluster pattern that holds at
    least 7 digits and does not follow a letter other than A-Z, with its digit count."""
    found = []
    for m in D._DIGIT_CLUSTER.finditer(text):
        start = m.start()
        if start and text[start - 1].isalpha() and not "A" <= text[start - 1] <= "Z":
            continue
        ndig = sum(1 for c in m.group() if c.isdigit())
        if ndig >= 7:
            found.append((start, m.end(), ndig))
    return found
