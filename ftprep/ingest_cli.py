"""``ftprep convert``: a table, log or dataset in, fine-tuning JSONL out, via a template.

A thin click shell over :func:`ftprep.ingest.convert`. Errors are raised as
:class:`~ftprep.errors.FtprepError` subclasses; ``ftprep.cli.main`` turns them
into one line and an exit code. Exit 0 when every row converted, 1 when some
rows were rejected (the output is still written, without them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli import emit_json, json_option
from .errors import UsageError
from .ingest.template import FORMATS

SCHEMA_VERSION = 1
SHOWN_REJECTS = 10


@click.command("convert")
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              help="Output JSONL file (required unless --dry-run).")
@click.option("-t", "--template", "template", required=True, type=click.Path(dir_okay=False),
              help="Template (TOML) mapping columns to messages; see templates/ for examples.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Input format (default: from the file name, else its first bytes).")
@click.option("--sheet", default=None, help="Excel sheet name or 1-based number (default: the first).")
@click.option("--record-start", default=None,
              help="Logs: regex matching the first line of each record (default: one record per line).")
@click.option("--encoding", default=None, help="Text encoding (default: sniffed and reported).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: sniffed and reported).")
@click.option("--split", default=None, help="Datasets: convert only this split.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Convert only the first N rows.")
@click.option("--dry-run", is_flag=True, help="Convert and report, but write nothing.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@json_option
def convert(input_path: str, output: str | None, template: str, fmt: str | None, sheet: str | None,
            record_start: str | None, encoding: str | None, delimiter: str | None, split: str | None,
            limit: int | None, dry_run: bool, force: bool, as_json: bool) -> None:
    """Convert INPUT (CSV, TSV, Excel, Parquet, JSON, JSONL, a log file or a saved
    Hugging Face dataset) into fine-tuning JSONL using a template.

    \b
    Example:
      ftprep convert tickets.csv -o train.jsonl --template templates/support_chat.toml
    """
    from .ingest import convert as run_convert

    if output is None and not dry_run:
        raise UsageError("convert: give -o/--output (or --dry-run)")
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise UsageError("--delimiter must be one character (or \\t / tab)")
    out = None if dry_run else output
    if out is not None and Path(out).exists() and not force:
        raise UsageError(f"{out}: exists; pass --force to overwrite")
    report = run_convert(
        input_path, out, template, fmt=fmt, sheet=sheet, record_start=record_start,
        encoding=encoding, delimiter=delimiter, split=split, limit=limit,
    )
    if as_json:
        emit_json({"schema_version": SCHEMA_VERSION, "command": "convert", **report.to_dict()})
    else:
        click.echo(report.summary())
        if out is not None:
            click.echo(f"wrote {report.examples_out} examples to {out}")
    if report.rejected_count:
        for finding in report.rejected[:SHOWN_REJECTS]:
            click.echo(f"ftprep: rejected: {finding}", err=True)
        if report.rejected_count > SHOWN_REJECTS:
            click.echo(f"ftprep: ... {report.rejected_count - SHOWN_REJECTS} more rejected rows "
                       "(see --json)", err=True)
    sys.exit(0 if report.ok else 1)
