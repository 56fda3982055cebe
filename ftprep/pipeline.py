"""The staged pipeline behind ``ftprep prepare``.

Stages, each in its own module: load (:mod:`ftprep.io`) -> validate
(:mod:`ftprep.validate`) -> pseudonymize (:mod:`ftprep.pseudonymize`) -> tokens
(:mod:`ftprep.tokens`) -> split (:mod:`ftprep.split`) -> emit (here) -> leak check
-> checks (:mod:`ftprep.checks`) -> manifest (:mod:`ftprep.manifest`) and report.

Records stream through in batches; row-level work lives in
:meth:`BatchProcessor.process`, a pure function of the batch and the run's
context, so the CLI, the notebook and other engines call the same code.

Nothing lost: every input line ends in exactly one of train / validation /
rejected, and the manifest's ``counts.accounted`` proves it. Nothing leaked:
every output is scanned for every original value that was detected before any
output is renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
import time
from array import array
from collections import Counter as Tally
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import __version__
from .config import PrepareConfig
from .errors import ConfigError, InputError, LeakError, OutputError, UsageError
from .heap import malloc_arrow_pool, trim_heap
from .io import BOM, OverlongLine, ReadLimits, atomic_writer, dumps, file_sha256, iter_records
from .manifest import (
    MANIFEST_NAME,
    OUTPUT_NAMES,
    SCHEMA_VERSION,
    dependency_versions,
    describe_file,
    printable_name,
    redact_settings,
    values_fingerprint,
    write_manifest,
)
from .records import Record, Severity, Split
from .split import assign, content_hash
from .stats import StatsCollector, example_features
from .tokens import Counter, ModelInfo, count_example, estimate_cost, resolve_model, summarize
from .validate import (
    CompletionAdvice,
    ValidationPolicy,
    Validator,
    completion_features,
    normalize_preference_keys,
)

try:  # POSIX: the lock is an flock, released by the kernel when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: a plain exclusive-create lock file
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".ftprep.lock"
REPORT_NAME = "report.html"
INPUT_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz")


# --- inputs -----------------------------------------------------------------

def expand_inputs(inputs: Sequence[str | os.PathLike[str]], *, tables: bool = False) -> list[str]:
    """Files as given; a directory stands for its ``*.jsonl`` / ``*.jsonl.gz`` files, sorted.

    With ``tables`` (a template is in use) any file is taken as is, and a directory is
    taken whole (a Hugging Face dataset saved with ``save_to_disk``)."""
    out: list[str] = []
    for item in inputs:
        p = Path(item)
        if tables and p.exists():
            out.append(str(item))
        elif p.is_dir():
            found = sorted(str(c) for c in p.iterdir()
                           if c.is_file() and c.name.endswith(INPUT_SUFFIXES))
            if not found:
                raise UsageError(f"{p}: directory holds no .jsonl or .jsonl.gz files")
            out.extend(found)
        elif not p.exists():
            raise InputError("no such file", str(item))
        else:
            out.append(str(item))
    if not out:
        raise UsageError("no input files")
    return out


def input_summary(path: str, name: str | None = None) -> dict[str, Any]:
    """An input's manifest entry; ``name`` is how the manifest shows it (default: ``path``,
    made printable). Errors name the real ``path``: they go to the user's terminal."""
    shown = name if name is not None else printable_name(path)
    if Path(path).is_dir():
        return {"path": shown, "sha256": None, "bytes": None}
    try:
        sha, size = file_sha256(path)
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path) from None
    return {"path": shown, "sha256": sha, "bytes": size}


_FILE_SUFFIX = re.compile(
    r"(?:\.(?:jsonl|json|ndjson|csv|tsv|txt|xlsx|xlsm|xls|parquet|arrow|feather|toml|ya?ml|md))?"
    r"(?:\.(?:gz|bz2|xz|zst|zip))?$", re.IGNORECASE)


class SourceNames:
    """How a run's outputs, manifest and report name a file: the path as given, made printable
    (:func:`~ftprep.manifest.printable_name`), with every identifier the run's policy detects
    in it replaced by its pseudonym (``export_jane.doe@contoso.com.jsonl`` ->
    ``export_<fake e-mail>.jsonl``; the same original gives the same fake, as fakes are keyed).

    A fresh pseudonymizer (same key and policy, no run state) names the files, so naming them
    changes nothing in the data's outputs. After the leak check, :meth:`recheck` replaces what
    the run detected anywhere in the data (a name learned from context) and, should an
    original still show, names the file by a keyed hash. Terminal messages keep the real path.
    """

    def __init__(self, pseudonymizer: Any | None, key: bytes | None) -> None:
        self._pz = pseudonymizer.fresh() if pseudonymizer is not None else None
        self._key = key
        self._names: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        name = self._names.get(path)
        if name is None:
            name = printable_name(path)
            if self._pz is not None:
                # the file type's suffix stays out of detection: "x@contoso.com.jsonl" holds
                # the e-mail "x@contoso.com", not one at the host "contoso.com.jsonl"
                suffix = _FILE_SUFFIX.search(name)
                cut = suffix.start() if suffix is not None else len(name)
                name = self._pz.transform_text(name[:cut]).value + name[cut:]
            self._names[path] = name
        return name

    def recheck(self, scanner: Any) -> dict[str, str]:
        """Re-name every file whose name holds an original of the run (``scanner.find``);
        returns the changed display names, old -> new."""
        renamed: dict[str, str] = {}
        if self._pz is None:
            return renamed
        for path, name in self._names.items():
            if not scanner.find(name):
                continue
            from .pseudonymize.engine import REPAIRABLE_TYPES

            # names and companies (found by context) get their pseudonym, as the leak repair
            # gives them in the data; any other original left: a keyed name
            fixed = self._pz.repair_text(name, scanner, REPAIRABLE_TYPES).value
            if scanner.find(fixed):
                digest = values_fingerprint([path], self._key)["fingerprint"]
                fixed = f"input-{digest.rsplit(':', 1)[-1][:16]}"
            self._names[path] = renamed[name] = fixed
        return renamed


