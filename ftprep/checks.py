"""Data-quality checks: a great-expectations suite over the per-example stats frame.

The frame (see :mod:`ftprep.stats`) holds ids, counts and flags, never text. The
checks add a few helper columns computed with pandas/numpy (duplicates, leakage
between splits, role-sequence validity, ...) and then run one great-expectations
(GX 1.x) suite over the train + validation rows in an *ephemeral* context, so
nothing is written to disk.

Every expectation has a stable ftprep name (the key under ``[checks.severity]``
in ``ftprep.toml``), a severity (``error`` fails the run, ``warn`` is reported,
``off`` skips it) and thresholds taken from :class:`CheckSettings`.

Results are normalised into :class:`CheckResult` objects: GX's
``partial_unexpected_list`` / ``unexpected_list`` are never copied (they hold
the failing *values*); failing rows are named by ``example_id`` only, which GX
returns through ``unexpected_index_column_names``.

``great_expectations`` costs about 2 s to import, so it is imported lazily, and
:class:`ChecksWorker` can start that import in a spawned process at the beginning
of a run so that it overlaps with the other stages.
"""

from __future__ import annotations

import contextlib
import html
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ConfigError, DataError
from .heap import trim_heap

SEVERITIES = ("error", "warn", "off")
CHECKED_SPLITS = ("train", "validation")
ROW_COLUMN = "chk_row"  # the default suite's row number column (GX's unexpected index)
MAX_EXAMPLE_IDS = 20
TRIM_MIN_ROWS = 1 << 16  # smaller frames skip the heap trim (a full GC costs ~0.1 s)
SUITE_MODES = ("merge", "replace")

# The service will not start a job with fewer than 10 training examples (spec,
# "Encoding and file rules"). Azure: one job at most 2 billion tokens x epochs
# (spec, quota defaults; check the live quota page).
SERVICE_MIN_TRAIN_ROWS = 10
AZURE_MAX_JOB_TOKENS = 2_000_000_000

# Columns of the stats frame that the default suite reads.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "example_id", "split", "format", "roles", "has_system", "total_tokens",
    "empty_assistant", "special_token_hits", "content_hash", "simhash",
    "residual_identifiers",
)

# Columns the default suite reads only through the helper columns (dropped before GX
# validates the frame when no user suite or Data Docs may name them).
HELPER_INPUTS: tuple[str, ...] = ("split", "format", "roles", "has_system", "content_hash", "simhash")

# Helper columns added before validation; user suites may expect on them too.
HELPER_COLUMNS: dict[str, str] = {
    "chk_is_train": "1 for a training row, else 0",
    "chk_job_tokens": "training rows: min(total_tokens, limit) x epochs, else 0",
    "chk_duplicate_in_split": "1 when an earlier row of the same split has the same content_hash",
    "chk_exact_leak": "1 for a validation row whose content_hash is also in train",
    "chk_near_leak": "1 for a validation row within the SimHash distance of a train row "
                     "(exact leaks excluded)",
    "chk_near_duplicate": "1 when an earlier row (any split) is within the SimHash distance",
    "chk_roles_ok": "1 when the role sequence is valid for the row's format",
    "chk_no_system": "1 when the example has no system message",
}

# Role-sequence rules per format, over the one-letter role codes of ftprep.stats
# (S system, U user, A assistant, T tool, F function, ? other).
_ROLE_RULES: dict[str, re.Pattern[str]] = {
    # chat: known roles only, and at least one assistant message (spec, chat format).
    "chat": re.compile(r"[SUATF]*A[SUATF]*"),
    # preference: input messages then the preferred output, which is an assistant turn.
    "preference": re.compile(r"[SUATF]*A[T]*"),
    # prompt-completion: the stats frame encodes it as one user and one assistant turn.
    "completion": re.compile(r"UA"),
}
_DEFAULT_ROLE_RULE = re.compile(r"[SUATF]*A[SUATF]*")

