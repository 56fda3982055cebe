"""Detectors: text -> validated, non-overlapping spans.

Every detector is regex-first with a cheap literal pre-filter (``'@' in text`` before
the email regex, and so on), and every candidate is *validated* before it becomes a
span: phone numbers by ``phonenumbers``, IPs by :mod:`ipaddress`, cards by Luhn,
IBANs by mod-97, host names by their top-level domain. Overlaps are resolved
deterministically: the longest span wins, then the more specific type, then the
leftmost (:func:`resolve_overlaps`).
"""

from __future__ import annotations

import bisect
import ipaddress
import operator
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

import ahocorasick
import phonenumbers

from ..leak_pass import SPACELESS_RANGES
from .config import PseudonymizeConfig
from .tables import (
    AMBIGUOUS_TLDS,
    BUILTIN_ALLOW_VALUES,
    IBAN_LENGTHS,
    INTERNAL_SUFFIXES,
    PUBLIC_TLDS,
    WELL_KNOWN_GUIDS,
)


class Span(NamedTuple):
    """A detected value: ``text[start:end]`` is an entity of ``etype``.

    ``sub`` refines the type (GUID context such as ``subscription``; the secret kind);
    ``keep`` marks a detected value that policy keeps unchanged (special IPs, allow-list):
    it still shadows the shorter spans inside it. (A named tuple: immutable, and about
    three times cheaper to create than a frozen dataclass; detection makes many.)
    """

    start: int
    end: int
    etype: str
    sub: str = ""
    keep: bool = False


# ``_new_span(Span, (start, end, etype, sub, keep))``: a Span without the Python-level
# ``__new__`` of a named tuple (a third of the cost), for the detectors that make thousands.
# All five fields are given.
_new_span = tuple.__new__

# Specificity, used to break ties between spans of equal length.
RANK: dict[str, int] = {
    "SECRET": 100, "AZURE_RESOURCE_ID": 90, "URL": 80, "EMAIL": 70, "CREDIT_CARD": 62,
    "IBAN": 61, "GUID": 60, "MAC": 55, "IPV6": 54, "IPV4": 53, "US_SSN": 45, "PHONE": 40,
    "HOSTNAME": 30, "PERSON": 20, "ORGANIZATION": 19,
}

_NON_HEX_ANY = re.compile(r"[^0-9A-Fa-f]")

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
# Every PHONE_RE match is also a match of this simpler pattern (same edges, one run of the
# same characters in between), which cannot backtrack much: when it finds nothing, PHONE_RE
# need not run. PHONE_RE spends up to 0.7 ms failing on a GUID that starts with 8 digits
# ("99026449-6504-455e-..."): it tries every way to split the digits into groups.
_PHONE_LOOSE = re.compile(
    r"(?<![\w+/.:=#-])\+?[(\d][\d() .\u00a0-]*(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w/]|[-.]\d)"
)
CARD_RE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[-.]\d)")
IBAN_RE = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?!\w)")
SSN_RE = re.compile(r"(?<![\w.-])\d{3}-\d{2}-\d{4}(?![\w]|-\d)")
HOST_RE = re.compile(
    r"(?<![\w@./:-])(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,22}[A-Za-z](?![\w-]|\.[A-Za-z0-9])"
)
_VERSION_BEFORE = re.compile(
    r"(?:\bv|version|\bver\.?|build|release|firmware|agent|kernel|\bos|update|patch|sdk|\bcli|"
    r"runtime|extension|package|driver|\bkb|\bfw)\s*[:=#]?\s*$",
    re.IGNORECASE,
)
_NOT_DIGITS = re.compile(r"\D")  # (\d is what str.isdigit calls a digit among PHONE_RE's characters)
_PHONE_PUNCT = re.compile(r"[ .\-()\u00a0]")
_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_PHONE_WORDS = ("phone", "tel", "mobile", "cell", "call", "fax", "sms", "whatsapp", "contact", "number",
                "reach")
