"""The leak check's pass over the written outputs (part of the pseudonymize stage).

Every row of every output is scanned for every original value detected during
the run (one Aho-Corasick automaton, see :class:`ftprep.pseudonymize.LeakScanner`)
and re-run through the detectors for residual identifiers that are not ftprep's
own fakes. Rows are scanned in chunks, in worker processes when ``workers > 1``.
Results name files, rows and entity types — never a value.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from .io import BOM

CHUNK_ROWS = 2000
_SCANNER: dict[str, Any] = {}  # per worker process only


def _chunks(files: Mapping[str, Path]) -> Iterator[tuple[str, int, list[bytes]]]:
    for name, path in files.items():
        with open(path, "rb") as fh:
            index = 0
            while True:
                rows = list(islice(fh, CHUNK_ROWS))
                if not rows:
                    break
                if index == 0 and rows[0].startswith(BOM):
                    rows[0] = rows[0][len(BOM):]
                yield name, index, rows
                index += len(rows)


def _scan_chunk(scanner: Any, name: str, first: int, rows: list[bytes]
                ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    hits: list[dict[str, Any]] = []
    residual: dict[tuple[str, int], list[str]] = {}
    for offset, raw in enumerate(rows):
        text = raw.decode("utf-8", "replace")
        found = scanner.scan(text)
        if found:
            hits.append({"file": name, "line": first + offset + 1, "types": sorted(set(found))})
        extra = scanner.residual(text)
        if extra:
            residual[(name, first + offset)] = extra
    return hits, residual


def _init(scanner: Any) -> None:
    _SCANNER["s"] = scanner


def _work(name: str, first: int, rows: list[bytes]
          ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    return _scan_chunk(_SCANNER["s"], name, first, rows)


def scan_outputs(files: Mapping[str, Path], originals: Mapping[str, set[str]],
                 fakes: Mapping[str, set[str]], config: Any, workers: int
                 ) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[str]]]:
    """Return (hits, residual): hits name file, 1-based line and types; residual maps
    (file, 0-based row) to the entity types found there."""
    from .pseudonymize import LeakScanner

    scanner = LeakScanner(originals, fakes, config)
    hits: list[dict[str, Any]] = []
    residual: dict[tuple[str, int], list[str]] = {}
    if workers > 1:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        from .engine import ordered_map

        with mp.get_context(method).Pool(workers, _init, (scanner,)) as pool:
            for h, r in ordered_map(pool, _work, _chunks(files), workers * 3):
                hits.extend(h)
                residual.update(r)
    else:
        for name, first, rows in _chunks(files):
            h, r = _scan_chunk(scanner, name, first, rows)
            hits.extend(h)
            residual.update(r)
    return hits, residual
