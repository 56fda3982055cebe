"""ftprep: pseudonymized, validated fine-tuning files for Azure OpenAI and OpenAI.

The public API (the CLI and the notebook call exactly these)::

    from ftprep import PrepareConfig, prepare, validate_files, count_tokens, load
    report = prepare(["data.jsonl"], "out", PrepareConfig(model="gpt-4.1-mini"), key=load_key("k"))
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import TokenReport, ValidationReport, count_tokens, load, validate_files
from .config import PrepareConfig, load_config
from .errors import (
    ConfigError,
    DataError,
    FtprepError,
    InputError,
    KeyError_,
    LeakError,
    OutputError,
    UploadError,
    UsageError,
)
from .manifest import read_manifest, verify_outputs
from .pipeline import PrepareReport, prepare
from .records import Finding, Record, Severity, Split
from .tokens import MODELS, ModelInfo, resolve_model
from .upload import UploadReport, job_status, upload

__all__ = [
    "MODELS",
    "ConfigError",
    "DataError",
    "Finding",
    "FtprepError",
    "InputError",
    "KeyError_",
    "LeakError",
    "ModelInfo",
    "OutputError",
    "PrepareConfig",
    "PrepareReport",
    "Record",
    "Severity",
    "Split",
    "TokenReport",
    "UploadError",
    "UploadReport",
    "UsageError",
    "ValidationReport",
    "__version__",
    "count_tokens",
    "load",
    "job_status",
    "load_config",
    "prepare",
    "read_manifest",
    "resolve_model",
    "upload",
    "validate_files",
    "verify_outputs",
]
