"""PERSON and ORGANIZATION detection without a model.

Names are found where the text says what they are: structured keys (``"name": ...``,
``Customer: ...`` lines), salutations (``Hi Jane,``, ``Dear Ms. Doe``), signatures
(``Regards,\\nJane Doe``), introductions (``my name is ...``), titles (``Mr. Smith``),
and user-supplied lists (``person_names``, ``organization_names``, CSV/TXT files).
Free-standing names with no such context are not found by the core; an NER plug-in
can add them (see :mod:`ftprep.pseudonymize.ner`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import ahocorasick

from ..errors import ConfigError
from .config import PseudonymizeConfig
from .detect import Span
from .pools import pools

_NON_ALNUM = re.compile(r"[^a-z0-9]")
_ASCII_DIGIT = re.compile(r"[0-9]")
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'\u2019.-]*")

_LOW = "a-z\u00df-\u00f6\u00f8-\u00ff"
_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de"
_NAME_WORD = (
    rf"[{_UP}](?:[{_LOW}]+(?:[{_UP}][{_LOW}]+)?|['\u2019][{_UP}][{_LOW}]+)(?:-[{_UP}][{_LOW}]+)?"
)
_INITIAL = rf"[{_UP}]\."
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?"
_FULL_NAME = rf"(?:{_NAME_WORD}|{_INITIAL})(?:[ \t]+(?:{_NAME_WORD}|{_INITIAL})){{0,3}}"
_NAME_OR_TITLED = rf"(?:{_TITLE}[ \t]+{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?|{_FULL_NAME})"

# Words that follow a salutation but are not names.
_NOT_NAMES = frozenset(
    ["team", "all", "everyone", "there", "folks", "guys", "sir", "madam", "customer", "customers", "support", "sirs", "colleagues", "again", "so", "very", "much", "a", "lot", "you", "for", "in", "advance", "the", "this", "that", "it", "we", "i", "our", "your", "my", "his", "her", "hello", "hi", "dear", "thanks", "thank", "regards", "best", "kind", "warm", "good", "morning", "afternoon", "evening", "day", "please", "yes", "no", "ok", "okay", "sure", "great", "welcome", "world", "admin", "user", "users", "microsoft", "azure", "hope", "following", "below", "above", "attached", "see", "note", "update", "issue", "ticket", "case", "both"]
)

_SIGNOFF = (
    r"(?:Regards|Best\s+regards|Kind\s+regards|Warm\s+regards|Best\s+wishes|Best|Thanks|Thank\s+you|"
    r"Many\s+thanks|Cheers|Sincerely|Respectfully|Cordialement|Merci|Danke|Gr\u00fc\u00dfe|"
    r"Mit\s+freundlichen\s+Gr\u00fc\u00dfen|Saludos|Un\s+saludo|Atentamente|Cordiali\s+saluti|"
    r"Met\s+vriendelijke\s+groet|Groeten|BR|Br|Thx)"
)
_SALUTATION_RE = re.compile(
    rf"(?:Hi|Hello|Hey|Dear|Greetings|Good\s+(?:morning|afternoon|evening)|Thanks|Thank\s+you|"
    rf"Bonjour|Hallo|Hola|Ciao|Olá)[ \t]*,?[ \t]+(?P<name>{_NAME_OR_TITLED})(?=[ \t]*(?:[,!:.;\n]|$))"
)
_SIGNATURE_RE = re.compile(
    rf"{_SIGNOFF}(?:[ \t]+[\w'\u2019]+){{0,3}}[ \t]*[,!.]?[ \t]*\r?\n[ \t]*(?:--?[ \t]*)?"
    rf"(?P<name>{_FULL_NAME})(?=[ \t]*(?:\r?\n|$|,|\|))"
)
_ORG_NAME = (
    r"[A-Z][\w&'-]*(?:(?:,[ \t]+|[ \t]+(?:(?:&|and)[ \t]+)?)[A-Z][\w&'-]*){0,3}"
    r"(?:,?[ \t]+(?:Inc|Ltd|LLC|PLC|GmbH|AG)\.?)?"
)
_INTRO_RE = re.compile(
    rf"(?:[Mm]y\s+name\s+is|[Tt]his\s+is|I\s+am|I'm|[Ss]igned,?|[Cc]ontact\s+person:?|"
    rf"[Aa]ssigned\s+to|[Ee]scalated\s+to|[Ss]poke\s+(?:with|to)|[Cc]c:?|[Aa]pproved\s+by|"
    rf"[Rr]equested\s+by|[Rr]eported\s+by|[Oo]n\s+behalf\s+of)[ \t]+(?P<name>{_NAME_OR_TITLED})"
    rf"(?:,?[ \t]+(?:from|at|of|with)[ \t]+(?P<org>{_ORG_NAME}))?"
)
_TITLED_RE = re.compile(rf"(?P<name>{_TITLE}[ \t]+{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)")
# an e-mail display name: "Jane Doe <jane@...>", "\"Doe, Jane\" <jane@...>"
_ANGLE_EMAIL = re.compile(r"[<(\[][^<>()\[\]@\s]{1,64}@")  # "Jane Doe <jane@", "Jane Doe (jane@"
_DISPLAY_NAME_RE = re.compile(
    rf"(?P<name>{_FULL_NAME}|{_NAME_WORD},[ \t]+{_NAME_WORD})[\"']?[ \t]*\Z"
)
_DISPLAY_RUN_REV = re.compile(rf"[{_UP}{_LOW}'\u2019.,\" \t-]*")
_ORG_WORDS = re.compile(
    r"\b(?:Inc|Ltd|LLC|LLP|GmbH|AG|SA|BV|NV|plc|Corp|Corporation|Company|Co|Group|Holdings|"
    r"Bank|Insurance|Pharma|Pharmaceuticals|Solutions|Systems|Technologies|Industries|Partners)\b\.?"
)


def norm_key(key: str) -> str:
    """Normalize a field name: lower case, no separators ("Contact-Name" -> "contactname")."""
    return _NON_ALNUM.sub("", key.lower())


# the end of the text before a separator, reversed: fillers, quotes, then up to 40 key characters
_KEY_TAIL_REV = re.compile(r"[ \t]*[\"']*([\w -]{0,40})")


def _key_tail(before: str) -> str:
    """The characters that may spell a key at the end of ``before`` (reversed)."""
    m = _KEY_TAIL_REV.match(before[::-1])
    assert m is not None  # every part of the pattern may be empty
    return m.group(1)


def _tail_candidates(tail_rev: str) -> list[str]:
    words = tail_rev[::-1].split()
    while words and not words[0][:1].isalpha():
        words.pop(0)
    if not words:
        return []
    return [norm_key("".join(words[-k:])) for k in range(1, min(3, len(words)) + 1)]


def _key_candidates(before: str) -> list[str]:
    """Normalized keys that may be written just before a separator: the last 1, 2 and 3 words."""
    return _tail_candidates(_key_tail(before))


_SEP = re.compile(r"[:=]")
_ABBREV_SUFFIXES = ("Inc", "Ltd", "Co", "Corp", "S.A", "B.V", "N.V", "Pty", "Jr", "Sr")
_PERSON_STOP = re.compile(r"[,;|(<\[{]")
_ONE_NAME_WORD = re.compile(_NAME_WORD)
# "Owner: Smith, Robert": after a one-word value, a comma and one more name word that ends it
_LAST_FIRST_TAIL = re.compile(rf",[ \t]+{_NAME_WORD}(?=[ \t]*(?:[,;|(<\[{{\r\n]|\Z))")
_NEXT_KEY = re.compile(r"[,;|][ \t]*[\"']?[A-Za-z][\w -]{0,24}[\"']?[ \t]*[:=]")
# (lower-case gate words, pattern): a pattern is tried (``match``) only where one of its gate
# words starts a word; one Aho-Corasick pass over the lower-cased text finds the gates.
_CONTEXT_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str] | None], ...] = (
    (("hi", "hello", "hey", "dear", "greetings", "good", "thanks", "thank", "bonjour", "hallo",
      "hola", "ciao", "olá"), _SALUTATION_RE),
    (("regards", "best", "kind", "warm", "thanks", "thank", "many", "cheers", "sincerely",
      "respectfully", "cordialement", "merci", "danke", "grüße", "mit", "saludos", "un",
      "atentamente", "cordiali", "met", "groeten", "br", "thx"), _SIGNATURE_RE),
    (("my", "this", "i am", "i'm", "signed", "contact", "assigned", "escalated", "spoke", "cc",
      "approved", "requested", "reported", "on behalf"), _INTRO_RE),
    (("mr", "mrs", "ms", "miss", "mx", "dr", "prof"), _TITLED_RE),
    # legal forms and a few unmistakable company words: the capitalized words before them
    (("inc", "ltd", "llc", "llp", "plc", "gmbh", "corp", "corporation", "bank", "traders",
      "holdings", "insurance", "industries", "pharmaceuticals", "logistics", "s.a.", "b.v.",
      "n.v.", "pty"), None),
)


_PARTICLE = r"(?:van|von|de|der|den|la|le|du|da|di|del|dos|das|ten|ter)"
_ORG_BEFORE = re.compile(
    rf"((?:(?:[A-Z][\w&'-]*|{_PARTICLE}),?[ \t]+(?:&[ \t]+)?){{1,4}})\Z"
)
# capitalized words that start a phrase but not a company name
_NOT_ORG_WORDS = frozenset(
    ["the", "a", "an", "our", "your", "their", "his", "her", "my", "this", "that", "these", "those", "from", "at", "with", "by", "for", "of", "and", "or", "resource", "network", "security", "availability", "management", "action", "backup", "storage", "log", "azure", "microsoft", "sql", "data", "central", "investment", "commercial", "retail", "private", "public", "national"]
)


_LEAD = " \n\t\"'(,.;:[{-*>/|"
_TRAIL = " \n\t\"',.;:!?)]}<|"
_KEY_FILLERS = " \t\"'"


# -- the folded scan ---------------------------------------------------------------------------
# One Aho-Corasick pass finds both the context gates and the ``key:`` separators. The text is
# first *folded*: lower-cased, and every delimiter replaced by one representative of its class
# (the delimiters that may both lead and trail a gate and fill between a key and its
# separator; those that lead and trail; ":"; those that only lead; those that only trail), so
# the automaton holds 4 x 4 variants of a gate instead of 17 x 16. The folded text is scanned
# *reversed*: the reversed words start with a delimiter or separator, so the automaton stays
# at its root over the letters of ordinary words (about 3x faster than the forward scan).
# Text of Latin-1 characters (nearly all) is folded with ``bytes.translate``.
_FOLD_CLASSES = (_KEY_FILLERS, "\n,.;|", ":", "([{-*>/", "!?)]}<", "=")


def _build_fold_table() -> bytes:
    table = bytearray(range(256))
    for c in range(256):
        low = chr(c).lower()  # Latin-1 lower-cases within Latin-1, one character to one
        table[c] = ord(low) if len(low) == 1 and ord(low) < 256 else c
    for members in _FOLD_CLASSES:
        for ch in members:
            table[ord(ch)] = ord(members[0])
    return bytes(table)


_FOLD_TABLE = _build_fold_table()
_FOLD_DELIMS = {ord(ch): members[0] for members in _FOLD_CLASSES for ch in members[1:]}
_MEMO_TEXT = 200  # texts up to this length have their spans memoized per finder
_MEMO_SIZE = 8192  # entries of each memo before it is cleared
_GATE = 0
_KEY = 1


def _fold(s: str) -> str:
    """``s`` folded like text (gate words, keys and delimiters are all ASCII or Latin-1)."""
    return s.encode("latin-1").translate(_FOLD_TABLE).decode("latin-1")


def _check_fold() -> None:
    """The scan is exact only if each delimiter class is all leads, all trails, all key
    fillers (or none of each) and no other character folds into a class."""
    for members in _FOLD_CLASSES:
        rep = members[0]
        folded_to = {chr(c) for c in range(256) if _FOLD_TABLE[c] == ord(rep)}
        if folded_to != set(members):
            raise AssertionError(f"fold class {members!r}")
        for group in (_LEAD, _TRAIL, _KEY_FILLERS):
            if len({ch in group for ch in members}) != 1:
                raise AssertionError(f"fold class {members!r} splits {group!r}")


_check_fold()
_LEAD_REPS = sorted({_fold(ch) for ch in _LEAD})
_TRAIL_REPS = sorted({_fold(ch) for ch in _TRAIL})
_FILLER_REP = _fold(_KEY_FILLERS[0])


def _gate_words() -> dict[str, list[tuple[int, int, int, tuple[int, ...], str | None]]]:
    """Reversed folded gate words -> (kind, word length, gate length, rule ids, the gate when
    its folded form also matches other text: it holds a delimiter)."""
    index: dict[str, set[int]] = {}
    for i, (gates, _rx) in enumerate(_CONTEXT_RULES):
        for g in gates:
            index.setdefault(g, set()).add(i)
    words: dict[str, list[tuple[int, int, int, tuple[int, ...], str | None]]] = {}
    for g, ids in index.items():
        value_ids = tuple(sorted(ids))
        verify = None if g.isalnum() else g
        trails = _TRAIL_REPS if g[-1].isalnum() else [""]
        for lead in _LEAD_REPS:
            for trail in trails:
                word = lead + _fold(g) + trail
                words.setdefault(word[::-1], []).append((_GATE, len(word), len(g), value_ids, verify))
    return words


def _check_gates() -> None:
    """Gate hits are reported by start; the reference order is by end, and a gate matched at
    a start was tried once per rule. Both agree while no gate can match inside, or at the
    start of, another gate's match (checked here for the fixed gate list)."""
    gates = {g for gs, _rx in _CONTEXT_RULES for g in gs}
    for g1 in gates:
        for g2 in gates:
            p = g1.find(g2)
            while p >= 0:
                end = p + len(g2)
                closed = end == len(g1) or not g2[-1].isalnum() or g1[end] in _TRAIL
                if g2 != g1 and closed and (p == 0 or g1[p - 1] in _LEAD):
                    raise AssertionError(f"gate {g1!r} holds gate {g2!r}")
                p = g1.find(g2, p + 1)


