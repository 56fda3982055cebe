"""The speed-ups must be exact: each fast path against the slow reference it replaces."""

from __future__ import annotations

import hmac
import itertools
import random
import string

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.pseudonymize import fakes as F
from ftprep.pseudonymize.config import PseudonymizeConfig
from ftprep.pseudonymize.detect import Detector, e164_parse, e164_valid, phone_parse, valid_number
from ftprep.pseudonymize.engine import _may_hold_identifier


def test_keyed_hasher_is_hmac_sha256() -> None:
    for key in (b"k" * 16, b"x" * 64, b"y" * 65, bytes(range(200))):
        h = F.KeyedHasher(key)
        for ns, norm, counter in (("GUID", "abc", 0), ("PERSON", "j\u00e4ne\udc80", 3), ("X", "", -1)):
            assert h.seed(ns, norm, counter) == F.keyed_seed(key, ns, norm, counter)
            msg = f"{ns}\x1f{norm}\x1f{counter}".encode("utf-8", "surrogatepass")
            assert h.digest(msg) == hmac.digest(key, msg, "sha256")
        assert h.oid("EMAIL", "a@b.c") == F.original_id(key, "EMAIL", "a@b.c")
        for digits in ("0", "12", "98765", "0001234567"):
            assert F.permute_digits(h, digits) == F.permute_digits(key, digits)


def _match_case_reference(template: str, word: str) -> str:
    letters = [c for c in template if c.isalpha()]
    if not letters:
        return word
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return word.upper()
    if all(c.islower() for c in letters):
        return word.lower()
    if letters[0].isupper():
        return word[:1].upper() + word[1:].lower()
    return word.lower()


def test_match_case_fast_path() -> None:
    for n in range(5):
        for chars in itertools.product("aB1-\u00e9", repeat=n):
            template = "".join(chars)
            for word in ("jos\u00e9", "McDonald", "X", ""):
                assert F.match_case(template, word) == _match_case_reference(template, word)


@settings(max_examples=500, deadline=None)
@given(template=st.text(alphabet=st.sampled_from("aZq1_-.\u00c9 \u00df"), max_size=6) | st.text(max_size=6),
       word=st.sampled_from(["harper", "LINDQVIST", "Anna-Lise", "o'neil", "x"]))
def test_match_case_equals_reference_on_any_template(template: str, word: str) -> None:
    assert F.match_case(template, word) == _match_case_reference(template, word)


def test_e164_numbers_built_without_parsing_equal_parsed_ones() -> None:
    rng = random.Random(7)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for _ in range(3000):
        nsn = "".join(rng.choice(string.digits) for _ in range(rng.randint(2, 14)))
        e164 = f"+{rng.choice(codes)}{'0' if rng.random() < 0.3 else ''}{nsn}"
        assert e164_parse(e164) == phone_parse(e164, "ZZ"), e164
        num = phone_parse(e164, "ZZ")
        assert e164_valid(e164) == (num is not None and phonenumbers.is_valid_number(num)), e164


def test_valid_number_equals_phonenumbers() -> None:
    rng = random.Random(8)
    checked = valid = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS)[::3]:
        example = phonenumbers.example_number(region)
        if example is None:
            continue
        nsn = phonenumbers.national_significant_number(example)
        for _ in range(25):
            keep = rng.randint(0, len(nsn))
            cand = nsn[:keep] + "".join(rng.choice(string.digits) for _ in range(len(nsn) - keep))
            num = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=int(cand))
            expected = phonenumbers.is_valid_number(num)
            assert valid_number(num) == expected, (region, cand)
            checked += 1
            valid += expected
    assert checked > 1000 and valid > 100


def test_resource_name_prefilter_never_hides_an_identifier() -> None:
    detector = Detector(PseudonymizeConfig())

    def spans_whole(name: str) -> bool:
        spans = [s for s in detector.spans(name) if s.etype != "AZURE_RESOURCE_ID"]
        return bool(spans and spans[0].start == 0 and spans[0].end == len(name))

    rng = random.Random(9)
    alphabet = string.ascii_letters + string.digits + "-_"
    names = ["sk-" + "a" * 25, "AKIA" + "A" * 16, "ghp_" + "a" * 36, "xoxb-" + "1" * 12,
             "AIza" + "b" * 35, "glpat-" + "c" * 22, "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
             "aa-bb-cc-dd-ee-ff", "DE89370400440532013000", "4255550100", "123-45-6789"]
    names += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(20000)]
    whole = [n for n in names if spans_whole(n)]
    assert len(whole) >= 10
    assert all(_may_hold_identifier(n) for n in whole)
