"""The re-identification vault: an encrypted local store of fake -> original.

A vault is one SQLite file. Each entry is sealed with AES-256-GCM under a key derived from
the pseudonymization secret with HKDF-SHA256 (a random per-vault salt, a fixed context
label), so the file alone reveals neither originals nor fakes. Entries are addressed by a
keyed id of (entity type, fake); opening a vault with a different secret fails with a clear
error. The vault is for authorized re-identification of model output (``ftprep reidentify``)
and must never be shipped with the training files.

Typical use::

    vault = Vault(path, key)                      # creates or opens
    p = Pseudonymizer(key, config, record_mapping=True)
    ...transform records...
    vault.put_many(p.drain_mapping())             # in the process that owns the vault
    vault.reidentify_text(model_output)           # fakes -> originals
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ahocorasick
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import InputError, KeyError_, OutputError, UsageError
from ..io import loads_bounded
from .keys import key_fingerprint

VAULT_VERSION = "1"
_INFO_ENC = b"ftprep vault v1 encryption"
_INFO_ID = b"ftprep vault v1 entry id"
_NAME_TYPES = frozenset(("PERSON", "ORGANIZATION", "FIRST", "LAST"))
REIDENTIFY_MAX_DEPTH = 512  # JSON lines walked value by value (deeper: as text)


def _derive(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def check_vault_location(vault_path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> None:
    """Refuse a vault inside the output directory (outputs are shared; the vault must not be)."""
    vault = Path(vault_path).resolve()
    out = Path(out_dir).resolve()
    if vault == out or out in vault.parents:
        raise UsageError(f"the vault {vault_path} must not be inside the output directory {out_dir}")


class Vault:
    """An encrypted fake -> original mapping in a SQLite file (created 0600 if missing)."""

    def __init__(self, path: str | os.PathLike[str], key: bytes, create: bool = True) -> None:
        """Open the vault at ``path``; with ``create`` (writing runs), create it when missing.
        Without (re-identification), the file must already be an ftprep vault, and it is
        opened read-only: a wrong file is refused, never turned into a vault."""
        self.path = Path(path)
        if not create:
            self._open_existing(key)
            return
        existed = self.path.exists()
        if not existed:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.close(fd)
            except OSError as exc:
                raise OutputError(f"cannot create vault {self.path} ({exc.strerror})") from None
        try:
            self._db = sqlite3.connect(str(self.path))
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "meta" not in tables:  # another application's database: not ours to change
                self._db.close()
                raise OutputError(f"{self.path} is not an ftprep vault (a database with other tables)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS entries (id BLOB PRIMARY KEY, nonce BLOB NOT NULL, "
                "blob BLOB NOT NULL)"
            )
            meta = dict(self._db.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"{self.path} is not a usable ftprep vault ({exc})") from None
        if not meta:
            salt = secrets.token_bytes(16)
            meta = {"version": VAULT_VERSION, "salt": salt.hex(), "key_fingerprint": key_fingerprint(key)}
            with self._db:
                self._db.executemany("INSERT INTO meta (k, v) VALUES (?, ?)", list(meta.items()))
        self._unlock(meta, key)

    def _open_existing(self, key: bytes) -> None:
        not_vault = f"{self.path} is not an ftprep vault"
        try:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"meta", "entries"} <= tables:
                self._db.close()
                raise InputError(not_vault)
            meta = dict(self._db.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise InputError(f"{not_vault} ({exc})") from None
        if not meta.get("salt"):
            raise InputError(not_vault)
        self._unlock(meta, key)

    def _unlock(self, meta: dict[str, str], key: bytes) -> None:
        if meta.get("version") != VAULT_VERSION:
            raise OutputError(f"vault {self.path} has unsupported version {meta.get('version')}")
        if meta.get("key_fingerprint") != key_fingerprint(key):
            raise KeyError_(f"vault {self.path} was created with another key (fingerprint mismatch)")
        salt = bytes.fromhex(meta["salt"])
        self._aead = AESGCM(_derive(key, salt, _INFO_ENC))
        self._id_key = _derive(key, salt, _INFO_ID)
        self._automaton: Any = None

    # -- writing ----------------------------------------------------------------------------
    def _id(self, etype: str, fake: str) -> bytes:
        norm = fake if etype in _NAME_TYPES else fake.lower()
        return hmac.digest(self._id_key, f"{etype}\x1f{norm}".encode(), hashlib.sha256)

    def put(self, etype: str, original: str, fake: str) -> None:
        """Store one mapping (idempotent)."""
        self.put_many([(etype, original, fake)])

    def put_many(self, items: Iterable[tuple[str, str, str]]) -> int:
        """Store many ``(entity type, original, fake)`` mappings; returns how many were new."""
        rows = []
        for etype, original, fake in items:
            if not fake or fake == original:
                continue
            entry_id = self._id(etype, fake)
            nonce = secrets.token_bytes(12)
            payload = json.dumps({"t": etype, "f": fake, "o": original}, ensure_ascii=False).encode()
            rows.append((entry_id, nonce, self._aead.encrypt(nonce, payload, entry_id)))
        if not rows:
            return 0
        with self._db:
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO entries (id, nonce, blob) VALUES (?, ?, ?)", rows)
            added = self._db.total_changes - before
        self._automaton = None
        return added

    # -- reading ---------------------------------------------------------------------------
    def _open(self, entry_id: bytes, nonce: bytes, blob: bytes) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._aead.decrypt(nonce, blob, entry_id))
        except InvalidTag:
            raise KeyError_(f"vault {self.path}: an entry does not decrypt (wrong key or tampering)") from None
        return data

    def get(self, fake: str, etype: str | None = None) -> str | None:
        """The original behind ``fake`` (of ``etype``, or of any type), or None."""
        types = [etype] if etype else sorted(self._types())
        for t in types:
            row = self._db.execute("SELECT id, nonce, blob FROM entries WHERE id = ?",
                                   (self._id(t, fake),)).fetchone()
            if row:
                return self._open(*row)["o"]
        return None

    def _types(self) -> set[str]:
        from .config import ENTITY_TYPES

        return set(ENTITY_TYPES) | {"FIRST", "LAST"}

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def _build(self) -> Any:
        auto = ahocorasick.Automaton()
        for row in self._db.execute("SELECT id, nonce, blob FROM entries"):
            data = self._open(*row)
            fake, original = data["f"], data["o"]
            key = fake.lower()
            # a longer fake wins; on equal keys, full values win over name parts
            if not auto.exists(key) or data["t"] not in ("FIRST", "LAST"):
                auto.add_word(key, (len(key), original, data["t"] in _NAME_TYPES, fake))
        if len(auto):
            auto.make_automaton()
            return auto
        return None

    def reidentify_text(self, text: str) -> str:
        """Replace every fake found in ``text`` (on word boundaries) by its original."""
        if self._automaton is None:
            self._automaton = self._build() or False
        if not self._automaton or not text:
            return text
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        found: list[tuple[int, int, str]] = []
        for end_idx, (length, original, cased, fake) in self._automaton.iter(lowered):
            start, end = end_idx - length + 1, end_idx + 1
            if (start > 0 and lowered[start - 1].isalnum()) or (end < len(text) and lowered[end].isalnum()):
                continue
            if cased and text[start:end] != fake and text[start:end] != fake.upper():
                continue  # names match as written (or upper case), not as any lower-case word
            found.append((start, end, original))
        if not found:
            return text
        found.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        chosen: list[tuple[int, int, str]] = []
        for h in found:
            if all(h[1] <= c[0] or h[0] >= c[1] for c in chosen):
                chosen.append(h)
        chosen.sort()
        out, pos = [], 0
        for start, end, original in chosen:
            out.append(text[pos:start])
            out.append(original)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def reidentify_value(self, obj: Any) -> Any:
        """:meth:`reidentify_text` applied to every string of a parsed JSON value."""
        if isinstance(obj, str):
            return self.reidentify_text(obj)
        if isinstance(obj, dict):
            return {k: self.reidentify_value(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.reidentify_value(v) for v in obj]
        return obj

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reidentify_file(path: str | os.PathLike[str], vault: Vault, out: str | os.PathLike[str]) -> int:
    """Re-identify a JSONL (or plain text) file line by line into ``out``; returns lines written.

    JSON lines keep their structure (strings re-identified by value, written with
    ``ensure_ascii=False`` and compact separators); other lines are treated as text.
    """
    from ..io import atomic_writer

    src = Path(path)
    try:
        lines = src.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {src} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{src} is not UTF-8 text") from None
    n = 0
    with atomic_writer(out) as fh:
        for line in lines:
            try:  # a line nested deeper than the walk below can go is mapped as text
                obj = loads_bounded(line, REIDENTIFY_MAX_DEPTH)
            except ValueError:
                new = vault.reidentify_text(line)
            else:
                new = json.dumps(vault.reidentify_value(obj), ensure_ascii=False, separators=(",", ":"))
            fh.write(new.encode("utf-8") + b"\n")
            n += 1
    return n
