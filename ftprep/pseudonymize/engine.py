"""The pseudonymizer: detection + keyed, injective, format-preserving replacement.

``Pseudonymizer(key, config)`` is cheap to build and picklable, so a worker process
can rebuild one from ``(key, config)``. Per-run state (the injectivity registry, the
originals for the leak check, the report) lives on the instance; caches are bounded.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import phonenumbers

from ..errors import DataError
from ..io import loads_bounded
from ..leak_pass import boundary_ok
from . import fakes as F
from .config import PseudonymizeConfig
from .detect import Detector, Span, resolve_overlaps, url_as_detected
from .idtable import IdMap, IdSet
from .names import NameFinder, norm_key, split_person
from .report import PseudonymizeReport, Transformed
from .tables import (
    AZURE_FIXED_NAMES,
    AZURE_HOST_SUFFIXES,
    AZURE_REGIONS,
    GENERIC_LABEL_WORDS,
    PUBLIC_DOMAINS,
    SECOND_LEVEL_SUFFIXES,
)

_NON_ALNUM = re.compile(r"[^a-z0-9]")
_NON_HEX = re.compile(r"[^0-9a-f]")
_UPPER_HEX = re.compile(r"[A-F]")
_PHONE_EXT = re.compile(r"\s?(?:x|ext\.?)\s?\d+$")
_LOCAL_SPLIT = re.compile(r"([._-])")
_TRAILING_DIGITS = re.compile(r"\d+$")
_INDENT = re.compile(r"\n( +)")
_URL_PARTS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<auth>[^/?#@]*@)?(?P<host>\[[^\]]+\]|[^/?#:]*)"
    r"(?P<port>:\d+)?(?P<rest>.*)$",
    re.DOTALL,
)

if TYPE_CHECKING:
    from .leak import LeakScanner

_LABEL_TOKEN = re.compile(r"[A-Za-z]+|\d+")
_ORG_SUFFIX = re.compile(
    r"(?:,?\s+(?:Inc\.?|Incorporated|Ltd\.?|Limited|LLC|L\.L\.C\.|LLP|GmbH|AG|SA|S\.A\.|SAS|"
    r"BV|B\.V\.|NV|N\.V\.|plc|PLC|Corp\.?|Corporation|Co\.?|Company|Group|Holdings|Pty\.?\s+Ltd\.?|"
    r"AB|AS|A/S|Oy|KG|SE|S\.p\.A\.|SpA|S\.r\.l\.|Srl))+\.?$"
)
_TITLE = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\.?\s+)", re.IGNORECASE)
_GENERIC_LOCALS = frozenset(
    ["admin", "administrator", "support", "help", "helpdesk", "info", "contact", "sales", "billing", "security", "noreply", "no-reply", "donotreply", "hello", "team", "ops", "devops", "it", "office", "hr", "jobs", "careers", "privacy", "abuse", "postmaster", "webmaster", "root", "alerts", "alert", "notifications", "notification", "service", "accounts", "finance", "legal"]
)


#: Entity types whose detection depends on context in the record (names, and resource names
#: learned from a resource ID): the only ones :meth:`Pseudonymizer.repair` fixes after a run.
#: An identifier found by its shape (an e-mail, a GUID) that survives is a bug: the run fails.
REPAIRABLE_TYPES: frozenset[str] = frozenset(("PERSON", "ORGANIZATION", "AZURE_RESOURCE_ID"))


#: Draws tried for one original before giving up (the generators widen their pools from
#: re-draw 16-64 on, so a free fake turns up within a few draws of the widening).
MAX_DRAWS = 256


#: The learned values of a record, for searching: the shortest length, (value, entity type,
#: sub-type, case-sensitive) in learning order, the case-sensitive values, the lower-cased ones.
_LearnedTable = tuple[int, list[tuple[str, str, str, bool]], list[str], list[str]]


# ``_new_span(Span, (start, end, etype, sub, keep))``: a Span without the named tuple's
# Python-level ``__new__`` (all five fields given), for the spans made per occurrence.
_new_span = tuple.__new__
_KeyedRng = F.KeyedRng

#: A field name that says nothing of its value (see Pseudonymizer._roles_of)
_NO_ROLES: tuple[bool, str | None, bool] = (False, None, False)


class PlanMiss(Exception):
    """A planned transform met a value its plan did not cover (a bug: the caller redoes the
    work serially)."""


def _first_last(r: F.KeyedRng) -> str:
    return F.fake_first(r).lower() + F.fake_last(r).lower()


#: Namespaces whose fake is ``gen(rng, norm)``, and the canonical form that tells fakes apart.
_GENERATORS: dict[str, tuple[Callable[[F.KeyedRng, str], str], Callable[[str], str]]] = {
    "GUID": (F.fake_guid, str.lower),
    "IPV4": (F.fake_ipv4, str.lower),
    "IPV6": (F.fake_ipv6, str.lower),
    "PHONE": (F.fake_phone, str.lower),
    "CREDIT_CARD": (F.fake_card, str.lower),
    "IBAN": (F.fake_iban, str.upper),
    "US_SSN": (F.fake_ssn, str.lower),
    "FIRST": (F.fake_first, str.lower),
    "LABEL": (F.fake_alnum_like, str.lower),
}


#: Types that ``lookup`` checks against the detectors before replacing a value as one: their
#: replacement assumes the shape (a value that is not an IPv4 address has no octets)
_SHAPE_TYPES = frozenset(("EMAIL", "PHONE", "IPV4", "IPV6", "MAC", "URL", "HOSTNAME", "GUID",
                          "CREDIT_CARD", "IBAN", "US_SSN"))

#: A secret key this long or longer names a secret also at the end of a longer field name
#: ("adminPassword", "DB_PASSWORD", "primaryConnectionString", "storageAccountKey"); shorter
#: ones ("pwd", "token") only as the whole name ("nextPageToken" is a cursor, not a secret).
SECRET_SUFFIX_MIN = 6


def secret_suffixes(secret_keys: frozenset[str]) -> tuple[str, ...]:
    """The normalized secret keys that also name a secret as a field name's suffix."""
    return tuple(sorted(k for k in secret_keys if len(k) >= SECRET_SUFFIX_MIN and k != "authorization"))


class _UnfaithfulNumber(ValueError):
    """A number in embedded JSON that would not be written back as it was (1.10, 1e400)."""


def _faithful_float(literal: str) -> float:
    value = float(literal)
    if repr(value) != literal:
        raise _UnfaithfulNumber(literal)
    return value


#: JSON inside a string is pseudonymized value by value down to this depth, through at most
#: EMBEDDED_MAX_LAYERS strings within strings; deeper, or further in, it is pseudonymized as
#: text. The walks recurse per level: this keeps them far below Python's recursion limit
#: whatever a line holds (a record itself is at most ``max_depth`` deep).
EMBEDDED_MAX_DEPTH = 64
EMBEDDED_MAX_LAYERS = 4


def generator(ns: str, norm: str) -> tuple[Callable[[F.KeyedRng], str], Callable[[str], str]]:
    """How namespace ``ns`` draws a fake for the normalized original ``norm``: the generator
    and the canonical form used to tell fakes apart. A pure function of ``(ns, norm)``, so the
    parallel engine's main process can draw for its workers."""
    simple = _GENERATORS.get(ns)
    if simple is not None:
        fake, canon = simple
        return (lambda r: fake(r, norm)), canon
    if ns == "MAC":
        template = ":".join(norm[i : i + 2] for i in range(0, 12, 2))
        return (lambda r: F.fake_mac(r, template)), str.lower
    if ns == "LAST":
        return F.fake_last, str.lower
    if ns == "ORG":
        # One word for a short name and two for a long one. It depends on the normalized
        # name only, so "Woodgrove Bank" and "woodgrovebank.com" get the same fake whichever
        # a run (or a worker process) sees first.
        words = 2 if len(norm) >= 10 else 1
        return (lambda r: F.fake_words(r, words)), _org_canon
    if ns == "LOCAL":
        return _first_last, str.lower
    raise ValueError(f"unknown fake namespace {ns!r}")


class _Carry(NamedTuple):
    """What planning one value found that its transform would find again: the values its
    record learned and the spans each of its strings resolved to (both depend only on the
    record, and the detection memo already holds the raw spans)."""

    value: Any
    learned: dict[str, tuple[str, str, bool]]
    resolved: dict[str, list[Span]]


