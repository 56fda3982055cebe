"""Pseudonymization: detect identifiers and replace them with keyed, consistent fakes.

Public API::

    key = load_key(key_file, env)            # bytes; KeyError_ when missing / too short
    p = Pseudonymizer(key, PseudonymizeConfig.from_dict(toml_table))
    t = p.transform(record_obj)              # Transformed(value, changed, counts)
    p.report().to_dict()                     # per-type occurrences and distinct values
    scanner = p.leak_scanner()               # scan(text) / residual(text) -> entity types

See the README section "Pseudonymization" for entity types, policy options and guarantees.
"""

from __future__ import annotations

from .config import ENTITY_TYPES, PseudonymizeConfig
from .engine import Pseudonymizer, Replacement
from .keys import (
    MIN_KEY_BYTES,
    generate_key,
    key_file_warnings,
    key_fingerprint,
    load_key,
    write_key_file,
)
from .leak import LeakScanner
from .pools import POOL_VERSION, faker_version
from .report import EntityCount, PseudonymizeReport, Transformed

__all__ = [
    "ENTITY_TYPES",
    "MIN_KEY_BYTES",
    "POOL_VERSION",
    "EntityCount",
    "LeakScanner",
    "PseudonymizeConfig",
    "PseudonymizeReport",
    "Pseudonymizer",
    "Replacement",
    "Transformed",
    "faker_version",
    "generate_key",
    "key_file_warnings",
    "key_fingerprint",
    "load_key",
    "write_key_file",
]
