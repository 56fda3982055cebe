"""The second pass of a run: replace originals that survived in the written outputs.

Detection is per record, so a name stated with context in one record ("Contact: Leigh
Taylor") can stand bare in another ("Thanks, Leigh."), where nothing marks it as a name.
The leak check finds such rows: it knows every original detected anywhere in the run.
:func:`repair_outputs` rewrites exactly those rows, replacing each surviving name
(:data:`REPAIRABLE_TYPES`: people, organizations, resource names) by its pseudonym
(:meth:`Pseudonymizer.repair`). Identifiers found by their shape (e-mails, GUIDs, IPs) are
not repaired: one that survives is a bug, and the run fails on it.

The repair uses a fresh pseudonymizer (same key and policy, no run state) and visits the
rows in file and line order, so its output depends only on the set of rows with hits: the
same for one worker or several. Fakes are keyed, so a repaired value gets the pseudonym it
got in the first pass (unless the first pass re-drew it after a collision). Each new fake is
checked against the run's scanner and re-drawn when it is itself an original of the run, so
a repair never creates a new hit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import OutputError
from ..io import BOM, dumps
from .engine import REPAIRABLE_TYPES, Prefound, Pseudonymizer
from .report import PseudonymizeReport


@dataclass
class RepairResult:
    """What :func:`repair_outputs` changed (counts only, never a value)."""

    #: rows rewritten, per output file name
    rows: dict[str, int] = field(default_factory=dict)
    #: (output file name, 0-based row) -> replacements per entity type made in that row
    counts: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    #: the repairing pseudonymizer's report (occurrences of the repaired values)
    report: PseudonymizeReport = field(default_factory=PseudonymizeReport)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def rows_with_hits(hits: Iterable[Mapping[str, Any]]) -> dict[str, set[int]]:
    """Output file name -> 0-based rows, from leak-check hits (``file``, 1-based ``line``)."""
    out: dict[str, set[int]] = {}
    for hit in hits:
        out.setdefault(str(hit["file"]), set()).add(int(hit["line"]) - 1)
    return out


def repair_row(line: bytes, fixer: Pseudonymizer, scanner: Any, rejected: bool
               ) -> tuple[bytes, dict[str, int]] | None:
    """The repaired row (no newline) and its counts, or None when nothing changed.

    A data row is a record; a rejected row is an object whose ``record`` (parsed) or
    ``text`` (raw line) field holds the pseudonymized input.
    """
    obj = _parse(line)
    return None if obj is _UNPARSED else _repair_parsed(obj, fixer, scanner, rejected)


_UNPARSED = object()


def _parse(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _UNPARSED


def _repaired_value(obj: Any, rejected: bool) -> Any:
    """The part of a row that :func:`_repair_parsed` searches (for batching its lookups)."""
    if not rejected:
        return obj
    if isinstance(obj, dict):
        return obj["record"] if obj.get("record") is not None else obj.get("text")
    return None


def _repair_parsed(obj: Any, fixer: Pseudonymizer, scanner: Any, rejected: bool
                   ) -> tuple[bytes, dict[str, int]] | None:
    if rejected:
        if not isinstance(obj, dict):
            return None
        if obj.get("record") is not None:
            t = fixer.repair(obj["record"], scanner, REPAIRABLE_TYPES)
            field_name = "record"
        elif isinstance(obj.get("text"), str):
            t = fixer.repair_text(obj["text"], scanner, REPAIRABLE_TYPES)
            field_name = "text"
        else:
            return None
        if not t.changed:
            return None
        obj = dict(obj)
        obj[field_name] = t.value
        return dumps(obj), t.counts
    t = fixer.repair(obj, scanner, REPAIRABLE_TYPES)
    return (dumps(t.value), t.counts) if t.changed else None


def repair_file(path: Path, name: str, rows: set[int], fixer: Pseudonymizer, scanner: Any,
                result: RepairResult, rejected: bool = False) -> None:
    """Rewrite ``path`` with ``rows`` repaired: the other rows are copied byte for byte into
    a temporary file, which then replaces ``path`` (``os.replace``).

    Rows are read in blocks (:data:`BLOCK_ROWS` rows to repair, at most
    :data:`BLOCK_BYTES`): the scanner searches every string of a block's rows to repair
    in one vectorized call; each row is then repaired in order, as one at a time."""
    tmp = path.with_name(path.name + ".repair")
    changed = 0
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            block: list[tuple[int, bytes]] = []
            wanted = size = 0
            for index, raw in enumerate(src):
                block.append((index, raw))
                size += len(raw)
                if index in rows:
                    wanted += 1
                if wanted >= BLOCK_ROWS or size >= BLOCK_BYTES:
                    changed += _repair_block(block, name, rows, fixer, scanner, result, rejected, dst)
                    block, wanted, size = [], 0, 0
            changed += _repair_block(block, name, rows, fixer, scanner, result, rejected, dst)
            dst.flush()
            os.fsync(dst.fileno())
        if changed:
            os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path.parent}: leak repair failed ({exc.strerror or type(exc).__name__}); "
                          "no output was written") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    if changed:
        result.rows[name] = changed


#: rows to repair per block, and the most bytes of rows a block holds (see repair_file)
BLOCK_ROWS = 256
BLOCK_BYTES = 8 << 20


def _repair_block(block: list[tuple[int, bytes]], name: str, rows: set[int], fixer: Pseudonymizer,
                  scanner: Any, result: RepairResult, rejected: bool, dst: Any) -> int:
    bom = BOM if block and block[0][0] == 0 and block[0][1].startswith(BOM) else b""
    parsed: dict[int, Any] = {}
    for index, raw in block:
        if index in rows:
            parsed[index] = _parse((raw[len(bom):] if index == 0 else raw).rstrip(b"\r\n"))
    searched = [_repaired_value(obj, rejected) for obj in parsed.values() if obj is not _UNPARSED]
    finder = Prefound(scanner, searched) if len(searched) > 1 else scanner
    changed = 0
    for index, raw in block:
        obj = parsed.get(index, _UNPARSED)
        fixed = None if obj is _UNPARSED else _repair_parsed(obj, fixer, finder, rejected)
        if fixed is None:
            dst.write(raw)
            continue
        dst.write((bom if index == 0 else b"") + fixed[0] + b"\n")
        result.counts[(name, index)] = fixed[1]
        changed += 1
    return changed


def repair_outputs(files: Mapping[str, Path], hits: Iterable[Mapping[str, Any]],
                   pseudonymizer: Pseudonymizer, scanner: Any,
                   rejected_name: str = "rejected.jsonl") -> RepairResult:
    """Repair the rows the leak check flagged, file by file in ``files`` order.

    ``files`` maps output file names (as in the hits) to the paths to rewrite; ``scanner``
    is the run's leak scanner (``find(text)`` -> ``(start, end, entity type)``).
    """
    result = RepairResult()
    wanted = rows_with_hits(hits)
    fixer = pseudonymizer.fresh()
    for name, path in files.items():
        rows = wanted.get(name)
        if rows:
            repair_file(Path(path), name, rows, fixer, scanner, result, rejected=name == rejected_name)
    result.report = fixer.report()
    return result
