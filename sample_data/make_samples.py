#!/usr/bin/env python3
"""Generate ftprep's synthetic sample data, byte-identically on every run.

Everything here is invented: names and companies come from Faker (seeded), domains
are fictional (contoso.com, fabrikam.com, ...) or subdomains of the reserved
example.com/.net/.org, US phone numbers are in the 555-01xx range reserved for
fiction, UK/FR/AU numbers are in their regulators' drama ranges, GUIDs, keys and
tokens are random bytes from a seeded ``random.Random``.

Usage::

    python sample_data/make_samples.py            # writes next to this script
    python sample_data/make_samples.py --out DIR  # writes into DIR

Outputs (paths relative to the output folder):

- ``support_chat.jsonl``: chat-format examples (Azure support conversations).
- ``broken.jsonl`` + ``broken.expected.json``: deliberately broken lines and what
  is wrong with each (see the table above ``BROKEN_CASES``).
- ``completion/legacy_completion.jsonl``: prompt-completion examples.
- ``known_customers.csv``: the recurring customers (a CRM export).
- ``planted.json``: every identifying value planted, per file and type, plus
  values that must survive pseudonymization (timestamps, versions), so tests
  can scan outputs for leaks.

Determinism: one ``random.Random(SEED)`` for all choices, and Faker instances
seeded with ``seed_instance`` (per instance, so no global Faker state is
touched). Faker only reproduces its output within one Faker version: the
committed files were made with ``FAKER_VERSION``.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import string
import sys
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from typing import Any, TypeVar

from faker import Faker

SEED = 20260314
FAKER_VERSION = "40.63.0"
"""The Faker version the committed files were generated with."""

N_CHAT = 320
N_RECURRING = 40
N_COMPLETION = 40
N_NO_SYSTEM = 32  # 10 %
N_MULTI_TURN = 26  # ~8 %: two (or, for 2 of them, three) assistant turns
N_THREE_ROUND = 2  # of the multi-turn ones; no system message, 6 messages
N_TOOL = 5
N_WEIGHT_ZERO = 5  # of the multi-turn ones: first assistant turn has weight 0
KEY_BYTES = 64  # storage account keys: 64 random bytes -> 88 base64 chars, like real ones

CHAT_FILE = "support_chat.jsonl"
BROKEN_FILE = "broken.jsonl"
BROKEN_EXPECTED_FILE = "broken.expected.json"
COMPLETION_FILE = "completion/legacy_completion.jsonl"
CUSTOMERS_FILE = "known_customers.csv"
PLANTED_FILE = "planted.json"

T = TypeVar("T")

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES")
LOCALE_WEIGHTS = (60, 10, 10, 10, 10)

# Fictional companies (Microsoft's documentation names) with their internal DNS suffixes.
FICTIONAL_COMPANIES: tuple[tuple[str, str, str], ...] = (
    ("Contoso", "contoso.com", "contoso.local"),
    ("Fabrikam", "fabrikam.com", "fabrikam.internal"),
    ("Northwind Traders", "northwindtraders.com", "northwind.local"),
    ("Adventure Works", "adventure-works.com", "corp"),
    ("Tailspin Toys", "tailspintoys.com", "tailspin.internal"),
    ("Wide World Importers", "wideworldimporters.com", "wwi.local"),
    ("Woodgrove Bank", "woodgrovebank.com", "woodgrove.internal"),
    ("Litware", "litwareinc.com", "corp"),
)
RESERVED_TLDS = ("example.com", "example.net", "example.org")

REGIONS: tuple[tuple[str, str, str], ...] = (
    # (Azure region, short code for names, geo code for hostnames)
    ("eastus", "eus", "us"),
    ("eastus2", "eus2", "us"),
    ("westus2", "wus2", "us"),
    ("centralus", "cus", "us"),
    ("westeurope", "weu", "eu"),
    ("northeurope", "neu", "eu"),
    ("uksouth", "uks", "uk"),
    ("francecentral", "frc", "fr"),
    ("germanywestcentral", "gwc", "de"),
    ("australiaeast", "aue", "au"),
)
APPS = ("orders", "billing", "crm", "portal", "etl", "hr", "pos", "inventory", "analytics",
        "payments", "web", "api", "reporting", "iot")
ENVS = ("prod", "prod", "prod", "staging", "dev", "test")
US_AREA_CODES = ("425", "206", "312", "646", "415", "512", "617", "303", "404", "919", "213")
SUPPORT_PLANS = ("Standard", "Professional Direct", "Unified", "Developer", "Premier")

SYSTEM_PROMPTS = (
    "You are an Azure support engineer. Answer precisely, give the exact Azure CLI or "
    "PowerShell commands, and never ask customers to send passwords or keys.",
    "You are an Azure support engineer helping enterprise customers with compute, storage, "
    "networking and identity issues. Be concise and use numbered steps.",
    "You are an Azure support engineer on the operations desk. Diagnose from the logs the "
    "customer pastes, say what you infer and why, and propose the smallest safe fix.",
    "You are an Azure support engineer. Be friendly, confirm which resource you are talking "
    "about, and point out when a customer has pasted a secret that should be rotated.",
    "You are an Azure support engineer for a managed-services provider. Keep answers short, "
    "reference the affected resource by name, and escalate only when a platform issue is likely.",
)

SIGN_OFFS: dict[str, tuple[str, ...]] = {
    "en_US": ("Thanks,", "Thanks in advance,", "Best,", "Regards,"),
    "en_GB": ("Cheers,", "Kind regards,", "Many thanks,"),
    "de_DE": ("Viele Grüße,", "Danke und Grüße,", "Beste Grüße,"),
    "fr_FR": ("Merci d'avance,", "Cordialement,", "Bien à vous,"),
    "es_ES": ("Saludos,", "Muchas gracias,", "Un saludo,"),
}

# Version strings that must survive pseudonymization. Some look like IPv4 addresses
# (four dotted numbers each <= 255): a detector must not take them for IPs.
VERSION_STRINGS = {
    "walinuxagent": ("2.9.1.1", "2.10.0.8", "2.11.1.4"),
    "kernel": ("5.15.0-1057-azure", "6.5.0-1017-azure", "6.8.0-1015-azure"),
    "windows": ("10.0.20348.2340", "10.0.17763.5576", "10.0.26100.1742"),
    "azure_cli": ("2.61.0", "2.63.0", "2.67.0"),
    "sqlclient": ("5.2.0", "5.1.5", "4.0.5"),
    "k8s": ("v1.29.4", "v1.30.3", "v1.28.9"),
    "dotnet": ("8.0.4", "8.0.8", "6.0.29"),
    "monitor_agent": ("1.29.4", "1.31.1", "1.22.0.0"),
}
API_VERSIONS = ("2023-09-01", "2024-03-01", "2023-07-01", "2024-07-01")


# --------------------------------------------------------------------------------------
# Generation context
# --------------------------------------------------------------------------------------


@dataclass
class Gen:
    """All generator state: the seeded RNG, seeded Faker instances and the planted values."""

    rng: Random
    fakers: dict[str, Faker]
    file: str = CHAT_FILE
    planted: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    keep: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    anchor: datetime = datetime(2026, 1, 5, tzinfo=timezone.utc)
    """When the current example happens; timestamps fall in the hours before it."""

    def plant(self, kind: str, value: str) -> str:
        """Record ``value`` as an identifying value of ``kind`` in the current file."""
        self.planted.setdefault(self.file, {}).setdefault(kind, set()).add(value)
        return value

    def keep_value(self, kind: str, value: str) -> str:
        """Record ``value`` as a non-identifying value that must survive unchanged."""
        self.keep.setdefault(self.file, {}).setdefault(kind, set()).add(value)
        return value

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def alnum(self, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self.pick(alphabet) for _ in range(n))

    def new_anchor(self) -> None:
        base = datetime(2026, 1, 5, tzinfo=timezone.utc)
        self.anchor = base + timedelta(seconds=self.rng.randrange(100 * 86400))

    def ts(self) -> datetime:
        return self.anchor - timedelta(seconds=self.rng.randrange(12 * 3600),
                                       milliseconds=self.rng.randrange(1000))

    def iso(self, when: datetime | None = None, style: int | None = None) -> str:
        when = when or self.ts()
        style = self.rng.randrange(4) if style is None else style
        if style == 0:
            text = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        elif style == 1:
            text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif style == 2:
            text = when.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = when.strftime("%Y-%m-%dT%H:%M:%S") + "+00:00"
        return self.keep_value("timestamp", text)

    def version(self, family: str) -> str:
        return self.keep_value("version", self.pick(VERSION_STRINGS[family]))

    def api_version(self) -> str:
        return self.keep_value("version", self.pick(API_VERSIONS))


def new_gen(seed: int = SEED) -> Gen:
    fakers: dict[str, Faker] = {}
    for i, loc in enumerate(LOCALES):
        fk = Faker(loc)
        fk.seed_instance(seed + i)
        fakers[loc] = fk
    return Gen(rng=Random(seed), fakers=fakers)


# --------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    text = text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str, sep: str = "-") -> str:
    out: list[str] = []
    for ch in ascii_fold(text).lower():
        if ch.isalnum() and ch.isascii():
            out.append(ch)
        elif out and out[-1] != sep and sep:
            out.append(sep)
    return "".join(out).strip(sep)


@dataclass(frozen=True)
class Phone:
    country: str  # "US", "GB", "FR", "AU"
    digits: str  # national significant number
    preferred: int  # index of the customer's usual format


def us_phone(g: Gen) -> Phone:
    return Phone("US", g.pick(US_AREA_CODES) + "55501" + f"{g.rng.randrange(100):02d}",
                 g.rng.randrange(6))


def intl_phone(g: Gen, country: str) -> Phone:
    n = g.rng.randrange(1000)
    if country == "GB":
        # Ofcom drama ranges: 020 7946 0000-0999, 0161 496 0000-0999, 0113 496 0000-0999.
        digits = g.pick(("2079460", "1614960", "1134960")) + f"{n:03d}"
        return Phone("GB", digits, g.rng.randrange(3))
    if country == "FR":
        # ARCEP fiction range 01 99 00 xx xx.
        return Phone("FR", f"19900{g.rng.randrange(10000):04d}", g.rng.randrange(3))
    # ACMA fiction ranges 02 5550 xxxx, 03 5550 xxxx.
    return Phone("AU", f"{g.pick('23')}5550{g.rng.randrange(10000):04d}", g.rng.randrange(3))


def format_phone(p: Phone, style: int) -> str:
    d = p.digits
    styles: tuple[str, ...]
    if p.country == "US":
        a, b, c = d[:3], d[3:6], d[6:]
        styles = (f"+1 ({a}) {b}-{c}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}",
                  f"{a}.{b}.{c}", f"+1-{a}-{b}-{c}")
        return styles[style % len(styles)]
    # Outside the US: international forms only ("+CC ...", "+CC (0)...", E.164), since a
    # national form ("020 7946 0958") is ambiguous without knowing the country.
    cc = {"GB": "44", "FR": "33", "AU": "61"}[p.country]
    groups: tuple[str, ...]
    if p.country == "GB":
        groups = (d[:2], d[2:6], d[6:]) if d.startswith("20") else (d[:3], d[3:6], d[6:])
    elif p.country == "FR":
        groups = (d[0], *(d[i:i + 2] for i in range(1, 9, 2)))
    else:
        groups = (d[0], d[1:5], d[5:])
    rest = " ".join(groups[1:])
    styles = (f"+{cc} {groups[0]} {rest}", f"+{cc} (0){groups[0]} {rest}", f"+{cc}{d}")
    return styles[style % 3]


def phone_text(g: Gen, p: Phone) -> str:
    style = p.preferred if g.chance(0.7) else g.rng.randrange(6)
    return g.plant("phone", format_phone(p, style))


def public_ipv4(g: Gen) -> str:
    # Not the documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24): ftprep keeps
    # those by policy, and these addresses stand for real customer IPs.
    if g.chance(0.5):
        net = g.pick(("20.51", "40.112", "52.160"))
        return f"{net}.{g.rng.randrange(256)}.{g.rng.randrange(1, 255)}"
    return g.fakers["en_US"].ipv4_public()


def private_ipv4(g: Gen) -> str:
    kind = g.rng.randrange(3)
    if kind == 0:
        return f"10.{g.rng.randrange(256)}.{g.rng.randrange(256)}.{g.rng.randrange(4, 255)}"
    if kind == 1:
        return f"172.{g.rng.randrange(16, 32)}.{g.rng.randrange(256)}.{g.rng.randrange(4, 255)}"
    return f"192.168.{g.rng.randrange(256)}.{g.rng.randrange(2, 255)}"


def ipv6(g: Gen) -> str:
    kind = g.rng.randrange(5)
    if kind == 0:
        return g.fakers["en_US"].ipv6()
    if kind == 1:
        return f"fd{g.rng.randrange(256):02x}:{g.rng.randrange(65536):x}::{g.rng.randrange(1, 65536):x}"
    if kind == 2:
        return f"::ffff:{public_ipv4(g)}"
    groups = [f"{g.rng.randrange(65536):x}" for _ in range(2)]
    return f"2603:10a6:{groups[0]}:{groups[1]}::{g.rng.randrange(1, 4096):x}"


def ip4(g: Gen, public: bool | None = None) -> str:
    public = g.chance(0.5) if public is None else public
    return g.plant("ipv4", public_ipv4(g) if public else private_ipv4(g))


def ip6(g: Gen) -> str:
    return g.plant("ipv6", ipv6(g))


def account_key(g: Gen) -> str:
    return base64.b64encode(g.rng.randbytes(KEY_BYTES)).decode("ascii")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def bearer_token(g: Gen, c: Customer) -> str:
    iat = int(g.ts().timestamp())
    header = {"typ": "JWT", "alg": "RS256", "kid": g.alnum(27, string.ascii_letters + string.digits)}
    payload = {"aud": "https://management.azure.com/", "iss": f"https://sts.windows.net/{c.tenant_id}/",
               "iat": iat, "nbf": iat, "exp": iat + 3600, "oid": g.guid(), "tid": c.tenant_id,
               "upn": c.email, "name": c.name, "ver": "1.0"}
    token = ".".join((
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()),
        b64url(g.rng.randbytes(128)),
    ))
    return g.plant("secret", token)


def sas_token(g: Gen) -> str:
    sig = base64.b64encode(g.rng.randbytes(32)).decode().replace("+", "%2B").replace("/", "%2F")
    sig = sig.replace("=", "%3D")
    start = g.ts()
    st = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    se = (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    g.plant("secret", sig)
    return f"sv=2022-11-02&ss=b&srt=co&sp=rl&se={se}&st={st}&spr=https&sig={sig}"


# --------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    locale: str
    first: str
    last: str
    company: str
    domain: str
    dns_suffix: str
    email: str
    phone: Phone
    subscription_id: str
    tenant_id: str
    second_subscription_id: str | None
    region: str
    region_code: str
    geo: str
    app: str
    env: str
    resource_group: str
    vm: str
    storage: str
    key_vault: str
    sql_server: str
    web_app: str
    aks: str
    office_ip: str
    hosts: tuple[str, ...]
    support_plan: str
    recurring: bool

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


NON_ASCII_TARGETS: dict[int, tuple[str, str]] = {
    # recurring customer index -> (locale, a character the name must contain)
    3: ("fr_FR", "é"),
    11: ("de_DE", "ü"),
    19: ("es_ES", "ñ"),
    27: ("fr_FR", "ç"),
    35: ("de_DE", "ö"),
}


def person_name(g: Gen, locale: str, must_contain: str | None = None) -> tuple[str, str]:
    fk = g.fakers[locale]
    for _ in range(2000):
        first, last = fk.first_name(), fk.last_name()
        if must_contain is None or must_contain in first + last:
            return first, last
    raise RuntimeError(f"Faker {locale} gave no name containing {must_contain!r}")


def email_for(g: Gen, first: str, last: str, domain: str) -> str:
    f, last_ = slug(first, ""), slug(last, "")
    style = g.rng.randrange(5)
    local = (f"{f}.{last_}", f"{f[0]}{last_}", f"{f}_{last_}", f"{f}", f"{f}.{last_}{g.rng.randrange(10, 99)}")[style]
    return f"{local}@{domain}"


def make_company(g: Gen) -> tuple[str, str, str]:
    if g.chance(0.5):
        return g.pick(FICTIONAL_COMPANIES)
    name = g.fakers["en_US"].company()
    short = slug(name.split(",")[0].split(" and ")[0])[:20].strip("-")
    domain = f"{short}.{g.pick(RESERVED_TLDS)}"
    suffix = g.pick((f"{short}.local", f"{short}.internal", "corp", f"{short.split('-')[0]}.corp"))
    return name, domain, suffix


def make_customer(g: Gen, recurring: bool, locale: str | None = None,
                  must_contain: str | None = None) -> Customer:
    if locale is None:
        locale = g.rng.choices(LOCALES, weights=LOCALE_WEIGHTS)[0]
    first, last = person_name(g, locale, must_contain)
    company, domain, dns_suffix = make_company(g)
    email = email_for(g, first, last, domain)
    if locale == "en_GB":
        phone = intl_phone(g, "GB")
    elif locale == "fr_FR":
        phone = intl_phone(g, "FR")
    elif locale == "en_US":
        phone = us_phone(g)
    else:
        phone = intl_phone(g, g.pick(("GB", "AU", "FR"))) if g.chance(0.6) else us_phone(g)
    region, region_code, geo = g.pick(REGIONS)
    app, env = g.pick(APPS), g.pick(ENVS)
    n = g.rng.randrange(1, 10)
    short = slug(company, "")[:9]
    vm_host = f"vm-{env}-{n:02d}.{dns_suffix}" if dns_suffix != "corp" else f"vm-{env}-{n:02d}.corp"
    hosts = (vm_host, f"sql-{geo}-{g.rng.randrange(1, 10):02d}.{dns_suffix}",
             g.pick((f"app.{dns_suffix}", "app.corp", f"jump-{geo}-01.{dns_suffix}")))
    return Customer(
        locale=locale, first=first, last=last, company=company, domain=domain,
        dns_suffix=dns_suffix, email=email, phone=phone,
        subscription_id=g.guid(), tenant_id=g.guid(),
        second_subscription_id=g.guid() if g.chance(0.3) else None,
        region=region, region_code=region_code, geo=geo, app=app, env=env,
        resource_group=f"rg-{app}-{env}-{region_code}",
        vm=f"vm-{app}-{env}-{n:02d}",
        storage=f"st{short}{app[:6]}{env[:4]}{g.rng.randrange(100):02d}"[:24],
        key_vault=f"kv-{short}-{app}-{env}"[:24].rstrip("-"),
        sql_server=f"sql-{short}-{app}-{geo}",
        web_app=f"app-{short}-{app}-{env}",
        aks=f"aks-{app}-{env}-{region_code}",
        office_ip=public_ipv4(g),
        hosts=hosts,
        support_plan=g.pick(SUPPORT_PLANS),
        recurring=recurring,
    )


def make_recurring(g: Gen) -> list[Customer]:
    out: list[Customer] = []
    for i in range(N_RECURRING):
        target = NON_ASCII_TARGETS.get(i)
        if target:
            out.append(make_customer(g, True, target[0], target[1]))
        else:
            out.append(make_customer(g, True))
    return out


# Per-mention renderings of a customer's identifiers (each call plants what it writes).


def c_name(g: Gen, c: Customer) -> str:
    return g.plant("person_name", c.name)


def c_email(g: Gen, c: Customer) -> str:
    if g.chance(0.06):  # how people really type addresses; normalization must cope
        local, domain = c.email.split("@")
        variant = ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()
        return g.plant("email", variant)
    return g.plant("email", c.email)


def c_sub(g: Gen, c: Customer, second: bool = False) -> str:
    sub = c.second_subscription_id if second and c.second_subscription_id else c.subscription_id
    return g.plant("guid", sub.upper() if g.chance(0.05) else sub)


def c_tenant(g: Gen, c: Customer) -> str:
    return g.plant("guid", c.tenant_id.upper() if g.chance(0.05) else c.tenant_id)


def new_guid(g: Gen) -> str:
    return g.plant("guid", g.guid())


PROVIDERS = {
    "vm": "Microsoft.Compute/virtualMachines",
    "storage": "Microsoft.Storage/storageAccounts",
    "kv": "Microsoft.KeyVault/vaults",
    "sql": "Microsoft.Sql/servers",
    "web": "Microsoft.Web/sites",
    "aks": "Microsoft.ContainerService/managedClusters",
    "nsg": "Microsoft.Network/networkSecurityGroups",
    "nic": "Microsoft.Network/networkInterfaces",
    "vault": "Microsoft.RecoveryServices/vaults",
}


def rid(g: Gen, c: Customer, kind: str, name: str, child: str = "", casing: bool = True) -> str:
    """A full Azure resource ID for one of the customer's resources (planted)."""
    sub = c.subscription_id
    text = f"/subscriptions/{sub}/resourceGroups/{c.resource_group}/providers/{PROVIDERS[kind]}/{name}{child}"
    if casing and g.chance(0.04):  # Activity Log style: all upper case
        text = text.upper()
    elif casing and g.chance(0.05):
        text = text.replace("/resourceGroups/", "/resourcegroups/")
    g.plant("guid", sub if sub in text else sub.upper())
    return g.plant("azure_resource_id", text)