def _renamed_source(line: bytes, old: str, new: str) -> bytes:
    """A rejected row (``{"source": ..., ...}``, as :meth:`BatchProcessor._reject` dumps it)
    with its source named ``new`` instead of ``old``."""
    head = b'{"source":' + dumps(old)
    if not line.startswith(head):
        return line
    return b'{"source":' + dumps(new) + line[len(head):]


def _rename_rejected(path: Path, renamed: Mapping[str, str]) -> None:
    """Rewrite the (temporary) rejected file with the sources ``renamed`` (old -> new display
    name): same rows, in the same order."""
    with atomic_writer(path) as dst, open(path, "rb") as src:  # (a read error: OutputError too)
        for line in src:
            for old, new in renamed.items():
                changed = _renamed_source(line, old, new)
                if changed is not line:
                    line = changed
                    break
            dst.write(line)


# --- per-batch work ---------------------------------------------------------

@dataclass
class RunContext:
    """Everything the row-level work needs; built once per run (or per worker)."""

    config: PrepareConfig
    model: ModelInfo
    counter: Counter
    validator: Validator
    pseudonymizer: Any | None = None

    @classmethod
    def create(cls, config: PrepareConfig, key: bytes | None, fmt: str | None = None) -> RunContext:
        model = resolve_model(config.model)
        pz = None
        if config.pseudonymize:
            if key is None:
                raise ConfigError(
                    "no pseudonymization key: give --key-file PATH or set FTPREP_KEY "
                    "(create one with `ftprep keygen PATH`), or pass --no-pseudonymize"
                )
            from .pseudonymize import PseudonymizeConfig, Pseudonymizer

            pz = Pseudonymizer(key, PseudonymizeConfig.from_dict(dict(config.pseudonymize_options)),
                               record_mapping=config.vault is not None)
        return cls(
            config=config,
            model=model,
            counter=Counter(model),
            validator=Validator(model, ValidationPolicy(max_images=config.max_images), fmt=fmt),
            pseudonymizer=pz,
        )


@dataclass(slots=True)
class Processed:
    """One record after every row-level stage: where it goes and the bytes to write."""

    record: Record
    line: bytes
    content_hash: str
    entity_counts: dict[str, int]


#: What a record's pseudonymization will transform: a parsed value ("obj") or a line of
#: text ("text"), or None (nothing: an over-long line, a row that did not render).
Target = tuple[str, Any] | None


@dataclass(slots=True)
class _Front:
    obj: Any  # the valid example (None: the record is rejected)
    chash: str
    target: Target