# A context word, then up to two more words, right before the number.
_PHONE_CONTEXT = re.compile(
    r"(?:" + "|".join(_PHONE_WORDS) + r")\W{0,3}(?:\w+\W{1,3}){0,2}$", re.IGNORECASE
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



def _build_guid_words() -> ahocorasick.Automaton:
    """The context words, reversed: scanning the reversed window, the first hit is the word
    that starts last in the window (hits come by their end; no word is a prefix of another, so
    no two hits end together in the reversed window)."""
    words = [w for w, _kind in _GUID_CONTEXT]
    for a in words:
        for b in words:
            if a != b and a.startswith(b):
                raise AssertionError(f"GUID context word {a!r} starts with {b!r}")
    auto = ahocorasick.Automaton()
    for word, kind in _GUID_CONTEXT:
        auto.add_word(word[::-1], kind)
    auto.make_automaton()
    return auto


_GUID_WORDS_REV = _build_guid_words()


def ipv4_int(value: str) -> int:
    """The address as an integer, or -1 when an octet is over 255 or has a leading zero."""
    x = 0
    for part in value.split("."):
        if len(part) > 1 and part[0] == "0":
            return -1
        o = int(part)
        if o > 255:
            return -1
        x = x << 8 | o
    return x


def special_ipv4_int(x: int) -> bool:
    """:func:`special_ip` for an IPv4 address given as an integer (no object allocation)."""
    top = x >> 24
    if top in (0, 127) or top >= 224:  # this-network, loopback, multicast, reserved, broadcast
        return True
    if x >> 16 == 0xA9FE:  # 169.254/16 link-local
        return True
    return (x >> 8) in _DOC_V4_24 or x == _WIRESERVER


_VERSION_WORDS = frozenset((
    "v", "version", "ver", "ver.", "build", "release", "firmware", "agent", "kernel", "update",
    "patch", "sdk", "cli", "runtime", "extension", "package", "driver", "kb", "fw", "os",
))


_VERSION_TAILS = tuple(_VERSION_WORDS | {"agent", "version"})


def version_before(text: str, start: int) -> bool:
    """True when the word right before ``start`` names a version ("version 1.2.3.4", "v1.2.3.4",
    "WALinuxAgent 2.10.0.8"); "DNS server 10.0.0.4" is an address."""
    pre = text[max(0, start - 24) : start].rstrip(" \t:=#").lower()
    if not pre.endswith(_VERSION_TAILS):
        return False  # the word (a suffix of ``pre``) can be none of them: most addresses
    i = len(pre)
    while i > 0 and (pre[i - 1].isalpha() or pre[i - 1] == "."):
        i -= 1
    word = pre[i:]
    return word in _VERSION_WORDS or word.endswith(("agent", "version"))


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
        top24 = int(ip) >> 8
        return ip.is_reserved or top24 in _DOC_V4_24 or int(ip) == _WIRESERVER
    return ip in _DOC_V6 or ip.is_site_local


_DOC_V4 = (
    ipaddress.IPv4Network("192.0.2.0/24"),
    ipaddress.IPv4Network("198.51.100.0/24"),
    ipaddress.IPv4Network("203.0.113.0/24"),
)
_DOC_V6 = ipaddress.IPv6Network("2001:db8::/32")
_DOC_V4_24 = frozenset(int(n.network_address) >> 8 for n in _DOC_V4)
_WIRESERVER = int(ipaddress.IPv4Address("168.63.129.16"))  # Azure platform address


def hostname_tld_ok(host: str) -> bool:
    labels = host.lower().rstrip(".").split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if len(labels) < 2:
        return False
    tld = labels[-1]
    if tld in INTERNAL_SUFFIXES:
        return True
    if tld in AMBIGUOUS_TLDS and len(labels) < 3:
        return False  # "main.rs", "script.pl": a file name unless it has a third label
    return tld in PUBLIC_TLDS and not labels[-2].isdigit()


def guid_context(text: str, start: int) -> str:
    """The kind of GUID the text says it is (``subscription``, ``tenant``, ...), or ``""``: the
    context word that starts last in the 48 characters before the GUID. (No word is a prefix
    of another, so two words never start at the same place.)"""
    window = text[max(0, start - 48) : start].lower()
    for _end, kind in _GUID_WORDS_REV.iter(window[::-1]):
        return kind  # the first hit from the end: the word that starts last
    return ""


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a deterministic set of non-overlapping spans, sorted by start.

    The longest span wins; among equal lengths the more specific type (:data:`RANK`),
    then the leftmost.

    A span's fate depends only on the spans it overlaps, so the spans are split into groups
    that overlap one another (in start order) and only groups of more than one are resolved
    (:func:`_resolve_greedy`); most spans of a text overlap nothing. (Empty spans, which
    overlap nothing yet stop another span at their start, go to the greedy whole.)
    """
    items = sorted(spans, key=_START)  # stable: equal starts keep their order, as the greedy needs
    out: list[Span] = []
    n = len(items)
    i = 0
    while i < n:
        first = items[i]
        reach = first[1]
        if reach <= first[0]:
            return _resolve_greedy(items)
        j = i + 1
        while j < n:
            span = items[j]
            if span[0] >= reach:
                break
            if span[1] <= span[0]:
                return _resolve_greedy(items)
            if span[1] > reach:
                reach = span[1]
            j += 1
        if j == i + 1:
            out.append(first)
        elif j == i + 2:  # two spans that overlap: the first by priority
            out.append(min(first, items[i + 1], key=_priority))
        else:
            out.extend(_resolve_greedy(items[i:j]))
        i = j
    return out


_START = operator.itemgetter(0)


def _priority(s: Span) -> tuple[int, int, int, str]:
    return -(s.end - s.start), -RANK[s.etype], s.start, s.etype


def _resolve_greedy(spans: Iterable[Span]) -> list[Span]:
    """:func:`resolve_overlaps` by its definition: the spans by priority, each kept unless it
    overlaps one kept before."""
    ordered = sorted(spans, key=_priority)
    starts: list[int] = []  # starts and ends of the taken spans, both sorted (they are disjoint)
    ends: list[int] = []
    taken: list[Span] = []
    for span in ordered:
        i = bisect.bisect_right(starts, span.start)
        if i > 0 and ends[i - 1] > span.start:
            continue  # overlaps the taken span that starts at or before it
        if i < len(starts) and starts[i] < span.end:
            continue  # overlaps the next taken span
        starts.insert(i, span.start)
        ends.insert(i, span.end)
        taken.insert(i, span)
    return taken


class Detector:
    """All regex detectors of one policy; stateless after construction and picklable."""

    def __init__(self, config: PseudonymizeConfig) -> None:
        self.config = config
        self.enabled = frozenset(config.entities)
        self._digit_types = bool(self.enabled & {"PHONE", "CREDIT_CARD", "US_SSN"})
        self.phones = PhoneMemo(config.default_region)
        self.allow_values = BUILTIN_ALLOW_VALUES | {v.lower() for v in config.allow_values}
        self.allow_re = (
            re.compile("|".join(f"(?:{p})" for p in config.allow_patterns))
            if config.allow_patterns
            else None
        )
        self._guid_keep = WELL_KNOWN_GUIDS | self.allow_values  # lower-case GUIDs kept as they are
        # IPv6 candidate -> (valid, groups, special): parsing costs 20 us, and the same
        # addresses recur within a record (bounded; cleared when full)
        self._v6_memo: dict[str, tuple[bool, int, bool]] = {}
        # IPv4 and host name candidates -> -1 (not one), 0, 1 (kept by policy): the parts of
        # their checks that do not depend on the text around them (bounded, as above)
        self._ipv4_memo: dict[str, int] = {}
        self._host_memo: dict[str, int] = {}

    # -- policy -------------------------------------------------------------------------
    def allowed(self, value: str) -> bool:
        """True when policy keeps ``value`` unchanged (allow-list values and patterns)."""
        if value.lower() in self.allow_values:
            return True
        return bool(self.allow_re is not None and self.allow_re.fullmatch(value))

    # -- detection ------------------------------------------------------------------------
    def detect(self, text: str) -> list[Span]:
        """Candidate spans of every enabled type (validated, overlapping allowed).

        Each detector starts from a cheap anchor (a literal such as ``@``, ``://``, ``-hhhh-``,
        a dot before a TLD, a colon, a digit cluster) found by C code, and only then runs its
        validating pattern around the anchor.
        """
        out: list[Span] = []
        on = self.enabled
        if not text.isascii() and _SPACELESS.search(text) is not None:
            # a letter of a script written without spaces ends a word: "请联系jane.doe@contoso.com获取帮助"
            # (each becomes a symbol of one character, so offsets stay those of ``text``)
            text = _SPACELESS.sub(_SPACELESS_MASK, text)
        if "SECRET" in on or "AZURE_RESOURCE_ID" in on:
            self._secrets(text, out)
            if "SECRET" in on and ("w" in text or "W" in text or "y" in text or "Y" in text
                                   or "cret" in text or "CRET" in text):
                self._password_keys(text, out)  # (every key word holds "w", "y" or "cret" in some case)
        if "@" in text and "EMAIL" in on:
            self._emails(text, out)
        if "%40" in text and "EMAIL" in on:
            self._emails(text, out, "%40")
        if "://" in text and "URL" in on:
            self._urls(text, out)
        if "-" in text:
            if "AZURE_RESOURCE_ID" in on and ("ubscriptions/" in text or "UBSCRIPTIONS/" in text):
                self._azure_ids(text, out)
            if "GUID" in on:
                self._guids(text, out)
            if "MAC" in on:
                self._dash_macs(text, out)
            if "AZURE_RESOURCE_ID" in on:
                self._caf_names(text, out)
        if "AZURE_RESOURCE_ID" in on and "st" in text:
            for m in _STORAGE_NAME.finditer(text):  # storage accounts: st + letters + digits
                if m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "._-/"):
                    out.append(Span(m.start(), m.end(), "AZURE_RESOURCE_ID", "name", keep=self.allowed(m.group())))
        if "." in text:
            if "IPV4" in on:
                self._ipv4(text, out)
            if "HOSTNAME" in on:
                self._hosts(text, out)
            if "MAC" in on:
                self._dot_macs(text, out)
        if ":" in text and ("IPV6" in on or "MAC" in on):
            self._colon_tokens(text, out)
        if self._digit_types or "IBAN" in on:
            self._digit_clusters(text, out)
        return out

    def spans(self, text: str) -> list[Span]:
        """Detected, validated, non-overlapping spans of ``text`` in order."""
        found = self.detect(text)
        if len(found) <= 1:
            return found
        return resolve_overlaps(found)

    # -- individual detectors -------------------------------------------------------------
    def _secrets(self, text: str, out: list[Span]) -> None:
        last_end = -1
        for end_idx, i, length in _secret_gate_hits(text):
            start = end_idx - length + 1
            if i == len(_SECRET_RULES) - 1:  # "==": the 86 characters before are the key
                start -= 86
                if start < 0 or (start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+/")):
                    continue
            elif start < last_end or (start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_")):
                continue
            m = _SECRET_RULES[i][1].match(text, start)
            if m is None:
                continue
            vs, ve = _value_span(m)
            value = text[vs:ve]
            if _PLACEHOLDER.match(value) or value == self.config.secret_marker:
                continue  # already a placeholder / template variable
            last_end = ve
            gate = _SECRET_KINDS[i]
            if gate == "storage account":  # "key vault kv01": a typed resource name
                # (the value is ASCII: ``[0-9-]`` is "a digit or a dash")
                if "AZURE_RESOURCE_ID" in self.enabled and (
                        _DIGIT_OR_DASH.search(value) is not None or len(value) >= 10):
                    out.append(Span(vs, ve, "AZURE_RESOURCE_ID", "name", keep=self.allowed(value)))
                continue
            if gate == "accountname=" or gate == "user=":  # a resource name, not a secret
                if "AZURE_RESOURCE_ID" in self.enabled:
                    out.append(Span(vs, ve, "AZURE_RESOURCE_ID", "name"))
            elif "SECRET" in self.enabled:
                out.append(Span(vs, ve, "SECRET", gate))
                if ve < len(text) and text[ve] in "\\\r\n" and ve - vs >= 32:
                    cm = _SECRET_CONTINUED.match(text, ve)  # a key / token wrapped onto the next line
                    if cm is not None and _TOKEN_BODY.fullmatch(value) is not None:
                        out.append(Span(cm.start("v"), cm.end("v"), "SECRET", gate))
                        last_end = cm.end("v")

    def _password_keys(self, text: str, out: list[Span]) -> None:
        """Passwords and keys under a prefixed key (``adminPassword=``, ``DB_PASSWORD="..."``,
        ``SqlAdminPassword:``, ``AZURE_OPENAI_API_KEY=``) or a command-line flag
        (``--admin-password x``, ``--password x``); a key that is the word alone is the
        ``_secrets`` rule's."""
        for m in _password_words(text):
            start = k = m.start()
            while k > 0 and text[k - 1] in _KEY_CHARS:
                k -= 1
            flag = text.startswith("--", k)
            head = text[k:start].lstrip("-")
            if (not head and not flag) or (k > 0 and text[k - 1] in "/\\@:"):
                continue
            end = m.end()
            if end < len(text) and (text[end].isalpha() or text[end] == "_"):
                continue  # "PasswordPolicy", "pwdLastSet": another setting
            vm = _FLAG_VALUE.match(text, end) if flag else None
            if vm is None and (head or flag):
                vm = _KEYED_VALUE.match(text, end)
            if vm is None:
                continue
            vs, ve = _value_span(vm)
            value = text[vs:ve]
            if (_PLACEHOLDER.match(value) or value == self.config.secret_marker
                    or value.lower() in _NOT_PASSWORDS):
                continue
            out.append(_new_span(Span, (vs, ve, "SECRET", "Password", False)))

    def _emails(self, text: str, out: list[Span], sep: str = "@") -> None:
        """E-mails around each ``sep``: ``@``, or ``%40`` for URL-encoded ones
        (``jane.doe%40contoso.com`` in a query or a SharePoint path), whose local part stops
        after an earlier ``%XX`` escape (``user%3Djane.doe%40...``)."""
        width = len(sep)
        encoded = width > 1
        at = text.find(sep)
        while at >= 0:
            m = _EMAIL_DOMAIN.match(text, at + width)
            if m:
                lm = _EMAIL_LOCAL_REV.match(text[max(0, at - 64) : at][::-1])
                if lm:
                    start = at - lm.end()
                    if encoded and (escape := text.rfind("%", start, at)) >= 0:
                        start = escape + 3
                    while start < at and not text[start].isalnum():
                        start += 1
                    local = text[start:at]
                    if local and ".." not in local and (
                            "%" not in local if encoded else start == 0 or text[start - 1] not in "@"):
                        value = text[start : m.end()]
                        out.append(_new_span(Span, (start, m.end(), "EMAIL", "", self.allowed(value))))
            at = text.find(sep, at + width)

    def _urls(self, text: str, out: list[Span]) -> None:
        i = text.find("://")
        while i >= 0:
            lo = max(0, i - 12)
            sm = _URL_SCHEME.search(text, lo, i)
            if sm and (scheme := sm.group().lower()) in _SCHEMES and not (
                    lo > 0 and sm.start() == lo and text[lo - 1] in _SCHEME_CHARS):
                rm = _URL_REST.match(text, i + 3)
                if rm:
                    start = sm.start()
                    end = rm.end()
                    if scheme not in _WEB_SCHEMES:  # a connection string goes on after ";"
                        semi = text.find(";", i + 3, end)
                        if semi >= 0:
                            end = semi
                    end = _url_end(text, start, i, end)
                    if end > i + 4:
                        out.append(Span(start, end, "URL", keep=self.allowed(text[start:end])))
                    i = text.find("://", end)
                    continue
            i = text.find("://", i + 3)

    def _azure_ids(self, text: str, out: list[Span]) -> None:
        for m in AZURE_ID_RE.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in "./)]:":
                end -= 1
            out.append(Span(m.start(), end, "AZURE_RESOURCE_ID"))

    def _caf_names(self, text: str, out: list[Span]) -> None:
        """Resource names that follow the Azure naming convention (a resource-type prefix and
        at least two more parts: ``vm-pos-dev-04``, ``kv-contoso-api-test``) are customer
        resource names wherever they stand."""
        last_end = -1
        for m in _CAF_ANCHOR.finditer(text):
            start = m.start()
            if start <= last_end or (start > 2 and text[start - 3] in "._-/"):
                continue  # (the walk back below would stop at that character and reject it)
            k = start
            while k > 0 and start - k < 6 and (text[k - 1].islower() or text[k - 1].isdigit()):
                k -= 1
            if text[k:start] not in _CAF_PREFIXES or (k > 0 and (text[k - 1].isalnum() or text[k - 1] in "._-/")):
                continue
            fm = _CAF_NAME.match(text, k)
            if fm is None:
                continue
            end = fm.end()
            if end < len(text) and (text[end].isalnum() or text[end] in ".-/") and not (
                    text[end] == "." and (end + 1 >= len(text) or not text[end + 1].isalnum())):
                continue
            last_end = end
            out.append(_new_span(Span, (k, end, "AZURE_RESOURCE_ID", "name", self.allowed(fm.group()))))

    def _guids(self, text: str, out: list[Span]) -> None:
        n = len(text)
        allow_re = self.allow_re
        for m in _GUID_AT_DASH.finditer(text):
            start, end = m.start() - 8, m.end()
            if (start > 0 and text[start - 1] == "-" and not _guid_glue_ok(text, start - 1, -1)) or (
                    end < n and text[end] == "-" and not _guid_glue_ok(text, end, 1)):
                continue
            core = text[start:end].lower()
            if start > 0 and text[start - 1] == "{" and end < n and text[end] == "}":
                start, end = start - 1, end + 1
            # (``core`` is lower-case already: ``allowed`` without lowering it again)
            keep = core in self._guid_keep or (allow_re is not None and allow_re.fullmatch(core) is not None)
            out.append(_new_span(Span, (start, end, "GUID", guid_context(text, start), keep)))

    def _ipv4(self, text: str, out: list[Span]) -> None:
        n = len(text)
        for m in _IPV4_ANCHOR.finditer(text):
            start = m.start()
            while start > 0 and text[start - 1].isdigit() and m.start() - start < 3:
                start -= 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
                continue
            fm = _IPV4_FULL.match(text, start)
            if not fm:
                continue
            end = fm.end()
            if end < n and (text[end].isalnum() or text[end] == "_" or
                            (text[end] == "." and end + 1 < n and text[end + 1].isdigit())):
                continue
            value = fm.group()
            verdict = self._ipv4_memo.get(value)
            if verdict is None:
                verdict = _memo_put(self._ipv4_memo, value, self._ipv4_verdict(value), _VALUE_MEMO_SIZE)
            if verdict < 0:
                continue
            if self.config.version_context and version_before(text, start):
                continue
            out.append(_new_span(Span, (start, end, "IPV4", "", verdict > 0)))

    def _ipv4_verdict(self, value: str) -> int:
        """-1 when ``value`` (four dotted numbers) is no address, else 1 when policy keeps it
        (special addresses, allow-list), 0 when not."""
        ip_int = ipv4_int(value)
        if ip_int < 0:
            return -1
        return 1 if (self.config.keep_special_ips and special_ipv4_int(ip_int)) or self.allowed(value) else 0

    def _colon_tokens(self, text: str, out: list[Span]) -> None:
        """IPv6 addresses and colon-separated MACs, from ``:h:`` anchors."""
        n = len(text)
        last_end = -1
        want_v6 = "IPV6" in self.enabled
        want_mac = "MAC" in self.enabled
        for m in _COLON_ANCHOR.finditer(text):
            if m.start() < last_end:
                continue
            start = m.start()
            while start > 0 and text[start - 1] in _V6_CHARS:
                start -= 1
            run = _V6_RUN.match(text, m.end())  # always matches (possibly empty)
            end = run.end() if run else m.end()
            last_end = end
            # trailing '.' or ':' belongs to the sentence
            while end > start and text[end - 1] in ".:" and not text[start:end].endswith("::"):
                end -= 1
            while start < end and text[start] == "." :
                start += 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_:"):
                continue
            if end < n and (text[end].isalnum() or text[end] == "_"):
                continue
            value = text[start:end]
            if want_mac and _MAC_COLON.fullmatch(value):
                self._mac(value, start, end, out)
                continue
            if not want_v6 or value.count(":") < 2 or ("::" not in value and value.count(":") != 7 and "." not in value):
                continue
            v6 = self._v6_memo.get(value)
            if v6 is None:
                v6 = _memo_put(self._v6_memo, value, _v6_facts(value), _V6_MEMO_SIZE)
            valid, groups, special = v6
            if not valid:
                continue
            if groups < 3 and not special:
                continue  # "a::b" is a C++ scope far more often than an address
            keep = (self.config.keep_special_ips and special) or self.allowed(value)
            out.append(Span(start, end, "IPV6", keep=keep))

    def _mac(self, value: str, start: int, end: int, out: list[Span]) -> None:
        hexdigits = _NON_HEX_ANY.sub("", value).lower()
        keep = hexdigits in ("000000000000", "ffffffffffff") or self.allowed(value)
        out.append(Span(start, end, "MAC", keep=keep))

    def _dash_macs(self, text: str, out: list[Span]) -> None:
        for m in _MAC_DASH_ANCHOR.finditer(text):
            start = m.start() - 2
            if start < 0:
                continue
            fm = _MAC_DASH.match(text, start)
            if fm and _bounded(text, start, fm.end(), "-:"):
                self._mac(fm.group(), start, fm.end(), out)

    def _dot_macs(self, text: str, out: list[Span]) -> None:
        for m in _MAC_DOT_ANCHOR.finditer(text):
            start = m.start() - 4
            if start < 0:
                continue
            fm = _MAC_DOT.match(text, start)
            if fm and _bounded(text, start, fm.end(), ".:-"):
                self._mac(fm.group(), start, fm.end(), out)

    def _hosts(self, text: str, out: list[Span]) -> None:
        last_end = -1
        rev = ""  # the text reversed, to find where a run of host characters starts
        n = len(text)
        for m in _TLD_ANCHOR.finditer(text):
            tld = m.group()[1:].lower()
            if tld not in _ALL_TLDS or m.start() < last_end:
                continue
            end = m.end()
            if not rev:
                rev = text[::-1]
            run = _HOST_RUN.match(rev, n - m.start())  # always matches (possibly empty)
            start = m.start() - (run.end() - (n - m.start())) if run else m.start()
            while start < m.start() and text[start] in ".-":
                start += 1
            if start > 1 and text[start - 1] == "." and text[start - 2] == "*":
                start -= 2  # a wildcard name: *.corp.internal
            if start > 0 and text[start - 1] == "%" and start + 2 < m.start() and _HEX2.match(text, start):
                start += 2  # URL-encoded: "sr=https%3A%2F%2Fns.servicebus.windows.net"
            if start >= m.start() or (start > 0 and text[start - 1] in "@/\\_:" and not _host_position(text, start)):
                continue
            value = text[start:end]
            verdict = self._host_memo.get(value)
            if verdict is None:
                verdict = _memo_put(self._host_memo, value, self._host_verdict(value), _VALUE_MEMO_SIZE)
            if verdict < 0:
                continue
            last_end = end
            out.append(_new_span(Span, (start, end, "HOSTNAME", "", verdict > 0)))

    def _host_verdict(self, value: str) -> int:
        """-1 when ``value`` (a run of host characters ending in a known TLD) is no host name,
        else 1 when policy keeps it (allow-list), 0 when not."""
        if not _HOST_FULL.fullmatch(value) or not hostname_tld_ok(value):
            return -1
        if value[0].isupper() and value.startswith(("Microsoft.", "Azure.", "System.")):
            return -1  # provider / .NET namespace, not a host
        return 1 if self.allowed(value) else 0

    def _ibans(self, text: str, out: list[Span]) -> None:
        for m in IBAN_RE.finditer(text):
            compact = m.group().replace(" ", "")
            if iban_ok(compact):
                out.append(Span(m.start(), m.end(), "IBAN", keep=self.allowed(m.group())))

    def _iban_near(self, text: str, start: int, end: int, out: list[Span]) -> None:
        """An IBAN whose digit run starts at ``start``: its country code and check digits (and
        any letters of the bank code) sit just before it."""
        for m in IBAN_RE.finditer(text, max(0, start - 12), min(len(text), end + 8)):
            if m.start() < start <= m.end():
                compact = m.group().replace(" ", "")
                if iban_ok(compact):
                    out.append(Span(m.start(), m.end(), "IBAN", keep=self.allowed(m.group())))
                return

    def _digit_clusters(self, text: str, out: list[Span]) -> None:
        """PHONE, CREDIT_CARD and US_SSN, searched only inside runs of digits and separators."""
        on = self.enabled
        want_iban = "IBAN" in on
        n = len(text)
        for start, end, ndig in _clusters_to_check(text):
            c = text[start:end]
            if len(c) == 10 and _DATE_ONLY.fullmatch(c):
                continue  # a date (one cluster in four in logs)
            if want_iban and ndig >= 8 and _IBAN_HINT.search(text, max(0, start - 12), start + 2):
                self._iban_near(text, start, end, out)
            if (start > 0 and text[start - 1].isalpha()) or (end < n and text[end].isalpha()
                                                             and text[end] not in "xe"):
                # part of a token (hex id, GUID piece, version tag); but a number, a space and
                # one or two digits glued to a word ("+44 20 7946 0958 8am") is the number
                tail = _SPACED_TAIL.search(c)
                if tail is None or (start > 0 and text[start - 1].isalpha()):
                    continue
                ndig -= len(tail.group()) - 1
                end = start + tail.start()
                c = c[: tail.start()]
                if ndig < 7:
                    continue
            if "." in c and _DOTTED_NUMBERS.fullmatch(c):
                continue  # an IPv4 address or version number
            dm = _DATE_PREFIX.match(c)
            if dm and ndig - 8 < 7:
                continue  # a date, or a date and time
            # pull in a leading "+", "(" or "+(" of a phone number
            first = start
            while start > 0 and text[start - 1] in "+(" and first - start < 2:
                start -= 1
            lo, hi = max(0, start - 1), min(n, end + 12)
            if "US_SSN" in on and ndig >= 9 and c.count("-") >= 2:
                for sm in SSN_RE.finditer(text, lo, hi):
                    if ssn_ok(sm.group()):
                        out.append(Span(sm.start(), sm.end(), "US_SSN", keep=self.allowed(sm.group())))
            if "CREDIT_CARD" in on and ndig >= 13:
                for cm in CARD_RE.finditer(text, lo, hi):
                    if self._card_ok(text, cm.start(), cm.group()):
                        out.append(Span(cm.start(), cm.end(), "CREDIT_CARD", keep=self.allowed(cm.group())))
            if "PHONE" in on and _PHONE_LOOSE.search(text, lo, hi):
                for pm in PHONE_RE.finditer(text, lo, hi):
                    value = pm.group()
                    if not self._phone_ok(text, pm.start(), value):
                        # "(425) 555-0123 2 rings": the number without a spaced digit or two after it
                        tail = _SPACED_TAIL.search(value)
                        if tail is None or not self._phone_ok(text, pm.start(), value[: tail.start()]):
                            continue
                        value = value[: tail.start()]
                    out.append(_new_span(Span, (pm.start(), pm.start() + len(value), "PHONE", "",
                                                self.allowed(value))))

    def _card_ok(self, text: str, start: int, value: str) -> bool:
        digits = value.replace(" ", "").replace("-", "")
        if not 13 <= len(digits) <= 19 or not card_brand_ok(digits) or not luhn_ok(digits):
            return False
        if len({c for c in value if not c.isdigit()}) > 1:
            return False
        # a bare number after "ticket", "case", "order"... is an id, not a card
        return not (digits == value and _said_before(_TICKET_BEFORE_REV, text, start))

    def _phone_ok(self, text: str, start: int, value: str) -> bool:
        digits = len(_NOT_DIGITS.sub("", value))
        if not 7 <= digits <= 17 or _DATE_RE.search(value):
            return False
        if not value.startswith(("+", "00")):
            if not _PHONE_PUNCT.search(value) and not _said_before(_PHONE_CONTEXT_REV, text, start):
                return False
            if _DOTTED_NUMBERS.fullmatch(value):
                return False  # 1.2.3.4-like: versions and IPs, not phones
            if _said_before(_TICKET_BEFORE_REV, text, start):
                return False
        return self.phones.valid(value)


# ASCII text as bytes: 1 for the characters of a digit cluster (digits, space, "().-"), 0 else.
_CLUSTER_BYTES = bytes(49 if chr(i) in "0123456789 ().-" else 48 for i in range(256))
# ASCII text as bytes: "1" for a digit, "2" for a separator of a cluster, "3" for a lower-case
# letter, "0" else.
_CLUSTER_KINDS = bytes(
    49 if chr(i) in "0123456789" else 50 if chr(i) in " ().-" else 51 if "a" <= chr(i) <= "z" else 48
    for i in range(256)
)


def _clusters_to_check(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, digits)`` of the matches of :data:`_DIGIT_CLUSTER` in ``text``, in order,
    but only those that can hold a number: at least 7 digits, and not glued to a lower-case
    letter before them (part of a token: a hex id, a GUID piece; no IBAN runs through one).

    In ASCII text a match is, in each maximal run of cluster characters that holds one, the
    part from its first digit to its last (the pattern is greedy and ends on a digit; only
    separators follow the last digit), so a run gives at most one match and both its ends and
    its digit count are found with ``bytes.find`` / ``count`` on a translated copy."""
    found: list[tuple[int, int, int]] = []
    if not text.isascii():
        for m in _DIGIT_CLUSTER.finditer(text):
            start = m.start()
            if start and text[start - 1].isalpha() and not "A" <= text[start - 1] <= "Z":
                continue
            c = m.group()
            seps = c.count(" ") + c.count("-") + c.count(".") + c.count("(") + c.count(")")
            ndig = len(c) - seps - c.count("\u00a0")
            if ndig >= 7:
                found.append((start, m.end(), ndig))
        return found
    raw = text.encode("ascii")
    marks = raw.translate(_CLUSTER_BYTES)
    hit = marks.find(b"1111111")
    if hit < 0:
        return found
    kinds = raw.translate(_CLUSTER_KINDS)
    while hit >= 0:
        run_start = marks.rfind(b"0", 0, hit) + 1
        run_end = marks.find(b"0", hit + 7)
        if run_end < 0:
            run_end = len(marks)
        first = kinds.find(b"1", run_start, run_end)
        if first >= 0 and not (first == run_start and first and kinds[first - 1] == 51):
            ndig = kinds.count(b"1", first, run_end)
            if ndig >= 7:
                found.append((first, kinds.rfind(b"1", first, run_end) + 1, ndig))
        hit = marks.find(b"1111111", run_end)
    return found


def _build_secret_gates() -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for i, (gates, _rx) in enumerate(_SECRET_RULES):
        for gate in gates.lower().split("|"):
            auto.add_word(gate, (i, len(gate)))
    auto.make_automaton()
    return auto


# ASCII text as bytes, lower-cased, and every character that may stand before a word (neither
# alphanumeric nor "_") folded to a space.
_WORD_FOLD = bytes(
    ord(chr(c).lower()) if chr(c).isalnum() or chr(c) == "_" else 32 if c < 128 else c for c in range(256)
)


def _build_secret_words() -> ahocorasick.Automaton:
    """The gates of :data:`_SECRET_RULES` but "==", folded like :data:`_WORD_FOLD` and led by a
    space: in a folded text with a space in front, a hit is a gate that starts a word (what
    :meth:`Detector._secrets` keeps of the plain gates' hits), and the automaton leaves its
    root only at spaces (about twice as fast as the plain gates over ordinary text). A folded
    gate also matches text that differs in its punctuation, so each entry holds the gate to
    compare when it has any (a space too). (A gate of two rules belongs to the later, as in
    :data:`_SECRET_GATES`.)"""
    gates: dict[str, int] = {}
    for i, (rule_gates, _rx) in enumerate(_SECRET_RULES):
        for gate in rule_gates.lower().split("|"):
            gates[gate] = i
    words: dict[str, list[tuple[int, int, str | None]]] = {}
    for gate, i in gates.items():
        if gate == "==":
            continue
        folded = gate.encode("ascii").translate(_WORD_FOLD).decode("ascii")
        plain = all(c.isalnum() or c == "_" for c in gate)
        words.setdefault(" " + folded, []).append((i, len(gate), None if plain else gate))
    auto = ahocorasick.Automaton()
    for word, entries in words.items():
        auto.add_word(word, tuple(entries))
    auto.make_automaton()
    return auto


def _secret_gate_hits(text: str) -> list[tuple[int, int, int]]:
    """``(end index, rule, gate length)`` of the gates in ``text``, in the order of
    ``_SECRET_GATES.iter`` over the lower-cased text, but (in ASCII text) only the gates that
    start a word, and "==": the only ones :meth:`Detector._secrets` tries."""
    if not text.isascii():
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        return [(end_idx, i, length) for end_idx, (i, length) in _SECRET_GATES.iter(low)]
    hits: list[tuple[int, int, int]] = []
    folded = " " + text.encode("ascii").translate(_WORD_FOLD).decode("ascii")
    for end, entries in _SECRET_WORDS.iter(folded):
        for i, length, gate in entries:  # ``end - 1``: the index in ``text``
            if gate is None or text[end - length : end].lower() == gate:
                hits.append((end - 1, i, length))
    if "==" in text:  # the "==" rule's gate (no word start), merged in by end index
        last = len(_SECRET_RULES) - 1
        at = text.find("==")
        while at >= 0:
            hits.append((at + 1, last, 2))
            at = text.find("==", at + 1)
        hits.sort(key=_first)
    return hits


def _first(hit: tuple[int, int, int]) -> int:
    return hit[0]


def _host_position(text: str, start: int) -> bool:
    """True when a host name at ``start``, after a character that usually makes it part of
    something else (``\\``, ``:``), stands where a host stands: after the ``\\\\`` of a UNC path
    (``\\\\host\\share``; also with the backslashes doubled, as in escaped text), not a single
    escaping backslash; after ``tcp:`` (``Server=tcp:host.database.windows.net,1433``); after
    the ``#@`` of an Azure portal link (``https://portal.azure.com/#@tenant.onmicrosoft.com/...``)."""
    if text[start - 1] == "@":
        return start >= 2 and text[start - 2] == "#"
    if text[start - 1] == ":":
        return start >= 4 and text[start - 4 : start - 1].lower() == "tcp" and (
            start == 4 or not text[start - 5].isalnum())
    i = start
    while i > 0 and text[i - 1] == "\\":
        i -= 1
    return start - i in (2, 4) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:/"))


def _guid_glue_ok(text: str, dash: int, step: int) -> bool:
    """Whether a GUID may be glued by the "-" at ``dash`` to the word on the ``step`` side of
    it (-1: before, 1: after): a word (``snapshot``, ``EUS``, ``1``) yes; a run of four or more
    hex digits (the GUID would be part of a longer run of hex groups), or nothing, no."""
    i, n = dash + step, len(text)
    k = 0
    hexonly = True
    while 0 <= i < n and text[i].isalnum():
        hexonly = hexonly and text[i] in _HEX_CHARS
        k += 1
        i += step
    return k > 0 and not (hexonly and k >= 4)


def _bounded(text: str, start: int, end: int, seps: str) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in seps) and not (after.isalnum() or after in seps)


def card_brand_ok(digits: str) -> bool:
    """Issuer prefixes and lengths of the major card brands (ISO/IEC 7812 IIN ranges)."""
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if digits.startswith("6011") or 644 <= int(digits[:3]) <= 649 or p2 == 65:
        return 16 <= n <= 19  # Discover
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if 300 <= int(digits[:3]) <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19  # Diners Club
    if p2 == 62:
        return 16 <= n <= 19  # UnionPay
    return False


# Resource-type prefixes of the Azure naming convention (Cloud Adoption Framework abbreviations).
_CAF_PREFIXES = frozenset(
    ["rg", "vm", "vmss", "kv", "aks", "app", "func", "st", "sql", "sqldb", "sqlmi", "cosmos", "redis", "vnet", "snet", "nsg", "pip", "lb", "agw", "afd", "apim", "acr", "appi", "rsv", "evh", "evhns", "sb", "sbns", "adf", "synw", "mlw", "oai", "srch", "cae", "asp", "nic", "disk", "bas", "vpng", "lgw", "psql", "mysql", "stapp", "law", "dls", "ase", "ci"]
)
_CAF_TAILS = frozenset(p[-2:] for p in _CAF_PREFIXES)
# (Possessive: giving back a letter or a digit puts a letter or a digit where the next part
# needs another kind of character, so backtracking could never succeed; it is only skipped.)
_STORAGE_NAME = re.compile(r"st[a-z]{6,20}+\d{1,4}+(?![\w-]|\.[a-z0-9])")
_IBAN_HINT = re.compile(r"[A-Z]{2}\d{2}")
# "-part-" right after one of the letter pairs every prefix ends in (a lookbehind after the
# literal "-", so the scan stays a fast literal search): three in four "-x-" in text are not
# (GUID pieces, dates), and they are now skipped in C. Skipping one lets the scan find an
# anchor at its closing "-", which the old scan consumed; such an anchor has the skipped
# part right before it, so its prefix is preceded by "-" and is rejected all the same.
# (The first lookbehind, two lower-case letters, fails fast at most "-" in text, before the
# alternation of the pairs is tried.)
_CAF_ANCHOR = re.compile(
    r"-(?<=[a-z][a-z]-)(?<=(?:" + "|".join(sorted(_CAF_TAILS)) + r")-)[a-z0-9]+-"
)
_RESOURCE_AFTER = re.compile(
    r"(?i:storage\s+accounts?|account\s+name|key\s+vaults?|vault|(?:sql\s+)?server|database|"
    r"container\s+registry|registry|aks\s+cluster|cluster|workspace)[ \t]*[:=]?[ \t]*[\"'`]?"
    r"(?P<v>[a-z][a-z0-9-]{2,62})(?![\w.-]*[\w.-]\.[a-z])(?=[\"'`]?(?:[\s,.;:)]|$))"
)
_CAF_NAME = re.compile(r"[a-z]{2,6}-[a-z0-9]+(?:-[a-z0-9]+)+")
# A GUID that stands alone (no letter, digit or "-" on either side; ``[^\W_]`` is exactly
# ``str.isalnum``), found from its first "-" so that the scan is a fast literal search: the
# eight hex digits before it are a lookbehind. (GUIDs cannot overlap, so one non-overlapping
# scan finds all of them.)
# A "-" on either side is allowed here and judged by :func:`_guid_glue_ok`: a GUID glued to a
# word ("DefaultWorkspace-<guid>-EUS", "snapshot-<guid>") is one, a run of hex groups is not.
_GUID_AT_DASH = re.compile(
    r"-(?<=(?<![^\W_])[0-9a-fA-F]{8}-)[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![^\W_])"
)
_HEX_CHARS = frozenset("0123456789abcdefABCDEF")
# The local part: the run of these characters (at most 64) that ends at the "@", read backwards
# (an anchored match on the reversed text, not a search from each of 64 positions).
_EMAIL_LOCAL_REV = re.compile(r"[A-Za-z0-9._%+'-]{1,64}")
_EMAIL_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
_WEB_SCHEMES = frozenset(("http", "https", "ftp", "ftps", "ws", "wss", "sftp"))
# Schemes of connection strings and service endpoints (Service Bus / Event Hubs ``sb://``, AMQP):
# their URL ends at ";" too ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=...").
_SCHEMES = _WEB_SCHEMES | frozenset((
    "sb", "amqp", "amqps", "sqlserver", "smb", "mysql", "postgres", "postgresql", "mongodb", "mongodb+srv",
    "redis", "rediss", "ssh"))
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,11}\Z")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_URL_REST = re.compile(r"[^\s\"'<>`\\{}|^]+")
_IPV4_ANCHOR = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
_IPV4_FULL = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_COLON_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_V6_CHARS = frozenset("0123456789abcdefABCDEF:.")
_V6_SEPS = re.compile(r"[:.]")
_V6_RUN = re.compile(r"[0-9a-fA-F:.]*")  # the characters of _V6_CHARS, as a pattern
_V6_MEMO_SIZE = 4096
_VALUE_MEMO_SIZE = 8192
_T = TypeVar("_T")


