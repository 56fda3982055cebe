"""The report reads the train + validation rows column by column instead of copying whole
rows (the frame grows with the input): the same values, in the same order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ftprep.report import _column_for, _messages, _Rows


def _frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "split": rng.choice(["train", "validation", "rejected"], size=n),
        "n_messages": rng.integers(1, 40, size=n),
        "total_tokens": rng.integers(0, 5000, size=n),
        "has_system": rng.integers(0, 2, size=n).astype(bool),
        "tool_calls": rng.integers(0, 3, size=n),
        "weight0": rng.integers(0, 2, size=n),
        "roles": rng.choice(["SUA", "UA", "UAUA", "SUAT"], size=n),
    })


def test_rows_read_by_column_equal_the_row_copy() -> None:
    frame = _frame()
    mask = frame["split"].isin(["train", "validation"]).to_numpy()
    part = _Rows(frame, mask)
    whole = frame.loc[frame["split"].isin(["train", "validation"])]
    for name in frame.columns:
        pd.testing.assert_series_equal(part[name], whole[name])
    assert list(part["roles"].value_counts().head(5).items()) == list(
        whole["roles"].value_counts().head(5).items())


def test_token_column_per_split() -> None:
    frame = _frame()
    for split in ("train", "validation"):
        want = [int(x) for x in frame.loc[frame["split"] == split, "total_tokens"].fillna(0)]
        assert _column_for(frame, split, "total_tokens") == want


def test_messages_section_without_train_or_validation_rows() -> None:
    frame = _frame()
    frame["split"] = "rejected"
    assert "no examples in train or validation" in _messages(frame)
    assert "role sequence" in _messages(_frame())
