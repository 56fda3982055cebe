"""The record model shared by every stage.

A :class:`Record` is one input line (or one table row, for ingest). It keeps the
raw bytes so that unchanged records can be written back byte for byte, the
parsed object, where it came from, and the findings the stages attach to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


class Split(str, Enum):
    TRAIN = "train"
    VALIDATION = "validation"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one record: a stable code, a severity and a one-line message.

    Messages quote positions, keys and types, never data values.
    """

    code: str
    severity: Severity
    message: str
    source: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "source": self.source,
            "line": self.line,
        }

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.severity.value} {self.code}: {self.message}"


@dataclass(slots=True)
class Record:
    """One input line and everything the stages learn about it."""

    source: str
    """The input path as the user gave it."""
    line: int
    """1-based physical line number (or 1-based row number for tables)."""
    raw: bytes
    """The line's bytes without its line terminator (and without a leading BOM)."""
    obj: Any = None
    """The parsed JSON value, or None when the line did not parse."""
    text: str | None = None
    """The decoded line, or None when it was not valid UTF-8."""
    findings: list[Finding] = field(default_factory=list)
    format: str | None = None
    """Detected format: "chat", "preference" or "completion"."""
    changed: bool = False
    """True when a stage changed ``obj`` (so it must be re-serialized)."""
    stats: dict[str, Any] = field(default_factory=dict)
    """Per-example figures the stages compute (tokens, entity counts, ...)."""
    split: Split | None = None

    @property
    def example_id(self) -> str:
        return f"{self.source}:{self.line}"

    def add(self, code: str, severity: Severity, message: str) -> None:
        self.findings.append(Finding(code, severity, message, self.source, self.line))

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def error_codes(self) -> list[str]:
        return sorted({f.code for f in self.findings if f.severity is Severity.ERROR})
