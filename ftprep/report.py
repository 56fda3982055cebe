"""``report.html``: one self-contained page that explains a run.

The page has no external CSS, JS, fonts or images (it is opened on locked-down
machines): styles are inline, charts are hand-written inline SVG with real
``<text>`` labels, and there is no script at all. It is built from the manifest
and the per-example stats frame only, which carry ids, counts and codes, never
the text of an example.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .checks import CheckResult, checks_table_html
from .io import atomic_writer

REPORT_NAME = "report.html"
MAX_PROBLEMS = 50

_CSS = """
:root { --ok:#1b7f3b; --bad:#b3261e; --warn:#9a6700; --muted:#5f6368; --line:#d0d7de;
        --bg:#f6f8fa; --accent:#0b57d0; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; margin: 0; color: #1f2328; background: #fff; line-height: 1.45; }
header { padding: 20px 32px; border-bottom: 1px solid var(--line); background: var(--bg); }
main { padding: 8px 32px 40px; max-width: 1180px; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 14px 0 6px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-size: 14px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 14px; font-weight: 700;
           color: #fff; font-size: 14px; letter-spacing: .03em; }
.verdict.ok { background: var(--ok); } .verdict.failed { background: var(--bad); }
.meta { color: var(--muted); font-size: 13px; margin-top: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 14px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 22px; font-weight: 700; } .card .l { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td:first-child { color: var(--bad); font-weight: 700; }
tr.warn td:first-child { color: var(--warn); font-weight: 700; }
tr.ok td:first-child { color: var(--ok); }
.charts { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 0; } figcaption { font-size: 12px; color: var(--muted); }
.note { color: var(--muted); font-size: 12px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
"""

SECTIONS: tuple[tuple[str, str], ...] = (
    ("verdict", "Verdict"),
    ("counts", "Counts per stage"),
    ("tokens", "Tokens"),
    ("messages", "Messages per example"),
    ("entities", "Pseudonymized entities"),
    ("checks", "Checks"),
    ("cost", "Cost and epochs"),
    ("problems", "Top problems"),
    ("run", "Inputs, outputs and settings"),
)

esc = html.escape


# --------------------------------------------------------------------------- small helpers


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return esc(str(value))


def _get(d: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(d, Mapping) or key not in d:
            return default
        d = d[key]
    return d


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = (),
           empty: str = "none") -> str:
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _card(label: str, value: Any) -> str:
    return f'<div class="card"><div class="n">{_num(value)}</div><div class="l">{esc(label)}</div></div>'


# --------------------------------------------------------------------------- inline SVG charts


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    tooltip: str = ""


def _nice_max(v: int) -> int:
    if v <= 0:
        return 1
    exp = 10 ** int(math.floor(math.log10(v)))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return int(math.ceil(m * exp))
    return v


def bar_chart_svg(bars: Sequence[Bar], *, title: str, x_label: str, y_label: str = "examples",
                  width: int = 520, height: int = 220, marker: tuple[float, str] | None = None,
                  label_every: int = 1) -> str:
    """A vertical bar chart as inline SVG. ``marker`` = (position in bar units, label)."""
    left, right, top, bottom = 48, 12, 26, 44
    pw, ph = width - left - right, height - top - bottom
    n = max(len(bars), 1)
    ymax = _nice_max(max((b.value for b in bars), default=0))
    slot = pw / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{esc(title)}</title>",
        f'<text x="{left}" y="14" font-size="12" font-weight="600">{esc(title)}</text>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = top + ph - frac * ph
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" '
                     'stroke="#d0d7de" stroke-width="1"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6368">'
                     f"{_num(int(ymax * frac))}</text>")
    for i, b in enumerate(bars):
        h = 0.0 if ymax == 0 else b.value / ymax * ph
        x = left + i * slot + slot * 0.1
        y = top + ph - h
        tip = esc(b.tooltip or f"{b.label}: {b.value:,}")
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot * 0.8, 1):.1f}" '
                     f'height="{h:.1f}" fill="#0b57d0"><title>{tip}</title></rect>')
        if i % label_every == 0:
            cx = left + i * slot + slot / 2
            parts.append(f'<text x="{cx:.1f}" y="{top + ph + 14}" text-anchor="middle" '
                         f'fill="#5f6368">{esc(b.label)}</text>')
    if marker is not None:
        pos, text = marker
        mx = left + min(max(pos, 0.0), n) * slot
        parts.append(f'<line x1="{mx:.1f}" y1="{top - 4}" x2="{mx:.1f}" y2="{top + ph}" '
                     'stroke="#b3261e" stroke-width="2" stroke-dasharray="5 3"/>')
        anchor = "end" if mx > left + pw * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(f'<text x="{mx + dx:.1f}" y="{top + 8}" text-anchor="{anchor}" '
                     f'fill="#b3261e" font-weight="600">{esc(text)}</text>')
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                 f"{esc(x_label)}</text>")
    parts.append(f'<text x="12" y="{top + ph / 2:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top + ph / 2:.1f})">{esc(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart_svg(bars: Sequence[Bar], *, title: str, x_label: str, width: int = 520,
                   row: int = 20) -> str:
    """A horizontal bar chart as inline SVG (long category labels stay readable)."""
    label_w = min(max((len(b.label) for b in bars), default=4) * 7 + 10, 200)
    left, right, top, bottom = label_w, 60, 26, 30
    pw = width - left - right
    height = top + bottom + row * max(len(bars), 1)
    xmax = max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{esc(title)}</title>",
        f'<text x="4" y="14" font-size="12" font-weight="600">{esc(title)}</text>',
    ]
    for i, b in enumerate(bars):
        y = top + i * row
        w = b.value / xmax * pw
        tip = esc(b.tooltip or f"{b.label}: {b.value:,}")
        parts.append(f'<text x="{left - 6}" y="{y + row * 0.65:.1f}" text-anchor="end">'
                     f"{esc(b.label)}</text>")
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row - 6}" '
                     f'fill="#0b57d0"><title>{tip}</title></rect>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + row * 0.65:.1f}" fill="#5f6368">'
                     f"{b.value:,}</text>")
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                 f"{esc(x_label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _short(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g}M"
    if n >= 1000:
        return f"{n / 1000:.3g}k"
    return f"{n:.0f}"


def token_histogram_svg(tokens: Sequence[int], limit: int, split: str, bins: int = 28) -> str:
    """Histogram of tokens per example on log-spaced bins, with the model limit marked."""
    values = [max(int(t), 0) for t in tokens]
    top = max([limit, *values, 2]) * 1.05
    positive = [v for v in values if v > 0]
    # Start a decade below the smallest example so the bulk of the data gets most bins.
    low = 10 ** math.floor(math.log10(min(positive))) if positive else 1
    low = max(1, min(low, limit // 10 or 1))
    span = math.log(top) - math.log(low)

    def edge(i: int) -> float:
        return math.exp(math.log(low) + span * i / bins)

    counts = [0] * bins
    for v in values:
        i = 0 if v <= low else min(int((math.log(v) - math.log(low)) / span * bins), bins - 1)
        counts[i] += 1
    bars = [Bar(_short(edge(i)), c, f"{_short(edge(i))}-{_short(edge(i + 1))} tokens: {c:,}")
            for i, c in enumerate(counts)]
    pos = (math.log(limit) - math.log(low)) / span * bins if limit > 1 else 0.0
    over = sum(1 for v in values if v > limit)
    title = f"{split}: tokens per example ({len(values):,} examples, {over:,} over the limit)"
    return bar_chart_svg(bars, title=title, x_label="tokens per example (log scale)",
                         marker=(pos, f"model limit {limit:,}"), label_every=4)


# --------------------------------------------------------------------------- sections


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{body}</section>'


def _verdict(manifest: Mapping[str, Any]) -> str:
    verdict = str(manifest.get("verdict", "unknown"))
    cls = "ok" if verdict == "ok" else "failed"
    counts = manifest.get("counts") or {}
    checks = manifest.get("checks") or {}
    results = checks.get("results") or []
    n_err = sum(1 for r in results if not r.get("success") and r.get("severity") == "error")
    n_warn = sum(1 for r in results if not r.get("success") and r.get("severity") == "warn")
    leak = _get(manifest, "pseudonymization", "leak_check") or {}
    reasons = []
    if n_err:
        reasons.append(f"{n_err} error-severity check(s) failed")
    if leak.get("ran") and not leak.get("passed", True):
        reasons.append("the leak check found original identifiers in the outputs")
    if verdict == "ok":
        why = "all error-severity checks passed"
        if n_warn:
            why += f"; {n_warn} warning(s)"
    else:
        why = "; ".join(reasons) or "the run failed"
    accounted = counts.get("accounted")
    acc = ("every input line is in train, validation or rejected" if accounted
           else "input lines and output rows do NOT add up" if accounted is False else "")
    cards = "".join([
        _card("input lines", counts.get("input_lines")),
        _card("train", counts.get("train")),
        _card("validation", counts.get("validation")),
        _card("rejected", counts.get("rejected")),
        _card("checks failed (error)", n_err),
        _card("check warnings", n_warn),
    ])
    return (f'<p><span class="verdict {cls}">{esc(verdict.upper())}</span> '
            f"&nbsp;{esc(why)}</p><div class=\"cards\">{cards}</div>"
            f'<p class="note">{esc(acc)}</p>')


def _counts(manifest: Mapping[str, Any]) -> str:
    counts = manifest.get("counts") or {}
    inp = counts.get("input_lines")
    rej = counts.get("rejected")
    valid = (inp - rej) if isinstance(inp, int) and isinstance(rej, int) else None
    stages = _table(
        ["stage", "rows"],
        [("read (input lines)", _num(inp)), ("valid after validation", _num(valid)),
         ("rejected", _num(rej)), ("train", _num(counts.get("train"))),
         ("validation", _num(counts.get("validation")))],
        numeric=[1],
    )
    by_reason = sorted((counts.get("rejected_by_reason") or {}).items(), key=lambda kv: -kv[1])
    reasons = _table(["reason code", "rejected lines"],
                     [(f"<code>{esc(str(k))}</code>", _num(v)) for k, v in by_reason],
                     numeric=[1], empty="no line was rejected")
    by_warn = sorted((counts.get("warnings_by_code") or {}).items(), key=lambda kv: -kv[1])
    warns = _table(["warning code", "lines"],
                   [(f"<code>{esc(str(k))}</code>", _num(v)) for k, v in by_warn],
                   numeric=[1], empty="no warnings")
    return (f'<div class="charts"><div><h3>Stages</h3>{stages}</div>'
            f"<div><h3>Rejected, by reason</h3>{reasons}"
            '<p class="note">A line can carry several reason codes.</p></div>'
            f"<div><h3>Warnings, by code</h3>{warns}</div></div>")


_TOKEN_COLS = (("examples", "examples"), ("total", "total"), ("trained", "trained"),
               ("billable", "billable"), ("over_limit", "over limit"), ("min", "min"),
               ("p5", "p5"), ("p50", "p50"), ("mean", "mean"), ("p95", "p95"), ("max", "max"))


def _tokens(manifest: Mapping[str, Any], frame: pd.DataFrame) -> str:
    limit = int(_get(manifest, "model", "example_token_limit", default=0) or 0)
    tokens = manifest.get("tokens") or {}
    rows = []
    for split in ("train", "validation"):
        st = tokens.get(split) or {}
        rows.append([esc(split), *(_num(st.get(key)) for key, _ in _TOKEN_COLS)])
    table = _table(["split", *(label for _, label in _TOKEN_COLS)], rows,
                   numeric=list(range(1, len(_TOKEN_COLS) + 1)))
    charts = []
    for split in ("train", "validation"):
        values = _column_for(frame, split, "total_tokens")
        if values is None:
            continue
        charts.append(f"<figure>{token_histogram_svg(values, max(limit, 1), split)}"
                      f"<figcaption>{esc(split)}: the dashed line is the model's "
                      f"per-example limit ({limit:,} tokens).</figcaption></figure>")
    model = esc(str(_get(manifest, "model", "name", default="?")))
    enc = esc(str(_get(manifest, "model", "encoding", default="?")))
    method = esc(str(tokens.get("method", "")))
    return (f'<p>Model <b>{model}</b>, encoding <code>{enc}</code>, per-example limit '
            f"<b>{limit:,}</b> tokens. <span class=\"note\">{method}</span></p>{table}"
            f'<div class="charts">{"".join(charts) or "<p class=empty>no examples</p>"}</div>')


def _column_for(frame: pd.DataFrame, split: str, column: str) -> list[int] | None:
    if frame is None or column not in frame.columns or "split" not in frame.columns:
        return None
    part = frame[column][(frame["split"] == split).to_numpy()]  # one column copied, not the rows
    return [int(x) for x in part.fillna(0)]


class _Rows:
    """Some rows of a frame, read column by column (``part[name]`` as ``frame.loc[mask][name]``)."""

    def __init__(self, frame: pd.DataFrame, mask: Any) -> None:
        self.frame, self.mask = frame, mask
        self.columns = frame.columns

    def __getitem__(self, name: str) -> pd.Series:
        return self.frame[name][self.mask]


def _messages(frame: pd.DataFrame) -> str:
    if frame is None or "n_messages" not in frame.columns or "split" not in frame.columns:
        return '<p class="empty">no per-example data</p>'
    # the needed columns of the train + validation rows, one at a time (a copy of whole rows
    # costs as much as the frame, which grows with the input)
    mask = frame["split"].isin(["train", "validation"]).to_numpy()
    if not mask.any():
        return '<p class="empty">no examples in train or validation</p>'
    part = _Rows(frame, mask)
    counts = part["n_messages"].astype(int).clip(upper=30).value_counts().sort_index()
    lo, hi = int(counts.index.min()), int(counts.index.max())
    bars = [Bar(f"{k}+" if k == 30 else str(k), int(counts.get(k, 0))) for k in range(lo, hi + 1)]
    every = max(1, len(bars) // 15)
    chart = bar_chart_svg(bars, title="messages per example (train + validation)",
                          x_label="messages", label_every=every)
    extra = []
    if "has_system" in part.columns:
        share = 1.0 - float(part["has_system"].astype(bool).mean())
        extra.append(("without a system message", f"{share:.1%}"))
    if "tool_calls" in part.columns:
        extra.append(("with tool calls", _num(int((part["tool_calls"] > 0).sum()))))
    if "weight0" in part.columns:
        extra.append(("with weight-0 assistant turns", _num(int((part["weight0"] > 0).sum()))))
    if "roles" in part.columns:
        top = part["roles"].value_counts().head(5)
        for roles, n in top.items():
            extra.append((f"role sequence <code>{esc(str(roles))}</code>", _num(int(n))))
    table = _table(["examples", "count"], extra, numeric=[1])
    return (f'<div class="charts"><figure>{chart}</figure><div>{table}'
            '<p class="note">Roles: S system, U user, A assistant, T tool, F function, '
            "? other.</p></div></div>")


def _entity_counts(manifest: Mapping[str, Any], frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    entities = _get(manifest, "pseudonymization", "entities") or {}
    out: dict[str, dict[str, Any]] = {}
    for etype, v in entities.items():
        if isinstance(v, Mapping):
            out[str(etype)] = {"occurrences": v.get("occurrences"), "distinct": v.get("distinct")}
        elif isinstance(v, int):
            out[str(etype)] = {"occurrences": v, "distinct": None}
    if frame is not None:
        for col in frame.columns:
            if isinstance(col, str) and col.startswith("pii_") and col != "pii_total":
                etype = col[4:]
                if etype not in out:
                    out[etype] = {"occurrences": int(frame[col].sum()), "distinct": None}
    return out


def _entities(manifest: Mapping[str, Any], frame: pd.DataFrame) -> str:
    pz = manifest.get("pseudonymization") or {}
    enabled = pz.get("enabled")
    head = ("<p>Pseudonymization was <b>on</b>; key fingerprint "
            f"<code>{esc(str(pz.get('key_fingerprint') or '-'))}</code>.</p>"
            if enabled else
            "<p><b>Pseudonymization was off</b> (<code>--no-pseudonymize</code>): "
            "identifiers in the data were not replaced.</p>")
    ents = _entity_counts(manifest, frame)
    ordered = sorted(ents.items(), key=lambda kv: -(kv[1].get("occurrences") or 0))
    table = _table(["entity type", "occurrences", "distinct values"],
                   [(esc(t), _num(v.get("occurrences")), _num(v.get("distinct")))
                    for t, v in ordered],
                   numeric=[1, 2], empty="no entities detected")
    chart = ""
    bars = [Bar(t, int(v.get("occurrences") or 0)) for t, v in ordered
            if v.get("occurrences")][:20]
    if bars:
        chart = "<figure>" + hbar_chart_svg(bars, title="entities replaced, by type",
                                            x_label="occurrences") + "</figure>"
    leak = pz.get("leak_check") or {}
    if leak.get("ran"):
        residual = leak.get("residual") or {}
        res_txt = ", ".join(f"{esc(str(k))}: {_num(v)}" for k, v in residual.items()) or "none"
        leak_html = (f"<p>Leak check: <b>{'passed' if leak.get('passed') else 'FAILED'}</b> "
                     f"(no original identifier may appear in any output). Residual detections "
                     f"after pseudonymization: {res_txt}.</p>")
    else:
        leak_html = "<p>Leak check: not run.</p>"
    secrets = pz.get("redacted_secrets")
    sec_html = f"<p>Secrets redacted: {_num(secrets)}.</p>" if secrets is not None else ""
    return f'{head}<div class="charts"><div>{table}</div>{chart}</div>{leak_html}{sec_html}'


def _checks(manifest: Mapping[str, Any]) -> str:
    checks = manifest.get("checks") or {}
    results = [CheckResult.from_dict(r) for r in checks.get("results") or []
               if isinstance(r, Mapping)]
    if not results:
        return '<p class="empty">no checks ran</p>'
    table = checks_table_html(results, bool(checks.get("success")), checks.get("seconds"))
    return (table + '<p class="note">Severity <b>error</b> fails the run (exit 1); '
            "<b>warn</b> is reported. Thresholds and severities live in the "
            "<code>[checks]</code> table of <code>ftprep.toml</code>. Failing examples are "
            "named by <code>file:line</code>; values are never shown.</p>")


def _cost(manifest: Mapping[str, Any]) -> str:
    cost = _get(manifest, "tokens", "cost") or {}
    if not cost:
        return '<p class="empty">no estimate</p>'
    price = cost.get("price_per_million")
    usd = cost.get("estimated_cost_usd")
    rows = [
        ("epochs", f"{_num(cost.get('epochs'))} <span class=\"note\">("
                   f"{esc(str(cost.get('epochs_source', '')))})</span>"),
        ("billed training tokens (tokens x epochs)", _num(cost.get("billed_tokens"))),
        ("price per million training tokens", f"${price:,.2f}" if isinstance(price, (int, float))
         else "unknown for this model"),
        ("estimated cost", f"<b>${usd:,.2f}</b>" if isinstance(usd, (int, float)) else "-"),
    ]
    return _table(["", "value"], rows, numeric=[1]) + (
        f'<p class="note">{esc(str(cost.get("note", "")))}</p>')


def _problems(manifest: Mapping[str, Any]) -> str:
    problems = [p for p in manifest.get("problems") or [] if isinstance(p, Mapping)]
    rows = [(f"<code>{esc(str(p.get('source', '?')))}:{_num(p.get('line'))}</code>",
             " ".join(f"<code>{esc(str(c))}</code>" for c in p.get("codes") or []))
            for p in problems[:MAX_PROBLEMS]]
    rejected = _get(manifest, "counts", "rejected")
    note = ""
    if isinstance(rejected, int) and rejected > len(rows):
        note = (f'<p class="note">Showing the first {len(rows)} of {rejected:,} rejected lines; '
                "every one is in <code>rejected.jsonl</code> with its file, line and codes.</p>")
    failing = []
    for r in _get(manifest, "checks", "results", default=[]) or []:
        if isinstance(r, Mapping) and not r.get("success") and r.get("example_ids"):
            ids = ", ".join(f"<code>{esc(str(i))}</code>" for i in r["example_ids"][:10])
            failing.append((f"{esc(str(r.get('severity')))}", esc(str(r.get("name") or
                            r.get("expectation"))), ids))
    checks_table = ""
    if failing:
        checks_table = "<h3>Examples named by failed checks</h3>" + _table(
            ["severity", "check", "examples (file:line)"], failing)
    return (_table(["where (file:line)", "reason codes"], rows, empty="no rejected lines")
            + note + checks_table)


def _run(manifest: Mapping[str, Any]) -> str:
    inputs = [(f"<code>{esc(str(i.get('path')))}</code>", _num(i.get("lines")),
               _num(i.get("bytes")), f"<code>{esc(str(i.get('sha256', ''))[:16])}</code>")
              for i in manifest.get("inputs") or [] if isinstance(i, Mapping)]
    outputs = [(esc(str(name)), f"<code>{esc(str(o.get('path')))}</code>", _num(o.get("rows")),
                _num(o.get("bytes")), f"<code>{esc(str(o.get('sha256', ''))[:16])}</code>")
               for name, o in (manifest.get("outputs") or {}).items() if isinstance(o, Mapping)]
    config = manifest.get("config") or {}
    cfg_rows = [(f"<code>{esc(str(k))}</code>", f"<code>{esc(_short_value(v))}</code>")
                for k, v in config.items()]
    versions = ", ".join(f"{esc(str(k))} {esc(str(v))}"
                         for k, v in (manifest.get("versions") or {}).items())
    return ("<h3>Inputs</h3>"
            + _table(["path", "lines", "bytes", "sha256 (prefix)"], inputs, numeric=[1, 2])
            + "<h3>Outputs</h3>"
            + _table(["output", "path", "rows", "bytes", "sha256 (prefix)"], outputs,
                     numeric=[2, 3])
            + "<h3>Settings</h3>" + _table(["key", "value"], cfg_rows, empty="defaults")
            + f'<p class="note">ftprep {esc(str(manifest.get("ftprep_version", "?")))}; '
              f"{versions}</p>")


def _short_value(v: Any) -> str:
    text = str(v)
    return text if len(text) <= 120 else text[:117] + "..."


# --------------------------------------------------------------------------- entry points


def render_report(manifest: Mapping[str, Any], frame: pd.DataFrame | None) -> str:
    """The HTML text of report.html (self-contained; no example text inside)."""
    if frame is None:
        frame = pd.DataFrame()
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title in SECTIONS)
    model = esc(str(_get(manifest, "model", "name", default="?")))
    fmt = esc(str(manifest.get("format") or "?"))
    target = esc(str(manifest.get("target") or _get(manifest, "config", "target", default="?")))
    body = [
        _section("verdict", "Verdict", _verdict(manifest)),
        _section("counts", "Counts per stage", _counts(manifest)),
        _section("tokens", "Tokens per example", _tokens(manifest, frame)),
        _section("messages", "Messages per example", _messages(frame)),
        _section("entities", "Pseudonymized entities", _entities(manifest, frame)),
        _section("checks", "Checks", _checks(manifest)),
        _section("cost", "Cost and epochs", _cost(manifest)),
        _section("problems", "Top problems", _problems(manifest)),
        _section("run", "Inputs, outputs and settings", _run(manifest)),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>ftprep report: {esc(str(manifest.get('verdict', '?')))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>ftprep report</h1><div class=\"meta\">model <b>{model}</b> &middot; "
        f"format <b>{fmt}</b> &middot; target <b>{target}</b> &middot; schema "
        f"{esc(str(manifest.get('schema_version', '?')))}</div><nav>{nav}</nav></header>"
        f"<main>{''.join(body)}</main></body></html>\n"
    )


def write_report(outdir: str | os.PathLike[str], manifest: Mapping[str, Any],
                 frame: pd.DataFrame | None) -> Path:
    """Write ``report.html`` into ``outdir`` atomically and return its path."""
    path = Path(outdir) / REPORT_NAME
    text = render_report(manifest, frame)
    with atomic_writer(path) as fh:
        fh.write(text.encode("utf-8"))
    return path
