"""Click commands for the upload helper: ``ftprep upload`` and ``ftprep jobs status``.

Registered lazily by ``ftprep/cli.py`` as ``ftprep.upload_cli:upload`` and
``ftprep.upload_cli:jobs``. Data and ``--json`` go to stdout; progress,
warnings and errors go to stderr. Exit codes: 0 ok, 1 refused or failed,
2 usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from .errors import EXIT_DATA, EXIT_USAGE, FtprepError, UploadError, UsageError

SCHEMA_VERSION = 1
TRAINING_TYPES = ("standard", "globalstandard", "developer")


def _exit(code: int) -> NoReturn:
    # SystemExit, not ctx.exit(): ftprep.cli.main runs click with standalone_mode=False,
    # where ctx.exit(n) only becomes a return value and the exit code would be lost.
    raise SystemExit(code)


def _err(message: str) -> None:
    click.echo(message, err=True)


def _finish(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for line in lines:
            click.echo(line)


def _fail(as_json: bool, exc: FtprepError) -> NoReturn:
    from .upload import UploadRefused

    rules = exc.rules if isinstance(exc, UploadRefused) else []
    if rules:
        for rule in rules:
            _err(f"ftprep upload: refused: {rule}")
    else:
        _err(f"ftprep: {exc}")
    code = EXIT_USAGE if isinstance(exc, UsageError) else (
        EXIT_DATA if isinstance(exc, UploadError) else exc.exit_code)
    payload = {"schema_version": SCHEMA_VERSION, "ok": False, "error": str(exc), "refused": rules}
    if as_json:
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    _exit(code)


def _parse_metadata(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--metadata")
        out[key] = value
    return out


@click.command("upload")
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--provider", type=click.Choice(["azure", "openai"]), default="azure",
              show_default=True, help="Azure OpenAI (primary) or OpenAI.")
@click.option("--endpoint", metavar="URL",
              help="Azure resource endpoint (default $AZURE_OPENAI_ENDPOINT), or a base URL for "
                   "OpenAI (default $OPENAI_BASE_URL or api.openai.com). Never put keys in it.")
@click.option("--api-version", metavar="V",
              help="Azure api-version (default $AZURE_OPENAI_API_VERSION or 2024-10-21).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until the service has processed the files.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=600.0,
              show_default=True, metavar="S", help="Timeout of each HTTP request, in seconds.")
@click.option("--wait-timeout", type=click.FloatRange(min=0, min_open=True), default=7200.0,
              show_default=True, metavar="S", help="How long to wait for processing, in seconds.")
@click.option("--max-retries", type=click.IntRange(0, 20), default=5, show_default=True,
              help="SDK retries (with backoff) on 429, 5xx and connection errors.")
@click.option("--poll-interval", type=click.FloatRange(min=0, min_open=True), default=2.0,
              show_default=True, metavar="S",
              help="First wait between processing checks; doubles up to 30 s.")
@click.option("--dry-run", is_flag=True, help="Run every check; send nothing; show what would be sent.")
@click.option("--create-job", is_flag=True, help="Create the fine-tuning job after the upload.")
@click.option("--model", metavar="M", help="Base model of the job (e.g. gpt-4o-mini-2024-07-18).")
@click.option("--suffix", metavar="S", help="Suffix of the fine-tuned model's name.")
@click.option("--n-epochs", type=click.IntRange(1, 50), metavar="N")
@click.option("--batch-size", type=click.IntRange(min=1), metavar="B")
@click.option("--learning-rate-multiplier", type=click.FloatRange(min=0, min_open=True), metavar="X")
@click.option("--seed", type=int, metavar="N")
@click.option("--method", type=click.Choice(["supervised", "dpo"]), default="supervised",
              show_default=True)
@click.option("--beta", type=click.FloatRange(min=0, min_open=True), metavar="B",
              help="DPO beta (with --method dpo).")
@click.option("--training-type", type=click.Choice(TRAINING_TYPES, case_sensitive=False),
              help="Azure training tier; globalstandard may process data outside the "
                   "resource's geography. Recorded in the receipt.")
@click.option("--metadata", "metadata_pairs", multiple=True, metavar="KEY=VALUE",
              help="Extra job metadata (ftprep adds the manifest hash and its version).")
@click.option("--allow-unpseudonymized", is_flag=True,
              help="Upload even though the run did not pseudonymize (recorded in the receipt).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def upload(outdir: Path, provider: str, endpoint: str | None,
           api_version: str | None, wait: bool, timeout: float, wait_timeout: float,
           max_retries: int, poll_interval: float, dry_run: bool, create_job: bool, model: str | None,
           suffix: str | None, n_epochs: int | None, batch_size: int | None,
           learning_rate_multiplier: float | None, seed: int | None, method: str,
           beta: float | None, training_type: str | None, metadata_pairs: tuple[str, ...],
           allow_unpseudonymized: bool, as_json: bool, quiet: bool) -> None:
    """Verify OUTDIR against its manifest and upload its files to Azure OpenAI or OpenAI.

    Keys come only from the environment: AZURE_OPENAI_API_KEY (or Microsoft
    Entra ID through azure-identity) for Azure, OPENAI_API_KEY for OpenAI.
    Uploads are idempotent: upload_receipt.json in OUTDIR records the file IDs.
    """
    from .upload import upload as do_upload

    metadata = _parse_metadata(metadata_pairs)
    show = (lambda m: _err(f"  {m}")) if not (quiet or as_json) else None
    try:
        report = do_upload(
            outdir, provider=provider, endpoint=endpoint, api_version=api_version, wait=wait,
            timeout=timeout, wait_timeout=wait_timeout, max_retries=max_retries,
            poll_interval=poll_interval, max_poll_interval=max(poll_interval, 30.0),
            dry_run=dry_run,
            create_job=create_job, model=model, suffix=suffix, n_epochs=n_epochs,
            batch_size=batch_size, learning_rate_multiplier=learning_rate_multiplier, seed=seed,
            method=method, beta=beta,
            training_type=training_type.lower() if training_type else None,
            metadata=metadata or None, allow_unpseudonymized=allow_unpseudonymized,
            progress=show, warn=lambda w: _err(f"warning: {w}"),
        )
    except FtprepError as exc:
        _fail(as_json, exc)
    lines = report.summary_lines()
    if dry_run and report.job is not None:
        lines.append("  job request: " + json.dumps(report.job.request, ensure_ascii=False))
    _finish(as_json, report.to_dict(), lines)


@click.group("jobs")
def jobs() -> None:
    """Fine-tuning jobs created by ftprep upload."""


@jobs.command("status")
@click.argument("job_id")
@click.option("--outdir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Take provider and endpoint from OUTDIR/upload_receipt.json.")
@click.option("--provider", type=click.Choice(["azure", "openai"]), default=None,
              help="Default: the receipt's, else azure.")
@click.option("--endpoint", metavar="URL")
@click.option("--api-version", metavar="V")
@click.option("--events", type=click.IntRange(0, 100), default=20, show_default=True,
              help="How many recent events to show.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, metavar="S")
@click.option("--max-retries", type=click.IntRange(0, 20), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def status(job_id: str, outdir: Path | None, provider: str | None,
           endpoint: str | None, api_version: str | None, events: int, timeout: float,
           max_retries: int, as_json: bool) -> None:
    """Show the state, error and recent events of fine-tuning job JOB_ID."""
    from .upload import job_status, read_receipt

    if outdir is not None:
        receipt = read_receipt(outdir) or {}
        if not receipt:
            raise click.UsageError(f"no readable upload_receipt.json in {outdir}")
        provider = provider or receipt.get("provider")
        endpoint = endpoint or receipt.get("endpoint") or None
        api_version = api_version or receipt.get("api_version")
    try:
        report = job_status(job_id, provider=provider or "azure", endpoint=endpoint,
                            api_version=api_version, events=events, timeout=timeout,
                            max_retries=max_retries)
    except FtprepError as exc:
        _fail(as_json, exc)
    # A failed job is reported (exit 0): the query itself succeeded.
    _finish(as_json, report.to_dict(), report.summary_lines())


def main() -> None:  # pragma: no cover - for `python -m ftprep.upload_cli` during development
    cli = click.Group(commands={"upload": upload, "jobs": jobs})
    sys.exit(cli.main(standalone_mode=True))


if __name__ == "__main__":  # pragma: no cover
    main()
