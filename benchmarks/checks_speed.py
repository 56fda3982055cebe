"""How long do the checks add to `ftprep prepare` on 10k examples (GX import included)?

Run:  python benchmarks/checks_speed.py [--rows 10000] [--repeat 3] [--no-pseudonymize]
      python benchmarks/checks_speed.py --stage-only     # the checks stage alone, 5 runs

Builds a 10k-example chat file from sample_data/support_chat.jsonl (each copy gets a
different random tail, so copies are neither exact nor near duplicates), then runs
``prepare`` in fresh interpreters (so the great-expectations import is really cold):

  stub      prepare with the checks stage replaced by a no-op       -> baseline
  cold      prepare as shipped: checks import GX when they start    -> baseline + checks
  worker    a ftprep.checks.ChecksWorker created before prepare: a spawned process
            imports GX while the other stages work, then runs the checks

"added" = median(mode) - median(stub): the wall time the checks add to prepare.
Also printed: run_checks alone on the 10k-row stats frame, cold and warm.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
t_start = time.perf_counter()
import pandas  # noqa: F401  (prepare has pandas loaded before the checks run)
from ftprep import pipeline
from ftprep.config import PrepareConfig

inp, out, mode, pseudo, key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5]
timings = {}
if mode == "stub":
    pipeline._run_checks = lambda frame, ctx, config: {"success": True, "results": [], "seconds": 0.0}
real_run_checks = pipeline._run_checks
if mode == "worker":
    # What the pipeline should do: start a ChecksWorker (a spawned process that imports
    # GX at once) when the run starts, and run the checks through it.
    from ftprep.checks import CheckSettings, ChecksWorker
    worker = ChecksWorker()
    def via_worker(frame, ctx, config):
        return worker.run_checks(
            frame, example_token_limit=ctx.model.example_token_limit,
            settings=CheckSettings.from_dict(dict(config.checks)),
            suite_path=config.suite, suite_mode=config.suite_mode).to_dict()
    real_run_checks = via_worker
def timed(frame, ctx, config):
    t = time.perf_counter()
    try:
        return real_run_checks(frame, ctx, config)
    finally:
        timings["checks_stage"] = time.perf_counter() - t
pipeline._run_checks = timed
config = PrepareConfig(pseudonymize=pseudo)
t = time.perf_counter()
report = pipeline.prepare([inp], out, config, key.encode() if pseudo else None, force=True)
timings["prepare"] = time.perf_counter() - t
frame = report.frame
if mode == "cold":
    from ftprep.checks import run_checks
    t = time.perf_counter()
    run_checks(frame, example_token_limit=65536)
    timings["run_checks_warm"] = time.perf_counter() - t
    timings["rows"] = len(frame)
print(json.dumps(timings))
"""


STAGE_CHILD = r"""
import json, sys, time
import numpy as np
import pandas as pd   # loaded before the checks run, as in prepare

n = int(sys.argv[1])
rng = np.random.default_rng(0)
n_train = int(n * 0.9)
df = pd.DataFrame({
    "example_id": [f"data.jsonl:{i + 1}" for i in range(n)], "source": "data.jsonl",
    "line": np.arange(1, n + 1), "split": ["train"] * n_train + ["validation"] * (n - n_train),
    "format": "chat", "n_messages": rng.integers(2, 9, n), "roles": "SUA",
    "has_system": rng.random(n) < 0.8, "has_user": True,
    "total_tokens": rng.integers(50, 4000, n), "trained_tokens": 100,
    "largest_message_tokens": 300, "over_limit": False, "tool_calls": 0, "weight0": 0,
    "empty_assistant": 0, "special_token_hits": 0,
    "content_hash": [f"{i:064x}" for i in rng.permutation(n)],
    "simhash": rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64),
    "residual_identifiers": 0, "pii_total": 4, "pii_EMAIL": 1, "pii_PHONE": 1,
})
t0, c0 = time.perf_counter(), time.process_time()
from ftprep.checks import run_checks
report = run_checks(df, example_token_limit=65536)
cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
t1 = time.perf_counter()
run_checks(df, example_token_limit=65536)
print(json.dumps({"cold": cold, "cold_cpu": cold_cpu, "warm": time.perf_counter() - t1,
                  "ok": report.success}))
"""


def stage_only(rows: int, repeat: int) -> None:
    """The checks stage alone in fresh interpreters: GX import + checks, then warm."""
    res = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", STAGE_CHILD, str(rows)],
                              capture_output=True, text=True, check=True)
        res.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    cold = sorted(r["cold"] for r in res)
    warm = sorted(r["warm"] for r in res)
    cpu = sorted(r["cold_cpu"] for r in res)
    print(f"checks stage alone on {rows:,} rows, {repeat} fresh interpreters:")
    print(f"  cold (GX import + checks): best {cold[0]:.2f} s, median {statistics.median(cold):.2f} s")
    print(f"  cold, CPU time           : best {cpu[0]:.2f} s, median {statistics.median(cpu):.2f} s"
          "  (= wall time on an idle core)")
    print(f"  warm (checks only)       : best {warm[0]:.2f} s, median {statistics.median(warm):.2f} s")


def make_input(path: Path, rows: int) -> None:
    src = (ROOT / "sample_data" / "support_chat.jsonl").read_text(encoding="utf-8").splitlines()
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(5000)]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            obj = json.loads(src[i % len(src)])
            for msg in obj["messages"]:
                if msg.get("role") == "user" and isinstance(msg.get("content"), str):
                    msg["content"] += " " + " ".join(rng.choices(vocab, k=40))
                    break
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def run(inp: Path, out: Path, mode: str, pseudo: bool) -> dict[str, float]:
    key = "benchmark-key-0123456789abcdef0123456789"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(inp), str(out), mode, "1" if pseudo else "0", key],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-pseudonymize", action="store_true")
    ap.add_argument("--stage-only", action="store_true",
                    help="only time the checks stage in fresh interpreters (fast, less noisy)")
    args = ap.parse_args()
    if args.stage_only:
        stage_only(args.rows, max(args.repeat, 5))
        return
    pseudo = not args.no_pseudonymize
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "chat10k.jsonl"
        make_input(inp, args.rows)
        res: dict[str, list[dict[str, float]]] = {"stub": [], "cold": [], "worker": []}
        for _ in range(args.repeat):
            for mode in res:  # interleaved, so drift hits every mode alike
                res[mode].append(run(inp, Path(tmp) / f"out-{mode}", mode, pseudo))

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in res[mode])

    base = med("stub", "prepare")
    print(f"prepare on {args.rows:,} examples, pseudonymize={'on' if pseudo else 'off'}, "
          f"median of {args.repeat} (2 cores)")
    print(f"  stub (no checks)   : {base:.2f} s")
    for mode in ("cold", "worker"):
        total = med(mode, "prepare")
        print(f"  {mode:<18} : {total:.2f} s   checks add {total - base:+.2f} s "
              f"(checks stage itself {med(mode, 'checks_stage'):.2f} s)")
    print(f"  run_checks alone, GX already imported: {med('cold', 'run_checks_warm'):.2f} s")


if __name__ == "__main__":
    main()
