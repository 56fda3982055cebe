from __future__ import annotations

import pytest

from ftprep.errors import UsageError
from ftprep.tokens import (
    Counter,
    count_example,
    default_epochs,
    estimate_cost,
    get_encoding,
    resolve_model,
    summarize,
)

# Token ids pinned from the published encodings (hand-checked once).
PINNED = {
    "cl100k_base": {"hello world": [15339, 1917], "user": [882], "assistant": [78191], "system": [9125]},
    "o200k_base": {"hello world": [24912, 2375], "user": [1428], "assistant": [173781], "system": [17360]},
}


@pytest.mark.parametrize("encoding", sorted(PINNED))
def test_bundled_encodings_load_offline_and_match_published_ids(encoding: str) -> None:
    enc = get_encoding(encoding)
    for text, ids in PINNED[encoding].items():
        assert enc.encode_ordinary(text) == ids


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-35-turbo"])
def test_chat_example_matches_hand_computed_figure(model: str) -> None:
    # user msg: 3 + "user"(1) + "hello world"(2) = 6; assistant: 3 + "assistant"(1) + "hi"(1) = 5;
    # reply priming 3 -> 14 total, 5 trained. Same in both encodings for these strings.
    c = Counter(resolve_model(model))
    ex = {"messages": [{"role": "user", "content": "hello world"},
                       {"role": "assistant", "content": "hi", "weight": 1}]}
    t = count_example(c, ex, "chat")
    assert (t.total, t.trained) == (14, 5)


def test_name_adds_one_and_weight_zero_is_not_trained_nor_counted_as_text() -> None:
    c = Counter(resolve_model("gpt-4o"))
    ex = {"messages": [
        {"role": "system", "content": "hello world", "name": "user"},  # 3 + 1 + 2 + 1 (name text) + 1
        {"role": "assistant", "content": "hello world", "weight": 0},  # 3 + 1 + 2, not trained
        {"role": "user", "content": "hello world"},  # 6
        {"role": "assistant", "content": "hello world"},  # 6, trained
    ]}
    t = count_example(c, ex, "chat")
    assert t.total == 8 + 6 + 6 + 6 + 3
    assert t.trained == 6


def test_encodings_differ_where_they_should() -> None:
    text = "Réinitialisez la clé de stockage"
    ex = {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "hi"}]}
    o200 = count_example(Counter(resolve_model("gpt-4o-mini")), ex, "chat").total
    cl100 = count_example(Counter(resolve_model("gpt-35-turbo")), ex, "chat").total
    # o200k: 7 tokens for the text, cl100k: 10 (pinned ids above were checked the same way)
    assert (o200, cl100) == (3 + 1 + 7 + 3 + 1 + 1 + 3, 3 + 1 + 10 + 3 + 1 + 1 + 3)


def test_special_tokens_never_raise() -> None:
    c = Counter(resolve_model("gpt-4o-mini"))
    assert c.text("a <|endoftext|> b") > 3


def test_tool_definitions_add_estimated_overhead() -> None:
    c = Counter(resolve_model("gpt-4o-mini"))
    tools = [{"type": "function", "function": {"name": "get_vm", "description": "Get a VM",
                                                "parameters": {"type": "object", "properties": {
                                                    "size": {"type": "string", "description": "sku",
                                                             "enum": ["a", "b"]}}}}}]
    enc = c.encoding
    expected = (7 + len(enc.encode_ordinary("get_vm:Get a VM")) + 3 + 3 - 3
                + 3 + len(enc.encode_ordinary("a")) + 3 + len(enc.encode_ordinary("b"))
                + len(enc.encode_ordinary("size:string:sku")) + 12)
    assert c.tools(tools) == expected


def test_completion_format_counts_prompt_and_completion() -> None:
    c = Counter(resolve_model("babbage-002"))
    t = count_example(c, {"prompt": "hello world", "completion": " hi"}, "completion")
    assert t.total == 2 + len(c.encoding.encode_ordinary(" hi"))
    assert t.trained == len(c.encoding.encode_ordinary(" hi"))


@pytest.mark.parametrize(("name", "base"), [
    ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("ft:gpt-4.1-mini-2025-04-14:contoso::abc123", "gpt-4.1-mini-2025-04-14"),
    ("ft:o4-mini-2025-04-16:org::x", "o4-mini-2025-04-16"),
    ("gpt-4o-2024-08-06.ft-0123456789abcdef", "gpt-4o-2024-08-06"),
    ("gpt-3.5-turbo", "gpt-35-turbo-0125"),
    ("GPT-4.1-NANO", "gpt-4.1-nano-2025-04-14"),
])
def test_model_names_resolve_to_their_base(name: str, base: str) -> None:
    assert resolve_model(name).name == base


def test_fine_tuned_gpt41_uses_o200k_not_cl100k() -> None:
    assert resolve_model("ft:gpt-4.1-2025-04-14:org::1").encoding == "o200k_base"


def test_unknown_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown model"):
        resolve_model("my-deployment")


@pytest.mark.parametrize(("n", "epochs"), [(10, 10), (20, 5), (33, 3), (50, 3), (8000, 3), (9000, 2),
                                          (30000, 1), (1, 25)])
def test_default_epochs_heuristic(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_summary_percentiles_and_billing() -> None:
    s = summarize(list(range(1, 101)), [1] * 100, limit=90)
    assert s.p50 == 50.5 and s.p5 == pytest.approx(5.95) and s.p95 == pytest.approx(95.05)
    assert s.over_limit == 10
    assert s.billable == sum(min(x, 90) for x in range(1, 101))
    cost = estimate_cost(s, resolve_model("gpt-4o-mini"))
    assert cost.epochs == 3 and cost.billed_tokens == s.billable * 3
    assert cost.estimated_cost_usd == round(s.billable * 3 / 1e6 * 3.0, 2)


def test_released_counter_counts_the_same_after_reloading() -> None:
    """A run lets the tokenizer go once every example is counted (~75 MB); a counter used
    again loads it again and counts the same."""
    from ftprep.tokens import Counter, resolve_model

    c = Counter(resolve_model("gpt-4o-mini-2024-07-18"))
    before = c.text("Contact jane@contoso.com about VM vm-prod-01")
    c.release()
    assert c._encoding is None
    assert c.text("Contact jane@contoso.com about VM vm-prod-01") == before
    assert c._encoding is not None
