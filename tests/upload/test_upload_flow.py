"""Upload and job creation against the fake service, through the real openai SDK over HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ftprep import __version__
from ftprep.upload import RECEIPT_NAME, read_receipt, service_name, upload

from .conftest import FAST, SECRET, build_outdir
from .fake_service import FakeService


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_azure_upload_and_job(outdir: Path, service: FakeService, azure_env: str) -> None:
    manifest_before = (outdir / "manifest.json").read_bytes()
    report = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini",
                    n_epochs=2, suffix="support", seed=7, **FAST)

    assert report.ok and not report.dry_run
    # The exact bytes arrived, under names carrying the content hash.
    stored = {f.filename: f for f in service.files.values()}
    for role in ("train", "validation"):
        sha = _sha(outdir / f"{role}.jsonl")
        name = service_name(role, sha)
        assert name == f"{role}-{sha[:12]}.jsonl"
        assert hashlib.sha256(stored[name].content).hexdigest() == sha
    assert "rejected" not in " ".join(stored)
    assert [f.status for f in report.files] == ["processed", "processed"]
    # Azure URL shape: /openai/... with the api-version and the api-key header on every request.
    assert service.seen and all(s.shape == "azure" and s.auth == "api-key" for s in service.seen)
    assert all(s.query.get("api-version") == ["2024-10-21"] for s in service.seen)
    assert len(service.uploads()) == 2

    # The job: both file IDs, the hyperparameters, the manifest's hash in its metadata.
    (job,) = service.jobs.values()
    assert report.job is not None and report.job.id == job.id
    body = job.body
    assert body["training_file"] == report.files[0].file_id
    assert body["validation_file"] == report.files[1].file_id
    assert body["hyperparameters"] == {"n_epochs": 2}
    assert body["suffix"] == "support" and body["seed"] == 7
    assert body["metadata"]["ftprep_manifest_sha256"] == _sha(outdir / "manifest.json")
    assert body["metadata"]["ftprep_version"] == __version__
    assert len(body["metadata"]) <= 16

    # The receipt: atomic, beside the manifest, which is untouched.
    assert (outdir / "manifest.json").read_bytes() == manifest_before
    receipt = read_receipt(outdir)
    assert receipt is not None and report.receipt_path == str(outdir / RECEIPT_NAME)
    assert receipt["files"]["train"]["file_id"] == report.files[0].file_id
    assert receipt["files"]["train"]["sha256"] == _sha(outdir / "train.jsonl")
    assert receipt["jobs"][0]["id"] == job.id
    assert receipt["endpoint_host"] == azure_env.split("//")[1]
    assert not list(outdir.glob(".*tmp*"))


def test_openai_shape_uses_method_and_warns(outdir: Path, service: FakeService,
                                            openai_env: str) -> None:
    report = upload(outdir, provider="openai", endpoint=openai_env, create_job=True,
                    model="gpt-4o-mini", learning_rate_multiplier=0.5, **FAST)
    assert all(s.path.startswith("/v1/") and s.auth == "bearer" for s in service.seen)
    assert any("winding down" in w for w in report.warnings)
    (job,) = service.jobs.values()
    assert job.body["method"] == {"type": "supervised",
                                  "supervised": {"hyperparameters": {"learning_rate_multiplier": 0.5}}}
    assert report.files[0].status == "processed"


def test_azure_v1_base_url(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=f"{azure_env}/openai/v1", **FAST)
    assert report.api_version is None
    assert all(s.path.startswith("/openai/v1/") and s.auth == "bearer" for s in service.seen)
    assert len(service.uploads()) == 2


def test_second_run_reuses_receipt(outdir: Path, service: FakeService, azure_env: str) -> None:
    first = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    service.seen.clear()
    second = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    assert service.uploads() == []
    assert service.requests("POST", "jobs") == []
    assert [f.action for f in second.files] == ["reuse-receipt", "reuse-receipt"]
    assert [f.file_id for f in second.files] == [f.file_id for f in first.files]
    assert second.job is not None and first.job is not None
    assert second.job.reused and second.job.id == first.job.id
    assert len(service.files) == 2 and len(service.jobs) == 1


def test_reuses_service_file_without_receipt(outdir: Path, service: FakeService,
                                             azure_env: str) -> None:
    first = upload(outdir, endpoint=azure_env, **FAST)
    (outdir / RECEIPT_NAME).unlink()
    service.seen.clear()
    second = upload(outdir, endpoint=azure_env, **FAST)
    assert service.uploads() == []
    assert [f.action for f in second.files] == ["reuse-service", "reuse-service"]
    assert [f.file_id for f in second.files] == [f.file_id for f in first.files]
    assert read_receipt(outdir) is not None


def test_finds_earlier_file_on_a_later_page(tmp_path: Path, service: FakeService,
                                            azure_env: str) -> None:
    service.page_size = 1
    for i in range(3):  # other runs' files before ours
        upload(build_outdir(tmp_path / f"other{i}", seed=i + 1), endpoint=azure_env, **FAST)
    out = build_outdir(tmp_path / "mine", seed=9)
    first = upload(out, endpoint=azure_env, **FAST)
    (out / RECEIPT_NAME).unlink()
    n_uploads = len(service.uploads())
    again = upload(out, endpoint=azure_env, **FAST)
    assert len(service.uploads()) == n_uploads
    assert [f.file_id for f in again.files] == [f.file_id for f in first.files]
    assert len(service.requests("GET", "files")) > 3  # it paged through the listing


def test_deleted_service_file_is_uploaded_again(outdir: Path, service: FakeService,
                                                azure_env: str) -> None:
    first = upload(outdir, endpoint=azure_env, **FAST)
    del service.files[str(first.files[0].file_id)]
    second = upload(outdir, endpoint=azure_env, **FAST)
    assert [f.action for f in second.files] == ["upload", "reuse-receipt"]
    assert second.files[0].file_id != first.files[0].file_id
    assert read_receipt(outdir)["files"]["train"]["file_id"] == second.files[0].file_id  # type: ignore[index]


def test_changed_options_create_a_new_job(outdir: Path, service: FakeService,
                                          azure_env: str) -> None:
    upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", n_epochs=1, **FAST)
    upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", n_epochs=3, **FAST)
    assert len(service.jobs) == 2
    assert len(read_receipt(outdir)["jobs"]) == 2  # type: ignore[index]


def test_no_wait_leaves_files_pending(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=azure_env, wait=False, **FAST)
    assert [f.status for f in report.files] == ["pending", "pending"]
    assert service.requests("GET", "files/{id}") == []


def test_empty_validation_is_not_uploaded(tmp_path: Path, service: FakeService,
                                          azure_env: str) -> None:
    out = build_outdir(tmp_path / "out", n_val=0)
    report = upload(out, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    assert [f.action for f in report.files] == ["upload", "skip-empty"]
    assert len(service.uploads()) == 1
    (job,) = service.jobs.values()
    assert "validation_file" not in job.body


def test_dry_run_sends_nothing(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=azure_env, dry_run=True, create_job=True,
                    model="gpt-4o-mini", n_epochs=2, **FAST)
    assert service.seen == []
    assert not (outdir / RECEIPT_NAME).exists()
    assert report.ok and report.dry_run and report.receipt_path is None
    assert [f.action for f in report.files] == ["would-upload", "would-upload"]
    assert report.job is not None and report.job.id is None
    assert report.job.request["metadata"]["ftprep_manifest_sha256"] == _sha(outdir / "manifest.json")
    assert report.auth == "api-key (AZURE_OPENAI_API_KEY)"


def test_dry_run_needs_no_credentials(outdir: Path, service: FakeService) -> None:
    report = upload(outdir, endpoint=service.base_url, dry_run=True)
    assert report.auth is None and service.seen == []


def test_dry_run_after_upload_reports_reuse(outdir: Path, service: FakeService,
                                            azure_env: str) -> None:
    first = upload(outdir, endpoint=azure_env, **FAST)
    service.seen.clear()
    report = upload(outdir, endpoint=azure_env, dry_run=True)
    assert service.seen == []
    assert [f.action for f in report.files] == ["would-reuse", "would-reuse"]
    assert [f.file_id for f in report.files] == [f.file_id for f in first.files]


def test_report_forms(outdir: Path, service: FakeService, azure_env: str) -> None:
    report = upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    d = report.to_dict()
    assert d["schema_version"] == 1 and d["ok"] is True
    json.dumps(d)
    html = report._repr_html_()
    assert "train-" in html and "<table>" in html
    assert any("created" in line for line in report.summary_lines())


@pytest.mark.parametrize("dpo", [True])
def test_dpo_job_uses_method_block(tmp_path: Path, service: FakeService, azure_env: str,
                                   dpo: bool) -> None:
    out = build_outdir(tmp_path / "out", fmt="preference", model="gpt-4.1-mini")
    upload(out, endpoint=azure_env, api_version="2025-04-01-preview", create_job=True,
           model="gpt-4.1-mini", method="dpo", beta=0.2, **FAST)
    (job,) = service.jobs.values()
    assert job.body["method"] == {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}


def test_secret_never_sent_anywhere_but_the_auth_header(outdir: Path, service: FakeService,
                                                        azure_env: str) -> None:
    upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", **FAST)
    for f in service.files.values():
        assert SECRET.encode() not in f.content
    for job in service.jobs.values():
        assert SECRET not in json.dumps(job.body)


def test_azure_entra_id_token_from_env(outdir: Path, service: FakeService,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", SECRET)
    report = upload(outdir, endpoint=service.base_url, **FAST)
    assert report.auth == "entra-id token (AZURE_OPENAI_AD_TOKEN)"
    assert all(s.auth == "bearer" for s in service.seen)
    assert SECRET not in json.dumps(read_receipt(outdir))


def test_caller_supplied_client(outdir: Path, service: FakeService) -> None:
    import openai

    client = openai.AzureOpenAI(azure_endpoint=service.base_url, api_version="2024-10-21",
                                api_key=SECRET, max_retries=0)
    report = upload(outdir, client=client, **FAST)
    assert report.ok and report.auth == "caller's client" and len(service.uploads()) == 2


def test_corrupt_receipt_falls_back_to_service_listing(outdir: Path, service: FakeService,
                                                        azure_env: str) -> None:
    upload(outdir, endpoint=azure_env, **FAST)
    (outdir / RECEIPT_NAME).write_text("{not json")
    n = len(service.uploads())
    report = upload(outdir, endpoint=azure_env, **FAST)
    assert len(service.uploads()) == n
    assert [f.action for f in report.files] == ["reuse-service", "reuse-service"]
    assert any("could not be read" in w for w in report.warnings)
    assert read_receipt(outdir) is not None


def test_receipt_keeps_an_earlier_target(outdir: Path, service: FakeService, azure_env: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    upload(outdir, endpoint=azure_env, **FAST)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    second = upload(outdir, provider="openai", endpoint=f"{azure_env}/v1", **FAST)
    # The receipt is per target, so it is not trusted here; the fake keeps one store for both
    # URL shapes, so the files are found on the service by name and size instead.
    assert [f.action for f in second.files] == ["reuse-service", "reuse-service"]
    receipt = read_receipt(outdir)
    assert receipt is not None and receipt["provider"] == "openai"
    assert receipt["previous"][0]["provider"] == "azure"
    assert len(service.uploads()) == 2


def test_azure_identity_when_no_key(outdir: Path, service: FakeService,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """No key in the environment: Microsoft Entra ID through azure-identity's token provider."""
    import sys
    import types

    scopes: list[str] = []

    def get_bearer_token_provider(credential: object, scope: str) -> object:
        scopes.append(scope)
        return lambda: SECRET

    identity = types.ModuleType("azure.identity")
    identity.DefaultAzureCredential = lambda: object()  # type: ignore[attr-defined]
    identity.get_bearer_token_provider = get_bearer_token_provider  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure", types.ModuleType("azure"))
    monkeypatch.setitem(sys.modules, "azure.identity", identity)
    report = upload(outdir, endpoint=service.base_url, **FAST)
    assert report.auth == "entra-id (azure-identity DefaultAzureCredential)"
    assert scopes == ["https://cognitiveservices.azure.com/.default"]
    assert service.seen and all(s.auth == "bearer" for s in service.seen)
