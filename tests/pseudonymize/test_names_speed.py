"""NameFinder's fast paths (folded reversed scan, memos) pinned to the reference behaviour.

The pinned spans were produced by the implementation before the fast paths (one automaton
for gates over the lower-cased text, one for keys, ``re.finditer`` for display names) and
checked equal to it over the benchmark data; the properties compare the Latin-1 fold with
the general one and a warm finder with a fresh one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.pseudonymize.config import PseudonymizeConfig
from ftprep.pseudonymize.names import NameFinder

PINNED: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("Hi Jane,\nthanks.\n\nKind regards,\nJohn Smith", [("Jane", "PERSON", ""), ("John Smith", "PERSON", "")]),
    ("NAME: KEVIN YANG\nCompany: Tailspin Toys", [("KEVIN YANG", "PERSON", ""), ("Tailspin Toys", "ORGANIZATION", "")]),
    ('{"contact": "Susan Carter", "company":"Adventure Works"}',
     [("Susan Carter", "PERSON", ""), ("Adventure Works", "ORGANIZATION", "")]),
    ("I'm Dana Lee from Woodgrove Bank.",
     [("Dana Lee", "PERSON", ""), ("Woodgrove Bank", "ORGANIZATION", ""), ("Woodgrove Bank.", "ORGANIZATION", "")]),
    ("I\tam Dana Lee", []),  # a gate holding a delimiter matches that delimiter only
    ("We use Fabrikam, Inc. and Contoso Ltd for this.",
     [("Fabrikam, Inc.", "ORGANIZATION", ""), ("Contoso Ltd", "ORGANIZATION", "")]),
    ("From: Elizabeth Archer <elizabeth.archer@example.com>", [("Elizabeth Archer", "PERSON", "")]),
    ("name    : Jo Ann", []),  # four fillers between key and separator: no key
    ("name   : Jo Ann", [("Jo Ann", "PERSON", "")]),
    ("Hello Zoë,\nDanke.\nGrüße,\nJürgen Müller",
     [("Zoë", "PERSON", ""), ("Grüße", "PERSON", ""), ("Jürgen Müller", "PERSON", "")]),
    ("Hello Zoë\u2019s friend, Dear Ms. Doe,", [("Ms. Doe", "PERSON", ""), ("Ms. Doe", "PERSON", "")]),
    ("Dear \u0130lker Kaya,", []),  # lower-casing changes the length: regex fallback
    ("Thanks", []),
]


def _spans(finder: NameFinder, text: str) -> list[tuple[str, str, str]]:
    return [(text[s.start : s.end], s.etype, s.sub) for s in finder.find(text)]


def test_pinned_spans() -> None:
    finder = NameFinder(PseudonymizeConfig())
    for text, expected in PINNED:
        assert _spans(finder, text) == expected, text
        assert _spans(finder, text) == expected, text  # again, from the memos


def test_memoized_result_is_a_copy() -> None:
    finder = NameFinder(PseudonymizeConfig())
    first = finder.find("Hi Jane,")
    first.clear()
    assert _spans(finder, "Hi Jane,") == [("Jane", "PERSON", "")]


_WORDS = ["Hi", "Hello", "Dear", "Thanks", "Regards", "Best regards", "Cheers", "Grüße", "Mr.", "Ms", "Dr",
          "my name is", "This is", "I'm", "I am", "on behalf of", "cc:", "Jane", "Doe", "Zoë", "Müller",
          "O'Brien", "Anne-Marie", "J.", "Contoso", "Fabrikam", "Inc.", "Ltd", "GmbH", "S.A.", "B.V.",
          "Bank", "Corp", "and", "from", "team", "please", "name", "Name", "contact", "Company",
          "customer_name", "first name", "last_name", "owner", "<jane@contoso.com>", "(j.doe@x.org)",
          "[a@b]", "jane@contoso.com", "1234", "\u2019", "\u0130", "\u2603"]
_SEPS = [" ", "  ", "\t", "\n", "\r\n", ", ", ",\n", ": ", ":", " = ", "=", '"', "'", '": "', "; ", " | ",
         ".", "!", "(", ")", "[", "{", "}", "-", "--", "*", ">", "/", "<"]

texts = st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_SEPS), st.text(max_size=6)),
                 max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_latin1_fold_equals_general_fold(text: str) -> None:
    """A trailing newline and a character outside Latin-1 send the text down the general fold
    and change no span (the newline ends every name and value as the text's end does)."""
    finder = NameFinder(PseudonymizeConfig())
    assert finder.find(text + "\n\u2603") == finder.find(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4))
def test_warm_finder_equals_fresh_finder(batch: list[str]) -> None:
    warm = NameFinder(PseudonymizeConfig())
    for text in batch:
        warm.find(text)
    for text in batch:
        assert warm.find(text) == NameFinder(PseudonymizeConfig()).find(text)