@dataclass
class PlanTicket:
    """A planned batch: the values asked for, those already held, and its detection memo."""

    wanted: list[tuple[str, str]]
    held: list[tuple[tuple[str, str], Any]]
    memo: dict[str, list[Span]]
    #: per planned value (by ``id``): the value, what its record learned, and the final
    #: spans of each of its strings, so the transform repeats neither (see _Carry)
    carry: dict[int, _Carry] = field(default_factory=dict)


class Replacement(NamedTuple):
    """One replaced span of an original string (see :meth:`Pseudonymizer.trace`)."""

    start: int
    end: int
    etype: str
    fake: str


class _BoundedCache(OrderedDict):  # type: ignore[type-arg]
    """A FIFO-evicting dict: memory stays flat however many values a run sees.
    ``get`` is ``dict.get`` (no Python-level call on the hot path). An ``OrderedDict``
    evicts its oldest entry in O(1); a plain dict's ``next(iter(d))`` walks past every
    deleted slot before it, which made each eviction cost O(size): 1M puts into a full
    100k cache took 57 s that way, 0.5 s this way."""

    __slots__ = ("_max",)

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self._max = maxsize

    def put(self, key: Any, value: Any) -> None:
        if len(self) >= self._max:
            self.popitem(last=False)
        self[key] = value


REPAIR_STRICT_DRAWS = 64  # a repair's first draws avoid fakes that contain an original at all


class Prefound:
    """A scanner's ``find`` answered from one ``find_many`` call over every string of a
    value (a repaired row), where the scanner has it: one vectorized pass instead of one
    per string."""

    def __init__(self, scanner: Any, value: Any) -> None:
        self.scanner = scanner
        self.hits: dict[str, list[tuple[int, int, str]]] = {}
        if hasattr(scanner, "find_many"):
            strings = list(dict.fromkeys(iter_strings(value)))
            self.hits = dict(zip(strings, scanner.find_many(strings), strict=True))

    def find(self, text: str) -> list[tuple[int, int, str]]:
        hits = self.hits.get(text)
        return hits if hits is not None else self.scanner.find(text)  # type: ignore[no-any-return]


