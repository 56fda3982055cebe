"""Stage-by-stage entry points for the notebook and the ``validate`` / ``tokens`` commands.

``prepare`` (in :mod:`ftprep.pipeline`) runs every stage; the functions here run
one or two stages over files and return report objects that render as tables
in Jupyter (``_repr_html_``) and as text or JSON in the CLI.
"""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from .io import ReadLimits, iter_records
from .pipeline import expand_inputs
from .records import Finding, Record, Severity
from .tokens import Counter, TokenStats, estimate_cost, resolve_model, summarize
from .validate import CODES, Validator

MAX_KEPT_FINDINGS = 10_000


def load(inputs: Sequence[str | os.PathLike[str]], *, batch_size: int = 512,
         limits: ReadLimits | None = None) -> Iterator[list[Record]]:
    """Stream the records of files (directories expand to their JSONL files) in batches."""
    for path in expand_inputs(inputs):
        yield from iter_records(path, batch_size=batch_size, limits=limits)


@dataclass
class ValidationReport:
    files: list[str]
    lines: int = 0
    valid: int = 0
    format: str | None = None
    errors_by_code: dict[str, int] = field(default_factory=dict)
    warnings_by_code: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    findings_truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors_by_code

    def summary_line(self) -> str:
        errs = sum(self.errors_by_code.values())
        warns = sum(self.warnings_by_code.values())
        return (f"{self.lines} lines in {len(self.files)} file(s), format {self.format}: "
                f"{self.valid} valid, {self.lines - self.valid} with errors "
                f"({errs} errors, {warns} warnings)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1, "files": self.files, "lines": self.lines, "valid": self.valid,
            "format": self.format, "ok": self.ok, "errors_by_code": self.errors_by_code,
            "warnings_by_code": self.warnings_by_code,
            "findings": [f.to_dict() for f in self.findings],
            "findings_truncated": self.findings_truncated,
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.findings],
                            columns=["source", "line", "severity", "code", "message"])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{escape(code)}</td><td>{n}</td><td>{escape(CODES.get(code, ''))}</td></tr>"
            for code, n in {**self.errors_by_code, **self.warnings_by_code}.items()
        )
        return (f"<div><b>{escape(self.summary_line())}</b><table><tr><th>code</th><th>count</th>"
                f"<th>meaning</th></tr>{rows}</table></div>")


def validate_files(inputs: Sequence[str | os.PathLike[str]], *, model: str = "gpt-4o-mini",
                   limits: ReadLimits | None = None) -> ValidationReport:
    """Load and validate files; no pseudonymization, no outputs."""
    files = expand_inputs(inputs)
    validator = Validator(resolve_model(model))
    report = ValidationReport(files=files)
    errors: Tally[str] = Tally()
    warnings: Tally[str] = Tally()
    for batch in load(files, limits=limits):
        for rec in batch:
            validator.validate(rec)
            report.lines += 1
            if rec.obj is not None and not rec.has_errors:
                report.valid += 1
            for f in rec.findings:
                (errors if f.severity is Severity.ERROR else warnings)[f.code] += 1
                if len(report.findings) < MAX_KEPT_FINDINGS:
                    report.findings.append(f)
                else:
                    report.findings_truncated = True
    report.format = validator.format
    report.errors_by_code = dict(sorted(errors.items()))
    report.warnings_by_code = dict(sorted(warnings.items()))
    return report


@dataclass
class TokenReport:
    model: str
    encoding: str
    limit: int
    stats: TokenStats
    over_limit_examples: list[str]
    cost: dict[str, Any]
    per_example: list[tuple[str, int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": 1, "model": self.model, "encoding": self.encoding,
                "example_token_limit": self.limit, "stats": self.stats.to_dict(),
                "over_limit_examples": self.over_limit_examples[:100], "cost": self.cost}

    def render(self) -> str:
        s = self.stats
        c = self.cost
        lines = [
            f"{self.model} ({self.encoding}, limit {self.limit} tokens per example)",
            f"  examples {s.examples}: total {s.total}, trained {s.trained}, mean {s.mean}, "
            f"p5 {s.p5}, p50 {s.p50}, p95 {s.p95}, max {s.max}",
            f"  over the limit: {s.over_limit}",
            f"  billed ~{c['billed_tokens']} tokens over {c['epochs']} epochs ({c['epochs_source']})",
        ]
        if c["estimated_cost_usd"] is not None:
            lines.append(f"  ~${c['estimated_cost_usd']} at ${c['price_per_million']}/1M (estimate)")
        return "\n".join(lines)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.per_example, columns=["example_id", "total_tokens", "trained_tokens"])

    def _repr_html_(self) -> str:
        return "<pre>" + escape(self.render()) + "</pre>"


def count_tokens(inputs: Sequence[str | os.PathLike[str]], *, model: str = "gpt-4o-mini",
                 n_epochs: int | None = None) -> TokenReport:
    """Count tokens of every valid example (as written, before pseudonymization)."""
    info = resolve_model(model)
    counter = Counter(info)
    validator = Validator(info)
    from .tokens import count_example

    per: list[tuple[str, int, int]] = []
    for batch in load(inputs):
        for rec in batch:
            validator.validate(rec)
            if rec.has_errors or rec.obj is None:
                continue
            t = count_example(counter, rec.obj, rec.format or "chat")
            per.append((rec.example_id, t.total, t.trained))
    stats = summarize([p[1] for p in per], [p[2] for p in per], info.example_token_limit)
    over = [p[0] for p in per if p[1] > info.example_token_limit]
    cost = estimate_cost(stats, info, n_epochs).to_dict()
    return TokenReport(info.name, info.encoding, info.example_token_limit, stats, over, cost, per)


def check_files(inputs: Sequence[str | os.PathLike[str]], config: Any = None,
                key: bytes | None = None) -> Any:
    """Run the checks stage alone: the same stats frame and suite as ``prepare``, nothing kept.

    With a key the frame is built from pseudonymized data (as in ``prepare``); without one,
    pseudonymization is skipped — the checks see counts and flags only, never text.
    Returns a :class:`ftprep.checks.ChecksReport`.
    """
    import tempfile

    from .checks import ChecksReport
    from .config import PrepareConfig
    from .pipeline import prepare

    cfg = config if config is not None else PrepareConfig()
    if key is None:
        cfg = cfg.with_overrides(pseudonymize=False)
    with tempfile.TemporaryDirectory(prefix="ftprep-check-") as tmp:
        report = prepare(inputs, os.path.join(tmp, "out"), cfg, key)
    return ChecksReport.from_dict(report.manifest["checks"])


def sample_mapping(inputs: Sequence[str | os.PathLike[str]], key: bytes, config: Any = None,
                   n: int = 10) -> list[tuple[str, str, str]]:
    """The first ``n`` (entity type, original, fake) replacements in the inputs.

    It returns ORIGINAL values: for an explicit ``--show-mapping`` on a terminal or a notebook
    cell the user asked for — never log or write them.
    """
    from .pseudonymize import PseudonymizeConfig, Pseudonymizer

    options = dict(config.pseudonymize_options) if config is not None else {}
    pz = Pseudonymizer(key, PseudonymizeConfig.from_dict(options))
    out: list[tuple[str, str, str]] = []
    for batch in load(inputs):
        for rec in batch:
            if rec.obj is None:
                continue
            _, traced = pz.trace(rec.obj)
            for original, replacements in traced.items():
                for r in replacements:
                    out.append((r.etype, original[r.start:r.end], r.fake))
                    if len(out) >= n:
                        return out
    return out
