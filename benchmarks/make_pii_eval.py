"""Generate the labelled synthetic PII evaluation set used by ``benchmarks/pii_eval.py``.

Usage::

    python benchmarks/make_pii_eval.py [--records 1200] [--seed 7] [--out benchmarks/data]

Writes ``pii_eval.jsonl`` (chat-format records in the style of Azure support conversations;
a valid ftprep input) and ``pii_eval.labels.jsonl`` (one line per record). Every value is
synthetic: names and companies come from Faker with a fixed seed, numbers and identifiers
from a seeded :class:`random.Random`, so the set names nobody real and is identical on every
run of this script with the same arguments.

A label is ``{"path": [...], "start": s, "end": e, "type": T, "entity": id, "context": bool,
"form": f}``: ``path`` locates the string in the record (``"@"`` steps into JSON held in a
string, e.g. tool-call arguments), ``start``/``end`` are offsets in that string, ``entity``
groups every mention of one real-world value (for the consistency rate), ``context`` says
whether the text gives a cue for a PERSON / ORGANIZATION (structured key, salutation,
signature, display name) and ``form`` is ``full`` / ``first`` / ``last`` for names.

Only top-level values are labelled: a GUID inside a resource ID, a host inside a URL or an
e-mail is part of the enclosing label. Near-misses that must NOT be replaced (timestamps,
version strings, dotted versions that parse as IPv4, ticket numbers, documentation IPs,
provider namespaces, product names) are planted unlabelled; a replacement there counts as a
false positive.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

ROOT = Path(__file__).resolve().parent


@dataclass
class Text:
    """A string under construction that remembers where each labelled value went."""

    parts: list[str] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0

    def add(self, s: str) -> Text:
        self.parts.append(s)
        self.size += len(s)
        return self

    def ent(self, value: str, etype: str, entity: str, context: bool = True, form: str = "") -> Text:
        label: dict[str, Any] = {"start": self.size, "end": self.size + len(value), "type": etype,
                                 "entity": entity, "context": context}
        if form:
            label["form"] = form
        self.labels.append(label)
        return self.add(value)

    def done(self, path: list[Any]) -> tuple[str, list[dict[str, Any]]]:
        return "".join(self.parts), [dict(lb, path=path) for lb in self.labels]


@dataclass
class Person:
    first: str
    last: str
    email: str
    phone: str
    company: Company
    eid: str


@dataclass
class Company:
    name: str
    domain: str
    eid: str
    tenant: str
    subscription: str


class World:
    """Pools of synthetic entities, reused across records (cross-record consistency)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.fakers = [Faker(loc) for loc in ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "nl_NL")]
        for i, f in enumerate(self.fakers):
            f.seed_instance(seed * 100 + i)
        self.companies = [self._company(i) for i in range(60)]
        self.people = [self._person(i) for i in range(400)]
        self.counter = 0

    def eid(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _company(self, i: int) -> Company:
        f = self.r.choice(self.fakers)
        base = f.last_name()
        suffix = self.r.choice(["Ltd", "Inc", "GmbH", "Group", "Holdings", "Logistics", "Systems",
                                "Industries", "Partners", "Bank"])
        name = f"{base} {suffix}"
        slug = "".join(c for c in base.lower() if c.isalnum() and c.isascii()) or f"corp{i}"
        tld = self.r.choice(["com", "co.uk", "de", "fr", "io", "net", "eu"])
        return Company(name, f"{slug}{self.r.choice(['', 'group', 'corp', '-it'])}.{tld}",
                       f"org{i}", self.guid(), self.guid())

    def _person(self, i: int) -> Person:
        f = self.r.choice(self.fakers)
        first, last = f.first_name(), f.last_name()
        while " " in first or " " in last or not first.isalpha() or not last.replace("-", "").isalpha():
            first, last = f.first_name(), f.last_name()
        company = self.r.choice(self.companies)
        fa = _ascii(first).lower()
        la = _ascii(last).lower().replace("-", "")
        local = self.r.choice([f"{fa}.{la}", f"{fa[0]}{la}", f"{fa}", f"{fa}_{la}", f"{la}.{fa}",
                               f"{fa}.{la}{self.r.randint(1, 99)}"])
        return Person(first, last, f"{local}@{company.domain}", self.phone(), company, f"p{i}")

    # -- identifiers -----------------------------------------------------------------------
    def guid(self, upper: bool = False) -> str:
        h = "".join(self.r.choice("0123456789abcdef") for _ in range(32))
        g = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.r.choice('89ab')}{h[17:20]}-{h[20:]}"
        return g.upper() if upper else g

    def ipv4(self, private: bool) -> str:
        while True:
            if private:
                net = self.r.choice(["10.", "172.", "192.168."])
                if net == "10.":
                    ip = f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
                elif net == "172.":
                    ip = f"172.{self.r.randint(16, 31)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
                else:
                    ip = f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
            else:
                ip = ".".join(str(self.r.randint(1, 223) if k == 0 else self.r.randint(0, 255)) for k in range(4))
            addr = ipaddress.IPv4Address(ip)
            if (private and addr.is_private) or (not private and addr.is_global and not addr.is_multicast):
                return ip

    def ipv6(self) -> str:
        if self.r.random() < 0.3:
            value = (0xFD << 120) | self.r.getrandbits(120)
        else:
            value = ((0x2400 + self.r.randrange(0x0A00)) << 112) | self.r.getrandbits(112)
        text = ipaddress.IPv6Address(value).compressed
        return text.upper() if self.r.random() < 0.1 else text

    def mac(self) -> str:
        raw = [self.r.randrange(256) for _ in range(6)]
        raw[0] &= 0xFC
        sep = self.r.choice([":", "-"])
        text = sep.join(f"{b:02x}" for b in raw)
        return text.upper() if self.r.random() < 0.5 else text

    def phone(self) -> str:
        region, cc = self.r.choice([("US", 1), ("US", 1), ("GB", 44), ("FR", 33), ("DE", 49),
                                    ("NL", 31), ("AU", 61), ("ES", 34)])
        while True:
            example = phonenumbers.example_number(region)
            nsn = str(example.national_number)
            cand = nsn[:2] + "".join(self.r.choice(string.digits) for _ in range(len(nsn) - 2))
            num = phonenumbers.parse(f"+{cc}{cand}", None)
            if phonenumbers.is_valid_number(num):
                break
        fmt = self.r.choice(["intl", "intl", "national", "e164", "dots"] if region == "US"
                            else ["intl", "intl", "e164"])
        if fmt == "intl":
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if fmt == "e164":
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        if fmt == "national":
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
        d = str(num.national_number)
        return f"{d[:3]}.{d[3:6]}.{d[6:]}"

    def card(self) -> str:
        prefix, n = self.r.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)])
        body = prefix + "".join(self.r.choice(string.digits) for _ in range(n - len(prefix) - 1))
        for check in string.digits:
            if _luhn(body + check):
                digits = body + check
                break
        style = self.r.choice(["space", "dash", "plain"])
        if n == 15:
            groups = [digits[:4], digits[4:10], digits[10:]]
        else:
            groups = [digits[i : i + 4] for i in range(0, n, 4)]
        return {"space": " ".join(groups), "dash": "-".join(groups), "plain": digits}[style]

    def iban(self) -> str:
        country, length = self.r.choice([("DE", 22), ("FR", 27), ("NL", 18), ("GB", 22), ("ES", 24)])
        if country == "NL":
            bban = "".join(self.r.choice(string.ascii_uppercase) for _ in range(4)) + \
                "".join(self.r.choice(string.digits) for _ in range(10))
        elif country == "GB":
            bban = "".join(self.r.choice(string.ascii_uppercase) for _ in range(4)) + \
                "".join(self.r.choice(string.digits) for _ in range(14))
        else:
            bban = "".join(self.r.choice(string.digits) for _ in range(length - 4))
        rearranged = bban + country + "00"
        check = 98 - int("".join(str(int(c, 36)) for c in rearranged)) % 97
        compact = f"{country}{check:02d}{bban}"
        if self.r.random() < 0.6:
            return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return compact

    def ssn(self) -> str:
        while True:
            area = self.r.randint(1, 899)
            if area != 666:
                return f"{area:03d}-{self.r.randint(1, 99):02d}-{self.r.randint(1, 9999):04d}"

    def hostname(self, company: Company) -> str:
        role = self.r.choice(["vm-web", "sql-prod", "app", "api", "gw", "dc", "jump", "aks-node"])
        num = f"{self.r.randint(1, 40):02d}"
        suffix = self.r.choice(["corp", "local", "internal"])
        slug = company.domain.split(".")[0].replace("-", "")
        kind = self.r.random()
        if kind < 0.4:
            return f"{role}-{num}.{slug}.{suffix}"
        if kind < 0.7:
            return f"{role}{num}.{company.domain}"
        return f"{slug}{self.r.choice(['prod', 'data', 'logs'])}{num}.blob.core.windows.net"

    def resource_id(self, company: Company) -> tuple[str, str]:
        slug = company.domain.split(".")[0].replace("-", "")[:10]
        rg = f"rg-{slug}-{self.r.choice(['prod', 'dev', 'test'])}-{self.r.choice(['weu', 'eus', 'neu'])}"
        kind = self.r.choice([
            ("Microsoft.Compute/virtualMachines", f"vm-{slug}-{self.r.randint(1, 9):02d}"),
            ("Microsoft.Storage/storageAccounts", f"st{slug}{self.r.randint(10, 99)}"),
            ("Microsoft.Web/sites", f"app-{slug}-api"),
            ("Microsoft.KeyVault/vaults", f"kv-{slug}-{self.r.randint(1, 9)}"),
            ("Microsoft.Network/virtualNetworks", f"vnet-{slug}"),
        ])
        rid = f"/subscriptions/{company.subscription}/resourceGroups/{rg}/providers/{kind[0]}/{kind[1]}"
        if kind[0].endswith("virtualNetworks") and self.r.random() < 0.5:
            rid += f"/subnets/snet-{slug}-app"
        return rid, kind[1]

    def secret(self) -> tuple[str, str, str, str]:
        """(prefix text, secret value, suffix text, storage account name or "")."""
        kind = self.r.choice(["accountkey", "bearer", "password", "sas", "openai", "jwt"])
        b64 = "".join(self.r.choice(string.ascii_letters + string.digits + "+/") for _ in range(86)) + "=="
        if kind == "accountkey":
            acct = "".join(self.r.choice(string.ascii_lowercase) for _ in range(10))
            return (f"DefaultEndpointsProtocol=https;AccountName={acct};AccountKey=", b64,
                    ";EndpointSuffix=core.windows.net", acct)
        jwt = "eyJ" + _b64url(self.r, 30) + ".eyJ" + _b64url(self.r, 60) + "." + _b64url(self.r, 43)
        if kind == "bearer":
            return ("Authorization: Bearer ", jwt, "", "")
        if kind == "jwt":
            return ("the token was ", jwt, " and it expired", "")
        if kind == "password":
            pw = "".join(self.r.choice(string.ascii_letters + string.digits + "!#%") for _ in range(14))
            return ("Server=tcp:sql01.database.windows.net,1433;User ID=appuser;Password=", pw, ";Encrypt=True", "")
        if kind == "sas":
            sig = _b64url(self.r, 43).replace("-", "%2B")
            return ("?sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2026-03-01T00:00:00Z&sig=", sig, "", "")
        return ("OPENAI_API_KEY=", "sk-proj-" + _b64url(self.r, 40), "", "")


