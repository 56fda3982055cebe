"""The hashed leak index finds exactly what the Aho-Corasick leak scanner finds."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from helpers import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprep.io import dumps
from ftprep.leak_pass import LeakIndex, encode, scan_outputs, scan_rows
from ftprep.pseudonymize import LeakScanner, PseudonymizeConfig, Pseudonymizer

KEY = b"0123456789abcdef0123456789abcdef-test-key"


def _index(originals: dict[str, set[str]], fakes: dict[str, set[str]], config: PseudonymizeConfig,
           pieces: int = 1, merge_each: bool = False) -> LeakIndex:
    index = LeakIndex()
    for i in range(pieces):  # the same values delivered in pieces, as batches deliver them
        part = {k: sorted(v)[i::pieces] for k, v in originals.items()}
        index.add(encode(part, fakes if i == pieces - 1 else {}, config.leak_min_length,
                         config.secret_marker))
        if merge_each:
            index._flush()  # as a long run merges its pending rows now and then
    return index


@pytest.fixture(scope="module")
def sample_run() -> tuple[Pseudonymizer, list[str]]:
    pz = Pseudonymizer(KEY)
    texts: list[str] = []
    for name in ("support_chat.jsonl", "broken.jsonl", "completion/legacy_completion.jsonl"):
        for raw in (SAMPLE / name).read_bytes().splitlines():
            texts.append(raw.decode("utf-8", "replace"))
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            texts.append(dumps(pz.transform(obj).value).decode())
    return pz, texts


def test_same_hits_as_the_automaton_on_sample_data(sample_run: tuple[Pseudonymizer, list[str]]) -> None:
    pz, texts = sample_run
    reference = LeakScanner(pz._originals, pz._fakes, pz.config)
    scanner = _index(pz._originals, pz._fakes, pz.config, pieces=3).scanner(pz.config)
    merged = _index(pz._originals, pz._fakes, pz.config, pieces=4, merge_each=True).scanner(pz.config)
    assert scanner.size == reference.size
    hits = 0
    for text in texts:
        expected = reference.find(text)
        assert scanner.find(text) == expected
        assert merged.find(text) == expected
        hits += len(expected)
    assert hits > 1000  # the raw lines are full of originals


def test_rows_scanned_together_find_what_each_row_finds(
        sample_run: tuple[Pseudonymizer, list[str]]) -> None:
    """``find_many`` joins a chunk's rows for one vectorized pass: no hit crosses a row, and
    the word-signature filter drops no match (ASCII and non-ASCII chunks alike)."""
    pz, texts = sample_run
    reference = LeakScanner(pz._originals, pz._fakes, pz.config)
    scanner = _index(pz._originals, pz._fakes, pz.config).scanner(pz.config)
    expected = [reference.find(t) for t in texts]
    for size in (1, 7, 100, len(texts)):
        found = [h for i in range(0, len(texts), size) for h in scanner.find_many(texts[i:i + size])]
        assert found == expected
    accented = [t + " Zoë" for t in texts[:50]]  # not ASCII: the cased filter is off
    assert scanner.find_many(accented) == [reference.find(t) for t in accented]


_PIECES = ["Jane Doe", "JANE DOE", "jane doe", "Zoë Ångström", "ZOË ÅNGSTRÖM", "Acme-Corp",
           "10.1.2.3", "10-1-2-3", "jane.doe@contoso.com", "(x)", "----", "ΟΔΥΣΣΕΑΣ", " ", ", ",
           "\n", "-", "x", "doe", "İstanbul", "a", "_"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), max_size=6))
def test_find_many_matches_the_automaton_on_any_rows(rows: list[str]) -> None:
    config = PseudonymizeConfig()
    originals = {"PERSON": {"Jane Doe", "Zoë Ångström", "Ὀδυσσεύς", "Οδυσσεας"},
                 "ORGANIZATION": {"Acme-Corp"}, "IPV4": {"10.1.2.3"},
                 "EMAIL": {"jane.doe@contoso.com"}, "URL": {"(x)"}, "GUID": {"----"},
                 "HOSTNAME": {"İstanbul"}}
    reference = LeakScanner(originals, {}, config)
    scanner = _index(originals, {}, config).scanner(config)
    assert scanner.find_many(rows) == [reference.find(r) for r in rows]


def test_boundaries_case_and_exclusions() -> None:
    config = PseudonymizeConfig()
    originals = {"PHONE": {"+1 303 555 0184"}, "EMAIL": {"Leigh.Taylor84@Contoso.com"},
                 "PERSON": {"Leigh Taylor"}, "URL": {"https://x.example/a/"},
                 "GUID": {"----"}, "IPV4": {"10.1.2.3"}}
    fakes = {"IPV4": {"10.1.2.3"}}  # an original that is also a fake is not searched
    scanner = _index(originals, fakes, config).scanner(config)
    reference = LeakScanner(originals, fakes, config)
    # a string met under two types: the first type in name order wins, whatever the order
    both = _index({"HOSTNAME": {"db01.contoso.com"}}, {}, config, merge_each=True)
    both.add(encode({"EMAIL": {"db01.contoso.com"}}, {}, config.leak_min_length, config.secret_marker))
    assert both.scanner(config).scan("at db01.contoso.com") == ["EMAIL"]
    texts = [
        "call +1 303 555 0184 now", "call a+1 303 555 0184", "x1 303 555 0184",
        "mail LEIGH.TAYLOR84@contoso.COM.", "mail xleigh.taylor84@contoso.com",
        "Leigh Taylor, LEIGH TAYLOR and leigh taylor", "see https://x.example/a/b",
        "see https://x.example/a/ ok", "10.1.2.3 ----", "",
    ]
    for text in texts:
        assert scanner.find(text) == reference.find(text), text
    assert [t for _, _, t in scanner.find(texts[5])] == ["PERSON", "PERSON"]  # lower case is not a name


def test_index_stays_small(sample_run: tuple[Pseudonymizer, list[str]]) -> None:
    pz, _ = sample_run
    index = _index(pz._originals, pz._fakes, pz.config)
    n_values = sum(len(v) for v in pz._originals.values()) + sum(len(v) for v in pz._fakes.values())
    assert index.nbytes() < 60 * n_values


def test_scan_outputs_names_rows_not_values(tmp_path: Path) -> None:
    config = PseudonymizeConfig()
    originals = {"EMAIL": {"jane.doe@contoso.com"}}
    out = tmp_path / "train.jsonl"
    out.write_text('{"a":"ok"}\n{"a":"mail jane.doe@contoso.com"}\n', encoding="utf-8")
    for workers in (1, 2):
        hits, residual = scan_outputs({"train.jsonl": out}, _index(originals, {}, config), config, workers)
        assert hits == [{"file": "train.jsonl", "line": 2, "types": ["EMAIL"]}]
        assert "jane" not in repr(hits)
        assert residual == {("train.jsonl", 1): ["EMAIL"]}


@pytest.mark.parametrize(("chunk", "workers"), [(1, 1), (2, 1), (2000, 1), (1, 2), (2, 2)])
def test_scan_rows_equals_the_full_scan_on_those_rows(tmp_path: Path, chunk: int, workers: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """After a repair only the rewritten rows are scanned again: the same hits and residual
    detections as a full scan gives for them, in row order (shared by worker processes
    too, a chunk of rows per task)."""
    config = PseudonymizeConfig()
    originals = {"EMAIL": {"jane.doe@contoso.com"}, "PERSON": {"Leigh Taylor"}}
    out = tmp_path / "train.jsonl"
    rows = ['{"a":"ok"}', '{"a":"mail jane.doe@contoso.com"}', '{"a":"Leigh Taylor"}',
            '{"a":"ip 203.0.113.9 and x@y.example.org"}', '{"a":"Leigh Taylor and jane.doe@contoso.com"}']
    out.write_bytes(("\ufeff" + "\n".join(rows) + "\n").encode("utf-8"))
    index = _index(originals, {}, config)
    hits, residual = scan_outputs({"train.jsonl": out}, index, config, 1)
    wanted = {1, 3, 4}
    monkeypatch.setattr("ftprep.leak_pass.CHUNK_ROWS", chunk)  # rows are read a chunk at a time
    monkeypatch.setattr("ftprep.leak_pass.RESCAN_ROWS", chunk)  # ... and sent to workers so
    some_hits, some_residual = scan_rows({"train.jsonl": out}, index, config, {"train.jsonl": wanted},
                                         workers)
    assert some_hits == [h for h in hits if h["line"] - 1 in wanted]
    assert some_residual == {k: v for k, v in residual.items() if k[1] in wanted}
    assert len(some_hits) == 2 and some_residual


def test_a_spilled_index_scans_like_one_in_memory(
        sample_run: tuple[Pseudonymizer, list[str]], tmp_path: Path) -> None:
    """During the stream the hashed tables wait on disk (an unnamed, encrypted file); the
    scanner built from them finds exactly what the in-memory index finds."""
    pz, texts = sample_run
    config = pz.config
    plain = _index(pz._originals, pz._fakes, config, pieces=5)
    spilled = LeakIndex()
    spilled.spill_to(tmp_path)
    for i in range(5):
        part = {k: sorted(v)[i::5] for k, v in pz._originals.items()}
        spilled.add(encode(part, pz._fakes if i == 4 else {}, config.leak_min_length,
                           config.secret_marker))
    assert list(tmp_path.iterdir()) == []  # nothing named on disk, ever
    assert spilled._spill is not None and spilled._spill._count == 5
    a, b = plain.scanner(config), spilled.scanner(config)
    assert spilled._spill is None  # read back once, then gone
    assert len(spilled) == len(plain) and spilled.nbytes() == plain.nbytes()
    assert [b.find(t) for t in texts] == [a.find(t) for t in texts]
    released = LeakIndex()
    released.spill_to(tmp_path)
    released.add(encode({"EMAIL": {"jane.doe@contoso.com"}}, {}, 4, "[REDACTED]"))
    released.release()  # a run that stops early closes the file
    assert len(released) == 0
