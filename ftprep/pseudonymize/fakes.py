"""Keyed fake generators: HMAC-SHA256(key, namespace + normalized value + counter) -> fake.

A fake depends only on the key, the namespace (entity type or name part), the
normalized original and a re-draw counter (0 unless an injectivity collision forced
a re-draw). Faker is never called at run time: names come from frozen pools.
Every generator keeps the original's format: case, braces and separators, IP family
and private/public status, phone country code and punctuation, card brand digit and
Luhn validity, IBAN country and mod-97 validity.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import re
import string
import struct
import unicodedata
from typing import Any

import phonenumbers

from .detect import e164_parse, e164_valid, luhn_ok, special_ip, ssn_ok
from .pools import pools

_NON_HEX_ANY = re.compile(r"[^0-9A-Fa-f]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_UPPER_HEX = re.compile(r"[A-F]")

_HEX = "0123456789abcdef"
_ALNUM_LOWER = string.ascii_lowercase + string.digits


class KeyedRng:
    """A deterministic random source seeded by one HMAC digest.

    ``below(n)`` draws from a big integer built from the digest (extended with SHA-256 in
    counter mode when it runs low), so a draw costs one ``divmod``.
    """

    __slots__ = ("_seed", "_acc", "_block", "counter")

    def __init__(self, seed: bytes, counter: int = 0) -> None:
        self.counter = counter  # the re-draw number (generators may widen their pool)
        self._seed = seed
        self._acc = int.from_bytes(seed, "big")
        self._block = 0

    def _refill(self) -> None:
        self._block += 1
        more = hashlib.sha256(self._seed + self._block.to_bytes(4, "big")).digest()
        self._acc = (self._acc << 256) | int.from_bytes(more, "big")

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``; the pool keeps >= 64 spare bits, so the bias is < 2**-64."""
        while self._acc < (n << 64):
            self._refill()
        self._acc, r = divmod(self._acc, n)
        return r

    def choice(self, seq: tuple[str, ...] | str) -> str:
        return seq[self.below(len(seq))]

    def digits(self, n: int) -> str:
        return str(self.below(10**n)).zfill(n) if n > 0 else ""

    def hex(self, n: int) -> str:
        return format(self.below(16**n), "x").zfill(n) if n > 0 else ""


def keyed_seed(key: bytes, namespace: str, norm: str, counter: int = 0) -> bytes:
    """HMAC-SHA256(key, namespace \\x1f normalized value \\x1f counter)."""
    msg = f"{namespace}\x1f{norm}\x1f{counter}".encode("utf-8", "surrogatepass")
    return hmac.digest(key, msg, "sha256")


def original_id(key: bytes, namespace: str, norm: str) -> int:
    """A keyed 64-bit id of an original (safe to share between processes and log-free)."""
    return int.from_bytes(keyed_seed(key, namespace, norm, -1)[:8], "big")


