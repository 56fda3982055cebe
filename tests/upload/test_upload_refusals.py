"""Local refusals: nothing is sent when the manifest does not vouch for the files."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ftprep.errors import UploadError, UsageError
from ftprep.upload import RECEIPT_NAME, UploadRefused, check_metadata, read_receipt, upload

from .conftest import FAST, build_outdir, edit_manifest
from .fake_service import FakeService


def _refused(outdir: Path, endpoint: str, **kw: Any) -> UploadRefused:
    with pytest.raises(UploadRefused) as info:
        upload(outdir, endpoint=endpoint, **{**FAST, **kw})
    assert isinstance(info.value, UploadError)
    for rule in info.value.rules:
        assert "\n" not in rule
    return info.value


def test_refuses_changed_file(outdir: Path, service: FakeService, azure_env: str) -> None:
    with open(outdir / "train.jsonl", "r+b") as fh:  # same size, one byte different
        data = fh.read()
        fh.seek(0)
        fh.write(data.replace(b"Question 3", b"Question 4", 1))
    err = _refused(outdir, azure_env)
    assert any("train.jsonl: sha256 differs from the manifest" in r for r in err.rules)
    assert service.seen == []
    assert not (outdir / RECEIPT_NAME).exists()


def test_refuses_appended_row(outdir: Path, service: FakeService, azure_env: str) -> None:
    with open(outdir / "validation.jsonl", "ab") as fh:
        fh.write(b'{"messages":[]}\n')
    err = _refused(outdir, azure_env)
    text = " ".join(err.rules)
    assert "validation.jsonl: size" in text and "row count" in text
    assert service.seen == []


def test_refuses_missing_file(outdir: Path, service: FakeService, azure_env: str) -> None:
    (outdir / "train.jsonl").unlink()
    err = _refused(outdir, azure_env)
    assert any("train.jsonl: missing" in r for r in err.rules)
    assert service.seen == []


def test_refuses_path_outside_outdir(outdir: Path, service: FakeService, azure_env: str) -> None:
    edit_manifest(outdir, lambda m: m["outputs"]["train"].update(path="../train.jsonl"))
    err = _refused(outdir, azure_env)
    assert any("outside the output directory" in r for r in err.rules)
    assert service.seen == []


def test_refuses_when_not_an_output_dir(tmp_path: Path, service: FakeService,
                                        azure_env: str) -> None:
    err = _refused(tmp_path, azure_env)
    assert "manifest.json" in err.rules[0] and "not found" in err.rules[0]


def _fail_error_check(m: dict[str, Any]) -> None:
    m["checks"]["success"] = False
    m["checks"]["results"][0]["success"] = False


def _verdict_failed(m: dict[str, Any]) -> None:
    m["verdict"] = "failed"


def _leak_failed(m: dict[str, Any]) -> None:
    m["pseudonymization"]["leak_check"]["passed"] = False


def _leak_not_run(m: dict[str, Any]) -> None:
    m["pseudonymization"]["leak_check"]["ran"] = False


def _not_pseudonymized(m: dict[str, Any]) -> None:
    m["pseudonymization"]["enabled"] = False


def _over_limit(m: dict[str, Any]) -> None:
    m["tokens"]["train"]["over_limit"] = 2
    m["tokens"]["train"]["max"] = 70000


def _unknown_model(m: dict[str, Any]) -> None:
    m["model"]["name"] = "my-deployment"


def _not_accounted(m: dict[str, Any]) -> None:
    m["counts"]["accounted"] = False


@pytest.mark.parametrize(("change", "rule"), [
    (_fail_error_check, "checks: error-severity check(s) failed: expect_column_values_to_not_be_null"),
    (_verdict_failed, "verdict:"),
    (_leak_failed, "leak-check: the leak check failed"),
    (_leak_not_run, "leak-check: the leak check did not run"),
    (_not_pseudonymized, "pseudonymization: the run did not pseudonymize"),
    (_over_limit, "tokens: 2 train example(s) exceed"),
    (_unknown_model, "model: the run's model 'my-deployment' is not a known"),
    (_not_accounted, "counts: not every input line"),
])
def test_refuses_on_manifest_rule(outdir: Path, service: FakeService, azure_env: str,
                                  change: Callable[[dict[str, Any]], None], rule: str) -> None:
    edit_manifest(outdir, change)
    err = _refused(outdir, azure_env)
    assert any(r.startswith(rule) for r in err.rules), err.rules
    assert service.seen == []


def test_warning_check_does_not_block(outdir: Path, service: FakeService, azure_env: str) -> None:
    def warn_only(m: dict[str, Any]) -> None:
        m["checks"]["success"] = False
        m["checks"]["results"][1]["success"] = False

    edit_manifest(outdir, warn_only)
    report = upload(outdir, endpoint=azure_env, **FAST)
    assert report.ok and any("expect_column_max_to_be_between" in w for w in report.warnings)


def test_allow_unpseudonymized_is_recorded(tmp_path: Path, service: FakeService,
                                           azure_env: str) -> None:
    out = build_outdir(tmp_path / "out", pseudonymized=False)
    err = _refused(out, azure_env)
    assert "--allow-unpseudonymized" in err.rules[0]
    assert service.seen == []
    report = upload(out, endpoint=azure_env, allow_unpseudonymized=True, create_job=True,
                    model="gpt-4o-mini", **FAST)
    receipt = read_receipt(out)
    assert receipt is not None
    assert receipt["allow_unpseudonymized"] is True and receipt["pseudonymized"] is False
    assert report.allow_unpseudonymized and not report.pseudonymized
    (job,) = service.jobs.values()
    assert job.body["metadata"]["ftprep_pseudonymized"] == "false"


def test_refuses_too_few_training_examples(tmp_path: Path, service: FakeService,
                                           azure_env: str) -> None:
    out = build_outdir(tmp_path / "out", n_train=9)
    err = _refused(out, azure_env)
    assert err.rules == ["service: the training file has 9 examples; the service needs at least "
                         "10 (50+ recommended)"]
    assert service.seen == []


def test_refuses_non_jsonl_and_lists_every_rule(outdir: Path, service: FakeService,
                                                azure_env: str) -> None:
    (outdir / "train.jsonl").rename(outdir / "train.json")

    def rename(m: dict[str, Any]) -> None:
        m["outputs"]["train"]["path"] = "train.json"
        m["verdict"] = "failed"

    edit_manifest(outdir, rename)
    err = _refused(outdir, azure_env)
    assert any(r.startswith("service: train file 'train.json' is not .jsonl") for r in err.rules)
    assert any(r.startswith("verdict:") for r in err.rules)
    assert "2 rules" in str(err)


def test_refuses_oversized_file(outdir: Path, service: FakeService, azure_env: str,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The rule, not the disk: lower the limit below this training file's size.
    # The module itself (``ftprep.upload`` may be re-exported as the function).
    module = importlib.import_module("ftprep.upload")
    size = (outdir / "train.jsonl").stat().st_size
    monkeypatch.setattr(module, "MAX_FILE_BYTES", size - 1)
    err = _refused(outdir, azure_env)
    assert err.rules == [f"service: train file is {size} bytes, over the 512 MB per-file limit "
                         "(split the data or use Azure's Blob import)"]
    assert service.seen == []


def test_job_model_rules(outdir: Path, service: FakeService, azure_env: str) -> None:
    err = _refused(outdir, azure_env, create_job=True, model="gpt-35-turbo")
    assert any("tokens were counted with o200k_base" in r for r in err.rules)
    err = _refused(outdir, azure_env, create_job=True, model="davinci-002")
    assert any("does not take 'chat' data" in r for r in err.rules)
    err = _refused(outdir, azure_env, create_job=True, model="gpt-4o-mini", method="dpo")
    assert any(r.startswith("method: --method dpo needs preference data") for r in err.rules)
    err = _refused(outdir, azure_env, create_job=True, model="gpt-4o-mini", suffix="x" * 65)
    assert any("--suffix is 65 chars" in r for r in err.rules)
    assert service.seen == []


def test_metadata_limits(outdir: Path, service: FakeService, azure_env: str) -> None:
    assert check_metadata({"k": "v"}) == []
    assert check_metadata({f"k{i}": "v" for i in range(17)})[0].startswith("metadata: 17 pairs")
    assert "limit 64" in check_metadata({"k" * 65: "v"})[0]
    assert "limit 512" in check_metadata({"k": "v" * 513})[0]
    extra = {f"extra{i}": "v" for i in range(12)}  # ftprep's own 5 + 12 = 17 pairs
    err = _refused(outdir, azure_env, create_job=True, model="gpt-4o-mini", metadata=extra)
    assert any(r.startswith("metadata: 17 pairs") for r in err.rules)
    err = _refused(outdir, azure_env, create_job=True, model="gpt-4o-mini",
                   metadata={"ftprep_manifest_sha256": "forged"})
    assert err.rules == ["metadata: key(s) ftprep_manifest_sha256 are reserved for ftprep"]
    assert service.seen == []


def test_usage_errors(outdir: Path, azure_env: str) -> None:
    with pytest.raises(UsageError, match="--create-job needs --model"):
        upload(outdir, endpoint=azure_env, create_job=True)
    with pytest.raises(UsageError, match="--create-job needs --wait"):
        upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", wait=False)
    with pytest.raises(UsageError, match="need --create-job"):
        upload(outdir, endpoint=azure_env, n_epochs=3)
    with pytest.raises(UsageError, match="--beta applies only"):
        upload(outdir, endpoint=azure_env, create_job=True, model="gpt-4o-mini", beta=0.1)
    with pytest.raises(UsageError, match="--provider"):
        upload(outdir, provider="gcp", endpoint=azure_env)


def test_missing_credentials_and_endpoint(outdir: Path, service: FakeService,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UploadError, match="no Azure credentials: set AZURE_OPENAI_API_KEY"):
        upload(outdir, endpoint=service.base_url, **FAST)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "x" * 32)
    with pytest.raises(UploadError, match="no Azure endpoint"):
        upload(outdir, **FAST)
    with pytest.raises(UploadError, match="no OpenAI credentials: set OPENAI_API_KEY"):
        upload(outdir, provider="openai", endpoint=service.base_url, **FAST)
    assert service.seen == []