def _memo_put(memo: dict[str, _T], value: str, verdict: _T, size: int) -> _T:
    """Remember a text-independent ``verdict`` on ``value`` in a per-detector memo (a lookup
    is ``memo.get``, inline at the call site); a full memo is emptied: memory stays bounded
    and verdicts do not depend on what it holds."""
    if len(memo) >= size:
        memo.clear()
    memo[value] = verdict
    return verdict


def _v6_facts(value: str) -> tuple[bool, int, bool]:
    """Whether ``value`` is an IPv6 address, its number of non-empty groups (split at ":"
    and "."), and whether it is special (:func:`special_ip`)."""
    try:
        ip = ipaddress.IPv6Address(value)
    except ValueError:
        return False, 0, False
    return True, sum(1 for g in _V6_SEPS.split(value) if g), special_ip(ip)
_MAC_COLON = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")
_MAC_DASH_ANCHOR = re.compile(r"-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-")
_MAC_DASH = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}")
_MAC_DOT_ANCHOR = re.compile(r"\.[0-9A-Fa-f]{4}\.")
_MAC_DOT = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
# The last label of a dotted name: a label followed by "." and an alphanumeric (``[^\W_]`` is
# ``str.isalnum``) is not (``host.windows.net``: its anchor is ".net"). A label followed by "."
# has no shorter match, so this finds the same last labels as the anchor without the test.
_TLD_ANCHOR = re.compile(r"\.[A-Za-z][A-Za-z0-9-]{0,22}[A-Za-z](?![\w-]|\.[^\W_])")
_ALL_TLDS = PUBLIC_TLDS | INTERNAL_SUFFIXES
_HOST_RUN = re.compile(r"[A-Za-z0-9.-]*")  # the same characters, as a pattern
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_HOST_FULL = re.compile(
    r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,22}[A-Za-z]"
)
# The letters of scripts written without spaces (CJK, kana, hangul, Thai, ...: the leak check's
# word boundaries, ``leak_pass.SPACELESS_RANGES``), and the symbol that stands for each of them
# while detecting (not a word character, not a space, in no detector's character set).
_SPACELESS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b, _s in SPACELESS_RANGES) + "]")
_SPACELESS_MASK = "\u3013"
# The rest of a long key or token wrapped right after it: a line break (after a shell's "\\"
# or not), some indentation, then at least 8 more characters of its alphabet, starting with a
# letter or digit, holding a letter and a digit or "=" (not a date, an address), up to the end.
_SECRET_CONTINUED = re.compile(
    r"\\?\r?\n[ \t]*(?P<v>(?=[A-Za-z0-9._~+/-]*[A-Za-z])(?=[A-Za-z0-9._~+/-]*[0-9=])"
    r"[A-Za-z0-9+/][A-Za-z0-9._~+/-]{7,}=*)(?=[;\s\"'&,)]|\Z)"
)
_TOKEN_BODY = re.compile(r"[A-Za-z0-9._~+/-]+")  # a value that ended before its "=" padding
_SPACED_TAIL = re.compile(r"[ \u00a0]\d{1,2}\Z")  # a space and one or two digits ending a run
_DIGIT_CLUSTER = re.compile(r"\d[\d ().\-\u00a0]{5,}\d")
_PLACEHOLDER = re.compile(
    r"(?:\$\{?[\w.-]+\}?|\{\{.*?\}\}|%[A-Za-z_][\w]*%|<[^<>]*>|\[[^\[\]]*\]|\*{3,}|x{3,}|X{3,})(?:[;&,]|$)"
)
_DATE_PREFIX = re.compile(r"\d{4}[-./]\d{2}[-./]\d{2}")
_DATE_ONLY = re.compile(r"\d{4}[-./]\d{2}[-./]\d{2}|\d{2}[-./]\d{2}[-./]\d{4}")
_DOTTED_NUMBERS = re.compile(r"\d{1,3}(?:\.\d{1,3}){2,}")
_TICKET_WORDS = ("ticket", "case", "incident", "request", "order", "invoice", "sr", "job", "issue", "ref",
                 "reference", "tracking", "confirmation", "transaction")
