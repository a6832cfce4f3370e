"""Which logged numbers are a wall clock: Unix time in seconds, milliseconds, microseconds or nanoseconds.

A JSON-lines log names its time as it likes: ``timestamp`` in seconds (Python's ``time.time()``) or milliseconds
(JavaScript's ``Date.now()``, Java's), and Detectron2's ``metrics.json`` writes ``time`` as the seconds one
iteration took (0.35), which read as a wall clock put every point in 1970. A column's unit is told by its median,
and a value that is no time in it (before 2001 or after 2286) is left to the file's own time.
"""

from __future__ import annotations

import numpy as np

EARLIEST, LATEST = 1e9, 1e10
"""Unix seconds a logged wall clock may read: September 2001 to the year 2286."""
UNITS = (1.0, 1e3, 1e6, 1e9)
"""Seconds, milliseconds, microseconds, nanoseconds: each a thousand times the one before."""


def epoch_seconds(values: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (where ``found``) as Unix seconds, and which of them are wall clock times: none of a column that
    is no clock (an iteration's duration, a relative time), where the caller gives the file's time instead."""
    values = np.asarray(values, dtype=np.float64)
    known = values[np.asarray(found, dtype=bool) & np.isfinite(values)]
    middle = float(np.median(known)) if len(known) else 0.0
    unit = next((unit for unit in UNITS if EARLIEST * unit <= middle < LATEST * unit), None)
    if unit is None:
        return values, np.zeros(len(values), dtype=bool)
    seconds = values / unit
    with np.errstate(invalid="ignore"):
        return seconds, found & (seconds >= EARLIEST) & (seconds < LATEST)
