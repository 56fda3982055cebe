"""The per-Counter memo of short-string token counts: exact and bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.tokens import MEMO_ENTRIES, MEMO_MAX_CHARS, Counter, resolve_model

COUNTER = Counter(resolve_model("gpt-4o-mini"))


def direct(counter: Counter, s: str) -> int:
    return len(counter.encoding.encode_ordinary(s))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30) | st.sampled_from(["user", "assistant", "<|endoftext|>", "a\ud800"]),
                max_size=8))
def test_memoized_counts_equal_direct_counts(texts: list[str]) -> None:
    for s in texts + texts:  # every string twice: the second comes from the memo
        assert COUNTER.text(s) == direct(COUNTER, s)


def test_memo_is_fifo_bounded_and_skips_long_strings() -> None:
    counter = Counter(resolve_model("gpt-35-turbo"))
    long = "word " * (MEMO_MAX_CHARS // 5 + 1)
    assert counter.text(long) == direct(counter, long)
    assert long not in counter._memo
    strings = [f"s{i} x" for i in range(MEMO_ENTRIES + 10)]
    for s in strings:
        counter.text(s)
    assert len(counter._memo) == MEMO_ENTRIES
    assert strings[0] not in counter._memo and strings[-1] in counter._memo
    assert all(counter.text(s) == direct(counter, s) for s in strings[:20])
    assert len(counter._memo) == MEMO_ENTRIES
