"""Replacement properties: determinism, format and case, linking, injectivity, checksums."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys

import phonenumbers
import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize import pools as pools_mod
from ftprep.pseudonymize.detect import iban_ok, luhn_ok, ssn_ok

KEY = b"ftprep-pinned-test-key-2026"

# Any change to these is a change of every pseudonym users have produced: it must be deliberate
# (new POOL_VERSION, release note), never a side effect of a library upgrade.
PINNED = [
    ("EMAIL", "jane.doe@contoso.com", "jolanta.keenan@perrier.com"),
    ("GUID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "d044f10c-0464-45a5-a054-cd999e15f2c7"),
    ("IPV4", "10.1.2.3", "10.89.105.24"),
    ("IPV4", "52.174.10.20", "150.189.163.190"),
    ("IPV6", "2001:4860::8888", "2741:ee35:c336:de9d:b4db:85ad:2026:9146"),
    ("PHONE", "+1 425-555-0100", "+1 431-224-0533"),
    ("PERSON", "Jane Doe", "Jolanta Keenan"),
    ("ORGANIZATION", "Contoso Ltd", "Perrier Ltd"),
    ("HOSTNAME", "vm-web-01.contoso.local", "vm-web-01.perrier.local"),
    ("CREDIT_CARD", "4111 1111 1111 1111", "4084 2967 7419 1741"),
    ("IBAN", "DE89 3704 0044 0532 0130 00", "DE30 5384 0385 6710 3745 29"),
    ("MAC", "00:1a:2b:3c:4d:5e", "44:18:d3:56:b1:97"),
    ("US_SSN", "078-05-1120", "445-85-0919"),
]


@pytest.mark.parametrize(("etype", "value", "fake"), PINNED)
def test_pinned_fakes(etype: str, value: str, fake: str) -> None:
    assert Pseudonymizer(KEY).lookup(etype, value) == fake


def test_other_key_other_fakes() -> None:
    other = Pseudonymizer(b"another-key-for-the-pins-0001")
    assert sum(other.lookup(t, v) != f for t, v, f in PINNED) == len(PINNED)


def test_deterministic_across_processes() -> None:
    text = " ".join(v for _t, v, _f in PINNED)
    code = (
        "import sys, json; from ftprep.pseudonymize import Pseudonymizer;"
        "print(json.dumps(Pseudonymizer(sys.argv[1].encode()).transform_text(sys.argv[2]).value))"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code, KEY.decode(), text], capture_output=True,
                       text=True, check=True, env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout
        for seed in (1, 2)
    }
    assert len(outs) == 1
    assert json.loads(outs.pop()) == Pseudonymizer(KEY).transform_text(text).value


def test_independent_of_call_order() -> None:
    values = [v for _t, v, _f in PINNED]
    a = Pseudonymizer(KEY)
    b = Pseudonymizer(KEY)
    fwd = {v: a.transform_text(v).value for v in values}
    rev = {v: b.transform_text(v).value for v in reversed(values)}
    assert fwd == rev


def test_guid_keeps_case_and_braces_and_spellings_map_together() -> None:
    p = Pseudonymizer(KEY)
    low = p.lookup("GUID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    up = p.lookup("GUID", "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}")
    assert up == "{" + low.upper() + "}"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", low)


@pytest.mark.parametrize("ip", ["10.1.2.3", "172.20.5.6", "192.168.1.20", "100.64.3.4", "52.174.10.20", "8.8.4.4"])
def test_ipv4_keeps_family_and_private_status(ip: str) -> None:
    fake = ipaddress.IPv4Address(Pseudonymizer(KEY).lookup("IPV4", ip))
    orig = ipaddress.IPv4Address(ip)
    assert fake != orig and fake.is_private == orig.is_private and fake.is_global == orig.is_global


def test_ipv4_network_address_stays_network() -> None:
    assert Pseudonymizer(KEY).lookup("IPV4", "10.20.30.0").endswith(".0")


@pytest.mark.parametrize("ip", ["2001:4860::8888", "fd12:3456:789a::1", "2A01:111:F400::1"])
def test_ipv6_keeps_family_scope_and_case(ip: str) -> None:
    fake_text = Pseudonymizer(KEY).lookup("IPV6", ip)
    fake = ipaddress.IPv6Address(fake_text)
    orig = ipaddress.IPv6Address(ip)
    assert fake != orig and fake.is_private == orig.is_private
    upper = any(c in "ABCDEF" for c in ip)
    assert fake_text == (fake_text.upper() if upper else fake_text.lower())


@pytest.mark.parametrize("phone", ["+1 (425) 555-0100", "+44 20 7946 0958", "+33 1 99 00 12 34",
                                   "(425) 555-0199", "425.555.0123", "+49 30 901820"])
def test_phone_keeps_country_punctuation_and_validity(phone: str) -> None:
    fake = Pseudonymizer(KEY).lookup("PHONE", phone)
    assert fake != phone
    assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", phone)
    orig_n = phonenumbers.parse(phone, "US")
    fake_n = phonenumbers.parse(fake, "US")
    assert fake_n.country_code == orig_n.country_code and phonenumbers.is_valid_number(fake_n)


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "5500-0000-0000-0004", "371449635398431"])
def test_card_keeps_brand_format_and_luhn(card: str) -> None:
    fake = Pseudonymizer(KEY).lookup("CREDIT_CARD", card)
    assert fake != card and fake[0] == card[0]
    assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", card)
    assert luhn_ok(re.sub(r"\D", "", fake))


@pytest.mark.parametrize("iban", ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"])
def test_iban_keeps_country_layout_and_mod97(iban: str) -> None:
    fake = Pseudonymizer(KEY).lookup("IBAN", iban)
    assert fake != iban and fake[:2] == iban[:2] and len(fake) == len(iban)
    assert iban_ok(fake.replace(" ", ""))


def test_ssn_and_mac_formats() -> None:
    p = Pseudonymizer(KEY)
    assert ssn_ok(p.lookup("US_SSN", "078-05-1120"))
    mac = p.lookup("MAC", "00-1A-2B-3C-4D-5E")
    assert re.fullmatch(r"[0-9A-F]{2}(-[0-9A-F]{2}){5}", mac)


def test_name_case_is_preserved() -> None:
    p = Pseudonymizer(KEY)
    assert p.lookup("PERSON", "JANE DOE") == p.lookup("PERSON", "Jane Doe").upper()
    assert p.lookup("PERSON", "jane doe") == p.lookup("PERSON", "Jane Doe").lower()


def test_linked_identity() -> None:
    p = Pseudonymizer(KEY)
    text = ("Name: Jane Doe\nHi Jane, Ms. Doe and J. Doe wrote from jane.doe@contoso.com and "
            "jdoe@contoso.com; Contoso Ltd owns contoso.com and https://portal.contoso.com/x")
    out = p.transform_text(text).value
    first, last = p.lookup("PERSON", "Jane Doe").split()
    assert first[0] == "J"  # initials are kept, so "J. Doe" stays linked in any order
    fake_domain = p.lookup("HOSTNAME", "contoso.com")
    company = p.lookup("ORGANIZATION", "Contoso Ltd")
    assert f"Name: {first} {last}" in out and f"Hi {first}," in out
    assert f"Ms. {last}" in out and f"J. {last}" in out
    assert f"{first.lower()}.{last.lower()}@{fake_domain}" in out
    assert f"j{last.lower()}@{fake_domain}" in out
    assert company.split()[0].lower() == fake_domain.split(".")[0]  # company coherent with domain
    assert f"https://portal.{fake_domain}/x" in out


def test_azure_ids_decomposed_and_consistent() -> None:
    p = Pseudonymizer(KEY)
    sub = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    rid = (f"/subscriptions/{sub}/resourceGroups/rg-contoso-prod/providers/Microsoft.Storage/"
           "storageAccounts/stcontosodata01/blobServices/default")
    text = f"{rid}\nsubscription {sub}; account stcontosodata01 at stcontosodata01.blob.core.windows.net"
    out = p.transform_text(text).value
    fake_sub = p.lookup("GUID", sub)
    assert out.count(fake_sub) == 2
    assert "/providers/Microsoft.Storage/storageAccounts/" in out and out.endswith(".blob.core.windows.net")
    assert "/blobServices/default" in out
    fake_acct = out.split("storageAccounts/")[1].split("/")[0]
    assert fake_acct != "stcontosodata01"
    assert f"account {fake_acct} at {fake_acct}.blob.core.windows.net" in out
    assert "contoso" not in out


def test_injective_with_a_forced_small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pools_mod.pools()
    small = pools_mod.Pools(real.first[:40], real.last[:25], real.first_set, real.last_set,
                            {k: tuple(n for n in v if n in real.first[:40]) for k, v in real.first_by_initial.items()})
    monkeypatch.setattr(pools_mod, "pools", lambda: small)
    import ftprep.pseudonymize.fakes as fakes_mod

    monkeypatch.setattr(fakes_mod, "pools", lambda: small)
    p = Pseudonymizer(KEY)
    surnames = [f"Zq{chr(97 + i)}{chr(97 + j)}" for i in range(4) for j in range(5)]  # 20 originals
    fakes = [p.lookup("PERSON", f"Ms. {s}").split()[1] for s in surnames]
    assert len(set(fakes)) == len(surnames)
    assert p.report().redraws > 0
    assert fakes == [p.lookup("PERSON", f"Ms. {s}").split()[1] for s in surnames]  # stable


def test_exhausted_pools_widen_and_stay_injective(monkeypatch: pytest.MonkeyPatch) -> None:
    """More originals than the pools hold: the generators widen (double-barrelled last names,
    a second organization word) instead of re-drawing forever, and the fakes stay distinct.
    Re-draws are counted once per original, however often a value falls out of the cache."""
    real = pools_mod.pools()
    small = pools_mod.Pools(real.first[:40], real.last[:25], real.first_set, real.last_set,
                            {k: tuple(n for n in v if n in real.first[:40]) for k, v in real.first_by_initial.items()})
    import ftprep.pseudonymize.fakes as fakes_mod

    monkeypatch.setattr(fakes_mod, "pools", lambda: small)
    p = Pseudonymizer(KEY, PseudonymizeConfig(cache_size=16))
    surnames = [f"Zq{chr(97 + i)}{chr(97 + j)}" for i in range(10) for j in range(20)]  # 200 > 25
    fakes = [p.lookup("PERSON", f"Ms. {s}").split()[1] for s in surnames]
    assert len(set(fakes)) == len(surnames)
    assert any("-" in f for f in fakes) and all(f.split("-")[0] in small.last for f in fakes)
    orgs = [p.lookup("ORGANIZATION", f"Qx{i:03d} Ltd") for i in range(100)]
    assert len(set(orgs)) == 100 and any(len(o.split()) == 3 for o in orgs)  # two words + "Ltd"
    redraws = p.report().redraws
    again = [p.lookup("PERSON", f"Ms. {s}").split()[1] for s in surnames]  # evicted: re-walked
    assert again == fakes and p.report().redraws == redraws


def test_fake_never_equals_an_original_seen_before_or_observed() -> None:
    p = Pseudonymizer(KEY)
    originals = [f"10.0.0.{i}" for i in range(1, 200)]
    for ip in originals:
        p.observe({"c": f"host at {ip}"})
    fakes = {p.lookup("IPV4", ip) for ip in originals}
    assert not fakes & set(originals)
    assert p.report().collisions == 0


def test_same_pseudonyms_across_records_and_fields() -> None:
    p = Pseudonymizer(KEY)
    a = p.transform({"messages": [{"role": "user", "content": "ip 10.9.8.7"}]}).value
    b = p.transform({"prompt": "from 10.9.8.7", "completion": '{"ip": "10.9.8.7"}'}).value
    fake = a["messages"][0]["content"].split()[-1]
    assert b["prompt"].endswith(fake) and json.loads(b["completion"])["ip"] == fake


def test_secret_marker_configurable() -> None:
    p = Pseudonymizer(KEY, PseudonymizeConfig(secret_marker="<secret>"))
    out = p.transform({"password": "hunter2hunter2", "note": "AccountKey=abc123def456=="}).value
    assert out == {"password": "<secret>", "note": "AccountKey=<secret>"}
    assert p.report().redacted_secrets == 2


def test_company_and_domain_fakes_do_not_depend_on_which_spelling_comes_first() -> None:
    texts = ["Company: Woodgrove Bank", "mail x@woodgrovebank.com", "Company: Contoso Ltd",
             "see https://contoso.com/a"]
    fwd, rev = Pseudonymizer(KEY), Pseudonymizer(KEY)
    a = [fwd.transform_text(t).value for t in texts]
    b = [rev.transform_text(t).value for t in reversed(texts)][::-1]
    assert a == b
    company = a[0].split(": ")[1]
    assert a[1].endswith("@" + company.replace(" ", "").lower() + ".com")


def test_a_full_private_block_widens_to_ten_slash_eight() -> None:
    """192.168.0.0/16 holds 65,536 addresses for originals and fakes together: a large log
    can fill it; fakes then come from 10.0.0.0/8 (still private) instead of failing."""
    import ipaddress

    p = Pseudonymizer(KEY)
    originals = [f"192.168.{i // 256}.{i % 256}" for i in range(256 * 140)]  # 35,840
    fakes = [p.lookup("IPV4", ip) for ip in originals]
    assert len(set(fakes)) == len(fakes)  # injective (a fake may equal a *later* original:
    assert all(f != o for f, o in zip(fakes, originals, strict=True))  # counted as a collision)
    assert all(ipaddress.IPv4Address(f).is_private for f in fakes)
    assert any(f.startswith("10.") for f in fakes)
