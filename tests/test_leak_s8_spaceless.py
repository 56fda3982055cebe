"""The leak check's word boundary next to scripts written without spaces (CJK, kana,
hangul, Thai...): an identifier is a hit right next to such a letter; a name is a hit
where the script changes. The hashed scan (prepare) and the automaton agree."""

from __future__ import annotations

import re
from collections.abc import Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprep.leak_pass import (
    _WORD,
    HashedLeakScanner,
    LeakIndex,
    _word_spans,
    boundary_ok,
    encode,
    spaceless_script,
)
from ftprep.pseudonymize import LeakScanner, PseudonymizeConfig

_CONFIG = PseudonymizeConfig()
_ORIGINALS: dict[str, set[str]] = {
    "EMAIL": {"jane.doe@contoso.com"},
    "GUID": {"4c5fde8d-fff2-48fe-86ef-05fdb517ecfa"},
    "IPV4": {"52.170.13.4"},
    "PERSON": {"Jane Doe", "山田太郎", "สมชาย ใจดี"},
    "ORGANIZATION": {"東方航空"},
}


def _hashed(originals: Mapping[str, set[str]]) -> HashedLeakScanner:
    index = LeakIndex()
    index.add(encode(originals, {}, _CONFIG.leak_min_length, _CONFIG.secret_marker))
    return index.scanner(_CONFIG)


_HASHED = _hashed(_ORIGINALS)
_AUTO = LeakScanner(_ORIGINALS, {}, _CONFIG)


def _both(text: str) -> list[tuple[int, int, str]]:
    hashed, auto = _HASHED.find(text), _AUTO.find(text)
    assert hashed == auto
    return hashed


def test_identifiers_next_to_cjk_are_hits() -> None:
    text = "请联系jane.doe@contoso.com获取帮助"
    assert _both(text) == [(3, 23, "EMAIL")]
    assert [t for _a, _b, t in _both("サブスクリプション4c5fde8d-fff2-48fe-86ef-05fdb517ecfaが無効です")] == ["GUID"]
    assert [t for _a, _b, t in _both("好的，服务器52.170.13.4已重启")] == ["IPV4"]
    assert [t for _a, _b, t in _both("메일jane.doe@contoso.com으로")] == ["EMAIL"]
    assert [t for _a, _b, t in _both("ติดต่อjane.doe@contoso.comครับ")] == ["EMAIL"]


def test_latin_letters_still_extend_a_word() -> None:
    assert _both("xjane.doe@contoso.com") == []
    assert _both("jane.doe@contoso.comx") == []
    assert _both("éjane.doe@contoso.com") == []
    assert _both("Jane Doex") == []


def test_names_hit_where_the_script_changes() -> None:
    assert _both("请联系Jane Doe获取帮助") == [(3, 11, "PERSON")]
    assert _both("山田太郎さんに連絡") == [(0, 4, "PERSON")]          # kanji, then hiragana
    assert _both("「山田太郎」") == [(1, 5, "PERSON")]
    assert _both("東方航空の便") == [(0, 4, "ORGANIZATION")]
    # inside a run of its own script nothing tells where a name's words end: not a hit
    assert _both("山田太郎様") == []
    assert _both("พบสมชาย ใจดีแล้ว") == []


def test_spaceless_script_numbers() -> None:
    assert spaceless_script("中") == spaceless_script("郎") == 1
    assert spaceless_script("さ") == 2
    assert spaceless_script("サ") == 3
    assert spaceless_script("한") == 4
    assert spaceless_script("ก") == 5
    assert spaceless_script("a") == spaceless_script("é") == spaceless_script("，") == 0
    assert spaceless_script("\u0e31") == 0  # a Thai vowel sign is not a letter or digit
    assert boundary_ok("中abc中", 1, 4)
    assert boundary_ok("中abc中", 1, 4, name=True)
    assert boundary_ok("中中中", 1, 2)
    assert not boundary_ok("中中中", 1, 2, name=True)
    assert not boundary_ok("xabcx", 1, 4)


def test_each_spaceless_letter_is_a_word() -> None:
    words, starts, ends = _word_spans("请联系jane.doe获取 ok")
    assert [w.decode() for w in words] == ["请", "联", "系", "jane", "doe", "获", "取", "ok"]
    assert starts.tolist() == [0, 1, 2, 3, 8, 11, 12, 14]
    assert ends.tolist() == [1, 2, 3, 7, 11, 12, 13, 16]
    assert [m.group() for m in _WORD.finditer("山田太郎さん")] == list("山田太郎さん")
    assert [m.group() for m in _WORD.finditer("abc中é2")] == ["abc", "中", "é2"]


def _reference_edge(outside: str, inside: str, name: bool) -> bool:
    """The rule restated with Unicode script properties of the ranges (slow, plain)."""
    if not outside.isalnum():
        return True
    a, b = spaceless_script(outside), spaceless_script(inside) if inside.isalnum() else 0
    return a != b if name else (a > 0 or b > 0)


_PIECES = ["jane.doe@contoso.com", "Jane Doe", "山田太郎", "東方航空", "52.170.13.4", "สมชาย ใจดี",
           "4c5fde8d-fff2-48fe-86ef-05fdb517ecfa", "中", "さん", "x", "é", " ", "-", "\n", "한", "ก",
           "\u0e31", "Ⅻ", "_", "JANE DOE", "\U00020000"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_hashed_scan_equals_the_automaton(text: str) -> None:
    hits = _both(text)
    for a, b, etype in hits:
        name = etype in ("PERSON", "ORGANIZATION")
        assert a == 0 or _reference_edge(text[a - 1], text[a], name)
        assert b == len(text) or _reference_edge(text[b], text[b - 1], name)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.sampled_from(list("ab1 -中文さサ한กั\u00e9_\n")), max_size=30))
def test_word_spans_are_the_regex_words(text: str) -> None:
    words, starts, ends = _word_spans(text)
    found = list(re.finditer(_WORD, text))
    assert [w.decode() for w in words] == [m.group() for m in found]
    assert starts.tolist() == [m.start() for m in found]
    assert ends.tolist() == [m.end() for m in found]