def host(g: Gen, c: Customer, i: int) -> str:
    return g.plant("hostname", c.hosts[i % len(c.hosts)])


def blob_host(g: Gen, c: Customer) -> str:
    g.plant("storage_account", c.storage)
    return g.plant("hostname", f"{c.storage}.blob.core.windows.net")


# --------------------------------------------------------------------------------------
# Conversation pieces
# --------------------------------------------------------------------------------------


@dataclass
class Scenario:
    subject: str
    issue: str
    logs: str
    answer: str
    weak_answer: str
    followups: list[tuple[str, str]]


def greet(g: Gen, c: Customer) -> str:
    return g.pick((f"Hi {g.plant('person_name', c.first)},\n\n", f"Hello {g.plant('person_name', c.first)},\n\n",
                   "Thanks for the details.\n\n", "", f"Thanks, {g.plant('person_name', c.first)}.\n\n"))


def sign_off(g: Gen, c: Customer) -> str:
    return f"{g.pick(SIGN_OFFS[c.locale])}\n{c_name(g, c)}"


def profile_block(g: Gen, c: Customer, subject: str) -> str:
    style = g.rng.randrange(5)
    if style == 0:
        lines = ["Customer profile", f"- Name: {c_name(g, c)}", f"- Company: {c.company}",
                 f"- Email: {c_email(g, c)}", f"- Phone: {phone_text(g, c.phone)}",
                 f"- Subscription ID: {c_sub(g, c)}", f"- Tenant ID: {c_tenant(g, c)}",
                 f"- Support plan: {c.support_plan}"]
        return "\n".join(lines)
    if style == 1:
        return (f"Hi, this is {c_name(g, c)} from {c.company} ({c_email(g, c)}, "
                f"{phone_text(g, c.phone)}). Our subscription ID is {c_sub(g, c)} "
                f"and the tenant ID is {c_tenant(g, c)}.")
    if style == 2:
        ticket = g.keep_value("ticket_id", f"2{g.rng.randrange(10**15):015d}")
        return (f"[Case {ticket}] Sev {g.pick('ABC')} | Contact: {c_name(g, c)} <{c_email(g, c)}> | "
                f"Phone: {phone_text(g, c.phone)} | Subscription ID: {c_sub(g, c)} | "
                f"Tenant ID: {c_tenant(g, c)} | Opened: {g.iso(style=1)}")
    if style == 3:
        when = g.ts()
        return (f"---------- Forwarded message ---------\nFrom: {c_name(g, c)} <{c_email(g, c)}>\n"
                f"Date: {g.keep_value('timestamp', when.strftime('%a, %d %b %Y %H:%M'))}\n"
                f"Subject: {subject}\n\n"
                f"Subscription ID {c_sub(g, c)} (tenant ID {c_tenant(g, c)}). "
                f"You can reach me on {phone_text(g, c.phone)}.")
    crm = {"contact": c_name(g, c), "company": c.company, "email": c_email(g, c),
           "phone": phone_text(g, c.phone), "subscriptionId": c_sub(g, c), "tenantId": c_tenant(g, c),
           "plan": c.support_plan}
    return "CRM record:\n" + json.dumps(crm, ensure_ascii=False, indent=1)


