"""The pseudonymization key: loading, generating, writing and fingerprinting.

The key is secret material shared by every run that must produce the same fakes.
It comes from a key file (preferred) or the ``FTPREP_KEY`` environment variable,
never from the command line or a config file. Only its fingerprint (an HMAC of a
fixed label, which reveals nothing about the key) may appear in manifests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from ..errors import KeyError_, UsageError

MIN_KEY_BYTES = 16
ENV_VAR = "FTPREP_KEY"
_FINGERPRINT_LABEL = b"ftprep key fingerprint"


def _check(material: bytes, where: str) -> bytes:
    key = material.strip()
    if not key:
        raise KeyError_(f"the pseudonymization key in {where} is empty")
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(
            f"the pseudonymization key in {where} is too short "
            f"({len(key)} bytes; at least {MIN_KEY_BYTES} are required; run `ftprep keygen PATH`)"
        )
    return key


def load_key(
    key_file: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> bytes:
    """Return the key material: the stripped bytes of ``key_file``, else of ``env["FTPREP_KEY"]``.

    Raises :class:`~ftprep.errors.KeyError_` when the key is missing, unreadable,
    empty or shorter than :data:`MIN_KEY_BYTES`. The message never contains key bytes.
    """
    if key_file is not None:
        path = Path(key_file)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError_(f"key file {path} does not exist (create one with `ftprep keygen`)") from None
        except IsADirectoryError:
            raise KeyError_(f"key file {path} is a directory") from None
        except OSError as exc:
            raise KeyError_(f"key file {path} cannot be read ({exc.strerror})") from None
        return _check(data, f"key file {path}")
    environ = os.environ if env is None else env
    value = environ.get(ENV_VAR)
    if value is None:
        raise KeyError_(
            f"no pseudonymization key: pass --key-file PATH or set {ENV_VAR} "
            "(create a key with `ftprep keygen PATH`), or use --no-pseudonymize"
        )
    return _check(value.encode("utf-8"), f"environment variable {ENV_VAR}")


def generate_key() -> str:
    """A new random key as 64 hex characters (256 bits from :mod:`secrets`)."""
    return secrets.token_hex(32)


def write_key_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` with a new key, mode 0600, atomically; never overwrite an existing file."""
    p = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(p, flags, 0o600)
    except FileExistsError:
        raise UsageError(f"{p} already exists; ftprep keygen never overwrites a key") from None
    except OSError as exc:
        raise UsageError(f"cannot create key file {p} ({exc.strerror})") from None
    try:
        os.fchmod(fd, 0o600)  # in case the umask or platform ignored the mode
        os.write(fd, (generate_key() + "\n").encode("ascii"))
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        p.unlink(missing_ok=True)
        raise UsageError(f"cannot write key file {p} ({exc.strerror})") from None
    os.close(fd)


def key_fingerprint(key: bytes) -> str:
    """A public identifier of the key: ``hmac-sha256:`` + 16 hex digits. Never reveals the key."""
    digest = hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
    return "hmac-sha256:" + digest[:16]


def key_file_warnings(path: str | os.PathLike[str]) -> list[str]:
    """Human warnings about a key file's permissions (group/other access, not a regular file)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return []
    warnings: list[str] = []
    if not stat.S_ISREG(st.st_mode):
        warnings.append(f"key file {p} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        warnings.append(
            f"key file {p} is accessible by group or others (mode {mode:04o}); run `chmod 600 {p}`"
        )
    return warnings
