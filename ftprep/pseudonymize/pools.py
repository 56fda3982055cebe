"""Frozen name pools (package data), loaded once per process.

The pools were frozen from Faker by ``_freeze_pools.py``; fakes depend on the pool
contents and order, so any change to the files (or to how fakes are drawn from them) must
bump :data:`POOL_VERSION`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# 2: an organization's fake has one word for a normalized name under 10 characters and two
#    otherwise (it followed the word count of the spelling a run saw first).
# 3: generators widen their pools on re-draw (hyphenated first names from draw 64,
#    double-barrelled last names from 32, one more organization word from 16) instead of
#    re-drawing from an exhausted pool up to 10,000 times; a private IPv4 fake comes from
#    10.0.0.0/8 from draw 32 on (192.168.0.0/16 fills up on a large log).
POOL_VERSION = "3"


@dataclass(frozen=True)
class Pools:
    first: tuple[str, ...]
    last: tuple[str, ...]
    first_set: frozenset[str]
    last_set: frozenset[str]
    first_by_initial: dict[str, tuple[str, ...]]


def _read(name: str) -> tuple[str, ...]:
    text = resources.files(__package__).joinpath("_data").joinpath(name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def pools() -> Pools:
    first = _read("first_names.txt")
    last = _read("last_names.txt")
    by_initial: dict[str, list[str]] = {}
    for name in first:
        by_initial.setdefault(name[0].upper(), []).append(name)
    return Pools(
        first,
        last,
        frozenset(n.lower() for n in first),
        frozenset(n.lower() for n in last),
        {k: tuple(v) for k, v in by_initial.items()},
    )


def faker_version() -> str:
    """The Faker version the pools were frozen from (for the manifest)."""
    text = resources.files(__package__).joinpath("_data").joinpath("first_names.txt").read_text(encoding="utf-8")
    head = text.splitlines()[0]
    return head.split("Faker", 1)[1].split(";", 1)[0].strip() if "Faker" in head else "unknown"