class Pseudonymizer:
    """Detect and replace identifiers in parsed JSON values and text, consistently per key."""

    def __init__(
        self, key: bytes, config: PseudonymizeConfig | None = None, record_mapping: bool = False
    ) -> None:
        if not isinstance(key, bytes) or not key:
            raise ValueError("key must be non-empty bytes (see load_key)")
        self._key = key
        self._hasher = F.KeyedHasher(key)
        self.config = config or PseudonymizeConfig()
        self._detector = Detector(self.config)
        self._names = NameFinder(self.config)
        self._cache = _BoundedCache(self.config.cache_size)
        self._owners = IdMap()  # id of a fake -> id of its original
        self._seen = IdSet()  # ids of the originals seen
        #: (fake id, original id) pairs drawn since the Spark engine's drain last took them
        self._pair_log: list[tuple[int, int]] | None = None
        self._originals: dict[str, set[str]] = {}
        self._fakes: dict[str, set[str]] = {}
        self._report = PseudonymizeReport()
        self._keep_domains = tuple(d.lower().strip(".") for d in self.config.keep_domains)
        self._person_keys = frozenset(norm_key(k) for k in self.config.person_keys)
        self._org_keys = frozenset(norm_key(k) for k in self.config.organization_keys)
        self._secret_keys = frozenset(norm_key(k) for k in self.config.secret_keys)
        self._secret_suffixes = secret_suffixes(self._secret_keys)
        self._handler_map = self._handlers()
        self._span_cache = _BoundedCache(4096)
        self._norm_keys: dict[str, str] = {}
        self._key_roles: dict[str, tuple[bool, str | None, bool]] = {}  # field name -> _roles_of
        self._split_memo: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        self._words = _BoundedCache(self.config.cache_size)  # label word -> fake word
        self._domains = _BoundedCache(self.config.cache_size)  # host -> mapped host
        self._labels = _BoundedCache(self.config.cache_size)  # name label -> mapped label
        self._memo: dict[str, list[Span]] = {}
        self._lmemo: dict[str, list[Span]] = {}  # learned-value spans per string, this record
        self._trace: dict[str, list[Replacement]] | None = None
        self._observing = False
        #: (entity type, fake) -> original, collected for the vault when record_mapping is on
        self._mapping: dict[tuple[str, str], str] | None = {} if record_mapping else None
        self._rcache: _BoundedCache = _BoundedCache(self.config.cache_size)
        self._inner: dict[str, int] = {}
        self._avoid: Any = None  # during repair(): the run's leak scanner (fakes must not be originals)
        self._learned: dict[str, tuple[str, str, bool]] = {}
        #: ``_learned`` arranged for searching (built on first use in a record, see _find_learned)
        self._ltable: _LearnedTable | None = None
        #: original id -> re-draws at its first assignment (a parallel run's main process
        #: counts them once per original, as the serial run does)
        self._redraw_log: dict[int, int] = {}
        #: plan(): the (namespace, value) pairs a batch needs, in first-use order
        self._plan: dict[tuple[str, str], None] | None = None
        self._plan_done: set[tuple[str, str, str]] = set()  # values planned in this batch
        self._planned = False  # install()ed answers only: never draw (parallel workers)
        # the installed batch's fakes, until plan_done(): the bounded cache alone could evict
        # some before the batch uses them (a batch with more values than cache_size)
        self._answers: dict[tuple[str, str], Any] | None = None
        self._unit_memo: dict[str, list[Span]] | None = None  # spans, from plan to transform
        #: plan() -> transform(): each planned value's _Carry (collected, then installed)
        self._carry: dict[int, _Carry] | None = None
        #: the final spans of the current record's strings: filled while planning it, read
        #: while transforming it (None: neither)
        self._resolved: dict[str, list[Span]] | None = None
        self._log_redraws = False  # set by the parallel engine's drain, which empties the log
        self._embed_layers = 0  # strings within strings being walked as JSON (see _parse_embedded)
        self._first_keys = frozenset(
            k for k in self._person_keys if k.startswith(("first", "given"))
        )
        self._last_keys = frozenset(
            k for k in self._person_keys if k.startswith(("last", "sur", "family"))
        )

    # -- pickling: rebuild detectors in the worker, keep run state --------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in ("_detector", "_names", "_cache", "_rcache", "_handler_map", "_span_cache", "_hasher",
                     "_words", "_domains", "_labels", "_ltable", "_key_roles", "_embed_layers",
                     "_secret_suffixes"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._hasher = F.KeyedHasher(self._key)
        self._detector = Detector(self.config)
        self._names = NameFinder(self.config)
        self._cache = _BoundedCache(self.config.cache_size)
        self._rcache = _BoundedCache(self.config.cache_size)
        self._words = _BoundedCache(self.config.cache_size)
        self._domains = _BoundedCache(self.config.cache_size)
        self._labels = _BoundedCache(self.config.cache_size)
        self._handler_map = self._handlers()
        self._span_cache = _BoundedCache(4096)
        self._ltable = None
        self._embed_layers = 0
        self._secret_suffixes = secret_suffixes(self._secret_keys)
        self._key_roles = {}

    def release_caches(self) -> None:
        """Drop the memo caches (bounded, ~100k entries each; pure: rebuilt on demand, so
        later transforms give the same output). The run state (owners, seen) is kept."""
        self._cache = _BoundedCache(self.config.cache_size)
        self._rcache = _BoundedCache(self.config.cache_size)
        self._words = _BoundedCache(self.config.cache_size)
        self._domains = _BoundedCache(self.config.cache_size)
        self._labels = _BoundedCache(self.config.cache_size)
        self._span_cache = _BoundedCache(4096)
        self._split_memo = {}
        self._memo = {}
        self._lmemo = {}
        self._names = NameFinder(self.config)
        self._detector = Detector(self.config)

    def release_run_state(self) -> None:
        """Forget which originals were seen and who owns each fake (16-24 bytes an identifier,
        ~100 MB for a 1 GB input): call it once the run has drawn its last fake. Later draws
        by this instance would no longer be checked against the earlier ones."""
        self._owners = IdMap()
        self._seen = IdSet()

    # -- public API -----------------------------------------------------------------------------
    def fresh(self) -> Pseudonymizer:
        """A pseudonymizer with the same key and policy and no run state (for a repair pass
        whose output must not depend on how the first pass was split across workers)."""
        return Pseudonymizer(self._key, self.config)

    def transform(self, obj: Any) -> Transformed:
        """Pseudonymize every string of a parsed JSON value; keys and structure are kept.

        Two passes over the record: the first detects (and learns names that the record
        states in context: a CRM field, a salutation, a resource ID), the second replaces,
        so a name stated once is also replaced where it later appears without context.
        Learning is per record, so the output never depends on record order or batching.
        """
        counts: dict[str, int] = {}
        try:
            if not self._carried(obj):
                self._learn(obj, None)
            value, changed = self._walk(obj, None, counts)
        finally:
            self._memo.clear()
            self._lmemo.clear()
            self._learned.clear()
            self._ltable = None
            self._resolved = None
        return Transformed(value, changed, counts)

    def transform_text(self, text: str) -> Transformed:
        """Pseudonymize free text (a line that is not valid JSON, or any plain string)."""
        counts: dict[str, int] = {}
        try:
            if not self._carried(text):
                self._learn(text, None)
            new = self._string(text, None, counts)
        finally:
            self._memo.clear()
            self._lmemo.clear()
            self._learned.clear()
            self._ltable = None
            self._resolved = None
        return Transformed(new, new != text, counts)

    def _carried(self, value: Any) -> bool:
        """Take what planning ``value`` learned and resolved (a parallel worker's installed
        batch): the transform then skips the learning pass and the span resolution."""
        carry = self._carry
        if not carry or self._plan is not None:
            return False
        c = carry.pop(id(value), None)
        if c is None or c.value is not value:
            return False
        self._learned = c.learned  # (the plan's own copy, used once)
        self._ltable = None
        self._resolved = c.resolved
        return True

    def repair(self, obj: Any, scanner: LeakScanner | None = None,
               types: Collection[str] | None = None) -> Transformed:
        """Replace originals that survived in an already pseudonymized value.

        Detection is per record: a name stated with context in one record but bare in another
        survives there. After a first pass over the whole run, ``repair`` (with the run's
        :class:`LeakScanner`, which knows every original detected anywhere) replaces each
        surviving original by its usual pseudonym. The result depends on the set of records in
        the run, not on their order. Pass ``scanner`` to reuse one (building it is the cost).
        ``scanner`` may be any object with ``find(text) -> [(start, end, entity type)]``.

        ``types`` limits the repair to originals of those entity types (for
        ``AZURE_RESOURCE_ID``: stand-alone resource names, not whole resource IDs);
        :data:`REPAIRABLE_TYPES` are the types whose detection depends on context.
        """
        scanner = scanner if scanner is not None else self.leak_scanner()
        counts: dict[str, int] = {}
        self._avoid = scanner
        try:
            value, changed = self._repair_walk(obj, Prefound(scanner, obj), counts, types)
        finally:
            self._avoid = None
        return Transformed(value, changed, counts)

    def repair_text(self, text: str, scanner: LeakScanner | None = None,
                    types: Collection[str] | None = None) -> Transformed:
        """:meth:`repair` for a plain string."""
        scanner = scanner if scanner is not None else self.leak_scanner()
        counts: dict[str, int] = {}
        self._avoid = scanner
        try:
            new = self._repair_string(text, scanner, counts, types)
        finally:
            self._avoid = None
        return Transformed(new, new != text, counts)

    def _repair_walk(self, value: Any, scanner: Any, counts: dict[str, int],
                     types: Collection[str] | None) -> tuple[Any, bool]:
        if isinstance(value, str):
            new = self._repair_string(value, scanner, counts, types)
            return new, new != value
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            changed = False
            for k, v in value.items():
                out[k], c = self._repair_walk(v, scanner, counts, types)
                changed = changed or c
            return (out if changed else value), changed
        if isinstance(value, list):
            items = []
            changed = False
            for v in value:
                nv, c = self._repair_walk(v, scanner, counts, types)
                items.append(nv)
                changed = changed or c
            return (items if changed else value), changed
        return value, False

    def _repair_string(self, s: str, scanner: Any, counts: dict[str, int],
                       types: Collection[str] | None = None) -> str:
        hits = scanner.find(s)
        if types is not None:
            hits = [(a, b, etype) for a, b, etype in hits if etype in types
                    and not (etype == "AZURE_RESOURCE_ID" and s[a] == "/")]
        if not hits:
            return s
        spans = resolve_overlaps(
            Span(a, b, etype, "name" if etype == "AZURE_RESOURCE_ID" and s[a] != "/" else "")
            for a, b, etype in hits
        )
        out: list[str] = []
        pos = 0
        for span in spans:
            original = s[span.start : span.end]
            new = self._replace_span(original, span, counts)
            out.append(s[pos : span.start])
            out.append(new)
            pos = span.end
        out.append(s[pos:])
        return "".join(out)

    def observe(self, obj: Any) -> None:
        """Register the originals of a record without replacing anything.

        Showing every record to ``observe`` before transforming any makes injectivity strict:
        no fake will equal an original that appears anywhere in the data, not only earlier.
        It costs one detection pass; the output of later transforms does not otherwise change.
        """
        self._walk_only(obj, text=False)

    # -- the parallel engine: workers plan, the main process draws, workers replace ---------
    def plan_begin(self) -> None:
        """Start planning a batch: :meth:`plan` each value the batch will transform, in order,
        then :meth:`plan_end`, :meth:`install` the drawn fakes, transform, :meth:`plan_done`."""
        self._plan = {}
        self._plan_done = set()
        self._unit_memo = {}
        self._carry = {}

    def plan(self, obj: Any) -> None:
        """Walk ``obj`` as :meth:`transform` will (detection kept for it), drawing nothing."""
        self._walk_only(obj, text=False)

    def plan_text(self, text: str) -> None:
        self._walk_only(text, text=True)

    def _walk_only(self, value: Any, text: bool) -> None:
        """Walk ``value`` as a transform would, replacing nothing (observe / plan)."""
        self._observing = True
        saved = self._report
        self._report = PseudonymizeReport()
        carry = self._carry if self._plan is not None else None
        if carry is not None:
            self._resolved = {}
        try:
            self._learn(value, None)
            if text:
                self._string(value, None, {})
            else:
                self._walk(value, None, {})
            if carry is not None and self._resolved is not None:
                carry[id(value)] = _Carry(value, dict(self._learned), self._resolved)
        finally:
            self._observing = False
            self._report = saved
            self._memo.clear()
            self._lmemo.clear()
            self._learned.clear()
            self._ltable = None
            self._resolved = None

    def plan_end(self) -> tuple[list[tuple[str, str]], PlanTicket]:
        """The (namespace, normalized value) pairs the planned batch needs, in first-use order
        (those this process already holds are left out), and a ticket for :meth:`install`."""
        cache = self._cache
        wanted: list[tuple[str, str]] = []
        held: list[tuple[tuple[str, str], Any]] = []
        for key in self._plan or ():
            hit = cache.get(key)
            if hit is None:
                wanted.append(key)
            else:
                held.append((key, hit))
        ticket = PlanTicket(wanted, held, self._unit_memo or {}, self._carry or {})
        self._plan = None
        self._plan_done = set()
        self._unit_memo = None
        self._carry = None
        return wanted, ticket

    def assign_many(self, wanted: Iterable[tuple[str, str]]) -> list[tuple[str, int]]:
        """Draw the fakes of planned values, in order, as the serial run would have drawn them."""
        return [self._assign(ns, norm) for ns, norm in wanted]

    def install(self, ticket: PlanTicket, answers: list[tuple[str, int]]) -> None:
        """Take the fakes the main process drew for a planned batch, before transforming it;
        from now on this instance draws nothing itself (a miss raises :class:`PlanMiss`)."""
        self._planned = True
        cache = self._cache
        batch = dict(ticket.held)
        for key, answer in ticket.held:  # refreshed: recent values stay memoized longest
            cache.pop(key, None)
            cache.put(key, answer)
        for key, answer in zip(ticket.wanted, answers, strict=True):
            cache.put(key, answer)
            batch[key] = answer
        self._answers = batch  # what the cache may have evicted again, for this batch
        self._unit_memo = ticket.memo
        self._carry = ticket.carry

    def plan_done(self) -> None:
        """The planned batch is transformed: forget its detection memo and its answers."""
        self._unit_memo = None
        self._answers = None
        self._carry = None

    def trace(self, obj: Any) -> tuple[Transformed, dict[str, list[Replacement]]]:
        """:meth:`transform` that also returns, for every original string that changed, the
        replacements made in it (offsets in the original string, type, fake).

        For evaluation and an explicit ``--show-mapping``: the keys are ORIGINAL values -
        never log or write them.
        """
        self._trace = {}
        try:
            result = self.transform(obj)
            return result, self._trace
        finally:
            self._trace = None

    def report(self) -> PseudonymizeReport:
        """The cumulative report over every call so far (a copy)."""
        return self._report.merge(PseudonymizeReport())

    def leak_scanner(self) -> LeakScanner:
        """A scanner for every original value detected so far (see :class:`LeakScanner`)."""
        from .leak import LeakScanner

        return LeakScanner(self._originals, self._fakes, self.config)

    def lookup(self, entity_type: str, value: str) -> str:
        """The pseudonym ``value`` gets as ``entity_type`` (what ``ftprep lookup`` prints)."""
        etype = entity_type.upper()
        if etype not in self.config.entities and etype not in ("PERSON", "ORGANIZATION"):
            raise ValueError(f"unknown or disabled entity type {etype}")
        if etype in _SHAPE_TYPES:
            whole = [span for span in self._detector.detect(value)
                     if span.etype == etype and span.start == 0 and span.end == len(value)]
            if not whole:  # (never quote the value: it may be a customer's identifier)
                raise ValueError(f"the value is not a {etype} as ftprep detects it; try without --type")
            if all(span.keep for span in whole):
                return value  # policy keeps it (a link-local or documentation address, ...)
        counts: dict[str, int] = {}
        try:
            return self._replace_span(value, Span(0, len(value), etype), counts)
        except (IndexError, ValueError, OverflowError):
            raise ValueError(f"the value cannot be pseudonymized as a {etype}") from None

    def would_change(self, value: str, entity_type: str, sub: str = "") -> bool:
        """Whether pseudonymizing ``value`` as ``entity_type`` changes it (False: policy keeps
        it, e.g. an Azure service suffix, a public domain, a name of generic words). Leaves no
        trace in the report or the leak-check originals."""
        report, originals, fakes = self._report, self._originals, self._fakes
        self._report, self._originals, self._fakes = PseudonymizeReport(), {}, {}
        try:
            return self._replace_span(value, Span(0, len(value), entity_type, sub), {}) != value
        finally:
            self._report, self._originals, self._fakes = report, originals, fakes

    def drain_mapping(self) -> list[tuple[str, str, str]]:
        """``(entity type, original, fake)`` collected since the last drain (for
        :meth:`Vault.put_many`); empty unless built with ``record_mapping=True``."""
        if not self._mapping:
            return []
        items = [(etype, original, fake) for (etype, fake), original in self._mapping.items()]
        self._mapping.clear()
        return items

    def collected_pairs(self) -> dict[int, int]:
        """Keyed id of each fake (the id it would have as an original) -> keyed id of its
        original: merge these across processes; a fake with two ids is a collision."""
        return dict(self._owners.items())

    def collected_originals(self) -> dict[str, set[str]]:
        """Entity type -> lower-cased originals detected (for a merged leak scanner)."""
        return {k: set(v) for k, v in self._originals.items()}

    def collected_fakes(self) -> dict[str, set[str]]:
        return {k: set(v) for k, v in self._fakes.items()}

    # -- pass 1: detect and learn ---------------------------------------------------------------
    def _learn(self, value: Any, key: str | None) -> None:
        if isinstance(value, str):
            self._learn_string(value, key)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k == "value" and key is not None:  # {"adminPassword": {"value": "..."}} (ARM)
                    k = key
                if isinstance(v, str):  # (the common case, without a call)
                    self._learn_string(v, k)
                else:
                    self._learn(v, k)
        elif isinstance(value, list):
            for v in value:
                self._learn(v, key)

    def _learn_string(self, s: str, key: str | None) -> None:
        if not s:
            return
        if key is not None:
            roles = self._key_roles.get(key) or self._roles_of(key)
            if roles is not _NO_ROLES:
                secret, person, org = roles
                if person is not None and self._names.name_like(s):
                    self._learn_person(s, person)
                    return
                if org and self._names.org_like(s):
                    self._learn_value(s, "ORGANIZATION", "", False)
                    return
                if secret:
                    return
        if self.config.embedded_json and len(s) >= 2 and s[0] in "{[" and s[-1] in "}]":
            obj = self._parse_embedded(s)
            if obj is not None:
                self._embed_layers += 1
                try:
                    self._learn(obj, None)
                finally:
                    self._embed_layers -= 1
                return
        for span in self._spans_for(s):
            if span.keep:
                continue
            if span.etype == "PERSON":
                self._learn_person(s[span.start : span.end], span.sub)
            elif span.etype == "ORGANIZATION":
                self._learn_value(s[span.start : span.end], "ORGANIZATION", "", False)
            elif span.etype == "AZURE_RESOURCE_ID":
                for name in azure_names(s[span.start : span.end]):
                    self._learn_value(name, "AZURE_RESOURCE_ID", "name", True)

    def _learn_person(self, value: str, sub: str) -> None:
        if "PERSON" not in self.config.entities:
            return
        parts = self._split(value, sub)
        if len(parts) > 1:
            self._learn_value(value, "PERSON", sub, False)
        for start, end, role in parts:
            token = value[start:end]
            if role in ("first", "last") and len(token) >= 3 and token[0].isupper() \
                    and token.lower() not in _COMMON_WORDS:
                self._learn_value(token, "PERSON", role, True)

    def _learn_value(self, value: str, etype: str, sub: str, case_sensitive: bool) -> None:
        v = value.strip()
        if len(v) < 3:
            return
        low = v.lower()
        if low in GENERIC_LABEL_WORDS or low in AZURE_FIXED_NAMES:
            return
        if etype == "AZURE_RESOURCE_ID" and (len(v) < 4 or not any(c.isalpha() for c in v)):
            return
        self._learned.setdefault(v if case_sensitive else low, (etype, sub, case_sensitive))
        self._ltable = None

    def _spans_for(self, text: str) -> list[Span]:
        """All candidate spans of ``text`` (memoized for the current record)."""
        spans = self._memo.get(text)
        if spans is None:
            unit = self._unit_memo
            spans = unit.get(text) if unit is not None else None
            if spans is None:
                spans = self._span_cache.get(text)  # boilerplate (system prompts) repeats
                if spans is None:
                    spans = self._detector.detect(text)
                    spans.extend(self._names.find(text))
                    if len(text) <= 4096:
                        self._span_cache.put(text, spans)
                if unit is not None:
                    unit[text] = spans
            self._memo[text] = spans
        return spans

    def _norm_key(self, key: str) -> str:
        k = norm_key(key)
        if len(self._norm_keys) < 4096:  # field names are few; memoized per instance
            self._norm_keys[key] = k
        return k

    def _roles_of(self, key: str) -> tuple[bool, str | None, bool]:
        """What a field name says of its value: a secret, a person (the name part: "first",
        "last" or "") or None, an organization. Memoized per instance, like _norm_key."""
        k = self._norm_keys.get(key) or self._norm_key(key)
        person = None
        if k in self._person_keys:
            person = "first" if k in self._first_keys else "last" if k in self._last_keys else ""
        secret = k in self._secret_keys or k.endswith(self._secret_suffixes)
        roles = (secret, person, k in self._org_keys)
        if roles == _NO_ROLES:
            roles = _NO_ROLES  # (the one object: callers test identity)
        if len(self._key_roles) < 4096:
            self._key_roles[key] = roles
        return roles

    def _learned_table(self) -> _LearnedTable:
        """``_learned`` as the search needs it: the shortest length, the entries in order, and
        the case-sensitive and the lower-cased values (rebuilt when a value is learned)."""
        learned = self._learned
        table = self._ltable = (
            min(map(len, learned)),
            [(value, etype, sub, cs) for value, (etype, sub, cs) in learned.items()],
            [value for value, entry in learned.items() if entry[2]],
            [value for value, entry in learned.items() if not entry[2]],
        )
        return table

    def _find_learned(self, text: str) -> list[Span]:
        shortest, entries, cased, folded = self._ltable or self._learned_table()
        n = len(text)
        if n < shortest and text.isascii():
            return []  # shorter than every learned value (and lower() keeps the length)
        lowered: str | None = None
        if folded:
            lowered = text.lower()
            if len(lowered) != n:  # e.g. "\u0130" lower-cases to two characters: offsets
                lowered = _lower_keeping_length(text)  # must stay those of ``text``
        # the values present at all, found in C: most strings hold none of them
        present = set(filter(text.__contains__, cased))
        if lowered is not None:
            present.update(filter(lowered.__contains__, folded))
        if not present:
            return []
        out: list[Span] = []
        for value, etype, sub, case_sensitive in entries:
            if value not in present:
                continue
            hay = text if case_sensitive else lowered
            assert hay is not None  # (a lower-cased value implies ``lowered``)
            pos = hay.find(value)
            while pos >= 0:
                end = pos + len(value)
                # the same word boundary as the leak check: only letters and digits extend a
                # word, except next to a script written without spaces (boundary_ok)
                if (pos == 0 or not hay[pos - 1].isalnum()) and (end == n or not hay[end].isalnum()) \
                        or boundary_ok(hay, pos, end, name=case_sensitive):
                    span = _new_span(Span, (pos, end, etype, sub, False))
                    if etype == "PERSON" and sub == "first":
                        # a known first name followed by a capitalized word: the full name
                        nm = _NEXT_NAME_WORD.match(text, end)
                        if nm and nm.group(1).lower() not in _NOT_SURNAME_WORDS:
                            span = _new_span(Span, (pos, nm.end(), "PERSON", "", False))
                    out.append(span)
                pos = hay.find(value, end)
        return out

    # -- walking ------------------------------------------------------------------------------
    def _walk(self, value: Any, key: str | None, counts: dict[str, int]) -> tuple[Any, bool]:
        if isinstance(value, str):
            new = self._string(value, key, counts)
            return new, new != value
        if isinstance(value, dict):
            changed = False
            out: dict[str, Any] = {}
            for k, v in value.items():
                role = key if k == "value" and key is not None else k  # (as in _learn)
                if isinstance(v, str):  # (the common case, without a call)
                    nv = out[k] = self._string(v, role, counts)
                    changed = changed or nv != v
                else:
                    nv, c = self._walk(v, role, counts)
                    out[k] = nv
                    changed = changed or c
            return (out if changed else value), changed
        if isinstance(value, list):
            changed = False
            items = []
            for v in value:
                nv, c = self._walk(v, key, counts)
                items.append(nv)
                changed = changed or c
            return (items if changed else value), changed
        return value, False

    def _string(self, s: str, key: str | None, counts: dict[str, int]) -> str:
        if not s:
            return s
        roles = None if key is None else self._key_roles.get(key) or self._roles_of(key)
        if roles is not None and roles is not _NO_ROLES:
            secret, person, org = roles
            whole: Span | None = None
            if secret and "SECRET" in self.config.entities:
                if not s.strip() or s.startswith(("[", "<", "${", "{{", "%")) or s == self.config.secret_marker:
                    return s
                whole = Span(0, len(s), "SECRET", "key")
            elif person is not None and "PERSON" in self.config.entities and self._names.name_like(s):
                whole = Span(0, len(s), "PERSON", person)
            elif org and "ORGANIZATION" in self.config.entities and self._names.org_like(s):
                whole = Span(0, len(s), "ORGANIZATION")
            if whole is not None:
                new = self._replace_span(s, whole, counts)
                self._report.values_changed += new != s
                if self._trace is not None and new != s:
                    self._trace.setdefault(s, []).append(Replacement(0, len(s), whole.etype, new))
                return new
        if self.config.embedded_json and len(s) >= 2 and s[0] in "{[" and s[-1] in "}]":
            embedded = self._embedded_json(s, counts)
            if embedded is not None:
                self._report.values_changed += embedded != s
                return embedded
        new = self._text(s, counts)
        if new != s:
            self._report.values_changed += 1
        return new

    def _parse_embedded(self, s: str) -> dict[str, Any] | list[Any] | None:
        """The JSON object or array ``s`` holds, or None: not JSON, a scalar, nested deeper
        than EMBEDDED_MAX_DEPTH, or inside EMBEDDED_MAX_LAYERS strings already (then ``s``
        is pseudonymized as text)."""
        if self._embed_layers >= EMBEDDED_MAX_LAYERS:
            return None
        try:  # (numbers that json.dumps would not write back as they were: text, too)
            obj = loads_bounded(s, EMBEDDED_MAX_DEPTH, parse_float=_faithful_float)
        except ValueError:
            return None
        return obj if isinstance(obj, (dict, list)) else None

    def _embedded_json(self, s: str, counts: dict[str, int]) -> str | None:
        obj = self._parse_embedded(s)
        if obj is None:
            return None
        self._embed_layers += 1
        try:
            new, changed = self._walk(obj, None, counts)
        finally:
            self._embed_layers -= 1
        if not changed:
            return s
        compact = '":' in s and '": ' not in s
        indent = None
        if "\n" in s:
            m = _INDENT.search(s)
            indent = len(m.group(1)) if m else 2
        ensure_ascii = s.isascii() and "\\u" in s
        return json.dumps(
            new,
            ensure_ascii=ensure_ascii,
            indent=indent,
            separators=(",", ":") if compact else ((",", ": ") if indent else (", ", ": ")),
        )

    # -- text ---------------------------------------------------------------------------------
    def _text(self, text: str, counts: dict[str, int]) -> str:
        resolved = self._resolved
        spans = resolved.get(text) if resolved is not None else None
        if spans is None:
            spans = self._resolve(text)
            if resolved is not None:
                resolved[text] = spans
        if not spans:
            return text
        out: list[str] = []
        pos = 0
        trace = self._trace
        for span in spans:
            if span.keep:
                continue
            original = text[span.start : span.end]
            new = self._replace_span(original, span, counts)
            if new != original:
                out.append(text[pos : span.start])
                out.append(new)
                pos = span.end
                if trace is not None:
                    trace.setdefault(text, []).append(Replacement(span.start, span.end, span.etype, new))
        if not out:
            return text
        out.append(text[pos:])
        return "".join(out)

    def _resolve(self, text: str) -> list[Span]:
        """The spans of ``text`` to act on: detected and learned, overlaps resolved."""
        spans = self._memo.get(text)  # (the learning pass detected most strings already)
        if spans is None:
            spans = self._spans_for(text)
        learned = None
        if self._learned:  # the spans of the values learned in this record (memoized per record)
            learned = self._lmemo.get(text)
            if learned is None:
                learned = self._lmemo[text] = self._find_learned(text)
        if learned:
            # A learned value the detectors found too gives the same span twice: left out, the
            # overlap resolution takes the same spans (the copy it would drop is an equal one)
            known = set(spans)
            extra: list[Span] = []
            for span in learned:
                if span not in known:
                    known.add(span)
                    extra.append(span)
            if extra:
                spans = spans + extra
        if len(spans) > 1:
            spans = resolve_overlaps(spans)
        return spans

    # -- per-type replacement ------------------------------------------------------------------
    def _replace_span(self, value: str, span: Span, counts: dict[str, int]) -> str:
        etype = span.etype
        sub = span.sub
        ck = (etype, sub, value)
        if not self._observing:
            hit = self._rcache.get(ck)
            if hit is not None:  # (never a SECRET, never a type without a handler)
                report = self._report
                if etype == "GUID" and sub:
                    gcx = report.guid_contexts
                    gcx[sub] = gcx.get(sub, 0) + 1
                if hit[2]:  # what the value's replacement counted inside it (a URL's sig=)
                    for etype_in, n in hit[2]:
                        counts[etype_in] = counts.get(etype_in, 0) + n
                        for _ in range(n):
                            report.add(etype_in, None)
                        if etype_in == "SECRET":  # as the uncached path counts it
                            report.redacted_secrets += n
                if hit[3]:
                    gc = report.guid_contexts
                    for k, n in hit[3]:
                        gc[k] = gc.get(k, 0) + n
                new = hit[0]
                if new != value:
                    counts[etype] = counts.get(etype, 0) + 1
                    report.add(etype, hit[1])
                return new  # type: ignore[no-any-return]
        if etype == "SECRET":
            self._count("SECRET", None, counts)
            self._report.redacted_secrets += 1
            self._remember("SECRET", value, self.config.secret_marker)
            return self.config.secret_marker
        handler = self._handler_map.get(etype)
        if handler is None:
            return value
        if etype == "GUID" and sub:
            gcx = self._report.guid_contexts
            gcx[sub] = gcx.get(sub, 0) + 1
        if self._observing:
            if self._plan is not None:  # plan(): a value's draws are recorded at its first use
                if ck in self._plan_done:
                    return value
                self._plan_done.add(ck)
            return handler(value, span)[0]
        contexts: tuple[tuple[str, int], ...] = ()
        if etype in _COMPOSITE:  # may replace values inside: count them with this one
            saved = self._inner
            inner: dict[str, int] = {}
            self._inner = inner
            before = dict(self._report.guid_contexts)
            try:
                new, oid = handler(value, span)
            finally:
                self._inner = saved
            inner_counts = tuple(inner.items())
            for etype_in, n in inner_counts:
                counts[etype_in] = counts.get(etype_in, 0) + n
            # GUID contexts inside (a resource ID's subscription), replayed on a cache hit
            # too, so the report never depends on what the cache still holds
            contexts = tuple((k, n - before.get(k, 0)) for k, n in self._report.guid_contexts.items()
                             if n != before.get(k, 0))
        else:
            new, oid = handler(value, span)
            inner_counts = ()
        changed = new != value
        if changed:
            self._remember(etype, value, new)
            if self._mapping is not None:
                self._mapping[(etype, new)] = value
        rcache = self._rcache
        if len(rcache) >= rcache._max:  # (_BoundedCache.put, inlined: once per new value)
            rcache.popitem(last=False)
        rcache[ck] = (new, oid, inner_counts, contexts)
        if changed:
            counts[etype] = counts.get(etype, 0) + 1
            self._report.add(etype, oid)
        return new

    def _handlers(self) -> dict[str, Callable[[str, Span], tuple[str, int | None]]]:
        return {
            "EMAIL": self._email,
            "URL": self._url,
            "HOSTNAME": self._hostname,
            "GUID": self._guid,
            "AZURE_RESOURCE_ID": self._azure_id,
            "IPV4": self._ipv4,
            "IPV6": self._ipv6,
            "MAC": self._mac,
            "PHONE": self._phone,
            "CREDIT_CARD": self._card,
            "IBAN": self._iban,
            "US_SSN": self._ssn,
            "PERSON": self._person,
            "ORGANIZATION": self._org,
        }

    def _merge_inner(self, counts: dict[str, int]) -> None:
        """Record entity counts found inside a composite value (URL, resource ID) so a cache
        hit on the composite can replay them."""
        for etype, n in counts.items():
            self._inner[etype] = self._inner.get(etype, 0) + n

    def _count(self, etype: str, oid: int | None, counts: dict[str, int]) -> None:
        if self._observing:
            return
        counts[etype] = counts.get(etype, 0) + 1
        self._report.add(etype, oid)

    def _remember(self, etype: str, original: str, fake: str) -> None:
        if self._observing:
            return
        # names keep their case (the leak check matches them case-sensitively: "Will", "Mark")
        originals = self._originals.get(etype)
        if originals is None:
            originals = self._originals[etype] = set()
        originals.add(original if etype in _CASED_TYPES else original.lower())
        fakes = self._fakes.get(etype)
        if fakes is None:
            fakes = self._fakes[etype] = set()
        fakes.add(fake.lower())
        if etype == "URL":  # also as the detectors cut it at the end ("...sig=[REDACTED]")
            fakes.add(url_as_detected(fake).lower())

    # -- the injective keyed draw ---------------------------------------------------------
    def _assign(self, ns: str, norm: str) -> tuple[str, int]:
        """The fake of ``norm`` in namespace ``ns``: keyed, memoized, injective within the run."""
        if self._observing:
            if self._plan is not None:  # plan(): record what this batch will ask for
                self._plan[(ns, norm)] = None
                return norm, 0
            oid = self._hasher.oid(ns, norm)
            self._seen.add_new(oid)
            return norm, oid
        key = (ns, norm)
        cache = self._cache
        hit = cache.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        if self._planned:  # a worker of the parallel engine draws nothing itself
            hit = self._answers.get(key) if self._answers is not None else None
            if hit is not None:
                return hit  # type: ignore[no-any-return]
            raise PlanMiss(ns)
        simple = _GENERATORS.get(ns)
        if simple is not None:  # ``generator(ns, norm)`` without building a closure
            fake_of, canon = simple
            draw: Callable[[F.KeyedRng], str] | None = None
        else:
            draw, canon = generator(ns, norm)
        # Ids are keyed hashes of (namespace, value): ``oid`` is the original's, ``fid`` the one
        # a drawn fake would have as an original. ``_owners`` maps fid -> oid, ``_seen`` holds
        # every oid so far (compact tables: a 1 GB log holds millions).
        hasher = self._hasher
        stream = hasher.stream(ns, norm)  # hashed once for the id and every draw
        oid = hasher.oid_of(stream)
        seen = self._seen
        owners = self._owners
        first = seen.add_new(oid)
        if first:
            owner = owners.get(oid)
            if owner is not None and owner != oid:
                self._report.collisions += 1  # this original was already emitted as a fake
        seed_of = hasher.seed_of
        fid_of = hasher.oid
        avoid = self._avoid
        for counter in range(MAX_DRAWS):
            rng = _KeyedRng(seed_of(stream, counter), counter)
            fake = fake_of(rng, norm) if draw is None else draw(rng)
            fnorm = canon(fake)
            fid = fid_of(ns, fnorm)
            owner = owners.get(fid)
            if owner == oid:
                break
            if owner is None and fnorm != norm and fid not in seen and (
                    avoid is None or not self._is_original(fake, counter < REPAIR_STRICT_DRAWS)):
                owners.set(fid, oid)
                if self._pair_log is not None:
                    self._pair_log.append((fid, oid))
                break
            if first:  # (a value evicted from the cache re-walks its draws: count them once)
                self._report.redraws += 1
                if self._log_redraws:
                    self._redraw_log[oid] = counter + 1
        else:  # the generators widen their pools long before this: never emit a shared fake
            raise DataError(f"pseudonymize: no free {ns} fake after {MAX_DRAWS} draws")
        hit = (fake, oid)
        cache.put(key, hit)
        return hit

    def _is_original(self, fake: str, strict: bool = False) -> bool:
        """During a repair: whether ``fake`` is, as a whole, an original the run's leak scanner
        knows (a fresh pseudonymizer has not seen the run's originals; it must not emit one).
        ``strict``: whether it holds one anywhere, e.g. a fake "Ann Kim" when "Kim" is a
        customer's surname: the rescan would find it, so the first draws avoid that too."""
        hits = self._avoid.find(fake)
        if strict:
            return bool(hits)
        return any(a == 0 and b == len(fake) for a, b, _t in hits)

    # -- handlers ---------------------------------------------------------------------------------
    def _guid(self, value: str, span: Span) -> tuple[str, int]:
        norm = value.strip("{}").lower()
        fake, oid = self._assign("GUID", norm)
        if _UPPER_HEX.search(value) is not None:
            fake = fake.upper()
        if value.startswith("{"):
            fake = "{" + fake + "}"
        return fake, oid

    def _ipv4(self, value: str, span: Span) -> tuple[str, int]:
        norm = value  # detected IPv4 text is canonical (no leading zeros)
        return self._assign("IPV4", norm)

    def _ipv6(self, value: str, span: Span) -> tuple[str, int]:
        norm = ipaddress.IPv6Address(value).compressed
        fake, oid = self._assign("IPV6", norm)
        if _UPPER_HEX.search(value) is not None:
            fake = fake.upper()
        return fake, oid

    def _mac(self, value: str, span: Span) -> tuple[str, int]:
        norm = _NON_HEX.sub("", value.lower())
        fake, oid = self._assign("MAC", norm)
        hexes = fake.replace(":", "")
        if _UPPER_HEX.search(value) is not None:
            hexes = hexes.upper()
        return F.fill_template(value, hexes, "hex"), oid

    def _phone(self, value: str, span: Span) -> tuple[str, int]:
        parsed = self._detector.phones.get(value)[0]
        if parsed is None:
            return value, 0
        nsn = phonenumbers.national_significant_number(parsed)
        cc = parsed.country_code
        norm = f"+{cc}{nsn}"
        fake_e164, oid = self._assign("PHONE", norm)
        fake_nsn = fake_e164[1 + len(str(cc)) :]
        ext_at = len(value)
        m = _PHONE_EXT.search(value)
        if m:
            ext_at = m.start()
        head = list(value[:ext_at])
        positions = [i for i, c in enumerate(head) if c.isdigit()]
        if len(fake_nsn) > len(positions):
            return value, oid
        for pos, d in zip(positions[len(positions) - len(fake_nsn) :], fake_nsn, strict=False):
            head[pos] = d
        return "".join(head) + value[ext_at:], oid

    def _card(self, value: str, span: Span) -> tuple[str, int]:
        norm = "".join(c for c in value if c.isdigit())
        fake, oid = self._assign("CREDIT_CARD", norm)
        return F.fill_template(value, fake), oid

    def _iban(self, value: str, span: Span) -> tuple[str, int]:
        norm = value.replace(" ", "").upper()
        fake, oid = self._assign("IBAN", norm)
        it = iter(fake)
        return "".join(c if c == " " else next(it) for c in value), oid

    def _ssn(self, value: str, span: Span) -> tuple[str, int]:
        return self._assign("US_SSN", value)

    # names -------------------------------------------------------------------------------------
    def _name_part(self, ns: str, token: str) -> str:
        norm = token.lower()
        if ns == "FIRST":
            fake, _ = self._assign("FIRST", norm)
        else:
            fake, _ = self._assign("LAST", norm)
        out = F.match_case(token, fake)
        if self._mapping is not None and not self._observing:
            self._mapping[(ns, out)] = token
        return out

    def _person(self, value: str, span: Span) -> tuple[str, int]:
        parts = self._split(value, span.sub)
        out = value
        pieces: list[tuple[int, int, str]] = []
        for start, end, role in parts:
            token = value[start:end]
            if role == "initial":
                repl = self._initial(token) + ("." if token.endswith(".") else "")
                pieces.append((start, end, match_case_initial(token, repl)))
            else:
                pieces.append((start, end, self._name_part("FIRST" if role == "first" else "LAST", token)))
        for start, end, repl in reversed(pieces):
            out = out[:start] + repl + out[end:]
        norm = " ".join([value[s:e].lower() for s, e, _ in parts])
        return out, self._hasher.oid("PERSON", norm)

    def _split(self, value: str, sub: str) -> list[tuple[int, int, str]]:
        """``split_person``, memoized per run (the same names recur)."""
        key = (value, sub)
        parts = self._split_memo.get(key)
        if parts is None:
            parts = split_person(value, sub)
            if len(self._split_memo) >= 8192:
                self._split_memo.clear()
            self._split_memo[key] = parts
        return parts

    @staticmethod
    def _initial(token: str) -> str:
        """Initials are kept, and fake first names keep the original's initial, so
        "J. Doe" and "jdoe@" stay linked to "Jane Doe" in any order."""
        return F.fold_initial(token) or token[:1]

    def _org_core(self, core: str) -> tuple[str, int]:
        return self._assign("ORG", _NON_ALNUM.sub("", core.lower()))

    def _org(self, value: str, span: Span) -> tuple[str, int]:
        m = _ORG_SUFFIX.search(value)
        core, suffix = (value[: m.start()], value[m.start() :]) if m and m.start() > 0 else (value, "")
        fake, oid = self._org_core(core)
        if core.isupper() and len(core) > 3:
            fake = fake.upper()
        return fake + suffix, oid

    # hosts, emails, URLs, Azure -------------------------------------------------------------
    def _kept_domain(self, host: str) -> bool:
        if self.config.keep_public_domains:
            labels = host.split(".")
            for i in range(len(labels) - 1):
                if ".".join(labels[i:]) in PUBLIC_DOMAINS:
                    return True
        return any(host == d or host.endswith("." + d) for d in self._keep_domains)

    def _label(self, label: str) -> str:
        """A host / resource name label: generic words kept, other words and numbers faked.
        Memoized per run like :meth:`_domain` (resource group and resource names recur)."""
        if self._observing:  # observe() draws no fakes: nothing to memoize
            return self._map_label(label)
        hit = self._labels.get(label)
        if hit is None:
            hit = self._map_label(label)
            self._labels.put(label, hit)
        return hit  # type: ignore[no-any-return]

    def _map_label(self, label: str) -> str:
        low_label = label.lower()
        if low_label in GENERIC_LABEL_WORDS or low_label in AZURE_FIXED_NAMES:
            return label
        tokens = _LABEL_TOKEN.findall(label)
        if len(tokens) == 1 and len(label) >= 12 and label.isalnum():
            fake, _ = self._assign("LABEL", label.lower())
            return F.match_case(label, fake) if not label.islower() else fake
        out: list[str] = []
        pos = 0
        for tok in tokens:  # the tokens in order: each found from where the last one ended
            start = label.index(tok, pos)
            out.append(label[pos:start])
            low = tok.lower()
            if low in GENERIC_LABEL_WORDS or (tok.isdigit() and len(tok) <= 2):
                out.append(tok)
            elif tok.isdigit():
                out.append(self._number(tok))
            else:
                # a word inside a name is mapped like the organization of the same name,
                # so "rg-contoso-prod" and "contoso.com" stay coherent
                word = None if self._observing else self._words.get(low)
                if word is None:
                    word = _NON_ALNUM.sub("", self._org_core(low)[0].lower())
                    if not self._observing:  # observe() draws no fakes: nothing to memoize
                        self._words.put(low, word)
                out.append(F.match_case(tok, word))
            pos = start + len(tok)
        out.append(label[pos:])
        return "".join(out)

    def _number(self, digits: str) -> str:
        """A run of digits inside a name or local part: same length, keyed digits."""
        hit = self._cache.get(("LABELNUM", digits))
        if hit is None:
            hit = (F.permute_digits(self._hasher, digits), 0)
            self._cache.put(("LABELNUM", digits), hit)
        return str(hit[0])

    def _domain(self, host: str) -> str:
        """Map a host name: kept public domains unchanged, Azure suffixes kept, the
        registrable name mapped like its organization, other labels mapped as labels.
        Memoized per run: a customer's domain recurs in many e-mails and host names."""
        if self._observing:  # observe() draws no fakes: nothing to memoize
            return self._map_domain(host)
        hit = self._domains.get(host)
        if hit is None:
            hit = self._map_domain(host)
            self._domains.put(host, hit)
        return hit

    def _map_domain(self, host: str) -> str:
        low = host.lower().rstrip(".")
        trail = host[len(low):] if len(host) > len(low) else ""
        labels = host.rstrip(".").split(".")
        if low in self._detector.allow_values or any(
            low == d or low.endswith("." + d) for d in self._keep_domains
        ):
            return host
        for suffix in AZURE_HOST_SUFFIXES if low in _AZURE_SUFFIX_SET or low.endswith(_AZURE_DOTTED) else ():
            if low == suffix:
                return host
            if low.endswith("." + suffix):
                n = suffix.count(".") + 1
                head = labels[:-n]
                return ".".join([self._label(x) if x != "*" else x for x in head] + labels[-n:]) + trail
        if self._kept_domain(low):
            return host
        n_suffix = 2 if ".".join(low.split(".")[-2:]) in SECOND_LEVEL_SUFFIXES else 1
        if len(labels) <= n_suffix:
            return host
        sld = labels[-n_suffix - 1]
        fake_org, _ = self._org_core(sld)
        fake_sld = _NON_ALNUM.sub("", fake_org.lower())
        if sld.isupper():
            fake_sld = fake_sld.upper()
        subs = [self._label(x) if x != "*" else x for x in labels[: -n_suffix - 1]]
        return ".".join(subs + [fake_sld] + labels[-n_suffix:]) + trail

    def _hostname(self, value: str, span: Span) -> tuple[str, int]:
        norm = value.lower().rstrip(".")
        new = self._domain(value)
        return new, self._hasher.oid("HOSTNAME", norm)

    def _email(self, value: str, span: Span) -> tuple[str, int]:
        at = value.rfind("@")
        sep = "@"
        if at < 0:  # URL-encoded: jane.doe%40contoso.com, the same person as jane.doe@contoso.com
            at = value.rfind("%40")
            sep = "%40"
        local, domain = value[:at], value[at + len(sep) :]
        norm = f"{local}@{domain}".lower()
        new_domain = self._domain(domain)
        new_local = self._local_part(local)
        if new_domain.lower() == domain.lower() and new_local.lower() == local.lower():
            new_local = self._local_part(local, force=True)
        return new_local + sep + new_domain, self._hasher.oid("EMAIL", norm)

    def _local_part(self, local: str, force: bool = False) -> str:
        low = local.lower()
        if low in _GENERIC_LOCALS and not force:
            return local
        base, plus, tag = local.partition("+")
        tokens = _LOCAL_SPLIT.split(base)
        words = [t for t in tokens if t and t not in "._-"]
        if not words:
            return local
        out: list[str] = []
        roles = self._names.local_roles(words)
        for tok in tokens:
            if not tok or tok in "._-":
                out.append(tok)
                continue
            role = roles.get(tok, "")
            digits = _TRAILING_DIGITS.search(tok)
            stem = tok[: digits.start()] if digits else tok
            num = digits.group() if digits else ""
            if not stem:
                out.append(self._number(tok))
                continue
            if role == "initial+last":
                repl = self._initial(stem[0]).lower() + self._name_part("LAST", stem[1:]).lower()
            elif role == "first":
                repl = self._name_part("FIRST", stem).lower()
            elif role == "last":
                repl = self._name_part("LAST", stem).lower()
            elif role == "initial":
                repl = self._initial(stem).lower()
            else:
                repl = self._assign("LOCAL", stem.lower())[0]
            if num:
                repl += self._number(num)
            out.append(F.match_case(tok, repl) if not tok.islower() else repl)
        return "".join(out) + (plus + tag if plus else "")

    def _url(self, value: str, span: Span) -> tuple[str, int]:
        m = _URL_PARTS.match(value)
        if not m:
            return value, 0
        host = m.group("host")
        counts: dict[str, int] = {}
        new_host = host
        if host.startswith("["):
            inner = host[1:-1]
            try:
                ipaddress.IPv6Address(inner)
                new_host = "[" + self._replace_span(inner, Span(0, len(inner), "IPV6"), counts) + "]"
            except ValueError:
                pass
        elif host:
            sub = self._detector.spans(host)
            if sub and sub[0].start == 0 and sub[0].end == len(host):
                if not sub[0].keep:
                    new_host = self._replace_span(host, sub[0], counts)
            elif "." in host:
                new_host = self._domain(host)
        auth = m.group("auth") or ""
        if auth:
            user, _, pw = auth[:-1].partition(":")
            auth = self._local_part(user) + (":" + self.config.secret_marker if pw else "") + "@"
        rest = m.group("rest")
        new_rest = self._text(rest, counts) if rest else rest
        self._merge_inner(counts)
        new = m.group("scheme") + auth + new_host + (m.group("port") or "") + new_rest
        return new, self._hasher.oid("URL", value.lower())

    def _azure_id(self, value: str, span: Span) -> tuple[str, int]:
        if span.sub == "name":  # a resource name learned from an ID, standing alone
            return self._resource_name(value), self._hasher.oid("LABEL", value.lower())
        segs = value.split("/")
        out = list(segs)
        counts: dict[str, int] = {}
        i = 0
        mode = ""
        while i < len(segs):
            seg = segs[i]
            low = seg.lower()
            if low == "subscriptions" and i + 1 < len(segs):
                guid = segs[i + 1]
                out[i + 1] = self._replace_span(guid, Span(0, len(guid), "GUID", "subscription"), counts)
                i += 2
                continue
            if low == "resourcegroups" and i + 1 < len(segs):
                out[i + 1] = self._resource_name(segs[i + 1])
                i += 2
                continue
            if low == "providers" and i + 1 < len(segs):
                mode = "type"
                i += 2  # the namespace is kept
                continue
            if mode == "type" and seg:
                if i + 1 < len(segs):
                    out[i + 1] = self._resource_name(segs[i + 1])
                i += 2
                continue
            i += 1
        self._merge_inner(counts)
        return "/".join(out), self._hasher.oid("AZURE_RESOURCE_ID", value.lower())

    def _resource_name(self, name: str) -> str:
        if not name or name.lower() in AZURE_FIXED_NAMES or _plain_word(name):
            return name
        if _may_hold_identifier(name):
            spans = [sp for sp in self._detector.spans(name) if sp.etype != "AZURE_RESOURCE_ID"]
            if spans and spans[0].start == 0 and spans[0].end == len(name) and not spans[0].keep:
                inner: dict[str, int] = {}  # counted with the enclosing resource ID
                new = self._replace_span(name, spans[0], inner)  # a name that is an IP, a host, ...
                self._merge_inner(inner)
                return new
            if any(not sp.keep for sp in spans):  # "DefaultWorkspace-<guid>-EUS": the GUID
                new = self._name_with_identifiers(name, spans)  # gets its fake, the rest is mapped
                if new != name:
                    self._remember("AZURE_RESOURCE_ID", name, new)
                return new
        new = self._label(name)
        if new != name:
            self._remember("AZURE_RESOURCE_ID", name, new)
        return new

    def _name_with_identifiers(self, name: str, spans: list[Span]) -> str:
        """A resource name holding identifiers: each replaced as itself (its fake is the one
        it gets everywhere), the words between them mapped as a name's words are."""
        inner: dict[str, int] = {}  # counted with the enclosing resource ID
        out: list[str] = []
        pos = 0
        for span in spans:
            if span.start > pos:
                out.append(self._label(name[pos : span.start]))
            piece = name[span.start : span.end]
            out.append(piece if span.keep else self._replace_span(piece, span._replace(start=0, end=len(piece)), inner))
            pos = span.end
        if pos < len(name):
            out.append(self._label(name[pos:]))
        self._merge_inner(inner)
        return "".join(out)