_TICKET_BEFORE = re.compile(
    r"(?:" + "|".join(_TICKET_WORDS) + r")\s*(?:number|no\.?|id|#)?\s*[:#=]?\s*$", re.IGNORECASE
)

# The two patterns above, reversed, to be matched at the start of the reversed text before a
# number: one anchored match instead of a search from each of 40 positions (5 us a call). A
# pattern without look-arounds matches text ending at a point exactly when its reverse matches
# the reversed text from there (sre folds case one character at a time, so IGNORECASE too).
_PHONE_CONTEXT_REV = re.compile(
    r"(?:\W{1,3}\w+){0,2}\W{0,3}(?:" + "|".join(w[::-1] for w in _PHONE_WORDS) + ")", re.IGNORECASE
)
_TICKET_BEFORE_REV = re.compile(
    r"\s*[:#=]?\s*(?:rebmun|\.?on|di|#)?\s*(?:" + "|".join(w[::-1] for w in _TICKET_WORDS) + ")",
    re.IGNORECASE,
)


def _said_before(reverse: re.Pattern[str], text: str, end: int) -> bool:
    """``forward.search(text, max(0, end - 40), end)`` for the ``$``-anchored pattern whose
    reverse is ``reverse``. (``$`` also matches before a newline that ends the text.)"""
    window = text[max(0, end - 40) : end][::-1]
    return reverse.match(window) is not None or (window[:1] == "\n" and reverse.match(window, 1) is not None)


