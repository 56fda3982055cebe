"""The leak check: search outputs for every original value that was detected.

:meth:`LeakScanner.scan` runs one Aho-Corasick automaton (``pyahocorasick``) over the
lower-cased text, so it costs the same whether 10 or 1,000,000 originals are known;
a hit counts only on word boundaries. :meth:`LeakScanner.residual` re-runs the
detectors and reports detections that are not ftprep's own fakes. Both return entity
types only - never a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import ahocorasick

from ..leak_pass import boundary_ok
from .config import PseudonymizeConfig
from .detect import Detector
from .names import NameFinder

_NAME_TYPES = frozenset(("PERSON", "ORGANIZATION"))
_KEPT_MEMO_SIZE = 4096  # distinct values whose policy answer is memoized (emptied when full)
_JSON_ESCAPE = re.compile(r"\\(?:[nrtbf]|u[0-9a-fA-F]{4})|\\\\")


def _blank_escape(m: re.Match[str]) -> str:
    return m.group() if m.group() == "\\\\" else " " * len(m.group())


# the escapes of a JSON row that hide text: \uXXXX (a surrogate pair as one match), "\/";
# and the others, so that an escaped backslash is never read as the start of an escape
_HIDING_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|/)"
    r"|\\[nrtbf\\\"]")


def _decode_escape(m: re.Match[str]) -> str:
    high, low, single = m.group(1), m.group(2), m.group(3)
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00)
    if single is None:
        whole = m.group()
        if whole == "\\/":
            return "/"
        return whole if whole in ('\\\\', '\\"') else "  "  # a letter escape: blanked
    char = chr(int(single, 16))
    if char in '"\\':
        return "\\" + char  # kept escaped: the view still reads as the row
    if ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
        return " "  # a control character or a lone surrogate separates words
    return char


def json_text_view(row: str) -> str:
    """A serialized JSON row as the leak pass scans it: what :func:`json_scan_view` gives,
    and ``\\uXXXX`` escapes decoded (``"Zo\\u00eb M\\u00fcller"`` reads ``"Zoë Müller"``, a
    surrogate pair one character), ``\\/`` read as ``/``. A row ftprep wrote unchanged keeps
    the escapes of its input (``json.dumps`` writes every non-ASCII character so); the text
    behind them is what the check must see. Offsets change (the scan reports rows, not
    offsets); an escaped quote or backslash stays escaped, a control character (as a
    letter escape is) or a lone surrogate becomes one space."""
    if "\\u" not in row and "\\/" not in row:
        return json_scan_view(row)
    return _HIDING_ESCAPE.sub(_decode_escape, row)


def json_scan_view(row: str) -> str:
    """A serialized JSON row with its letter escapes (``\\n``, ``\\t``, ``\\u0007``, ...)
    blanked to spaces of the same length, for scanning.

    In the row text "Regards,\\nJane" the name follows the letter ``n`` of the escape, so a
    word-boundary search (the leak check, residual detection) would miss it. Offsets are
    unchanged; escaped backslashes are kept, so ``\\\\n`` stays a backslash and an ``n``.
    """
    if "\\" not in row:
        return row
    return _JSON_ESCAPE.sub(_blank_escape, row)


_boundary_ok = boundary_ok  # (the leak check's word boundary, shared with the hashed scan)


class LeakScanner:
    """Scans text for originals (``scan``) and for unreplaced identifiers (``residual``)."""

    def __init__(
        self,
        originals: Mapping[str, Iterable[str]],
        fakes: Mapping[str, Iterable[str]] | None = None,
        config: PseudonymizeConfig | None = None,
    ) -> None:
        self.config = config or PseudonymizeConfig()
        min_len = self.config.leak_min_length
        fake_set: set[str] = set()
        for values in (fakes or {}).values():
            fake_set.update(v.lower() for v in values)
        self._fakes = fake_set
        self._auto: Any = None  # case-insensitive: identifiers, matched in the lower-cased text
        self._cased: Any = None  # case-sensitive: names, as written, Title Case and UPPER CASE
        auto, cased = ahocorasick.Automaton(), ahocorasick.Automaton()
        count = n_cased = 0
        marker = self.config.secret_marker.lower()
        for etype in sorted(originals):
            names = etype in _NAME_TYPES
            for value in originals[etype]:
                v = value.lower()
                if len(v) < min_len or v in fake_set or v == marker:
                    continue
                if names:
                    for variant in {value, value.upper(), value.title()}:
                        if not cased.exists(variant):
                            cased.add_word(variant, (len(variant), etype))
                            n_cased += 1
                elif not auto.exists(v):
                    auto.add_word(v, (len(v), etype))
                    count += 1
        if count:
            auto.make_automaton()
            self._auto = auto
        if n_cased:
            cased.make_automaton()
            self._cased = cased
        self.size = count + n_cased
        self._detector = Detector(self.config)
        self._names = NameFinder(self.config)
        self._probe: Any = None
        #: (value, entity type, sub-type) -> whether policy keeps it: the same kept values
        #: (Azure service hosts, documentation links) recur in row after row
        self._kept_memo: dict[tuple[str, str, str], bool] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_detector")
        state.pop("_names")
        state["_probe"] = None
        state["_kept_memo"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_kept_memo", {})
        self._detector = Detector(self.config)
        self._names = NameFinder(self.config)

    def scan(self, text: str) -> list[str]:
        """Entity types of originals found in ``text`` (one entry per hit)."""
        return [etype for _s, _e, etype in self.find(text)]

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, entity type)`` of every original found in ``text``, on word boundaries.

        The offsets let a caller repair the text; never print ``text[start:end]``.
        """
        hits: list[tuple[int, int, str]] = []
        if not text:
            return hits
        if self._auto is not None:
            lowered = text.lower()
            if len(lowered) != len(text):  # a few characters change length when lower-cased
                lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
            for end_idx, (length, etype) in self._auto.iter(lowered):
                start = end_idx - length + 1
                if boundary_ok(lowered, start, end_idx + 1):
                    hits.append((start, end_idx + 1, etype))
        if self._cased is not None:
            for end_idx, (length, etype) in self._cased.iter(text):
                start = end_idx - length + 1
                if boundary_ok(text, start, end_idx + 1, name=True):
                    hits.append((start, end_idx + 1, etype))
        hits.sort()
        return hits

    def residual(self, text: str) -> list[str]:
        """Entity types of detections in ``text`` that are neither ftprep fakes nor kept by policy."""
        out: list[str] = []
        fakes = self._fakes
        for span in self._detector.spans(text):
            etype = span.etype
            if span.keep or etype in _NAME_TYPES:
                continue
            value = text[span.start : span.end]
            if etype == "SECRET":
                if value != self.config.secret_marker:
                    out.append("SECRET")
                continue
            low = value.lower()
            if low in fakes or (low.startswith("{") and low.endswith("}") and low[1:-1] in fakes) \
                    or self._kept(value, span):  # (the middle test is _fake_parts)
                continue
            out.append(etype)
        return out

    def _kept(self, value: str, span: Any) -> bool:
        """True when pseudonymizing ``value`` leaves it unchanged: policy keeps it (an Azure
        service suffix, a public domain, a resource name of generic words). Whether a value
        changes does not depend on the key, so a probe with a fixed key answers it (the same
        answer for the same value: memoized)."""
        key = (value, span.etype, span.sub)
        kept = self._kept_memo.get(key)
        if kept is None:
            if self._probe is None:
                from .engine import Pseudonymizer

                self._probe = Pseudonymizer(b"ftprep residual probe: not a secret", self.config)
            kept = not self._probe.would_change(value, span.etype, span.sub)
            if len(self._kept_memo) >= _KEPT_MEMO_SIZE:
                self._kept_memo.clear()
            self._kept_memo[key] = kept
        return kept

    def _fake_parts(self, value: str) -> bool:
        low = value.lower()
        if low.startswith("{") and low.endswith("}"):
            return low[1:-1] in self._fakes
        return False
