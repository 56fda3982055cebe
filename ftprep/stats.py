"""The per-example stats frame: one row per input line, built in the streaming pass.

Rows hold ids, counts and flags — never text — so the frame is safe to hand to
great-expectations and to show in reports. Columns are kept as Python lists
while streaming and become a pandas DataFrame only at the end.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .records import Record

ROLE_CODES = {"system": "S", "user": "U", "assistant": "A", "tool": "T", "function": "F"}
BASE_COLUMNS: tuple[str, ...] = (
    "example_id", "source", "line", "split", "format", "n_messages", "roles", "has_system",
    "has_user", "total_tokens", "trained_tokens", "largest_message_tokens", "over_limit",
    "tool_calls", "weight0", "empty_assistant", "special_token_hits", "content_hash", "simhash",
    "residual_identifiers", "pii_total",
)
_WORD = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1


def simhash64(text: str) -> int:
    """A 64-bit SimHash over the distinct lower-cased words of text (signed, for int64 columns)."""
    words = {w for w in _WORD.findall(text.lower())}
    if not words:
        return 0
    weights = [0] * 64
    for w in words:
        h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if (h >> bit) & 1 else -1
    value = 0
    for bit, weight in enumerate(weights):
        if weight > 0:
            value |= 1 << bit
    return value - (1 << 64) if value >= (1 << 63) else value


def messages_of(obj: Any, fmt: str | None) -> list[Mapping[str, Any]]:
    if not isinstance(obj, Mapping):
        return []
    if fmt == "preference":
        inp = obj.get("input")
        msgs = list(inp.get("messages") or []) if isinstance(inp, Mapping) else []
        msgs.extend(obj.get("preferred_output") or [])
        return [m for m in msgs if isinstance(m, Mapping)]
    if fmt == "completion":
        return [{"role": "user", "content": obj.get("prompt")},
                {"role": "assistant", "content": obj.get("completion")}]
    chat = obj.get("messages")
    return [m for m in chat if isinstance(m, Mapping)] if isinstance(chat, list) else []


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping)
                        and isinstance(p.get("text"), str))
    return ""


def example_features(obj: Any, fmt: str | None) -> dict[str, Any]:
    """Message-level figures of one (pseudonymized) example."""
    msgs = messages_of(obj, fmt)
    roles = [m.get("role") for m in msgs]
    text = " ".join(_text_of(m.get("content")) for m in msgs if m.get("role") in ("user", "assistant"))
    return {
        "n_messages": len(msgs),
        "roles": "".join(ROLE_CODES.get(r, "?") if isinstance(r, str) else "?" for r in roles),
        "has_system": "system" in roles,
        "has_user": "user" in roles,
        "tool_calls": sum(len(m["tool_calls"]) for m in msgs
                          if isinstance(m.get("tool_calls"), list)),
        "weight0": sum(1 for m in msgs if m.get("role") == "assistant" and m.get("weight") == 0),
        "empty_assistant": sum(
            1 for m in msgs if m.get("role") == "assistant" and not m.get("tool_calls")
            and not m.get("function_call") and not _text_of(m.get("content")).strip()
        ),
        "simhash": simhash64(text),
    }


@dataclass
class StatsCollector:
    """Column-wise accumulation of stats rows; grows by a few dozen bytes per example."""

    entity_types: tuple[str, ...] = ()
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (*BASE_COLUMNS, *(f"pii_{t}" for t in self.entity_types)):
            self.columns.setdefault(name, [])

    def add(self, rec: Record, content_hash: str, entity_counts: Mapping[str, int]) -> None:
        s = rec.stats
        row: dict[str, Any] = {
            "example_id": rec.example_id,
            "source": rec.source,
            "line": rec.line,
            "split": rec.split.value if rec.split else "rejected",
            "format": rec.format,
            "n_messages": s.get("n_messages", 0),
            "roles": s.get("roles", ""),
            "has_system": s.get("has_system", False),
            "has_user": s.get("has_user", False),
            "total_tokens": s.get("total_tokens", 0),
            "trained_tokens": s.get("trained_tokens", 0),
            "largest_message_tokens": s.get("largest_message_tokens", 0),
            "over_limit": s.get("over_limit", False),
            "tool_calls": s.get("tool_calls", 0),
            "weight0": s.get("weight0", 0),
            "empty_assistant": s.get("empty_assistant", 0),
            "special_token_hits": s.get("special_token_hits", 0),
            "content_hash": content_hash,
            "simhash": s.get("simhash", 0),
            "residual_identifiers": 0,
            "pii_total": sum(entity_counts.values()),
        }
        for t in self.entity_types:
            row[f"pii_{t}"] = entity_counts.get(t, 0)
        for name, values in self.columns.items():
            values.append(row.get(name, 0))

    def set_residual(self, index: int, count: int) -> None:
        self.columns["residual_identifiers"][index] = count

    def __len__(self) -> int:
        return len(self.columns["example_id"])

    def frame(self) -> Any:
        import pandas as pd

        df = pd.DataFrame(self.columns)
        if len(df):
            df["simhash"] = df["simhash"].astype("int64")
        return df


def iter_strings(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
