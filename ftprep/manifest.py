"""The manifest: what a run read, wrote, counted and checked, and how to verify it.

``manifest.json`` is written last, after every output file is complete, so a
manifest on disk always vouches for complete files. It holds hashes, counts,
token statistics, check results, the config and the key's fingerprint; it never
holds the key or any data value. It has no timestamp, so the same input, config
and key give a byte-identical manifest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import atomic_writer, file_sha256, loads_bounded

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
OUTPUT_NAMES = {"train": "train.jsonl", "validation": "validation.jsonl", "rejected": "rejected.jsonl"}
_DEPENDENCIES = ("pandas", "datasets", "tiktoken", "faker", "great-expectations", "click", "orjson",
                 "phonenumbers")


#: ``[pseudonymize]`` options whose values are customer data (known people and companies,
#: values to keep or always replace, patterns and domains that name them): the manifest
#: records how many there are and a fingerprint of the sorted list, never the values.
VALUE_LIST_OPTIONS = ("person_names", "organization_names", "deny_values", "allow_values",
                      "allow_patterns", "keep_domains")
#: files of known names: recorded by a fingerprint of their contents (paths can name a
#: customer, and the contents, not the paths, decide what the run replaced)
FILE_LIST_OPTIONS = ("name_list_files",)
#: run settings that are free text chosen for one customer's data (a sheet name, a marker)
VALUE_SETTINGS = ("sheet", "record_start")
#: run settings that are paths of files the user wrote (shown like an input's name)
PATH_SETTINGS = ("template", "suite")
_VALUES_LABEL = b"ftprep config values v1\x00"


def printable_name(path: str) -> str:
    """``path`` as valid UTF-8 text: the bytes of a file name that are not UTF-8 (which
    Python carries as lone surrogates, e.g. a Latin-1 ``caf\\xe9.jsonl`` from a Windows share)
    written as ``\\xNN``, the same way every time. Valid names are returned unchanged."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system decoding makes: escape it as is
        raw = path.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def values_fingerprint(values: Sequence[str], key: bytes | None) -> dict[str, Any]:
    """``{"count", "fingerprint"}`` of a list of values, never the values.

    The fingerprint covers the sorted list (order in the config file does not matter). With
    the run's key it is an HMAC-SHA-256 (``hmac-sha256:...``): a list of a few names is easy
    to guess, and a plain hash of a guess can be checked offline by anyone who reads the
    manifest; the keyed one only by a holder of the key. Without a key (a run without
    pseudonymization, whose outputs hold every value anyway) it is a plain SHA-256
    (``sha256:...``)."""
    blob = json.dumps(sorted(values), ensure_ascii=False, separators=(",", ":"))
    data = blob.encode("utf-8", "surrogatepass")
    if key:
        digest = "hmac-sha256:" + hmac.new(key, _VALUES_LABEL + data, hashlib.sha256).hexdigest()
    else:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return {"count": len(values), "fingerprint": digest}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _content_hash(path: str) -> str:
    try:
        return file_sha256(path)[0]
    except OSError:
        return "unreadable"


def redact_settings(settings: Mapping[str, Any], key: bytes | None,
                    show_path: Callable[[str], str]) -> dict[str, Any]:
    """The manifest's ``config``: ``settings`` with every value that can hold customer data
    replaced by a count and a fingerprint (:func:`values_fingerprint`), and file paths shown
    by ``show_path`` (the run's display name of a path). Everything else is kept as is: it
    proves which config ran."""
    out = dict(settings)
    options = out.get("pseudonymize_options")
    if isinstance(options, Mapping):
        safe: dict[str, Any] = {}
        for name, value in options.items():
            if name in VALUE_LIST_OPTIONS:
                safe[name] = values_fingerprint(_as_list(value), key)
            elif name in FILE_LIST_OPTIONS:
                safe[name] = values_fingerprint([_content_hash(p) for p in _as_list(value)], key)
            else:
                safe[name] = value
        out["pseudonymize_options"] = safe
    for name in VALUE_SETTINGS:
        if out.get(name) is not None:
            out[name] = values_fingerprint(_as_list(out[name]), key)
    for name in PATH_SETTINGS:
        if isinstance(out.get(name), str):
            out[name] = show_path(out[name])
    return out


def dependency_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in _DEPENDENCIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def count_rows(path: Path) -> int:
    """Rows of a JSONL file: its newline-terminated lines."""
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def describe_file(path: Path, outdir: Path) -> dict[str, Any]:
    sha, size = file_sha256(path)
    return {"path": path.relative_to(outdir).as_posix(), "sha256": sha, "bytes": size,
            "rows": count_rows(path)}


def dumps_manifest(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_manifest(outdir: Path, manifest: dict[str, Any]) -> Path:
    path = outdir / MANIFEST_NAME
    with atomic_writer(path) as fh:
        fh.write(dumps_manifest(manifest))
    return path


def read_manifest(outdir: str | Path) -> dict[str, Any]:
    path = Path(outdir) / MANIFEST_NAME
    try:
        data = loads_bounded(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no manifest.json: not an ftprep output directory, or the run did not finish",
                         str(outdir)) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"manifest.json cannot be read ({exc.__class__.__name__})", str(outdir)) from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"manifest.json has an unsupported schema_version (expected {SCHEMA_VERSION})",
                         str(outdir))
    return data


@dataclass
class VerifyReport:
    outdir: str
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        return {"outdir": self.outdir, "ok": self.ok, "problems": self.problems, "checked": self.checked}


def verify_outputs(outdir: str | Path) -> VerifyReport:
    """Check every output file against the manifest: sha256, size and row count."""
    out = Path(outdir)
    report = VerifyReport(str(out))
    manifest = read_manifest(out)
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict):
        report.fail("manifest.json has no outputs table")
        return report
    for name in OUTPUT_NAMES:
        if name not in outputs:
            report.fail(f"manifest.json does not list the {name} output")
    root = out.resolve()
    for name, entry in sorted(outputs.items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            report.fail(f"manifest.json: output {name!r} has no path")
            continue
        path = out / entry["path"]
        if not path.resolve().is_relative_to(root) or Path(entry["path"]).is_absolute():
            report.fail(f"{entry['path']}: outside the output directory")
            continue
        if not path.is_file():
            report.fail(f"{entry['path']}: missing")
            continue
        sha, size = file_sha256(path)
        if size != entry.get("bytes"):
            report.fail(f"{entry['path']}: size {size} != manifest {entry.get('bytes')}")
        if sha != entry.get("sha256"):
            report.fail(f"{entry['path']}: sha256 differs from the manifest")
        if "rows" in entry and count_rows(path) != entry["rows"]:
            report.fail(f"{entry['path']}: row count differs from the manifest")
        report.checked.append(name)
    counts = manifest.get("counts", {})
    rows = sum(e["rows"] for k in OUTPUT_NAMES
               if isinstance(e := outputs.get(k), dict) and isinstance(e.get("rows"), int))
    if not isinstance(counts, dict) or "input_lines" not in counts:
        report.fail("manifest.json has no input line count")
    elif rows != counts["input_lines"]:
        report.fail(f"train + validation + rejected rows ({rows}) != input lines ({counts['input_lines']})")
    return report
