"""The helper columns computed on integer codes equal the plain pandas formulas (which
cost ~300 MB of hash tables at 1 GB of input)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from ftprep.checks import REQUIRED_COLUMNS, CheckSettings, add_helper_columns, roles_valid


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = random.Random(seed)
    hashes = [None, *(f"{rng.getrandbits(8):032x}" for _ in range(4))]
    rows = [dict(example_id=f"e{i}", split=rng.choice(["train", "train", "validation", "rejected"]),
                 format=rng.choice(["chat", "completion", "preference", None]),
                 roles=rng.choice(["SUA", "UA", "UAUA", "AU", "", None, "X"]),
                 has_system=rng.random() < 0.5, total_tokens=rng.randint(0, 99_999),
                 empty_assistant=0, special_token_hits=0, content_hash=rng.choice(hashes),
                 simhash=rng.getrandbits(63), residual_identifiers=0) for i in range(n)]
    frame = pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS))
    if seed % 2:  # pandas' own string dtype, as the stats frame has it
        for column in ("split", "format", "roles", "content_hash"):
            frame[column] = frame[column].astype("str")
    return frame


@pytest.mark.parametrize(("seed", "n"), [(0, 0), (1, 1), (2, 7), (3, 60), (4, 500), (5, 2000)])
def test_helper_columns_equal_the_pandas_formulas(seed: int, n: int) -> None:
    frame = _frame(seed, n)
    got = add_helper_columns(frame, example_token_limit=65_536, settings=CheckSettings())
    rows = frame.loc[frame["split"].isin(["train", "validation"])].reset_index(drop=True)
    is_train = (rows["split"] == "train").to_numpy()
    dup = rows.duplicated(subset=["split", "content_hash"], keep="first").to_numpy()
    leak = (~is_train) & rows["content_hash"].isin(set(rows.loc[is_train, "content_hash"])).to_numpy()
    roles = [roles_valid(f, r) for f, r in zip(rows["format"], rows["roles"], strict=True)]
    assert got["chk_duplicate_in_split"].tolist() == dup.astype(int).tolist()
    assert got["chk_exact_leak"].tolist() == leak.astype(int).tolist()
    assert got["chk_roles_ok"].tolist() == np.array(roles, dtype=int).tolist()
    if n >= 60:  # the data has every case
        assert dup.any() and leak.any() and not all(roles) and any(roles)
