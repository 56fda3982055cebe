"""A long key or token wrapped onto the next line keeps being a secret there (audit repro_18)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"
CONN = ("DefaultEndpointsProtocol=https;AccountName=stcontoso01;\n"
        "AccountKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss\n"
        "LS4vMDEyMzQ1Njc4OTo7PD0+Pw==;EndpointSuffix=core.windows.net")
CURL = ("curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODk\\\n"
        "  wIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'"
        " https://api.contoso.com")


def secrets(text: str) -> list[str]:
    return [text[s.start : s.end] for s in DET.spans(text) if s.etype == "SECRET"]


def test_wrapped_account_key() -> None:
    assert secrets(CONN) == ["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss",
                             "LS4vMDEyMzQ1Njc4OTo7PD0+Pw=="]


def test_token_continued_after_backslash_newline() -> None:
    assert secrets(CURL)[1] == "wIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"


@pytest.mark.parametrize("text", [
    "password=abcdefghijklmnopqrstuvwxyz0123456789\nThe next line is text",  # no digit or "=" in the word
    "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789abcd==\nversion2024 next",  # the key ended in its padding
    "password=short1\nabcdefgh12345",  # a short value is not a wrapped key
    "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789\n\nabcdefgh12345",  # a blank line between
    "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789 \nabcdefgh12345",  # a space before the break
])
def test_near_misses(text: str) -> None:
    assert len(secrets(text)) == 1


def test_both_parts_redacted_layout_kept() -> None:
    out = Pseudonymizer(KEY).transform_text(CONN).value
    assert "AccountKey=[REDACTED]\n[REDACTED];EndpointSuffix=core.windows.net" in out
