"""The click commands: exit codes, --json, human summary, and no secret in any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from ftprep.upload import RECEIPT_NAME, upload
from ftprep.upload_cli import jobs
from ftprep.upload_cli import upload as upload_cmd

from .conftest import FAST, SECRET, edit_manifest
from .fake_service import FakeService

FAST_ARGS = ["--max-retries", "2", "--timeout", "5", "--poll-interval", "0.01"]


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(upload_cmd, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_cli_upload_json(outdir: Path, service: FakeService, azure_env: str) -> None:
    code, out, err = _run([str(outdir), "--endpoint", azure_env, "--json", "--create-job",
                           "--model", "gpt-4o-mini", "--n-epochs", "2", *FAST_ARGS])
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["ok"] is True
    assert data["job"]["id"] in service.jobs
    assert [f["status"] for f in data["files"]] == ["processed", "processed"]


def test_cli_upload_human_summary(outdir: Path, service: FakeService, azure_env: str) -> None:
    code, out, err = _run([str(outdir), "--endpoint", azure_env, *FAST_ARGS])
    assert code == 0
    assert out.startswith("upload complete (azure, 127.0.0.1:")
    assert "train-" in out and "upload file-" in out and RECEIPT_NAME in out
    assert "uploading train-" in err  # progress on stderr


def test_cli_dry_run(outdir: Path, service: FakeService, azure_env: str) -> None:
    code, out, _ = _run([str(outdir), "--endpoint", azure_env, "--dry-run", "--create-job",
                         "--model", "gpt-4o-mini"])
    assert code == 0 and service.seen == []
    assert out.startswith("dry run: nothing sent") and "would-upload" in out
    assert '"ftprep_manifest_sha256"' in out  # the job request it would send


def test_cli_refusal_exit_1(outdir: Path, service: FakeService, azure_env: str) -> None:
    edit_manifest(outdir, lambda m: m.update(verdict="failed"))
    code, out, err = _run([str(outdir), "--endpoint", azure_env])
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "ftprep upload: refused: verdict: the run's verdict is 'failed', not 'ok'"]
    code, out, _ = _run([str(outdir), "--endpoint", azure_env, "--json"])
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["schema_version"] == 1
    assert data["refused"] == ["verdict: the run's verdict is 'failed', not 'ok'"]
    assert service.seen == []


def test_cli_service_failure_exit_1(outdir: Path, service: FakeService,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "not-the-key-0123456789")
    code, out, err = _run([str(outdir), "--endpoint", service.base_url])
    assert code == 1 and out == ""
    assert err.startswith("ftprep: authentication failed (HTTP 401)")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [
    ["--create-job"],  # no --model
    ["--n-epochs", "0"],  # out of range
    ["--provider", "gcp"],
    ["--metadata", "novalue"],
    ["--create-job", "--model", "gpt-4o-mini", "--no-wait"],
])
def test_cli_usage_exit_2(outdir: Path, service: FakeService, azure_env: str,
                          args: list[str]) -> None:
    code, _, _ = _run([str(outdir), "--endpoint", azure_env, *args])
    assert code == 2
    assert service.seen == []


def test_cli_jobs_status(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    assert report.job is not None and report.job.id is not None
    runner = CliRunner()
    # Provider and endpoint from the receipt.
    result = runner.invoke(jobs, ["status", report.job.id, "--outdir", str(outdir), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["status"] == "queued" and data["events"]
    result = runner.invoke(jobs, ["status", report.job.id, "--endpoint", azure_env])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"job {report.job.id}: queued")
    result = runner.invoke(jobs, ["status", "ftjob-nope", "--endpoint", azure_env])
    assert result.exit_code == 1 and "HTTP 404" in result.stderr


def test_no_secret_in_any_output_receipt_or_log(outdir: Path, service: FakeService,
                                                azure_env: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """Success, failure and status paths: the key never shows in stdout, stderr, logs or files."""
    caplog.set_level(logging.DEBUG)  # including the SDK's and httpx's debug logs
    outputs: list[str] = []
    code, out, err = _run([str(outdir), "--endpoint", azure_env, "--create-job", "--model",
                           "gpt-4o-mini", *FAST_ARGS])
    assert code == 0
    outputs += [out, err]
    code, out, err = _run([str(outdir), "--endpoint", azure_env, "--json", *FAST_ARGS])
    outputs += [out, err]
    job_id = json.loads((outdir / RECEIPT_NAME).read_text())["jobs"][0]["id"]
    result = CliRunner().invoke(jobs, ["status", job_id, "--outdir", str(outdir)])
    outputs += [result.stdout, result.stderr]
    code, out, err = _run([str(outdir), "--endpoint", azure_env, "--dry-run", "--json"])
    outputs += [out, err]
    # A failing run: the fake service echoes the key it received in its 401 body.
    service.api_key = "another-key-entirely-000000"
    code, out, err = _run([str(outdir), "--endpoint", azure_env, "--json", *FAST_ARGS])
    assert code == 1
    outputs += [out, err]
    service.api_key = SECRET
    service.file_error = f"bad file (seen with key {SECRET})"  # a careless service message
    (outdir / RECEIPT_NAME).unlink()
    for f in list(service.files):
        del service.files[f]
    code, out, err = _run([str(outdir), "--endpoint", azure_env, *FAST_ARGS])
    assert code == 1 and "bad file" in err
    outputs += [out, err]

    logs = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    files = "\n".join(p.read_text(errors="replace") for p in outdir.iterdir() if p.is_file())
    for text in [*outputs, logs, files]:
        assert SECRET not in text
    assert caplog.records  # the check above did see log records


def test_exit_codes_through_the_ftprep_entry_point(outdir: Path, service: FakeService,
                                                   azure_env: str) -> None:
    """`ftprep upload` via ftprep.cli.main (click standalone_mode=False) keeps the exit codes."""
    from ftprep.cli import main

    def code_of(args: list[str]) -> int:
        with pytest.raises(SystemExit) as info:
            main(args)
            raise SystemExit(0)
        return int(info.value.code or 0)

    assert code_of(["upload", str(outdir), "--endpoint", azure_env, "--dry-run"]) == 0
    assert code_of(["upload", str(outdir), "--endpoint", azure_env, "--create-job"]) == 2
    edit_manifest(outdir, lambda m: m.update(verdict="failed"))
    assert code_of(["upload", str(outdir), "--endpoint", azure_env, "--dry-run"]) == 1
    assert service.seen == []


def test_cli_warnings_on_stderr_even_when_it_fails(outdir: Path, service: FakeService,
                                                   openai_env: str) -> None:
    service.failures = {"GET files": [500] * 10}
    code, out, err = _run([str(outdir), "--provider", "openai", "--endpoint", openai_env,
                           "--json", "--max-retries", "0"])
    assert code == 1 and json.loads(out)["ok"] is False
    lines = err.strip().splitlines()
    assert lines[0].startswith("warning: OpenAI is winding down self-serve fine-tuning")
    assert lines[-1].startswith("ftprep: service error (HTTP 500)")
