"""Real processes: a second run into a busy directory is refused by the lock, and
Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops a run within
a second, worker pool included, leaving no temporary files and no lock."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftprep.cli import main
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


def group_members(pgid: int, running_only: bool = True) -> list[str]:
    """Command lines of the processes in a process group (zombies left out: in a container
    nobody may reap them, but they hold nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid or (running_only and fields[0] == "Z"):
                continue
            found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue
    return found


def group_alive(pgid: int) -> bool:
    return bool(group_members(pgid))


def run_processes_alive(pgid: int) -> bool:
    """The run's own processes (main and forked workers share its command line)."""
    return any(" prepare " in cmd for cmd in group_members(pgid))


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


def test_sigterm_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    src = big_input(tmp_path / "in.jsonl", 40_000)
    out = tmp_path / "out"
    proc = start(["prepare", str(src), "-o", str(out), "--no-pseudonymize", "--workers", "2"])
    try:
        wait_for(lambda: out.is_dir() and any(".tmp-" in p.name for p in out.iterdir()), 60)
        proc.terminate()  # SIGTERM to the main process only (kill, timeout, docker stop)
        code = proc.wait(timeout=10)
        wait_for(lambda: not group_alive(proc.pid), 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 130 and "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    assert sorted(p.name for p in out.iterdir()) == []


def test_sigkill_of_the_main_process_leaves_no_orphans_and_next_run_recovers(tmp_path: Path,
                                                                             capsys) -> None:
    src = big_input(tmp_path / "in.jsonl", 40_000)
    out = tmp_path / "out"
    proc = start(["prepare", str(src), "-o", str(out), "--no-pseudonymize", "--workers", "2"])
    try:
        wait_for(lambda: out.is_dir() and any(".tmp-" in p.name for p in out.iterdir()), 60)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers are orphaned
        proc.wait(timeout=10)
        wait_for(lambda: not run_processes_alive(proc.pid), 5)  # the workers noticed and exited
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything else left in the group
        proc.wait()
    left = sorted(p.name for p in out.iterdir())
    assert LOCK_NAME in left and any(".tmp-" in n for n in left) and "manifest.json" not in left
    small = big_input(tmp_path / "small.jsonl", 300)
    # the next run through main() in this process (the killed run above was the real process)
    with pytest.raises(SystemExit) as again:
        main(["prepare", str(small), "-o", str(out), "--no-pseudonymize", "--workers", "1"])
    stderr = capsys.readouterr().err
    assert again.value.code == 0, stderr
    assert "took over a stale .ftprep.lock" in stderr and "temporary file(s)" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "rejected.jsonl",
                                                     "report.html", "train.jsonl", "validation.jsonl"]


def test_forked_workers_get_the_default_sigterm_back() -> None:
    """The CLI turns SIGTERM into a clean stop in its main process only: every forked child
    (worker pools) has the kernel's SIGTERM, so pool.terminate() always kills a worker even
    while it waits on a lock (a Python handler would wait for its main thread: a hang)."""
    code = (
        "import os, signal, sys\n"
        "sys.argv = ['ftprep', '--version']\n"
        "from ftprep import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else 1)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status), signal.getsignal(signal.SIGTERM) != signal.SIG_DFL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split()[-2:] == ["0", "True"], proc.stdout + proc.stderr
