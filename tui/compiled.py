"""The optional compiled module built from ``tui/_scan.c``, for whichever layer has a loop in it.

``pip install`` compiles it where a C compiler exists; elsewhere every caller falls back to its plain
Python reference (same results, slower).
"""

from __future__ import annotations

from types import ModuleType


def compiled() -> ModuleType | None:
    """``tui._scan``, or None where it was not built."""
    try:
        from tui import _scan
    except ImportError:
        return None
    return _scan