_FIRST_U64 = struct.Struct(">Q").unpack_from
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class KeyedHasher:
    """:func:`keyed_seed` and :func:`original_id` with the key schedule done once.

    HMAC (RFC 2104) hashes ``key XOR ipad`` and ``key XOR opad`` before every message; here
    both SHA-256 states are kept and copied, which gives the same digests at about a third of
    the cost of :func:`hmac.digest`. Not picklable (hash states): rebuild from the key.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # the SHA-256 block size: longer keys are hashed first (RFC 2104)
            key = hashlib.sha256(key).digest()
        block = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def digest(self, msg: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(msg)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def seed(self, namespace: str, norm: str, counter: int = 0) -> bytes:
        """Equal to ``keyed_seed(key, namespace, norm, counter)``."""
        return self.seed_of(self.stream(namespace, norm), counter)

    def oid(self, namespace: str, norm: str) -> int:
        """Equal to ``original_id(key, namespace, norm)``."""
        inner = self._inner.copy()
        inner.update(f"{namespace}\x1f{norm}\x1f-1".encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return _FIRST_U64(outer.digest())[0]  # int.from_bytes(digest[:8], "big")

    def stream(self, namespace: str, norm: str) -> Any:
        """The inner hash of ``namespace \\x1f norm \\x1f``, shared by an original's id and its
        draws (SHA-256 hashes a message in order: the counter is appended to a copy)."""
        inner = self._inner.copy()
        inner.update(f"{namespace}\x1f{norm}\x1f".encode("utf-8", "surrogatepass"))
        return inner

    def oid_of(self, stream: Any) -> int:
        """``oid(namespace, norm)`` from ``stream(namespace, norm)``."""
        inner = stream.copy()
        inner.update(b"-1")
        outer = self._outer.copy()
        outer.update(inner.digest())
        return _FIRST_U64(outer.digest())[0]  # type: ignore[no-any-return]

    def seed_of(self, stream: Any, counter: int) -> bytes:
        """``seed(namespace, norm, counter)`` from ``stream(namespace, norm)``."""
        inner = stream.copy()
        inner.update(b"%d" % counter)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


# -- case helpers ---------------------------------------------------------------------------
def match_case(template: str, word: str) -> str:
    """Give ``word`` the case pattern of ``template`` (UPPER, lower, Title)."""
    if template.isascii():  # letters are exactly the cased characters: decide in C
        if template.islower():
            return word.lower()
        if template.isupper():  # one letter is a capital initial, two or more are UPPER CASE
            return word.upper() if len(_ASCII_LETTERS.findall(template)) > 1 else word[:1].upper() + word[1:].lower()
        head = template[:1]
        if head.isalpha():  # (an ASCII letter: the first letter, found without a search)
            return word[:1].upper() + word[1:].lower() if head.isupper() else word.lower()
        first = _ASCII_LETTERS.search(template)
        if first is None:
            return word
        return word[:1].upper() + word[1:].lower() if first.group().isupper() else word.lower()
    letters = [c for c in template if c.isalpha()]
    if not letters:
        return word
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return word.upper()
    if all(c.islower() for c in letters):
        return word.lower()
    if letters[0].isupper():
        return word[:1].upper() + word[1:].lower()
    return word.lower()


def fill_template(template: str, chars: str, is_slot: str = "digit") -> str:
    """Replace each digit (or hex digit) of ``template`` in order by the next char of ``chars``."""
    out: list[str] = []
    it = iter(chars)
    for c in template:
        slot = c.isdigit() if is_slot == "digit" else c in string.hexdigits
        out.append(next(it) if slot else c)
    return "".join(out)


# -- generators (original -> fake, given a keyed rng) ---------------------------------------
def fake_guid(rng: KeyedRng, original: str) -> str:
    body = rng.hex(32)
    body = body[:12] + "4" + body[13:16] + "89ab"[rng.below(4)] + body[17:]
    guid = f"{body[:8]}-{body[8:12]}-{body[12:16]}-{body[16:20]}-{body[20:]}"
    if _UPPER_HEX.search(original) is not None:
        guid = guid.upper()
    if original.startswith("{"):
        guid = "{" + guid + "}"
    return guid


_V4_PRIVATE = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
    ipaddress.IPv4Network("100.64.0.0/10"),
)


def _v4(net: str) -> tuple[int, int]:
    n = ipaddress.IPv4Network(net)
    return int(n.network_address), n.prefixlen


_V4_PRIVATE_INT = tuple(_v4(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
# never drawn as a public fake: private, shared, loopback, link-local, documentation, benchmark,
# protocol-assignment and reserved space (the non-global ranges of the IANA registries)
_V4_NOT_GLOBAL = _V4_PRIVATE_INT + tuple(_v4(n) for n in (
    "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "168.63.129.16/32"))


def _in(x: int, net: tuple[int, int]) -> bool:
    return x >> (32 - net[1]) == net[0] >> (32 - net[1])


def _v4_text(x: int) -> str:
    return f"{x >> 24}.{x >> 16 & 255}.{x >> 8 & 255}.{x & 255}"


def fake_ipv4(rng: KeyedRng, original: str) -> str:
    octets = original.split(".")
    x = 0
    for o in octets:
        x = x << 8 | int(o)
    # a network address (x.y.z.0) stays a network address (only the last zero octet is kept,
    # or a /12 private block would leave only 16 possible fakes)
    network = octets[3] == "0"
    for net in _V4_PRIVATE_INT:
        if _in(x, net):
            if rng.counter >= WIDEN_IPV4:  # the block is (nearly) used up: 10/8, still private
                net = _V4_PRIVATE_INT[0]
            for _ in range(64):
                cand = net[0] + rng.below(1 << (32 - net[1]))
                fake = _v4_tail(cand, network)
                if fake != original:
                    return fake
            return original
    for _ in range(256):
        cand = rng.below(1 << 32)
        if 1 <= cand >> 24 <= 223 and not any(_in(cand, net) for net in _V4_NOT_GLOBAL):
            fake = _v4_tail(cand, network)
            if fake != original:
                return fake
    return original  # unreachable in practice


def _v4_tail(x: int, network: bool) -> str:
    last = x & 255
    if network:
        last = 0
    elif last in (0, 255):
        last = 1 + (x >> 8 & 255) % 250
    return _v4_text(x & ~255 | last)


def fake_ipv6(rng: KeyedRng, original: str) -> str:
    ip = ipaddress.IPv6Address(original.split("%", 1)[0])
    for _ in range(64):
        rand = rng.below(1 << 64) << 64 | rng.below(1 << 64)
        if ip in ipaddress.IPv6Network("fc00::/7"):
            value = (0xFD << 120) | (rand & ((1 << 120) - 1))
        else:
            prefix = 0x2400 + rng.below(0x0A00)  # RIR-allocated global unicast space
            value = (prefix << 112) | (rand & ((1 << 112) - 1))
        cand = ipaddress.IPv6Address(value)
        if not special_ip(cand) and cand != ip:
            text = cand.compressed
            return text.upper() if _UPPER_HEX.search(original) is not None else text
    return original


def fake_mac(rng: KeyedRng, original: str) -> str:
    orig_hex = _NON_HEX_ANY.sub("", original)
    first = int(orig_hex[:2], 16)
    raw = [rng.below(256) for _ in range(6)]
    raw[0] = (raw[0] & 0xFC) | (first & 0x03)  # keep multicast / locally-administered bits
    new_hex = "".join(f"{b:02x}" for b in raw)
    if new_hex == orig_hex.lower():
        new_hex = new_hex[:-1] + _HEX[(int(new_hex[-1], 16) + 1) % 16]
    if _UPPER_HEX.search(original) is not None:
        new_hex = new_hex.upper()
    return fill_template(original, new_hex, "hex")


def fake_phone(rng: KeyedRng, e164: str) -> str:
    """A valid number of the same country and length (E.164 in, E.164 out).

    The first digit of the national number is kept (it often tells mobile from fixed line).
    Candidates are screened with the region's general number pattern (one regex) and only
    the survivor is confirmed with ``phonenumbers.is_valid_number``.
    """
    parsed = e164_parse(e164)
    if parsed is None:
        return e164
    cc = str(parsed.country_code)
    nsn = phonenumbers.national_significant_number(parsed)
    region = phonenumbers.region_code_for_country_code(int(cc))
    pattern = _general_pattern(region)
    for attempt in range(400):
        cand_nsn = nsn[0] + rng.digits(len(nsn) - 1)
        if pattern is not None and attempt < 300 and not pattern.fullmatch(cand_nsn):
            continue
        cand = "+" + cc + cand_nsn
        if cand != e164 and e164_valid(cand):
            return cand
    return e164


_GENERAL_PATTERNS: dict[str, re.Pattern[str] | None] = {}


def _general_pattern(region: str | None) -> re.Pattern[str] | None:
    """The compiled general national-number pattern of a region (libphonenumber metadata)."""
    if not region:
        return None
    if region not in _GENERAL_PATTERNS:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        pat = md.general_desc.national_number_pattern if md and md.general_desc else None
        _GENERAL_PATTERNS[region] = re.compile(pat) if pat else None
    return _GENERAL_PATTERNS[region]


def fake_card(rng: KeyedRng, original: str) -> str:
    digits = [c for c in original if c.isdigit()]
    n = len(digits)
    for _ in range(50):
        body = digits[0] + rng.digits(n - 2)
        for check in "0123456789":
            if luhn_ok(body + check):
                cand = body + check
                break
        if cand != "".join(digits):
            return fill_template(original, cand)
    return original


def fake_iban(rng: KeyedRng, original: str) -> str:
    compact = original.replace(" ", "")
    country = compact[:2]
    bban = "".join(
        rng.choice(string.digits) if c.isdigit() else rng.choice(string.ascii_uppercase)
        for c in compact[4:]
    )
    rearranged = bban + country + "00"
    check = 98 - int("".join(str(int(ch, 36)) for ch in rearranged)) % 97
    cand = f"{country}{check:02d}{bban}"
    out: list[str] = []
    it = iter(cand)
    for c in original:
        out.append(c if c == " " else next(it))
    return "".join(out)


def fake_ssn(rng: KeyedRng, original: str) -> str:
    for _ in range(100):
        area = 1 + rng.below(899)
        cand = f"{area:03d}-{1 + rng.below(99):02d}-{1 + rng.below(9999):04d}"
        if ssn_ok(cand) and cand != original:
            return cand
    return original


#: Re-draw numbers from which a generator widens its pool so a run can never run out of
#: fakes (the pools hold ~5,000 first and ~7,400 last names; a corpus of log-derived chats
#: can hold more distinct names and name-like words than that, and every original seen is
#: also barred as a fake).
WIDEN_FIRST = 64  # then "Anna-Lise": a first name of the same initial, a hyphen, any first name
WIDEN_LAST = 32  # then "Harper-Lindqvist"
WIDEN_WORDS = 16  # organization / name-word fakes: one more word
WIDEN_IPV4 = 32  # a private address: from 10.0.0.0/8 (192.168.0.0/16 holds 65,536 addresses,
#                 and originals and fakes share it: a large log can fill it)


def fake_first(rng: KeyedRng, original: str = "") -> str:
    """A first name with the same initial as ``original`` (so "J. Doe" stays linked to
    "Jane Doe"); from re-draw :data:`WIDEN_FIRST` on, a hyphenated first name with that
    initial (about 5,000 times as many)."""
    pool = pools()
    bucket = pool.first_by_initial.get(fold_initial(original)) or pool.first
    if rng.counter < WIDEN_FIRST:
        return rng.choice(bucket)
    return rng.choice(bucket) + "-" + rng.choice(pool.first)


def fold_initial(name: str) -> str:
    """The ASCII-folded upper-case initial of ``name`` ("" if none)."""
    return _folded_upper(name[:1])


@functools.lru_cache(maxsize=4096)
def _folded_upper(char: str) -> str:
    """One character NFKD-folded to ASCII, upper-cased (memoized: a pure function, asked
    once per first-name draw)."""
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode().upper()


def fake_last(rng: KeyedRng) -> str:
    """A last name; from re-draw :data:`WIDEN_LAST` on, a double-barrelled one."""
    if rng.counter < WIDEN_LAST:
        return rng.choice(pools().last)
    return rng.choice(pools().last) + "-" + rng.choice(pools().last)


def fake_words(rng: KeyedRng, words: int) -> str:
    """An organization-like fake of ``words`` last names; one more from re-draw
    :data:`WIDEN_WORDS` on."""
    if rng.counter >= WIDEN_WORDS:
        words += 1
    last = pools().last
    return " ".join(rng.choice(last) for _ in range(words))


def permute_digits(key: bytes | KeyedHasher, digits: str) -> str:
    """A keyed bijection on the numbers with ``len(digits)`` digits (a 4-round Feistel network
    over an even number of digits, cycle-walking into range): injective by construction, so
    digit runs need no collision registry and never depend on the order values are seen."""
    n = len(digits)
    half = (n + 1) // 2
    mod = 10**half
    size = 10**n
    x = int(digits)
    mac = key.digest if isinstance(key, KeyedHasher) else functools.partial(hmac.digest, key, digest="sha256")
    for _ in range(1000):
        left, right = divmod(x, mod)
        for rnd in range(4):
            f = int.from_bytes(mac(f"DIGITS\x1f{n}\x1f{rnd}\x1f{right}".encode())[:8], "big")
            left, right = right, (left + f) % mod
        x = left * mod + right
        if x < size:
            return str(x).zfill(n)
    return digits  # unreachable: cycle-walking ends within a few steps


def fake_alnum_like(rng: KeyedRng, template: str) -> str:
    """Same length and character classes (for opaque names such as storage accounts)."""
    out = []
    for c in template:
        if c.isdigit():
            out.append(str(rng.below(10)))
        elif c.isalpha():
            ch = string.ascii_lowercase[rng.below(26)]
            out.append(ch.upper() if c.isupper() else ch)
        else:
            out.append(c)
    return "".join(out)
