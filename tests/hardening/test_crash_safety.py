"""Crash safety: SIGKILL at any point, disk full, permissions, leftovers, verify.

The invariant after any interruption: either there is no manifest.json, or
``verify_outputs`` says the directory matches it — never a manifest vouching for
partial or mixed files.
"""

from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import chat, write_jsonl

import ftprep.io as fio
import ftprep.pipeline as pipeline
from ftprep import PrepareConfig, prepare, verify_outputs
from ftprep.cli import main
from ftprep.errors import InputError, OutputError
from ftprep.pipeline import LOCK_NAME, run_lock

NOPZ = PrepareConfig(pseudonymize=False, workers=1)
DATA = ("train.jsonl", "validation.jsonl", "rejected.jsonl")


def temps(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if ".tmp-" in p.name)


def assert_invariant(out: Path) -> str:
    """Either no manifest, or a manifest that verifies. Returns which."""
    if not (out / "manifest.json").exists():
        return "no manifest"
    report = verify_outputs(out)
    assert report.ok, report.problems
    return "verified"


def make_input(path: Path, n: int) -> Path:
    rows: list[Any] = [chat(user=f"question {i} about vm-{i}", assistant=f"answer {i} " * 5)
                       for i in range(n)]
    rows[3] = {"messages": "broken"}
    return write_jsonl(path, rows)


# --- SIGKILL fault injection -------------------------------------------------------

def _child(src: str, out: str, seed: int, kill_before: tuple[str, int] | None) -> None:
    """Runs in a forked process: one prepare, optionally SIGKILLing itself just before the
    n-th call of os.replace / os.unlink (the commit steps)."""
    if kill_before is not None:
        name, nth = kill_before
        real = getattr(os, name)
        calls = [0]

        def tripwire(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)

        setattr(os, name, tripwire)
    prepare([src], out, PrepareConfig(pseudonymize=False, workers=1, seed=seed, batch_size=64),
            force=True)


def test_sigkill_at_any_point_never_leaves_a_lying_manifest(tmp_path: Path, warm_tokenizer: None) -> None:
    src = make_input(tmp_path / "in.jsonl", 1500)
    out = tmp_path / "out"
    started = time.perf_counter()
    prepare([src], out, PrepareConfig(pseudonymize=False, workers=1, batch_size=64))  # warm + base set
    full = time.perf_counter() - started
    started = time.perf_counter()
    prepare([src], out, PrepareConfig(pseudonymize=False, workers=1, seed=99, batch_size=64), force=True)
    full = time.perf_counter() - started  # a warm run: what a forked child needs
    ctx = mp.get_context("fork")
    rng = random.Random(7)
    # Deterministic kills at each commit step (seen from the outside: unlink of the old
    # manifest/report, the three data renames, report, manifest), then kills at random times.
    plans: list[tuple[str, int] | float] = [("unlink", 1), ("replace", 1), ("replace", 2),
                                            ("replace", 3), ("replace", 4), ("replace", 5)]
    plans += [rng.uniform(0.0, full * 1.2) for _ in range(4)]
    outcomes = []
    deadline = time.monotonic() + 60
    for i, plan in enumerate(plans):
        kill_before = plan if isinstance(plan, tuple) else None
        proc = ctx.Process(target=_child, args=(str(src), str(out), i % 3, kill_before))
        proc.start()
        if isinstance(plan, float):
            time.sleep(plan)
            os.kill(proc.pid, signal.SIGKILL)  # a no-op if it already finished
        proc.join(30)
        assert proc.exitcode is not None, "child hung"
        outcomes.append((plan, proc.exitcode, assert_invariant(out)))
        assert time.monotonic() < deadline
    killed = [o for o in outcomes if o[1] == -signal.SIGKILL]
    assert len(killed) >= 7, outcomes
    assert any(o[2] == "no manifest" for o in killed), outcomes
    # The next run cleans up after the killed ones: stale lock taken over, temps removed.
    report = prepare([src], out, NOPZ, force=True)
    assert assert_invariant(out) == "verified" and temps(out) == []
    assert not (out / LOCK_NAME).exists()
    assert report.manifest["counts"]["accounted"]


