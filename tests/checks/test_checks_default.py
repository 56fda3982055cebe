"""Each default expectation, broken by a dataset made for it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from checks_frames import LIMIT, build_frame

from ftprep.checks import CheckSettings, ChecksReport, run_checks


def by_name(report: ChecksReport) -> dict[str, object]:
    return {r.name: r for r in report.results}


def failed(report: ChecksReport) -> set[str]:
    return {r.name for r in report.results if not r.success}


def test_clean_frame_passes_every_default_check(frame: pd.DataFrame) -> None:
    report = run_checks(frame, example_token_limit=LIMIT)
    assert report.success
    assert failed(report) == set()
    names = [r.name for r in report.results]
    assert names == [
        "train_min_rows", "job_token_quota", "total_tokens_in_range", "assistant_not_empty",
        "no_special_tokens", "no_residual_identifiers", "no_duplicates_within_split",
        "no_exact_leakage", "no_near_duplicate_leakage", "roles_valid_for_format",
        "near_duplicate_rate", "system_message_share",
    ]
    assert report.rows_checked == 24  # rejected rows are not checked
    assert all(r.source == "default" for r in report.results)


def test_rejected_rows_are_ignored(frame: pd.DataFrame) -> None:
    rej = frame["split"] == "rejected"
    frame.loc[rej, "total_tokens"] = 0
    frame.loc[rej, "empty_assistant"] = 2
    frame.loc[rej, "special_token_hits"] = 1
    frame.loc[rej, "content_hash"] = frame.loc[0, "content_hash"]
    assert run_checks(frame, example_token_limit=LIMIT).success


def test_too_few_training_rows_is_an_error() -> None:
    report = run_checks(build_frame(n_train=9, n_val=1), example_token_limit=LIMIT)
    assert not report.success
    r = by_name(report)["train_min_rows"]
    assert (r.severity, r.success, r.observed_value) == ("error", False, 9)
    assert failed(report) == {"train_min_rows"}


def test_validation_rows_do_not_count_toward_the_minimum() -> None:
    report = run_checks(build_frame(n_train=5, n_val=20), example_token_limit=LIMIT)
    assert failed(report) == {"train_min_rows"}


def test_train_quota_rows_and_tokens(frame: pd.DataFrame) -> None:
    settings = CheckSettings(max_train_rows=15, max_job_tokens=1000)
    report = run_checks(frame, example_token_limit=LIMIT, settings=settings, epochs=2)
    res = by_name(report)
    assert not res["train_max_rows"].success and res["train_max_rows"].observed_value == 20
    quota = res["job_token_quota"]
    assert not quota.success and quota.observed_value == 20 * 120 * 2
    assert not report.success


def test_job_tokens_cap_each_example_at_the_limit(frame: pd.DataFrame) -> None:
    frame.loc[0, "total_tokens"] = 10 * LIMIT
    report = run_checks(frame, example_token_limit=LIMIT, epochs=1)
    assert by_name(report)["job_token_quota"].observed_value == 19 * 120 + LIMIT


@pytest.mark.parametrize("tokens", [0, LIMIT + 1])
def test_total_tokens_out_of_range(frame: pd.DataFrame, tokens: int) -> None:
    frame.loc[[2, 21], "total_tokens"] = tokens
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["total_tokens_in_range"]
    assert not r.success and r.severity == "error" and r.unexpected_count == 2
    assert r.example_ids == ["data.jsonl:3", "data.jsonl:22"]
    assert not report.success and failed(report) == {"total_tokens_in_range"}


def test_exactly_at_the_limit_passes(frame: pd.DataFrame) -> None:
    frame.loc[0, "total_tokens"] = LIMIT
    assert run_checks(frame, example_token_limit=LIMIT).success


@pytest.mark.parametrize(("column", "check"), [
    ("empty_assistant", "assistant_not_empty"),
    ("special_token_hits", "no_special_tokens"),
])
def test_error_counters(frame: pd.DataFrame, column: str, check: str) -> None:
    frame.loc[5, column] = 1
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)[check]
    assert (r.success, r.severity, r.example_ids, r.column) == (False, "error", ["data.jsonl:6"], column)
    assert not report.success


def test_residual_identifiers_warn_by_default(frame: pd.DataFrame) -> None:
    frame.loc[7, "residual_identifiers"] = 3
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["no_residual_identifiers"]
    assert (r.success, r.severity, r.example_ids) == (False, "warn", ["data.jsonl:8"])
    assert report.success  # a warning does not fail the run
    strict = CheckSettings.from_dict({"severity": {"no_residual_identifiers": "error"}})
    assert not run_checks(frame, example_token_limit=LIMIT, settings=strict).success


def test_exact_duplicate_within_a_split_warns(frame: pd.DataFrame) -> None:
    frame.loc[3, "content_hash"] = frame.loc[1, "content_hash"]
    frame.loc[3, "simhash"] = frame.loc[1, "simhash"]
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["no_duplicates_within_split"]
    assert (r.success, r.severity, r.example_ids) == (False, "warn", ["data.jsonl:4"])
    assert report.success
    assert by_name(report)["no_exact_leakage"].success


def test_exact_leak_between_train_and_validation_is_an_error(frame: pd.DataFrame) -> None:
    frame.loc[22, ["content_hash", "simhash"]] = frame.loc[4, ["content_hash", "simhash"]].to_numpy()
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["no_exact_leakage"]
    assert (r.success, r.severity, r.example_ids) == (False, "error", ["data.jsonl:23"])
    # the exact leak is not double-reported as a near leak, nor as a within-split duplicate
    assert by_name(report)["no_near_duplicate_leakage"].success
    assert by_name(report)["no_duplicates_within_split"].success
    assert not report.success


def test_near_duplicate_leak_warns(frame: pd.DataFrame) -> None:
    base = int(frame.loc[4, "simhash"])
    frame.loc[21, "simhash"] = base ^ 0b1011  # 3 bits apart: within the default distance
    frame.loc[22, "simhash"] = base ^ 0b1111  # 4 bits apart: not a near duplicate
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["no_near_duplicate_leakage"]
    assert (r.success, r.severity, r.example_ids) == (False, "warn", ["data.jsonl:22"])
    assert report.success


def test_near_duplicate_distance_is_configurable(frame: pd.DataFrame) -> None:
    frame.loc[22, "simhash"] = int(frame.loc[4, "simhash"]) ^ 0b1111
    strict = CheckSettings(near_duplicate_distance=4)
    report = run_checks(frame, example_token_limit=LIMIT, settings=strict)
    assert by_name(report)["no_near_duplicate_leakage"].example_ids == ["data.jsonl:23"]


@pytest.mark.parametrize(("fmt", "roles", "ok"), [
    ("chat", "SUA", True), ("chat", "UAUA", True), ("chat", "SUATA", True),
    ("chat", "SU", False), ("chat", "", False), ("chat", "SU?A", False),
    ("completion", "UA", True), ("completion", "U", False),
    ("preference", "SUA", True), ("preference", "SUAU", False),
])
def test_role_sequences(frame: pd.DataFrame, fmt: str, roles: str, ok: bool) -> None:
    frame.loc[:, "format"] = fmt
    frame.loc[6, "roles"] = roles
    frame.loc[frame.index != 6, "roles"] = "UA"
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["roles_valid_for_format"]
    assert r.success is ok
    if not ok:
        assert r.example_ids == ["data.jsonl:7"] and not report.success


def test_near_duplicate_rate_warns_above_threshold(frame: pd.DataFrame) -> None:
    # 3 training rows that are near copies of row 0 -> 3 of 24 checked rows = 12.5 %
    base = int(frame.loc[0, "simhash"])
    for i, flip in zip((1, 2, 3), (1, 2, 4), strict=True):
        frame.loc[i, "simhash"] = base ^ flip
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["near_duplicate_rate"]
    assert not r.success and r.severity == "warn"
    assert r.observed_value == pytest.approx(3 / 24)
    assert r.unexpected_count == 3
    assert r.example_ids == ["data.jsonl:2", "data.jsonl:3", "data.jsonl:4"]
    relaxed = CheckSettings(max_near_duplicate_rate=0.2)
    assert by_name(run_checks(frame, example_token_limit=LIMIT, settings=relaxed))[
        "near_duplicate_rate"].success


def test_system_message_share_reported_and_thresholded(frame: pd.DataFrame) -> None:
    frame.loc[:9, "has_system"] = False
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["system_message_share"]
    assert r.success and r.observed_value == pytest.approx(10 / 24)  # reported, not failed
    strict = CheckSettings.from_dict({"max_no_system_share": 0.25})
    r2 = by_name(run_checks(frame, example_token_limit=LIMIT, settings=strict))["system_message_share"]
    assert not r2.success and r2.severity == "warn" and len(r2.example_ids) == 10


def test_example_ids_are_capped_and_never_values(make_frame) -> None:
    frame = make_frame(n_train=60)
    frame.loc[:, "total_tokens"] = LIMIT + 7
    report = run_checks(frame, example_token_limit=LIMIT)
    r = by_name(report)["total_tokens_in_range"]
    assert r.unexpected_count == 64 and len(r.example_ids) == 20
    assert all(i.startswith("data.jsonl:") for i in r.example_ids)
    text = json.dumps(report.to_dict())
    assert str(LIMIT + 7) not in text
    assert "partial_unexpected" not in text and "unexpected_list" not in text


def test_severity_off_skips_a_check(frame: pd.DataFrame) -> None:
    frame.loc[0, "special_token_hits"] = 1
    settings = CheckSettings.from_dict({"severity": {"no_special_tokens": "off"}})
    report = run_checks(frame, example_token_limit=LIMIT, settings=settings)
    assert "no_special_tokens" not in by_name(report) and report.success


def test_error_can_be_downgraded_to_warn(frame: pd.DataFrame) -> None:
    frame.loc[0, "empty_assistant"] = 1
    settings = CheckSettings.from_dict({"severity": {"assistant_not_empty": "warn"}})
    report = run_checks(frame, example_token_limit=LIMIT, settings=settings)
    assert report.success and report.warnings[0].name == "assistant_not_empty"


def test_empty_frame_fails_only_the_minimum(make_frame) -> None:
    frame = make_frame(n_train=0, n_val=0, n_rejected=3)
    report = run_checks(frame, example_token_limit=LIMIT)
    assert failed(report) == {"train_min_rows"}
    assert report.rows_checked == 0


def test_report_serialises_to_json(frame: pd.DataFrame) -> None:
    frame.loc[1, "has_system"] = np.False_
    d = run_checks(frame, example_token_limit=LIMIT).to_dict()
    again = json.loads(json.dumps(d))
    assert again["success"] is True and again["gx_version"].startswith("1.")
    assert set(again["results"][0]) >= {"expectation", "column", "severity", "success",
                                        "observed_value", "unexpected_count", "example_ids"}