def _url_end(text: str, start: int, colon: int, end: int) -> int:
    """Where a URL starting at ``start`` (``://`` at ``colon``) ends: trailing sentence
    punctuation is cut, a closing parenthesis only when it closes nothing in the URL."""
    while end > colon + 3 and text[end - 1] in ".,;:!?)]'\"":
        if text[end - 1] == ")" and text.count("(", start, end) > text.count(")", start, end - 1):
            break
        end -= 1
    return end


def url_as_detected(url: str) -> str:
    """``url`` as the URL detector would cut it when it stands in text (trailing ``]``, ``.``
    and the like dropped): how a fake URL is seen again in the output."""
    colon = url.find("://")
    return url[: _url_end(url, 0, colon, len(url))] if colon > 0 else url


def _kv(keys: str) -> re.Pattern[str]:
    """``key=value`` / ``key: value`` where only the value is secret (matched at the key)."""
    # ("SharedAccessSignature=SharedAccessSignature sr=...&sig=...": the second word is the
    # scheme of the token, not a secret; the "sig=" rule takes the signature)
    return re.compile(rf"(?i:{keys})" + _KV_VALUE)


# What follows a secret's key: ``={braced}`` (ODBC: "Pwd={a;b c}", "}}" is a "}"), a value in
# quotes (spaces allowed: "Password='Sup3r S3cret!'"), or a plain value. The secret is the
# group "b", "s" or "v" (:func:`_value_span`).
_KV_VALUE = (
    r"(?:=\{(?P<b>(?:[^}\n]|\}\})+)\}"
    r"|[\"']?\s*[=:]\s*(?:(?P<q>[\"'])(?P<s>(?:(?!(?P=q))[^\n]){3,200})(?P=q)"
    r"|[\"']?(?!(?i:SharedAccessSignature)\s)(?P<v>[^;&\s\"'<>,]{3,})))"
)
# The same after a command-line flag ("--admin-password 'x'", "--password x"): a space or "=".
_FLAG_VALUE = re.compile(
    r"(?:\s+|=)(?:(?P<q>[\"'])(?P<s>(?:(?!(?P=q))[^\n]){3,200})(?P=q)|(?P<v>(?![-$])[^;&|\s\"'<>,]{3,}))"
)
_KEYED_VALUE = re.compile(r"\d?" + _KV_VALUE)
# A password / API key with a prefix ("adminPassword", "DB_PASSWORD", "SqlAdminPassword",
# "PGPASSWORD", "AZURE_OPENAI_API_KEY", "JWT_SECRET", "x-functions-key", "--admin-password"): the
# word, found anywhere (the prefix is walked back over by hand).
_PASSWORD_WORD = re.compile(r"(?i:passw(?:or)?d|pwd|api[_-]?key|secret|access[_-]?key|functions-key)")
# How every match of :data:`_PASSWORD_WORD` starts, lower-cased (literal searches find them).
_PASSWORD_STARTS = ("passw", "pwd", "api", "secret", "access", "functions-key")


