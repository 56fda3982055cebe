"""report.html: every section, self-contained, escaped, atomic."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import LIMIT, synthetic_frame, synthetic_manifest

from ftprep.report import SECTIONS, render_report, token_histogram_svg, write_report

EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:https?:|ftp:|//)"""
    r"""|url\(\s*["']?\s*(?:https?:|//)|@import|<script|<link|<iframe|<object|<embed""",
    re.IGNORECASE,
)


@pytest.fixture
def page() -> str:
    return render_report(synthetic_manifest("failed"), synthetic_frame())


def test_every_section_is_present(page: str) -> None:
    for sid, _ in SECTIONS:
        assert f'<section id="{sid}">' in page
    for text in ("FAILED", "Counts per stage", "Tokens per example", "Messages per example",
                 "Pseudonymized entities", "Checks", "Cost and epochs", "Top problems"):
        assert text in page


def test_page_loads_nothing_from_outside(page: str) -> None:
    assert not EXTERNAL.search(page)
    # the only URL-looking text is the SVG namespace, which is not a request
    for m in re.finditer(r"https?://[^\s\"'<>]+", page):
        assert m.group(0) == "http://www.w3.org/2000/svg"
    assert "default-src 'none'" in page


def test_token_histograms_mark_the_limit(page: str) -> None:
    assert page.count("<svg") >= 4  # train, validation, messages, entities
    assert page.count(f"model limit {LIMIT:,}") == 2
    assert "train: tokens per example (40 examples, 0 over the limit)" in page
    assert "validation: tokens per example (6 examples" in page


def test_counts_reasons_and_problems(page: str) -> None:
    assert "<code>invalid_json</code>" in page and "<code>no_assistant</code>" in page
    assert "in/chat.jsonl:47" in page and "in/chat.jsonl:48" in page
    assert "<code>in/chat.jsonl:7</code>" in page  # named by a failed check


def test_checks_table_has_severities(page: str) -> None:
    section = page.split('<section id="checks">')[1].split("</section>")[0]
    assert "total_tokens_in_range" in section and "FAIL" in section
    assert "no_duplicates_within_split" in section and ">warn<" in section
    assert "train_min_rows" in section and ">pass<" in section


def test_entities_cost_and_verdict(page: str) -> None:
    assert "PHONE" in page and "120" in page and "31" in page
    assert "$0.54" in page and "$3.00" in page
    assert "1 error-severity check(s) failed" in page
    ok = render_report(synthetic_manifest("ok"), synthetic_frame())
    assert '<span class="verdict ok">OK</span>' in ok


def test_values_from_the_manifest_are_escaped() -> None:
    m = synthetic_manifest()
    m["problems"] = [{"source": "<script>alert(1)</script>.jsonl", "line": 1, "codes": ["<b>"]}]
    m["inputs"][0]["path"] = '"><img src=x>'
    page = render_report(m, synthetic_frame())
    assert "<script>alert" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;" in page


def test_no_text_from_the_frame_beyond_ids() -> None:
    frame = synthetic_frame()
    page = render_report(synthetic_manifest(), frame)
    # content hashes are keys, not for display
    assert frame.loc[0, "content_hash"] not in page


def test_minimal_manifest_and_empty_frame_render() -> None:
    page = render_report({"verdict": "failed"}, pd.DataFrame())
    for sid, _ in SECTIONS:
        assert f'id="{sid}"' in page
    assert render_report({}, None).startswith("<!DOCTYPE html>")


def test_pseudonymization_off_is_said_loudly() -> None:
    m = synthetic_manifest()
    m["pseudonymization"] = {"enabled": False, "key_fingerprint": None, "entities": {},
                             "leak_check": {"ran": False}}
    page = render_report(m, synthetic_frame().drop(columns=["pii_EMAIL", "pii_PHONE"]))
    assert "Pseudonymization was off" in page and "no entities detected" in page


def test_histogram_with_tokens_over_the_limit() -> None:
    svg = token_histogram_svg([10, 100, 70_000, 1_000_000], LIMIT, "train")
    assert "2 over the limit" in svg and "model limit 65,536" in svg
    assert svg.count("<rect") == 28


def test_write_report_is_atomic(tmp_path: Path) -> None:
    path = write_report(tmp_path, synthetic_manifest(), synthetic_frame())
    assert path == tmp_path / "report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_rendering_is_deterministic() -> None:
    a = render_report(synthetic_manifest(), synthetic_frame())
    b = render_report(synthetic_manifest(), synthetic_frame())
    assert a == b
