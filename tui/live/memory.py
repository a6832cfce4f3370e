"""Give freed heap memory back to the operating system after a big load.

Reading a large log directory allocates and frees many temporary buffers; glibc
keeps the freed pages in the process unless asked with ``malloc_trim``. On
other C libraries this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

_TRIM_AFTER_BYTES = 32 * 1024 * 1024


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` from the C library already loaded in this process (not searched for:
    ``ctypes.util.find_library`` runs ``ldconfig``, 60 ms at every start), or None elsewhere."""
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory(bytes_read: int) -> None:
    """Trim the heap if a read this big may have left freed pages behind."""
    if bytes_read >= _TRIM_AFTER_BYTES and (trim := _malloc_trim()) is not None:
        trim(0)
