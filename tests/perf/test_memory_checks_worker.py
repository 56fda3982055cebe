"""The checks worker can be started late (after the stream), so its ~200 MB of GX does not
sit beside the streaming workers; started late or early it gives the same report."""

from __future__ import annotations

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
