"""Templates: a small TOML file that maps columns into fine-tuning examples.

A template names its output ``kind`` (``chat``, ``completion`` or
``preference``) and gives format strings over columns::

    kind = "chat"
    system = "You are the support assistant of Contoso."
    user = "Customer {name} ({email?}) reports: {description}"
    assistant = "{resolution}"

``{col}`` is required (an empty cell rejects the row), ``{col?}`` is optional
(an empty cell renders as its ``[defaults]`` entry, or as ""). See
the README (section "Start from a table or logs") for every key. Loading checks every key and names the bad
one in a :class:`~ftprep.errors.ConfigError`.
"""

from __future__ import annotations

import os
import re
import string
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .values import RowError, apply_spec, is_null, native, render_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KINDS = ("chat", "completion", "preference")
ROLES = ("system", "user", "assistant")
FORMATS = ("csv", "tsv", "excel", "parquet", "json", "jsonl", "log", "hf")
_TOP_KEYS = frozenset(
    {
        "kind", "system", "user", "assistant", "messages", "prompt", "completion",
        "preferred", "non_preferred", "columns", "defaults", "render", "input", "description",
    }
)
_MESSAGE_KEYS = frozenset({"role", "content", "weight", "optional"})
_RENDER_KEYS = frozenset({"lists", "list_separator"})
_INPUT_KEYS = frozenset({"format", "sheet", "record_start", "record_pattern", "encoding", "delimiter"})

PathKey = str | int


class _Missing:
    __slots__ = ()


MISSING = _Missing()


@dataclass(frozen=True, slots=True)
class FieldRef:
    """One ``{...}`` replacement field."""

    name: str
    """The name as written in the braces, without the trailing ``?``."""
    path: tuple[PathKey, ...]
    """Where the value lives in a row: a column name, then keys/indexes into nested values."""
    optional: bool
    spec: str


@dataclass(frozen=True, slots=True)
class FormatString:
    """A compiled format string: literal text and field references, in order."""

    key: str
    """The template key it came from (for error messages)."""
    parts: tuple[str | FieldRef, ...]

    @property
    def fields(self) -> tuple[FieldRef, ...]:
        return tuple(p for p in self.parts if isinstance(p, FieldRef))


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    role: str
    content: FormatString
    weight: int | None = None
    optional: bool = False
    """Drop the message when its content renders empty or whitespace-only."""


