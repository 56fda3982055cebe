"""The second pass of a run: replace originals that survived in the written outputs.

Detection is per record, so a name stated with context in one record ("Contact: Leigh
Taylor") can stand bare in another ("Leigh Taylor approved it"), where nothing marks it as a
name. The leak check finds such rows: it knows every original detected anywhere in the run,
as it was detected (a full name as a whole; "Leigh" alone only where "Leigh" alone was
detected, e.g. "Thanks, Leigh."; the parts of a full name are not searched on their own:
"Grant", "Best" or "Will" would then be rewritten wherever a sentence starts with them).
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

import bisect
import contextlib
import os
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import OutputError
from ..io import BOM, dumps
from ..leak_pass import RowSet
from .engine import REPAIRABLE_TYPES, Prefound, Pseudonymizer
from .report import PseudonymizeReport


class RowCounts(Mapping[tuple[str, int], dict[str, int]]):
    """(output file name, 0-based row) -> replacements per entity type made in that row.

    Rows are added in file and row order (:meth:`add`) and kept as columns: a file code, the
    row, and a code for the row's counts (rows share few distinct count tables): ~14 bytes
    a row instead of ~320 for a tuple key and a dict, as a 1 GB run repairs 200k+ rows.
    Lookups bisect; :meth:`rows` walks them in order. Read the count tables, do not change
    them: rows share them."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._tables: list[dict[str, int]] = []
        self._codes: dict[Any, int] = {}
        self._keys = array("q")  # file code << 40 | row: ascending
        self._table = array("I")

    def add(self, name: str, row: int, counts: Mapping[str, int]) -> None:
        code = self._codes.get(name)
        if code is None:
            code = self._codes[name] = len(self._names)
            self._names.append(name)
        if not 0 <= row < 1 << 40:
            raise ValueError("RowCounts.add: a row number is 0-based and below 2**40")
        key = code << 40 | row
        if self._keys and key <= self._keys[-1]:
            raise ValueError("RowCounts.add: rows must come in file and row order")
        frozen = tuple(sorted(counts.items()))
        table = self._codes.get(frozen)
        if table is None:
            table = self._codes[frozen] = len(self._tables)
            self._tables.append(dict(counts))
        self._keys.append(key)
        self._table.append(table)

    def rows(self) -> Iterator[tuple[str, int, dict[str, int]]]:
        """(file name, 0-based row, counts) of every row, in order."""
        mask = (1 << 40) - 1
        for key, table in zip(self._keys, self._table, strict=True):
            yield self._names[key >> 40], key & mask, self._tables[table]

    def __getitem__(self, key: tuple[str, int]) -> dict[str, int]:
        name, row = key
        code = self._codes.get(name)
        if code is not None and isinstance(row, int) and 0 <= row < 1 << 40:
            packed = code << 40 | row
            i = bisect.bisect_left(self._keys, packed)
            if i < len(self._keys) and self._keys[i] == packed:
                return self._tables[self._table[i]]
        raise KeyError(key)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return ((name, row) for name, row, _ in self.rows())

    def __len__(self) -> int:
        return len(self._keys)


@dataclass
class RepairResult:
    """What :func:`repair_outputs` changed (counts only, never a value)."""

    #: rows rewritten, per output file name
    rows: dict[str, int] = field(default_factory=dict)
    #: (output file name, 0-based row) -> replacements per entity type made in that row
    counts: RowCounts = field(default_factory=RowCounts)
    #: the repairing pseudonymizer's report (occurrences of the repaired values)
    report: PseudonymizeReport = field(default_factory=PseudonymizeReport)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def rows_with_hits(hits: Iterable[Mapping[str, Any]]) -> dict[str, RowSet]:
    """Output file name -> 0-based rows, from leak-check hits (``file``, 1-based ``line``)."""
    out: dict[str, RowSet] = {}
    for hit in hits:
        out.setdefault(str(hit["file"]), RowSet()).add(int(hit["line"]) - 1)
    return out


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


def repair_file(path: Path, name: str, rows: Collection[int], fixer: Pseudonymizer, scanner: Any,
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


def _repair_block(block: list[tuple[int, bytes]], name: str, rows: Collection[int], fixer: Pseudonymizer,
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
        result.counts.add(name, index, fixed[1])
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