def fenced(text: str) -> str:
    return f"```\n{text}\n```"


def colleague(g: Gen, c: Customer) -> tuple[str, str]:
    first, last = person_name(g, c.locale)
    email = email_for(g, first, last, c.domain)
    return g.plant("person_name", f"{first} {last}"), g.plant("email", email)


# Each scenario returns the issue, a log excerpt and answers, planting what it writes.


def sc_vm_start(g: Gen, c: Customer) -> Scenario:
    vm_id = rid(g, c, "vm", c.vm)
    corr = new_guid(g)
    ts = g.iso(style=0)
    agent = g.version("walinuxagent")
    kernel = g.version("kernel")
    code = g.pick(("AllocationFailed", "OSProvisioningTimedOut", "ZonalAllocationFailed"))
    logs = "\n".join((
        json.dumps({"time": ts, "operationName": "Microsoft.Compute/virtualMachines/start/action",
                    "status": "Failed", "subStatus": code, "caller": c_email(g, c),
                    "resourceId": vm_id, "correlationId": corr,
                    "callerIpAddress": ip4(g, public=True)}, separators=(",", ":")),
        f"{g.iso(style=1)} {host(g, c, 0)} WALinuxAgent[1187]: INFO Daemon Azure Linux Agent Version: {agent}",
        f"{g.iso(style=1)} {host(g, c, 0)} kernel: Linux version {kernel} (buildd@lcy02-amd64-059)",
    ))
    issue = (f"Our VM {c.vm} in resource group {c.resource_group} ({c.region}) will not start since "
             f"this morning. The portal just says '{code}'. Activity log and boot diagnostics below.")
    if code == "OSProvisioningTimedOut":
        cause = ("The guest agent came up (version " + agent + ") but provisioning timed out, which "
                 "usually means the OS took too long on first boot or cloud-init failed.")
    else:
        cause = (f"'{code}' means the {c.region} cluster that hosts the VM had no capacity for its "
                 "size at that moment; it is not a problem inside your VM.")
    answer = (f"{greet(g, c)}{cause}\n\n"
              f"1. Pull the serial log: `az vm boot-diagnostics get-boot-log --ids {vm_id}`.\n"
              f"2. Redeploy the VM to a new host: `az vm redeploy --ids {vm_id}`.\n"
              "3. If it still fails, deallocate it and try another size in the same family, "
              "or another availability zone.\n\n"
              f"Keep the correlation ID {corr} handy if you need us to look at the platform side.")
    weak = "Please try restarting the VM from the portal and let us know if it helps."
    follow = [
        (f"Redeploy worked for {c.vm}, thanks. Do we need to do anything for the other VMs in "
         f"subscription {c_sub(g, c, second=True)}?",
         "No action is needed for VMs that are running. To make restarts more resilient, spread "
         "them across availability zones and keep some capacity with an on-demand capacity "
         "reservation, so a start never depends on free capacity in one cluster."),
        ("Restarting didn't help, it still fails with the same error.",
         f"Understood. Then it is not transient: redeploy {c.vm} to another host with "
         f"`az vm redeploy --ids {vm_id}`, and if that fails too, change the size: "
         f"`az vm resize --ids {vm_id} --size Standard_D4s_v5`."),
    ]
    return Scenario(f"VM {c.vm} fails to start", issue, fenced(logs), answer, weak, follow)