def _password_words(text: str) -> list[re.Match[str]]:
    """The matches of :data:`_PASSWORD_WORD` in ``text`` that follow a key character (a prefix
    or a flag's "-"), in order (they cannot overlap), found from literal searches of the
    lower-cased text rather than a case-insensitive scan."""
    low = text.lower()
    if len(low) != len(text):  # (a few characters lower-case to two)
        return [m for m in _PASSWORD_WORD.finditer(text) if m.start() > 0 and text[m.start() - 1] in _KEY_CHARS]
    found: list[re.Match[str]] = []
    for word in _PASSWORD_STARTS:
        i = low.find(word)
        while i >= 0:
            if i > 0 and text[i - 1] in _KEY_CHARS:
                m = _PASSWORD_WORD.match(text, i)
                if m is not None:
                    found.append(m)
            i = low.find(word, i + 1)
    if len(found) > 1:
        found.sort(key=_match_start)
    return found


def _match_start(m: re.Match[str]) -> int:
    return m.start()
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# Values of a prefixed key that say how a password is used, not what it is ("RequirePassword=true").
_NOT_PASSWORDS = frozenset(("true", "false", "yes", "no", "null", "none", "required", "optional", "enabled",
                            "disabled", "empty", "prompt"))


def _value_span(m: re.Match[str]) -> tuple[int, int]:
    """The span of the value a secret rule matched: group "v", else "b" or "s" when present."""
    vs, ve = m.span("v")
    if vs < 0:
        for name in ("b", "s"):
            if name in m.re.groupindex and m.start(name) >= 0:
                return m.span(name)
    return vs, ve


