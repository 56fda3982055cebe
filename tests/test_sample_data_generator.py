"""The sample-data generator reproduces the committed files, and they have the promised shape."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import faker
import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
GENERATED = (
    "support_chat.jsonl",
    "broken.jsonl",
    "broken.expected.json",
    "completion/legacy_completion.jsonl",
    "known_customers.csv",
    "planted.json",
)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ftprep_make_samples", SAMPLE_DIR / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return GEN


@pytest.fixture(scope="module")
def generated(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    assert gen.main(["--out", str(out)]) == 0
    return out


def _chat_rows(path: Path) -> list[dict[str, Any]]:
    lines = path.read_bytes().decode("utf-8").split("\n")
    assert lines[-1] == "", "file must end with a newline"
    return [json.loads(line) for line in lines[:-1]]


def test_generator_writes_every_file(generated: Path) -> None:
    for name in GENERATED:
        assert (generated / name).is_file(), name


def test_two_runs_are_byte_identical(gen: ModuleType, generated: Path, tmp_path: Path) -> None:
    gen.generate(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name


@pytest.mark.skipif(faker.VERSION != GEN.FAKER_VERSION,
                    reason="Faker only reproduces its output within the version that made the files")
def test_reproduces_committed_files(generated: Path) -> None:
    for name in GENERATED:
        assert (generated / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


@pytest.mark.parametrize("root", ["committed", "generated"])
def test_support_chat_shape(root: str, generated: Path) -> None:
    folder = SAMPLE_DIR if root == "committed" else generated
    rows = _chat_rows(folder / "support_chat.jsonl")
    assert len(rows) >= 300
    for row in rows:
        assert isinstance(row, dict)
        messages = row["messages"]
        assert isinstance(messages, list) and messages
        assert messages[-1]["role"] == "assistant"
        assert isinstance(messages[-1]["content"], str) and messages[-1]["content"].strip()
    n_no_system = sum(1 for r in rows if r["messages"][0]["role"] != "system")
    assert 0.05 * len(rows) <= n_no_system <= 0.15 * len(rows)


def test_support_chat_features(generated: Path) -> None:
    rows = _chat_rows(generated / "support_chat.jsonl")
    messages = [m for r in rows for m in r["messages"]]
    tool_calls = [m for m in messages if m.get("tool_calls")]
    assert len(tool_calls) >= 3
    for m in tool_calls:
        assert m["content"] is None
        args = json.loads(m["tool_calls"][0]["function"]["arguments"])
        assert args["resource_id"].startswith("/subscriptions/")
    assert any(m.get("weight") == 0 for m in messages)
    assert any(len(r["messages"]) >= 5 for r in rows)
    text = (generated / "support_chat.jsonl").read_text(encoding="utf-8")
    for needle in ("é", "ü", "ñ", "/resourceGroups/", ".blob.core.windows.net", "AccountKey=",
                   "Bearer ey", "Subscription ID", "Tenant ID"):
        assert needle in text, needle
    assert "\\/" not in text and "\\u00" not in text  # canonical serialization


def test_recurring_customers_recur(generated: Path) -> None:
    with open(generated / "known_customers.csv", encoding="utf-8", newline="") as fh:
        customers = list(csv.DictReader(fh))
    assert len(customers) == 40
    assert list(customers[0]) == ["name", "company", "domain"]
    text = (generated / "support_chat.jsonl").read_text(encoding="utf-8")
    for c in customers:
        assert text.count(c["name"]) >= 2, c["name"]


def _reject_constant(name: str) -> object:
    raise ValueError(f"non-standard constant {name}")


def test_broken_lines_match_expected(generated: Path) -> None:
    raw = (generated / "broken.jsonl").read_bytes()
    lines = raw.split(b"\n")
    assert lines[-1] == b""
    expected = json.loads((generated / "broken.expected.json").read_text(encoding="utf-8"))
    assert sorted(expected, key=int) == [str(i) for i in range(1, len(lines))]
    assert len(expected) >= 20
    good = 0
    for line in lines[:-1]:
        try:
            obj = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        except ValueError:  # also UnicodeDecodeError and JSONDecodeError
            continue
        if isinstance(obj, dict) and isinstance(obj.get("messages"), list) and obj["messages"]:
            good += 1
    # Structurally chat lines exist, but the generator keeps them all broken on purpose.
    assert good >= 10


def test_completion_file(generated: Path) -> None:
    lines = (generated / "completion" / "legacy_completion.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40
    for line in lines:
        obj = json.loads(line)
        assert list(obj) == ["prompt", "completion"]
        assert obj["prompt"].endswith(" ->")
        assert obj["completion"].startswith(" ") and obj["completion"].endswith(" END")


def test_planted_values_are_in_their_files(generated: Path) -> None:
    planted = json.loads((generated / "planted.json").read_text(encoding="utf-8"))
    for name, kinds in planted["pii"].items():
        text = (generated / name).read_bytes().decode("utf-8", errors="replace")
        for kind in ("email", "phone", "guid", "ipv4"):
            assert kinds.get(kind), (name, kind)
        for values in kinds.values():
            for value in values:
                assert value in text
