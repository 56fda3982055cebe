"""JSON nested deeper than Python's parser (or the walks) can go, wherever a line holds it:
a finding or plain text, never a RecursionError (found by an adversarial audit: exit 70)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import run_here

from ftprep.io import JSONTooDeep, loads_bounded
from ftprep.pseudonymize import Pseudonymizer
from ftprep.pseudonymize.engine import EMBEDDED_MAX_DEPTH, EMBEDDED_MAX_LAYERS
from ftprep.pseudonymize.vault import Vault

KEY = b"deep-json-test-key-0123456789abcdef"
DEEP = "[" * 3000 + "]" * 3000  # beyond Python's parser (recursion limit 1000)


def chat(user: object, **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "ok"}], **extra}


def test_loads_bounded() -> None:
    assert loads_bounded('{"a": [1, [2]]}') == {"a": [1, [2]]}
    assert loads_bounded("[[1]]", 2) == [[1]]
    with pytest.raises(JSONTooDeep):
        loads_bounded("[[[1]]]", 2)
    with pytest.raises(JSONTooDeep):
        loads_bounded(DEEP)
    with pytest.raises(ValueError):  # callers that catch ValueError catch both
        loads_bounded(DEEP)
    with pytest.raises(ValueError):
        loads_bounded("{not json")


def test_embedded_json_too_deep_is_pseudonymized_as_text() -> None:
    p = Pseudonymizer(KEY)
    deep_with_email = "[" * 200 + '"jane.doe@contoso.com"' + "]" * 200
    for s in (DEEP, deep_with_email):
        out = p.transform(chat(s)).value
        content = out["messages"][0]["content"]
        assert "jane.doe@contoso.com" not in content
        assert content.count("[") == s.count("[")  # the brackets are kept: text, not re-dumped
    # text mode replaces the e-mail inside the too-deep string
    assert p.transform_text(deep_with_email).value != deep_with_email


def test_embedded_json_within_the_bounds_is_walked_as_json() -> None:
    p = Pseudonymizer(KEY)
    ok = "[" * EMBEDDED_MAX_DEPTH + '{"email": "jane.doe@contoso.com"}' + "]" * EMBEDDED_MAX_DEPTH
    out = p.transform(chat(ok)).value["messages"][0]["content"]
    assert "jane.doe@contoso.com" not in out
    json.loads(out)  # still parseable


def test_strings_within_strings_stop_being_parsed_after_the_layer_limit() -> None:
    inner: object = {"email": "jane.doe@contoso.com"}
    for _ in range(EMBEDDED_MAX_LAYERS + 8):  # JSON in a string in JSON in a string ...
        inner = {"payload": json.dumps(inner)}
    p = Pseudonymizer(KEY)
    out = p.transform(chat(json.dumps(inner))).value["messages"][0]["content"]
    assert "jane.doe@contoso.com" not in out
    for _ in range(EMBEDDED_MAX_LAYERS):  # the walked layers are still JSON
        out = json.loads(out)["payload"] if isinstance(out, str) else out
    assert isinstance(out, str)


def _write(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_cli_never_exits_70_on_deep_json(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert run_here(["keygen", str(key)])[0] == 0
    deep_line = tmp_path / "deep_line.jsonl"
    deep_line.write_text('{"a": ' + "[" * 995 + '"x"' + "]" * 995 + "}\n", encoding="utf-8")
    content = _write(tmp_path / "content.jsonl", chat(DEEP), chat("fine jane@contoso.com"))
    args = _write(tmp_path / "args.jsonl", {"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": DEEP}}]},
        {"role": "tool", "tool_call_id": "a", "content": "r"},
        {"role": "assistant", "content": "ok"}]})
    for src in (deep_line, content, args):
        for cmd in (["validate", str(src)], ["tokens", str(src)],
                    ["check", str(src), "--key-file", str(key)],
                    ["prepare", str(src), "-o", str(tmp_path / f"out_{src.stem}"), "--key-file", str(key),
                     "--workers", "1"]):
            code, out, err = run_here(cmd)
            text = out + err
            assert code in (0, 1), (cmd, code, text)
            assert "internal error" not in text and "Traceback" not in text, cmd
    out = "".join(run_here(["validate", str(args)])[1:])
    assert "tool_arguments_invalid_json" in out and "nested too deep" in out
    counts = json.loads((tmp_path / "out_deep_line" / "manifest.json").read_text())["counts"]
    assert counts["rejected"] == 1 and counts["accounted"]
    counts = json.loads((tmp_path / "out_content" / "manifest.json").read_text())["counts"]
    assert counts["input_lines"] == 2 and counts["rejected"] == 0 and counts["accounted"]


def test_reidentify_maps_a_too_deep_line_as_text(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "v.db", KEY)
    vault.put_many([("EMAIL", "jane.doe@contoso.com", "ann.lee@fabrikam.com")])
    src = tmp_path / "model_output.txt"
    src.write_text("[" * 3000 + '"ann.lee@fabrikam.com"' + "]" * 3000 + "\n", encoding="utf-8")
    from ftprep.pseudonymize.vault import reidentify_file

    reidentify_file(src, vault, tmp_path / "back.txt")
    assert "jane.doe@contoso.com" in (tmp_path / "back.txt").read_text()