class BatchProcessor:
    """The row-level stages of a batch: :meth:`begin` validates, :meth:`finish` does the rest
    (the parallel engine plans the pseudonymization in between: :mod:`ftprep.engine`)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def process(self, batch: list[Record]) -> list[Processed]:
        return self.finish(batch, self.begin(batch))

    def begin(self, batch: list[Record]) -> list[_Front]:
        """Validation of a batch; after it, ``[f.target for f in fronts]`` is what its
        pseudonymization will see (the parallel engine plans it)."""
        return [self._front(rec) for rec in batch]

    def finish(self, batch: list[Record], fronts: list[_Front]) -> list[Processed]:
        """Pseudonymize, count, split and dump a batch :meth:`begin` validated."""
        return [self._back(rec, f) for rec, f in zip(batch, fronts, strict=True)]

    def _front(self, rec: Record) -> _Front:
        """Validation (and what pseudonymization will see)."""
        self.ctx.validator.validate(rec)
        if rec.has_errors or rec.obj is None:
            return _Front(None, "", self._reject_target(rec))
        obj = rec.obj
        if rec.format == "preference" and isinstance(obj, dict):
            rec.changed = normalize_preference_keys(obj) or rec.changed
        return _Front(obj, content_hash(obj).hex(), ("obj", obj))

    def _back(self, rec: Record, front: _Front) -> Processed:
        ctx = self.ctx
        counts: dict[str, int] = {}
        if front.obj is None:
            return self._reject(rec, counts)
        obj, chash = front.obj, front.chash
        if ctx.pseudonymizer is not None:
            t = ctx.pseudonymizer.transform(obj)
            counts = dict(t.counts)
            if t.changed:
                obj = t.value
                rec.changed = True
        tokens = count_example(ctx.counter, obj, rec.format or "chat")
        rec.stats.update(example_features(obj, rec.format))
        if rec.format == "completion":
            rec.stats.update(completion_features(obj))
        rec.stats.update(total_tokens=tokens.total, trained_tokens=tokens.trained,
                         largest_message_tokens=tokens.largest_message,
                         over_limit=tokens.total > ctx.model.example_token_limit)
        if tokens.total > ctx.model.example_token_limit:
            rec.add("over_token_limit", Severity.ERROR,
                    f"{tokens.total} tokens, over {ctx.model.name}'s limit of "
                    f"{ctx.model.example_token_limit}")
            return self._reject(rec, counts, pseudonymized=obj)
        to_validation = assign(bytes.fromhex(chash), ctx.config.validation_fraction, ctx.config.seed)
        rec.split = Split.VALIDATION if to_validation else Split.TRAIN
        line = dumps(obj) if rec.changed else rec.raw
        return Processed(rec, line, chash, counts)

    def _reject_target(self, rec: Record) -> Target:
        if rec.obj is not None:
            return ("obj", rec.obj)
        if (isinstance(rec.raw, OverlongLine) or len(rec.raw) > self.ctx.config.max_line_bytes
                or (not rec.raw and rec.text is None and rec.has_errors)):
            return None  # over the size limit (never read whole), or a table row the template
            #              could not render
        text = rec.text if rec.text is not None else rec.raw.decode("utf-8", "replace")
        return ("text", text.replace("\x00", "\ufffd"))

    def _reject(self, rec: Record, counts: dict[str, int], pseudonymized: Any = None) -> Processed:
        rec.split = Split.REJECTED
        pz = self.ctx.pseudonymizer
        entry: dict[str, Any] = {
            "source": printable_name(rec.source),  # (the main process names it: SourceNames)
            "line": rec.line,
            "reasons": rec.error_codes or sorted({f.code for f in rec.findings}),
            "findings": [{"code": f.code, "severity": f.severity.value, "message": f.message}
                         for f in rec.findings],
        }
        if pseudonymized is not None:
            entry["record"] = pseudonymized
            return Processed(rec, dumps(entry), "", counts)
        target = self._reject_target(rec)
        if target is None:
            entry["text"] = None
        elif target[0] == "obj":
            if pz is not None:
                t = pz.transform(target[1])
                counts = dict(t.counts)
                entry["record"] = t.value
            else:
                entry["record"] = target[1]
        else:
            text = target[1]
            if pz is not None:
                t = pz.transform_text(text)
                counts = dict(t.counts)
                text = t.value
            entry["text"] = text
        return Processed(rec, dumps(entry), "", counts)


# --- emit -------------------------------------------------------------------

class OutputSet:
    """The three data files, written to temporary names and renamed together when complete."""

    def __init__(self, outdir: Path, bom: bool) -> None:
        self.outdir = outdir
        self.bom = bom
        self.tmp: dict[str, Path] = {
            name: outdir / f".{fname}.tmp-{os.getpid()}" for name, fname in OUTPUT_NAMES.items()
        }
        self.handles: dict[str, IO[bytes]] = {}
        self.rows: Tally[str] = Tally()

    def __enter__(self) -> OutputSet:
        try:
            for name, path in self.tmp.items():
                self.handles[name] = open(path, "wb")  # noqa: SIM115
                if self.bom and name != "rejected":
                    self.handles[name].write(BOM)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.outdir}: cannot write ({exc.strerror})") from None
        return self

    def write(self, split: Split, line: bytes) -> int:
        """Write one row; returns its 0-based row index within its split."""
        try:
            self.handles[split.value].write(line + b"\n")
        except OSError as exc:
            raise self._failed("write", exc) from None
        index = self.rows[split.value]
        self.rows[split.value] += 1
        return index

    def close(self) -> None:
        try:
            for fh in self.handles.values():
                if not fh.closed:
                    fh.flush()
                    os.fsync(fh.fileno())
                    fh.close()
        except OSError as exc:
            raise self._failed("write", exc) from None

    def _failed(self, what: str, exc: OSError) -> OutputError:
        """Disk full, quota, permissions, I/O error: one line, temporary files removed."""
        self.discard()
        return OutputError(f"{self.outdir}: {what} failed ({exc.strerror or type(exc).__name__}); "
                           "temporary files removed, previous outputs (if any) left as they were")

    def discard(self) -> None:
        for fh in self.handles.values():
            with contextlib.suppress(OSError):
                fh.close()
        for path in self.tmp.values():
            with contextlib.suppress(OSError):
                path.unlink()

    def commit(self) -> dict[str, Path]:
        """Rename the temporary files over the outputs. The caller has removed the old
        manifest first, so a run killed between two renames leaves no manifest vouching
        for a mixed set."""
        final = {name: self.outdir / fname for name, fname in OUTPUT_NAMES.items()}
        try:
            for name, path in self.tmp.items():
                os.replace(path, final[name])
        except OSError as exc:
            raise self._failed("rename", exc) from None
        fsync_dir(self.outdir)
        return final

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.discard()


def fsync_dir(path: Path) -> None:
    """Make renames in ``path`` durable (best effort: not every filesystem allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_LOCK_LINE = re.compile(r"^ftprep pid=(?P<pid>\d+) host=(?P<host>\S*)$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _lock_owner(text: str) -> tuple[int | None, str | None, bool]:
    """(pid, host, written by this lock scheme) from a lock file's content."""
    line = text.strip()
    m = _LOCK_LINE.match(line)
    if m:
        return int(m["pid"]), m["host"], True
    return (int(line), None, False) if line.isdigit() else (None, None, False)


@contextlib.contextmanager
def run_lock(outdir: Path, notes: list[str] | None = None) -> Iterator[None]:
    """Keep two runs out of one output directory.

    The lock file holds ``ftprep pid=N host=H`` and an ``flock`` that the kernel drops
    when its process ends, however it ends (SIGKILL, power cut). A lock file whose
    flock is free was left by a run that died: it is taken over, with a note. A lock
    file in another form (older ftprep, hand-made) is honoured while its pid lives,
    and otherwise refused with a message saying to delete it.
    """
    path = outdir / LOCK_NAME
    fd = _acquire(outdir, path, notes if notes is not None else [])
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding the flock: no one can take a half-removed lock
        with contextlib.suppress(OSError):
            os.close(fd)


def _acquire(outdir: Path, path: Path, notes: list[str]) -> int:
    if fcntl is None:  # pragma: no cover - no flock: exclusive create only
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise OutputError(f"{outdir}: another ftprep run holds {LOCK_NAME} "
                              "(if none is running, delete the file)") from None
        except OSError as exc:
            raise OutputError(f"{outdir}: cannot create a lock file ({exc.strerror})") from None
        os.write(fd, f"ftprep pid={os.getpid()} host={socket.gethostname()}\n".encode())
        return fd
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as exc:
            raise OutputError(f"{outdir}: cannot create a lock file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pid, _, _ = _lock_owner(_read_fd(fd))
            os.close(fd)
            who = f" (pid {pid})" if pid is not None else ""
            raise OutputError(f"{outdir}: another ftprep run{who} is writing to this directory "
                              f"({LOCK_NAME}); wait for it to finish or choose another -o") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if not same:  # the holder removed it between our open and flock: start over
            os.close(fd)
            continue
        try:
            _claim(outdir, fd, notes)
        except BaseException:
            os.close(fd)
            raise
        return fd
    raise OutputError(f"{outdir}: cannot take {LOCK_NAME} (it keeps changing); is another run starting?")


def _read_fd(fd: int) -> str:
    try:
        return os.pread(fd, 256, 0).decode("utf-8", "replace")
    except OSError:
        return ""


def _claim(outdir: Path, fd: int, notes: list[str]) -> None:
    """We hold the flock: judge what the file says, then write our own line."""
    text = _read_fd(fd)
    if text.strip():
        pid, host, ours = _lock_owner(text)
        here = socket.gethostname()
        if not ours or (host and host != here):
            alive = pid is not None and host in (None, here) and _pid_alive(pid)
            state = ("whose process is still running" if alive else
                     "whose process is not running here" if pid is not None else "of unknown origin")
            raise OutputError(
                f"{outdir}: another ftprep run may hold {LOCK_NAME} (pid "
                f"{pid if pid is not None else '?'}, {state}; written by another ftprep version "
                "or by hand); if no run is using this directory, delete the file")
        notes.append(f"{outdir}: took over a stale {LOCK_NAME} left by a run that ended "
                     f"without cleaning up (pid {pid})")
    line = f"ftprep pid={os.getpid()} host={socket.gethostname()}\n".encode()
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, line, 0)
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot write the lock file ({exc.strerror})") from None


# .repair: leak repair; .rename: rejected rows re-named (SourceNames)
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)(?:\.repair|\.rename)?$")


def remove_leftover_temps(outdir: Path) -> int:
    """Delete temporary outputs that a killed run left behind (``.train.jsonl.tmp-PID``).
    Called while holding the lock, so no live run owns them."""
    ours = {*OUTPUT_NAMES.values(), MANIFEST_NAME, REPORT_NAME}
    removed = 0
    try:
        entries = list(outdir.iterdir())
    except OSError:
        return 0
    for entry in entries:
        m = _TEMP_NAME.match(entry.name)
        if m and m["name"] in ours and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    return removed


def prepare_outdir(outdir: Path, inputs: Sequence[str], force: bool) -> None:
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot create the output directory ({exc.strerror})") from None
    refuse_input_output_overlap(inputs, outdir)
    existing = [p.name for p in outdir.iterdir() if not p.name.startswith(".")]
    if existing and not force:
        raise UsageError(f"{outdir}: output directory is not empty ({len(existing)} entries); "
                         "use --force to replace its ftprep outputs")


def refuse_input_output_overlap(inputs: Sequence[str | os.PathLike[str]], outdir: Path) -> None:
    """An input that is (by path, symlink or hard link) one of the run's outputs is refused:
    the run would truncate what it reads."""
    outputs = [outdir / n for n in (*OUTPUT_NAMES.values(), MANIFEST_NAME, REPORT_NAME, LOCK_NAME)]
    resolved_out = {p.resolve() for p in outputs}
    identities = set()
    for p in outputs:
        with contextlib.suppress(OSError):
            st = p.stat()
            identities.add((st.st_dev, st.st_ino))
    out_dir = outdir.resolve()
    for item in inputs:
        p = Path(item)
        if p.is_dir() and p.resolve() == out_dir:  # the next run would read this run's outputs
            raise UsageError(f"{item}: the output directory is also an input directory (its files "
                             "are also an output of this run); choose another -o")
        same = p.resolve() in resolved_out
        if not same:
            with contextlib.suppress(OSError):
                st = p.stat()
                same = (st.st_dev, st.st_ino) in identities
        if same:
            raise UsageError(f"{item}: an input is also an output of this run; choose another -o")


# --- the run ----------------------------------------------------------------

@dataclass
class PrepareReport:
    """What ``prepare`` did; ``manifest`` is exactly what was written to manifest.json."""

    outdir: Path
    manifest: dict[str, Any]
    frame: Any = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.manifest["verdict"] == "ok"

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "schema_version": SCHEMA_VERSION,
            "outdir": str(self.outdir),
            "verdict": m["verdict"],
            "format": m["format"],
            "model": m["model"]["name"],
            "counts": m["counts"],
            "tokens": m["tokens"],
            "checks": {"success": m["checks"]["success"],
                       "failed": [r.get("name") or r["expectation"] for r in m["checks"]["results"]
                                  if not r["success"] and r.get("severity") == "error"],
                       "warned": [r.get("name") or r["expectation"] for r in m["checks"]["results"]
                                  if not r["success"] and r.get("severity") != "error"]},
            "pseudonymization": m["pseudonymization"],
            "outputs": {k: v["path"] for k, v in m["outputs"].items()},
            "warnings": self.warnings,
        }

    def _repr_html_(self) -> str:
        from html import escape

        c = self.manifest["counts"]
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(c[k]))}</td></tr>"
                       for k in ("input_lines", "train", "validation", "rejected", "accounted"))
        return (f"<div><b>ftprep prepare: {escape(self.manifest['verdict'])}</b> "
                f"({escape(str(self.outdir))})<table>{rows}</table></div>")


