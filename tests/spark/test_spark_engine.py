"""The Spark engine writes exactly what the local engines write (local[2]; Java 17 needed)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import SAMPLE

from ftprep.config import PrepareConfig
from ftprep.pipeline import prepare

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or importlib.util.find_spec("pyspark") is None,
    reason="the Spark engine needs Java and pyspark (pip install 'ftprep[spark]')",
)
KEY = b"0123456789abcdef0123456789abcdef-test-key"
OUTPUTS = ("train.jsonl", "validation.jsonl", "rejected.jsonl", "manifest.json")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from ftprep.spark import get_session

    session = get_session("local[2]")
    session.conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))  # several splits
    yield session
    session.stop()


ROWS = 400  # ~69 KB: five splits of SPLIT_BYTES
SPLIT_BYTES = 16 * 1024


def _awkward_file(path: Path) -> Path:
    """Several splits of identifiers whose fakes cannot meet (no re-draw, no collision), with a
    BOM, CRLF and LF line ends, a blank line, broken JSON, invalid UTF-8, no final newline."""
    rows = [json.dumps({"messages": [
        {"role": "user", "content": f"VM {(i * 2654435761) % 200 + 20}.{(i * 40503) % 250}."
                                    f"{(i * 97) % 250}.{i % 250} and subscription "
                                    f"{i:08x}-1111-4111-8111-{i:012x} fail"},
        {"role": "assistant", "content": "Restart it."}]}) for i in range(ROWS)]
    cut = ROWS // 3  # LF lines before the broken ones, CRLF after
    data = ("\ufeff" + rows[0] + "\r\n" + "\n".join(rows[1:cut]) + "\n\n{bad json\n"
            + "\r\n".join(rows[cut:]) + "\n").encode()
    path.write_bytes(data + b"\xff\xfe invalid utf8\n" + b"no newline at the end")
    return path


def _same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture
def fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each time the Spark engine hands the run back to the local serial engine."""
    from ftprep import spark as ftspark

    seen: list[str] = []
    results = ftspark.SparkEngine.results

    def recording(self: Any, path: str) -> Any:
        try:
            return results(self, path)
        except Exception as exc:
            seen.append(type(exc).__name__)
            raise

    monkeypatch.setattr(ftspark.SparkEngine, "results", recording)
    return seen


@pytest.fixture
def small_splits(spark: Any) -> Iterator[Any]:
    """The session with SPLIT_BYTES splits, for the one test that wants them."""
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(SPLIT_BYTES))
    yield spark
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))


def test_spark_output_is_byte_identical_without_falling_back(
        small_splits: Any, tmp_path: Path, fallbacks: list[str]) -> None:
    spark = small_splits
    src = _awkward_file(tmp_path / "in.jsonl")
    prepare([src], tmp_path / "local", PrepareConfig(workers=1, fail_on_leak=False), KEY)
    report = prepare([src], tmp_path / "spark", PrepareConfig(engine="spark", spark_master="local[2]",
                                                              batch_size=100, fail_on_leak=False), KEY)
    assert fallbacks == []
    assert spark.read.text(str(src)).rdd.getNumPartitions() >= 4
    _same_outputs(tmp_path / "local", tmp_path / "spark")
    assert report.manifest["counts"]["input_lines"] == ROWS + 4


def test_order_dependent_data_falls_back_to_the_serial_result(
        spark: Any, tmp_path: Path, fallbacks: list[str]) -> None:
    """Sample chats re-draw person names across splits: the engine notices, the run is redone
    locally, and the output is the serial one."""
    src = tmp_path / "chats.jsonl"
    src.write_bytes(b"\n".join((SAMPLE / "support_chat.jsonl").read_bytes().splitlines()[:120]) + b"\n")
    prepare([src], tmp_path / "local", PrepareConfig(workers=1, fail_on_leak=False), KEY)
    prepare([src], tmp_path / "spark", PrepareConfig(engine="spark", fail_on_leak=False), KEY)
    assert fallbacks == ["NeedsSerialRun"]
    _same_outputs(tmp_path / "local", tmp_path / "spark")