_check_gates()
_GATE_WORDS = _gate_words()


class NameFinder:
    """Context-based PERSON / ORGANIZATION spans; picklable via its config."""

    def __init__(self, config: PseudonymizeConfig) -> None:
        self.config = config
        self.enabled_person = "PERSON" in config.entities
        self.enabled_org = "ORGANIZATION" in config.entities
        self._person_keys = frozenset(norm_key(k) for k in config.person_keys)
        self._org_keys = frozenset(norm_key(k) for k in config.organization_keys)
        # the last word of every key, for a cheap first test at each ":" / "="
        self._key_suffixes = frozenset(
            norm_key(re.split(r"[ _-]", k)[-1]) for k in config.person_keys + config.organization_keys
        ) | self._person_keys | self._org_keys
        # every key suffix followed by 0-3 of " \t\"'" and a ":" or "=": the automaton reports
        # only separators that follow a key (a bare "name" in prose costs nothing)
        # (folded, so the 0-3 fillers are one repeated character; reversed, like the scan)
        words = {w: list(v) for w, v in _GATE_WORDS.items()}
        for suffix in self._key_suffixes:
            for k in range(4):
                for sep in ":=":
                    word = suffix + _FILLER_REP * k + sep
                    words.setdefault(word[::-1], []).append((_KEY, len(word), 0, (), None))
        self._scan_auto = ahocorasick.Automaton()
        for word, entries in words.items():
            self._scan_auto.add_word(word, tuple(entries))
        self._scan_auto.make_automaton()
        self._automaton: ahocorasick.Automaton | None = None
        # the key (or "") spelled by a reversed key tail: keys repeat from line to line
        self._key_memo: dict[str, str] = {}
        self._find_memo: dict[str, list[Span]] = {}  # short texts -> their spans
        self._name_memo: dict[str, tuple[int, int, str] | None] = {}  # see _context_name
        listed: dict[str, str] = {}
        for name in config.person_names:
            listed[name.strip().lower()] = "PERSON"
        for name in config.organization_names + config.deny_values:
            listed[name.strip().lower()] = "ORGANIZATION"
        for path in config.name_list_files:
            for value, etype in read_name_list(path):
                listed.setdefault(value.lower(), etype)
        listed = {k: v for k, v in listed.items() if len(k) >= 2}
        if listed:
            auto = ahocorasick.Automaton()
            for value, etype in listed.items():
                auto.add_word(value, (len(value), etype))
            auto.make_automaton()
            self._automaton = auto
        self._ner = None
        if config.ner_plugin:
            from .ner import load_plugin

            self._ner = load_plugin(config.ner_plugin, config)
        p = pools()
        self._first = p.first_set
        self._last = p.last_set

    # -- classification helpers ------------------------------------------------------------------
    @staticmethod
    def name_like(s: str) -> bool:
        """True for a plausible personal name (1-5 words of letters, no digits)."""
        s = s.strip()
        if not 2 <= len(s) <= 60 or "@" in s or "\n" in s:
            return False
        if (_ASCII_DIGIT.search(s) is not None) if s.isascii() else any(c.isdigit() for c in s):
            return False
        words = s.replace(",", " ").split()
        if not 1 <= len(words) <= 5:
            return False
        return all(_NAME_TOKEN.fullmatch(w) for w in words) and any(
            w[0].isupper() for w in words
        )

    @staticmethod
    def org_like(s: str) -> bool:
        s = s.strip()
        return 2 <= len(s) <= 80 and "\n" not in s and "@" not in s and any(c.isalpha() for c in s) \
            and len(s.split()) <= 8 and "://" not in s

    def local_roles(self, words: list[str]) -> dict[str, str]:
        """Roles of the words of an email local part: first / last / initial / initial+last."""
        low = [w.lower().rstrip("0123456789") for w in words]
        roles: dict[str, str] = {}
        if len(words) >= 2:
            if len(low[0]) == 1:
                roles[words[0]] = "initial"
            elif low[0] in self._first or low[-1] in self._last:
                roles[words[0]] = "first"
            if low[0] in self._first or low[-1] in self._last or len(low[0]) == 1:
                roles[words[-1]] = "last"
                for w in words[1:-1]:
                    roles[w] = "initial" if len(w) == 1 else "first"
        elif len(words) == 1:
            w = low[0]
            if w in self._first:
                roles[words[0]] = "first"
            elif len(w) > 3 and w[1:] in self._last:
                roles[words[0]] = "initial+last"
            elif w in self._last:
                roles[words[0]] = "last"
        return roles

    # -- detection -----------------------------------------------------------------------------
    def find(self, text: str) -> list[Span]:
        if len(text) <= _MEMO_TEXT and self._ner is None:  # short texts repeat (roles, labels)
            spans = self._find_memo.get(text)
            if spans is None:
                spans = self._find(text)
                if len(self._find_memo) >= _MEMO_SIZE:
                    self._find_memo.clear()
                self._find_memo[text] = spans
            return list(spans)
        return self._find(text)

    def _find(self, text: str) -> list[Span]:
        out: list[Span] = []
        if not (self.enabled_person or self.enabled_org):
            return out
        if self._automaton is not None:
            self._listed(text, out)
        keys = ":" in text or "=" in text
        context = self.enabled_person and self.config.detect_context_names
        if keys or context:
            scan = self._scan(text)
            if scan is None:  # lower-casing changes offsets: no key values, context by regex
                if context:
                    self._context_scan(text, out)
            else:
                seps, gates = scan
                for i in seps:
                    self._key_value(text, i, out)
                if context:
                    self._context(text, gates, out)
        if self._ner is not None:
            for start, end, etype in self._ner.find(text):
                wanted = (etype == "PERSON" and self.enabled_person) or (
                    etype == "ORGANIZATION" and self.enabled_org)
                if wanted and 0 <= start < end <= len(text):
                    out.append(Span(start, end, etype))
        return out

    def _scan(self, text: str) -> tuple[list[int], list[tuple[int, int, tuple[int, ...]]]] | None:
        """The separators that follow a name key, and the gate words (start, end, rule ids),
        both in text order; None when lower-casing changes the text's length."""
        n = len(text)
        low: str | None = None
        try:
            hay = (b" " + text.encode("latin-1").translate(_FOLD_TABLE)[::-1] + b" ").decode("latin-1")
        except UnicodeEncodeError:
            low = text.lower()
            if len(low) != n:
                return None
            hay = " " + low.translate(_FOLD_DELIMS)[::-1] + " "
        seps: list[int] = []
        gates: list[tuple[int, int, tuple[int, ...]]] = []
        for end_r, entries in self._scan_auto.iter(hay):
            for kind, length, gate_len, ids, verify in entries:
                if kind == _KEY:
                    i = n - end_r + length - 1  # the separator's index in ``text``
                    if not seps or seps[-1] != i:
                        seps.append(i)
                    continue
                start = n + 1 - end_r  # the lead's index in " " + text: the gate's in text
                if verify is not None:
                    lowered = low[start : start + gate_len] if low is not None else (
                        text[start : start + gate_len].lower())
                    if lowered != verify:
                        continue
                gates.append((start, start + gate_len, ids))
        seps.reverse()
        gates.reverse()
        return seps, gates

    def _context_scan(self, text: str, out: list[Span]) -> None:
        """Context names where lower-casing changes offsets (rare): each pattern over the text."""
        for _gates, rx in _CONTEXT_RULES:
            if rx is not None:
                for m in re.finditer(r"(?<!\w)" + rx.pattern, text):
                    self._context_name(text, m.start("name"), m.end("name"), out)
        self._display_names(text, out)

    def _context(self, text: str, gates: list[tuple[int, int, tuple[int, ...]]], out: list[Span]) -> None:
        enabled_org = self.enabled_org
        for start, gate_end, ids in gates:
            for i in ids:
                rx = _CONTEXT_RULES[i][1]
                if rx is None:
                    if enabled_org:
                        self._org_before(text, start, gate_end, out)
                    continue
                m = rx.match(text, start)
                if m:
                    self._context_name(text, m.start("name"), m.end("name"), out)
                    if "org" in rx.groupindex and m.group("org") and enabled_org:
                        self._org_span(text, m.start("org"), m.end("org"), out)
        self._display_names(text, out)

    def _display_names(self, text: str, out: list[Span]) -> None:
        """Display names before "<jane@", "(jane@", "[jane@"."""
        if "@" not in text or not ("<" in text or "(" in text or "[" in text):
            return
        # _ANGLE_EMAIL.finditer, one "@" at a time: a match ends at the first "@" after its
        # bracket, within 65 characters, so each "@" ends at most one match and a window
        # after the previous "@" finds it
        after = 0
        at = text.find("@")
        while at >= 0:
            m = _ANGLE_EMAIL.search(text, max(after, at - 65), at + 1)
            if m:
                hi = m.start()
                lo = max(0, hi - 80)
                # a display name holds only these characters: start the search after the last
                # other one (the same leftmost match, fewer tries)
                run = _DISPLAY_RUN_REV.match(text[lo:hi][::-1])
                assert run is not None
                dm = _DISPLAY_NAME_RE.search(text, hi - run.end(), hi)
                if dm:
                    self._context_name(text, dm.start("name"), dm.end("name"), out)
            after = at + 1
            at = text.find("@", after)

    def _key_value(self, text: str, i: int, out: list[Span]) -> None:
        """``key: value`` / ``key = value`` / ``"key": "value"`` pairs whose key names a person
        or a company (JSON-like text, YAML-like profiles, log lines); ``i``: the separator
        after a key suffix and 0-3 fillers."""
        tail = _key_tail(text[max(text.rfind("\n", 0, i) + 1, i - 48) : i])
        key = self._key_memo.get(tail)
        if key is None:
            key = ""
            for cand in reversed(_tail_candidates(tail)):  # longest key first
                if cand in self._person_keys or cand in self._org_keys:
                    key = cand
                    break
            if len(self._key_memo) >= _MEMO_SIZE:
                self._key_memo.clear()
            self._key_memo[tail] = key
        if not key:
            return
        n = len(text)
        is_person = key in self._person_keys
        j = i + 1
        while j < n and text[j] in " \t":
            j += 1
        if j < n and text[j] in "\"'":
            quote = text[j]
            close = text.find(quote, j + 1, j + 122)
            if close < 0:
                return
            start, end = j + 1, close
        else:
            start = j
            end = text.find("\n", j, j + 121)
            if end < 0:
                end = min(n, j + 120)
            cut = _NEXT_KEY.search(text, start, end)
            if cut:
                end = cut.start()
            if is_person:
                stop = _PERSON_STOP.search(text, start, end)  # the first of ",;|(<[{"
                if stop:
                    first = _LAST_FIRST_TAIL.match(text, stop.start(), end) \
                        if text[stop.start()] == "," else None
                    if first is not None and _ONE_NAME_WORD.fullmatch(text, start, stop.start()):
                        end = first.end()  # "Smith, Robert": read last-first (split_person)
                    else:
                        end = stop.start()
            while end > start and text[end - 1] in " \t\r.,;}":
                end -= 1
            if end < n and text[end] == "." and text[start:end].endswith(_ABBREV_SUFFIXES):
                end += 1  # "Fabrikam, Inc." keeps its period
        value = text[start:end]
        if not value.strip():
            return
        if is_person:
            if self.enabled_person and self.name_like(value):
                sub = "first" if key.startswith(("first", "given")) else (
                    "last" if key.startswith(("last", "sur", "family")) else "")
                out.append(Span(start, end, "PERSON", sub))
        elif self.enabled_org and self.org_like(value):
            out.append(Span(start, end, "ORGANIZATION"))

    def _org_before(self, text: str, start: int, end: int, out: list[Span]) -> None:
        """"Woodgrove Bank", "Smith PLC", "Fabrikam, Inc.": capitalized words before a legal
        form or company word."""
        if end < len(text) and text[end] == ".":
            end += 1
        if end < len(text) and text[end].isalnum():
            return
        if not text[start].isupper() and text[start:end].lower() not in ("plc", "gmbh"):
            return
        m = _ORG_BEFORE.search(text, max(0, start - 60), start)
        if not m:
            return
        words = m.group(1).replace(",", " ").split()
        while words and (words[0].lower() in _NOT_ORG_WORDS or words[0].lower() in _NOT_NAMES
                         or (words[0][0].islower() and len(words) > 1 and words[1][0].islower())):
            words.pop(0)
        if words and words[0][0].islower() and (len(words) == 1 or not words[1][0].isupper()):
            return
        if not words:
            return
        self._org_span(text, text.rindex(words[0], m.start(), start), end, out)

    def _org_span(self, text: str, start: int, end: int, out: list[Span]) -> None:
        value = text[start:end]
        words = value.split()
        while words and words[0].lower() in _NOT_ORG_WORDS:
            start = text.index(words[0], start) + len(words[0])
            words.pop(0)
        if words:
            start = text.index(words[0], start)
            out.append(Span(start, end, "ORGANIZATION"))

    def _context_name(self, text: str, start: int, end: int, out: list[Span]) -> None:
        value = text[start:end]
        if value in self._name_memo:
            found = self._name_memo[value]
        else:
            found = self._name_in(value)
            if len(self._name_memo) >= _MEMO_SIZE:
                self._name_memo.clear()
            self._name_memo[value] = found
        if found is not None:
            out.append(Span(start + found[0], start + found[1], found[2]))

    def _name_in(self, value: str) -> tuple[int, int, str] | None:
        """The name in a context match (offsets in ``value``) without leading and trailing
        non-name words; an ORGANIZATION when it holds a company word (None if not wanted)."""
        start = 0
        words = value.split()
        # drop trailing non-name words ("Jane Please" -> "Jane")
        while words and words[-1].lower().rstrip(".") in _NOT_NAMES:
            words.pop()
        while words and words[0].lower().rstrip(".") in _NOT_NAMES:
            start = value.index(words[0], start) + len(words[0])
            words.pop(0)
        if not words:
            return None
        start = value.index(words[0], start)
        end = value.index(words[-1], start) + len(words[-1])
        if _ORG_WORDS.search(" ".join(words)):
            return (start, end, "ORGANIZATION") if self.enabled_org else None
        return start, end, "PERSON"

    def _listed(self, text: str, out: list[Span]) -> None:
        assert self._automaton is not None
        lowered = text.lower()
        if len(lowered) != len(text):
            return
        for end_idx, (length, etype) in self._automaton.iter(lowered):
            start = end_idx - length + 1
            end = end_idx + 1
            if start > 0 and lowered[start - 1].isalnum():
                continue
            if end < len(lowered) and lowered[end].isalnum():
                continue
            if etype == "PERSON" and not self.enabled_person or etype == "ORGANIZATION" and not self.enabled_org:
                continue
            out.append(Span(start, end, etype))


