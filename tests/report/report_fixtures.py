from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LIMIT = 65_536


def synthetic_frame(n_train: int = 40, n_val: int = 6, n_rej: int = 4) -> pd.DataFrame:
    n = n_train + n_val + n_rej
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "example_id": [f"in/chat.jsonl:{i + 1}" for i in range(n)],
        "source": "in/chat.jsonl",
        "line": np.arange(1, n + 1),
        "split": ["train"] * n_train + ["validation"] * n_val + ["rejected"] * n_rej,
        "format": "chat",
        "n_messages": rng.integers(2, 9, size=n),
        "roles": "SUA",
        "has_system": rng.random(n) < 0.7,
        "has_user": True,
        "total_tokens": rng.integers(50, 3000, size=n),
        "trained_tokens": 40,
        "largest_message_tokens": 60,
        "over_limit": False,
        "tool_calls": 0,
        "weight0": 0,
        "empty_assistant": 0,
        "special_token_hits": 0,
        "content_hash": [f"{i:064x}" for i in range(n)],
        "simhash": rng.integers(-2**62, 2**62, size=n, dtype=np.int64),
        "residual_identifiers": 0,
        "pii_total": 5,
        "pii_EMAIL": 2,
        "pii_PHONE": 3,
    })


def synthetic_manifest(verdict: str = "ok") -> dict[str, Any]:
    failed = verdict != "ok"
    results = [
        {"name": "train_min_rows", "expectation": "expect_column_sum_to_be_between",
         "column": "chk_is_train", "severity": "error", "success": True, "observed_value": 40,
         "unexpected_count": 0, "example_ids": [], "description": "at least 10 training examples",
         "source": "default", "error": None},
        {"name": "total_tokens_in_range", "expectation": "expect_column_values_to_be_between",
         "column": "total_tokens", "severity": "error", "success": not failed,
         "observed_value": 2 if failed else 0, "unexpected_count": 2 if failed else 0,
         "example_ids": ["in/chat.jsonl:7", "in/chat.jsonl:9"] if failed else [],
         "description": "tokens per example between 1 and the model limit", "source": "default",
         "error": None},
        {"name": "no_duplicates_within_split", "expectation": "expect_column_values_to_be_between",
         "column": "chk_duplicate_in_split", "severity": "warn", "success": False,
         "observed_value": 1, "unexpected_count": 1, "example_ids": ["in/chat.jsonl:12"],
         "description": "no exact duplicate example within a split", "source": "default",
         "error": None},
    ]
    split_stats = {"examples": 40, "total": 60_000, "trained": 20_000, "billable": 60_000,
                   "over_limit": 0, "mean": 1500.0, "p5": 120.0, "p50": 1400.0, "p95": 2900.0,
                   "max": 2999, "min": 51}
    return {
        "schema_version": 1,
        "ftprep_version": "0.1.0",
        "versions": {"tiktoken": "0.9", "great_expectations": "1.24.1"},
        "config": {"model": "gpt-4o-mini", "seed": 0, "validation_fraction": 0.1},
        "target": "azure",
        "model": {"name": "gpt-4o-mini-2024-07-18", "encoding": "o200k_base",
                  "example_token_limit": LIMIT},
        "format": "chat",
        "inputs": [{"path": "in/chat.jsonl", "sha256": "ab" * 32, "bytes": 123_456, "lines": 50}],
        "outputs": {
            "train": {"path": "train.jsonl", "sha256": "cd" * 32, "bytes": 100_000, "rows": 40},
            "validation": {"path": "validation.jsonl", "sha256": "ef" * 32, "bytes": 9000,
                           "rows": 6},
            "rejected": {"path": "rejected.jsonl", "sha256": "01" * 32, "bytes": 900, "rows": 4},
        },
        "counts": {"input_lines": 50, "train": 40, "validation": 6, "rejected": 4,
                   "accounted": True,
                   "rejected_by_reason": {"invalid_json": 3, "no_assistant": 1},
                   "warnings_by_code": {"no_system": 12}},
        "tokens": {"train": split_stats, "validation": dict(split_stats, examples=6),
                   "cost": {"epochs": 3, "epochs_source": "service default heuristic",
                            "billed_tokens": 180_000, "price_per_million": 3.0,
                            "estimated_cost_usd": 0.54, "note": "estimate"}},
        "checks": {"success": not failed, "engine": "great_expectations", "seconds": 0.4,
                   "results": results},
        "pseudonymization": {"enabled": True, "key_fingerprint": "sha256:1234abcd",
                             "entities": {"EMAIL": {"occurrences": 80, "distinct": 31},
                                          "PHONE": {"occurrences": 120, "distinct": 60},
                                          "IPV4": {"occurrences": 7, "distinct": 7}},
                             "redacted_secrets": 2,
                             "leak_check": {"ran": True, "passed": True, "residual": {}}},
        "problems": [{"source": "in/chat.jsonl", "line": 47, "codes": ["invalid_json"]},
                     {"source": "in/chat.jsonl", "line": 48, "codes": ["no_assistant"]}],
        "verdict": verdict,
    }
