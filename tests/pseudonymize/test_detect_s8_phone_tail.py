"""A phone number followed by a space and a digit or two ("+44 20 7946 0958 8am-6pm",
"(425) 555-0123 2 rings") is detected without the trailing digits (audit repro_11)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"


def phones(text: str) -> list[str]:
    return [text[s.start : s.end] for s in DET.spans(text) if s.etype == "PHONE"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Our hotline is +44 20 7946 0958 8am-6pm, or tel (425) 555-0123 2 rings then voicemail",
     ["+44 20 7946 0958", "(425) 555-0123"]),
    ("Call +44 20 7946 0958 3 times if no answer", ["+44 20 7946 0958"]),
    ("tel +44 20 7946 0958 12 x", ["+44 20 7946 0958"]),
    ("phone +1 425-555-0100 24h", ["+1 425-555-0100"]),
    ("tel +44 20 7946 0958", ["+44 20 7946 0958"]),  # unchanged
])
def test_number_without_the_trailing_digits(text: str, expected: list[str]) -> None:
    assert phones(text) == expected


@pytest.mark.parametrize("text", [
    "build 1234 5678 90 9a",  # no valid number without the tail either
    "tel 555 0123 2",  # too few digits once the tail is cut
    "id ab4255550123 2",  # glued to a word in front
    "v1.2.3 4am",
])
def test_near_misses(text: str) -> None:
    assert phones(text) == []


def test_fake_keeps_the_trailing_text() -> None:
    p = Pseudonymizer(KEY)
    fake = p.transform_text("my phone: +44 20 7946 0958").value.split(": ")[1]
    out = p.transform_text("Our hotline is +44 20 7946 0958 8am-6pm").value
    assert out == f"Our hotline is {fake} 8am-6pm" and fake != "+44 20 7946 0958"
