"""Detectors: text -> validated, non-overlapping spans.

Every detector is regex-first with a cheap literal pre-filter (``'@' in text`` before
the email regex, and so on), and every candidate is *validated* before it becomes a
span: phone numbers by ``phonenumbers``, IPs by :mod:`ipaddress`, cards by Luhn,
IBANs by mod-97, host names by their top-level domain. Overlaps are resolved
deterministically: the longest span wins, then the more specific type, then the
leftmost (:func:`resolve_overlaps`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers

from .config import PseudonymizeConfig
from .tables import (
    BUILTIN_ALLOW_VALUES,
    IBAN_LENGTHS,
    INTERNAL_SUFFIXES,
    PUBLIC_TLDS,
    WELL_KNOWN_GUIDS,
)


@dataclass(frozen=True, slots=True)
class Span:
    """A detected value: ``text[start:end]`` is an entity of ``etype``.

    ``sub`` refines the type (GUID context such as ``subscription``; the secret kind);
    ``keep`` marks a detected value that policy keeps unchanged (special IPs, allow-list):
    it still shadows the shorter spans inside it.
    """

    start: int
    end: int
    etype: str
    sub: str = ""
    keep: bool = False


# Specificity, used to break ties between spans of equal length.
RANK: dict[str, int] = {
    "SECRET": 100, "AZURE_RESOURCE_ID": 90, "URL": 80, "EMAIL": 70, "CREDIT_CARD": 62,
    "IBAN": 61, "GUID": 60, "MAC": 55, "IPV6": 54, "IPV4": 53, "US_SSN": 45, "PHONE": 40,
    "HOSTNAME": 30, "PERSON": 20, "ORGANIZATION": 19,
}

_GUID_BODY = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_RE = re.compile(r"(?<![0-9A-Za-z-])\{?" + _GUID_BODY + r"\}?(?![0-9A-Za-z-])")
GUID_FULL_RE = re.compile(_GUID_BODY)
EMAIL_RE = re.compile(
    r"(?<![\w.%+'-])[A-Za-z0-9](?:[A-Za-z0-9._%+'-]{0,62}[A-Za-z0-9_])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
URL_RE = re.compile(
    r"(?<![\w.+-])(?:https?|ftps?|wss?|sftp)://[^\s\"'<>`\\{}|^]+", re.IGNORECASE
)
AZURE_ID_RE = re.compile(
    r"/subscriptions/" + _GUID_BODY + r"(?:/[^\s\"'<>`\\?#,;|]*)?", re.IGNORECASE
)
IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d|[A-Za-z_])")
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?![\w:.]?[\w:])"
)
MAC_RE = re.compile(
    r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:.-]?\w)"
)
PHONE_RE = re.compile(
    r"(?<![\w+/.:=#-])(?:\+|00)?(?:\(\d{1,5}\)|\d{1,5})(?:[ .\u00a0-]?(?:\(\d{1,5}\)|\d{1,5})){1,6}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w/]|[-.]\d)"
)
CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[-.]\d)")
IBAN_RE = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?!\w)")
SSN_RE = re.compile(r"(?<![\w.-])\d{3}-\d{2}-\d{4}(?![\w]|-\d)")
HOST_RE = re.compile(
    r"(?<![\w@./:-])(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,22}[A-Za-z](?![\w-]|\.[A-Za-z0-9])"
)
SECRET_RE = re.compile(
    "|".join(
        (
            # key=value secrets in connection strings and URLs: only the value is a secret
            r"(?i:(?<![\w])(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd"
            r"|sig|client_secret|api[_-]?key|access[_-]?token|secret)\s*=\s*)"
            r"(?P<kv>[^;&\s\"'<>]{3,})",
            r"(?i:\bBearer\s+)(?P<bearer>[A-Za-z0-9._~+/=-]{16,})",
            r"(?i:\bBasic\s+)(?P<basic>[A-Za-z0-9+/]{12,}={0,2})",
            r"(?P<jwt>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
            r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)",
            r"(?P<apikey>\b(?:sk-(?:proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}"
            r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}"
            r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}"
            r"|glpat-[A-Za-z0-9_-]{20,})\b)",
            # a bare 88-character storage account key (base64 of 64 bytes)
            r"(?<![A-Za-z0-9+/])(?P<b64key>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])",
        )
    ),
    re.DOTALL,
)
_VERSION_BEFORE = re.compile(
    r"(?:\bv|\bversion|\bver\.?|\bbuild|\brelease|\bfirmware|\bagent|\bkernel|\bos)\s*[:=#]?\s*$",
    re.IGNORECASE,
)
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_PHONE_CONTEXT = re.compile(
    r"(?:phone|tel|mobile|cell|call|fax|sms|whatsapp|contact|number|reach)\W{0,3}(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)
_GUID_CONTEXT: tuple[tuple[str, str], ...] = (
    ("subscription", "subscription"), ("sub id", "subscription"), ("tenant", "tenant"),
    ("directory", "tenant"), ("object id", "object"), ("objectid", "object"),
    ("object_id", "object"), ("principal", "object"), ("oid", "object"),
    ("client id", "client"), ("clientid", "client"), ("client_id", "client"),
    ("app id", "client"), ("appid", "client"), ("app_id", "client"),
    ("application", "client"), ("correlation", "correlation"), ("request id", "correlation"),
    ("requestid", "correlation"), ("request_id", "correlation"), ("activity id", "correlation"),
    ("trace", "correlation"), ("operation id", "correlation"), ("x-ms-", "correlation"),
)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum (ISO/IEC 7812)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """True when ``compact`` (no spaces, upper case) has its country's length and passes mod-97."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def ssn_ok(ssn: str) -> bool:
    area, group, serial = ssn[:3], ssn[4:6], ssn[7:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def special_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, link-local, documentation, unspecified, multicast, reserved, broadcast."""
    if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return True
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_reserved or any(ip in net for net in _DOC_V4) or str(ip) == "168.63.129.16"
    return ip in _DOC_V6 or ip.is_reserved and not ip.is_private


_DOC_V4 = (
    ipaddress.IPv4Network("192.0.2.0/24"),
    ipaddress.IPv4Network("198.51.100.0/24"),
    ipaddress.IPv4Network("203.0.113.0/24"),
)
_DOC_V6 = ipaddress.IPv6Network("2001:db8::/32")


def hostname_tld_ok(host: str) -> bool:
    labels = host.lower().rstrip(".").split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2:
        return False
    tld = labels[-1]
    if tld in INTERNAL_SUFFIXES:
        return True
    return tld in PUBLIC_TLDS and not labels[-2].isdigit()


def guid_context(text: str, start: int) -> str:
    """The kind of GUID the text says it is (``subscription``, ``tenant``, ...), or ``""``."""
    window = text[max(0, start - 48) : start].lower()
    best, best_pos = "", -1
    for word, kind in _GUID_CONTEXT:
        pos = window.rfind(word)
        if pos > best_pos:
            best, best_pos = kind, pos
    return best


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a deterministic set of non-overlapping spans, sorted by start.

    The longest span wins; among equal lengths the more specific type (:data:`RANK`),
    then the leftmost.
    """
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), -RANK[s.etype], s.start, s.etype))
    taken: list[Span] = []
    for span in ordered:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    taken.sort(key=lambda s: s.start)
    return taken


