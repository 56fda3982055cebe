"""Handing freed memory back to the operating system between a run's stages.

CPython, glibc's malloc and Arrow's allocator all keep memory a stage freed, for reuse; a
long run's peak is then the sum of its stages' scratch, not the largest of them.
:func:`trim_heap` returns it at the stage boundaries (a few milliseconds each).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


def trim_heap() -> None:
    """Collect garbage and hand freed heap pages back to the OS: glibc's, and those of
    Arrow's own allocator (mimalloc), which keeps what the stats frame's string columns
    and pandas' operations on them freed (~150 MB at 1 GB of input) until told."""
    import gc

    gc.collect()
    arrow = sys.modules.get("pyarrow")  # never imported just for this
    if arrow is not None:
        with contextlib.suppress(Exception):
            arrow.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextlib.contextmanager
def malloc_arrow_pool() -> Iterator[None]:
    """Within the block, Arrow allocates with the C library's ``malloc`` instead of its
    default pool (mimalloc here), then the previous pool is restored.

    The stats frame's string columns, and every pandas operation on them, allocate through
    Arrow; mimalloc keeps what they free for reuse and :func:`trim_heap` gets little of it
    back, so the checks of a 1 GB input held ~60-100 MB more at their peak. Buffers remember
    the pool they came from, so frames built inside stay valid after the block. Speed is the
    same for this use (a few large columns, not many small objects)."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.system_memory_pool())
    except Exception:  # noqa: BLE001 - a build without the system pool: keep the default
        yield
        return
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
