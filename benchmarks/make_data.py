#!/usr/bin/env python3
"""Deterministic benchmark data: N chat examples (~2.5 KB each) with realistic identifiers.

The examples come from the sample-data generator (``sample_data/make_samples.py``):
the same scenarios, customers, names, e-mails, phones, GUIDs, resource IDs, hosts,
IPs, keys and tokens, at the same density as ``sample_data/support_chat.jsonl``.
Customers are a mix of a recurring pool (one in ten examples) and fresh ones, so
the number of distinct identifiers grows with N, as in real logs.

Usage::

    python benchmarks/make_data.py N OUT.jsonl [--seed S]
    python benchmarks/make_data.py --mb 100 /tmp/bench100.jsonl   # stop at ~100 MB

The same arguments give the same bytes (one seeded ``random.Random``, seeded Faker
instances). Write large files to /tmp, never into the repository.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sample_data"))

import make_samples as ms  # noqa: E402

DEFAULT_SEED = 20261105
RECURRING = 200
FLUSH_EVERY = 1000


def iter_examples(n: int | None, seed: int = DEFAULT_SEED) -> Iterator[str]:
    """Yield ``n`` JSONL lines (no newline); ``n=None`` yields forever."""
    g = ms.new_gen(seed)
    pool = [ms.make_customer(g, recurring=True) for _ in range(RECURRING)]
    i = 0
    while n is None or i < n:
        g.new_anchor()
        c = g.pick(pool) if g.chance(0.1) else ms.make_customer(g, recurring=False)
        with_system = g.chance(0.9)
        if g.chance(0.02):
            ex = ms.tool_example(g, c, with_system)
        else:
            r = g.rng.random()
            rounds = 3 if r < 0.55 else 2 if r < 0.9 else 1
            ex = ms.chat_example(g, c, with_system, rounds, rounds == 2 and g.chance(0.2))
        yield ms.dumps(ex)
        i += 1
        if i % FLUSH_EVERY == 0:  # the generator records what it planted: keep memory flat
            g.planted.clear()
            g.keep.clear()


def write(path: Path, n: int | None, max_bytes: int | None, seed: int = DEFAULT_SEED) -> tuple[int, int]:
    """Write examples to ``path`` until ``n`` lines or ``max_bytes``; return (lines, bytes)."""
    lines = size = 0
    with open(path, "wb") as fh:
        for line in iter_examples(n, seed):
            data = line.encode("utf-8") + b"\n"
            fh.write(data)
            lines += 1
            size += len(data)
            if max_bytes is not None and size >= max_bytes:
                break
    return lines, size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=None, help="number of examples")
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=float, default=None, help="stop once the file reaches this size")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    if args.n is None and args.mb is None:
        ap.error("give N or --mb")
    max_bytes = int(args.mb * 1_000_000) if args.mb is not None else None
    lines, size = write(args.out, args.n, max_bytes, args.seed)
    sys.stderr.write(f"{args.out}: {lines} examples, {size / 1e6:.1f} MB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