_GX_SEVERITY = {"critical": "error", "warning": "warn", "info": "warn"}
_gx_lock = threading.Lock()
_run_lock = threading.Lock()  # GX keeps a process-global 'current context'


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds and severities of the default suite (the ``[checks]`` table).

    ``severity`` overrides hold ``(check name, "error"|"warn"|"off")`` pairs;
    use :meth:`from_dict` to build them from a mapping.
    """

    min_train_rows: int = SERVICE_MIN_TRAIN_ROWS
    max_train_rows: int | None = None
    max_job_tokens: int | None = AZURE_MAX_JOB_TOKENS
    min_total_tokens: int = 1
    near_duplicate_distance: int = 3
    max_near_duplicate_rate: float = 0.05
    max_no_system_share: float = 1.0
    severity: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.min_train_rows < 0:
            raise ConfigError("checks.min_train_rows must be >= 0")
        if self.max_train_rows is not None and self.max_train_rows < self.min_train_rows:
            raise ConfigError("checks.max_train_rows must be >= checks.min_train_rows")
        if self.max_job_tokens is not None and self.max_job_tokens <= 0:
            raise ConfigError("checks.max_job_tokens must be > 0")
        if self.min_total_tokens < 0:
            raise ConfigError("checks.min_total_tokens must be >= 0")
        if not 0 <= self.near_duplicate_distance <= 16:
            raise ConfigError("checks.near_duplicate_distance must be between 0 and 16")
        for name in ("max_near_duplicate_rate", "max_no_system_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"checks.{name} must be between 0 and 1")
        for check, sev in self.severity:
            if sev not in SEVERITIES:
                raise ConfigError(
                    f"checks.severity.{check} must be one of {', '.join(SEVERITIES)}"
                )

    def severity_of(self, name: str, default: str) -> str:
        for check, sev in self.severity:
            if check == name:
                return sev
        return default

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckSettings:
        """Build settings from the ``[checks]`` table; unknown keys raise ConfigError.

        ``max_train_rows = 0`` and ``max_job_tokens = 0`` mean "no limit" (TOML has
        no null).
        """
        known = {f for f in cls.__dataclass_fields__}
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key not in known:
                raise ConfigError(f"unknown key checks.{key} in the [checks] table")
            if key == "severity":
                kwargs[key] = _parse_severity_table(value)
            elif key in ("max_train_rows", "max_job_tokens"):
                kwargs[key] = _int_or_none(key, value)
            elif key in ("max_near_duplicate_rate", "max_no_system_share"):
                kwargs[key] = _number(key, value)
            else:
                kwargs[key] = _integer(key, value)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_train_rows": self.min_train_rows,
            "max_train_rows": self.max_train_rows,
            "max_job_tokens": self.max_job_tokens,
            "min_total_tokens": self.min_total_tokens,
            "near_duplicate_distance": self.near_duplicate_distance,
            "max_near_duplicate_rate": self.max_near_duplicate_rate,
            "max_no_system_share": self.max_no_system_share,
            "severity": dict(self.severity),
        }


def _parse_severity_table(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError("checks.severity must be a table of check name = severity")
    known = set(DEFAULT_CHECK_NAMES)
    pairs: list[tuple[str, str]] = []
    for name, sev in value.items():
        if not isinstance(name, str) or name not in known:
            raise ConfigError(f"unknown check checks.severity.{name} "
                              f"(known: {', '.join(DEFAULT_CHECK_NAMES)})")
        if sev not in SEVERITIES:
            raise ConfigError(f"checks.severity.{name} must be one of {', '.join(SEVERITIES)}")
        pairs.append((name, str(sev)))
    return tuple(sorted(pairs))


def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"checks.{key} must be an integer")
    return value


def _int_or_none(key: str, value: Any) -> int | None:
    if value is None:
        return None
    n = _integer(key, value)
    return None if n == 0 else n


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"checks.{key} must be a number")
    return float(value)


# --------------------------------------------------------------------------- results


@dataclass
class CheckResult:
    """One expectation's normalised outcome: ids and figures, never data values."""

    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: Any
    unexpected_count: int
    example_ids: list[str] = field(default_factory=list)
    name: str = ""
    description: str = ""
    source: str = "default"
    error: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. a manifest's ``checks``)."""
        return cls(
            expectation=str(d.get("expectation", "")),
            column=d.get("column"),
            severity=str(d.get("severity", "error")),
            success=bool(d.get("success")),
            observed_value=d.get("observed_value"),
            unexpected_count=int(d.get("unexpected_count") or 0),
            example_ids=[str(x) for x in d.get("example_ids") or []][:MAX_EXAMPLE_IDS],
            name=str(d.get("name") or ""),
            description=str(d.get("description") or ""),
            source=str(d.get("source") or "default"),
            error=d.get("error"),
        )

    @property
    def failed_error(self) -> bool:
        return not self.success and self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "success": self.success,
            "observed_value": self.observed_value,
            "unexpected_count": self.unexpected_count,
            "example_ids": list(self.example_ids),
            "description": self.description,
            "source": self.source,
            "error": self.error,
        }


