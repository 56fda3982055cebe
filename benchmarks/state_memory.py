#!/usr/bin/env python3
"""Memory of the state `prepare` keeps in its main process, at 1 GB-input scale and beyond.

Usage::

    python benchmarks/state_memory.py [--examples 430000] [--json]

`prepare` keeps four things that grow with the input: the per-example stats
(:class:`ftprep.stats.StatsCollector`), the hashed leak index
(:class:`ftprep.leak_pass.LeakIndex`), the distinct ids of the report and, for parallel
runs, the fake -> original pairs (:class:`ftprep.engine.PseudoState`). This script feeds
them synthetic values at the density measured on ``benchmarks/make_data.py`` output
(per example: 9.4 distinct originals, of which 1.2 person and organization names, 9.2
fakes, 4.6 new fake -> original pairs; 430,000 examples is a 1 GB file) in batches of 512,
as the engines do, then builds the stats frame and the leak scanner, and reports each
structure's size and the process's peak RSS. No pseudonymizer runs, so it takes seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from typing import Any

ORIGINALS_PER_EXAMPLE = 9.4
NAMES_PER_EXAMPLE = 1.2
FAKES_PER_EXAMPLE = 9.2
PAIRS_PER_EXAMPLE = 4.6
BATCH = 512


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 1e6


def _peak_mb() -> float:
    """The process's peak RSS since the last :func:`_reset_peak` (Linux VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _batch_values(rng: random.Random, n: int) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    originals: dict[str, set[str]] = {"GUID": set(), "EMAIL": set(), "PERSON": set()}
    fakes: dict[str, set[str]] = {"GUID": set(), "EMAIL": set()}
    for _ in range(int(n * (ORIGINALS_PER_EXAMPLE - NAMES_PER_EXAMPLE))):
        if rng.random() < 0.6:
            originals["GUID"].add(f"{rng.getrandbits(128):032x}")
        else:
            originals["EMAIL"].add(f"user{rng.getrandbits(40)}@corp{rng.randrange(10**6)}.example.com")
    for _ in range(int(n * NAMES_PER_EXAMPLE)):
        originals["PERSON"].add(f"First{rng.getrandbits(24)} Last{rng.getrandbits(24)}")
    for _ in range(int(n * FAKES_PER_EXAMPLE)):
        fakes["GUID"].add(f"{rng.getrandbits(128):032x}")
    return originals, fakes


def run(examples: int) -> dict[str, Any]:
    import numpy as np
    import pandas  # noqa: F401  (imported before the baseline: prepare has them loaded too)
    import pyarrow  # noqa: F401

    from ftprep.engine import PseudoState, ReportDelta, StateDelta
    from ftprep.leak_pass import encode
    from ftprep.pseudonymize import EntityCount, PseudonymizeConfig, PseudonymizeReport
    from ftprep.records import Record, Split
    from ftprep.stats import StatsCollector

    rng = random.Random(7)
    config = PseudonymizeConfig()
    base = _rss_mb()
    _reset_peak()
    t0 = time.perf_counter()
    state = PseudoState()
    collector = StatsCollector(entity_types=("EMAIL", "GUID", "PERSON"))
    rec = Record(source="/data/support/logs-2026.jsonl", line=0, raw=b"", format="chat")
    rec.split = Split.TRAIN
    rec.stats.update(n_messages=5, roles="SUAUA", has_system=True, has_user=True, total_tokens=600,
                     trained_tokens=300, largest_message_tokens=250, simhash=-1234567)
    done = 0
    while done < examples:
        n = min(BATCH, examples - done)
        originals, fakes = _batch_values(rng, n)
        report = PseudonymizeReport()
        for etype, values in originals.items():
            ids = {rng.getrandbits(64) for _ in values}
            report.distinct_ids[etype] = ids
            report.entities[etype] = EntityCount(len(values), len(ids))
        pairs = {rng.getrandbits(64): rng.getrandbits(64)  # keyed id of a fake -> of its original
                 for _ in range(int(n * PAIRS_PER_EXAMPLE))}
        state.merge(StateDelta(ReportDelta.take(report),
                               encode(originals, fakes, config.leak_min_length, config.secret_marker),
                               pairs=pairs,
                               seen=np.array(list(pairs.values()), np.uint64)))
        for i in range(n):
            rec.line = done + i + 1
            collector.add(rec, rng.getrandbits(128).to_bytes(16, "big"), {"EMAIL": 1, "GUID": 3})
        done += n
    streamed = {"seconds": time.perf_counter() - t0, "rss_mb": _rss_mb() - base,
                "peak_rss_mb": _peak_mb()}
    sizes = {
        "stats_collector_mb": collector.nbytes() / 1e6,
        "leak_index_mb": state.leak.nbytes() / 1e6,
        "leak_index_entries": len(state.leak),
        "distinct_ids": sum(len(v) for v in state.totals.ids.values()),
        "conflicts": state.conflicts,
    }
    _reset_peak()
    t1 = time.perf_counter()
    frame = collector.frame()
    scanner = state.leak.scanner(config)
    built = {"seconds": time.perf_counter() - t1, "frame_mb": frame.memory_usage(deep=True).sum() / 1e6,
             "scanner_strings": scanner.size, "peak_rss_mb": _peak_mb()}
    return {"examples": examples, "streamed": streamed, "sizes": sizes, "built": built,
            "peak_rss_mb": max(streamed["peak_rss_mb"], built["peak_rss_mb"]), "baseline_rss_mb": base}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=430_000, help="default: about a 1 GB input")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.examples)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    s, b = result["sizes"], result["built"]
    print(f"{result['examples']} examples: streamed in {result['streamed']['seconds']:.0f} s")
    print(f"  stats collector  {s['stats_collector_mb']:7.1f} MB")
    print(f"  leak index       {s['leak_index_mb']:7.1f} MB ({s['leak_index_entries']} searched strings)")
    print(f"  distinct ids     {s['distinct_ids'] * 8 / 1e6:7.1f} MB ({s['distinct_ids']})")
    print(f"  stats frame      {b['frame_mb']:7.1f} MB (built in {b['seconds']:.1f} s with the scanner)")
    print(f"  peak RSS         {result['streamed']['peak_rss_mb']:7.1f} MB while streaming, "
          f"{b['peak_rss_mb']:.1f} MB building the frame and scanner "
          f"(interpreter and imports: {result['baseline_rss_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
