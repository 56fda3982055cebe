"""Real processes: a second run into a busy directory is refused by the lock, and
Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops a run within
a second, worker pool included, leaving no temporary files and no lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftprep.pipeline import LOCK_NAME


def big_input(path: Path, n: int) -> Path:
    row = {"messages": [{"role": "system", "content": "be brief"},
                        {"role": "user", "content": "status of vm-{i} in the west region?"},
                        {"role": "assistant", "content": "It is running fine. " * 8}]}
    text = json.dumps(row)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(text.replace("{i}", str(i)) + "\n")
    return path


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ftprep", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("workers", [1, 2])
def test_second_run_is_locked_out_and_ctrl_c_stops_cleanly(tmp_path: Path, workers: int) -> None:
    src = big_input(tmp_path / "in.jsonl", 60_000)
    out = tmp_path / "out"
    args = ["prepare", str(src), "-o", str(out), "--no-pseudonymize", "--workers", str(workers)]
    first = start(args)
    try:
        wait_for(lambda: out.is_dir() and any(".tmp-" in p.name for p in out.iterdir()), 60)
        assert (out / LOCK_NAME).exists()
        second = subprocess.run([sys.executable, "-m", "ftprep", *args, "--force"],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2, second.stderr
        assert f"another ftprep run (pid {first.pid}) is writing to this directory" in second.stderr
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        assert first.poll() is None, "the first run must still be working (input too small?)"
        sent = time.monotonic()
        os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = first.wait(timeout=10)
        took = time.monotonic() - sent
        wait_for(lambda: not group_alive(first.pid), 5)  # the worker pool is gone too
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    stderr = first.stderr.read() if first.stderr else ""
    assert code == 130, stderr
    assert took < 1.0, f"took {took:.2f} s to stop"
    assert "Traceback" not in stderr and stderr.strip().endswith("ftprep: interrupted"), stderr
    assert sorted(p.name for p in out.iterdir()) == [], "no temp files, no lock, no outputs"