class Detector:
    """All regex detectors of one policy; stateless after construction and picklable."""

    def __init__(self, config: PseudonymizeConfig) -> None:
        self.config = config
        self.enabled = frozenset(config.entities)
        self.allow_values = BUILTIN_ALLOW_VALUES | {v.lower() for v in config.allow_values}
        self.allow_re = (
            re.compile("|".join(f"(?:{p})" for p in config.allow_patterns))
            if config.allow_patterns
            else None
        )

    # -- policy -------------------------------------------------------------------------
    def allowed(self, value: str) -> bool:
        """True when policy keeps ``value`` unchanged (allow-list values and patterns)."""
        if value.lower() in self.allow_values:
            return True
        return bool(self.allow_re is not None and self.allow_re.fullmatch(value))

    # -- detection ------------------------------------------------------------------------
    def detect(self, text: str) -> list[Span]:
        """Candidate spans of every enabled type (validated, overlapping allowed)."""
        out: list[Span] = []
        on = self.enabled
        has_digit = _HAS_DIGIT.search(text) is not None
        if "SECRET" in on:
            self._secrets(text, out)
        if "@" in text and "EMAIL" in on:
            self._emails(text, out)
        if "://" in text and "URL" in on:
            self._urls(text, out)
        if has_digit:
            if "-" in text:
                if "AZURE_RESOURCE_ID" in on and ("ubscriptions/" in text or "UBSCRIPTIONS/" in text):
                    self._azure_ids(text, out)
                if "GUID" in on:
                    self._guids(text, out)
                if "US_SSN" in on:
                    self._ssns(text, out)
            if "." in text and "IPV4" in on:
                self._ipv4(text, out)
            if ":" in text and "IPV6" in on:
                self._ipv6(text, out)
            if "MAC" in on and (":" in text or "-" in text or "." in text):
                self._macs(text, out)
            if "CREDIT_CARD" in on:
                self._cards(text, out)
            if "IBAN" in on:
                self._ibans(text, out)
            if "PHONE" in on:
                self._phones(text, out)
        if "." in text and "HOSTNAME" in on:
            self._hosts(text, out)
        return out

    def spans(self, text: str) -> list[Span]:
        """Detected, validated, non-overlapping spans of ``text`` in order."""
        found = self.detect(text)
        if len(found) <= 1:
            return found
        return resolve_overlaps(found)

    # -- individual detectors -------------------------------------------------------------
    def _secrets(self, text: str, out: list[Span]) -> None:
        for m in SECRET_RE.finditer(text):
            kind = m.lastgroup or "secret"
            start, end = m.span(kind)
            value = text[start:end]
            if kind == "kv" and value.startswith(("[", "<", "$", "{", "%")):
                continue  # already a placeholder / template variable
            out.append(Span(start, end, "SECRET", kind))

    def _emails(self, text: str, out: list[Span]) -> None:
        for m in EMAIL_RE.finditer(text):
            local = m.group().split("@", 1)[0]
            if ".." in local:
                continue
            out.append(Span(m.start(), m.end(), "EMAIL", keep=self.allowed(m.group())))

    def _urls(self, text: str, out: list[Span]) -> None:
        for m in URL_RE.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in ".,;:!?)]'\"":
                if text[end - 1] == ")" and text.count("(", m.start(), end) > text.count(")", m.start(), end - 1):
                    break
                end -= 1
            if end - m.start() > 8:
                out.append(Span(m.start(), end, "URL", keep=self.allowed(text[m.start() : end])))

    def _azure_ids(self, text: str, out: list[Span]) -> None:
        for m in AZURE_ID_RE.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in "./)]:":
                end -= 1
            out.append(Span(m.start(), end, "AZURE_RESOURCE_ID"))

    def _guids(self, text: str, out: list[Span]) -> None:
        for m in GUID_RE.finditer(text):
            start, end = m.span()
            value = m.group()
            if value.startswith("{") != value.endswith("}"):
                # unbalanced brace: the brace is not part of the GUID
                if value.startswith("{"):
                    start += 1
                else:
                    end -= 1
            core = text[start:end].strip("{}").lower()
            keep = core in WELL_KNOWN_GUIDS or self.allowed(core)
            out.append(Span(start, end, "GUID", guid_context(text, start), keep))

    def _ssns(self, text: str, out: list[Span]) -> None:
        for m in SSN_RE.finditer(text):
            if ssn_ok(m.group()):
                out.append(Span(m.start(), m.end(), "US_SSN", keep=self.allowed(m.group())))

    def _ipv4(self, text: str, out: list[Span]) -> None:
        for m in IPV4_RE.finditer(text):
            value = m.group()
            try:
                ip = ipaddress.IPv4Address(value)
            except ValueError:
                continue
            if self.config.version_context and _VERSION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            keep = (self.config.keep_special_ips and special_ip(ip)) or self.allowed(value)
            out.append(Span(m.start(), m.end(), "IPV4", keep=keep))

    def _ipv6(self, text: str, out: list[Span]) -> None:
        for m in IPV6_RE.finditer(text):
            value = m.group()
            if value.count(":") < 2 or len(value) < 3:
                continue
            try:
                ip = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            keep = (self.config.keep_special_ips and special_ip(ip)) or self.allowed(value)
            out.append(Span(m.start(), m.end(), "IPV6", keep=keep))

    def _macs(self, text: str, out: list[Span]) -> None:
        for m in MAC_RE.finditer(text):
            hexdigits = re.sub(r"[^0-9A-Fa-f]", "", m.group()).lower()
            keep = hexdigits in ("000000000000", "ffffffffffff") or self.allowed(m.group())
            out.append(Span(m.start(), m.end(), "MAC", keep=keep))

    def _cards(self, text: str, out: list[Span]) -> None:
        for m in CARD_RE.finditer(text):
            value = m.group()
            digits = value.replace(" ", "").replace("-", "")
            if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or not luhn_ok(digits):
                continue
            seps = {c for c in value if not c.isdigit()}
            if len(seps) > 1:
                continue
            out.append(Span(m.start(), m.end(), "CREDIT_CARD", keep=self.allowed(value)))

    def _ibans(self, text: str, out: list[Span]) -> None:
        for m in IBAN_RE.finditer(text):
            compact = m.group().replace(" ", "")
            if iban_ok(compact):
                out.append(Span(m.start(), m.end(), "IBAN", keep=self.allowed(m.group())))

    def _phones(self, text: str, out: list[Span]) -> None:
        region = self.config.default_region
        for m in PHONE_RE.finditer(text):
            value = m.group()
            digits = sum(c.isdigit() for c in value)
            if not 7 <= digits <= 17:
                continue
            if _DATE_RE.search(value):
                continue
            plus = value.startswith(("+", "00"))
            punctuated = any(c in value for c in " .-()\u00a0")
            if not plus and not punctuated and not _PHONE_CONTEXT.search(text, max(0, m.start() - 40), m.start()):
                continue
            if not plus and value.count(".") >= 2 and all(c.isdigit() or c == "." for c in value):
                continue  # dotted numbers without a + are versions / IPs far more often
            if not phone_valid(value, region):
                continue
            out.append(Span(m.start(), m.end(), "PHONE", keep=self.allowed(value)))

    def _hosts(self, text: str, out: list[Span]) -> None:
        for m in HOST_RE.finditer(text):
            value = m.group()
            if not hostname_tld_ok(value):
                continue
            keep = self.allowed(value)
            if value[0].isupper() and value.startswith(("Microsoft.", "Azure.", "System.")):
                continue  # provider / .NET namespace, not a host
            out.append(Span(m.start(), m.end(), "HOSTNAME", keep=keep))


_HAS_DIGIT = re.compile(r"\d")


def phone_valid(value: str, region: str) -> bool:
    """True when ``phonenumbers`` parses ``value`` as a valid number (``region`` for national form)."""
    cleaned = value.replace("\u00a0", " ")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        num = phonenumbers.parse(cleaned, None if cleaned.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(num)


def spans_of_values(text: str, values: Sequence[tuple[str, str]]) -> list[Span]:
    """Spans of exact occurrences (case-insensitive, on word boundaries) of ``(value, etype)``."""
    out: list[Span] = []
    lowered = text.lower()
    for value, etype in values:
        v = value.lower()
        pos = lowered.find(v)
        while pos >= 0:
            end = pos + len(v)
            if (pos == 0 or not lowered[pos - 1].isalnum()) and (end == len(lowered) or not lowered[end].isalnum()):
                out.append(Span(pos, end, etype))
            pos = lowered.find(v, end)
    return out