def _ascii(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


def _b64url(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.ascii_letters + string.digits + "-_") for _ in range(n))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


SYSTEM = ("You are an Azure support engineer helping enterprise customers. Be concise, give exact "
          "commands, and never ask for passwords or keys.")


def _near_misses(w: World, t: Text) -> None:
    """Values that must stay: timestamps, versions, ticket numbers, doc IPs, namespaces."""
    r = w.r
    choice = r.randrange(6)
    if choice == 0:
        t.add(f"\nAgent version {r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 99)}.{r.randint(0, 999)}, "
              f"kernel 5.15.0-{r.randint(1, 200)}-azure, build 10.0.{r.randint(17000, 22631)}.{r.randint(1, 4000)}.")
    elif choice == 1:
        t.add(f"\nTicket {r.randint(2_000_000_000_000_000, 2_999_999_999_999_999)} was opened at "
              f"2026-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:"
              f"{r.randint(10, 59)}.{r.randint(100, 999)}Z.")
    elif choice == 2:
        t.add(f"\nThe docs use 192.0.2.{r.randint(1, 254)} and 2001:db8::{r.randint(1, 999):x}; "
              "DNS goes through 168.63.129.16 and the VM reaches 169.254.169.254.")
    elif choice == 3:
        t.add("\nWe run ASP.NET Core 8 on Microsoft.Web/sites and Node.js 20; see config.json and setup.py.")
    elif choice == 4:
        t.add(f"\nError 0x{r.randrange(16**8):08X} at 12:{r.randint(10, 59)}:{r.randint(10, 59)}, "
              f"retry {r.randint(1, 5)} of 5 (request took {r.randint(100, 9999)} ms).")
    else:
        t.add(f"\nInstalled KB{r.randint(4000000, 5999999)} and package version {r.randint(1, 3)}."
              f"{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)}.")