def sc_ssh_blocked(g: Gen, c: Customer) -> Scenario:
    nsg = f"nsg-{c.app}-{c.env}"
    nsg_id = rid(g, c, "nsg", nsg)
    office = g.plant("ipv4", c.office_ip)
    vm_ip = ip4(g, public=False)
    office6 = ip6(g)
    port = g.rng.randrange(40000, 65000)
    logs = "\n".join((
        f"$ ssh azureuser@{host(g, c, 0)}",
        f"ssh: connect to host {host(g, c, 0)} port 22: Connection timed out",
        f"{g.iso(style=1)} {host(g, c, 0)} sshd[2211]: Connection closed by {office} port {port} [preauth]",
        f"NSG flow log {g.iso(style=0)}: {office},{vm_ip},{port},22,T,I,D,B",
        f"NSG flow log {g.iso(style=0)}: {office6},{vm_ip},{port + 1},22,T,I,D,B",
    ))
    issue = (f"I cannot SSH to {c.vm} ({vm_ip}) from our office anymore. Our egress IP is {office} "
             f"(IPv6 {office6}). Nothing changed on our side.")
    answer = (f"{greet(g, c)}The flow log shows the NSG {nsg} denying (D) inbound TCP 22 from "
              f"{office}, so the packet never reaches sshd.\n\n"
              "1. Check the effective rules: "
              f"`az network nic list-effective-nsg --ids {rid(g, c, 'nic', c.vm + '-nic01', casing=False)}`.\n"
              "2. Add an allow rule for your office only: "
              f"`az network nsg rule create --ids {nsg_id} --name AllowSSHOffice --priority 200 "
              f"--source-address-prefixes {office}/32 --destination-port-ranges 22 --access Allow`.\n"
              "3. Better still, close port 22 and use Azure Bastion or just-in-time VM access.")
    weak = "Port 22 is probably closed on the VM's firewall. Please check ufw."
    follow = [
        ("Can we allow the IPv6 address as well?",
         f"Yes: add a second rule with `--source-address-prefixes {office6}/128`. NSG rules take "
         "IPv6 prefixes, but the VM's NIC needs an IPv6 configuration for it to matter."),
        ("ufw is inactive on the VM, so it is not that.",
         f"Thanks for checking. Then the NSG {nsg} is the blocker: the flow log marks the packets "
         f"from {office} as denied. Add the allow rule for {office}/32 on port 22 and retry."),
    ]
    return Scenario(f"SSH to {c.vm} times out", issue, fenced(logs), answer, weak, follow)


def sc_storage_403(g: Gen, c: Customer) -> Scenario:
    st_id = rid(g, c, "storage", c.storage)
    bh = blob_host(g, c)
    client_ip = ip4(g, public=True)
    req = new_guid(g)
    container = g.pick(("exports", "raw", "backups", "invoices", "telemetry"))
    path = f"{container}/{g.ts().strftime('%Y/%m/%d')}/batch-{g.rng.randrange(1000):03d}.parquet"
    lines = [
        f"GET https://{bh}/{path}",
        "HTTP/1.1 403 This request is not authorized to perform this operation.",
        f"x-ms-request-id: {req}",
        f"<Error><Code>AuthorizationFailure</Code><Message>RequestId:{req} Time:{g.iso(style=0)}</Message></Error>",
        f"ClientIp: {client_ip}",
    ]
    leaked = g.chance(0.35)
    if leaked:
        key = g.plant("secret", account_key(g))
        lines.insert(0, f"AzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountName={c.storage};"
                        f"AccountKey={key};EndpointSuffix=core.windows.net")
    elif g.chance(0.3):
        lines[0] = f"GET https://{bh}/{path}?{sas_token(g)}"
    issue = (f"Our pipeline gets 403 AuthorizationFailure reading from storage account {c.storage} "
             f"since {g.iso(style=2)}. It runs from {client_ip}.")
    rotate = ("\n\nYou pasted the account key in this ticket: please rotate it now "
              f"(`az storage account keys renew --account-name {c.storage} --key primary`) and move the "
              "app to a managed identity." if leaked else "")
    answer = (f"{greet(g, c)}AuthorizationFailure (rather than AuthenticationFailed) means the "
              f"request was well signed but the firewall of {c.storage} refused the caller's network.\n\n"
              f"1. List the rules: `az storage account network-rule list --ids {st_id}`.\n"
              f"2. Allow the caller: `az storage account network-rule add --ids {st_id} --ip-address {client_ip}` "
              "(private IPs cannot be added; use a service endpoint or private endpoint for those).\n"
              f"3. Confirm the request ID {req} no longer shows in the storage logs."
              f"{rotate}")
    weak = "Please regenerate the SAS token and try again."
    user_who = c_email(g, c)
    follow = [
        (f"The firewall rule fixed it. Should {user_who} also have a data role?",
         f"Only if that user reads blobs directly: assign `Storage Blob Data Reader` on {st_id} "
         f"with `az role assignment create --assignee {user_who} --role \"Storage Blob Data Reader\" --scope {st_id}`."),
        ("A new SAS token gives the same 403.",
         f"That fits: the SAS is fine, the network rule is not. Add {client_ip} to the firewall of "
         f"{c.storage} and the same token will work."),
    ]
    return Scenario(f"403 from {c.storage}", issue, fenced("\n".join(lines)), answer, weak, follow)


def sc_keyvault(g: Gen, c: Customer) -> Scenario:
    kv_id = rid(g, c, "kv", c.key_vault)
    oid = new_guid(g)
    email = c_email(g, c)
    ip = ip6(g) if g.chance(0.3) else ip4(g)
    logs = (f"(Forbidden) The user, group or application 'appid={new_guid(g)};oid={oid};"
            f"iss=https://sts.windows.net/{c_tenant(g, c)}/' does not have secrets get permission on key "
            f"vault '{c.key_vault};location={c.region}'. For help resolving this issue, please see "
            "https://go.microsoft.com/fwlink/?linkid=2125287\n"
            f"Code: Forbidden\nInner error: {{\"code\":\"ForbiddenByRbac\"}}\n"
            f"Caller: {email} from {ip} at {g.iso(style=0)}")
    issue = (f"{c.web_app} cannot read secrets from {c.key_vault} after we switched the vault to RBAC. "
             f"Object ID of the app's identity is {oid}.")
    answer = (f"{greet(g, c)}ForbiddenByRbac means the vault now ignores access policies and the "
              f"identity {oid} has no role on it.\n\n"
              f"Grant it: `az role assignment create --assignee-object-id {oid} --assignee-principal-type "
              f"ServicePrincipal --role \"Key Vault Secrets User\" --scope {kv_id}`\n\n"
              "Role assignments can take up to 10 minutes to apply; restart the app afterwards so it "
              "fetches a new token.")
    weak = "Add an access policy with Get and List permissions for the app."
    follow = [
        (f"Does {email} need the same role to see secrets in the portal?",
         f"Yes, for reading values: `Key Vault Secrets User` (or `Key Vault Secrets Officer` to manage "
         f"them) on {kv_id}. `Reader` alone shows the vault but not the secret values."),
        ("We added the access policy but it still says Forbidden.",
         f"Access policies no longer apply once {c.key_vault} uses the RBAC permission model. "
         f"Assign `Key Vault Secrets User` to {oid} on the vault instead."),
    ]
    return Scenario(f"Key Vault {c.key_vault} forbidden", issue, logs, answer, weak, follow)