_ID_CHARS = re.compile(r"[.:@=/\s]")
# Lower-cased starts of the secret shapes a whole name could have (sk-, AKIA, ghp_, github_pat_,
# xoxb-, AIza, glpat-); every such secret is 15 characters or longer.
_SECRET_STARTS = ("sk-", "akia", "gh", "xox", "aiza", "glpat-")


def _may_hold_identifier(name: str) -> bool:
    """False when no detector can find an identifier other than a resource name spanning all of
    ``name``: without ``.:@=/`` or white space that needs 7+ digits (phone, card, SSN, IBAN), or
    15+ characters with a fixed shape (GUID 36/38, MAC 17, IBAN, a secret prefix)."""
    if _ID_CHARS.search(name) or sum(map(str.isdigit, name)) >= 7:
        return True
    n = len(name)
    if n < 15:
        return False
    return n in (17, 36, 38) or name.lower().startswith(_SECRET_STARTS) or (
        name[:2].isalpha() and name[2:4].isdigit())


def _org_canon(fake: str) -> str:
    return _NON_ALNUM.sub("", fake.lower())


def _plain_word(name: str) -> bool:
    """A short dictionary-like resource name ("orders", "logs", "web") identifies nobody."""
    return name.isalpha() and len(name) < 8 or name.lower() in AZURE_REGIONS