def _profile_message(w: World, p: Person) -> Text:
    r, c = w.r, p.company
    t = Text()
    style = r.randrange(3)
    if style == 0:
        t.add("Customer profile\n- Name: ").ent(f"{p.first} {p.last}", "PERSON", p.eid, form="full")
        t.add("\n- Company: ").ent(c.name, "ORGANIZATION", c.eid)
        t.add("\n- Email: ").ent(p.email, "EMAIL", p.eid + ":email")
        t.add("\n- Phone: ").ent(p.phone, "PHONE", p.eid + ":phone")
        t.add("\n- Subscription ID: ").ent(c.subscription, "GUID", c.eid + ":sub")
        t.add("\n- Tenant ID: ").ent(c.tenant, "GUID", c.eid + ":tenant")
    elif style == 1:
        t.add("CRM record:\n{\n \"contact\": \"").ent(f"{p.first} {p.last}", "PERSON", p.eid, form="full")
        t.add("\",\n \"company\": \"").ent(c.name, "ORGANIZATION", c.eid)
        t.add("\",\n \"email\": \"").ent(p.email, "EMAIL", p.eid + ":email")
        t.add("\",\n \"phone\": \"").ent(p.phone, "PHONE", p.eid + ":phone")
        t.add("\",\n \"subscriptionId\": \"").ent(c.subscription, "GUID", c.eid + ":sub")
        t.add("\"\n}\n")
    else:
        t.add("---------- Forwarded message ---------\nFrom: ")
        t.ent(f"{p.first} {p.last}", "PERSON", p.eid, form="full").add(" <")
        t.ent(p.email, "EMAIL", p.eid + ":email").add(">\nSubject: outage in subscription ")
        t.ent(c.subscription, "GUID", c.eid + ":sub").add("\n\nHi team,\nplease call me on ")
        t.ent(p.phone, "PHONE", p.eid + ":phone").add(".")
    return t


