"""The golden-file cases: one input per reader, converted with a shipped template.

Shared by the tests and by ``data/make_fixtures.py --golden``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftprep.ingest import convert

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


@dataclass(frozen=True)
class Case:
    name: str
    input: str
    template: str
    golden: str
    rejected_lines: tuple[int, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    detected: dict[str, Any] = field(default_factory=dict)
    make_source: Callable[[Path], Any] | None = None


def _template(name: str, data: Path) -> Path:
    local = data / name
    return local if local.exists() else TEMPLATES / name


CASES = [
    Case("csv_utf8", "tickets.csv", "support_chat.toml", "tickets.chat.jsonl", (4,),
         detected={"format": "csv", "encoding": "utf-8", "delimiter": ","}),
    Case("csv_cp1252_semicolon", "crm_cp1252_semicolon.csv", "support_chat.toml", "crm.chat.jsonl", (4,),
         detected={"format": "csv", "encoding": "cp1252", "delimiter": ";"}),
    Case("tsv_utf16", "crm_utf16.tsv", "support_chat.toml", "crm.chat.jsonl", (4,),
         detected={"format": "tsv", "encoding": "utf-16", "delimiter": "\t"}),
    Case("csv_utf8sig_pipe_crlf", "crm_utf8sig_pipe.csv", "support_chat.toml", "crm.chat.jsonl", (4,),
         detected={"format": "csv", "encoding": "utf-8-sig", "delimiter": "|"}),
    Case("csv_multi_turn", "billing.csv", "multi_turn_chat.toml", "billing.chat.jsonl"),
    Case("excel_tickets", "tickets.xlsx", "support_chat.toml", "tickets_xlsx.chat.jsonl", (5,),
         kwargs={"sheet": "Tickets"}, detected={"format": "excel", "sheet": "Tickets"}),
    Case("excel_types", "tickets.xlsx", "typed.toml", "orders_xlsx.chat.jsonl", (4,),
         kwargs={"sheet": 3}, detected={"format": "excel", "sheet": "Orders"}),
    Case("parquet_types", "orders.parquet", "typed.toml", "orders_parquet.chat.jsonl", (3,),
         kwargs={"batch_size": 3}, detected={"format": "parquet"}),
    Case("json_array", "faq.json", "faq_completion.toml", "faq.completion.jsonl", (3, 7),
         detected={"format": "json", "encoding": "utf-8"}),
    Case("jsonl_fields", "feedback.jsonl", "preference_dpo.toml", "feedback.preference.jsonl", (4, 5, 6),
         detected={"format": "jsonl"}),
    Case("log_multiline", "support.log", "app_log.toml", "support_log.chat.jsonl", (1, 11),
         detected={"format": "log", "encoding": "utf-8"}),
]


def run_case(case: Case, data: Path) -> bytes:
    """Convert the case's input and return the output file's bytes."""
    source = case.make_source(data) if case.make_source else data / case.input
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        convert(source, out, _template(case.template, data), **case.kwargs)
        return out.read_bytes()
