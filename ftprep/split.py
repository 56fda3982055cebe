"""Deterministic, streaming train/validation assignment.

Each example goes to validation when a keyed hash of its normalized original
content falls under the validation fraction. The decision needs no state, so it
streams, runs identically in any worker or Spark partition, and sends exact
duplicates to the same split (no duplicate leaks from train into validation).
The seed changes the assignment; the pseudonymization key does not.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

_SCALE = float(1 << 64)


def content_hash(obj: Any) -> bytes:
    """A hash of an example's content, independent of whitespace in its source line."""
    return hashlib.blake2b(orjson.dumps(obj), digest_size=16).digest()


def assign(content_digest: bytes, validation_fraction: float, seed: int) -> bool:
    """True when the example goes to validation."""
    if validation_fraction <= 0:
        return False
    if validation_fraction >= 1:
        return True
    h = hashlib.blake2b(content_digest, digest_size=8, key=str(seed).encode()).digest()
    return int.from_bytes(h, "big") / _SCALE < validation_fraction