_KV_KEYS = (
    "AccountKey|SharedAccessKey|SharedAccessSignature|Password|passwd|Pwd|client_secret|"
    "clientSecret|client-secret|secret|api_key|api-key|apikey|access_key|accessKey|"
    "subscription_key|subscription-key|Ocp-Apim-Subscription-Key|primary_key|primaryKey|"
    "secondary_key|access_token|accessToken|refresh_token|refreshToken|id_token|auth_token|"
    "sas_token|sasToken"
)

# (gates, pattern): a pattern is tried (``match``) where one of its "|"-separated gates starts
# a word in the text; one Aho-Corasick pass over the lower-cased text finds every gate. The
# secret itself is the group "v". The "==" rule is the exception: its gate ends the secret.
_SECRET_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (_KV_KEYS, _kv(_KV_KEYS)),
    ("storage account|account name|key vault|vault|server|database|registry|cluster|workspace",
     _RESOURCE_AFTER),
    ("accountname=", re.compile(r"(?i:AccountName)=(?P<v>[a-z0-9]{3,24})(?=[;\s\"']|$)")),
    # an Azure SQL login "user@server" in a connection string: the server's name
    ("user=|user id=|uid=", re.compile(
        r"(?i:user(?: id)?|uid)=[\w.+-]{1,64}@(?P<v>[A-Za-z][A-Za-z0-9-]{1,62})(?=[;\s\"']|$)")),
    ("sig=", re.compile(r"sig=(?P<v>[A-Za-z0-9%+/=_-]{10,})")),
    ("bearer", re.compile(r"(?i:Bearer\s+)(?P<v>[A-Za-z0-9._~+/=-]{16,})")),
    ("basic", re.compile(r"(?i:Basic\s+)(?P<v>[A-Za-z0-9+/]{12,}={0,2})(?![\w])")),
    ("eyj", re.compile(r"(?P<v>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")),
    ("-----begin", re.compile(
        r"(?P<v>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----)", re.DOTALL)),
    ("sk-", re.compile(r"(?P<v>sk-(?:proj-)?[A-Za-z0-9_-]{20,})")),
    ("akia", re.compile(r"(?P<v>AKIA[0-9A-Z]{16})(?![0-9A-Za-z])")),
    ("ghp_|gho_|ghu_|ghs_|ghr_|github_pat_",
     re.compile(r"(?P<v>(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}))")),
    ("xoxa-|xoxb-|xoxp-|xoxr-|xoxs-", re.compile(r"(?P<v>xox[abprs]-[A-Za-z0-9-]{10,})")),
    ("aiza", re.compile(r"(?P<v>AIza[0-9A-Za-z_-]{35})")),
    ("glpat-", re.compile(r"(?P<v>glpat-[A-Za-z0-9_-]{20,})")),
    ("==", re.compile(r"(?P<v>[A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])")),
)
_SECRET_GATES = _build_secret_gates()
_SECRET_KINDS = tuple(gates.split("|", 1)[0] for gates, _rx in _SECRET_RULES)  # a rule's first gate names it
_DIGIT_OR_DASH = re.compile(r"[0-9-]")
_SECRET_WORDS = _build_secret_words()