def _incident(w: World, p: Person, t: Text, ents: dict[str, str]) -> None:
    r, c = w.r, p.company
    rid, name = w.resource_id(c)
    host = w.hostname(c)
    ip1, ip2 = w.ipv4(True), w.ipv4(r.random() < 0.5)
    corr = w.guid(upper=r.random() < 0.2)
    ents.update(rid=rid, name=name, host=host, ip1=ip1)
    t.add("\n\nSince this morning ").ent(host, "HOSTNAME", "h:" + host)
    t.add(" cannot reach ").ent(ip1, "IPV4", "ip:" + ip1).add(" from ").ent(ip2, "IPV4", "ip:" + ip2)
    t.add(".\n\n```\n")
    t.add(f"2026-02-{r.randint(10, 28)}T0{r.randint(1, 9)}:{r.randint(10, 59)}:{r.randint(10, 59)}.{r.randint(100, 999)}Z ERROR ")
    t.add("Resource: ").ent(rid, "AZURE_RESOURCE_ID", "rid:" + rid)
    t.add("\nCorrelation ID: ")
    if r.random() < 0.2:
        t.add("{").ent(corr, "GUID", "g:" + corr.lower()).add("}")
    else:
        t.ent(corr, "GUID", "g:" + corr.lower())
    if r.random() < 0.5:
        v6 = w.ipv6()
        t.add("\nPeer: [").ent(v6, "IPV6", "ip6:" + v6.lower()).add("]:443")
    if r.random() < 0.4:
        mac = w.mac()
        t.add("\nNIC MAC ").ent(mac, "MAC", "mac:" + mac.lower().replace("-", ":"))
    t.add("\n```")
    _near_misses(w, t)
    if r.random() < 0.5:
        url = f"https://portal.{c.domain}/tickets?id={r.randint(1000, 99999)}"
        t.add("\nDashboard: ").ent(url, "URL", "url:" + url)


