"""Benchmark: a 1M-row CSV converts in bounded memory.

    python benchmarks/ingest_memory.py                 # 1,000,000 rows (about 230 MB of CSV)
    python benchmarks/ingest_memory.py --rows 100000   # quicker

It writes a synthetic CRM export (the columns of templates/support_chat.toml)
into a temporary directory, then converts it in a fresh child process for
several row counts and reports each child's peak RSS (``ru_maxrss``) and wall
time. Bounded memory means the peak does not grow with the row count: compare
the small run (the interpreter + imports + one batch) with the large one.

Not part of the test suite (it takes about a minute); run it by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "support_chat.toml"
HEADER = ["ticket_id", "product", "customer", "email", "phone", "description", "resolution"]
PRODUCTS = ["Router X2", "Printer P1", "Invoice", "App", "Câble HDMI"]


def write_csv(path: Path, rows: int) -> None:
    """A deterministic synthetic export; every 1000th row lacks its resolution (rejected)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        for i in range(rows):
            w.writerow([
                f"{i:07d}", PRODUCTS[i % len(PRODUCTS)], f"Customer {i % 9973}",
                f"user{i % 7919}@example.com" if i % 3 else "", f"555-{i % 10000:04d}" if i % 4 else "",
                f"Problem report {i}: the device stops responding after {i % 60} minutes, "
                "says \"error 0x1F\", and restarts; tried unplugging it.",
                "" if i % 1000 == 999 else f"Resolution {i}: update the firmware, then reset the settings.",
            ])


def child(src: str, out: str) -> None:
    """Run one conversion and print its figures as JSON (peak RSS of this process only)."""
    started = time.perf_counter()
    from ftprep.ingest import convert

    report = convert(src, out, TEMPLATE)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({
        "rows_in": report.rows_in, "examples_out": report.examples_out,
        "rejected": report.rejected_count, "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "input_mib": round(os.path.getsize(src) / 2**20, 1),
        "output_mib": round(os.path.getsize(out) / 2**20, 1),
    }))


def measure(rows: int, workdir: Path) -> dict[str, float]:
    src = workdir / f"crm_{rows}.csv"
    t0 = time.perf_counter()
    write_csv(src, rows)
    gen = time.perf_counter() - t0
    out = workdir / f"out_{rows}.jsonl"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(src), str(out)],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, float] = json.loads(proc.stdout)
    result["generate_seconds"] = round(gen, 1)
    src.unlink()
    out.unlink()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    counts = sorted({1_000, max(1_000, args.rows // 10), args.rows})
    with tempfile.TemporaryDirectory(prefix="ftprep-bench-") as tmp:
        results = {n: measure(n, Path(tmp)) for n in counts}
    print(f"{'rows':>10} {'input MiB':>10} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>13}")
    for n, r in results.items():
        rate = r["rows_in"] / r["seconds"] if r["seconds"] else 0.0
        print(f"{n:>10,} {r['input_mib']:>10} {r['seconds']:>8} {rate:>9,.0f} {r['peak_rss_mib']:>13}")
    small, large = results[counts[0]], results[counts[-1]]
    print(f"peak RSS growth from {counts[0]:,} to {counts[-1]:,} rows: "
          f"{large['peak_rss_mib'] - small['peak_rss_mib']:+.1f} MiB")
    print(json.dumps({str(k): v for k, v in results.items()}))


if __name__ == "__main__":
    main()
