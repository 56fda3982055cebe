"""Each detector: positives, and near-misses that must NOT be detected."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig
from ftprep.pseudonymize.detect import Detector, card_brand_ok, iban_ok, luhn_ok
from ftprep.pseudonymize.names import NameFinder

DET = Detector(PseudonymizeConfig())
NAMES = NameFinder(PseudonymizeConfig())


def found(text: str) -> list[tuple[str, str]]:
    """(type, value) of replaced spans (kept spans excluded)."""
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


def kept(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if s.keep]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@contoso.com now", ("EMAIL", "jane.doe@contoso.com")),
        ("<J.O'Neil+tag@sub.contoso.co.uk>", ("EMAIL", "J.O'Neil+tag@sub.contoso.co.uk")),
        ("tel +1 (425) 555-0100.", ("PHONE", "+1 (425) 555-0100")),
        ("tel +44 20 7946 0958", ("PHONE", "+44 20 7946 0958")),
        ("call 0044 20 7946 0958", ("PHONE", "0044 20 7946 0958")),
        ("phone: 425.555.0123", ("PHONE", "425.555.0123")),
        ("mobile 4255550123", ("PHONE", "4255550123")),
        ("from 10.1.2.3:8080", ("IPV4", "10.1.2.3")),
        ("route 52.174.10.0/24", ("IPV4", "52.174.10.0")),
        ("peer [2001:4860:4860::8888]:443", ("IPV6", "2001:4860:4860::8888")),
        ("ula fd12:3456:789a::1 up", ("IPV6", "fd12:3456:789a::1")),
        ("mapped ::ffff:10.0.0.1 here", ("IPV6", "::ffff:10.0.0.1")),
        ("nic 00:1A:2B:3C:4D:5E", ("MAC", "00:1A:2B:3C:4D:5E")),
        ("nic 00-1a-2b-3c-4d-5e", ("MAC", "00-1a-2b-3c-4d-5e")),
        ("nic 001a.2b3c.4d5e", ("MAC", "001a.2b3c.4d5e")),
        ("id {3F2504E0-4F89-11D3-9A0C-0305E82C3301}", ("GUID", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}")),
        ("see https://portal.contoso.com/x?y=1).", ("URL", "https://portal.contoso.com/x?y=1")),
        ("ping vm-prod-01.contoso.local", ("HOSTNAME", "vm-prod-01.contoso.local")),
        ("zone *.corp.internal ok", ("HOSTNAME", "*.corp.internal")),
        ("card 4111 1111 1111 1111", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("amex 3714-496353-98431", ("CREDIT_CARD", "3714-496353-98431")),
        ("iban DE89 3704 0044 0532 0130 00", ("IBAN", "DE89 3704 0044 0532 0130 00")),
        ("iban GB82WEST12345698765432", ("IBAN", "GB82WEST12345698765432")),
        ("ssn 078-05-1120", ("US_SSN", "078-05-1120")),
    ],
)
def test_positive(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


def test_azure_resource_id_wins_over_inner_guid() -> None:
    rid = ("/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-a/providers/"
           "Microsoft.Storage/storageAccounts/stcontoso01")
    assert found(f"id: {rid}.") == [("AZURE_RESOURCE_ID", rid)]


def test_email_wins_over_host_and_url_over_host() -> None:
    assert found("a jane@contoso.com b") == [("EMAIL", "jane@contoso.com")]
    assert found("go https://app.contoso.com/x now") == [("URL", "https://app.contoso.com/x")]


@pytest.mark.parametrize(
    ("gate", "text"),
    [
        ("kv", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abcDEF123+/==;EndpointSuffix=core"),
        ("kv", "Server=tcp:db;User ID=app;Password=S3cr3t!x;Encrypt=True"),
        ("bearer", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123"),
        ("jwt", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        ("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
        ("apikey", "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx"),
        ("apikey", "aws AKIAABCDEFGHIJKLMNOP here"),
        ("apikey", "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ],
)
def test_secrets(gate: str, text: str) -> None:
    assert any(t == "SECRET" for t, _v in found(text)), gate


def test_sas_signature_inside_url_is_redacted() -> None:
    from ftprep.pseudonymize import Pseudonymizer

    out = Pseudonymizer(b"k" * 32).transform_text(
        "https://stcontoso.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEf123%2BgHiJkL&se=1").value
    assert "sig=[REDACTED]&se=1" in out and "stcontoso" not in out and ".blob.core.windows.net/c?" in out


def test_secret_placeholders_are_not_secrets() -> None:
    for text in ("Password=<your-password>;", "AccountKey=[REDACTED];", "password=${DB_PASSWORD}",
                 "Pwd=%DBPWD%;", "password = ****"):
        assert not any(t == "SECRET" for t, _v in found(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "at 2024-05-01T10:20:30.123Z and 2024-05-01 10:20:30",  # timestamps
        "version 1.2.3.4 and v10.0.0.1 and build 10.0.19041.1",  # versions that parse as IPv4
        "kernel 5.15.0-1034-azure, agent 2.10.0.8",  # version strings
        "ticket 2070479499040084 opened",  # 16-digit ticket id: Luhn-valid by chance is not enough
        "id 12345678-1234 and 555-1234-5678-90ab",  # GUID fragments that look like phones
        "a3f2504e0-4f89-11d3-9a0c-0305e82c33011",  # hex run longer than a GUID
        "Microsoft.Compute/virtualMachines and Microsoft.Network",  # provider namespaces
        "ASP.NET Core, Node.js, config.json, setup.py, README.md, main.rs",  # products and files
        "std::vector and a::b and 12:30:45",  # C++ scopes and times are not IPv6
        "order 12-34-56 and 1,234,567 and 3.14159",  # numbers
        "ratio 1:2:3:4:5:6",
        "ssn 000-12-3456 and 666-12-3456 and 900-12-3456",  # invalid SSN areas
    ],
)
def test_near_misses_not_replaced(text: str) -> None:
    assert found(text) == []


def test_special_ips_kept_by_default_and_replaced_when_told() -> None:
    text = "lo 127.0.0.1 doc 192.0.2.10 ll 169.254.169.254 v6 ::1 fe80::1 2001:db8::1"
    assert found(text) == []
    assert {t for t, _v in kept(text)} == {"IPV4", "IPV6"}
    strict = Detector(PseudonymizeConfig(keep_special_ips=False))
    assert {text[s.start:s.end] for s in strict.spans(text) if not s.keep} >= {"192.0.2.10", "2001:db8::1"}


def test_well_known_guids_kept() -> None:
    assert found("role b24988ac-6180-42a0-ab88-20f7382dd24c nil 00000000-0000-0000-0000-000000000000") == []


def test_guid_context_types() -> None:
    text = ("subscription 3f2504e0-4f89-11d3-9a0c-0305e82c3301, tenant id: "
            "4f2504e0-4f89-11d3-9a0c-0305e82c3301 correlation ID 5f2504e0-4f89-11d3-9a0c-0305e82c3301")
    subs = [s.sub for s in DET.spans(text)]
    assert subs == ["subscription", "tenant", "correlation"]


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE89370400440532013001")
    assert card_brand_ok("4111111111111111") and not card_brand_ok("2070479499040084")


def test_allow_list_values_and_patterns() -> None:
    det = Detector(PseudonymizeConfig(allow_values=("8.8.8.8",), allow_patterns=(r".*@ourcompany\.com",)))
    spans = det.spans("dns 8.8.8.8 mail ops@ourcompany.com and x@contoso.com")
    assert [(s.keep) for s in spans] == [True, True, False]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Customer profile\n- Name: Jane Doe\n- Plan: x", "Jane Doe"),
        ('{"contact": "Jane Doe", "plan": "x"}', "Jane Doe"),
        ("Owner = Jane Doe;", "Jane Doe"),
        ("Hi Jane,\nthanks", "Jane"),
        ("Dear Ms. Doe, hello", "Ms. Doe"),
        ("Thanks in advance,\nJane Doe", "Jane Doe"),
        ("Kind regards,\n-- Jane Doe\n", "Jane Doe"),
        ("From: Jane Doe <jane@contoso.com>", "Jane Doe"),
        ("my name is Jean-Luc O'Neil and", "Jean-Luc O'Neil"),
        ("I spoke with Jane Doe yesterday", "Jane Doe"),
    ],
)
def test_person_context(text: str, name: str) -> None:
    spans = [text[s.start:s.end] for s in NAMES.find(text) if s.etype == "PERSON"]
    assert name in spans


@pytest.mark.parametrize(
    "text",
    ["Hi team,\nplease", "Hello there!", "Dear Customer,", "Thanks,\nSupport", "Name: vm-web-01",
     "Best regards,\nthe team"],
)
def test_person_context_near_misses(text: str) -> None:
    assert [s for s in NAMES.find(text) if s.etype == "PERSON"] == []


def test_organization_from_keys() -> None:
    text = "Company: Woodgrove Bank\nTenant name: Fabrikam, Inc."
    found_orgs = {text[s.start:s.end] for s in NAMES.find(text) if s.etype == "ORGANIZATION"}
    assert found_orgs == {"Woodgrove Bank", "Fabrikam, Inc."}


def test_organization_by_legal_form_and_introduction() -> None:
    text = "Hi, this is Jane Doe from Tailspin Toys. We at Smith PLC use the Network Security Group."
    found_orgs = {text[s.start:s.end] for s in NAMES.find(text) if s.etype == "ORGANIZATION"}
    assert found_orgs == {"Tailspin Toys", "Smith PLC"}
