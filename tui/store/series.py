"""Growing columnar arrays for one scalar curve and one histogram tag.

A scalar point costs 24 bytes (int64 step, float64 value, float64 wall time).
Appends go to a small tail buffer that doubles as needed; reading the arrays
folds the tail into exact-size arrays, so a long-lived curve holds no spare
capacity beyond the points added since it was last read.
"""

from __future__ import annotations

import threading

import numpy as np

from tui.sources.points import Histogram

_EMPTY_I = np.empty(0, dtype=np.int64)
_EMPTY_F = np.empty(0, dtype=np.float64)
_MIN_TAIL = 16
_FOLD_AT = 1 << 16


class Series:
    """One scalar curve: steps, values and wall times in arrival order."""

    __slots__ = (
        "_lock",
        "_steps",
        "_tail_len",
        "_tail_steps",
        "_tail_values",
        "_tail_walls",
        "_values",
        "_walls",
        "generation",
    )

    def __init__(self) -> None:
        self._steps = _EMPTY_I
        self._values = _EMPTY_F
        self._walls = _EMPTY_F
        self._tail_steps = _EMPTY_I
        self._tail_values = _EMPTY_F
        self._tail_walls = _EMPTY_F
        self._tail_len = 0
        self._lock = threading.Lock()
        self.generation = 0
        """Bumped whenever points are removed, so readers know earlier indices are void."""

    def __len__(self) -> int:
        return len(self._steps) + self._tail_len

    def __getstate__(self) -> tuple:
        """Points and generation (a lock cannot cross to another process; the copy gets its own)."""
        steps, values, walls = self.arrays()
        return steps, values, walls, self.generation

    def __setstate__(self, state: tuple) -> None:
        """Adopt the arrays as they come (no copy: a worker's curves may arrive mapped read-only from a memory file)."""
        steps, values, walls, generation = state
        Series.__init__(self)
        self._steps = np.asarray(steps, dtype=np.int64)
        self._values = np.asarray(values, dtype=np.float64)
        self._walls = np.asarray(walls, dtype=np.float64)
        self.generation = generation

    def extend(self, steps, walls, values) -> None:
        """Append points (sequences of equal length)."""
        count = len(steps)
        if count == 0:
            return
        with self._lock:
            if count >= _FOLD_AT:  # a bulk load goes straight to the arrays: no copy through the tail and the fold
                n = self._tail_len
                self._steps = _joined(self._steps, self._tail_steps[:n], steps, np.int64)
                self._values = _joined(self._values, self._tail_values[:n], values, np.float64)
                self._walls = _joined(self._walls, self._tail_walls[:n], walls, np.float64)
                self._tail_steps, self._tail_values, self._tail_walls = _EMPTY_I, _EMPTY_F, _EMPTY_F
                self._tail_len = 0
                return
            needed = self._tail_len + count
            if needed > len(self._tail_steps):
                capacity = max(_MIN_TAIL, len(self._tail_steps))
                while capacity < needed:
                    capacity *= 2
                self._tail_steps = _grow(self._tail_steps, capacity, self._tail_len)
                self._tail_values = _grow(self._tail_values, capacity, self._tail_len)
                self._tail_walls = _grow(self._tail_walls, capacity, self._tail_len)
            start = self._tail_len
            self._tail_steps[start:needed] = steps
            self._tail_walls[start:needed] = walls
            self._tail_values[start:needed] = values
            self._tail_len = needed
            if needed >= _FOLD_AT:
                self._fold()  # a bulk load: keep the spare capacity of the tail small

    def append(self, step: int, wall: float, value: float) -> None:
        self.extend((step,), (wall,), (value,))

    def _fold(self) -> None:
        if self._tail_len:
            n = self._tail_len
            self._steps = np.concatenate((self._steps, self._tail_steps[:n]))
            self._values = np.concatenate((self._values, self._tail_values[:n]))
            self._walls = np.concatenate((self._walls, self._tail_walls[:n]))
            self._tail_steps, self._tail_values, self._tail_walls = _EMPTY_I, _EMPTY_F, _EMPTY_F
            self._tail_len = 0

    @property
    def steps(self) -> np.ndarray:
        return self.arrays()[0]

    @property
    def values(self) -> np.ndarray:
        return self.arrays()[1]

    @property
    def walls(self) -> np.ndarray:
        return self.arrays()[2]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, values, wall_times), exact size; the arrays are never written again."""
        with self._lock:
            self._fold()
            return self._steps, self._values, self._walls

    def last(self) -> tuple[int, float, float] | None:
        """(step, value, wall_time) of the newest point, without folding."""
        with self._lock:
            if self._tail_len:
                i = self._tail_len - 1
                return int(self._tail_steps[i]), float(self._tail_values[i]), float(self._tail_walls[i])
            if len(self._steps):
                return int(self._steps[-1]), float(self._values[-1]), float(self._walls[-1])
            return None

    def truncate_from_step(self, step: int) -> int:
        """Drop every point at or after ``step``; return how many were dropped."""
        with self._lock:
            self._fold()
            keep = self._steps < step
            dropped = int(len(keep) - np.count_nonzero(keep))
            if dropped:
                self._steps = self._steps[keep]
                self._values = self._values[keep]
                self._walls = self._walls[keep]
                self.generation += 1
            return dropped

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays, spare tail capacity included."""
        return (
            self._steps.nbytes
            + self._values.nbytes
            + self._walls.nbytes
            + self._tail_steps.nbytes
            + self._tail_values.nbytes
            + self._tail_walls.nbytes
        )


