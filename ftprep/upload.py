"""Verified, idempotent upload of ftprep outputs to Azure OpenAI or OpenAI.

Nothing leaves the machine until the output directory passes every local
check: the manifest vouches for each file (sha256, size, rows), the run passed
its error-severity checks and its leak check, pseudonymization was on (or the
caller explicitly allowed otherwise), and the files meet the service rules
(``shared/spec/finetune-format.md``: ``.jsonl``, at most 512 MB, at least 10
training examples, a known model, no example over the model's token limit).

The same bytes are never uploaded twice: each file goes up under a name that
carries its content hash (``train-<sha256[:12]>.jsonl``); an earlier
``upload_receipt.json`` or an existing service file with that name and size is
reused. The receipt is written atomically beside the manifest, which is never
modified. Secrets come only from the environment and never reach a message, a
log record, the report or the receipt.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import FtprepError, InputError, UploadError, UsageError
from .io import atomic_writer, file_sha256, loads_bounded

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
RECEIPT_NAME = "upload_receipt.json"
MANIFEST_NAME = "manifest.json"
PROVIDERS = ("azure", "openai")
METHODS = ("supervised", "dpo")
ROLES = ("train", "validation")

# Service rules (shared/spec/finetune-format.md, "Encoding and file rules" and "Upload").
MAX_FILE_BYTES = 512 * 1024 * 1024  # "One file at most 512 MB" (Azure and OpenAI Files API)
MIN_TRAIN_EXAMPLES = 10  # "the service will not start a job with fewer"
AZURE_TOTAL_BYTES = 1024**3  # Azure default quota: 1 GB of fine-tuning files per resource
METADATA_MAX_PAIRS = 16  # job metadata: up to 16 pairs, key <= 64 chars, value <= 512
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 512
SUFFIX_MAX = 64  # OpenAI API; the Azure portal allows 18
AZURE_PORTAL_SUFFIX_MAX = 18

# The data-plane authoring API's GA version for files and fine-tuning (Azure
# OpenAI REST reference, "Data plane - authoring", latest GA 2024-10-21).
DEFAULT_AZURE_API_VERSION = "2024-10-21"
DEFAULT_OPENAI_HOST = "api.openai.com"
AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"

DEFAULT_TIMEOUT = 600.0
DEFAULT_WAIT_TIMEOUT = 2 * 3600.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 30.0
_LIST_MAX_PAGES = 50

ENV_AZURE_KEY = "AZURE_OPENAI_API_KEY"
ENV_AZURE_AD_TOKEN = "AZURE_OPENAI_AD_TOKEN"
ENV_AZURE_ENDPOINT = "AZURE_OPENAI_ENDPOINT"
ENV_AZURE_API_VERSION = "AZURE_OPENAI_API_VERSION"
ENV_OPENAI_KEY = "OPENAI_API_KEY"
ENV_OPENAI_BASE_URL = "OPENAI_BASE_URL"
SECRET_ENV_VARS = (ENV_AZURE_KEY, ENV_AZURE_AD_TOKEN, ENV_OPENAI_KEY)

OPENAI_WIND_DOWN_WARNING = (
    "OpenAI is winding down self-serve fine-tuning for new organizations; "
    "Azure OpenAI (--provider azure) is ftprep's primary target"
)

# On OpenAI the file status is deprecated (validation errors show on the job): a file still
# "uploaded" after this long is accepted with a warning instead of failing the wait.
OPENAI_STATUS_GRACE = 300.0

FILE_DONE = frozenset({"processed"})
FILE_FAILED = frozenset({"error", "deleted", "deleting"})
JOB_DEAD = frozenset({"failed", "cancelled"})

Progress = Callable[[str], None]


class UploadRefused(UploadError):
    """One or more local rules refused the upload; ``rules`` holds one line per refusal."""

    def __init__(self, rules: list[str]) -> None:
        self.rules = list(rules)
        if len(rules) == 1:
            message = f"upload refused: {rules[0]}"
        else:
            message = f"upload refused ({len(rules)} rules): " + " | ".join(rules)
        super().__init__(message)


# --------------------------------------------------------------------------- reports


@dataclass
class FileResult:
    """One output file: what the manifest says, what was done with it, and its service ID."""

    role: str
    path: str
    service_name: str
    sha256: str
    bytes: int
    rows: int
    action: str = "pending"  # upload | reuse-receipt | reuse-service | would-upload | would-reuse | skip-empty
    file_id: str | None = None
    status: str | None = None
    status_details: str | None = None
    uploaded_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class JobResult:
    """The fine-tuning job created (or reused) for this upload."""

    request: dict[str, Any]
    fingerprint: str
    id: str | None = None
    status: str | None = None
    reused: bool = False
    created_at: str | None = None
    error: dict[str, Any] | None = None
    fine_tuned_model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class UploadReport:
    """What :func:`upload` checked, sent and received. ``to_dict()`` is the JSON form."""

    outdir: str
    provider: str
    endpoint_host: str
    api_version: str | None
    dry_run: bool
    manifest_sha256: str
    pseudonymized: bool
    allow_unpseudonymized: bool
    endpoint: str = ""
    auth: str | None = None
    files: list[FileResult] = field(default_factory=list)
    job: JobResult | None = None
    training_type: str | None = None
    warnings: list[str] = field(default_factory=list)
    receipt_path: str | None = None
    started_at: str = ""
    finished_at: str | None = None
    ok: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "ftprep_version": __version__,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "outdir": self.outdir,
            "provider": self.provider,
            "endpoint_host": self.endpoint_host,
            "endpoint": self.endpoint,
            "api_version": self.api_version,
            "auth": self.auth,
            "manifest_sha256": self.manifest_sha256,
            "pseudonymized": self.pseudonymized,
            "allow_unpseudonymized": self.allow_unpseudonymized,
            "training_type": self.training_type,
            "files": [f.to_dict() for f in self.files],
            "job": self.job.to_dict() if self.job else None,
            "warnings": list(self.warnings),
            "receipt_path": self.receipt_path,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    def summary_lines(self) -> list[str]:
        """A short human summary (what the CLI prints)."""
        head = "dry run: nothing sent" if self.dry_run else "upload complete"
        lines = [f"{head} ({self.provider}, {self.endpoint_host})"]
        for f in self.files:
            ident = f.file_id or "-"
            status = f" [{f.status}]" if f.status else ""
            lines.append(
                f"  {f.role:<10} {f.service_name}  {f.rows} rows, {f.bytes} bytes  "
                f"{f.action} {ident}{status}"
            )
        if self.job is not None:
            j = self.job
            if j.id is None:
                lines.append(f"  job        would create: model {j.request.get('model')}")
            else:
                verb = "reused" if j.reused else "created"
                lines.append(f"  job        {verb} {j.id} [{j.status}]")
        if not self.pseudonymized:
            lines.append("  NOTE: data was not pseudonymized (allowed explicitly; recorded in receipt)")
        if self.receipt_path:
            lines.append(f"  receipt    {self.receipt_path}")
        return lines

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (f.role, f.service_name, f.rows, f.bytes, f.action, f.file_id or "",
                          f.status or "")
            )
            + "</tr>"
            for f in self.files
        )
        job = ""
        if self.job is not None:
            job = (
                f"<p>Job: <code>{html.escape(str(self.job.id or 'not created (dry run)'))}</code> "
                f"{html.escape(str(self.job.status or ''))}</p>"
            )
        warns = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings)
        title = "ftprep upload (dry run)" if self.dry_run else "ftprep upload"
        return (
            f"<div><strong>{html.escape(title)}</strong> to {html.escape(self.provider)} "
            f"<code>{html.escape(self.endpoint_host)}</code>"
            "<table><tr><th>role</th><th>service name</th><th>rows</th><th>bytes</th>"
            f"<th>action</th><th>file id</th><th>status</th></tr>{rows}</table>{job}"
            + (f"<ul>{warns}</ul>" if warns else "")
            + "</div>"
        )


@dataclass
class JobEvent:
    created_at: str | None
    level: str
    message: str


@dataclass
class JobStatusReport:
    """State and recent events of one fine-tuning job (:func:`job_status`)."""

    id: str
    provider: str
    endpoint_host: str
    status: str
    model: str | None = None
    fine_tuned_model: str | None = None
    created_at: str | None = None
    finished_at: str | None = None
    trained_tokens: int | None = None
    training_file: str | None = None
    validation_file: str | None = None
    error: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    events: list[JobEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {"schema_version": SCHEMA_VERSION, **d}

    def summary_lines(self) -> list[str]:
        lines = [f"job {self.id}: {self.status} (model {self.model}, {self.provider} {self.endpoint_host})"]
        if self.fine_tuned_model:
            lines.append(f"  fine-tuned model: {self.fine_tuned_model}")
        if self.trained_tokens is not None:
            lines.append(f"  trained tokens: {self.trained_tokens}")
        if self.error:
            lines.append(f"  error: {self.error.get('code')}: {self.error.get('message')}")
        for ev in self.events:
            lines.append(f"  {ev.created_at or '':<20} {ev.level:<5} {ev.message}")
        return lines

    def _repr_html_(self) -> str:
        evs = "".join(
            f"<tr><td>{html.escape(e.created_at or '')}</td><td>{html.escape(e.level)}</td>"
            f"<td>{html.escape(e.message)}</td></tr>"
            for e in self.events
        )
        err = ""
        if self.error:
            err = f"<p>Error: {html.escape(str(self.error.get('code')))}: " \
                  f"{html.escape(str(self.error.get('message')))}</p>"
        return (
            f"<div><strong>Job {html.escape(self.id)}</strong>: {html.escape(self.status)} "
            f"(model {html.escape(str(self.model))}){err}"
            f"<table><tr><th>time</th><th>level</th><th>message</th></tr>{evs}</table></div>"
        )


# --------------------------------------------------------------------------- small helpers


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(epoch: int | float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(float(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _secrets() -> list[str]:
    """The secret values present in the environment (only ever used for redaction)."""
    return [v for name in SECRET_ENV_VARS if len(v := os.environ.get(name, "")) >= 8]


def redact(text: str) -> str:
    """Remove any secret from a text that came from the service or a library."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def service_name(role: str, sha256: str) -> str:
    """The name a file carries on the service: its role and the start of its content hash."""
    return f"{role}-{sha256[:12]}.jsonl"


