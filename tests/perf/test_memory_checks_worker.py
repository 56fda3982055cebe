"""The checks worker can be started late (after the stream), so its ~200 MB of GX does not
sit beside the streaming workers; started late or early it gives the same report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from checks.checks_frames import build_frame

from ftprep.checks import ChecksWorker, run_checks

LIMIT = 1000


def _frame() -> pd.DataFrame:
    frame = build_frame()
    frame.loc[3, "total_tokens"] = 0  # one failing check, so results carry ids
    return frame


def test_deferred_worker_spawns_nothing_until_started() -> None:
    worker = ChecksWorker(start=False)
    try:
        assert not worker.started
        assert worker._proc is None
        worker.start()
        assert worker.started
        first = worker._proc
        assert first is not None
        worker.start()  # a second start keeps the same child
        assert worker._proc is first
    finally:
        worker.close()
    assert worker._proc is None


def test_deferred_worker_starts_on_demand_and_matches_in_process() -> None:
    frame = _frame()
    direct = run_checks(frame, example_token_limit=LIMIT)
    with ChecksWorker(start=False) as worker:
        via = worker.run_checks(frame, example_token_limit=LIMIT)
        assert worker.started
        assert via.to_dict()["results"] == direct.to_dict()["results"]
        assert via.success == direct.success is False


def test_closed_before_start_runs_in_process_and_never_spawns() -> None:
    frame = _frame()
    worker = ChecksWorker(start=False)
    worker.close()
    report = worker.run_checks(frame, example_token_limit=LIMIT)
    assert worker._proc is None
    assert report.to_dict()["results"] == run_checks(frame, example_token_limit=LIMIT).to_dict()[
        "results"]


def test_checks_read_only_the_required_columns_without_a_user_suite(tmp_path: Path) -> None:
    from ftprep.checks import REQUIRED_COLUMNS, checks_input

    frame = _frame()
    frame["pii_EMAIL"] = 3
    frame["line"] = range(len(frame))
    assert list(checks_input(frame).columns) == list(REQUIRED_COLUMNS)
    assert checks_input(frame, suite_path=tmp_path / "s.json") is frame
    assert checks_input(frame, data_docs_dir=tmp_path) is frame
    slim = run_checks(frame[list(REQUIRED_COLUMNS)], example_token_limit=LIMIT).to_dict()
    full = run_checks(frame, example_token_limit=LIMIT).to_dict()
    slim.pop("seconds", None)
    full.pop("seconds", None)
    assert slim == full


def test_a_user_suite_still_sees_every_column(tmp_path: Path) -> None:
    frame = _frame()
    frame["pii_EMAIL"] = 0
    frame.loc[5, "pii_EMAIL"] = 2
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"expectations": [{
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "pii_EMAIL", "max_value": 0},
        "meta": {"ftprep": {"name": "no_emails", "severity": "error"}}}]}))
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite)
    mine = [r for r in report.results if r.name == "no_emails"]
    assert len(mine) == 1 and not mine[0].success


_BACKGROUND_RUN = """
import sys, threading
from pathlib import Path
import ftprep.checks as checks
import ftprep.pipeline as pipeline
from ftprep.config import PrepareConfig
pipeline.CHECKS_HELPER_MAX_BYTES = 0  # a 'large' input: the checks run in this process
started = []
real = checks.import_gx_in_background
def spy():
    started.append(sorted(sys.modules).count("great_expectations"))
    return real()
checks.import_gx_in_background = spy
inputs = [Path(p) for p in sys.argv[2:]]
pipeline.prepare(inputs, Path(sys.argv[1]), PrepareConfig(workers=2, batch_size=50, fail_on_leak=False),
                 b"0123456789abcdef0123456789abcdef-test-key")
assert started == [0], started  # started once, before anything had imported GX
assert not [t for t in threading.enumerate() if t.name == "ftprep-gx-import"]
"""


def test_gx_imported_in_background_while_workers_scan(tmp_path: Path) -> None:
    """A large input with workers: great-expectations is imported by a thread while the leak
    scan's worker processes run; the outputs and manifest are the single-worker run's."""
    import subprocess
    import sys

    from helpers import SAMPLE

    from ftprep.config import PrepareConfig
    from ftprep.pipeline import prepare

    chats = tmp_path / "chats.jsonl"  # 120 of the sample's 320 chats: three batches of 50
    chats.write_bytes(b"".join((SAMPLE / "support_chat.jsonl").read_bytes().splitlines(True)[:120]))
    inputs = [str(chats), str(SAMPLE / "broken.jsonl")]
    subprocess.run([sys.executable, "-c", _BACKGROUND_RUN, str(tmp_path / "w2"), *inputs], check=True)
    prepare([Path(p) for p in inputs], tmp_path / "w1",
            PrepareConfig(workers=1, batch_size=50, fail_on_leak=False),
            b"0123456789abcdef0123456789abcdef-test-key")
    for name in ("train.jsonl", "validation.jsonl", "rejected.jsonl", "manifest.json"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name
    assert json.loads((tmp_path / "w2" / "manifest.json").read_text())["checks"]["results"]