_PERSON_TOKEN = re.compile(r"[^\s,]+")
_TITLE_WORD = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\.?$", re.IGNORECASE)


def split_person(value: str, sub: str = "") -> list[tuple[int, int, str]]:
    """Token spans of a personal name with their role: first, last or initial.

    ``sub`` forces the role (``first`` / ``last`` for first_name / last_name fields).
    "Doe, Jane" is read last-first; a title makes a lone word a last name.
    """
    tokens = [m.span() for m in _PERSON_TOKEN.finditer(value)]
    titled = bool(tokens) and bool(_TITLE_WORD.match(value[tokens[0][0] : tokens[0][1]]))
    if titled:
        tokens = tokens[1:]
    if not tokens:
        return []
    if sub in ("first", "last"):
        return [(s, e, sub) for s, e in tokens]
    roles: list[str]
    if len(tokens) == 1:
        roles = ["last" if titled else "first"]
    elif "," in value and len(tokens) == 2:
        roles = ["last", "first"]
    else:
        roles = ["first"] + ["middle"] * (len(tokens) - 2) + ["last"]
    out: list[tuple[int, int, str]] = []
    for (s, e), role in zip(tokens, roles, strict=False):
        tok = value[s:e]
        if len(tok.rstrip(".")) == 1:
            role = "initial"
        elif role == "middle":
            role = "first"
        out.append((s, e, role))
    return out