def sc_sql(g: Gen, c: Customer) -> Scenario:
    srv_id = rid(g, c, "sql", c.sql_server)
    db = g.pick(("orders", "crm", "ledger", "appdb"))
    db_id = rid(g, c, "sql", c.sql_server, f"/databases/{db}")
    ip = ip4(g, public=True)
    fqdn = g.plant("hostname", f"{c.sql_server}.database.windows.net")
    lines = [
        f"{g.iso(style=2)}.{g.rng.randrange(1000):03d} +00:00 [ERR] Microsoft.Data.SqlClient {g.version('sqlclient')}: "
        f"Cannot open server '{c.sql_server}' requested by the login. Client with IP address '{ip}' is not "
        "allowed to access the server. Error 40615, State 1.",
        f"   at Orders.Api.Startup (host {host(g, c, 1)}, .NET {g.version('dotnet')})",
    ]
    if g.chance(0.3):
        pw = g.plant("secret", g.alnum(16, string.ascii_letters + string.digits + "!#%"))
        lines.append(f"ConnectionStrings__Default=Server=tcp:{fqdn},1433;Initial Catalog={db};"
                     f"User ID=appuser;Password={pw};Encrypt=True;")
    issue = f"Since {g.iso(style=2)} our API cannot connect to {fqdn} / {db}. Error 40615."
    answer = (f"{greet(g, c)}Error 40615 is the server-level firewall of {c.sql_server} refusing {ip}.\n\n"
              f"`az sql server firewall-rule create --resource-group {c.resource_group} --server {c.sql_server} "
              f"--name api-egress --start-ip-address {ip} --end-ip-address {ip}`\n\n"
              f"For a permanent fix put {db_id} behind a private endpoint, so the app's outbound IP no "
              "longer matters.")
    weak = "Check that the SQL login and password are correct."
    follow = [
        (f"Will the rule cover the read replica of {c.sql_server} too?",
         f"Server-level firewall rules apply to every database on {srv_id}, including the geo "
         "secondary only if it lives on the same logical server; a replica on another server "
         "needs its own rule."),
        ("The password is correct, we checked.",
         f"Agreed: 40615 is a network error, not a login failure. Allow {ip} on {c.sql_server} and "
         "the same credentials will work."),
    ]
    return Scenario(f"SQL 40615 on {c.sql_server}", issue, fenced("\n".join(lines)), answer, weak, follow)


def sc_webapp(g: Gen, c: Customer) -> Scenario:
    web_id = rid(g, c, "web", c.web_app)
    custom = g.plant("hostname", f"{g.pick(('portal', 'shop', 'api', 'my'))}.{c.domain}")
    ips = [ip4(g, public=True), ip6(g) if g.chance(0.5) else ip4(g, public=True)]
    logs = "\n".join((
        f"{g.iso(style=1)} {custom} GET /api/orders/{g.rng.randrange(10**6)} 502 - {ips[0]} 230031ms",
        f"{g.iso(style=1)} {custom} GET /health 503 - {ips[1]} 15ms",
        f"{g.iso(style=0)} Container {c.web_app}_0_{g.alnum(8)} didn't respond to HTTP pings on port: 8080, "
        "failing site start.",
        f"x-ms-client-request-id: {new_guid(g)}",
    ))
    issue = f"Intermittent 502/503 on https://{custom}/ served by {c.web_app}. Started after the deploy at {g.iso(style=2)}."
    answer = (f"{greet(g, c)}The container is not answering on port 8080, so the front end returns 502 "
              f"and the health check marks {c.web_app} unhealthy.\n\n"
              f"1. Set the port the app listens on: `az webapp config appsettings set --ids {web_id} "
              "--settings WEBSITES_PORT=8080` (or make the app listen on the port App Service expects).\n"
              f"2. Watch the startup: `az webapp log tail --ids {web_id}`.\n"
              "3. If the 230 s requests are real work, move them to a background job: App Service "
              "closes requests after 230 seconds.")
    weak = "Please scale the plan up to P1v3."
    follow = [
        ("Setting WEBSITES_PORT fixed the start. What about the 230 s requests?",
         "Those hit the front end's fixed 230-second timeout. Return 202 Accepted quickly and "
         "process the export in a WebJob, a Function or a queue worker, then let the client poll."),
        ("We scaled up and it's the same.",
         f"Scaling does not help here: {c.web_app} never answers on port 8080. Set WEBSITES_PORT "
         "to the port your container listens on, then restart."),
    ]
    return Scenario(f"502 on {c.web_app}", issue, fenced(logs), answer, weak, follow)


def sc_aks(g: Gen, c: Customer) -> Scenario:
    aks_id = rid(g, c, "aks", c.aks)
    k8s = g.version("k8s")
    nodes = []
    for i in range(3):
        status = "NotReady" if i == 1 else "Ready"
        nodes.append(f"aks-nodepool1-{g.rng.randrange(10**7, 10**8)}-vmss{i:06d}   {status}   agent   "
                     f"{g.rng.randrange(2, 40)}d   {k8s}   {ip4(g, public=False)}")
    logs = "$ kubectl get nodes -o wide\nNAME   STATUS   ROLES   AGE   VERSION   INTERNAL-IP\n" + "\n".join(nodes)
    issue = f"One node of {c.aks} is NotReady since {g.iso(style=1)} and pods are stuck Pending."
    answer = (f"{greet(g, c)}A single NotReady node is usually a kubelet or disk-pressure problem on "
              "that instance.\n\n"
              "1. `kubectl describe node <name>` and look at Conditions (DiskPressure, MemoryPressure).\n"
              f"2. Check the cluster: `az aks show --ids {aks_id} --query powerState`.\n"
              "3. Reimage the node: `az vmss reimage` on the node resource group's scale set, or "
              "cordon and delete it and let the pool replace it.")
    weak = "Upgrade the cluster to the latest Kubernetes version."
    follow = [
        ("It had DiskPressure. How do we avoid that?",
         f"Use ephemeral OS disks or a larger OS disk for the pool, and set image garbage collection "
         f"thresholds; {c.aks} on {k8s} supports both."),
        ("An upgrade is not possible this week.",
         "No need: reimaging or replacing the one NotReady node fixes it without an upgrade."),
    ]
    return Scenario(f"AKS node NotReady in {c.aks}", issue, fenced(logs), answer, weak, follow)


def sc_dns(g: Gen, c: Customer) -> Scenario:
    bh = blob_host(g, c)
    st_id = rid(g, c, "storage", c.storage)
    dns_ip = ip4(g, public=False)
    pub = ip4(g, public=True)
    logs = (f"C:\\> nslookup {bh}\nServer:  {host(g, c, 2)}\nAddress:  {dns_ip}\n\n"
            f"Non-authoritative answer:\nName:    blob.{c.region}.store.core.windows.net\n"
            f"Address:  {pub}\nAliases:  {bh}\n          {c.storage}.privatelink.blob.core.windows.net")
    issue = (f"We created a private endpoint for {c.storage}, but from {host(g, c, 0)} the name "
             f"still resolves to a public address. Windows Server build {g.version('windows')}.")
    answer = (f"{greet(g, c)}The CNAME to privatelink is there, but your DNS server {dns_ip} does not "
              "answer for privatelink.blob.core.windows.net, so it follows the public chain.\n\n"
              f"1. Link the private DNS zone privatelink.blob.core.windows.net to the VNet of {host(g, c, 0)}.\n"
              "2. On your own DNS servers, add a conditional forwarder for blob.core.windows.net to "
              "168.63.129.16 (from inside Azure) or to a DNS private resolver inbound endpoint.\n"
              f"3. Verify the private endpoint's record: `az network private-endpoint-connection list --id {st_id}`.")
    weak = "Flush the DNS cache with ipconfig /flushdns."
    follow = [
        ("We use on-premises DNS too. Same fix?",
         "On-premises clients need a forwarder to an Azure DNS private resolver inbound endpoint; "
         "they cannot reach 168.63.129.16 directly."),
        ("Flushing did nothing.",
         f"Expected: the answer comes from {dns_ip}, which has no privatelink zone. Add the zone "
         "link or a conditional forwarder first, then flush."),
    ]
    return Scenario(f"Private endpoint DNS for {c.storage}", issue, fenced(logs), answer, weak, follow)


