"""CLI audit leftovers: the output directory given as an input directory, and --vault with
--no-pseudonymize (silently ignored before), are refused with one line before anything runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ftprep.config import PrepareConfig
from ftprep.errors import UsageError
from ftprep.pipeline import prepare

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "support_chat.jsonl"


def test_the_output_directory_as_an_input_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    shutil.copy(SAMPLE, data / "in.jsonl")
    with pytest.raises(UsageError, match="also an input directory"):
        prepare([data], data, PrepareConfig(pseudonymize=False, workers=1), force=True)
    assert sorted(p.name for p in data.iterdir()) == ["in.jsonl"]


def test_vault_without_pseudonymization_is_refused(tmp_path: Path) -> None:
    vault = tmp_path / "v.vault"
    with pytest.raises(UsageError, match="needs pseudonymization"):
        prepare([SAMPLE], tmp_path / "o", PrepareConfig(pseudonymize=False, vault=str(vault), workers=1))
    assert not vault.exists() and not (tmp_path / "o").exists()
