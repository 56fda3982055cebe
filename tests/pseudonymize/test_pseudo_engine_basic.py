from __future__ import annotations

import json
import pickle

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer

KEY = b"0123456789abcdef0123456789abcdef"
TEXT = (
    "Hi Jane, reach me at jane.doe@contoso.com or +1 425-555-0100. "
    "VM vm-prod-01.contoso.local (10.1.2.3, 2001:4860::8888) in subscription "
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301 at 2024-05-01T10:20:30Z, agent v1.2.3.4, "
    "/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/rg-contoso/providers/"
    "Microsoft.Compute/virtualMachines/vmcontosoweb"
)
ORIGINALS = ["jane.doe@contoso.com", "425-555-0100", "10.1.2.3", "2001:4860::8888",
             "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "contoso", "Jane"]


def test_text_replaced_and_kept_things_kept() -> None:
    p = Pseudonymizer(KEY)
    out = p.transform_text(TEXT)
    assert out.changed
    for original in ORIGINALS:
        assert original not in out.value
    for kept in ("2024-05-01T10:20:30Z", "v1.2.3.4", "Microsoft.Compute/virtualMachines"):
        assert kept in out.value
    assert out.counts["EMAIL"] == 1 and out.counts["IPV4"] == 1


def test_deterministic_and_key_dependent() -> None:
    a = Pseudonymizer(KEY).transform_text(TEXT).value
    b = Pseudonymizer(KEY).transform_text(TEXT).value
    c = Pseudonymizer(b"another-key-0123456789").transform_text(TEXT).value
    assert a == b and a != c


def test_transform_json_structure_and_embedded_json() -> None:
    obj = {
        "messages": [
            {"role": "user", "content": TEXT},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {
                    "name": "lookup", "arguments": json.dumps({"email": "jane.doe@contoso.com", "n": 3})}}]},
        ]
    }
    p = Pseudonymizer(KEY)
    out = p.transform(obj)
    assert out.changed
    assert list(out.value) == ["messages"]
    assert list(out.value["messages"][1]) == ["role", "content", "tool_calls"]
    args = json.loads(out.value["messages"][1]["tool_calls"][0]["function"]["arguments"])
    assert list(args) == ["email", "n"] and args["n"] == 3
    assert args["email"] != "jane.doe@contoso.com" and "@" in args["email"]
    # the same email is the same fake in prose and in tool arguments
    assert args["email"] in out.value["messages"][0]["content"]
    assert obj["messages"][0]["content"] == TEXT  # input untouched


def test_unchanged_input_reports_unchanged() -> None:
    p = Pseudonymizer(KEY)
    obj = {"messages": [{"role": "user", "content": "hello world, nothing here"}]}
    out = p.transform(obj)
    assert not out.changed and out.value == obj and out.counts == {}


def test_pickle_roundtrip_keeps_behaviour() -> None:
    p = Pseudonymizer(KEY, PseudonymizeConfig(default_region="GB"))
    first = p.transform_text(TEXT).value
    q = pickle.loads(pickle.dumps(p))
    assert q.transform_text(TEXT).value == first


def test_leak_scanner_finds_planted_original() -> None:
    p = Pseudonymizer(KEY)
    out = p.transform_text(TEXT).value
    scanner = p.leak_scanner()
    assert scanner.scan(out) == []
    assert "EMAIL" in scanner.scan(out + " oops jane.doe@contoso.com")
    assert scanner.residual(out) == []
    assert scanner.residual("leaked 10.9.8.7 here") == ["IPV4"]


def test_report_to_dict_and_merge() -> None:
    p = Pseudonymizer(KEY)
    p.transform_text(TEXT)
    q = Pseudonymizer(KEY)
    q.transform_text(TEXT)
    merged = p.report().merge(q.report())
    d = merged.to_dict()
    json.dumps(d)
    assert d["entities"]["EMAIL"] == {"occurrences": 2, "distinct": 1}


def test_lookup_matches_transform() -> None:
    p = Pseudonymizer(KEY)
    fake = p.lookup("EMAIL", "jane.doe@contoso.com")
    assert fake in p.transform_text("mail jane.doe@contoso.com now").value
