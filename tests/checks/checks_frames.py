from __future__ import annotations

import numpy as np
import pandas as pd

LIMIT = 65_536


def build_frame(n_train: int = 20, n_val: int = 4, n_rejected: int = 2) -> pd.DataFrame:
    """A clean stats frame: every default check passes on it."""
    n = n_train + n_val + n_rejected
    rng = np.random.default_rng(7)
    # Well-separated SimHash values: random 64-bit numbers are ~32 bits apart.
    simhash = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=n, dtype=np.int64)
    split = ["train"] * n_train + ["validation"] * n_val + ["rejected"] * n_rejected
    return pd.DataFrame({
        "example_id": [f"data.jsonl:{i + 1}" for i in range(n)],
        "source": "data.jsonl",
        "line": np.arange(1, n + 1),
        "split": split,
        "format": ["chat"] * (n - n_rejected) + [None] * n_rejected,
        "n_messages": 3,
        "roles": ["SUA"] * (n - n_rejected) + [""] * n_rejected,
        "has_system": True,
        "has_user": True,
        "total_tokens": 120,
        "trained_tokens": 40,
        "largest_message_tokens": 60,
        "over_limit": False,
        "tool_calls": 0,
        "weight0": 0,
        "empty_assistant": 0,
        "special_token_hits": 0,
        "content_hash": [f"{i:064x}" for i in range(n)],
        "simhash": simhash,
        "residual_identifiers": 0,
        "pii_total": 3,
        "pii_EMAIL": 1,
        "pii_PHONE": 2,
    })