def read_name_list(path: str) -> list[tuple[str, str]]:
    """Names from a TXT (one PERSON per line; ``#`` comments) or CSV with a header row.

    CSV columns named like name/full_name/contact/first_name+last_name give PERSON values,
    columns named like company/organization/account give ORGANIZATION values.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"name list {p} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"name list {p} is not UTF-8") from None
    out: list[tuple[str, str]] = []
    if p.suffix.lower() != ".csv":
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append((line, "PERSON"))
        return out
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        return out
    cols = {c: c.strip().lower().replace(" ", "_") for c in reader.fieldnames}
    person_cols = [c for c, n in cols.items() if n in ("name", "full_name", "fullname", "contact", "contact_name", "customer_name", "person", "display_name")]
    first_cols = [c for c, n in cols.items() if n in ("first_name", "firstname", "given_name")]
    last_cols = [c for c, n in cols.items() if n in ("last_name", "lastname", "surname", "family_name")]
    org_cols = [c for c, n in cols.items() if n in ("company", "company_name", "organization", "organisation", "org", "account", "account_name", "customer", "tenant_name")]
    for row in reader:
        for c in person_cols:
            if (row.get(c) or "").strip():
                out.append((row[c].strip(), "PERSON"))
        if first_cols and last_cols:
            first = (row.get(first_cols[0]) or "").strip()
            last = (row.get(last_cols[0]) or "").strip()
            if first and last:
                out.append((f"{first} {last}", "PERSON"))
            if last:
                out.append((last, "PERSON"))
        for c in org_cols:
            if (row.get(c) or "").strip():
                out.append((row[c].strip(), "ORGANIZATION"))
    return out
