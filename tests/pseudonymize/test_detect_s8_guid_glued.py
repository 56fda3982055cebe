"""A GUID glued to a word by "-" is detected as a GUID, what is around it kept (audit repro_13);
a GUID-shaped piece of a longer run of hex groups is not."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"
G = "4c5fde8d-fff2-48fe-86ef-05fdb517ecfa"


def found(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


@pytest.mark.parametrize("text", [
    f"Logs stop arriving in DefaultWorkspace-{G}-EUS since Monday",
    f"snapshot-{G} failed",
    f"check {G}-backup now",
    f"db-{G}-1",
    f"deploy-{G.upper()}-01.log",
    f"x_{G}",
])
def test_glued_guid_is_detected(text: str) -> None:
    assert [v for t, v in found(text) if t == "GUID"] == [G if G in text else G.upper()]


@pytest.mark.parametrize("text", [
    f"aaaaaaaa-{G}",  # a run of hex groups, not a GUID glued to a word
    f"{G}-0123",
    f"{G}-deadbeef",
    f"cafe-{G}",
    f"--{G}-",  # a dash with no word behind it
    f"X{G}",  # glued to a letter without a dash
    f"{G}Y",
])
def test_hex_runs_are_not_guids(text: str) -> None:
    assert [v for t, v in found(text) if t == "GUID"] == []


def test_glued_guid_gets_the_same_fake_and_keeps_its_neighbours() -> None:
    p = Pseudonymizer(KEY)
    fake = p.transform_text(f"subscription {G}").value.split()[-1]
    assert fake != G
    assert p.transform_text(f"in DefaultWorkspace-{G}-EUS now").value == f"in DefaultWorkspace-{fake}-EUS now"
    assert p.transform_text(f"snapshot-{G} and {G}-backup").value == f"snapshot-{fake} and {fake}-backup"