def _host_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"https://{url}")
    return parts.netloc.rsplit("@", 1)[-1] or url


def _clean_url(url: str) -> str:
    """The endpoint URL without user info, query or fragment (safe for a receipt)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url if "://" in url else f"https://{url}")
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path.rstrip("/"), "", ""))


def _emit(progress: Progress | None, message: str) -> None:
    log.info("%s", message)
    if progress is not None:
        progress(message)


# --------------------------------------------------------------------------- local checks


@dataclass
class JobOptions:
    """Validated options for the fine-tuning job."""

    model: str
    method: str = "supervised"
    suffix: str | None = None
    seed: int | None = None
    n_epochs: int | None = None
    batch_size: int | None = None
    learning_rate_multiplier: float | None = None
    beta: float | None = None
    training_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {}
        if self.n_epochs is not None:
            hp["n_epochs"] = self.n_epochs
        if self.batch_size is not None:
            hp["batch_size"] = self.batch_size
        if self.learning_rate_multiplier is not None:
            hp["learning_rate_multiplier"] = self.learning_rate_multiplier
        if self.method == "dpo" and self.beta is not None:
            hp["beta"] = self.beta
        return hp


@dataclass
class Plan:
    """Everything the local checks established, before any request is made."""

    outdir: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    files: list[FileResult]
    pseudonymized: bool
    warnings: list[str]
    job: JobOptions | None


def _check_manifest(outdir: Path, manifest: dict[str, Any], allow_unpseudonymized: bool,
                    refusals: list[str], warnings: list[str]) -> bool:
    """Rules about the run itself. Returns whether the data was pseudonymized."""
    from .manifest import verify_outputs

    if manifest.get("schema_version") != 1:
        refusals.append(
            f"manifest: schema_version {manifest.get('schema_version')!r} is not 1 "
            "(written by another ftprep version; rerun ftprep)"
        )
    report = verify_outputs(outdir)
    if not report.ok:
        for problem in report.problems:
            refusals.append(f"manifest: {problem} (files changed after the run; rerun ftprep)")
    if manifest.get("verdict") != "ok":
        refusals.append(f"verdict: the run's verdict is {manifest.get('verdict')!r}, not 'ok'")
    checks = manifest.get("checks") or {}
    failed = [
        str(r.get("expectation", "?"))
        for r in checks.get("results", [])
        if r.get("severity") == "error" and not r.get("success", False)
    ]
    if failed:
        refusals.append("checks: error-severity check(s) failed: " + ", ".join(failed))
    elif checks.get("success") is not True:
        warned = [str(r.get("expectation", "?")) for r in checks.get("results", [])
                  if not r.get("success", False)]
        if warned:
            warnings.append("warning-severity checks failed: " + ", ".join(warned))
        else:
            refusals.append("checks: the run's checks did not succeed (checks.success is not true)")
    counts = manifest.get("counts") or {}
    if counts.get("accounted") is not True:
        refusals.append("counts: not every input line is accounted for in the outputs")
    pseudo = manifest.get("pseudonymization") or {}
    enabled = pseudo.get("enabled") is True
    leak = pseudo.get("leak_check") or {}
    if enabled:
        if leak.get("ran") is not True:
            refusals.append("leak-check: the leak check did not run")
        elif leak.get("passed") is not True:
            refusals.append("leak-check: the leak check failed (an original identifier survived)")
    elif allow_unpseudonymized:
        warnings.append("pseudonymization was off; uploading anyway because it was explicitly "
                        "allowed (recorded in the receipt)")
    else:
        refusals.append(
            "pseudonymization: the run did not pseudonymize the data; rerun with "
            "pseudonymization or pass --allow-unpseudonymized (recorded in the receipt)"
        )
    return enabled


def _output_files(outdir: Path, manifest: dict[str, Any], refusals: list[str]) -> list[FileResult]:
    outputs = manifest.get("outputs") or {}
    files: list[FileResult] = []
    for role in ROLES:
        entry = outputs.get(role)
        if not isinstance(entry, dict):
            if role == "train":
                refusals.append("manifest: no training output is recorded")
            continue
        rel = str(entry.get("path", ""))
        path = outdir / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            refusals.append(f"manifest: {role} path {rel!r} is outside the output directory")
        sha = str(entry.get("sha256", ""))
        size = int(entry.get("bytes", 0) or 0)
        rows = int(entry.get("rows", 0) or 0)
        fr = FileResult(role=role, path=str(path), service_name=service_name(role, sha),
                        sha256=sha, bytes=size, rows=rows)
        if not rel.endswith(".jsonl"):
            refusals.append(f"service: {role} file {rel!r} is not .jsonl (the service takes .jsonl only)")
        if size > MAX_FILE_BYTES:
            refusals.append(
                f"service: {role} file is {size} bytes, over the 512 MB per-file limit "
                "(split the data or use Azure's Blob import)"
            )
        if role == "train" and rows < MIN_TRAIN_EXAMPLES:
            refusals.append(
                f"service: the training file has {rows} examples; the service needs at least "
                f"{MIN_TRAIN_EXAMPLES} (50+ recommended)"
            )
        if role == "validation" and rows == 0:
            fr.action = "skip-empty"
        files.append(fr)
    return files


def _check_model(manifest: dict[str, Any], job: JobOptions | None, provider: str,
                 refusals: list[str], warnings: list[str]) -> None:
    from .tokens import resolve_model

    fmt = str(manifest.get("format", ""))
    mmodel = manifest.get("model") or {}
    run_name = str(mmodel.get("name") or (manifest.get("config") or {}).get("model") or "")
    run_info = None
    try:
        run_info = resolve_model(run_name)
    except FtprepError:
        refusals.append(f"model: the run's model {run_name!r} is not a known fine-tunable model")
    info = run_info
    if job is not None:
        try:
            info = resolve_model(job.model)
        except FtprepError:
            refusals.append(f"model: --model {job.model!r} is not a known fine-tunable model "
                            "(name the base model, not an Azure deployment)")
            info = None
        if info is not None and run_info is not None and info.encoding != run_info.encoding:
            refusals.append(
                f"model: tokens were counted with {run_info.encoding} for {run_info.name}, "
                f"but --model {job.model} uses {info.encoding}; rerun ftprep with that model"
            )
    if info is None:
        return
    if info.reinforcement_only:
        refusals.append(f"model: {info.name} is for reinforcement fine-tuning only")
    if fmt and fmt not in info.formats:
        refusals.append(f"model: {info.name} does not take {fmt!r} data "
                        f"(it takes: {', '.join(info.formats)})")
    if info.retired_on_azure and provider == "azure":
        warnings.append(f"{info.name} fine-tuning was retired on Azure on {info.retired_on_azure}")
    tokens = manifest.get("tokens") or {}
    for role in ROLES:
        stats = tokens.get(role) or {}
        over = int(stats.get("over_limit", 0) or 0)
        biggest = int(stats.get("max", 0) or 0)
        if over or biggest > info.example_token_limit:
            refusals.append(
                f"tokens: {over or 'some'} {role} example(s) exceed {info.name}'s "
                f"{info.example_token_limit}-token example limit (largest {biggest})"
            )
    if job is not None:
        if job.method == "dpo" and fmt != "preference":
            refusals.append(f"method: --method dpo needs preference data, the run produced {fmt!r}")
        if job.method == "supervised" and fmt == "preference":
            refusals.append("method: preference data needs --method dpo")


def build_metadata(manifest_sha256: str, manifest: dict[str, Any], pseudonymized: bool,
                   extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The job metadata: the manifest's hash and ftprep's version first, then extras."""
    outputs = manifest.get("outputs") or {}
    md: dict[str, str] = {
        "ftprep_manifest_sha256": manifest_sha256,
        "ftprep_version": __version__,
        "ftprep_train_sha256": str((outputs.get("train") or {}).get("sha256", "")),
        "ftprep_pseudonymized": "true" if pseudonymized else "false",
    }
    if (outputs.get("validation") or {}).get("rows"):
        md["ftprep_validation_sha256"] = str(outputs["validation"].get("sha256", ""))
    for k, v in (extra or {}).items():
        md[str(k)] = str(v)
    return md


