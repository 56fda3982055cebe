"""Write the ingest test fixtures (run from the repo root; the outputs are committed).

    python tests/ingest/data/make_fixtures.py            # inputs only
    python tests/ingest/data/make_fixtures.py --golden   # also rewrite expected/*.jsonl

Regenerating goldens must be followed by reading the diff: a golden file is the
specification of the output bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = ["ticket_id", "product", "customer", "email", "phone", "description", "resolution"]
# Only characters cp1252 can encode, so every encoding variant holds the same table.
CRM = [
    ["0042", "Router X2", "Zoë Müller", "zoe@example.com", "",
     "Wi-Fi drops every hour; firmware 1.0", "Update to firmware 1.2 via Settings / Update."],
    ["0043", "Printer P1", "Jean-Luc Dupré", "", "+33 1 23 45 67 89",
     'Printer says "paper jam", but the tray is empty', "Open the rear cover and remove the torn sheet."],
    ["0044", "Invoice", "Ana Gómez", "ana@example.org", "", "Charged 19.90 € twice", ""],
    ["0045", "Router X2", "Siobhán O’Brien", "ob@example.com", "555-0100",
     "Line one of the problem\nline two of the problem", "Reset it:\n1. Hold the button\n2. Wait 10 s"],
    ["", "", "", "", "", "", ""],
    ["0046", "Câble HDMI", "Émile Zola", "emile@example.fr", "", "Écran noir après 5 min", "Remplacez le câble."],
]
EXTRA_UTF8 = [
    ["0047", "App 🚀", "李雷", "li@example.cn", "", "登录失败 after update\tv2.3 <|not special|>",
     "Clear the cache: Settings → Storage → Clear."],
]


def _csv_bytes(rows: list[list[str]], delimiter: str, encoding: str, newline: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_tables() -> None:
    (HERE / "tickets.csv").write_bytes(_csv_bytes(CRM + EXTRA_UTF8, ",", "utf-8", "\n") + b"\n")
    (HERE / "crm_cp1252_semicolon.csv").write_bytes(_csv_bytes(CRM, ";", "cp1252", "\r\n"))
    (HERE / "crm_utf16.tsv").write_bytes(_csv_bytes(CRM, "\t", "utf-16", "\n"))
    (HERE / "crm_utf8sig_pipe.csv").write_bytes(_csv_bytes(CRM, "|", "utf-8-sig", "\r\n"))
    billing = [
        ["question", "first_answer", "follow_up", "final_answer"],
        ["Why was I charged twice?", "Let me check your account.", "It was on 3 May.",
         "The duplicate charge of 3 May is refunded; expect it in 5 days."],
        ["Can I get a paper invoice?", "Yes.", "Where do I ask?", "Reply to any invoice email with PAPER."],
    ]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(billing)
    (HERE / "billing.csv").write_bytes(buf.getvalue().encode("utf-8"))


def write_excel() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    about = wb.active
    about.title = "About"
    about["A1"] = "Export of the ticket system; see the Tickets and Orders sheets."
    tickets = wb.create_sheet("Tickets")
    tickets.append([])  # a blank first row: the header is the first non-empty row (row 2)
    tickets.append(HEADER)
    for row in CRM:
        values: list[object] = [int(row[0]) if row[0] else None] + [c or None for c in row[1:]]
        tickets.append(values)
    orders = wb.create_sheet("Orders")
    orders.append(["id", "opened", "updated", "amount", "paid", "tags", "note", "ratio"])
    orders.append([1, dt.datetime(2024, 5, 1), dt.datetime(2024, 5, 2, 13, 45, 7), 19.9, True,
                   "billing, refund", None, 0.1])
    orders.append([2, dt.datetime(2024, 5, 3), None, 1.0, False, None, "call back", 0.30000000000000004])
    orders.append([3, dt.datetime(2024, 5, 4), None, "#DIV/0!", False, None, None, None])
    orders.append([4, dt.datetime(2024, 12, 31), dt.datetime(2025, 1, 1, 0, 0, 0), 1e16, True, "x", None, 2])
    for row in orders.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd"
        row[2].number_format = "yyyy-mm-dd hh:mm:ss"
    wb.save(HERE / "tickets.xlsx")


def write_parquet() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    utc = dt.timezone.utc
    table = pa.table(
        {
            "id": pa.array([1, 2, None, 4], pa.int64()),
            "opened": pa.array([dt.date(2024, 5, 1), dt.date(2024, 5, 3), dt.date(2024, 5, 4),
                                dt.date(2024, 12, 31)], pa.date32()),
            "updated": pa.array([dt.datetime(2024, 5, 2, 13, 45, 7, tzinfo=utc), None, None,
                                 dt.datetime(2025, 1, 1, tzinfo=utc)], pa.timestamp("us", tz="UTC")),
            "amount": pa.array([19.9, 1.0, 3.5, 1e16], pa.float64()),
            "paid": pa.array([True, False, False, True], pa.bool_()),
            "tags": pa.array([["billing", "refund"], [], None, ["x"]], pa.list_(pa.string())),
            "note": pa.array([None, "call back", None, "a/b \"quoted\""], pa.string()),
            "ratio": pa.array([0.1, 0.30000000000000004, float("nan"), 2.0], pa.float64()),
            "price": pa.array([Decimal("19.90"), Decimal("1.00"), None, Decimal("0.05")], pa.decimal128(10, 2)),
        }
    )
    pq.write_table(table, HERE / "orders.parquet", row_group_size=2)


def write_json() -> None:
    text = """[
  {"question": "How do I reset my password?", "answer": "Use \\"Forgot password\\" on the sign-in page."},
  {"question": "Where is the invoice\\/receipt?", "answer": "Under Billing \\u2192 Invoices."},
  "not an object",
  {"question": "What is the answer?", "answer": 42},
  {"question": "Price of plan A?", "answer": 1.0},
  {"question": "Which plans exist?", "answer": ["Basic", "Pro"]},
  {"question": "Unanswered?", "answer": null}
]
"""
    (HERE / "faq.json").write_bytes(text.encode("utf-8"))


def write_jsonl() -> None:
    lines = [
        {"id": "f1", "request": {"text": "Cancel my order 123", "lang": "en"},
         "answers": {"accepted": "Order 123 is cancelled; the refund takes 5 days.", "rejected": "No."}},
        {"id": "f2", "request": {"text": "Wie ändere ich meine Adresse?"},
         "answers": {"accepted": "Unter Konto → Adresse.", "rejected": "Keine Ahnung."}},
        None,  # a blank line
        "{not json",
        ["an", "array"],
        {"id": "f3", "request": {"text": "Is there a student discount?"}, "answers": {"accepted": "Yes, 20 %."}},
        {"id": "f4", "request": {"text": "Ship to Norway?"},
         "answers": {"accepted": "Yes, within 5 days.", "rejected": "We ship everywhere instantly!"}},
    ]
    out = []
    for item in lines:
        if item is None:
            out.append("")
        elif isinstance(item, str):
            out.append(item)
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    (HERE / "feedback.jsonl").write_bytes(("\n".join(out) + "\n").encode("utf-8"))


def write_log() -> None:
    text = """# support-bot export, March 2025
# format: <timestamp> [ticket N] Q: ... / A: ...
2025-03-01 09:15:02 [ticket 1042] Q: My invoice shows the wrong address.
A: I have updated the billing address; a corrected invoice is on its way.
2025-03-01 09:20:45 [ticket 1043] Q: The app crashes on start.
Stack trace attached:
  at main.py:12

A: Version 2.3.1 fixes this crash. Please update from the store.

2025-03-01 10:02:11 [ticket 1044] Q: Hello? (no answer was logged)
2025-03-01T10:05:00 [ticket 1045] Q: Can I pay by bank transfer?
A: Yes: use the IBAN on your invoice and quote the invoice number.
"""
    (HERE / "support.log").write_bytes(text.encode("utf-8"))


def write_golden() -> None:
    sys.path.insert(0, str(HERE.parent))
    from golden_cases import CASES, run_case  # type: ignore[import-not-found]

    out_dir = HERE / "expected"
    out_dir.mkdir(exist_ok=True)
    for case in CASES:
        (out_dir / case.golden).write_bytes(run_case(case, HERE))


if __name__ == "__main__":
    write_tables()
    write_excel()
    write_parquet()
    write_json()
    write_jsonl()
    write_log()
    if "--golden" in sys.argv:
        write_golden()
