"""The optional compiled modules: ``tui/_scan.c`` (the event-file reader's loops), ``tui/_kernels.c`` (the
verdict engine's recurrences) and ``tui/_logjson.c`` (JSON log histories).

``pip install`` compiles them where a C compiler exists; elsewhere every caller falls back to its plain
Python reference (same results, slower).
"""

from __future__ import annotations

import importlib
from types import ModuleType

READER_VERSION = 2
"""Version of ``tui/_scan.c``'s calling conventions this code expects (its ``KERNEL_VERSION``; 2: framing into
preallocated arrays, ``next_header``). A module built from an older source (an in-place build not redone) is
not used."""
KERNEL_VERSION = 2
"""Version of ``tui/_kernels.c``'s calling conventions this code expects (2: the CUSUM carries its lowest
five-point median). The same rule."""


def _built(name: str, version: int | None) -> ModuleType | None:
    """``tui.<name>``, or None where it was not built or was built from another version of its source (``None``:
    a module that carries no version)."""
    try:
        module = importlib.import_module(f"tui.{name}")
    except ImportError:
        return None
    return module if getattr(module, "KERNEL_VERSION", None) == version else None


def compiled() -> ModuleType | None:
    """``tui._scan`` (reading), or None where it was not built or was built from another version of its source."""
    return _built("_scan", READER_VERSION)


def compiled_kernels() -> ModuleType | None:
    """``tui._kernels`` (judging), or None where it was not built or was built from another version of its source."""
    return _built("_kernels", KERNEL_VERSION)


def compiled_logjson() -> ModuleType | None:
    """``tui._logjson``, or None where it was not built."""
    return _built("_logjson", None)