def sc_quota(g: Gen, c: Customer) -> Scenario:
    limit = g.pick((10, 20, 50, 100, 200))
    usage = limit - g.rng.randrange(0, 4)
    corr = new_guid(g)
    logs = (f"Code: OperationNotAllowed\nMessage: Operation could not be completed as it results in "
            f"exceeding approved standardDSv5Family Cores quota. Additional details - Deployment Model: "
            f"Resource Manager, Location: {c.region}, Current Limit: {limit}, Current Usage: {usage}, "
            f"Additional Required: 8, (Minimum) New Limit Required: {usage + 8}. "
            f"Subscription: {c_sub(g, c)}\nCorrelation ID: {corr}\nTime: {g.iso(style=1)}")
    issue = f"Scale-out of our VM scale set in {c.region} fails with a quota error. Can you raise it?"
    answer = (f"{greet(g, c)}You are at {usage} of {limit} DSv5 cores in {c.region}; the scale-out "
              f"needs {usage + 8}.\n\n"
              "Request the increase in Quotas > Compute in the portal, or with the quota CLI: "
              f"`az quota update --resource-name standardDSv5Family --scope /subscriptions/"
              f"{c_sub(g, c)}/providers/Microsoft.Compute/locations/{c.region} --limit-object value={usage + 16}`.\n"
              "Small increases are usually approved automatically within minutes.")
    weak = "Please delete unused VMs to free up quota."
    follow = [
        ("Approved, thanks. Is the limit per subscription?",
         "Yes: vCPU quotas are per subscription, per region and per VM family, plus a total "
         "regional vCPU limit."),
        ("We can't delete anything, these are all production.",
         f"Then request the increase: {usage + 16} cores in {c.region} leaves headroom for the next scale-out."),
    ]
    return Scenario(f"vCPU quota in {c.region}", issue, logs, answer, weak, follow)


def sc_backup(g: Gen, c: Customer) -> Scenario:
    vault = f"rsv-{c.app}-{c.env}"
    vault_id = rid(g, c, "vault", vault)
    vm_id = rid(g, c, "vm", c.vm)
    job = new_guid(g)
    logs = (f"Backup job {job} for {c.vm} failed at {g.iso(style=0)}\n"
            "Error code: UserErrorGuestAgentStatusUnavailable\n"
            f"VM agent: WALinuxAgent {g.version('walinuxagent')}, Azure Monitor agent {g.version('monitor_agent')}\n"
            f"Vault: {vault_id}")
    issue = f"Nightly backups of {c.vm} have failed three nights in a row. We are on the {c.support_plan} plan."
    answer = (f"{greet(g, c)}UserErrorGuestAgentStatusUnavailable means Backup could not talk to the VM "
              "agent, so no snapshot was taken.\n\n"
              f"1. Check the agent status: `az vm get-instance-view --ids {vm_id} --query instanceView.vmAgent`.\n"
              "2. On the VM: `systemctl status walinuxagent`, and make sure outbound access to "
              "168.63.129.16 is not blocked by a proxy or firewall.\n"
              f"3. Re-run the job from {vault} once the agent reports Ready.")
    weak = "Re-run the backup job."
    follow = [
        ("The agent was stopped. It's running now. Anything else?",
         f"Trigger an on-demand backup from {vault} to confirm, and enable the 'agent not ready' "
         "alert so you hear about it before the nightly run."),
        ("Re-running fails the same way.",
         f"Yes, until the agent on {c.vm} is healthy. Check `systemctl status walinuxagent` first."),
    ]
    return Scenario(f"Backup failing for {c.vm}", issue, fenced(logs), answer, weak, follow)


def sc_access(g: Gen, c: Customer) -> Scenario:
    guest = c_email(g, c)
    other_tenant = new_guid(g)
    sub = c_sub(g, c, second=True)
    logs = (f"$ az account list --query \"[].{{name:name, id:id, tenant:tenantId}}\" -o table\n"
            f"Name              Id                                    Tenant\n"
            f"Pay-As-You-Go     {new_guid(g)}  {other_tenant}\n"
            f"$ az account set --subscription {sub}\n"
            f"The subscription of '{sub}' doesn't exist in cloud 'AzureCloud'.\n"
            f"(azure-cli {g.version('azure_cli')})")
    issue = (f"I ({guest}) was invited as a guest into tenant {c_tenant(g, c)} and given Contributor, "
             f"but I cannot see subscription {sub}.")
    answer = (f"{greet(g, c)}Your CLI is signed in to your home tenant {other_tenant}; guest access "
              "only shows up after you sign in to the resource tenant.\n\n"
              f"1. `az login --tenant {c.tenant_id}`\n2. `az account set --subscription {sub}`\n\n"
              "In the portal, use Settings > Directories + subscriptions and switch to that directory.")
    g.plant("guid", c.tenant_id)
    weak = "Ask the subscription owner to re-send the invitation."
    follow = [
        ("That worked. Can I make it the default?",
         "Yes: `az account set` persists across sessions, and in the portal you can set a startup directory."),
        ("The invitation was accepted already.",
         f"Then it is only the tenant context: `az login --tenant {c.tenant_id}` and the subscription appears."),
    ]
    return Scenario("Guest cannot see subscription", issue, fenced(logs), answer, weak, follow)


def sc_token(g: Gen, c: Customer) -> Scenario:
    web_id = rid(g, c, "web", c.web_app)
    token = bearer_token(g, c)
    api = g.api_version()
    logs = (f"GET https://management.azure.com{web_id}?api-version={api}\n"
            f"Authorization: Bearer {token}\n"
            f"x-ms-client-request-id: {new_guid(g)}\n"
            "HTTP/1.1 401 Unauthorized\n"
            "{\"error\":{\"code\":\"InvalidAuthenticationTokenTenant\",\"message\":\"The access token is from "
            f"the wrong issuer 'https://sts.windows.net/{new_guid(g)}/'. It must match the tenant "
            f"'https://sts.windows.net/{c_tenant(g, c)}/' associated with this subscription.\"}}}}")
    issue = f"Our deployment script gets 401 from ARM for {c.web_app}. Request and response below ({g.iso(style=3)})."
    answer = (f"{greet(g, c)}InvalidAuthenticationTokenTenant: the token was issued by another tenant "
              f"than the one that owns {c.web_app}'s subscription.\n\n"
              f"Request the token for the right tenant, e.g. `az account get-access-token --tenant {c.tenant_id}`, "
              "or set AZURE_TENANT_ID for the service principal.\n\n"
              "Also: the bearer token you pasted is valid for about an hour; treat it as a secret and do "
              "not paste tokens into tickets.")
    g.plant("guid", c.tenant_id)
    weak = "The token has probably expired; get a new one."
    follow = [
        ("Fixed by passing the tenant. Should we rotate anything?",
         "The token expires on its own within the hour. If the script used a client secret, "
         "rotating it is good practice since logs were shared."),
        ("A fresh token fails in the same way.",
         f"A fresh token from the same tenant will: it must come from tenant {c.tenant_id}."),
    ]
    return Scenario(f"401 from ARM for {c.web_app}", issue, fenced(logs), answer, weak, follow)


SCENARIOS: tuple[Callable[[Gen, Customer], Scenario], ...] = (
    sc_vm_start, sc_ssh_blocked, sc_storage_403, sc_keyvault, sc_sql, sc_webapp, sc_aks,
    sc_dns, sc_quota, sc_backup, sc_access, sc_token,
)


# --------------------------------------------------------------------------------------
# Chat examples
# --------------------------------------------------------------------------------------


def user_opening(g: Gen, c: Customer, sc: Scenario) -> str:
    parts = [profile_block(g, c, sc.subject), sc.issue, sc.logs]
    if g.chance(0.5):
        parts.append(sign_off(g, c))
    return "\n\n".join(parts)


def generic_followup(g: Gen, c: Customer, sc: Scenario) -> tuple[str, str]:
    name, email = colleague(g, c)
    return (f"Thanks! Could you also write a short summary I can forward to my colleague {name} ({email})?",
            f"Of course. Summary for {name}:\n\n- Issue: {sc.subject}.\n- Cause and fix: see the steps "
            f"above.\n- Affected subscription: {c_sub(g, c)}.\n\nI cannot send email myself; please "
            f"forward it to {email}.")


TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "get_resource_status",
        "description": "Return the provisioning and power state of an Azure resource.",
        "parameters": {"type": "object", "properties": {
            "resource_id": {"type": "string", "description": "Full Azure resource ID."}},
            "required": ["resource_id"]}}},
    {"type": "function", "function": {
        "name": "query_activity_log",
        "description": "Return recent Activity Log events for a resource.",
        "parameters": {"type": "object", "properties": {
            "resource_id": {"type": "string"},
            "status": {"type": "string", "enum": ["Failed", "Succeeded", "Started"]},
            "hours": {"type": "integer"}},
            "required": ["resource_id"]}}},
]