@dataclass
class ChecksReport:
    """The outcome of :func:`run_checks`. ``success`` is False iff an error-severity check failed."""

    success: bool
    results: list[CheckResult]
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    gx_version: str = ""
    rows_checked: int = 0

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success]

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed_error]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "engine": "great_expectations",
            "gx_version": self.gx_version,
            "rows_checked": self.rows_checked,
            "seconds": round(self.seconds, 3),
            "failed_errors": len(self.errors),
            "failed_warnings": len(self.warnings),
            "settings": self.settings,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChecksReport:
        """Rebuild a report from :meth:`to_dict` output (e.g. ``manifest["checks"]``)."""
        return cls(
            success=bool(d.get("success")),
            results=[CheckResult.from_dict(r) for r in d.get("results") or []],
            seconds=float(d.get("seconds") or 0.0),
            settings=dict(d.get("settings") or {}),
            gx_version=str(d.get("gx_version") or ""),
            rows_checked=int(d.get("rows_checked") or 0),
        )

    def to_frame(self) -> pd.DataFrame:
        """The results as a DataFrame (one row per expectation)."""
        cols = ["name", "severity", "success", "expectation", "column", "observed_value",
                "unexpected_count", "example_ids"]
        rows = [{c: r.to_dict()[c] for c in cols} for r in self.results]
        return pd.DataFrame(rows, columns=cols)

    def _repr_html_(self) -> str:
        return checks_table_html(self.results, self.success, self.seconds)

    def __str__(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        lines = [f"checks {verdict}: {len(self.results)} expectations, "
                 f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        for r in self.failures:
            ids = f" e.g. {', '.join(r.example_ids[:3])}" if r.example_ids else ""
            lines.append(f"  {r.severity} {r.name}: observed {format_observed(r.observed_value)}, "
                         f"{r.unexpected_count} unexpected{ids}")
        return "\n".join(lines)


def format_observed(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def checks_table_html(results: Iterable[CheckResult], success: bool,
                      seconds: float | None = None) -> str:
    """An HTML table of check results (escaped; used by _repr_html_ and report.html)."""
    esc = html.escape
    rows = []
    for r in results:
        status = "pass" if r.success else ("FAIL" if r.severity == "error" else "warn")
        cls = "ok" if r.success else ("bad" if r.severity == "error" else "warn")
        ids = ", ".join(r.example_ids[:5])
        if r.unexpected_count > 5 and r.example_ids:
            ids += ", ..."
        rows.append(
            f'<tr class="{cls}"><td>{esc(status)}</td><td>{esc(r.severity)}</td>'
            f"<td><b>{esc(r.name or r.expectation)}</b><br><small>{esc(r.description)}</small></td>"
            f"<td><code>{esc(r.expectation)}</code></td><td>{esc(r.column or '')}</td>"
            f"<td>{esc(format_observed(r.observed_value))}</td>"
            f"<td>{r.unexpected_count:,}</td><td><small>{esc(ids)}</small></td></tr>"
        )
    verdict = "passed" if success else "failed"
    took = f" ({seconds:.2f} s)" if seconds else ""
    return (
        f'<div class="ftprep-checks"><p><b>checks {verdict}</b>{took}</p>'
        '<table class="ftprep-checks-table"><thead><tr><th>status</th><th>severity</th>'
        "<th>check</th><th>expectation</th><th>column</th><th>observed</th>"
        "<th>unexpected</th><th>example ids</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div>"
    )


# --------------------------------------------------------------------------- default suite


@dataclass(frozen=True)
class _Spec:
    """One default expectation before it becomes a GX object."""

    name: str
    gx_class: str
    kwargs: dict[str, Any]
    default_severity: str
    description: str
    flag_column: str | None = None  # helper column naming the failing rows of an aggregate


DEFAULT_CHECK_NAMES: tuple[str, ...] = (
    "train_min_rows",
    "train_max_rows",
    "job_token_quota",
    "total_tokens_in_range",
    "assistant_not_empty",
    "no_special_tokens",
    "no_residual_identifiers",
    "no_duplicates_within_split",
    "no_exact_leakage",
    "no_near_duplicate_leakage",
    "roles_valid_for_format",
    "near_duplicate_rate",
    "system_message_share",
)


def default_specs(settings: CheckSettings, example_token_limit: int) -> list[_Spec]:
    s = settings
    specs = [
        _Spec("train_min_rows", "ExpectColumnSumToBeBetween",
              {"column": "chk_is_train", "min_value": s.min_train_rows}, "error",
              f"at least {s.min_train_rows} training examples (service minimum: 10)"),
        _Spec("total_tokens_in_range", "ExpectColumnValuesToBeBetween",
              {"column": "total_tokens", "min_value": s.min_total_tokens,
               "max_value": example_token_limit}, "error",
              f"tokens per example between {s.min_total_tokens} and the model limit "
              f"{example_token_limit:,}"),
        _Spec("assistant_not_empty", "ExpectColumnValuesToBeBetween",
              {"column": "empty_assistant", "max_value": 0}, "error",
              "no assistant message with empty content"),
        _Spec("no_special_tokens", "ExpectColumnValuesToBeBetween",
              {"column": "special_token_hits", "max_value": 0}, "error",
              "no special token of the encoding in any text"),
        _Spec("no_residual_identifiers", "ExpectColumnValuesToBeBetween",
              {"column": "residual_identifiers", "max_value": 0}, "warn",
              "no identifier detected after pseudonymization"),
        _Spec("no_duplicates_within_split", "ExpectColumnValuesToBeBetween",
              {"column": "chk_duplicate_in_split", "max_value": 0}, "warn",
              "no exact duplicate example within a split"),
        _Spec("no_exact_leakage", "ExpectColumnValuesToBeBetween",
              {"column": "chk_exact_leak", "max_value": 0}, "error",
              "no validation example identical to a training example"),
        _Spec("no_near_duplicate_leakage", "ExpectColumnValuesToBeBetween",
              {"column": "chk_near_leak", "max_value": 0}, "warn",
              f"no validation example within SimHash distance {s.near_duplicate_distance} "
              "of a training example"),
        _Spec("roles_valid_for_format", "ExpectColumnValuesToBeBetween",
              {"column": "chk_roles_ok", "min_value": 1}, "error",
              "role sequence valid for the format (e.g. chat has an assistant turn)"),
        _Spec("near_duplicate_rate", "ExpectColumnMeanToBeBetween",
              {"column": "chk_near_duplicate", "max_value": s.max_near_duplicate_rate}, "warn",
              f"share of near-duplicate examples at most {s.max_near_duplicate_rate:.0%}",
              flag_column="chk_near_duplicate"),
        _Spec("system_message_share", "ExpectColumnMeanToBeBetween",
              {"column": "chk_no_system", "max_value": s.max_no_system_share}, "warn",
              f"share of examples without a system message at most {s.max_no_system_share:.0%}",
              flag_column="chk_no_system"),
    ]
    if s.max_train_rows is not None:
        specs.insert(1, _Spec(
            "train_max_rows", "ExpectColumnSumToBeBetween",
            {"column": "chk_is_train", "max_value": s.max_train_rows}, "error",
            f"at most {s.max_train_rows:,} training examples (quota)"))
    if s.max_job_tokens is not None:
        specs.insert(2, _Spec(
            "job_token_quota", "ExpectColumnSumToBeBetween",
            {"column": "chk_job_tokens", "max_value": s.max_job_tokens}, "error",
            f"billed training tokens x epochs at most {s.max_job_tokens:,} (job quota)"))
    return specs


# --------------------------------------------------------------------------- helper columns


def default_epochs(n_train: int) -> int:
    """The service's epoch heuristic (spec, "Counting tokens")."""
    if n_train <= 0:
        return 0
    if 3 * n_train < 100:
        return min(25, 100 // n_train)
    if 3 * n_train > 25_000:
        return max(1, 25_000 // n_train)
    return 3


def roles_valid(fmt: Any, roles: Any) -> bool:
    """Is a role-code sequence valid for its format?"""
    if not isinstance(roles, str):
        return False
    rule = _ROLE_RULES.get(fmt, _DEFAULT_ROLE_RULE) if isinstance(fmt, str) else _DEFAULT_ROLE_RULE
    return rule.fullmatch(roles) is not None


def near_duplicate_flags(
    simhash: np.ndarray, is_train: np.ndarray, distance: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(near_duplicate, near_train)`` boolean arrays, one entry per row.

    ``near_duplicate[i]``: an earlier row ``j < i`` has Hamming distance <= ``distance``.
    ``near_train[i]``: some training row ``j != i`` is within ``distance``.

    Candidate pairs come from banding (pigeonhole: with ``distance + 1`` bands, two
    64-bit values within ``distance`` bits agree on at least one band), then the
    exact distance is checked vectorised, so the cost stays near linear on real data.
    """
    n = len(simhash)
    near_dup = np.zeros(n, dtype=bool)
    near_train = np.zeros(n, dtype=bool)
    if n == 0:
        return near_dup, near_train
    values = simhash.astype(np.int64).view(np.uint64)
    uniq, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.reshape(-1)
    m = len(uniq)
    idx = np.arange(n)
    # Per unique value: first row index, second row index, first training row index.
    big = np.iinfo(np.int64).max
    first = np.full(m, big, dtype=np.int64)
    np.minimum.at(first, inverse, idx)
    masked = np.where(idx == first[inverse], big, idx)
    second = np.full(m, big, dtype=np.int64)
    np.minimum.at(second, inverse, masked)
    train_rows = np.where(is_train, idx, big)
    first_train = np.full(m, big, dtype=np.int64)
    np.minimum.at(first_train, inverse, train_rows)
    masked_train = np.where(is_train & (idx == first_train[inverse]), big, train_rows)
    second_train = np.full(m, big, dtype=np.int64)
    np.minimum.at(second_train, inverse, masked_train)

    # Neighbours among distinct values: earliest row and earliest training row nearby.
    nb_first = np.full(m, big, dtype=np.int64)
    nb_train = np.full(m, big, dtype=np.int64)
    if distance > 0 and m > 1:
        for a, b in _candidate_pairs(uniq, distance):
            np.minimum.at(nb_first, a, first[b])
            np.minimum.at(nb_first, b, first[a])
            np.minimum.at(nb_train, a, first_train[b])
            np.minimum.at(nb_train, b, first_train[a])

    v = inverse
    own_earlier = first[v] < idx
    near_dup = own_earlier | (nb_first[v] < idx)
    # A training row of the same value other than this row, or one of a neighbouring value.
    other_train_same = np.where(first_train[v] != idx, first_train[v], second_train[v]) != big
    near_train = other_train_same | (nb_train[v] != big)
    return near_dup, near_train


def _candidate_pairs(uniq: np.ndarray, distance: int) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Yield index arrays ``(a, b)`` of distinct values within ``distance`` bits."""
    bands = distance + 1
    width = 64 // bands
    for band in range(bands):
        shift = band * width
        bits = 64 - shift if band == bands - 1 else width
        mask = np.uint64((1 << bits) - 1)
        keys = (uniq >> np.uint64(shift)) & mask
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for s, e in zip(starts, ends, strict=True):
            if e - s < 2:
                continue
            group = order[s:e]
            yield from _close_pairs(uniq, group, distance)


#: Cells (row x column) of one distance block in :func:`_close_pairs`: 8 bytes each, so a
#: block holds at most ~8 MB however large a band's group gets (near-duplicate clusters in
#: a 1 GB log put 8,600 values in one group: 2,048 rows of it were 140 MB).
CLOSE_PAIR_CELLS = 1 << 20


def _close_pairs(
    uniq: np.ndarray, group: np.ndarray, distance: int, chunk: int = 2048
) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    vals = uniq[group]
    chunk = max(1, min(chunk, CLOSE_PAIR_CELLS // len(group)))
    for start in range(0, len(group), chunk):
        block = vals[start : start + chunk]
        d = np.bitwise_count(block[:, None] ^ vals[None, :])
        ii, jj = np.nonzero(d <= distance)
        ii = ii + start
        keep = ii < jj
        if keep.any():
            yield group[ii[keep]], group[jj[keep]]


def checks_input(frame: pd.DataFrame, suite_path: Any = None, data_docs_dir: Any = None
                 ) -> pd.DataFrame:
    """The columns the checks read: the default suite reads :data:`REQUIRED_COLUMNS` only,
    so without a user suite (which may name any column) or Data Docs (which show every
    column of failing rows) the others are left out - less to copy, pickle and validate
    (the frame grows with the input). Same results either way."""
    if suite_path is not None or data_docs_dir is not None:
        return frame
    if any(c not in frame.columns for c in REQUIRED_COLUMNS):
        return frame  # add_helper_columns names what is missing
    return frame[list(REQUIRED_COLUMNS)]


def add_helper_columns(
    frame: pd.DataFrame, *, example_token_limit: int, settings: CheckSettings,
    epochs: int | None = None,
) -> pd.DataFrame:
    """Return the train + validation rows with the ``chk_*`` helper columns added."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"the stats frame lacks column(s): {', '.join(missing)}")
    # the checked rows: a copy only when some are left out (copy-on-write: adding the
    # helper columns never writes to ``frame``; a copy of every row costs ~100 MB at 1 GB)
    checked = frame["split"].isin(CHECKED_SPLITS).to_numpy(dtype=bool)
    df = (frame if checked.all() else frame.loc[checked]).reset_index(drop=True)
    del checked
    is_train = (df["split"] == "train").to_numpy()
    n_train = int(is_train.sum())
    ep = epochs if epochs is not None else default_epochs(n_train)
    df["chk_is_train"] = is_train.astype("int64")
    billed = np.minimum(df["total_tokens"].to_numpy(dtype="int64"), example_token_limit)
    df["chk_job_tokens"] = np.where(is_train, billed * ep, 0).astype("int64")
    # content hashes as integer codes: a duplicate or a train/validation leak is the same
    # code again (hash tables of ~400k strings cost ~100 MB each at 1 GB of input)
    codes = pd.factorize(df["content_hash"], use_na_sentinel=False)[0]
    df["chk_duplicate_in_split"] = _repeated(codes * 2 + is_train).astype("int64")
    exact_leak = (~is_train) & np.isin(codes, codes[is_train])
    del codes
    df["chk_exact_leak"] = exact_leak.astype("int64")
    near_dup, near_train = near_duplicate_flags(
        df["simhash"].to_numpy(), is_train, settings.near_duplicate_distance
    )
    df["chk_near_leak"] = ((~is_train) & near_train & ~exact_leak).astype("int64")
    df["chk_near_duplicate"] = near_dup.astype("int64")
    df["chk_roles_ok"] = _roles_ok(df["format"], df["roles"]).astype("int64")
    df["chk_no_system"] = (~df["has_system"].astype(bool)).astype("int64")
    return df


def _repeated(keys: np.ndarray) -> np.ndarray:
    """True where an earlier row has the same key (``duplicated(keep="first")``)."""
    out = np.ones(len(keys), dtype=bool)
    if len(keys):
        out[np.unique(keys, return_index=True)[1]] = False  # each key's first row
    return out


def _roles_ok(formats: pd.Series, roles: pd.Series) -> np.ndarray:
    """:func:`roles_valid` of each row, decided once per distinct (format, roles) pair."""
    f_codes, f_values = pd.factorize(formats, use_na_sentinel=False)
    r_codes, r_values = pd.factorize(roles, use_na_sentinel=False)
    width = max(len(r_values), 1)
    pairs, inverse = np.unique(f_codes.astype(np.int64) * width + r_codes, return_inverse=True)
    valid = np.fromiter((roles_valid(f_values[p // width], r_values[p % width]) for p in pairs.tolist()),
                        dtype=bool, count=len(pairs))
    return valid[inverse.reshape(-1)]


# --------------------------------------------------------------------------- GX plumbing


class ChecksWorker:
    """Run the checks in a separate Python process that imports GX ahead of time.

    The ~2 s import of great_expectations then happens in parallel with other stages (in
    its own process, so no GIL contention and no fork of a half-imported module), and
    :meth:`run_checks` pipes the stats frame over and gets a :class:`ChecksReport` back.
    The child is a plain ``python -m ftprep.checks`` subprocess, so it works from scripts
    without a ``__main__`` guard and from notebooks. If the child fails for any reason
    the checks run in this process instead. Use as a context manager, or call :meth:`close`.

    The child holds about 200 MB once GX is imported. ``start=False`` defers it to
    :meth:`start` (or to :meth:`run_checks`): a run that streams a large input starts it
    when the stream is done and its workers are gone, so the import overlaps the leak
    pass instead of holding that memory for the whole stream.
    """

    def __init__(self, start: bool = True) -> None:
        import subprocess

        self._proc: subprocess.Popen[bytes] | None = None
        self._started = False
        if start:
            self.start()

    def start(self) -> None:
        """Start the child (GX import) now; a second call does nothing."""
        import subprocess
        import sys

        if self._started:
            return
        self._started = True
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ftprep.checks", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._proc = None

    @property
    def started(self) -> bool:
        return self._started

    def run_checks(self, frame: pd.DataFrame, **kwargs: Any) -> ChecksReport:
        """Same arguments as :func:`run_checks`; its errors are raised here."""
        import pickle

        t0 = time.perf_counter()
        self.start()
        proc = self._proc
        outcome: tuple[str, Any] | None = None
        if proc is not None and proc.stdin is not None and proc.stdout is not None:
            try:
                sent = checks_input(frame, kwargs.get("suite_path"), kwargs.get("data_docs_dir"))
                pickle.dump((sent, kwargs), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                del sent
                proc.stdin.flush()
                outcome = pickle.load(proc.stdout)
            except (OSError, EOFError, pickle.PickleError):
                self.close()
        if outcome is None:  # the child died or could not start: do it here
            return run_checks(frame, **kwargs)
        status, value = outcome
        if status == "error":
            raise value
        report: ChecksReport = value
        report.seconds = time.perf_counter() - t0  # what the caller waited, transfer included
        return report

    def close(self) -> None:
        """Stop the child (it may still be importing GX: do not wait for that). A worker
        closed before it started never starts (its checks run in this process)."""
        self._started = True
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            _reap(proc)

    def __enter__(self) -> ChecksWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reap(proc: Any) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=10)
    except Exception:  # noqa: BLE001 - a child that will not exit is killed
        proc.kill()
        proc.wait()


def _warmup_frame() -> pd.DataFrame:
    n = 12
    return pd.DataFrame({
        "example_id": [f"warmup:{i}" for i in range(n)], "split": ["train"] * n,
        "format": ["chat"] * n, "roles": ["UA"] * n, "has_system": [False] * n,
        "total_tokens": [10] * n, "empty_assistant": [0] * n, "special_token_hits": [0] * n,
        "content_hash": [str(i) for i in range(n)], "simhash": list(range(n)),
        "residual_identifiers": [0] * n,
    })


def _serve() -> int:
    """The ChecksWorker child: import GX at once, then answer requests until stdin closes."""
    import pickle
    import sys

    from ftprep import checks as real  # not __main__: results must unpickle as ftprep.checks

    real._import_gx()
    with contextlib.suppress(Exception):  # warm GX's lazy paths while the parent still works
        real.run_checks(_warmup_frame(), example_token_limit=100)
    while True:
        try:
            frame, kwargs = pickle.load(sys.stdin.buffer)
        except (EOFError, OSError, pickle.PickleError):
            return 0  # the parent closed stdin: done (or it never asked)
        try:
            outcome: tuple[str, Any] = ("ok", real.run_checks(frame, **kwargs))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            outcome = ("error", exc)
        pickle.dump(outcome, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()


# Optional GX back-ends that ftprep never uses (it validates a pandas frame). When one is
# installed (pyspark comes with ftprep's `spark` extra) GX imports it eagerly: +1.1 s and
# FutureWarnings on stderr. They are hidden from GX's import only, and only when nothing
# in this process has imported them yet; GX then treats them as not installed.
_GX_UNUSED_BACKENDS = ("pyspark",)


def import_gx_in_background() -> threading.Thread:
    """Start importing great-expectations (~3 s of CPU) in a daemon thread and return it.

    For a caller whose main thread is about to wait on worker processes: the import then
    costs no wall-clock time. An import error is left for :func:`run_checks` to raise.
    Join the thread before forking (a fork copies a half-done import's locks)."""

    def _load() -> None:
        with contextlib.suppress(Exception):
            _import_gx()

    thread = threading.Thread(target=_load, name="ftprep-gx-import", daemon=True)
    thread.start()
    return thread


def _import_gx() -> Any:
    import sys
    import warnings

    with _gx_lock:
        if "great_expectations" in sys.modules:
            return sys.modules["great_expectations"]
        # GX analytics would try the network: off unless the user says otherwise.
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        hidden = [m for m in _GX_UNUSED_BACKENDS if m not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import` fail fast
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                import great_expectations as gx
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
        return gx


def _default_expectations(
    gx: Any, specs: list[_Spec], settings: CheckSettings
) -> tuple[list[Any], dict[str, _Spec]]:
    exps: list[Any] = []
    by_name: dict[str, _Spec] = {}
    for spec in specs:
        sev = settings.severity_of(spec.name, spec.default_severity)
        if sev == "off":
            continue
        cls = getattr(gx.expectations, spec.gx_class)
        exps.append(cls(**spec.kwargs, meta={"ftprep": {"name": spec.name, "severity": sev}},
                        catch_exceptions=True))
        by_name[spec.name] = spec
    return exps, by_name


def load_user_suite(gx: Any, path: str | os.PathLike[str]) -> list[Any]:
    """Read a GX suite JSON file and return its expectation objects."""
    import json

    from .io import JSONTooDeep, loads_bounded

    p = Path(path)
    try:
        data = loads_bounded(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: suite file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read suite file ({type(exc).__name__})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: suite file is not valid JSON (line {exc.lineno})") from None
    except JSONTooDeep:
        raise ConfigError(f"{p}: suite file is JSON nested too deep to parse") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(f"{p}: a GX suite JSON object with an 'expectations' list is expected")
    return [_user_expectation(p, i, item) for i, item in enumerate(data["expectations"])]


_EXPECTATION_KEYS = ("type", "kwargs", "meta", "notes", "description", "severity")


def _user_expectation(path: Path, index: int, item: Any) -> Any:
    """Build one GX expectation object from its JSON form; ConfigError names what is wrong."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    where = f"{path}: expectation #{index + 1}"
    if not isinstance(item, dict):
        raise ConfigError(f"{where} is not a JSON object")
    item = dict(item)
    if "type" not in item and "expectation_type" in item:  # GX 0.x spelling
        item["type"] = item.pop("expectation_type")
    etype = item.get("type")
    if not isinstance(etype, str) or not isinstance(item.get("kwargs", {}), dict):
        raise ConfigError(f"{where} needs a 'type' string and a 'kwargs' object")
    fields = {k: item[k] for k in _EXPECTATION_KEYS if k in item}
    fields.setdefault("kwargs", {})
    try:
        return ExpectationConfiguration(**fields).to_domain_obj()
    except Exception as exc:  # noqa: BLE001 - GX raises GX, pydantic and value errors here
        errors = getattr(exc, "errors", None)
        if callable(errors):
            try:
                locs = sorted({".".join(str(x) for x in e.get("loc", ())) for e in errors()})
            except Exception:  # noqa: BLE001
                locs = []
            detail = f"invalid arguments ({', '.join(locs)})" if locs else "invalid arguments"
        elif "NotFound" in type(exc).__name__:
            detail = "unknown expectation type"
        else:
            detail = type(exc).__name__
        raise ConfigError(f"{where} ({etype}) is not a valid great-expectations "
                          f"expectation: {detail}") from None


def _ftprep_meta(exp: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    meta = exp.meta if isinstance(exp.meta, Mapping) else {}
    ft = meta.get("ftprep")
    return meta, (ft if isinstance(ft, Mapping) else {})


def _user_name(exp: Any, index: int) -> str:
    meta, ft = _ftprep_meta(exp)
    name = ft.get("name") or meta.get("name")
    if isinstance(name, str) and name:
        return name
    return f"user_{index}_{exp.expectation_type}"


def _user_severity(exp: Any) -> str:
    _, ft = _ftprep_meta(exp)
    sev = ft.get("severity")
    if sev in SEVERITIES:
        return str(sev)
    gx_sev = getattr(exp.severity, "value", exp.severity)
    return _GX_SEVERITY.get(str(gx_sev), "error")


def _safe_observed(value: Any) -> Any:
    """Keep numbers, booleans and None; anything else could carry a value: type tag only."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        f = float(value)
        return None if math.isnan(f) else f
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return f"<{type(value).__name__}>"


def _ids_from_index_list(index_list: Any, example_ids: pd.Series | None = None) -> list[str]:
    """The example ids of GX's unexpected rows, named by ``example_id`` or by row number
    (:data:`ROW_COLUMN`, looked up in ``example_ids``)."""
    ids: list[str] = []
    if not isinstance(index_list, list):
        return ids
    for item in index_list:
        if not isinstance(item, Mapping):
            continue
        if "example_id" in item:
            ids.append(str(item["example_id"]))
        elif ROW_COLUMN in item and example_ids is not None:
            ids.append(str(example_ids.iat[int(item[ROW_COLUMN])]))
        else:
            continue
        if len(ids) >= MAX_EXAMPLE_IDS:
            break
    return ids


_MISSING_COLUMN = re.compile(r'The column "([^"]{1,100})" in BatchData does not exist')


def _exception_summary(info: Any) -> str | None:
    """One line for an expectation that raised; names a missing column, never data values."""
    if not isinstance(info, Mapping):
        return None
    found: list[Mapping[str, Any]] = []
    if info.get("raised_exception"):
        found.append(info)
    found.extend(v for v in info.values() if isinstance(v, Mapping) and v.get("raised_exception"))
    if not found:
        return None
    for item in found:
        m = _MISSING_COLUMN.search(str(item.get("exception_message", "")))
        if m:
            return f"column {m.group(1)!r} does not exist in the stats frame"
    return "the expectation could not be evaluated (wrong column type or arguments?)"


def _normalise(
    res: Any, spec: _Spec | None, severity: str, name: str, source: str,
    checked: pd.DataFrame,
) -> CheckResult:
    cfg = res.expectation_config
    kwargs = dict(cfg.kwargs)
    column = kwargs.get("column")
    result = res.result or {}
    error = _exception_summary(getattr(res, "exception_info", None))
    raised = error is not None
    unexpected = int(result.get("unexpected_count") or 0)
    if "observed_value" in result:
        observed = _safe_observed(result.get("observed_value"))
    elif "unexpected_count" in result:
        observed = unexpected
    else:
        observed = None
    ids = _ids_from_index_list(result.get("unexpected_index_list"),
                               checked["example_id"] if "example_id" in checked.columns else None)
    if spec is not None and spec.flag_column is not None and column in checked.columns:
        flagged = checked.loc[checked[spec.flag_column].astype(bool), "example_id"]
        unexpected = int(len(flagged))
        if not res.success:
            ids = [str(x) for x in flagged.head(MAX_EXAMPLE_IDS)]
    elif spec is not None and spec.gx_class == "ExpectColumnSumToBeBetween":
        unexpected = 0  # a table-level figure: no row is "the" failing one
    success = bool(res.success) and not raised
    if spec is not None and spec.flag_column is not None and len(checked) == 0:
        success, error = True, None  # a share of nothing: nothing to warn about
    return CheckResult(
        expectation=str(cfg.type),
        column=str(column) if isinstance(column, str) else None,
        severity=severity,
        success=success,
        observed_value=observed,
        unexpected_count=unexpected,
        example_ids=ids,
        name=name,
        description=spec.description if spec is not None else (cfg.description or ""),
        source=source,
        error=error,
    )


# --------------------------------------------------------------------------- entry point


def run_checks(
    frame: pd.DataFrame,
    *,
    example_token_limit: int,
    settings: CheckSettings | None = None,
    suite_path: str | os.PathLike[str] | None = None,
    suite_mode: str = "merge",
    epochs: int | None = None,
    data_docs_dir: str | os.PathLike[str] | None = None,
) -> ChecksReport:
    """Run the default suite (and/or a user GX suite) over the stats frame.

    Only rows whose ``split`` is ``train`` or ``validation`` are checked. With
    ``suite_mode="merge"`` the user's expectations are added to the default suite
    (one named like a default check, via ``meta.ftprep.name``, replaces it); with
    ``"replace"`` only the user's suite runs. ``epochs`` (default: the service's
    heuristic) scales the job-token quota check.

    ``data_docs_dir`` also builds GX Data Docs there (opt-in: those pages load CSS, JS
    and fonts from public CDNs, see :data:`DATA_DOCS_WARNING`; they show the stats
    frame's values of failing rows — ids and counts, never example text).
    """
    t0 = time.perf_counter()
    settings = settings or CheckSettings()
    if suite_mode not in SUITE_MODES:
        raise ConfigError(f"suite mode must be one of {', '.join(SUITE_MODES)}")
    if suite_mode == "replace" and suite_path is None:
        raise ConfigError("suite mode 'replace' needs a suite file")
    checked = add_helper_columns(checks_input(frame, suite_path, data_docs_dir),
                                 example_token_limit=example_token_limit,
                                 settings=settings, epochs=epochs)
    validated = checked
    if suite_path is None and data_docs_dir is None:  # only the helper columns read these
        checked = checked.drop(columns=list(HELPER_INPUTS))
        # GX names failing rows by their row number, not their example_id: the string
        # column made GX's validation cost ~80 MB more at 1 GB of input (Arrow strings
        # through every unexpected-row lookup); _normalise maps the numbers back
        validated = checked.drop(columns=["example_id"])
        validated[ROW_COLUMN] = np.arange(len(validated), dtype=np.int64)
    if len(checked) >= TRIM_MIN_ROWS:
        trim_heap()  # the helper columns' scratch, before GX validates
    gx = _import_gx()
    specs = default_specs(settings, example_token_limit) if suite_mode == "merge" else []
    with _run_lock:
        ctx = _ephemeral_context(gx)
        user: list[tuple[str, str, Any]] = []
        if suite_path is not None:
            for i, exp in enumerate(load_user_suite(gx, suite_path)):
                user.append((_user_name(exp, i), _user_severity(exp), exp))
        overridden = {name for name, _, _ in user}
        specs = [s for s in specs if s.name not in overridden]

        exps, by_name = _default_expectations(gx, specs, settings)
        for name, sev, exp in user:
            if sev == "off":
                continue
            exp.meta = {**(exp.meta or {}),
                        "ftprep": {"name": name, "severity": sev, "user": True}}
            exp.catch_exceptions = True
            exps.append(exp)

        results: list[CheckResult] = []
        if exps:
            # Built whole, then stored once: adding one by one re-serializes the suite each time.
            suite = ctx.suites.add(gx.ExpectationSuite(name="ftprep-checks", expectations=exps))
            validation = _validate(gx, ctx, suite, validated, data_docs_dir,
                                   ROW_COLUMN if validated is not checked else "example_id")
            del validated
            for res in validation.results:
                meta = (res.expectation_config.meta or {}).get("ftprep", {})
                name = str(meta.get("name", res.expectation_config.type))
                sev = str(meta.get("severity", "error"))
                source = "user" if meta.get("user") else "default"
                results.append(_normalise(res, by_name.get(name), sev, name, source, checked))
    order = {n: i for i, n in enumerate(DEFAULT_CHECK_NAMES)}
    results.sort(key=lambda r: (r.source != "default", order.get(r.name, 999)))
    success = not any(r.failed_error for r in results)
    return ChecksReport(
        success=success,
        results=results,
        seconds=time.perf_counter() - t0,
        settings=settings.to_dict() | {"suite_path": str(suite_path) if suite_path else None,
                                       "suite_mode": suite_mode},
        gx_version=str(getattr(gx, "__version__", "")),
        rows_checked=len(checked),
    )


def _ephemeral_context(gx: Any) -> Any:
    """A fresh in-memory GX context with progress bars off (nothing touches the disk)."""
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["example_id"],
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
}

DATA_DOCS_WARNING = (
    "GX Data Docs load CSS, JavaScript and fonts from public CDNs when opened; "
    "ftprep's own report.html is self-contained"
)


def _validate(gx: Any, ctx: Any, suite: Any, checked: pd.DataFrame,
              data_docs_dir: str | os.PathLike[str] | None = None,
              index_column: str = "example_id") -> Any:
    asset = ctx.data_sources.add_pandas("ftprep").add_dataframe_asset("stats")
    batch_def = asset.add_batch_definition_whole_dataframe("all")
    vd = ctx.validation_definitions.add(
        gx.ValidationDefinition(data=batch_def, suite=suite, name="ftprep-checks")
    )
    if data_docs_dir is None:
        return vd.run(batch_parameters={"dataframe": checked},
                      result_format={**_RESULT_FORMAT, "unexpected_index_column_names": [index_column]})
    from great_expectations.checkpoint import UpdateDataDocsAction

    base = Path(data_docs_dir).resolve()
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{base}: cannot create the Data Docs folder ({exc.strerror})") from None
    ctx.add_data_docs_site(site_name="ftprep", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(base)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    checkpoint = ctx.checkpoints.add(gx.Checkpoint(
        name="ftprep-checks", validation_definitions=[vd], result_format=_RESULT_FORMAT,
        actions=[UpdateDataDocsAction(name="data-docs", site_names=["ftprep"])],
    ))
    result = checkpoint.run(batch_parameters={"dataframe": checked})
    return next(iter(result.run_results.values()))


def data_docs_index(data_docs_dir: str | os.PathLike[str]) -> Path:
    """The entry page of Data Docs built by ``run_checks(..., data_docs_dir=...)``."""
    return Path(data_docs_dir).resolve() / "index.html"


def with_severity(settings: CheckSettings, **overrides: str) -> CheckSettings:
    """A copy of settings with some checks' severity changed (``name="error"|"warn"|"off"``)."""
    merged = dict(settings.severity) | overrides
    return replace(settings, severity=_parse_severity_table(merged))


if __name__ == "__main__":  # python -m ftprep.checks --serve (see ChecksWorker)
    import sys as _sys

    if _sys.argv[1:] == ["--serve"]:
        _sys.exit(_serve())
