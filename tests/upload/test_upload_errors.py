"""Service failures: retries on 429 and 5xx, clear errors on 401/403/404, timeouts, rejected files."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ftprep.errors import UploadError
from ftprep.upload import job_status, read_receipt, upload

from .conftest import FAST, SECRET
from .fake_service import FakeService


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retried_then_succeeds(outdir: Path, service: FakeService, azure_env: str,
                               status: int) -> None:
    service.failures = {"POST files": [status], "GET files/{id}": [status, status],
                        "GET files": [status]}
    report = upload(outdir, endpoint=azure_env, **FAST)
    assert report.ok
    assert len(service.uploads()) == 3  # one refused, two accepted
    assert len(service.files) == 2  # and no duplicate on the service


@pytest.mark.parametrize(("status", "words"), [(429, "rate limited (HTTP 429)"),
                                               (500, "service error (HTTP 500)")])
def test_gives_up_after_max_retries(outdir: Path, service: FakeService, azure_env: str,
                                    status: int, words: str) -> None:
    service.failures = {"POST files": [status] * 10}
    with pytest.raises(UploadError, match=re.escape(words)) as info:
        upload(outdir, endpoint=azure_env, **{**FAST, "max_retries": 1})
    assert "run again" in str(info.value)
    assert len(service.uploads()) == 2  # the first try and one retry


def test_401_names_the_key_to_check(outdir: Path, service: FakeService,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "wrong-key-0123456789-abcdef"
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", wrong)
    with pytest.raises(UploadError) as info:
        upload(outdir, endpoint=service.base_url, **FAST)
    msg = str(info.value)
    assert "authentication failed (HTTP 401)" in msg and "AZURE_OPENAI_API_KEY" in msg
    assert wrong not in msg  # the fake service quotes the key it got; we do not
    assert len(service.seen) == 1  # 401 is not retried


def test_401_openai(outdir: Path, service: FakeService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-0123456789")
    with pytest.raises(UploadError, match=r"HTTP 401.*OPENAI_API_KEY"):
        upload(outdir, provider="openai", endpoint=f"{service.base_url}/v1", **FAST)


def test_403_names_role_and_network(outdir: Path, service: FakeService, azure_env: str) -> None:
    service.failures = {"GET files": [403]}
    with pytest.raises(UploadError, match=r"permission denied \(HTTP 403\).*role.*network"):
        upload(outdir, endpoint=azure_env, **FAST)


def test_404_names_endpoint_and_api_version(outdir: Path, service: FakeService,
                                            azure_env: str) -> None:
    with pytest.raises(UploadError) as info:
        upload(outdir, endpoint=azure_env, api_version="1999-01-01", **FAST)
    msg = str(info.value)
    assert "not found (HTTP 404)" in msg and "api-version 1999-01-01" in msg
    assert "endpoint URL" in msg and "region" in msg


def test_timeout(outdir: Path, service: FakeService, azure_env: str) -> None:
    service.delays = {"GET files": 3.0}
    t0 = time.monotonic()
    with pytest.raises(UploadError, match="timed out while listing files") as info:
        upload(outdir, endpoint=azure_env, **{**FAST, "timeout": 0.2, "max_retries": 1})
    assert time.monotonic() - t0 < 2.5  # two short tries, not the server's 3 s
    assert "--timeout" in str(info.value)
    assert len(service.requests("GET", "files")) == 2  # the SDK retried once


def test_connection_refused(outdir: Path, azure_env: str) -> None:
    with pytest.raises(UploadError, match="cannot connect to 127.0.0.1:9"):
        upload(outdir, endpoint="http://127.0.0.1:9", **{**FAST, "max_retries": 0})


def test_processing_error_surfaces_status_details(outdir: Path, service: FakeService,
                                                  azure_env: str) -> None:
    service.file_error = "Invalid file format. Line 3, key 'messages': missing assistant message"
    with pytest.raises(UploadError) as info:
        upload(outdir, endpoint=azure_env, **FAST)
    msg = str(info.value)
    assert "rejected train-" in msg and "status error" in msg
    assert "Line 3, key 'messages': missing assistant message" in msg
    receipt = read_receipt(outdir)  # the upload is still recorded, with its status
    assert receipt is not None
    assert receipt["files"]["train"]["status"] == "error"
    assert "missing assistant" in receipt["files"]["train"]["status_details"]


def test_processing_wait_times_out(outdir: Path, service: FakeService, azure_env: str) -> None:
    service.polls_to_process = 10_000
    with pytest.raises(UploadError, match=r"still 'running' after .*--wait-timeout"):
        upload(outdir, endpoint=azure_env, **{**FAST, "wait_timeout": 0.2})
    # The next run resumes from the receipt instead of uploading again.
    service.polls_to_process = 0
    n = len(service.uploads())
    report = upload(outdir, endpoint=azure_env, **FAST)
    assert len(service.uploads()) == n
    assert report.files[0].action == "reuse-receipt" and report.files[0].status == "processed"


def test_job_refused_by_service(outdir: Path, service: FakeService, azure_env: str) -> None:
    service.failures = {"POST jobs": [400]}
    with pytest.raises(UploadError, match=r"the service refused creating the fine-tuning job "
                                          r"\(HTTP 400: 400: scripted failure\)"):
        upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    receipt = read_receipt(outdir)
    assert receipt is not None and receipt["jobs"] == [] and len(receipt["files"]) == 2


def test_job_status_and_job_error(outdir: Path, service: FakeService, azure_env: str) -> None:
    service.job_error = {"code": "invalid_training_file",
                         "message": "The training file has 3 examples with no assistant message",
                         "param": "training_file"}
    report = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    assert report.job is not None and report.job.id is not None
    status = job_status(report.job.id, endpoint=azure_env, max_retries=0)
    assert status.status == "failed"
    assert status.error is not None and status.error["code"] == "invalid_training_file"
    assert status.events[0].level == "error" and "no assistant message" in status.events[0].message
    assert status.metadata and status.metadata["ftprep_manifest_sha256"] == report.manifest_sha256
    assert status.to_dict()["schema_version"] == 1
    assert "invalid_training_file" in status._repr_html_()


def test_job_status_success_path(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    assert report.job is not None and report.job.id is not None
    status = job_status(report.job.id, endpoint=azure_env, events=1)
    assert status.status == "queued" and status.error is None and len(status.events) == 1
    with pytest.raises(UploadError, match="not found \\(HTTP 404\\) while reading job"):
        job_status("ftjob-missing", endpoint=azure_env)
    assert SECRET not in repr(status.to_dict())


def test_openai_uploaded_status_is_accepted_after_the_wait(outdir: Path, service: FakeService,
                                                           openai_env: str) -> None:
    """OpenAI's file status is deprecated: a file left 'uploaded' is not an error there."""
    service.polls_to_process = 10_000
    report = upload(outdir, provider="openai", endpoint=openai_env,
                    **{**FAST, "wait_timeout": 0.1})
    assert [f.status for f in report.files] == ["uploaded", "uploaded"]
    assert any("still shows status 'uploaded'" in w for w in report.warnings)