def check_metadata(metadata: Mapping[str, str]) -> list[str]:
    """The service's metadata limits, as refusal lines (empty when fine)."""
    problems: list[str] = []
    if len(metadata) > METADATA_MAX_PAIRS:
        problems.append(f"metadata: {len(metadata)} pairs, the service takes at most {METADATA_MAX_PAIRS}")
    for k, v in metadata.items():
        if len(k) > METADATA_MAX_KEY:
            problems.append(f"metadata: key {k[:20]!r}... is {len(k)} chars, limit {METADATA_MAX_KEY}")
        if len(v) > METADATA_MAX_VALUE:
            problems.append(f"metadata: value of {k!r} is {len(v)} chars, limit {METADATA_MAX_VALUE}")
    return problems


def _check_job_options(job: JobOptions, provider: str, refusals: list[str],
                       warnings: list[str]) -> None:
    if job.method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, not {job.method!r}")
    if job.beta is not None and job.method != "dpo":
        raise UsageError("--beta applies only to --method dpo")
    if job.suffix is not None:
        if len(job.suffix) > SUFFIX_MAX:
            refusals.append(f"job: --suffix is {len(job.suffix)} chars, the service takes at most {SUFFIX_MAX}")
        elif provider == "azure" and len(job.suffix) > AZURE_PORTAL_SUFFIX_MAX:
            warnings.append(f"--suffix is longer than the {AZURE_PORTAL_SUFFIX_MAX} characters "
                            "the Azure portal allows")
    for name, value, ok in (
        ("--n-epochs", job.n_epochs, job.n_epochs is None or 1 <= job.n_epochs <= 50),
        ("--batch-size", job.batch_size, job.batch_size is None or job.batch_size >= 1),
        ("--learning-rate-multiplier", job.learning_rate_multiplier,
         job.learning_rate_multiplier is None
         or (math.isfinite(job.learning_rate_multiplier) and job.learning_rate_multiplier > 0)),
        ("--beta", job.beta, job.beta is None or (math.isfinite(job.beta) and job.beta > 0)),
    ):
        if not ok:
            raise UsageError(f"{name} {value} is out of range")
    if job.training_type is not None and provider != "azure":
        raise UsageError("--training-type applies only to --provider azure")
    if job.training_type and job.training_type.lower() == "globalstandard":
        warnings.append("Global Standard training may process data outside the resource's "
                        "geography (recorded in the receipt)")
    refusals.extend(check_metadata(job.metadata))