def prepare(
    inputs: Sequence[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    config: PrepareConfig | None = None,
    key: bytes | None = None,
    *,
    force: bool = False,
    config_source: str | None = None,
) -> PrepareReport:
    """Run every stage over ``inputs`` and write train/validation/rejected, report and manifest."""
    started = time.perf_counter()
    config = config or PrepareConfig()
    out = Path(outdir)
    ReadLimits(max_line_bytes=config.max_line_bytes, max_depth=config.max_depth)  # fail early
    refuse_input_output_overlap(inputs, out)
    if config.vault is not None and not config.pseudonymize:
        raise UsageError("--vault records fake -> original pairs: it needs pseudonymization "
                         "(drop --vault or --no-pseudonymize)")
    files = expand_inputs(inputs, tables=config.template is not None)
    ctx = RunContext.create(config, key)  # fails early on a missing key or unknown model
    prepare_outdir(out, files, force)
    notes: list[str] = []
    with run_lock(out, notes):
        removed = remove_leftover_temps(out)
        if removed:
            notes.append(f"{out}: removed {removed} temporary file(s) left by an interrupted run")
        report = _run(files, out, config, ctx, key, started, config_source)
    report.warnings[:0] = notes
    for path, meta in zip(files, report.manifest["inputs"], strict=True):
        if meta.get("lines") == 0:  # (the terminal: the real path)
            report.warnings.append(f"{path}: empty file (0 lines)")
    rejected = report.manifest["counts"]["rejected_by_reason"]
    for code, limit, value in (("line_too_long", "max_line_bytes", config.max_line_bytes),
                               ("too_deep", "max_depth", config.max_depth)):
        if rejected.get(code):
            report.warnings.append(f"{rejected[code]} line(s) over the {limit} limit of {value} "
                                   f"were rejected ({code})")
    return report


def detect_run_format(files: Sequence[str], ctx: RunContext, limits: ReadLimits) -> str | None:
    """The run's format: that of its first valid line (spec), found before the real pass
    so that every worker and engine judges every line against the same format."""
    probe = Validator(ctx.model, ctx.validator.policy)
    for path in files:
        for batch in iter_records(path, batch_size=64, limits=limits):
            for rec in batch:
                probe.validate(rec)
                if probe.format is not None:
                    return probe.format
    return None


def _run(files: list[str], out: Path, config: PrepareConfig, ctx: RunContext, key: bytes | None,
         started: float, config_source: str | None) -> PrepareReport:
    from .engine import NeedsSerialRun

    limits = ReadLimits(max_line_bytes=config.max_line_bytes, max_depth=config.max_depth)
    if config.template is None:
        ctx.validator.format = detect_run_format(files, ctx, limits)
        workers = config.workers if config.workers > 0 else _default_workers()
    else:
        from .ingest import load_template

        template = load_template(config.template)
        ctx.validator.format = template.kind
        workers = 1  # conversions run in this process
    try:
        return _run_once(files, out, config, ctx, key, started, limits, workers)
    except NeedsSerialRun:
        # A cross-worker fake collision: redo serially so the output equals --workers 1.
        return _run_once(files, out, config.with_overrides(engine="local"), ctx, key, started,
                         limits, 1)


def _default_workers() -> int:
    from .engine import default_workers

    return default_workers()


def _run_once(files: list[str], out: Path, config: PrepareConfig, ctx: RunContext,
              key: bytes | None, started: float, limits: ReadLimits, workers: int) -> PrepareReport:
    with contextlib.ExitStack() as tail:  # what the stages after the leak check enter
        return _run_stages(files, out, config, ctx, key, started, limits, workers, tail)


def _run_stages(files: list[str], out: Path, config: PrepareConfig, ctx: RunContext,
                key: bytes | None, started: float, limits: ReadLimits, workers: int,
                tail: contextlib.ExitStack) -> PrepareReport:
    from .engine import ProcessEngine, SerialEngine

    engine: Any
    if config.engine == "spark" and config.template is None:
        from .spark import SparkEngine

        engine = SparkEngine(ctx, limits, config, key)
    elif workers > 1:
        engine = ProcessEngine(ctx, limits, config.batch_size, workers)
    else:
        engine = SerialEngine(ctx, limits, config.batch_size)
    if isinstance(engine, (ProcessEngine, SerialEngine)):
        engine.state.leak.spill_to(out)  # the leak index waits on disk until the stream ends
    from .checks import ChecksWorker

    # great-expectations takes ~2 s to import: for a small input a helper process imports it
    # while the leak pass runs. On a large input those 2 s do not matter but the helper's
    # second interpreter and pandas (~100 MB) would, so the checks run here (as they do
    # once great-expectations is imported, e.g. by an earlier run in a notebook).
    input_bytes = _input_bytes(files)
    in_process = "great_expectations" in sys.modules or input_bytes > CHECKS_HELPER_MAX_BYTES
    checks_worker = None if in_process else ChecksWorker(start=False)
    # ... but while worker processes scan the outputs, a thread imports great-expectations
    # (not for the largest inputs, where the ~100 MB it adds during the scan matter more
    # than its 3 s)
    gx_import = _BackgroundImport() if in_process and workers > 1 and \
        input_bytes <= CHECKS_THREAD_MAX_BYTES and "great_expectations" not in sys.modules \
        else None
    vault = _open_vault(config, key, out) if ctx.pseudonymizer is not None else None
    entity_types = _entity_types(ctx)
    names = SourceNames(ctx.pseudonymizer, key)  # how outputs, manifest and report name files
    collector = StatsCollector(entity_types=entity_types)
    collector.spill_to(out)  # the stats wait on disk too until the leak check needs them
    advice = CompletionAdvice()
    rejected_by_reason: Tally[str] = Tally()
    warnings_by_code: Tally[str] = Tally()
    problems: list[dict[str, Any]] = []
    inputs_meta: list[dict[str, Any]] = []
    # collector row of each output row, per split (8 bytes a row, not a Python int's 36)
    split_rows: dict[str, array[int]] = {s.value: array("q") for s in Split}
    since_trim = 0
    try:
        with OutputSet(out, config.bom) as outputs:
            for path in files:
                meta = input_summary(path)
                lines = 0
                for items in _process_input(engine, path, config):
                    if vault is not None and ctx.pseudonymizer is not None:
                        vault.put_many(engine.drain_mapping())  # workers' entries too
                    lines += len(items)
                    since_trim += len(items)
                    if since_trim >= TRIM_EVERY_LINES:  # freed heap back to the OS, now and then
                        since_trim = 0
                        trim_heap()
                    for item in items:
                        rec = item.record
                        assert rec.split is not None
                        line = item.line
                        if rec.split is Split.REJECTED:  # (a name with an identifier: rare)
                            shown, printable = names(rec.source), printable_name(rec.source)
                            if shown != printable:
                                line = _renamed_source(line, printable, shown)
                        outputs.write(rec.split, line)
                        split_rows[rec.split.value].append(len(collector))
                        collector.add(rec, item.content_hash, item.entity_counts)
                        for f in rec.findings:
                            if f.severity is Severity.WARNING:
                                warnings_by_code[f.code] += 1
                        if rec.split is not Split.REJECTED:
                            advice.add(rec.stats)
                        if rec.split is Split.REJECTED:
                            codes = rec.error_codes or sorted({f.code for f in rec.findings})
                            rejected_by_reason.update(codes)
                            if len(problems) < 50:
                                problems.append({"source": rec.source, "line": rec.line, "codes": codes})
                meta["lines"] = lines
                inputs_meta.append(meta)
            outputs.close()
            state = engine.state
            # the stream's workers, memo caches and freed heap go before the leak pass; the
            # GX import (~200 MB) starts now and overlaps it instead of the whole stream
            if isinstance(engine, ProcessEngine):  # (the Spark engine keeps its cache)
                engine.close()
            ctx.counter.release()  # every example is counted: the tokenizer's ~75 MB go
            if ctx.pseudonymizer is not None:
                ctx.pseudonymizer.release_caches()
                if isinstance(engine, (ProcessEngine, SerialEngine)):  # every fake is drawn
                    ctx.pseudonymizer.release_run_state()
            trim_heap()
            if checks_worker is not None:
                checks_worker.start()
            leak = _leak_check(ctx, state, outputs, collector, split_rows, workers, gx_import,
                               names)
            if gx_import is not None:
                gx_import.join()
            if leak["ran"] and ctx.pseudonymizer is not None:  # (the scanner knows every original)
                names.recheck(state.leak.scanner(ctx.pseudonymizer.config))
            state.leak.release()  # the hashed originals: not needed past the check
            totals = getattr(state, "totals", None)
            if totals is not None:
                totals.settle()  # distinct counts stay, the ids they count go
            trim_heap()  # ... nor the repair's scratch: the checks come next
            if not leak["passed"] and config.fail_on_leak:
                hits = leak["hits"]
                first = hits[0]
                raise LeakError(
                    f"leak check failed: {len(hits)} output row(s) hold an original identifier, "
                    f"first {first['file']}:{first['line']} ({', '.join(first['types'])}); "
                    "no output was written"
                )
            tail.enter_context(malloc_arrow_pool())  # frame, checks, report: freed is freed
            large = len(collector) >= TRIM_MIN_EXAMPLES
            frame = collector.frame(release=True, source_names=names)
            if large:
                trim_heap()  # the frame's scratch
            checks = _run_checks(frame, ctx, config, checks_worker)
            if large:
                trim_heap()  # the checks' scratch: the manifest and report come next
            with contextlib.suppress(FileNotFoundError):
                (out / MANIFEST_NAME).unlink()  # never let an old manifest vouch for new files
            with contextlib.suppress(FileNotFoundError):
                (out / REPORT_NAME).unlink()
            final = outputs.commit()
    finally:
        engine.close()
        if checks_worker is not None:
            checks_worker.close()
        if vault is not None:
            vault.close()
    manifest = _build_manifest(
        files=_named_inputs(files, inputs_meta, names), out=out, final=final,
        config=config, ctx=ctx, key=key, names=names,
        state=state, frame=frame, checks=checks, leak=leak, rejected_by_reason=rejected_by_reason,
        warnings_by_code=warnings_by_code,
        problems=[{**p, "source": names(p["source"])} for p in problems],
    )
    manifest["dataset_warnings"] = advice.warnings()
    try:
        report_path = _write_report(out, manifest, frame)
        if report_path is not None:
            manifest["outputs"]["report"] = describe_file(report_path, out)
        write_manifest(out, manifest)  # last: a manifest on disk always vouches for complete files
    except OutputError as exc:
        raise OutputError(f"{exc}; the new train/validation/rejected files are in place but no "
                          "manifest vouches for them: fix the cause and rerun") from None
    fsync_dir(out)
    warnings = list(manifest["dataset_warnings"])
    if ctx.model.retired_on_azure and config.target == "azure":
        warnings.append(f"{ctx.model.name} fine-tuning was retired on Azure OpenAI on "
                        f"{ctx.model.retired_on_azure}")
    if config.target == "openai":
        warnings.append("OpenAI is winding down self-serve fine-tuning for new organizations; "
                        "Azure OpenAI is the primary target")
    return PrepareReport(out, manifest, frame=frame, seconds=time.perf_counter() - started,
                         warnings=warnings)


def _process_input(engine: Any, path: str, config: PrepareConfig) -> Iterator[list[Processed]]:
    if config.template is None:
        yield from engine.process_file(path)
        return
    from .ingest import iter_converted

    conversion = iter_converted(path, config.template, batch_size=config.batch_size,
                                sheet=config.sheet, record_start=config.record_start)
    try:
        yield from engine.process_records(iter(conversion))
    finally:
        conversion.close()


def _open_vault(config: PrepareConfig, key: bytes | None, out: Path) -> Any:
    """The optional re-identification vault (fake -> original, encrypted); never in ``out``."""
    if config.vault is None or key is None:
        return None
    from .pseudonymize.vault import Vault, check_vault_location

    check_vault_location(config.vault, out)
    return Vault(config.vault, key)


def _entity_types(ctx: RunContext) -> tuple[str, ...]:
    if ctx.pseudonymizer is None:
        return ()
    from . import pseudonymize

    return tuple(getattr(pseudonymize, "ENTITY_TYPES", ()))


class _BackgroundImport:
    """great-expectations imported by a thread of this process (see :func:`_run_once`)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        from .checks import import_gx_in_background

        if self.thread is None:
            self.thread = import_gx_in_background()

    def join(self) -> None:
        """Wait for the import: before a fork, and before the checks."""
        if self.thread is not None:
            self.thread.join()


def _leak_check(ctx: RunContext, state: Any, outputs: OutputSet, collector: StatsCollector,
                split_rows: Mapping[str, Sequence[int]], workers: int,
                gx_import: _BackgroundImport | None = None,
                names: SourceNames | None = None) -> dict[str, Any]:
    """Scan every written row for every original value detected; count residual detections.

    ``gx_import`` starts once the scan's worker processes run (nothing forks after it
    until it is joined). A rejected row whose source (file name) holds an original the run
    detected elsewhere gets the file's new display name (``names``) and is scanned again."""
    if ctx.pseudonymizer is None:
        return {"ran": False, "passed": True, "hits": [], "residual": {}}
    from .leak_pass import RowSet, scan_outputs, scan_rows
    from .pseudonymize.repair import repair_outputs, rows_with_hits

    files = {OUTPUT_NAMES[name]: path for name, path in outputs.tmp.items()}
    pz_config = ctx.pseudonymizer.config
    state.leak.scanner(pz_config)  # builds the search tables: the build's scratch goes back
    trim_heap()  # to the OS before the scan's workers fork
    hits, residual_rows = scan_outputs(files, state.leak, pz_config, workers,
                                       gx_import.start if gx_import is not None else None)
    if len(collector) >= TRIM_MIN_EXAMPLES:
        trim_heap()  # the scan's scratch, before the repair and the rescan's fork
    rejected_name = OUTPUT_NAMES["rejected"]
    if names is not None and any(hit["file"] == rejected_name for hit in hits):
        renamed = names.recheck(state.leak.scanner(pz_config))
        if renamed:
            _rename_rejected(outputs.tmp["rejected"], renamed)
            again = rows_with_hits(hits)
            if gx_import is not None:
                gx_import.join()  # the rescan may fork workers
            hits, fresh = scan_rows(files, state.leak, pz_config, again, workers)
            residual_rows = {k: v for k, v in residual_rows.items()
                             if k[1] not in again.get(k[0], ())}
            residual_rows.update(fresh)
    by_file = {OUTPUT_NAMES[name]: name for name in outputs.tmp}
    repaired: dict[str, RowSet] = {}  # output file -> rows rewritten by any round
    rounds = 0
    # a name stated with context in one record survives bare in another: repair, rescan (a
    # repair can leave an original behind, e.g. where two names overlap: up to 3 rounds)
    while hits and rounds < REPAIR_ROUNDS:
        rounds += 1
        fix = repair_outputs(files, hits, ctx.pseudonymizer, state.leak.scanner(pz_config))
        for fname, index, counts in fix.counts.rows():  # the rows' entity counts
            repaired.setdefault(fname, RowSet()).add(index)
            row = split_rows[by_file[fname]][index]
            for etype, n in counts.items():
                for column in (f"pii_{etype}", "pii_total"):
                    if column in collector.ints:
                        collector.ints[column][row] += n
        if not fix.total:
            break
        if getattr(state, "totals", None) is not None:  # the manifest's entity counts
            from .engine import ReportDelta

            state.totals.add(ReportDelta.take(fix.report))
        # only rows with hits were rewritten, and only they can scan differently now
        again = rows_with_hits(hits)
        if gx_import is not None:
            gx_import.join()  # the rescan may fork workers
        hits, fresh = scan_rows(files, state.leak, pz_config, again, workers)
        residual_rows = {k: v for k, v in residual_rows.items() if k[1] not in again.get(k[0], ())}
        residual_rows.update(fresh)
    residual: Tally[str] = Tally()
    for (fname, index), types in residual_rows.items():
        residual.update(types)
        collector.set_residual(split_rows[by_file[fname]][index], len(types))
    return {"ran": True, "passed": not hits, "hits": hits,
            "repaired_rows": sum(len(rows) for rows in repaired.values()),
            "residual": dict(sorted(residual.items()))}