@dataclass(frozen=True, slots=True)
class InputOptions:
    """Reading defaults a template may carry; command-line options override them."""

    format: str | None = None
    sheet: str | None = None
    record_start: str | None = None
    record_pattern: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A loaded, checked template. Build one with :func:`load_template` or :func:`parse_template`."""

    kind: str
    messages: tuple[MessageTemplate, ...] = ()
    prompt: FormatString | None = None
    completion: FormatString | None = None
    preferred: FormatString | None = None
    non_preferred: FormatString | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)
    lists: str = "json"
    list_separator: str = ", "
    input: InputOptions = field(default_factory=InputOptions)
    origin: str = "<template>"

    # -- introspection -------------------------------------------------------------
    def format_strings(self) -> tuple[FormatString, ...]:
        out = [m.content for m in self.messages]
        out += [
            f for f in (self.prompt, self.completion, self.preferred, self.non_preferred)
            if f is not None
        ]
        return tuple(out)

    def fields(self) -> tuple[FieldRef, ...]:
        return tuple(f for fs in self.format_strings() for f in fs.fields)

    def columns(self) -> list[str]:
        """The top-level columns the template reads, in first-use order."""
        seen: dict[str, None] = {}
        for ref in self.fields():
            first = ref.path[0]
            if isinstance(first, str):
                seen.setdefault(first, None)
        return list(seen)

    def output_format(self) -> str:
        """The ftprep record format of the output: chat, preference or completion."""
        return self.kind

    # -- rendering -----------------------------------------------------------------
    def render(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Render one row into an example dict; raise :class:`RowError` if it cannot be."""
        if self.kind == "completion":
            assert self.prompt is not None and self.completion is not None
            return {"prompt": self._fill(self.prompt, row), "completion": self._fill(self.completion, row)}
        messages = self._messages(row)
        if self.kind == "preference":
            assert self.preferred is not None and self.non_preferred is not None
            return {
                "input": {"messages": messages},
                "preferred_output": [{"role": "assistant", "content": self._fill(self.preferred, row)}],
                "non_preferred_output": [
                    {"role": "assistant", "content": self._fill(self.non_preferred, row)}
                ],
            }
        return {"messages": messages}

    def _messages(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in self.messages:
            content = self._fill(m.content, row)
            if m.optional and not content.strip():
                continue
            msg: dict[str, Any] = {"role": m.role, "content": content}
            if m.weight is not None:
                msg["weight"] = m.weight
            out.append(msg)
        if not out:
            raise RowError("every message is optional and rendered empty")
        return out

    def _fill(self, fs: FormatString, row: Mapping[str, Any]) -> str:
        pieces: list[str] = []
        for part in fs.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = native(lookup(row, part.path))
            label = describe_field(part)
            if value is MISSING or is_null(value):
                if part.optional or part.name in self.defaults:
                    pieces.append(self.defaults.get(part.name, ""))
                    continue
                state = "missing" if value is MISSING else "empty"
                raise RowError(f"required {label} is {state}")
            if part.spec:
                pieces.append(apply_spec(value, part.spec, label))
            else:
                pieces.append(
                    render_value(value, label, lists=self.lists, separator=self.list_separator)
                )
        return "".join(pieces)


def describe_field(ref: FieldRef) -> str:
    """``column 'name'``, plus the path when the name is an alias for a nested value."""
    if ref.path == (ref.name,):
        return f"column '{ref.name}'"
    return f"column '{ref.name}' (path {'.'.join(str(k) for k in ref.path)})"


def lookup(row: Mapping[str, Any], path: Sequence[PathKey]) -> Any:
    """Follow ``path`` into a row; :data:`MISSING` when a key or index is absent."""
    cur: Any = row
    for key in path:
        cur = native(cur)
        if isinstance(cur, Mapping):
            if key not in cur:
                return MISSING
            cur = cur[key]
        elif isinstance(cur, (list, tuple)) and isinstance(key, int):
            if not -len(cur) <= key < len(cur):
                return MISSING
            cur = cur[key]
        else:
            return MISSING
    return cur


# -- loading ---------------------------------------------------------------------------


def load_template(path: str | os.PathLike[str]) -> Template:
    """Load and check a TOML template file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: template not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read template ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: template is not UTF-8 (byte {exc.start})") from None
    return parse_template(text, origin=str(path))


def parse_template(source: str | Mapping[str, Any], *, origin: str = "<template>") -> Template:
    """Build a template from TOML text or from an already-parsed mapping."""
    if isinstance(source, str):
        try:
            data: Mapping[str, Any] = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{origin}: invalid TOML ({exc})") from None
    else:
        data = source
    return _Builder(origin, data).build()


def coerce_template(template: Template | str | os.PathLike[str] | Mapping[str, Any]) -> Template:
    """Accept a Template, a path to a TOML file or a mapping."""
    if isinstance(template, Template):
        return template
    if isinstance(template, Mapping):
        return parse_template(template)
    return load_template(template)


class _Builder:
    def __init__(self, origin: str, data: Mapping[str, Any]) -> None:
        self.origin = origin
        self.data = data
        self.aliases: dict[str, tuple[PathKey, ...]] = {}

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.origin}: key '{key}': {problem}")

    def build(self) -> Template:
        d = self.data
        unknown = sorted(set(d) - _TOP_KEYS)
        if unknown:
            raise self.fail(unknown[0], f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
        kind = d.get("kind", "chat")
        if kind not in KINDS:
            raise self.fail("kind", f"must be one of {', '.join(KINDS)}")
        self.aliases = self._columns(d.get("columns", {}))
        defaults = self._defaults(d.get("defaults", {}))
        lists, sep = self._render(d.get("render", {}))
        inp = self._input(d.get("input", {}))
        common: dict[str, Any] = {
            "defaults": defaults, "lists": lists, "list_separator": sep, "input": inp,
            "origin": self.origin,
        }
        if kind == "completion":
            for key in ("system", "user", "assistant", "messages", "preferred", "non_preferred"):
                if key in d:
                    raise self.fail(key, "not used by kind = \"completion\" (use prompt and completion)")
            return Template(
                kind=kind, prompt=self._fmt(d, "prompt", required=True),
                completion=self._fmt(d, "completion", required=True), **common,
            )
        for key in ("prompt", "completion"):
            if key in d:
                raise self.fail(key, f"only used by kind = \"completion\" (this template is {kind})")
        messages = self._messages(d, kind)
        if kind == "preference":
            if messages[-1].role == "assistant":
                raise self.fail(
                    "messages", "preference input must not end with an assistant message "
                    "(the answers come from preferred / non_preferred)"
                )
            return Template(
                kind=kind, messages=messages, preferred=self._fmt(d, "preferred", required=True),
                non_preferred=self._fmt(d, "non_preferred", required=True), **common,
            )
        for key in ("preferred", "non_preferred"):
            if key in d:
                raise self.fail(key, "only used by kind = \"preference\"")
        if not any(m.role == "assistant" for m in messages):
            raise self.fail("assistant", "a chat template needs an assistant message")
        return Template(kind=kind, messages=messages, **common)

    # -- sections --------------------------------------------------------------------
    def _columns(self, value: Any) -> dict[str, tuple[PathKey, ...]]:
        if not isinstance(value, Mapping):
            raise self.fail("columns", "must be a table of name = \"column\" or name = [\"key\", ...]")
        out: dict[str, tuple[PathKey, ...]] = {}
        for name, target in value.items():
            key = f"columns.{name}"
            if isinstance(target, str):
                if not target:
                    raise self.fail(key, "column name must not be empty")
                out[name] = (target,)
            elif isinstance(target, list) and target and all(
                isinstance(k, str) or (isinstance(k, int) and not isinstance(k, bool)) for k in target
            ):
                if not isinstance(target[0], str):
                    raise self.fail(key, "a path must start with a column name (a string)")
                out[name] = tuple(target)
            else:
                raise self.fail(key, "must be a column name or a non-empty list of keys and indexes")
        return out

    def _defaults(self, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise self.fail("defaults", "must be a table of name = \"text\"")
        for name, text in value.items():
            if not isinstance(text, str):
                raise self.fail(f"defaults.{name}", "must be a string")
        return dict(value)

    def _render(self, value: Any) -> tuple[str, str]:
        if not isinstance(value, Mapping):
            raise self.fail("render", "must be a table")
        unknown = sorted(set(value) - _RENDER_KEYS)
        if unknown:
            raise self.fail(f"render.{unknown[0]}", "unknown key (known: lists, list_separator)")
        lists = value.get("lists", "json")
        if lists not in ("json", "join"):
            raise self.fail("render.lists", "must be \"json\" or \"join\"")
        sep = value.get("list_separator", ", ")
        if not isinstance(sep, str):
            raise self.fail("render.list_separator", "must be a string")
        return lists, sep

    def _input(self, value: Any) -> InputOptions:
        if not isinstance(value, Mapping):
            raise self.fail("input", "must be a table")
        unknown = sorted(set(value) - _INPUT_KEYS)
        if unknown:
            raise self.fail(f"input.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_INPUT_KEYS))})")
        for key, v in value.items():
            if not isinstance(v, str):
                raise self.fail(f"input.{key}", "must be a string")
        fmt = value.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise self.fail("input.format", f"must be one of {', '.join(FORMATS)}")
        for key in ("record_start", "record_pattern"):
            if key in value:
                try:
                    re.compile(value[key])
                except re.error as exc:
                    raise self.fail(f"input.{key}", f"invalid regular expression ({exc})") from None
        delim = value.get("delimiter")
        if delim is not None and len(delim) != 1:
            raise self.fail("input.delimiter", "must be a single character")
        return InputOptions(**dict(value))

    def _messages(self, d: Mapping[str, Any], kind: str) -> tuple[MessageTemplate, ...]:
        out: list[MessageTemplate] = []
        if "system" in d:
            out.append(MessageTemplate("system", self._fmt(d, "system", required=True)))  # type: ignore[arg-type]
        shorthand = [k for k in ("user", "assistant") if k in d]
        if "messages" in d:
            if shorthand:
                raise self.fail(shorthand[0], "use either user/assistant or [[messages]], not both")
            raw = d["messages"]
            if not isinstance(raw, list) or not raw:
                raise self.fail("messages", "must be a non-empty array of tables ([[messages]])")
            for i, m in enumerate(raw):
                out.append(self._message(m, f"messages[{i}]"))
        else:
            for role in shorthand:
                out.append(MessageTemplate(role, self._fmt(d, role, required=True)))  # type: ignore[arg-type]
        if not any(m.role == "user" for m in out):
            raise self.fail("user", f"a {kind} template needs a user message (user = \"...\" or [[messages]])")
        return tuple(out)

    def _message(self, m: Any, key: str) -> MessageTemplate:
        if not isinstance(m, Mapping):
            raise self.fail(key, "must be a table with role and content")
        unknown = sorted(set(m) - _MESSAGE_KEYS)
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", "unknown key (known: content, optional, role, weight)")
        role = m.get("role")
        if role not in ROLES:
            raise self.fail(f"{key}.role", f"must be one of {', '.join(ROLES)}")
        content = self._fmt(m, "content", required=True, prefix=key)
        assert content is not None
        weight = m.get("weight")
        if weight is not None:
            if role != "assistant":
                raise self.fail(f"{key}.weight", "only assistant messages take a weight")
            if isinstance(weight, bool) or weight not in (0, 1):
                raise self.fail(f"{key}.weight", "must be the integer 0 or 1")
        optional = m.get("optional", False)
        if not isinstance(optional, bool):
            raise self.fail(f"{key}.optional", "must be true or false")
        return MessageTemplate(role, content, weight, optional)

    def _fmt(
        self, d: Mapping[str, Any], key: str, *, required: bool, prefix: str = ""
    ) -> FormatString | None:
        full = f"{prefix}.{key}" if prefix else key
        if key not in d:
            if required:
                raise self.fail(full, "missing")
            return None
        text = d[key]
        if not isinstance(text, str):
            raise self.fail(full, "must be a string")
        return compile_format(text, full, self.aliases, self.fail)


def compile_format(
    text: str,
    key: str,
    aliases: Mapping[str, tuple[PathKey, ...]],
    fail: Any,
) -> FormatString:
    """Parse a format string into literal parts and field references."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise fail(key, f"bad format string ({exc}; write {{{{ and }}}} for literal braces)") from None
    parts: list[str | FieldRef] = []
    for literal, name, spec, conversion in parsed:
        if literal:
            parts.append(literal)
        if name is None:
            continue
        if conversion is not None:
            raise fail(key, f"conversion '!{conversion}' is not supported (in field '{name}')")
        if spec and ("{" in spec or "}" in spec):
            raise fail(key, f"nested fields in a format spec are not supported (in field '{name}')")
        optional = name.endswith("?")
        bare = name[:-1] if optional else name
        if not bare.strip():
            raise fail(key, "empty field {}: name a column, e.g. {description}")
        path = aliases.get(bare, (bare,))
        parts.append(FieldRef(bare, path, optional, spec or ""))
    return FormatString(key, tuple(parts))
