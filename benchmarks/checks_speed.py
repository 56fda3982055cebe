"""How long do the checks add to `ftprep prepare` on 10k examples (GX import included)?

Run:  python benchmarks/checks_speed.py [--rows 10000] [--repeat 3] [--no-pseudonymize]

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
    args = ap.parse_args()
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
