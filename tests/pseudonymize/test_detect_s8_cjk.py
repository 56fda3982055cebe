"""A letter of a script written without spaces (CJK, kana, hangul, Thai) next to an identifier
is a word boundary for the detectors (audit repro_12)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"


def found(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


@pytest.mark.parametrize(("text", "expected"), [
    ("请联系jane.doe@contoso.com获取帮助", ("EMAIL", "jane.doe@contoso.com")),
    ("好的，服务器52.170.13.4已重启", ("IPV4", "52.170.13.4")),
    ("サブスクリプション4c5fde8d-fff2-48fe-86ef-05fdb517ecfaが無効です", ("GUID", "4c5fde8d-fff2-48fe-86ef-05fdb517ecfa")),
    ("电话+86 10 6552 9988谢谢", ("PHONE", "+86 10 6552 9988")),
    ("主机web01.contoso.com已重启", ("HOSTNAME", "web01.contoso.com")),
    ("地址2001:4860:4860::8888已", ("IPV6", "2001:4860:4860::8888")),
    ("卡号4111111111111111已", ("CREDIT_CARD", "4111111111111111")),
    ("이메일jane.doe@contoso.com으로", ("EMAIL", "jane.doe@contoso.com")),
    ("อีเมลjane.doe@contoso.comครับ", ("EMAIL", "jane.doe@contoso.com")),
])
def test_identifier_inside_spaceless_text(text: str, expected: tuple[str, str]) -> None:
    assert found(text) == [expected]


@pytest.mark.parametrize("text", [
    "ab52.170.13.4",  # a Latin or Greek letter is still part of the word
    "Zoë52.170.13.4",
    "Ω4c5fde8d-fff2-48fe-86ef-05fdb517ecfa",
])
def test_other_letters_still_glue(text: str) -> None:
    assert [t for t, _v in found(text) if t in ("EMAIL", "IPV4", "GUID")] == []


def test_offsets_and_replacement_keep_the_cjk_text() -> None:
    p = Pseudonymizer(KEY)
    fake = p.transform_text("mail jane.doe@contoso.com").value.split()[-1]
    assert p.transform_text("请联系jane.doe@contoso.com获取帮助").value == f"请联系{fake}获取帮助"
    # a URL keeps running through CJK letters as before (an IRI path)
    assert found("见https://contoso.com/a获取") == [("URL", "https://contoso.com/a获取")]
