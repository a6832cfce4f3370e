"""An append-only numpy array that grows by doubling: a curve's running figures, kept per point.

A live tail or a step-at-a-time replay appends a few points at a time; concatenating onto the whole history
at every append copies it each time (quadratic in the curve's length). Doubling the room copies each value
a bounded number of times.
"""

from __future__ import annotations

import numpy as np


class Growing:
    """Values appended in blocks; ``view`` is the filled part (read-only, valid until the next append)."""

    __slots__ = ("_buffer", "_used")

    def __init__(self, dtype: type = float) -> None:
        self._buffer: np.ndarray = np.empty(0, dtype=dtype)
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def __getstate__(self) -> tuple[np.ndarray, int]:
        return self._buffer[: self._used], self._used  # the room to grow is not shipped to or from a worker

    def __setstate__(self, state: tuple[np.ndarray, int]) -> None:
        self._buffer, self._used = state

    def extend(self, values: np.ndarray) -> None:
        end = self._used + len(values)
        # A buffer shipped from a worker may be a read-only mapping (``live.shipping``): it is copied, not written.
        if end > len(self._buffer) or not self._buffer.flags.writeable:
            grown = np.empty(max(end, 2 * len(self._buffer), 64), dtype=self._buffer.dtype)
            grown[: self._used] = self._buffer[: self._used]
            self._buffer = grown
        self._buffer[self._used : end] = values
        self._used = end

    @property
    def view(self) -> np.ndarray:
        filled = self._buffer[: self._used]
        filled.flags.writeable = False
        return filled
