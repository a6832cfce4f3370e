"""Give freed heap memory back to the operating system after a big load.

Reading a large log directory allocates and frees many temporary buffers; glibc
keeps the freed pages in the process unless asked with ``malloc_trim``. On
other C libraries this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

_TRIM_AFTER_BYTES = 32 * 1024 * 1024

_malloc_trim: Callable[[int], int] | None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _malloc_trim = _libc.malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None


def release_free_memory(bytes_read: int) -> None:
    """Trim the heap if a read this big may have left freed pages behind."""
    if _malloc_trim is not None and bytes_read >= _TRIM_AFTER_BYTES:
        _malloc_trim(0)
