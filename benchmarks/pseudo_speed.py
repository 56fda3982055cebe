"""Pseudonymize throughput vs tiktoken o200k counting, side by side on the same data.

Usage::

    python benchmarks/pseudo_speed.py [FILE.jsonl ...] [--records N] [--repeat N] [--wall] [--json]

Without files, ``N`` examples (default 2000, ~4.7 MB) are generated with
``benchmarks/make_data.py`` (the sample-data scenarios at their identifier density, mostly
distinct customers: what a log-derived corpus looks like). Every repetition times, in turn:

* ``tiktoken``: ``encode_ordinary`` of every string value (what token counting costs),
* ``detect``: all detectors over every string value, no replacement (a fresh detector),
* ``cold``: a fresh :class:`Pseudonymizer` (empty caches), ``transform`` of every record, as
  the pipeline calls it: the realistic case for one pass over a corpus of distinct values,
* ``warm``: one instance again over values it has seen, with a cache that holds them all.

Times are CPU seconds of this process (``--wall`` for wall-clock); the best of N repetitions
is reported, and the stages are interleaved, so load from other processes on a shared
machine mostly cancels out of the ratio. ``--gc-threshold`` sets the collector's first
threshold for the run (Python's default is 700) to show what garbage collection costs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftprep.stats import iter_strings

ROOT = Path(__file__).resolve().parent.parent
KEY = b"benchmark-key-0123456789abcdef"


def _encoding() -> Any:
    try:
        from ftprep.tokens import get_encoding

        return get_encoding("o200k_base")
    except Exception:  # the package copy is missing: fall back to the shared cache
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(ROOT.parent / "shared" / "tiktoken"))
        import tiktoken

        return tiktoken.get_encoding("o200k_base")


def _generated(records: int, tmp: Path) -> list[Path]:
    path = tmp / f"bench{records}.jsonl"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_data.py"), str(records), str(path)],
                   check=True, stderr=subprocess.DEVNULL)
    return [path]


def _default_files(records: int, tmp: Path) -> list[Path]:
    if (ROOT / "benchmarks" / "make_data.py").exists():
        return _generated(records, tmp)
    return [p for p in (ROOT / "sample_data" / "support_chat.jsonl",
                        ROOT / "benchmarks" / "data" / "pii_eval.jsonl") if p.exists()]


def main(argv: list[str] | None = None) -> int:
    from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
    from ftprep.pseudonymize.detect import Detector
    from ftprep.pseudonymize.names import NameFinder

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--records", type=int, default=2000, help="examples to generate without FILES")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    ap.add_argument("--gc-threshold", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    clock = time.perf_counter if args.wall else time.process_time
    with tempfile.TemporaryDirectory() as tmp:
        files = args.files or _default_files(args.records, Path(tmp))
        lines = [ln for f in files for ln in f.read_bytes().splitlines() if ln.strip()]
    objs = [json.loads(ln) for ln in lines]
    strings: list[str] = []
    for o in objs:
        strings.extend(iter_strings(o))
    mb = sum(len(ln) for ln in lines) / 1e6
    if args.gc_threshold is not None:
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])

    enc = _encoding()
    # "warm" means every value is cached: a cache that holds them all (the default bound,
    # sized for a long stream's memory, holds ~10k values: fewer than 2,000 examples have)
    warm = Pseudonymizer(KEY, PseudonymizeConfig(cache_size=1_000_000))
    warm.transform_text("warm-up jane@contoso.com +1 425 555 0100")  # load pools and metadata

    def tiktoken_count() -> None:
        for s in strings:
            enc.encode_ordinary(s)

    def detect_only() -> None:
        detector, names = Detector(warm.config), NameFinder(warm.config)
        for s in strings:
            detector.detect(s)
            names.find(s)

    def cold() -> None:
        p = Pseudonymizer(KEY)
        for o in objs:
            p.transform(o)

    def warm_run() -> None:
        for o in objs:
            warm.transform(o)

    def timed(fn: Callable[[], object]) -> float:
        t0 = clock()
        fn()
        return clock() - t0

    runs: dict[str, list[float]] = {"tiktoken": [], "detect": [], "cold": [], "warm": []}
    for _ in range(args.repeat):
        runs["tiktoken"].append(timed(tiktoken_count))
        runs["detect"].append(timed(detect_only))
        runs["cold"].append(timed(cold))
        runs["warm"].append(timed(warm_run))
    best = {k: mb / min(v) for k, v in runs.items()}
    result = {
        "data": [str(f) for f in args.files] or f"make_data.py {args.records}",
        "data_mb": round(mb, 3),
        "records": len(objs),
        "repeat": args.repeat,
        "clock": "wall" if args.wall else "cpu",
        "gc_threshold": gc.get_threshold()[0],
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}",
        "mb_per_s": {k: round(v, 2) for k, v in best.items()},
        "ratio_cold_vs_tiktoken": round(best["cold"] / best["tiktoken"], 3),
        "ratio_warm_vs_tiktoken": round(best["warm"] / best["tiktoken"], 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"data: {result['data_mb']} MB, {len(objs)} records, best of {args.repeat} "
              f"({result['clock']} time, gc threshold {result['gc_threshold']}; {result['machine']})")
        for k, v in result["mb_per_s"].items():
            print(f"  {k:10s} {v:7.2f} MB/s")
        print(f"  pseudonymize/tiktoken: cold {result['ratio_cold_vs_tiktoken']:.2f}, "
              f"warm {result['ratio_warm_vs_tiktoken']:.2f} (target >= 0.50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
