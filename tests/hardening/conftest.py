"""Hardening tests call prepare() many times in one process: import great-expectations once
here, so the checks stage runs in-process instead of warming a helper process per run."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _great_expectations_imported() -> None:
    import great_expectations  # noqa: F401