def plan_upload(
    outdir: str | os.PathLike[str],
    *,
    provider: str = "azure",
    job: JobOptions | None = None,
    allow_unpseudonymized: bool = False,
) -> Plan:
    """Run every local check; raise :class:`UploadRefused` listing each rule that fails."""
    from .manifest import read_manifest

    if provider not in PROVIDERS:
        raise UsageError(f"--provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    out = Path(outdir)
    manifest_path = out / MANIFEST_NAME
    if not manifest_path.is_file():
        raise UploadRefused([f"manifest: {manifest_path} not found (is this an ftprep output directory?)"])
    try:
        manifest = read_manifest(out)
    except InputError as exc:
        raise UploadRefused([f"manifest: {exc}"]) from None
    manifest_sha, _ = file_sha256(manifest_path)
    refusals: list[str] = []
    warnings: list[str] = []
    pseudonymized = _check_manifest(out, manifest, allow_unpseudonymized, refusals, warnings)
    files = _output_files(out, manifest, refusals)
    if job is not None:
        reserved = sorted(k for k in job.metadata if k.startswith("ftprep_"))
        if reserved:
            refusals.append(f"metadata: key(s) {', '.join(reserved)} are reserved for ftprep")
        job.metadata = build_metadata(manifest_sha, manifest, pseudonymized,
                                      {k: v for k, v in job.metadata.items() if k not in reserved})
        _check_job_options(job, provider, refusals, warnings)
    _check_model(manifest, job, provider, refusals, warnings)
    if provider == "openai":
        warnings.append(OPENAI_WIND_DOWN_WARNING)
    total = sum(f.bytes for f in files if f.action != "skip-empty")
    if provider == "azure" and total > AZURE_TOTAL_BYTES:
        warnings.append("these files exceed Azure's default 1 GB of fine-tuning files per resource")
    if refusals:
        raise UploadRefused(refusals)
    return Plan(outdir=out, manifest=manifest, manifest_sha256=manifest_sha, files=files,
                pseudonymized=pseudonymized, warnings=warnings, job=job)


# --------------------------------------------------------------------------- receipts


def read_receipt(outdir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The earlier receipt, or None when there is none or it cannot be read."""
    path = Path(outdir) / RECEIPT_NAME
    try:
        data = loads_bounded(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _receipt_files(receipt: dict[str, Any] | None, provider: str, host: str) -> dict[str, Any]:
    if not receipt or receipt.get("provider") != provider or receipt.get("endpoint_host") != host:
        return {}
    files = receipt.get("files")
    return files if isinstance(files, dict) else {}


def _receipt_jobs(receipt: dict[str, Any] | None, provider: str, host: str) -> list[dict[str, Any]]:
    if not receipt or receipt.get("provider") != provider or receipt.get("endpoint_host") != host:
        return []
    jobs = receipt.get("jobs")
    return [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []


def _write_receipt(report: UploadReport, previous: dict[str, Any] | None,
                   jobs: list[dict[str, Any]]) -> Path:
    """Write upload_receipt.json atomically; an earlier receipt for another target is kept."""
    path = Path(report.outdir) / RECEIPT_NAME
    history: list[dict[str, Any]] = []
    if previous:
        history = [h for h in previous.get("previous", []) if isinstance(h, dict)]
        if (previous.get("provider"), previous.get("endpoint_host")) != (report.provider,
                                                                         report.endpoint_host):
            history.append({k: v for k, v in previous.items() if k != "previous"})
    receipt = {
        "schema_version": SCHEMA_VERSION,
        "ftprep_version": __version__,
        "provider": report.provider,
        "endpoint_host": report.endpoint_host,
        "endpoint": report.endpoint,
        "api_version": report.api_version,
        "auth": report.auth,
        "manifest": {"path": MANIFEST_NAME, "sha256": report.manifest_sha256},
        "pseudonymized": report.pseudonymized,
        "allow_unpseudonymized": report.allow_unpseudonymized,
        "training_type": report.training_type,
        "files": {
            f.role: {k: v for k, v in f.to_dict().items() if k != "path"}
            | {"path": os.path.basename(f.path)}
            for f in report.files
            if f.file_id
        },
        "jobs": jobs,
        "warnings": report.warnings,
        "updated_at": _now(),
        "previous": history[-20:],
    }
    data = json.dumps(receipt, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    for secret in _secrets():
        if secret.encode() in data:  # belt and braces: never let a secret reach the disk
            raise UploadError("internal: refusing to write a receipt that contains a secret")
    with atomic_writer(path) as fh:
        fh.write(data)
    return path


# --------------------------------------------------------------------------- the service


@dataclass
class Target:
    provider: str
    endpoint_host: str
    api_version: str | None
    auth: str | None
    endpoint: str = ""


def _azure_token_provider() -> Callable[[], str] | None:
    """A Microsoft Entra ID bearer-token provider, when azure-identity is installed."""
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError:
        return None
    provider: Callable[[], str] = get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
    return provider


def resolve_target(provider: str, endpoint: str | None, api_version: str | None) -> tuple[str, str | None]:
    """The endpoint URL and api-version to use, from arguments then environment."""
    if provider == "azure":
        url = endpoint or os.environ.get(ENV_AZURE_ENDPOINT)
        if not url:
            raise UploadError(
                f"no Azure endpoint: pass --endpoint https://<resource>.openai.azure.com "
                f"or set {ENV_AZURE_ENDPOINT}"
            )
        if _is_azure_v1(url):
            return url, None
        version = (api_version or os.environ.get(ENV_AZURE_API_VERSION)
                   or os.environ.get("OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION)
        return url, version
    url = endpoint or os.environ.get(ENV_OPENAI_BASE_URL) or f"https://{DEFAULT_OPENAI_HOST}/v1"
    return url, None


def _is_azure_v1(url: str) -> bool:
    return url.rstrip("/").endswith("/openai/v1")


def make_client(
    provider: str,
    endpoint: str | None = None,
    api_version: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> tuple[OpenAI, Target]:
    """Build the SDK client from the environment's credentials (never from arguments)."""
    import openai

    url, version = resolve_target(provider, endpoint, api_version)
    host = _host_of(url)
    common: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries}
    if provider == "openai":
        key = os.environ.get(ENV_OPENAI_KEY)
        if not key:
            raise UploadError(f"no OpenAI credentials: set {ENV_OPENAI_KEY}")
        client = openai.OpenAI(api_key=key, base_url=url, **common)
        return client, Target("openai", host, None, f"api-key ({ENV_OPENAI_KEY})", _clean_url(url))
    key = os.environ.get(ENV_AZURE_KEY)
    ad_token = os.environ.get(ENV_AZURE_AD_TOKEN)
    auth: str
    cred: dict[str, Any]
    if key:
        auth, cred = f"api-key ({ENV_AZURE_KEY})", {"api_key": key}
    elif ad_token:
        auth, cred = f"entra-id token ({ENV_AZURE_AD_TOKEN})", {"azure_ad_token": ad_token}
    else:
        token_provider = _azure_token_provider()
        if token_provider is None:
            raise UploadError(
                f"no Azure credentials: set {ENV_AZURE_KEY}, or install azure-identity "
                "(pip install 'ftprep[azure]') and sign in (az login) for Microsoft Entra ID"
            )
        auth, cred = "entra-id (azure-identity DefaultAzureCredential)", {
            "azure_ad_token_provider": token_provider}
    if version is None:  # the v1 base URL: the plain OpenAI client, key or token as bearer
        bearer = cred.get("api_key") or cred.get("azure_ad_token") or cred["azure_ad_token_provider"]
        client = openai.OpenAI(api_key=bearer, base_url=url, **common)
        return client, Target("azure", host, None, auth, _clean_url(url))
    client = openai.AzureOpenAI(azure_endpoint=url, api_version=version, **cred, **common)
    return client, Target("azure", host, version, auth, _clean_url(url))


class _NotFound(Exception):
    pass


@contextlib.contextmanager
def _service_call(what: str, target: Target, *, not_found_ok: bool = False) -> Iterator[None]:
    """Turn SDK exceptions into one-line UploadErrors that name what to check."""
    import openai

    host = target.endpoint_host
    key_var = ENV_OPENAI_KEY if target.provider == "openai" else ENV_AZURE_KEY
    try:
        yield
    except openai.AuthenticationError:
        hint = (f"check {key_var} (right key for this resource, not expired)"
                if target.provider == "openai" else
                f"check {key_var} belongs to this resource, or your Entra ID sign-in")
        raise UploadError(f"authentication failed (HTTP 401) while {what} at {host}: {hint}") from None
    except openai.PermissionDeniedError:
        raise UploadError(
            f"permission denied (HTTP 403) while {what} at {host}: check the key's or identity's "
            "role (e.g. Cognitive Services OpenAI Contributor), the resource's network rules, "
            "and that fine-tuning is enabled for it"
        ) from None
    except openai.NotFoundError:
        if not_found_ok:
            raise _NotFound() from None
        version = f" (--api-version {target.api_version})" if target.api_version else ""
        raise UploadError(
            f"not found (HTTP 404) while {what} at {host}: check the endpoint URL, the "
            f"api-version{version}, and that fine-tuning is offered for this model in the "
            "resource's region"
        ) from None
    except openai.RateLimitError:
        raise UploadError(f"rate limited (HTTP 429) while {what} at {host}, still after retries; "
                          "wait and run again (it resumes from the receipt)") from None
    except openai.InternalServerError as exc:
        raise UploadError(f"service error (HTTP {exc.status_code}) while {what} at {host}, still "
                          "after retries; run again later (it resumes from the receipt)") from None
    except openai.APITimeoutError:
        raise UploadError(f"timed out while {what} at {host}: check the network, or raise "
                          "--timeout") from None
    except openai.APIConnectionError:
        raise UploadError(f"cannot connect to {host} while {what}: check the endpoint URL "
                          "and the network") from None
    except openai.APIStatusError as exc:
        raise UploadError(f"the service refused {what} (HTTP {exc.status_code}"
                          f"{_error_detail(exc.body)}) at {host}") from None


def _error_detail(body: object) -> str:
    """The service's error code and message, secrets removed (never for 401s)."""
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            code = err.get("code") or err.get("type")
            msg = err.get("message")
            parts = [str(p) for p in (code, msg) if p]
            if parts:
                return redact(": " + ": ".join(parts))[:500]
    return ""


def _list_service_files(client: OpenAI, target: Target) -> list[Any]:
    """Every fine-tune file on the service (bounded number of pages)."""
    found: list[Any] = []
    seen: set[str] = set()
    with _service_call("listing files", target):
        page: Any = client.files.list(purpose="fine-tune")
        for _ in range(_LIST_MAX_PAGES):
            fresh = [f for f in page.data if f.id not in seen]
            if not fresh:
                break
            seen.update(f.id for f in fresh)
            found.extend(fresh)
            if not page.has_next_page():
                break
            page = page.get_next_page()
    return found


def _find_on_service(listing: list[Any], fr: FileResult) -> Any | None:
    """An earlier upload of the same bytes: same name and size, not failed. Newest wins."""
    found = [f for f in listing
             if f.filename == fr.service_name and f.bytes == fr.bytes and f.status not in FILE_FAILED]
    if not found:
        return None
    found.sort(key=lambda f: (f.status in FILE_DONE, f.created_at or 0))
    return found[-1]


def _reuse_from_receipt(client: OpenAI, target: Target, fr: FileResult,
                        earlier: dict[str, Any]) -> Any | None:
    entry = earlier.get(fr.role)
    if not isinstance(entry, dict) or entry.get("sha256") != fr.sha256 or not entry.get("file_id"):
        return None
    try:
        with _service_call("checking the earlier upload", target, not_found_ok=True):
            obj = client.files.retrieve(str(entry["file_id"]))
    except _NotFound:
        return None
    if obj.bytes != fr.bytes or obj.status in FILE_FAILED:
        return None
    return obj


def _send_file(client: OpenAI, target: Target, fr: FileResult) -> Any:
    """Upload the file, hashing the very bytes that are sent."""
    with open(fr.path, "rb") as fh:
        h = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
        if h.hexdigest() != fr.sha256:
            raise UploadRefused([f"manifest: {os.path.basename(fr.path)} changed while uploading "
                                 "(sha256 differs from the manifest)"])
        fh.seek(0)
        with _service_call(f"uploading {fr.service_name}", target):
            return client.files.create(file=(fr.service_name, fh, "application/jsonl"),
                                       purpose="fine-tune")


def _wait_processed(client: OpenAI, target: Target, fr: FileResult, *, wait_timeout: float,
                    poll_interval: float, max_poll_interval: float,
                    progress: Progress | None) -> Any:
    """Poll the file with exponential backoff until processed, failed or out of time."""
    start = time.monotonic()
    delay = poll_interval
    last = None
    while True:
        with _service_call(f"checking {fr.service_name}", target):
            obj = client.files.retrieve(str(fr.file_id))
        if obj.status != last:
            _emit(progress, f"{fr.service_name}: {obj.status}")
            last = obj.status
        if obj.status in FILE_DONE or obj.status in FILE_FAILED:
            return obj
        elapsed = time.monotonic() - start
        if (target.provider == "openai" and obj.status == "uploaded"
                and elapsed + delay > min(wait_timeout, OPENAI_STATUS_GRACE)):
            return obj
        if elapsed + delay > wait_timeout:
            raise UploadError(
                f"{fr.service_name} ({fr.file_id}) is still {obj.status!r} after "
                f"{elapsed:.0f} s: run again later (it resumes from the receipt) or raise "
                "--wait-timeout"
            )
        time.sleep(delay)
        delay = min(delay * 2, max_poll_interval)


def _job_request(job: JobOptions, train_id: str, validation_id: str | None, provider: str,
                 api_version: str | None) -> dict[str, Any]:
    req: dict[str, Any] = {"model": job.model, "training_file": train_id}
    if validation_id:
        req["validation_file"] = validation_id
    hp = job.hyperparameters()
    if provider == "azure" and job.method == "supervised" and api_version is not None:
        # Azure's GA api-versions take top-level hyperparameters; `method` came later.
        if hp:
            req["hyperparameters"] = hp
    else:
        block: dict[str, Any] = {"hyperparameters": hp} if hp else {}
        req["method"] = {"type": job.method, job.method: block}
    if job.suffix is not None:
        req["suffix"] = job.suffix
    if job.seed is not None:
        req["seed"] = job.seed
    req["metadata"] = dict(job.metadata)
    return req


def _fingerprint(request: Mapping[str, Any], training_type: str | None) -> str:
    body = {k: v for k, v in request.items() if k != "metadata"}
    body["training_type"] = training_type
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def _job_error(job: Any) -> dict[str, Any] | None:
    err = getattr(job, "error", None)
    if err is None:
        return None
    d = err.to_dict() if hasattr(err, "to_dict") else dict(err)
    if not any(d.get(k) for k in ("code", "message")):
        return None
    return {k: redact(str(v)) if isinstance(v, str) else v for k, v in d.items()}


def _create_or_reuse_job(client: OpenAI, target: Target, plan: Plan, jr: JobResult,
                         earlier_jobs: list[dict[str, Any]], progress: Progress | None) -> None:
    job = plan.job
    assert job is not None
    for entry in reversed(earlier_jobs):
        if entry.get("fingerprint") != jr.fingerprint or not entry.get("id"):
            continue
        try:
            with _service_call("checking the earlier job", target, not_found_ok=True):
                existing = client.fine_tuning.jobs.retrieve(str(entry["id"]))
        except _NotFound:
            continue
        if existing.status not in JOB_DEAD:
            jr.id, jr.status, jr.reused = existing.id, existing.status, True
            jr.created_at = _ts(existing.created_at)
            _emit(progress, f"job {existing.id} already exists for these files and options "
                            f"({existing.status}); not creating another")
            return
    extra = {"trainingType": job.training_type} if job.training_type else None
    req = dict(jr.request)
    with _service_call("creating the fine-tuning job", target):
        created = client.fine_tuning.jobs.create(**req, extra_body=extra)
    jr.id, jr.status, jr.created_at = created.id, created.status, _ts(created.created_at)
    jr.error = _job_error(created)
    _emit(progress, f"created job {created.id} ({created.status})")
    if created.status == "failed":
        detail = jr.error or {}
        raise UploadError(f"job {created.id} failed at once: {detail.get('code')}: "
                          f"{detail.get('message')}")


# --------------------------------------------------------------------------- public API


def upload(
    outdir: str | os.PathLike[str],
    *,
    provider: str = "azure",
    endpoint: str | None = None,
    api_version: str | None = None,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
    dry_run: bool = False,
    create_job: bool = False,
    model: str | None = None,
    suffix: str | None = None,
    n_epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate_multiplier: float | None = None,
    seed: int | None = None,
    method: str = "supervised",
    beta: float | None = None,
    training_type: str | None = None,
    metadata: Mapping[str, str] | None = None,
    allow_unpseudonymized: bool = False,
    client: OpenAI | None = None,
    progress: Progress | None = None,
    warn: Progress | None = None,
) -> UploadReport:
    """Verify an ftprep output directory, upload its files once, optionally create the job.

    Credentials come only from the environment (``AZURE_OPENAI_API_KEY``, or
    Microsoft Entra ID via ``AZURE_OPENAI_AD_TOKEN`` / azure-identity;
    ``OPENAI_API_KEY``), unless a ready ``client`` is passed. ``dry_run`` runs
    every local check and reports what would be sent without building a client.
    Raises :class:`UploadRefused` (an :class:`~ftprep.errors.UploadError`) when a
    rule refuses, and :class:`~ftprep.errors.UploadError` when the service fails.
    ``progress`` and ``warn`` receive one-line messages as they happen (the
    warnings are also in ``report.warnings``).
    """
    started = _now()
    if create_job and not model:
        raise UsageError("--create-job needs --model (the base model to fine-tune)")
    if create_job and not wait:
        raise UsageError("--create-job needs --wait (the files must be processed first)")
    job_opts = None
    if create_job:
        assert model is not None
        job_opts = JobOptions(model=model, method=method, suffix=suffix, seed=seed,
                              n_epochs=n_epochs, batch_size=batch_size,
                              learning_rate_multiplier=learning_rate_multiplier, beta=beta,
                              training_type=training_type, metadata=dict(metadata or {}))
    elif any(v is not None for v in (suffix, n_epochs, batch_size, learning_rate_multiplier,
                                     seed, beta, training_type)):
        raise UsageError("job options (--suffix, --n-epochs, ...) need --create-job")
    plan = plan_upload(outdir, provider=provider, job=job_opts,
                       allow_unpseudonymized=allow_unpseudonymized)

    if client is not None:
        target = Target(provider, client.base_url.host or "", api_version, "caller's client",
                        _clean_url(str(client.base_url)))
    elif dry_run:
        url, version = resolve_target(provider, endpoint, api_version)
        target = Target(provider, _host_of(url), version, _describe_auth(provider), _clean_url(url))
    else:
        client, target = make_client(provider, endpoint, api_version, timeout=timeout,
                                     max_retries=max_retries)

    report = UploadReport(
        outdir=str(plan.outdir), provider=provider, endpoint_host=target.endpoint_host,
        api_version=target.api_version, dry_run=dry_run, manifest_sha256=plan.manifest_sha256,
        endpoint=target.endpoint,
        pseudonymized=plan.pseudonymized, allow_unpseudonymized=allow_unpseudonymized,
        auth=target.auth, files=plan.files, training_type=training_type,
        warnings=list(plan.warnings), started_at=started,
    )
    for w in report.warnings:
        _emit(warn, w)
    previous = read_receipt(plan.outdir)
    if previous is None and (plan.outdir / RECEIPT_NAME).exists():
        _warn(report, warn, f"{RECEIPT_NAME} could not be read; it will be replaced "
                            "(earlier uploads are still found on the service by name)")
    earlier_files = _receipt_files(previous, provider, target.endpoint_host)
    earlier_jobs = _receipt_jobs(previous, provider, target.endpoint_host)
    by_role = {f.role: f for f in plan.files}

    if dry_run:
        for fr in plan.files:
            if fr.action == "skip-empty":
                continue
            entry = earlier_files.get(fr.role)
            if isinstance(entry, dict) and entry.get("sha256") == fr.sha256 and entry.get("file_id"):
                fr.action, fr.file_id = "would-reuse", str(entry["file_id"])
            else:
                fr.action = "would-upload"
        if plan.job is not None:
            ids = {r: (f.file_id or f"<id of {f.service_name}>") for r, f in by_role.items()
                   if f.action != "skip-empty"}
            req = _job_request(plan.job, ids["train"], ids.get("validation"), provider,
                               target.api_version)
            report.job = JobResult(request=req, fingerprint=_fingerprint(req, training_type))
        report.ok = True
        report.finished_at = _now()
        return report

    assert client is not None
    jobs_record = list(earlier_jobs)
    listing: list[Any] | None = None
    try:
        for fr in plan.files:
            if fr.action == "skip-empty":
                continue
            obj = _reuse_from_receipt(client, target, fr, earlier_files)
            if obj is not None:
                fr.action = "reuse-receipt"
            else:
                if listing is None:
                    listing = _list_service_files(client, target)
                obj = _find_on_service(listing, fr)
                fr.action = "reuse-service" if obj is not None else "upload"
            if obj is None:
                _emit(progress, f"uploading {fr.service_name} ({fr.bytes} bytes)")
                obj = _send_file(client, target, fr)
                fr.uploaded_at = _now()
            else:
                _emit(progress, f"{fr.service_name} is already on the service as {obj.id}; reusing it")
                fr.uploaded_at = _ts(obj.created_at)
            fr.file_id, fr.status = obj.id, obj.status
            fr.status_details = redact(obj.status_details) if obj.status_details else None
            report.receipt_path = str(_write_receipt(report, previous, jobs_record))
        if wait:
            for fr in plan.files:
                if fr.file_id is None or fr.status in FILE_DONE:
                    continue
                obj = _wait_processed(client, target, fr, wait_timeout=wait_timeout,
                                      poll_interval=poll_interval,
                                      max_poll_interval=max_poll_interval, progress=progress)
                fr.status = obj.status
                fr.status_details = redact(obj.status_details) if obj.status_details else None
                if obj.status == "uploaded":
                    _warn(report, warn,
                          f"{fr.service_name} still shows status 'uploaded' (OpenAI no longer "
                          "reports processing; validation errors will show on the job)")
                report.receipt_path = str(_write_receipt(report, previous, jobs_record))
                if obj.status in FILE_FAILED:
                    details = fr.status_details or "no details given"
                    raise UploadError(f"the service rejected {fr.service_name} ({fr.file_id}): "
                                      f"status {obj.status}: {details}")
        if plan.job is not None:
            val = by_role.get("validation")
            req = _job_request(plan.job, str(by_role["train"].file_id),
                               val.file_id if val is not None else None, provider,
                               target.api_version)
            jr = JobResult(request=req, fingerprint=_fingerprint(req, training_type))
            report.job = jr
            try:
                _create_or_reuse_job(client, target, plan, jr, earlier_jobs, progress)
            finally:
                if jr.id and not jr.reused:
                    jobs_record.append({"id": jr.id, "fingerprint": jr.fingerprint,
                                        "model": req["model"], "status": jr.status,
                                        "created_at": jr.created_at,
                                        "training_type": training_type,
                                        "request": req, "error": jr.error})
                report.receipt_path = str(_write_receipt(report, previous, jobs_record))
    finally:
        report.finished_at = _now()
    report.ok = True
    return report


def _warn(report: UploadReport, warn: Progress | None, message: str) -> None:
    report.warnings.append(message)
    _emit(warn, message)


def _describe_auth(provider: str) -> str | None:
    """Which credential would be used (names only), for a dry run."""
    if provider == "openai":
        return f"api-key ({ENV_OPENAI_KEY})" if os.environ.get(ENV_OPENAI_KEY) else None
    if os.environ.get(ENV_AZURE_KEY):
        return f"api-key ({ENV_AZURE_KEY})"
    if os.environ.get(ENV_AZURE_AD_TOKEN):
        return f"entra-id token ({ENV_AZURE_AD_TOKEN})"
    try:
        import azure.identity  # noqa: F401
    except ImportError:
        return None
    return "entra-id (azure-identity DefaultAzureCredential)"


def job_status(
    job_id: str,
    *,
    provider: str = "azure",
    endpoint: str | None = None,
    api_version: str | None = None,
    events: int = 20,
    timeout: float = 60.0,
    max_retries: int = DEFAULT_MAX_RETRIES,
    client: OpenAI | None = None,
) -> JobStatusReport:
    """State, error and the latest ``events`` events of a fine-tuning job."""
    if provider not in PROVIDERS:
        raise UsageError(f"--provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    if client is None:
        client, target = make_client(provider, endpoint, api_version, timeout=timeout,
                                     max_retries=max_retries)
    else:
        target = Target(provider, client.base_url.host or "", api_version, None)
    with _service_call(f"reading job {job_id}", target):
        job = client.fine_tuning.jobs.retrieve(job_id)
    evs: list[JobEvent] = []
    if events > 0:
        with _service_call(f"reading the events of job {job_id}", target):
            page = client.fine_tuning.jobs.list_events(job_id, limit=events)
        evs = [JobEvent(_ts(e.created_at), str(e.level), redact(str(e.message)))
               for e in page.data][:events]
    md = getattr(job, "metadata", None)
    return JobStatusReport(
        id=job.id, provider=provider, endpoint_host=target.endpoint_host, status=job.status,
        model=job.model, fine_tuned_model=job.fine_tuned_model, created_at=_ts(job.created_at),
        finished_at=_ts(job.finished_at), trained_tokens=job.trained_tokens,
        training_file=job.training_file, validation_file=job.validation_file,
        error=_job_error(job), metadata=dict(md) if md else None, events=evs,
    )


__all__ = [
    "DEFAULT_AZURE_API_VERSION",
    "RECEIPT_NAME",
    "FileResult",
    "JobEvent",
    "JobOptions",
    "JobResult",
    "JobStatusReport",
    "Plan",
    "UploadRefused",
    "UploadReport",
    "build_metadata",
    "check_metadata",
    "job_status",
    "make_client",
    "plan_upload",
    "read_receipt",
    "redact",
    "service_name",
    "upload",
]
