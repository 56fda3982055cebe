from __future__ import annotations

import json

import pytest
from helpers import SAMPLE, chat

from ftprep.io import ReadLimits, parse_record
from ftprep.records import Record, Severity
from ftprep.tokens import resolve_model
from ftprep.validate import CODES, Validator

# sample_data/broken.jsonl: line -> the error code it must get (see broken.expected.json)
BROKEN_CODES = {
    1: "role_invalid", 2: "invalid_json", 3: "invalid_json", 4: "invalid_json", 5: "not_object",
    6: "blank_line", 7: "not_object", 8: "no_assistant", 9: "empty_content", 10: "empty_content",
    11: "content_type", 12: "messages_type", 13: "messages_empty", 14: "unknown_key",
    15: "weight_invalid", 16: "weight_invalid", 17: "content_null", 18: "tool_call_id_unknown",
    19: "tool_arguments_invalid_json", 20: "format_mismatch", 21: "special_token",
    22: "invalid_json", 23: "no_trainable_assistant", 24: "invalid_utf8",
}


def check(obj: object, model: str = "gpt-4o-mini", fmt: str | None = None) -> Record:
    raw = json.dumps(obj).encode()
    rec = parse_record("t.jsonl", 1, raw, ReadLimits())
    Validator(resolve_model(model), fmt=fmt).validate(rec)
    return rec


def codes(rec: Record, severity: Severity | None = Severity.ERROR) -> set[str]:
    return {f.code for f in rec.findings if severity is None or f.severity is severity}


def test_every_broken_sample_line_gets_its_code() -> None:
    expected_desc = json.loads((SAMPLE / "broken.expected.json").read_text())
    assert set(map(int, expected_desc)) == set(BROKEN_CODES)
    validator = Validator(resolve_model("gpt-4o-mini"), fmt="chat")
    lines = (SAMPLE / "broken.jsonl").read_bytes().split(b"\n")
    for number, code in BROKEN_CODES.items():
        rec = parse_record("broken.jsonl", number, lines[number - 1], ReadLimits())
        validator.validate(rec)
        assert code in {f.code for f in rec.findings}, (number, rec.findings)


def test_every_code_is_documented_in_readme() -> None:
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    missing = [c for c in CODES if f"`{c}`" not in readme]
    assert not missing


def test_valid_chat_has_no_errors() -> None:
    assert codes(check(chat())) == set()


def test_warnings_for_missing_system_and_consecutive_roles() -> None:
    ex = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                       {"role": "assistant", "content": "c"}]}
    assert codes(check(ex), Severity.WARNING) >= {"no_system", "consecutive_same_role"}


def test_tool_calls_round_trip_is_valid() -> None:
    ex = {"messages": [
        {"role": "user", "content": "restart vm"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "restart", "arguments": "{\"vm\": \"a\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
        {"role": "assistant", "content": "done"},
    ], "tools": [{"type": "function", "function": {"name": "restart", "parameters": {}}}]}
    assert codes(check(ex)) == set()


@pytest.mark.parametrize(("message", "code"), [
    ({"role": "user", "content": "x", "weight": 1}, "key_not_allowed_for_role"),
    ({"role": "developer", "content": "x"}, "role_invalid"),
    ({"content": "x"}, "role_missing"),
    ({"role": "user"}, "content_missing"),
    ({"role": "user", "content": "x", "name": 3}, "name_type"),
    ({"role": "user", "content": [{"type": "audio"}]}, "content_part_invalid"),
])
def test_message_rules(message: dict, code: str) -> None:
    ex = {"messages": [message, {"role": "assistant", "content": "ok"}]}
    assert code in codes(check(ex))


def test_images_rules() -> None:
    img = {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lGOD=="}}
    ex = {"messages": [{"role": "user", "content": [img]}, {"role": "assistant", "content": "a cat"}]}
    assert {"image_format", "image_model"} <= codes(check(ex, model="gpt-4o-mini"))
    assert codes(check(ex, model="gpt-4o")) == {"image_format"}
    many = {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}] * 11},
        {"role": "assistant", "content": "many"}]}
    assert "too_many_images" in codes(check(many, model="gpt-4o"))


def test_preference_format() -> None:
    good = {"input": {"messages": [{"role": "user", "content": "q"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}]}
    assert codes(check(good, model="gpt-4o")) == set()
    assert "format_not_for_model" in codes(check(good, model="gpt-4o-mini"))
    legacy = {"input": good["input"], "preferred_completion": good["preferred_output"],
              "non_preferred_completion": good["non_preferred_output"]}
    rec = check(legacy, model="gpt-4o")
    assert codes(rec) == set() and "preference_legacy_keys" in codes(rec, Severity.WARNING)
    ends = {**good, "input": {"messages": [{"role": "user", "content": "q"},
                                           {"role": "assistant", "content": "a"}]}}
    assert "preference_input_ends_assistant" in codes(check(ends, model="gpt-4o"))


def test_completion_format() -> None:
    assert codes(check({"prompt": "p ->", "completion": " c"}, model="davinci-002")) == set()
    assert "empty_completion" in codes(check({"prompt": "p", "completion": " "}, model="davinci-002"))
    assert "unknown_key" in codes(check({"prompt": "p", "completion": "c", "id": 1}, model="davinci-002"))
    assert "format_not_for_model" in codes(check({"prompt": "p", "completion": "c"}))


def test_messages_never_quote_data_values() -> None:
    secret = "jane.doe@contoso.com"
    ex = {"messages": [{"role": secret, "content": secret, secret: 1},
                       {"role": "assistant", "content": secret, "weight": secret}]}
    rec = check(ex)
    assert rec.findings
    assert all(secret not in f.message for f in rec.findings)


def test_completion_advice_follows_the_legacy_prepare_data_checks() -> None:
    from ftprep.validate import CompletionAdvice, completion_features

    good = CompletionAdvice()
    for i in range(120):
        good.add(completion_features({"prompt": f"ticket {i} ->", "completion": f" answer {i} END"}))
    assert good.warnings() == []
    bad = CompletionAdvice()
    for i in range(20):
        bad.add(completion_features({"prompt": f"ticket {i}" + "?" * (i % 3),
                                     "completion": f"ANSWER NUMBER {i}" + "." * (i % 4)}))
    text = " ".join(bad.warnings())
    assert "20 examples" in text and "prompts share no" in text and "completions share no" in text
    assert "do not start with a space" in text and "mostly upper case" in text
    assert "ticket" not in text and "ANSWER" not in text
