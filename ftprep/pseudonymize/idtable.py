"""Compact tables of 64-bit ids for the pseudonymizer's run state.

A run remembers every original it has seen (its keyed id) and who owns each fake (the id
the fake would have as an original -> the original's id). A Python set or dict costs
70-160 bytes per entry: 2.3 million identifiers, a 1 GB log, would take half a gigabyte.
These tables keep new entries in a small dict and fold them, from time to time, into
sorted numpy arrays: 8 bytes per set member, 16 per map entry, lookups in O(log n).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_U64 = np.uint64
_MIN_FOLD = 1 << 16


class IdMap:
    """A map of uint64 -> uint64 that only grows (no deletes)."""

    __slots__ = ("_recent", "_keys", "_vals")

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._keys: Any = np.zeros(0, _U64)
        self._vals: Any = np.zeros(0, _U64)

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def get(self, key: int) -> int | None:
        hit = self._recent.get(key)
        if hit is not None or not len(self._keys):
            return hit
        keys = self._keys
        k = _U64(key)
        i = int(keys.searchsorted(k))
        if i < len(keys) and keys[i] == k:
            return int(self._vals[i])
        return None

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def set(self, key: int, value: int) -> None:
        """Add ``key`` (not present: callers look it up first)."""
        self._recent[key] = value
        if len(self._recent) >= max(_MIN_FOLD, len(self._keys) >> 3):
            self._fold()

    def _fold(self) -> None:
        recent, self._recent = self._recent, {}
        keys = np.fromiter(recent, _U64, len(recent))
        vals = np.fromiter(recent.values(), _U64, len(recent))
        keys = np.concatenate((self._keys, keys))
        vals = np.concatenate((self._vals, vals))
        order = np.argsort(keys, kind="stable")
        self._keys, self._vals = keys[order], vals[order]

    def items(self) -> list[tuple[int, int]]:
        out = [(int(k), int(v)) for k, v in zip(self._keys.tolist(), self._vals.tolist(), strict=True)]
        out.extend(self._recent.items())
        return out


class IdSet:
    """A set of uint64 that only grows."""

    __slots__ = ("_recent", "_keys")

    def __init__(self) -> None:
        self._recent: set[int] = set()
        self._keys: Any = np.zeros(0, _U64)

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        keys = self._keys
        if not len(keys):
            return False
        k = _U64(key)
        i = int(keys.searchsorted(k))
        return i < len(keys) and bool(keys[i] == k)

    def add(self, key: int) -> None:
        """Add ``key`` (callers test membership first, so members are not re-added)."""
        self._recent.add(key)
        if len(self._recent) >= max(_MIN_FOLD, len(self._keys) >> 3):
            recent, self._recent = self._recent, set()
            keys = np.concatenate((self._keys, np.fromiter(recent, _U64, len(recent))))
            keys.sort()
            self._keys = keys
