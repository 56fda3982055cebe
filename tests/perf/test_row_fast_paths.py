"""The faster per-row paths give exactly the bytes and values of their plain definitions:
``io.dumps`` (orjson where it writes alike) against ``json.dumps``, and the exact-type walks
of ``io._shape`` and ``validate._special_tokens`` against ``isinstance`` references. (The
SimHash fast paths are tested in ``tests/test_stats_speed.py``.)"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.io import _orjson_writes_alike, _shape, dumps
from ftprep.records import Record
from ftprep.validate import _special_tokens


def reference_dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- dumps -------------------------------------------------------------------------------

_SCALARS = (st.none() | st.booleans() | st.integers() | st.text()
            | st.floats(allow_nan=True, allow_infinity=True)
            | st.sampled_from([1e16, 1e-5, -0.0, 1.5, 2**64 - 1, -(2**63), 2**64, -(2**63) - 1,
                               "\x00\x1f\x7f\u2028\ud800 \"\\/", "\U0001f600"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    | st.dictionaries(st.integers(0, 3) | st.booleans(), inner, max_size=2),
    max_leaves=20)


def _both(obj: Any) -> tuple[Any, Any]:
    out = []
    for fn in (dumps, reference_dumps):
        try:
            out.append(fn(obj))
        except Exception as exc:  # noqa: BLE001 - the same failure is part of the contract
            out.append(type(exc))
    return out[0], out[1]


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_dumps_is_json_dumps(obj: Any) -> None:
    new, ref = _both(obj)
    assert new == ref


@pytest.mark.parametrize("obj", [
    {"a": 1.0}, [1e16], {"k": [1, {"x": float("nan")}]}, {1: "int key"}, {True: 1},
    [2**64], ["\ud800"], {"t": (1, 2)}, [{"deep": [[[[[]]]]]}], "plain", 7, None,
])
def test_dumps_edge_values(obj: Any) -> None:
    new, ref = _both(obj)
    assert new == ref


def test_dumps_of_deep_and_circular_values() -> None:
    deep: Any = "x"
    for _ in range(300):  # deeper than orjson goes: json writes it
        deep = [deep]
    assert dumps(deep) == reference_dumps(deep)
    loop: list[Any] = []
    loop.append(loop)
    assert not _orjson_writes_alike(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps(loop)


def test_dumps_of_sample_records() -> None:
    lines = (SAMPLE / "support_chat.jsonl").read_bytes().splitlines()
    for line in lines:
        obj = json.loads(line)
        assert dumps(obj) == reference_dumps(obj)
        assert dumps({"source": "f", "line": 3, "record": obj}) == reference_dumps(
            {"source": "f", "line": 3, "record": obj})


# --- parse and validate walks (exact-type fast paths) ---------------------------------------

def reference_shape(obj: Any, limit: int) -> tuple[bool, int, bool]:
    """(deeper than limit, object keys, holds a float), by recursion with isinstance."""
    def walk(v: Any, depth: int) -> tuple[bool, int, bool]:
        if not isinstance(v, (dict, list)):
            return False, 0, isinstance(v, float)
        if depth > limit:
            return True, 0, False
        keys = len(v) if isinstance(v, dict) else 0
        deep = has_float = False
        for child in (v.values() if isinstance(v, dict) else v):
            d, k, f = walk(child, depth + 1)
            deep, keys, has_float = deep or d, keys + k, has_float or f
        return deep, keys, has_float
    if not isinstance(obj, (dict, list)):
        return limit < 1, 0, isinstance(obj, float)
    return walk(obj, 1)


class _Str(str):
    pass


class _Dict(dict):  # type: ignore[type-arg]
    pass


class _Map(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_shape_counts_keys_and_floats(obj: Any) -> None:
    deep, keys, has_float = _shape(obj, 64)
    assert not deep
    assert (keys, has_float) == reference_shape(obj, 64)[1:]


def test_shape_of_subclasses_and_depth() -> None:
    obj = {"a": [_Dict(x=1.5)], "b": True, "c": [[[1]]]}
    assert _shape(obj, 64) == (False, 4, True) == reference_shape(obj, 64)
    assert _shape(obj, 4) == (False, 4, True)
    assert _shape(obj, 3)[0] is True  # [[[1]]] under "c" is 4 deep; the walk stops there
    assert _shape([True, 2, "x", None], 1) == (False, 0, False)
    assert _shape(2.5, 1) == (False, 0, True)


def _tokens_of(obj: Any) -> tuple[list[str], int | None]:
    rec = Record(source="f", line=1, raw=b"")
    _special_tokens(rec, obj)
    return [f.message for f in rec.findings], rec.stats.get("special_token_hits")


def test_special_tokens_found_wherever_they_are() -> None:
    assert _tokens_of({"messages": [{"content": "no tokens <| here"}]}) == ([], None)
    nested = {"m": [{"c": "a <|endoftext|> b"}, [_Str("x<|fim_prefix|>")]],
              "k": _Map({"z": "<|endofprompt|>"}), "d": _Dict(y=("t", "<|fim_middle|>"))}
    messages, hits = _tokens_of(nested)
    assert hits == 3  # the tuple is not walked (as before): lists and mappings only
    assert messages == ["text contains special token(s) <|endofprompt|>, <|endoftext|>, "
                        "<|fim_prefix|>"]
