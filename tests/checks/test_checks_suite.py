"""User suites (--suite), settings parsing, and the near-duplicate helper."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from checks_frames import LIMIT

from ftprep.checks import (
    DEFAULT_CHECK_NAMES,
    CheckSettings,
    default_epochs,
    near_duplicate_flags,
    run_checks,
)
from ftprep.errors import ConfigError


def write_suite(path: Path, expectations: list[dict]) -> Path:
    path.write_text(json.dumps({"name": "mine", "expectations": expectations}), encoding="utf-8")
    return path


MAX_MESSAGES_2 = {"type": "expect_column_values_to_be_between",
                  "kwargs": {"column": "n_messages", "max_value": 2}}


def test_user_suite_changes_the_verdict(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert run_checks(frame, example_token_limit=LIMIT).success
    suite = write_suite(tmp_path / "s.json", [MAX_MESSAGES_2])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite)
    assert not report.success
    user = [r for r in report.results if r.source == "user"]
    assert len(user) == 1
    assert (user[0].severity, user[0].unexpected_count, user[0].column) == ("error", 24, "n_messages")
    assert user[0].example_ids[0] == "data.jsonl:1"
    # merged: the default checks ran as well
    assert {r.name for r in report.results} >= set(DEFAULT_CHECK_NAMES) - {"train_max_rows"}


def test_user_suite_can_pass_a_failing_default_by_replacing(frame: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    frame.loc[0, "special_token_hits"] = 2
    suite = write_suite(tmp_path / "s.json", [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "n_messages", "min_value": 1}},
    ])
    assert not run_checks(frame, example_token_limit=LIMIT, suite_path=suite).success
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite, suite_mode="replace")
    assert report.success and len(report.results) == 1


def test_user_expectation_named_like_a_default_overrides_it(frame: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    frame.loc[0, "special_token_hits"] = 2
    suite = write_suite(tmp_path / "s.json", [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "special_token_hits", "max_value": 5},
         "meta": {"ftprep": {"name": "no_special_tokens"}}},
    ])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite)
    assert report.success
    assert [r.source for r in report.results if r.name == "no_special_tokens"] == ["user"]


def test_gx_severity_maps_to_ftprep_severity(frame: pd.DataFrame, tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.json", [dict(MAX_MESSAGES_2, severity="warning")])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite)
    assert report.success and report.warnings[0].source == "user"


def test_user_expectations_on_helper_columns(frame: pd.DataFrame, tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.json", [
        {"type": "expect_column_sum_to_be_between",
         "kwargs": {"column": "chk_is_train", "min_value": 50}},
    ])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite, suite_mode="replace")
    assert not report.success and report.results[0].observed_value == 20


def test_missing_column_is_a_failed_check_not_a_crash(frame: pd.DataFrame,
                                                      tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.json", [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "nope", "max_value": 1}},
    ])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite, suite_mode="replace")
    assert not report.success
    assert report.results[0].error is not None


def test_observed_values_that_are_not_numbers_are_type_tags(frame: pd.DataFrame,
                                                            tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.json", [
        {"type": "expect_column_most_common_value_to_be_in_set",
         "kwargs": {"column": "roles", "value_set": ["UA"]}},
    ])
    report = run_checks(frame, example_token_limit=LIMIT, suite_path=suite, suite_mode="replace")
    assert report.results[0].observed_value == "<list>"


@pytest.mark.parametrize(("content", "words"), [
    (None, "not found"),
    ("{not json", "not valid JSON"),
    ('{"name": "x"}', "'expectations' list"),
    ('{"expectations": [{"type": "expect_no_such_thing", "kwargs": {}}]}', "not a valid"),
])
def test_bad_suite_files(frame: pd.DataFrame, tmp_path: Path, content: str | None,
                         words: str) -> None:
    path = tmp_path / "suite.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        run_checks(frame, example_token_limit=LIMIT, suite_path=path)


def test_replace_without_a_suite_is_a_config_error(frame: pd.DataFrame) -> None:
    with pytest.raises(ConfigError):
        run_checks(frame, example_token_limit=LIMIT, suite_mode="replace")
    with pytest.raises(ConfigError):
        run_checks(frame, example_token_limit=LIMIT, suite_mode="sideways")


def test_settings_from_dict_round_trip() -> None:
    d = {"min_train_rows": 50, "max_train_rows": 0, "max_job_tokens": 10**9,
         "near_duplicate_distance": 2, "max_near_duplicate_rate": 0.1,
         "max_no_system_share": 0.5, "min_total_tokens": 5,
         "severity": {"no_residual_identifiers": "error", "system_message_share": "off"}}
    s = CheckSettings.from_dict(d)
    assert s.max_train_rows is None  # 0 means no limit
    assert s.severity_of("no_residual_identifiers", "warn") == "error"
    assert CheckSettings.from_dict(s.to_dict() | {"max_train_rows": 0}) == s
    assert CheckSettings.from_dict({}) == CheckSettings()
    hash(s)  # usable as a cache key


@pytest.mark.parametrize(("d", "words"), [
    ({"min_rows": 10}, "checks.min_rows"),
    ({"severity": {"no_such_check": "warn"}}, "no_such_check"),
    ({"severity": {"no_special_tokens": "fatal"}}, "must be one of"),
    ({"min_train_rows": "10"}, "integer"),
    ({"min_train_rows": True}, "integer"),
    ({"max_near_duplicate_rate": 2}, "between 0 and 1"),
    ({"near_duplicate_distance": 40}, "between 0 and 16"),
    ({"severity": "warn"}, "table"),
])
def test_settings_errors_name_the_key(d: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        CheckSettings.from_dict(d)


def test_default_epochs_heuristic() -> None:
    assert default_epochs(10) == 10  # 3n < 100 -> min(25, 100 // n)
    assert default_epochs(3) == 25
    assert default_epochs(100) == 3
    assert default_epochs(10_000) == 2  # 3n > 25,000 -> max(1, 25,000 // n)
    assert default_epochs(0) == 0


def brute_force(values: np.ndarray, is_train: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    u = values.astype(np.int64).view(np.uint64)
    dist = np.bitwise_count(u[:, None] ^ u[None, :])
    close = dist <= d
    np.fill_diagonal(close, False)
    n = len(u)
    earlier = np.tril(np.ones((n, n), dtype=bool), k=-1)
    return (close & earlier).any(axis=1), (close & is_train[None, :]).any(axis=1)


@pytest.mark.parametrize("distance", [0, 1, 3, 5])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_near_duplicate_flags_match_brute_force(distance: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=40, dtype=np.int64)
    # Clusters: copies with 0..6 random bit flips, plus exact repeats.
    values = []
    for _ in range(300):
        v = int(base[rng.integers(0, len(base))]) & ((1 << 64) - 1)
        for bit in rng.choice(64, size=rng.integers(0, 7), replace=False):
            v ^= 1 << int(bit)
        values.append(v - (1 << 64) if v >= 1 << 63 else v)
    arr = np.array(values, dtype=np.int64)
    is_train = rng.random(len(arr)) < 0.8
    got = near_duplicate_flags(arr, is_train, distance)
    want = brute_force(arr, is_train, distance)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_near_duplicate_flags_on_empty_input() -> None:
    a, b = near_duplicate_flags(np.array([], dtype=np.int64), np.array([], dtype=bool), 3)
    assert len(a) == len(b) == 0


def test_checks_worker_gives_the_same_report(frame: pd.DataFrame, tmp_path: Path) -> None:
    from ftprep.checks import ChecksWorker

    frame.loc[3, "total_tokens"] = 0
    direct = run_checks(frame, example_token_limit=LIMIT)
    with ChecksWorker() as worker:
        via = worker.run_checks(frame, example_token_limit=LIMIT)
        assert via.to_dict()["results"] == direct.to_dict()["results"]
        assert not via.success
        # errors raised in the child come back as the same class; the child keeps serving
        with pytest.raises(ConfigError, match="not found"):
            worker.run_checks(frame, example_token_limit=LIMIT,
                              suite_path=tmp_path / "missing.json")
        assert worker.run_checks(frame, example_token_limit=LIMIT).rows_checked == 24


def test_checks_worker_close_without_use() -> None:
    from ftprep.checks import ChecksWorker

    worker = ChecksWorker()
    worker.close()
    worker.close()


def test_data_docs_are_built_on_request(frame: pd.DataFrame, tmp_path: Path) -> None:
    from ftprep.checks import data_docs_index

    frame.loc[2, "total_tokens"] = 0
    docs = tmp_path / "docs"
    report = run_checks(frame, example_token_limit=LIMIT, data_docs_dir=docs)
    assert not report.success
    assert report.to_dict()["results"] == run_checks(frame, example_token_limit=LIMIT).to_dict()[
        "results"]
    index = data_docs_index(docs)
    assert index.is_file()
    pages = list((docs / "validations").rglob("*.html"))
    assert pages and "total_tokens" in pages[0].read_text(encoding="utf-8")


def test_with_severity_overrides_a_copy_and_rejects_unknown_checks() -> None:
    from ftprep.checks import CheckSettings, with_severity
    from ftprep.errors import ConfigError

    base = CheckSettings(severity=(("train_min_rows", "warn"),))
    changed = with_severity(base, job_token_quota="off", train_min_rows="error")
    assert dict(changed.severity) == {"job_token_quota": "off", "train_min_rows": "error"}
    assert base.severity == (("train_min_rows", "warn"),)  # the original is left alone
    with pytest.raises(ConfigError, match="unknown check"):
        with_severity(base, no_such_check="off")
    with pytest.raises(ConfigError, match="must be one of"):
        with_severity(base, job_token_quota="loud")