def phone_parse(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``value`` parsed by ``phonenumbers`` (``region`` for the national form), or None."""
    num = _plain_phone_number(value, region)
    return num if num is not None else library_phone_parse(value, region)


def library_phone_parse(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """:func:`phone_parse` through ``phonenumbers.parse`` itself (what the fast path equals)."""
    cleaned = value.replace("\u00a0", " ")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        return phonenumbers.parse(cleaned, None if cleaned.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None


def phone_valid(value: str, region: str) -> bool:
    """True when ``phonenumbers`` parses ``value`` as a valid number (``region`` for national form)."""
    num = phone_parse(value, region)
    return num is not None and valid_number(num)


_Desc = tuple[frozenset[int] | None, re.Pattern[str]]


class _RegionCheck(NamedTuple):
    """One region's number patterns, compiled once (libphonenumber metadata)."""

    country_code: int
    leading: re.Pattern[str] | None
    general: _Desc | None
    types: tuple[_Desc, ...]  # any of these (after ``general``) makes the number valid


def _desc(desc: Any) -> _Desc | None:
    if desc is None or not desc.national_number_pattern:
        return None  # matches nothing
    lengths = frozenset(desc.possible_length) if len(desc.possible_length) > 0 else None
    return lengths, re.compile(desc.national_number_pattern)


def _region_check(md: Any) -> _RegionCheck:
    # (``_has_type`` asks whether any type matches: the common ones first, the answer is the same)
    names = ("fixed_line",) + (() if md.same_mobile_and_fixed_line_pattern else ("mobile",)) + (
        "toll_free", "premium_rate", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
    types = tuple(d for d in (_desc(getattr(md, n)) for n in names) if d is not None)
    leading = re.compile(md.leading_digits) if md.leading_digits is not None else None
    return _RegionCheck(md.country_code, leading, _desc(md.general_desc), types)


def _has_type(nsn: str, check: _RegionCheck) -> bool:
    """``_number_type_helper(nsn, metadata) != UNKNOWN`` of ``phonenumbers``."""
    n = len(nsn)
    general = check.general
    if general is None or (general[0] is not None and n not in general[0]) or not general[1].fullmatch(nsn):
        return False
    return any((lengths is None or n in lengths) and rx.fullmatch(nsn) for lengths, rx in check.types)


_REGION_CHECKS: dict[str, _RegionCheck | None] = {}


def _check_for(region: str) -> _RegionCheck | None:
    if region not in _REGION_CHECKS:  # static library data, compiled once per process
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            _REGION_CHECKS[region] = None
        else:
            md = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
            _REGION_CHECKS[region] = _region_check(md) if md is not None else None
    return _REGION_CHECKS[region]


def valid_number(num: phonenumbers.PhoneNumber) -> bool:
    """``phonenumbers.is_valid_number(num)``, with each region's patterns compiled once (the
    library looks its patterns up in ``re``'s small cache on every call). Non-geographic
    numbers (+800, +882, ...) go to the library."""
    cc = num.country_code
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc) if cc is not None else None
    if not regions:
        return False
    if phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY in regions:
        return bool(phonenumbers.is_valid_number(num))
    nsn = phonenumbers.national_significant_number(num)
    chosen: _RegionCheck | None = None
    if len(regions) == 1:
        chosen = _check_for(regions[0])
    else:
        for region in regions:
            check = _check_for(region)
            if check is None:
                continue
            if check.leading is not None:
                if check.leading.match(nsn):
                    chosen = check
                    break
            elif _has_type(nsn, check):
                chosen = check
                break
    if chosen is None or chosen.country_code != cc:
        return False
    return _has_type(nsn, chosen)


def _e164_number(e164: str) -> phonenumbers.PhoneNumber | None:
    """What ``phonenumbers.parse(e164, None)`` returns for ``+`` and digits, built without
    parsing; None when parsing could do more than split off the country code (the national
    prefix pattern matches, odd lengths), so the caller parses instead."""
    digits = e164[1:]
    if not (e164.startswith("+") and digits.isascii() and digits.isdigit() and 3 <= len(digits) <= 20):
        return None
    cc = 0
    for i in (1, 2, 3):
        if int(digits[:i]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and digits[0] != "0":
            cc = int(digits[:i])
            break
    if not cc:
        return None
    rest = digits[len(str(cc)):]
    if not 2 <= len(rest) <= 17:
        return None
    md = _metadata_for_cc(cc)
    if md is None:
        return None
    nsn = _without_national_prefix(rest, md)
    if nsn is None or len(nsn) < 2:
        return None
    return _with_leading_zeros(phonenumbers.PhoneNumber(country_code=cc, national_number=int(nsn)), nsn)


# What a candidate may hold besides digits for the fast path (the separators PHONE_RE allows).
_PHONE_SEPARATORS = str.maketrans("", "", " .-()\u00a0")
_MAX_PHONE_INPUT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH: longer input is refused


def _plain_phone_number(value: str, region: str) -> phonenumbers.PhoneNumber | None:
    """What :func:`phone_parse` returns for ASCII digits and separators (``+`` or ``00`` in
    front for the international form), built without ``phonenumbers.parse`` (about 100 us a
    call). None when parsing could do more than read the digits (a national or international
    prefix might be stripped, an extension, letters, few digits): the caller then parses."""
    if value.startswith("+"):
        body, intl = value[1:], True
    elif value.startswith("00"):
        body, intl = value[2:], True
    else:
        body, intl = value, False
    digits = body.translate(_PHONE_SEPARATORS)
    if len(value) > _MAX_PHONE_INPUT or len(digits) < 3 or not (digits.isascii() and digits.isdigit()):
        return None
    if intl:
        return _e164_number("+" + digits)
    return _national_number(digits, region)


def _national_number(digits: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(digits, region)`` for at least three ASCII digits, when the
    digits are plainly the national significant number; None when parsing could read them
    otherwise (the region's international or national prefix, or its country code, starts
    them), so the caller parses instead."""
    if region not in phonenumbers.SUPPORTED_REGIONS or len(digits) > 17:  # _MAX_LENGTH_FOR_NSN
        return None
    md = _metadata_for_region(region)
    if md is None or digits.startswith(str(md.country_code)):
        return None
    idd = md.international_prefix
    if idd is not None and _compiled(idd).match(digits):
        return None
    nsn = _without_national_prefix(digits, md)
    if nsn is None or len(nsn) < 2:
        return None
    return _with_leading_zeros(phonenumbers.PhoneNumber(country_code=md.country_code,
                                                        national_number=int(nsn)), nsn)


def _without_national_prefix(digits: str, md: Any) -> str | None:
    """The national significant number ``phonenumbers.parse`` keeps of ``digits`` (the number
    after any country code) for the region of ``md``: the region's national prefix ("0" in
    "+44 (0)20 ...") is dropped when what remains fits the region's general pattern and
    possible lengths (as its ``_maybe_strip_national_prefix_carrier_code`` and
    ``_test_number_length`` decide). None when a transform rule would rewrite the number."""
    general = md.general_desc
    if general is None or not general.possible_length:
        return None  # (no such region in the library's data; it would raise)
    prefix = md.national_prefix_for_parsing
    pm = _compiled(prefix).match(digits) if prefix else None
    if pm is None:
        return digits
    groups = pm.groups()
    if md.national_prefix_transform_rule and (not groups or groups[-1] is not None):
        return None
    rest = digits[pm.end():]
    if _fits_pattern(digits, general) and not _fits_pattern(rest, general):
        return digits  # the prefix is part of a valid-looking number: keep it
    return rest if _length_allows(len(rest), general) else digits


def _fits_pattern(nsn: str, desc: Any) -> bool:
    """``_match_national_number(nsn, desc, False)`` of ``phonenumbers``."""
    pattern: str | None = desc.national_number_pattern
    if not pattern:
        return False
    return _compiled(pattern).fullmatch(nsn) is not None


def _length_allows(n: int, desc: Any) -> bool:
    """``_test_number_length`` of ``phonenumbers`` (any type) is none of too short, local
    only, invalid length: possible, or too long."""
    lengths = desc.possible_length
    if n in desc.possible_length_local_only:
        return False
    if n == lengths[0]:
        return True
    if n < lengths[0]:
        return False
    return lengths[-1] < n or n in lengths[1:]


def _with_leading_zeros(num: phonenumbers.PhoneNumber, nsn: str) -> phonenumbers.PhoneNumber:
    """``num`` with the leading-zero fields ``phonenumbers`` sets for ``nsn`` (Italy)."""
    if len(nsn) > 1 and nsn[0] == "0":
        num.italian_leading_zero = True
        zeros = 1
        while zeros < len(nsn) - 1 and nsn[zeros] == "0":
            zeros += 1
        if zeros != 1:
            num.number_of_leading_zeros = zeros
    return num


def e164_parse(e164: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(e164, None)`` (or None when it raises), mostly without parsing."""
    num = _e164_number(e164)
    return num if num is not None else phone_parse(e164, "ZZ")


def e164_valid(e164: str) -> bool:
    """``phone_valid(e164, "ZZ")`` for a ``+digits`` string, about 3x faster."""
    num = e164_parse(e164)
    return num is not None and valid_number(num)


_METADATA: dict[int, Any] = {}
_REGION_METADATA: dict[str, Any] = {}


def _metadata_for_region(region: str) -> Any:
    if region not in _REGION_METADATA:  # static library data, memoized per process
        _REGION_METADATA[region] = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    return _REGION_METADATA[region]
_PATTERNS: dict[str, re.Pattern[str]] = {}


def _metadata_for_cc(cc: int) -> Any:
    if cc not in _METADATA:  # static library data, memoized per process
        region = phonenumbers.region_code_for_country_code(cc)
        _METADATA[cc] = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
    return _METADATA[cc]


def _compiled(pattern: str) -> re.Pattern[str]:
    rx = _PATTERNS.get(pattern)
    if rx is None:
        rx = _PATTERNS[pattern] = re.compile(pattern)
    return rx


class PhoneMemo:
    """Per-run memo of parsed phone numbers (bounded): the same number is parsed once for
    detection, replacement and the fake."""

    __slots__ = ("region", "_memo", "_max")

    def __init__(self, region: str, maxsize: int = 50_000) -> None:
        self.region = region
        self._memo: dict[str, tuple[phonenumbers.PhoneNumber | None, bool]] = {}
        self._max = maxsize

    def get(self, value: str) -> tuple[phonenumbers.PhoneNumber | None, bool]:
        """(parsed number or None, valid)."""
        hit = self._memo.get(value)
        if hit is None:
            num = phone_parse(value, self.region)
            hit = (num, num is not None and valid_number(num))
            if len(self._memo) >= self._max:
                self._memo.clear()
            self._memo[value] = hit
        return hit

    def valid(self, value: str) -> bool:
        return self.get(value)[1]


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