def test_commit_order_manifest_gone_before_renames_and_written_last(tmp_path: Path,
                                                                    monkeypatch) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    prepare([src], out, NOPZ)
    events: list[str] = []
    real_replace, real_unlink = os.replace, os.unlink

    def replace(a: Any, b: Any, *args: Any, **kw: Any) -> None:
        events.append(f"replace {Path(b).name}")
        real_replace(a, b, *args, **kw)

    def unlink(p: Any, *args: Any, **kw: Any) -> None:
        events.append(f"unlink {Path(p).name}")
        real_unlink(p, *args, **kw)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "unlink", unlink)
    prepare([src], out, NOPZ, force=True)
    order = [e for e in events if "tmp-" not in e]
    first_data = min(order.index(f"replace {n}") for n in DATA)
    assert order.index("unlink manifest.json") < first_data
    assert order[-2:] == ["replace manifest.json", f"unlink {LOCK_NAME}"]
    assert order.index("replace report.html") < order.index("replace manifest.json")


# --- disk full and permissions --------------------------------------------------------

class _FullDisk:
    """A file object that fails with ENOSPC once ``budget`` bytes were written."""

    def __init__(self, fh: Any, budget: int) -> None:
        self._fh = fh
        self._budget = budget

    def write(self, data: bytes) -> int:
        self._budget -= len(data)
        if self._budget < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return int(self._fh.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._fh.close()


def _failing_open(budget: int, module_open: Any = open) -> Any:
    def fake(path: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        fh = module_open(path, mode, *args, **kw)
        return _FullDisk(fh, budget) if "w" in mode else fh
    return fake


@pytest.mark.parametrize("where", ["data", "manifest"])
def test_disk_full_is_one_clear_line_and_removes_temp_files(tmp_path: Path, monkeypatch, capsys,
                                                            where: str) -> None:
    src = make_input(tmp_path / "in.jsonl", 200)
    out = tmp_path / "out"
    prepare([src], out, NOPZ)
    before = {n: (out / n).read_bytes() for n in DATA}
    module = pipeline if where == "data" else fio
    monkeypatch.setattr(module, "open", _failing_open(2000), raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["prepare", str(src), "-o", str(out), "--no-pseudonymize", "--force", "--seed", "5",
              "--workers", "1"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err
    assert temps(out) == [] and not (out / LOCK_NAME).exists()
    state = assert_invariant(out)
    if where == "data":  # failed before any rename: the previous set stands, verified
        assert state == "verified" and {n: (out / n).read_bytes() for n in DATA} == before
    else:  # failed writing the report/manifest: new data files, but no manifest vouching for them
        assert state == "no manifest" and "no manifest vouches for them" in err


def test_permission_denied_is_one_clear_output_error(tmp_path: Path, monkeypatch) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"

    def denied(path: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if "w" in mode:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return open(path, mode, *args, **kw)

    monkeypatch.setattr(pipeline, "open", denied, raising=False)
    with pytest.raises(OutputError, match="cannot write \\(Permission denied\\)"):
        prepare([src], out, NOPZ)
    assert temps(out) == [] and not (out / LOCK_NAME).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_output_directory(tmp_path: Path) -> None:  # pragma: no cover - non-root CI
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            prepare([src], out, NOPZ)
    finally:
        out.chmod(0o700)


# --- leftovers, locks, refusals ---------------------------------------------------------

def test_leftover_temps_and_a_stale_lock_are_cleaned_with_a_message(tmp_path: Path) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    out.mkdir()
    for name in (".train.jsonl.tmp-999999", ".manifest.json.tmp-4242", ".report.html.tmp-1"):
        (out / name).write_bytes(b"partial")
    (out / ".notes.tmp-5").write_bytes(b"not ours")  # not an ftprep temp name: left alone
    (out / LOCK_NAME).write_text(f"ftprep pid=999999 host={socket.gethostname()}\n")
    report = prepare([src], out, NOPZ)
    assert temps(out) == [".notes.tmp-5"]
    assert any("took over a stale .ftprep.lock" in w and "999999" in w for w in report.warnings)
    assert any("removed 3 temporary file(s)" in w for w in report.warnings)
    assert not (out / LOCK_NAME).exists() and verify_outputs(out).ok


def test_a_lock_of_unknown_origin_is_refused_with_advice(tmp_path: Path) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text("123\n")
    with pytest.raises(OutputError, match="if no run is using this directory, delete the file"):
        prepare([src], out, NOPZ)
    assert (out / LOCK_NAME).read_text() == "123\n"


def test_a_held_lock_refuses_a_second_run_in_the_same_process(tmp_path: Path) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    out.mkdir()
    with run_lock(out):
        with pytest.raises(OutputError, match=f"another ftprep run \\(pid {os.getpid()}\\)"):
            prepare([src], out, NOPZ)
        assert (out / LOCK_NAME).exists()
    assert not (out / LOCK_NAME).exists()


def test_input_that_is_an_output_is_refused_even_by_hard_link(tmp_path: Path) -> None:
    src = make_input(tmp_path / "in.jsonl", 30)
    out = tmp_path / "out"
    prepare([src], out, NOPZ)
    link = tmp_path / "alias.jsonl"
    os.link(out / "train.jsonl", link)
    before = (out / "train.jsonl").read_bytes()
    with pytest.raises(Exception, match="also an output"):
        prepare([link], out, NOPZ, force=True)
    with pytest.raises(Exception, match="also an output"):
        prepare([out], out, NOPZ, force=True)  # the output directory as an input directory
    assert (out / "train.jsonl").read_bytes() == before


# --- verify ---------------------------------------------------------------------------

def _verify(out: Path, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["verify", str(out)])
    captured = capsys.readouterr()
    return int(exit_.value.code or 0), captured.out + captured.err


def test_verify_exits_non_zero_on_every_kind_of_mismatch(tmp_path: Path, capsys) -> None:
    src = make_input(tmp_path / "in.jsonl", 40)
    out = tmp_path / "out"
    prepare([src], out, NOPZ)
    assert _verify(out, capsys)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    prepared = {p.name: p.read_bytes() for p in out.iterdir()}

    def restore() -> None:  # the prepared set again, byte for byte (as a fresh run would write)
        for path in out.iterdir():
            path.unlink()
        for name, data in prepared.items():
            (out / name).write_bytes(data)

    train = out / "train.jsonl"
    tampers = {
        "byte flipped": lambda: train.write_bytes(train.read_bytes().replace(b"answer", b"answeR", 1)),
        "row appended": lambda: train.write_bytes(train.read_bytes() + b"{}\n"),
        "file missing": lambda: train.unlink(),
        "output dropped from manifest": lambda: (out / "manifest.json").write_text(json.dumps(
            {**manifest, "outputs": {k: v for k, v in manifest["outputs"].items() if k != "train"}})),
        "path escapes": lambda: (out / "manifest.json").write_text(json.dumps(
            {**manifest, "outputs": {**manifest["outputs"],
                                     "train": {**manifest["outputs"]["train"], "path": "../in.jsonl"}}})),
        "counts changed": lambda: (out / "manifest.json").write_text(json.dumps(
            {**manifest, "counts": {**manifest["counts"], "input_lines": 41}})),
        "outputs not a table": lambda: (out / "manifest.json").write_text(json.dumps(
            {**manifest, "outputs": []})),
    }
    for what, tamper in tampers.items():
        assert _verify(out, capsys)[0] == 0, what  # restored: verifies again
        tamper()
        code, text = _verify(out, capsys)
        assert code == 1, (what, text)
        assert "MISMATCH" in text and "Traceback" not in text, what
        restore()
    (out / "manifest.json").unlink()
    code, text = _verify(out, capsys)
    assert code == 2 and "no manifest.json" in text
    (out / "manifest.json").write_text("{not json")
    code, text = _verify(out, capsys)
    assert code == 2 and "cannot be read" in text
    with pytest.raises(InputError):
        verify_outputs(tmp_path / "nowhere")