def _joined(held: np.ndarray, tail: np.ndarray, new, dtype: type) -> np.ndarray:
    """``held``, then ``tail``, then ``new``: a new array, or ``new`` itself when it is all there is and can be kept."""
    if not len(held) and not len(tail):
        kept = _kept(new, dtype)
        if kept is not None:
            return kept
    return np.concatenate((held, tail, np.asarray(new, dtype=dtype)))


def _kept(new, dtype: type) -> np.ndarray | None:
    """``new`` itself, made read-only, when it is a whole contiguous NumPy array of ``dtype`` (the first read of a
    long log hands over millions of points: a copy of each would cost more than its parsing); else None.

    Whole: ``new`` spans all the memory of the array that owns it, so keeping it keeps nothing else alive.
    Read-only, for the store's rule that its arrays never change (the reader that made it may not write it again).
    """
    if not isinstance(new, np.ndarray) or new.dtype != dtype or new.ndim != 1 or not new.flags.c_contiguous:
        return None
    owner = new
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if owner.base is not None or owner.nbytes != new.nbytes:
        return None
    owner.flags.writeable = False
    new.flags.writeable = False
    return new


def _grow(array: np.ndarray, capacity: int, used: int) -> np.ndarray:
    grown = np.empty(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return grown


class HistogramSeries:
    """Histograms of one tag over steps, thinned evenly past ``limit`` (first and newest always kept)."""

    __slots__ = ("generation", "items", "limit")

    def __init__(self, limit: int = 500) -> None:
        self.items: list[Histogram] = []
        self.limit = limit
        self.generation = 0

    def __len__(self) -> int:
        return len(self.items)

    def extend(self, histograms: list[Histogram]) -> None:
        self.items.extend(histograms)
        if len(self.items) > 2 * self.limit:
            newest = self.items[-1]
            self.items = [*self.items[:-1:2], newest]
            self.generation += 1

    def truncate_from_step(self, step: int) -> int:
        before = len(self.items)
        self.items = [h for h in self.items if h.step < step]
        if len(self.items) != before:
            self.generation += 1
        return before - len(self.items)

    @property
    def steps(self) -> np.ndarray:
        return np.fromiter((h.step for h in self.items), dtype=np.int64, count=len(self.items))
