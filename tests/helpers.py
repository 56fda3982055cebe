"""Plain helpers for the top-level tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def planted_values() -> dict[str, list[str]]:
    """Every identifier the sample generator planted, by type, over all files."""
    data = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
    by_type: dict[str, list[str]] = {}
    for per_file in data["pii"].values():
        for etype, values in per_file.items():
            by_type.setdefault(etype, []).extend(values)
    return by_type


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def chat(user: str = "hello", assistant: str = "hi there", system: str | None = "be nice") -> dict:
    msgs = []
    if system is not None:
        msgs.append({"role": "system", "content": system})
    msgs += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": msgs}
