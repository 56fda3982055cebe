"""The tenant domain of an Azure portal deep link (``/#@tenant.onmicrosoft.com/``) is a host
name, mapped like the same domain elsewhere (audit repro_14)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"
LINK = ("See https://portal.azure.com/#@woodgrovefinance.onmicrosoft.com/resource/subscriptions/"
        "4c5fde8d-fff2-48fe-86ef-05fdb517ecfa/resourceGroups/rg-pay-prod/overview")


def found(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


@pytest.mark.parametrize(("text", "host"), [
    ("/#@woodgrovefinance.onmicrosoft.com/resource/x", "woodgrovefinance.onmicrosoft.com"),
    ("portal.azure.com/#@contoso.com/blade", "contoso.com"),
])
def test_tenant_after_hash_at(text: str, host: str) -> None:
    assert ("HOSTNAME", host) in found(text)


@pytest.mark.parametrize("text", ["me@contoso", "@contoso.com", "x@@contoso.com", "a#b@contoso"])
def test_at_without_hash_is_no_host_position(text: str) -> None:
    assert [v for t, v in found(text) if t == "HOSTNAME"] == []


def test_tenant_maps_like_everywhere_else() -> None:
    p = Pseudonymizer(KEY)
    fake = p.transform_text("our tenant is woodgrovefinance.onmicrosoft.com").value.split()[-1]
    assert fake != "woodgrovefinance.onmicrosoft.com" and fake.endswith(".onmicrosoft.com")
    out = p.transform_text(LINK).value
    assert f"https://portal.azure.com/#@{fake}/resource/subscriptions/" in out
    assert "woodgrovefinance" not in out and "4c5fde8d" not in out