def _run_checks(frame: Any, ctx: RunContext, config: PrepareConfig, worker: Any) -> dict[str, Any]:
    from .checks import CheckSettings, run_checks

    report = (worker.run_checks if worker is not None else run_checks)(
        frame,
        example_token_limit=ctx.model.example_token_limit,
        settings=CheckSettings.from_dict(dict(config.checks)),
        suite_path=config.suite,
        suite_mode=config.suite_mode,
        epochs=config.n_epochs,
        data_docs_dir=config.gx_data_docs,
    )
    result: dict[str, Any] = report.to_dict()
    result.pop("seconds", None)  # timings vary run to run: keep them out of the manifest
    return result


def _write_report(out: Path, manifest: dict[str, Any], frame: Any) -> Path | None:
    from .report import write_report

    path: Path = write_report(out, manifest, frame)
    return path


#: Inputs up to this size get the checks helper process (see ``_run_once``).
CHECKS_HELPER_MAX_BYTES = 32 * 1024 * 1024
#: ... and inputs up to this size a thread that imports great-expectations during the leak
#: scan when worker processes scan (see ``_run_once``).
CHECKS_THREAD_MAX_BYTES = 256 * 1024 * 1024


def _input_bytes(files: Sequence[str]) -> int:
    total = 0
    for path in files:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total