def _billing(w: World, p: Person, t: Text) -> None:
    r = w.r
    kind = r.randrange(3)
    if kind == 0:
        card = w.card()
        t.add("\nPlease charge the renewal to card ").ent(card, "CREDIT_CARD", "cc:" + card.replace(" ", "").replace("-", ""))
        t.add(", expiry 0" + str(r.randint(1, 9)) + "/2" + str(r.randint(6, 9)) + ".")
    elif kind == 1:
        iban = w.iban()
        t.add("\nOur IBAN for the refund is ").ent(iban, "IBAN", "iban:" + iban.replace(" ", "")).add(".")
    else:
        ssn = w.ssn()
        t.add("\nFor the tax form, my SSN is ").ent(ssn, "US_SSN", "ssn:" + ssn).add(".")


def _secret(w: World, t: Text) -> None:
    pre, value, post, acct = w.secret()
    t.add("\nHere is what we use: ")
    if acct:  # the storage account name in a connection string is a resource name
        head, _, tail = pre.partition(acct)
        t.add(head).ent(acct, "AZURE_RESOURCE_ID", "name:" + acct).add(tail)
    else:
        t.add(pre)
    t.ent(value, "SECRET", "s:" + value).add(post)


def _chatter(w: World, p: Person, t: Text) -> None:
    """Free-form sentences: identifiers in prose, names with and without cues."""
    r = w.r
    other = r.choice(w.people)
    for _ in range(r.randint(1, 3)):
        k = r.randrange(10)
        if k == 0:
            t.add("\nI already spoke with ").ent(f"{other.first} {other.last}", "PERSON", other.eid, form="full")
            t.add(" from your team about it.")
        elif k == 1:
            t.add("\n").ent(f"{other.first} {other.last}", "PERSON", other.eid, context=False, form="full")
            t.add(" approved the change window last week.")
        elif k == 2:
            t.add("\nPlease also loop in ").ent(other.email, "EMAIL", other.eid + ":email")
            t.add(" (mobile ").ent(other.phone, "PHONE", other.eid + ":phone").add(").")
        elif k == 3:
            ip = w.ipv4(False)
            net = w.ipv4(True).rsplit(".", 1)[0] + ".0"
            t.add("\nOur VPN gateway ").ent(ip, "IPV4", "ip:" + ip).add(" routes ")
            t.ent(net, "IPV4", "ip:" + net).add("/24 and the backend pool listens on ")
            ip2 = w.ipv4(True)
            t.ent(ip2, "IPV4", "ip:" + ip2).add(":8080.")
        elif k == 4:
            g1, g2 = w.guid(), w.guid(upper=r.random() < 0.3)
            t.add("\nThe service principal has object ID ").ent(g1, "GUID", "g:" + g1)
            t.add(" and app id ").ent(g2, "GUID", "g:" + g2.lower()).add(".")
        elif k == 5:
            host = w.hostname(p.company)
            t.add("\n`nslookup ").ent(host, "HOSTNAME", "h:" + host).add("` times out; `ping ")
            host2 = w.hostname(other.company)
            t.ent(host2, "HOSTNAME", "h:" + host2).add(" -c 4` works.")
        elif k == 6:
            t.add("\nWe at ").ent(p.company.name, "ORGANIZATION", p.company.eid, context=False)
            t.add(" depend on this workload.")
        elif k == 7:
            acct = p.company.domain.split(".")[0].replace("-", "")[:12] + "data"
            url = f"https://{acct}.blob.core.windows.net/exports/report-{r.randint(1, 99)}.csv"
            t.add("\nThe export lands in ").ent(url, "URL", "url:" + url).add(".")
        elif k == 8:
            t.add("\nMy manager ").ent(f"{other.first} {other.last}", "PERSON", other.eid, context=False, form="full")
            t.add(" <").ent(other.email, "EMAIL", other.eid + ":email").add("> is in copy.")
        else:
            t.add("\nCall me back at ").ent(p.phone, "PHONE", p.eid + ":phone")
            t.add(" or write to ").ent(p.email.upper() if r.random() < 0.2 else p.email, "EMAIL", p.eid + ":email").add(".")