def azure_names(resource_id: str) -> list[str]:
    """The customer-chosen names in a resource ID (resource group and resource names)."""
    segs = resource_id.split("/")
    names: list[str] = []
    i, mode = 0, ""
    while i < len(segs):
        low = segs[i].lower()
        if low == "subscriptions":
            i += 2
        elif low == "resourcegroups" and i + 1 < len(segs):
            names.append(segs[i + 1])
            i += 2
        elif low == "providers":
            mode = "type"
            i += 2
        elif mode == "type" and segs[i]:
            if i + 1 < len(segs):
                names.append(segs[i + 1])
            i += 2
        else:
            i += 1
    return [n for n in names if n and n.lower() not in AZURE_FIXED_NAMES and not _plain_word(n)]


_NEXT_NAME_WORD = re.compile(
    r"[ \t]+([A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+(?:-[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+)?)(?![\w-])"
)
_NOT_SURNAMES = frozenset(
    ["the", "and", "or", "from", "at", "in", "on", "of", "for", "to", "is", "was", "has", "had", "will", "can", "said", "approved", "called", "wrote", "asked", "mentioned", "team", "support", "here", "there"]
)

# Capitalized words that are also given names or surnames: never learned as a lone token.
_COMMON_WORDS = frozenset(
    ["will", "may", "long", "grant", "bill", "mark", "rich", "hope", "joy", "faith", "dawn", "page", "hunter", "young", "king", "bell", "white", "black", "brown", "green", "gray", "grey", "rose", "west", "north", "south", "summer", "winter", "chase", "case", "new", "best", "price", "cash", "sharp", "strong", "wise", "guy", "pat", "art", "rob", "sue", "don", "penny", "ray", "frank", "sunny", "hall", "field", "house", "cook", "wood", "stone", "park", "lane", "street", "hill", "banks", "rivers", "ford", "power", "early", "love", "good", "hart", "bond", "gold", "miles", "cole", "cross", "short", "little", "small", "major", "may", "june", "april", "august", "love", "dean", "august"]
)


_NOT_SURNAME_WORDS = _COMMON_WORDS | _NOT_SURNAMES
# Handlers that replace values inside theirs (a URL's host and path, a resource ID's GUID and
# names): the inner counts are kept with the composite so a repeat counts them again.
_COMPOSITE = frozenset(("URL", "AZURE_RESOURCE_ID"))
_CASED_TYPES = frozenset(("PERSON", "ORGANIZATION"))
_AZURE_SUFFIX_SET = frozenset(AZURE_HOST_SUFFIXES)
_AZURE_DOTTED = tuple("." + suffix for suffix in AZURE_HOST_SUFFIXES)


def _lower_keeping_length(text: str) -> str:
    """``text`` lower-cased character by character, except characters whose lower case is
    longer (U+0130), which stay: offsets into the result are offsets into ``text``. The
    leak scanner lower-cases such a row the same way."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def match_case_initial(template: str, repl: str) -> str:
    return repl.upper() if template[:1].isupper() else repl.lower()


def iter_strings(obj: Any) -> Iterable[str]:
    """Every string inside a parsed JSON value (values only, not keys)."""
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