def tool_example(g: Gen, c: Customer, with_system: bool) -> dict[str, Any]:
    kind = g.pick(("vm", "vm", "web", "storage"))
    name = {"vm": c.vm, "web": c.web_app, "storage": c.storage}[kind]
    res_id = rid(g, c, kind, name, casing=False)
    call_id = "call_" + g.alnum(24, string.ascii_letters + string.digits)
    use_log = g.chance(0.4)
    if use_log:
        fn, args = "query_activity_log", {"resource_id": res_id, "status": "Failed", "hours": 24}
        result: dict[str, Any] = {"events": [
            {"time": g.iso(style=0), "operation": f"{PROVIDERS[kind]}/write", "status": "Failed",
             "caller": c_email(g, c), "callerIp": ip4(g, public=True), "correlationId": new_guid(g)}]}
        summary = (f"the last failed operation on {name} was a write by {result['events'][0]['caller']} "
                   f"at {result['events'][0]['time']}")
    else:
        fn, args = "get_resource_status", {"resource_id": res_id}
        state = g.pick(("VM deallocated", "VM running", "VM stopped"))
        result = {"provisioningState": "Succeeded", "powerState": state,
                  "privateIp": ip4(g, public=False), "publicIp": ip4(g, public=True),
                  "osVersion": g.version("windows"), "lastModified": g.iso(style=0)}
        summary = f"{name} is provisioned and its power state is '{state}'"
    user = (f"{profile_block(g, c, 'status check')}\n\nCan you check what is going on with {name}? "
            f"Resource ID: {res_id}")
    msgs: list[dict[str, Any]] = []
    if with_system:
        msgs.append({"role": "system", "content": g.pick(SYSTEM_PROMPTS) +
                     " You can call tools to look up resource state."})
    msgs += [
        {"role": "user", "content": user},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": fn, "arguments": json.dumps(args, separators=(",", ":"))}}]},
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result, separators=(",", ":"))},
        {"role": "assistant", "content": f"{greet(g, c)}I looked it up: {summary}. "
                                         f"If that is not what you expect, tell me what changed and when."},
    ]
    return {"messages": msgs, "tools": TOOLS}


def chat_example(g: Gen, c: Customer, with_system: bool, rounds: int, weight_zero: bool) -> dict[str, Any]:
    sc = g.pick(SCENARIOS)(g, c)
    msgs: list[dict[str, Any]] = []
    if with_system:
        msgs.append({"role": "system", "content": g.pick(SYSTEM_PROMPTS)})
    msgs.append({"role": "user", "content": user_opening(g, c, sc)})
    if rounds == 1:
        msgs.append({"role": "assistant", "content": sc.answer})
        return {"messages": msgs}
    if weight_zero:
        msgs.append({"role": "assistant", "content": sc.weak_answer, "weight": 0})
        msgs.append({"role": "user", "content": sc.followups[1][0]})
        msgs.append({"role": "assistant", "content": sc.followups[1][1], "weight": 1})
    else:
        msgs.append({"role": "assistant", "content": sc.answer})
        msgs.append({"role": "user", "content": sc.followups[0][0]})
        msgs.append({"role": "assistant", "content": sc.followups[0][1]})
    if rounds == 3:
        u, a = generic_followup(g, c, sc)
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    return {"messages": msgs}


