"""Compact tables of 64-bit ids for the pseudonymizer's run state.

A run remembers every original it has seen (its keyed id) and who owns each fake (the id
the fake would have as an original -> the original's id). A Python set or dict costs
70-160 bytes per entry: 2.3 million identifiers, a 1 GB log, would take half a gigabyte.
These tables keep new entries in a small dict and fold them, from time to time, into
sorted numpy arrays: 8 bytes per set member, 16 per map entry, lookups in O(log n).

The dict holds at most 65,536 entries (about 6 MB): a fold sorts only them and merges
them in with one linear ``np.insert``, so 4 million ids cost 60 folds of a few
milliseconds each, and the dict never grows with the table (at an eighth of 4 million
entries, as it once did, it held 50 MB).
"""

from __future__ import annotations

from bisect import bisect_left as _bisect
from typing import Any

import numpy as np

_U64 = np.uint64
_FOLD = 1 << 16  # entries of the recent dict/set that trigger a fold


def _merge_sorted(keys: Any, new: Any, *cols: tuple[Any, Any]) -> tuple[Any, ...]:
    """Insert sorted ``new`` keys (none present) into sorted ``keys``, and each (column,
    new values) pair alike; returns the new keys and columns."""
    pos = keys.searchsorted(new)
    return (np.insert(keys, pos, new), *(np.insert(col, pos, vals) for col, vals in cols))


class IdMap:
    """A map of uint64 -> uint64 that only grows (no deletes)."""

    __slots__ = ("_recent", "_keys", "_vals", "_kview", "_vview")

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._set_arrays(np.zeros(0, _U64), np.zeros(0, _U64))

    def _set_arrays(self, keys: Any, vals: Any) -> None:
        self._keys, self._vals = keys, vals
        # Lookups bisect a memoryview: its items are Python ints, read in C (a third of the
        # cost of a numpy scalar search for one key)
        self._kview, self._vview = memoryview(keys), memoryview(vals)

    def __getstate__(self) -> tuple[dict[int, int], Any, Any]:
        return self._recent, self._keys, self._vals

    def __setstate__(self, state: tuple[dict[int, int], Any, Any]) -> None:
        self._recent = state[0]
        self._set_arrays(state[1], state[2])

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def get(self, key: int) -> int | None:
        hit = self._recent.get(key)
        if hit is not None:
            return hit
        view = self._kview
        if not view:
            return None
        i = _bisect(view, key)
        if i < len(view) and view[i] == key:
            return self._vview[i]  # type: ignore[no-any-return]
        return None

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def set(self, key: int, value: int) -> None:
        """Add ``key`` (not present: callers look it up first)."""
        self._recent[key] = value
        if len(self._recent) >= _FOLD:
            self._fold()

    def _fold(self) -> None:
        recent, self._recent = self._recent, {}
        keys = np.fromiter(recent, _U64, len(recent))
        vals = np.fromiter(recent.values(), _U64, len(recent))
        order = np.argsort(keys, kind="stable")
        self._set_arrays(*_merge_sorted(self._keys, keys[order], (self._vals, vals[order])))

    def items(self) -> list[tuple[int, int]]:
        out = [(int(k), int(v)) for k, v in zip(self._keys.tolist(), self._vals.tolist(), strict=True)]
        out.extend(self._recent.items())
        return out


class IdSet:
    """A set of uint64 that only grows."""

    __slots__ = ("_recent", "_keys", "_view")

    def __init__(self) -> None:
        self._recent: set[int] = set()
        self._set_keys(np.zeros(0, _U64))

    def _set_keys(self, keys: Any) -> None:
        self._keys = keys
        self._view = memoryview(keys)  # bisected (see IdMap._set_arrays)

    def __getstate__(self) -> tuple[set[int], Any]:
        return self._recent, self._keys

    def __setstate__(self, state: tuple[set[int], Any]) -> None:
        self._recent = state[0]
        self._set_keys(state[1])

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        view = self._view
        if not view:
            return False
        i = _bisect(view, key)
        return i < len(view) and view[i] == key  # type: ignore[no-any-return]

    def add(self, key: int) -> None:
        """Add ``key`` (callers test membership first, so members are not re-added)."""
        self._recent.add(key)
        if len(self._recent) >= _FOLD:
            self._fold()

    def add_new(self, key: int) -> bool:
        """Add ``key`` unless present; whether it was new (``key not in s`` then ``s.add(key)``,
        in one call)."""
        recent = self._recent
        if key in recent:
            return False
        view = self._view
        if view:
            i = _bisect(view, key)
            if i < len(view) and view[i] == key:
                return False
        recent.add(key)
        if len(recent) >= _FOLD:
            self._fold()
        return True

    def _fold(self) -> None:
        recent, self._recent = self._recent, set()
        new = np.fromiter(recent, _U64, len(recent))
        new.sort()
        (keys,) = _merge_sorted(self._keys, new)
        self._set_keys(keys)
