from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from checks_frames import build_frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return build_frame()


@pytest.fixture
def make_frame() -> Callable[..., pd.DataFrame]:
    return build_frame