def make_record(w: World) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = w.r
    p = r.choice(w.people)
    c = p.company
    labels: list[dict[str, Any]] = []
    ents: dict[str, str] = {}
    user = _profile_message(w, p)
    _incident(w, p, user, ents)
    _chatter(w, p, user)
    if r.random() < 0.35:
        _billing(w, p, user)
    if r.random() < 0.3:
        _secret(w, user)
    signoff = r.choice(["Thanks,", "Kind regards,", "Best,", "Thanks in advance,", "Regards,"])
    user.add(f"\n\n{signoff}\n").ent(f"{p.first} {p.last}", "PERSON", p.eid, form="full")
    content0, lab0 = user.done(["messages", 1, "content"])
    labels += lab0

    a = Text()
    greet = r.choice(["Hi", "Hello", "Thanks,", "Dear"])
    if greet == "Dear":
        a.add("Dear ").add(r.choice(["Mr.", "Ms."])).add(" ").ent(p.last, "PERSON", p.eid, form="last")
    else:
        a.add(f"{greet} ").ent(p.first, "PERSON", p.eid, form="first")
    a.add(",\n\nI checked ").ent(ents["name"], "AZURE_RESOURCE_ID", "name:" + ents["name"])
    a.add(" in subscription ").ent(c.subscription, "GUID", c.eid + ":sub")
    a.add(". The NSG on ").ent(ents["host"], "HOSTNAME", "h:" + ents["host"])
    a.add(" blocks outbound traffic to ").ent(ents["ip1"], "IPV4", "ip:" + ents["ip1"])
    a.add(". Run:\n\n`az network watcher test-ip-flow --vm ").ent(ents["rid"], "AZURE_RESOURCE_ID", "rid:" + ents["rid"])
    a.add(" --direction Outbound --protocol TCP`\n\nIf it persists, I will update ")
    a.ent(p.email, "EMAIL", p.eid + ":email").add(" within 4 hours (version 2.61.0 of the CLI).")
    content1, lab1 = a.done(["messages", 2, "content"])
    labels += lab1
    msgs: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM},
                                  {"role": "user", "content": content0},
                                  {"role": "assistant", "content": content1}]
    if r.random() < 0.4:
        args = {"customer_name": f"{p.first} {p.last}", "customer_email": p.email,
                "subscription_id": c.subscription, "resource_id": ents["rid"], "severity": "B"}
        msgs.append({"role": "user", "content": "Can you open a ticket for this?"})
        msgs.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": f"call_{r.randrange(16**12):012x}", "type": "function",
            "function": {"name": "create_ticket", "arguments": json.dumps(args)}}]})
        base = ["messages", 4, "tool_calls", 0, "function", "arguments", "@"]
        for key, etype, eid, form in (("customer_name", "PERSON", p.eid, "full"),
                                      ("customer_email", "EMAIL", p.eid + ":email", ""),
                                      ("subscription_id", "GUID", c.eid + ":sub", ""),
                                      ("resource_id", "AZURE_RESOURCE_ID", "rid:" + ents["rid"], "")):
            label: dict[str, Any] = {"path": [*base, key], "start": 0, "end": len(args[key]),
                                     "type": etype, "entity": eid, "context": True}
            if form:
                label["form"] = form
            labels.append(label)
        msgs.append({"role": "tool", "tool_call_id": msgs[-1]["tool_calls"][0]["id"],
                     "content": json.dumps({"ticket": r.randint(10**15, 10**16 - 1), "status": "open"})})
        msgs.append({"role": "assistant", "content": "Done - the ticket is open."})
    return {"messages": msgs}, labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the labelled synthetic PII eval set.")
    ap.add_argument("--records", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "data")
    args = ap.parse_args(argv)
    w = World(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "pii_eval.jsonl", "w", encoding="utf-8") as data, \
            open(args.out / "pii_eval.labels.jsonl", "w", encoding="utf-8") as lab:
        for _ in range(args.records):
            record, labels = make_record(w)
            data.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            lab.write(json.dumps(labels, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