def dumps(obj: Any) -> str:
    """The canonical form ftprep writes: compact, UTF-8, '/' unescaped, key order kept."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def chat_file(g: Gen, customers: list[Customer]) -> list[str]:
    g.file = CHAT_FILE
    idx = list(range(N_CHAT))
    g.rng.shuffle(idx)
    tool_set = set(idx[:N_TOOL])
    multi = idx[N_TOOL:N_TOOL + N_MULTI_TURN]
    three = set(multi[:N_THREE_ROUND])
    weight0 = set(multi[N_THREE_ROUND:N_THREE_ROUND + N_WEIGHT_ZERO])
    multi_set = set(multi)
    rest = sorted(i for i in idx if i not in three)
    no_system = three | set(g.rng.sample(rest, N_NO_SYSTEM - len(three)))
    # Customer slots: every recurring customer at least twice, then a mix with fresh ones.
    slots: list[Customer | None] = [customers[i % N_RECURRING] for i in range(2 * N_RECURRING)]
    for _ in range(N_CHAT - len(slots)):
        slots.append(g.pick(customers) if g.chance(0.45) else None)
    g.rng.shuffle(slots)
    lines: list[str] = []
    for i in range(N_CHAT):
        g.new_anchor()
        c = slots[i] or make_customer(g, recurring=False)
        with_system = i not in no_system
        if i in tool_set:
            ex = tool_example(g, c, with_system)
        else:
            rounds = 3 if i in three else 2 if i in multi_set else 1
            ex = chat_example(g, c, with_system, rounds, i in weight0)
        lines.append(dumps(ex))
    return lines


# --------------------------------------------------------------------------------------
# Prompt-completion (legacy) examples
# --------------------------------------------------------------------------------------

TRIAGE: tuple[tuple[str, str, str, str, str], ...] = (
    # (short problem, category, severity, queue, resource kind for the resource ID or "")
    ("VM {vm} stuck in 'Starting', AllocationFailed", "compute", "B", "compute-tier1", "vm"),
    ("403 AuthorizationFailure on storage account {storage}", "storage", "B", "storage-tier1", "storage"),
    ("Key Vault {kv} returns ForbiddenByRbac to the web app", "identity", "B", "identity-tier1", "kv"),
    ("SQL error 40615 connecting to {sql}", "database", "A", "sql-tier2", "sql"),
    ("Invoice for last month is twice the usual amount", "billing", "C", "billing", ""),
    ("Need 64 more DSv5 cores in {region}", "quota", "C", "quota-automation", ""),
    ("Production site {web} down with 503 for all users", "web", "A", "appservice-tier2", "web"),
    ("AKS cluster {aks}: nodes NotReady after upgrade", "containers", "A", "aks-tier2", "aks"),
)


def completion_file(g: Gen, customers: list[Customer]) -> list[str]:
    g.file = COMPLETION_FILE
    lines: list[str] = []
    for i in range(N_COMPLETION):
        g.new_anchor()
        c = customers[(i * 7) % N_RECURRING] if i % 3 else make_customer(g, recurring=False)
        problem, cat, sev, queue, kind = g.pick(TRIAGE)
        problem = problem.format(vm=c.vm, storage=c.storage, kv=c.key_vault, sql=c.sql_server,
                                 region=c.region, web=c.web_app, aks=c.aks)
        prompt = (f"Ticket from {c_name(g, c)} <{c_email(g, c)}>, phone {phone_text(g, c.phone)}, "
                  f"subscription {c_sub(g, c)}, opened {g.iso(style=1)}.\n{problem}.")
        if kind and g.chance(0.6):
            name = {"vm": c.vm, "storage": c.storage, "kv": c.key_vault, "sql": c.sql_server,
                    "web": c.web_app, "aks": c.aks}[kind]
            prompt += f"\nAffected resource: {rid(g, c, kind, name, casing=False)}; caller IP {ip4(g)}."
        prompt += "\n\n###\n\n ->"
        completion = f" category: {cat}; severity: {sev}; queue: {queue} END"
        lines.append(dumps({"prompt": prompt, "completion": completion}))
    return lines


# --------------------------------------------------------------------------------------
# Broken lines
# --------------------------------------------------------------------------------------

# Table of broken.jsonl (1-based line -> what is broken). Every line carries an email,
# phone or GUID where the form allows, so tests can check that rejected.jsonl is
# pseudonymized too. Line 1 is chat-shaped so that a file-level format detection
# sees chat; line 20 is then a format mismatch.
#
#   1  role "moderator" (not a valid role)
#   2  invalid JSON: object truncated mid-string
#   3  invalid JSON: trailing comma before the closing brace
#   4  invalid JSON: single quotes instead of double quotes
#   5  line is a JSON array, not an object
#   6  blank line
#   7  line is a bare JSON string
#   8  no assistant message (system + user only)
#   9  assistant content is "" (empty)
#  10  assistant content is whitespace only
#  11  user content is a number
#  12  "messages" is an object, not a list
#  13  "messages" is an empty list
#  14  unknown key "timestamp" on a message
#  15  weight is 2 (must be 0 or 1)
#  16  weight is true (a boolean, must be integer 0 or 1)
#  17  assistant content null without tool_calls
#  18  tool message tool_call_id answers no earlier call
#  19  tool_calls arguments are not valid JSON
#  20  prompt-completion line in a chat file (format mismatch)
#  21  text contains the special token <|endoftext|>
#  22  NaN as a value (non-standard JSON)
#  23  only assistant message has weight 0 (nothing to train on)
#  24  invalid UTF-8 (a Latin-1 byte in a name)


def _sys(g: Gen) -> dict[str, Any]:
    return {"role": "system", "content": g.pick(SYSTEM_PROMPTS)}


def _user(g: Gen, c: Customer) -> dict[str, Any]:
    return {"role": "user", "content": (f"{c_name(g, c)} ({c_email(g, c)}, {phone_text(g, c.phone)}): "
                                        f"{c.vm} in subscription {c_sub(g, c)} will not start.")}


def _asst(g: Gen, c: Customer) -> dict[str, Any]:
    return {"role": "assistant", "content": f"Thanks {c.first}: run `az vm redeploy --ids "
                                            f"{rid(g, c, 'vm', c.vm, casing=False)}`."}


def broken_lines(g: Gen, customers: list[Customer]) -> list[tuple[bytes, str]]:
    g.file = BROKEN_FILE
    g.new_anchor()
    cs = [customers[(7 * i + 2) % N_RECURRING] for i in range(30)]

    def enc(obj: Any) -> bytes:
        return dumps(obj).encode("utf-8")

    def chat(*msgs: dict[str, Any]) -> bytes:
        return enc({"messages": list(msgs)})

    out: list[tuple[bytes, str]] = []
    c = cs[0]
    out.append((chat(_sys(g), _user(g, c), {"role": "moderator", "content": "Approved."}, _asst(g, c)),
                "role 'moderator' is not a valid role"))
    c = cs[1]
    full = chat(_sys(g), _user(g, c), _asst(g, c)).decode("utf-8")
    out.append((full[: full.index("will not start") + 8].encode("utf-8"), "invalid JSON: truncated object"))
    c = cs[2]
    out.append((chat(_user(g, c), _asst(g, c))[:-1] + b",}", "invalid JSON: trailing comma"))
    c = cs[3]
    text = chat(_user(g, c), _asst(g, c)).decode("utf-8").replace("'", "").replace('"', "'")
    out.append((text.encode("utf-8"), "invalid JSON: single quotes"))
    c = cs[4]
    out.append((enc([_user(g, c), _asst(g, c)]), "line is a JSON array, not an object"))
    out.append((b"", "blank line"))
    c = cs[5]
    out.append((enc(f"Customer {c_name(g, c)} <{c_email(g, c)}> called about {c.vm}"),
                "line is a bare JSON string, not an object"))
    c = cs[6]
    out.append((chat(_sys(g), _user(g, c)), "no assistant message (system + user only)"))
    c = cs[7]
    out.append((chat(_sys(g), _user(g, c), {"role": "assistant", "content": ""}),
                "assistant content is empty"))
    c = cs[8]
    out.append((chat(_sys(g), _user(g, c), {"role": "assistant", "content": " \n\t "}),
                "assistant content is whitespace only"))
    c = cs[9]
    out.append((chat(_sys(g), {"role": "user", "content": 40615}, _asst(g, c)),
                "user content is a number, not a string or list"))
    c = cs[10]
    out.append((enc({"messages": {"role": "user", "content": _user(g, c)["content"]}}),
                "messages is an object, not a list"))
    out.append((enc({"messages": []}), "messages is an empty list"))
    c = cs[11]
    u = _user(g, c)
    u["timestamp"] = g.iso(style=0)
    out.append((chat(_sys(g), u, _asst(g, c)), "unknown key 'timestamp' on a message"))
    c = cs[12]
    a = _asst(g, c)
    a["weight"] = 2
    out.append((chat(_user(g, c), a), "weight is 2, must be 0 or 1"))
    c = cs[13]
    a = _asst(g, c)
    a["weight"] = True
    out.append((chat(_user(g, c), a), "weight is a boolean (true), must be integer 0 or 1"))
    c = cs[14]
    out.append((chat(_sys(g), _user(g, c), {"role": "assistant", "content": None}),
                "assistant content null without tool_calls"))
    c = cs[15]
    call_id = "call_" + g.alnum(24, string.ascii_letters + string.digits)
    other_id = "call_" + g.alnum(24, string.ascii_letters + string.digits)
    res_id = rid(g, c, "vm", c.vm, casing=False)
    out.append((chat(_user(g, c),
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": call_id, "type": "function", "function": {
                             "name": "get_resource_status",
                             "arguments": dumps({"resource_id": res_id})}}]},
                     {"role": "tool", "tool_call_id": other_id,
                      "content": dumps({"powerState": "VM running", "privateIp": ip4(g, public=False)})},
                     _asst(g, c)),
                "tool_call_id does not match an earlier tool call"))
    c = cs[16]
    call_id = "call_" + g.alnum(24, string.ascii_letters + string.digits)
    res_id = rid(g, c, "vm", c.vm, casing=False)
    out.append((chat(_user(g, c),
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": call_id, "type": "function", "function": {
                             "name": "get_resource_status",
                             "arguments": "{'resource_id': '" + res_id + "'"}}]},
                     {"role": "tool", "tool_call_id": call_id, "content": "{\"powerState\":\"VM running\"}"},
                     _asst(g, c)),
                "tool_calls arguments are not valid JSON"))
    c = cs[17]
    out.append((enc({"prompt": f"Ticket from {c_name(g, c)} <{c_email(g, c)}>: {c.vm} down.\n\n###\n\n ->",
                     "completion": " category: compute; severity: B; queue: compute-tier1 END"}),
                "prompt-completion line in a chat file (format mismatch)"))
    c = cs[18]
    u = _user(g, c)
    u["content"] += " Log tail: <|endoftext|>"
    out.append((chat(_sys(g), u, _asst(g, c)), "text contains the special token <|endoftext|>"))
    c = cs[19]
    a = _asst(g, c)
    a["weight"] = float("nan")
    nan_line = json.dumps({"messages": [_user(g, c), a]}, ensure_ascii=False, separators=(",", ":"))
    out.append((nan_line.encode("utf-8"), "NaN as a value (not valid JSON)"))
    c = cs[20]
    a = _asst(g, c)
    a["weight"] = 0
    out.append((chat(_sys(g), _user(g, c), a), "only assistant message has weight 0"))
    c = cs[21]
    u = _user(g, c)
    u["content"] += " Viele Grüße"
    line = chat(u, _asst(g, c)).replace("Grüße".encode(), "Grüße".encode("latin-1"))
    out.append((line, "invalid UTF-8 (Latin-1 byte)"))
    return out


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def customers_csv(customers: list[Customer]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "company", "domain"])
    for c in customers:
        w.writerow([c.name, c.company, c.domain])
    return buf.getvalue()


def planted_json(g: Gen) -> str:
    def sorted_sets(d: dict[str, dict[str, set[str]]]) -> dict[str, dict[str, list[str]]]:
        return {f: {k: sorted(v) for k, v in sorted(kinds.items())} for f, kinds in sorted(d.items())}

    doc = {
        "about": ("Values the generator wrote into each file. 'pii': identifying values by type, as "
                  "written (some case variants included); none may appear in pseudonymized output "
                  "(person_name and hostname only once those detectors exist). 'keep': values that "
                  "must NOT be treated as identifiers (timestamps, version strings, some of which look "
                  "like IPv4 addresses) and support ticket numbers. Secrets also appear inside JWTs "
                  "in base64 form."),
        "pii": sorted_sets(g.planted),
        "keep": sorted_sets(g.keep),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def prune(g: Gen, name: str, data: bytes) -> None:
    """Keep only the recorded values that really ended up in the file's text.

    Values are recorded when made; a few are made for a branch not taken (an unused
    follow-up) or cut off (the truncated broken line).
    """
    text = data.decode("utf-8", errors="replace")
    for table in (g.planted, g.keep):
        kinds = table.get(name, {})
        for kind in list(kinds):
            kinds[kind] = {v for v in kinds[kind] if v in text}
            if not kinds[kind]:
                del kinds[kind]


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def generate(out_dir: Path, seed: int = SEED) -> dict[str, int]:
    """Write every sample file into ``out_dir``; return line counts per file."""
    g = new_gen(seed)
    customers = make_recurring(g)
    chat = chat_file(g, customers)
    completion = completion_file(g, customers)
    broken = broken_lines(g, customers)
    files = {
        CHAT_FILE: ("\n".join(chat) + "\n").encode("utf-8"),
        COMPLETION_FILE: ("\n".join(completion) + "\n").encode("utf-8"),
        BROKEN_FILE: b"\n".join(raw for raw, _ in broken) + b"\n",
    }
    for name, data in files.items():
        prune(g, name, data)
        write_bytes(out_dir / name, data)
    expected = {str(i): desc for i, (_, desc) in enumerate(broken, start=1)}
    write_bytes(out_dir / BROKEN_EXPECTED_FILE,
                (json.dumps(expected, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    write_bytes(out_dir / CUSTOMERS_FILE, customers_csv(customers).encode("utf-8"))
    write_bytes(out_dir / PLANTED_FILE, planted_json(g).encode("utf-8"))
    return {CHAT_FILE: len(chat), COMPLETION_FILE: len(completion), BROKEN_FILE: len(broken),
            CUSTOMERS_FILE: len(customers)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate ftprep's synthetic sample data.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: the folder of this script)")
    args = parser.parse_args(argv)
    counts = generate(args.out)
    import faker

    if faker.VERSION != FAKER_VERSION:
        sys.stderr.write(f"note: Faker {faker.VERSION} differs from {FAKER_VERSION}, which made the "
                         "committed files; the output will differ from them.\n")
    for name, n in counts.items():
        sys.stderr.write(f"{name}: {n} lines\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
