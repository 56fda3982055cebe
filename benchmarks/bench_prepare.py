#!/usr/bin/env python3
"""`ftprep prepare` end to end vs "parse + tiktoken count", side by side, N rounds.

Usage::

    python benchmarks/bench_prepare.py                      # 20k examples in /tmp, 3 rounds
    python benchmarks/bench_prepare.py --n 40000 --rounds 5
    python benchmarks/bench_prepare.py --data /tmp/big.jsonl --rounds 1 --only prepare-w1
    python benchmarks/bench_prepare.py --json               # machine-readable

Every configuration runs in a fresh interpreter (a child process), interleaved round by
round, so imports and caches are cold the way a user meets them and machine noise hits
every configuration alike. Configurations (cumulative stages, then end to end):

  parse         read + orjson parse of every line
  reference     read + parse + tiktoken o200k ``encode_ordinary`` count of every string
                (encodings loaded with ``ftprep.tokens.get_encoding``) - the floor
  validate      read + parse + validate
  pseudonymize  read + parse + pseudonymize (every detector), no leak check
  rows          the row-level work of prepare (BatchProcessor: validate, pseudonymize,
                tokens, features, split, dump), serial, nothing written
  prepare-w1    ``ftprep prepare`` (the CLI) with every stage on, --workers 1
  prepare-w2    the same with --workers 2

Figures: MB/s (input bytes / wall time) and examples/s, median over rounds (best in
brackets); the ratio to ``reference`` is taken per round, then the median. Peak RSS:
``tree`` is the peak of the summed proportional set size (PSS, so pages shared by
forked workers count once) of the child and its workers, sampled every 250 ms;
``largest`` is the largest single process (``wait4`` rusage). Targets checked:
prepare-w1 >= 25% of reference, prepare-w2 >= 1.7x prepare-w1, peak RSS < 600 MB,
``ftprep --help`` < 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from ftprep.stats import iter_strings

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("parse", "reference", "validate", "pseudonymize", "rows")
PREPARE = ("prepare-w1", "prepare-w2")
ALL = STAGES + PREPARE
RSS_LIMIT_MB = 600.0


# --- children ---------------------------------------------------------------------

def child_stage(mode: str, path: str, key_file: str) -> dict[str, Any]:
    """One cumulative stage over ``path`` in this process; returns size, count, seconds."""
    import orjson

    t0 = time.perf_counter()
    work: Any = None
    if mode == "reference":
        from ftprep.tokens import get_encoding

        enc = get_encoding("o200k_base")

        def work(obj: Any) -> None:
            out: list[str] = []
            out.extend(iter_strings(obj))
            for s in out:
                len(enc.encode_ordinary(s))
    elif mode == "validate":
        from ftprep.records import Record
        from ftprep.tokens import resolve_model
        from ftprep.validate import Validator

        validator = Validator(resolve_model("gpt-4o-mini"))

        def work(obj: Any) -> None:
            validator.validate(Record(source=path, line=0, raw=b"", obj=obj))
    elif mode == "pseudonymize":
        from ftprep.pseudonymize import Pseudonymizer, load_key

        pz = Pseudonymizer(load_key(key_file))

        def work(obj: Any) -> None:
            pz.transform(obj)
    elif mode == "rows":
        return _child_rows(path, key_file, t0)
    size = n = 0
    with open(path, "rb") as fh:
        for line in fh:
            size += len(line)
            n += 1
            obj = orjson.loads(line)
            if work is not None:
                work(obj)
    return {"bytes": size, "examples": n, "seconds": time.perf_counter() - t0}


def _child_rows(path: str, key_file: str, t0: float) -> dict[str, Any]:
    from ftprep.config import PrepareConfig
    from ftprep.engine import iter_raw_batches
    from ftprep.io import ReadLimits, parse_record
    from ftprep.pipeline import BatchProcessor, RunContext
    from ftprep.pseudonymize import load_key

    ctx = RunContext.create(PrepareConfig(), load_key(key_file))
    ctx.validator.format = "chat"
    processor = BatchProcessor(ctx)
    limits = ReadLimits()
    size = n = 0
    for lines in iter_raw_batches(path, 512):
        batch = [parse_record(path, number, raw, limits) for number, raw in lines]
        size += sum(len(raw) + 1 for _, raw in lines)
        n += len(processor.process(batch))
    return {"bytes": size, "examples": n, "seconds": time.perf_counter() - t0}


# --- parent: run children, measure RSS ------------------------------------------------

def _tree_pss_mb(pid: int) -> float:
    """Summed PSS of ``pid`` and its descendants (Linux /proc), in MB."""
    pids = [pid]
    total = 0.0
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) / 1024
                        break
            with open(f"/proc/{p}/task/{p}/children") as fh:
                pids.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_pss_mb(self.pid))
            self.done.wait(0.25)


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run ``cmd``; return (wall seconds, peak tree PSS MB, largest process RSS MB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    sampler = _Sampler(proc.pid)
    sampler.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s, acc: acc.append(s.read()), args=(stream, acc), daemon=True)
               for stream, acc in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    sampler.done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                           f"{b''.join(err_chunks).decode(errors='replace')[-2000:]}")
    return wall, sampler.peak, usage.ru_maxrss / 1024, b"".join(out_chunks).decode()


def measure(config: str, data: Path, key_file: Path, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    size = data.stat().st_size
    if config in PREPARE:
        out = workdir / f"out-{config}"
        cmd = [sys.executable, "-m", "ftprep", "prepare", str(data), "-o", str(out), "--force",
               "--key-file", str(key_file), "--workers", config[-1], "--json",
               "--config", str(_config_file(workdir))]
        wall, tree, largest, stdout = run_child(cmd, env)
        summary = json.loads(stdout)
        examples = summary["counts"]["input_lines"]
        return {"config": config, "seconds": wall, "bytes": size, "examples": examples,
                "tree_mb": tree, "largest_mb": largest, "verdict": summary["verdict"],
                "leak_check_passed": summary["pseudonymization"]["leak_check"].get("passed")}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", config, str(data), str(key_file)]
    wall, tree, largest, stdout = run_child(cmd, env)
    res = json.loads(stdout.strip().splitlines()[-1])
    return {"config": config, "seconds": wall, "inner_seconds": res["seconds"], "bytes": res["bytes"],
            "examples": res["examples"], "tree_mb": tree, "largest_mb": largest}


def _config_file(workdir: Path) -> Path:
    """Every stage on; a failed leak check is reported (verdict), not fatal, so it is timed."""
    path = workdir / "bench-ftprep.toml"
    path.write_text("fail_on_leak = false\n")
    return path


def help_time(env: dict[str, str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ftprep", "--help"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return min(times)


def summarize(results: list[dict[str, Any]], configs: list[str]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    rounds = max(r["round"] for r in results) + 1
    for config in configs:
        rows = [r for r in results if r["config"] == config]
        mbs = [r["bytes"] / r["seconds"] / 1e6 for r in rows]
        eps = [r["examples"] / r["seconds"] for r in rows]
        entry = {
            "mb_s": statistics.median(mbs), "mb_s_best": max(mbs),
            "examples_s": statistics.median(eps),
            "tree_mb": max(r["tree_mb"] for r in rows), "largest_mb": max(r["largest_mb"] for r in rows),
        }
        ratios = []
        for i in range(rounds):
            ref = [r for r in results if r["round"] == i and r["config"] == "reference"]
            me = [r for r in rows if r["round"] == i]
            if ref and me:
                ratios.append(ref[0]["seconds"] / me[0]["seconds"])
        if ratios:
            entry["ratio_to_reference"] = statistics.median(ratios)
        if rows and "verdict" in rows[0]:
            entry["verdict"] = rows[0]["verdict"]
            entry["leak_check_passed"] = rows[0]["leak_check_passed"]
        table[config] = entry
    return table


def targets(table: dict[str, Any], help_s: float | None) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    w1, w2 = table.get("prepare-w1"), table.get("prepare-w2")
    if w1 and "ratio_to_reference" in w1:
        r = w1["ratio_to_reference"]
        out.append(("prepare --workers 1 >= 25% of reference", f"{r:.0%}", r >= 0.25))
    if w1 and w2:
        s = w2["mb_s"] / w1["mb_s"]
        out.append(("prepare --workers 2 >= 1.7x --workers 1", f"{s:.2f}x", s >= 1.7))
    for name in PREPARE:
        if name in table:
            mb = table[name]["tree_mb"]
            out.append((f"{name} peak RSS (tree PSS) < {RSS_LIMIT_MB:.0f} MB", f"{mb:.0f} MB",
                        mb < RSS_LIMIT_MB))
    if help_s is not None:
        out.append(("ftprep --help < 0.3 s", f"{help_s:.3f} s", help_s < 0.3))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "KEY"), help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help="input JSONL (default: generated in /tmp)")
    ap.add_argument("--n", type=int, default=20_000, help="examples to generate (default 20000)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", nargs="+", choices=ALL, help="configurations to run")
    ap.add_argument("--no-help-time", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        mode, path, key = args.child
        print(json.dumps(child_stage(mode, path, key)))
        return 0
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    configs = list(args.only or ALL)
    if "reference" not in configs:
        configs.insert(0, "reference")
    with tempfile.TemporaryDirectory(prefix="ftprep-bench-") as tmp:
        workdir = Path(tmp)
        data = args.data
        if data is None:
            data = Path(tempfile.gettempdir()) / f"ftprep-bench-{args.n}.jsonl"
            if not data.exists():
                sys.path.insert(0, str(ROOT / "benchmarks"))
                from make_data import write

                write(data, args.n, None)
        key_file = workdir / "bench.key"
        from ftprep.pseudonymize import write_key_file

        write_key_file(str(key_file))
        results: list[dict[str, Any]] = []
        for rnd in range(args.rounds):
            for config in configs:
                res = measure(config, data, key_file, workdir, env)
                res["round"] = rnd
                results.append(res)
                if not args.json:
                    sys.stderr.write(f"round {rnd + 1}/{args.rounds} {config}: {res['seconds']:.1f} s, "
                                     f"tree {res['tree_mb']:.0f} MB\n")
        help_s = None if args.no_help_time else help_time(env)
    table = summarize(results, configs)
    checks = targets(table, help_s)
    report = {"data": str(data), "bytes": data.stat().st_size, "rounds": args.rounds,
              "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
              "results": table, "help_seconds": help_s,
              "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in checks]}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"data: {data} ({report['bytes'] / 1e6:.1f} MB, {table['reference'] and results[0]['examples']} "
          f"examples), {args.rounds} round(s), {os.cpu_count()} CPUs, Python {report['machine']['python']}")
    print(f"{'config':<14}{'MB/s':>8}{'(best)':>9}{'ex/s':>9}{'x ref':>8}{'tree MB':>9}{'largest MB':>12}")
    for config, e in table.items():
        ratio = f"{e['ratio_to_reference']:.2f}" if "ratio_to_reference" in e else ""
        print(f"{config:<14}{e['mb_s']:>8.2f}{e['mb_s_best']:>9.2f}{e['examples_s']:>9.0f}{ratio:>8}"
              f"{e['tree_mb']:>9.0f}{e['largest_mb']:>12.0f}"
              + (f"  verdict {e['verdict']}, leak check "
                 f"{'passed' if e['leak_check_passed'] else 'FAILED'}" if "verdict" in e else ""))
    if help_s is not None:
        print(f"ftprep --help: {help_s:.3f} s (best of 5)")
    for t, m, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {t}: {m}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