def _split_stats(frame: Any, split: str, limit: int) -> dict[str, Any]:
    if not len(frame):
        return summarize([], [], limit).to_dict()
    mask = (frame["split"] == split).to_numpy()  # two columns read, not every row copied
    totals = frame["total_tokens"].to_numpy()[mask].tolist()
    trained = frame["trained_tokens"].to_numpy()[mask].tolist()
    return summarize(totals, trained, limit).to_dict()


REPAIR_ROUNDS = 3  # repair-and-rescan rounds before a surviving original fails the run
TRIM_MIN_EXAMPLES = 1 << 16  # smaller runs skip the extra heap trims (a full GC, ~0.1 s each)
TRIM_EVERY_LINES = 1 << 15  # a long stream trims its heap this often (a few ms each time)


def _named_inputs(files: Sequence[str], metas: list[dict[str, Any]],
                  names: SourceNames) -> list[dict[str, Any]]:
    """The manifest's inputs: each named as the run names files (never a detected identifier)."""
    return [{**meta, "path": names(path)} for path, meta in zip(files, metas, strict=True)]


def _build_manifest(*, files: list[dict[str, Any]], out: Path, final: dict[str, Path],
                    config: PrepareConfig, ctx: RunContext, key: bytes | None, names: SourceNames,
                    state: Any, frame: Any,
                    checks: dict[str, Any], leak: dict[str, Any], rejected_by_reason: Tally[str],
                    warnings_by_code: Tally[str], problems: list[dict[str, Any]]) -> dict[str, Any]:
    outputs = {name: describe_file(path, out) for name, path in final.items()}
    rows = {name: outputs[name]["rows"] for name in OUTPUT_NAMES}
    input_lines = sum(f["lines"] for f in files)
    limit = ctx.model.example_token_limit
    train = _split_stats(frame, "train", limit)
    validation = _split_stats(frame, "validation", limit)
    from .tokens import TokenStats

    cost = estimate_cost(TokenStats(**train), ctx.model, config.n_epochs, config.price_per_million)
    pz = ctx.pseudonymizer
    pseudo: dict[str, Any] = {"enabled": pz is not None, "key_fingerprint": None, "entities": {},
                              "leak_check": {k: v for k, v in leak.items() if k != "hits"}}
    if pz is not None and key is not None:
        from .pseudonymize import PseudonymizeReport, key_fingerprint

        pseudo.update((state.report or PseudonymizeReport()).to_dict())
        pseudo["enabled"] = True
        pseudo["key_fingerprint"] = key_fingerprint(key)
        from .pseudonymize import POOL_VERSION, faker_version

        # Fakes come from frozen pools: these two say which, so drift across upgrades shows.
        pseudo["pool_version"] = POOL_VERSION
        pseudo["faker_version"] = faker_version()
        pseudo["leak_check"] = {k: v for k, v in leak.items() if k != "hits"}
    verdict = "ok" if checks["success"] and leak["passed"] else "failed"
    return {
        "schema_version": SCHEMA_VERSION,
        "ftprep_version": __version__,
        "versions": dependency_versions(),
        # values that can be customer data (name lists, ...) as counts and fingerprints
        "config": redact_settings(config.output_settings(), key if pz is not None else None,
                                  names),
        "target": config.target,
        "model": ctx.model.to_dict(),
        "format": ctx.validator.format,
        "inputs": files,
        "outputs": outputs,
        "counts": {
            "input_lines": input_lines,
            **rows,
            "accounted": sum(rows.values()) == input_lines,
            "rejected_by_reason": dict(sorted(rejected_by_reason.items())),
            "warnings_by_code": dict(sorted(warnings_by_code.items())),
        },
        "tokens": {"train": train, "validation": validation, "cost": cost.to_dict(),
                   "method": "OpenAI published counting method; tool overheads are estimates"},
        "checks": checks,
        "pseudonymization": pseudo,
        "problems": problems,
        "verdict": verdict,
    }
