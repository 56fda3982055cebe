"""Disk full while the leak check parks its hashed tables on disk (the spill file in the
output directory): one OutputError line naming the directory and the cause (exit 2), not an
internal error (audit repro_7)."""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ftprep.errors import OutputError
from ftprep.leak_pass import _SPILLED, _Spill


class _FullDisk:
    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        pass


def test_a_full_disk_is_one_output_error(tmp_path: Path) -> None:
    spill = _Spill(tmp_path)
    spill._fh.close()
    spill._fh = _FullDisk()
    delta = SimpleNamespace(types=["EMAIL"], **{name: np.zeros(1, np.uint64) for name in _SPILLED})
    with pytest.raises(OutputError) as exc:
        spill.put(delta)  # type: ignore[arg-type]
    message = str(exc.value)
    assert str(tmp_path) in message and "No space left on device" in message and "\n" not in message


def test_an_unwritable_directory_is_one_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write the leak check's temporary file"):
        _Spill(tmp_path / "missing")
